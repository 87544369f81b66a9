import { assert } from "../assert.ts";
import { divideRounded, multiplyDivide, quoteUnitsPerDollar, type QuoteUnits } from "./fixed-point.ts";

// Collateral (PRD §2.5.1). USDC is the settlement asset: an account's `cash` is its USDC balance in µUSD
// (one USDC base unit = 1 µUSD), and trading PnL, fees and funding settle in it. USDT and DAI are held as
// token balances (base units, bigint: DAI has 18 decimals) and count toward collateral value at
// price × weight; cash may fall below zero only as a debt that this other collateral backs (the way
// multi-asset margin works on the large venues), and the margin checks see that debt in full.

export const collateralAssets = ["USDC", "USDT", "DAI"] as const;
export type CollateralAsset = (typeof collateralAssets)[number];

export interface CollateralParameters {
  readonly decimals: number;
  /** Haircut: 980_000 ppm counts $0.98 of each dollar. */
  readonly weightPpm: number;
}

export const collateralParameters: Readonly<Record<CollateralAsset, CollateralParameters>> = {
  USDC: { decimals: 6, weightPpm: 1_000_000 },
  USDT: { decimals: 6, weightPpm: 980_000 },
  DAI: { decimals: 18, weightPpm: 950_000 },
};

export const collateralIndex: Readonly<Record<CollateralAsset, number>> = { USDC: 0, USDT: 1, DAI: 2 };

/** Oracle price of each asset in µUSD per whole token (1_000_000 = $1.00). */
export class CollateralPrices {
  readonly pricePpm = [quoteUnitsPerDollar, quoteUnitsPerDollar, quoteUnitsPerDollar];
  /** Bumped on every price change, so accounts can cache the value of their token balances. */
  epoch = 0;
}

const ppm = 1_000_000n;

/**
 * Value of a positive USDC cash balance: cash × price × weight, rounded down; a debt (negative cash)
 * counts in full at max(price, $1), rounded away from zero, so depegs never flatter a borrower.
 */
export function cashValue(cash: QuoteUnits, prices: CollateralPrices): QuoteUnits {
  const price = prices.pricePpm[0]!;
  if (cash >= 0) {
    const multiplier = price * collateralParameters.USDC.weightPpm; // ≤ 10^12 for prices ≤ $1,000,000
    // At par (USDC at $1, weight 100 %) a µUSD of cash is a µUSD of value: skip the wide product.
    if (multiplier === 1_000_000_000_000) return cash;
    return multiplyDivide({ value: cash, multiplier, divisor: 1_000_000_000_000, rounding: "floor" });
  }
  return multiplyDivide({ value: cash, multiplier: Math.max(price, quoteUnitsPerDollar), divisor: 1_000_000, rounding: "floor" });
}

/** Value in µUSD of `amount` base units of a non-USDC token: amount × price × weight / 10^decimals, down. */
export function tokenValue(asset: CollateralAsset, amount: bigint, prices: CollateralPrices): QuoteUnits {
  assert(asset !== "USDC" && amount >= 0n, "tokenValue is for USDT and DAI balances");
  if (amount === 0n) return 0;
  const { decimals, weightPpm } = collateralParameters[asset];
  const price = BigInt(prices.pricePpm[collateralIndex[asset]]!);
  const numerator = amount * price * BigInt(weightPpm);
  const value = divideRounded({ numerator, divisor: 10n ** BigInt(decimals) * ppm, rounding: "floor" });
  assert(value <= BigInt(Number.MAX_SAFE_INTEGER), "collateral value beyond 2^53 µUSD");
  return Number(value);
}

/** µUSD of USDC base units (identical: USDC has 6 decimals). */
export function usdcToQuote(amount: bigint): QuoteUnits {
  assert(amount >= 0n && amount <= BigInt(Number.MAX_SAFE_INTEGER), "USDC amount beyond 2^53 base units");
  return Number(amount);
}
