// A full trading session over real HTTP against a real node: faucet, orders filling between two
// wallets, positions and balances, cancels, a withdrawal; then the attacks the auth scheme exists for
// (a replayed nonce, a forged signature, another account's order) and the grid errors.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { hashTypedData } from "viem";
import { actionTypedData } from "@perpdex/protocol";
import { call, newWallet, nextNonce, readHeaders, signedBody, startHarness, steppingClock, type Harness } from "./api-harness.ts";

let harness: Harness;
const maker = newWallet();
const taker = newWallet();
const stranger = newWallet();
let makerOrderId = "";

before(async () => {
  // Each command at its own millisecond: an order id built from a later command's time would differ.
  harness = await startHarness({ clock: steppingClock() });
});
after(async () => {
  await harness?.close();
});

const order = (side: "buy" | "sell", price: string, size: string, extra: Record<string, unknown> = {}) => ({ market: "BTC-PERP", side, orderType: "limit" as const, price, size, ...extra });

test("the faucet credits test collateral in development mode", async () => {
  for (const wallet of [maker, taker]) {
    const reply = await call(harness.url, "POST", "/v1/dev/faucet", { body: { address: wallet.address, amount: "10000" } });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const account = await call(harness.url, "GET", "/v1/account", { headers: await readHeaders(wallet) });
    assert.equal(account.status, 200);
    assert.deepEqual(account.body.balances, { USDC: "10000", USDT: "0", DAI: "0" });
  }
});

test("markets list their tiers and limits as decimal strings (USD, fractions)", async () => {
  const reply = await call(harness.url, "GET", "/v1/markets/BTC-PERP");
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  const market = reply.body as { marginTiers: Record<string, unknown>[]; riskLimits: Record<string, unknown> };
  // BTC is a crypto market on the PRD profile: 100x up to $10,000 at 1 % initial / 0.6 % maintenance.
  assert.deepEqual(market.marginTiers[0], { notionalFloor: "0", leverageMax: 100, initialMarginRate: "0.01", maintenanceMarginRate: "0.006", maintenanceAmount: "0" });
  assert.equal(market.marginTiers[1]!.notionalFloor, "10000");
  // PRD §2.7.1: $100M open interest, $5M per trader, $1M per order, 20 % of open interest above $5M.
  assert.deepEqual(market.riskLimits, {
    openInterestMax: "100000000",
    positionNotionalMax: "5000000",
    orderNotionalMax: "1000000",
    concentrationMax: "0.2",
    concentrationOpenInterestMin: "5000000",
  });
});

test("a resting sell fills against a buy from another wallet", async () => {
  const rest = await call(harness.url, "POST", "/v1/orders", {
    body: await signedBody(maker, "PlaceOrders", { account: maker.address, orders: [order("sell", "95000", "0.01", { postOnly: true, clientOrderId: "ask-1" })] }),
  });
  assert.equal(rest.status, 200, JSON.stringify(rest.body));
  const [resting] = rest.body.results as Record<string, unknown>[];
  assert.equal(resting!.status, "open");
  assert.equal(resting!.remaining, "0.01");
  makerOrderId = resting!.orderId as string;

  const book = await call(harness.url, "GET", "/v1/markets/BTC-PERP/book?depth=5");
  assert.deepEqual(book.body.asks, [["95000", "0.01", "1"]]);

  const take = await call(harness.url, "POST", "/v1/orders", {
    body: await signedBody(taker, "PlaceOrders", { account: taker.address, orders: [order("buy", "95000", "0.004", { timeInForce: "IOC" })] }),
  });
  assert.equal(take.status, 200, JSON.stringify(take.body));
  const [taken] = take.body.results as Record<string, unknown>[];
  assert.deepEqual({ status: taken!.status, filled: taken!.filled, averagePrice: taken!.averagePrice }, { status: "filled", filled: "0.004", averagePrice: "95000" });

  const trades = await call(harness.url, "GET", "/v1/markets/BTC-PERP/trades?limit=10");
  const [trade] = trades.body.trades as Record<string, unknown>[];
  assert.deepEqual({ price: trade!.price, size: trade!.size, takerSide: trade!.takerSide }, { price: "95000", size: "0.004", takerSide: "buy" });
  const candles = await call(harness.url, "GET", "/v1/markets/BTC-PERP/candles?interval=1m&limit=5");
  const [candle] = candles.body.candles as Record<string, unknown>[];
  assert.deepEqual({ open: candle!.open, close: candle!.close, volume: candle!.volume, trades: candle!.trades }, { open: "95000", close: "95000", volume: "0.004", trades: 1 });
  const ticker = await call(harness.url, "GET", "/v1/markets/BTC-PERP/ticker");
  assert.equal(ticker.body.lastPrice, "95000");
  assert.equal(ticker.body.openInterest, "0.004");
});

test("positions, fills and balances of both sides", async () => {
  const makerPositions = await call(harness.url, "GET", "/v1/account/positions", { headers: await readHeaders(maker) });
  const [short] = makerPositions.body.positions as Record<string, unknown>[];
  assert.deepEqual({ side: short!.side, size: short!.size, entryPrice: short!.entryPrice }, { side: "short", size: "-0.004", entryPrice: "95000" });
  assert.equal(typeof short!.liquidationPrice, "string");
  assert.equal(short!.adlRank, 1);
  const takerPositions = await call(harness.url, "GET", "/v1/account/positions", { headers: await readHeaders(taker) });
  const [long] = takerPositions.body.positions as Record<string, unknown>[];
  assert.deepEqual({ side: long!.side, size: long!.size, entryPrice: long!.entryPrice }, { side: "long", size: "0.004", entryPrice: "95000" });

  const takerFills = await call(harness.url, "GET", "/v1/account/fills", { headers: await readHeaders(taker) });
  const [fill] = takerFills.body.items as Record<string, unknown>[];
  assert.deepEqual({ side: fill!.side, price: fill!.price, size: fill!.size, liquidity: fill!.liquidity }, { side: "buy", price: "95000", size: "0.004", liquidity: "taker" });
  // 0.004 BTC at 95,000 is 380 USD: the taker pays 0.1 % (0.38 USDC) and its isolated position holds
  // 380 / 10x = 38 USDC of margin, both out of its 10,000 USDC.
  assert.equal(fill!.fee, "0.38");
  assert.equal(long!.margin, "38");
  const account = await call(harness.url, "GET", "/v1/account", { headers: await readHeaders(taker) });
  assert.equal((account.body.balances as Record<string, string>).USDC, "9961.62");
  const makerOrders = await call(harness.url, "GET", "/v1/account/orders?status=open", { headers: await readHeaders(maker) });
  const [open] = makerOrders.body.orders as Record<string, unknown>[];
  assert.deepEqual({ orderId: open!.orderId, status: open!.status, filled: open!.filled, remaining: open!.remaining }, { orderId: makerOrderId, status: "partiallyFilled", filled: "0.004", remaining: "0.006" });
});

test("a maker fill names its order by the id the place response and the order list gave", async () => {
  // The fill happened a command after the order was placed; the order's UUIDv7 keeps the placing time.
  const makerFills = await call(harness.url, "GET", "/v1/account/fills", { headers: await readHeaders(maker) });
  const [fill] = makerFills.body.items as Record<string, unknown>[];
  assert.deepEqual({ orderId: fill!.orderId, liquidity: fill!.liquidity }, { orderId: makerOrderId, liquidity: "maker" });
  // Hyperliquid's view names orders by number: the fill's oid is the open order's oid.
  const info = async (type: string): Promise<unknown> => (await call(harness.url, "POST", "/info", { body: { type, user: maker.address } })).body;
  const [hyperliquidOrder] = (await info("openOrders")) as { oid: number }[];
  const [hyperliquidFill] = (await info("userFills")) as { oid: number }[];
  assert.equal(hyperliquidFill!.oid, hyperliquidOrder!.oid);
});

test("another account's order is untouchable and invisible", async () => {
  const cancel = await call(harness.url, "POST", "/v1/orders/cancel", {
    body: await signedBody(taker, "CancelOrders", { account: taker.address, cancels: [{ market: "BTC-PERP", orderId: makerOrderId }] }),
  });
  assert.equal(cancel.status, 404);
  assert.equal(cancel.body.code, "ORDER_NOT_FOUND");
  const read = await call(harness.url, "GET", `/v1/account/orders/${makerOrderId}`, { headers: await readHeaders(taker) });
  assert.equal(read.status, 404);
  assert.equal(read.body.code, "ORDER_NOT_FOUND");
  // Signing for the maker's account with the taker's key is a forged request.
  const forged = await call(harness.url, "POST", "/v1/orders/cancel-all", { body: await signedBody(taker, "CancelAll", { account: maker.address }) });
  assert.equal(forged.status, 401);
  const book = await call(harness.url, "GET", "/v1/markets/BTC-PERP/book");
  assert.deepEqual(book.body.asks, [["95000", "0.006", "1"]]);
});

test("a replayed request is refused with NONCE_REUSED and changes nothing", async () => {
  const body = await signedBody(maker, "PlaceOrders", { account: maker.address, orders: [order("sell", "96000", "0.001", { clientOrderId: "replay-me" })] });
  const first = await call(harness.url, "POST", "/v1/orders", { body });
  assert.equal(first.status, 200);
  const sequence = harness.node.lastSequence;
  const replay = await call(harness.url, "POST", "/v1/orders", { body });
  assert.equal(replay.status, 409);
  assert.equal(replay.body.code, "NONCE_REUSED");
  assert.match(replay.body.message as string, /already used/);
  assert.equal(typeof replay.body.correlationId, "string");
  assert.equal(harness.node.lastSequence, sequence, "a replay never reaches the node");
  const stale = await call(harness.url, "POST", "/v1/orders/cancel-all", { body: await signedBody(maker, "CancelAll", { account: maker.address }, { nonce: Date.now() - 3_600_000 }) });
  assert.equal(stale.status, 400);
  assert.equal(stale.body.code, "NONCE_OUTSIDE_WINDOW");
});

test("a forged signature names the recovered and expected addresses and the typed-data hash", async () => {
  const fields = { account: maker.address, orders: [order("buy", "90000", "0.001")] };
  const nonce = nextNonce();
  const body = await signedBody(stranger, "PlaceOrders", fields, { nonce });
  const reply = await call(harness.url, "POST", "/v1/orders", { body });
  assert.equal(reply.status, 401);
  assert.equal(reply.body.code, "SIGNATURE_INVALID");
  const expectedHash = hashTypedData(actionTypedData({ type: "PlaceOrders", fields, nonce }) as Parameters<typeof hashTypedData>[0]);
  assert.deepEqual(reply.body.details, { recovered: stranger.address, expected: maker.address, typedDataHash: expectedHash, primaryType: "PlaceOrders" });
  // A tampered body (price changed after signing) recovers to some other address.
  const tampered = await call(harness.url, "POST", "/v1/orders", { body: { ...(await signedBody(maker, "PlaceOrders", fields)), orders: [order("buy", "90001", "0.001")] } });
  assert.equal(tampered.status, 401);
  assert.notEqual((tampered.body.details as Record<string, string>).recovered, maker.address);
});

test("an off-grid price names the two nearest valid prices", async () => {
  const reply = await call(harness.url, "POST", "/v1/orders", {
    body: await signedBody(maker, "PlaceOrders", { account: maker.address, orders: [{ market: "ETH-PERP", side: "buy", orderType: "limit", price: "3500.05", size: "0.1" }] }),
  });
  assert.equal(reply.status, 400);
  assert.equal(reply.body.code, "PRICE_OFF_TICK");
  assert.match(reply.body.message as string, /3500 and 3500\.1/);
  const size = await call(harness.url, "POST", "/v1/orders", {
    body: await signedBody(maker, "PlaceOrders", { account: maker.address, orders: [{ market: "BTC-PERP", side: "buy", orderType: "limit", price: "90000", size: "0.0015" }] }),
  });
  assert.equal(size.body.code, "SIZE_OFF_LOT");
  assert.match(size.body.message as string, /0\.001 and 0\.002/);
});

test("cancel by client order id, cancel-replace, batches of orders under one signature", async () => {
  const replaced = await call(harness.url, "POST", "/v1/orders/cancel-replace", {
    body: await signedBody(maker, "CancelReplace", { account: maker.address, replaces: { market: "BTC-PERP", clientOrderId: "replay-me" }, order: order("sell", "96500", "0.002", { clientOrderId: "replaced" }) }),
  });
  assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
  const batch = await call(harness.url, "POST", "/v1/orders", {
    body: await signedBody(maker, "PlaceOrders", {
      account: maker.address,
      orders: Array.from({ length: 20 }, (_unused, index) => order("buy", String(90_000 + index), "0.001")),
    }),
  });
  assert.equal(batch.status, 200);
  const results = batch.body.results as Record<string, unknown>[];
  assert.equal(results.length, 20);
  assert.ok(results.every((result) => result.status === "open"));
  const cancel = await call(harness.url, "POST", "/v1/orders/cancel", {
    body: await signedBody(maker, "CancelOrders", { account: maker.address, cancels: [{ market: "BTC-PERP", clientOrderId: "replaced" }] }),
  });
  assert.equal(cancel.status, 200, JSON.stringify(cancel.body));
  const all = await call(harness.url, "POST", "/v1/orders/cancel-all", { body: await signedBody(maker, "CancelAll", { account: maker.address, market: "BTC-PERP" }) });
  assert.equal(all.status, 200);
  assert.equal(all.body.canceled, 21, "20 bids and the rest of the first ask");
  const book = await call(harness.url, "GET", "/v1/markets/BTC-PERP/book");
  assert.deepEqual({ bids: book.body.bids, asks: book.body.asks }, { bids: [], asks: [] });
});

test("a withdrawal leaves the account and shows in its history", async () => {
  const before = await call(harness.url, "GET", "/v1/account", { headers: await readHeaders(maker) });
  const cash = Math.round(Number((before.body.balances as Record<string, string>).USDC) * 1_000_000);
  const reply = await call(harness.url, "POST", "/v1/withdrawals", { body: await signedBody(maker, "Withdraw", { account: maker.address, asset: "USDC", amount: "100" }) });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  const afterReply = await call(harness.url, "GET", "/v1/account", { headers: await readHeaders(maker) });
  assert.equal(Math.round(Number((afterReply.body.balances as Record<string, string>).USDC) * 1_000_000), cash - 100_000_000);
  const history = await call(harness.url, "GET", "/v1/account/withdrawals", { headers: await readHeaders(maker) });
  const [withdrawal] = history.body.items as Record<string, unknown>[];
  assert.deepEqual({ asset: withdrawal!.asset, amount: withdrawal!.amount }, { asset: "USDC", amount: "100" });
  const tooMuch = await call(harness.url, "POST", "/v1/withdrawals", { body: await signedBody(maker, "Withdraw", { account: maker.address, asset: "USDC", amount: "1000000" }) });
  assert.equal(tooMuch.status, 422);
  assert.match(tooMuch.body.code as string, /^WITHDRAWAL_/);
});

test("health, metrics, OpenAPI and the docs page", async () => {
  const health = await call(harness.url, "GET", "/health");
  assert.equal(health.status, 200);
  assert.equal(health.body.status, "healthy");
  const metrics = await fetch(`${harness.url}/metrics`).then((response) => response.text());
  assert.match(metrics, /perpdex_commands_total\{type="placeOrder",outcome="accepted"\}/);
  assert.match(metrics, /perpdex_book_levels/);
  assert.match(metrics, /perpdex_checkpoints\{state="skipped"\} 0\n/);
  const openapi = await call(harness.url, "GET", "/docs/openapi.json");
  assert.equal(openapi.body.openapi, "3.1.0");
  assert.ok(Object.keys(openapi.body.paths as object).includes("/v1/orders"));
  const page = await fetch(`${harness.url}/docs`).then((response) => response.text());
  assert.match(page, /POST \/v1\/orders/);
});
