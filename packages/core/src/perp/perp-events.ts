import type { AccountStatus } from "../accounts.ts";
import type { Sequence, TimeNs } from "../units.ts";
import type { CollateralAsset } from "./collateral.ts";
import type { MarginMode } from "./position.ts";

// Events of the perpetual layer (SPEC 08 §3.3–3.7 names where it has them). Money is µUSD unless a
// field says base units. A withdrawal is identified by its event's (sequence, index), like a trade.

interface EventBase {
  readonly sequence: Sequence;
  readonly index: number;
  readonly time: TimeNs;
}

export interface DepositConfirmed extends EventBase {
  readonly type: "DepositConfirmed";
  readonly account: string;
  readonly asset: CollateralAsset;
  readonly amount: bigint;
  readonly reference: string;
}

export interface WithdrawalRequested extends EventBase {
  readonly type: "WithdrawalRequested";
  readonly account: string;
  readonly asset: CollateralAsset;
  readonly amount: bigint;
}

/** The settlement of one trade (SPEC 08 TradeSettled): fees, and where the exchange's share went. */
export interface TradeSettled extends EventBase {
  readonly type: "TradeSettled";
  readonly market: string;
  readonly tradeIndex: number;
  readonly notional: number;
  /** Negative: a rebate paid to the maker. */
  readonly makerFee: number;
  readonly takerFee: number;
  readonly insuranceShare: number;
  readonly treasuryShare: number;
}

interface PositionEventBase extends EventBase {
  readonly account: string;
  readonly market: string;
  readonly mode: MarginMode;
  readonly leverage: number;
  /** Signed lots after the change. */
  readonly size: number;
  readonly entryNotional: number;
  readonly margin: number;
  /** PnL realised by this change (0 when it only added exposure). */
  readonly realizedPnl: number;
  readonly fee: number;
  /** The account's USDC cash after the change. */
  readonly cash: number;
  readonly tradeIndex: number;
}

export interface PositionOpened extends PositionEventBase {
  readonly type: "PositionOpened";
}
export interface PositionUpdated extends PositionEventBase {
  readonly type: "PositionUpdated";
}
export interface PositionClosed extends PositionEventBase {
  readonly type: "PositionClosed";
}

export interface MarkPriceUpdated extends EventBase {
  readonly type: "MarkPriceUpdated";
  readonly market: string;
  readonly markPrice: number;
  readonly indexPrice: number;
  readonly basisPpb: number;
}

/** The hourly funding of a market (PRD §2.2.2 FundingPaid): positive rates mean longs pay shorts. */
export interface FundingSettled extends EventBase {
  readonly type: "FundingSettled";
  readonly market: string;
  readonly ratePpb: number;
  readonly markPrice: number;
  /** Cumulative funding per lot after this settlement, 1e-9 µUSD. */
  readonly cumulativeIndex: bigint;
}

/** One position's funding, applied when the position is next touched (positive: paid). */
export interface FundingPaid extends EventBase {
  readonly type: "FundingPaid";
  readonly account: string;
  readonly market: string;
  readonly amount: number;
}

export interface AccountSettingChanged extends EventBase {
  readonly type: "MarginModeChanged" | "LeverageChanged";
  readonly account: string;
  readonly market: string;
  readonly mode: MarginMode;
  readonly leverage: number;
}

export interface MarginAdjusted extends EventBase {
  readonly type: "MarginAdded" | "MarginRemoved";
  readonly account: string;
  readonly market: string;
  readonly amount: number;
  readonly margin: number;
}

export interface PriceUpdated extends EventBase {
  readonly type: "IndexPriceUpdated" | "CollateralPriceUpdated";
  /** A market symbol or a collateral asset. */
  readonly subject: string;
  readonly price: number;
}

export interface AccountStatusChanged extends EventBase {
  readonly type: "AccountStatusChanged";
  readonly account: string;
  readonly status: AccountStatus;
}

export interface FeeOverrideChanged extends EventBase {
  readonly type: "FeeOverrideChanged";
  readonly account: string;
  readonly makerPpm: number | null;
  readonly takerPpm: number | null;
}

/** A loss beyond a position's margin, covered by the insurance fund (as far as it reaches). */
export interface InsuranceFundUsed extends EventBase {
  readonly type: "InsuranceFundUsed";
  readonly account: string;
  readonly market: string;
  readonly deficit: number;
  readonly covered: number;
  readonly fundBalance: number;
}

export type PerpEvent =
  | DepositConfirmed
  | WithdrawalRequested
  | TradeSettled
  | PositionOpened
  | PositionUpdated
  | PositionClosed
  | MarkPriceUpdated
  | FundingSettled
  | FundingPaid
  | AccountSettingChanged
  | MarginAdjusted
  | PriceUpdated
  | AccountStatusChanged
  | FeeOverrideChanged
  | InsuranceFundUsed;
