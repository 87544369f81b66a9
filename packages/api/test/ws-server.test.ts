// The WebSocket server end to end: a real node in a temporary directory, the API server on 127.0.0.1
// port 0, raw WebSocket clients. Proves that the book channel (snapshot, then updates with seq and
// checksum) rebuilds exactly the core's book after a random order stream, that a gap is detected and a
// fresh snapshot continues the stream, that private channels carry only the logged-in account's data
// and refuse forged and replayed logins, that caps, heartbeats and slow-consumer drops hold, and that
// bad messages get clean errors.
import assert from "node:assert/strict";
import type { Server } from "node:http";
import zlib from "node:zlib";
import { after, afterEach, before, describe, test } from "node:test";
import WebSocket from "ws";
import { actionTypedData, bookChecksum, bookChecksumText, crc32Ascii, parseDecimal, type WsBookMessage } from "@perpdex/protocol";
import type { PrivateKeyAccount } from "viem/accounts";
import { attachWebSocket, type WebSocketServerHandle } from "../src/ws/server.ts";
import { StepFormatter } from "../src/ws/step-format.ts";
import { ticksToDecimal } from "@perpdex/protocol";
import { call, newWallet, nextNonce, noRateLimits, signedBody, startHarness, steppingClock, type Harness, type Wallet } from "./api-harness.ts";
import { CheckedBook, coreLevels, fund, random, randomStream, serverConnectionsClosed, TestClient, type Message } from "./ws-harness.ts";

const seed = Number(process.env.PERPDEX_WS_SEED ?? Date.now() % 1_000_000);

async function loginMessage(wallet: Wallet, options: { account?: string; nonce?: number } = {}): Promise<Record<string, unknown>> {
  const account = options.account ?? wallet.address;
  const nonce = options.nonce ?? nextNonce();
  const typedData = actionTypedData({ type: "Login", fields: { account }, nonce });
  const signature = await wallet.key.signTypedData(typedData as Parameters<PrivateKeyAccount["signTypedData"]>[0]);
  return { op: "login", account, nonce, signature };
}

function wsUrl(harness: Harness, path = "/v1/ws"): string {
  return `${harness.url.replace(/^http/, "ws")}${path}`;
}

function bookMessages(client: TestClient, market: string, from = 0): WsBookMessage[] {
  return client.messages.slice(from).filter((message) => message.type === "book" && message.market === market) as unknown as WsBookMessage[];
}

describe(`WebSocket book and market channels (seed ${seed})`, () => {
  let harness: Harness;
  let extra: WebSocketServerHandle;
  const accounts = Array.from({ length: 4 }, (_, index) => `0x${String(index + 1).repeat(40)}`);

  before(async () => {
    harness = await startHarness();
    extra = attachWebSocket(harness.server.app.server as Server, harness.server.context, { path: "/test/ws" });
    await fund(harness.node, accounts);
  });
  afterEach(() => TestClient.closeAll());
  after(async () => {
    try {
      await extra?.close();
    } finally {
      await harness?.close();
    }
  });

  test("snapshot then updates rebuild exactly the core's book after a random order stream", async () => {
    const client = await TestClient.connect(wsUrl(harness));
    for (const market of ["BTC-PERP", "ETH-PERP"]) assert.equal((await client.request({ op: "subscribe", channel: "book", market })).type, "subscribed");
    for (const channel of ["trades", "ticker"]) await client.request({ op: "subscribe", channel, market: "BTC-PERP" });
    await client.request({ op: "subscribe", channel: "candles", market: "BTC-PERP", interval: "1m" });
    const streams = randomStream({ node: harness.node, accounts, market: "BTC-PERP", mid: 95_000, count: 320, seed });
    // A second client joins in the middle of the stream: its snapshot must continue the same seq line.
    const late = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      const joined = await TestClient.connect(wsUrl(harness));
      await joined.request({ op: "subscribe", channel: "book", market: "BTC-PERP" });
      return joined;
    })();
    await Promise.all([streams, randomStream({ node: harness.node, accounts, market: "ETH-PERP", mid: 35_000, count: 80, seed: seed + 1 })]);
    const joined = await late;
    // Everything published before the pong has reached the client by then.
    await client.request({ op: "ping" });
    await joined.request({ op: "ping" });

    for (const market of ["BTC-PERP", "ETH-PERP"]) {
      const book = new CheckedBook();
      for (const message of bookMessages(client, market)) book.apply(message);
      assert.equal(book.snapshots, 1);
      assert.ok(book.updates > 20, `${market}: ${book.updates} updates`);
      const core = coreLevels(harness.node.exchange, market);
      assert.deepEqual(book.levels("bids"), core.bids, `${market} bids (seed ${seed})`);
      assert.deepEqual(book.levels("asks"), core.asks, `${market} asks (seed ${seed})`);
    }
    const lateBook = new CheckedBook();
    for (const message of bookMessages(joined, "BTC-PERP")) lateBook.apply(message);
    assert.deepEqual(lateBook.levels("bids"), coreLevels(harness.node.exchange, "BTC-PERP").bids);
    assert.deepEqual(lateBook.levels("asks"), coreLevels(harness.node.exchange, "BTC-PERP").asks);

    // The server's own mirror (the extra attachment, started before the stream) equals the core too.
    for (const market of harness.node.exchange.engine.markets) {
      const mirrored = extra.mirror.market(market.symbol)!;
      const core = coreLevels(harness.node.exchange, market.symbol);
      assert.deepEqual(mirrored.bids.top(1_000_000).map((level) => [...level]), core.bids);
      assert.deepEqual(mirrored.asks.top(1_000_000).map((level) => [...level]), core.asks);
    }

    // Trades, ticker and candles follow the same stream.
    const tape = harness.server.context.readModel.market("BTC-PERP").trades;
    const streamed = client.messages.filter((message) => message.type === "trades").flatMap((message) => message.trades as { price: string }[]);
    assert.equal(streamed.length, tape.size);
    const lastPrice = ticksToDecimal({ ticks: tape.last()!.price, tickSize: "1" });
    assert.equal(streamed.at(-1)?.price, lastPrice);
    const tickers = client.messages.filter((message) => message.type === "ticker");
    assert.equal(tickers.at(-1)?.last, lastPrice);
    const candles = client.messages.filter((message) => message.type === "candles");
    assert.equal((candles.at(-1)?.candle as { close: string }).close, lastPrice);
    client.close();
    joined.close();
  });

  test("a lost update is a seq gap; a fresh snapshot continues the stream", async () => {
    const client = await TestClient.connect(wsUrl(harness));
    await client.request({ op: "subscribe", channel: "book", market: "BTC-PERP" });
    await randomStream({ node: harness.node, accounts, market: "BTC-PERP", mid: 95_000, count: 40, seed: seed + 2 });
    await client.request({ op: "ping" });
    const messages = bookMessages(client, "BTC-PERP");
    assert.ok(messages.length >= 4);
    // Drop the second update, as a lossy client would: the next one must be refused as a gap.
    const book = new CheckedBook();
    book.apply(messages[0]!);
    book.apply(messages[1]!);
    assert.throws(() => book.apply(messages[3]!), /seq/);
    // Resync: unsubscribe, subscribe, and the snapshot equals the core's book with seq going on.
    const from = client.messages.length;
    await client.request({ op: "unsubscribe", channel: "book", market: "BTC-PERP" });
    await client.request({ op: "subscribe", channel: "book", market: "BTC-PERP" });
    const snapshot = (await client.waitFor((message) => message.type === "book" && message.kind === "snapshot", { from })) as unknown as WsBookMessage;
    assert.equal(snapshot.seq, messages.at(-1)!.seq);
    const fresh = new CheckedBook();
    fresh.apply(snapshot);
    assert.deepEqual(fresh.levels("bids"), coreLevels(harness.node.exchange, "BTC-PERP").bids);
    client.close();
  });

  test("after a server-side disconnect, resubscribing yields a fresh snapshot of the current book", async () => {
    const client = await TestClient.connect(wsUrl(harness, "/test/ws"));
    await client.request({ op: "subscribe", channel: "book", market: "BTC-PERP" });
    extra.disconnectAll();
    const closed = await client.closed;
    assert.equal(closed.code, 1001);
    assert.ok(client.messages.some((message) => message.type === "closing" && message.code === "WS_SERVER_CLOSING"));
    await randomStream({ node: harness.node, accounts, market: "BTC-PERP", mid: 95_000, count: 24, seed: seed + 3 });
    const again = await TestClient.connect(wsUrl(harness, "/test/ws"));
    await again.request({ op: "subscribe", channel: "book", market: "BTC-PERP" });
    const snapshot = (await again.waitFor((message) => message.type === "book")) as unknown as WsBookMessage;
    assert.equal(snapshot.kind, "snapshot");
    const book = new CheckedBook();
    book.apply(snapshot);
    assert.deepEqual(book.levels("asks"), coreLevels(harness.node.exchange, "BTC-PERP").asks);
    again.close();
  });

  test("a stock split sends the whole book again on the new grid", async () => {
    const client = await TestClient.connect(wsUrl(harness));
    await client.request({ op: "subscribe", channel: "book", market: "NVDA-PERP" });
    const account = accounts[0]!;
    await harness.node.submit({ type: "placeOrder", account, order: { market: "NVDA-PERP", side: "buy", type: "limit", price: 17_000, size: 150 } } as never);
    const effectiveTime = BigInt(Date.now() + 30) * 1_000_000n;
    assert.ok((await harness.node.submit({ type: "scheduleSplit", market: "NVDA-PERP", numerator: 2, denominator: 1, effectiveTime } as never)).result.ok);
    await new Promise((resolve) => setTimeout(resolve, 60));
    await harness.node.submit({ type: "tick" });
    await client.request({ op: "ping" });
    const book = new CheckedBook();
    const messages = bookMessages(client, "NVDA-PERP");
    for (const message of messages) book.apply(message);
    assert.deepEqual(
      messages.map((message) => [message.kind, message.tickSize]),
      [["snapshot", "0.01"], ["update", "0.01"], ["snapshot", "0.005"]],
    );
    // 1.5 shares at 170.00 became 3 shares at 85.00.
    assert.deepEqual(book.levels("bids"), [["85", "3"]]);
    assert.deepEqual(book.levels("bids"), coreLevels(harness.node.exchange, "NVDA-PERP").bids);
    client.close();
  });

  test("a mirror that falls out of step is reloaded and every subscriber gets a fresh snapshot", async () => {
    const account = accounts[1]!;
    const placed = await harness.node.submit({ type: "placeOrder", account, order: { market: "QQQ-PERP", side: "sell", type: "limit", price: 59_500, size: 7 } } as never);
    const client = await TestClient.connect(wsUrl(harness, "/test/ws"));
    await client.request({ op: "subscribe", channel: "book", market: "QQQ-PERP" });
    // Break the mirror on purpose (a stand-in for a bug): its level at 595.00 disappears.
    const book = extra.mirror.market("QQQ-PERP")!;
    book.asks.change(59_500, -book.asks.lotsAt(59_500), book);
    await harness.node.submit({ type: "cancelOrder", account, market: "QQQ-PERP", orderId: placed.sequence * 256 } as never);
    await client.request({ op: "ping" });
    const messages = bookMessages(client, "QQQ-PERP");
    assert.deepEqual(messages.map((message) => message.kind), ["snapshot", "snapshot"]);
    const checked = new CheckedBook();
    for (const message of messages) checked.apply(message);
    assert.deepEqual(checked.levels("asks"), coreLevels(harness.node.exchange, "QQQ-PERP").asks);
    client.close();
  });

  test("bad messages get clean errors and the connection stays usable", async () => {
    const client = await TestClient.connect(wsUrl(harness));
    const cases: readonly [unknown, string][] = [
      ["not json", "WS_MESSAGE_MALFORMED"],
      [[1, 2], "WS_MESSAGE_MALFORMED"],
      [{ op: "fly" }, "WS_OPERATION_UNKNOWN"],
      [{ op: "subscribe", channel: "gossip" }, "WS_CHANNEL_UNKNOWN"],
      [{ op: "subscribe", channel: "book", market: "DOGE-PERP" }, "WS_MARKET_NOT_FOUND"],
      [{ op: "subscribe", channel: "candles", market: "BTC-PERP", interval: "7m" }, "WS_INTERVAL_INVALID"],
      [{ op: "subscribe", channel: "orders" }, "WS_LOGIN_REQUIRED"],
      [{ op: "unsubscribe", channel: "book", market: "BTC-PERP" }, "WS_NOT_SUBSCRIBED"],
      [{ op: "login", account: "0x12", nonce: 1, signature: "0x00" }, "WS_MESSAGE_MALFORMED"],
      [{ op: "ping", id: { nested: true } }, "WS_MESSAGE_MALFORMED"],
    ];
    for (const [message, code] of cases) {
      const from = client.messages.length;
      client.send(message);
      const error = await client.waitFor((reply) => reply.type === "error", { from });
      assert.equal(error.code, code, JSON.stringify(message));
      assert.ok(typeof error.message === "string" && error.message.length > 10);
    }
    await client.request({ op: "subscribe", channel: "book", market: "BTC-PERP" });
    const duplicate = await client.request({ op: "subscribe", channel: "book", market: "BTC-PERP" });
    assert.equal(duplicate.code, "WS_ALREADY_SUBSCRIBED");
    assert.equal((await client.request({ op: "ping" })).type, "pong");
    // Binary frames are refused; a message past the size limit closes the connection (1009).
    const from = client.messages.length;
    client.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    assert.equal((await client.waitFor((reply) => reply.type === "error", { from })).code, "WS_MESSAGE_MALFORMED");
    client.send({ op: "ping", pad: "x".repeat(20_000) });
    assert.equal((await client.closed).code, 1009);
  });

  test("the book checksum is zlib's CRC-32 of the documented text", () => {
    assert.equal(crc32Ascii("123456789"), 0xcbf43926);
    const next = random(seed);
    for (let round = 0; round < 200; round += 1) {
      const text = Array.from({ length: Math.floor(next() * 300) }, () => "0123456789.:"[Math.floor(next() * 12)]).join("");
      assert.equal(crc32Ascii(text), zlib.crc32(text));
    }
    const bids: [string, string][] = [["100", "2"], ["99", "1"]];
    const asks: [string, string][] = [["101", "3"]];
    assert.equal(bookChecksumText(bids, asks), "100:2:101:3:99:1");
    assert.equal(bookChecksum(bids, asks), zlib.crc32("100:2:101:3:99:1"));
    assert.equal(bookChecksum([], []), 0);
  });

  test("the fast formatter writes exactly what the protocol's codec writes", () => {
    const next = random(seed);
    for (const step of ["1", "0.1", "0.01", "0.001", "0.5", "25", "0.000001"]) {
      const formatter = new StepFormatter(step);
      for (let round = 0; round < 500; round += 1) {
        const steps = Math.floor(next() * 2_147_483_647);
        assert.equal(formatter.format(steps), ticksToDecimal({ ticks: steps, tickSize: step }), `${steps} × ${step}`);
      }
    }
    assert.ok(parseDecimal(new StepFormatter("0.01").format(1)).ok);
  });
});

describe("WebSocket private channels, login, caps, heartbeat and slow consumers", () => {
  let harness: Harness;
  let extra: WebSocketServerHandle;
  let heartbeat: WebSocketServerHandle;
  const caps = { connectionsPerIpMax: 4, connectionsPerAccountMax: 1, subscriptionsPerSocketMax: 2, messagesPerSecondMax: 5, bufferedBytesMax: 256 * 1024 };

  before(async () => {
    harness = await startHarness({ rateLimits: { ...noRateLimits, webSocket: caps }, clock: steppingClock() });
    const server = harness.server.app.server as Server;
    extra = attachWebSocket(server, harness.server.context, { path: "/test/ws" });
    heartbeat = attachWebSocket(server, harness.server.context, { path: "/hb/ws", heartbeatIntervalMs: 100 });
  });
  afterEach(async () => {
    await TestClient.closeAll();
    // The caps test counts connections per IP: the previous test's must be gone on the server side too.
    await serverConnectionsClosed(harness.server.context.metrics);
  });
  after(async () => {
    try {
      await heartbeat?.close();
      await extra?.close();
    } finally {
      await harness?.close();
    }
  });

  test("private channels carry only the logged-in account's data; forged and replayed logins fail", async () => {
    const alice = newWallet();
    const bob = newWallet();
    const mallory = newWallet();
    await fund(harness.node, [alice.address, bob.address]);
    const clients: Record<string, TestClient> = {};
    for (const [name, wallet] of [["alice", alice], ["bob", bob]] as const) {
      const client = await TestClient.connect(wsUrl(harness));
      assert.equal((await client.request({ op: "subscribe", channel: "orders" })).code, "WS_LOGIN_REQUIRED");
      const login = await client.request(await loginMessage(wallet));
      assert.equal(login.type, "loggedIn");
      assert.equal(login.account, wallet.address);
      for (const channel of ["orders", "fills"]) assert.equal((await client.request({ op: "subscribe", channel })).type, "subscribed");
      clients[name] = client;
    }
    // Alice rests a bid; Bob sells into it.
    const bid = await call(harness.url, "POST", "/v1/orders", {
      body: await signedBody(alice, "PlaceOrders", { account: alice.address, orders: [{ market: "BTC-PERP", side: "buy", orderType: "limit", price: "94000", size: "0.01" }] }),
    });
    assert.equal(bid.status, 200, JSON.stringify(bid.body));
    const ask = await call(harness.url, "POST", "/v1/orders", {
      body: await signedBody(bob, "PlaceOrders", { account: bob.address, orders: [{ market: "BTC-PERP", side: "sell", orderType: "limit", price: "94000", size: "0.004" }] }),
    });
    assert.equal(ask.status, 200, JSON.stringify(ask.body));
    const aliceOrderId = (bid.body.results as { orderId: string }[])[0]!.orderId;
    const bobOrderId = (ask.body.results as { orderId: string }[])[0]!.orderId;
    for (const [name, wallet, own, other] of [["alice", alice, aliceOrderId, bobOrderId], ["bob", bob, bobOrderId, aliceOrderId]] as const) {
      const client = clients[name]!;
      await client.waitFor((message) => message.type === "fills");
      const ordersSeen = client.messages.filter((message) => message.type === "orders").flatMap((message) => message.orders as { orderId: string }[]);
      assert.ok(ordersSeen.some((order) => order.orderId === own), `${name} sees its order`);
      assert.ok(!ordersSeen.some((order) => order.orderId === other), `${name} never sees the other's order`);
      for (const message of client.messages.filter((entry) => entry.type === "orders" || entry.type === "fills")) assert.equal(message.account, wallet.address);
      const fills = client.messages.filter((message) => message.type === "fills").flatMap((message) => message.fills as { orderId: string; size: string; liquidity: string }[]);
      // The whole id, time part included: Alice's bid was placed a command (and, on this clock, at least
      // a millisecond) before the fill, and her maker fill names it exactly as the place response did.
      assert.deepEqual(
        fills.map((fill) => [fill.orderId, fill.size, fill.liquidity]),
        [[own, "0.004", name === "alice" ? "maker" : "taker"]],
      );
    }
    // Positions and balances come at once on subscription, for the logged-in account only.
    const positions = await clients.alice!.request({ op: "subscribe", channel: "positions" });
    assert.equal(positions.type, "subscribed");
    const snapshot = await clients.alice!.waitFor((message) => message.type === "positions");
    assert.equal(snapshot.account, alice.address);
    assert.deepEqual((snapshot.positions as { market: string; size: string }[]).map((position) => [position.market, position.size]), [["BTC-PERP", "0.004"]]);

    assert.equal((await clients.alice!.request({ op: "subscribe", channel: "margin" })).type, "subscribed");
    const margin = await clients.alice!.waitFor((message) => message.type === "margin");
    assert.equal(margin.level, "green");
    assert.equal(margin.previousLevel, null);
    assert.equal(margin.account, alice.address);
    // A trader at 10x on $1,000 watches its margin fall as the index drops (SPEC 06 §14.1 levels).
    const carol = newWallet();
    await harness.node.submit({ type: "deposit", account: carol.address, asset: "USDC", amount: 1_000_000_000n, reference: "carol" });
    await harness.node.submit({ type: "placeOrder", account: bob.address, order: { market: "BTC-PERP", side: "sell", type: "limit", price: 95_000, size: 100 } } as never);
    await harness.node.submit({ type: "placeOrder", account: carol.address, order: { market: "BTC-PERP", side: "buy", type: "limit", price: 95_000, size: 100, timeInForce: "IOC" } } as never);
    const watcher = await TestClient.connect(wsUrl(harness));
    await watcher.request(await loginMessage(carol));
    await watcher.request({ op: "subscribe", channel: "margin" });
    assert.equal((await watcher.waitFor((message) => message.type === "margin")).level, "green");
    // Mark 86,200: isolated margin 950 minus the 880 loss = 70, over maintenance 51.72 (0.6 % of 8,620): 1.353441.
    await harness.node.submit({ type: "indexPrice", market: "BTC-PERP", price: 86_200 } as never);
    const warning = await watcher.waitFor((message) => message.type === "margin" && message.level !== "green", { timeoutMs: 2_000 });
    assert.equal(warning.level, "orange");
    assert.equal(warning.previousLevel, "green");
    assert.equal(warning.marginRatio, "1.353441");
    watcher.close();
    await watcher.closed;

    await clients.bob!.request({ op: "subscribe", channel: "balances" });
    const balances = await clients.bob!.waitFor((message) => message.type === "balances");
    assert.equal((balances.balances as { account: string }).account, bob.address);

    // Mallory signs a login for Alice's account: refused with the recovered and the expected address.
    const forger = await TestClient.connect(wsUrl(harness));
    const forged = await forger.request({ ...(await loginMessage(mallory, { account: alice.address })) });
    assert.equal(forged.type, "error");
    assert.equal(forged.code, "SIGNATURE_INVALID");
    assert.equal((forged.details as Record<string, string>).recovered, mallory.address);
    assert.equal((forged.details as Record<string, string>).expected, alice.address);
    assert.equal((await forger.request({ op: "subscribe", channel: "fills" })).code, "WS_LOGIN_REQUIRED");
    // A captured login replayed on another connection is refused as a reused nonce.
    const captured = await loginMessage(bob);
    const first = await TestClient.connect(wsUrl(harness, "/test/ws"));
    assert.equal((await first.request(captured)).type, "loggedIn");
    first.close();
    await first.closed;
    const replayer = await TestClient.connect(wsUrl(harness, "/test/ws"));
    const replayed = await replayer.request(captured);
    assert.equal(replayed.code, "NONCE_REUSED");
    const everyone = [...Object.values(clients), forger, replayer];
    for (const client of everyone) client.close();
    await Promise.all(everyone.map((client) => client.closed));
  });

  test("connection, account, subscription and message-rate caps", async () => {
    const open: TestClient[] = [];
    for (let index = 0; index < caps.connectionsPerIpMax; index += 1) open.push(await TestClient.connect(wsUrl(harness)));
    const refused = await new Promise<{ status: number; body: string }>((resolve) => {
      const socket = new WebSocket(wsUrl(harness));
      socket.on("unexpected-response", (_request, response) => {
        let body = "";
        response.on("data", (chunk: Buffer) => (body += chunk.toString()));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      });
    });
    assert.equal(refused.status, 429);
    assert.equal((JSON.parse(refused.body) as Message).code, "WS_CONNECTIONS_EXCEEDED");
    // A path no WebSocket serves is refused at once, not left hanging.
    const unknown = await new Promise<number>((resolve) => new WebSocket(wsUrl(harness, "/nowhere")).on("unexpected-response", (_request, response) => resolve(response.statusCode ?? 0)));
    assert.equal(unknown, 404);

    const [first, second, third] = open as [TestClient, TestClient, TestClient];
    assert.equal((await first.request({ op: "subscribe", channel: "book", market: "BTC-PERP" })).type, "subscribed");
    assert.equal((await first.request({ op: "subscribe", channel: "trades", market: "BTC-PERP" })).type, "subscribed");
    assert.equal((await first.request({ op: "subscribe", channel: "ticker", market: "BTC-PERP" })).code, "WS_SUBSCRIPTIONS_EXCEEDED");

    const wallet = newWallet();
    assert.equal((await first.request(await loginMessage(wallet))).type, "loggedIn");
    assert.equal((await second.request(await loginMessage(wallet))).code, "WS_CONNECTIONS_EXCEEDED");

    // A burst of twice the rate passes; beyond it, WS_RATE_LIMITED.
    const from = third.messages.length;
    for (let index = 0; index < 3 * caps.messagesPerSecondMax; index += 1) third.send({ op: "ping" });
    await third.waitFor((message) => message.type === "error" && message.code === "WS_RATE_LIMITED", { from });
    const answered = third.messages.slice(from).filter((message) => message.type === "pong").length;
    assert.ok(answered >= 2 * caps.messagesPerSecondMax - 1 && answered < 3 * caps.messagesPerSecondMax, `${answered} pings answered`);
    for (const client of open) client.close();
    await Promise.all(open.map((client) => client.closed));
  });

  test("a client that does not read is dropped with WS_SLOW_CONSUMER instead of buffering without bound", async () => {
    const slow = await TestClient.connect(wsUrl(harness, "/test/ws"));
    await slow.request({ op: "subscribe", channel: "book", market: "SPY-PERP" });
    // Stop reading: the kernel buffers fill, then the server's send buffer grows.
    (slow.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const payload = "x".repeat(512 * 1024);
    for (let round = 0; round < 64 && extra.hub.subscriberCount("book:SPY-PERP") > 0; round += 1) {
      extra.hub.publish("book:SPY-PERP", { type: "book", market: "SPY-PERP", padding: payload });
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(extra.hub.subscriberCount("book:SPY-PERP"), 0, "the slow client was unsubscribed");
    (slow.socket as unknown as { _socket: { resume(): void } })._socket.resume();
    const closed = await slow.closed;
    assert.ok(closed.code === 1008 || closed.code === 1006, `closed with ${closed.code}`);
    if (closed.code === 1008) assert.equal(closed.reason, "WS_SLOW_CONSUMER");
  });

  test("heartbeats: a silent client is dropped, a live one stays", async () => {
    const silent = await TestClient.connect(wsUrl(harness, "/hb/ws"), { autoPong: false });
    const live = await TestClient.connect(wsUrl(harness, "/hb/ws"));
    const closed = await silent.closed;
    assert.equal(closed.code, 1008);
    assert.equal(closed.reason, "WS_HEARTBEAT_TIMEOUT");
    assert.ok(silent.messages.some((message) => message.type === "closing" && message.code === "WS_HEARTBEAT_TIMEOUT"));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(live.socket.readyState, WebSocket.OPEN);
    assert.ok(live.messages.filter((message) => message.type === "ping").length >= 2);
    live.close();
  });
});
