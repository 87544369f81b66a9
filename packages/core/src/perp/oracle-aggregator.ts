import { divideCeil } from "../arithmetic.ts";
import { assert } from "../assert.ts";
import { ppmOne } from "../units.ts";
import type { TimeNs } from "../units.ts";
import { divideRounded } from "./fixed-point.ts";

// PRD §2.6.2 price aggregation, in integers:
// 1. collect the fresh prices of the enabled sources;
// 2. median, MAD = median(|price − median|); reject a price with |price − median| > 3 × MAD;
// 3. weighted average of the rest, weight = reputation × source weight × recency × confidence, where
//    recency = 2^(−age / half-life), an exponential decay taken from a table of 2^(−k/16);
// 4. system confidence = min(confidence) × (1 − stddev / mean) over the accepted prices.
// Medians of an even count are the mean of the two middle values; to stay in integers the comparison is
// done on doubled and quadrupled values (see aggregateOracle). One deviation from the PRD: MAD is floored at
// `madFloorPpm` of the median (and one tick), because with identical quotes MAD is 0 and any honest
// difference of one tick would be "more than 3 × MAD" (docs/PERPETUALS.md, "Oracles").

/** 2^(−k/16) × 10^6, k = 0 … 15, rounded half up: the recency decay in sixteenths of a half-life. */
const decaySixteenthsPpm: readonly number[] = [
  1_000_000, 957_603, 917_004, 878_126, 840_896, 805_245, 771_105, 738_413, 707_107, 677_128, 648_420, 620_929, 594_604,
  569_394, 545_254, 522_137,
];
/** After 20 half-lives the decay is below one ppm (every entry is below 2^20): the weight is zero. */
const halfLivesMax = 20;

/**
 * Recency weight in ppm of a price `age` old with half-life `halfLife`: 2^(−age/halfLife), the age
 * rounded down to a sixteenth of the half-life, so 10^6 at age 0 and 500_000 at one half-life.
 *
 * @example
 * recencyPpm({ age: 0n, halfLife: 10_000_000_000n }); // => 1_000_000
 * recencyPpm({ age: 10_000_000_000n, halfLife: 10_000_000_000n }); // => 500_000
 */
export function recencyPpm(parameters: { readonly age: TimeNs; readonly halfLife: TimeNs }): number {
  const { age, halfLife } = parameters;
  assert(halfLife > 0n, "half-life must be positive");
  if (age <= 0n) return ppmOne;
  const sixteenths = (age * 16n) / halfLife;
  const halvings = sixteenths / 16n;
  if (halvings >= BigInt(halfLivesMax)) return 0;
  // A right shift by whole half-lives of the table entry: floor(entry / 2^halvings).
  return decaySixteenthsPpm[Number(sixteenths % 16n)]! >> Number(halvings);
}

/**
 * Integer square root: the largest r with r² ≤ value (Newton's method on bigint).
 *
 * @example
 * integerSquareRoot(99n); // => 9n
 */
export function integerSquareRoot(value: bigint): bigint {
  assert(value >= 0n, "square root of a negative number");
  if (value < 2n) return value;
  let root = value;
  let next = (root + value / root) / 2n;
  while (next < root) {
    root = next;
    next = (root + value / root) / 2n;
  }
  return root;
}

/**
 * One source's latest quote as the aggregator sees it.
 *
 * @example
 * const quote: OracleQuote = { price: 10_000, confidencePpm: 990_000, reputation: 90, weight: 1, publishTime: 0n };
 */
export interface OracleQuote {
  /** Ticks (a market) or µUSD per token (collateral). */
  readonly price: number;
  /** How sure the source is, 0 … 10^6 (10^6 = certain). */
  readonly confidencePpm: number;
  /** 0 … 100. */
  readonly reputation: number;
  /** A static weight the admin gives the source, 1 … 1000. */
  readonly weight: number;
  readonly publishTime: TimeNs;
}

/**
 * Parameters of aggregateOracle.
 *
 * @example
 * const parameters: AggregateParameters = { quotes: [], time: 0n, halfLife: 10_000_000_000n, madFloorPpm: 500 };
 */
export interface AggregateParameters {
  readonly quotes: readonly OracleQuote[];
  readonly time: TimeNs;
  readonly halfLife: TimeNs;
  readonly madFloorPpm: number;
}

/**
 * The aggregate: price, system confidence, and which quotes the outlier test kept.
 *
 * @example
 * const result: OracleAggregate = { price: 10_000, confidencePpm: 990_000, accepted: [true, true, true], median: 10_000 };
 */
export interface OracleAggregate {
  /** The weighted average of the accepted quotes, half up; 0 when no accepted quote has weight. */
  readonly price: number;
  readonly confidencePpm: number;
  readonly accepted: readonly boolean[];
  /** The median, rounded half up (the exact test uses the doubled median). */
  readonly median: number;
}

/** The median of sorted values, doubled so that an even count needs no division. */
function doubledMedian(sorted: readonly number[]): number {
  const count = sorted.length;
  const middle = count >> 1;
  return count % 2 === 1 ? 2 * sorted[middle]! : sorted[middle - 1]! + sorted[middle]!;
}

/**
 * PRD §2.6.2 over `quotes` (at least one). Exact: prices and tests are integers; the weighted average
 * and the median round half up; confidence rounds down (a risk number is never overstated).
 *
 * @example
 * const quote = (price: number): OracleQuote => ({ price, confidencePpm: 1_000_000, reputation: 100, weight: 1, publishTime: 0n });
 * aggregateOracle({ quotes: [quote(10_000), quote(10_010), quote(12_000)], time: 0n, halfLife: 10_000_000_000n, madFloorPpm: 500 }).accepted;
 * // => [true, true, false]: 12_000 is far more than 3 × MAD (10) from the median 10_010
 */
export function aggregateOracle(parameters: AggregateParameters): OracleAggregate {
  const { quotes, time, halfLife, madFloorPpm } = parameters;
  assert(quotes.length > 0, "aggregate needs a quote");
  const prices = quotes.map((quote) => quote.price).sort((left, right) => left - right);
  const median2 = doubledMedian(prices);
  // |2p − 2·median| = 2 × deviation; their median (doubled again) is 4 × MAD.
  const deviations2 = quotes.map((quote) => Math.abs(2 * quote.price - median2)).sort((left, right) => left - right);
  const floor = Math.max(1, divideCeil(median2 * madFloorPpm, 2 * ppmOne));
  const mad4 = Math.max(doubledMedian(deviations2), 4 * floor);
  // deviation > 3 × MAD  ⟺  2·deviation / 2 > 3 · mad4 / 4  ⟺  2 × (2·deviation) > 3 × mad4.
  const accepted = quotes.map((quote) => 2 * Math.abs(2 * quote.price - median2) <= 3 * mad4);
  let weightSum = 0n;
  let weightedPrices = 0n;
  let confidenceMin = ppmOne;
  let count = 0n;
  let sum = 0n;
  for (let index = 0; index < quotes.length; index += 1) {
    if (!accepted[index]) continue;
    const quote = quotes[index]!;
    const recency = recencyPpm({ age: time - quote.publishTime, halfLife });
    const weight = BigInt(quote.reputation) * BigInt(quote.weight) * BigInt(recency) * BigInt(quote.confidencePpm);
    weightSum += weight;
    weightedPrices += weight * BigInt(quote.price);
    confidenceMin = Math.min(confidenceMin, quote.confidencePpm);
    count += 1n;
    sum += BigInt(quote.price);
  }
  const median = Number(divideRounded({ numerator: BigInt(median2), divisor: 2n, rounding: "halfUp" }));
  if (weightSum === 0n) return { price: 0, confidencePpm: 0, accepted, median };
  const price = Number(divideRounded({ numerator: weightedPrices, divisor: weightSum, rounding: "halfUp" }));
  // stddev / mean = sqrt(Σ (n·p − S)² / n) / S (population standard deviation); the ratio in ppm is
  // rounded up so the agreement factor, and with it the confidence, rounds down.
  let squares = 0n;
  for (let index = 0; index < quotes.length; index += 1) {
    if (!accepted[index]) continue;
    const difference = count * BigInt(quotes[index]!.price) - sum;
    squares += difference * difference;
  }
  const scaled = integerSquareRoot((squares * 1_000_000_000_000n) / count);
  const ratioPpm = Number(divideRounded({ numerator: scaled + 1n, divisor: sum, rounding: "ceil" }));
  const agreementPpm = Math.max(0, ppmOne - (squares === 0n ? 0 : ratioPpm));
  const confidencePpm = Number((BigInt(confidenceMin) * BigInt(agreementPpm)) / BigInt(ppmOne));
  return { price, confidencePpm, accepted, median };
}
