import type { TimeNs } from "../units.ts";
import type { AccountStatus } from "../accounts.ts";
import type { CollateralAsset } from "./collateral.ts";
import type { MarginMode } from "./position.ts";

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

export type PerpCommand =
  | DepositCommand
  | WithdrawCommand
  | SetMarginModeCommand
  | SetLeverageCommand
  | AdjustMarginCommand
  | IndexPriceCommand
  | CollateralPriceCommand
  | AccountStatusCommand
  | FeeOverrideCommand;
