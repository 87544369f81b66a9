import type { MarketSpec } from "../commands.ts";
import { reject, type Rejection } from "../rejections.ts";
import type { CircuitBreakerParams } from "./circuit-breakers.ts";
import { quotePerTickLot } from "./fixed-point.ts";
import { validateMarketControls } from "./market-admin.ts";
import {
  assetClassLeverageMax,
  marginProfilePrd,
  marginProfileSpec,
  type AssetClass,
  type MarginProfile,
} from "./margin-tiers.ts";
import type { RiskLimits } from "./risk-limits.ts";

// The perpetual side of a market: its risk parameters and its prices. Every default is a parameter of
// the market, never a constant in code (design.md).

export type MarginProfileName = "prd" | "spec";

export interface PerpMarketSpec extends MarketSpec {
  readonly assetClass: AssetClass;
  /** Leverage tiers by position notional: the PRD table ("prd", the default) or SPEC 05 ("spec"). */
  readonly marginProfile: MarginProfileName;
  /** The market's leverage cap: at most its asset class's (PRD §8.3) and the profile's first tier. */
  readonly leverageMax: number;
  /** Leverage of a new position until the account chooses one. */
  readonly leverageDefault: number;
  /** Risk limits (perp/risk-limits.ts); absent: none (the demo genesis sets the PRD's). */
  readonly riskLimits?: RiskLimits;
  /** Circuit breaker bands and timings (perp/circuit-breakers.ts); absent: no automatic trips. */
  readonly circuitBreaker?: CircuitBreakerParams;
  /** Limit prices must be multiples of this many ticks (default 1; an admin may coarsen the grid). */
  readonly priceIncrementTicks?: number;
  /** Sizes of orders that can open positions must be multiples of this many lots (default 1). */
  readonly sizeIncrementLots?: number;
}

export const marginProfiles: Readonly<Record<MarginProfileName, MarginProfile>> = {
  prd: marginProfilePrd,
  spec: marginProfileSpec,
};

export class PerpMarket {
  /** Replaced (never mutated) by an admin's setMarketParams (perp/market-admin.ts). */
  profile: MarginProfile;
  /** µUSD value of one tick × one lot: notional = price × size × quotePerTickLot. A split rescales it. */
  quotePerTickLot: number;
  indexPrice: number;
  markPrice: number;
  /** Σ long sizes (lots) = Σ short sizes: the open interest. */
  longLots = 0;
  shortLots = 0;

  constructor(
    readonly index: number,
    public spec: PerpMarketSpec,
    quotePerTickLotValue: number,
  ) {
    this.profile = marginProfiles[spec.marginProfile];
    this.quotePerTickLot = quotePerTickLotValue;
    this.indexPrice = spec.referencePriceTicks;
    this.markPrice = spec.referencePriceTicks;
  }
}

const assetClasses: readonly AssetClass[] = ["indexEtf", "blueChip", "tech", "smallCap", "crypto"];

/** Checks the perpetual fields of a market spec and derives its µUSD per tick-lot. */
export function validatePerpSpec(spec: PerpMarketSpec): Rejection | number {
  const invalid = (message: string): Rejection => reject("MARKET_PARAMS_INVALID", message);
  if (!assetClasses.includes(spec.assetClass)) return invalid(`assetClass must be one of ${assetClasses.join(", ")}`);
  const profile = marginProfiles[spec.marginProfile as MarginProfileName] as MarginProfile | undefined;
  if (profile === undefined) return invalid(`marginProfile must be "prd" or "spec"`);
  const cap = Math.min(assetClassLeverageMax[spec.assetClass], profile.tiers[0]!.leverageMax);
  if (!Number.isInteger(spec.leverageMax) || spec.leverageMax < 1 || spec.leverageMax > cap) {
    return invalid(`leverageMax must be 1 to ${cap} for ${spec.assetClass} on the ${spec.marginProfile} profile`);
  }
  if (!Number.isInteger(spec.leverageDefault) || spec.leverageDefault < 1 || spec.leverageDefault > spec.leverageMax) {
    return invalid(`leverageDefault must be 1 to ${spec.leverageMax}`);
  }
  const controls = validateMarketControls(spec);
  if (controls !== null) return controls;
  const value = quotePerTickLot(spec.tickSize, spec.lotSize);
  if (value === null) {
    return invalid(`tickSize × lotSize must be a whole number of µUSD (0.000001 USD), below 2^31`);
  }
  return value;
}
