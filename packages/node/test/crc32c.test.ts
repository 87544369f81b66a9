// Proves the table-driven CRC32C is the Castagnoli CRC: the published check value, and agreement with
// the bit-at-a-time reference on seeded random inputs of every length and alignment.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  crc32c,
  crc32cCopyUpdate,
  crc32cFinal,
  crc32cFinalBits,
  crc32cInitial,
  crc32cReference,
  crc32cUpdate,
  crc32cUpdateU32,
  crc32cUpdateU32Pair,
  dataViewOf,
} from '../src/journal/crc32c.ts';

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

test('crc32c: words folded from numbers and bytes copied while hashed match the bitwise reference', () => {
  const seed = 0x0c0ffee5;
  const next = generator(seed);
  for (let round = 0; round < 300; round++) {
    const low = next();
    const high = next();
    const payload = Uint8Array.from({ length: next() % 200 }, () => next() & 0xff);
    // The same bytes laid out: low and high little-endian, then the payload.
    const bytes = new Uint8Array(8 + payload.length);
    new DataView(bytes.buffer).setUint32(0, low, true);
    new DataView(bytes.buffer).setUint32(4, high, true);
    bytes.set(payload, 8);
    const expected = crc32cReference(bytes);
    // Unsigned and signed forms of a word are the same 32 bits.
    for (const [first, second] of [[low, high], [low | 0, high | 0]] as const) {
      const copy = new Uint8Array(payload.length + 3);
      let register = crc32cUpdateU32Pair(crc32cInitial, first, second);
      register = crc32cCopyUpdate(register, payload, 0, payload.length, copy, 3);
      assert.equal(crc32cFinal(register), expected, `seed ${seed} round ${round} pair`);
      assert.equal(crc32cFinalBits(register) >>> 0, expected, `seed ${seed} round ${round} bits`);
      assert.deepEqual(copy.subarray(3), payload, `seed ${seed} round ${round} copy`);
      const byWords = crc32cUpdate(crc32cUpdateU32(crc32cUpdateU32(crc32cInitial, first), second), bytes, 8, bytes.length);
      assert.equal(crc32cFinal(byWords), expected, `seed ${seed} round ${round} words`);
    }
  }
});

// The fast loop reads words through a DataView it keeps for the last array it was given: views that
// start at any byte of a shared buffer, arrays taking turns, and an array rewritten in place between
// calls must all hash as the reference does.
test('crc32c: views at every offset of a shared buffer, alternating arrays, bytes rewritten in place', () => {
  const seed = 0x0ff5e7;
  const next = generator(seed);
  const shared = new ArrayBuffer(256);
  const whole = new Uint8Array(shared);
  for (let round = 0; round < 200; round++) {
    for (let index = 0; index < whole.length; index++) whole[index] = next() & 0xff;
    const offset = round % 13;
    const length = next() % (whole.length - offset);
    const view = new Uint8Array(shared, offset, length);
    const other = Uint8Array.from({ length: next() % 64 }, () => next() & 0xff);
    assert.equal(crc32c(view), crc32cReference(view), `seed ${seed} round ${round} view`);
    view.fill(round & 0xff, 0, Math.min(9, length));
    assert.equal(crc32c(view), crc32cReference(view), `seed ${seed} round ${round} rewritten`);
    assert.equal(crc32c(other), crc32cReference(other), `seed ${seed} round ${round} other`);
    const start = length === 0 ? 0 : next() % length;
    assert.equal(crc32c(view, start), crc32cReference(view.subarray(start)), `seed ${seed} round ${round} from ${start}`);
  }
});

// The copying fold reads and writes words through the views kept for the two arrays last used: three
// arrays taking turns as source and target (so the cache misses, hits either slot and evicts), views at
// odd offsets of one buffer, and a target rewritten between calls must all copy and hash exactly.
test('crc32c: copying while hashing through cached views, with arrays taking turns', () => {
  const seed = 0x7a11e5;
  const next = generator(seed);
  const shared = new ArrayBuffer(1024);
  const arrays = [new Uint8Array(300), new Uint8Array(shared, 3, 400), new Uint8Array(shared, 501, 300)];
  for (let round = 0; round < 300; round++) {
    const source = arrays[next() % arrays.length]!;
    let target = arrays[next() % arrays.length]!;
    if (target === source) target = arrays[(arrays.indexOf(source) + 1) % arrays.length]!;
    for (let index = 0; index < source.length; index++) source[index] = next() & 0xff;
    const start = next() % 40;
    const end = start + (next() % (Math.min(source.length, target.length) - 40));
    const targetStart = next() % (target.length - (end - start) + 1);
    const expectedBytes = source.slice(start, end);
    target.fill(round & 0xff);
    const register = crc32cCopyUpdate(crc32cInitial, source, start, end, target, targetStart);
    assert.equal(crc32cFinal(register), crc32cReference(expectedBytes), `seed ${seed} round ${round} checksum`);
    assert.deepEqual(target.subarray(targetStart, targetStart + expectedBytes.length), expectedBytes, `seed ${seed} round ${round} copy`);
    const view = dataViewOf(target);
    assert.equal(view.byteOffset, target.byteOffset, `seed ${seed} round ${round} view offset`);
    assert.equal(view.byteLength, target.byteLength, `seed ${seed} round ${round} view length`);
  }
});
