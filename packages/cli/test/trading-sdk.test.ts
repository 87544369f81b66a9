// The SDK end to end against a real node and API server: signed REST actions (faucet, place, cancel,
// positions, balances), typed errors carrying the API's codes, rounding helpers, and the WebSocket
// client: a local book kept from deltas equals the core's book, a lost update is detected and healed
// with a fresh snapshot, a dropped connection is re-established with login and subscriptions restored.
import assert from "node:assert/strict";
import type { Server } from "node:http";
import { after, before, describe, test } from "node:test";
import { attachWebSocket, type WebSocketServerHandle } from "@perpdex/api";
import {
  createSigner,
  isOnStep,
  type LocalOrderBook,
  PerpdexAuthError,
  PerpdexClient,
  PerpdexRejectedError,
  PerpdexRequestError,
  PerpdexSocket,
  PerpdexSocketError,
  roundPrice,
  roundSize,
  roundToStep,
  type OrderRequest,
  type Signer,
  type WsBookMessage,
  type WsServerMessage,
} from "@perpdex/sdk";
import { generatePrivateKey } from "viem/accounts";
import { bookChecksumLevels } from "@perpdex/protocol";
import { coreLevels, nextEvent, startTradingHarness, type TradingHarness } from "./trading-harness.ts";

const seed = Number(process.env.PERPDEX_SDK_SEED ?? Date.now() % 1_000_000);

/** A key that signs for `account` but presents itself as the account's own wallet: a forgery. */
function forgedSigner(account: string): Signer {
  const base = createSigner({ privateKey: generatePrivateKey(), account });
  const sign = (async (type, fields) => {
    const { signer: _agent, ...signed } = await base.sign(type, fields);
    return signed;
  }) as Signer["sign"];
  return { ...base, sign };
}

function random(start: number): () => number {
  let state = start >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = Math.imul(state ^ (state >>> 15), state | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

// The book test trades until both injected faults are healed; this bounds it.
const roundsMax = 600;

/**
 * The update with the size of its first level changed, when that level lies within the checksummed top
 * levels of the local book once applied (a change further down would pass the checksum); else null.
 */
function corruptTopLevel(message: WsBookMessage, book: LocalOrderBook): WsBookMessage | null {
  if (message.kind !== "update") return null;
  const corrupt = (levels: WsBookMessage["bids"], current: readonly (readonly [string, string])[], better: (price: number, worst: number) => boolean): WsBookMessage["bids"] | null => {
    const level = levels[0];
    if (level === undefined) return null;
    // Five levels of headroom: other levels of the same update may push this one down the book.
    const worst = current[bookChecksumLevels - 6];
    if (worst !== undefined && !better(Number(level[0]), Number(worst[0]))) return null;
    return [[level[0], "123456"], ...levels.slice(1)];
  };
  const bids = corrupt(message.bids, book.bids(), (price, worst) => price > worst);
  if (bids !== null) return { ...message, bids };
  const asks = corrupt(message.asks, book.asks(), (price, worst) => price < worst);
  if (asks !== null) return { ...message, asks };
  return null;
}

describe(`SDK against a live server (seed ${seed})`, () => {
  let harness: TradingHarness;
  let extra: WebSocketServerHandle;

  before(async () => {
    harness = await startTradingHarness();
    extra = attachWebSocket(harness.server.app.server as Server, harness.server.context, { path: "/test/ws" });
  });
  after(async () => {
    try {
      await extra?.close();
    } finally {
      await harness?.close();
    }
  });

  test("place, cancel, positions and balances through the SDK, with typed errors", async () => {
    const maker = new PerpdexClient({ url: harness.url, privateKey: generatePrivateKey() });
    const taker = new PerpdexClient({ url: harness.url, privateKey: generatePrivateKey() });
    assert.equal((await maker.health()).status, "healthy");
    for (const client of [maker, taker]) assert.equal((await client.faucet({ amount: "100000" })).ok, true);
    const { markets } = await maker.markets();
    const btc = markets.find((market) => market.symbol === "BTC-PERP")!;
    assert.equal(btc.tickSize, "1");

    const resting = await maker.placeOrder({ market: "BTC-PERP", side: "sell", orderType: "limit", price: roundPrice("95100.4", btc, "up"), size: "0.02", clientOrderId: "ask-1" });
    assert.equal(resting.status, "open");
    const { orders } = await maker.orders({ status: "open" });
    assert.deepEqual(orders.map((order) => [order.orderId, order.price, order.remaining, order.clientOrderId]), [[resting.orderId, "95101", "0.02", "ask-1"]]);

    const taken = await taker.placeOrder({ market: "BTC-PERP", side: "buy", orderType: "market", size: "0.005" });
    assert.equal(taken.status, "filled");
    assert.equal(taken.averagePrice, "95101");
    const { positions } = await taker.positions();
    assert.deepEqual(positions.map((position) => [position.market, position.side, position.size, position.entryPrice]), [["BTC-PERP", "long", "0.005", "95101"]]);
    const makerPositions = await maker.positions();
    assert.equal(makerPositions.positions[0]?.size, "-0.005");
    const summary = await taker.accountSummary();
    assert.equal(summary.account, taker.account);
    assert.ok(Number(summary.balances.USDC) < 100_000, `the taker paid a fee: ${summary.balances.USDC}`);

    await maker.cancelOrder({ market: "BTC-PERP", orderId: resting.orderId });
    assert.equal((await maker.order(resting.orderId)).status, "canceled");
    assert.deepEqual((await maker.orders({ status: "open" })).orders, []);

    // Typed errors carry the API's stable code and details.
    await assert.rejects(maker.placeOrder({ market: "BTC-PERP", side: "buy", orderType: "limit", price: "95000.5", size: "0.01" }), (error: unknown) => {
      assert.ok(error instanceof PerpdexRequestError);
      assert.equal(error.code, "PRICE_OFF_TICK");
      assert.equal(error.details.nearestBelow, "95000");
      assert.equal(error.details.nearestAbove, "95001");
      return true;
    });
    await assert.rejects(maker.cancelOrder({ market: "BTC-PERP", orderId: resting.orderId }), (error: unknown) => error instanceof PerpdexRejectedError && error.code === "ORDER_NOT_FOUND");
    const broke = new PerpdexClient({ url: harness.url, privateKey: generatePrivateKey() });
    await assert.rejects(broke.placeOrder({ market: "BTC-PERP", side: "buy", orderType: "limit", price: "95000", size: "0.01" }), (error: unknown) => error instanceof PerpdexRejectedError && error.code === "MARGIN_INSUFFICIENT");
    // Another key claiming the maker's account: the signature recovers to someone else.
    const impostor = new PerpdexClient({ url: harness.url, signer: forgedSigner(maker.account) });
    await assert.rejects(impostor.cancelAll(), (error: unknown) => error instanceof PerpdexAuthError && error.code === "SIGNATURE_INVALID" && error.details.expected === maker.account);
  });

  test("rounding helpers put values on the grid exactly", () => {
    assert.equal(roundToStep({ value: "0.3", step: "0.1" }), "0.3");
    assert.equal(roundToStep({ value: "123.456", step: "0.01" }), "123.45");
    assert.equal(roundToStep({ value: "123.455", step: "0.01", mode: "nearest" }), "123.46");
    assert.equal(roundToStep({ value: "7.25", step: "0.5", mode: "up" }), "7.5");
    assert.equal(roundPrice("3500.04", { tickSize: "0.1" }), "3500");
    assert.equal(roundSize("0.0199", { lotSize: "0.001" }), "0.019");
    assert.equal(isOnStep("95000", "1"), true);
    assert.equal(isOnStep("0.0015", "0.001"), false);
    assert.throws(() => roundToStep({ value: "1e3", step: "1" }), (error: unknown) => error instanceof PerpdexRequestError && error.code === "DECIMAL_MALFORMED");
  });

  test("a local book from deltas equals the core's book; a lost update and a bad checksum are healed", async () => {
    // The faults follow the stream, not the clock: drop the 5th update; once the snapshot that heals
    // the gap is in, corrupt the next update that touches the checksummed top of the book; trade until
    // that second fault is healed too.
    const faults: { phase: "drop" | "healing gap" | "corrupt" | "healing checksum" | "healed" } = { phase: "drop" };
    let updatesSeen = 0;
    let socket: PerpdexSocket | null = null;
    const inspect = (message: WsServerMessage): WsServerMessage | null => {
      if (message.type !== "book") return message;
      if (message.kind === "snapshot") {
        if (faults.phase === "healing gap") faults.phase = "corrupt";
        else if (faults.phase === "healing checksum") faults.phase = "healed";
        return message;
      }
      updatesSeen += 1;
      if (faults.phase === "drop" && updatesSeen === 5) {
        faults.phase = "healing gap";
        return null;
      }
      if (faults.phase === "corrupt") {
        const corrupted = corruptTopLevel(message, socket!.orderBook(message.market)!);
        if (corrupted !== null) faults.phase = "healing checksum";
        return corrupted ?? message;
      }
      return message;
    };
    socket = new PerpdexSocket({ url: harness.url, inspect });
    try {
      const resyncs: string[] = [];
      socket.on("resync", ({ reason }) => resyncs.push(reason));
      await socket.connect();
      const book = await socket.subscribeBook("ETH-PERP");

      const traders = Array.from({ length: 3 }, () => new PerpdexClient({ url: harness.url, privateKey: generatePrivateKey() }));
      for (const trader of traders) await trader.faucet({ amount: "1000000" });
      const next = random(seed);
      const open: { trader: PerpdexClient; orderId: string }[] = [];
      for (let round = 0; round < roundsMax && (round < 60 || faults.phase !== "healed"); round += 1) {
        const trader = traders[Math.floor(next() * traders.length)]!;
        if (open.length > 0 && next() < 0.3) {
          const [victim] = open.splice(Math.floor(next() * open.length), 1);
          await victim!.trader.cancelOrder({ market: "ETH-PERP", orderId: victim!.orderId }).catch(() => undefined);
          continue;
        }
        const side = next() < 0.5 ? "buy" : "sell";
        const offset = Math.floor(next() * 30) - 5;
        const price = roundPrice(String(side === "buy" ? 3500 - offset / 10 : 3500 + offset / 10), book);
        const order: OrderRequest = { market: "ETH-PERP", side, orderType: "limit", price, size: roundSize(String(0.01 + Math.floor(next() * 20) / 100), book) };
        const result = await trader.placeOrder(order).catch(() => undefined);
        if (result !== undefined && (result.status === "open" || result.status === "partiallyFilled")) open.push({ trader, orderId: result.orderId });
      }
      assert.equal(faults.phase, "healed", `both faults were injected and healed within ${roundsMax} rounds (seed ${seed})`);
      // Every update of the last order was sent before its HTTP answer: the pong comes after them.
      await socket.ping();
      assert.equal(book.synced, true);
      assert.deepEqual(resyncs, ["gap", "checksum"]);
      const core = coreLevels(harness.node.exchange, "ETH-PERP");
      assert.deepEqual(book.bids().map((level) => [...level]), core.bids, `bids (seed ${seed})`);
      assert.deepEqual(book.asks().map((level) => [...level]), core.asks, `asks (seed ${seed})`);
    } finally {
      await socket.close();
    }
  });

  test("reconnect restores login and subscriptions; the book comes back from a fresh snapshot", async () => {
    const key = generatePrivateKey();
    const trader = new PerpdexClient({ url: harness.url, privateKey: key });
    await trader.faucet({ amount: "100000" });
    const socket = new PerpdexSocket({ url: `${harness.url.replace(/^http/, "ws")}/test/ws`, privateKey: key, reconnectDelayMinMs: 20 });
    try {
      const snapshots: number[] = [];
      socket.on("book", (message) => {
        if (message.kind === "snapshot") snapshots.push(message.seq);
      });
      await socket.connect();
      const book = await socket.subscribeBook("SPY-PERP");
      assert.equal((await socket.login()).account, trader.account);
      await socket.subscribe({ channel: "orders" });
      assert.equal(snapshots.length, 1);

      // Everything the drop and the reconnect must produce is listened for before the drop.
      const told = nextEvent(socket, "error", (error) => error.code === "WS_SERVER_CLOSING");
      const closed = nextEvent(socket, "close");
      const reopened = nextEvent(socket, "open", ({ reconnect }) => reconnect);
      extra.disconnectAll();
      await told;
      assert.equal((await closed)[0].code, 1001);
      // The book changes around the reconnect; whether the client is back yet or not, it must match after.
      await trader.placeOrder({ market: "SPY-PERP", side: "buy", orderType: "limit", price: "655.5", size: "3" });
      // "open" comes after the login and every subscription are restored; a book's snapshot follows its
      // "subscribed" answer at once, so it is in too.
      await reopened;
      assert.equal(socket.isLoggedIn, true);
      assert.equal(snapshots.length, 2, "a fresh snapshot after the reconnect");
      // An update of the order (if it came after the snapshot) was sent before the order's HTTP answer.
      await socket.ping();
      assert.equal(book.synced, true);
      const core = coreLevels(harness.node.exchange, "SPY-PERP").bids;
      assert.ok(core.some(([price, size]) => price === "655.5" && size === "3"), JSON.stringify(core));
      assert.deepEqual(book.bids().map((level) => [...level]), core);

      // The private subscription is back too: a new order of the account shows up.
      const seen = nextEvent(socket, "orders", (message) => message.orders.some((order) => order.price === "655"));
      const placed = await trader.placeOrder({ market: "SPY-PERP", side: "buy", orderType: "limit", price: "655", size: "1" });
      const [message] = await seen;
      assert.deepEqual(
        message.orders.map((order) => [order.orderId, order.status]),
        [[placed.orderId, "open"]],
      );
    } finally {
      await socket.close();
    }
  });

  test("an approved agent key trades and logs in for its account; a revoked one cannot", async () => {
    const walletKey = generatePrivateKey();
    const agentKey = generatePrivateKey();
    const wallet = new PerpdexClient({ url: harness.url, privateKey: walletKey });
    await wallet.faucet({ amount: "10000" });
    const agentAddress = createSigner({ privateKey: agentKey }).address;
    await wallet.approveAgent({ agent: agentAddress, name: "test bot", expiresAt: Date.now() + 3_600_000, markets: ["BTC-PERP"] });
    const bot = new PerpdexClient({ url: harness.url, privateKey: agentKey, account: wallet.account });
    const placed = await bot.placeOrder({ market: "BTC-PERP", side: "buy", orderType: "limit", price: "90000", size: "0.001" });
    assert.equal(placed.status, "open");
    const socket = new PerpdexSocket({ url: harness.url, privateKey: agentKey, account: wallet.account });
    try {
      await socket.connect();
      assert.deepEqual(await socket.login(), { account: wallet.account, signer: agentAddress });
    } finally {
      await socket.close();
    }
    await wallet.revokeAgent({ agent: agentAddress });
    await assert.rejects(bot.cancelAll(), (error: unknown) => error instanceof PerpdexAuthError && error.code === "AGENT_NOT_APPROVED");
  });

  test("a refused book subscription leaves no snapshot wait behind to reject unhandled", async () => {
    const requestTimeoutMs = 100;
    const socket = new PerpdexSocket({ url: harness.url, requestTimeoutMs });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on("unhandledRejection", onUnhandled);
    try {
      await socket.connect();
      await assert.rejects(socket.subscribeBook("NOPE-PERP"), (error: unknown) => error instanceof PerpdexSocketError && error.code === "WS_MARKET_NOT_FOUND");
      // Proving that nothing fires takes waiting past the moment it would have: the snapshot wait's timeout.
      await new Promise((resolve) => setTimeout(resolve, 3 * requestTimeoutMs));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off("unhandledRejection", onUnhandled);
      await socket.close();
    }
  });

  test("private channels need a login; a forged login is refused with the API's code", async () => {
    const socket = new PerpdexSocket({ url: harness.url, signer: forgedSigner(`0x${"7".repeat(40)}`) });
    try {
      await socket.connect();
      await assert.rejects(socket.subscribe({ channel: "fills" }), (error: unknown) => error instanceof PerpdexSocketError && error.code === "WS_LOGIN_REQUIRED");
      await assert.rejects(socket.login(), (error: unknown) => error instanceof PerpdexSocketError && error.code === "SIGNATURE_INVALID");
    } finally {
      await socket.close();
    }
  });
});
