// Proves the circuit breakers (PRD §2.7.2) on exchange time: each window (5 minutes ±5 %, 1 hour ±10 %,
// daily ±20 % from the mark at the last UTC midnight) trips strictly past its band and not at it; a trip
// cancels the market's orders and refuses every order for 5 minutes, then restricted mode (post-only, at
// most half the leverage) for 5 minutes, then normal trading, each transition at the first command at or
// after its time with its event; the references restart at the resume; a market without breaker
// parameters never trips by itself; an admin trip works like a breach; and the state survives a snapshot
// and a replay. The book holds only bids (or nothing), so the mark equals the index exactly.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { exchangeStateHash, prdCircuitBreaker, restoreExchange, type CircuitBreakerParams, type TimeNs } from "@perpdex/core";
import {
  ExchangeHarness,
  account,
  btcSpec,
  epoch,
  limit,
  nanosecondsPerHour,
  nanosecondsPerMinute,
  nanosecondsPerSecond,
  replayExchange,
  snapshotBytes,
} from "./exchange-harness.ts";

const market = "BTC-PERP";
const [alice, bob] = ["a", "b"].map(account) as [string, string];
const at = (minutes: number, seconds = 0): TimeNs => epoch + BigInt(minutes) * nanosecondsPerMinute + BigInt(seconds) * nanosecondsPerSecond;

function harnessWith(circuitBreaker: CircuitBreakerParams | undefined, start: TimeNs = epoch): ExchangeHarness {
  const harness = new ExchangeHarness({ start });
  harness.list(circuitBreaker === undefined ? btcSpec() : btcSpec({ circuitBreaker }));
  harness.fund(alice, 100_000);
  harness.fund(bob, 100_000);
  return harness;
}

function triggered(harness: ExchangeHarness): { window: string; referencePrice: number; markPrice: number } | undefined {
  return harness.lastEvents("CircuitBreakerTriggered")[0];
}

describe("circuit breaker: the 5-minute window", () => {
  it("trips one tick past +5 % of the mark 5 minutes ago, halts 5 minutes, restricts 5 more, then clears", () => {
    const harness = harnessWith(prdCircuitBreaker);
    const index = harness.perpMarket(market).index;
    harness.placeOk(alice, limit(market, "buy", 49_000, 10));
    harness.placeOk(bob, limit(market, "buy", 48_000, 5));
    harness.indexPrice(market, 52_500, at(6));
    assert.equal(harness.perpMarket(market).markPrice, 52_500);
    assert.equal(triggered(harness), undefined, "exactly +5 % trades on");
    const trip = at(6, 1);
    harness.indexPrice(market, 52_501, trip);
    assert.deepEqual(harness.lastEvents("CircuitBreakerTriggered").map(({ window, referencePrice, markPrice, haltedUntil, restrictedUntil }) => ({ window, referencePrice, markPrice, haltedUntil, restrictedUntil })), [
      { window: "5m", referencePrice: 50_000, markPrice: 52_501, haltedUntil: trip + 300n * nanosecondsPerSecond, restrictedUntil: trip + 600n * nanosecondsPerSecond },
    ]);
    assert.deepEqual(harness.lastEvents("OrderCanceled").map((event) => [event.account, event.reason, event.remaining]), [
      [alice, "CIRCUIT_BREAKER", 10],
      [bob, "CIRCUIT_BREAKER", 5],
    ]);
    assert.equal(harness.exchange.breakers.isHalted(index), true);
    // Halted: every order is refused, reduce-only too; time passes.
    harness.rejected({ type: "placeOrder", account: alice, order: limit(market, "buy", 52_000, 1) }, "MARKET_HALTED");
    harness.rejected({ type: "placeOrder", account: alice, order: limit(market, "sell", 53_000, 1, { reduceOnly: true }) }, "MARKET_HALTED");
    const lastHalted = trip + 300n * nanosecondsPerSecond - 1n;
    harness.rejected({ type: "placeOrder", account: alice, order: limit(market, "buy", 52_000, 1, { postOnly: true }) }, "MARKET_HALTED", lastHalted);
    // The halt ends: restricted mode, at most 50x (half of 100x), post-only.
    harness.tick(trip + 300n * nanosecondsPerSecond);
    assert.deepEqual(harness.lastEvents("CircuitBreakerResumed").map(({ leverageMax, markPrice, restrictedUntil }) => ({ leverageMax, markPrice, restrictedUntil })), [
      { leverageMax: 50, markPrice: 52_501, restrictedUntil: trip + 600n * nanosecondsPerSecond },
    ]);
    assert.equal(harness.exchange.breakers.isHalted(index), false);
    const taker = harness.rejected({ type: "placeOrder", account: alice, order: limit(market, "buy", 52_000, 1) }, "MARKET_RESTRICTED");
    assert.match(taker.message, /must be post-only/);
    harness.placeOk(alice, limit(market, "buy", 52_000, 1, { postOnly: true }));
    harness.ok({ type: "setLeverage", account: bob, market, leverage: 51 });
    const leverage = harness.rejected({ type: "placeOrder", account: bob, order: limit(market, "buy", 52_000, 1, { postOnly: true }) }, "MARKET_RESTRICTED");
    assert.equal(leverage.details?.leverageMax, "50");
    harness.tick(trip + 600n * nanosecondsPerSecond - 1n);
    assert.equal(harness.lastEvents("CircuitBreakerCleared").length, 0);
    harness.tick(trip + 600n * nanosecondsPerSecond);
    assert.equal(harness.lastEvents("CircuitBreakerCleared").length, 1);
    harness.placeOk(bob, limit(market, "buy", 52_000, 1));
    // The references restarted at 52,501: +4.7 % from there is fine.
    harness.indexPrice(market, 55_000);
    assert.equal(triggered(harness), undefined);
  });

  it("trips one tick past −5 % as well", () => {
    const harness = harnessWith(prdCircuitBreaker);
    harness.indexPrice(market, 47_500, at(5));
    assert.equal(triggered(harness), undefined);
    harness.indexPrice(market, 47_499, at(5, 30));
    assert.equal(triggered(harness)?.window, "5m");
  });

  it("compares with the mark sampled 5 minutes before the current minute, not the listing price", () => {
    const harness = harnessWith(prdCircuitBreaker);
    // +4 % now, then +4 % more 6 minutes later: each step is within 5 % of the mark 5 minutes before it.
    harness.indexPrice(market, 52_000, at(1));
    harness.indexPrice(market, 54_080, at(7));
    assert.equal(triggered(harness), undefined);
    // At minute 7 the 5-minute reference is minute 2's sample (52,000): 54,601 is 5.002 % above it.
    harness.indexPrice(market, 54_601, at(7, 30));
    assert.deepEqual(triggered(harness) && [triggered(harness)!.window, triggered(harness)!.referencePrice], ["5m", 52_000]);
  });
});

describe("circuit breaker: the 1-hour window", () => {
  it("trips one tick past +10 % of the mark an hour ago while every 5-minute step stays inside 5 %", () => {
    const harness = harnessWith(prdCircuitBreaker);
    for (const [minute, price] of [[6, 52_000], [12, 54_000], [18, 55_000]] as const) {
      harness.indexPrice(market, price, at(minute));
      assert.equal(triggered(harness), undefined, `minute ${minute}`);
    }
    harness.indexPrice(market, 55_001, at(24));
    assert.deepEqual(triggered(harness) && [triggered(harness)!.window, triggered(harness)!.referencePrice], ["1h", 50_000]);
  });
});

describe("circuit breaker: the daily window", () => {
  const dailyOnly: CircuitBreakerParams = { ...prdCircuitBreaker, shortBandPpm: 0, hourBandPpm: 0 };

  it("measures from the mark at the last UTC midnight: 20 % from there trades, one tick more trips", () => {
    const harness = harnessWith(dailyOnly, epoch - 2n * nanosecondsPerHour);
    harness.indexPrice(market, 55_000, epoch - nanosecondsPerHour);
    assert.equal(triggered(harness), undefined);
    harness.tick(epoch + 1n);
    // 61,000 is 22 % above the listing price but 10.9 % above the close at midnight (55,000).
    harness.indexPrice(market, 61_000, epoch + nanosecondsPerMinute);
    harness.indexPrice(market, 66_000, epoch + 2n * nanosecondsPerMinute);
    assert.equal(triggered(harness), undefined);
    harness.indexPrice(market, 66_001, epoch + 3n * nanosecondsPerMinute);
    assert.deepEqual(triggered(harness) && [triggered(harness)!.window, triggered(harness)!.referencePrice], ["daily", 55_000]);
  });

  it("before its first midnight a market measures from its listing mark", () => {
    const harness = harnessWith(dailyOnly);
    harness.indexPrice(market, 40_000, at(30));
    assert.equal(triggered(harness), undefined);
    harness.indexPrice(market, 39_999, at(31));
    assert.equal(triggered(harness)?.window, "daily");
  });
});

describe("circuit breaker: parameters and manual trips", () => {
  it("a market listed without breaker parameters never trips by itself", () => {
    const harness = harnessWith(undefined);
    harness.indexPrice(market, 65_000, at(1));
    harness.indexPrice(market, 35_000, at(2));
    assert.equal(harness.steps.flatMap((step) => step.events).filter((event) => event.type === "CircuitBreakerTriggered").length, 0);
    assert.equal(harness.perpMarket(market).spec.circuitBreaker?.shortBandPpm, 0);
  });

  it("an admin trip halts like a breach, with its reason; a second one is refused while halted", () => {
    const harness = harnessWith(undefined);
    harness.placeOk(alice, limit(market, "buy", 49_000, 10));
    harness.ok({ type: "tripCircuitBreaker", market, reason: "oracle gap at the open" });
    assert.deepEqual(harness.lastEvents("CircuitBreakerTriggered").map(({ window, reason, referencePrice }) => ({ window, reason, referencePrice })), [
      { window: "external", reason: "oracle gap at the open", referencePrice: 0 },
    ]);
    assert.equal(harness.lastEvents("OrderCanceled").length, 1);
    harness.rejected({ type: "tripCircuitBreaker", market, reason: "again" }, "MARKET_HALTED");
    harness.rejected({ type: "tripCircuitBreaker", market: "NOPE-PERP", reason: "x" }, "MARKET_NOT_FOUND");
  });

  it("refuses invalid breaker parameters at listing", () => {
    const harness = new ExchangeHarness();
    const bad: CircuitBreakerParams[] = [
      { ...prdCircuitBreaker, shortBandPpm: -1 },
      { ...prdCircuitBreaker, haltSeconds: 86_401 },
      { ...prdCircuitBreaker, restrictedLeverageMax: 101 },
    ];
    for (const circuitBreaker of bad) harness.rejected({ type: "createMarket", market: btcSpec({ circuitBreaker }) }, "MARKET_PARAMS_INVALID");
  });

  it("a snapshot taken during a halt restores the same state and continues exactly as the original", () => {
    const harness = harnessWith(prdCircuitBreaker);
    harness.placeOk(alice, limit(market, "buy", 49_000, 10));
    harness.indexPrice(market, 53_000, at(6));
    assert.equal(triggered(harness)?.window, "5m");
    const cut = harness.log.length;
    const restored = restoreExchange(snapshotBytes(harness.exchange));
    assert.equal(exchangeStateHash(restored), exchangeStateHash(harness.exchange));
    harness.tick(at(11));
    harness.tick(at(16));
    harness.placeOk(alice, limit(market, "buy", 52_000, 1));
    harness.indexPrice(market, 60_000, at(17));
    for (const command of harness.log.slice(cut)) {
      restored.apply(command);
      assert.equal(exchangeStateHash(restored), harness.steps[command.sequence - 1]!.hash, `after command ${command.sequence}`);
    }
    const replayed = replayExchange(harness.log);
    assert.deepEqual(replayed.hashes, harness.steps.map((step) => step.hash));
  });
});
