// A ColumnRing answers exactly what a Ring of the same entries answers (newest first, limits, filters,
// the last entry, wrap-around past the capacity), keeps every value as given (integers past 2^31,
// fractions, -0, exchange times near 2^64, null, strings, booleans), copies an entry when it is pushed,
// and refuses a value its column cannot hold instead of storing another one.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ColumnRing, type ColumnLayout } from "../src/read-model/column-ring.ts";
import { Ring } from "../src/read-model/ring.ts";
import { seededRandom } from "./seeded-random.ts";

interface Entry {
  id: number;
  time: bigint;
  side: "buy" | "sell";
  fee: number;
  expiresAt: bigint | null;
  maker: boolean;
}

const layout: ColumnLayout<Entry> = [
  ["id", "number"],
  ["time", "u64"],
  ["side", "value"],
  ["fee", "number"],
  ["expiresAt", "value"],
  ["maker", "value"],
];

const awkwardNumbers = [0, -0, 1, -1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 - 1, -(2 ** 53) + 1, 0.5, 19_001.25];

function entryOf(next: () => number, index: number): Entry {
  return {
    id: index * 256 + Math.floor(next() * 256),
    time: 1_767_225_600_000_000_000n + BigInt(index) * 1_000_003n,
    side: next() < 0.5 ? "buy" : "sell",
    fee: awkwardNumbers[Math.floor(next() * awkwardNumbers.length)]!,
    expiresAt: next() < 0.5 ? null : 2n ** 64n - 1n - BigInt(index),
    maker: next() < 0.5,
  };
}

test("agrees with a Ring over random pushes and reads, past the capacity", () => {
  for (const seed of [1, 7, 99]) {
    for (const capacity of [1, 3, 8, 9, 100]) {
      const next = seededRandom(seed * 1_000 + capacity);
      const columns = new ColumnRing<Entry>(capacity, layout);
      const reference = new Ring<Entry>(capacity);
      for (let index = 0; index < capacity * 3 + 5; index += 1) {
        const entry = entryOf(next, index);
        columns.push(entry);
        reference.push({ ...entry });
        const label = `seed ${seed}, capacity ${capacity}, after ${index + 1} pushes`;
        assert.equal(columns.size, reference.size, label);
        assert.deepEqual(columns.last(), reference.last(), label);
        const limit = Math.floor(next() * (capacity + 2));
        assert.deepEqual(columns.newest(limit), reference.newest(limit), label);
        assert.deepEqual(columns.newest(capacity, (kept) => kept.maker), reference.newest(capacity, (kept) => kept.maker), label);
      }
    }
  }
});

test("keeps -0 and the awkward numbers as given, and an empty ring answers nothing", () => {
  const ring = new ColumnRing<Entry>(16, layout);
  assert.equal(ring.last(), undefined);
  assert.deepEqual(ring.newest(5), []);
  for (const [index, fee] of awkwardNumbers.entries()) ring.push({ id: index, time: BigInt(index), side: "buy", fee, expiresAt: null, maker: false });
  assert.deepEqual(
    ring.newest(16).map((entry) => entry.fee),
    [...awkwardNumbers].reverse(),
  );
  assert.ok(Object.is(ring.newest(16).at(-2)!.fee, -0));
});

test("an entry is copied when pushed", () => {
  const ring = new ColumnRing<Entry>(4, layout);
  const entry: Entry = { id: 1, time: 5n, side: "sell", fee: 10, expiresAt: null, maker: true };
  ring.push(entry);
  entry.fee = 20;
  assert.equal(ring.last()!.fee, 10);
  assert.notEqual(ring.last(), entry);
});

test("refuses values its columns cannot hold", () => {
  const ring = new ColumnRing<Entry>(4, layout);
  const valid: Entry = { id: 1, time: 5n, side: "sell", fee: 10, expiresAt: null, maker: true };
  assert.throws(() => ring.push({ ...valid, time: -1n }), RangeError);
  assert.throws(() => ring.push({ ...valid, time: 2n ** 64n }), RangeError);
  assert.throws(() => ring.push({ ...valid, id: 1n as unknown as number }), TypeError);
  assert.equal(ring.size, 0);
  assert.throws(() => new ColumnRing<Entry>(0, layout), RangeError);
});
