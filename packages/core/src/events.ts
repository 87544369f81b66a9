import type { RejectCode } from "./rejections.ts";
import type { OrderType, SelfTradePrevention, Side, TimeInForce } from "./commands.ts";
import type { PriceTicks, Sequence, SizeLots, TimeNs } from "./units.ts";
import type { PerpEvent } from "./perp/perp-events.ts";

// Events are the only output of the core, named as SPEC 01/02/03/08 name them. Each carries the global
// sequence of the command that caused it and its index within that command: (sequence, index) is unique
// and totally ordered, and the edges derive the event's UUIDv7 from it (the core never formats ids).
// A trade's id is its TradeExecuted event's (sequence, index); fill events point at it with tradeIndex.
// Every order state transition (SPEC 02 §6) emits exactly one event.

interface EventBase {
  readonly sequence: Sequence;
  readonly index: number;
  readonly time: TimeNs;
}

/** Why an order left the book before it was filled. SPEC 02 §2.2 reasons, plus REPLACED and MATCH_LIMIT. */
export type CancelReason =
  | "USER_REQUESTED"
  | "SELF_TRADE"
  | "POST_ONLY_REJECT"
  | "INSUFFICIENT_MARGIN"
  | "RISK_LIMIT_BREACH"
  | "ADMIN_CANCEL"
  /** Canceled by a cancel-replace command whose new order was placed. */
  | "REPLACED"
  /** The incoming order reached fillsPerOrderMax; its remainder is canceled rather than left crossing. */
  | "MATCH_LIMIT"
  /** A resting reduce-only order whose position is gone (or flipped) can no longer reduce it. */
  | "REDUCE_ONLY"
  /** A circuit breaker halted the market (perp/circuit-breakers.ts). */
  | "CIRCUIT_BREAKER"
  /** An admin changed the market's price or size increment and the order is no longer on the grid. */
  | "OFF_GRID"
  /** The account's position is being liquidated (perp/liquidation.ts). */
  | "LIQUIDATION";

export interface MarketCreated extends EventBase {
  readonly type: "MarketCreated";
  readonly market: string;
  readonly tickSize: string;
  readonly lotSize: string;
}

/** null → PENDING. */
export interface OrderAccepted extends EventBase {
  readonly type: "OrderAccepted";
  readonly orderId: number;
  readonly account: string;
  readonly market: string;
  readonly side: Side;
  readonly orderType: OrderType;
  /** The limit price; for a market order the protection price it will not trade beyond. */
  readonly price: PriceTicks;
  readonly size: SizeLots;
  readonly timeInForce: TimeInForce;
  readonly postOnly: boolean;
  readonly reduceOnly: boolean;
  readonly selfTradePrevention: SelfTradePrevention;
  readonly clientOrderId: string | null;
  readonly expiresAt: TimeNs | null;
}

/** null → REJECTED. The order never existed; nothing changed. */
export interface OrderRejected extends EventBase {
  readonly type: "OrderRejected";
  /** The id the order would have had. */
  readonly orderId: number;
  readonly account: string;
  readonly market: string;
  readonly clientOrderId: string | null;
  readonly code: RejectCode;
  readonly message: string;
}

export interface TradeExecuted extends EventBase {
  readonly type: "TradeExecuted";
  readonly market: string;
  readonly price: PriceTicks;
  readonly size: SizeLots;
  /** The taker's side: "buy" means the taker lifted an ask. */
  readonly takerSide: Side;
  readonly makerOrderId: number;
  readonly takerOrderId: number;
  readonly makerAccount: string;
  readonly takerAccount: string;
}

interface FillEventBase extends EventBase {
  readonly orderId: number;
  readonly account: string;
  readonly market: string;
  /** The index of the TradeExecuted event of this fill, within the same command. */
  readonly tradeIndex: number;
  readonly fillPrice: PriceTicks;
  readonly fillSize: SizeLots;
  readonly filled: SizeLots;
  readonly remaining: SizeLots;
  readonly maker: boolean;
}

/** PENDING → PARTIAL, or PARTIAL → PARTIAL. */
export interface OrderPartiallyFilled extends FillEventBase {
  readonly type: "OrderPartiallyFilled";
}

/** PENDING or PARTIAL → FILLED. */
export interface OrderFilled extends FillEventBase {
  readonly type: "OrderFilled";
}

/** PENDING or PARTIAL → CANCELED. */
export interface OrderCanceled extends EventBase {
  readonly type: "OrderCanceled";
  readonly orderId: number;
  readonly account: string;
  readonly market: string;
  readonly reason: CancelReason;
  readonly canceledBy: "user" | "system";
  readonly filled: SizeLots;
  readonly remaining: SizeLots;
}

/**
 * PENDING or PARTIAL → EXPIRED: a GTD order reached its expiry time, or the unfilled rest of an
 * IOC, FOK or market order lapsed immediately (SPEC 02 "IOC expiry").
 */
export interface OrderExpired extends EventBase {
  readonly type: "OrderExpired";
  readonly orderId: number;
  readonly account: string;
  readonly market: string;
  readonly filled: SizeLots;
  readonly remaining: SizeLots;
  /** The GTD expiry time; null for an immediate (IOC, FOK, market) lapse. */
  readonly expiresAt: TimeNs | null;
}

/** The open size of a resting order was lowered in place; it keeps its queue priority. */
export interface OrderReduced extends EventBase {
  readonly type: "OrderReduced";
  readonly orderId: number;
  readonly account: string;
  readonly market: string;
  readonly size: SizeLots;
  readonly filled: SizeLots;
  readonly remaining: SizeLots;
}

/** Events of the order book and matching. */
export type BookEvent =
  | MarketCreated
  | OrderAccepted
  | OrderRejected
  | TradeExecuted
  | OrderPartiallyFilled
  | OrderFilled
  | OrderCanceled
  | OrderExpired
  | OrderReduced;

export type ExchangeEvent = BookEvent | PerpEvent;
