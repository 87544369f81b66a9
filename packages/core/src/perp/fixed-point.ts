import { assert } from "../assert.ts";

// Exact fixed-point arithmetic for the perpetual layer: money in micro-USD (µUSD), rates in ppm or ppb.
//
// Every quantity is a JS number that must stay a safe integer (|x| ≤ 2^53 − 1, asserted). A product of
// two such numbers can pass 2^53, where a float silently rounds; these helpers take the float path only
// when the float product is provably exact and fall back to bigint otherwise, so the same inputs give
// the same integers on every machine. Rounding is always explicit; design.md decides which mode each
// quantity uses (requirements and fees `ceil`, payouts `floor`, everything else `halfUp`).

/**
 * How a quotient that is not a whole number becomes one. Precisely, for the exact rational q:
 * - `"ceil"`:   the least integer ≥ q (toward +∞). A charge on a positive amount rounds up; a credit
 *               written as a negative number rounds toward zero, so it too favours the exchange.
 * - `"floor"`:  the greatest integer ≤ q (toward −∞).
 * - `"halfUp"`: the nearest integer; an exact half goes away from zero (2.5 → 3, −2.5 → −3), the
 *               HALF_UP of java.math.RoundingMode, symmetric under negation.
 *
 * @example
 * ```ts
 * const rounding: Rounding = "halfUp";
 * multiplyDivide({ value: -5, multiplier: 1, divisor: 2, rounding }); // => -3
 * ```
 */
export type Rounding = "ceil" | "floor" | "halfUp";

/**
 * Money in micro-USD: 1 µUSD = 10^-6 USD = one USDC base unit. A safe integer; signed where it can be
 * negative (PnL, funding, equity).
 *
 * @example
 * ```ts
 * const oneDollar: QuoteUnits = 1_000_000;
 * ```
 */
export type QuoteUnits = number;

/**
 * A rate in parts per billion: 10_000_000 ppb = 1 %. Used for funding rates, premiums and the mark basis,
 * where a ppm is too coarse (one hourly funding step of 0.01 % is 100_000 ppb).
 *
 * @example
 * ```ts
 * const interestPerHour: RatePpb = 100_000; // 0.01 %
 * ```
 */
export type RatePpb = number;

/**
 * Parts per billion in one whole.
 *
 * @example
 * ```ts
 * multiplyDivide({ value: 1_000_000, multiplier: 5_000_000, divisor: ppbOne, rounding: "halfUp" }); // => 5_000
 * ```
 */
export const ppbOne = 1_000_000_000;

/**
 * µUSD in one USD.
 *
 * @example
 * ```ts
 * const tenThousandDollars = 10_000 * quoteUnitsPerDollar; // => 10_000_000_000
 * ```
 */
export const quoteUnitsPerDollar = 1_000_000;

/**
 * The exclusive upper bound of `quotePerTickLot`: 2^31. Keeping it inside an int32 keeps
 * price × quotePerTickLot (ticks < 2^31) below 2^62, so the bigint fallback is the rare path.
 *
 * @example
 * ```ts
 * quotePerTickLot("1000000", "1000000") === null; // => true: 10^18 µUSD per tick-lot is not below the bound
 * ```
 */
export const quotePerTickLotLimit = 2_147_483_648;

/**
 * Parameters of `multiplyDivide`: value × multiplier / divisor, rounded by `rounding`.
 * `value` and `multiplier` are signed safe integers, `divisor` a positive safe integer.
 *
 * @example
 * ```ts
 * const parameters: MultiplyDivideParameters = { value: 7, multiplier: 3, divisor: 2, rounding: "floor" };
 * ```
 */
export interface MultiplyDivideParameters {
  readonly value: number;
  readonly multiplier: number;
  readonly divisor: number;
  readonly rounding: Rounding;
}

/**
 * value × multiplier / divisor, exactly, rounded once by `rounding` (see `Rounding`). Takes the float
 * path when |value × multiplier| ≤ Number.MAX_SAFE_INTEGER: rounding is monotone and 2^53 is a float, so
 * a float product at most 2^53 − 1 proves the exact product is too, and then it was computed exactly.
 * Otherwise the product is formed in bigint. Asserts every input and that the result is a safe integer.
 *
 * @example
 * ```ts
 * // A 0.06 % taker fee on $1,000.50 rounds up to the next µUSD:
 * multiplyDivide({ value: 1_000_500_000, multiplier: 600, divisor: 1_000_000, rounding: "ceil" }); // => 600_300
 * ```
 */
export function multiplyDivide(parameters: MultiplyDivideParameters): number {
  // A one-call body: small enough to inline everywhere, so the parameters object never exists at run
  // time; the work below takes plain numbers, so it costs no object when it is not inlined itself.
  return multiplyDivideValues(parameters.value, parameters.multiplier, parameters.divisor, parameters.rounding);
}

/**
 * `multiplyDivide` with positional arguments, for its own body and the hottest callers.
 *
 * @example
 * ```ts
 * multiplyDivideValues(1_000_500_000, 600, 1_000_000, "ceil"); // => 600_300
 * ```
 */
export function multiplyDivideValues(value: number, multiplier: number, divisor: number, rounding: Rounding): number {
  assert(Number.isSafeInteger(value), "multiplyDivide value must be a safe integer");
  assert(Number.isSafeInteger(multiplier), "multiplyDivide multiplier must be a safe integer");
  assert(Number.isSafeInteger(divisor), "multiplyDivide divisor must be a safe integer");
  assert(divisor > 0, "multiplyDivide divisor must be positive");
  const product = value * multiplier;
  if (Math.abs(product) <= Number.MAX_SAFE_INTEGER) return divideSafe(product, divisor, rounding);
  return multiplyDivideWide(value, multiplier, divisor, rounding);
}

// The bigint path, kept out of line so the common path stays small enough to inline at every caller.
function multiplyDivideWide(value: number, multiplier: number, divisor: number, rounding: Rounding): number {
  const quotient = divideRounded({ numerator: BigInt(value) * BigInt(multiplier), divisor: BigInt(divisor), rounding });
  assert(quotient >= minimumSafe && quotient <= maximumSafe, "multiplyDivide result is not a safe integer");
  return Number(quotient);
}

const minimumSafe = BigInt(Number.MIN_SAFE_INTEGER);
const maximumSafe = BigInt(Number.MAX_SAFE_INTEGER);

// numerator / divisor for a safe-integer numerator. The float quotient truncates to the exact quotient:
// its rounding error is at most |numerator / divisor| × 2^-53 < 1 / divisor (as |numerator| < 2^53), and a
// quotient that is not whole lies at least 1 / divisor from every integer, so rounding never reaches one.
// Then |truncated × divisor| ≤ |numerator| and the remainder are exact too. (A float `%` gives the same
// remainder but is a call to fmod, about twice the time of this division and multiplication.)
function divideSafe(numerator: number, divisor: number, rounding: Rounding): number {
  const truncated = Math.trunc(numerator / divisor);
  const remainder = numerator - truncated * divisor;
  assert(numerator >= 0 ? remainder >= 0 && remainder < divisor : remainder <= 0 && remainder > -divisor, "divideSafe remainder out of range");
  let result = truncated;
  if (remainder !== 0) {
    if (rounding === "ceil") {
      if (remainder > 0) result = truncated + 1;
    } else if (rounding === "floor") {
      if (remainder < 0) result = truncated - 1;
    } else if (2 * Math.abs(remainder) >= divisor) {
      // 2 × |remainder| < 2 × divisor ≤ 2^54: a power-of-two multiple of a safe integer, still exact.
      result = remainder > 0 ? truncated + 1 : truncated - 1;
    }
  }
  // `-0` would hash and print differently from 0; the integers have one zero.
  return result === 0 ? 0 : result;
}

/**
 * Parameters of `divideRounded`: numerator / divisor in bigint, divisor positive.
 *
 * @example
 * ```ts
 * const parameters: DivideRoundedParameters = { numerator: -7n, divisor: 2n, rounding: "halfUp" };
 * ```
 */
export interface DivideRoundedParameters {
  readonly numerator: bigint;
  readonly divisor: bigint;
  readonly rounding: Rounding;
}

/**
 * numerator / divisor in bigint, rounded by `rounding`; the bigint twin of `multiplyDivide` for
 * accumulators that outgrow 2^53 (the cumulative funding index, EMA weights).
 *
 * @example
 * ```ts
 * divideRounded({ numerator: -7n, divisor: 2n, rounding: "halfUp" }); // => -4n
 * divideRounded({ numerator: -7n, divisor: 2n, rounding: "ceil" }); // => -3n
 * ```
 */
export function divideRounded(parameters: DivideRoundedParameters): bigint {
  const { numerator, divisor, rounding } = parameters;
  assert(divisor > 0n, "divideRounded divisor must be positive");
  // bigint `/` truncates toward zero and `%` keeps the numerator's sign.
  const truncated = numerator / divisor;
  const remainder = numerator % divisor;
  if (remainder === 0n) return truncated;
  if (rounding === "ceil") return remainder > 0n ? truncated + 1n : truncated;
  if (rounding === "floor") return remainder < 0n ? truncated - 1n : truncated;
  const twiceRemainder = remainder > 0n ? 2n * remainder : -2n * remainder;
  if (twiceRemainder < divisor) return truncated;
  return remainder > 0n ? truncated + 1n : truncated - 1n;
}

/**
 * The µUSD value of `sizeLots` lots at `priceTicks`: price × size × quotePerTickLot, exact. Signed like
 * the size (a short's notional is negative; take `Math.abs` for margin). Asserts a safe-integer result:
 * a position worth more than $9 billion is a bug upstream, not a rounding question here.
 *
 * @example
 * ```ts
 * // 2 BTC (2_000 lots of 0.001) at $50,000 (50_000 ticks of $1): quotePerTickLot = 1_000 µUSD.
 * notional(50_000, 2_000, 1_000); // => 100_000_000_000 (= $100,000)
 * ```
 */
export function notional(priceTicks: number, sizeLots: number, quotePerTickLot: number): QuoteUnits {
  assert(Number.isSafeInteger(priceTicks) && priceTicks >= 0, "notional price must be a non-negative safe integer");
  assert(Number.isSafeInteger(sizeLots), "notional size must be a safe integer");
  assert(Number.isSafeInteger(quotePerTickLot) && quotePerTickLot > 0, "notional quotePerTickLot must be positive");
  const priceSize = priceTicks * sizeLots;
  if (Math.abs(priceSize) <= Number.MAX_SAFE_INTEGER) {
    const value = priceSize * quotePerTickLot;
    if (Math.abs(value) <= Number.MAX_SAFE_INTEGER) return value === 0 ? 0 : value;
  }
  return notionalWide(priceTicks, sizeLots, quotePerTickLot);
}

// The bigint path, out of line as multiplyDivideWide is: notional is called all over the order path.
function notionalWide(priceTicks: number, sizeLots: number, quotePerTickLot: number): QuoteUnits {
  const exact = BigInt(priceTicks) * BigInt(sizeLots) * BigInt(quotePerTickLot);
  assert(exact >= minimumSafe && exact <= maximumSafe, "notional is not a safe integer");
  return Number(exact);
}

/**
 * The µUSD value of one tick × one lot, from the market's decimal `tickSize` (USD per tick) and
 * `lotSize` (base units per lot): tickSize × lotSize × 10^6. Returns null unless that is a positive
 * whole number of µUSD below `quotePerTickLotLimit` (a market whose tick-lot is a fraction of a µUSD
 * could not settle PnL in whole units), or when either string is not a plain decimal ("12", "0.001").
 * Digits are read with an integer loop over char codes into bigint: no float ever sees them.
 *
 * @example
 * ```ts
 * quotePerTickLot("0.5", "0.001"); // => 500 (BTC: $0.50 tick, 0.001 BTC lot)
 * quotePerTickLot("0.01", "0.01"); // => 100 (equities: one cent, 0.01 share)
 * quotePerTickLot("0.0001", "0.001"); // => null (0.1 µUSD)
 * ```
 */
export function quotePerTickLot(tickSize: string, lotSize: string): number | null {
  const tick = parsePlainDecimal(tickSize);
  const lot = parsePlainDecimal(lotSize);
  if (tick === null || lot === null) return null;
  // value = (tick.digits / 10^tick.scale) × (lot.digits / 10^lot.scale) × 10^6
  const numerator = tick.digits * lot.digits * 1_000_000n;
  const denominator = 10n ** BigInt(tick.scale + lot.scale);
  if (numerator % denominator !== 0n) return null;
  const value = numerator / denominator;
  if (value <= 0n || value >= BigInt(quotePerTickLotLimit)) return null;
  return Number(value);
}

// The most digits one decimal string may carry; bounds the loop and the bigint (market.ts allows
// 18 integer and 18 fraction digits).
const decimalDigitsMax = 40;
const codeZero = 48;
const codeNine = 57;
const codePoint = 46;

interface PlainDecimal {
  readonly digits: bigint;
  readonly scale: number;
}

// "12.345" → { digits: 12345n, scale: 3 }; null for anything that is not digits with at most one point
// between digits (no sign, no exponent, no spaces).
function parsePlainDecimal(text: string): PlainDecimal | null {
  if (text.length === 0 || text.length > decimalDigitsMax + 1) return null;
  let digits = 0n;
  let scale = 0;
  let pointSeen = false;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code === codePoint) {
      if (pointSeen || index === 0 || index === text.length - 1) return null;
      pointSeen = true;
      continue;
    }
    if (code < codeZero || code > codeNine) return null;
    digits = digits * 10n + BigInt(code - codeZero);
    if (pointSeen) scale += 1;
  }
  return { digits, scale };
}
