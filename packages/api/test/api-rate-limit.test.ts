// SPEC 18 rate limits over real HTTP: token buckets with burst = 2 × rate, X-RateLimit-* headers, and a
// 429 with the SPEC's body and Retry-After, per IP for market data and per account for actions.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { specRateLimits } from "../src/rate-limit/rate-limiter.ts";
import { MemoryRateLimitStore, type RateLimitStore } from "../src/rate-limit/rate-limit-store.ts";
import { call, newWallet, signedBody, startHarness, type Harness } from "./api-harness.ts";

let harness: Harness;
before(async () => {
  harness = await startHarness({ rateLimits: specRateLimits });
});
after(async () => {
  await harness?.close();
});

test("market data: 100 a minute per IP, bursts of 200, then 429 with the SPEC body", async () => {
  // The reset time is compared with the time the request was sent: on a loaded machine the answer may
  // arrive after the bucket's reset (600 ms after one request), and that is no error.
  const sentAt = Date.now();
  const first = await call(harness.url, "GET", "/v1/markets/BTC-PERP/ticker");
  assert.equal(first.status, 200);
  assert.equal(first.headers.get("x-ratelimit-limit"), "100");
  assert.equal(first.headers.get("x-ratelimit-remaining"), "199");
  assert.ok(Number(first.headers.get("x-ratelimit-reset")) >= Math.floor(sentAt / 1000));
  // The rest of the burst, at once: the bucket refills 100/60 a second, so the run ends in a refusal.
  const replies = await Promise.all(Array.from({ length: 240 }, () => call(harness.url, "GET", "/v1/markets/BTC-PERP/ticker")));
  // On a loaded machine the burst takes seconds, and the bucket refills 100/60 tokens a second meanwhile.
  const refilled = Math.ceil(((Date.now() - sentAt) / 1000) * (100 / 60));
  const limited = replies.filter((reply) => reply.status === 429);
  assert.ok(limited.length >= 20 - refilled, `${limited.length} refusals, ${refilled} tokens refilled`);
  assert.ok(replies.filter((reply) => reply.status === 200).length <= 199 + refilled);
  const refusal = limited[0]!;
  assert.equal(refusal.body.error, "RateLimitExceeded");
  assert.equal(refusal.body.code, "RATE_LIMITED");
  assert.equal(refusal.body.limit, 100);
  assert.equal(refusal.body.window, "1 minute");
  assert.equal(typeof refusal.body.retry_after, "number");
  assert.equal(typeof refusal.body.correlationId, "string");
  assert.ok(Number(refusal.headers.get("retry-after")) >= 1);
  assert.equal(refusal.headers.get("x-ratelimit-remaining"), "0");
  // Other categories keep their own buckets.
  const insurance = await call(harness.url, "GET", "/health");
  assert.equal(insurance.status, 200);
});

test("cancel-all: once per 500 ms per account (burst 4); another account is not affected", async () => {
  const wallet = newWallet();
  const other = newWallet();
  const bodies = await Promise.all(Array.from({ length: 8 }, () => signedBody(wallet, "CancelAll", { account: wallet.address })));
  const replies = await Promise.all(bodies.map((body) => call(harness.url, "POST", "/v1/orders/cancel-all", { body })));
  const statuses = replies.map((reply) => reply.status);
  assert.ok(statuses.filter((status) => status === 429).length >= 3, statuses.join(","));
  const refusal = replies.find((reply) => reply.status === 429)!;
  assert.equal(refusal.body.limit, 2);
  assert.equal(refusal.body.window, "1 second");
  const otherReply = await call(harness.url, "POST", "/v1/orders/cancel-all", { body: await signedBody(other, "CancelAll", { account: other.address }) });
  assert.notEqual(otherReply.status, 429);
});

test("a store that answers later (as Redis would) limits the same: headers, then 429 with the SPEC body", async () => {
  // The hooks answer at once from the memory store; this runs the other path, through promises.
  const memory = new MemoryRateLimitStore();
  let asked = 0;
  const later: RateLimitStore = {
    take: async (key, rule, cost, nowMs) => {
      asked += 1;
      await new Promise((resolve) => setImmediate(resolve));
      return memory.take(key, rule, cost, nowMs);
    },
  };
  const slow = await startHarness({ rateLimits: specRateLimits, rateLimitStore: later });
  try {
    const first = await call(slow.url, "GET", "/v1/markets/BTC-PERP/ticker");
    assert.equal(first.status, 200);
    assert.equal(first.headers.get("x-ratelimit-limit"), "100");
    assert.equal(first.headers.get("x-ratelimit-remaining"), "199");
    assert.ok(asked >= 2, "both the IP's bucket and the category's were asked");
    const replies = await Promise.all(Array.from({ length: 240 }, () => call(slow.url, "GET", "/v1/markets/BTC-PERP/ticker")));
    const refusal = replies.find((reply) => reply.status === 429);
    assert.ok(refusal !== undefined, replies.map((reply) => reply.status).join(","));
    assert.equal(refusal.body.code, "RATE_LIMITED");
    assert.equal(refusal.body.window, "1 minute");
  } finally {
    await slow.close();
  }
});

test("a 429 from an account's bucket carries that bucket's headers, not those of the IP bucket passed before it", async () => {
  // A Hyperliquid /info user query draws from the IP's market-data bucket (100 a minute, burst 200),
  // then from the user's account-query bucket (60 a minute, burst 120): the 121st query is refused by
  // the account's bucket while the IP's still has tokens.
  const own = await startHarness({ rateLimits: specRateLimits });
  try {
    const user = newWallet().address;
    const query = { type: "clearinghouseState", user };
    const passed = await call(own.url, "POST", "/info", { body: query });
    assert.equal(passed.status, 200);
    assert.equal(passed.headers.get("x-ratelimit-limit"), "60");
    const replies: Awaited<ReturnType<typeof call>>[] = [];
    for (let index = 0; index < 130; index += 1) replies.push(await call(own.url, "POST", "/info", { body: query }));
    const refusal = replies.find((reply) => reply.status === 429);
    assert.ok(refusal !== undefined, replies.map((reply) => reply.status).join(","));
    assert.equal(refusal.headers.get("x-ratelimit-limit"), "60");
    assert.equal(refusal.headers.get("x-ratelimit-remaining"), "0");
    assert.ok(Number(refusal.headers.get("retry-after")) >= 1);
  } finally {
    await own.close();
  }
});
