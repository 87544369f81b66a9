// Used nonces per signer. A nonce is a millisecond timestamp: it must lie within ± windowMs of the
// server's clock, and a signer may use it once. Entries live in three generations of windowMs each, so
// a nonce is remembered for at least 2 × windowMs after it was first seen: longer than it can stay
// inside the window (it was at most windowMs ahead of the clock then, and expires windowMs after its
// own time). Memory is bounded by the request rate times three windows.
//
// A generation keeps each nonce as its distance from the generation's start, not as the timestamp: a
// millisecond timestamp (about 1.7e12) is past V8's small-integer range, so each one kept would be a
// heap number of its own, up to a million of them at 5,000 requests/s, and every major collection marks
// them all. The distance of a nonce inside the window stays within a few windows: a small integer,
// stored inline in the set.

interface Generation {
  /** The clock when the generation started (nonces are kept as nonce − baseMs). */
  readonly baseMs: number;
  /** Signer → the offsets of the nonces it used. */
  readonly used: Map<string, Set<number>>;
}

function sizeOf(generation: Generation): number {
  let size = 0;
  for (const used of generation.used.values()) size += used.size;
  return size;
}

function generationAt(baseMs: number): Generation {
  return { baseMs, used: new Map() };
}

function usedIn(generation: Generation, signer: string, nonce: number): boolean {
  return generation.used.get(signer)?.has(nonce - generation.baseMs) === true;
}

/** Remembers (signer, nonce) pairs for the nonce window. */
export class NonceRegistry {
  readonly windowMs: number;
  // Per generation: signer → the nonces it used (a short signer lookup, then a set of numbers; one set of
  // "signer:nonce" strings built and hashed a string per check, twice per request).
  private generations: [Generation, Generation, Generation];
  private count = 0;
  private rotatedAt: number;

  constructor(options: { windowMs: number; nowMs: number }) {
    this.windowMs = options.windowMs;
    this.rotatedAt = options.nowMs;
    this.generations = [generationAt(options.nowMs), generationAt(options.nowMs), generationAt(options.nowMs)];
  }

  /** Whether `nonce` lies inside the window around `nowMs`. */
  inWindow(nonce: number, nowMs: number): boolean {
    return nonce >= nowMs - this.windowMs && nonce <= nowMs + this.windowMs;
  }

  /** True when the signer already used this nonce (within the window). */
  has(signer: string, nonce: number, nowMs: number): boolean {
    this.rotate(nowMs);
    const generations = this.generations;
    return usedIn(generations[0], signer, nonce) || usedIn(generations[1], signer, nonce) || usedIn(generations[2], signer, nonce);
  }

  /** Records a use; false when the pair was already used (a replay). */
  use(signer: string, nonce: number, nowMs: number): boolean {
    if (this.has(signer, nonce, nowMs)) return false;
    const current = this.generations[0];
    const offset = nonce - current.baseMs;
    const used = current.used.get(signer);
    if (used === undefined) current.used.set(signer, new Set([offset]));
    else used.add(offset);
    this.count += 1;
    return true;
  }

  /** How many nonces are remembered now. */
  get size(): number {
    return this.count;
  }

  private rotate(nowMs: number): void {
    // Bounded: after three rotations every generation is empty anyway.
    for (let step = 0; step < 3 && nowMs - this.rotatedAt >= this.windowMs; step += 1) {
      this.count -= sizeOf(this.generations[2]);
      this.rotatedAt += this.windowMs;
      this.generations = [generationAt(this.rotatedAt), this.generations[0], this.generations[1]];
    }
    if (nowMs - this.rotatedAt >= this.windowMs) this.rotatedAt = nowMs;
  }
}
