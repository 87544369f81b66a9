// Proves that what is appended is what is read back: across rotated segments, across a close and
// reopen, and from any starting sequence; that the writer refuses records out of order; and that the
// record encoding decodes to its fields for any sequence, time, payload and auth envelope.
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { test } from 'node:test';
import { Journal } from '../src/index.ts';
import { decodeRecord, encodeRecord, recordBytesAt, u64Max } from '../src/journal/format.ts';
import { RecordingLogger, appendRange, assertRecords, payloadFor, smallLimits, temporaryDirectory, timeFor } from './journal-helpers.ts';

test('journal: records round-trip across rotated segments and a reopen', async (context) => {
  const directory = temporaryDirectory(context);
  const logger = new RecordingLogger();
  const journal = await Journal.open({ directory, logger, ...smallLimits });
  await appendRange(journal, { from: 1n, to: 500n, checkpointEvery: 50n });
  assert.equal(journal.lastSequence, 500n);
  assert.equal(journal.durableSequence, 500n);
  assert.equal(journal.lastTime, timeFor(500n));
  assertRecords([...journal.read({ fromSequence: 1n })], { from: 1n, to: 500n, checkpointEvery: 50n });
  await journal.close();

  const names = readdirSync(directory).sort();
  assert.ok(names.length >= 10, `expected many segments, found ${names.length}`);
  assert.equal(names[0], '00000000000000000001.journal');
  for (const name of names) assert.match(name, /^\d{20}\.journal$/);

  const reopened = await Journal.open({ directory, logger, ...smallLimits });
  assert.equal(reopened.lastSequence, 500n);
  assert.equal(reopened.lastTime, timeFor(500n));
  assertRecords([...reopened.read({ fromSequence: 1n })], { from: 1n, to: 500n, checkpointEvery: 50n });
  await appendRange(reopened, { from: 501n, to: 600n, checkpointEvery: 50n });
  assertRecords([...reopened.read({ fromSequence: 1n })], { from: 1n, to: 600n, checkpointEvery: 50n });
  await reopened.close();
  assert.equal(logger.at('warn').length, 0);
  assert.equal(logger.at('error').length, 0);
});

test('journal: every segment file stays within segmentBytesMax', async (context) => {
  const directory = temporaryDirectory(context);
  const journal = await Journal.open({ directory, logger: new RecordingLogger(), ...smallLimits });
  await appendRange(journal, { from: 1n, to: 300n, checkpointEvery: 1n });
  await journal.close();
  for (const name of readdirSync(directory)) {
    assert.ok(statSync(`${directory}/${name}`).size <= smallLimits.segmentBytesMax, name);
  }
});

test('journal: read from the middle works across segment boundaries', async (context) => {
  const directory = temporaryDirectory(context);
  const journal = await Journal.open({ directory, logger: new RecordingLogger(), ...smallLimits });
  await appendRange(journal, { from: 1n, to: 400n, checkpointEvery: 25n });
  const segmentStarts = readdirSync(directory)
    .sort()
    .map((name) => BigInt(name.slice(0, 20)));
  assert.ok(segmentStarts.length > 3);
  // Each segment's first and last sequence, and points in between.
  const starts = new Set<bigint>([1n, 2n, 199n, 400n]);
  for (const start of segmentStarts) {
    starts.add(start);
    if (start > 1n) starts.add(start - 1n);
    starts.add(start + 1n);
  }
  for (const fromSequence of starts) {
    const records = [...journal.read({ fromSequence })];
    assertRecords(records, { from: fromSequence, to: 400n, checkpointEvery: 25n });
  }
  assert.deepEqual([...journal.read({ fromSequence: 401n })], []);
  await journal.close();
});

test('journal: a read sees only records durable when it began', async (context) => {
  const directory = temporaryDirectory(context);
  const journal = await Journal.open({ directory, logger: new RecordingLogger(), ...smallLimits });
  await appendRange(journal, { from: 1n, to: 100n });
  const reader = journal.read({ fromSequence: 1n });
  const pending = appendRange(journal, { from: 101n, to: 200n });
  await pending;
  assert.equal([...reader].length, 100);
  assert.equal([...journal.read({ fromSequence: 1n })].length, 200);
  await journal.close();
});

test('journal: appends out of order fail an assertion and change nothing', async (context) => {
  const directory = temporaryDirectory(context);
  const journal = await Journal.open({ directory, logger: new RecordingLogger(), ...smallLimits });
  await appendRange(journal, { from: 1n, to: 3n });
  const cases = [
    { name: 'gap', sequence: 5n, time: timeFor(5n) },
    { name: 'repeat', sequence: 3n, time: timeFor(4n) },
    { name: 'time equal', sequence: 4n, time: timeFor(3n) },
    { name: 'time back', sequence: 4n, time: timeFor(2n) },
  ];
  for (const entry of cases) {
    assert.throws(() => journal.append({ sequence: entry.sequence, time: entry.time, payload: payloadFor(4n) }), assert.AssertionError, entry.name);
  }
  assert.throws(() => journal.appendCheckpoint({ sequence: 2n, stateHash: new Uint8Array(32) }), assert.AssertionError);
  assert.throws(() => journal.appendCheckpoint({ sequence: 3n, stateHash: new Uint8Array(31) }), assert.AssertionError);
  assert.throws(() => journal.append({ sequence: 4n, time: timeFor(4n), payload: new Uint8Array(257) }), assert.AssertionError);
  await journal.appendCheckpoint({ sequence: 3n, stateHash: new Uint8Array(32) });
  assert.throws(() => journal.appendCheckpoint({ sequence: 3n, stateHash: new Uint8Array(32) }), assert.AssertionError);
  assert.equal(journal.lastSequence, 3n);
  await journal.append({ sequence: 4n, time: timeFor(4n), payload: payloadFor(4n) });
  assert.equal(journal.lastSequence, 4n);
  await journal.close();
});

test('journal: a checkpoint before any command is refused', async (context) => {
  const directory = temporaryDirectory(context);
  const journal = await Journal.open({ directory, logger: new RecordingLogger(), ...smallLimits });
  assert.throws(() => journal.appendCheckpoint({ sequence: 0n, stateHash: new Uint8Array(32) }), assert.AssertionError);
  assert.equal(journal.lastSequence, 0n);
  assert.deepEqual([...journal.read({ fromSequence: 1n })], []);
  await journal.close();
});

test('journal format: records of any sequence, time, payload and auth decode to what was encoded', () => {
  // xorshift32, seeded: a failure reproduces.
  let state = 0x2545f491;
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  const target = Buffer.alloc(4096);
  const times = [1n, 0x7fff_ffffn, 0x8000_0000n, 0xffff_ffffn, 0x1_0000_0000n, 1_767_225_600_123_456_789n, u64Max];
  for (let round = 0; round < 400; round++) {
    const sequence = round % 3 === 0 ? 1 + (next() % 1000) : round % 3 === 1 ? 0x8000_0000 + next() : (next() % 0x1f_ffff) * 0x1_0000_0000 + next() + 1;
    const time = round < times.length ? times[round]! : (BigInt(next()) << 32n) | BigInt(next());
    const payload = Uint8Array.from({ length: next() % 300 }, () => next() & 0xff);
    const auth = round % 4 === 0 ? Uint8Array.from({ length: next() % 50 }, () => next() & 0xff) : undefined;
    const offset = next() % 64;
    const bytes = encodeRecord(target, offset, { kind: 'command', sequence: BigInt(sequence), time, payload, auth });
    const decoded = decodeRecord(target, offset, offset + bytes);
    assert.equal(decoded.status, 'valid', `round ${round}`);
    if (decoded.status !== 'valid') continue;
    assert.equal(decoded.sequence, BigInt(sequence));
    assert.equal(decoded.time, time);
    assert.deepEqual(new Uint8Array(target.subarray(decoded.payloadOffset, decoded.payloadOffset + decoded.payloadBytes)), payload);
    assert.equal(decoded.authBytes, auth?.length ?? 0);
    assert.equal(recordBytesAt(target, offset, offset + bytes), bytes);
    // Any flipped bit is caught by one of the two checksums.
    const at = offset + (next() % bytes);
    target[at] = target[at]! ^ (1 << (next() % 8));
    assert.notEqual(decodeRecord(target, offset, offset + bytes).status, 'valid', `round ${round} flipped byte ${at - offset}`);
  }
});
