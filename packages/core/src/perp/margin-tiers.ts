import { assert } from "../assert.ts";
import { ppmOne } from "../units.ts";
import { multiplyDivideValues, quoteUnitsPerDollar, type QuoteUnits } from "./fixed-point.ts";

// Leverage tiers by position notional, and the margin they require.
//
// Maintenance margin is bracketed, like income tax: each slice of notional inside a tier is charged that
// tier's rate. A flat rate per tier (the PRD's literal reading) jumps at every boundary — one more lot
// at $49,999 would raise the requirement from 1 % to 2.5 % of the whole position and could liquidate a
// position that merely grew by a tick. Bracketed margin is continuous and piecewise linear in notional,
// which also lets the liquidation price be solved exactly tier by tier (liquidation-price.ts).
// Equivalently MM = tierRate × notional − maintenanceAmount(tier), Binance's "maintenance amount" form.
//
// Initial margin is not bracketed: IM = notional / leverage, and the leverage may not exceed the
// maximum of the tier the whole notional falls in (nor the market's asset-class cap). Every shipped
// tier has initialRatePpm = ppmOne / leverageMax ≥ maintenanceRatePpm, so IM ≥ MM at every notional.

/**
 * One row of a tier table, as configured. Tier i covers notional in [notionalFloor_i, notionalFloor_i+1);
 * the last tier is unbounded. A notional exactly on a boundary belongs to the higher tier ("< $10,000"
 * is tier one, "$10,000 – $50,000" starts at exactly $10,000).
 *
 * @example
 * ```ts
 * const tier: MarginTierInput = { notionalFloor: 0, leverageMax: 100, initialRatePpm: 10_000, maintenanceRatePpm: 6_000 };
 * ```
 */
export interface MarginTierInput {
  /** The least notional (µUSD) in this tier; the first tier starts at 0. A whole number of dollars. */
  readonly notionalFloor: QuoteUnits;
  /** The most leverage a position whose whole notional lies in this tier may use. */
  readonly leverageMax: number;
  /** Initial margin rate of the tier, for views (ppm; 10_000 = 1 %). */
  readonly initialRatePpm: number;
  /** Maintenance margin rate charged on the slice of notional inside this tier (ppm). */
  readonly maintenanceRatePpm: number;
}

/**
 * A tier with its precomputed bracket: `maintenanceBase` is the maintenance margin of a notional exactly
 * at `notionalFloor` (the sum of the full lower slices), `maintenanceAmount` the deduction in
 * MM = ⌈rate × notional / 10^6⌉ − maintenanceAmount. Both are whole µUSD because floors are whole dollars.
 *
 * @example
 * ```ts
 * const third: MarginTier | undefined = marginProfilePrd.tiers[2];
 * third?.maintenanceBase; // => 460_000_000 ($10,000 × 0.6 % + $40,000 × 1 %)
 * ```
 */
export interface MarginTier extends MarginTierInput {
  readonly maintenanceBase: QuoteUnits;
  readonly maintenanceAmount: QuoteUnits;
}

/**
 * A named, validated tier table.
 *
 * @example
 * ```ts
 * const profile: MarginProfile = marginProfileSpec;
 * profile.tiers.length; // => 6
 * ```
 */
export interface MarginProfile {
  readonly name: string;
  readonly tiers: readonly MarginTier[];
}

/**
 * The most tiers a profile may have; keeps every tier walk a short bounded loop.
 *
 * @example
 * ```ts
 * marginProfilePrd.tiers.length <= marginTiersMax; // => true
 * ```
 */
export const marginTiersMax = 16;

/**
 * The highest notional floor a tier may have: $1 billion. With rates ≤ 100 % every base and product in
 * the bracket arithmetic then stays far below 2^53 µUSD.
 *
 * @example
 * ```ts
 * marginNotionalFloorMax; // => 1_000_000_000_000_000 µUSD
 * ```
 */
export const marginNotionalFloorMax = 1_000_000_000 * quoteUnitsPerDollar;

/**
 * Validates a tier table and precomputes its brackets. Asserts (a profile is configuration, so a bad one
 * is a bug): 1 to `marginTiersMax` tiers; the first floor 0, floors strictly increasing whole dollars up
 * to `marginNotionalFloorMax`; leverage non-increasing and ≥ 1; maintenance rates non-decreasing, below
 * 100 % (so equity − MM keeps rising with the price of a long, and the liquidation price is unique) and
 * not above the initial rate.
 *
 * @example
 * ```ts
 * const flat = createMarginProfile("flat-0.6%", [
 *   { notionalFloor: 0, leverageMax: 100, initialRatePpm: 10_000, maintenanceRatePpm: 6_000 },
 * ]);
 * maintenanceMargin(100_000_000_000, flat); // => 600_000_000 ($600 on $100,000)
 * ```
 */
export function createMarginProfile(name: string, tiers: readonly MarginTierInput[]): MarginProfile {
  assert(tiers.length >= 1 && tiers.length <= marginTiersMax, `margin profile ${name}: 1 to ${marginTiersMax} tiers`);
  const built: MarginTier[] = [];
  let maintenanceBase = 0;
  for (let index = 0; index < tiers.length; index += 1) {
    const tier = tiers[index];
    assert(tier !== undefined);
    checkTier(name, tier, index === 0 ? undefined : tiers[index - 1]);
    if (index > 0) {
      const previous = tiers[index - 1];
      assert(previous !== undefined);
      // The full slice of the previous tier: width (whole dollars) × rate (ppm) / 10^6 is whole µUSD.
      const widthDollars = (tier.notionalFloor - previous.notionalFloor) / quoteUnitsPerDollar;
      maintenanceBase += widthDollars * previous.maintenanceRatePpm;
    }
    // MM = base + rate × (N − floor) / 10^6 = rate × N / 10^6 − (rate × floor / 10^6 − base).
    const maintenanceAmount = (tier.notionalFloor / quoteUnitsPerDollar) * tier.maintenanceRatePpm - maintenanceBase;
    assert(Number.isSafeInteger(maintenanceBase) && Number.isSafeInteger(maintenanceAmount));
    built.push({ ...tier, maintenanceBase, maintenanceAmount });
  }
  return { name, tiers: built };
}

function checkTier(name: string, tier: MarginTierInput, previous: MarginTierInput | undefined): void {
  const where = `margin profile ${name}, tier at ${tier.notionalFloor}`;
  assert(Number.isSafeInteger(tier.notionalFloor) && tier.notionalFloor >= 0, `${where}: floor`);
  assert(tier.notionalFloor % quoteUnitsPerDollar === 0, `${where}: floor must be whole dollars`);
  assert(tier.notionalFloor <= marginNotionalFloorMax, `${where}: floor above marginNotionalFloorMax`);
  assert(Number.isSafeInteger(tier.leverageMax) && tier.leverageMax >= 1, `${where}: leverageMax`);
  assert(Number.isSafeInteger(tier.initialRatePpm) && tier.initialRatePpm > 0, `${where}: initialRatePpm`);
  assert(tier.initialRatePpm <= ppmOne, `${where}: initialRatePpm above 100 %`);
  assert(Number.isSafeInteger(tier.maintenanceRatePpm) && tier.maintenanceRatePpm > 0, `${where}: maintenanceRatePpm`);
  assert(tier.maintenanceRatePpm < ppmOne, `${where}: maintenanceRatePpm must be below 100 %`);
  assert(tier.maintenanceRatePpm <= tier.initialRatePpm, `${where}: maintenance above initial`);
  if (previous === undefined) {
    assert(tier.notionalFloor === 0, `${where}: the first tier starts at 0`);
    return;
  }
  assert(tier.notionalFloor > previous.notionalFloor, `${where}: floors must increase`);
  assert(tier.leverageMax <= previous.leverageMax, `${where}: leverage must not increase`);
  assert(tier.maintenanceRatePpm >= previous.maintenanceRatePpm, `${where}: maintenance rates must not fall`);
  assert(tier.initialRatePpm >= previous.initialRatePpm, `${where}: initial rates must not fall`);
}

const dollars = (amount: number): QuoteUnits => amount * quoteUnitsPerDollar;

/**
 * The PRD §2.3.2 table, the default profile: < $10,000 → 100x, IM 1 %, MM 0.6 %; $10,000–$50,000 → 50x,
 * 2 %, 1 %; $50,000–$250,000 → 20x, 5 %, 2.5 %; $250,000–$1,000,000 → 10x, 10 %, 5 %;
 * ≥ $1,000,000 → 5x, 20 %, 10 %.
 *
 * @example
 * ```ts
 * leverageMaxAt({ notional: 9_999_999_999, profile: marginProfilePrd, cap: 100 }); // => 100
 * ```
 */
export const marginProfilePrd: MarginProfile = createMarginProfile("prd", [
  { notionalFloor: 0, leverageMax: 100, initialRatePpm: 10_000, maintenanceRatePpm: 6_000 },
  { notionalFloor: dollars(10_000), leverageMax: 50, initialRatePpm: 20_000, maintenanceRatePpm: 10_000 },
  { notionalFloor: dollars(50_000), leverageMax: 20, initialRatePpm: 50_000, maintenanceRatePpm: 25_000 },
  { notionalFloor: dollars(250_000), leverageMax: 10, initialRatePpm: 100_000, maintenanceRatePpm: 50_000 },
  { notionalFloor: dollars(1_000_000), leverageMax: 5, initialRatePpm: 200_000, maintenanceRatePpm: 100_000 },
]);

/**
 * The SPEC 05 table, shipped as the second profile: $0–50,000 → 125x, IM 0.8 %, MM 0.4 %;
 * $50,000–250,000 → 100x, 1 %, 0.5 %; $250,000–1,000,000 → 50x, 2 %, 1 %; $1,000,000–5,000,000 → 20x,
 * 5 %, 2.5 %; $5,000,000–20,000,000 → 10x, 10 %, 5 %; ≥ $20,000,000 → 5x, 20 %, 10 %.
 *
 * @example
 * ```ts
 * leverageMaxAt({ notional: 1_000_000, profile: marginProfileSpec, cap: 125 }); // => 125
 * ```
 */
export const marginProfileSpec: MarginProfile = createMarginProfile("spec", [
  { notionalFloor: 0, leverageMax: 125, initialRatePpm: 8_000, maintenanceRatePpm: 4_000 },
  { notionalFloor: dollars(50_000), leverageMax: 100, initialRatePpm: 10_000, maintenanceRatePpm: 5_000 },
  { notionalFloor: dollars(250_000), leverageMax: 50, initialRatePpm: 20_000, maintenanceRatePpm: 10_000 },
  { notionalFloor: dollars(1_000_000), leverageMax: 20, initialRatePpm: 50_000, maintenanceRatePpm: 25_000 },
  { notionalFloor: dollars(5_000_000), leverageMax: 10, initialRatePpm: 100_000, maintenanceRatePpm: 50_000 },
  { notionalFloor: dollars(20_000_000), leverageMax: 5, initialRatePpm: 200_000, maintenanceRatePpm: 100_000 },
]);

/**
 * A market's asset class; it caps the market's leverage (PRD §8.3).
 *
 * @example
 * ```ts
 * const assetClass: AssetClass = "blueChip";
 * ```
 */
export type AssetClass = "indexEtf" | "blueChip" | "tech" | "smallCap" | "crypto";

/**
 * The leverage cap of each asset class (PRD §8.3): index ETFs 100x, blue chips 50x, tech 20x, small caps
 * 10x. The PRD lists no crypto row; crypto gets 100x, the product's headline maximum and what the PRD's
 * own BTC example assumes is possible, so the tier table alone limits it. Only the leverage of §8.3 is
 * used: its IM/MM columns repeat rows of the tier table, which stays the single source of rates.
 *
 * @example
 * ```ts
 * assetClassLeverageMax.tech; // => 20
 * ```
 */
export const assetClassLeverageMax: Readonly<Record<AssetClass, number>> = {
  indexEtf: 100,
  blueChip: 50,
  tech: 20,
  smallCap: 10,
  crypto: 100,
};

/**
 * The tier a notional falls in: the last tier whose floor is ≤ |notional|.
 *
 * @example
 * ```ts
 * tierAt(10_000_000_000, marginProfilePrd).leverageMax; // => 50 (exactly $10,000 is tier two)
 * ```
 */
export function tierAt(notional: QuoteUnits, profile: MarginProfile): MarginTier {
  assert(Number.isSafeInteger(notional) && notional >= 0, "tierAt notional must be a non-negative safe integer");
  const tiers = profile.tiers;
  let found = tiers[0];
  assert(found !== undefined);
  for (let index = 1; index < tiers.length; index += 1) {
    const tier = tiers[index];
    assert(tier !== undefined);
    if (tier.notionalFloor > notional) break;
    found = tier;
  }
  return found;
}

/**
 * Maintenance margin of a position of `notional` µUSD, bracketed across tiers and rounded up (never
 * undercharge): base(tier) + ⌈rate(tier) × (notional − floor(tier)) / 10^6⌉. Continuous: at a boundary b,
 * MM(b) − MM(b − 1) ≤ 1 µUSD. Non-decreasing in notional.
 *
 * @example
 * ```ts
 * // $100,000 under the PRD table: $10,000 × 0.6 % + $40,000 × 1 % + $50,000 × 2.5 % = $1,710.
 * maintenanceMargin(100_000_000_000, marginProfilePrd); // => 1_710_000_000
 * ```
 */
export function maintenanceMargin(notional: QuoteUnits, profile: MarginProfile): QuoteUnits {
  const tier = tierAt(notional, profile);
  const slice = multiplyDivideValues(notional - tier.notionalFloor, tier.maintenanceRatePpm, ppmOne, "ceil");
  const margin = tier.maintenanceBase + slice;
  assert(Number.isSafeInteger(margin) && margin >= 0);
  return margin;
}

/**
 * The marginal maintenance rate at `notional` (the rate of its tier), for views. The effective rate of
 * the whole position is maintenanceMargin / notional, which is at most this.
 *
 * @example
 * ```ts
 * maintenanceRateAt(100_000_000_000, marginProfilePrd); // => 25_000 (2.5 %)
 * ```
 */
export function maintenanceRateAt(notional: QuoteUnits, profile: MarginProfile): number {
  return tierAt(notional, profile).maintenanceRatePpm;
}

/**
 * Parameters of `leverageMaxAt`: the position notional (µUSD), the profile, and the market's cap (its
 * asset-class leverage, or a governance override).
 *
 * @example
 * ```ts
 * const parameters: LeverageMaxAtParameters = { notional: 0, profile: marginProfilePrd, cap: assetClassLeverageMax.tech };
 * ```
 */
export interface LeverageMaxAtParameters {
  readonly notional: QuoteUnits;
  readonly profile: MarginProfile;
  readonly cap: number;
}

/**
 * The most leverage a position of `notional` may use: min(cap, the tier's leverageMax).
 *
 * @example
 * ```ts
 * leverageMaxAt({ notional: 100_000_000_000, profile: marginProfilePrd, cap: 100 }); // => 20
 * leverageMaxAt({ notional: 1_000_000_000, profile: marginProfilePrd, cap: assetClassLeverageMax.blueChip }); // => 50
 * ```
 */
export function leverageMaxAt(parameters: LeverageMaxAtParameters): number {
  // One call: inlined anywhere, the parameters object disappears (see multiplyDivide).
  return leverageMaxAtValues(parameters.notional, parameters.profile, parameters.cap);
}

/**
 * `leverageMaxAt` with positional arguments, for the pre-trade check.
 *
 * @example
 * ```ts
 * leverageMaxAtValues(100_000_000_000, marginProfilePrd, 100); // => 20
 * ```
 */
export function leverageMaxAtValues(notional: QuoteUnits, profile: MarginProfile, cap: number): number {
  assert(Number.isSafeInteger(cap) && cap >= 1, "leverageMaxAt cap must be a whole number ≥ 1");
  return Math.min(cap, tierAt(notional, profile).leverageMax);
}

/**
 * Parameters of `initialMargin`: the position notional (µUSD) and the chosen leverage (a whole multiple).
 *
 * @example
 * ```ts
 * const parameters: InitialMarginParameters = { notional: 100_000_000_000, leverage: 20 };
 * ```
 */
export interface InitialMarginParameters {
  readonly notional: QuoteUnits;
  readonly leverage: number;
}

/**
 * Initial margin of a position of `notional` µUSD at `leverage`: ⌈notional / leverage⌉, rounded up.
 * The caller checks leverage ≤ leverageMaxAt first; this only computes.
 *
 * @example
 * ```ts
 * initialMargin({ notional: 100_000_000_000, leverage: 20 }); // => 5_000_000_000 ($5,000 on $100,000 at 20x)
 * ```
 */
export function initialMargin(parameters: InitialMarginParameters): QuoteUnits {
  // One call: inlined anywhere, the parameters object disappears (see multiplyDivide).
  return initialMarginValues(parameters.notional, parameters.leverage);
}

/**
 * `initialMargin` with positional arguments.
 *
 * @example
 * ```ts
 * initialMarginValues(100_000_000_000, 20); // => 5_000_000_000
 * ```
 */
export function initialMarginValues(notional: QuoteUnits, leverage: number): QuoteUnits {
  assert(Number.isSafeInteger(notional) && notional >= 0, "initialMargin notional must be a non-negative safe integer");
  assert(Number.isSafeInteger(leverage) && leverage >= 1, "initialMargin leverage must be a whole number ≥ 1");
  return multiplyDivideValues(notional, 1, leverage, "ceil");
}
