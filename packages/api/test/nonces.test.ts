// The nonce registry refuses a (signer, nonce) pair seen before while the nonce can still be inside the
// window, across generation rotations and clock jumps, exactly as a naive registry of "signer:nonce"
// strings with their first-seen time does; and it keeps its nonces as small offsets, not timestamps.
import assert from "node:assert/strict";
import { test } from "node:test";
import { NonceRegistry } from "../src/auth/nonces.ts";
import { seededRandom } from "./seeded-random.ts";

const windowMs = 60_000;
// A realistic clock: milliseconds since the epoch, far outside V8's small-integer range.
const startMs = 1_767_225_600_000;

// The reference: every pair with the time it was first used, forgotten only after 3 windows (the
// registry may forget a pair after 2 windows at the earliest, and must not before).
class NaiveRegistry {
  private readonly seen = new Map<string, number>();
  expect(signer: string, nonce: number, nowMs: number): "new" | "replay" | "either" {
    const at = this.seen.get(`${signer}:${nonce}`);
    if (at === undefined || nowMs - at >= 3 * windowMs) return "new";
    // Between 2 and 3 windows after first use the registry may have rotated the pair out.
    if (nowMs - at >= 2 * windowMs) return "either";
    return "replay";
  }
  record(signer: string, nonce: number, nowMs: number): void {
    this.seen.set(`${signer}:${nonce}`, nowMs);
  }
}

test("a replay inside the window is refused, also after rotations", () => {
  const registry = new NonceRegistry({ windowMs, nowMs: startMs });
  const nonce = startMs + 500;
  assert.equal(registry.use("0xa", nonce, startMs + 1_000), true);
  assert.equal(registry.use("0xa", nonce, startMs + 2_000), false);
  assert.equal(registry.has("0xa", nonce, startMs + 2_000), true);
  // Another signer may use the same nonce.
  assert.equal(registry.use("0xb", nonce, startMs + 2_000), true);
  // One and then two rotations later (the nonce left the window after one), still refused.
  assert.equal(registry.has("0xa", nonce, startMs + windowMs + 1_500), true);
  assert.equal(registry.use("0xa", nonce, startMs + 2 * windowMs), false);
  assert.equal(registry.size, 2);
  // Three windows on, every generation has rotated out.
  assert.equal(registry.has("0xa", nonce, startMs + 4 * windowMs), false);
  assert.equal(registry.size, 0);
});

test("nonces ahead of and behind the clock, and a clock jump of days", () => {
  const registry = new NonceRegistry({ windowMs, nowMs: startMs });
  assert.equal(registry.use("0xa", startMs + windowMs, startMs), true);
  assert.equal(registry.use("0xa", startMs - windowMs, startMs), true);
  assert.equal(registry.use("0xa", startMs + windowMs, startMs + 10), false);
  assert.equal(registry.use("0xa", startMs - windowMs, startMs + 10), false);
  const later = startMs + 5 * 24 * 3_600_000;
  assert.equal(registry.use("0xa", later, later), true);
  assert.equal(registry.use("0xa", later, later + 1), false);
  assert.equal(registry.has("0xa", startMs + windowMs, later), false);
});

test("agrees with a naive registry over a random workload", () => {
  for (const seed of [1, 2, 3, 42, 2024]) {
    const next = seededRandom(seed);
    const registry = new NonceRegistry({ windowMs, nowMs: startMs });
    const naive = new NaiveRegistry();
    let nowMs = startMs;
    const recent: [string, number][] = [];
    for (let step = 0; step < 20_000; step += 1) {
      // Time moves by up to 30 ms a step, sometimes by up to 2 windows.
      nowMs += next() < 0.001 ? Math.floor(next() * 2 * windowMs) : Math.floor(next() * 30);
      const signer = `0x${Math.floor(next() * 8)}`;
      // Half fresh nonces near the clock, half replays of a recent pair.
      const pair: [string, number] = next() < 0.5 || recent.length === 0 ? [signer, nowMs + Math.floor((next() - 0.5) * windowMs)] : recent[Math.floor(next() * recent.length)]!;
      if (!registry.inWindow(pair[1], nowMs)) continue;
      const expected = naive.expect(pair[0], pair[1], nowMs);
      const accepted = registry.use(pair[0], pair[1], nowMs);
      if (expected !== "either") assert.equal(accepted, expected === "new", `seed ${seed}, step ${step}: ${pair.join(" ")} at ${nowMs}`);
      if (accepted) naive.record(pair[0], pair[1], nowMs);
      recent.push(pair);
      if (recent.length > 500) recent.shift();
    }
  }
});
