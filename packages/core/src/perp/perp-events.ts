import type { AccountStatus } from "../accounts.ts";
import type { AgentEvent } from "./agents.ts";
import type { Sequence, TimeNs } from "../units.ts";
import type { CollateralAsset } from "./collateral.ts";
import type { CircuitBreakerParams } from "./circuit-breakers.ts";
import type { MarketStatus } from "./market-admin.ts";
import type { MarginMode } from "./position.ts";
import type { RiskLimits } from "./risk-limits.ts";
import type { OracleEvent } from "./oracle-events.ts";

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

/** Which reference-price window a circuit breaker tripped on; "external" is a call of trip(). */
export type BreakerWindow = "5m" | "1h" | "daily" | "external";

/** A circuit breaker halted a market: its orders are canceled, orders are refused until haltedUntil. */
export interface CircuitBreakerTriggered extends EventBase {
  readonly type: "CircuitBreakerTriggered";
  readonly market: string;
  readonly window: BreakerWindow;
  readonly reason: string;
  readonly markPrice: number;
  /** The window's reference price (0 for an external trip). */
  readonly referencePrice: number;
  readonly haltedUntil: TimeNs;
  readonly restrictedUntil: TimeNs;
}

/** The halt ended: the market trades in restricted mode (post-only, lower leverage) until restrictedUntil. */
export interface CircuitBreakerResumed extends EventBase {
  readonly type: "CircuitBreakerResumed";
  readonly market: string;
  readonly restrictedUntil: TimeNs;
  readonly leverageMax: number;
  /** The reference prices restart from this mark. */
  readonly markPrice: number;
}

/** Restricted mode ended: normal trading. */
export interface CircuitBreakerCleared extends EventBase {
  readonly type: "CircuitBreakerCleared";
  readonly market: string;
}

/** Admin: a market's status changed (governance log). */
export interface MarketStatusChanged extends EventBase {
  readonly type: "MarketStatusChanged";
  readonly market: string;
  readonly status: MarketStatus;
  readonly previous: MarketStatus;
  readonly reason: string;
}

/** Admin: a market's parameters changed; the values after the change, and the orders canceled off-grid. */
export interface MarketParamsChanged extends EventBase {
  readonly type: "MarketParamsChanged";
  readonly market: string;
  readonly reason: string;
  readonly marginProfile: string;
  readonly leverageMax: number;
  readonly leverageDefault: number;
  readonly priceIncrementTicks: number;
  readonly sizeIncrementLots: number;
  readonly riskLimits: RiskLimits;
  readonly circuitBreaker: CircuitBreakerParams;
  readonly ordersCanceled: number;
}

/** Admin: every position of the market was closed at `price` (the index); the market is paused. */
export interface MarketForceSettled extends EventBase {
  readonly type: "MarketForceSettled";
  readonly market: string;
  readonly reason: string;
  readonly price: number;
  readonly positionsClosed: number;
  /** Σ |size| of the closed longs (= of the shorts), lots. */
  readonly openInterestLots: number;
  readonly ordersCanceled: number;
}

/** Money paid into the insurance fund other than fee shares: a liquidation penalty or direct seeding. */
export interface InsuranceFundDeposited extends EventBase {
  readonly type: "InsuranceFundDeposited";
  /** "dividendRounding": what rounding a cash dividend's shorts up and longs down left over (perp/corporate-actions.ts). */
  /** "deficitRepaid": a later piece of one isolated close gained back what the fund covered for an earlier one (settlement.ts). */
  readonly source: "liquidationPenalty" | "seed" | "dividendRounding" | "deficitRepaid";
  /** The liquidated account for a penalty; null for seeding. */
  readonly account: string | null;
  readonly amount: number;
  readonly fundBalance: number;
}

/** A liquidation starts: the trader's orders are canceled and the position is closed (SPEC 06 §4). */
export interface LiquidationTriggered extends EventBase {
  readonly type: "LiquidationTriggered";
  readonly account: string;
  readonly market: string;
  /** The submitting liquidator, or null when the engine liquidated after the grace period. */
  readonly liquidator: string | null;
  readonly mode: MarginMode;
  /** Signed lots before the liquidation. */
  readonly size: number;
  readonly markPrice: number;
}

/** One liquidation step: `closedLots` closed, `bookLots` of them against the book, `adlLots` by ADL. */
export interface PositionLiquidated extends EventBase {
  readonly type: "PositionLiquidated";
  readonly account: string;
  readonly market: string;
  readonly liquidator: string | null;
  readonly closedLots: number;
  readonly bookLots: number;
  readonly adlLots: number;
  /** Σ price × lots × quotePerTickLot of what was closed, µUSD. */
  readonly closedValue: number;
  /** The ADL price when part went to ADL, else null. */
  readonly bankruptcyPrice: number | null;
  /** The 1.5 % penalty actually charged (capped by the margin left), µUSD. */
  readonly penalty: number;
  readonly liquidatorReward: number;
  /** Signed lots after the step. */
  readonly size: number;
}

/** Auto-deleveraging: `account`'s position closed `size` lots against the liquidated `counterparty`. */
export interface ADLExecuted extends EventBase {
  readonly type: "ADLExecuted";
  readonly account: string;
  readonly counterparty: string;
  readonly market: string;
  readonly size: number;
  readonly price: number;
  /** SPEC 06 §8.2 score (profit ratio × leverage) in ppm at the time. */
  readonly scorePpm: bigint;
}

export interface LiquidatorWhitelistChanged extends EventBase {
  readonly type: "LiquidatorWhitelistChanged";
  readonly account: string;
  readonly allowed: boolean;
}

export interface LiquidationConfigChanged extends EventBase {
  readonly type: "LiquidationConfigChanged";
  readonly gracePeriodNs: bigint;
  readonly priorityWindowNs: bigint;
}

/** Admin: a market's own fee rates (null: the volume schedule applies again). */
export interface MarketFeesChanged extends EventBase {
  readonly type: "MarketFeesChanged";
  readonly market: string;
  readonly makerPpm: number | null;
  readonly takerPpm: number | null;
  readonly reason: string;
}

export type PerpEvent =
  | MarketFeesChanged
  | CircuitBreakerTriggered
  | CircuitBreakerResumed
  | CircuitBreakerCleared
  | MarketStatusChanged
  | MarketParamsChanged
  | MarketForceSettled
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
  | InsuranceFundUsed
  | InsuranceFundDeposited
  | LiquidationTriggered
  | PositionLiquidated
  | ADLExecuted
  | LiquidatorWhitelistChanged
  | LiquidationConfigChanged
  | OracleEvent
  | AgentEvent;
