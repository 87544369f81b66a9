// Test tools for the WebSocket server: a raw client (the `ws` package, no SDK: the api may not import
// it) that records every message, a local book kept from the book channel with its own seq and checksum
// checks, a seeded random order stream submitted to the node, and the core's book as wire levels.
import assert from "node:assert/strict";
import WebSocket from "ws";
import type { Exchange } from "@perpdex/core";
import type { ExchangeNode } from "@perpdex/node";
import { bookChecksum, decimalToTicks, lotsToDecimal, ticksToDecimal, type ExchangeCommandInput, type WsBookMessage } from "@perpdex/protocol";

export type Message = Record<string, unknown> & { type: string };

/** A raw WebSocket client that keeps every message it received. */
export class TestClient {
  readonly messages: Message[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: { predicate: (message: Message) => boolean; resolve: (message: Message) => void; from: number }[] = [];
  private nextId = 1;

  /** Clients not yet closed: `closeAllClients` ends them after each test, passed or failed. */
  private static readonly live = new Set<TestClient>();

  private constructor(readonly socket: WebSocket) {
    TestClient.live.add(this);
    this.closed = new Promise((resolve) =>
      socket.on("close", (code, reason) => {
        TestClient.live.delete(this);
        resolve({ code, reason: reason.toString() });
      }),
    );
    socket.on("message", (data) => {
      const message = JSON.parse(data.toString()) as Message;
      this.messages.push(message);
      const index = this.messages.length - 1;
      this.waiters = this.waiters.filter((waiter) => {
        if (index < waiter.from || !waiter.predicate(message)) return true;
        waiter.resolve(message);
        return false;
      });
    });
  }

  static async connect(url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
    const socket = new WebSocket(url, options);
    const client = new TestClient(socket);
    await client.waitFor((message) => message.type === "welcome");
    return client;
  }

  send(message: unknown): void {
    this.socket.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  /** The first message (received from index `from` on) that matches; rejects after `timeoutMs`. */
  waitFor(predicate: (message: Message) => boolean, options: { from?: number; timeoutMs?: number } = {}): Promise<Message> {
    const from = options.from ?? 0;
    const found = this.messages.slice(from).find(predicate);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching message within ${options.timeoutMs ?? 10_000} ms; last: ${JSON.stringify(this.messages.slice(-3))}`)), options.timeoutMs ?? 10_000);
      // A wait left behind by a failed test must not keep the process alive.
      timer.unref();
      this.waiters.push({ predicate, from, resolve: (message) => (clearTimeout(timer), resolve(message)) });
    });
  }

  /** Sends an operation with an id and waits for the answer (or error) carrying that id. */
  async request(operation: Record<string, unknown>): Promise<Message> {
    const id = this.nextId;
    this.nextId += 1;
    const from = this.messages.length;
    this.send({ ...operation, id });
    return this.waitFor((message) => message.id === id, { from });
  }

  close(): void {
    this.socket.close();
  }

  /**
   * Ends every client still open (for an `afterEach` hook): a failed assertion otherwise leaves logged-in
   * sockets that count against the next test's caps and keep the server's close waiting.
   */
  static async closeAll(): Promise<void> {
    const closing = [...TestClient.live].map((client) => client.closed);
    for (const client of TestClient.live) client.socket.terminate();
    await Promise.all(closing);
  }
}

/**
 * Resolves once the server counts no open WebSocket connection (its per-IP counts are released on the
 * server side of a close, a moment after the client's). Polls the server's own gauge; the bound only
 * turns a leak into a failure that says so.
 */
export async function serverConnectionsClosed(metrics: { webSocketClients: { get(): Promise<{ values: { value: number }[] }> } }, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  for (;;) {
    const { values } = await metrics.webSocketClients.get();
    if ((values[0]?.value ?? 0) === 0) return;
    if (Date.now() - started > timeoutMs) throw new Error(`the server still counts ${values[0]?.value} WebSocket connections after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A local book from book messages, checking seq continuity and the checksum of every message. */
export class CheckedBook {
  readonly bids = new Map<number, [string, string]>();
  readonly asks = new Map<number, [string, string]>();
  seq = -1;
  snapshots = 0;
  updates = 0;
  tickSize = "";

  apply(message: WsBookMessage): void {
    if (message.kind === "snapshot") {
      // A snapshot may also come in the stream (a split changed the grid): it continues the seq line.
      if (this.seq >= 0) assert.equal(message.seq, this.seq + 1, `book ${message.market}: snapshot seq ${message.seq} after ${this.seq}`);
      this.bids.clear();
      this.asks.clear();
      this.tickSize = message.tickSize;
      this.snapshots += 1;
    } else {
      assert.equal(message.seq, this.seq + 1, `book ${message.market}: seq ${message.seq} after ${this.seq}`);
      this.updates += 1;
    }
    for (const [side, levels] of [[this.bids, message.bids], [this.asks, message.asks]] as const) {
      for (const [price, size] of levels) {
        const ticks = ticksOf(price, this.tickSize);
        if (size === "0") side.delete(ticks);
        else side.set(ticks, [price, size]);
      }
    }
    this.seq = message.seq;
    assert.equal(bookChecksum(this.levels("bids").slice(0, 25), this.levels("asks").slice(0, 25)), message.checksum, `checksum of ${message.market} at seq ${message.seq}`);
  }

  /** Best first. */
  levels(side: "bids" | "asks"): [string, string][] {
    const entries = [...(side === "bids" ? this.bids : this.asks).entries()].sort((left, right) => (side === "bids" ? right[0] - left[0] : left[0] - right[0]));
    return entries.map((entry) => entry[1]);
  }
}

function ticksOf(price: string, tickSize: string): number {
  const result = decimalToTicks({ value: price, tickSize });
  assert.ok(result.ok, `price ${price} on grid ${tickSize}`);
  return result.ticks;
}

/** The core's book of a market as wire levels, best first. */
export function coreLevels(exchange: Exchange, symbol: string): { bids: [string, string][]; asks: [string, string][] } {
  const market = exchange.engine.market(symbol);
  assert.ok(market !== undefined);
  const { tickSize, lotSize } = market.spec;
  const side = (levels: readonly { price: number; totalLots: number }[]): [string, string][] =>
    [...levels].reverse().map((level) => [ticksToDecimal({ ticks: level.price, tickSize }), lotsToDecimal({ lots: level.totalLots, lotSize })]);
  return { bids: side(market.bids.levels), asks: side(market.asks.levels) };
}

/** A small deterministic generator (mulberry32); failures print the seed. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Deposits $10 M of USDC for each account. */
export async function fund(node: ExchangeNode, accounts: readonly string[]): Promise<void> {
  for (const account of accounts) {
    const ack = await node.submit({ type: "deposit", account, asset: "USDC", amount: 10_000_000_000_000n, reference: `fund:${account}` });
    assert.ok(ack.result.ok);
  }
}

/**
 * Submits `count` random book commands on `market` (limit GTC/IOC/post-only orders around `mid` ticks,
 * cancels, reductions, cancel-replaces, batches, cancel-alls) in bursts of 8 concurrent commands.
 */
export async function randomStream(options: { node: ExchangeNode; accounts: readonly string[]; market: string; mid: number; count: number; seed: number }): Promise<void> {
  const { node, accounts, market, mid } = options;
  const next = random(options.seed);
  const pick = <Item>(items: readonly Item[]): Item => items[Math.floor(next() * items.length)]!;
  const order = (): Record<string, unknown> => {
    const side = next() < 0.5 ? "buy" : "sell";
    const offset = Math.floor(next() * 40) - 8;
    const price = side === "buy" ? mid - offset : mid + offset;
    const roll = next();
    return { market, side, type: "limit", price, size: 1 + Math.floor(next() * 20), ...(roll < 0.15 ? { timeInForce: "IOC" } : roll < 0.3 ? { postOnly: true } : {}) };
  };
  const openOrders = (account: string): number[] => {
    const ids: number[] = [];
    const engine = node.exchange.engine;
    const found = engine.accounts.find(account);
    for (let slot = found?.orderHead ?? -1; slot !== -1 && ids.length < 16; slot = engine.pool.accountNext[slot]!) ids.push(engine.pool.orderId[slot]!);
    return ids;
  };
  for (let done = 0; done < options.count; ) {
    const burst: Promise<unknown>[] = [];
    for (let item = 0; item < 8 && done < options.count; item += 1, done += 1) {
      const account = pick(accounts);
      const roll = next();
      const open = openOrders(account);
      let command: Record<string, unknown>;
      if (roll < 0.55 || open.length === 0) command = { type: "placeOrder", account, order: order() };
      else if (roll < 0.7) command = { type: "cancelOrder", account, market, orderId: pick(open) };
      else if (roll < 0.78) command = { type: "reduceOrder", account, market, orderId: pick(open), remaining: 1 };
      else if (roll < 0.86) command = { type: "cancelReplace", account, replaces: { orderId: pick(open) }, order: order() };
      else if (roll < 0.97) command = { type: "batch", account, items: [{ type: "placeOrder", order: order() }, { type: "placeOrder", order: order() }, { type: "cancelOrder", market, orderId: pick(open) }] };
      else command = { type: "cancelAll", account, market };
      burst.push(node.submit(command as unknown as ExchangeCommandInput));
    }
    await Promise.all(burst);
  }
}
