// Proves corporate actions (design.md "Beyond the anchors"): a split n:m rescales positions, resting
// orders, the tick size and order-size limits atomically at its scheduled exchange time, and every
// account's view — equity, free collateral, margins, unrealised PnL, margin ratio, liquidation price — is
// identical to the µUSD before and after (prices keep their tick integers; a tick is worth m/n as much);
// orders that no longer fit the lot grid are canceled (OFF_GRID); a split that positions cannot follow
// fails and changes nothing. A cash dividend credits longs and debits shorts with one event per account,
// zero-sum exactly with the rounding remainder in the insurance fund. Schedules are admin commands,
// readable, cancelable, in the state hash and the snapshot. Every command runs through the ExchangeHarness.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { accountView, corporateActionSchedule, exchangeStateHash, restoreExchange, type AccountView } from "@perpdex/core";
import { ExchangeHarness, aaplSpec, account, btcSpec, epoch, eventsOf, limit, nanosecondsPerSecond, snapshotBytes } from "./exchange-harness.ts";

const alice = account("a");
const bob = account("b");
const carol = account("c");
const dave = account("d");
const traders = [alice, bob, carol, dave];
const second = (seconds: number): bigint => epoch + BigInt(seconds) * nanosecondsPerSecond;

/** AAPL at $200: Alice long 100 lots (1 share) at $199.90, Bob short 60, Carol short 40; Carol and Dave rest orders. */
function book(): ExchangeHarness {
  const harness = new ExchangeHarness();
  harness.list(aaplSpec());
  harness.list(btcSpec());
  for (const who of traders) harness.fund(who, 10_000);
  harness.placeOk(bob, limit("AAPL-PERP", "sell", 19_990, 60));
  harness.placeOk(carol, limit("AAPL-PERP", "sell", 19_990, 40));
  harness.placeOk(alice, limit("AAPL-PERP", "buy", 19_990, 100));
  harness.placeOk(carol, limit("AAPL-PERP", "buy", 19_900, 7));
  harness.placeOk(dave, limit("AAPL-PERP", "sell", 20_100, 6));
  harness.placeOk(dave, limit("AAPL-PERP", "buy", 19_800, 4));
  // The mid (19_900 + 20_100) / 2 is the index: the mark holds at 20_000 while time passes, so views taken
  // before the split and at its command compare at the same mark.
  harness.indexPrice("AAPL-PERP", 20_000);
  return harness;
}

/** Every account's view with position sizes taken out (they scale by design). */
function values(harness: ExchangeHarness): unknown[] {
  return traders.map((who) => {
    const view = accountView(harness.exchange, who) as AccountView;
    return { ...view, positions: view.positions.map((position) => ({ ...position, size: "scaled" })) };
  });
}

const sizes = (harness: ExchangeHarness): number[] => traders.map((who) => harness.position(who, "AAPL-PERP")?.size ?? 0);

function restingSizes(harness: ExchangeHarness): number[] {
  const market = harness.exchange.engine.markets[0]!;
  const pool = harness.exchange.engine.pool;
  const result: number[] = [];
  for (const side of [market.bids, market.asks]) {
    for (const level of side.levels) for (let slot = level.head; slot >= 0; slot = pool.next[slot]!) result.push(pool.remaining[slot]!);
  }
  return result;
}

describe("stock split", () => {
  it("2:1 — sizes double, the tick halves, no account's value changes", () => {
    const harness = book();
    const before = values(harness);
    const markBefore = harness.perpMarket("AAPL-PERP").markPrice;
    harness.ok({ type: "scheduleSplit", market: "AAPL-PERP", numerator: 2, denominator: 1, effectiveTime: second(100) });
    assert.deepEqual(corporateActionSchedule(harness.exchange).map((action) => [action.kind, action.numerator, action.denominator]), [["split", 2, 1]]);
    harness.tick(second(99));
    assert.deepEqual(sizes(harness), [100, -60, -40, 0]);
    const step = harness.tick(second(100));
    assert.deepEqual(eventsOf(step.events, "CorporateActionExecuted").map((event) => [event.kind, event.canceledOrders, event.tickSize]), [["split", 0, "0.005"]]);
    assert.deepEqual(sizes(harness), [200, -120, -80, 0]);
    assert.deepEqual(restingSizes(harness), [8, 14, 12]);
    const perpMarket = harness.perpMarket("AAPL-PERP");
    assert.deepEqual([perpMarket.spec.tickSize, perpMarket.spec.lotSize, perpMarket.quotePerTickLot, perpMarket.spec.maxOrderLots], ["0.005", "0.01", 50, 2_000_000]);
    // Prices keep their ticks ($200 is now $100), so every notional and every view is unchanged.
    assert.equal(perpMarket.markPrice, markBefore);
    assert.deepEqual(values(harness), before);
    assert.deepEqual(corporateActionSchedule(harness.exchange), []);
    // Trading goes on on the new grid: 1 lot is 0.01 new share at $0.005 ticks.
    harness.placeOk(dave, limit("AAPL-PERP", "sell", 20_150, 3));
  });

  it("5:2 — orders whose size is no longer a whole number of lots are canceled OFF_GRID", () => {
    const harness = book();
    const before = values(harness);
    harness.ok({ type: "scheduleSplit", market: "AAPL-PERP", numerator: 5, denominator: 2, effectiveTime: second(100) });
    const step = harness.tick(second(100));
    // Carol's 7 lots (17.5) fall off; Dave's 6 → 15 and 4 → 10 stay.
    assert.deepEqual(eventsOf(step.events, "OrderCanceled").map((event) => [event.account, event.reason, event.remaining]), [[carol, "OFF_GRID", 7]]);
    assert.deepEqual(sizes(harness), [250, -150, -100, 0]);
    assert.deepEqual(restingSizes(harness), [10, 15]);
    assert.deepEqual([harness.perpMarket("AAPL-PERP").spec.tickSize, harness.perpMarket("AAPL-PERP").quotePerTickLot], ["0.004", 40]);
    // Carol's value differs only by the order that is gone (its reservation returned to free collateral).
    const after = values(harness) as AccountView[];
    assert.deepEqual(after[0], before[0]);
    assert.deepEqual(after[1], before[1]);
    assert.deepEqual(after[3], before[3]);
    assert.equal((after[2] as AccountView).crossEquity, (before[2] as AccountView).crossEquity);
  });

  it("a split that a position cannot follow fails at its time and changes nothing", () => {
    const harness = book();
    harness.placeOk(dave, limit("AAPL-PERP", "sell", 19_900, 3));
    // Carol's bid filled 3 against Dave: positions 103 / −60 / −40 / −3 lots; 103 × 2 / 5 is not whole.
    harness.ok({ type: "scheduleSplit", market: "AAPL-PERP", numerator: 2, denominator: 5, effectiveTime: second(100) });
    const before = exchangeStateHash(harness.exchange);
    const beforeSizes = sizes(harness);
    const step = harness.tick(second(100));
    assert.equal(eventsOf(step.events, "CorporateActionFailed").length, 1);
    assert.deepEqual(sizes(harness), beforeSizes);
    assert.equal(harness.perpMarket("AAPL-PERP").spec.tickSize, "0.01");
    assert.notEqual(exchangeStateHash(harness.exchange), before, "only the schedule changed");
    assert.deepEqual(corporateActionSchedule(harness.exchange), []);
  });

  it("scheduling is checked; the schedule is readable and cancelable; a restored exchange keeps it", () => {
    const harness = book();
    const invalid = [
      { type: "scheduleSplit", market: "BTC-PERP", numerator: 2, denominator: 1, effectiveTime: second(100) },
      { type: "scheduleSplit", market: "AAPL-PERP", numerator: 2, denominator: 1, effectiveTime: harness.time },
      { type: "scheduleSplit", market: "AAPL-PERP", numerator: 3, denominator: 1, effectiveTime: second(100) },
      { type: "scheduleSplit", market: "AAPL-PERP", numerator: 2, denominator: 2, effectiveTime: second(100) },
      { type: "scheduleDividend", market: "AAPL-PERP", amountPerShare: 0, effectiveTime: second(100) },
    ] as const;
    for (const command of invalid) harness.rejected(command, "CORPORATE_ACTION_INVALID");
    harness.rejected({ type: "cancelCorporateAction", id: 1 }, "CORPORATE_ACTION_NOT_FOUND");
    const split = harness.ok({ type: "scheduleSplit", market: "AAPL-PERP", numerator: 4, denominator: 1, effectiveTime: second(300) });
    harness.ok({ type: "scheduleDividend", market: "AAPL-PERP", amountPerShare: 240_000, effectiveTime: second(200) });
    assert.deepEqual(corporateActionSchedule(harness.exchange, "AAPL-PERP").map((action) => action.kind), ["dividend", "split"]);
    const restored = restoreExchange(snapshotBytes(harness.exchange));
    assert.equal(exchangeStateHash(restored), exchangeStateHash(harness.exchange));
    harness.ok({ type: "cancelCorporateAction", id: split.command.sequence });
    assert.deepEqual(corporateActionSchedule(harness.exchange).map((action) => action.kind), ["dividend"]);
  });

  it("a split market survives a snapshot: restored hash equal, quotePerTickLot from the new tick", () => {
    const harness = book();
    harness.ok({ type: "scheduleSplit", market: "AAPL-PERP", numerator: 10, denominator: 1, effectiveTime: second(100) });
    harness.tick(second(100));
    const restored = restoreExchange(snapshotBytes(harness.exchange));
    assert.equal(exchangeStateHash(restored), exchangeStateHash(harness.exchange));
    assert.deepEqual([restored.perpMarkets[0]!.spec.tickSize, restored.perpMarkets[0]!.quotePerTickLot], ["0.001", 10]);
  });
});

describe("cash dividend", () => {
  it("longs credited, shorts debited, one event per account, zero-sum with the remainder to the fund", () => {
    const harness = book();
    // $0.333333 a share; a lot is 0.01 share: 3_333.33 µUSD a lot.
    harness.ok({ type: "scheduleDividend", market: "AAPL-PERP", amountPerShare: 333_333, effectiveTime: second(100) });
    const fundBefore = harness.exchange.treasury.insuranceFund;
    const marginsBefore = traders.map((who) => harness.position(who, "AAPL-PERP")?.margin ?? 0);
    const step = harness.tick(second(100));
    const paid = eventsOf(step.events, "DividendPaid").map((event) => [event.account, event.size, event.amount]);
    // Alice: ⌊100 × 3_333.33⌋ = 333_333; Bob: ⌈60 × 3_333.33⌉ = 200_000; Carol: ⌈40 × 3_333.33⌉ = 133_334.
    assert.deepEqual(paid, [
      [alice, 100, 333_333],
      [bob, -60, -200_000],
      [carol, -40, -133_334],
    ]);
    const fundDelta = harness.exchange.treasury.insuranceFund - fundBefore;
    assert.equal(fundDelta, 1);
    assert.equal(paid.reduce((total, [, , amount]) => total + (amount as number), 0) + fundDelta, 0, "zero-sum");
    // Isolated positions take it in their margin.
    const marginsAfter = traders.map((who) => harness.position(who, "AAPL-PERP")?.margin ?? 0);
    assert.deepEqual(marginsAfter.map((margin, index) => margin - marginsBefore[index]!), [333_333, -200_000, -133_334, 0]);
  });

  it("a cross position takes it in cash", () => {
    const harness = new ExchangeHarness();
    harness.list(aaplSpec());
    for (const who of [alice, bob]) {
      harness.fund(who, 10_000);
      harness.ok({ type: "setMarginMode", account: who, market: "AAPL-PERP", mode: "cross" });
    }
    harness.placeOk(bob, limit("AAPL-PERP", "sell", 20_000, 250));
    harness.placeOk(alice, limit("AAPL-PERP", "buy", 20_000, 250));
    harness.ok({ type: "scheduleDividend", market: "AAPL-PERP", amountPerShare: 240_000, effectiveTime: second(100) });
    const cash = [alice, bob].map((who) => harness.accountOf(who).cash);
    harness.tick(second(100));
    // 2.5 shares × $0.24 = $0.60, exact: nothing left for the fund.
    assert.deepEqual([alice, bob].map((who, index) => harness.accountOf(who).cash - cash[index]!), [600_000, -600_000]);
  });
});
