// Proves that the mark pricer advances only the markets that are due, and that this is the same as
// advancing every market at every command: after each command no market's EMA second or funding minute
// is left due, and advancing every market once more changes nothing (no event, the same state hash).
// Markets listed at different times keep different second grids, so with many markets some market is
// due at most commands; a command must then cost O(due markets), not O(markets).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Exchange, exchangeStateHash, type ExchangeCommand } from "@perpdex/core";
import { ExchangeHarness, account, btcSpec, epoch, limit, nanosecondsPerSecond } from "./exchange-harness.ts";

const alice = account("a");
const bob = account("b");

const symbolOf = (index: number): string => `M${String(index).padStart(3, "0")}-PERP`;

// Every market's mark and funding are current: nothing would change if each were advanced again now.
function checkNothingDue(exchange: Exchange, where: string): void {
  const time = exchange.time;
  const hash = exchangeStateHash(exchange);
  const events = exchange.events.length;
  for (const perpMarket of exchange.perpMarkets) {
    const index = perpMarket.index;
    assert.ok(exchange.marks.states[index]!.lastUpdate + nanosecondsPerSecond > time, `${where}: ${perpMarket.spec.symbol}'s EMA is a second or more behind`);
    assert.ok(exchange.funding.sampleDueAt(index) > time, `${where}: ${perpMarket.spec.symbol}'s funding sample is due`);
    exchange.marks.advance(perpMarket);
  }
  assert.equal(exchange.events.length, events, `${where}: advancing every market again emitted events`);
  assert.equal(exchangeStateHash(exchange), hash, `${where}: advancing every market again changed the state`);
}

describe("mark pricer", () => {
  it("leaves no market due after any command, across seconds, a funding minute and index updates", () => {
    const harness = new ExchangeHarness({ twin: false });
    // 24 markets listed 1 ms apart: 24 second grids.
    for (let index = 0; index < 24; index += 1) harness.list(btcSpec({ symbol: symbolOf(index) }));
    harness.fund(alice, 1_000_000);
    harness.fund(bob, 1_000_000);
    // Quotes away from the index in some markets, so their basis and marks move every second.
    for (let index = 0; index < 24; index += 3) {
      harness.placeOk(alice, limit(symbolOf(index), "buy", 50_100 + index, 10));
      harness.placeOk(bob, limit(symbolOf(index), "sell", 50_300 + index, 10));
    }
    let commands = 0;
    // 65 s of commands 37 ms apart (across the minute after the epoch), an index update now and then.
    for (let time = harness.time + 37_000_000n; time < epoch + 65n * nanosecondsPerSecond; time += 37_000_000n) {
      commands += 1;
      if (commands % 50 === 0) {
        const market = symbolOf(commands % 24);
        harness.indexPrice(market, 50_000 + (commands % 7) * 10, time);
      } else {
        harness.tick(time);
      }
      checkNothingDue(harness.exchange, `command at +${(time - epoch) / 1_000_000n} ms`);
    }
    assert.ok(harness.steps.some((step) => step.events.some((event) => event.type === "MarkPriceUpdated")), "marks moved");
    assert.ok(harness.steps.some((step) => step.events.some((event) => event.type === "IndexPriceUpdated")), "index prices moved");
  });

  it("advances each market about once a second, however many markets are listed at different times", () => {
    const exchange = new Exchange();
    let sequence = 0;
    let time = epoch;
    const apply = (command: Record<string, unknown>): void => {
      sequence += 1;
      time += 1_000_000n;
      const result = exchange.apply({ ...command, sequence, time } as unknown as ExchangeCommand);
      assert.ok(result.ok, JSON.stringify(result));
    };
    const markets = 200;
    // Listed 1 ms apart: their second grids spread over 200 ms of every second.
    for (let index = 0; index < markets; index += 1) apply({ type: "createMarket", market: btcSpec({ symbol: symbolOf(index) }) });
    let advanced = 0;
    const advance = exchange.marks.advance.bind(exchange.marks);
    exchange.marks.advance = (perpMarket) => {
      advanced += 1;
      advance(perpMarket);
    };
    // 3 s of ticks 1 ms apart. Advancing every market whenever one is due would be 200 × 200 a second.
    for (let tick = 0; tick < 3_000; tick += 1) apply({ type: "tick" });
    assert.ok(advanced >= 3 * markets, `${advanced} advances: each market at each of its 3 seconds`);
    assert.ok(advanced <= 4 * markets, `${advanced} advances for ${markets} markets over 3 s: only due markets are advanced`);
    checkNothingDue(exchange, "after 3 s");
  });
});
