import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { OrderIndex } from "../src/book/order-index.ts";
import { OrderPool } from "../src/book/order-pool.ts";

// The order index against a Map, through inserts, removals and lookups that cross several growths: each
// growth leaves the old table draining while later operations run, so lookups and removals meet entries
// in either table.

type Operation = { kind: "insert"; items: number } | { kind: "remove"; pick: number } | { kind: "find"; pick: number; missing: boolean };

const operation = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("insert" as const), items: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("remove" as const), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("find" as const), pick: fc.nat(), missing: fc.boolean() }) },
);

// Order ids as the engine makes them: sequence × 256 + item, sequences past 2^32 / 256 included so the
// hash's high half matters.
function run(operations: readonly Operation[], firstSequence: number): void {
  const pool = new OrderPool();
  const index = new OrderIndex(pool);
  const model = new Map<number, number>();
  const live: number[] = [];
  let sequence = firstSequence;
  for (const step of operations) {
    if (step.kind === "insert") {
      sequence += 1;
      for (let item = 0; item < step.items; item += 1) {
        const orderId = sequence * 256 + item;
        const slot = pool.allocate();
        pool.orderId[slot] = orderId;
        index.insert(slot);
        model.set(orderId, slot);
        live.push(orderId);
      }
    } else if (step.kind === "remove") {
      if (live.length === 0) continue;
      const at = step.pick % live.length;
      const orderId = live[at]!;
      live[at] = live[live.length - 1]!;
      live.pop();
      index.remove(orderId);
      pool.release(model.get(orderId)!);
      model.delete(orderId);
    } else {
      const orderId = step.missing || live.length === 0 ? (sequence + 1 + step.pick) * 256 : live[step.pick % live.length]!;
      assert.equal(index.find(orderId), model.get(orderId) ?? -1);
    }
    assert.equal(index.count, model.size);
  }
  // Every entry is still found, whichever table holds it, and removing them all leaves nothing.
  for (const [orderId, slot] of model) assert.equal(index.find(orderId), slot);
  for (const orderId of live) index.remove(orderId);
  assert.equal(index.count, 0);
  for (const orderId of model.keys()) assert.equal(index.find(orderId), -1);
}

test("order index: finds what a Map finds through inserts, removals and incremental growth", () => {
  fc.assert(
    fc.property(fc.array(operation, { minLength: 1, maxLength: 8_000 }), fc.constantFrom(0, 16_777_000, 2 ** 40), (operations, firstSequence) => run(operations, firstSequence)),
    { numRuns: 60 },
  );
});

test("order index: a growth moves the old table's entries over later inserts, not all at once", () => {
  const pool = new OrderPool();
  const index = new OrderIndex(pool);
  const insert = (orderId: number): void => {
    const slot = pool.allocate();
    pool.orderId[slot] = orderId;
    index.insert(slot);
  };
  const initialBytes = index.bytesAllocated();
  let orderId = 256;
  while (index.bytesAllocated() === initialBytes) insert((orderId += 256));
  // Right after the growth both tables are held: the new one (twice the cells) and the draining one.
  assert.equal(index.bytesAllocated(), initialBytes * 3);
  const grewAt = index.count;
  while (index.bytesAllocated() !== initialBytes * 2) insert((orderId += 256));
  // 8 visits per insert, each an empty cell passed or an entry moved: the old table's 1,024 cells and
  // the entries it held took (1,024 + entries) / 8 inserts, rounded up.
  assert.equal(index.count - grewAt, Math.ceil((initialBytes / 4 + grewAt - 1) / 8));
  for (let id = 512; id <= orderId; id += 256) assert.equal(pool.orderId[index.find(id)], id);
});

test("order index: reserve during a drain keeps every entry", () => {
  const pool = new OrderPool();
  const index = new OrderIndex(pool);
  const slots = new Map<number, number>();
  for (let sequence = 1; sequence <= 800; sequence += 1) {
    const slot = pool.allocate();
    pool.orderId[slot] = sequence * 256;
    index.insert(slot);
    slots.set(sequence * 256, slot);
  }
  // 800 entries: the 1,024-cell table grew at 717 and is still draining.
  assert.ok(index.bytesAllocated() > 2048 * 4);
  index.reserve(100_000);
  assert.equal(index.bytesAllocated(), 262_144 * 4);
  assert.equal(index.count, 800);
  for (const [orderId, slot] of slots) assert.equal(index.find(orderId), slot);
});
