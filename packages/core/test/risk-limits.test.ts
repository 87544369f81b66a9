// Proves the per-market risk limits (PRD §2.7.1) on every order, each at its boundary: exactly at a limit
// is accepted, one lot over is refused with a stable code and a message that says what would be valid;
// resting orders on the same side count (a limit cannot be dodged by splitting an order); orders that only
// reduce a position (reduce-only or not) are never refused by a limit; the concentration limit waits for
// the market's open interest to reach its floor. Every command runs through the ExchangeHarness, so the
// invariants and the rejected-changes-nothing twin check hold after each one.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { noRiskLimits, prdRiskLimits, type RiskLimits } from "@perpdex/core";
import { ExchangeHarness, account, btcSpec, limit, usd } from "./exchange-harness.ts";

const market = "BTC-PERP";
// BTC: $1 ticks × 0.001 BTC lots, so one lot at 50,000 ticks is worth $50.
const price = 50_000;

const limits: RiskLimits = {
  orderNotionalMax: usd(5_000), // 100 lots at $50 (raised in the tests of the other limits)
  positionNotionalMax: usd(10_000), // 200 lots
  openInterestMax: usd(20_000), // 400 lots
  concentrationPpm: 1_000_000,
  concentrationOpenInterestMin: usd(1_000_000_000),
};

/** The limits with orders up to $1M, so that the other limits are what an order meets. */
const bigOrders: RiskLimits = { ...limits, orderNotionalMax: usd(1_000_000) };

function harnessWith(riskLimits: RiskLimits, traders: readonly string[]): ExchangeHarness {
  const harness = new ExchangeHarness();
  harness.list(btcSpec({ riskLimits }));
  for (const trader of traders) harness.fund(trader, 100_000);
  return harness;
}

/** `long` rests a buy of `lots` at the price and `short` sells into it (IOC). */
function trade(harness: ExchangeHarness, long: string, short: string, lots: number): void {
  harness.placeOk(long, limit(market, "buy", price, lots));
  harness.placeOk(short, limit(market, "sell", price, lots, { timeInForce: "IOC" }));
  assert.equal(harness.lastEvents("TradeExecuted").reduce((total, event) => total + event.size, 0), lots);
}

const [alice, bob, carol, dave, erin] = ["a", "b", "c", "d", "e"].map(account) as [string, string, string, string, string];

describe("risk limits: maximum order notional", () => {
  it("accepts an order worth exactly the limit and refuses one lot more, saying how many lots fit", () => {
    const harness = harnessWith(limits, [alice]);
    harness.placeOk(alice, limit(market, "buy", price, 100));
    harness.ok({ type: "cancelAll", account: alice });
    const over = harness.rejected({ type: "placeOrder", account: alice, order: limit(market, "buy", price, 101) }, "RISK_ORDER_NOTIONAL");
    assert.equal(over.details?.lotsMax, "100");
    assert.match(over.message, /the order is worth 5050 USD; BTC-PERP takes at most 5000 USD an order \(100 lots at this price\)/);
    // At 49,500 ticks 101 lots are worth $4,999.50; at 50,500, ⌊$5,000 ÷ $50.50⌋ = 99 lots fit.
    harness.placeOk(alice, limit(market, "buy", price - 500, 101));
    harness.placeOk(alice, limit(market, "sell", price + 500, 99));
    const sell = harness.rejected({ type: "placeOrder", account: alice, order: limit(market, "sell", price + 500, 100) }, "RISK_ORDER_NOTIONAL");
    assert.equal(sell.details?.lotsMax, "99");
  });
});

describe("risk limits: maximum position notional per trader", () => {
  it("counts the side's resting orders: 100 + 100 lots reach the limit, one more lot is refused", () => {
    const harness = harnessWith(bigOrders, [alice, bob]);
    harness.placeOk(alice, limit(market, "buy", price, 100));
    harness.placeOk(alice, limit(market, "buy", price, 100));
    const over = harness.rejected({ type: "placeOrder", account: alice, order: limit(market, "buy", price, 1) }, "RISK_POSITION_NOTIONAL");
    assert.equal(over.details?.lotsMax, "200");
    assert.match(over.message, /could reach 201 lots/);
    // Filled: alice is long 200 (the limit), bob short 200.
    harness.placeOk(bob, limit(market, "sell", price, 200, { timeInForce: "IOC" }));
    assert.equal(harness.position(alice, market)?.size, 200);
    harness.rejected({ type: "placeOrder", account: alice, order: limit(market, "buy", price - 10, 1) }, "RISK_POSITION_NOTIONAL");
    harness.rejected({ type: "placeOrder", account: bob, order: limit(market, "sell", price + 10, 1) }, "RISK_POSITION_NOTIONAL");
  });

  it("never refuses an order that only reduces the position, reduce-only or not", () => {
    const harness = harnessWith(bigOrders, [alice, bob]);
    trade(harness, alice, bob, 200);
    harness.placeOk(alice, limit(market, "sell", price, 50));
    harness.placeOk(alice, limit(market, "sell", price, 150, { reduceOnly: true }));
    harness.placeOk(bob, limit(market, "buy", price - 100, 200));
    // Reduce-only lots are not exposure; with her resting plain 50, a sell of 351 could flip alice to short
    // 201: that adds exposure and is checked (350, short 200, is exactly the limit).
    const flip = harness.rejected({ type: "placeOrder", account: alice, order: limit(market, "sell", price, 351) }, "RISK_POSITION_NOTIONAL");
    assert.match(flip.message, /could reach 201 lots/);
    harness.placeOk(alice, limit(market, "sell", price, 350));
  });
});

describe("risk limits: maximum open interest", () => {
  it("admits open interest up to the limit exactly, then refuses new exposure but not closing orders", () => {
    const harness = harnessWith(bigOrders, [alice, bob, carol, dave, erin]);
    trade(harness, alice, bob, 200);
    // carol's resting 200 could take open interest from 200 to 400: exactly the limit.
    harness.placeOk(carol, limit(market, "buy", price, 200));
    harness.placeOk(dave, limit(market, "sell", price, 200, { timeInForce: "IOC" }));
    assert.equal(harness.perpMarket(market).longLots, 400);
    const over = harness.rejected({ type: "placeOrder", account: erin, order: limit(market, "buy", price - 10, 1) }, "RISK_OPEN_INTEREST");
    assert.equal(over.details?.lotsAvailable, "0");
    assert.match(over.message, /open interest would reach 401 lots, above its 20000 USD limit \(400 lots at this price\)/);
    // Closing is always allowed: alice sells 10 (plain) and 20 (reduce-only); bob buys back 30.
    harness.placeOk(alice, limit(market, "sell", price + 10, 10));
    harness.placeOk(alice, limit(market, "sell", price + 10, 20, { reduceOnly: true }));
    harness.placeOk(bob, limit(market, "buy", price + 10, 30));
    assert.equal(harness.perpMarket(market).longLots, 370);
    // 30 lots of room again: erin may open exactly 30, not 31.
    harness.rejected({ type: "placeOrder", account: erin, order: limit(market, "buy", price - 10, 31) }, "RISK_OPEN_INTEREST");
    harness.placeOk(erin, limit(market, "buy", price - 10, 30));
  });

  it("counts a flip as new open interest on the side it ends on", () => {
    const harness = harnessWith({ ...bigOrders, openInterestMax: usd(12_500), positionNotionalMax: usd(100_000) }, [alice, bob]); // 250 lots
    trade(harness, alice, bob, 200);
    // alice (long 200) selling 250 could end short 50: 200 + 50 = 250 lots is accepted; 251 (short 51) is not.
    harness.rejected({ type: "placeOrder", account: alice, order: limit(market, "sell", price, 251) }, "RISK_OPEN_INTEREST");
    harness.placeOk(alice, limit(market, "sell", price, 250));
  });
});

describe("risk limits: concentration", () => {
  const traders = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "f"].map(account);
  const longs = traders.slice(0, 5);
  const shorts = traders.slice(5);
  // 20 % of open interest once it reaches $12,500 (250 lots at a $50,000 mark).
  const concentrated: RiskLimits = { ...noRiskLimits, concentrationPpm: 200_000, concentrationOpenInterestMin: usd(12_500) };

  it("lets the first traders of a new market in, then holds everyone to 20 % of the open interest", () => {
    const harness = harnessWith(concentrated, [...traders, alice]);
    // Below the floor each pair holds 100 % of its 50 lots, and more: nothing is refused.
    for (let pair = 0; pair < 5; pair += 1) trade(harness, longs[pair]!, shorts[pair]!, 50);
    assert.equal(harness.perpMarket(market).longLots, 250);
    // Now the floor is met: 20 % of 250 lots = 50 lots a trader.
    const over = harness.rejected({ type: "placeOrder", account: longs[0]!, order: limit(market, "buy", price - 10, 1) }, "RISK_CONCENTRATION");
    assert.equal(over.details?.lotsMax, "50");
    assert.match(over.message, /could reach 51 lots; one trader may hold at most 20 % of BTC-PERP's open interest of 250 lots \(50 lots\)/);
    harness.placeOk(alice, limit(market, "buy", price - 10, 50));
    harness.rejected({ type: "placeOrder", account: alice, order: limit(market, "buy", price - 10, 1) }, "RISK_CONCENTRATION");
    // Reducing is always allowed.
    harness.placeOk(longs[0]!, limit(market, "sell", price + 10, 10));
    harness.placeOk(shorts[0]!, limit(market, "buy", price - 20, 50, { reduceOnly: true }));
  });
});

describe("risk limits: parameters", () => {
  it("a market listed without limits gets none; the PRD values are a named constant", () => {
    const harness = new ExchangeHarness();
    harness.list(btcSpec());
    assert.deepEqual(harness.perpMarket(market).spec.riskLimits, noRiskLimits);
    assert.equal(prdRiskLimits.positionNotionalMax, usd(5_000_000));
    assert.equal(prdRiskLimits.concentrationPpm, 200_000);
  });

  const invalid: readonly [string, Partial<RiskLimits>][] = [
    ["a zero order limit", { orderNotionalMax: 0 }],
    ["a fractional position limit", { positionNotionalMax: 1.5 }],
    ["a concentration above 100 %", { concentrationPpm: 1_000_001 }],
    ["a concentration of 0", { concentrationPpm: 0 }],
    ["an unsafe open interest limit", { openInterestMax: 2 ** 53 }],
  ];
  for (const [name, change] of invalid) {
    it(`refuses a market with ${name}`, () => {
      const harness = new ExchangeHarness();
      const rejection = harness.rejected({ type: "createMarket", market: btcSpec({ riskLimits: { ...limits, ...change } }) }, "MARKET_PARAMS_INVALID");
      assert.match(rejection.message, /riskLimits\./);
    });
  }
});
