import { assert } from "../assert.ts";
import { int32Max, ppmOne } from "../units.ts";
import { divideRounded, multiplyDivide, ppbOne, type QuoteUnits, type RatePpb } from "./fixed-point.ts";

// Funding (PRD §2.2.2). Once a minute the market's premium (mark − index) / index is sampled; on every
// hour boundary of exchange time the hour's samples become one rate,
//   rate = clamp(adjustmentFactor × average premium + interest, ±rate limit),
// and every position pays size × mark × rate: longs pay shorts when the rate is positive.
//
// The average is time-weighted: a sample holds from its minute until the next sample (the last one until
// the end of the hour), so a market that only ticked twice is not averaged as if both samples covered
// equal time. Before averaging, outliers are rejected the PRD §2.6.2 way: samples farther than
// 3 × MAD from the median are dropped; at least half the samples always survive.
//
// Settlement moves a per-market cumulative index; positions snapshot it and catch up when touched
// (fundingOwed). Rounding is always toward +∞, so payers round up and receivers round down: the exchange
// never pays out more than it collects, and the sub-µUSD residual (≥ 0, below one µUSD per position per
// settlement) goes to the insurance fund. Exactly zero-sum among accounts + fund.

/**
 * Governance parameters of funding (per market). Defaults: `fundingParametersPrd`.
 *
 * @example
 * ```ts
 * const parameters: FundingParameters = { adjustmentFactorPpm: 3_000_000, interestRatePpb: 100_000, rateLimitPpb: 10_000_000 };
 * ```
 */
export interface FundingParameters {
  /** The premium's multiplier, in ppm (3_000_000 = 3.0, the PRD's "faster convergence" factor). */
  readonly adjustmentFactorPpm: number;
  /** Added to every hour's rate (ppb; 100_000 = 0.01 % per period). */
  readonly interestRatePpb: RatePpb;
  /** The rate is clamped to ±this (ppb; 10_000_000 = 1 % per period). */
  readonly rateLimitPpb: RatePpb;
}

/**
 * The PRD's funding: premium × 3 + 0.01 %, clamped to ±1 % per hour.
 *
 * @example
 * ```ts
 * fundingParametersPrd.interestRatePpb; // => 100_000
 * ```
 */
export const fundingParametersPrd: FundingParameters = {
  adjustmentFactorPpm: 3_000_000,
  interestRatePpb: 100_000,
  rateLimitPpb: 10_000_000,
};

/**
 * Samples one funding period can hold: one a minute for an hour.
 *
 * @example
 * ```ts
 * fundingSamplesPerPeriodMax; // => 60
 * ```
 */
export const fundingSamplesPerPeriodMax = 60;

/**
 * The widest premium a sample may carry: ±100 % (10^9 ppb fits an int32 slot).
 *
 * @example
 * ```ts
 * premiumPpb({ markTicks: 30_000, indexTicks: 10_000 }); // => 1_000_000_000 (clamped from 200 %)
 * ```
 */
export const premiumPpbMax = 1_000_000_000;

const nanosecondsPerMinute = 60_000_000_000n;
const nanosecondsPerHour = 3_600_000_000_000n;
const minutesPerHour = 60;

/**
 * One market's funding: the current period's samples and the cumulative funding index.
 * `cumulativeFundingPerLot` is in 10^-9 µUSD per lot (mark ticks × µUSD per tick-lot × ppb, exact), an
 * unbounded bigint: at a sustained 1 % an hour it outgrows an int64 within about a year.
 *
 * @example
 * ```ts
 * const state: FundingState = createFundingState(0n);
 * state.hour; // => 0
 * ```
 */
export interface FundingState {
  /** Premium of each sample (ppb), slots 0 … count − 1 in time order. */
  readonly premiums: Int32Array;
  /** Minute within the hour (0 … 59) of each sample. */
  readonly minutes: Uint8Array;
  count: number;
  /** The funding period being sampled, in hours since the epoch: it settles at (hour + 1) × 1 h. */
  hour: number;
  /** Minutes since the epoch of the last sample; −1 before the first. */
  lastSampleMinute: number;
  cumulativeFundingPerLot: bigint;
}

/**
 * The minute (since the epoch) of an exchange time.
 *
 * @example
 * ```ts
 * minuteOf(119_999_999_999n); // => 1
 * ```
 */
export function minuteOf(time: bigint): number {
  assert(time >= 0n, "exchange time is never negative");
  return Number(time / nanosecondsPerMinute);
}

/**
 * The hour (since the epoch) of an exchange time; funding settles when it changes.
 *
 * @example
 * ```ts
 * hourOf(3_600_000_000_000n); // => 1
 * ```
 */
export function hourOf(time: bigint): number {
  assert(time >= 0n, "exchange time is never negative");
  return Number(time / nanosecondsPerHour);
}

/**
 * A market's funding state at listing: no samples, index 0, sampling the hour of `time`.
 *
 * @example
 * ```ts
 * createFundingState(7_200_000_000_000n).hour; // => 2
 * ```
 */
export function createFundingState(time: bigint): FundingState {
  return {
    premiums: new Int32Array(fundingSamplesPerPeriodMax),
    minutes: new Uint8Array(fundingSamplesPerPeriodMax),
    count: 0,
    hour: hourOf(time),
    lastSampleMinute: -1,
    cumulativeFundingPerLot: 0n,
  };
}

/**
 * Parameters of `premiumPpb`.
 *
 * @example
 * ```ts
 * const parameters: PremiumParameters = { markTicks: 10_010, indexTicks: 10_000 };
 * ```
 */
export interface PremiumParameters {
  readonly markTicks: number;
  readonly indexTicks: number;
}

/**
 * The premium sample: (mark − index) / index in ppb, rounded half up, clamped to ±premiumPpbMax.
 *
 * @example
 * ```ts
 * premiumPpb({ markTicks: 10_010, indexTicks: 10_000 }); // => 1_000_000 (0.1 %)
 * ```
 */
export function premiumPpb(parameters: PremiumParameters): RatePpb {
  const { markTicks, indexTicks } = parameters;
  assert(Number.isSafeInteger(markTicks) && markTicks >= 1 && markTicks <= int32Max, "mark must be 1 to int32Max ticks");
  assert(Number.isSafeInteger(indexTicks) && indexTicks >= 1 && indexTicks <= int32Max, "index must be 1 to int32Max ticks");
  // A mark more than 100 % above the index is clamped anyway; skipping the division keeps it in range.
  if (markTicks - indexTicks > indexTicks) return premiumPpbMax;
  const premium = multiplyDivide({ value: markTicks - indexTicks, multiplier: ppbOne, divisor: indexTicks, rounding: "halfUp" });
  return Math.min(premiumPpbMax, Math.max(-premiumPpbMax, premium));
}

/**
 * Whether a premium sample is due at `time`: the first command of each minute takes one. Settle first
 * (settleDue) when the hour has turned, so the sample lands in the new period.
 *
 * @example
 * ```ts
 * sampleDue(createFundingState(0n), 0n); // => true
 * ```
 */
export function sampleDue(state: FundingState, time: bigint): boolean {
  return minuteOf(time) > state.lastSampleMinute;
}

/**
 * Records the premium of `minute` (minutes since the epoch). Asserts the minute is after the last
 * sample and inside the period being sampled (settle first when the hour has turned).
 *
 * @example
 * ```ts
 * const state = createFundingState(0n);
 * addSample(state, 0, 1_000_000);
 * state.count; // => 1
 * ```
 */
export function addSample(state: FundingState, minute: number, premium: RatePpb): void {
  assert(Number.isSafeInteger(minute) && minute > state.lastSampleMinute, "funding sample minute must increase");
  assert(Math.floor(minute / minutesPerHour) === state.hour, "funding sample outside the period; settle first");
  assert(Number.isSafeInteger(premium) && Math.abs(premium) <= premiumPpbMax, "funding premium out of range");
  assert(state.count < fundingSamplesPerPeriodMax);
  state.premiums[state.count] = premium;
  state.minutes[state.count] = minute - state.hour * minutesPerHour;
  state.count += 1;
  state.lastSampleMinute = minute;
}

/**
 * Whether the period being sampled has ended by `time` (an hour boundary has passed).
 *
 * @example
 * ```ts
 * settleDue(createFundingState(0n), 3_600_000_000_000n); // => true
 * settleDue(createFundingState(0n), 3_599_999_999_999n); // => false
 * ```
 */
export function settleDue(state: FundingState, time: bigint): boolean {
  return hourOf(time) > state.hour;
}

/**
 * Which samples survive outlier rejection: drop a sample when |premium − median| > 3 × MAD, MAD being
 * the median of |premium − median|. Medians of an even count are the mean of the two middle values;
 * to stay in integers both sides are scaled (2 × median, 4 × MAD), so the comparison is exact. When MAD
 * is 0 (more than half the samples equal the median) only the samples equal to the median survive: the
 * PRD's rule read literally, which is what makes a single spike in a quiet hour harmless.
 *
 * @example
 * ```ts
 * const state = createFundingState(0n);
 * [10, 11, 12, 5_000].forEach((premium, minute) => addSample(state, minute, premium));
 * keptSamples(state); // => [true, true, true, false]
 * ```
 */
export function keptSamples(state: FundingState): boolean[] {
  const count = state.count;
  const kept: boolean[] = [];
  if (count === 0) return kept;
  const sorted = state.premiums.slice(0, count).sort();
  const medianTwice = middleSum(sorted);
  const deviationsTwice = new Float64Array(count);
  for (let index = 0; index < count; index += 1) {
    deviationsTwice[index] = Math.abs(2 * (state.premiums[index] ?? 0) - medianTwice);
  }
  const deviationMedianFourTimes = middleSum(deviationsTwice.slice().sort());
  // |p − median| > 3 × MAD  ⇔  4 × |p − median| > 12 × MAD  ⇔  2 × deviationTwice > 3 × MAD × 4.
  for (let index = 0; index < count; index += 1) {
    kept.push(2 * (deviationsTwice[index] ?? 0) <= 3 * deviationMedianFourTimes);
  }
  return kept;
}

// Twice the median of a sorted list: 2 × middle for an odd count, the sum of the two middles for even.
function middleSum(sorted: Int32Array | Float64Array): number {
  const half = Math.floor(sorted.length / 2);
  const upper = sorted[half];
  assert(upper !== undefined);
  if (sorted.length % 2 === 1) return 2 * upper;
  const lower = sorted[half - 1];
  assert(lower !== undefined);
  return lower + upper;
}

/**
 * The funding rate of the period sampled so far (ppb, positive: longs pay): clamp(adjustmentFactor ×
 * time-weighted average of the kept premiums + interest, ±rateLimitPpb), the product rounded half up
 * once. With no sample the premium counts as 0, so the rate is the interest rate.
 *
 * @example
 * ```ts
 * computeRate(createFundingState(0n), fundingParametersPrd); // => 100_000 (0.01 %: interest only)
 * ```
 */
export function computeRate(state: FundingState, parameters: FundingParameters): RatePpb {
  checkFundingParameters(parameters);
  const kept = keptSamples(state);
  let weightedSum = 0;
  let weightTotal = 0;
  for (let index = 0; index < state.count; index += 1) {
    if (kept[index] !== true) continue;
    const minute = state.minutes[index] ?? 0;
    const next = index + 1 < state.count ? (state.minutes[index + 1] ?? 0) : minutesPerHour;
    // A sample holds until the next one; an outlier's minutes simply do not count.
    const weight = next - minute;
    assert(weight >= 1);
    weightedSum += weight * (state.premiums[index] ?? 0);
    weightTotal += weight;
  }
  const premiumPart =
    weightTotal === 0
      ? 0
      : multiplyDivide({
          value: weightedSum,
          multiplier: parameters.adjustmentFactorPpm,
          divisor: weightTotal * ppmOne,
          rounding: "halfUp",
        });
  const rate = premiumPart + parameters.interestRatePpb;
  return Math.min(parameters.rateLimitPpb, Math.max(-parameters.rateLimitPpb, rate));
}

function checkFundingParameters(parameters: FundingParameters): void {
  const { adjustmentFactorPpm, interestRatePpb, rateLimitPpb } = parameters;
  assert(Number.isSafeInteger(adjustmentFactorPpm) && adjustmentFactorPpm >= 0 && adjustmentFactorPpm <= 100 * ppmOne);
  assert(Number.isSafeInteger(rateLimitPpb) && rateLimitPpb >= 0 && rateLimitPpb <= ppbOne, "funding rate limit");
  assert(Number.isSafeInteger(interestRatePpb) && Math.abs(interestRatePpb) <= rateLimitPpb, "funding interest");
}

/**
 * Parameters of `fundingIndexIncrement`: the mark at settlement, the market's µUSD per tick-lot, and
 * the rate.
 *
 * @example
 * ```ts
 * const parameters: FundingIndexIncrementParameters = { markTicks: 300_000, quotePerTickLot: 10, ratePpb: 100_000 };
 * ```
 */
export interface FundingIndexIncrementParameters {
  readonly markTicks: number;
  readonly quotePerTickLot: number;
  readonly ratePpb: RatePpb;
}

/**
 * What one lot pays in a settlement, in 10^-9 µUSD: mark × quotePerTickLot × rate. An exact integer
 * product (µUSD per lot × ppb), so the index itself never rounds; only fundingOwed does.
 *
 * @example
 * ```ts
 * // ETH at $3,000 (300_000 ticks of $0.01), lot 0.001 ETH (10 µUSD per tick-lot), rate 0.01 %:
 * fundingIndexIncrement({ markTicks: 300_000, quotePerTickLot: 10, ratePpb: 100_000 }); // => 300_000_000_000n
 * ```
 */
export function fundingIndexIncrement(parameters: FundingIndexIncrementParameters): bigint {
  const { markTicks, quotePerTickLot, ratePpb } = parameters;
  assert(Number.isSafeInteger(markTicks) && markTicks >= 1 && markTicks <= int32Max, "mark must be 1 to int32Max ticks");
  assert(Number.isSafeInteger(quotePerTickLot) && quotePerTickLot > 0, "quotePerTickLot must be positive");
  assert(Number.isSafeInteger(ratePpb) && Math.abs(ratePpb) <= ppbOne, "funding rate out of range");
  return BigInt(markTicks) * BigInt(quotePerTickLot) * BigInt(ratePpb);
}

/**
 * Parameters of `settleFunding`: the settling command's time, the mark then, the market's µUSD per
 * tick-lot and the funding parameters.
 *
 * @example
 * ```ts
 * const parameters: SettleFundingParameters = {
 *   time: 3_600_000_000_000n, markTicks: 300_000, quotePerTickLot: 10, parameters: fundingParametersPrd,
 * };
 * ```
 */
export interface SettleFundingParameters {
  readonly time: bigint;
  readonly markTicks: number;
  readonly quotePerTickLot: number;
  readonly parameters: FundingParameters;
}

/**
 * One settlement: the period settled (hours since the epoch), its rate, and the index increment per lot.
 *
 * @example
 * ```ts
 * const settlement: FundingSettlement = { hour: 0, ratePpb: 100_000, indexIncrement: 300_000_000_000n };
 * ```
 */
export interface FundingSettlement {
  readonly hour: number;
  readonly ratePpb: RatePpb;
  readonly indexIncrement: bigint;
}

/**
 * Settles the period being sampled: computes its rate, advances the cumulative index, clears the samples
 * and starts sampling the hour of `time`. Call it when settleDue(state, time). If whole hours passed
 * with no command at all, the one settlement covers the sampled hour and the silent hours are not
 * charged (the node ticks every second, so this happens only across an outage).
 *
 * @example
 * ```ts
 * const state = createFundingState(0n);
 * settleFunding(state, { time: 3_600_000_000_000n, markTicks: 300_000, quotePerTickLot: 10, parameters: fundingParametersPrd });
 * state.cumulativeFundingPerLot; // => 300_000_000_000n
 * ```
 */
export function settleFunding(state: FundingState, settle: SettleFundingParameters): FundingSettlement {
  assert(settleDue(state, settle.time), "funding settlement before the period ended");
  const hour = state.hour;
  const ratePpb = computeRate(state, settle.parameters);
  const indexIncrement = fundingIndexIncrement({ markTicks: settle.markTicks, quotePerTickLot: settle.quotePerTickLot, ratePpb });
  state.cumulativeFundingPerLot += indexIncrement;
  state.count = 0;
  state.premiums.fill(0);
  state.minutes.fill(0);
  state.hour = hourOf(settle.time);
  return { hour, ratePpb, indexIncrement };
}

/**
 * Parameters of `fundingOwed`: a signed position size (long > 0) and the index now and when the position
 * last caught up.
 *
 * @example
 * ```ts
 * const parameters: FundingOwedParameters = { sizeLots: 5_000, indexNow: 300_000_000_000n, indexThen: 0n };
 * ```
 */
export interface FundingOwedParameters {
  readonly sizeLots: number;
  readonly indexNow: bigint;
  readonly indexThen: bigint;
}

/**
 * µUSD the position pays (positive) or receives (negative) for the index movement since it last caught
 * up: ⌈size × (indexNow − indexThen) / 10^9⌉. Rounding toward +∞ makes payers round up and receivers round
 * down, so Σ owed over the positions of one settlement is ≥ 0 (the exact amounts sum to zero because
 * Σ long sizes = Σ short sizes) and below the number of positions.
 *
 * @example
 * ```ts
 * // PRD §8.2: 5 ETH long, mark $3,000, rate 0.01 % → pays $1.50.
 * fundingOwed({ sizeLots: 5_000, indexNow: 300_000_000_000n, indexThen: 0n }); // => 1_500_000
 * ```
 */
export function fundingOwed(parameters: FundingOwedParameters): QuoteUnits {
  const { sizeLots, indexNow, indexThen } = parameters;
  assert(Number.isSafeInteger(sizeLots), "fundingOwed size must be a safe integer");
  const owed = divideRounded({ numerator: BigInt(sizeLots) * (indexNow - indexThen), divisor: BigInt(ppbOne), rounding: "ceil" });
  assert(owed >= BigInt(Number.MIN_SAFE_INTEGER) && owed <= BigInt(Number.MAX_SAFE_INTEGER), "funding owed is not a safe integer");
  const value = Number(owed);
  return value === 0 ? 0 : value;
}

/**
 * Asserts the state's internal consistency: count in range, sample minutes strictly increasing inside
 * the hour, premiums in range, the last sample's minute matching, unused slots zero.
 *
 * @example
 * ```ts
 * checkFundingInvariants(createFundingState(0n));
 * ```
 */
export function checkFundingInvariants(state: FundingState): void {
  assert(Number.isSafeInteger(state.count) && state.count >= 0 && state.count <= fundingSamplesPerPeriodMax);
  assert(Number.isSafeInteger(state.hour) && state.hour >= 0);
  for (let index = 0; index < fundingSamplesPerPeriodMax; index += 1) {
    const premium = state.premiums[index] ?? 0;
    const minute = state.minutes[index] ?? 0;
    if (index >= state.count) {
      assert(premium === 0 && minute === 0, "unused funding slot not cleared");
      continue;
    }
    assert(Math.abs(premium) <= premiumPpbMax);
    assert(minute < minutesPerHour);
    if (index > 0) assert(minute > (state.minutes[index - 1] ?? 0), "funding sample minutes must increase");
  }
  if (state.count > 0) {
    const lastMinute = state.minutes[state.count - 1] ?? 0;
    assert(state.lastSampleMinute === state.hour * minutesPerHour + lastMinute, "last sample minute mismatch");
  }
}
