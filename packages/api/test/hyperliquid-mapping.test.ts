// Proves the Hyperliquid order wire maps onto perpdex orders exactly, and that every wire fault is
// refused with Hyperliquid's sentence for it (what clients such as ccxt match on) and the valid values.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Exchange, type ExchangeCommand } from "@perpdex/core";
import { demoGenesis } from "@perpdex/node";
import { HyperliquidError } from "../src/hyperliquid/errors.ts";
import { assetByCoin, coinOf, decimalsOf, hyperliquidAssets, mapOrder } from "../src/hyperliquid/mapping.ts";

function demoExchange(): Exchange {
  const exchange = new Exchange({ limits: demoGenesis.limits });
  demoGenesis.markets.forEach((market, index) => {
    const result = exchange.apply({ type: "createMarket", market, sequence: index + 1, time: BigInt(index + 1) } as ExchangeCommand);
    assert.ok(result.ok);
  });
  return exchange;
}

const exchange = demoExchange();
const wire = (fields: Record<string, unknown> = {}) => ({ a: 5, b: true, p: "95000", s: "0.012", r: false, t: { limit: { tif: "Gtc" } }, ...fields });

test("assets are the markets in index order, named by coin, with szDecimals from the lot size", () => {
  assert.deepEqual(
    hyperliquidAssets(exchange).map((asset) => [asset.asset, asset.coin, asset.symbol, asset.szDecimals]),
    [
      [0, "SPY", "SPY-PERP", 2],
      [1, "QQQ", "QQQ-PERP", 2],
      [2, "AAPL", "AAPL-PERP", 2],
      [3, "NVDA", "NVDA-PERP", 2],
      [4, "TSLA", "TSLA-PERP", 2],
      [5, "BTC", "BTC-PERP", 3],
      [6, "ETH", "ETH-PERP", 2],
    ],
  );
  assert.equal(assetByCoin(exchange, "ETH").asset, 6);
  assert.equal(coinOf("AAPL-PERP"), "AAPL");
  assert.deepEqual(["1", "0.1", "0.001", "10"].map(decimalsOf), [0, 1, 3, 0]);
});

test("time in force, reduce-only and cloid map onto the perpdex order", () => {
  const cases: [Record<string, unknown>, Record<string, unknown>][] = [
    [{}, { timeInForce: "GTC", postOnly: false, reduceOnly: false }],
    [{ t: { limit: { tif: "Alo" } } }, { timeInForce: "GTC", postOnly: true, reduceOnly: false }],
    [{ t: { limit: { tif: "Ioc" } }, r: true }, { timeInForce: "IOC", postOnly: false, reduceOnly: true }],
    [{ t: { limit: { tif: "FrontendMarket" } }, b: false }, { timeInForce: "IOC", postOnly: false, reduceOnly: false, side: "sell" }],
    [{ c: "0x0123456789abcdef0123456789abcdef" }, { timeInForce: "GTC", postOnly: false, reduceOnly: false, clientOrderId: "0x0123456789abcdef0123456789abcdef" }],
  ];
  for (const [fields, expected] of cases) {
    const mapped = mapOrder(exchange, wire(fields));
    assert.deepEqual(mapped.spec, { market: "BTC-PERP", side: "buy", type: "limit", price: 95_000, size: 12, ...expected });
  }
  assert.deepEqual(mapOrder(exchange, wire({ a: 0, p: "660.25", s: "1.5" })).spec.price, 66_025);
});

test("wire faults are refused with Hyperliquid's sentence first and the valid values after it", () => {
  const cases: [unknown, RegExp][] = [
    [wire({ p: "95000.5" }), /^Price must be divisible by tick size\. price 95000\.5 is not a multiple of the tick size 1; nearest valid prices are 95000 and 95001\. asset=5$/],
    [wire({ p: "-1" }), /^Order has invalid price\. price must be greater than 0; got -1\. asset=5$/],
    [wire({ p: 95000 }), /^Order has invalid price\. price must be a decimal string/],
    [wire({ s: "0.0125" }), /^Order has invalid size\. size 0\.0125 is not a multiple of the lot size 0\.001; nearest valid sizes are 0\.012 and 0\.013\. asset=5$/],
    [wire({ s: "0" }), /^Order has zero size\. /],
    [wire({ a: 7 }), /^Invalid asset 7: perpdex lists assets 0 to 6/],
    [wire({ a: "5" }), /^Invalid asset "5"/],
    [wire({ b: "true" }), /^order\.b must be true \(buy\) or false \(sell\)\. asset=5$/],
    [wire({ t: { limit: { tif: "Fok" } } }), /^order\.t\.limit\.tif must be "Gtc", "Ioc" or "Alo", got "Fok"\. asset=5$/],
    [wire({ t: { trigger: { isMarket: true, triggerPx: "90000", tpsl: "sl" } } }), /^Trigger \(TP\/SL\) orders are not supported on perpdex/],
    [wire({ c: "client-1" }), /^Invalid cloid: a client order id is 0x followed by 32 hex digits/],
    [null, /^an order must be an object/],
  ];
  for (const [value, pattern] of cases) {
    assert.throws(() => mapOrder(exchange, value), (error: Error) => error instanceof HyperliquidError && pattern.test(error.message), String(pattern));
  }
});
