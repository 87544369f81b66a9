// Agent keys end to end: a wallet approves a named, expiring key limited to one market and a largest
// order notional; the core enforces the scope on every order the key signs; the key cannot move money;
// revocation and expiry stop it at once; the approval survives a restart (it is logged state).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { call, newWallet, readHeaders, signedBody, startHarness, type Harness } from "./api-harness.ts";

let harness: Harness;
const wallet = newWallet();
const bot = newWallet();
const btc = (size: string) => ({ market: "BTC-PERP", side: "buy" as const, orderType: "limit" as const, price: "94000", size });

before(async () => {
  harness = await startHarness();
  await call(harness.url, "POST", "/v1/dev/faucet", { body: { address: wallet.address, amount: "50000" } });
});
after(async () => {
  await harness?.close();
});

const asBot = async (orders: ReturnType<typeof btc>[]) =>
  call(harness.url, "POST", "/v1/orders", { body: await signedBody(bot, "PlaceOrders", { account: wallet.address, orders }, { asAgent: true }) });

test("an unapproved key is refused before anything is sequenced", async () => {
  const sequence = harness.node.lastSequence;
  const reply = await asBot([btc("0.001")]);
  assert.equal(reply.status, 403);
  assert.equal(reply.body.code, "AGENT_NOT_APPROVED");
  assert.equal(harness.node.lastSequence, sequence);
});

test("an approved agent trades within its market and notional scope only", async () => {
  const approve = await call(harness.url, "POST", "/v1/agents", {
    body: await signedBody(wallet, "ApproveAgent", { account: wallet.address, agent: bot.address, name: "grid-bot", expiresAt: Date.now() + 3_600_000, markets: ["BTC-PERP"], maxOrderNotional: "1000" }),
  });
  assert.equal(approve.status, 200, JSON.stringify(approve.body));
  const placed = await asBot([btc("0.01")]);
  assert.equal(placed.status, 200, JSON.stringify(placed.body));
  assert.equal((placed.body.results as Record<string, unknown>[])[0]!.status, "open");
  // 0.02 BTC at 94,000 is 1,880 USD: above the 1,000 USD the wallet allowed.
  const tooBig = await asBot([btc("0.02")]);
  assert.equal(tooBig.status, 422);
  assert.equal(tooBig.body.code, "AGENT_NOT_AUTHORIZED");
  assert.deepEqual(tooBig.body.details, { maxOrderNotional: "1000000000", notional: "1880000000" });
  const otherMarket = await call(harness.url, "POST", "/v1/orders", {
    body: await signedBody(bot, "PlaceOrders", { account: wallet.address, orders: [{ market: "ETH-PERP", side: "buy", orderType: "limit", price: "3400", size: "0.1" }] }, { asAgent: true }),
  });
  assert.equal(otherMarket.status, 422);
  assert.equal(otherMarket.body.code, "AGENT_NOT_AUTHORIZED");
  assert.match(otherMarket.body.message as string, /BTC-PERP only, not ETH-PERP/);
  // Reads with the agent's signature see the wallet's account.
  const orders = await call(harness.url, "GET", "/v1/account/orders?status=open", { headers: await readHeaders(bot, { account: wallet.address, asAgent: true }) });
  assert.equal(orders.status, 200);
  assert.equal((orders.body.orders as unknown[]).length, 1);
  const agents = await call(harness.url, "GET", "/v1/account/agents", { headers: await readHeaders(wallet) });
  const [listed] = agents.body.agents as Record<string, unknown>[];
  assert.deepEqual({ agent: listed!.agent, name: listed!.name, markets: listed!.markets }, { agent: bot.address, name: "grid-bot", markets: ["BTC-PERP"] });
});

test("an agent can never move money or manage keys", async () => {
  const withdraw = await call(harness.url, "POST", "/v1/withdrawals", { body: await signedBody(bot, "Withdraw", { account: wallet.address, asset: "USDC", amount: "1" }, { asAgent: true }) });
  assert.equal(withdraw.status, 403);
  assert.equal(withdraw.body.code, "AGENT_NOT_APPROVED");
  const approve = await call(harness.url, "POST", "/v1/agents", {
    body: await signedBody(bot, "ApproveAgent", { account: wallet.address, agent: newWallet().address, name: "x", expiresAt: Date.now() + 60_000 }, { asAgent: true }),
  });
  assert.equal(approve.status, 403);
});

test("the approval survives a restart: it is logged state", async () => {
  const hash = harness.node.stateHash();
  harness = await harness.restart();
  assert.equal(harness.node.stateHash(), hash);
  const placed = await asBot([btc("0.001")]);
  assert.equal(placed.status, 200, JSON.stringify(placed.body));
  // History came back through the replay too.
  const orders = await call(harness.url, "GET", "/v1/account/orders?status=open", { headers: await readHeaders(wallet) });
  assert.equal((orders.body.orders as unknown[]).length, 2);
});

test("revocation and expiry stop an agent at once", async () => {
  const revoke = await call(harness.url, "POST", "/v1/agents/revoke", { body: await signedBody(wallet, "RevokeAgent", { account: wallet.address, agent: bot.address }) });
  assert.equal(revoke.status, 200);
  const refused = await asBot([btc("0.001")]);
  assert.equal(refused.status, 403);
  const shortLived = newWallet();
  // Long enough that the approval lands before it lapses even on a loaded machine; then wait out the
  // expiry itself (the API's clock is the wall clock) rather than a guessed delay.
  const expiresAt = Date.now() + 1_000;
  const approved = await call(harness.url, "POST", "/v1/agents", {
    body: await signedBody(wallet, "ApproveAgent", { account: wallet.address, agent: shortLived.address, name: "brief", expiresAt }),
  });
  assert.equal(approved.status, 200, JSON.stringify(approved.body));
  while (Date.now() <= expiresAt) await new Promise((resolve) => setTimeout(resolve, expiresAt - Date.now() + 1));
  const expired = await call(harness.url, "POST", "/v1/orders", {
    body: await signedBody(shortLived, "PlaceOrders", { account: wallet.address, orders: [btc("0.001")] }, { asAgent: true }),
  });
  assert.equal(expired.status, 403);
  assert.match(expired.body.message as string, /expired/);
});

test("a request captured before a restart is still refused after it (nonces rebuilt from the journal)", async () => {
  const body = await signedBody(wallet, "CancelAll", { account: wallet.address });
  const first = await call(harness.url, "POST", "/v1/orders/cancel-all", { body });
  assert.equal(first.status, 200);
  harness = await harness.restart();
  const replay = await call(harness.url, "POST", "/v1/orders/cancel-all", { body });
  assert.equal(replay.status, 409);
  assert.equal(replay.body.code, "NONCE_REUSED");
});
