// Proves the mark price: the book premium sample (mid vs index, empty sides, clamping), the EMA weight
// table against exact rational powers of 299/301, one k-second jump within 1 ppb of the exact real EMA,
// stepwise updates within markStepDriftPpbMax of one jump over the same seconds, convergence to a
// constant premium and decay to zero, the whole-second grid with its sub-second remainder, determinism,
// and markPrice's rounding and bounds.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { AssertionFailed } from "../src/assert.ts";
import {
  basisPpbMax,
  bookPremiumPpb,
  createMarkState,
  markEmaHorizonSecondsMax,
  markJumpErrorPpbMax,
  markPrice,
  markStepDriftPpbMax,
  markWeightScaled,
  updateMark,
  type MarkState,
} from "../src/perp/mark-price.ts";

const second = 1_000_000_000n;
const scale = 10n ** 18n;
const int32Max = 2_147_483_647;

interface Book {
  readonly indexTicks: number;
  readonly bestBid: number | null;
  readonly bestAsk: number | null;
}

const premiumBook: Book = { indexTicks: 10_000, bestBid: 10_009, bestAsk: 10_011 }; // +0.1 %
const emptyAsk: Book = { indexTicks: 10_000, bestBid: 10_009, bestAsk: null };

function advance(state: MarkState, seconds: bigint, book: Book): MarkState {
  return updateMark({ state, time: state.lastUpdate + seconds * second, ...book });
}

function stepwise(state: MarkState, seconds: number, book: Book): MarkState {
  let current = state;
  for (let step = 0; step < seconds; step += 1) current = advance(current, 1n, book);
  return current;
}

function stateWithBasis(basisPpb: number): MarkState {
  return { basisPpb, lastUpdate: 1_700_000_000n * second };
}

describe("bookPremiumPpb", () => {
  const cases: readonly [string, Book & { basisLimitPpb?: number }, number][] = [
    ["a mid 0.1 % above the index", premiumBook, 1_000_000],
    ["a mid below the index", { indexTicks: 10_000, bestBid: 9_989, bestAsk: 9_991 }, -1_000_000],
    ["a mid on the index", { indexTicks: 10_000, bestBid: 9_999, bestAsk: 10_001 }, 0],
    ["a half-tick mid, rounded half up", { indexTicks: 3, bestBid: 3, bestAsk: 4 }, 166_666_667],
    ["a negative half rounds away from zero", { indexTicks: 512, bestBid: 511, bestAsk: 512 }, -976_563], // −976_562.5
    ["an empty ask side", emptyAsk, 0],
    ["an empty bid side", { indexTicks: 10_000, bestBid: null, bestAsk: 10_011 }, 0],
    ["a crazy book, clamped to +100 %", { indexTicks: 1, bestBid: int32Max, bestAsk: int32Max }, basisPpbMax],
    ["a crazy book at −99.99999995 %", { indexTicks: int32Max, bestBid: 1, bestAsk: 1 }, -basisPpbMax],
    ["a per-market band", { ...premiumBook, basisLimitPpb: 500_000 }, 500_000],
  ];
  for (const [name, book, expected] of cases) {
    it(`${name} → ${expected} ppb`, () => assert.equal(bookPremiumPpb(book), expected));
  }

  it("asserts prices in range", () => {
    assert.throws(() => bookPremiumPpb({ indexTicks: 0, bestBid: 1, bestAsk: 1 }), AssertionFailed);
    assert.throws(() => bookPremiumPpb({ indexTicks: 1, bestBid: 0, bestAsk: 1 }), AssertionFailed);
    assert.throws(() => bookPremiumPpb({ ...premiumBook, basisLimitPpb: basisPpbMax + 1 }), AssertionFailed);
  });
});

describe("the EMA weight (299/301)^k", () => {
  it("is within 5 × 10^-15 of the exact power for every k up to the horizon", () => {
    let numerator = 1n;
    let denominator = 1n;
    for (let seconds = 0; seconds <= markEmaHorizonSecondsMax; seconds += 1) {
      // |weight − 10^18 × 299^k / 301^k| ≤ 5_000 (units of 10^-18)
      const error = markWeightScaled(seconds) * denominator - scale * numerator;
      assert.ok((error < 0n ? -error : error) <= 5_000n * denominator, `k = ${seconds}`);
      numerator *= 299n;
      denominator *= 301n;
    }
  });
});

describe("updateMark", () => {
  it("takes one step of α = 2/301 toward the sample per second", () => {
    const next = advance(createMarkState(0n), 1n, premiumBook);
    assert.deepEqual(next, { basisPpb: 6_645, lastUpdate: second }); // 2_000_000 / 301 = 6_644.5…
  });

  it("keeps the sub-second remainder on the whole-second grid", () => {
    const state = createMarkState(0n);
    assert.equal(updateMark({ state, time: second - 1n, ...premiumBook }), state); // nothing yet: same object
    const afterTwoAndAHalf = updateMark({ state, time: (5n * second) / 2n, ...premiumBook });
    assert.equal(afterTwoAndAHalf.lastUpdate, 2n * second);
    const afterThree = updateMark({ state: afterTwoAndAHalf, time: 3n * second, ...premiumBook });
    assert.equal(afterThree.lastUpdate, 3n * second);
    // Exactly a 2 s step then a 1 s step (within rounding of one 3 s jump, but on the same grid).
    assert.deepEqual(afterThree, advance(advance(state, 2n, premiumBook), 1n, premiumBook));
  });

  it("is within 1 ppb of the exact real EMA for any single jump", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -basisPpbMax, max: basisPpbMax }),
        fc.integer({ min: 10_000, max: 20_000 }),
        fc.integer({ min: 10_000, max: 20_000 }),
        fc.integer({ min: 1, max: markEmaHorizonSecondsMax - 1 }),
        (basis, bid, ask, seconds) => {
          const book: Book = { indexTicks: 15_000, bestBid: Math.min(bid, ask), bestAsk: Math.max(bid, ask) };
          const sample = BigInt(bookPremiumPpb(book));
          const result = BigInt(advance(stateWithBasis(basis), BigInt(seconds), book).basisPpb);
          const power = BigInt(seconds);
          const denominator = 301n ** power;
          // exact = sample + (basis − sample) × 299^k / 301^k; |result − exact| × 301^k < 301^k.
          const exactScaled = sample * denominator + (BigInt(basis) - sample) * 299n ** power;
          const error = result * denominator - exactScaled;
          assert.ok((error < 0n ? -error : error) < BigInt(markJumpErrorPpbMax) * denominator);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("agrees within markStepDriftPpbMax whether 300 s arrive in 1 s steps, random steps or one jump", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -basisPpbMax, max: basisPpbMax }),
        fc.constantFrom<Book>(premiumBook, emptyAsk, { indexTicks: 100, bestBid: 150, bestAsk: 190 }),
        fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 40 }),
        (basis, book, steps) => {
          const start = stateWithBasis(basis);
          const jump = advance(start, 300n, book);
          const ones = stepwise(start, 300, book);
          let random = start;
          let elapsed = 0;
          for (const step of steps) {
            const seconds = Math.min(step, 300 - elapsed);
            if (seconds === 0) break;
            random = advance(random, BigInt(seconds), book);
            elapsed += seconds;
          }
          if (elapsed < 300) random = advance(random, BigInt(300 - elapsed), book);
          assert.equal(ones.lastUpdate, jump.lastUpdate);
          assert.equal(random.lastUpdate, jump.lastUpdate);
          assert.ok(Math.abs(ones.basisPpb - jump.basisPpb) <= markStepDriftPpbMax, `${ones.basisPpb} vs ${jump.basisPpb}`);
          assert.ok(Math.abs(random.basisPpb - jump.basisPpb) <= markStepDriftPpbMax);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("converges to a constant premium", () => {
    const start = createMarkState(0n);
    // One step per second: within the rounding stall of the sample after an hour ...
    const stepped = stepwise(start, 3_600, premiumBook);
    assert.ok(Math.abs(stepped.basisPpb - 1_000_000) <= markStepDriftPpbMax);
    // ... after 5 minutes the EMA has covered 1 − (299/301)^300 ≈ 86.5 % of the way ...
    const fiveMinutes = advance(start, 300n, premiumBook).basisPpb;
    assert.ok(fiveMinutes > 864_000 && fiveMinutes < 866_000, `${fiveMinutes}`);
    // ... and a jump of the horizon lands exactly on the sample.
    assert.equal(advance(start, BigInt(markEmaHorizonSecondsMax), premiumBook).basisPpb, 1_000_000);
    assert.equal(advance(start, 1_000_000n, premiumBook).basisPpb, 1_000_000);
  });

  it("decays toward zero while a side of the book is empty", () => {
    const start = stateWithBasis(5_000_000);
    const decayed = stepwise(start, 600, emptyAsk);
    assert.ok(decayed.basisPpb > 0 && decayed.basisPpb < 5_000_000 / 50);
    assert.ok(Math.abs(stepwise(start, 3_600, emptyAsk).basisPpb) <= markStepDriftPpbMax);
    assert.equal(advance(start, 3_600n, emptyAsk).basisPpb, 0);
  });

  it("just below the horizon already rounds to the sample (the cap changes no result)", () => {
    for (const basis of [basisPpbMax, -basisPpbMax]) {
      const sampleOf = (book: Book): number => bookPremiumPpb(book);
      const below = advance(stateWithBasis(basis), BigInt(markEmaHorizonSecondsMax - 1), emptyAsk);
      assert.equal(below.basisPpb, sampleOf(emptyAsk));
    }
  });

  it("is deterministic and integer-only", () => {
    const run = (): MarkState[] => {
      const states: MarkState[] = [];
      let state = createMarkState(123_456_789n);
      const books: readonly Book[] = [premiumBook, emptyAsk, { indexTicks: 10_000, bestBid: 9_000, bestAsk: 9_100 }];
      for (let step = 0; step < 500; step += 1) {
        const book = books[step % books.length]!;
        state = updateMark({ state, time: state.lastUpdate + BigInt(step * 7_919) * 1_000_000n + 1n, ...book });
        assert.ok(Number.isSafeInteger(state.basisPpb));
        states.push(state);
      }
      return states;
    };
    assert.deepEqual(run(), run());
  });

  it("asserts time never goes back", () => {
    const state = createMarkState(10n * second);
    assert.throws(() => updateMark({ state, time: 9n * second, ...premiumBook }), AssertionFailed);
  });

  it("clamps to a basis limit narrowed since the last update", () => {
    const next = updateMark({ state: stateWithBasis(5_000_000), time: stateWithBasis(0).lastUpdate + second, ...premiumBook, basisLimitPpb: 2_000_000 });
    assert.equal(next.basisPpb, 2_000_000);
  });
});

describe("markPrice", () => {
  const cases: readonly [number, number, number][] = [
    // [index, basis ppb, mark]
    [10_000, 0, 10_000],
    [10_000, 1_000_000, 10_010],
    [10_000, -1_000_000, 9_990],
    [10_000, 50_000, 10_001], // 10_000.5 rounds half up
    [10_000, 49_999, 10_000],
    [10_000, -50_000, 10_000], // 9_999.5: the product is positive, so half up is toward +∞ here
    [3, -900_000_000, 1], // 0.3 ticks → at least one tick
    [1, -basisPpbMax, 1],
    [int32Max, basisPpbMax, int32Max], // twice the largest index → clamped into the order pool's range
  ];
  for (const [indexTicks, basisPpb, mark] of cases) {
    it(`index ${indexTicks} with basis ${basisPpb} ppb → ${mark}`, () => assert.equal(markPrice({ indexTicks, basisPpb }), mark));
  }

  it("asserts its inputs", () => {
    assert.throws(() => markPrice({ indexTicks: 0, basisPpb: 0 }), AssertionFailed);
    assert.throws(() => markPrice({ indexTicks: 1, basisPpb: basisPpbMax + 1 }), AssertionFailed);
  });
});
