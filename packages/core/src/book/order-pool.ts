import { assert } from "../assert.ts";

// Resting orders live in a struct of typed arrays indexed by slot, not in one object each: about 45 bytes
// an order instead of 150+, no per-order garbage, and cache-friendly walks of a price level (exchange-core
// and LMAX keep orders the same way). A slot is reused after its order leaves the book; the free list is a
// stack, so slot assignment is a pure function of the command stream and replays identically.

/** No slot: the end of a linked list. */
export const noSlot = -1;

// flags layout (one byte an order)
const sideSell = 0b0000_0001;
const postOnlyBit = 0b0000_0010;
const reduceOnlyBit = 0b0000_0100;
const timeInForceShift = 3; // 2 bits: 0 GTC, 1 IOC, 2 FOK, 3 GTD
const selfTradeShift = 5; // 2 bits: 0 cancelIncoming, 1 cancelResting, 2 cancelBoth

export const timeInForceCodes = ["GTC", "IOC", "FOK", "GTD"] as const;
export const selfTradeCodes = ["cancelIncoming", "cancelResting", "cancelBoth"] as const;

export interface OrderFlags {
  readonly sell: boolean;
  readonly postOnly: boolean;
  readonly reduceOnly: boolean;
  readonly timeInForce: number;
  readonly selfTrade: number;
}

export function encodeFlags(flags: OrderFlags): number {
  assert(flags.timeInForce >= 0 && flags.timeInForce < 4);
  assert(flags.selfTrade >= 0 && flags.selfTrade < 3);
  return (
    (flags.sell ? sideSell : 0) |
    (flags.postOnly ? postOnlyBit : 0) |
    (flags.reduceOnly ? reduceOnlyBit : 0) |
    (flags.timeInForce << timeInForceShift) |
    (flags.selfTrade << selfTradeShift)
  );
}

export const flagIsSell = (flags: number): boolean => (flags & sideSell) !== 0;
export const flagIsPostOnly = (flags: number): boolean => (flags & postOnlyBit) !== 0;
export const flagIsReduceOnly = (flags: number): boolean => (flags & reduceOnlyBit) !== 0;
export const flagTimeInForce = (flags: number): number => (flags >> timeInForceShift) & 0b11;
export const flagSelfTrade = (flags: number): number => (flags >> selfTradeShift) & 0b11;

const capacityInitial = 1024;

export class OrderPool {
  /** Order ids are safe integers (< 2^53); a JS number is a float64 either way, no fraction is stored. */
  orderId = new Float64Array(capacityInitial);
  account = new Int32Array(capacityInitial);
  market = new Int32Array(capacityInitial);
  price = new Int32Array(capacityInitial);
  /** size = filled + remaining, always. */
  size = new Int32Array(capacityInitial);
  remaining = new Int32Array(capacityInitial);
  /** FIFO queue of the order's price level. */
  next = new Int32Array(capacityInitial);
  previous = new Int32Array(capacityInitial);
  /** The account's list of open orders, for cancel-all without a scan. */
  accountNext = new Int32Array(capacityInitial);
  accountPrevious = new Int32Array(capacityInitial);
  flags = new Uint8Array(capacityInitial);

  private capacity = capacityInitial;
  // The arrays of the next capacity, allocated once the pool is seven-eighths full and written a page at
  // a time as it fills further (prepareGrowth), so a growth copies into memory the process already holds.
  // Into fresh pages (mapped and zeroed by the kernel at their first write) the copies took five times
  // as long: 307 ms at the growth past 11.5 M orders, one command's wait.
  private upcoming: UpcomingArrays | null = null;
  /** Slots never used so far are [highWater, capacity). */
  private highWater = 0;
  private freeSlots = new Int32Array(capacityInitial);
  private freeCount = 0;
  private liveCount = 0;

  get count(): number {
    return this.liveCount;
  }

  /** The number of slots ever handed out: every live slot is below it. */
  get slotLimit(): number {
    return this.highWater;
  }

  allocate(): number {
    this.liveCount += 1;
    if (this.freeCount > 0) {
      this.freeCount -= 1;
      return this.freeSlots[this.freeCount]!;
    }
    if (this.highWater === this.capacity) this.grow();
    else if (this.highWater >= this.capacity - (this.capacity >> 3)) this.prepareGrowth();
    const slot = this.highWater;
    this.highWater += 1;
    return slot;
  }

  release(slot: number): void {
    assert(slot >= 0 && slot < this.highWater);
    assert(this.orderId[slot] !== 0, "slot released twice");
    this.orderId[slot] = 0;
    this.freeSlots[this.freeCount] = slot;
    this.freeCount += 1;
    this.liveCount -= 1;
  }

  isLive(slot: number): boolean {
    return slot >= 0 && slot < this.highWater && this.orderId[slot] !== 0;
  }

  /** Bytes held by the pool's arrays, for the memory benchmark. */
  bytesAllocated(): number {
    return (this.capacity + (this.upcoming?.capacity ?? 0)) * slotBytes;
  }

  /**
   * Makes room for `count` orders at once (snapshot restore knows how many are coming), at the capacity
   * growing order by order would have reached (1.5× steps): a restored pool keeps the live one's slack.
   * Sized to `count` exactly, a pool restored with 10 M orders grew by 1.5× at the first order placed
   * after the start — half a gigabyte copied while that order's sender waited.
   */
  reserve(count: number): void {
    let capacity = this.capacity;
    while (capacity < count) capacity = grownCapacity(capacity);
    if (capacity !== this.capacity) this.resize(capacity);
  }

  private grow(): void {
    this.resize(grownCapacity(this.capacity));
  }

  // One step of getting the next arrays ready: allocating them (the OS maps their pages only when first
  // written), then writing one page of one of them per call. Called at each new slot from seven-eighths
  // full: an eighth of the capacity in calls, for about 1.8 % of it in pages.
  private prepareGrowth(): void {
    const upcoming = this.upcoming;
    if (upcoming === null) {
      this.upcoming = upcomingArrays(grownCapacity(this.capacity));
      return;
    }
    const arrays = upcoming.arrays;
    if (upcoming.writing === arrays.length) return;
    const array = arrays[upcoming.writing]!;
    array[upcoming.index] = 0;
    upcoming.index += pageBytes / array.BYTES_PER_ELEMENT;
    if (upcoming.index >= array.length) {
      upcoming.writing += 1;
      upcoming.index = 0;
    }
  }

  private resize(capacity: number): void {
    const grown = this.upcoming !== null && this.upcoming.capacity === capacity ? this.upcoming : upcomingArrays(capacity);
    this.upcoming = null;
    this.orderId = copied(grown.orderId, this.orderId);
    this.account = copied(grown.account, this.account);
    this.market = copied(grown.market, this.market);
    this.price = copied(grown.price, this.price);
    this.size = copied(grown.size, this.size);
    this.remaining = copied(grown.remaining, this.remaining);
    this.next = copied(grown.next, this.next);
    this.previous = copied(grown.previous, this.previous);
    this.accountNext = copied(grown.accountNext, this.accountNext);
    this.accountPrevious = copied(grown.accountPrevious, this.accountPrevious);
    this.freeSlots = copied(grown.freeSlots, this.freeSlots);
    this.flags = copied(grown.flags, this.flags);
    this.capacity = capacity;
  }
}

// Bytes a slot takes across the arrays: orderId 8, nine Int32 fields and the free list 4 each, flags 1.
const slotBytes = 8 + 4 * 9 + 4 + 1;
const pageBytes = 4096;

// 1.5×: less slack than doubling at 10 M orders; copies are amortised O(1) per order.
function grownCapacity(capacity: number): number {
  return capacity + (capacity >> 1);
}

/** The pool's arrays at a larger capacity, and how far their pages have been written. */
interface UpcomingArrays {
  readonly capacity: number;
  readonly orderId: Float64Array<ArrayBuffer>;
  readonly account: Int32Array<ArrayBuffer>;
  readonly market: Int32Array<ArrayBuffer>;
  readonly price: Int32Array<ArrayBuffer>;
  readonly size: Int32Array<ArrayBuffer>;
  readonly remaining: Int32Array<ArrayBuffer>;
  readonly next: Int32Array<ArrayBuffer>;
  readonly previous: Int32Array<ArrayBuffer>;
  readonly accountNext: Int32Array<ArrayBuffer>;
  readonly accountPrevious: Int32Array<ArrayBuffer>;
  readonly freeSlots: Int32Array<ArrayBuffer>;
  readonly flags: Uint8Array<ArrayBuffer>;
  // All of the above, in the order their pages are written.
  readonly arrays: readonly (Float64Array | Int32Array | Uint8Array)[];
  // The array being written, and its next element to write (one per page).
  writing: number;
  index: number;
}

function upcomingArrays(capacity: number): UpcomingArrays {
  const int = (): Int32Array<ArrayBuffer> => new Int32Array(capacity);
  const named = {
    orderId: new Float64Array(capacity),
    account: int(),
    market: int(),
    price: int(),
    size: int(),
    remaining: int(),
    next: int(),
    previous: int(),
    accountNext: int(),
    accountPrevious: int(),
    freeSlots: int(),
    flags: new Uint8Array(capacity),
  };
  return { capacity, ...named, arrays: Object.values(named), writing: 0, index: 0 };
}

// `into`, holding `from` in its first elements.
function copied<T extends { set(source: ArrayLike<number>): void }>(into: T, from: ArrayLike<number>): T {
  into.set(from);
  return into;
}
