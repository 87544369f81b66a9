// A small deterministic generator for the API's tests (xorshift32), so a failure names its seed.

/**
 * Numbers in [0, 1) from `seed`; the same stream on every run.
 *
 * @example
 * const next = seededRandom(7);
 * next(); // the same first value on every run with seed 7
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}
