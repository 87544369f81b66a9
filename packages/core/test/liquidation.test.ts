// Liquidation scenarios (PRD §2.4, SPEC 06): each runs through the ExchangeHarness, so the invariants,
// the money ledger, the event shapes and the rejected-command twin are checked after every command.
// BTC-PERP: $1 ticks, 0.001 BTC lots (1,000 µUSD per tick-lot); fees maker 0.02 %, taker 0.1 % (tier 1).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { accountView, adlQuantile, liquidationPrice, prdCircuitBreaker, restoreExchange, exchangeStateHash, type PositionLiquidated } from "@perpdex/core";
import { ExchangeHarness, account, btcSpec, eventsOf, limit, replayExchange, snapshotBytes, nanosecondsPerSecond } from "./exchange-harness.ts";

const alice = account("a");
const bob = account("b");
const carol = account("c");
const dave = account("d");
const erin = account("e");
const millisecond = 1_000_000n;

/** alice long 200 lots (0.2 BTC, $10,000) from bob at $50,000, isolated 20x ($500 margin). */
function opened(aliceDollars: number): ExchangeHarness {
  const harness = new ExchangeHarness();
  harness.list(btcSpec());
  harness.fund(alice, aliceDollars);
  harness.fund(bob, 100_000);
  harness.fund(carol, 1_000_000);
  harness.fund(dave, 1_000);
  harness.fund(erin, 1_000);
  harness.ok({ type: "setLeverage", account: alice, market: "BTC-PERP", leverage: 20 });
  harness.placeOk(bob, limit("BTC-PERP", "sell", 50_000, 200));
  harness.placeOk(alice, limit("BTC-PERP", "buy", 50_000, 200));
  const position = harness.position(alice, "BTC-PERP")!;
  assert.equal(position.margin, 500_000_000);
  // Fund: 40 % of (taker $10 + maker $2).
  assert.equal(harness.exchange.treasury.insuranceFund, 4_800_000);
  return harness;
}

function liquidated(harness: ExchangeHarness): PositionLiquidated[] {
  return harness.lastEvents("PositionLiquidated");
}

describe("liquidation", () => {
  it("with surplus: the liquidator's bid above the mark leaves the trader money after the 1.5 % penalty", () => {
    const harness = opened(1_000);
    harness.placeOk(carol, limit("BTC-PERP", "buy", 48_500, 200));
    harness.indexPrice("BTC-PERP", 47_700);
    assert.equal(harness.perpMarket("BTC-PERP").markPrice, 47_700);
    // The exact liquidation price of the position, and the view agrees: below maintenance at 47,700.
    const price = liquidationPrice({ sizeLots: 200, collateral: 500_000_000 - 10_000_000_000, quotePerTickLot: 1_000, profile: harness.perpMarket("BTC-PERP").profile });
    assert.equal(price, 47_786);
    assert.equal(accountView(harness.exchange, alice)!.positions[0]!.health, "liquidation");
    const found = harness.tick();
    const since = found.command.time;
    assert.equal(harness.exchange.liquidations.pending.size, 1);
    // Not whitelisted, inside the 100 ms window: refused, nothing changes.
    harness.rejected({ type: "liquidate", account: dave, trader: alice, market: "BTC-PERP" }, "LIQUIDATION_PRIORITY_WINDOW", since + 50n * millisecond);
    harness.rejected({ type: "liquidate", account: dave, trader: bob, market: "BTC-PERP" }, "LIQUIDATION_NOT_LIQUIDATABLE");
    harness.rejected({ type: "liquidate", account: alice, trader: alice, market: "BTC-PERP" }, "LIQUIDATION_INVALID");
    // After the window anyone may: dave liquidates and earns 0.5 % (a third of the penalty).
    const step = harness.ok({ type: "liquidate", account: dave, trader: alice, market: "BTC-PERP" }, since + 100n * millisecond);
    const [event] = liquidated(harness);
    assert.ok(event !== undefined);
    assert.deepEqual(
      { closedLots: event.closedLots, bookLots: event.bookLots, adlLots: event.adlLots, closedValue: event.closedValue, penalty: event.penalty, reward: event.liquidatorReward, size: event.size },
      { closedLots: 200, bookLots: 200, adlLots: 0, closedValue: 9_700_000_000, penalty: 145_500_000, reward: 48_500_000, size: 0 },
    );
    assert.equal(step.events.filter((e) => e.type === "LiquidationTriggered").length, 1);
    // alice: 490 cash + 200 margin left − 9.70 taker fee − 145.50 penalty.
    assert.equal(harness.accountOf(alice).cash, 534_800_000);
    assert.equal(harness.accountOf(dave).cash, 1_048_500_000);
    // Fund: 4.8 + 40 % of (9.70 + 1.94) fees + 97.00 of the penalty.
    assert.equal(harness.exchange.treasury.insuranceFund, 4_800_000 + 4_656_000 + 97_000_000);
    assert.equal(harness.position(alice, "BTC-PERP"), undefined);
    assert.equal(harness.exchange.liquidations.pending.size, 0);
  });

  it("whitelisted liquidators act inside the priority window; the whitelist is admin-controlled", () => {
    const harness = opened(1_000);
    harness.placeOk(carol, limit("BTC-PERP", "buy", 48_500, 200));
    harness.ok({ type: "liquidatorWhitelist", liquidator: erin, allowed: true });
    harness.indexPrice("BTC-PERP", 47_700);
    harness.ok({ type: "liquidate", account: erin, trader: alice, market: "BTC-PERP" });
    assert.equal(liquidated(harness)[0]!.liquidatorReward, 48_500_000);
    harness.ok({ type: "liquidatorWhitelist", liquidator: erin, allowed: false });
    assert.equal(harness.exchange.liquidations.whitelist.size, 0);
  });

  it("the engine liquidates by itself after the grace period; the whole penalty goes to the fund", () => {
    const harness = opened(1_000);
    harness.placeOk(carol, limit("BTC-PERP", "buy", 48_500, 200));
    harness.indexPrice("BTC-PERP", 47_700);
    const since = harness.tick().command.time;
    harness.tick(since + 999n * millisecond);
    assert.equal(liquidated(harness).length, 0, "nothing before the grace period ends");
    harness.tick(since + nanosecondsPerSecond);
    const [event] = liquidated(harness);
    assert.ok(event !== undefined);
    assert.equal(event.liquidator, null);
    assert.equal(event.penalty, 145_500_000);
    assert.equal(event.liquidatorReward, 0);
    assert.equal(harness.exchange.treasury.insuranceFund, 4_800_000 + 4_656_000 + 145_500_000);
  });

  it("with a deficit: the insurance fund covers the loss beyond the margin and the fee", () => {
    // alice deposits the margin, the opening fee and the $2 maker-fee reserve the pre-trade check asks for.
    const harness = opened(512);
    harness.ok({ type: "seedInsuranceFund", amount: 1_000_000_000n, reference: "0xseed1" });
    harness.placeOk(carol, limit("BTC-PERP", "buy", 47_400, 200));
    harness.indexPrice("BTC-PERP", 47_400);
    const since = harness.tick().command.time;
    const step = harness.tick(since + nanosecondsPerSecond);
    const used = step.events.filter((e) => e.type === "InsuranceFundUsed");
    // −$20 of margin (a $520 loss on $500), then the $7.48 of the $9.48 taker fee that the $2 of cash could not pay.
    assert.deepEqual(used.map((e) => (e.type === "InsuranceFundUsed" ? [e.deficit, e.covered] : [])), [[20_000_000, 20_000_000], [7_480_000, 7_480_000]]);
    assert.equal(harness.accountOf(alice).cash, 0);
    assert.equal(liquidated(harness)[0]!.penalty, 0, "no margin left: no penalty");
    assert.equal(harness.exchange.treasury.insuranceFund, 1_000_000_000 + 4_800_000 + 4_550_400 - 20_000_000 - 7_480_000);
    assert.equal(harness.exchange.liquidations.badDebt, 0);
  });

  it("fund exhausted: what the book cannot take within the fund's reach is closed by ADL at the bankruptcy price", () => {
    const harness = opened(512);
    // The only bid is far below what a $4.80 fund can absorb.
    harness.placeOk(carol, limit("BTC-PERP", "buy", 45_000, 200));
    harness.indexPrice("BTC-PERP", 47_400);
    assert.equal(adlQuantile(harness.exchange, harness.position(bob, "BTC-PERP")!), 5);
    // The only short is the top of its queue, and its view says so (SPEC 06 §8.3 warning).
    const bobView = accountView(harness.exchange, bob)!.positions[0]!;
    assert.deepEqual([bobView.adlQuantile, bobView.adlWarning], [5, true]);
    const since = harness.tick().command.time;
    const step = harness.tick(since + nanosecondsPerSecond);
    const adl = step.events.filter((e) => e.type === "ADLExecuted");
    assert.equal(adl.length, 1);
    const [first] = adl;
    assert.ok(first !== undefined && first.type === "ADLExecuted");
    // Bankruptcy: (10,000 − 500) / 0.2 BTC = 47,500; bob's short closes there (above the mark).
    assert.deepEqual([first.account, first.counterparty, first.size, first.price], [bob, alice, 200, 47_500]);
    const [event] = liquidated(harness);
    assert.deepEqual([event!.bookLots, event!.adlLots, event!.bankruptcyPrice], [0, 200, 47_500]);
    assert.equal(harness.accountOf(alice).cash, 2_000_000, "the $2 outside the position is untouched");
    assert.equal(harness.position(bob, "BTC-PERP"), undefined);
    assert.equal(harness.exchange.treasury.insuranceFund, 4_800_000, "the fund paid nothing");
    assert.equal(harness.exchange.liquidations.badDebt, 0);
  });

  it("a position above $50,000 closes in 50 % steps until it is healthy", () => {
    const harness = new ExchangeHarness();
    harness.list(btcSpec());
    harness.fund(alice, 12_000);
    harness.fund(bob, 1_000_000);
    harness.fund(carol, 1_000_000);
    // 2 BTC = $100,000 at 10x: $10,000 margin.
    harness.placeOk(bob, limit("BTC-PERP", "sell", 50_000, 2_000));
    harness.placeOk(alice, limit("BTC-PERP", "buy", 50_000, 2_000));
    const profile = harness.perpMarket("BTC-PERP").profile;
    const price = liquidationPrice({ sizeLots: 2_000, collateral: 10_000_000_000 - 100_000_000_000, quotePerTickLot: 1_000, profile })!;
    assert.equal(price, 45_748);
    harness.placeOk(carol, limit("BTC-PERP", "buy", price, 4_000));
    harness.ok({ type: "seedInsuranceFund", amount: 10_000_000_000n, reference: "0xseed" });
    harness.indexPrice("BTC-PERP", price);
    const since = harness.tick().command.time;
    const fundBefore = harness.exchange.treasury.insuranceFund;
    harness.tick(since + nanosecondsPerSecond);
    const steps = liquidated(harness);
    // One 50 % step is enough: 1 BTC sold at $45,748 loses $4,252, paid from the closed half's $5,000 of
    // margin ($748 back to cash); the BTC left keeps its own $5,000, so its equity ($748) stays above the
    // lower tier's maintenance margin and the fund pays nothing.
    assert.deepEqual(steps.map((event) => [event.closedLots, event.size, event.bookLots, event.penalty]), [[1_000, 1_000, 1_000, 686_220_000]]);
    assert.equal(harness.lastEvents("InsuranceFundUsed").length, 0);
    assert.deepEqual([harness.position(alice, "BTC-PERP")?.size, harness.position(alice, "BTC-PERP")?.margin], [1_000, 5_000_000_000]);
    // $1,900 cash − $45.748 taker fee + $748 released − $686.22 penalty (1.5 % of $45,748, ≤ the $748).
    assert.equal(harness.accountOf(alice).cash, 1_916_032_000);
    // The fund gains 40 % of the fill's net fee ($21.95904) and the whole penalty (no liquidator).
    assert.equal(harness.exchange.treasury.insuranceFund - fundBefore, 21_959_040 + 686_220_000);
    harness.tick(since + 2n * nanosecondsPerSecond);
    assert.equal(liquidated(harness).length, 0, "healthy after the step");
  });

  it("cross margin: the account is liquidated when its equity falls below its maintenance margin", () => {
    const harness = new ExchangeHarness();
    harness.list(btcSpec());
    harness.fund(alice, 512);
    harness.fund(bob, 100_000);
    harness.fund(carol, 1_000_000);
    harness.ok({ type: "setMarginMode", account: alice, market: "BTC-PERP", mode: "cross" });
    harness.ok({ type: "setLeverage", account: alice, market: "BTC-PERP", leverage: 20 });
    harness.placeOk(bob, limit("BTC-PERP", "sell", 50_000, 200));
    harness.placeOk(alice, limit("BTC-PERP", "buy", 50_000, 200));
    harness.placeOk(carol, limit("BTC-PERP", "buy", 47_700, 200));
    harness.indexPrice("BTC-PERP", 48_000);
    assert.equal(harness.exchange.liquidations.pending.size, 0);
    harness.indexPrice("BTC-PERP", 47_700);
    const since = harness.tick().command.time;
    assert.equal(harness.exchange.liquidations.pending.size, 1);
    harness.tick(since + nanosecondsPerSecond);
    const [event] = liquidated(harness);
    assert.deepEqual([event!.closedLots, event!.bookLots, event!.size], [200, 200, 0]);
    // 502 cash − 460 loss − 9.54 fee = 32.46 left: all of it is the penalty (1.5 % would be 143.10).
    assert.equal(event!.penalty, 32_460_000);
    assert.equal(harness.accountOf(alice).cash, 0);
  });

  it("replay and snapshot restore reproduce every state hash through liquidations and ADL", () => {
    const harness = opened(512);
    harness.placeOk(carol, limit("BTC-PERP", "buy", 45_000, 100));
    harness.ok({ type: "liquidationConfig", gracePeriodNs: 2n * nanosecondsPerSecond, priorityWindowNs: 200n * millisecond });
    harness.indexPrice("BTC-PERP", 47_400);
    const since = harness.tick().command.time;
    const middle = snapshotBytes(harness.exchange);
    const restored = restoreExchange(middle);
    assert.equal(exchangeStateHash(restored), harness.steps[harness.steps.length - 1]!.hash);
    harness.tick(since + nanosecondsPerSecond);
    assert.equal(liquidated(harness).length, 0, "the grace period is now 2 s");
    harness.tick(since + 2n * nanosecondsPerSecond);
    assert.equal(liquidated(harness).length, 1);
    // The restored exchange, given the same commands, reaches the same state.
    for (const step of harness.steps.slice(harness.steps.length - 2)) restored.apply(step.command);
    assert.equal(exchangeStateHash(restored), harness.steps[harness.steps.length - 1]!.hash);
    const replay = replayExchange(harness.log);
    assert.deepEqual(replay.hashes, harness.steps.map((step) => step.hash));
  });

  it("liquidations wait while a circuit breaker halts the market, and happen once it resumes", () => {
    const harness = new ExchangeHarness();
    harness.list(btcSpec({ circuitBreaker: prdCircuitBreaker }));
    harness.fund(alice, 512);
    harness.fund(bob, 100_000);
    harness.fund(dave, 1_000);
    harness.ok({ type: "setLeverage", account: alice, market: "BTC-PERP", leverage: 20 });
    harness.placeOk(bob, limit("BTC-PERP", "sell", 50_000, 200));
    harness.placeOk(alice, limit("BTC-PERP", "buy", 50_000, 200));
    const halted = harness.indexPrice("BTC-PERP", 47_000); // −6 %: past the 5-minute ±5 % window
    assert.equal(halted.events.filter((event) => event.type === "CircuitBreakerTriggered").length, 1);
    harness.rejected({ type: "liquidate", account: dave, trader: alice, market: "BTC-PERP" }, "LIQUIDATION_MARKET_HALTED", halted.command.time + nanosecondsPerSecond);
    harness.tick(halted.command.time + 2n * nanosecondsPerSecond);
    assert.equal(liquidated(harness).length, 0, "the grace period passed, but the market is halted");
    harness.tickThrough(halted.command.time + 301n * nanosecondsPerSecond, 10n * nanosecondsPerSecond);
    const liquidations = harness.steps.flatMap((step) => step.events.filter((event) => event.type === "PositionLiquidated"));
    assert.equal(liquidations.length, 1, "liquidated once the halt ended");
    assert.equal(harness.position(alice, "BTC-PERP"), undefined);
  });

  it("seeding checks its amount and reference", () => {
    const harness = new ExchangeHarness();
    harness.rejected({ type: "seedInsuranceFund", amount: 0n, reference: "0xseed" }, "AMOUNT_INVALID");
    harness.rejected({ type: "seedInsuranceFund", amount: 5n, reference: "" }, "DEPOSIT_INVALID");
    harness.rejected({ type: "liquidationConfig", gracePeriodNs: 1n, priorityWindowNs: 2n }, "SETTING_INVALID");
    harness.ok({ type: "seedInsuranceFund", amount: 5n, reference: "0xseed" });
    assert.equal(harness.exchange.treasury.insuranceFund, 5);
  });
});

describe("uncovered losses", () => {
  it("a loss charged to cash cancels the orders whose reservations cash no longer covers, newest first", () => {
    // alice: long 200 lots at $50,000, isolated 20x ($500 margin), cash $490 after the $10 taker fee.
    const harness = opened(1_000);
    // Two resting buys at the bottom of the price band reserve margin and maker fee from her cash.
    const older = harness.placeOk(alice, limit("BTC-PERP", "buy", 45_000, 50));
    const newer = harness.placeOk(alice, limit("BTC-PERP", "buy", 45_000, 100));
    const olderId = eventsOf(older.events, "OrderAccepted")[0]!.orderId;
    const newerId = eventsOf(newer.events, "OrderAccepted")[0]!.orderId;
    const account = harness.exchange.engine.accounts.find(alice)!;
    const reservedBefore = account.reserved;
    assert.ok(reservedBefore > 250_000_000, "the buys reserve about $300");
    // She sells her long into a bid 8 % under the mark: a $800 loss on $500 of margin. The fund holds
    // $4.80, so about $295 stays with her as a debt on cash, which then no longer covers both buys.
    harness.placeOk(carol, limit("BTC-PERP", "buy", 46_000, 200));
    harness.placeOk(alice, limit("BTC-PERP", "sell", 46_000, 200, { timeInForce: "IOC", reduceOnly: true }));
    const canceled = harness.lastEvents("OrderCanceled");
    // The newest goes first, and only as many as it takes: the older one is still covered.
    assert.deepEqual(canceled.map((event) => [event.orderId, event.reason, event.canceledBy]), [[newerId, "INSUFFICIENT_MARGIN", "system"]]);
    assert.ok(account.cash >= account.reserved, `cash ${account.cash} covers what the remaining buy reserves (${account.reserved})`);
    assert.notEqual(harness.exchange.engine.orderIndex.find(olderId), -1, "the older buy rests");
    assert.equal(harness.lastEvents("InsuranceFundUsed").length, 1);
  });
});
