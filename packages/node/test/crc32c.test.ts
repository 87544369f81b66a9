// Proves the table-driven CRC32C is the Castagnoli CRC: the published check value, and agreement with
// the bit-at-a-time reference on seeded random inputs of every length and alignment.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32c, crc32cFinal, crc32cInitial, crc32cReference, crc32cUpdate } from '../src/journal/crc32c.ts';

const encoder = new TextEncoder();

test('crc32c: known values (RFC 3720 check value and test vectors)', () => {
  const cases: ReadonlyArray<readonly [Uint8Array, number]> = [
    [encoder.encode('123456789'), 0xe3069283],
    [new Uint8Array(0), 0x00000000],
    [new Uint8Array(32), 0x8a9136aa],
    [new Uint8Array(32).fill(0xff), 0x62a8ab43],
    [Uint8Array.from({ length: 32 }, (_, index) => index), 0x46dd794e],
  ];
  for (const [bytes, expected] of cases) {
    assert.equal(crc32c(bytes), expected);
    assert.equal(crc32cReference(bytes), expected);
  }
});

// xorshift32: a seeded generator, so a failure reproduces from the printed seed.
function generator(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
}

test('crc32c: matches the bitwise reference on random inputs, whole and in pieces', () => {
  const seed = 0x5eed1234;
  const next = generator(seed);
  for (let round = 0; round < 300; round++) {
    const bytes = Uint8Array.from({ length: next() % 300 }, () => next() & 0xff);
    const start = bytes.length === 0 ? 0 : next() % bytes.length;
    const split = start + (bytes.length === start ? 0 : next() % (bytes.length - start));
    const expected = crc32cReference(bytes.subarray(start));
    assert.equal(crc32c(bytes, start), expected, `seed ${seed} round ${round}`);
    const register = crc32cUpdate(crc32cUpdate(crc32cInitial, bytes, start, split), bytes, split, bytes.length);
    assert.equal(crc32cFinal(register), expected, `seed ${seed} round ${round} split`);
  }
});
