// Proves funding: the PRD §8.2 payment to the µUSD, the rate formula (premium × 3 + 0.01 %) with its
// ±1 % clamp, time weighting, MAD outlier rejection (one spike ignored; MAD = 0 keeps the median's
// samples), hour and minute boundaries on exchange time, who pays whom, and that the rounding residual
// of a settlement is always ≥ 0 and below one µUSD per position (Σ long = Σ short sizes).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { AssertionFailed } from "../src/assert.ts";
import {
  addSample,
  checkFundingInvariants,
  computeRate,
  createFundingState,
  fundingIndexIncrement,
  fundingOwed,
  fundingParametersPrd,
  fundingSamplesPerPeriodMax,
  hourOf,
  keptSamples,
  minuteOf,
  premiumPpb,
  premiumPpbMax,
  sampleDue,
  settleDue,
  settleFunding,
  type FundingState,
} from "../src/perp/funding.ts";

const minute = 60_000_000_000n;
const hour = 3_600_000_000_000n;

function stateWithSamples(premiums: readonly number[], minutes?: readonly number[]): FundingState {
  const state = createFundingState(0n);
  premiums.forEach((premium, index) => addSample(state, minutes?.[index] ?? index, premium));
  checkFundingInvariants(state);
  return state;
}

describe("PRD §8.2: 5 ETH long, mark $3,000, rate 0.01 %", () => {
  // ETH: $0.01 ticks, 0.001 ETH lots → one tick-lot is 10 µUSD; $3,000 = 300_000 ticks; 5 ETH = 5_000 lots.
  const increment = fundingIndexIncrement({ markTicks: 300_000, quotePerTickLot: 10, ratePpb: 100_000 });

  it("the long pays $1.50 and the short receives $1.50", () => {
    assert.equal(fundingOwed({ sizeLots: 5_000, indexNow: increment, indexThen: 0n }), 1_500_000);
    assert.equal(fundingOwed({ sizeLots: -5_000, indexNow: increment, indexThen: 0n }), -1_500_000);
  });

  it("an hour with no premium at all charges exactly the 0.01 % interest rate", () => {
    const state = createFundingState(0n);
    const settlement = settleFunding(state, { time: hour, markTicks: 300_000, quotePerTickLot: 10, parameters: fundingParametersPrd });
    assert.deepEqual(settlement, { hour: 0, ratePpb: 100_000, indexIncrement: increment });
    assert.equal(state.cumulativeFundingPerLot, increment);
  });
});

describe("computeRate", () => {
  const constant = (premium: number): number[] => Array.from({ length: 60 }, () => premium);
  const cases: readonly [string, FundingState, number][] = [
    ["no samples: interest only", createFundingState(0n), 100_000],
    ["a constant 0.05 % premium: 3 × 0.05 % + 0.01 %", stateWithSamples(constant(500_000)), 1_600_000],
    ["a constant −0.02 % premium", stateWithSamples(constant(-200_000)), -500_000],
    ["a 1 % premium clamps to +1 %", stateWithSamples(constant(10_000_000)), 10_000_000],
    ["a −1 % premium clamps to −1 %", stateWithSamples(constant(-10_000_000)), -10_000_000],
    // 1 ppb and 2 ppb for 30 minutes each: 3 × 1.5 = 4.5 rounds half up once (rounding the average
    // first would give 3 × 2 = 6).
    ["a single half-up rounding", stateWithSamples([1, 2], [0, 30]), 100_005],
    // 0 held 30 minutes and 0.1 % held 30: average 0.05 %.
    ["equal halves", stateWithSamples([0, 1_000_000], [0, 30]), 1_600_000],
    // 0 held 50 minutes and 0.1 % held 10: a plain mean would say 0.05 %, time says 1/6 of 0.1 %.
    ["time-weighted, not a plain mean", stateWithSamples([0, 1_000_000], [0, 50]), 600_000],
    // The first sample at minute 30 covers minutes 30–59 only; uncovered time does not dilute it.
    ["a late first sample", stateWithSamples([1_000_000], [30]), 3_100_000],
  ];
  for (const [name, state, rate] of cases) {
    it(`${name} → ${rate} ppb`, () => assert.equal(computeRate(state, fundingParametersPrd), rate));
  }

  it("ignores one spiked sample (3 × MAD outlier rejection)", () => {
    const quiet = Array.from({ length: 60 }, (_, index) => 100_000 + (index % 7) * 1_000);
    const spiked = quiet.map((premium, index) => (index === 42 ? 500_000_000 : premium));
    const kept = keptSamples(stateWithSamples(spiked));
    assert.deepEqual(kept.map((each, index) => (each ? -1 : index)).filter((index) => index >= 0), [42]);
    // Without rejection the spike alone would add 500_000_000 / 60 × 3 = 25_000_000 ppb: the cap.
    const rate = computeRate(stateWithSamples(spiked), fundingParametersPrd);
    assert.ok(rate < 500_000, `${rate}`);
  });

  it("with MAD = 0 keeps exactly the samples equal to the median (the PRD rule read literally)", () => {
    const premiums = Array.from({ length: 60 }, (_, index) => (index % 3 === 0 ? 300_000 + index : 200_000));
    const kept = keptSamples(stateWithSamples(premiums));
    assert.deepEqual(kept, premiums.map((premium) => premium === 200_000));
    assert.equal(computeRate(stateWithSamples(premiums), fundingParametersPrd), 700_000);
  });

  it("uses medians of even counts exactly (the mean of the middle two)", () => {
    // [8, 10, 12, 14]: median 11, MAD 2, all within 6. [10, 11, 12, 16]: median 11.5, MAD 1 (the mean of
    // 0.5 and 1.5), and 16 is 4.5 away: beyond 3.
    assert.deepEqual(keptSamples(stateWithSamples([8, 10, 12, 14])), [true, true, true, true]);
    assert.deepEqual(keptSamples(stateWithSamples([10, 11, 12, 16])), [true, true, true, false]);
  });

  it("always keeps at least half the samples and stays within the clamp", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -premiumPpbMax, max: premiumPpbMax }), { minLength: 1, maxLength: 60 }),
        (premiums) => {
          const state = stateWithSamples(premiums);
          const kept = keptSamples(state).filter(Boolean).length;
          assert.ok(2 * kept >= premiums.length);
          const rate = computeRate(state, fundingParametersPrd);
          assert.ok(Number.isSafeInteger(rate) && Math.abs(rate) <= fundingParametersPrd.rateLimitPpb);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});

describe("sampling and settlement on exchange time", () => {
  it("samples once a minute and settles on the hour", () => {
    const start = 1_000n * hour + 59n * minute; // 16:59 of some day
    const state = createFundingState(start);
    assert.equal(state.hour, 1_000);
    assert.equal(sampleDue(state, start), true);
    addSample(state, minuteOf(start), 1_000);
    assert.equal(sampleDue(state, start + minute - 1n), false);
    assert.equal(settleDue(state, 1_001n * hour - 1n), false);
    assert.equal(settleDue(state, 1_001n * hour), true);
    // A sample at 17:00 belongs to the next period: settle first.
    assert.throws(() => addSample(state, minuteOf(1_001n * hour), 1_000), AssertionFailed);
    const settlement = settleFunding(state, { time: 1_001n * hour, markTicks: 100, quotePerTickLot: 1, parameters: fundingParametersPrd });
    assert.equal(settlement.hour, 1_000);
    assert.equal(settlement.ratePpb, 103_000);
    assert.equal(state.count, 0);
    assert.equal(state.hour, 1_001);
    checkFundingInvariants(state);
    assert.equal(sampleDue(state, 1_001n * hour), true);
    addSample(state, minuteOf(1_001n * hour), 2_000);
    checkFundingInvariants(state);
  });

  it("settles once after silent hours, and the next period is the current hour", () => {
    const state = createFundingState(0n);
    addSample(state, 0, 0);
    const settlement = settleFunding(state, { time: 5n * hour + 7n, markTicks: 100, quotePerTickLot: 1, parameters: fundingParametersPrd });
    assert.equal(settlement.hour, 0);
    assert.equal(state.hour, 5);
    assert.equal(settleDue(state, 5n * hour + minute), false);
  });

  it("asserts what cannot happen", () => {
    const state = createFundingState(0n);
    addSample(state, 3, 0);
    assert.throws(() => addSample(state, 3, 0), AssertionFailed); // the same minute twice
    assert.throws(() => addSample(state, 4, premiumPpbMax + 1), AssertionFailed);
    assert.throws(
      () => settleFunding(state, { time: hour - 1n, markTicks: 1, quotePerTickLot: 1, parameters: fundingParametersPrd }),
      AssertionFailed,
    );
    assert.throws(() => hourOf(-1n), AssertionFailed);
    assert.throws(() => computeRate(state, { ...fundingParametersPrd, interestRatePpb: 20_000_000 }), AssertionFailed);
  });

  it("holds at most one sample per minute: sixty an hour", () => {
    const state = createFundingState(0n);
    for (let each = 0; each < fundingSamplesPerPeriodMax; each += 1) addSample(state, each, each);
    checkFundingInvariants(state);
    assert.equal(state.count, fundingSamplesPerPeriodMax);
  });
});

describe("premiumPpb", () => {
  const cases: readonly [number, number, number][] = [
    [10_010, 10_000, 1_000_000],
    [9_990, 10_000, -1_000_000],
    [2, 3, -333_333_333],
    [1, 2_147_483_647, -premiumPpbMax], // −999_999_999.53… rounds to −10^9
    [2_147_483_647, 1, premiumPpbMax],
    [5, 2, premiumPpbMax],
  ];
  for (const [markTicks, indexTicks, expected] of cases) {
    it(`mark ${markTicks} over index ${indexTicks} → ${expected} ppb`, () => assert.equal(premiumPpb({ markTicks, indexTicks }), expected));
  }
});

describe("fundingOwed", () => {
  it("has longs pay when the rate is positive and receive when it is negative", () => {
    const up = fundingIndexIncrement({ markTicks: 1_000, quotePerTickLot: 100, ratePpb: 1_000 });
    const down = fundingIndexIncrement({ markTicks: 1_000, quotePerTickLot: 100, ratePpb: -1_000 });
    assert.ok(fundingOwed({ sizeLots: 10, indexNow: up, indexThen: 0n }) > 0);
    assert.ok(fundingOwed({ sizeLots: -10, indexNow: up, indexThen: 0n }) < 0);
    assert.ok(fundingOwed({ sizeLots: 10, indexNow: down, indexThen: 0n }) < 0);
    assert.ok(fundingOwed({ sizeLots: -10, indexNow: down, indexThen: 0n }) > 0);
    assert.ok(Object.is(fundingOwed({ sizeLots: 0, indexNow: up, indexThen: 0n }), 0));
  });

  it("rounds payers up and receivers down", () => {
    // 1 lot × 0.5 µUSD: the payer pays 1, the receiver gets 0.
    assert.equal(fundingOwed({ sizeLots: 1, indexNow: 500_000_000n, indexThen: 0n }), 1);
    assert.equal(fundingOwed({ sizeLots: -1, indexNow: 500_000_000n, indexThen: 0n }), 0);
    assert.equal(fundingOwed({ sizeLots: -3, indexNow: 500_000_000n, indexThen: 0n }), -1); // −1.5 → −1
  });

  it("leaves a settlement residual ≥ 0 and below one µUSD per position", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 100_000 }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 100_000 }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: -10_000_000, max: 10_000_000 }),
        fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }),
        (longs, shorts, markTicks, quotePerTickLot, ratePpb, indexThen) => {
          // Balance the book: the shorts' last position absorbs the difference (Σ long = Σ short).
          const longTotal = longs.reduce((sum, size) => sum + size, 0);
          const shortTotal = shorts.reduce((sum, size) => sum + size, 0);
          const sizes = [...longs, ...shorts.map((size) => -size)];
          if (longTotal > shortTotal) sizes.push(-(longTotal - shortTotal));
          if (shortTotal > longTotal) sizes.push(shortTotal - longTotal);
          const indexNow = indexThen + fundingIndexIncrement({ markTicks, quotePerTickLot, ratePpb });
          let residual = 0;
          for (const sizeLots of sizes) residual += fundingOwed({ sizeLots, indexNow, indexThen });
          assert.ok(residual >= 0 && residual < sizes.length, `residual ${residual} for ${sizes.length} positions`);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it("asserts a safe-integer result", () => {
    assert.throws(() => fundingOwed({ sizeLots: 2_147_483_647, indexNow: 10n ** 40n, indexThen: 0n }), AssertionFailed);
  });
});
