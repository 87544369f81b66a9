import type { Sequence, TimeNs } from "../units.ts";

// Events of oracles (perp/oracle-monitor.ts), market sessions (perp/sessions.ts) and corporate actions
// (perp/corporate-actions.ts). Prices are ticks for markets and µUSD per token for collateral; money µUSD.

interface EventBase {
  readonly sequence: Sequence;
  readonly index: number;
  readonly time: TimeNs;
}

/** A source was registered or its signer, reputation or weight changed. */
export interface OracleSourceRegistered extends EventBase {
  readonly type: "OracleSourceRegistered";
  readonly source: string;
  readonly subject: string;
  readonly signer: string;
  readonly reputation: number;
  readonly weight: number;
}

/** A source was enabled or disabled: by an admin ("admin") or by monitoring ("unreliable"). */
export interface OracleSourceStatusChanged extends EventBase {
  readonly type: "OracleSourceStatusChanged";
  readonly source: string;
  readonly subject: string;
  readonly enabled: boolean;
  readonly reason: "admin" | "unreliable";
  readonly reliability: number;
}

export interface OracleConfigured extends EventBase {
  readonly type: "OracleConfigured";
  readonly subject: string;
}

/** PRD §2.6.2: the aggregate of the fresh quotes; `rejected` names the outliers. */
export interface OracleAggregated extends EventBase {
  readonly type: "OracleAggregated";
  readonly subject: string;
  readonly price: number;
  readonly confidencePpm: number;
  readonly sources: number;
  readonly rejected: readonly string[];
}

/** A subject turned unhealthy ("stale", "quorum", "confidence": its market stops opening) or healthy (""). */
export interface OracleHealthChanged extends EventBase {
  readonly type: "OracleHealthChanged";
  readonly subject: string;
  readonly healthy: boolean;
  readonly reason: string;
}

/** The primary source changed (it went stale or was disabled, or a better one appeared). */
export interface OracleFailover extends EventBase {
  readonly type: "OracleFailover";
  readonly subject: string;
  readonly from: string | null;
  readonly to: string | null;
}

/** An equity market's regular session opened or closed; `lastClose` anchors the off-hours band. */
export interface MarketSessionChanged extends EventBase {
  readonly type: "MarketSessionChanged";
  readonly market: string;
  readonly open: boolean;
  readonly lastClose: number;
}

export interface MarketSessionConfigured extends EventBase {
  readonly type: "MarketSessionConfigured";
  readonly market: string;
  readonly offHoursBandPpm: number;
  readonly offHoursMarginFactorPpm: number;
}

/** The first index of a session re-anchored the mark; a gap beyond the band tripped the circuit breaker. */
export interface MarketReopened extends EventBase {
  readonly type: "MarketReopened";
  readonly market: string;
  readonly lastClose: number;
  readonly indexPrice: number;
  readonly gapPpm: number;
  readonly circuitBreaker: boolean;
}

export interface CorporateActionScheduled extends EventBase {
  readonly type: "CorporateActionScheduled";
  readonly id: number;
  readonly market: string;
  readonly kind: "split" | "dividend";
  readonly numerator: number;
  readonly denominator: number;
  readonly amountPerShare: number;
  readonly effectiveTime: TimeNs;
}

export interface CorporateActionCanceled extends EventBase {
  readonly type: "CorporateActionCanceled";
  readonly id: number;
  readonly market: string;
}

export interface CorporateActionFailed extends EventBase {
  readonly type: "CorporateActionFailed";
  readonly id: number;
  readonly market: string;
  readonly reason: string;
}

/** A split or dividend ran; for a dividend, the rounding remainder went to the insurance fund. */
export interface CorporateActionExecuted extends EventBase {
  readonly type: "CorporateActionExecuted";
  readonly id: number;
  readonly market: string;
  readonly kind: "split" | "dividend";
  readonly numerator: number;
  readonly denominator: number;
  readonly canceledOrders: number;
  readonly tickSize: string;
  readonly credited?: number;
  readonly debited?: number;
  readonly toInsurance?: number;
}

/** One account's dividend: positive credited (long), negative debited (short). */
export interface DividendPaid extends EventBase {
  readonly type: "DividendPaid";
  readonly id: number;
  readonly account: string;
  readonly market: string;
  readonly size: number;
  readonly amount: number;
}

/** A split rescaled a resting order: it keeps its id, price and priority; sizes are in the new lots. */
export interface OrderRescaled extends EventBase {
  readonly type: "OrderRescaled";
  readonly orderId: number;
  readonly account: string;
  readonly market: string;
  readonly size: number;
  readonly filled: number;
  readonly remaining: number;
}

export type OracleEvent =
  | OrderRescaled
  | OracleSourceRegistered
  | OracleSourceStatusChanged
  | OracleConfigured
  | OracleAggregated
  | OracleHealthChanged
  | OracleFailover
  | MarketSessionChanged
  | MarketSessionConfigured
  | MarketReopened
  | CorporateActionScheduled
  | CorporateActionCanceled
  | CorporateActionFailed
  | CorporateActionExecuted
  | DividendPaid;
