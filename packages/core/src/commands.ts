import type { PriceTicks, RatePpm, Sequence, SizeLots, TimeNs } from "./units.ts";

// Commands are the only input of the core. The sequencer assigns `sequence` (gapless, from 1) and `time`
// (exchange nanoseconds, strictly increasing); the core checks both and never invents either.
// An account is a lowercase 0x-prefixed 20-byte hex wallet address, verified by the api before sequencing.

export type Side = "buy" | "sell";
export type TimeInForce = "GTC" | "IOC" | "FOK" | "GTD";
export type OrderType = "limit" | "market";
/**
 * Self-trade prevention when an incoming order would match a resting order of the same account:
 * cancel the incoming order (the default, PRD §2.1.2), cancel the resting one, or both.
 */
export type SelfTradePrevention = "cancelIncoming" | "cancelResting" | "cancelBoth";

export interface OrderSpec {
  readonly market: string;
  readonly side: Side;
  readonly type: OrderType;
  /** Limit price; for a market order an optional worst acceptable price. */
  readonly price?: PriceTicks;
  readonly size: SizeLots;
  /** Defaults to GTC for limit orders; market orders are always IOC. */
  readonly timeInForce?: TimeInForce;
  /** Required for GTD and only allowed there: the order expires when exchange time reaches it. */
  readonly expiresAt?: TimeNs;
  readonly postOnly?: boolean;
  readonly reduceOnly?: boolean;
  readonly selfTradePrevention?: SelfTradePrevention;
  /** Unique among the account's open orders; 1 to 64 printable ASCII characters. */
  readonly clientOrderId?: string;
  /** Market orders only: tighter slippage bound than the market's, from the best opposite price. */
  readonly slippagePpm?: RatePpm;
}

/** An order is named either by the id the exchange gave it or by the account's client order id. */
export type OrderRef =
  | { readonly orderId: number; readonly clientOrderId?: undefined }
  | { readonly clientOrderId: string; readonly orderId?: undefined };

interface Stamped {
  readonly sequence: Sequence;
  readonly time: TimeNs;
}

export interface MarketSpec {
  readonly symbol: string;
  /** Decimal strings kept for the edges; the core works in ticks and lots only. */
  readonly tickSize: string;
  readonly lotSize: string;
  readonly minOrderLots: SizeLots;
  readonly maxOrderLots: SizeLots;
  /** Limit prices must lie within ± this band around the reference price. */
  readonly priceBandPpm: RatePpm;
  /** The reference price until the market trades (then: the last trade price). */
  readonly referencePriceTicks: PriceTicks;
  /** A market order fills no further than this from the best opposite price at arrival. */
  readonly marketOrderSlippagePpm: RatePpm;
}

export interface CreateMarketCommand extends Stamped {
  readonly type: "createMarket";
  readonly market: MarketSpec;
}

export interface PlaceOrderCommand extends Stamped {
  readonly type: "placeOrder";
  readonly account: string;
  readonly order: OrderSpec;
  /** The approved agent key that signed the command (perp/agents.ts); absent: the account's wallet. */
  readonly agent?: string;
}

export type CancelOrderCommand = Stamped & {
  readonly type: "cancelOrder";
  readonly account: string;
  readonly market: string;
  /** The approved agent key that signed the command (perp/agents.ts); absent: the account's wallet. */
  readonly agent?: string;
} & OrderRef;

export interface CancelAllCommand extends Stamped {
  readonly type: "cancelAll";
  readonly account: string;
  /** Only this market's orders; all markets when absent. */
  readonly market?: string;
  /** The approved agent key that signed the command (perp/agents.ts); absent: the account's wallet. */
  readonly agent?: string;
}

/** Lowers an order's open size in place, keeping its queue priority. */
export type ReduceOrderCommand = Stamped & {
  readonly type: "reduceOrder";
  readonly account: string;
  readonly market: string;
  /** The new open (remaining) size: at least 1 lot, less than the current remaining size. */
  readonly remaining: SizeLots;
} & OrderRef;

/** Cancels an order and places a new one atomically: both happen or neither does. */
export type CancelReplaceCommand = Stamped & {
  readonly type: "cancelReplace";
  readonly account: string;
  readonly order: OrderSpec;
  readonly replaces: OrderRef;
  /** The approved agent key that signed the command (perp/agents.ts); absent: the account's wallet. */
  readonly agent?: string;
};

export type BatchItem =
  | { readonly type: "placeOrder"; readonly order: OrderSpec }
  | ({ readonly type: "cancelOrder"; readonly market: string } & OrderRef);

/** Items are applied in order, each with its own result; a rejected item does not stop the rest. */
export interface BatchCommand extends Stamped {
  readonly type: "batch";
  readonly account: string;
  readonly items: readonly BatchItem[];
  /** The approved agent key that signed the command (perp/agents.ts); absent: the account's wallet. */
  readonly agent?: string;
}

/** Carries exchange time forward when nothing else happens, so GTD orders expire on time. */
export interface TickCommand extends Stamped {
  readonly type: "tick";
}

export type Command =
  | CreateMarketCommand
  | PlaceOrderCommand
  | CancelOrderCommand
  | CancelAllCommand
  | ReduceOrderCommand
  | CancelReplaceCommand
  | BatchCommand
  | TickCommand;

/** A command before the sequencer stamps it with its sequence number and exchange time. */
export type Unstamped<C> = C extends unknown ? Omit<C, "sequence" | "time"> : never;
export type CommandInput = Unstamped<Command>;
