// Proves that the journal's fast record encoder (encodeRecordParts: words stored through cached
// DataViews, the payload copied and checksummed in one pass) writes exactly the bytes of the format
// as written down in format.ts, encoded here the plain way: field by field with Buffer's writers and
// checksummed with the bit-at-a-time CRC32C. Records go to any offset of two batch buffers taking
// turns, from payload buffers taking turns, so the encoder's cache of views is switched as the journal
// switches it (scratch buffer, batch buffers, auth envelopes).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32cReference } from '../src/journal/crc32c.ts';
import { commandKindCode, encodeRecordParts, recordBytesFor, recordKindCode, stateHashBytes, u64Max } from '../src/journal/format.ts';
import { SeededRandom } from './seeded-random.ts';

interface ReferenceFields {
  readonly kindCode: number;
  readonly sequence: number;
  readonly time: bigint;
  readonly payload: Uint8Array;
  readonly auth: Uint8Array;
}

// The record layout of format.ts, one field at a time.
function referenceRecord(fields: ReferenceFields): Buffer {
  const { kindCode, sequence, time, payload, auth } = fields;
  const record = Buffer.alloc(recordBytesFor(payload.length, auth.length));
  record[0] = 0xa5;
  record[1] = kindCode;
  record.writeUInt32LE(payload.length, 4);
  record.writeUInt32LE(auth.length, 8);
  record.writeBigUInt64LE(BigInt(sequence), 12);
  record.writeBigUInt64LE(time, 20);
  record.writeUInt32LE(crc32cReference(record.subarray(0, 28)), 28);
  record.set(payload, 32);
  record.set(auth, 32 + payload.length);
  const bodyEnd = 32 + payload.length + auth.length;
  record.writeUInt32LE(crc32cReference(record.subarray(0, bodyEnd)), bodyEnd);
  return record;
}

function randomBytes(random: SeededRandom, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => random.between(0, 255));
}

test('journal format: the fast encoder writes the reference bytes for any fields, offset and buffers', () => {
  const seed = 0x6a6f75;
  const random = new SeededRandom(seed);
  const batches = [Buffer.alloc(64 * 1024), Buffer.alloc(64 * 1024)];
  // Two scratch buffers and one-off arrays (auth envelopes, subarrays at odd offsets) take turns.
  const scratches = [Buffer.alloc(2048), Buffer.alloc(2048)];
  const kinds = [commandKindCode, recordKindCode('checkpoint'), recordKindCode('checkpointDue'), recordKindCode('deferredCheckpoint')];
  for (let round = 0; round < 2_000; round++) {
    const kindCode = round % 7 === 0 ? random.pick(kinds) : commandKindCode;
    // Below, at and above the size copied in one pass (128), down to empty and odd lengths.
    let payloadBytes = random.between(0, 300);
    if (kindCode === recordKindCode('checkpointDue')) payloadBytes = 0;
    else if (kindCode !== commandKindCode) payloadBytes = stateHashBytes;
    const authBytes = kindCode === commandKindCode && random.chance(300) ? random.between(1, 200) : 0;
    const sequence = random.chance(100) ? Number.MAX_SAFE_INTEGER - random.between(0, 1000) : random.between(1, 2 ** 31 + 10);
    const time = random.chance(100) ? u64Max - BigInt(random.between(0, 1000)) : (BigInt(random.next()) << 32n) | BigInt(random.next());
    const scratch = random.pick(scratches);
    const at = random.between(0, 7);
    const payload = randomBytes(random, payloadBytes);
    scratch.set(payload, at);
    // The journal's way: the first `payloadBytes` of a reused buffer (here a view at an odd offset, or the buffer itself).
    const source = at === 0 ? scratch : scratch.subarray(at);
    const auth = randomBytes(random, authBytes);
    const target = random.pick(batches);
    const offset = random.between(0, target.length - recordBytesFor(payloadBytes, authBytes));
    target.fill(0xee);
    const written = encodeRecordParts(target, offset, kindCode, sequence, time, source, payloadBytes, authBytes === 0 ? undefined : auth);
    const expected = referenceRecord({ kindCode, sequence, time, payload, auth });
    assert.equal(written, expected.length, `seed ${seed} round ${round}`);
    assert.deepEqual(target.subarray(offset, offset + written), expected, `seed ${seed} round ${round}`);
    // Nothing outside the record is touched.
    assert.ok(target.subarray(0, offset).every((byte) => byte === 0xee), `seed ${seed} round ${round} before`);
    assert.ok(target.subarray(offset + written).every((byte) => byte === 0xee), `seed ${seed} round ${round} after`);
  }
});
