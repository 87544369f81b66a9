// Proves that closing an isolated position in several pieces within one command (book levels,
// liquidation steps, ADL counterparties) ends where one close of the same lots and exit value would:
// the same cash, margin and insurance fund, exactly for a close to zero, and within one µUSD per piece
// for a partial close (each piece's basis share rounds half up and its margin share rounds down).
// Two properties: (1) pieces at random prices in random order through Settlement.applyFill, against the
// one-close rule of docs/PERPETUALS.md (Accounting) computed from the total exit value, and against a real
// one-piece twin when every piece has the same price; (2) a liquidation closed by ADL at the bankruptcy
// price against 1 … 4 counterparties, through the ExchangeHarness (every check after every command),
// against the same liquidation with one counterparty. BTC-PERP: 1,000 µUSD per tick-lot.
// Set PERPDEX_SEED to rerun one seed and PERPDEX_RUNS to change the number of runs.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ExchangeHarness, account, btcSpec, limit, nanosecondsPerSecond } from "./exchange-harness.ts";

const alice = account("a");
const makers = ["b", "c", "d", "e"].map(account);
const quotePerTickLot = 1_000;
const seed = process.env.PERPDEX_SEED === undefined ? undefined : Number(process.env.PERPDEX_SEED);
const numRuns = Number(process.env.PERPDEX_RUNS ?? 200);
const runOptions = { numRuns, ...(seed === undefined ? {} : { seed }) };

interface Opening {
  readonly long: boolean;
  readonly lots: number;
  readonly entryPrice: number;
  readonly leverage: number;
  readonly fundDollars: number;
}

/** alice opens `lots` isolated at `entryPrice` against b; the fund is seeded with `fundDollars`. */
function opened(opening: Opening): ExchangeHarness {
  const harness = new ExchangeHarness();
  harness.list(btcSpec());
  if (opening.fundDollars > 0) harness.ok({ type: "seedInsuranceFund", amount: BigInt(opening.fundDollars) * 1_000_000n, reference: "0xseed" });
  harness.fund(alice, 30_000);
  harness.fund(makers[0]!, 100_000);
  harness.ok({ type: "setLeverage", account: alice, market: "BTC-PERP", leverage: opening.leverage });
  harness.placeOk(makers[0]!, limit("BTC-PERP", opening.long ? "sell" : "buy", opening.entryPrice, opening.lots));
  harness.placeOk(alice, limit("BTC-PERP", opening.long ? "buy" : "sell", opening.entryPrice, opening.lots));
  return harness;
}

interface Outcome {
  readonly cash: number;
  readonly margin: number;
  readonly fund: number;
  readonly size: number;
}

function outcome(harness: ExchangeHarness): Outcome {
  const position = harness.position(alice, "BTC-PERP");
  return { cash: harness.accountOf(alice).cash, margin: position?.margin ?? 0, fund: harness.exchange.treasury.insuranceFund, size: position?.size ?? 0 };
}

/** One close of `lots` with total exit value `exitValue`, by the documented rule (no fee, no funding). */
function oneClose(start: Outcome, entryNotional: number, lots: number, exitValue: number): Outcome {
  const size = Math.abs(start.size);
  const cost = lots === size ? entryNotional : Math.round((entryNotional * lots) / size); // half up, positive
  const realized = start.size > 0 ? exitValue - cost : cost - exitValue;
  const share = lots === size ? start.margin : Math.floor((start.margin * lots) / size);
  const result = share + realized;
  let { cash, fund } = start;
  let margin = start.margin - share;
  if (result >= 0) cash += result;
  else margin += result;
  if (margin < 0) {
    const covered = Math.min(-margin, fund);
    fund -= covered;
    cash -= -margin - covered;
    margin = 0;
  }
  return { cash, margin, fund, size: start.size > 0 ? start.size - lots : start.size + lots };
}

const openingArbitrary = fc.record({
  long: fc.boolean(),
  lots: fc.integer({ min: 2, max: 400 }),
  entryPrice: fc.integer({ min: 45_500, max: 54_500 }),
  leverage: fc.constantFrom(1, 2, 5, 10, 20),
  fundDollars: fc.constantFrom(0, 1, 50, 1_000, 100_000),
});

/** Pieces as weights (a random partition of the closed lots) and prices from far below to far above. */
const closeArbitrary = fc.record({
  full: fc.boolean(),
  closedShare: fc.integer({ min: 1, max: 1_000 }),
  pieces: fc.array(fc.record({ weight: fc.integer({ min: 1, max: 100 }), price: fc.integer({ min: 1, max: 110_000 }) }), { minLength: 1, maxLength: 6 }),
  samePrice: fc.boolean(),
});

/** Splits `total` lots by `weights` into positive parts (at most `total` parts). */
function partition(total: number, weights: readonly number[]): number[] {
  const count = Math.min(total, weights.length);
  const used = weights.slice(0, count);
  const sum = used.reduce((a, b) => a + b, 0);
  const parts = used.map((weight) => 1 + Math.floor(((total - count) * weight) / sum));
  parts[0]! += total - parts.reduce((a, b) => a + b, 0);
  return parts;
}

describe("an isolated close in pieces", () => {
  it("ends where one close of the same lots and exit value would", () => {
    fc.assert(
      fc.property(openingArbitrary, closeArbitrary, (opening, close) => {
        const harness = opened(opening);
        const position = harness.position(alice, "BTC-PERP")!;
        const start = outcome(harness);
        const entryNotional = position.entryNotional;
        const closedLots = close.full ? opening.lots : 1 + Math.floor(((opening.lots - 1) * close.closedShare) / 1_001);
        const lots = partition(closedLots, close.pieces.map((piece) => piece.weight));
        const prices = lots.map((_, index) => (close.samePrice ? close.pieces[0]!.price : close.pieces[index]!.price));
        // All pieces run under one command sequence, as the fills of one command do.
        for (const [index, piece] of lots.entries()) {
          harness.exchange.settlement.applyFill(position, opening.long ? -piece : piece, prices[index]!, 0, -1);
        }
        const split = outcome(harness);
        const exitValue = lots.reduce((total, piece, index) => total + piece * prices[index]! * quotePerTickLot, 0);
        const expected = oneClose(start, entryNotional, closedLots, exitValue);
        // Money moves only between alice and the fund, plus the realised PnL (which the maker's side owes).
        const tolerance = close.full ? 0 : lots.length - 1;
        for (const key of ["cash", "margin", "fund"] as const) {
          assert.ok(Math.abs(split[key] - expected[key]) <= tolerance, `${key}: ${split[key]} pieces vs ${expected[key]} one close (${JSON.stringify({ lots, prices })})`);
        }
        assert.equal(split.size, expected.size);
        assert.ok(split.margin >= 0);
        if (close.full) assert.equal(split.margin, 0);
        if (close.samePrice) {
          // A real twin: the same position closed by one applyFill at that price.
          const twin = opened(opening);
          twin.exchange.settlement.applyFill(twin.position(alice, "BTC-PERP")!, opening.long ? -closedLots : closedLots, prices[0]!, 0, -1);
          const one = outcome(twin);
          for (const key of ["cash", "margin", "fund"] as const) assert.ok(Math.abs(split[key] - one[key]) <= tolerance, `${key} vs the one-piece twin`);
        }
      }),
      runOptions,
    );
  });

  it("by ADL at the bankruptcy price costs the same over several counterparties as over one", () => {
    const arbitrary = fc.record({
      lots: fc.integer({ min: 4, max: 300 }),
      leverage: fc.constantFrom(5, 10, 20),
      weights: fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 4 }),
      fundDollars: fc.constantFrom(0, 100, 10_000),
    });
    fc.assert(
      fc.property(arbitrary, ({ lots, leverage, weights, fundDollars }) => {
        const run = (parts: readonly number[]): { cash: number; fund: number; adl: number[] } => {
          const harness = new ExchangeHarness();
          harness.list(btcSpec());
          if (fundDollars > 0) harness.ok({ type: "seedInsuranceFund", amount: BigInt(fundDollars) * 1_000_000n, reference: "0xseed" });
          harness.fund(alice, 100_000);
          harness.ok({ type: "setLeverage", account: alice, market: "BTC-PERP", leverage });
          for (const [index, part] of parts.entries()) {
            harness.fund(makers[index]!, 100_000);
            harness.placeOk(makers[index]!, limit("BTC-PERP", "sell", 50_000, part));
          }
          harness.placeOk(alice, limit("BTC-PERP", "buy", 50_000, lots));
          // No bids: the whole position goes to ADL at the bankruptcy price.
          const margin = harness.position(alice, "BTC-PERP")!.margin;
          const bankruptcy = Math.ceil((lots * 50_000 * quotePerTickLot - margin) / (lots * quotePerTickLot));
          harness.indexPrice("BTC-PERP", bankruptcy);
          const since = harness.tick().command.time;
          const cashBefore = harness.accountOf(alice).cash;
          const fundBefore = harness.exchange.treasury.insuranceFund;
          harness.tick(since + nanosecondsPerSecond);
          const [liquidated] = harness.lastEvents("PositionLiquidated");
          assert.ok(liquidated !== undefined && liquidated.adlLots === lots && liquidated.bankruptcyPrice === bankruptcy);
          assert.equal(harness.position(alice, "BTC-PERP"), undefined);
          assert.equal(harness.lastEvents("InsuranceFundUsed").length, 0, "the bankruptcy price leaves no deficit");
          return {
            cash: harness.accountOf(alice).cash - cashBefore,
            fund: harness.exchange.treasury.insuranceFund - fundBefore,
            adl: harness.lastEvents("ADLExecuted").map((event) => event.size),
          };
        };
        const pieces = run(partition(lots, weights));
        const whole = run([lots]);
        assert.deepEqual({ cash: pieces.cash, fund: pieces.fund }, { cash: whole.cash, fund: whole.fund });
        assert.equal(pieces.adl.reduce((a, b) => a + b, 0), whole.adl.reduce((a, b) => a + b, 0));
      }),
      { ...runOptions, numRuns: Math.max(1, Math.floor(numRuns / 4)) },
    );
  });
});
