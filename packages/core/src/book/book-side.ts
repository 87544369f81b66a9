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

export class BookSide {
  /** Sorted worst → best. */
  readonly levels: PriceLevel[] = [];
  private readonly byPrice = new Map<number, PriceLevel>();
  private readonly spares: PriceLevel[] = [];

  constructor(readonly isBid: boolean) {}

  best(): PriceLevel | undefined {
    return this.levels[this.levels.length - 1];
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
    if (position === this.levels.length) this.levels.push(level);
    else this.levels.splice(position, 0, level);
    return level;
  }

  /** Removes an emptied level. */
  remove(level: PriceLevel): void {
    assert(level.orderCount === 0 && level.head === noSlot, "removing a level that still has orders");
    this.byPrice.delete(level.price);
    const last = this.levels.length - 1;
    if (this.levels[last] === level) this.levels.pop();
    else this.levels.splice(this.positionOf(level.price), 1);
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
