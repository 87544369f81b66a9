// A flash crash checked in full after EVERY command (issue 4): 1,000 accounts (500 longs at 2x … 50x, 500
// shorts at 5x) and a BTC mark falling 30 % in 1 % steps, one step every 1.2 s. A liquidity provider bids
// 1.5 % and 4 % under each new mark, the first level thin, so the most leveraged longs are sold below their
// bankruptcy price: the insurance fund (seeded with only $100) runs dry and ADL takes over.
//
// Every command goes through the ExchangeHarness (checkExchangeInvariants, the money ledger, event shapes,
// order states against the books, balances, and a twin exchange compared by state hash), and after every
// command this test also checks that no USDC cash or isolated margin is negative, and after every tick that
// the detection index holds exactly the positions a naive scan of every open position finds liquidatable.
// (Not after the other commands: the engine searches at the start of each command, for what the previous
// command changed — a new mark, a fill — so right after an indexPrice or a trade, `pending` is one command
// behind by design; the next tick, 100 ms later at most on a node, catches up.) The bad debt
// is measured (USDC debts left on accounts + what the engine wrote off uncovered), printed, and must be 0:
// the fund covers deficits while it lasts, and ADL at the bankruptcy price closes what it cannot.
//
// liquidation-flash-crash.test.ts runs the same shape with 10,000 accounts and samples the full checks.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ExchangeEvent } from "@perpdex/core";
import { ExchangeHarness, btcSpec, limit, usdc, type ExchangeInput } from "./exchange-harness.ts";
import { address, generator, openPairs } from "./flash-crash-setup.ts";

const traders = 1_000;
const millisecond = 1_000_000n;

/** What the crash did, summed from the events of every command. */
class Tally {
  liquidationSteps = 0;
  bookLots = 0;
  adlLots = 0;
  adlExecutions = 0;
  penalties = 0;
  deficits = 0;
  covered = 0;
  fundUses = 0;

  observe(events: readonly ExchangeEvent[]): void {
    for (const event of events) {
      if (event.type === "PositionLiquidated") {
        this.liquidationSteps += 1;
        this.bookLots += event.bookLots;
        this.adlLots += event.adlLots;
        this.penalties += event.penalty;
      } else if (event.type === "ADLExecuted") {
        this.adlExecutions += 1;
      } else if (event.type === "InsuranceFundUsed") {
        // What the fund could not cover of a margin deficit is charged to the trader's cash (settlement.ts);
        // a cash shortfall left after that is written off (insurance-fund.ts) and counted as bad debt.
        this.fundUses += 1;
        this.deficits += event.deficit;
        this.covered += event.covered;
      }
    }
  }
}

class CrashDriver {
  readonly harness = new ExchangeHarness();
  readonly tally = new Tally();

  /** One command through the harness (all its checks), then this scenario's own checks. */
  ok(input: ExchangeInput, at?: bigint): void {
    const step = this.harness.ok(input, at);
    this.tally.observe(step.events);
    this.checkBalances();
    if (input.type === "tick") this.checkDetection();
  }

  /** No USDC cash and no isolated margin is ever negative (the harness would allow a collateral-backed debt). */
  checkBalances(): void {
    for (const account of this.harness.exchange.engine.accounts.list) {
      assert.ok(account.cash >= 0, `${account.address} has a negative USDC balance ${account.cash}`);
      for (const position of account.positions) assert.ok(position.margin >= 0, `${account.address} has negative margin`);
    }
  }

  /** The naive reference: every open position tested exactly, against what the index put in pending. */
  checkDetection(): void {
    const exchange = this.harness.exchange;
    const liquidations = exchange.liquidations;
    const naive: number[] = [];
    for (const [key, position] of exchange.positionsByKey) if (liquidations.isLiquidatable(position)) naive.push(key);
    const pending = [...liquidations.pending.keys()];
    assert.deepEqual(pending.sort((a, b) => a - b), naive.sort((a, b) => a - b), `after command ${this.harness.log.length} (${this.harness.log.at(-1)?.type}): the index found what a scan finds`);
  }
}

describe("flash crash, every command checked", () => {
  it("1,000 accounts, the mark falls 30 % in 1 % steps: no negative balance, the fund and ADL close every deficit", () => {
    const started = performance.now();
    const random = generator(20_240_101);
    const driver = new CrashDriver();
    const { harness, tally } = driver;
    driver.ok({ type: "createMarket", market: btcSpec() });
    driver.ok({ type: "seedInsuranceFund", amount: usdc(100), reference: "0xseed" });
    // Pairs: the short rests an ask, the long takes it at $50,000.
    openPairs((input) => driver.ok(input), traders, random);
    const provider = address(0xfffff);
    driver.ok({ type: "deposit", account: provider, asset: "USDC", amount: usdc(20_000_000), reference: "0xlp" });
    driver.ok({ type: "setLeverage", account: provider, market: "BTC-PERP", leverage: 1 });
    const openInterest = harness.perpMarket("BTC-PERP").longLots;
    const fundStart = harness.exchange.treasury.insuranceFund;
    const badDebtStart = harness.exchange.liquidations.badDebt;
    for (let step = 1; step <= 30; step += 1) {
      const mark = 50_000 - step * 500;
      driver.ok({ type: "cancelAll", account: provider, market: "BTC-PERP" });
      driver.ok({ type: "indexPrice", market: "BTC-PERP", price: mark });
      driver.ok({
        type: "batch",
        account: provider,
        items: [
          { type: "placeOrder", order: limit("BTC-PERP", "buy", Math.floor(mark * 0.985), 1_000) },
          { type: "placeOrder", order: limit("BTC-PERP", "buy", Math.floor(mark * 0.96), 100_000) },
        ],
      });
      // Every 100 ms for 1.2 s: detection, the priority window, then the engine's own liquidations (grace 1 s).
      for (let tick = 0; tick < 12; tick += 1) driver.ok({ type: "tick" }, harness.time + 100n * millisecond);
      assert.equal(harness.exchange.liquidations.pending.size, 0, `step ${step}: everything liquidatable was liquidated`);
    }
    // Bad debt: what nobody pays. Measured from the state (a USDC debt left on any account, since USDC is
    // the only collateral here) plus what the engine wrote off without cover; both must be 0.
    let debts = 0;
    for (const account of harness.exchange.engine.accounts.list) debts += Math.max(0, -account.cash);
    const written = harness.exchange.liquidations.badDebt - badDebtStart;
    const badDebt = debts + written;
    const seconds = (performance.now() - started) / 1_000;
    console.log(
      `flash crash (every command checked): ${harness.log.length} commands in ${seconds.toFixed(1)} s, ${tally.liquidationSteps} liquidation steps, ` +
        `${tally.bookLots} lots to the book and ${tally.adlLots} by ADL (${tally.adlExecutions} ADL closes) of ${openInterest} open, ` +
        `fund ${fundStart} → ${harness.exchange.treasury.insuranceFund} µUSD (penalties ${tally.penalties}; ${tally.fundUses} deficits ` +
        `${tally.deficits} µUSD: ${tally.covered} by the fund, ${tally.deficits - tally.covered} from the traders' own cash), ` +
        `bad debt ${badDebt} µUSD (debts left ${debts}, written off uncovered ${written})`,
    );
    assert.equal(badDebt, 0, "the fund and ADL closed every deficit");
    assert.ok(tally.liquidationSteps > 100, "the crash liquidated most longs");
    assert.ok(tally.fundUses > 0 && tally.covered > 0, "the fund covered deficits");
    assert.ok(tally.adlLots > 0 && tally.adlExecutions > 0, "the fund ran dry and ADL took over");
  });
});
