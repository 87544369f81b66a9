// Proves the NYSE calendar and the equity session regime (design.md "Beyond the anchors"): the table's
// opens are 09:30 and closes 16:00 (13:00 on early-close days) New York time on every trading day of
// 2024–2030, checked against the IANA zone database here (the core has none); DST changes, holidays and
// early closes are pinned; equity markets close and open at those instants, crypto markets never; off hours
// oracle aggregates do not move the index, the mark follows the book but stays within the band around the
// last close, and opening orders need more initial margin; at the open the first index re-anchors the mark,
// and a Monday gap beyond the band goes through the circuit breaker (halt, orders canceled) instead of a
// liquidation cascade. Every command runs through the ExchangeHarness (invariants, twin check).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { accountView, exchangeStateHash, nyseCalendarYears, nyseSessionAt, nyseSessionTable, nyseSessionsBetween, restoreExchange } from "@perpdex/core";
import { ExchangeHarness, aaplSpec, account, btcSpec, eventsOf, limit, nanosecondsPerSecond, snapshotBytes } from "./exchange-harness.ts";

const utc = (iso: string): bigint => BigInt(Date.parse(iso)) * 1_000_000n;
const signature = "0x" + "5".repeat(130);
const signerOf = (index: number): string => "0x" + (index + 1).toString(16).padStart(2, "0").repeat(20);

function newYork(minute: number): { date: string; time: string; weekday: string } {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: "America/New_York",
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    weekday: "short",
  }).formatToParts(new Date(minute * 60_000));
  const get = (type: string): string => parts.find((part) => part.type === type)!.value;
  return { date: `${get("year")}-${get("month")}-${get("day")}`, time: `${get("hour")}:${get("minute")}`, weekday: get("weekday") };
}

describe("NYSE calendar", () => {
  it("every session opens 09:30 and closes 16:00 or 13:00 New York time, on a weekday", () => {
    let early = 0;
    for (let index = 0; index < nyseSessionTable.length; index += 2) {
      const open = newYork(nyseSessionTable[index]!);
      const close = newYork(nyseSessionTable[index]! + nyseSessionTable[index + 1]!);
      assert.equal(open.time, "09:30", `session at ${open.date}`);
      assert.ok(close.time === "16:00" || close.time === "13:00", `close at ${close.date} ${close.time}`);
      assert.equal(close.date, open.date);
      assert.ok(!["Sat", "Sun"].includes(open.weekday), `${open.date} is a weekend`);
      if (close.time === "13:00") early += 1;
    }
    assert.deepEqual(nyseCalendarYears, { first: 2024, last: 2030 });
    // Early closes: 3 + 3 + 2 + 1 + 2 + 3 + 3 (2026 and 2028 lose July 3; 2027 loses July 3 and Christmas Eve).
    assert.equal(early, 17);
  });

  it("session counts per year", () => {
    const counts = [2024, 2025, 2026, 2027, 2028, 2029, 2030].map((year) => nyseSessionsBetween(utc(`${year}-01-01T00:00:00Z`), utc(`${year + 1}-01-01T00:00:00Z`)).length);
    assert.deepEqual(counts, [252, 250, 251, 251, 251, 251, 251]);
  });

  const pins: readonly { at: string; open: boolean; why: string }[] = [
    { at: "2024-01-02T14:30:00Z", open: true, why: "winter open is 14:30 UTC" },
    { at: "2024-01-02T14:29:59Z", open: false, why: "one second before the open" },
    { at: "2024-01-02T20:59:59Z", open: true, why: "last second of a winter session" },
    { at: "2024-01-02T21:00:00Z", open: false, why: "winter close is 21:00 UTC" },
    { at: "2024-03-08T14:30:00Z", open: true, why: "Friday before DST starts: still 14:30 UTC" },
    { at: "2024-03-11T13:30:00Z", open: true, why: "Monday after DST starts: 13:30 UTC" },
    { at: "2024-03-11T20:00:00Z", open: false, why: "summer close is 20:00 UTC" },
    { at: "2024-11-01T13:30:00Z", open: true, why: "Friday before DST ends: 13:30 UTC" },
    { at: "2024-11-04T13:30:00Z", open: false, why: "Monday after DST ends: not yet open at 13:30 UTC" },
    { at: "2024-11-04T14:30:00Z", open: true, why: "…but at 14:30 UTC" },
    { at: "2030-03-11T13:30:00Z", open: true, why: "DST 2030 (10 March)" },
    { at: "2030-03-08T13:30:00Z", open: false, why: "Friday before DST 2030" },
    { at: "2024-03-29T15:00:00Z", open: false, why: "Good Friday 2024" },
    { at: "2025-01-09T15:00:00Z", open: false, why: "National Day of Mourning 2025" },
    { at: "2026-07-03T15:00:00Z", open: false, why: "Independence Day observed on Friday 2026" },
    { at: "2027-06-18T15:00:00Z", open: false, why: "Juneteenth observed on Friday 2027" },
    { at: "2027-12-31T15:00:00Z", open: true, why: "New Year 2028 falls on a Saturday: not observed on Friday" },
    { at: "2028-01-17T15:00:00Z", open: false, why: "Martin Luther King Jr. Day 2028" },
    { at: "2024-11-29T17:59:00Z", open: true, why: "day after Thanksgiving: open until 13:00 EST" },
    { at: "2024-11-29T18:00:00Z", open: false, why: "early close 18:00 UTC" },
    { at: "2025-07-03T16:59:00Z", open: true, why: "July 3 2025 early close at 13:00 EDT…" },
    { at: "2025-07-03T17:00:00Z", open: false, why: "…= 17:00 UTC" },
    { at: "2024-01-06T15:00:00Z", open: false, why: "Saturday" },
    { at: "2031-01-02T15:00:00Z", open: false, why: "past the table: closed (the safe side)" },
  ];
  for (const { at, open, why } of pins) {
    it(`${at}: ${open ? "open" : "closed"} (${why})`, () => {
      assert.equal(nyseSessionAt(utc(at)).open, open);
    });
  }

  it("reports the next boundary", () => {
    assert.deepEqual(nyseSessionAt(utc("2024-01-05T22:00:00Z")), { open: false, changesAt: utc("2024-01-08T14:30:00Z"), since: utc("2024-01-05T21:00:00Z") });
    assert.deepEqual(nyseSessionAt(utc("2024-01-08T15:00:00Z")), { open: true, changesAt: utc("2024-01-08T21:00:00Z"), since: utc("2024-01-08T14:30:00Z") });
  });
});

const alice = account("a");
const bob = account("b");
const carol = account("c");
const dave = account("d");
const erin = account("e");

/** AAPL (equity) and BTC (crypto) listed Friday 5 January 2024 15:00 UTC, in session; three AAPL sources. */
function friday(): ExchangeHarness {
  const harness = new ExchangeHarness({ start: utc("2024-01-05T15:00:00Z") });
  harness.list(aaplSpec());
  harness.list(btcSpec());
  for (let index = 0; index < 3; index += 1) {
    harness.ok({ type: "registerOracleSource", source: `aapl${index}`, subject: "AAPL-PERP", signer: signerOf(index), reputation: 100, weight: 1 });
  }
  for (const who of [alice, bob, carol, dave]) harness.fund(who, 100_000);
  return harness;
}

/** All three AAPL sources quote `price`, published at `at`, in consecutive milliseconds. */
function quoteAll(harness: ExchangeHarness, price: number, at: bigint): void {
  for (let index = 0; index < 3; index += 1) {
    harness.ok({ type: "oraclePrice", source: `aapl${index}`, subject: "AAPL-PERP", price, confidencePpm: 1_000_000, publishTime: at, signer: signerOf(index), signature }, at + BigInt(index + 1) * 1_000_000n);
  }
}

describe("equity sessions on the exchange", () => {
  const transitions: readonly { name: string; start: string; quiet: string; event: string; open: boolean }[] = [
    { name: "DST start: the Monday open is 13:30 UTC", start: "2024-03-08T21:30:00Z", quiet: "2024-03-11T13:29:59Z", event: "2024-03-11T13:30:00Z", open: true },
    { name: "DST end: the Monday open is 14:30 UTC", start: "2024-11-01T20:30:00Z", quiet: "2024-11-04T14:29:59Z", event: "2024-11-04T14:30:00Z", open: true },
    { name: "Good Friday: closed Thursday 20:00 UTC, no open until Monday", start: "2024-03-28T19:00:00Z", quiet: "2024-03-28T19:59:59Z", event: "2024-03-28T20:00:00Z", open: false },
    { name: "Good Friday: Monday 1 April opens", start: "2024-03-29T15:00:00Z", quiet: "2024-04-01T13:29:59Z", event: "2024-04-01T13:30:00Z", open: true },
    { name: "early close on the day after Thanksgiving", start: "2024-11-29T15:00:00Z", quiet: "2024-11-29T17:59:59Z", event: "2024-11-29T18:00:00Z", open: false },
  ];
  for (const { name, start, quiet, event, open } of transitions) {
    it(name, () => {
      const harness = new ExchangeHarness({ start: utc(start) });
      harness.list(aaplSpec());
      harness.list(btcSpec());
      harness.tick(utc(quiet));
      assert.equal(harness.lastEvents("MarketSessionChanged").length, 0);
      const changed = eventsOf(harness.tick(utc(event)).events, "MarketSessionChanged");
      // Only the equity market: crypto ignores sessions.
      assert.deepEqual(changed.map((item) => [item.market, item.open]), [["AAPL-PERP", open]]);
    });
  }

  it("off hours: the index holds the close, the mark follows the book within the band, opening needs more margin", () => {
    const harness = friday();
    quoteAll(harness, 20_000, utc("2024-01-05T20:00:00Z"));
    harness.placeOk(alice, limit("AAPL-PERP", "buy", 20_000, 100));
    harness.placeOk(bob, limit("AAPL-PERP", "sell", 20_000, 100));
    // In session an opening order of 100 lots at $200 at 10x needs $20.04 of initial margin.
    harness.fund(erin, 25);
    const order = limit("AAPL-PERP", "buy", 20_000, 100, { postOnly: true });
    harness.placeOk(erin, order);
    harness.ok({ type: "cancelAll", account: erin });
    harness.ok({ type: "withdraw", account: erin, asset: "USDC", amount: 5_000_000n });
    assert.equal(harness.rejected({ type: "placeOrder", account: erin, order }, "MARGIN_INSUFFICIENT").details?.required, "20.04");
    harness.tick(utc("2024-01-05T21:00:00Z"));
    assert.deepEqual(harness.lastEvents("MarketSessionChanged").map((item) => [item.open, item.lastClose]), [[false, 20_000]]);
    // Saturday: the sources still quote, the index does not move.
    quoteAll(harness, 20_500, utc("2024-01-06T12:00:00Z"));
    assert.equal(harness.perpMarket("AAPL-PERP").indexPrice, 20_000);
    // The book bids 9.6 % over the close; after an hour the EMA has forgotten the past: basis = the clamped
    // sample, +5 %, so the mark is 21_000, not the book's 21_925.
    harness.placeOk(carol, limit("AAPL-PERP", "buy", 21_900, 10));
    harness.placeOk(dave, limit("AAPL-PERP", "sell", 21_950, 10));
    harness.tick(utc("2024-01-06T14:00:00Z"));
    assert.equal(harness.perpMarket("AAPL-PERP").markPrice, 21_000);
    // Positions are valued (and liquidated) at that clamped mark: Alice's 1-share long shows +$10, not +$19.25.
    const view = accountView(harness.exchange, alice)!.positions[0]!;
    assert.deepEqual([view.markPrice, view.unrealizedPnl], [21_000, 10_000_000]);
    // Opening margin × 1.5 off hours: $20.04 × 1.5 = $30.06 (the $25 account could post it in session).
    harness.fund(erin, 5);
    const refused = harness.rejected({ type: "placeOrder", account: erin, order }, "MARGIN_INSUFFICIENT");
    assert.equal(refused.details?.required, "30.06");
    // BTC is crypto: no session, its price band and margin are the usual ones.
    harness.placeOk(erin, limit("BTC-PERP", "buy", 49_000, 1, { postOnly: true }));
  });

  it("a Monday gap beyond the band goes through the circuit breaker, and the mark re-anchors to the index", () => {
    const harness = friday();
    quoteAll(harness, 20_000, utc("2024-01-05T20:00:00Z"));
    harness.placeOk(alice, limit("AAPL-PERP", "buy", 20_000, 100));
    harness.placeOk(bob, limit("AAPL-PERP", "sell", 20_000, 100));
    harness.placeOk(carol, limit("AAPL-PERP", "buy", 19_500, 10));
    harness.tick(utc("2024-01-05T21:00:00Z"));
    const open = harness.tick(utc("2024-01-08T14:30:00Z"));
    assert.deepEqual(eventsOf(open.events, "MarketSessionChanged").map((item) => item.open), [true]);
    // Until the first index of the session the off-hours regime holds (clamp, margin factor).
    assert.ok(harness.exchange.sessions.isOffHours(harness.perpMarket("AAPL-PERP").index));
    quoteAll(harness, 22_400, utc("2024-01-08T14:30:01Z"));
    const reopened = harness.steps.flatMap((step) => eventsOf(step.events, "MarketReopened"));
    assert.deepEqual(reopened.map((item) => [item.lastClose, item.indexPrice, item.gapPpm, item.circuitBreaker]), [[20_000, 22_400, 120_000, true]]);
    const tripped = harness.steps.flatMap((step) => eventsOf(step.events, "CircuitBreakerTriggered"));
    assert.equal(tripped.length, 1);
    assert.ok(harness.exchange.breakers.isHalted(harness.perpMarket("AAPL-PERP").index));
    assert.equal(harness.exchange.engine.markets[harness.perpMarket("AAPL-PERP").index]!.bids.levelCount, 0, "the halt canceled the book");
    assert.equal(harness.perpMarket("AAPL-PERP").markPrice, 22_400, "mark = index once re-anchored");
    assert.equal(harness.exchange.sessions.isOffHours(harness.perpMarket("AAPL-PERP").index), false);
  });

  it("a gap inside the band re-anchors without a halt", () => {
    const harness = friday();
    quoteAll(harness, 20_000, utc("2024-01-05T20:00:00Z"));
    harness.tick(utc("2024-01-05T21:00:00Z"));
    harness.tick(utc("2024-01-08T14:30:00Z"));
    // Session state (open, last close, waiting for the first index) is in the hash and the snapshot: a
    // restored exchange reopens the same way.
    const restored = restoreExchange(snapshotBytes(harness.exchange));
    assert.equal(exchangeStateHash(restored), exchangeStateHash(harness.exchange));
    quoteAll(harness, 20_500, utc("2024-01-08T14:30:01Z"));
    for (const step of harness.steps.slice(-3)) restored.apply(step.command);
    assert.equal(exchangeStateHash(restored), exchangeStateHash(harness.exchange));
    const reopened = harness.steps.flatMap((step) => eventsOf(step.events, "MarketReopened"));
    assert.deepEqual(reopened.map((item) => [item.gapPpm, item.circuitBreaker]), [[25_000, false]]);
    assert.equal(harness.exchange.breakers.isHalted(harness.perpMarket("AAPL-PERP").index), false);
    assert.equal(harness.perpMarket("AAPL-PERP").markPrice, 20_500);
    // In session again: the usual margin (the $25 account can post its $20).
    harness.fund(erin, 25);
    harness.placeOk(erin, limit("AAPL-PERP", "buy", 20_000, 100, { postOnly: true }));
  });

  it("session parameters are admin commands and part of the state", () => {
    const harness = friday();
    harness.ok({ type: "marketSession", market: "AAPL-PERP", offHoursBandPpm: 20_000, offHoursMarginFactorPpm: 2_000_000 });
    harness.rejected({ type: "marketSession", market: "AAPL-PERP", offHoursBandPpm: 0, offHoursMarginFactorPpm: 2_000_000 }, "SETTING_INVALID");
    harness.rejected({ type: "marketSession", market: "AAPL-PERP", offHoursBandPpm: 20_000, offHoursMarginFactorPpm: 999_999 }, "SETTING_INVALID");
    harness.tick(utc("2024-01-05T21:00:00Z") + nanosecondsPerSecond);
    assert.equal(harness.exchange.sessions.openingMargin(harness.perpMarket("AAPL-PERP").index, 1_001), 2_002);
    assert.equal(harness.exchange.sessions.basisLimitPpb(harness.perpMarket("AAPL-PERP").index), 20_000_000);
  });
});

describe("equity oracle health and sessions", () => {
  it("closed, a stale index is expected; at the open the first index has staleAfter to arrive", () => {
    const harness = friday();
    quoteAll(harness, 20_000, utc("2024-01-05T20:00:00Z"));
    harness.tick(utc("2024-01-05T21:00:00Z"));
    // All weekend without quotes: the index is stale by design, positions still open (off-hours regime).
    harness.tick(utc("2024-01-07T12:00:00Z"));
    assert.ok(harness.exchange.oracles.subjectsByName.get("AAPL-PERP")!.healthy);
    harness.placeOk(carol, limit("AAPL-PERP", "buy", 19_900, 10));
    harness.tick(utc("2024-01-08T14:30:00Z"));
    harness.tick(utc("2024-01-08T14:31:00Z"));
    assert.ok(harness.exchange.oracles.subjectsByName.get("AAPL-PERP")!.healthy, "60 s after the open is not yet stale");
    const stale = harness.tick(utc("2024-01-08T14:31:00Z") + 1n);
    assert.deepEqual(eventsOf(stale.events, "OracleHealthChanged").map((event) => [event.subject, event.reason]), [["AAPL-PERP", "stale"]]);
    harness.rejected({ type: "placeOrder", account: carol, order: limit("AAPL-PERP", "buy", 19_900, 10) }, "ORACLE_UNHEALTHY");
    quoteAll(harness, 20_100, utc("2024-01-08T14:32:00Z"));
    assert.ok(harness.exchange.oracles.subjectsByName.get("AAPL-PERP")!.healthy);
    harness.placeOk(carol, limit("AAPL-PERP", "buy", 19_900, 10));
  });
});
