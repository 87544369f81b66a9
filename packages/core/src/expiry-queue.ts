import { assert } from "./assert.ts";
import type { TimeNs } from "./units.ts";

// GTD orders by expiry time: a binary min-heap of (expiresAt, orderId), ties broken by order id so the
// order of expiry is fixed by the inputs. Entries of orders that left the book early stay until their
// time comes and are then skipped (the caller checks the order still exists); order ids are never reused.
// The mark pricer keeps its markets' due times in one too (perp/mark-pricer.ts), by market index.

/** Stale entries tolerated beyond twice the live ones before a rebuild. */
const compactionSlack = 1024;

export class ExpiryQueue {
  private readonly times: TimeNs[] = [];
  private readonly orderIds: number[] = [];

  get size(): number {
    return this.times.length;
  }

  push(expiresAt: TimeNs, orderId: number): void {
    this.times.push(expiresAt);
    this.orderIds.push(orderId);
    this.siftUp(this.times.length - 1);
  }

  /** The earliest expiry time, or null when empty. */
  peekTime(): TimeNs | null {
    return this.times.length === 0 ? null : this.times[0]!;
  }

  /**
   * Rebuilds the heap from the live expiries when stale entries (orders that left early) dominate, so
   * place-and-cancel of far-future GTD orders cannot grow it without bound. Deterministic: the live map
   * iterates in insertion order and the heap order depends only on (time, id).
   */
  compact(live: ReadonlyMap<number, TimeNs>): void {
    if (this.times.length <= live.size * 2 + compactionSlack) return;
    this.times.length = 0;
    this.orderIds.length = 0;
    for (const [orderId, expiresAt] of live) {
      this.times.push(expiresAt);
      this.orderIds.push(orderId);
    }
    for (let position = (this.times.length >> 1) - 1; position >= 0; position -= 1) this.siftDown(position);
  }

  /** Removes the earliest entry and returns its order id. */
  pop(): number {
    assert(this.times.length > 0);
    const orderId = this.orderIds[0]!;
    const lastTime = this.times.pop()!;
    const lastId = this.orderIds.pop()!;
    if (this.times.length > 0) {
      this.times[0] = lastTime;
      this.orderIds[0] = lastId;
      this.siftDown(0);
    }
    return orderId;
  }

  private less(a: number, b: number): boolean {
    const timeA = this.times[a]!;
    const timeB = this.times[b]!;
    return timeA < timeB || (timeA === timeB && this.orderIds[a]! < this.orderIds[b]!);
  }

  private swap(a: number, b: number): void {
    const time = this.times[a]!;
    this.times[a] = this.times[b]!;
    this.times[b] = time;
    const id = this.orderIds[a]!;
    this.orderIds[a] = this.orderIds[b]!;
    this.orderIds[b] = id;
  }

  private siftUp(position: number): void {
    while (position > 0) {
      const parent = (position - 1) >> 1;
      if (!this.less(position, parent)) return;
      this.swap(position, parent);
      position = parent;
    }
  }

  private siftDown(position: number): void {
    const count = this.times.length;
    for (;;) {
      const left = position * 2 + 1;
      if (left >= count) return;
      const right = left + 1;
      const smaller = right < count && this.less(right, left) ? right : left;
      if (!this.less(smaller, position)) return;
      this.swap(smaller, position);
      position = smaller;
    }
  }
}
