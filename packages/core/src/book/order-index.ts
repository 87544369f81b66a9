import { assert } from "../assert.ts";
import type { OrderPool } from "./order-pool.ts";

// Order id → pool slot, O(1), for cancel by id. Open addressing with linear probing over one Int32Array
// of slots: the key is read back from the pool (pool.orderId[slot]), so the table stores 4 bytes an
// entry instead of a Map's ~40 and never allocates per order. Deletion shifts later entries back
// (no tombstones), so probe chains stay short under churn.

const empty = -1;
const capacityInitial = 1024;
const two32 = 4_294_967_296;

export class OrderIndex {
  private table = new Int32Array(capacityInitial).fill(empty);
  private mask = capacityInitial - 1;
  private entries = 0;

  constructor(private readonly pool: OrderPool) {}

  get count(): number {
    return this.entries;
  }

  bytesAllocated(): number {
    return this.table.length * 4;
  }

  find(orderId: number): number {
    let position = this.home(orderId);
    for (;;) {
      const slot = this.table[position]!;
      if (slot === empty) return empty;
      if (this.pool.orderId[slot] === orderId) return slot;
      position = (position + 1) & this.mask;
    }
  }

  insert(slot: number): void {
    // Grow at 70 % load: linear probing stays around 2 probes per lookup.
    if ((this.entries + 1) * 10 > this.table.length * 7) this.grow();
    this.place(slot);
    this.entries += 1;
  }

  remove(orderId: number): void {
    let position = this.home(orderId);
    for (;;) {
      const slot = this.table[position]!;
      assert(slot !== empty, "removing an order id that is not indexed");
      if (this.pool.orderId[slot] === orderId) break;
      position = (position + 1) & this.mask;
    }
    this.table[position] = empty;
    this.entries -= 1;
    this.shiftBack(position);
  }

  private shiftBack(hole: number): void {
    // Move every later entry of the probe run whose home is at or before the hole into it.
    let position = (hole + 1) & this.mask;
    for (;;) {
      const slot = this.table[position]!;
      if (slot === empty) return;
      const home = this.home(this.pool.orderId[slot]!);
      const distanceToHole = (hole - home) & this.mask;
      const distanceToHere = (position - home) & this.mask;
      if (distanceToHole < distanceToHere) {
        this.table[hole] = slot;
        this.table[position] = empty;
        hole = position;
      }
      position = (position + 1) & this.mask;
    }
  }

  private place(slot: number): void {
    let position = this.home(this.pool.orderId[slot]!);
    while (this.table[position] !== empty) position = (position + 1) & this.mask;
    this.table[position] = slot;
  }

  private home(orderId: number): number {
    // murmur3's 32-bit finaliser over both halves: ids are sequence × 256 + item, so their low bits are
    // mostly zero and must be mixed before masking. `orderId | 0` is the low half: ToInt32 takes the
    // integer modulo 2^32 (as `orderId % two32 | 0` would, without a float `%`, which calls fmod).
    let hash = (orderId | 0) ^ Math.imul((orderId / two32) | 0, 0x27d4eb2f);
    hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
    hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
    return (hash ^ (hash >>> 16)) & this.mask;
  }

  /** Sizes the table for `count` entries at once, so a restore never rehashes. */
  reserve(count: number): void {
    let length = this.table.length;
    while (count * 10 > length * 7) length *= 2;
    if (length !== this.table.length) this.rehash(length);
  }

  private grow(): void {
    this.rehash(this.table.length * 2);
  }

  private rehash(length: number): void {
    const old = this.table;
    this.table = new Int32Array(length).fill(empty);
    this.mask = this.table.length - 1;
    for (const slot of old) if (slot !== empty) this.place(slot);
  }
}
