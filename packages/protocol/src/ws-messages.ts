/**
 * The WebSocket protocol of `/v1/ws`: what a client sends, what the server sends back, and the limits.
 *
 * Every frame is one JSON text message. A client sends operations (`op`): `subscribe`, `unsubscribe`,
 * `login`, `ping`, `pong`. The server answers each operation that carried an `id` with a message echoing
 * it (`subscribed`, `unsubscribed`, `loggedIn`, `pong` or `error`), and pushes channel data as messages
 * whose `type` is the channel name. Decimals are strings, exchange times are nanosecond decimal strings,
 * sequence numbers are JSON integers (safe integers).
 *
 * Channels and their subscription keys:
 * - `book` (market): `snapshot`, then `update`s of changed levels (size "0": the level is gone). Each
 *   message has `seq`, which grows by exactly one per message of the market's book, and `checksum` of
 *   the top levels (`bookChecksum`). A gap in `seq` or a checksum mismatch means: resubscribe.
 * - `trades` (market), `ticker` (market: last, mark, index, funding, best bid/ask), `candles` (market,
 *   interval).
 * - after `login` (EIP-712 `Login` action): `orders`, `fills`, `positions`, `balances`, `margin`
 *   (SPEC 06 §14.1 margin health levels), for the logged-in account only.
 */
import type { AccountSummaryView, FillView, OrderView, PositionView } from "./api-views.ts";

/**
 * The public channels: no login needed.
 *
 * @example
 * ```ts
 * import { wsPublicChannels } from "@perpdex/protocol";
 * wsPublicChannels.includes("book"); // => true
 * ```
 */
export const wsPublicChannels = ["book", "trades", "ticker", "candles"] as const;

/**
 * The private channels: they need a `login` first and carry only the logged-in account's data.
 *
 * @example
 * ```ts
 * import { wsPrivateChannels } from "@perpdex/protocol";
 * wsPrivateChannels; // => ["orders", "fills", "positions", "balances", "margin"]
 * ```
 */
export const wsPrivateChannels = ["orders", "fills", "positions", "balances", "margin"] as const;

/**
 * A channel name.
 *
 * @example
 * ```ts
 * import type { WsChannel } from "@perpdex/protocol";
 * const channel: WsChannel = "trades";
 * ```
 */
export type WsChannel = (typeof wsPublicChannels)[number] | (typeof wsPrivateChannels)[number];

/**
 * Candle intervals of the `candles` channel.
 *
 * @example
 * ```ts
 * import { wsCandleIntervals } from "@perpdex/protocol";
 * wsCandleIntervals[0]; // => "1m"
 * ```
 */
export const wsCandleIntervals = ["1m", "5m", "15m", "1h", "4h", "1d"] as const;

/**
 * A candle interval.
 *
 * @example
 * ```ts
 * import type { WsCandleInterval } from "@perpdex/protocol";
 * const interval: WsCandleInterval = "1h";
 * ```
 */
export type WsCandleInterval = (typeof wsCandleIntervals)[number];

/**
 * Whether a value is a candle interval name.
 *
 * @example
 * ```ts
 * import { isWsCandleInterval } from "@perpdex/protocol";
 * isWsCandleInterval("5m"); // => true
 * isWsCandleInterval("2m"); // => false
 * ```
 */
export function isWsCandleInterval(value: unknown): value is WsCandleInterval {
  return typeof value === "string" && (wsCandleIntervals as readonly string[]).includes(value);
}

/**
 * The server's limits and timers, as the `welcome` message reports them (SPEC 18 §3.2 connection and
 * subscription caps).
 *
 * @example
 * ```ts
 * import { wsLimitsDefault } from "@perpdex/protocol";
 * wsLimitsDefault.connectionsPerIpMax; // => 10
 * ```
 */
export const wsLimitsDefault = {
  /** Simultaneous connections from one IP address (SPEC 18: 10 per IP). */
  connectionsPerIpMax: 10,
  /** Simultaneous logged-in connections of one account (SPEC 18: 5 per account). */
  connectionsPerAccountMax: 5,
  /** Public subscriptions on one connection (SPEC 18: 50 symbols). */
  publicSubscriptionsPerSocketMax: 50,
  /** Private subscriptions on one connection (SPEC 18: 20 channels). */
  privateSubscriptionsPerSocketMax: 20,
  /** Largest client message accepted, bytes; a bigger one closes the connection (1009). */
  messageBytesMax: 16_384,
  /** Client operations per second on one connection (token bucket, burst twice this). */
  operationsPerSecondMax: 50,
  /** The server sends a heartbeat this often; a client silent for twice as long is dropped. */
  heartbeatIntervalMs: 15_000,
  /** Bytes the server may have queued for one client before it drops it as too slow. */
  sendQueueBytesMax: 4_194_304,
} as const;

/**
 * The shape of the server's limits.
 *
 * @example
 * ```ts
 * import type { WsLimits } from "@perpdex/protocol";
 * const limits: WsLimits = { ...wsLimitsDefault, connectionsPerIpMax: 100 };
 * ```
 */
export type WsLimits = { readonly [Key in keyof typeof wsLimitsDefault]: number };

/**
 * Stable codes of WebSocket `error` messages and close reasons.
 *
 * @example
 * ```ts
 * import { wsErrorCodes } from "@perpdex/protocol";
 * wsErrorCodes.includes("WS_LOGIN_REQUIRED"); // => true
 * ```
 */
export const wsErrorCodes = [
  "WS_MESSAGE_MALFORMED",
  "WS_MESSAGE_TOO_LARGE",
  "WS_OPERATION_UNKNOWN",
  "WS_CHANNEL_UNKNOWN",
  "WS_MARKET_NOT_FOUND",
  "WS_INTERVAL_INVALID",
  "WS_LOGIN_REQUIRED",
  "WS_LOGIN_FAILED",
  "WS_ALREADY_LOGGED_IN",
  "WS_ALREADY_SUBSCRIBED",
  "WS_NOT_SUBSCRIBED",
  "WS_SUBSCRIPTIONS_EXCEEDED",
  "WS_CONNECTIONS_EXCEEDED",
  "WS_RATE_LIMITED",
  "WS_SLOW_CONSUMER",
  "WS_HEARTBEAT_TIMEOUT",
  "WS_SERVER_CLOSING",
] as const;

/**
 * A WebSocket error code.
 *
 * @example
 * ```ts
 * import type { WsErrorCode } from "@perpdex/protocol";
 * const code: WsErrorCode = "WS_SLOW_CONSUMER";
 * ```
 */
export type WsErrorCode = (typeof wsErrorCodes)[number];

/**
 * A subscription: a channel, and the market (public channels) and interval (`candles`) it is for.
 *
 * @example
 * ```ts
 * import type { WsSubscription } from "@perpdex/protocol";
 * const subscription: WsSubscription = { channel: "candles", market: "BTC-PERP", interval: "1m" };
 * ```
 */
export type WsSubscription = {
  readonly channel: WsChannel;
  readonly market?: string;
  readonly interval?: WsCandleInterval;
};

/**
 * The key a subscription is known by, in messages and on the server: `channel`, `channel:market` or
 * `candles:market:interval`.
 *
 * @example
 * ```ts
 * import { wsSubscriptionKey } from "@perpdex/protocol";
 * wsSubscriptionKey({ channel: "book", market: "ETH-PERP" }); // => "book:ETH-PERP"
 * wsSubscriptionKey({ channel: "orders" }); // => "orders"
 * ```
 */
export function wsSubscriptionKey(subscription: WsSubscription): string {
  if (subscription.channel === "candles") return `candles:${subscription.market ?? ""}:${subscription.interval ?? ""}`;
  return subscription.market === undefined ? subscription.channel : `${subscription.channel}:${subscription.market}`;
}

/**
 * A message from the client. `id` (a number or a short string) is echoed in the answer.
 * `login` carries the EIP-712 `Login` action: `account`, `nonce` (ms, unique per signer), the
 * `signature`, and `signer` when an approved agent key signs for the account.
 *
 * @example
 * ```ts
 * import type { WsClientMessage } from "@perpdex/protocol";
 * const message: WsClientMessage = { op: "subscribe", id: 1, channel: "book", market: "BTC-PERP" };
 * ```
 */
export type WsClientMessage =
  | ({ readonly op: "subscribe" | "unsubscribe"; readonly id?: number | string } & WsSubscription)
  | {
      readonly op: "login";
      readonly id?: number | string;
      readonly account: string;
      readonly nonce: number;
      readonly signature: string;
      readonly signer?: string;
    }
  | { readonly op: "ping"; readonly id?: number | string }
  | { readonly op: "pong"; readonly id?: number | string };

/**
 * A book message: the full book (`snapshot`) or the levels that changed (`update`; size "0" removes
 * the level). `seq` grows by one per message of this market's book; `sequence` is the exchange command
 * that produced it; `checksum` covers the top levels after applying the message. A snapshot also comes
 * in the stream when a stock split changes the market's grid: it replaces the book.
 *
 * @example
 * ```ts
 * import type { WsBookMessage } from "@perpdex/protocol";
 * const update: WsBookMessage = {
 *   type: "book", kind: "update", market: "BTC-PERP", seq: 42, sequence: 1017, time: "1700000000000000000",
 *   tickSize: "1", lotSize: "0.001", bids: [["95000", "0"]], asks: [["95010", "1.5"]], checksum: 123456789,
 * };
 * ```
 */
export type WsBookMessage = {
  readonly type: "book";
  readonly kind: "snapshot" | "update";
  readonly market: string;
  readonly seq: number;
  readonly sequence: number;
  readonly time: string;
  readonly tickSize: string;
  readonly lotSize: string;
  /** Best first in a snapshot; in an update, in no particular order. */
  readonly bids: readonly (readonly [string, string])[];
  readonly asks: readonly (readonly [string, string])[];
  readonly checksum: number;
};

/**
 * A trade of the `trades` channel (`side` is the taker's).
 *
 * @example
 * ```ts
 * import type { WsTrade } from "@perpdex/protocol";
 * const trade: WsTrade = { id: "018bcfe5-687b-7000-8000-000000100022", price: "95000", size: "0.01", side: "buy", time: "1700000000123456789", sequence: 1 };
 * ```
 */
export type WsTrade = {
  readonly id: string;
  readonly price: string;
  readonly size: string;
  readonly side: "buy" | "sell";
  readonly time: string;
  readonly sequence: number;
};

/**
 * The `ticker` channel's message: last trade, mark and index prices, the last funding rate (a decimal
 * fraction per hour, "0.0001" = 0.01 %), best bid and ask.
 *
 * @example
 * ```ts
 * import type { WsTicker } from "@perpdex/protocol";
 * const ticker: WsTicker = { type: "ticker", market: "BTC-PERP", sequence: 9, time: "1", last: "95000", mark: "95001", index: "95000", fundingRate: "0.0001", bestBid: "95000", bestAsk: "95002" };
 * ```
 */
export type WsTicker = {
  readonly type: "ticker";
  readonly market: string;
  readonly sequence: number;
  readonly time: string;
  readonly last: string | null;
  readonly mark: string;
  readonly index: string;
  readonly fundingRate: string;
  readonly bestBid: string | null;
  readonly bestAsk: string | null;
};

/**
 * One candle (OHLCV; `start` is the interval's start, ms since the epoch).
 *
 * @example
 * ```ts
 * import type { WsCandle } from "@perpdex/protocol";
 * const candle: WsCandle = { start: 1700000040000, open: "1", high: "2", low: "1", close: "2", volume: "3", trades: 2 };
 * ```
 */
export type WsCandle = {
  readonly start: number;
  readonly open: string;
  readonly high: string;
  readonly low: string;
  readonly close: string;
  readonly volume: string;
  readonly trades: number;
};

/**
 * SPEC 06 §14.1 margin health levels of the `margin` channel, from the margin ratio (equity ÷
 * maintenance margin): green above 2.0, yellow 1.5–2.0, orange 1.2–1.5, red below 1.2; `modal` below
 * 1.15 (the in-app modal threshold) and `liquidation` below 1.0.
 *
 * @example
 * ```ts
 * import { wsMarginLevels } from "@perpdex/protocol";
 * wsMarginLevels[0]; // => "green"
 * ```
 */
export const wsMarginLevels = ["green", "yellow", "orange", "red", "modal", "liquidation"] as const;

/**
 * A margin health level.
 *
 * @example
 * ```ts
 * import type { WsMarginLevel } from "@perpdex/protocol";
 * const level: WsMarginLevel = "orange";
 * ```
 */
export type WsMarginLevel = (typeof wsMarginLevels)[number];

/**
 * The margin health level of a margin ratio in ppm of 1.0 (null: no maintenance requirement).
 *
 * @example
 * ```ts
 * import { wsMarginLevelOf } from "@perpdex/protocol";
 * wsMarginLevelOf(1_300_000); // => "orange"
 * wsMarginLevelOf(null); // => "green"
 * ```
 */
export function wsMarginLevelOf(marginRatioPpm: number | null): WsMarginLevel {
  if (marginRatioPpm === null || marginRatioPpm > 2_000_000) return "green";
  if (marginRatioPpm >= 1_500_000) return "yellow";
  if (marginRatioPpm >= 1_200_000) return "orange";
  if (marginRatioPpm >= 1_150_000) return "red";
  if (marginRatioPpm >= 1_000_000) return "modal";
  return "liquidation";
}

/**
 * A message from the server. Channel data has `type` = channel; the rest answer operations or manage
 * the connection. Private channel messages name the `account` they belong to.
 *
 * @example
 * ```ts
 * import type { WsServerMessage } from "@perpdex/protocol";
 * function onMessage(message: WsServerMessage): void {
 *   if (message.type === "error") console.error(message.code, message.message);
 * }
 * ```
 */
export type WsServerMessage =
  | { readonly type: "welcome"; readonly limits: WsLimits; readonly time: string }
  | ({ readonly type: "subscribed" | "unsubscribed"; readonly id?: number | string; readonly key: string } & WsSubscription)
  | { readonly type: "loggedIn"; readonly id?: number | string; readonly account: string; readonly signer: string }
  | {
      readonly type: "error";
      readonly id?: number | string;
      readonly code: string;
      readonly message: string;
      readonly details?: Readonly<Record<string, string>>;
    }
  | { readonly type: "ping"; readonly time: string }
  | { readonly type: "pong"; readonly id?: number | string; readonly time: string }
  | { readonly type: "closing"; readonly code: string; readonly message: string }
  | WsBookMessage
  | { readonly type: "trades"; readonly market: string; readonly trades: readonly WsTrade[] }
  | WsTicker
  | { readonly type: "candles"; readonly market: string; readonly interval: WsCandleInterval; readonly candle: WsCandle }
  // The private channels carry the REST views (api-views.ts); balances is null for an account that never deposited.
  | { readonly type: "orders"; readonly account: string; readonly sequence: number; readonly time: string; readonly orders: readonly OrderView[] }
  | { readonly type: "fills"; readonly account: string; readonly sequence: number; readonly time: string; readonly fills: readonly FillView[] }
  | { readonly type: "positions"; readonly account: string; readonly sequence: number; readonly time: string; readonly positions: readonly PositionView[] }
  | { readonly type: "balances"; readonly account: string; readonly sequence: number; readonly time: string; readonly balances: AccountSummaryView | null }
  | {
      readonly type: "margin";
      readonly account: string;
      readonly sequence: number;
      readonly time: string;
      readonly level: WsMarginLevel;
      readonly previousLevel: WsMarginLevel | null;
      readonly marginRatio: string | null;
      readonly message: string;
    };
