// Proves the admin controls of a market (PRD §2.7.3, SPEC 17): a parameter change applies at once and
// cancels exactly the resting orders that fall off a new price or size grid (reduce-only orders keep any
// size, so they can always close a position opened on the old grid); pausing new positions refuses only
// orders that could open or increase one; pausing a market refuses every order but cancels; resuming
// restores trading; a force settlement closes every position at the index price, pairwise and zero-sum,
// cancels the market's orders and leaves it paused; each is an ordinary command with an event, and replay
// and snapshots reproduce it. A property test then mixes breaker trips and admin commands into random
// streams of orders and price moves, with every harness invariant checked after every command.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { exchangeStateHash, prdCircuitBreaker, prdRiskLimits, restoreExchange, type ExchangeEvent, type MarketParamsChange, type RiskLimits } from "@perpdex/core";
import {
  ExchangeHarness,
  account,
  btcSpec,
  epoch,
  eventsOf,
  jsonBigint,
  limit,
  marketOrder,
  nanosecondsPerMinute,
  replayExchange,
  snapshotBytes,
  usd,
  type ExchangeInput,
} from "./exchange-harness.ts";

const market = "BTC-PERP";
const [alice, bob, carol, dave] = ["a", "b", "c", "d"].map(account) as [string, string, string, string];

function harnessWith(traders: readonly string[] = [alice, bob, carol, dave]): ExchangeHarness {
  const harness = new ExchangeHarness();
  harness.list(btcSpec());
  for (const trader of traders) harness.fund(trader, 100_000);
  return harness;
}

/** `long` rests a buy of `lots` at `price` and `short` sells into it (IOC). */
function trade(harness: ExchangeHarness, long: string, short: string, price: number, lots: number): void {
  harness.placeOk(long, limit(market, "buy", price, lots));
  harness.placeOk(short, limit(market, "sell", price, lots, { timeInForce: "IOC" }));
  assert.equal(harness.lastEvents("TradeExecuted").reduce((total, event) => total + event.size, 0), lots);
}

function checkReplayAndSnapshot(harness: ExchangeHarness): void {
  const replayed = replayExchange(harness.log);
  assert.deepEqual(replayed.hashes, harness.steps.map((step) => step.hash), "replay reproduces every state hash");
  assert.equal(exchangeStateHash(restoreExchange(snapshotBytes(harness.exchange))), harness.steps.at(-1)!.hash, "a snapshot restores the state");
}

describe("admin: market parameters", () => {
  it("coarsens the grid and cancels exactly the resting orders off it, reduce-only sizes excepted", () => {
    const harness = harnessWith();
    trade(harness, bob, carol, 50_000, 3);
    harness.placeOk(alice, limit(market, "buy", 49_995, 10));
    harness.placeOk(alice, limit(market, "buy", 49_997, 10)); // off the price grid
    harness.placeOk(alice, limit(market, "sell", 50_010, 12)); // off the size grid
    harness.placeOk(alice, limit(market, "sell", 50_020, 15));
    harness.placeOk(bob, limit(market, "sell", 50_030, 3, { reduceOnly: true })); // 3 lots, reduce-only: kept
    harness.ok({ type: "setMarketParams", market, params: { priceIncrementTicks: 5, sizeIncrementLots: 5 }, reason: "coarser grid" });
    assert.deepEqual(harness.lastEvents("OrderCanceled").map((event) => [event.account, event.reason, event.remaining]), [
      [alice, "OFF_GRID", 10],
      [alice, "OFF_GRID", 12],
    ]);
    const [changed] = harness.lastEvents("MarketParamsChanged");
    assert.deepEqual(changed && [changed.priceIncrementTicks, changed.sizeIncrementLots, changed.ordersCanceled, changed.reason], [5, 5, 2, "coarser grid"]);
    const offPrice = harness.rejected({ type: "placeOrder", account: dave, order: limit(market, "buy", 49_996, 5) }, "PRICE_OFF_GRID");
    assert.match(offPrice.message, /multiples of 5 ticks; the nearest valid prices are 49995 and 50000/);
    harness.rejected({ type: "placeOrder", account: dave, order: limit(market, "buy", 49_995, 7) }, "SIZE_OFF_GRID");
    harness.placeOk(dave, limit(market, "buy", 49_995, 10));
    // Market orders have no price of their own; carol (short 3) closes 3 lots with a reduce-only order.
    harness.placeOk(carol, marketOrder(market, "buy", 3, { reduceOnly: true }));
    assert.equal(harness.position(carol, market), undefined);
    checkReplayAndSnapshot(harness);
  });

  it("changes leverage caps and the tier profile; positions above a new cap keep it but cannot grow", () => {
    const harness = harnessWith();
    harness.ok({ type: "setLeverage", account: alice, market, leverage: 50 });
    trade(harness, alice, bob, 50_000, 10);
    harness.ok({ type: "setMarketParams", market, params: { marginProfile: "spec", leverageMax: 20, leverageDefault: 5 }, reason: "volatility" });
    const spec = harness.perpMarket(market).spec;
    assert.deepEqual([spec.marginProfile, spec.leverageMax, spec.leverageDefault], ["spec", 20, 5]);
    assert.equal(harness.position(alice, market)?.leverage, 50, "grandfathered (SPEC 17 §4.3)");
    harness.rejected({ type: "placeOrder", account: alice, order: limit(market, "buy", 49_900, 1) }, "LEVERAGE_EXCEEDS_TIER");
    harness.placeOk(alice, limit(market, "sell", 50_100, 5, { reduceOnly: true }));
    harness.ok({ type: "setLeverage", account: alice, market, leverage: 20 });
    harness.placeOk(alice, limit(market, "buy", 49_900, 1));
    // A new account starts at the new default.
    harness.placeOk(carol, limit(market, "buy", 49_900, 1));
    assert.equal(harness.position(carol, market)?.leverage, 5);
    checkReplayAndSnapshot(harness);
  });

  it("changes risk limits and breaker bands, which apply to the next order and the next mark", () => {
    const harness = harnessWith();
    const riskLimits: RiskLimits = { ...prdRiskLimits, orderNotionalMax: usd(1_000) }; // 20 lots at $50
    harness.ok({ type: "setMarketParams", market, params: { riskLimits, circuitBreaker: prdCircuitBreaker }, reason: "launch limits" });
    harness.rejected({ type: "placeOrder", account: alice, order: limit(market, "buy", 50_000, 21) }, "RISK_ORDER_NOTIONAL");
    harness.placeOk(alice, limit(market, "buy", 50_000, 20));
    harness.indexPrice(market, 52_501, epoch + 6n * nanosecondsPerMinute);
    assert.equal(harness.lastEvents("CircuitBreakerTriggered")[0]?.window, "5m");
    checkReplayAndSnapshot(harness);
  });

  const invalid: readonly [string, Record<string, unknown>, string][] = [
    ["a default above the cap", { leverageDefault: 150 }, "leverageDefault must be 1 to 100"],
    ["a cap above the asset class's", { leverageMax: 101 }, "leverageMax must be 1 to 100"],
    ["an unknown profile", { marginProfile: "wild" }, "marginProfile"],
    ["a zero price increment", { priceIncrementTicks: 0 }, "priceIncrementTicks"],
    ["a fractional size increment", { sizeIncrementLots: 2.5 }, "sizeIncrementLots"],
    ["an unknown parameter", { tickSize: "0.5" }, "unknown parameter tickSize"],
    ["nothing", {}, "at least one"],
  ];
  for (const [name, params, message] of invalid) {
    it(`refuses ${name}, changing nothing`, () => {
      const harness = harnessWith([alice]);
      const rejection = harness.rejected({ type: "setMarketParams", market, params: params as MarketParamsChange, reason: "x" }, "MARKET_PARAMS_INVALID");
      assert.ok(rejection.message.includes(message), rejection.message);
    });
  }

  it("refuses a missing reason and an unknown market", () => {
    const harness = harnessWith([alice]);
    harness.rejected({ type: "setMarketParams", market, params: { leverageMax: 10 }, reason: "" }, "SETTING_INVALID");
    harness.rejected({ type: "setMarketStatus", market: "NOPE-PERP", status: "paused", reason: "x" }, "MARKET_NOT_FOUND");
  });
});

describe("admin: market fees", () => {
  it("a market's own rates replace the volume tier there, an account override still wins, null restores the tier", () => {
    const harness = harnessWith();
    harness.ok({ type: "setMarketFees", market, rates: { makerPpm: 0, takerPpm: 500 }, reason: "launch promotion" });
    assert.deepEqual(harness.lastEvents("MarketFeesChanged").map(({ makerPpm, takerPpm, reason }) => [makerPpm, takerPpm, reason]), [[0, 500, "launch promotion"]]);
    // 10 lots × $50 = $500 of notional: maker 0, taker 0.05 % = $0.25 (the tier would charge $0.10 and $0.50).
    trade(harness, alice, bob, 50_000, 10);
    const fees = (): [number, number] => {
      const [settled] = harness.lastEvents("TradeSettled");
      return [settled!.makerFee, settled!.takerFee];
    };
    assert.deepEqual(fees(), [0, 250_000]);
    harness.ok({ type: "feeOverride", account: carol, rates: { makerPpm: -100, takerPpm: 400 } });
    trade(harness, dave, carol, 50_000, 10);
    assert.deepEqual(fees(), [0, 200_000], "carol's override (0.04 %) beats the market's rate");
    harness.ok({ type: "setMarketFees", market, rates: null, reason: "promotion over" });
    assert.deepEqual(harness.lastEvents("MarketFeesChanged").map(({ makerPpm, takerPpm }) => [makerPpm, takerPpm]), [[null, null]]);
    trade(harness, alice, bob, 50_000, 10);
    assert.deepEqual(fees(), [100_000, 500_000], "tier 1 again: 0.02 % and 0.10 %");
    checkReplayAndSnapshot(harness);
  });

  for (const [name, rates] of [
    ["a taker rate above 2 %", { makerPpm: 0, takerPpm: 20_001 }],
    ["a maker rate above what orders reserve", { makerPpm: 201, takerPpm: 1_000 }],
    ["a rebate larger than the schedule's smallest taker rate", { makerPpm: -300, takerPpm: 1_000 }],
    ["a fractional rate", { makerPpm: 0.5, takerPpm: 1_000 }],
  ] as const) {
    it(`refuses ${name}`, () => {
      const harness = harnessWith([alice]);
      harness.rejected({ type: "setMarketFees", market, rates, reason: "x" }, "FEE_INVALID");
    });
  }
});

describe("admin: pausing and resuming", () => {
  it("pausing new positions refuses orders that could open or grow one and admits every order that reduces", () => {
    const harness = harnessWith();
    trade(harness, alice, bob, 50_000, 10);
    harness.ok({ type: "setMarketStatus", market, status: "reduceOnly", reason: "delisting soon" });
    assert.deepEqual(harness.lastEvents("MarketStatusChanged").map(({ status, previous, reason }) => [status, previous, reason]), [["reduceOnly", "active", "delisting soon"]]);
    const opening = harness.rejected({ type: "placeOrder", account: carol, order: limit(market, "buy", 49_900, 1) }, "MARKET_REDUCE_ONLY");
    assert.match(opening.message, /only orders that reduce a position are accepted/);
    harness.rejected({ type: "placeOrder", account: alice, order: limit(market, "buy", 49_900, 1) }, "MARKET_REDUCE_ONLY");
    harness.rejected({ type: "placeOrder", account: alice, order: limit(market, "sell", 50_100, 11) }, "MARKET_REDUCE_ONLY");
    harness.placeOk(alice, limit(market, "sell", 50_100, 6));
    harness.placeOk(bob, limit(market, "buy", 50_100, 6, { reduceOnly: true }));
    assert.deepEqual([harness.position(alice, market)?.size, harness.position(bob, market)?.size], [4, -4]);
    harness.rejected({ type: "setMarketStatus", market, status: "reduceOnly", reason: "again" }, "SETTING_INVALID");
    harness.ok({ type: "setMarketStatus", market, status: "active", reason: "resume" });
    harness.placeOk(carol, limit(market, "buy", 49_900, 1));
    checkReplayAndSnapshot(harness);
  });

  it("pausing a market refuses every order, reduce-only too, accepts cancels, and holds liquidations", () => {
    const harness = harnessWith();
    trade(harness, alice, bob, 50_000, 10);
    harness.placeOk(carol, limit(market, "buy", 49_900, 1));
    harness.ok({ type: "setMarketStatus", market, status: "paused", reason: "oracle failure" });
    const index = harness.perpMarket(market).index;
    assert.equal(harness.exchange.breakers.isHalted(index), true);
    harness.rejected({ type: "placeOrder", account: alice, order: limit(market, "sell", 50_100, 1, { reduceOnly: true }) }, "MARKET_PAUSED");
    harness.rejected({ type: "placeOrder", account: dave, order: limit(market, "buy", 49_900, 1) }, "MARKET_PAUSED");
    harness.ok({ type: "cancelAll", account: carol, market });
    harness.ok({ type: "setMarketStatus", market, status: "active", reason: "oracle back" });
    assert.equal(harness.exchange.breakers.isHalted(index), false);
    harness.placeOk(alice, limit(market, "sell", 50_100, 1, { reduceOnly: true }));
    checkReplayAndSnapshot(harness);
  });

  it("suspending an account (accountStatus) stops its orders but not the market", () => {
    const harness = harnessWith();
    harness.ok({ type: "accountStatus", account: alice, status: "suspended" });
    harness.rejected({ type: "placeOrder", account: alice, order: limit(market, "buy", 49_900, 1) }, "ACCOUNT_NOT_ACTIVE");
    harness.placeOk(bob, limit(market, "buy", 49_900, 1));
  });
});

describe("admin: force settlement (PRD §2.7.3)", () => {
  it("closes every position at the index price, zero-sum to the µUSD, cancels the orders and pauses the market", () => {
    const harness = harnessWith();
    trade(harness, alice, bob, 50_000, 10);
    trade(harness, carol, dave, 50_200, 4);
    harness.placeOk(alice, limit(market, "buy", 49_000, 2));
    harness.indexPrice(market, 51_000);
    const fundBefore = harness.exchange.treasury.insuranceFund;
    const treasuryBefore = harness.exchange.treasury.feeTreasury;
    const heldBefore = new Map([alice, bob, carol, dave].map((trader) => [trader, held(harness, trader)]));
    harness.ok({ type: "forceSettle", market, reason: "delisting" });
    const closed = harness.lastEvents("PositionClosed");
    // Realised at 51,000 × $0.001 a tick-lot: alice +10 × $1, bob −$10, carol +4 × $0.80, dave −$3.20.
    assert.deepEqual(closed.map((event) => [event.account, event.realizedPnl, event.fee, event.tradeIndex]), [
      [alice, 10_000_000, 0, -1],
      [bob, -10_000_000, 0, -1],
      [carol, 3_200_000, 0, -1],
      [dave, -3_200_000, 0, -1],
    ]);
    assert.equal(closed.reduce((total, event) => total + event.realizedPnl, 0), 0, "zero-sum");
    for (const [trader, before] of heldBefore) {
      const realized = closed.find((event) => event.account === trader)!.realizedPnl;
      assert.equal(held(harness, trader), before + realized, `${trader}: cash + margin moved by exactly the realised PnL`);
    }
    assert.equal(harness.exchange.treasury.insuranceFund, fundBefore);
    assert.equal(harness.exchange.treasury.feeTreasury, treasuryBefore);
    const [settled] = harness.lastEvents("MarketForceSettled");
    assert.deepEqual(settled && [settled.price, settled.positionsClosed, settled.openInterestLots, settled.ordersCanceled], [51_000, 4, 14, 1]);
    assert.deepEqual(harness.lastEvents("OrderCanceled").map((event) => event.reason), ["ADMIN_CANCEL"]);
    assert.equal(harness.perpMarket(market).longLots, 0);
    assert.equal(harness.exchange.marketAdmin.statusOf(harness.perpMarket(market).index), "paused");
    harness.rejected({ type: "placeOrder", account: alice, order: limit(market, "buy", 50_000, 1) }, "MARKET_PAUSED");
    harness.ok({ type: "setMarketStatus", market, status: "active", reason: "relisted" });
    trade(harness, alice, bob, 51_000, 1);
    checkReplayAndSnapshot(harness);
  });

  it("a market with no positions settles nothing and still pauses", () => {
    const harness = harnessWith([alice]);
    harness.ok({ type: "forceSettle", market, reason: "empty" });
    assert.deepEqual(harness.lastEvents("MarketForceSettled").map((event) => event.positionsClosed), [0]);
  });
});

/** An account's USDC cash plus the margin of its positions, µUSD. */
function held(harness: ExchangeHarness, trader: string): number {
  const found = harness.accountOf(trader);
  return found.cash + found.positions.reduce((total, position) => total + position.margin, 0);
}

// ---------------------------------------------------------------------------------------------------
// Random streams: orders and index moves mixed with breaker trips and every market admin command.

const traders = [alice, bob, carol, dave];
type Draft =
  | { readonly kind: "order"; readonly trader: number; readonly buy: boolean; readonly offsetBps: number; readonly lots: number; readonly style: number }
  | { readonly kind: "quote"; readonly trader: number; readonly spreadBps: number; readonly lots: number }
  | { readonly kind: "index"; readonly moveBps: number }
  | { readonly kind: "wait"; readonly minutes: number }
  | { readonly kind: "trip" }
  | { readonly kind: "status"; readonly status: number }
  | { readonly kind: "grid"; readonly price: number; readonly size: number }
  | { readonly kind: "limits"; readonly orderDollars: number; readonly concentrationPpm: number }
  | { readonly kind: "settle" }
  | { readonly kind: "fees"; readonly choice: number }
  | { readonly kind: "cancelAll"; readonly trader: number };

const draftArbitrary: fc.Arbitrary<Draft> = fc.oneof(
  // Offsets toward the other side of the book (positive: a buy above the mark), so most orders trade.
  { arbitrary: fc.record({ kind: fc.constant("order" as const), trader: fc.integer({ min: 0, max: 3 }), buy: fc.boolean(), offsetBps: fc.integer({ min: -30, max: 80 }), lots: fc.integer({ min: 1, max: 60 }), style: fc.integer({ min: 0, max: 3 }) }), weight: 16 },
  { arbitrary: fc.record({ kind: fc.constant("quote" as const), trader: fc.integer({ min: 0, max: 3 }), spreadBps: fc.integer({ min: 1, max: 40 }), lots: fc.integer({ min: 1, max: 60 }) }), weight: 8 },
  { arbitrary: fc.record({ kind: fc.constant("index" as const), moveBps: fc.integer({ min: -200, max: 200 }) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant("index" as const), moveBps: fc.integer({ min: -900, max: 900 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("wait" as const), minutes: fc.integer({ min: 1, max: 70 }) }), weight: 4 },
  { arbitrary: fc.constant({ kind: "trip" as const }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("status" as const), status: fc.integer({ min: 0, max: 3 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("grid" as const), price: fc.constantFrom(1, 2, 5, 10), size: fc.constantFrom(1, 2, 5) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("limits" as const), orderDollars: fc.integer({ min: 100, max: 5_000 }), concentrationPpm: fc.integer({ min: 100_000, max: 1_000_000 }) }), weight: 1 },
  { arbitrary: fc.constant({ kind: "settle" as const }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("fees" as const), choice: fc.integer({ min: 0, max: 3 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("cancelAll" as const), trader: fc.integer({ min: 0, max: 3 }) }), weight: 1 },
);

const statuses = ["active", "reduceOnly", "paused", "active"] as const;
const marketFeeChoices = [null, { makerPpm: 0, takerPpm: 500 }, { makerPpm: -200, takerPpm: 200 }, { makerPpm: 200, takerPpm: 2_000 }] as const;

/** The grid price at or below `price` (at least one increment). */
function onGrid(price: number, increment: number): number {
  return Math.max(increment, price - (price % increment));
}

function resolve(harness: ExchangeHarness, draft: Draft): ExchangeInput {
  const perpMarket = harness.perpMarket(market);
  const mark = perpMarket.markPrice;
  switch (draft.kind) {
    case "order": {
      const increment = perpMarket.spec.priceIncrementTicks!;
      const offset = Math.trunc((mark * draft.offsetBps) / 10_000);
      const price = onGrid(draft.buy ? mark + offset : mark - offset, increment);
      const size = draft.lots * perpMarket.spec.sizeIncrementLots!;
      const extra = [{}, { timeInForce: "IOC" as const }, { postOnly: true }, { reduceOnly: true }][draft.style]!;
      return { type: "placeOrder", account: traders[draft.trader]!, order: limit(market, draft.buy ? "buy" : "sell", price, size, extra) };
    }
    case "quote": {
      const increment = perpMarket.spec.priceIncrementTicks!;
      const half = Math.trunc((mark * draft.spreadBps) / 10_000);
      const size = draft.lots * perpMarket.spec.sizeIncrementLots!;
      return {
        type: "batch",
        account: traders[draft.trader]!,
        items: [
          { type: "placeOrder", order: limit(market, "buy", onGrid(mark - half, increment), size, { postOnly: true }) },
          { type: "placeOrder", order: limit(market, "sell", onGrid(mark + half + increment, increment), size, { postOnly: true }) },
        ],
      };
    }
    case "index":
      return { type: "indexPrice", market, price: Math.max(1, perpMarket.indexPrice + Math.trunc((perpMarket.indexPrice * draft.moveBps) / 10_000)) };
    case "wait":
      return { type: "tick" };
    case "trip":
      return { type: "tripCircuitBreaker", market, reason: "property" };
    case "status":
      return { type: "setMarketStatus", market, status: statuses[draft.status]!, reason: "property" };
    case "grid":
      return { type: "setMarketParams", market, params: { priceIncrementTicks: draft.price, sizeIncrementLots: draft.size }, reason: "property" };
    case "limits":
      return {
        type: "setMarketParams",
        market,
        params: { riskLimits: { ...prdRiskLimits, orderNotionalMax: usd(draft.orderDollars), concentrationPpm: draft.concentrationPpm, concentrationOpenInterestMin: usd(2_000) } },
        reason: "property",
      };
    case "settle":
      return { type: "forceSettle", market, reason: "property" };
    case "fees":
      return { type: "setMarketFees", market, rates: marketFeeChoices[draft.choice]!, reason: "property" };
    case "cancelAll":
      return { type: "cancelAll", account: traders[draft.trader]! };
  }
}

describe("admin and breakers: property", () => {
  it("random streams with trips, pauses, grid and limit changes and force settlements keep every invariant; replay and snapshots agree", () => {
    const seed = process.env.PERPDEX_SEED === undefined ? undefined : Number(process.env.PERPDEX_SEED);
    const runs = Number(process.env.PERPDEX_RUNS ?? 40);
    const seen = { trips: 0, resumes: 0, offGrid: 0, settled: 0, riskRejections: 0, trades: 0 };
    fc.assert(
      fc.property(fc.array(draftArbitrary, { minLength: 40, maxLength: 150 }), fc.integer({ min: 0, max: 1_000 }), (drafts, snapshotPerMille) => {
        const harness = new ExchangeHarness({ allowDebt: true });
        harness.list(btcSpec({ circuitBreaker: prdCircuitBreaker }));
        for (const trader of traders) harness.fund(trader, 50_000);
        const cut = harness.log.length + Math.floor((drafts.length * snapshotPerMille) / 1_000);
        let snapshot: Uint8Array | null = null;
        for (const draft of drafts) {
          if (harness.log.length === cut) snapshot = snapshotBytes(harness.exchange);
          const time = draft.kind === "wait" ? harness.time + BigInt(draft.minutes) * nanosecondsPerMinute : undefined;
          harness.apply(resolve(harness, draft), time);
        }
        const all: ExchangeEvent[] = harness.steps.flatMap((step) => step.events);
        seen.trips += eventsOf(all, "CircuitBreakerTriggered").length;
        seen.resumes += eventsOf(all, "CircuitBreakerResumed").length;
        seen.offGrid += eventsOf(all, "OrderCanceled").filter((event) => event.reason === "OFF_GRID").length;
        seen.settled += eventsOf(all, "MarketForceSettled").reduce((total, event) => total + event.positionsClosed, 0);
        seen.riskRejections += harness.steps.filter((step) => !step.result.ok && step.result.code.startsWith("RISK_")).length;
        seen.trades += eventsOf(all, "TradeExecuted").length;
        const replayed = replayExchange(harness.log);
        assert.deepEqual(replayed.hashes, harness.steps.map((step) => step.hash), "replay");
        if (snapshot !== null) {
          const restored = restoreExchange(snapshot);
          for (const command of harness.log.slice(cut)) {
            restored.apply(command);
            assert.equal(exchangeStateHash(restored), harness.steps[command.sequence - 1]!.hash, `restored, command ${command.sequence}: ${JSON.stringify(command, jsonBigint)}`);
          }
        }
      }),
      { numRuns: runs, ...(seed === undefined ? {} : { seed }) },
    );
    // The streams reach what they are meant to mix in (a generator change that stops them fails here).
    for (const [what, count] of Object.entries(seen)) assert.ok(count > 0, `no stream produced any ${what}`);
  });
});
