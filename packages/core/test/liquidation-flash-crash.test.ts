// A flash crash: 10,000 accounts (5,000 longs at 2x … 50x, 5,000 shorts) and a BTC mark falling 30 % in
// 1 % steps, one step a second. A liquidity provider bids 1.5 % and 4 % under each new mark, so the most
// leveraged longs are sold below their bankruptcy price: the insurance fund (seeded with only $2,000)
// runs dry and ADL takes over. Proves: no USDC balance or margin is ever negative, the fund and ADL close
// every deficit (bad debt 0), nothing liquidatable is left once the crash is over, and the detection
// index finds exactly what a naive scan of every position finds, after every tick of the crash.
//
// Why this test SAMPLES its checks: every check is O(accounts) and the crash applies about 31,000
// commands, so checking each one is O(accounts × commands). The full invariants (checkExchangeInvariants:
// conservation to the µUSD, Σ long = Σ short, order totals; and no negative cash) run every 10 commands
// and after every price step; the full harness (ledger, twin exchange and state hash, about 40 ms a
// command at this size) is not used at all. liquidation-flash-crash-full.test.ts runs the same crash with
// 1,000 accounts through the ExchangeHarness, every check after every command. (checkExchangeInvariants
// took about 10 ms here before its per-position checks stopped building messages eagerly, about 3 ms now:
// checking after every command took this test 290 s before and 25 s after; every 10 commands, 3.3 s.)
// The bad debt, the fund's movements and the ADL volume are printed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Exchange, checkExchangeInvariants, type ExchangeCommand, type Unstamped } from "@perpdex/core";
import { btcSpec, epoch, limit, usdc } from "./exchange-harness.ts";
import { address, generator, openPairs } from "./flash-crash-setup.ts";

const traders = 10_000;
const fullCheckEvery = 10;

class Driver {
  readonly exchange = new Exchange();
  sequence = 0;
  time = epoch;
  commands = 0;

  apply(input: Unstamped<ExchangeCommand>, step = 1_000_000n): void {
    this.sequence += 1;
    this.time += step;
    const result = this.exchange.apply({ ...input, sequence: this.sequence, time: this.time } as ExchangeCommand);
    assert.ok(result.ok, `${input.type} rejected: ${JSON.stringify(result)}`);
    this.commands += 1;
    if (this.commands % fullCheckEvery === 0) this.checkAll();
  }

  checkAll(): void {
    checkExchangeInvariants(this.exchange);
    for (const account of this.exchange.engine.accounts.list) {
      assert.ok(account.cash >= 0, `${account.address} has a negative USDC balance ${account.cash}`);
    }
  }

  /** The naive reference: every open position tested exactly, against what the index put in pending. */
  checkDetection(): void {
    const liquidations = this.exchange.liquidations;
    const naive: number[] = [];
    for (const [key, position] of this.exchange.positionsByKey) if (liquidations.isLiquidatable(position)) naive.push(key);
    const pending = [...liquidations.pending.keys()];
    assert.deepEqual(pending.sort((a, b) => a - b), naive.sort((a, b) => a - b), "the index found what a scan finds");
  }
}

describe("flash crash", () => {
  it("10,000 accounts, the mark falls 30 % in 1 % steps: no negative balance, no bad debt", () => {
    const random = generator(20_240_101);
    const driver = new Driver();
    driver.apply({ type: "createMarket", market: btcSpec() });
    driver.apply({ type: "seedInsuranceFund", amount: usdc(2_000), reference: "0xseed" });
    // Pairs: the short rests an ask, the long takes it at $50,000.
    openPairs((input) => driver.apply(input), traders, random);
    const provider = address(0xfffff);
    driver.apply({ type: "deposit", account: provider, asset: "USDC", amount: usdc(200_000_000), reference: "0xlp" });
    driver.apply({ type: "setLeverage", account: provider, market: "BTC-PERP", leverage: 1 });
    driver.checkAll();
    const openInterest = driver.exchange.perpMarkets[0]!.longLots;
    const fundStart = driver.exchange.treasury.insuranceFund;
    let liquidationSteps = 0;
    let adlLots = 0;
    let fundUsed = 0;
    let penalties = 0;
    for (let step = 1; step <= 30; step += 1) {
      const mark = 50_000 - step * 500;
      driver.apply({ type: "cancelAll", account: provider, market: "BTC-PERP" });
      driver.apply({ type: "indexPrice", market: "BTC-PERP", price: mark });
      driver.apply({
        type: "batch",
        account: provider,
        items: [
          { type: "placeOrder", order: limit("BTC-PERP", "buy", Math.floor(mark * 0.985), 30_000) },
          { type: "placeOrder", order: limit("BTC-PERP", "buy", Math.floor(mark * 0.96), 1_000_000) },
        ],
      });
      // Every 100 ms for 3 s: detection, the priority window, then the engine's own liquidations.
      for (let tick = 0; tick < 30; tick += 1) {
        driver.apply({ type: "tick" }, 100_000_000n);
        driver.checkDetection();
        for (const event of driver.exchange.events) {
          if (event.type === "PositionLiquidated") {
            liquidationSteps += 1;
            adlLots += event.adlLots;
            penalties += event.penalty;
          } else if (event.type === "InsuranceFundUsed") fundUsed += event.covered;
        }
      }
      driver.checkAll();
      assert.equal(driver.exchange.liquidations.pending.size, 0, `step ${step}: everything liquidatable was liquidated`);
    }
    const liquidations = driver.exchange.liquidations;
    console.log(
      `flash crash: ${driver.commands} commands, ${liquidationSteps} liquidation steps, ${adlLots} lots by ADL of ${openInterest} open, ` +
        `fund ${fundStart} → ${driver.exchange.treasury.insuranceFund} µUSD (penalties in ${penalties}, deficits covered ${fundUsed}), ` +
        `bad debt ${liquidations.badDebt} µUSD`,
    );
    assert.equal(liquidations.badDebt, 0, "the fund and ADL closed every deficit");
    assert.ok(liquidationSteps > 1_000, "the crash liquidated most longs");
    assert.ok(fundUsed > 0, "the fund covered deficits");
    assert.ok(adlLots > 0, "the fund ran dry and ADL took over");
  });
});
