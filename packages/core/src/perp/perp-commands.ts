import type { TimeNs } from "../units.ts";
import type { AgentCommand } from "./agents.ts";
import type { AccountStatus } from "../accounts.ts";
import type { CollateralAsset } from "./collateral.ts";
import type { CircuitBreakerParams } from "./circuit-breakers.ts";
import type { MarketStatus } from "./market-admin.ts";
import type { MarginProfileName } from "./perp-market.ts";
import type { MarginMode } from "./position.ts";
import type { OracleCommand } from "./oracle-sources.ts";
import type { MarketSessionCommand } from "./sessions.ts";
import type { CorporateActionCommand } from "./corporate-actions.ts";
import type { RiskLimits } from "./risk-limits.ts";

// Commands of the perpetual layer. Like every command, they carry the sequencer's stamp.

interface Stamped {
  readonly sequence: number;
  readonly time: TimeNs;
}

/** A bridge credits collateral that reached the vault. `reference` names the deposit (a tx hash). */
export interface DepositCommand extends Stamped {
  readonly type: "deposit";
  readonly account: string;
  readonly asset: CollateralAsset;
  /** Base units of the asset (USDC and USDT 6 decimals, DAI 18). */
  readonly amount: bigint;
  readonly reference: string;
}

/** Asks the vault to release collateral; only excess margin can leave. */
export interface WithdrawCommand extends Stamped {
  readonly type: "withdraw";
  readonly account: string;
  readonly asset: CollateralAsset;
  readonly amount: bigint;
}

export interface SetMarginModeCommand extends Stamped {
  readonly type: "setMarginMode";
  readonly account: string;
  readonly market: string;
  readonly mode: MarginMode;
}

export interface SetLeverageCommand extends Stamped {
  readonly type: "setLeverage";
  readonly account: string;
  readonly market: string;
  readonly leverage: number;
}

/** Adds (positive) or removes (negative) isolated margin, µUSD (PRD §3.1.3). */
export interface AdjustMarginCommand extends Stamped {
  readonly type: "adjustMargin";
  readonly account: string;
  readonly market: string;
  readonly amount: number;
}

/** An index price for a market, from the oracle layer. */
export interface IndexPriceCommand extends Stamped {
  readonly type: "indexPrice";
  readonly market: string;
  readonly price: number;
}

/** A collateral price in µUSD per whole token (1_000_000 = $1). */
export interface CollateralPriceCommand extends Stamped {
  readonly type: "collateralPrice";
  readonly asset: CollateralAsset;
  readonly pricePpm: number;
}

/** Admin: SPEC 04 account status. */
export interface AccountStatusCommand extends Stamped {
  readonly type: "accountStatus";
  readonly account: string;
  readonly status: AccountStatus;
}

/** Admin: per-account fee rates replacing the volume tier (null clears the override). */
export interface FeeOverrideCommand extends Stamped {
  readonly type: "feeOverride";
  readonly account: string;
  readonly rates: { readonly makerPpm: number; readonly takerPpm: number } | null;
}

/**
 * Admin: what a market accepts. "active" trades normally, "reduceOnly" refuses orders that would open or
 * increase a position (PRD §2.7.3 "pause new position opening"), "paused" refuses every order (cancels
 * still work). Also resumes a market (back to "active").
 */
export interface SetMarketStatusCommand extends Stamped {
  readonly type: "setMarketStatus";
  readonly market: string;
  readonly status: MarketStatus;
  /** Why, for the governance log (1 to 256 printable characters). */
  readonly reason: string;
}

/** The market parameters an admin may change; absent fields keep their value. */
export interface MarketParamsChange {
  readonly marginProfile?: MarginProfileName;
  readonly leverageMax?: number;
  readonly leverageDefault?: number;
  readonly priceIncrementTicks?: number;
  readonly sizeIncrementLots?: number;
  readonly riskLimits?: RiskLimits;
  readonly circuitBreaker?: CircuitBreakerParams;
}

/** Admin: changes a market's parameters; resting orders off a new price or size grid are canceled. */
export interface SetMarketParamsCommand extends Stamped {
  readonly type: "setMarketParams";
  readonly market: string;
  readonly params: MarketParamsChange;
  readonly reason: string;
}

/**
 * Admin (PRD §2.7.3): cancels every order of the market and closes every position in it at the index
 * price, pairwise and zero-sum; the market is left paused.
 */
export interface ForceSettleCommand extends Stamped {
  readonly type: "forceSettle";
  readonly market: string;
  readonly reason: string;
}

/**
 * Liquidates `trader`'s position in `market` (cross: the account, starting with that market). Any active
 * account may submit it and is the liquidator (0.5 % of the value closed); non-whitelisted liquidators
 * only after the priority window (perp/liquidation.ts).
 */
export interface LiquidateCommand extends Stamped {
  readonly type: "liquidate";
  readonly account: string;
  readonly trader: string;
  readonly market: string;
}

/** Admin: adds (allowed true) or removes a liquidator from the priority whitelist. */
export interface LiquidatorWhitelistCommand extends Stamped {
  readonly type: "liquidatorWhitelist";
  readonly liquidator: string;
  readonly allowed: boolean;
}

/** Admin: the liquidation grace period and the whitelist's priority window, exchange nanoseconds. */
export interface LiquidationConfigCommand extends Stamped {
  readonly type: "liquidationConfig";
  readonly gracePeriodNs: bigint;
  readonly priorityWindowNs: bigint;
}

/** Admin: USDC paid into the insurance fund from outside (base units = µUSD), like a deposit. */
export interface SeedInsuranceFundCommand extends Stamped {
  readonly type: "seedInsuranceFund";
  readonly amount: bigint;
  readonly reference: string;
}

/** Admin: trips the market's circuit breaker by hand (SPEC 17 §4.1 manual halt): halt, then restricted. */
export interface TripCircuitBreakerCommand extends Stamped {
  readonly type: "tripCircuitBreaker";
  readonly market: string;
  readonly reason: string;
}

/**
 * Admin: a market's own maker/taker rates (PRD market fee structure), replacing the volume tier in that
 * market; an account's fee override still wins. null returns the market to the schedule.
 */
export interface SetMarketFeesCommand extends Stamped {
  readonly type: "setMarketFees";
  readonly market: string;
  readonly rates: { readonly makerPpm: number; readonly takerPpm: number } | null;
  readonly reason: string;
}

export type PerpCommand =
  | SetMarketFeesCommand
  | TripCircuitBreakerCommand
  | SetMarketStatusCommand
  | SetMarketParamsCommand
  | ForceSettleCommand
  | DepositCommand
  | WithdrawCommand
  | SetMarginModeCommand
  | SetLeverageCommand
  | AdjustMarginCommand
  | IndexPriceCommand
  | CollateralPriceCommand
  | AccountStatusCommand
  | FeeOverrideCommand
  | LiquidateCommand
  | LiquidatorWhitelistCommand
  | LiquidationConfigCommand
  | SeedInsuranceFundCommand
  | OracleCommand
  | MarketSessionCommand
  | CorporateActionCommand
  | AgentCommand;
