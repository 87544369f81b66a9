import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { OrderPool } from "../src/book/order-pool.ts";

// The order pool's growth: the next arrays are allocated and written ahead of it, and every slot's fields
// survive it.

test("order pool: the next arrays are allocated at seven-eighths full, before the pool grows", () => {
  const pool = new OrderPool();
  const bytesAt1024 = pool.bytesAllocated();
  // 896 = 1,024 - 1,024 / 8 slots handed out: the next allocation prepares the 1,536-slot arrays.
  for (let index = 0; index < 896; index += 1) pool.allocate();
  assert.equal(pool.bytesAllocated(), bytesAt1024);
  pool.allocate();
  assert.equal(pool.bytesAllocated(), (bytesAt1024 * 5) / 2, "the 1,024-slot arrays and the 1,536-slot ones");
  for (let index = 897; index < 1_025; index += 1) pool.allocate();
  // Grown: the old arrays are gone, the prepared ones are the pool's.
  assert.equal(pool.bytesAllocated(), (bytesAt1024 * 3) / 2);
});

test("order pool: every field of every slot survives growths, free-list reuse included", () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 6_000 }), (rolls) => {
      const pool = new OrderPool();
      const live = new Map<number, number>();
      let nextId = 1;
      const write = (slot: number, id: number): void => {
        pool.orderId[slot] = id * 256;
        pool.account[slot] = id;
        pool.market[slot] = id + 1;
        pool.price[slot] = id + 2;
        pool.size[slot] = id + 3;
        pool.remaining[slot] = id + 4;
        pool.next[slot] = id + 5;
        pool.previous[slot] = id + 6;
        pool.accountNext[slot] = id + 7;
        pool.accountPrevious[slot] = id + 8;
        pool.flags[slot] = id & 0xff;
      };
      const check = (slot: number, id: number): void => {
        const fields = [pool.account, pool.market, pool.price, pool.size, pool.remaining, pool.next, pool.previous, pool.accountNext, pool.accountPrevious];
        assert.equal(pool.orderId[slot], id * 256);
        for (const [offset, field] of fields.entries()) assert.equal(field[slot], id + offset);
        assert.equal(pool.flags[slot], id & 0xff);
      };
      for (const roll of rolls) {
        if (roll < 3 && live.size > 0) {
          // The oldest live slot: its place goes on the free list, for a later allocation to reuse.
          const slot = live.keys().next().value!;
          pool.release(slot);
          live.delete(slot);
        } else {
          const slot = pool.allocate();
          assert.ok(!live.has(slot));
          write(slot, nextId);
          live.set(slot, nextId);
          nextId += 1;
        }
      }
      assert.equal(pool.count, live.size);
      for (const [slot, id] of live) check(slot, id);
    }),
    { numRuns: 40 },
  );
});
