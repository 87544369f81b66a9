// What a client may ask: subscribe, unsubscribe, login, ping, pong. Every refusal is an `error` message
// with a stable code and a message that says what would be valid; nothing a client sends can throw.
import type { RawData } from "ws";
import {
  isWsCandleInterval,
  wsCandleIntervals,
  wsPrivateChannels,
  wsPublicChannels,
  wsSubscriptionKey,
  type WsCandleInterval,
  type WsChannel,
} from "@perpdex/protocol";
import type { WsConnection } from "./connection.ts";
import type { WsServerState } from "./server.ts";

/** Checks a signed `Login` action; resolves to the account (and the agent that signed, if any). */
export type LoginAuthenticator = (action: {
  readonly type: "Login";
  readonly fields: { readonly account: string };
  readonly nonce: number;
  readonly signature: string;
  readonly signer?: string;
}) => Promise<{ readonly account: string; readonly agent: string | null }>;

type MessageId = number | string | undefined;

const publicChannels: ReadonlySet<string> = new Set(wsPublicChannels);
const privateChannels: ReadonlySet<string> = new Set(wsPrivateChannels);
const idLengthMax = 64;
const addressPattern = /^0x[0-9a-fA-F]{40}$/;
const signaturePattern = /^0x[0-9a-fA-F]{130}$/;

/**
 * Handles one message from a client.
 *
 * @example
 * webSocket.on("message", (data, isBinary) => handleClientMessage(state, connection, data, isBinary));
 */
export function handleClientMessage(state: WsServerState, connection: WsConnection, data: RawData, isBinary: boolean): void {
  if (!connection.takeOperation()) {
    connection.sendError("WS_RATE_LIMITED", `at most ${state.limits.operationsPerSecondMax} messages a second (bursts of twice that); slow down`, undefined);
    return;
  }
  if (isBinary) {
    connection.sendError("WS_MESSAGE_MALFORMED", "send JSON text messages, not binary frames", undefined);
    return;
  }
  let message: unknown;
  try {
    message = JSON.parse(textOf(data));
  } catch {
    connection.sendError("WS_MESSAGE_MALFORMED", 'a message must be one JSON object such as {"op":"subscribe","channel":"book","market":"BTC-PERP"}', undefined);
    return;
  }
  if (typeof message !== "object" || message === null || Array.isArray(message)) {
    connection.sendError("WS_MESSAGE_MALFORMED", "a message must be a JSON object with an op", undefined);
    return;
  }
  const fields = message as Record<string, unknown>;
  const id = idOf(fields.id);
  if (id === null) {
    connection.sendError("WS_MESSAGE_MALFORMED", `id must be a number or a string of at most ${idLengthMax} characters`, undefined);
    return;
  }
  switch (fields.op) {
    case "subscribe":
      subscribe(state, connection, fields, id);
      return;
    case "unsubscribe":
      unsubscribe(state, connection, fields, id);
      return;
    case "login":
      void login(state, connection, fields, id);
      return;
    case "ping":
      connection.sendJson({ type: "pong", ...(id === undefined ? {} : { id }), time: String(state.now()) });
      return;
    case "pong":
      return;
    default:
      connection.sendError("WS_OPERATION_UNKNOWN", `op must be one of subscribe, unsubscribe, login, ping, pong; got ${describe(fields.op)}`, id);
  }
}

function textOf(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString("utf8");
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  return Buffer.from(data).toString("utf8");
}

function idOf(value: unknown): MessageId | null {
  if (value === undefined) return undefined;
  if (typeof value === "number" && Number.isSafeInteger(value)) return value;
  if (typeof value === "string" && value.length <= idLengthMax) return value;
  return null;
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 32 ? `${value.slice(0, 32)}…` : value);
  return value === undefined ? "nothing" : `a ${value === null ? "null" : typeof value}`;
}

/** A validated subscription: the key clients see and the key the hub uses (private ones per account). */
interface Target {
  readonly channel: WsChannel;
  readonly market?: string;
  readonly interval?: WsCandleInterval;
  readonly key: string;
  readonly hubKey: string;
}

function targetOf(state: WsServerState, connection: WsConnection, fields: Record<string, unknown>, id: MessageId): Target | null {
  const channel = fields.channel;
  if (typeof channel !== "string" || (!publicChannels.has(channel) && !privateChannels.has(channel))) {
    const known = [...wsPublicChannels, ...wsPrivateChannels].join(", ");
    connection.sendError("WS_CHANNEL_UNKNOWN", `channel must be one of ${known}; got ${describe(channel)}`, id);
    return null;
  }
  if (privateChannels.has(channel)) {
    if (connection.account === null) {
      connection.sendError("WS_LOGIN_REQUIRED", `channel ${channel} is private: send a signed {"op":"login"} first`, id);
      return null;
    }
    const key = channel;
    return { channel: channel as WsChannel, key, hubKey: `${channel}:${connection.account}` };
  }
  const market = fields.market;
  if (typeof market !== "string" || state.mirror.market(market) === undefined) {
    const markets = state.mirror.books.map((book) => book.symbol).join(", ");
    connection.sendError("WS_MARKET_NOT_FOUND", `market must be one of ${markets}; got ${describe(market)}`, id, { field: "market" });
    return null;
  }
  if (channel === "candles") {
    const interval = fields.interval;
    if (!isWsCandleInterval(interval)) {
      connection.sendError("WS_INTERVAL_INVALID", `interval must be one of ${wsCandleIntervals.join(", ")}; got ${describe(interval)}`, id, { field: "interval" });
      return null;
    }
    const key = wsSubscriptionKey({ channel, market, interval });
    return { channel, market, interval, key, hubKey: key };
  }
  const key = wsSubscriptionKey({ channel: channel as WsChannel, market });
  return { channel: channel as WsChannel, market, key, hubKey: key };
}

function subscribe(state: WsServerState, connection: WsConnection, fields: Record<string, unknown>, id: MessageId): void {
  const target = targetOf(state, connection, fields, id);
  if (target === null) return;
  if (connection.subscriptions.has(target.hubKey)) {
    connection.sendError("WS_ALREADY_SUBSCRIBED", `already subscribed to ${target.key}; unsubscribe first to get a fresh snapshot`, id);
    return;
  }
  const isPrivate = privateChannels.has(target.channel);
  const cap = isPrivate ? state.limits.privateSubscriptionsPerSocketMax : state.limits.publicSubscriptionsPerSocketMax;
  let held = 0;
  for (const key of connection.subscriptions) if (privateChannels.has(key.split(":", 1)[0]!) === isPrivate) held += 1;
  if (held >= cap) {
    connection.sendError("WS_SUBSCRIPTIONS_EXCEEDED", `at most ${cap} ${isPrivate ? "private" : "public"} subscriptions per connection; unsubscribe from one first`, id);
    return;
  }
  connection.subscriptions.add(target.hubKey);
  state.hub.subscribe(target.hubKey, connection);
  connection.sendJson({
    type: "subscribed",
    ...(id === undefined ? {} : { id }),
    key: target.key,
    channel: target.channel,
    ...(target.market === undefined ? {} : { market: target.market }),
    ...(target.interval === undefined ? {} : { interval: target.interval }),
  });
  sendInitial(state, connection, target);
}

// What a new subscriber gets at once: the book's snapshot, the current ticker and candle, the account's
// positions, balances and margin level.
function sendInitial(state: WsServerState, connection: WsConnection, target: Target): void {
  const { lastSequence: sequence, lastTime: time } = state;
  switch (target.channel) {
    case "book": {
      const bytes = state.books.snapshotBytes(target.market!, sequence, time);
      if (bytes !== undefined) connection.sendBytes(bytes);
      return;
    }
    case "ticker": {
      const ticker = state.market.ticker(target.market!, sequence, time);
      if (ticker !== undefined) connection.sendJson(ticker);
      return;
    }
    case "candles": {
      const candle = state.market.candle(target.market!, target.interval!);
      if (candle !== undefined) connection.sendJson({ type: "candles", market: target.market, interval: target.interval, candle });
      return;
    }
    case "positions":
    case "balances":
      state.private.sendAccountTo(connection, target.channel, connection.account!, sequence, time);
      return;
    case "margin":
      state.private.watchMargin(connection.account!, sequence, time);
      return;
    default:
      return;
  }
}

function unsubscribe(state: WsServerState, connection: WsConnection, fields: Record<string, unknown>, id: MessageId): void {
  const target = targetOf(state, connection, fields, id);
  if (target === null) return;
  if (!connection.subscriptions.delete(target.hubKey)) {
    connection.sendError("WS_NOT_SUBSCRIBED", `not subscribed to ${target.key}`, id);
    return;
  }
  state.hub.unsubscribe(target.hubKey, connection);
  if (target.channel === "margin") state.private.unwatchMargin(connection.account!);
  connection.sendJson({
    type: "unsubscribed",
    ...(id === undefined ? {} : { id }),
    key: target.key,
    channel: target.channel,
    ...(target.market === undefined ? {} : { market: target.market }),
    ...(target.interval === undefined ? {} : { interval: target.interval }),
  });
}

async function login(state: WsServerState, connection: WsConnection, fields: Record<string, unknown>, id: MessageId): Promise<void> {
  if (connection.account !== null || connection.loggingIn) {
    connection.sendError("WS_ALREADY_LOGGED_IN", `this connection is already logged in${connection.account === null ? "" : ` as ${connection.account}`}; open another connection for another account`, id);
    return;
  }
  const { account, nonce, signature, signer } = fields;
  if (typeof account !== "string" || !addressPattern.test(account)) {
    connection.sendError("WS_MESSAGE_MALFORMED", "login.account must be a 0x-prefixed 20-byte hex address", id, { field: "account" });
    return;
  }
  if (typeof nonce !== "number" || !Number.isSafeInteger(nonce) || nonce < 0) {
    connection.sendError("WS_MESSAGE_MALFORMED", "login.nonce must be the current time in milliseconds (an integer)", id, { field: "nonce" });
    return;
  }
  if (typeof signature !== "string" || !signaturePattern.test(signature)) {
    connection.sendError("WS_MESSAGE_MALFORMED", "login.signature must be a 65-byte hex signature (0x + 130 hex digits)", id, { field: "signature" });
    return;
  }
  if (signer !== undefined && (typeof signer !== "string" || !addressPattern.test(signer))) {
    connection.sendError("WS_MESSAGE_MALFORMED", "login.signer, when given, must be the agent key's address", id, { field: "signer" });
    return;
  }
  const normalized = account.toLowerCase();
  connection.loggingIn = true;
  let authenticated: { account: string; agent: string | null };
  try {
    authenticated = await state.authenticateLogin({
      type: "Login",
      fields: { account: normalized },
      nonce,
      signature,
      ...(typeof signer === "string" ? { signer: signer.toLowerCase() } : {}),
    });
  } catch (error) {
    connection.loggingIn = false;
    const failure = error as { code?: unknown; message?: string; details?: Readonly<Record<string, string>> };
    const code = typeof failure.code === "string" ? failure.code : "WS_LOGIN_FAILED";
    connection.sendError(code, `login refused: ${failure.message ?? "unknown reason"}`, id, failure.details);
    return;
  }
  connection.loggingIn = false;
  if (connection.closed) return;
  // The account's cap counts proven logins only: nobody can use up someone else's connections.
  const heldNow = state.connectionsByAccount.get(authenticated.account) ?? 0;
  if (heldNow >= state.limits.connectionsPerAccountMax) {
    connection.sendError("WS_CONNECTIONS_EXCEEDED", `account ${authenticated.account} already has ${heldNow} logged-in connections; at most ${state.limits.connectionsPerAccountMax}`, id);
    return;
  }
  state.connectionsByAccount.set(authenticated.account, heldNow + 1);
  connection.account = authenticated.account;
  connection.signer = authenticated.agent ?? authenticated.account;
  connection.sendJson({ type: "loggedIn", ...(id === undefined ? {} : { id }), account: connection.account, signer: connection.signer });
}
