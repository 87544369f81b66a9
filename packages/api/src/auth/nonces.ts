// Used nonces per signer. A nonce is a millisecond timestamp: it must lie within ± windowMs of the
// server's clock, and a signer may use it once. Entries live in three generations of windowMs each, so
// a nonce is remembered for at least 2 × windowMs after it was first seen: longer than it can stay
// inside the window (it was at most windowMs ahead of the clock then, and expires windowMs after its
// own time). Memory is bounded by the request rate times three windows.

type Generation = Map<string, Set<number>>;

function sizeOf(generation: Generation): number {
  let size = 0;
  for (const used of generation.values()) size += used.size;
  return size;
}

/** Remembers (signer, nonce) pairs for the nonce window. */
export class NonceRegistry {
  readonly windowMs: number;
  // Per generation: signer → the nonces it used (a short signer lookup, then a set of numbers; one set of
  // "signer:nonce" strings built and hashed a string per check, twice per request).
  private generations: [Generation, Generation, Generation] = [new Map(), new Map(), new Map()];
  private count = 0;
  private rotatedAt: number;

  constructor(options: { windowMs: number; nowMs: number }) {
    this.windowMs = options.windowMs;
    this.rotatedAt = options.nowMs;
  }

  /** Whether `nonce` lies inside the window around `nowMs`. */
  inWindow(nonce: number, nowMs: number): boolean {
    return nonce >= nowMs - this.windowMs && nonce <= nowMs + this.windowMs;
  }

  /** True when the signer already used this nonce (within the window). */
  has(signer: string, nonce: number, nowMs: number): boolean {
    this.rotate(nowMs);
    const generations = this.generations;
    return generations[0].get(signer)?.has(nonce) === true || generations[1].get(signer)?.has(nonce) === true || generations[2].get(signer)?.has(nonce) === true;
  }

  /** Records a use; false when the pair was already used (a replay). */
  use(signer: string, nonce: number, nowMs: number): boolean {
    if (this.has(signer, nonce, nowMs)) return false;
    const current = this.generations[0];
    const used = current.get(signer);
    if (used === undefined) current.set(signer, new Set([nonce]));
    else used.add(nonce);
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
      this.generations = [new Map(), this.generations[0], this.generations[1]];
      this.rotatedAt += this.windowMs;
    }
    if (nowMs - this.rotatedAt >= this.windowMs) this.rotatedAt = nowMs;
  }
}
