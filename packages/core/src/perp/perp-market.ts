import type { MarketSpec } from "../commands.ts";
import { reject, type Rejection } from "../rejections.ts";
import { quotePerTickLot } from "./fixed-point.ts";
import {
  assetClassLeverageMax,
  marginProfilePrd,
  marginProfileSpec,
  type AssetClass,
  type MarginProfile,
} from "./margin-tiers.ts";

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
}

export const marginProfiles: Readonly<Record<MarginProfileName, MarginProfile>> = {
  prd: marginProfilePrd,
  spec: marginProfileSpec,
};

export class PerpMarket {
  readonly profile: MarginProfile;
  /** µUSD value of one tick × one lot: notional = price × size × quotePerTickLot. */
  readonly quotePerTickLot: number;
  indexPrice: number;
  markPrice: number;
  /** Σ long sizes (lots) = Σ short sizes: the open interest. */
  longLots = 0;
  shortLots = 0;

  constructor(
    readonly index: number,
    readonly spec: PerpMarketSpec,
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
  const value = quotePerTickLot(spec.tickSize, spec.lotSize);
  if (value === null) {
    return invalid(`tickSize × lotSize must be a whole number of µUSD (0.000001 USD), below 2^31`);
  }
  return value;
}
