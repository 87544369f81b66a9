// A seeded pseudo-random generator for the benchmark workload: xoshiro128** (Blackman and Vigna), seeded
// through splitmix32. Only 32-bit integer operations, so the same seed gives the same stream on every
// machine and Node version (Math.random cannot be seeded; Math.log and friends are not specified to the
// last bit, so no float function touches a draw).

const two32 = 4_294_967_296;

function splitmix32(state: number): { state: number; value: number } {
  const next = (state + 0x9e3779b9) | 0;
  let value = next;
  value = Math.imul(value ^ (value >>> 16), 0x85ebca6b);
  value = Math.imul(value ^ (value >>> 13), 0xc2b2ae35);
  value ^= value >>> 16;
  return { state: next, value };
}

/**
 * @example
 * const random = new Random(42);
 * const size = random.between(1, 100); // 1 to 100 inclusive, the same on every run with seed 42
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`seed must be a non-negative integer, got ${seed}`);
    // Both halves of the seed enter the state, so seeds above 2^32 differ from their low 32 bits.
    let mixer = splitmix32((seed % two32) ^ Math.floor(seed / two32));
    this.a = mixer.value;
    mixer = splitmix32(mixer.state);
    this.b = mixer.value;
    mixer = splitmix32(mixer.state);
    this.c = mixer.value;
    mixer = splitmix32(mixer.state);
    this.d = mixer.value;
    if ((this.a | this.b | this.c | this.d) === 0) this.d = 1; // the all-zero state is a fixed point
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotateLeft(Math.imul(this.b, 5), 7), 9);
    const shifted = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= shifted;
    this.d = rotateLeft(this.d, 11);
    return result >>> 0;
  }

  /**
   * A uniform integer in [0, count). Multiply-shift: the product stays below 2^53 for count < 2^21, so
   * it is exact; the bias of at most count / 2^32 is far below anything the benchmark can observe.
   */
  below(count: number): number {
    if (!Number.isInteger(count) || count < 1 || count > 2_097_152) throw new Error(`count out of range: ${count}`);
    return Math.floor((this.nextUint32() * count) / two32);
  }

  /** A uniform integer in [lowest, highest], both included. */
  between(lowest: number, highest: number): number {
    return lowest + this.below(highest - lowest + 1);
  }

  /** True with probability perMille / 1000. */
  chance(perMille: number): boolean {
    return this.below(1000) < perMille;
  }
}

function rotateLeft(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}
