import { assert } from "../assert.ts";
import { noSlot, type OrderPool } from "./order-pool.ts";

// Order id → pool slot, O(1), for cancel by id. Open addressing with linear probing over one Int32Array:
// the key is read back from the pool (pool.orderId[slot]), so the table stores 4 bytes an entry instead
// of a Map's ~40 and never allocates per order. Deletion shifts later entries back (no tombstones), so
// probe chains stay short under churn.
//
// The table grows without a pause. Rehashing ten million entries at once took 845 ms on one command
// (random writes into a 128 MB table, measured at 11.7 M orders), and every command behind it waited. So
// a full table becomes the `draining` table and a table twice its size takes new entries; each insert
// then moves a few of the draining table's entries across, and a lookup that misses the new table looks
// in the draining one. Moving an entry is a proper deletion (with the shift-back), so the draining table
// stays a valid linear-probing table until it is empty and dropped; an entry lives in exactly one table.
// Cells hold slot + 1, so 0 is empty and a fresh Int32Array is an empty table: allocating the doubled
// table costs no fill (the OS hands out zeroed pages as they are first written).

const empty = 0;
const capacityInitial = 1024;
const two32 = 4_294_967_296;
// Draining-table visits per insert, each an empty cell passed or one entry moved. The new table holds
// twice the cells, so it reaches its 70 % growth threshold after 0.7 × L inserts (L: the old table's
// length); the old table, L cells and 0.7 × L entries, is empty after 1.7 × L / 8 inserts, long before:
// a table never grows while another drains. An insert costs at most about a microsecond more meanwhile.
const drainVisitsPerInsert = 8;

export class OrderIndex {
  private table = new Int32Array(capacityInitial);
  private mask = capacityInitial - 1;
  // The previous table while its entries move across (null when none is left).
  private draining: Int32Array | null = null;
  // Cells of `draining` below this are empty: the drain sweeps up from 0.
  private drainCursor = 0;
  // Entries in both tables.
  private entries = 0;

  constructor(private readonly pool: OrderPool) {}

  get count(): number {
    return this.entries;
  }

  bytesAllocated(): number {
    return (this.table.length + (this.draining?.length ?? 0)) * 4;
  }

  find(orderId: number): number {
    const slot = findIn(this.table, this.mask, this.pool.orderId, orderId);
    const draining = this.draining;
    if (slot !== noSlot || draining === null) return slot;
    return findIn(draining, draining.length - 1, this.pool.orderId, orderId);
  }

  insert(slot: number): void {
    if (this.draining !== null) this.drain(drainVisitsPerInsert);
    // Grow at 70 % load: linear probing stays around 2 probes per lookup. The entries still draining
    // count: the new table must hold them all once the old one is empty.
    else if ((this.entries + 1) * 10 > this.table.length * 7) this.startGrowing();
    place(this.table, this.mask, this.pool.orderId, slot);
    this.entries += 1;
  }

  remove(orderId: number): void {
    const orderIds = this.pool.orderId;
    if (!removeFrom(this.table, this.mask, orderIds, orderId)) {
      const draining = this.draining;
      assert(draining !== null && removeFrom(draining, draining.length - 1, orderIds, orderId), "removing an order id that is not indexed");
    }
    this.entries -= 1;
  }

  /** Sizes the table for `count` entries at once, so a restore never rehashes. */
  reserve(count: number): void {
    if (this.draining !== null) this.drain(Number.POSITIVE_INFINITY);
    let length = this.table.length;
    while (count * 10 > length * 7) length *= 2;
    if (length === this.table.length) return;
    const old = this.table;
    this.table = new Int32Array(length);
    this.mask = length - 1;
    for (const cell of old) if (cell !== empty) place(this.table, this.mask, this.pool.orderId, cell - 1);
  }

  private startGrowing(): void {
    this.draining = this.table;
    this.drainCursor = 0;
    this.table = new Int32Array(this.table.length * 2);
    this.mask = this.table.length - 1;
  }

  // Makes up to `visits` visits to the draining table (an empty cell passed, or an entry moved into the
  // table); drops the draining table once it is empty.
  private drain(visits: number): void {
    const draining = this.draining!;
    const drainingMask = draining.length - 1;
    const orderIds = this.pool.orderId;
    let cursor = this.drainCursor;
    for (let visited = 0; visited < visits && cursor < draining.length; visited += 1) {
      const cell = draining[cursor]!;
      if (cell === empty) {
        cursor += 1;
        continue;
      }
      // Deleting at the cursor shifts a later entry of the run into it (or leaves it empty): the cursor
      // stays until the cell is empty. Every cell below the cursor is empty, so no shift-back reaches
      // below it, and every entry is met once.
      removeAt(draining, drainingMask, orderIds, cursor);
      place(this.table, this.mask, orderIds, cell - 1);
    }
    this.drainCursor = cursor;
    if (cursor === draining.length) this.draining = null;
  }
}

// murmur3's 32-bit finaliser over both halves: ids are sequence × 256 + item, so their low bits are mostly
// zero and must be mixed before masking. `orderId | 0` is the low half: ToInt32 takes the integer modulo
// 2^32 (as `orderId % two32 | 0` would, without a float `%`, which calls fmod).
function home(orderId: number, mask: number): number {
  let hash = (orderId | 0) ^ Math.imul((orderId / two32) | 0, 0x27d4eb2f);
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) & mask;
}

// The cell holding `orderId` in `table`, or -1 when it is not there.
function cellOf(table: Int32Array, mask: number, orderIds: Float64Array, orderId: number): number {
  let position = home(orderId, mask);
  for (;;) {
    const cell = table[position]!;
    if (cell === empty) return -1;
    if (orderIds[cell - 1] === orderId) return position;
    position = (position + 1) & mask;
  }
}

// The slot holding `orderId` in `table`, or noSlot.
function findIn(table: Int32Array, mask: number, orderIds: Float64Array, orderId: number): number {
  const position = cellOf(table, mask, orderIds, orderId);
  return position === -1 ? noSlot : table[position]! - 1;
}

function place(table: Int32Array, mask: number, orderIds: Float64Array, slot: number): void {
  let position = home(orderIds[slot]!, mask);
  while (table[position] !== empty) position = (position + 1) & mask;
  table[position] = slot + 1;
}

// Removes `orderId` from `table`; false when it is not there.
function removeFrom(table: Int32Array, mask: number, orderIds: Float64Array, orderId: number): boolean {
  const position = cellOf(table, mask, orderIds, orderId);
  if (position === -1) return false;
  removeAt(table, mask, orderIds, position);
  return true;
}

// Empties cell `hole`, then moves every later entry of its probe run whose home is at or before the hole
// into it.
function removeAt(table: Int32Array, mask: number, orderIds: Float64Array, hole: number): void {
  table[hole] = empty;
  let position = (hole + 1) & mask;
  for (;;) {
    const cell = table[position]!;
    if (cell === empty) return;
    const cellHome = home(orderIds[cell - 1]!, mask);
    const distanceToHole = (hole - cellHome) & mask;
    const distanceToHere = (position - cellHome) & mask;
    if (distanceToHole < distanceToHere) {
      table[hole] = cell;
      table[position] = empty;
      hole = position;
    }
    position = (position + 1) & mask;
  }
}
