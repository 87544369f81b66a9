// ccxt's unmodified `hyperliquid` class, pointed at perpdex, trades end to end: a real node in a temp
// directory, the real API server on an ephemeral port, ccxt signing with its own code. Every answer is
// checked against exact numbers, and every refusal against the ccxt error class a Hyperliquid user
// would get for the same fault.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import ccxt from "ccxt";
import { privateKeyToAccount } from "viem/accounts";
import type { OrderSpec, PriceTicks, SizeLots } from "@perpdex/core";
import { ExchangeNode, Journal, silentLogger } from "@perpdex/node";
import { decodeCommandBinary } from "@perpdex/protocol";
import { recoverEnvelopeSigner } from "../src/hyperliquid/request.ts";
import { actionHash } from "../src/hyperliquid/signing.ts";
import { parseWireJson } from "../src/hyperliquid/wire-json.ts";
import { createApiServer, type ApiServer } from "../src/server.ts";

const alicePrivateKey = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const bobPrivateKey = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";
const strangerPrivateKey = "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6";
const alice = privateKeyToAccount(alicePrivateKey).address.toLowerCase();
const bob = privateKeyToAccount(bobPrivateKey).address.toLowerCase();
const symbol = "BTC/USDC:USDC";

let directory: string;
let node: ExchangeNode;
let server: ApiServer;
let base: string;

type Hyperliquid = InstanceType<typeof ccxt.hyperliquid>;

function client(privateKey: `0x${string}`): Hyperliquid {
  const exchange = new ccxt.hyperliquid({
    walletAddress: privateKeyToAccount(privateKey).address,
    privateKey,
    // The server's limits are under test, not ccxt's client-side throttle (20 × 50 ms per info call).
    enableRateLimit: false,
  });
  // ccxt builds every URL as urls.api[public|private] + "/" + path ("info", "exchange").
  exchange.urls["api"] = { public: base, private: base };
  return exchange;
}

function limit(side: "buy" | "sell", price: number, size: number): OrderSpec {
  return { market: "BTC-PERP", side, type: "limit", price: price as PriceTicks, size: size as SizeLots };
}

before(async () => {
  directory = mkdtempSync(path.join(os.tmpdir(), "perpdex-hyperliquid-"));
  // No ticks during the test: the mark stays at BTC's reference price, 95,000.
  node = await ExchangeNode.open({ dataDirectory: directory, logger: silentLogger, tickIntervalMs: 3_600_000, follower: false });
  server = await createApiServer({ node, mode: "development", port: 0, verifierThreads: 1 });
  base = await server.listen();
  for (const [account, usd] of [[alice, 10_000n], [bob, 1_000_000n]] as const) {
    const ack = await node.submit({ type: "deposit", account, asset: "USDC", amount: usd * 1_000_000n, reference: `0xdeposit-${account}` });
    assert.ok(ack.result.ok);
  }
  // Bob makes the market: 0.5 BTC bid at 94,900 and 0.5 BTC offered at 95,100 (tick 1, lot 0.001).
  for (const order of [limit("buy", 94_900, 500), limit("sell", 95_100, 500)]) {
    const ack = await node.submit({ type: "placeOrder", account: bob, order });
    assert.ok(ack.result.ok);
  }
});

let closed = false;
async function closeAll(): Promise<void> {
  if (closed) return;
  closed = true;
  try {
    await server?.close();
  } finally {
    await node?.close();
  }
}

after(async () => {
  await closeAll();
  rmSync(directory, { recursive: true, force: true });
});

test("ccxt loads perpdex's markets with Hyperliquid's asset ids and a precision that lands on the tick grid", async () => {
  const exchange = client(alicePrivateKey);
  const markets = await exchange.loadMarkets();
  const btc = markets[symbol]!;
  assert.equal(btc.id, "5");
  assert.equal((btc as unknown as { baseName: string }).baseName, "BTC");
  assert.deepEqual(btc.precision, { amount: 0.001, price: 1 });
  assert.equal(btc.limits.leverage?.max, 100);
  assert.deepEqual(
    Object.values(markets).flatMap((market) => (market?.swap === true ? [[market.symbol, market.id, market.precision.price, market.precision.amount]] : [])),
    [
      ["SPY/USDC:USDC", "0", 0.01, 0.01],
      ["QQQ/USDC:USDC", "1", 0.01, 0.01],
      ["AAPL/USDC:USDC", "2", 0.01, 0.01],
      ["NVDA/USDC:USDC", "3", 0.01, 0.01],
      ["TSLA/USDC:USDC", "4", 0.01, 0.01],
      ["BTC/USDC:USDC", "5", 1, 0.001],
      ["ETH/USDC:USDC", "6", 0.1, 0.01],
    ],
  );
  assert.ok(exchange.currencies["USDC"] !== undefined);
});

test("ccxt reads the order book, ticker, funding rate and balance", async () => {
  const exchange = client(alicePrivateKey);
  const book = await exchange.fetchOrderBook(symbol);
  assert.deepEqual(book.bids, [[94_900, 0.5]]);
  assert.deepEqual(book.asks, [[95_100, 0.5]]);
  const ticker = await exchange.fetchTicker(symbol);
  assert.equal(ticker.bid, 94_900);
  assert.equal(ticker.ask, 95_100);
  assert.equal(ticker.close, 95_000);
  const funding = await exchange.fetchFundingRate(symbol);
  assert.equal(funding.markPrice, 95_000);
  assert.equal(funding.indexPrice, 95_000);
  assert.equal(funding.fundingRate, 0);
  // No hour has settled yet: funding history and payments are empty, not errors.
  assert.deepEqual(await exchange.fetchFundingRateHistory(symbol), []);
  assert.deepEqual(await exchange.fetchFundingHistory(symbol), []);
  const balance = await exchange.fetchBalance();
  assert.deepEqual(balance["USDC"], { total: 10_000, used: 0, free: 10_000 });
  // The "spot" view lists the collateral tokens.
  const tokens = await exchange.fetchBalance({ type: "spot" });
  assert.deepEqual([tokens["USDC"], tokens["USDT"], tokens["DAI"]], [
    { total: 10_000, used: 0, free: 10_000 },
    { total: 0, used: 0, free: 0 },
    { total: 0, used: 0, free: 0 },
  ]);
  const asked = Date.now();
  const time = (await exchange.fetchTime())!;
  assert.ok(time >= asked && time <= Date.now(), `server time ${time}`);
  assert.equal((await exchange.fetchStatus()).status, "ok");
});

test("ccxt places, finds and cancels limit and post-only orders", async () => {
  const exchange = client(alicePrivateKey);
  await exchange.setLeverage(20, symbol, { marginMode: "isolated" });
  const placed = await exchange.createOrder(symbol, "limit", "buy", 0.01, 94_000);
  assert.match(placed.id!, /^\d+$/);
  const postOnly = await exchange.createOrder(symbol, "limit", "buy", 0.015, 94_500, { postOnly: true, clientOrderId: "0x000000000000000000000000000000aa" });
  const open = await exchange.fetchOpenOrders(symbol);
  assert.deepEqual(
    open.map((order) => [order.id, order.side, order.price, order.amount, order.remaining, order.status, order.postOnly, order.clientOrderId ?? null]).sort(),
    [
      [placed.id, "buy", 94_000, 0.01, 0.01, "open", false, null],
      [postOnly.id, "buy", 94_500, 0.015, 0.015, "open", true, "0x000000000000000000000000000000aa"],
    ].sort(),
  );
  const fetched = await exchange.fetchOrder(placed.id!, symbol);
  assert.equal(fetched.status, "open");
  assert.equal(fetched.timeInForce, "GTC");
  // Reserved for the two bids: initial margin at 20x, (0.01 × 94,000 + 0.015 × 94,500) / 20 = 117.875,
  // plus their maker fee, 0.02 % of 2,357.5 = 0.4715.
  assert.deepEqual((await exchange.fetchBalance())["USDC"], { total: 10_000, used: 118.3465, free: 9_881.6535 });
  // editOrder is Hyperliquid's batchModify: a cancel-replace, so the order gets a new id.
  const edited = await exchange.editOrder(placed.id!, symbol, "limit", "buy", 0.01, 94_100);
  assert.notEqual(edited.id, placed.id);
  assert.equal((await exchange.fetchOrder(placed.id!, symbol)).status, "canceled");
  const moved = await exchange.fetchOrder(edited.id!, symbol);
  assert.deepEqual([moved.status, moved.price, moved.amount], ["open", 94_100, 0.01]);
  const canceled = await exchange.cancelOrder(edited.id!, symbol);
  assert.equal(canceled.status, "success");
  await exchange.cancelOrder("", symbol, { clientOrderId: "0x000000000000000000000000000000aa" });
  assert.equal((await exchange.fetchOrder(edited.id!, symbol)).status, "canceled");
  assert.equal((await exchange.fetchOrder("0x000000000000000000000000000000aa", symbol)).status, "canceled");
  assert.deepEqual(await exchange.fetchOpenOrders(symbol), []);
  // Order history (Hyperliquid's historicalOrders): the replaced, the edited and the post-only order.
  assert.deepEqual((await exchange.fetchCanceledOrders(symbol)).map((order) => order.id).sort(), [placed.id, edited.id, postOnly.id].sort());
});

test("ccxt market and reduce-only orders trade against the book; positions, trades and candles follow", async () => {
  const exchange = client(alicePrivateKey);
  // ccxt sends a market buy as an IOC limit at 95,000 × 1.05 = 99,750; it fills at bob's 95,100.
  const bought = await exchange.createOrder(symbol, "market", "buy", 0.02, 95_000);
  assert.equal(bought.filled, 0.02);
  assert.equal(bought.average, 95_100);
  const candles = await exchange.fetchOHLCV(symbol, "1m");
  assert.equal(candles.length, 1);
  assert.deepEqual(candles[0]!.slice(1), [95_100, 95_100, 95_100, 95_100, 0.02]);
  const [position, ...others] = await exchange.fetchPositions([symbol]);
  assert.equal(others.length, 0);
  assert.equal(position!.side, "long");
  assert.equal(position!.contracts, 0.02);
  assert.equal(position!.entryPrice, 95_100);
  assert.equal(position!.marginMode, "isolated");
  assert.equal(position!.leverage, 20);
  assert.equal(position!.notional, 1_900);
  // Isolated margin 1,902 / 20 = 95.1; Hyperliquid's marginUsed adds the unrealised PnL at mark 95,000: −2.
  assert.equal(position!.collateral, 93.1);
  await exchange.addMargin(symbol, 10);
  assert.equal((await exchange.fetchPositions([symbol]))[0]!.collateral, 103.1);
  // Removing margin must leave the initial margin at mark (95) plus the loss (2): at most 8.1 of 105.1.
  await rejectsWith(exchange.reduceMargin(symbol, 10), ccxt.ExchangeError, /MARGIN_ADJUST_INVALID: at most 8\.1 USDC can be removed/);
  await exchange.reduceMargin(symbol, 8.1);
  assert.equal((await exchange.fetchPositions([symbol]))[0]!.collateral, 95);
  const trades = await exchange.fetchMyTrades(symbol);
  assert.equal(trades.length, 1);
  assert.equal(trades[0]!.price, 95_100);
  assert.equal(trades[0]!.amount, 0.02);
  assert.equal(trades[0]!.side, "buy");
  assert.equal(trades[0]!.takerOrMaker, "taker");
  // Taker fee 0.1 % of 1,902.
  assert.equal(trades[0]!.fee!.cost, 1.902);
  assert.equal(trades[0]!.order, bought.id);
  // A reduce-only buy would add to the long: refused as Hyperliquid refuses it.
  await rejectsWith(exchange.createOrder(symbol, "limit", "buy", 0.01, 94_000, { reduceOnly: true }), ccxt.InvalidOrder, /Reduce only order would increase position\. .* asset=5/);
  const closed = await exchange.createOrder(symbol, "market", "sell", 0.02, 95_000, { reduceOnly: true });
  assert.equal(closed.filled, 0.02);
  assert.equal(closed.average, 94_900);
  assert.deepEqual(await exchange.fetchPositions([symbol]), []);
  assert.equal((await exchange.fetchMyTrades(symbol)).length, 2);
  const filled = await exchange.fetchClosedOrders(symbol);
  assert.deepEqual(filled.map((order) => [order.id, order.status, order.filled]).sort(), [[bought.id, "closed", 0.02], [closed.id, "closed", 0.02]].sort());
});

test("refusals raise the ccxt error class a Hyperliquid user would get", async () => {
  const exchange = client(alicePrivateKey);
  await exchange.loadMarkets();
  // 2 BTC at 20x needs about 9,400 of margin plus fees; alice has about 10,000 less the fees paid — so 3 BTC.
  await rejectsWith(exchange.createOrder(symbol, "limit", "buy", 3, 94_000), ccxt.InsufficientFunds, /Insufficient margin to place order\. .* asset=5/);
  await rejectsWith(exchange.createOrder(symbol, "limit", "buy", 0.01, 95_100, { postOnly: true }), ccxt.InvalidOrder, /Post only order would have immediately matched, .* asset=5/);
  await rejectsWith(exchange.createOrder(symbol, "limit", "buy", 0.01, 90_000, { timeInForce: "Ioc" }), ccxt.InvalidOrder, /Order could not immediately match against any resting orders\. asset=5/);
  await rejectsWith(exchange.createOrder(symbol, "limit", "buy", 0.01, 120_000), ccxt.InvalidOrder, /Order price cannot be more than 80% away from the reference price; .* asset=5/);
  await rejectsWith(exchange.cancelOrder("123456789", symbol), ccxt.OrderNotFound, /Order was never placed, already canceled, or filled\./);
  await rejectsWith(exchange.fetchOrder("123456789", symbol), ccxt.OrderNotFound, /unknownOid/);
  // ccxt itself never sends an off-grid price for these markets; a hand-made request gets the nearest valid ones.
  const action = { type: "order", orders: [{ a: 5, b: true, p: "94000.5", s: "0.01", r: false, t: { limit: { tif: "Gtc" } } }], grouping: "na" };
  const nonce = exchange.milliseconds();
  const request = { action, nonce, signature: exchange.signL1Action(action, nonce) };
  await rejectsWith(
    exchange.privatePostExchange(request),
    ccxt.InvalidOrder,
    /Price must be divisible by tick size\. price 94000\.5 is not a multiple of the tick size 1; nearest valid prices are 94000 and 94001\. asset=5/,
  );
  // The same signed request again is a replay.
  const replay = await post("/exchange", request);
  assert.equal(replay.code, "NONCE_REUSED");
  // A key that never deposited is an unknown user, as on Hyperliquid.
  const stranger = client(strangerPrivateKey);
  const strangerAddress = privateKeyToAccount(strangerPrivateKey).address.toLowerCase();
  await rejectsWith(stranger.createOrder(symbol, "limit", "buy", 0.01, 94_000), ccxt.InvalidOrder, new RegExp(`User or API Wallet ${strangerAddress} does not exist`));
  assert.deepEqual(await exchange.fetchOpenOrders(symbol), []);
  // Once it deposits 100 USDC it exists; 0.02 BTC at 10x needs 188 of margin.
  assert.ok((await node.submit({ type: "deposit", account: strangerAddress, asset: "USDC", amount: 100_000_000n, reference: "0xstranger" })).result.ok);
  await rejectsWith(stranger.createOrder(symbol, "limit", "buy", 0.02, 94_000), ccxt.InsufficientFunds, /Insufficient margin to place order\. .*asset=5/);
  await rejectsWith(stranger.withdraw("USDC", 101, strangerAddress), ccxt.InsufficientFunds, /Insufficient balance for withdrawal\./);
  await rejectsWith(stranger.withdraw("USDC", 1, alice), ccxt.ExchangeError, /releases collateral to the owner's wallet only/);
  await stranger.withdraw("USDC", 40, strangerAddress);
  assert.deepEqual((await stranger.fetchBalance())["USDC"], { total: 60, used: 0, free: 60 });
});

// Exactly this class (ccxt's OrderNotFound is also an InvalidOrder) and a message that says why.
async function rejectsWith(promise: Promise<unknown>, errorClass: new (...parameters: never[]) => Error, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: Error) => {
    assert.equal(error.constructor, errorClass, `${error.constructor.name}: ${error.message}`);
    assert.match(error.message, pattern);
    return true;
  });
}

async function post(route: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${base}${route}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return (await response.json()) as Record<string, unknown>;
}

test("an API wallet approved with Hyperliquid's approveAgent trades for the account, and only trades", async () => {
  const agentPrivateKey = "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a";
  const agent = privateKeyToAccount(agentPrivateKey).address.toLowerCase() as `0x${string}`;
  const exchange = client(alicePrivateKey);
  await exchange.loadMarkets();
  const nonce = exchange.milliseconds();
  const signature = await privateKeyToAccount(alicePrivateKey).signTypedData({
    domain: { name: "HyperliquidSignTransaction", version: "1", chainId: 421_614, verifyingContract: "0x0000000000000000000000000000000000000000" },
    types: {
      "HyperliquidTransaction:ApproveAgent": [
        { name: "hyperliquidChain", type: "string" },
        { name: "agentAddress", type: "address" },
        { name: "agentName", type: "string" },
        { name: "nonce", type: "uint64" },
      ],
    },
    primaryType: "HyperliquidTransaction:ApproveAgent",
    message: { hyperliquidChain: "Mainnet", agentAddress: agent, agentName: "bot", nonce: BigInt(nonce) },
  });
  const action = { type: "approveAgent", signatureChainId: "0x66eee", hyperliquidChain: "Mainnet", agentAddress: agent, agentName: "bot", nonce };
  const approved = await post("/exchange", { action, nonce, signature: { r: signature.slice(0, 66), s: `0x${signature.slice(66, 130)}`, v: Number.parseInt(signature.slice(130), 16) } });
  assert.deepEqual(approved, { status: "ok", response: { type: "default" } });
  // How Hyperliquid bots run ccxt: the account's address, the API wallet's key.
  const bot = new ccxt.hyperliquid({ walletAddress: alice, privateKey: agentPrivateKey, enableRateLimit: false });
  bot.urls["api"] = { public: base, private: base };
  const placed = await bot.createOrder(symbol, "limit", "buy", 0.01, 94_000);
  assert.deepEqual((await exchange.fetchOpenOrders(symbol)).map((order) => order.id), [placed.id]);
  await rejectsWith(bot.setLeverage(5, symbol, { marginMode: "isolated" }), ccxt.ExchangeError, new RegExp(`API wallet ${agent} may place, modify and cancel orders for ${alice}; sign updateLeverage with the account's own key`));
  assert.equal((await bot.cancelOrder(placed.id!, symbol)).status, "success");
  assert.deepEqual(await exchange.fetchOpenOrders(symbol), []);
  // Once bob approves the same key too, a request signed by it cannot say whose it is: refused. The
  // index follows approvals and revocations made by any route (here straight through the node).
  const expiresAt = BigInt(Date.now() + 3_600_000) * 1_000_000n;
  assert.ok((await node.submit({ type: "approveAgent", account: bob, agent, name: "shared", expiresAt, markets: "", maxOrderNotional: 0 })).result.ok);
  await rejectsWith(bot.createOrder(symbol, "limit", "buy", 0.01, 94_000), ccxt.ExchangeError, new RegExp(`API wallet ${agent} is approved by 2 accounts`));
  assert.ok((await node.submit({ type: "revokeAgent", account: bob, agent })).result.ok);
  const again = await bot.createOrder(symbol, "limit", "buy", 0.01, 94_000);
  assert.equal((await bot.cancelOrder(again.id!, symbol)).status, "success");
});

test("hand-made requests: tampering, vaults, expiry, stale nonces, mixed batches and unknown actions are answered, never executed", async () => {
  const exchange = client(alicePrivateKey);
  await exchange.loadMarkets();
  const signed = (action: Record<string, unknown>, nonce = exchange.milliseconds()) => ({ action, nonce, signature: exchange.signL1Action(action, nonce) });
  const order = (price: string, extra: Record<string, unknown> = {}) => ({ a: 5, b: true, p: price, s: "0.01", r: false, t: { limit: { tif: "Gtc" } }, ...extra });
  const sequenceBefore = node.lastSequence;
  // Changing one byte of the signed action changes its hash, so the signature names another (unknown) signer.
  const genuine = JSON.stringify(signed({ type: "order", orders: [order("94000")], grouping: "na" }));
  const tampered = await postText("/exchange", genuine.replace('"s":"0.01"', '"s":"0.02"'));
  assert.equal(tampered.status, "err");
  assert.match(String(tampered.response), /^User or API Wallet 0x[0-9a-f]{40} does not exist/);
  assert.doesNotMatch(String(tampered.response), new RegExp(alice));
  const vault = await post("/exchange", { ...signed({ type: "order", orders: [order("94000")], grouping: "na" }), vaultAddress: "0x" + "12".repeat(20) });
  assert.match(String(vault.response), /Vaults and sub-accounts do not exist on perpdex/);
  const stale = await post("/exchange", signed({ type: "order", orders: [order("94000")], grouping: "na" }, exchange.milliseconds() - 600_000));
  assert.equal(stale.code, "NONCE_OUTSIDE_WINDOW");
  const expiring = { type: "order", orders: [order("94000")], grouping: "na" };
  const nonce = exchange.milliseconds();
  const expiresAfter = nonce - 1_000;
  const connectionId = `0x${Buffer.from(exchange.actionHash(expiring, undefined, nonce, expiresAfter) as Uint8Array).toString("hex")}` as const;
  const signature = await privateKeyToAccount(alicePrivateKey).signTypedData({
    domain: { name: "Exchange", version: "1", chainId: 1337, verifyingContract: "0x0000000000000000000000000000000000000000" },
    types: { Agent: [{ name: "source", type: "string" }, { name: "connectionId", type: "bytes32" }] },
    primaryType: "Agent",
    message: { source: "a", connectionId },
  });
  const expired = await post("/exchange", { action: expiring, nonce, expiresAfter, signature: { r: signature.slice(0, 66), s: `0x${signature.slice(66, 130)}`, v: Number.parseInt(signature.slice(130), 16) } });
  assert.match(String(expired.response), /^Action expired: expiresAfter \d+ is before the server time/);
  // A signer that hashed the action as written ("7" after "cancels", 1.0 a float) is recognised: the
  // server hashes the received text, where JSON.parse would move "7" first and read 1.0 as the integer 1.
  const written = '{"type":"cancel","cancels":[{"a":5,"o":1}],"7":1.0}';
  const writtenNonce = exchange.milliseconds();
  const writtenSignature = await privateKeyToAccount(alicePrivateKey).signTypedData({
    domain: { name: "Exchange", version: "1", chainId: 1337, verifyingContract: "0x0000000000000000000000000000000000000000" },
    types: { Agent: [{ name: "source", type: "string" }, { name: "connectionId", type: "bytes32" }] },
    primaryType: "Agent",
    message: { source: "a", connectionId: actionHash({ action: parseWireJson(written), nonce: BigInt(writtenNonce) }) },
  });
  const writtenBody = `{"action":${written},"nonce":${writtenNonce},"signature":{"r":"${writtenSignature.slice(0, 66)}","s":"0x${writtenSignature.slice(66, 130)}","v":${Number.parseInt(writtenSignature.slice(130), 16)}}}`;
  const writtenAnswer = await postText("/exchange", writtenBody);
  assert.equal(writtenAnswer.status, "ok", JSON.stringify(writtenAnswer));
  assert.match(JSON.stringify(writtenAnswer.response), /Order was never placed, already canceled, or filled\. order 1 is not an open order/);
  const unsupported = await post("/exchange", signed({ type: "usdSend", destination: bob, amount: "1" }));
  assert.match(String(unsupported.response), /^Unsupported action type "usdSend"/);
  // Only the recognised cancel reached the node (a refused command still takes a sequence number).
  assert.equal(node.lastSequence, sequenceBefore + 1);
  // One action, two orders: a TP/SL trigger (refused) and a limit order (rests); one batch command.
  const mixed = await post("/exchange", signed({ type: "order", orders: [order("93000", { t: { trigger: { isMarket: true, triggerPx: "93000", tpsl: "sl" } } }), order("93000")], grouping: "na" }));
  const statuses = (mixed.response as { data: { statuses: Record<string, unknown>[] } }).data.statuses;
  assert.match(String(statuses[0]!.error), /^Trigger \(TP\/SL\) orders are not supported on perpdex/);
  const oid = (statuses[1]!.resting as { oid: number }).oid;
  const cancels = await post("/exchange", signed({ type: "cancel", cancels: [{ a: 5, o: oid }, { a: 5, o: oid }] }));
  assert.deepEqual((cancels.response as { data: unknown }).data, {
    statuses: ["success", { error: `Order was never placed, already canceled, or filled. order ${oid} is not an open order of this account in BTC-PERP. asset=5` }],
  });
});

test("/info refuses what it does not know with Hyperliquid's error shape", async () => {
  for (const [body, pattern] of [
    [{ type: "nope" }, /^Unsupported info type "nope"; perpdex answers meta, /],
    [{ type: "l2Book", coin: "DOGE" }, /^Unknown coin "DOGE"; perpdex lists SPY, QQQ, AAPL, NVDA, TSLA, BTC, ETH$/],
    [{ type: "clearinghouseState", user: "alice" }, /^"user" must be a 20-byte hex address/],
    [{ type: "candleSnapshot", req: { coin: "BTC", interval: "7m", startTime: 0, endTime: 1 } }, /^req\.interval must be one of 1m, 5m, 15m, 1h, 4h, 1d/],
  ] as const) {
    const answer = await post("/info", body);
    assert.equal(answer.status, "err");
    assert.match(String(answer.response), pattern);
  }
  assert.equal((await postText("/info", "{not json")).code, "JSON_MALFORMED");
});

test("fuzz: 1,000 mangled /exchange bodies get no 5xx and change nothing", async () => {
  const exchange = client(alicePrivateKey);
  await exchange.loadMarkets();
  const nonce = exchange.milliseconds();
  const action = { type: "order", orders: [{ a: 5, b: true, p: "94000", s: "0.01", r: false, t: { limit: { tif: "Gtc" } } }], grouping: "na" };
  const genuine = JSON.stringify({ action, nonce, signature: exchange.signL1Action(action, nonce) });
  assert.equal((await postText("/exchange", genuine)).status, "ok");
  const before = node.stateHash();
  // A seeded generator (xorshift32): a failure names its seed.
  const seed = 0x5eed1e;
  let state = seed;
  const next = (bound: number) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % bound;
  };
  const junk = ['"', "{", "}", "[", "]", ",", ":", "-", "1e999", "null", "true", "0x", "\\u0000", "9".repeat(40), " ", "é"];
  for (let round = 0; round < 1_000; round += 1) {
    const chars = [...genuine];
    const edits = 1 + next(4);
    for (let edit = 0; edit < edits; edit += 1) {
      const at = next(chars.length);
      const kind = next(3);
      if (kind === 0) chars.splice(at, 1 + next(8));
      else if (kind === 1) chars.splice(at, 0, junk[next(junk.length)]!);
      else chars[at] = String.fromCharCode(32 + next(95));
    }
    const response = await fetch(`${base}/exchange`, { method: "POST", headers: { "content-type": "application/json" }, body: chars.join("") });
    assert.ok(response.status < 500, `seed ${seed} round ${round}: status ${response.status} for ${chars.join("")}`);
    await response.arrayBuffer();
  }
  assert.equal(node.stateHash(), before);
});

test("a client over its rate limit gets ccxt's RateLimitExceeded", async () => {
  const exchange = client(alicePrivateKey);
  await exchange.loadMarkets();
  // The bucket refills a token every 600 ms: on a slow machine one may arrive between the last 429 and
  // ccxt's request, which then succeeds. Drain and ask again; any other error fails at once.
  let raised = false;
  for (let attempt = 0; attempt < 5 && !raised; attempt += 1) {
    let limited = false;
    for (let request = 0; request < 400 && !limited; request += 1) limited = (await fetch(`${base}/info`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"type":"l2Book","coin":"BTC"}' })).status === 429;
    assert.ok(limited);
    try {
      await exchange.fetchOrderBook(symbol);
    } catch (error) {
      assert.equal((error as Error).constructor, ccxt.RateLimitExceeded, `${(error as Error).constructor.name}: ${(error as Error).message}`);
      assert.match((error as Error).message, /Too many cumulative requests sent/);
      raised = true;
    }
  }
  assert.ok(raised, "ccxt never raised RateLimitExceeded");
});

test("an auditor re-verifies every Hyperliquid-signed command from the journal: its signer is its account", async () => {
  await closeAll();
  const journal = await Journal.open({ directory: path.join(directory, "journal"), logger: silentLogger });
  const signers = new Map<string, number>();
  try {
    for (const record of journal.read({ fromSequence: 1n })) {
      if (record.kind !== "command" || record.auth === undefined) continue;
      const command = decodeCommandBinary(record.payload) as { type: string; account: string; agent?: string };
      const signer = await recoverEnvelopeSigner(Uint8Array.from(record.auth));
      // The approveAgent command's `agent` is the key approved, signed by the account's wallet.
      const expected = command.type === "approveAgent" ? command.account : (command.agent ?? command.account);
      assert.equal(signer, expected, `sequence ${record.sequence} (${command.type})`);
      signers.set(signer, (signers.get(signer) ?? 0) + 1);
    }
  } finally {
    await journal.close();
  }
  // Alice's orders, cancels, modify, leverage, margin and agent approval; her API wallet's order and
  // cancel; the stranger's refused order and withdrawal and its accepted withdrawal (refused commands are
  // journaled too). The unknown signer's order never was.
  assert.ok((signers.get(alice) ?? 0) >= 20, JSON.stringify([...signers]));
  assert.equal(signers.get(privateKeyToAccount(strangerPrivateKey).address.toLowerCase()), 3);
  assert.equal(signers.get(privateKeyToAccount("0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a").address.toLowerCase()), 4);
  assert.equal(signers.size, 3);
});

async function postText(route: string, body: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${base}${route}`, { method: "POST", headers: { "content-type": "application/json" }, body });
  return (await response.json()) as Record<string, unknown>;
}
