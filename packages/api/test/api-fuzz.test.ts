// 10,000+ malformed and hostile requests against a real node over HTTP: bad JSON, huge and negative
// numbers, values off the tick and lot grids, wrong types, prototype keys, deep nesting, oversized bodies,
// bogus query strings and headers, forged signatures. None may answer 5xx, the server must keep
// serving, and the exchange must not change (same last sequence, same state hash). Production mode: no
// faucet, so no unsigned request can legitimately change state. PERPDEX_FUZZ_SEED replays a run.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { call, newWallet, nextNonce, signedBody, startHarness, type Harness } from "./api-harness.ts";
import { random as seededRandom } from "./ws-harness.ts";

const seed = Number(process.env.PERPDEX_FUZZ_SEED ?? Date.now() % 1_000_000);
const requestsTotal = Number(process.env.PERPDEX_FUZZ_REQUESTS ?? 10_500);
const concurrency = 32;

// Seeded, so a failing run can be replayed from its seed.
const random = seededRandom(seed);
const pick = <Value>(values: readonly Value[]): Value => values[Math.floor(random() * values.length)]!;

const hostileScalars: readonly unknown[] = [
  null, true, false, 0, -1, 1e308, -1e308, 2 ** 53, 2 ** 64, 0.1, -0.0, 123.456, "", " ", "0", "-1", "-95000", "95000.5", "95000.0000000000000000001",
  "1e5", "0x10", "NaN", "Infinity", "9".repeat(60), "0.".padEnd(40, "0") + "1", "١٢٣", "\u0000", "💥", "<script>", "../../etc/passwd", "BTC-PERP",
  "buy", "sell", "limit", "market", "GTD", "0x" + "0".repeat(40), "0x" + "f".repeat(130), [], {}, [1, 2, 3], { $gt: "" },
];

function hostileValue(depth = 0): unknown {
  const roll = random();
  if (depth > 3 || roll < 0.6) return pick(hostileScalars);
  if (roll < 0.8) return Array.from({ length: Math.floor(random() * 4) }, () => hostileValue(depth + 1));
  const object: Record<string, unknown> = {};
  for (let count = Math.floor(random() * 4); count > 0; count -= 1) object[pick(fieldNames)] = hostileValue(depth + 1);
  return object;
}

const fieldNames = [
  "account", "orders", "cancels", "market", "side", "orderType", "price", "size", "timeInForce", "expiresAt", "postOnly", "reduceOnly",
  "clientOrderId", "slippagePpm", "nonce", "signature", "signer", "leverage", "mode", "amount", "asset", "agent", "name", "markets",
  "maxOrderNotional", "replaces", "order", "address", "constructor", "prototype", "extra",
];

const postRoutes = [
  "/v1/orders", "/v1/orders/cancel", "/v1/orders/cancel-all", "/v1/orders/cancel-replace", "/v1/batch", "/v1/account/leverage",
  "/v1/account/margin-mode", "/v1/account/margin", "/v1/withdrawals", "/v1/agents", "/v1/agents/revoke", "/v1/dev/faucet", "/info", "/exchange",
];
const getRoutes = [
  "/v1/markets/BTC-PERP/book?depth=", "/v1/markets/BTC-PERP/trades?limit=", "/v1/markets/BTC-PERP/candles?interval=", "/v1/markets/",
  "/v1/account/orders?limit=", "/v1/account/orders/", "/v1/account/fills?status=", "/v1/admin-log?limit=", "/v1/markets/BTC-PERP/funding?limit=",
];

// A plausible order with one field replaced by something hostile: the closest calls to valid ones.
function nearlyValidOrder(): Record<string, unknown> {
  const order: Record<string, unknown> = { market: pick(["BTC-PERP", "ETH-PERP", "AAPL-PERP", "NOPE-PERP"]), side: "buy", orderType: "limit", price: "95000", size: "0.01" };
  order[pick(Object.keys(order).concat(["timeInForce", "expiresAt", "slippagePpm", "clientOrderId"]))] = hostileValue(2);
  return order;
}

// HTTP header values are Latin-1 without control characters.
function headerText(value: unknown): string {
  return String(value).replace(/[^\x20-\x7e]/g, "?");
}

interface Hostile {
  readonly method: "GET" | "POST";
  readonly route: string;
  readonly body?: unknown;
  readonly raw?: string;
  readonly headers?: Record<string, string>;
}

function hostileRequest(account: string, forged: Record<string, unknown>): Hostile {
  const kind = Math.floor(random() * 10);
  switch (kind) {
    case 0: {
      const text = JSON.stringify({ account, orders: [nearlyValidOrder()], nonce: nextNonce(), signature: "0x" + "1".repeat(130) });
      return { method: "POST", route: pick(postRoutes), raw: text.slice(0, Math.floor(random() * text.length)) };
    }
    case 1:
      return { method: "POST", route: pick(postRoutes), raw: pick(['{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"x":1}}}', "[".repeat(5000), '{"a":1,,}', "nul", '"string"', "1e999999"]) };
    case 2:
      return { method: "POST", route: pick(postRoutes), body: hostileValue() };
    case 3:
      return { method: "POST", route: "/v1/orders", body: { account, orders: [nearlyValidOrder()], nonce: nextNonce(), signature: "0x" + "ab".repeat(65) } };
    case 4:
      return { method: "GET", route: pick(getRoutes) + encodeURIComponent(String(hostileValue(4))) };
    case 5:
      return {
        method: "GET",
        route: pick(["/v1/account", "/v1/account/positions", "/v1/account/orders"]),
        headers: { "x-perpdex-account": headerText(pick(hostileScalars)), "x-perpdex-nonce": headerText(pick(hostileScalars)), "x-perpdex-signature": headerText(pick(hostileScalars)) },
      };
    case 6: {
      // A real signature over different fields: recovers to some unrelated address.
      const body = { ...forged, [pick(["nonce", "account", "orders"])]: pick([nextNonce(), "0x" + "2".repeat(40), [nearlyValidOrder()]]) };
      return { method: "POST", route: "/v1/orders", body };
    }
    case 7:
      return { method: "POST", route: pick(postRoutes), body: { account, nonce: pick([-1, 2 ** 64, 1e300, "now", nextNonce()]), signature: pick(hostileScalars), market: "BTC-PERP", leverage: pick([0, -5, 1e9, 2.5, "10"]) } };
    case 8:
      return { method: pick(["GET", "POST"] as const), route: pick(["/v1/nope", "/v1/markets/%ZZ", "/../../etc/passwd", "/v1/orders?x[__proto__]=1", "/docs/x"]) };
    default:
      return { method: "POST", route: "/v1/batch", body: { account, cancels: [{ market: "BTC-PERP", orderId: String(pick(hostileScalars)) }], orders: [nearlyValidOrder()], nonce: nextNonce(), signature: "0x" + "c".repeat(130) } };
  }
}

let harness: Harness;
before(async () => {
  harness = await startHarness({ mode: "production" });
});
after(async () => {
  await harness?.close();
});

test(`${requestsTotal} hostile requests: no 5xx, no crash, no state change (seed ${seed})`, async () => {
  const wallet = newWallet();
  // Signed by another key for this account: a forgery however its fields are varied.
  const forged = await signedBody(newWallet(), "PlaceOrders", { account: wallet.address, orders: [{ market: "BTC-PERP", side: "buy", orderType: "limit", price: "95000", size: "0.01" }] });
  const sequenceBefore = harness.node.lastSequence;
  const hashBefore = harness.node.stateHash();
  const statuses = new Map<number, number>();
  const reached: string[] = [];
  harness.node.onApplied((applied) => reached.push(JSON.stringify(applied.command, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value))));
  let sent = 0;
  const worker = async (): Promise<void> => {
    while (sent < requestsTotal) {
      sent += 1;
      const request = hostileRequest(wallet.address, forged);
      const reply = await call(harness.url, request.method, request.route, {
        ...(request.body === undefined ? {} : { body: request.body }),
        ...(request.raw === undefined ? {} : { raw: request.raw }),
        ...(request.headers === undefined ? {} : { headers: request.headers }),
      });
      statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
      assert.ok(reply.status < 500, `seed ${seed}: ${request.method} ${request.route} ${JSON.stringify(request.body ?? request.raw ?? "").slice(0, 300)} → ${reply.status} ${JSON.stringify(reply.body)}`);
      if (reply.status >= 400) assert.equal(typeof reply.body.code, "string", `seed ${seed}: every error has a code: ${JSON.stringify(reply.body)}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  // Oversized bodies: refused before parsing.
  for (let count = 0; count < 20; count += 1) {
    const reply = await call(harness.url, "POST", "/v1/orders", { raw: JSON.stringify({ account: wallet.address, padding: "x".repeat(300 * 1024) }) });
    assert.equal(reply.status, 413);
    assert.equal(reply.body.code, "BODY_TOO_LARGE");
  }
  assert.deepEqual(reached, [], `seed ${seed}: no command reached the node`);
  assert.equal(harness.node.lastSequence, sequenceBefore, `seed ${seed}: no command reached the node`);
  assert.equal(harness.node.stateHash(), hashBefore, `seed ${seed}: the state hash is unchanged`);
  // Production mode has no faucet at all.
  const faucet = await call(harness.url, "POST", "/v1/dev/faucet", { body: { address: wallet.address } });
  assert.equal(faucet.status, 404);
  assert.equal(faucet.body.code, "NOT_FOUND");
  const health = await call(harness.url, "GET", "/health");
  assert.equal(health.status, 200, "still serving");
  assert.ok(sent >= 10_000);
  assert.ok((statuses.get(400) ?? 0) > 1000, JSON.stringify([...statuses]));
});
