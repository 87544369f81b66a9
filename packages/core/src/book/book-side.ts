import { assert } from "../assert.ts";
import { noSlot } from "./order-pool.ts";

// One side of a market's book. Levels are kept in an array sorted from the worst price to the best, so
// the best level is the last element: O(1) best price, O(1) removal of an emptied best level (pop), and
// new levels near the touch (where nearly all orders arrive) are inserted with a short move of the tail
// of the array. A Map finds a level by price in O(1). Orders of a level form a FIFO linked list through
// the order pool's next/previous slots.

export class PriceLevel {
  price = 0;
  head = noSlot;
  tail = noSlot;
  /** Σ remaining lots of the level's orders; ≤ ordersPerLevel × int32Max, a safe integer. */
  totalLots = 0;
  orderCount = 0;
}

const sparesMax = 1024;
/**
 * Levels are inserted and removed near the touch, a few elements from the end of `levels`: up to this
 * many elements are moved by a loop, which costs less than splice (a builtin call that also allocates
 * the array it returns); farther from the end, splice's block move wins.
 */
const shiftedByHandMax = 32;

export class BookSide {
  /** Sorted worst → best. */
  readonly levels: PriceLevel[] = [];
  private readonly byPrice = new Map<number, PriceLevel>();
  private readonly spares: PriceLevel[] = [];

  constructor(readonly isBid: boolean) {}

  best(): PriceLevel | undefined {
    // Never index -1: reading levels[-1] of an empty side is a named-property lookup that turns this
    // site's element access megamorphic for good (a builtin call on every later read).
    const count = this.levels.length;
    return count === 0 ? undefined : this.levels[count - 1];
  }

  bestPrice(): number {
    const best = this.best();
    return best === undefined ? 0 : best.price;
  }

  find(price: number): PriceLevel | undefined {
    return this.byPrice.get(price);
  }

  /** True when `price` is strictly better than `other` on this side. */
  isBetter(price: number, other: number): boolean {
    return this.isBid ? price > other : price < other;
  }

  /** The level at `price`, created in sorted position if the side has none yet. */
  levelAt(price: number): PriceLevel {
    const existing = this.byPrice.get(price);
    if (existing !== undefined) return existing;
    const level = this.spares.pop() ?? new PriceLevel();
    level.price = price;
    level.head = noSlot;
    level.tail = noSlot;
    level.totalLots = 0;
    level.orderCount = 0;
    this.byPrice.set(price, level);
    const position = this.insertPosition(price);
    const levels = this.levels;
    let at = levels.length;
    if (at - position > shiftedByHandMax) {
      levels.splice(position, 0, level);
      return level;
    }
    levels.push(level);
    for (; at > position; at -= 1) levels[at] = levels[at - 1]!;
    levels[position] = level;
    return level;
  }

  /** Removes an emptied level. */
  remove(level: PriceLevel): void {
    assert(level.orderCount === 0 && level.head === noSlot, "removing a level that still has orders");
    this.byPrice.delete(level.price);
    const levels = this.levels;
    const last = levels.length - 1;
    if (levels[last] !== level) {
      const position = this.positionOf(level.price);
      if (last - position > shiftedByHandMax) {
        levels.splice(position, 1);
        if (this.spares.length < sparesMax) this.spares.push(level);
        return;
      }
      for (let at = position; at < last; at += 1) levels[at] = levels[at + 1]!;
    }
    levels.pop();
    if (this.spares.length < sparesMax) this.spares.push(level);
  }

  get levelCount(): number {
    return this.levels.length;
  }

  /** The first index whose level is better than `price` (levels are sorted worst → best). */
  private insertPosition(price: number): number {
    let low = 0;
    let high = this.levels.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.isBetter(this.levels[middle]!.price, price)) high = middle;
      else low = middle + 1;
    }
    return low;
  }

  private positionOf(price: number): number {
    const position = this.insertPosition(price) - 1;
    assert(this.levels[position]?.price === price, "level not found in sorted levels");
    return position;
  }
}
