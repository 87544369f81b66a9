// Proves the position directory (perp/position-directory.ts): every registered position is found by
// its key and listed once, account by account, also for an account with more positions than it scans
// (it keeps a map by market then), as positions open and are forgotten, and after a snapshot restore.
import assert from "node:assert/strict";
import { test } from "node:test";
import { restoreExchange, type Exchange, type PriceTicks } from "@perpdex/core";
import { accountPositionsScannedMax, positionKeyMultiplier } from "../src/perp/position-directory.ts";
import { ExchangeHarness, limit, perpSpec, snapshotBytes, stateHash } from "./exchange-harness.ts";

const maker = "0x" + "a".repeat(40);
const taker = "0x" + "b".repeat(40);
const markets = Array.from({ length: accountPositionsScannedMax + 4 }, (_, index) => `M${index}-PERP`);

// The directory's view of the exchange: [key, account, market] in iteration order.
function listing(exchange: Exchange): [number, string, string][] {
  return [...exchange.positionsByKey].map(([key, position]) => [key, position.account.address, position.market.symbol]);
}

// What the accounts hold, account by account, each in the order its positions opened.
function held(exchange: Exchange): [number, string, string][] {
  return exchange.engine.accounts.list.flatMap((account) =>
    account.positions.map((position): [number, string, string] => [account.index * positionKeyMultiplier + position.market.index, account.address, position.market.symbol]),
  );
}

function checkDirectory(exchange: Exchange): void {
  const expected = held(exchange);
  assert.deepEqual(listing(exchange), expected);
  assert.equal(exchange.positionsByKey.size, expected.length);
  for (const [key] of expected) assert.equal(exchange.positionsByKey.get(key)?.market.index, key % positionKeyMultiplier);
  assert.deepEqual([...exchange.positionsByKey.keys()], expected.map(([key]) => key));
}

test("position directory: an account with more positions than it scans keeps a map by market, through opening, closing and a restore", () => {
  const harness = new ExchangeHarness({ twin: false });
  for (const symbol of markets) harness.list(perpSpec(symbol, { tickSize: "1", lotSize: "1", referencePriceTicks: 100 as PriceTicks }));
  harness.fund(maker, 1_000_000);
  harness.fund(taker, 1_000_000);
  // The taker opens a long in every market against the maker's resting sells.
  for (const symbol of markets) {
    harness.placeOk(maker, limit(symbol, "sell", 100, 5));
    harness.placeOk(taker, limit(symbol, "buy", 100, 5));
  }
  const takerAccount = harness.accountOf(taker);
  assert.equal(takerAccount.positions.length, markets.length);
  assert.equal(takerAccount.positionsByMarket?.size, markets.length, "past the scanned few, a map by market");
  checkDirectory(harness.exchange);
  assert.equal(harness.exchange.positionsByKey.get(-1), undefined);
  assert.equal(harness.exchange.positionsByKey.get(takerAccount.index * positionKeyMultiplier + markets.length), undefined, "no position in a market the account never traded");

  // Closing some: flat positions without orders are forgotten, from the list and the map.
  for (const symbol of markets.slice(0, 5)) {
    harness.placeOk(maker, limit(symbol, "buy", 100, 5));
    harness.placeOk(taker, limit(symbol, "sell", 100, 5));
    assert.equal(harness.position(taker, symbol), undefined, `${symbol}: the flat position is forgotten`);
  }
  assert.equal(takerAccount.positions.length, markets.length - 5);
  assert.equal(takerAccount.positionsByMarket?.size, markets.length - 5);
  checkDirectory(harness.exchange);
  // And opened again: found through the map.
  harness.placeOk(maker, limit(markets[0]!, "sell", 100, 2));
  harness.placeOk(taker, limit(markets[0]!, "buy", 100, 2));
  assert.equal(harness.position(taker, markets[0]!)?.size, 2);
  checkDirectory(harness.exchange);

  const restored = restoreExchange(snapshotBytes(harness.exchange));
  assert.equal(stateHash(restored), stateHash(harness.exchange));
  assert.deepEqual(listing(restored), listing(harness.exchange), "a restored exchange lists the same positions in the same order");
  checkDirectory(restored);
});

test("position directory: positions may not be registered while an iteration is under way", () => {
  const harness = new ExchangeHarness({ twin: false });
  harness.list(perpSpec("M0-PERP", { tickSize: "1", lotSize: "1", referencePriceTicks: 100 as PriceTicks }));
  harness.list(perpSpec("M1-PERP", { tickSize: "1", lotSize: "1", referencePriceTicks: 100 as PriceTicks }));
  harness.fund(maker, 1_000_000);
  harness.placeOk(maker, limit("M0-PERP", "sell", 100, 5));
  const exchange = harness.exchange;
  const account = harness.accountOf(maker);
  assert.throws(() => {
    for (const _position of exchange.positionsByKey.values()) exchange.positionFor(account, 1);
  }, /while iterating/);
});
