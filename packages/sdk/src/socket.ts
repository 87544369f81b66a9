// The WebSocket client: typed channel events, automatic reconnect with backoff, login and every
// subscription restored after a reconnect (each book with a fresh snapshot), local order books with gap
// and checksum detection that resynchronise on their own, and answers to the server's heartbeats.
import WebSocket from "ws";
import {
  wsSubscriptionKey,
  type WsBookMessage,
  type WsServerMessage,
  type WsSubscription,
} from "@perpdex/protocol";
import { PerpdexSocketError } from "./errors.ts";
import { LocalOrderBook, type BookApplyOutcome } from "./order-book.ts";
import { createSigner, type Signer } from "./signer.ts";

/** Server messages by `type`. */
type MessageOf<Type extends WsServerMessage["type"]> = Extract<WsServerMessage, { type: Type }>;


/**
 * The events of a `PerpdexSocket`: every channel by name, plus connection events.
 *
 * @example
 * socket.on("trades", (message) => console.log(message.trades.length));
 * socket.on("resync", ({ market, reason }) => console.warn(`book ${market} resynchronised: ${reason}`));
 */
export interface PerpdexSocketEvents {
  book: (message: WsBookMessage) => void;
  trades: (message: MessageOf<"trades">) => void;
  ticker: (message: MessageOf<"ticker">) => void;
  candles: (message: MessageOf<"candles">) => void;
  /** The account's orders changed by one command (the REST order view). */
  orders: (message: MessageOf<"orders">) => void;
  fills: (message: MessageOf<"fills">) => void;
  positions: (message: MessageOf<"positions">) => void;
  balances: (message: MessageOf<"balances">) => void;
  margin: (message: MessageOf<"margin">) => void;
  /** Every message, before it is dispatched. */
  message: (message: WsServerMessage) => void;
  /** Connected (again): login and subscriptions are restored. */
  open: (details: { reconnect: boolean }) => void;
  close: (details: { code: number; reason: string }) => void;
  /** A local book lost sync (a gap or a checksum mismatch) and asked for a fresh snapshot. */
  resync: (details: { market: string; reason: Exclude<BookApplyOutcome, "ok"> }) => void;
  /** An error not tied to one call (a dropped connection's reason, an error message without an id). */
  error: (error: PerpdexSocketError) => void;
}

/**
 * Options of `PerpdexSocket`.
 *
 * @example
 * const socket = new PerpdexSocket({ url: "http://127.0.0.1:8080", privateKey, reconnectDelayMaxMs: 2_000 });
 */
export interface PerpdexSocketOptions {
  /** The API's base URL (http://…: the socket connects to `<url>/v1/ws`) or the full ws://… URL. */
  readonly url?: string;
  /** For private channels: the key that signs the login (wallet, or an agent with `account`). */
  readonly privateKey?: `0x${string}`;
  readonly account?: string;
  readonly signer?: Signer;
  /** First reconnect delay (default 100 ms), doubled per failed attempt up to `reconnectDelayMaxMs` (5 s). */
  readonly reconnectDelayMinMs?: number;
  readonly reconnectDelayMaxMs?: number;
  /** Reconnect after an unexpected close (default true). */
  readonly reconnect?: boolean;
  /** An operation without an answer after this long fails (default 10 s). */
  readonly requestTimeoutMs?: number;
  /**
   * Sees every message first and may replace it or drop it (return null): for tests and debugging,
   * e.g. to prove that a lost update is detected.
   */
  readonly inspect?: (message: WsServerMessage) => WsServerMessage | null;
}

interface PendingOperation {
  readonly resolve: (message: WsServerMessage) => void;
  readonly reject: (error: PerpdexSocketError) => void;
  readonly timer: NodeJS.Timeout;
}

type Listeners = { [Event in keyof PerpdexSocketEvents]: Set<PerpdexSocketEvents[Event]> };

/**
 * A WebSocket client for /v1/ws.
 *
 * @example
 * const socket = new PerpdexSocket({ url: "http://127.0.0.1:8080", privateKey });
 * await socket.connect();
 * const book = await socket.subscribeBook("BTC-PERP");
 * await socket.login();
 * await socket.subscribe({ channel: "fills" });
 * socket.on("fills", ({ fills }) => console.log(fills));
 * console.log(book.bestBid(), book.bestAsk());
 */
export class PerpdexSocket {
  readonly url: string;
  private readonly options: PerpdexSocketOptions;
  private readonly signer: Signer | null;
  private socket: WebSocket | null = null;
  private readonly listeners: Listeners = {
    book: new Set(),
    trades: new Set(),
    ticker: new Set(),
    candles: new Set(),
    orders: new Set(),
    fills: new Set(),
    positions: new Set(),
    balances: new Set(),
    margin: new Set(),
    message: new Set(),
    open: new Set(),
    close: new Set(),
    resync: new Set(),
    error: new Set(),
  };
  /** What the user asked for, restored after every reconnect. */
  private readonly wanted = new Map<string, WsSubscription>();
  private readonly books = new Map<string, LocalOrderBook>();
  private readonly pending = new Map<number | string, PendingOperation>();
  private nextId = 1;
  private loggedIn = false;
  private wantsLogin = false;
  private closedByUser = false;
  private connecting: Promise<void> | null = null;
  private reconnectAttempt = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private everConnected = false;

  constructor(options: PerpdexSocketOptions = {}) {
    this.options = options;
    // An http(s) base URL gets the standard path; a ws(s) URL is used as given.
    const given = (options.url ?? "http://127.0.0.1:8080").replace(/\/+$/, "");
    this.url = /^wss?:/.test(given) ? given : `${given.replace(/^http/, "ws")}/v1/ws`;
    this.signer = options.signer ?? (options.privateKey === undefined ? null : createSigner({ privateKey: options.privateKey, ...(options.account === undefined ? {} : { account: options.account }) }));
  }

  /** Adds a listener. @example socket.on("ticker", (ticker) => console.log(ticker.mark)); */
  on<Event extends keyof PerpdexSocketEvents>(event: Event, listener: PerpdexSocketEvents[Event]): this {
    this.listeners[event].add(listener);
    return this;
  }

  /** Removes a listener. @example socket.off("ticker", onTicker); */
  off<Event extends keyof PerpdexSocketEvents>(event: Event, listener: PerpdexSocketEvents[Event]): this {
    this.listeners[event].delete(listener);
    return this;
  }

  private emit<Event extends keyof PerpdexSocketEvents>(event: Event, ...args: Parameters<PerpdexSocketEvents[Event]>): void {
    for (const listener of this.listeners[event]) (listener as (...values: Parameters<PerpdexSocketEvents[Event]>) => void)(...args);
  }

  /** True while connected. @example if (!socket.connected) await socket.connect(); */
  get connected(): boolean {
    return this.socket !== null && this.socket.readyState === WebSocket.OPEN;
  }

  /** Connects; resolves once the server's welcome arrived. @example await socket.connect(); */
  connect(): Promise<void> {
    this.closedByUser = false;
    if (this.connected) return Promise.resolve();
    this.connecting ??= this.open().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private open(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const socket = new WebSocket(this.url);
      this.socket = socket;
      let welcomed = false;
      socket.on("message", (data: WebSocket.RawData) => {
        let message: WsServerMessage;
        try {
          message = JSON.parse(data.toString()) as WsServerMessage;
        } catch {
          return;
        }
        if (!welcomed && message.type === "welcome") {
          welcomed = true;
          const reconnect = this.everConnected;
          this.everConnected = true;
          this.reconnectAttempt = 0;
          resolve();
          void this.restore(reconnect);
          return;
        }
        this.receive(message);
      });
      socket.on("unexpected-response", (_request, response) => {
        let body = "";
        response.on("data", (chunk: Buffer) => (body += chunk.toString()));
        response.on("end", () => {
          const parsed = safeJson(body);
          const error = new PerpdexSocketError({ code: typeof parsed?.code === "string" ? parsed.code : `HTTP_${response.statusCode ?? 0}`, message: typeof parsed?.message === "string" ? parsed.message : "the upgrade was refused", status: response.statusCode ?? 0 });
          if (!welcomed) reject(error);
          else this.emit("error", error);
        });
        socket.terminate();
      });
      socket.on("error", (error: Error) => {
        if (!welcomed) reject(new PerpdexSocketError({ code: "NETWORK", message: `cannot connect to ${this.url}: ${error.message}`, cause: error }));
      });
      socket.on("close", (code: number, reason: Buffer) => this.closed(socket, code, reason.toString(), welcomed));
    });
  }

  private closed(socket: WebSocket, code: number, reason: string, welcomed: boolean): void {
    if (this.socket !== socket) return;
    this.socket = null;
    this.loggedIn = false;
    for (const [id, operation] of this.pending) {
      clearTimeout(operation.timer);
      operation.reject(new PerpdexSocketError({ code: "WS_CLOSED", message: `the connection closed (${code} ${reason}) before the answer` }));
      this.pending.delete(id);
    }
    for (const book of this.books.values()) book.synced = false;
    // A connection that never got its welcome is a failed attempt: its connect() call reports it.
    if (!welcomed) return;
    this.emit("close", { code, reason });
    if (this.closedByUser || this.options.reconnect === false) return;
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    // A failed attempt after close() must not start another one.
    if (this.closedByUser) return;
    const minimum = this.options.reconnectDelayMinMs ?? 100;
    const maximum = this.options.reconnectDelayMaxMs ?? 5_000;
    const delay = Math.min(maximum, minimum * 2 ** Math.min(this.reconnectAttempt, 16));
    this.reconnectAttempt += 1;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.closedByUser) return;
      this.connect().catch(() => this.scheduleReconnect());
    }, delay);
  }

  // After (re)connecting: log in again (a fresh signature), then every subscription again.
  private async restore(reconnect: boolean): Promise<void> {
    try {
      if (reconnect && this.wantsLogin) await this.sendLogin();
      if (reconnect) for (const subscription of this.wanted.values()) await this.request({ op: "subscribe", ...subscription });
      this.emit("open", { reconnect });
    } catch (error) {
      this.emit("error", error instanceof PerpdexSocketError ? error : new PerpdexSocketError({ code: "WS_RESTORE_FAILED", message: (error as Error).message }));
    }
  }

  private receive(message: WsServerMessage): void {
    const inspected = this.options.inspect === undefined ? message : this.options.inspect(message);
    if (inspected === null) return;
    this.emit("message", inspected);
    switch (inspected.type) {
      case "ping":
        this.socket?.send(JSON.stringify({ op: "pong" }));
        return;
      case "subscribed":
      case "unsubscribed":
      case "loggedIn":
      case "pong":
        this.settle(inspected.id, inspected, null);
        return;
      case "error": {
        const error = new PerpdexSocketError({ code: inspected.code, message: inspected.message, ...(inspected.details === undefined ? {} : { details: inspected.details }) });
        if (inspected.id !== undefined && this.pending.has(inspected.id)) this.settle(inspected.id, inspected, error);
        else this.emit("error", error);
        return;
      }
      case "closing":
        this.emit("error", new PerpdexSocketError({ code: inspected.code, message: inspected.message }));
        return;
      case "book":
        this.onBook(inspected);
        return;
      case "welcome":
        return;
      default:
        (this.emit as (event: string, message: WsServerMessage) => void)(inspected.type, inspected);
    }
  }

  private onBook(message: WsBookMessage): void {
    const book = this.books.get(message.market);
    if (book !== undefined) {
      const outcome = book.apply(message);
      if (outcome !== "ok") {
        // An update after a lost sync is expected until the fresh snapshot arrives: ask only once.
        if (outcome !== "unsynced") {
          this.emit("resync", { market: message.market, reason: outcome });
          void this.resync(message.market).catch((error: PerpdexSocketError) => this.emit("error", error));
        }
        return;
      }
    }
    this.emit("book", message);
  }

  private settle(id: number | string | undefined, message: WsServerMessage, error: PerpdexSocketError | null): void {
    if (id === undefined) return;
    const operation = this.pending.get(id);
    if (operation === undefined) return;
    this.pending.delete(id);
    clearTimeout(operation.timer);
    if (error === null) operation.resolve(message);
    else operation.reject(error);
  }

  private request(operation: Record<string, unknown>): Promise<WsServerMessage> {
    const socket = this.socket;
    if (socket === null || socket.readyState !== WebSocket.OPEN) {
      return Promise.reject(new PerpdexSocketError({ code: "WS_NOT_CONNECTED", message: "not connected: call connect() first" }));
    }
    const id = this.nextId;
    this.nextId += 1;
    return new Promise<WsServerMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new PerpdexSocketError({ code: "WS_TIMEOUT", message: `no answer to ${String(operation.op)} within ${this.options.requestTimeoutMs ?? 10_000} ms` }));
      }, this.options.requestTimeoutMs ?? 10_000);
      this.pending.set(id, { resolve, reject, timer });
      socket.send(JSON.stringify({ ...operation, id }));
    });
  }

  /**
   * Subscribes to a channel (restored after every reconnect). Private channels need `login()` first.
   *
   * @example
   * await socket.subscribe({ channel: "candles", market: "BTC-PERP", interval: "1m" });
   */
  async subscribe(subscription: WsSubscription): Promise<void> {
    const key = wsSubscriptionKey(subscription);
    const known = this.wanted.has(key);
    this.wanted.set(key, subscription);
    try {
      await this.request({ op: "subscribe", ...subscription });
    } catch (error) {
      if (!known) this.wanted.delete(key);
      throw error;
    }
  }

  /** Unsubscribes. @example await socket.unsubscribe({ channel: "trades", market: "BTC-PERP" }); */
  async unsubscribe(subscription: WsSubscription): Promise<void> {
    const key = wsSubscriptionKey(subscription);
    this.wanted.delete(key);
    if (subscription.channel === "book" && subscription.market !== undefined) this.books.delete(subscription.market);
    await this.request({ op: "unsubscribe", ...subscription });
  }

  /**
   * Subscribes to a market's book and keeps a local copy of it, resynchronised on any gap.
   * Resolves once the first snapshot is in.
   *
   * @example
   * const book = await socket.subscribeBook("ETH-PERP");
   * setInterval(() => console.log(book.bids(3), book.asks(3)), 1_000);
   */
  async subscribeBook(market: string): Promise<LocalOrderBook> {
    let book = this.books.get(market);
    if (book !== undefined && this.wanted.has(wsSubscriptionKey({ channel: "book", market }))) return book;
    if (book === undefined) {
      book = new LocalOrderBook(market);
      this.books.set(market, book);
    }
    // Listening before subscribing: the snapshot follows the answer at once.
    const synced = this.waitForSnapshot(book);
    try {
      await this.subscribe({ channel: "book", market });
    } catch (error) {
      // No snapshot will come: stop waiting now rather than reject later with nobody listening.
      synced.cancel();
      throw error;
    }
    await synced.done;
    return book;
  }

  private waitForSnapshot(book: LocalOrderBook): { done: Promise<void>; cancel: () => void } {
    let cancel = (): void => undefined;
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off("book", listener);
        reject(new PerpdexSocketError({ code: "WS_TIMEOUT", message: `no snapshot of ${book.market} within ${this.options.requestTimeoutMs ?? 10_000} ms` }));
      }, this.options.requestTimeoutMs ?? 10_000);
      const listener = (message: WsBookMessage): void => {
        if (message.market !== book.market || message.kind !== "snapshot") return;
        clearTimeout(timer);
        this.off("book", listener);
        resolve();
      };
      cancel = () => {
        clearTimeout(timer);
        this.off("book", listener);
      };
      this.on("book", listener);
    });
    return { done, cancel };
  }

  /** The local book of a subscribed market. @example socket.orderBook("BTC-PERP")?.bestBid(); */
  orderBook(market: string): LocalOrderBook | undefined {
    return this.books.get(market);
  }

  /**
   * Drops a market's book subscription and subscribes again: the server answers with a fresh snapshot.
   * Called on its own after a gap or a checksum mismatch.
   *
   * @example
   * await socket.resync("BTC-PERP");
   */
  async resync(market: string): Promise<void> {
    const book = this.books.get(market);
    if (book !== undefined) book.synced = false;
    await this.request({ op: "unsubscribe", channel: "book", market }).catch(() => undefined);
    await this.request({ op: "subscribe", channel: "book", market });
  }

  /**
   * Logs in with a signed EIP-712 `Login` (repeated with a fresh signature after every reconnect).
   *
   * @example
   * await socket.login();
   * await socket.subscribe({ channel: "orders" });
   */
  async login(): Promise<{ account: string; signer: string }> {
    this.wantsLogin = true;
    return this.sendLogin();
  }

  private async sendLogin(): Promise<{ account: string; signer: string }> {
    if (this.signer === null) throw new PerpdexSocketError({ code: "SIGNER_MISSING", message: "login needs a privateKey" });
    const signed = await this.signer.sign("Login", { account: this.signer.account });
    const answer = await this.request({ op: "login", account: this.signer.account, nonce: signed.nonce, signature: signed.signature, ...(signed.signer === undefined ? {} : { signer: signed.signer }) });
    this.loggedIn = true;
    const loggedIn = answer as MessageOf<"loggedIn">;
    return { account: loggedIn.account, signer: loggedIn.signer };
  }

  /** True after a successful login on the current connection. @example socket.isLoggedIn; */
  get isLoggedIn(): boolean {
    return this.loggedIn;
  }

  /** Measures a round trip. @example const ms = await socket.ping(); */
  async ping(): Promise<number> {
    const started = performance.now();
    await this.request({ op: "ping" });
    return performance.now() - started;
  }

  /** Closes for good (no reconnect). @example await socket.close(); */
  close(): Promise<void> {
    this.closedByUser = true;
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    const socket = this.socket;
    if (socket === null || socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise<void>((resolve) => {
      socket.once("close", () => resolve());
      socket.close(1000, "client closing");
    });
  }
}

function safeJson(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
