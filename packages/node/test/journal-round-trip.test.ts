// Proves that what is appended is what is read back: across rotated segments, across a close and
// reopen, and from any starting sequence; and that the writer refuses records out of order.
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { test } from 'node:test';
import { Journal } from '../src/index.ts';
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
