import type { MarketSpec } from "./commands.ts";
import { BookSide } from "./book/book-side.ts";
import { divideCeil, divideFloor } from "./arithmetic.ts";
import { reject, type Rejection } from "./rejections.ts";
import { int32Max, ppmOne, type PriceTicks, type RatePpm } from "./units.ts";

// A market: its parameters and its book. Parameters are per market, never constants in code.

const symbolPattern = /^[A-Z0-9]{1,16}-PERP$/;
const decimalPattern = /^(0|[1-9][0-9]{0,17})(\.[0-9]{1,18})?$/;
const positiveDigitPattern = /[1-9]/;

export class Market {
  readonly bids = new BookSide(true);
  readonly asks = new BookSide(false);
  /** The price of the last trade, or the spec's reference price before the first trade. */
  referencePrice: number;
  /** The perpetual layer turns this off and sets the reference to the mark price itself. */
  referenceFollowsTrades = true;

  constructor(
    readonly index: number,
    readonly spec: MarketSpec,
  ) {
    this.referencePrice = spec.referencePriceTicks;
  }

  get symbol(): string {
    return this.spec.symbol;
  }

  /** Lowest limit price the band allows: ⌈reference × (1 − band)⌉, at least one tick. */
  bandLowest(): number {
    if (this.bandReference !== this.referencePrice) this.computeBand();
    return this.bandLow;
  }

  /** Highest limit price the band allows: ⌊reference × (1 + band)⌋, at most int32Max. */
  bandHighest(): number {
    if (this.bandReference !== this.referencePrice) this.computeBand();
    return this.bandHigh;
  }

  // The band is cached until the reference moves: most orders arrive between reference changes.
  private bandReference = 0;
  private bandLow = 0;
  private bandHigh = 0;

  private computeBand(): void {
    const reference = this.referencePrice;
    this.bandLow = Math.max(1, divideCeil(reference * (ppmOne - this.spec.priceBandPpm), ppmOne));
    this.bandHigh = Math.min(int32Max, divideFloor(reference * (ppmOne + this.spec.priceBandPpm), ppmOne));
    this.bandReference = reference;
  }
}

function isIntegerIn(value: unknown, lowest: number, highest: number): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= lowest && value <= highest;
}

function isPositiveDecimal(text: unknown): text is string {
  return typeof text === "string" && decimalPattern.test(text) && positiveDigitPattern.test(text);
}

/**
 * Checks a market spec. Bounds keep every product of the band and slippage arithmetic below 2^53:
 * reference ≤ int32Max (2^31) and rates ≤ 100 % (10^6 ppm < 2^20) give products < 2^52.
 */
export function validateMarketSpec(spec: MarketSpec): Rejection | null {
  const invalid = (message: string): Rejection => reject("MARKET_PARAMS_INVALID", message);
  if (typeof spec.symbol !== "string" || !symbolPattern.test(spec.symbol)) {
    return invalid(`symbol must look like AAPL-PERP (1 to 16 capitals or digits, then -PERP)`);
  }
  if (!isPositiveDecimal(spec.tickSize)) return invalid(`tickSize must be a positive decimal string`);
  if (!isPositiveDecimal(spec.lotSize)) return invalid(`lotSize must be a positive decimal string`);
  if (!isIntegerIn(spec.minOrderLots, 1, int32Max)) return invalid(`minOrderLots must be 1 to ${int32Max}`);
  if (!isIntegerIn(spec.maxOrderLots, spec.minOrderLots, int32Max)) {
    return invalid(`maxOrderLots must be ${spec.minOrderLots} to ${int32Max}`);
  }
  if (!isIntegerIn(spec.priceBandPpm, 1, ppmOne)) return invalid(`priceBandPpm must be 1 to ${ppmOne}`);
  if (!isIntegerIn(spec.marketOrderSlippagePpm, 1, ppmOne)) {
    return invalid(`marketOrderSlippagePpm must be 1 to ${ppmOne}`);
  }
  if (!isIntegerIn(spec.referencePriceTicks, 1, int32Max)) {
    return invalid(`referencePriceTicks must be 1 to ${int32Max}`);
  }
  return null;
}

/** The worst price a market order may reach: best opposite price moved by the slippage bound. */
export function slippageLimit(options: { best: number; slippage: RatePpm; buy: boolean }): PriceTicks {
  const { best, slippage, buy } = options;
  // Buys round down and sells round up: the bound is never looser than asked.
  const limit = buy
    ? divideFloor(best * (ppmOne + slippage), ppmOne)
    : divideCeil(best * (ppmOne - slippage), ppmOne);
  return Math.min(int32Max, Math.max(1, limit)) as PriceTicks;
}
