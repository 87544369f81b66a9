import { assert } from "../assert.ts";

// The detection index: per market and side, every open position keyed by the mark price at which it
// becomes liquidatable, so a mark move visits only the positions it crosses instead of every position.
//
// Each side is a binary max-heap in typed arrays (no object per entry): longs keyed by their liquidation
// price (liquidatable while mark ≤ key), shorts by the negated price (liquidatable while −mark ≤ −key,
// i.e. mark ≥ price), so one heap serves both. `collect(threshold)` walks the heap from the root, level
// by level, and descends only into entries whose key reaches the threshold: every entry it visits is in
// the answer, so the walk costs O(answer), whatever the heap holds.
//
// An entry is (key, handle, version). A position is re-keyed by pushing a new entry and bumping its
// handle's version; the old entry becomes stale and is skipped, and the heap is rebuilt without stale
// entries once they outnumber the live ones (amortised O(1) per update). The index is not state: it is a
// function of the positions and the marks, rebuilt after a snapshot restore.

const capacityInitial = 1024;

/** A growable pair of arrays that a search fills with (handle, version) entries. */
export class FoundEntries {
  handles = new Int32Array(capacityInitial);
  versions = new Int32Array(capacityInitial);

  grow(needed: number): void {
    let capacity = this.handles.length;
    while (capacity < needed) capacity *= 2;
    const handles = new Int32Array(capacity);
    handles.set(this.handles);
    const versions = new Int32Array(capacity);
    versions.set(this.versions);
    this.handles = handles;
    this.versions = versions;
  }
}

/** One market side's heap of (key, handle, version). */
export class LiquidationHeap {
  keys = new Int32Array(capacityInitial);
  handles = new Int32Array(capacityInitial);
  versions = new Int32Array(capacityInitial);
  size = 0;
  /** Two reusable lists of heap positions for collect's levels (no allocation per walk). */
  private stack = new Int32Array(capacityInitial);
  private nextLevel = new Int32Array(capacityInitial);

  push(key: number, handle: number, version: number): void {
    if (this.size === this.keys.length) this.grow();
    let at = this.size;
    this.size += 1;
    const keys = this.keys;
    // Sift up.
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (keys[parent]! >= key) break;
      keys[at] = keys[parent]!;
      this.handles[at] = this.handles[parent]!;
      this.versions[at] = this.versions[parent]!;
      at = parent;
    }
    keys[at] = key;
    this.handles[at] = handle;
    this.versions[at] = version;
  }

  private grow(): void {
    const capacity = this.keys.length * 2;
    const keys = new Int32Array(capacity);
    keys.set(this.keys);
    const handles = new Int32Array(capacity);
    handles.set(this.handles);
    const versions = new Int32Array(capacity);
    versions.set(this.versions);
    this.keys = keys;
    this.handles = handles;
    this.versions = versions;
    this.stack = new Int32Array(capacity);
    this.nextLevel = new Int32Array(capacity);
  }

  /**
   * Appends every entry whose key is ≥ `threshold` (stale ones included: the caller checks versions) to
   * `out` from `outCount`, growing it as needed; returns the new count. The walk goes level by level:
   * the entries it reads on each level are in increasing order, so the arrays are read front to back
   * (a depth-first walk jumps between levels and misses the cache on large heaps).
   */
  collect(threshold: number, out: FoundEntries, outCount: number): number {
    if (this.size === 0 || this.keys[0]! < threshold) return outCount;
    const keys = this.keys;
    const handles = this.handles;
    const versions = this.versions;
    let level = this.stack;
    let next = this.nextLevel;
    let levelCount = 1;
    level[0] = 0;
    let count = outCount;
    while (levelCount > 0) {
      let nextCount = 0;
      if (count + levelCount > out.handles.length) out.grow(count + levelCount);
      const outHandles = out.handles;
      const outVersions = out.versions;
      for (let item = 0; item < levelCount; item += 1) {
        const at = level[item]!;
        outHandles[count] = handles[at]!;
        outVersions[count] = versions[at]!;
        count += 1;
        const left = at * 2 + 1;
        if (left < this.size && keys[left]! >= threshold) next[nextCount++] = left;
        if (left + 1 < this.size && keys[left + 1]! >= threshold) next[nextCount++] = left + 1;
      }
      const swap = level;
      level = next;
      next = swap;
      levelCount = nextCount;
    }
    return count;
  }

  /** Keeps only the entries `live(handle, version)` accepts and restores the heap order (O(n)). */
  compact(live: (handle: number, version: number) => boolean): void {
    let kept = 0;
    for (let at = 0; at < this.size; at += 1) {
      const handle = this.handles[at]!;
      const version = this.versions[at]!;
      if (!live(handle, version)) continue;
      this.keys[kept] = this.keys[at]!;
      this.handles[kept] = handle;
      this.versions[kept] = version;
      kept += 1;
    }
    this.size = kept;
    for (let at = (kept >> 1) - 1; at >= 0; at -= 1) this.siftDown(at);
  }

  private siftDown(start: number): void {
    const keys = this.keys;
    const key = keys[start]!;
    const handle = this.handles[start]!;
    const version = this.versions[start]!;
    let at = start;
    for (;;) {
      const left = at * 2 + 1;
      if (left >= this.size) break;
      const right = left + 1;
      const child = right < this.size && keys[right]! > keys[left]! ? right : left;
      if (keys[child]! <= key) break;
      keys[at] = keys[child]!;
      this.handles[at] = this.handles[child]!;
      this.versions[at] = this.versions[child]!;
      at = child;
    }
    keys[at] = key;
    this.handles[at] = handle;
    this.versions[at] = version;
  }
}

/** No liquidation price: the position cannot become liquidatable at any positive mark. */
export const keyNone = -1;

/**
 * Positions by handle, and per market two heaps (longs, shorts). Handles are small integers reused
 * through a free list; `version[handle]` names the one live entry of each handle.
 *
 * @example
 * const index = new LiquidationIndex();
 * const handle = index.allocate();
 * index.place(handle, { market: 0, long: true, price: 49_851 });
 * index.collect({ market: 0, mark: 49_000 }, (found) => console.log(found)); // => 0
 */
export class LiquidationIndex {
  private readonly heaps: LiquidationHeap[] = [];
  private version = new Int32Array(capacityInitial);
  /** Market × 2 + (short ? 1 : 0) of the live entry, or −1 when the handle has none. */
  private heapOf = new Int32Array(capacityInitial).fill(-1);
  private readonly free: number[] = [];
  private handleCount = 0;
  private live = 0;
  private entries = 0;

  get liveCount(): number {
    return this.live;
  }

  allocate(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    const handle = this.handleCount;
    this.handleCount += 1;
    if (handle === this.version.length) {
      const version = new Int32Array(handle * 2);
      version.set(this.version);
      this.version = version;
      const heapOf = new Int32Array(handle * 2).fill(-1);
      heapOf.set(this.heapOf);
      this.heapOf = heapOf;
    }
    return handle;
  }

  /** Forgets a handle's entry and frees the handle. */
  release(handle: number): void {
    this.remove(handle);
    this.free.push(handle);
  }

  /** Makes the handle's entry stale: the position is flat or cannot be liquidated. */
  remove(handle: number): void {
    if (this.heapOf[handle] !== -1) this.live -= 1;
    this.heapOf[handle] = -1;
    this.version[handle] = (this.version[handle]! + 1) | 0;
  }

  /** (Re)keys a handle: `price` is the highest (long) or lowest (short) tick at which it is liquidatable. */
  place(handle: number, where: { market: number; long: boolean; price: number }): void {
    assert(Number.isInteger(where.price) && where.price >= 1, "a liquidation key is a positive tick");
    this.remove(handle);
    const heapIndex = where.market * 2 + (where.long ? 0 : 1);
    while (this.heaps.length <= heapIndex) this.heaps.push(new LiquidationHeap());
    const heap = this.heaps[heapIndex]!;
    heap.push(where.long ? where.price : -where.price, handle, this.version[handle]!);
    this.heapOf[handle] = heapIndex;
    this.live += 1;
    this.entries += 1;
    if (heap.size > 1024 && heap.size > this.live * 2) this.compactAll();
  }

  private compactAll(): void {
    const isLive = (handle: number, version: number): boolean => this.version[handle] === version && this.heapOf[handle] !== -1;
    this.entries = 0;
    for (const heap of this.heaps) {
      heap.compact(isLive);
      this.entries += heap.size;
    }
  }

  /** What the last search found: (handle, version) pairs, stale ones included, in `foundCount`. */
  readonly found = new FoundEntries();
  foundCount = 0;

  /**
   * Fills `found` with every entry of the market that its key makes liquidatable at `mark` (longs keyed
   * at or above the mark, shorts at or below), stale entries included; returns how many.
   */
  search(where: { market: number; mark: number }): number {
    let count = 0;
    const longs = this.heaps[where.market * 2];
    if (longs !== undefined) count = longs.collect(where.mark, this.found, count);
    const shorts = this.heaps[where.market * 2 + 1];
    if (shorts !== undefined) count = shorts.collect(-where.mark, this.found, count);
    this.foundCount = count;
    return count;
  }

  /** Whether a found (handle, version) is the handle's live entry. */
  isCurrent(handle: number, version: number): boolean {
    return this.version[handle] === version && this.heapOf[handle] !== -1;
  }

  /**
   * Calls `found(handle)` for every live handle of the market that is liquidatable at `mark` by its key.
   * Returns the entries visited (stale included).
   */
  collect(where: { market: number; mark: number }, found: (handle: number) => void): number {
    const visited = this.search(where);
    const handles = this.found.handles;
    const versions = this.found.versions;
    for (let item = 0; item < visited; item += 1) {
      if (this.isCurrent(handles[item]!, versions[item]!)) found(handles[item]!);
    }
    return visited;
  }

  /** Drops every entry (snapshot restore rebuilds from the positions). */
  clear(): void {
    for (const heap of this.heaps) heap.size = 0;
    this.heapOf.fill(-1);
    this.live = 0;
    this.entries = 0;
  }
}
