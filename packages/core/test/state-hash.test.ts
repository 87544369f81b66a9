// Proves that the state hash sees every part of the state: two engines that differ in one field (one
// order's remaining size, its flags, its expiry, the order of two orders in a level, a reference price,
// a clock, a client id, a limit, …) hash differently, while engines with equal state hash equally; and
// that the core's own SHA-256 equals node:crypto's on inputs of every awkward length, fed in pieces.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Engine, Sha256, stateHash, toHex, writeState, type Command, type EngineLimits, type PriceTicks, type SizeLots } from "@perpdex/core";
import { Harness, account, replay } from "./helpers.ts";

const btc = "BTC-PERP";
const eth = "ETH-PERP";
const alice = account("a");
const bob = account("b");
const carol = account("c");

function nodeSha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

// ---------------------------------------------------------------------------------------------------
// State hash

/** A log that leaves a little of everything: two orders in one level, a partial fill, GTD, client ids. */
function baseLog(limits: Partial<EngineLimits> = {}): Command[] {
  const harness = new Harness({ limits });
  harness.createMarket(btc);
  harness.createMarket(eth);
  const place = (who: string, side: "buy" | "sell", price: number, size: number, extra = {}): void => {
    const step = harness.apply({
      type: "placeOrder",
      account: who,
      order: { market: btc, side, type: "limit", price: price as PriceTicks, size: size as SizeLots, ...extra },
    });
    assert.equal(step.result.ok, true);
  };
  place(alice, "sell", 1001, 5, { clientOrderId: "first" }); // sequence 3: order 768
  place(bob, "sell", 1001, 4); // sequence 4: order 1024, behind 768 in the level
  place(carol, "buy", 1001, 2); // fills 2 of order 768
  place(carol, "buy", 999, 3, { timeInForce: "GTD", expiresAt: 90_000n, postOnly: true }); // order 1536
  place(bob, "buy", 998, 1, { clientOrderId: "x" });
  return harness.log;
}

function engineFrom(log: readonly Command[], limits: Partial<EngineLimits> = {}): Engine {
  const engine = new Engine({ limits });
  for (const command of log) engine.apply(command);
  return engine;
}

/** The pool slot of a resting order. */
function slotOf(engine: Engine, orderId: number): number {
  const slot = engine.orderIndex.find(orderId);
  assert.ok(slot >= 0, `order ${orderId} is not resting`);
  return slot;
}

function levelOf(engine: Engine, orderId: number): { head: number; tail: number; totalLots: number } {
  const slot = slotOf(engine, orderId);
  const market = engine.markets[engine.pool.market[slot]!]!;
  const side = (engine.pool.flags[slot]! & 1) === 1 ? market.asks : market.bids;
  const level = side.find(engine.pool.price[slot]!);
  assert.ok(level !== undefined);
  return level;
}

const tampers: readonly (readonly [string, (engine: Engine) => void])[] = [
  [
    "one order's remaining size (and its level's total with it)",
    (engine) => {
      engine.pool.remaining[slotOf(engine, 768)]! -= 1;
      levelOf(engine, 768).totalLots -= 1;
    },
  ],
  ["one order's size (what it has filled)", (engine) => void (engine.pool.size[slotOf(engine, 768)]! += 1)],
  ["one order's flags (post-only)", (engine) => void (engine.pool.flags[slotOf(engine, 1024)]! ^= 0b10)],
  ["one order's self-trade mode", (engine) => void (engine.pool.flags[slotOf(engine, 1024)]! ^= 0b10_0000)],
  ["one order's account", (engine) => void (engine.pool.account[slotOf(engine, 1024)] = 0)],
  ["one order's GTD expiry", (engine) => void engine.expiryByOrder.set(1536, 90_001n)],
  [
    "the order of two orders in a level",
    (engine) => {
      const first = slotOf(engine, 768);
      const second = slotOf(engine, 1024);
      const level = levelOf(engine, 768);
      const pool = engine.pool;
      assert.equal(level.head, first);
      assert.equal(level.tail, second);
      level.head = second;
      level.tail = first;
      pool.next[second] = first;
      pool.previous[second] = -1;
      pool.next[first] = -1;
      pool.previous[first] = second;
    },
  ],
  ["a market's reference price", (engine) => void (engine.markets[1]!.referencePrice += 1)],
  ["the last sequence", (engine) => void (engine.lastSequence += 1)],
  ["the last time", (engine) => void (engine.lastTime += 1n)],
  [
    "a client order id",
    (engine) => {
      const clientOrders = engine.accounts.list[0]!.clientOrders!;
      const orderId = clientOrders.get("first")!;
      clientOrders.delete("first");
      clientOrders.set("firsT", orderId);
    },
  ],
];

describe("state hash", () => {
  it("is equal for engines built from the same log, and after a replay", () => {
    // Proves the control for every row below: without a difference, the hashes agree.
    const log = baseLog();
    const hash = stateHash(engineFrom(log));
    assert.equal(stateHash(engineFrom(log)), hash);
    assert.equal(replay(log).hashes.at(-1), hash);
  });

  for (const [what, tamper] of tampers) {
    it(`differs when only ${what} differs`, () => {
      // Proves the encoding covers this field: one engine is changed in it alone, the twin is not.
      const log = baseLog();
      const untouched = engineFrom(log);
      const tampered = engineFrom(log);
      tamper(tampered);
      assert.notEqual(stateHash(tampered), stateHash(untouched));
    });
  }

  it("differs between engines whose logs leave one order with a different remaining size", () => {
    // Proves the same without touching internals: B's fill of 2 versus 1 leaves A's order at 3 or 4 lots.
    const build = (fillSize: number): Engine => {
      const harness = new Harness();
      harness.createMarket(btc);
      harness.apply({ type: "placeOrder", account: alice, order: { market: btc, side: "sell", type: "limit", price: 1001 as PriceTicks, size: 5 as SizeLots } });
      harness.apply({ type: "placeOrder", account: bob, order: { market: btc, side: "buy", type: "limit", price: 1001 as PriceTicks, size: fillSize as SizeLots } });
      return harness.engine;
    };
    assert.notEqual(stateHash(build(2)), stateHash(build(1)));
  });

  it("differs when only a limit differs", () => {
    // Proves the limits (genesis configuration) are part of the hashed state.
    const log = baseLog();
    assert.notEqual(stateHash(engineFrom(log, { fillsPerOrderMax: 9_999 })), stateHash(engineFrom(log)));
  });

  it("differs when only a market's tick size differs", () => {
    // Proves market parameters that never affect matching are still hashed.
    const harness = (tickSize: string): Engine => {
      const engine = new Harness();
      engine.createMarket(btc, { tickSize });
      return engine.engine;
    };
    assert.notEqual(stateHash(harness("0.01")), stateHash(harness("0.02")));
  });

  it("is the SHA-256 of the canonical encoding", () => {
    // Proves stateHash is exactly sha256(writeState bytes), as any auditor would compute it.
    const engine = engineFrom(baseLog());
    const hasher = createHash("sha256");
    writeState(engine, (chunk) => hasher.update(chunk));
    assert.equal(stateHash(engine), hasher.digest("hex"));
  });
});

// ---------------------------------------------------------------------------------------------------
// SHA-256

/** Deterministic bytes (xorshift32), so a failing length reproduces. */
function bytesOf(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed | 1;
  for (let index = 0; index < length; index += 1) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[index] = state & 0xff;
  }
  return bytes;
}

/** Feeds `bytes` to a fresh Sha256 cut at `cuts` (positions, any order), alternating both update forms. */
function sha256InPieces(bytes: Uint8Array, cuts: readonly number[]): string {
  const hasher = new Sha256();
  const points = [...new Set([0, ...cuts.map((cut) => cut % (bytes.length + 1)), bytes.length])].sort((a, b) => a - b);
  for (let index = 1; index < points.length; index += 1) {
    const start = points[index - 1]!;
    const end = points[index]!;
    if (index % 2 === 0) hasher.update(bytes, start, end);
    else hasher.update(bytes.subarray(start, end));
  }
  return toHex(hasher.digest());
}

describe("Sha256", () => {
  it("matches the FIPS 180-4 test vectors", () => {
    // Proves the digest on the published vectors: empty, "abc", and the two-block message.
    const text = (value: string): Uint8Array => new TextEncoder().encode(value);
    assert.equal(toHex(new Sha256().digest()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert.equal(toHex(new Sha256().update(text("abc")).digest()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert.equal(
      toHex(new Sha256().update(text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).digest()),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
  });

  const lengths = [0, 1, 2, 31, 32, 33, 55, 56, 57, 63, 64, 65, 111, 112, 119, 120, 127, 128, 129, 191, 192, 1000, 4095, 4096, 4097, 65_535, 65_536, 65_537, 200_003];
  for (const length of lengths) {
    it(`matches node:crypto on ${length} bytes, whole and in pieces`, () => {
      // Proves padding and block handling at this length (55/56 and 63/64/65 straddle the length field
      // and block edges), whatever the pieces the bytes arrive in.
      const bytes = bytesOf(length, length + 7);
      const expected = nodeSha256(bytes);
      assert.equal(toHex(new Sha256().update(bytes).digest()), expected);
      assert.equal(sha256InPieces(bytes, [1, 63, 64, 65, 128, 1000, 4097]), expected, "cut at block edges");
      assert.equal(sha256InPieces(bytes, Array.from({ length: 40 }, (_, index) => (index * 7919) % (length + 1))), expected, "cut at random");
      const byteByByte = new Sha256();
      if (length <= 4096) {
        for (let index = 0; index < length; index += 1) byteByByte.update(bytes, index, index + 1);
        assert.equal(toHex(byteByByte.digest()), expected, "one byte at a time");
      }
    });
  }

  it("matches node:crypto on random inputs cut into random pieces", () => {
    // Proves incremental hashing is independent of how the input is split.
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), fc.array(fc.nat({ max: 700 }), { maxLength: 12 }), (bytes, cuts) => {
        assert.equal(sha256InPieces(bytes, cuts), nodeSha256(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it("refuses use after digest", () => {
    // Proves a finished hasher cannot silently produce a wrong second digest.
    const hasher = new Sha256();
    hasher.digest();
    assert.throws(() => hasher.update(new Uint8Array(1)));
    assert.throws(() => hasher.digest());
  });
});
