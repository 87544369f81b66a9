// A seeded pseudo-random generator for the crash harness and its load: splitmix32-seeded xorshift128.
// Integer operations only, so a seed gives the same stream on every machine (Math.random cannot be
// seeded, and the point of a seed is that a failure can be replayed).

const two32 = 4_294_967_296;

function splitmix32(state: number): { state: number; value: number } {
  const next = (state + 0x9e3779b9) | 0;
  let value = next;
  value = Math.imul(value ^ (value >>> 16), 0x85ebca6b);
  value = Math.imul(value ^ (value >>> 13), 0xc2b2ae35);
  return { state: next, value: (value ^ (value >>> 16)) >>> 0 };
}

/**
 * @example
 * const random = new SeededRandom(42);
 * random.between(1, 6); // the same roll on every run with seed 42
 */
export class SeededRandom {
  private readonly words = new Uint32Array(4);

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`seed must be a non-negative safe integer, got ${seed}`);
    let mixer = { state: (seed % two32) ^ Math.floor(seed / two32), value: 0 };
    for (let index = 0; index < 4; index += 1) {
      mixer = splitmix32(mixer.state);
      this.words[index] = mixer.value;
    }
    if (this.words.every((word) => word === 0)) this.words[3] = 1;
  }

  /** A uniformly drawn 32-bit unsigned integer. */
  next(): number {
    const words = this.words;
    let t = words[3]!;
    const s = words[0]!;
    words[3] = words[2]!;
    words[2] = words[1]!;
    words[1] = s;
    t ^= t << 11;
    t ^= t >>> 8;
    words[0] = (t ^ s ^ (s >>> 19)) >>> 0;
    return words[0];
  }

  /** An integer from `lowest` to `highest`, both included (the modulo bias is irrelevant here). */
  between(lowest: number, highest: number): number {
    return lowest + (this.next() % (highest - lowest + 1));
  }

  /** True with probability perMille / 1000. */
  chance(perMille: number): boolean {
    return this.next() % 1000 < perMille;
  }

  pick<Item>(items: readonly Item[]): Item {
    return items[this.next() % items.length]!;
  }
}
