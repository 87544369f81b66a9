import { assert } from "../assert.ts";
import { int32Max } from "../units.ts";
import { divideRounded, multiplyDivide, ppbOne, type RatePpb } from "./fixed-point.ts";

// The mark price (PRD §2.2.3): Mark = Index × (1 + basis), where the basis is the 5-minute EMA of the
// book's premium over the index, ((best bid + best ask) / 2 − index) / index. Liquidations and
// unrealised PnL use the mark, so one thin-book print cannot move it far; the EMA smooths the book and
// the index anchors it.
//
// The EMA is discrete, one step per whole second of exchange time (N = 300 steps, α = 2 / 301), so it is
// a pure function of the commands: for k seconds with the same sample s,
//   basis ← s + (basis − s) × (1 − α)^k,   (1 − α) = 299 / 301.
// The state advances by whole seconds only and keeps the sub-second remainder, so updating every 0.4 s
// or every 10 s walks the same second grid.
//
// Call updateMark at the start of a command, before the command changes the book or the index: the
// elapsed seconds were spent with the book as it was, so that is the sample that held over them.

/**
 * The state of one market's mark: the basis in ppb and the exchange time the EMA has been advanced to
 * (always lastUpdate ≤ the latest command's time, by less than one second once updated).
 *
 * @example
 * ```ts
 * const state: MarkState = { basisPpb: 0, lastUpdate: 1_700_000_000_000_000_000n };
 * ```
 */
export interface MarkState {
  readonly basisPpb: RatePpb;
  readonly lastUpdate: bigint;
}

/**
 * EMA steps (seconds) in the PRD's 5-minute window.
 *
 * @example
 * ```ts
 * markEmaPeriodSeconds; // => 300
 * ```
 */
export const markEmaPeriodSeconds = 300;

/**
 * After this many seconds without an update the old basis is forgotten and the basis is set to the
 * sample. (299/301)^3600 < 4 × 10^-11 and |basis − sample| ≤ 2 × 10^9 ppb, so the old value's share is
 * below 0.08 ppb and rounding would have produced the sample anyway: the cap bounds the work without
 * changing a result.
 *
 * @example
 * ```ts
 * markEmaHorizonSecondsMax; // => 3_600
 * ```
 */
export const markEmaHorizonSecondsMax = 3_600;

/**
 * The widest a basis or premium may be: ±100 % (10^9 ppb). Keeps the mark between 1 tick and twice the
 * index, every premium inside an int32, and every product inside the bigint fallback's safe range.
 *
 * @example
 * ```ts
 * basisPpbMax; // => 1_000_000_000
 * ```
 */
export const basisPpbMax = 1_000_000_000;

/**
 * How far a computed basis may be from the exact real EMA of the same samples with one jump of k seconds:
 * under 0.5 ppb from the final half-up rounding plus under 10^-5 ppb from the 10^-18 fixed-point weight,
 * so 1 ppb. Updating in many small steps rounds at every step; those errors decay with the EMA, so the
 * stepwise result stays within 0.5 / (1 − 299/301) = 75.25 ppb of the one-jump result: `markStepDriftPpbMax`.
 *
 * @example
 * ```ts
 * markJumpErrorPpbMax; // => 1
 * ```
 */
export const markJumpErrorPpbMax = 1;

/**
 * The most that stepwise updates can drift from one jump over the same seconds and samples (76 ppb,
 * 0.0000076 of the price); see markJumpErrorPpbMax.
 *
 * @example
 * ```ts
 * markStepDriftPpbMax; // => 76
 * ```
 */
export const markStepDriftPpbMax = 76;

const nanosecondsPerSecond = 1_000_000_000n;
const weightScale = 1_000_000_000_000_000_000n;
// 1 − α = 1 − 2 / (N + 1) = (N − 1) / (N + 1) = 299 / 301 for N = 300.
const weightNumerator = BigInt(markEmaPeriodSeconds - 1);
const weightDenominator = BigInt(markEmaPeriodSeconds + 1);

// weightPowers[i] = (299/301)^(2^i) × 10^18, squared from the previous entry with half-up rounding;
// 2^12 > markEmaHorizonSecondsMax, so twelve entries cover every k that is not capped.
const weightPowers: readonly bigint[] = buildWeightPowers(12);

function buildWeightPowers(count: number): bigint[] {
  const powers: bigint[] = [];
  let power = divideRounded({ numerator: weightNumerator * weightScale, divisor: weightDenominator, rounding: "halfUp" });
  for (let index = 0; index < count; index += 1) {
    powers.push(power);
    power = divideRounded({ numerator: power * power, divisor: weightScale, rounding: "halfUp" });
  }
  return powers;
}

/**
 * (299/301)^seconds scaled by 10^18, by multiplying the table entries of the set bits of `seconds`
 * (at most 12 half-up multiplications), for 0 ≤ seconds ≤ markEmaHorizonSecondsMax. Entry i is off by at
 * most (2^(i+1) − 1) × 0.5 × 10^-18 (squaring doubles an error, rounding adds half a unit) and each
 * product adds half a unit, so the result is within 5 × 10^-15 of the exact power.
 *
 * @example
 * ```ts
 * markWeightScaled(0); // => 1_000_000_000_000_000_000n
 * ```
 */
export function markWeightScaled(seconds: number): bigint {
  assert(Number.isSafeInteger(seconds) && seconds >= 0 && seconds <= markEmaHorizonSecondsMax, "markWeightScaled seconds");
  let weight = weightScale;
  let remaining = seconds;
  for (let bit = 0; remaining > 0; bit += 1) {
    if (remaining % 2 === 1) {
      const power = weightPowers[bit];
      assert(power !== undefined);
      weight = divideRounded({ numerator: weight * power, divisor: weightScale, rounding: "halfUp" });
    }
    remaining = Math.floor(remaining / 2);
  }
  return weight;
}

/**
 * A new market's mark state: zero basis (mark = index) starting at `time`.
 *
 * @example
 * ```ts
 * createMarkState(0n); // => { basisPpb: 0, lastUpdate: 0n }
 * ```
 */
export function createMarkState(time: bigint): MarkState {
  assert(time >= 0n, "exchange time is never negative");
  return { basisPpb: 0, lastUpdate: time };
}

/**
 * Parameters of `bookPremiumPpb`: the index and the best bid and ask (ticks; null for an empty side).
 *
 * @example
 * ```ts
 * const parameters: BookPremiumParameters = { indexTicks: 10_000, bestBid: 10_009, bestAsk: 10_011 };
 * ```
 */
export interface BookPremiumParameters {
  readonly indexTicks: number;
  readonly bestBid: number | null;
  readonly bestAsk: number | null;
  /** The widest premium the sample may take (defaults to basisPpbMax); a per-market band. */
  readonly basisLimitPpb?: RatePpb;
}

/**
 * The book's premium over the index in ppb: ((bid + ask) / 2 − index) / index × 10^9 =
 * (bid + ask − 2 × index) × 10^9 / (2 × index), rounded half up and clamped to ±basisLimitPpb. Zero when
 * either side is empty: with no mid there is no premium, and a zero sample makes the basis decay.
 *
 * @example
 * ```ts
 * bookPremiumPpb({ indexTicks: 10_000, bestBid: 10_009, bestAsk: 10_011 }); // => 1_000_000 (0.1 %)
 * bookPremiumPpb({ indexTicks: 10_000, bestBid: null, bestAsk: 10_011 }); // => 0
 * ```
 */
export function bookPremiumPpb(parameters: BookPremiumParameters): RatePpb {
  const { indexTicks, bestBid, bestAsk } = parameters;
  const limit = checkedBasisLimit(parameters.basisLimitPpb);
  assert(Number.isSafeInteger(indexTicks) && indexTicks >= 1 && indexTicks <= int32Max, "index must be 1 to int32Max ticks");
  if (bestBid === null || bestAsk === null) return 0;
  assert(Number.isSafeInteger(bestBid) && bestBid >= 1 && bestBid <= int32Max, "best bid must be 1 to int32Max ticks");
  assert(Number.isSafeInteger(bestAsk) && bestAsk >= 1 && bestAsk <= int32Max, "best ask must be 1 to int32Max ticks");
  // The mid can sit at most 100 % below the index but arbitrarily far above it; above +100 % the
  // premium is clamped anyway, and skipping the division keeps its result inside ±10^9.
  const difference = bestBid + bestAsk - 2 * indexTicks;
  if (difference > 2 * indexTicks) return limit;
  // |difference| × 10^9 may pass 2^53: multiplyDivide then goes bigint.
  const premium = multiplyDivide({
    value: difference,
    multiplier: ppbOne,
    divisor: 2 * indexTicks,
    rounding: "halfUp",
  });
  return Math.min(limit, Math.max(-limit, premium));
}

function checkedBasisLimit(limit: RatePpb | undefined): RatePpb {
  if (limit === undefined) return basisPpbMax;
  assert(Number.isSafeInteger(limit) && limit >= 0 && limit <= basisPpbMax, "basisLimitPpb must be 0 to basisPpbMax");
  return limit;
}

/**
 * Parameters of `updateMark`: the state, the command's exchange time, and the index and book as they
 * stood since the last update.
 *
 * @example
 * ```ts
 * const parameters: UpdateMarkParameters = {
 *   state: createMarkState(0n), time: 1_000_000_000n, indexTicks: 10_000, bestBid: 10_009, bestAsk: 10_011,
 * };
 * ```
 */
export interface UpdateMarkParameters extends BookPremiumParameters {
  readonly state: MarkState;
  readonly time: bigint;
}

/**
 * Advances the basis EMA by the whole seconds elapsed since `state.lastUpdate`, all with the current
 * sample: basis ← sample + (basis − sample) × (299/301)^k, rounded half up (see markJumpErrorPpbMax);
 * k ≥ markEmaHorizonSecondsMax sets the basis to the sample. Returns the same state object when less than
 * a second has passed, else a new one whose lastUpdate moved by exactly k seconds.
 *
 * @example
 * ```ts
 * const state = createMarkState(0n);
 * const next = updateMark({ state, time: 1_000_000_000n, indexTicks: 10_000, bestBid: 10_009, bestAsk: 10_011 });
 * next.basisPpb; // => 6_645 (one step of α = 2/301 toward the 1_000_000 ppb premium)
 * ```
 */
export function updateMark(parameters: UpdateMarkParameters): MarkState {
  const { state, time } = parameters;
  assert(time >= state.lastUpdate, "exchange time moved backwards");
  const elapsedSeconds = (time - state.lastUpdate) / nanosecondsPerSecond;
  if (elapsedSeconds === 0n) return state;
  const limit = checkedBasisLimit(parameters.basisLimitPpb);
  const sample = bookPremiumPpb(parameters);
  const lastUpdate = state.lastUpdate + elapsedSeconds * nanosecondsPerSecond;
  if (elapsedSeconds >= BigInt(markEmaHorizonSecondsMax)) return { basisPpb: sample, lastUpdate };
  const weight = markWeightScaled(Number(elapsedSeconds));
  const sampleScaled = BigInt(sample) * weightScale;
  const basis = divideRounded({
    numerator: sampleScaled + BigInt(state.basisPpb - sample) * weight,
    divisor: weightScale,
    rounding: "halfUp",
  });
  // A convex mix of values within ±limit stays within it; the clamp matters only when governance
  // narrowed the limit since the last update.
  const basisPpb = Math.min(limit, Math.max(-limit, Number(basis)));
  return { basisPpb, lastUpdate };
}

/**
 * Parameters of `markPrice`.
 *
 * @example
 * ```ts
 * const parameters: MarkPriceParameters = { indexTicks: 10_000, basisPpb: 1_000_000 };
 * ```
 */
export interface MarkPriceParameters {
  readonly indexTicks: number;
  readonly basisPpb: RatePpb;
}

/**
 * The mark in ticks: index × (10^9 + basis) / 10^9 rounded half up, at least 1 tick and at most int32Max
 * (the order pool's price range).
 *
 * @example
 * ```ts
 * markPrice({ indexTicks: 10_000, basisPpb: 1_000_000 }); // => 10_010 (0.1 % above the index)
 * markPrice({ indexTicks: 3, basisPpb: -900_000_000 }); // => 1 (never below one tick)
 * ```
 */
export function markPrice(parameters: MarkPriceParameters): number {
  const { indexTicks, basisPpb } = parameters;
  assert(Number.isSafeInteger(indexTicks) && indexTicks >= 1 && indexTicks <= int32Max, "index must be 1 to int32Max ticks");
  assert(Number.isSafeInteger(basisPpb) && Math.abs(basisPpb) <= basisPpbMax, "basis out of range");
  const mark = multiplyDivide({ value: indexTicks, multiplier: ppbOne + basisPpb, divisor: ppbOne, rounding: "halfUp" });
  return Math.min(int32Max, Math.max(1, mark));
}
