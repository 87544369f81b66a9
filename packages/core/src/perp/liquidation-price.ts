import { assert } from "../assert.ts";
import { int32Max, ppmOne } from "../units.ts";
import { divideRounded, notional, type QuoteUnits } from "./fixed-point.ts";
import { maintenanceMargin, type MarginProfile, type MarginTier } from "./margin-tiers.ts";

// The liquidation price: the mark at which the position becomes liquidatable, computed exactly.
//
// design.md replaces the PRD's formula (entry × (1 − (IM − MM − fees) / size), which divides a rate by a
// size) by the definition the trigger itself uses. A position is liquidatable when
//   equity(m) < MM(m)          (PRD §2.4.1: (margin + unrealised PnL) / maintenance margin < 100 %)
// with equity(m) = collateral + size × m × quotePerTickLot (size signed: a long gains as m rises) and
// MM(m) = maintenanceMargin(|size| × m × quotePerTickLot) + the maintenance margin of everything else.
//
// MM is bracketed, hence continuous and piecewise linear in m, so equity − MM is too, with slope
// size × q × (1 − tierRate) for a long and −|size| × q × (1 + tierRate) for a short: strictly monotone,
// because every tier rate is below 100 %. One walk over the tiers finds the piece where it crosses zero;
// on that piece the crossing is a rational number solved in bigint.
//
// Rounding toward safety needs no separate rule: the result is the exact boundary tick of the integer
// trigger. maintenanceMargin rounds up to whole µUSD, and for an integer equity,
// equity < ⌈MM⌉ ⇔ equity < MM, so the ticks where the engine liquidates are exactly the ticks on the
// wrong side of the real crossing m*: a long is liquidated at every tick ≤ ⌈m*⌉ − 1, a short at every tick
// ≥ ⌊m*⌋ + 1. We return those ticks: at the returned price the trigger fires, one tick toward safety it
// does not.

/**
 * Parameters of `liquidationPrice`, the generic form used by cross margin.
 * equity(m) = collateral + sizeLots × m × quotePerTickLot, where `collateral` is every contribution to
 * the equity except this position's mark value (its margin or the account's balance, minus the entry
 * value size × entry × q, plus other positions' PnL held fixed). `otherMaintenanceMargin` is the fixed
 * requirement of everything else the same equity must cover (0 for an isolated position).
 *
 * @example
 * ```ts
 * const parameters: LiquidationPriceParameters = {
 *   sizeLots: 2_000, collateral: -98_000_000_000, quotePerTickLot: 1_000, profile: marginProfilePrd,
 * };
 * ```
 */
export interface LiquidationPriceParameters {
  /** Signed size: positive long, negative short; never 0. */
  readonly sizeLots: number;
  readonly collateral: QuoteUnits;
  readonly quotePerTickLot: number;
  readonly profile: MarginProfile;
  readonly otherMaintenanceMargin?: QuoteUnits;
}

/**
 * The mark (ticks) at which the position becomes liquidatable: for a long the highest tick at which
 * equity < MM, for a short the lowest. null when no tick in [1, int32Max] triggers (a long whose collateral
 * covers its whole notional never liquidates above 0; a short this overcollateralised never reaches it).
 * A long that is liquidatable at every price gets int32Max; a short, 1.
 *
 * @example
 * ```ts
 * // PRD §8.2 position (2 BTC long from $50,000 with $2,000 margin), $1 ticks, 0.001 BTC lots:
 * liquidationPrice({ sizeLots: 2_000, collateral: 2_000_000_000 - 100_000_000_000, quotePerTickLot: 1_000, profile: marginProfilePrd });
 * // => 49_851
 * ```
 */
export function liquidationPrice(parameters: LiquidationPriceParameters): number | null {
  const { sizeLots, collateral, quotePerTickLot, profile } = parameters;
  const otherMaintenanceMargin = parameters.otherMaintenanceMargin ?? 0;
  assert(Number.isSafeInteger(sizeLots) && sizeLots !== 0, "liquidationPrice size must be a nonzero safe integer");
  assert(Number.isSafeInteger(collateral), "liquidationPrice collateral must be a safe integer");
  assert(Number.isSafeInteger(quotePerTickLot) && quotePerTickLot > 0, "quotePerTickLot must be positive");
  assert(Number.isSafeInteger(otherMaintenanceMargin) && otherMaintenanceMargin >= 0, "otherMaintenanceMargin");
  // Only collateral − other requirements matters: h(N) = collateral' ± N − MM(N), N = |size| × m × q.
  const free = BigInt(collateral) - BigInt(otherMaintenanceMargin);
  const notionalPerTick = BigInt(Math.abs(sizeLots)) * BigInt(quotePerTickLot);
  return sizeLots > 0 ? longLiquidationPrice(free, notionalPerTick, profile) : shortLiquidationPrice(free, notionalPerTick, profile);
}

// Long: h(N) = free + N − MM(N) rises with N; liquidatable ⇔ N < N*. On tier k,
// MM(N) = rate × N / 10^6 − amount, so N* = −10^6 × (free + amount) / (10^6 − rate).
function longLiquidationPrice(free: bigint, notionalPerTick: bigint, profile: MarginProfile): number | null {
  if (free >= 0n) return null; // h(0) = free ≥ 0: never liquidatable at a positive price.
  const tier = crossingTier(profile, (upper) => free + upper.floor - upper.base >= 0n);
  const rate = BigInt(tier.maintenanceRatePpm);
  const numerator = -BigInt(ppmOne) * (free + BigInt(tier.maintenanceAmount));
  const denominator = (BigInt(ppmOne) - rate) * notionalPerTick;
  assert(numerator > 0n, "a long's crossing lies above zero notional");
  // Highest integer m with m < numerator / denominator.
  const highest = divideRounded({ numerator, divisor: denominator, rounding: "ceil" }) - 1n;
  if (highest < 1n) return null;
  return highest > BigInt(int32Max) ? int32Max : Number(highest);
}

// Short: h(N) = free − N − MM(N) falls with N; liquidatable ⇔ N > N* = 10^6 × (free + amount) / (10^6 + rate).
function shortLiquidationPrice(free: bigint, notionalPerTick: bigint, profile: MarginProfile): number | null {
  if (free < 0n) return 1; // h(0) < 0: liquidatable at every price.
  const tier = crossingTier(profile, (upper) => free - upper.floor - upper.base <= 0n);
  const rate = BigInt(tier.maintenanceRatePpm);
  const numerator = BigInt(ppmOne) * (free + BigInt(tier.maintenanceAmount));
  const denominator = (BigInt(ppmOne) + rate) * notionalPerTick;
  assert(numerator >= 0n, "a short's crossing lies at or above zero notional");
  // Lowest integer m with m > numerator / denominator.
  const lowest = divideRounded({ numerator, divisor: denominator, rounding: "floor" }) + 1n;
  return lowest > BigInt(int32Max) ? null : Number(lowest);
}

interface TierBoundary {
  /** The next tier's floor (µUSD) and the maintenance margin there (its base). */
  readonly floor: bigint;
  readonly base: bigint;
}

// The first tier whose upper boundary satisfies `crossed` (h has reached zero by its end), or the last
// tier, which is unbounded. h is monotone and continuous, so the zero lies inside that tier.
function crossingTier(profile: MarginProfile, crossed: (upper: TierBoundary) => boolean): MarginTier {
  const tiers = profile.tiers;
  for (let index = 0; index + 1 < tiers.length; index += 1) {
    const tier = tiers[index];
    const next = tiers[index + 1];
    assert(tier !== undefined && next !== undefined);
    if (crossed({ floor: BigInt(next.notionalFloor), base: BigInt(next.maintenanceBase) })) return tier;
  }
  const last = tiers[tiers.length - 1];
  assert(last !== undefined);
  return last;
}

/**
 * Parameters of `isolatedLiquidationPrice`: a position with its own margin.
 *
 * @example
 * ```ts
 * const parameters: IsolatedLiquidationPriceParameters = {
 *   sizeLots: 2_000, entryPriceTicks: 50_000, margin: 2_000_000_000, quotePerTickLot: 1_000, profile: marginProfilePrd,
 * };
 * ```
 */
export interface IsolatedLiquidationPriceParameters {
  readonly sizeLots: number;
  readonly entryPriceTicks: number;
  /** The position's margin, µUSD (after any funding and fees already settled into it). */
  readonly margin: QuoteUnits;
  readonly quotePerTickLot: number;
  readonly profile: MarginProfile;
}

/**
 * The liquidation price of an isolated position: equity(m) = margin + size × (m − entry) × q, so
 * collateral = margin − size × entry × q for longs and shorts alike.
 *
 * @example
 * ```ts
 * isolatedLiquidationPrice({ sizeLots: 2_000, entryPriceTicks: 50_000, margin: 2_000_000_000, quotePerTickLot: 1_000, profile: marginProfilePrd });
 * // => 49_851
 * ```
 */
export function isolatedLiquidationPrice(parameters: IsolatedLiquidationPriceParameters): number | null {
  const { sizeLots, entryPriceTicks, margin, quotePerTickLot, profile } = parameters;
  assert(Number.isSafeInteger(margin) && margin >= 0, "isolated margin must be a non-negative safe integer");
  const collateral = margin - notional(entryPriceTicks, sizeLots, quotePerTickLot);
  return liquidationPrice({ sizeLots, collateral, quotePerTickLot, profile });
}

/**
 * Parameters of `isLiquidatableAt`: the generic position description and a mark.
 *
 * @example
 * ```ts
 * const parameters: IsLiquidatableAtParameters = {
 *   sizeLots: 2_000, collateral: -98_000_000_000, quotePerTickLot: 1_000, profile: marginProfilePrd, markTicks: 49_851,
 * };
 * ```
 */
export interface IsLiquidatableAtParameters extends LiquidationPriceParameters {
  readonly markTicks: number;
}

/**
 * The trigger itself, in safe integers: equity(mark) < maintenanceMargin(|size| × mark × q) + other.
 * The reference the liquidation price is tested against, and what the engine evaluates.
 *
 * @example
 * ```ts
 * isLiquidatableAt({ sizeLots: 2_000, collateral: -98_000_000_000, quotePerTickLot: 1_000, profile: marginProfilePrd, markTicks: 49_851 }); // => true
 * isLiquidatableAt({ sizeLots: 2_000, collateral: -98_000_000_000, quotePerTickLot: 1_000, profile: marginProfilePrd, markTicks: 49_852 }); // => false
 * ```
 */
export function isLiquidatableAt(parameters: IsLiquidatableAtParameters): boolean {
  const { sizeLots, collateral, quotePerTickLot, profile, markTicks } = parameters;
  const otherMaintenanceMargin = parameters.otherMaintenanceMargin ?? 0;
  const value = notional(markTicks, sizeLots, quotePerTickLot);
  const equity = collateral + value;
  assert(Number.isSafeInteger(equity), "equity is not a safe integer");
  return equity < maintenanceMargin(Math.abs(value), profile) + otherMaintenanceMargin;
}
