// Proves the perpetual exchange's rules one scenario at a time, through the public Exchange and with the
// ExchangeHarness checking every invariant after every command (money conserved to the µUSD, Σ long =
// Σ short, funding and realised PnL netting to zero, reservations equal to what the open orders need, no
// negative balance, rejections that change nothing but the clock). Each test opens with what it proves;
// tables of cases beat copied bodies. The PRD's worked examples (§3.1.2, §8.2) are at the end, with
// explicit parameters and, where perpdex computes something else, why.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  collateralValue,
  freeCollateral,
  marginProfilePrd,
  positionMaintenance,
  unrealizedPnl,
  withdrawable,
  type CollateralAsset,
  type PerpMarketSpec,
  type Position,
  type SizeLots,
} from "@perpdex/core";
// Not exported by the package (yet): the exact liquidation price of liquidation-price.ts.
import { isolatedLiquidationPrice } from "../src/perp/liquidation-price.ts";
import {
  ExchangeHarness,
  aaplSpec,
  eventsOf,
  account,
  btcSpec,
  dai,
  epoch,
  ethSpec,
  limit,
  marketOrder,
  nanosecondsPerDay,
  nanosecondsPerHour,
  nanosecondsPerMinute,
  nanosecondsPerSecond,
  nvdaSpec,
  smallCapSpec,
  specProfileSpec,
  spySpec,
  usd,
  usdc,
  type EventOf,
} from "./exchange-harness.ts";

const alice = account("a");
const bob = account("b");
const carol = account("c");
const dave = account("d");

// ---------------------------------------------------------------------------------------------------
// Shorthands

function harnessWith(markets: readonly PerpMarketSpec[], funding: Readonly<Record<string, number>> = {}): ExchangeHarness {
  const harness = new ExchangeHarness();
  for (const spec of markets) harness.list(spec);
  for (const [address, dollars] of Object.entries(funding)) harness.fund(address, dollars);
  return harness;
}

/** `maker` rests the opposite side at `price`; `taker` takes all of it with an IOC limit at that price. */
function trade(harness: ExchangeHarness, parties: { maker: string; taker: string }, market: string, takerSide: "buy" | "sell", price: number, size: number): void {
  harness.placeOk(parties.maker, limit(market, takerSide === "buy" ? "sell" : "buy", price, size));
  harness.placeOk(parties.taker, limit(market, takerSide, price, size, { timeInForce: "IOC" }));
  const traded = harness.lastEvents("TradeExecuted").reduce((total, event) => total + event.size, 0);
  assert.equal(traded, size, `the ${takerSide} of ${size} lots at ${price} filled in full`);
}

function mustPosition(harness: ExchangeHarness, address: string, market: string): Position {
  const position = harness.position(address, market);
  assert.ok(position !== undefined, `${address} has no ${market} position`);
  return position;
}

function setLeverage(harness: ExchangeHarness, address: string, market: string, leverage: number): void {
  harness.ok({ type: "setLeverage", account: address, market, leverage });
}


const ceilDiv = (numerator: bigint, divisor: bigint): bigint => {
  const quotient = numerator / divisor;
  return numerator % divisor > 0n ? quotient + 1n : quotient;
};

// ---------------------------------------------------------------------------------------------------

describe("collateral", () => {
  // Proves PRD §2.5.1 valuation: Σ balance × oracle price × weight (USDC 100 %, USDT 98 %, DAI 95 %, DAI
  // with 18 decimals), each asset rounded down to the µUSD, and that collateralPrice moves it.
  const cases: readonly { name: string; asset: CollateralAsset; amount: bigint; pricePpm: number; value: number }[] = [
    { name: "1,000 USDC at $1", asset: "USDC", amount: usdc(1_000), pricePpm: 1_000_000, value: usd(1_000) },
    { name: "1,000 USDT at $1 counts $980", asset: "USDT", amount: usdc(1_000), pricePpm: 1_000_000, value: usd(980) },
    { name: "1,000 DAI at $1 counts $950", asset: "DAI", amount: dai(1_000), pricePpm: 1_000_000, value: usd(950) },
    { name: "1,000 USDC at $0.999", asset: "USDC", amount: usdc(1_000), pricePpm: 999_000, value: usd(999) },
    { name: "1,000 USDT at $0.99 counts $970.20", asset: "USDT", amount: usdc(1_000), pricePpm: 990_000, value: 970_200_000 },
    { name: "1,000 DAI at $1.01 counts $959.50", asset: "DAI", amount: dai(1_000), pricePpm: 1_010_000, value: 959_500_000 },
    { name: "3 µUSDT count ⌊2.94⌋ = 2 µUSD", asset: "USDT", amount: 3n, pricePpm: 1_000_000, value: 2 },
    { name: "1.5 DAI (18 decimals) counts $1.425", asset: "DAI", amount: 1_500_000_000_000_000_000n, pricePpm: 1_000_000, value: 1_425_000 },
    { name: "10^12 DAI base units (10^-6 DAI) count ⌊0.95⌋ = 0 µUSD", asset: "DAI", amount: 1_000_000_000_000n, pricePpm: 1_000_000, value: 0 },
  ];
  for (const { name, asset, amount, pricePpm, value } of cases) {
    it(`values ${name}`, () => {
      const harness = harnessWith([btcSpec()]);
      harness.ok({ type: "collateralPrice", asset, pricePpm });
      harness.deposit(alice, asset, amount);
      const exchange = harness.exchange;
      assert.equal(collateralValue(harness.accountOf(alice), exchange.prices), value);
      assert.equal(freeCollateral(harness.accountOf(alice), exchange), value);
    });
  }

  it("sums the three assets and revalues them when an oracle price moves", () => {
    // Proves the value is the sum over assets and follows collateralPrice (the cached token value too).
    const harness = harnessWith([btcSpec()]);
    harness.deposit(alice, "USDC", usdc(1_000));
    harness.deposit(alice, "USDT", usdc(1_000));
    harness.deposit(alice, "DAI", dai(1_000));
    const value = (): number => collateralValue(harness.accountOf(alice), harness.exchange.prices);
    assert.equal(value(), usd(2_930));
    harness.ok({ type: "collateralPrice", asset: "USDT", pricePpm: 990_000 });
    harness.ok({ type: "collateralPrice", asset: "DAI", pricePpm: 1_010_000 });
    harness.ok({ type: "collateralPrice", asset: "USDC", pricePpm: 999_000 });
    assert.equal(value(), 999_000_000 + 970_200_000 + 959_500_000);
    assert.deepEqual(
      harness.lastEvents("CollateralPriceUpdated").map((event) => [event.subject, event.price]),
      [["USDC", 999_000]],
    );
  });

  it("rejects oracle prices outside $0.50 … $2.00 and unknown assets", () => {
    // Proves collateralPrice validates before changing anything (the harness checks nothing changed).
    const harness = harnessWith([btcSpec()]);
    harness.rejected({ type: "collateralPrice", asset: "USDT", pricePpm: 499_999 }, "PRICE_OUTSIDE_BAND");
    harness.rejected({ type: "collateralPrice", asset: "DAI", pricePpm: 2_000_001 }, "PRICE_OUTSIDE_BAND");
    harness.rejected({ type: "collateralPrice", asset: "BUSD" as CollateralAsset, pricePpm: 1_000_000 }, "ASSET_INVALID");
    harness.ok({ type: "collateralPrice", asset: "USDT", pricePpm: 500_000 });
    harness.ok({ type: "collateralPrice", asset: "USDT", pricePpm: 2_000_000 });
  });
});

describe("deposits and withdrawals", () => {
  it("rejects malformed deposits and balances too large to value, without creating the account", () => {
    // Proves deposit validation: asset, amount, reference, address; and that a balance worth more than
    // 2^51 µUSD at the highest collateral price is refused instead of crashing the valuation later.
    const harness = harnessWith([btcSpec()]);
    const deposit = (fields: Partial<{ account: string; asset: CollateralAsset; amount: bigint; reference: string }>) =>
      ({ type: "deposit", account: alice, asset: "USDC", amount: usdc(1), reference: "0xabc", ...fields }) as const;
    harness.rejected(deposit({ asset: "EURC" as CollateralAsset }), "ASSET_INVALID");
    harness.rejected(deposit({ amount: 0n }), "AMOUNT_INVALID");
    harness.rejected(deposit({ amount: -5n }), "AMOUNT_INVALID");
    harness.rejected(deposit({ amount: 2n ** 96n }), "AMOUNT_INVALID");
    harness.rejected(deposit({ reference: "" }), "DEPOSIT_INVALID");
    harness.rejected(deposit({ reference: "has space" }), "DEPOSIT_INVALID");
    harness.rejected(deposit({ account: "0xABC" }), "ACCOUNT_INVALID");
    harness.rejected(deposit({ amount: 2n ** 60n }), "DEPOSIT_INVALID");
    harness.rejected(deposit({ asset: "DAI", amount: 2n ** 95n }), "DEPOSIT_INVALID");
    harness.rejected(deposit({ asset: "USDT", amount: 2n ** 51n }), "DEPOSIT_INVALID");
    assert.equal(harness.exchange.engine.accounts.count, 0, "no rejected deposit created an account");
    // 2^50 µUSD of USDC is worth 2^51 at $2: exactly the limit.
    harness.ok(deposit({ amount: 2n ** 50n }));
    harness.rejected(deposit({ amount: 1n }), "DEPOSIT_INVALID");
  });

  it("lets only excess margin leave: reservations stay, the rest withdraws exactly", () => {
    // Proves withdraw: the amount must be held, and what stays must cover the open orders' reservation;
    // the rejection names what is withdrawable.
    const harness = harnessWith([btcSpec()], { [alice]: 10_000 });
    // A resting buy of 1 BTC at $49,000, 10x: $4,900 margin + $9.80 maker fee reserved.
    harness.placeOk(alice, limit("BTC-PERP", "buy", 49_000, 1_000));
    assert.equal(harness.accountOf(alice).reserved, 4_909_800_000);
    assert.equal(withdrawable(harness.accountOf(alice), harness.exchange), 5_090_200_000);
    const rejection = harness.rejected({ type: "withdraw", account: alice, asset: "USDC", amount: 5_090_200_001n }, "WITHDRAWAL_EXCEEDS_FREE_MARGIN");
    assert.deepEqual(rejection.details, { withdrawable: "5090.2" });
    harness.rejected({ type: "withdraw", account: alice, asset: "USDC", amount: usdc(10_001) }, "WITHDRAWAL_INSUFFICIENT");
    harness.rejected({ type: "withdraw", account: alice, asset: "DAI", amount: 1n }, "WITHDRAWAL_INSUFFICIENT");
    harness.rejected({ type: "withdraw", account: alice, asset: "USDC", amount: 0n }, "AMOUNT_INVALID");
    harness.rejected({ type: "withdraw", account: bob, asset: "USDC", amount: 1n }, "ACCOUNT_NOT_FOUND");
    harness.ok({ type: "withdraw", account: alice, asset: "USDC", amount: 5_090_200_000n });
    assert.deepEqual(
      harness.lastEvents("WithdrawalRequested").map((event) => [event.asset, event.amount]),
      [["USDC", 5_090_200_000n]],
    );
    // Canceling releases the reservation, and then everything can leave.
    harness.ok({ type: "cancelAll", account: alice });
    harness.ok({ type: "withdraw", account: alice, asset: "USDC", amount: 4_909_800_000n });
    assert.equal(harness.accountOf(alice).cash, 0);
  });

  it("excludes unrealised profit from what a cross account can withdraw, but counts losses", () => {
    // Proves PRD §2.5.2 (withdrawable = collateral − initial margin) with unrealised profit excluded and
    // unrealised loss included, while free collateral for trading counts both.
    const harness = harnessWith([btcSpec()], { [alice]: 10_000, [bob]: 10_000 });
    harness.ok({ type: "setMarginMode", account: alice, market: "BTC-PERP", mode: "cross" });
    trade(harness, { maker: bob, taker: alice }, "BTC-PERP", "buy", 50_000, 1_000);
    assert.equal(harness.accountOf(alice).cash, usd(9_950), "the 0.10 % taker fee of $50 left cash");
    const cases: readonly { index: number; withdrawable: number; free: number }[] = [
      // cash 9,950; initial margin at mark = mark × 1 BTC / 10.
      { index: 50_000, withdrawable: usd(4_950), free: usd(4_950) },
      { index: 52_000, withdrawable: usd(4_750), free: usd(6_750) }, // +2,000 unrealised, not withdrawable
      { index: 48_000, withdrawable: usd(3_150), free: usd(3_150) }, // −2,000 unrealised counts
    ];
    for (const { index, withdrawable: expected, free } of cases) {
      harness.indexPrice("BTC-PERP", index);
      assert.equal(harness.perpMarket("BTC-PERP").markPrice, index, "an empty book leaves the basis at zero");
      assert.equal(withdrawable(harness.accountOf(alice), harness.exchange), expected, `withdrawable at ${index}`);
      assert.equal(freeCollateral(harness.accountOf(alice), harness.exchange), free, `free at ${index}`);
    }
    harness.indexPrice("BTC-PERP", 52_000);
    harness.rejected({ type: "withdraw", account: alice, asset: "USDC", amount: BigInt(usd(4_750) + 1) }, "WITHDRAWAL_EXCEEDS_FREE_MARGIN");
    harness.ok({ type: "withdraw", account: alice, asset: "USDC", amount: BigInt(usd(4_750)) });
  });

  it("values a withdrawal of a haircut token at its weight and rounds what is free down", () => {
    // Proves the token side of withdraw: DAI backs a USDC debt at 95 % (cash may go negative only as such
    // a debt), and a withdrawal that would leave the debt unbacked is refused to the last base unit.
    const harness = harnessWith([btcSpec()], { [bob]: 10_000 });
    harness.deposit(alice, "DAI", dai(1_000)); // worth $950
    // 0.1 BTC at 50,000 and 10x: $500 of isolated margin and a $5 taker fee out of cash → −505, backed by DAI.
    trade(harness, { maker: bob, taker: alice }, "BTC-PERP", "buy", 50_000, 100);
    assert.equal(harness.accountOf(alice).cash, -usd(505));
    assert.equal(withdrawable(harness.accountOf(alice), harness.exchange), usd(445));
    // $445 / 0.95 = 468.421052631578947368… DAI: at most ⌊that⌋ base units leave; one more leaves the rest
    // worth ⌊504.99999999…⌋ = $504.999999, less than the $505 debt.
    const most = (usdc(445) * 10n ** 12n * 100n) / 95n;
    harness.rejected({ type: "withdraw", account: alice, asset: "DAI", amount: most + 1n }, "WITHDRAWAL_EXCEEDS_FREE_MARGIN");
    harness.ok({ type: "withdraw", account: alice, asset: "DAI", amount: most });
    assert.equal(withdrawable(harness.accountOf(alice), harness.exchange), 0);
  });
});

describe("account status (SPEC 04)", () => {
  // Proves SPEC 04 §2.3: active trades and withdraws; suspended can only deposit (and cancel); closed
  // does nothing; a closed account stays closed and closes only when empty.
  type Action = "deposit" | "withdraw" | "setMarginMode" | "setLeverage" | "order";
  const rows: readonly { status: "active" | "suspended" | "closed"; allowed: readonly Action[] }[] = [
    { status: "active", allowed: ["deposit", "withdraw", "setMarginMode", "setLeverage", "order"] },
    { status: "suspended", allowed: ["deposit"] },
    { status: "closed", allowed: [] },
  ];
  const actions: readonly Action[] = ["deposit", "withdraw", "setMarginMode", "setLeverage", "order"];
  for (const { status, allowed } of rows) {
    it(`${status}: allows ${allowed.length === 0 ? "nothing" : allowed.join(", ")}`, () => {
      const harness = harnessWith([btcSpec()]);
      if (status === "closed") {
        harness.deposit(alice, "USDC", 1n);
        harness.ok({ type: "withdraw", account: alice, asset: "USDC", amount: 1n });
        harness.ok({ type: "accountStatus", account: alice, status: "closed" });
      } else {
        harness.fund(alice, 10_000);
        if (status !== "active") harness.ok({ type: "accountStatus", account: alice, status });
      }
      for (const action of actions) {
        const input =
          action === "deposit"
            ? ({ type: "deposit", account: alice, asset: "USDC", amount: usdc(1), reference: "0x1" } as const)
            : action === "withdraw"
              ? ({ type: "withdraw", account: alice, asset: "USDC", amount: 1n } as const)
              : action === "order"
                ? ({ type: "placeOrder", account: alice, order: limit("BTC-PERP", "buy", 49_000, 1) } as const)
                : action === "setLeverage"
                  ? ({ type: "setLeverage", account: alice, market: "BTC-PERP", leverage: 5 } as const)
                  : ({ type: "setMarginMode", account: alice, market: "BTC-PERP", mode: "cross" } as const);
        if (allowed.includes(action)) harness.ok(input);
        else harness.rejected(input, "ACCOUNT_NOT_ACTIVE");
      }
    });
  }

  it("cancels a suspended account's orders, reactivates it, and never reopens a closed one", () => {
    // Proves the transitions: suspended ↔ active (suspension takes the account's orders off the book,
    // ADMIN_CANCEL, since it may not trade); closed is final; closing needs an empty account (no USDC,
    // no tokens, no positions or orders).
    const harness = harnessWith([btcSpec()], { [alice]: 1_000 });
    harness.placeOk(alice, limit("BTC-PERP", "buy", 49_000, 1));
    harness.ok({ type: "accountStatus", account: alice, status: "suspended" });
    assert.deepEqual(harness.lastEvents("OrderCanceled").map((event) => [event.reason, event.canceledBy]), [["ADMIN_CANCEL", "system"]]);
    harness.ok({ type: "accountStatus", account: alice, status: "active" });
    harness.rejected({ type: "accountStatus", account: alice, status: "closed" }, "SETTING_INVALID"); // holds USDC
    harness.ok({ type: "withdraw", account: alice, asset: "USDC", amount: usdc(1_000) });
    harness.deposit(alice, "USDT", 5n);
    harness.rejected({ type: "accountStatus", account: alice, status: "closed" }, "SETTING_INVALID"); // holds USDT
    harness.ok({ type: "withdraw", account: alice, asset: "USDT", amount: 5n });
    harness.ok({ type: "accountStatus", account: alice, status: "closed" });
    harness.rejected({ type: "accountStatus", account: alice, status: "active" }, "SETTING_INVALID");
    harness.rejected({ type: "accountStatus", account: alice, status: "frozen" as "active" }, "SETTING_INVALID");
    harness.rejected({ type: "accountStatus", account: bob, status: "suspended" }, "ACCOUNT_NOT_FOUND");
  });
});

describe("margin modes", () => {
  it("opens isolated by default and cross where the account chose it, per market", () => {
    // Proves isolated is the default (the initial margin moves from cash into the position) and that
    // cross is chosen per account and market (no margin moves; the account's collateral backs it).
    const harness = harnessWith([btcSpec(), ethSpec()], { [alice]: 20_000, [bob]: 20_000 });
    harness.ok({ type: "setMarginMode", account: alice, market: "ETH-PERP", mode: "cross" });
    assert.deepEqual(
      harness.lastEvents("MarginModeChanged").map((event) => [event.market, event.mode, event.leverage]),
      [["ETH-PERP", "cross", 10]],
    );
    trade(harness, { maker: bob, taker: alice }, "BTC-PERP", "buy", 50_000, 100); // 0.1 BTC, $5,000
    trade(harness, { maker: bob, taker: alice }, "ETH-PERP", "buy", 300_000, 1_000); // 1 ETH, $3,000
    const btc = mustPosition(harness, alice, "BTC-PERP");
    const eth = mustPosition(harness, alice, "ETH-PERP");
    assert.deepEqual([btc.mode, btc.margin], ["isolated", usd(500)]);
    assert.deepEqual([eth.mode, eth.margin], ["cross", 0]);
    // Taker fees 0.10 %: $5 and $3. Only the isolated margin left cash.
    assert.equal(harness.accountOf(alice).cash, usd(20_000 - 5 - 3 - 500));
    // Bob's side stayed isolated in both markets (his own default).
    assert.equal(mustPosition(harness, bob, "ETH-PERP").mode, "isolated");
    // Cross initial margin at mark is set aside from free collateral: $300.
    assert.equal(freeCollateral(harness.accountOf(alice), harness.exchange), usd(20_000 - 8 - 500 - 300) - 0);
  });

  it("changes the margin mode only when flat with no open orders", () => {
    // Proves setMarginMode is refused with a position or an open order in that market, and allowed once
    // both are gone; other markets do not matter.
    const harness = harnessWith([btcSpec(), ethSpec()], { [alice]: 20_000, [bob]: 20_000 });
    const toCross = { type: "setMarginMode", account: alice, market: "BTC-PERP", mode: "cross" } as const;
    trade(harness, { maker: bob, taker: alice }, "BTC-PERP", "buy", 50_000, 100);
    harness.rejected(toCross, "SETTING_INVALID");
    harness.placeOk(alice, limit("BTC-PERP", "sell", 51_000, 100)); // a closing order: still an order
    harness.rejected(toCross, "SETTING_INVALID");
    harness.ok({ type: "setMarginMode", account: alice, market: "ETH-PERP", mode: "cross" });
    harness.ok({ type: "cancelAll", account: alice });
    harness.placeOk(bob, limit("BTC-PERP", "buy", 50_000, 100));
    harness.placeOk(alice, marketOrder("BTC-PERP", "sell", 100));
    assert.equal(harness.position(alice, "BTC-PERP"), undefined, "closed and forgotten");
    harness.placeOk(alice, limit("BTC-PERP", "buy", 49_000, 10));
    harness.rejected(toCross, "SETTING_INVALID");
    harness.ok({ type: "cancelAll", account: alice, market: "BTC-PERP" });
    harness.ok(toCross);
    harness.rejected({ type: "setMarginMode", account: alice, market: "BTC-PERP", mode: "portfolio" as "cross" }, "SETTING_INVALID");
    harness.rejected({ type: "setMarginMode", account: alice, market: "DOGE-PERP", mode: "cross" }, "MARKET_NOT_FOUND");
  });
});

describe("leverage (SPEC 05 §8, PRD §2.3.2 and §8.3)", () => {
  // Proves each asset class caps its markets' leverage: index ETFs 100x, blue chips 50x, tech 20x, small
  // caps 10x (crypto 100x); a market cannot be listed above its class, nor an account go above its market.
  const classes: readonly { spec: PerpMarketSpec; cap: number }[] = [
    { spec: spySpec(), cap: 100 },
    { spec: aaplSpec(), cap: 50 },
    { spec: nvdaSpec(), cap: 20 },
    { spec: smallCapSpec(), cap: 10 },
    { spec: btcSpec(), cap: 100 },
  ];
  for (const { spec, cap } of classes) {
    it(`caps ${spec.symbol} (${spec.assetClass}) at ${cap}x`, () => {
      const harness = new ExchangeHarness();
      const aboveClass: PerpMarketSpec = { ...spec, leverageMax: cap + 1 };
      const defaultAboveCap: PerpMarketSpec = { ...spec, leverageDefault: cap + 1 };
      harness.rejected({ type: "createMarket", market: aboveClass }, "MARKET_PARAMS_INVALID");
      harness.rejected({ type: "createMarket", market: defaultAboveCap }, "MARKET_PARAMS_INVALID");
      harness.list(spec);
      harness.fund(alice, 1_000);
      setLeverage(harness, alice, spec.symbol, cap);
      for (const leverage of [cap + 1, 0, -1, 1.5]) {
        const rejection = harness.rejected({ type: "setLeverage", account: alice, market: spec.symbol, leverage }, "LEVERAGE_EXCEEDS_TIER");
        assert.deepEqual(rejection.details, { leverageMax: String(cap) });
      }
      setLeverage(harness, alice, spec.symbol, 1);
    });
  }

  it("limits leverage by the PRD tier of the position's notional", () => {
    // Proves the PRD table: < $10,000 → 100x, from $10,000 → 50x, from $50,000 → 20x, from $250,000 → 10x,
    // from $1,000,000 → 5x (a notional on a boundary belongs to the higher tier), checked on the order.
    const harness = harnessWith([btcSpec()], { [alice]: 250_000 });
    // One lot of BTC at $50,000 is $50.
    const rows: readonly { lots: number; leverageMax: number }[] = [
      { lots: 199, leverageMax: 100 },
      { lots: 200, leverageMax: 50 },
      { lots: 999, leverageMax: 50 },
      { lots: 1_000, leverageMax: 20 },
      { lots: 4_999, leverageMax: 20 },
      { lots: 5_000, leverageMax: 10 },
      { lots: 19_999, leverageMax: 10 },
      { lots: 20_000, leverageMax: 5 },
    ];
    for (const { lots, leverageMax } of rows) {
      setLeverage(harness, alice, "BTC-PERP", leverageMax);
      harness.placeOk(alice, limit("BTC-PERP", "buy", 50_000, lots));
      harness.ok({ type: "cancelAll", account: alice });
      if (leverageMax === 100) continue;
      setLeverage(harness, alice, "BTC-PERP", leverageMax + 1);
      const rejection = harness.rejected({ type: "placeOrder", account: alice, order: limit("BTC-PERP", "buy", 50_000, lots) }, "LEVERAGE_EXCEEDS_TIER");
      assert.deepEqual(rejection.details, { leverageMax: String(leverageMax) }, `${lots} lots`);
    }
  });

  it("allows more leverage on the SPEC 05 profile than on the PRD profile at the same notional", () => {
    // Proves the second named profile: SPEC 05 tiers (125x to $50,000 — capped at crypto's 100x —, 100x to
    // $250,000, 50x to $1,000,000, 20x to $5,000,000) against the PRD tiers for the same contract.
    const harness = harnessWith([specProfileSpec({ maxOrderLots: 10_000_000 as SizeLots }), specProfileSpec({ symbol: "SOLX-PERP", marginProfile: "prd", maxOrderLots: 10_000_000 as SizeLots })], {
      [alice]: 2_000_000,
    });
    // One lot (0.01 SOL) at $100 is $1.
    const rows: readonly { dollars: number; prd: number; spec: number }[] = [
      { dollars: 9_999, prd: 100, spec: 100 },
      { dollars: 49_999, prd: 50, spec: 100 },
      { dollars: 100_000, prd: 20, spec: 100 },
      { dollars: 300_000, prd: 10, spec: 50 },
      { dollars: 2_000_000, prd: 5, spec: 20 },
    ];
    for (const { dollars, prd, spec } of rows) {
      for (const market of ["SOL-PERP", "SOLX-PERP"]) setLeverage(harness, alice, market, spec);
      harness.placeOk(alice, limit("SOL-PERP", "buy", 10_000, dollars));
      if (prd === spec) harness.placeOk(alice, limit("SOLX-PERP", "buy", 10_000, dollars));
      else {
        const rejection = harness.rejected({ type: "placeOrder", account: alice, order: limit("SOLX-PERP", "buy", 10_000, dollars) }, "LEVERAGE_EXCEEDS_TIER");
        assert.deepEqual(rejection.details, { leverageMax: String(prd) }, `$${dollars}`);
      }
      harness.ok({ type: "cancelAll", account: alice });
    }
  });

  it("moves isolated margin with the leverage: a decrease needs collateral, an increase keeps the margin removable", () => {
    // Proves SPEC 05 §8 on an isolated position: lowering leverage tops the margin up to the new initial
    // margin from cash (refused without the cash), raising it keeps the margin (now removable), and the
    // tier still caps it.
    const harness = harnessWith([btcSpec()], { [alice]: 10_000, [bob]: 20_000 });
    trade(harness, { maker: bob, taker: alice }, "BTC-PERP", "buy", 50_000, 1_000); // 1 BTC, 10x: $5,000 margin, $50 fee
    const position = mustPosition(harness, alice, "BTC-PERP");
    assert.equal(harness.accountOf(alice).cash, usd(4_950));
    const rejection = harness.rejected({ type: "setLeverage", account: alice, market: "BTC-PERP", leverage: 5 }, "MARGIN_INSUFFICIENT");
    assert.match(rejection.message, /5x/);
    harness.fund(alice, 50);
    setLeverage(harness, alice, "BTC-PERP", 5);
    assert.deepEqual([position.leverage, position.margin, harness.accountOf(alice).cash], [5, usd(10_000), 0]);
    setLeverage(harness, alice, "BTC-PERP", 20);
    assert.deepEqual([position.leverage, position.margin], [20, usd(10_000)]);
    harness.rejected({ type: "adjustMargin", account: alice, market: "BTC-PERP", amount: -usd(7_500) - 1 }, "MARGIN_ADJUST_INVALID");
    harness.ok({ type: "adjustMargin", account: alice, market: "BTC-PERP", amount: -usd(7_500) });
    const tooMuch = harness.rejected({ type: "setLeverage", account: alice, market: "BTC-PERP", leverage: 21 }, "LEVERAGE_EXCEEDS_TIER");
    assert.deepEqual(tooMuch.details, { leverageMax: "20" });
  });

  it("frees cross margin when the leverage rises and needs free margin for it", () => {
    // Proves SPEC 05 §8 on a cross position: raising leverage lowers the initial margin set aside at
    // mark, lowering it needs the collateral, and an account without free margin cannot raise it.
    const harness = harnessWith([btcSpec()], { [alice]: 10_000, [bob]: 20_000 });
    harness.ok({ type: "setMarginMode", account: alice, market: "BTC-PERP", mode: "cross" });
    trade(harness, { maker: bob, taker: alice }, "BTC-PERP", "buy", 50_000, 1_000);
    const free = (): number => freeCollateral(harness.accountOf(alice), harness.exchange);
    assert.equal(free(), usd(9_950 - 5_000));
    setLeverage(harness, alice, "BTC-PERP", 20);
    assert.equal(free(), usd(9_950 - 2_500));
    // Back to 5x would set aside $10,000 of the $9,950.
    harness.rejected({ type: "setLeverage", account: alice, market: "BTC-PERP", leverage: 5 }, "MARGIN_INSUFFICIENT");
    setLeverage(harness, alice, "BTC-PERP", 10);
    // At $44,000 the position lost $6,000: free = 9,950 − 6,000 − 4,400 < 0. Raising the leverage is
    // refused while it leaves free margin negative (11x: −50), and accepted once it does not (20x).
    harness.indexPrice("BTC-PERP", 44_000);
    assert.equal(free(), usd(9_950 - 6_000 - 4_400));
    harness.rejected({ type: "setLeverage", account: alice, market: "BTC-PERP", leverage: 11 }, "MARGIN_INSUFFICIENT");
    setLeverage(harness, alice, "BTC-PERP", 20);
    assert.equal(free(), usd(9_950 - 6_000 - 2_200));
  });

  it("counts open orders in the tier of a leverage change", () => {
    // Proves setLeverage checks the tier of the position the account can reach once its open orders fill,
    // not only of the position it holds: otherwise resting orders would fill into a position above its tier.
    const harness = harnessWith([btcSpec()], { [alice]: 12_000 });
    setLeverage(harness, alice, "BTC-PERP", 20);
    harness.placeOk(alice, limit("BTC-PERP", "buy", 50_000, 2_000)); // $100,000: the 20x tier
    const rejection = harness.rejected({ type: "setLeverage", account: alice, market: "BTC-PERP", leverage: 50 }, "LEVERAGE_EXCEEDS_TIER");
    assert.deepEqual(rejection.details, { leverageMax: "20" });
    // Lowering it needs collateral for the bigger reservation: $10,000 + $20 of fee at 10x, $20,000 at 5x.
    setLeverage(harness, alice, "BTC-PERP", 10);
    assert.equal(harness.accountOf(alice).reserved, usd(10_020));
    harness.rejected({ type: "setLeverage", account: alice, market: "BTC-PERP", leverage: 5 }, "MARGIN_INSUFFICIENT");
    assert.equal(harness.accountOf(alice).reserved, usd(10_020), "a refused change leaves the reservation");
  });
});

describe("order reservations", () => {
  it("reserves the worst case against the position: opening lots only, the larger side, released by cancel and fill", () => {
    // Proves the reservation of open orders: initial margin (and the maker fee it may pay) for the lots
    // that would increase |position| if all of a side's orders filled; the larger side counts; closing
    // lots reserve nothing; cancels and fills release it.
    const harness = harnessWith([btcSpec()], { [alice]: 100_000, [bob]: 100_000 });
    const reserved = (): number => harness.accountOf(alice).reserved;
    harness.placeOk(alice, limit("BTC-PERP", "buy", 49_000, 1_000)); // $49,000 at 10x: $4,900 + $9.80 maker fee
    assert.equal(reserved(), 4_909_800_000);
    harness.placeOk(alice, limit("BTC-PERP", "sell", 51_000, 500)); // $25,500: $2,550 + $5.10, the smaller side
    assert.equal(reserved(), 4_909_800_000);
    assert.equal(mustPosition(harness, alice, "BTC-PERP").reserved, 4_909_800_000);
    // Bob sells 0.4 BTC into the bid: the filled part becomes a position, the rest stays reserved.
    harness.placeOk(bob, limit("BTC-PERP", "sell", 49_000, 400, { timeInForce: "IOC" }));
    assert.equal(mustPosition(harness, alice, "BTC-PERP").size, 400);
    assert.equal(mustPosition(harness, alice, "BTC-PERP").margin, usd(1_960));
    // Buy side: 600 lots open more → $2,940 + $5.88; sell side: 400 of 500 lots close the long → $510 + $1.02.
    assert.equal(reserved(), 2_945_880_000);
    const [buy, sell] = [harness.steps[3]!, harness.steps[4]!].map((step) => eventsOf(step.events, "OrderAccepted")[0]!.orderId);
    harness.ok({ type: "cancelOrder", account: alice, market: "BTC-PERP", orderId: buy! });
    assert.equal(reserved(), 511_020_000);
    harness.ok({ type: "cancelOrder", account: alice, market: "BTC-PERP", orderId: sell! });
    assert.equal(reserved(), 0);
  });

  it("reserves nothing for orders that only close the position", () => {
    // Proves closing orders hold no margin, and an order beyond the position reserves for the excess
    // only, priced at its share of the side's order notional.
    const harness = harnessWith([btcSpec()], { [alice]: 20_000, [bob]: 20_000 });
    trade(harness, { maker: bob, taker: alice }, "BTC-PERP", "buy", 50_000, 1_000);
    harness.placeOk(alice, limit("BTC-PERP", "sell", 51_000, 600));
    harness.placeOk(alice, limit("BTC-PERP", "sell", 52_000, 400));
    assert.equal(harness.accountOf(alice).reserved, 0);
    harness.placeOk(alice, limit("BTC-PERP", "sell", 53_000, 500));
    // 500 of 1,500 lots open a short: ⌈(30,600 + 20,800 + 26,500) × 500 / 1,500⌉ = $25,966.666667 → $2,596.666667 + $5.193334.
    assert.equal(harness.accountOf(alice).reserved, 2_596_666_667 + 5_193_334);
  });

  it("holds the maker fee with the margin, so orders that fill later cannot run the account into debt", () => {
    // Proves the reservation covers the maker fee a resting order pays when it fills: an account that
    // commits all its collateral to resting orders still has the cash for their fees (the harness checks
    // that no USDC balance goes negative without other collateral behind it).
    const harness = harnessWith([btcSpec()], { [alice]: 5_060, [bob]: 100_000 });
    harness.placeOk(alice, limit("BTC-PERP", "buy", 50_000, 1_000)); // $5,000 + $10 reserved, $50 of taker fee room
    harness.placeOk(alice, limit("BTC-PERP", "buy", 49_000, 9)); // $44.10 + $0.0882: all but $5.8118 is committed
    assert.equal(freeCollateral(harness.accountOf(alice), harness.exchange), 5_811_800);
    harness.placeOk(bob, marketOrder("BTC-PERP", "sell", 1_009));
    assert.equal(mustPosition(harness, alice, "BTC-PERP").size, 1_009);
    // Cash: 5,060 − 5,000 − 44.10 of margin − 10 − 0.0882 of maker fees = the $5.8118 that was free.
    assert.equal(harness.accountOf(alice).cash, 5_811_800);
  });

  it("rejects an order the free collateral cannot carry, saying what it needs and what is available", () => {
    // Proves MARGIN_INSUFFICIENT carries required and available (message and details), counting the
    // margin, the maker fee it would reserve and the taker fee it could pay; an OrderRejected says the same.
    const harness = harnessWith([btcSpec()], { [carol]: 1_000 });
    const rejection = harness.rejected({ type: "placeOrder", account: carol, order: limit("BTC-PERP", "buy", 50_000, 1_000) }, "MARGIN_INSUFFICIENT");
    assert.equal(rejection.message, "the order needs 5060 USDC of margin and fees; 1000 USDC is available");
    assert.deepEqual(rejection.details, { required: "5060", available: "1000" });
    const [event] = harness.lastEvents("OrderRejected");
    assert.deepEqual([event?.code, event?.message], [rejection.code, rejection.message]);
    // No collateral at all: still MARGIN_INSUFFICIENT, and no account appears.
    harness.rejected({ type: "placeOrder", account: dave, order: limit("BTC-PERP", "buy", 50_000, 1) }, "MARGIN_INSUFFICIENT");
    assert.equal(harness.exchange.engine.accounts.find(dave), undefined);
  });

  it("checks a cancel-replace with the replaced order gone, in its market or another", () => {
    // Proves cancel-replace is atomic for margin: the replaced order's reservation counts as released
    // (same market: its totals; another market: its position's reservation), and a replacement that
    // still does not fit is refused with the original order left in place.
    const harness = harnessWith([btcSpec(), ethSpec()], { [alice]: 5_060 });
    harness.placeOk(alice, limit("BTC-PERP", "buy", 50_000, 1_000, { clientOrderId: "bid" })); // needs exactly $5,060
    harness.ok({ type: "cancelReplace", account: alice, replaces: { clientOrderId: "bid" }, order: limit("BTC-PERP", "buy", 49_999, 1_000, { clientOrderId: "bid" }) });
    assert.equal(harness.accountOf(alice).reserved, 4_999_900_000 + 9_999_800);
    harness.rejected(
      { type: "cancelReplace", account: alice, replaces: { clientOrderId: "bid" }, order: limit("BTC-PERP", "buy", 50_000, 1_100) },
      "MARGIN_INSUFFICIENT",
    );
    harness.ok({ type: "cancelReplace", account: alice, replaces: { clientOrderId: "bid" }, order: limit("ETH-PERP", "buy", 300_000, 1_000) });
    assert.equal(harness.position(alice, "BTC-PERP"), undefined, "the BTC order's position went with it");
    assert.equal(harness.accountOf(alice).reserved, 300_000_000 + 600_000);
  });
});

describe("reduce-only orders", () => {
  it("reserve nothing, are cut to the position, and are refused when they would increase it", () => {
    // Proves reduce-only admission: never a reservation, the size cut down to |position|, and
    // ORDER_REDUCE_ONLY_WOULD_INCREASE for the same side or a flat account.
    const harness = harnessWith([btcSpec()], { [alice]: 20_000, [bob]: 50_000, [carol]: 20_000 });
    trade(harness, { maker: bob, taker: alice }, "BTC-PERP", "buy", 50_000, 1_000);
    harness.placeOk(alice, limit("BTC-PERP", "sell", 51_000, 2_000, { reduceOnly: true }));
    assert.equal(harness.lastEvents("OrderAccepted")[0]?.size, 1_000, "cut to the 1,000-lot long");
    assert.deepEqual([harness.accountOf(alice).reserved, mustPosition(harness, alice, "BTC-PERP").reduceOnlySellLots], [0, 1_000]);
    harness.rejected({ type: "placeOrder", account: alice, order: limit("BTC-PERP", "buy", 49_000, 10, { reduceOnly: true }) }, "ORDER_REDUCE_ONLY_WOULD_INCREASE");
    harness.rejected({ type: "placeOrder", account: carol, order: marketOrder("BTC-PERP", "sell", 10, { reduceOnly: true }) }, "ORDER_NO_LIQUIDITY");
    harness.placeOk(bob, limit("BTC-PERP", "buy", 49_000, 10));
    harness.rejected({ type: "placeOrder", account: carol, order: marketOrder("BTC-PERP", "sell", 10, { reduceOnly: true }) }, "ORDER_REDUCE_ONLY_WOULD_INCREASE");
    // A reduce-only taker closes and stops at zero.
    harness.placeOk(bob, limit("BTC-PERP", "buy", 49_500, 5_000));
    harness.placeOk(alice, marketOrder("BTC-PERP", "sell", 3_000, { reduceOnly: true }));
    assert.equal(harness.position(alice, "BTC-PERP")?.size ?? 0, 0);
  });

  // Proves resting reduce-only orders never increase a position: at the end of the command whose fills
  // shrank the position, the order is cut to what is left (OrderReduced), or canceled (REDUCE_ONLY) when
  // the position is gone or flipped, so the book never shows a stale reduce-only size; a later taker
  // then fills only what is left.
  const cases: readonly { name: string; sellLots: number; left: number; cut: boolean; canceled: boolean }[] = [
    { name: "cut to what is left when the position shrank", sellLots: 600, left: 400, cut: true, canceled: false },
    { name: "canceled when the position is closed", sellLots: 1_000, left: 0, cut: false, canceled: true },
    { name: "canceled when the position flipped", sellLots: 2_000, left: -1_000, cut: false, canceled: true },
  ];
  for (const { name, sellLots, left, cut, canceled } of cases) {
    it(`are ${name}`, () => {
      const harness = harnessWith([btcSpec()], { [alice]: 20_000, [bob]: 20_000, [carol]: 20_000 });
      trade(harness, { maker: bob, taker: alice }, "BTC-PERP", "buy", 50_000, 1_000);
      harness.placeOk(alice, limit("BTC-PERP", "sell", 51_000, 1_000, { reduceOnly: true }));
      harness.placeOk(bob, limit("BTC-PERP", "buy", 50_000, sellLots));
      harness.placeOk(alice, marketOrder("BTC-PERP", "sell", sellLots));
      assert.equal(harness.position(alice, "BTC-PERP")?.size ?? 0, left);
      const reduced = harness.lastEvents("OrderReduced");
      const canceledEvents = harness.lastEvents("OrderCanceled");
      assert.equal(reduced.length, cut ? 1 : 0);
      if (cut) assert.equal(reduced[0]?.remaining, 400);
      assert.deepEqual(canceledEvents.map((event) => [event.reason, event.canceledBy]), canceled ? [["REDUCE_ONLY", "system"]] : []);
      harness.placeOk(carol, limit("BTC-PERP", "buy", 51_000, 1_000, { timeInForce: "IOC" }));
      const filled = harness.lastEvents("TradeExecuted").reduce((total, event) => total + event.size, 0);
      assert.equal(filled, cut ? 400 : 0);
      assert.equal(harness.position(alice, "BTC-PERP")?.size ?? 0, cut ? 0 : left);
    });
  }
});

describe("positions", () => {
  // Proves one fill opens, increases, reduces, flips through zero and closes a position with exact
  // realised PnL (against the average entry), entry notional, isolated margin (initial margin in, the
  // closed share of margin plus PnL out, all of it at zero) and cash; and the same path in cross mode,
  // where only PnL and fees touch cash. Alice takes every time (fee 0.10 %), Bob makes.
  const path: readonly { side: "buy" | "sell"; price: number; lots: number; size: number; entry: number; realized: number; margin: number; isolatedCash: number; event: string }[] = [
    { side: "buy", price: 50_000, lots: 1_000, size: 1_000, entry: usd(50_000), realized: 0, margin: usd(5_000), isolatedCash: -usd(5_000), event: "PositionOpened" },
    { side: "buy", price: 52_000, lots: 1_000, size: 2_000, entry: usd(102_000), realized: 0, margin: usd(10_200), isolatedCash: -usd(5_200), event: "PositionUpdated" },
    // Closes 500 of 2,000 lots: cost 102,000 × ¼ = 25,500, exit 26,500. ¼ of the 10,200 margin (2,550) plus
    // the 1,000 PnL goes to cash; the 1,500 lots left keep ¾ of it (7,650), as if opened alone.
    { side: "sell", price: 53_000, lots: 500, size: 1_500, entry: usd(76_500), realized: usd(1_000), margin: usd(7_650), isolatedCash: usd(3_550), event: "PositionUpdated" },
    // Flips: closes 1,500 (cost 76,500, exit 75,000), releases all 7,650 − 1,500, opens 1,000 short at 50,000.
    { side: "sell", price: 50_000, lots: 2_500, size: -1_000, entry: usd(50_000), realized: -usd(1_500), margin: usd(5_000), isolatedCash: usd(6_150 - 5_000), event: "PositionUpdated" },
    { side: "buy", price: 49_000, lots: 1_000, size: 0, entry: 0, realized: usd(1_000), margin: 0, isolatedCash: usd(6_000), event: "PositionClosed" },
  ];
  for (const mode of ["isolated", "cross"] as const) {
    it(`open, increase, reduce, flip and close a ${mode} position`, () => {
      const harness = harnessWith([btcSpec()], { [alice]: 30_000, [bob]: 60_000 });
      if (mode === "cross") harness.ok({ type: "setMarginMode", account: alice, market: "BTC-PERP", mode });
      let cash = usd(30_000);
      for (const step of path) {
        trade(harness, { maker: bob, taker: alice }, "BTC-PERP", step.side, step.price, step.lots);
        const fee = (step.price * step.lots * 1_000) / 1_000; // 0.10 % of price × lots × $0.001
        cash += (mode === "isolated" ? step.isolatedCash : step.realized) - fee;
        const [event] = harness.steps.at(-1)!.events.filter((each) => each.type.startsWith("Position") && "account" in each && each.account === alice);
        assert.ok(event !== undefined && "realizedPnl" in event);
        assert.deepEqual(
          [event.type, event.size, event.entryNotional, event.realizedPnl, event.margin, event.fee, event.cash],
          [step.event, step.size, step.entry, step.realized, mode === "isolated" ? step.margin : 0, fee, cash],
          `${step.side} ${step.lots} at ${step.price}`,
        );
        const position = harness.position(alice, "BTC-PERP");
        if (step.size === 0) assert.equal(position, undefined, "a flat position with no orders is forgotten");
        else assert.deepEqual([position?.size, position?.entryNotional, position?.mode], [step.size, step.entry, mode]);
        assert.equal(harness.accountOf(alice).cash, cash);
      }
      // Σ realised = $500 = what the round trip made, before fees.
      assert.equal(path.reduce((total, step) => total + step.realized, 0), usd(500));
    });
  }
});

describe("insurance fund", () => {
  // Proves an isolated loss beyond the position's margin: the insurance fund covers the deficit as far
  // as it reaches (InsuranceFundUsed says how much), what it cannot cover comes out of the trader's cash,
  // and the position's margin never goes below zero. The fund holds 40 % of the fees so far, the closing
  // trade's included (it settles before the position moves): $24 of the opening trade's $60, and at an
  // exit of $44,000 $21.12 of the closing trade's $52.80.
  const cases: readonly { name: string; exit: number; deficit: number; covered: number }[] = [
    { name: "covers a $10 deficit in full", exit: 44_990, deficit: usd(10), covered: usd(10) },
    { name: "covers what it holds of a $1,000 deficit; the trader's cash pays the rest", exit: 44_000, deficit: usd(1_000), covered: 24_000_000 + 21_120_000 },
  ];
  for (const { name, exit, deficit, covered } of cases) {
    it(name, () => {
      const harness = harnessWith([btcSpec()], { [alice]: 10_000, [bob]: 10_000, [carol]: 100_000 });
      trade(harness, { maker: bob, taker: alice }, "BTC-PERP", "buy", 50_000, 1_000); // margin $5,000, fund $24
      // $45,500, not lower: equity $500 stays above the $415 maintenance margin, so alice may still close
      // herself (a liquidatable position places no orders), and both exits lie inside the ±10 % band.
      harness.indexPrice("BTC-PERP", 45_500);
      harness.placeOk(carol, limit("BTC-PERP", "buy", exit, 1_000));
      const cash = harness.accountOf(alice).cash;
      harness.placeOk(alice, marketOrder("BTC-PERP", "sell", 1_000));
      const [used] = harness.lastEvents("InsuranceFundUsed");
      assert.deepEqual([used?.account, used?.deficit, used?.covered, used?.fundBalance], [alice, deficit, covered, harness.exchange.treasury.insuranceFund]);
      const fee = exit * 1_000; // 0.10 % of exit × 1 BTC
      assert.equal(harness.accountOf(alice).cash, cash - fee - (deficit - covered));
      assert.equal(harness.position(alice, "BTC-PERP"), undefined);
    });
  }
});

describe("isolated margin adjustments (PRD §3.1.3)", () => {
  it("adds margin from free collateral and removes it only while the position keeps its initial margin", () => {
    // Proves adjustMargin: adding needs free collateral; removing is limited to margin + unrealised loss −
    // initial margin at mark (a profit does not count), and is refused on cross, flat or zero amounts.
    const harness = harnessWith([btcSpec()], { [alice]: 10_000, [bob]: 20_000 });
    trade(harness, { maker: bob, taker: alice }, "BTC-PERP", "buy", 50_000, 1_000); // margin 5,000, cash 4,950
    const adjust = (amount: number) => ({ type: "adjustMargin", account: alice, market: "BTC-PERP", amount }) as const;
    const position = mustPosition(harness, alice, "BTC-PERP");
    harness.rejected(adjust(usd(4_950) + 1), "MARGIN_INSUFFICIENT");
    harness.ok(adjust(usd(1_000)));
    assert.deepEqual(harness.lastEvents("MarginAdded").map((event) => [event.amount, event.margin]), [[usd(1_000), usd(6_000)]]);
    assert.equal(position.margin, usd(6_000));
    const cases: readonly { index: number; removable: number }[] = [
      { index: 50_000, removable: usd(1_000) },
      { index: 52_000, removable: usd(800) }, // IM at mark 5,200; the $2,000 profit does not count
      { index: 49_500, removable: usd(1_000 - 500 + 50) }, // −500 loss, IM 4,950
      { index: 49_000, removable: usd(100) },
      { index: 48_800, removable: 0 }, // 6,000 − 1,200 − 4,880 < 0
    ];
    for (const { index, removable } of cases) {
      harness.indexPrice("BTC-PERP", index);
      const rejection = harness.rejected(adjust(-removable - 1), "MARGIN_ADJUST_INVALID");
      assert.deepEqual(rejection.details, { removable: String(removable / 1_000_000) }, `at ${index}`);
    }
    harness.indexPrice("BTC-PERP", 52_000);
    harness.ok(adjust(-usd(800)));
    assert.deepEqual(harness.lastEvents("MarginRemoved").map((event) => [event.amount, event.margin]), [[usd(800), usd(5_200)]]);
    harness.rejected(adjust(0), "MARGIN_ADJUST_INVALID");
    harness.rejected(adjust(0.5), "MARGIN_ADJUST_INVALID");
    harness.rejected({ type: "adjustMargin", account: bob, market: "ETH-PERP", amount: 1 }, "MARKET_NOT_FOUND");
    harness.rejected({ type: "adjustMargin", account: carol, market: "BTC-PERP", amount: 1 }, "ACCOUNT_NOT_FOUND");
    harness.fund(carol, 10);
    harness.rejected({ type: "adjustMargin", account: carol, market: "BTC-PERP", amount: 1 }, "MARGIN_ADJUST_INVALID");
  });

  it("funds neither added isolated margin nor a lower isolated leverage with unrealised cross profit", () => {
    // Proves both move cash into an isolated position as a withdrawal would: against what is withdrawable
    // (a cross paper profit does not count), not against free collateral (where it does). Alice: cross
    // long 0.1 BTC at 10x, isolated long 1 ETH at 10x ($300 of margin), $692 of cash; BTC then +10 %.
    const harness = harnessWith([btcSpec(), ethSpec()], { [alice]: 1_000, [bob]: 100_000 });
    harness.ok({ type: "setMarginMode", account: alice, market: "BTC-PERP", mode: "cross" });
    trade(harness, { maker: bob, taker: alice }, "BTC-PERP", "buy", 50_000, 100);
    trade(harness, { maker: bob, taker: alice }, "ETH-PERP", "buy", 300_000, 1_000);
    harness.indexPrice("BTC-PERP", 55_000);
    const account = harness.exchange.engine.accounts.find(alice)!;
    const position = mustPosition(harness, alice, "ETH-PERP");
    // 10x → 5x needs $300 more: within free collateral ($642 with the $500 profit), past withdrawable ($142).
    assert.ok(freeCollateral(account, harness.exchange) > usd(300) && withdrawable(account, harness.exchange) < usd(300));
    harness.rejected({ type: "setLeverage", account: alice, market: "ETH-PERP", leverage: 5 }, "MARGIN_INSUFFICIENT");
    assert.equal(position.margin, usd(300));
    // 10x → 8x needs $75, which is withdrawable.
    harness.ok({ type: "setLeverage", account: alice, market: "ETH-PERP", leverage: 8 });
    assert.equal(position.margin, usd(375));
    const left = withdrawable(account, harness.exchange);
    assert.ok(left > 0 && freeCollateral(account, harness.exchange) > left + usd(400));
    const adjust = (amount: number) => ({ type: "adjustMargin", account: alice, market: "ETH-PERP", amount }) as const;
    harness.rejected(adjust(left + 1), "MARGIN_INSUFFICIENT");
    harness.ok(adjust(left));
    assert.ok(account.cash >= 0);
  });

  it("refuses margin adjustments on a cross position", () => {
    // Proves cross positions hold no margin of their own to adjust.
    const harness = harnessWith([btcSpec()], { [alice]: 10_000, [bob]: 20_000 });
    harness.ok({ type: "setMarginMode", account: alice, market: "BTC-PERP", mode: "cross" });
    trade(harness, { maker: bob, taker: alice }, "BTC-PERP", "buy", 50_000, 100);
    harness.rejected({ type: "adjustMargin", account: alice, market: "BTC-PERP", amount: usd(10) }, "MARGIN_ADJUST_INVALID");
  });
});

describe("fees (SPEC 07, PRD: 40 % to the insurance fund)", () => {
  it("moves an account to the next volume tier the day after its 30-day volume reaches it", () => {
    // Proves fee tiers follow rolling 30-day volume, fixed per UTC day: $100,000 traded on day 0 still
    // pays tier 0 that day (0.02 % / 0.10 %) and tier 1 (0.01 % / 0.08 %) on day 1; 40 % of the net fee
    // goes to the insurance fund, the rest to the treasury.
    const harness = harnessWith([btcSpec()], { [alice]: 20_000, [bob]: 20_000 });
    trade(harness, { maker: bob, taker: alice }, "BTC-PERP", "buy", 50_000, 2_000); // $100,000
    const settled = () => harness.lastEvents("TradeSettled").map((event) => [event.makerFee, event.takerFee, event.insuranceShare, event.treasuryShare]);
    assert.deepEqual(settled(), [[usd(20), usd(100), usd(48), usd(72)]]);
    trade(harness, { maker: bob, taker: alice }, "BTC-PERP", "buy", 50_000, 100); // $5,000, same day: tier 0
    assert.deepEqual(settled(), [[usd(1), usd(5), 2_400_000, 3_600_000]]);
    harness.tick(epoch + nanosecondsPerDay + 1n);
    trade(harness, { maker: bob, taker: alice }, "BTC-PERP", "sell", 50_000, 1_000); // $50,000 on day 1: tier 1
    assert.deepEqual(settled(), [[usd(5), usd(40), usd(18), usd(27)]]);
  });

  it("pays maker rebates from the $10,000,000 tier and forgets volume after 30 days", () => {
    // Proves the rebate tiers are reached by volume (maker −0.01 %, taker 0.04 % from $10,000,000), that a
    // rebate reaches the maker's cash and the split is of the net fee, and that volume older than 30 days
    // no longer counts.
    const harness = harnessWith([btcSpec()], { [alice]: 2_500_000, [bob]: 2_500_000 });
    for (const address of [alice, bob]) setLeverage(harness, address, "BTC-PERP", 5);
    trade(harness, { maker: bob, taker: alice }, "BTC-PERP", "buy", 50_000, 200_000); // $10,000,000
    harness.tick(epoch + nanosecondsPerDay + 1n);
    const bobCash = harness.accountOf(bob).cash;
    const bobMargin = mustPosition(harness, bob, "BTC-PERP").margin;
    trade(harness, { maker: bob, taker: alice }, "BTC-PERP", "sell", 50_000, 1_000);
    const [settled] = harness.lastEvents("TradeSettled");
    assert.deepEqual([settled?.makerFee, settled?.takerFee, settled?.insuranceShare, settled?.treasuryShare], [-usd(5), usd(20), usd(6), usd(9)]);
    // Bob's bid closed 1 of his 200 BTC short: his cash got the rebate and 1/200 of his margin, which
    // first received the hour's funding (longs paid shorts 0.01 % of $10,000,000).
    const [funding] = harness.lastEvents("FundingPaid").filter((event) => event.account === bob);
    assert.equal(funding?.amount, -usd(1_000));
    assert.equal(harness.accountOf(bob).cash - bobCash, usd(5) + (bobMargin + usd(1_000)) / 200);
    harness.tick(epoch + 31n * nanosecondsPerDay + 1n);
    trade(harness, { maker: bob, taker: alice }, "BTC-PERP", "sell", 50_000, 1_000);
    assert.deepEqual(harness.lastEvents("TradeSettled").map((event) => [event.makerFee, event.takerFee]), [[usd(10), usd(50)]]);
  });

  // Proves fees round in the exchange's favour (a charge up, a rebate down in magnitude) on a notional
  // that is not a whole number of fee units, for tier rates and overrides, and the half-up 40 % split.
  const rounding: readonly {
    name: string;
    maker: { makerPpm: number; takerPpm: number } | null;
    taker: { makerPpm: number; takerPpm: number } | null;
    fees: readonly [number, number, number, number];
  }[] = [
    { name: "tier 0 on both sides", maker: null, taker: null, fees: [601, 3_001, 1_441, 2_161] },
    { name: "a −0.01 % rebate against a 0.05 % taker", maker: { makerPpm: -100, takerPpm: 500 }, taker: { makerPpm: 0, takerPpm: 500 }, fees: [-300, 1_501, 480, 721] },
    { name: "the largest rebate against the smallest taker rate", maker: { makerPpm: -200, takerPpm: 200 }, taker: { makerPpm: 0, takerPpm: 200 }, fees: [-600, 601, 0, 1] },
  ];
  for (const { name, maker, taker, fees } of rounding) {
    it(`rounds fees toward the exchange: ${name}`, () => {
      const harness = harnessWith([ethSpec()], { [alice]: 1_000, [bob]: 1_000 });
      if (maker !== null) harness.ok({ type: "feeOverride", account: bob, rates: maker });
      if (taker !== null) harness.ok({ type: "feeOverride", account: alice, rates: taker });
      // 1 lot (0.001 ETH) at $3,000.01: $3.00001 notional.
      trade(harness, { maker: bob, taker: alice }, "ETH-PERP", "buy", 300_001, 1);
      const [settled] = harness.lastEvents("TradeSettled");
      assert.equal(settled?.notional, 3_000_010);
      assert.deepEqual([settled?.makerFee, settled?.takerFee, settled?.insuranceShare, settled?.treasuryShare], fees);
    });
  }

  it("validates fee overrides against the schedule and clears them", () => {
    // Proves feeOverride: taker 0 … 2 %, no rebate beyond the schedule's largest, no taker rate below the
    // schedule's smallest (so no fill pays out more than it takes); null restores the tier.
    const harness = harnessWith([btcSpec()], { [alice]: 10_000, [bob]: 10_000 });
    const override = (makerPpm: number, takerPpm: number) => ({ type: "feeOverride", account: alice, rates: { makerPpm, takerPpm } }) as const;
    for (const [makerPpm, takerPpm] of [
      [0, 20_001],
      [-201, 500],
      [0, 199],
      [1.5, 500],
      [-300, 200],
    ] as const) {
      harness.rejected(override(makerPpm, takerPpm), "FEE_INVALID");
    }
    harness.rejected({ type: "feeOverride", account: carol, rates: null }, "ACCOUNT_NOT_FOUND");
    harness.ok(override(0, 200));
    assert.deepEqual(harness.lastEvents("FeeOverrideChanged").map((event) => [event.makerPpm, event.takerPpm]), [[0, 200]]);
    trade(harness, { maker: bob, taker: alice }, "BTC-PERP", "buy", 50_000, 100);
    assert.equal(harness.lastEvents("TradeSettled")[0]?.takerFee, usd(1));
    harness.ok({ type: "feeOverride", account: alice, rates: null });
    trade(harness, { maker: bob, taker: alice }, "BTC-PERP", "buy", 50_000, 100);
    assert.equal(harness.lastEvents("TradeSettled")[0]?.takerFee, usd(5));
  });
});

describe("mark price (PRD §2.2.3)", () => {
  it("is index × (1 + the 5-minute EMA of the book's basis), and the basis decays to zero with one side empty", () => {
    // Proves the mark follows Index × (1 + basis) with the basis a per-second EMA (N = 300) of
    // ((bid + ask) / 2 − index) / index, converging to the premium and decaying to zero once a book side
    // is empty; the price band follows the mark.
    const harness = harnessWith([btcSpec()], { [carol]: 100_000 });
    const at = (seconds: number): bigint => epoch + BigInt(seconds) * nanosecondsPerSecond;
    harness.placeOk(carol, limit("BTC-PERP", "buy", 50_100, 100));
    harness.placeOk(carol, limit("BTC-PERP", "sell", 50_300, 100));
    const market = harness.perpMarket("BTC-PERP");
    const basis = () => harness.exchange.marks.states[market.index]!.basisPpb;
    const premium = 4_000_000; // (50,200 − 50,000) / 50,000 = 0.4 %
    harness.tick(at(1));
    assert.equal(basis(), 26_578, "one step of α = 2/301: 4,000,000 × 2 / 301 = 26,578.07");
    assert.deepEqual(harness.lastEvents("MarkPriceUpdated").map((event) => [event.markPrice, event.indexPrice, event.basisPpb]), [[50_001, 50_000, 26_578]]);
    for (let second = 2; second <= 300; second += 1) harness.tick(at(second));
    const expected = premium * (1 - (299 / 301) ** 300);
    assert.ok(Math.abs(basis() - expected) <= 76, `after 300 s the basis ${basis()} is the EMA ${expected}`);
    assert.equal(market.markPrice, 50_173);
    assert.equal(harness.exchange.engine.markets[market.index]!.referencePrice, market.markPrice, "the price band follows the mark");
    harness.tick(at(300 + 3_600));
    assert.deepEqual([basis(), market.markPrice], [premium, 50_200]);
    harness.indexPrice("BTC-PERP", 51_000);
    assert.equal(market.markPrice, 51_204, "51,000 × 1.004");
    harness.indexPrice("BTC-PERP", 50_000);
    // One side empty: the sample is zero, and the basis decays.
    harness.ok({ type: "cancelAll", account: carol, market: "BTC-PERP" });
    harness.placeOk(carol, limit("BTC-PERP", "sell", 50_300, 100));
    harness.tick(at(3_901));
    assert.equal(basis(), 3_973_422, "4,000,000 × 299 / 301");
    for (let second = 3_902; second <= 4_200; second += 1) harness.tick(at(second));
    assert.ok(Math.abs(basis() - premium * (299 / 301) ** 300) <= 76);
    harness.tick(at(4_200 + 3_600));
    assert.deepEqual([basis(), market.markPrice], [0, 50_000]);
  });
});

describe("funding (PRD §2.2.2)", () => {
  const second = (seconds: number): bigint => epoch + BigInt(seconds) * nanosecondsPerSecond;

  /**
   * Alice long and Bob short 1 BTC at $50,000 (isolated); Carol quotes `book`. A tick after 3,601 s sets
   * the basis to the book's premium exactly (past the EMA horizon), settles hour 0, and ticks every minute
   * of hour 1 sample a constant premium; the tick at 2 h settles hour 1.
   */
  function fundedHours(book: { bid?: number; ask?: number }): ExchangeHarness {
    const harness = harnessWith([btcSpec()], { [alice]: 20_000, [bob]: 20_000, [carol]: 100_000 });
    // 5x, not the default 10x: a ±9 % premium would otherwise move the mark far enough to liquidate one side.
    for (const address of [alice, bob]) harness.ok({ type: "setLeverage", account: address, market: "BTC-PERP", leverage: 5 });
    trade(harness, { maker: bob, taker: alice }, "BTC-PERP", "buy", 50_000, 1_000);
    if (book.bid !== undefined) harness.placeOk(carol, limit("BTC-PERP", "buy", book.bid, 100));
    if (book.ask !== undefined) harness.placeOk(carol, limit("BTC-PERP", "sell", book.ask, 100));
    harness.tick(second(3_601));
    for (let minute = 61; minute < 120; minute += 1) harness.tick(second(minute * 60));
    harness.tick(second(7_200));
    return harness;
  }

  function settlements(harness: ExchangeHarness): EventOf<"FundingSettled">[] {
    return harness.steps.flatMap((step) => eventsOf(step.events, "FundingSettled"));
  }

  /** Touches both positions (adds 1 µUSD of margin) and returns their FundingPaid amounts. */
  function touch(harness: ExchangeHarness): [number, number] {
    const paid: number[] = [];
    for (const address of [alice, bob]) {
      harness.ok({ type: "adjustMargin", account: address, market: "BTC-PERP", amount: 1 });
      paid.push(harness.lastEvents("FundingPaid")[0]?.amount ?? 0);
    }
    return [paid[0]!, paid[1]!];
  }

  it("settles hour 1 at 3 × the premium + 0.01 %, and longs pay shorts size × mark × rate when it is touched", () => {
    // Proves the rate formula exactly (a constant 0.1 % premium → 0.31 %), settlement on the hour at the
    // mark, and lazy payment: no FundingPaid at settlement, one per position (both hours together) when
    // the position is next touched, from longs to shorts, out of and into the isolated margin.
    const harness = fundedHours({ bid: 50_040, ask: 50_060 });
    assert.deepEqual(
      settlements(harness).map((event) => [event.time, event.ratePpb, event.markPrice]),
      [
        [second(3_601), 100_000, 50_050], // hour 0 saw only the zero premium of its first minute
        [second(7_200), 3_100_000, 50_050],
      ],
    );
    assert.equal(harness.steps.flatMap((step) => eventsOf(step.events, "FundingPaid")).length, 0, "nothing is paid until touched");
    const margins = [mustPosition(harness, alice, "BTC-PERP").margin, mustPosition(harness, bob, "BTC-PERP").margin];
    // 1 BTC × $50,050 × (0.01 % + 0.31 %) = $160.16.
    assert.deepEqual(touch(harness), [160_160_000, -160_160_000]);
    assert.equal(mustPosition(harness, alice, "BTC-PERP").margin, margins[0]! - 160_160_000 + 1);
    assert.equal(mustPosition(harness, bob, "BTC-PERP").margin, margins[1]! + 160_160_000 + 1);
    assert.deepEqual(touch(harness), [0, 0], "caught up: nothing more is owed");
  });

  it("funding paid from a cross account's cash cancels the orders its cash no longer covers", () => {
    // Funding is settled when a position is next touched, and no pre-trade check counts what is pending.
    // Alice, cross long 1 BTC at 20x ($2,500 of initial margin), rests an isolated ETH buy with most of
    // the $450 she can still commit; five hours at the +1 % cap then cost her about $2,700 at once.
    const harness = harnessWith([btcSpec(), ethSpec()], { [alice]: 3_000, [bob]: 100_000, [carol]: 100_000, [dave]: 100_000 });
    harness.ok({ type: "setMarginMode", account: alice, market: "BTC-PERP", mode: "cross" });
    harness.ok({ type: "setLeverage", account: alice, market: "BTC-PERP", leverage: 20 });
    harness.ok({ type: "setLeverage", account: bob, market: "BTC-PERP", leverage: 2 });
    trade(harness, { maker: bob, taker: alice }, "BTC-PERP", "buy", 50_000, 1_000);
    const buy = harness.placeOk(alice, limit("ETH-PERP", "buy", 290_000, 1_200));
    const buyId = eventsOf(buy.events, "OrderAccepted")[0]!.orderId;
    const account = harness.exchange.engine.accounts.find(alice)!;
    assert.ok(account.reserved > 300_000_000 && account.reserved < account.cash, "the buy reserves about $350 of her cash");
    // A 9 % premium: the rate clamps to +1 % an hour, longs pay.
    harness.placeOk(carol, limit("BTC-PERP", "buy", 54_000, 100));
    harness.placeOk(carol, limit("BTC-PERP", "sell", 55_000, 100));
    for (let minute = 1; minute <= 5 * 60; minute += 1) harness.tick(second(minute * 60));
    assert.equal(harness.steps.flatMap((step) => eventsOf(step.events, "FundingPaid")).length, 0, "nothing is paid until touched");
    // She sells one lot: the fill settles her funding, and her cash no longer covers the ETH buy.
    harness.placeOk(alice, limit("BTC-PERP", "sell", 54_000, 1, { timeInForce: "IOC" }));
    const paid = harness.lastEvents("FundingPaid").filter((event) => event.account === alice);
    assert.ok(paid.length === 1 && paid[0]!.amount > 2_500_000_000, `she paid over $2,500 of funding (${paid[0]?.amount})`);
    assert.deepEqual(harness.lastEvents("OrderCanceled").map((event) => [event.orderId, event.reason, event.canceledBy]), [[buyId, "INSUFFICIENT_MARGIN", "system"]]);
    assert.ok(account.cash >= account.reserved);
    // Had it stayed, this sell would have filled it and left her cash owing what nothing backs.
    harness.placeOk(dave, limit("ETH-PERP", "sell", 290_000, 1_200, { timeInForce: "IOC" }));
    assert.equal(harness.lastEvents("TradeExecuted").length, 0);
  });

  // Proves the clamp to ±1 % per hour and the sign (a negative rate makes shorts pay longs), and that a
  // book with one side empty samples a zero premium (the rate is the interest alone).
  const rates: readonly { name: string; book: { bid?: number; ask?: number }; ratePpb: number }[] = [
    { name: "a 9 % premium clamps to +1 %", book: { bid: 54_000, ask: 55_000 }, ratePpb: 10_000_000 },
    { name: "a −9 % premium clamps to −1 %", book: { bid: 45_000, ask: 46_000 }, ratePpb: -10_000_000 },
    { name: "a −0.1 % premium gives −0.29 %: shorts pay longs", book: { bid: 49_940, ask: 49_960 }, ratePpb: -2_900_000 },
    { name: "one empty side gives the 0.01 % interest", book: { ask: 50_060 }, ratePpb: 100_000 },
  ];
  for (const { name, book, ratePpb } of rates) {
    it(`rate: ${name}`, () => {
      const harness = fundedHours(book);
      const settled = settlements(harness);
      assert.deepEqual(settled.map((event) => event.ratePpb), [100_000, ratePpb]);
      // Σ over both hours of size × mark × $0.001 per tick-lot × rate, rounded up for the payer.
      const owed = settled.reduce((total, event) => total + 1_000n * BigInt(event.markPrice) * 1_000n * BigInt(event.ratePpb), 0n);
      const [long, short] = touch(harness);
      assert.equal(long, Number(ceilDiv(owed, 1_000_000_000n)));
      assert.equal(short, Number(ceilDiv(-owed, 1_000_000_000n)));
      assert.equal(long > 0, owed > 0n, "the long pays when the rate is positive");
    });
  }

  it("samples once a minute and settles on the hour, not before", () => {
    // Proves funding samples the premium at the first command of each minute (not per command) and
    // settles exactly at the first command at or after the hour boundary.
    const harness = harnessWith([btcSpec()], { [alice]: 1_000 });
    const state = () => harness.exchange.funding.states[0]!;
    for (let seconds = 10; seconds < 300; seconds += 10) harness.tick(second(seconds));
    assert.deepEqual([state().count, state().lastSampleMinute], [5, Number((epoch + 290n * nanosecondsPerSecond) / nanosecondsPerMinute)]);
    harness.tick(second(3_600) - 1n);
    assert.equal(settlements(harness).length, 0);
    harness.tick(second(3_600));
    assert.deepEqual(settlements(harness).map((event) => event.time), [second(3_600)]);
    assert.equal(state().count, 1, "the new hour's first sample");
  });

  it("charges a position opened after the hour nothing for the hour before", () => {
    // Proves the hour settles at the first command after its end, whatever that command is: a position
    // opened at 1:00:00.5, before any tick of the new hour, pays hour 1 only ($5 = 1 BTC × $50,000 × 0.01 %).
    const harness = harnessWith([btcSpec()], { [alice]: 20_000, [bob]: 20_000 });
    harness.tick(second(1_800));
    harness.placeOk(bob, limit("BTC-PERP", "sell", 50_000, 1_000), second(3_600) + 500_000_000n);
    assert.deepEqual(harness.lastEvents("FundingSettled").map((event) => event.ratePpb), [100_000], "hour 0 settled before the order");
    harness.placeOk(alice, limit("BTC-PERP", "buy", 50_000, 1_000, { timeInForce: "IOC" }));
    harness.tick(second(7_200));
    assert.deepEqual(touch(harness), [usd(5), -usd(5)]);
  });

  it("is zero-sum to the µUSD: payers round up, receivers down, the dust goes to the insurance fund", () => {
    // Proves the rounding residual: three longs of 1, 2 and 3 lots and one short of 6 at a mark of
    // $3,000.01 and 0.01 % owe 0.300001 µUSD × 1000 per lot: the longs pay 301 + 601 + 901, the short
    // receives 1,800 (not 1,800.006), and the 3 µUSD left over reach the insurance fund as the positions
    // catch up — no dust is left once all have.
    const harness = harnessWith([ethSpec()], { [alice]: 100, [bob]: 100, [carol]: 100, [dave]: 100 });
    harness.indexPrice("ETH-PERP", 300_001);
    harness.placeOk(dave, limit("ETH-PERP", "sell", 300_000, 6));
    for (const [address, lots] of [[alice, 1], [bob, 2], [carol, 3]] as const) {
      harness.placeOk(address, limit("ETH-PERP", "buy", 300_000, lots, { timeInForce: "IOC" }));
    }
    harness.tick(second(3_600));
    assert.deepEqual(harness.lastEvents("FundingSettled").map((event) => [event.ratePpb, event.markPrice]), [[100_000, 300_001]]);
    const fund = harness.exchange.treasury.insuranceFund;
    const paid: number[] = [];
    for (const address of [alice, bob, carol, dave]) {
      harness.ok({ type: "adjustMargin", account: address, market: "ETH-PERP", amount: 1 });
      paid.push(harness.lastEvents("FundingPaid")[0]!.amount);
    }
    assert.deepEqual(paid, [301, 601, 901, -1_800]);
    assert.equal(harness.exchange.treasury.insuranceFund - fund, 3);
    assert.equal(harness.exchange.funding.dust, 0n);
  });
});

describe("PRD worked examples", () => {
  it("§3.1.2: closing 1 BTC long from $50,000 at $52,000 realises $2,000 and pays a $26 fee at 0.05 %", () => {
    // Proves the PRD's close: PnL = (52,000 − 50,000) × 1 = $2,000, fee = 52,000 × 1 × 0.05 % = $26, net
    // $1,974. perpdex charges the SPEC 07 tier (0.10 % taker at tier 0: $52), so the PRD's 0.05 % is
    // reproduced with a fee override (maker 0, taker 500 ppm). The PRD leaves out the opening fee ($25 at
    // the same rate), which perpdex charges too.
    const harness = harnessWith([btcSpec()], { [alice]: 10_000, [bob]: 10_000, [carol]: 10_000 });
    harness.ok({ type: "feeOverride", account: alice, rates: { makerPpm: 0, takerPpm: 500 } });
    trade(harness, { maker: bob, taker: alice }, "BTC-PERP", "buy", 50_000, 1_000);
    assert.equal(harness.lastEvents("TradeSettled")[0]?.takerFee, usd(25));
    harness.placeOk(carol, limit("BTC-PERP", "buy", 52_000, 1_000));
    harness.placeOk(alice, marketOrder("BTC-PERP", "sell", 1_000));
    const [closed] = harness.lastEvents("PositionClosed").filter((event) => event.account === alice);
    assert.deepEqual([closed?.realizedPnl, closed?.fee], [usd(2_000), usd(26)]);
    assert.equal(closed!.realizedPnl - closed!.fee, usd(1_974));
    assert.equal(harness.accountOf(alice).cash, usd(10_000 + 2_000 - 25 - 26));
  });

  it("§8.2: 2 BTC at $50,000 cannot use 50x; at 20x the margin is $5,000 and the liquidation price $48,312", () => {
    // Proves what perpdex does with the PRD's opening example. The PRD opens 2 BTC ($100,000) at 50x
    // (IM $2,000) but its own tier table caps $100,000 at 20x: perpdex rejects 50x (LEVERAGE_EXCEEDS_TIER,
    // at most 20x) and at 20x holds IM = $5,000. MM is bracketed over the tiers ($10,000 × 0.6 % +
    // $40,000 × 1 % + $50,000 × 2.5 % = $1,710), not the PRD's flat 0.6 % ($600). The PRD's liquidation
    // price, 50,000 × (1 − (0.02 − 0.006) / 2) = $49,650, divides a rate by a size (2 BTC); perpdex's
    // liquidation price is the mark at which equity = margin + PnL falls below MM, exactly: $48,312 for
    // this position (found here by bisection on an independent MM and by liquidation-price.ts). Even on
    // the PRD's own inputs (IM $2,000, flat MM 0.6 %), that definition gives $49,295, not $49,650.
    const harness = harnessWith([btcSpec()], { [alice]: 10_000, [bob]: 20_000 });
    setLeverage(harness, alice, "BTC-PERP", 50);
    harness.placeOk(bob, limit("BTC-PERP", "sell", 50_000, 2_000));
    const rejection = harness.rejected({ type: "placeOrder", account: alice, order: limit("BTC-PERP", "buy", 50_000, 2_000) }, "LEVERAGE_EXCEEDS_TIER");
    assert.deepEqual(rejection.details, { leverageMax: "20" });
    assert.match(rejection.message, /100000 USD/);
    setLeverage(harness, alice, "BTC-PERP", 20);
    harness.placeOk(alice, limit("BTC-PERP", "buy", 50_000, 2_000, { timeInForce: "IOC" }));
    const position = mustPosition(harness, alice, "BTC-PERP");
    const market = harness.perpMarket("BTC-PERP");
    assert.deepEqual([position.size, position.entryNotional, position.margin], [2_000, usd(100_000), usd(5_000)]);
    assert.equal(positionMaintenance(position, market), usd(1_710));
    const equityAt = (mark: number): bigint => BigInt(position.margin) + 2_000n * BigInt(mark - 50_000) * 1_000n;
    const liquidatable = (mark: number): boolean => 1_000_000n * equityAt(mark) < bracketedMaintenanceTimesMillion(2_000n * BigInt(mark) * 1_000n);
    const bisected = highestTrue(liquidatable, 1, 50_000);
    assert.equal(bisected, 48_312);
    assert.equal(isolatedLiquidationPrice({ sizeLots: 2_000, entryPriceTicks: 50_000, margin: position.margin, quotePerTickLot: 1_000, profile: marginProfilePrd }), 48_312);
    // The PRD's inputs, by the same definition: margin $2,000 and a flat 0.6 % MM.
    const prdLiquidatable = (mark: number): boolean => 1_000n * (2_000_000_000n + 2_000n * BigInt(mark - 50_000) * 1_000n) < 6n * 2_000n * BigInt(mark) * 1_000n;
    assert.equal(highestTrue(prdLiquidatable, 1, 50_000), 49_295);
    assert.equal(50_000 * (1 - (0.02 - 0.006) / 2), 49_650);
    assert.equal(prdLiquidatable(49_650), false, "at the PRD's $49,650 its own trigger does not fire");
    // And the mark moving there: the position is still above maintenance at 48,313, below at 48,312.
    harness.indexPrice("BTC-PERP", 48_313);
    assert.ok(position.margin + unrealizedPnl(position, market) >= positionMaintenance(position, market));
    harness.indexPrice("BTC-PERP", 48_312);
    assert.ok(position.margin + unrealizedPnl(position, market) < positionMaintenance(position, market));
  });

  it("§8.2 funding: 5 ETH long at a $3,000 mark and 0.01 % pays $1.50 to the shorts", () => {
    // Proves the PRD's funding payment through the exchange: with the mark equal to the index all hour
    // (the book has one side empty, so the premium is 0), the rate is the 0.01 % interest, and
    // 5 × $3,000 × 0.0001 = $1.50 moves from the long to the short.
    const harness = harnessWith([ethSpec()], { [alice]: 5_000, [bob]: 5_000 });
    trade(harness, { maker: bob, taker: alice }, "ETH-PERP", "buy", 300_000, 5_000);
    harness.tick(epoch + nanosecondsPerHour);
    assert.deepEqual(harness.lastEvents("FundingSettled").map((event) => [event.ratePpb, event.markPrice]), [[100_000, 300_000]]);
    const paid: number[] = [];
    for (const address of [alice, bob]) {
      harness.ok({ type: "adjustMargin", account: address, market: "ETH-PERP", amount: 1 });
      paid.push(harness.lastEvents("FundingPaid")[0]!.amount);
    }
    assert.deepEqual(paid, [1_500_000, -1_500_000]);
  });
});

describe("rejections change nothing", () => {
  it("leaves no position behind for an order that neither rests nor fills", () => {
    // Proves the pre-trade check registers nothing: an IOC that finds no price leaves the account
    // without a position, so it can still withdraw everything and close.
    const harness = harnessWith([btcSpec()], { [alice]: 1_000, [bob]: 10_000 });
    harness.placeOk(bob, limit("BTC-PERP", "sell", 50_000, 100));
    harness.placeOk(alice, limit("BTC-PERP", "buy", 49_000, 10, { timeInForce: "IOC" }));
    assert.equal(harness.lastEvents("OrderExpired").length, 1);
    assert.equal(harness.accountOf(alice).positions.length, 0);
    harness.ok({ type: "withdraw", account: alice, asset: "USDC", amount: usdc(1_000) });
    harness.ok({ type: "accountStatus", account: alice, status: "closed" });
  });

  it("leaves the day's fee rates uncached when the first order of a day is refused", () => {
    // Proves a refused order does not fix the account's fee rates for the day (they are state, hashed):
    // the harness compares the state with a twin that got a tick instead.
    const harness = harnessWith([btcSpec()], { [alice]: 10_000, [bob]: 10_000 });
    trade(harness, { maker: bob, taker: alice }, "BTC-PERP", "buy", 50_000, 100);
    const day = harness.accountOf(alice).feeDay;
    harness.tick(epoch + nanosecondsPerDay);
    harness.rejected({ type: "placeOrder", account: alice, order: limit("BTC-PERP", "buy", 50_000, 10_000) }, "MARGIN_INSUFFICIENT");
    assert.equal(harness.accountOf(alice).feeDay, day);
  });
});

// ---------------------------------------------------------------------------------------------------
// Independent maintenance margin (PRD tier table, bracketed), × 10^6 so that it is exact.

const prdBrackets: readonly { floor: bigint; ratePpm: bigint }[] = [
  { floor: 0n, ratePpm: 6_000n },
  { floor: 10_000_000_000n, ratePpm: 10_000n },
  { floor: 50_000_000_000n, ratePpm: 25_000n },
  { floor: 250_000_000_000n, ratePpm: 50_000n },
  { floor: 1_000_000_000_000n, ratePpm: 100_000n },
];

function bracketedMaintenanceTimesMillion(notional: bigint): bigint {
  let total = 0n;
  prdBrackets.forEach(({ floor, ratePpm }, index) => {
    const ceiling = prdBrackets[index + 1]?.floor ?? notional;
    if (notional > floor) total += ((notional < ceiling ? notional : ceiling) - floor) * ratePpm;
  });
  return total;
}

/** The highest integer in [low, high] where a monotone (true, then false) predicate holds. */
function highestTrue(predicate: (value: number) => boolean, low: number, high: number): number {
  assert.ok(predicate(low) && !predicate(high));
  let [yes, no] = [low, high];
  while (no - yes > 1) {
    const middle = Math.floor((yes + no) / 2);
    if (predicate(middle)) yes = middle;
    else no = middle;
  }
  return yes;
}
