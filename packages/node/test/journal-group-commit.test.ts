// Proves group commit: many appends share one write and one fdatasync, every append resolves only after
// its batch is durable, and appends made while a sync is in flight form the next batch.
import assert from 'node:assert/strict';
import type { FileHandle } from 'node:fs/promises';
import { test } from 'node:test';
import { Journal } from '../src/index.ts';
import { RecordingLogger, assertRecords, payloadFor, readFrames, stateHashFor, temporaryDirectory, timeFor } from './journal-helpers.ts';

test('journal: 10,000 appends fired at once resolve in one batch with one fdatasync', async (context) => {
  const directory = temporaryDirectory(context);
  const journal = await Journal.open({ directory, logger: new RecordingLogger() });
  const before = journal.statistics;
  const durable: Promise<void>[] = [];
  for (let sequence = 1n; sequence <= 10_000n; sequence++) {
    durable.push(journal.append({ sequence, time: timeFor(sequence), payload: payloadFor(sequence) }));
  }
  assert.equal(journal.lastSequence, 10_000n);
  assert.equal(journal.durableSequence, 0n, 'nothing is durable before the flusher runs');
  // Appends that share a batch share its promise: one promise per batch, not per record.
  const distinct = new Set(durable);
  await Promise.all(durable);
  const statistics = journal.statistics;
  assert.equal(journal.durableSequence, 10_000n);
  assert.equal(statistics.recordsWritten - before.recordsWritten, 10_000);
  assert.equal(statistics.batchesWritten, distinct.size);
  assert.equal(statistics.fileSyncs, statistics.batchesWritten, 'one fdatasync per batch');
  // 10,000 records of at most 232 bytes fit in one 4 MiB batch.
  assert.equal(statistics.batchesWritten, 1);
  assertRecords([...journal.read({ fromSequence: 1n })], { from: 1n, to: 10_000n });
  await journal.close();
});

test('journal: batches are bounded by batchBytesMax and batchRecordsMax', async (context) => {
  const cases = [
    { name: 'bytes', limits: { batchBytesMax: 64 * 1024 }, batchesMin: 10 },
    { name: 'records', limits: { batchRecordsMax: 100 }, batchesMin: 100 },
  ];
  for (const entry of cases) {
    const directory = temporaryDirectory(context);
    const journal = await Journal.open({ directory, logger: new RecordingLogger(), payloadBytesMax: 1024, ...entry.limits });
    const durable: Promise<void>[] = [];
    for (let sequence = 1n; sequence <= 10_000n; sequence++) {
      durable.push(journal.append({ sequence, time: timeFor(sequence), payload: payloadFor(sequence) }));
    }
    await Promise.all(durable);
    const statistics = journal.statistics;
    assert.equal(statistics.batchesWritten, new Set(durable).size, entry.name);
    assert.ok(statistics.batchesWritten >= entry.batchesMin, `${entry.name}: ${statistics.batchesWritten} batches`);
    assert.equal(statistics.fileSyncs, statistics.batchesWritten, entry.name);
    await journal.close();
  }
});

test('journal: appends made while a sync is in flight form the next batch', async (context) => {
  const directory = temporaryDirectory(context);
  const journal = await Journal.open({ directory, logger: new RecordingLogger() });
  let firstDone = false;
  const first = journal.append({ sequence: 1n, time: timeFor(1n), payload: payloadFor(1n) }).then(() => {
    firstDone = true;
  });
  // The flusher runs on setImmediate, queued before this one: after it, batch 1 is being written.
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(firstDone, false);
  const second: Promise<void>[] = [];
  for (let sequence = 2n; sequence <= 101n; sequence++) {
    second.push(journal.append({ sequence, time: timeFor(sequence), payload: payloadFor(sequence) }));
  }
  assert.equal(new Set(second).size, 1, 'the hundred appends share one batch');
  await second[0];
  assert.equal(firstDone, true, 'batches become durable in order');
  await first;
  assert.equal(journal.statistics.batchesWritten, 2);
  assert.equal(journal.statistics.fileSyncs, 2);
  await journal.close();
});

test('journal: an append resolves only once its record can be read back after a reopen', async (context) => {
  const directory = temporaryDirectory(context);
  const journal = await Journal.open({ directory, logger: new RecordingLogger() });
  const acknowledged: bigint[] = [];
  const durable: Promise<void>[] = [];
  for (let sequence = 1n; sequence <= 50n; sequence++) {
    durable.push(journal.append({ sequence, time: timeFor(sequence), payload: payloadFor(sequence) }).then(() => void acknowledged.push(sequence)));
    if (sequence % 10n === 0n) await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all(durable);
  assert.deepEqual(acknowledged, Array.from({ length: 50 }, (_, index) => BigInt(index + 1)), 'acknowledged in order');
  await journal.close();
  const reopened = await Journal.open({ directory, logger: new RecordingLogger() });
  assert.equal(reopened.lastSequence, 50n);
  await reopened.close();
});

test('journal: a failed write fails every waiting append and every later one; nothing is retried', async (context) => {
  const directory = temporaryDirectory(context);
  const logger = new RecordingLogger();
  const journal = await Journal.open({ directory, logger });
  await journal.append({ sequence: 1n, time: timeFor(1n), payload: payloadFor(1n) });
  // Pull the file out from under the journal: the next write fails with EBADF, as a dying disk would.
  const handle = Reflect.get(journal, 'handle') as FileHandle;
  await handle.close();
  const failed = [2n, 3n, 4n].map((sequence) => journal.append({ sequence, time: timeFor(sequence), payload: payloadFor(sequence) }));
  for (const append of failed) await assert.rejects(append);
  await assert.rejects(journal.append({ sequence: 5n, time: timeFor(5n), payload: payloadFor(5n) }));
  assert.equal(journal.durableSequence, 1n);
  assert.equal(logger.at('error').length, 1);
  await assert.rejects(journal.close());
  const reopened = await Journal.open({ directory, logger: new RecordingLogger() });
  assert.equal(reopened.lastSequence, 1n);
  await reopened.close();
});

test('journal: the durable observer sees every batch once durable, in order, as written, before its promise', async (context) => {
  const directory = temporaryDirectory(context);
  const journal = await Journal.open({ directory, logger: new RecordingLogger(), segmentBytesMax: 64 * 1024, payloadBytesMax: 1024 });
  const seen: { sequences: bigint[]; lastSequence: number; durableSequence: bigint }[] = [];
  let settled = 0;
  journal.observeDurable({
    durable: (records, lastSequence) => {
      const sequences = [...readFrames(records)].filter((record) => record.kind === 'command').map((record) => record.sequence);
      seen.push({ sequences, lastSequence, durableSequence: journal.durableSequence });
    },
    failed: () => assert.fail('no failure expected'),
  });
  const durable: Promise<void>[] = [];
  // Several batches (appends between event-loop turns) and a segment rotation (64 KiB segments).
  for (let sequence = 1; sequence <= 2_000; sequence += 1) {
    journal.appendCommand(sequence, timeFor(BigInt(sequence)), payloadFor(BigInt(sequence)), payloadFor(BigInt(sequence)).length, undefined);
    if (sequence % 500 === 0) {
      durable.push(journal.appendCheckpoint({ sequence: BigInt(sequence), stateHash: stateHashFor(BigInt(sequence)) }).then(() => void (settled = sequence)));
      assert.ok((seen.at(-1)?.lastSequence ?? 0) <= sequence - 500, 'nothing is seen as it is appended');
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  await Promise.all(durable);
  assert.equal(settled, 2_000);
  assert.ok(seen.length >= 4, `${seen.length} batches`);
  assert.deepEqual(
    seen.flatMap((batch) => batch.sequences),
    Array.from({ length: 2_000 }, (_, index) => BigInt(index + 1)),
    'every command once, in order',
  );
  for (const batch of seen) {
    assert.equal(BigInt(batch.lastSequence), batch.durableSequence, 'seen once durable');
    assert.equal(batch.sequences.at(-1), BigInt(batch.lastSequence));
  }
  assert.ok(journal.statistics.segmentsCreated > 0);
  assertRecords([...journal.read({ fromSequence: 1n })], { from: 1n, to: 2_000n, checkpointEvery: 500n });
  await journal.close();
});

test('journal: the durable observer learns of a failure once, and appendCommand throws after it', async (context) => {
  const directory = temporaryDirectory(context);
  const journal = await Journal.open({ directory, logger: new RecordingLogger() });
  const failures: Error[] = [];
  let durableCalls = 0;
  journal.observeDurable({ durable: () => void (durableCalls += 1), failed: (error) => void failures.push(error) });
  journal.appendCommand(1, timeFor(1n), payloadFor(1n), payloadFor(1n).length, undefined);
  await journal.flush();
  assert.equal(durableCalls, 1);
  const handle = Reflect.get(journal, 'handle') as FileHandle;
  await handle.close();
  journal.appendCommand(2, timeFor(2n), payloadFor(2n), payloadFor(2n).length, undefined);
  await assert.rejects(journal.flush());
  assert.equal(failures.length, 1);
  assert.equal(durableCalls, 1, 'the failed batch is never reported durable');
  assert.throws(() => journal.appendCommand(3, timeFor(3n), payloadFor(3n), payloadFor(3n).length, undefined));
  await assert.rejects(journal.close());
});

test('journal: appendCommand keeps the sequence checker rules, mixed with append and checkpoints', async (context) => {
  const directory = temporaryDirectory(context);
  const journal = await Journal.open({ directory, logger: new RecordingLogger() });
  journal.observeDurable({ durable: () => {}, failed: () => assert.fail('no failure expected') });
  const command = (sequence: number): void =>
    journal.appendCommand(sequence, timeFor(BigInt(sequence)), payloadFor(BigInt(sequence)), payloadFor(BigInt(sequence)).length, undefined);
  command(1);
  command(2);
  assert.equal(journal.lastSequence, 2n);
  assert.equal(journal.lastTime, timeFor(2n));
  // A checkpoint right behind command 2, then the generic append and appendCommand take turns.
  const checkpoint = journal.appendCheckpoint({ sequence: 2n, stateHash: stateHashFor(2n) });
  assert.equal(journal.lastCheckpointSequence, 2n);
  const appended = journal.append({ sequence: 3n, time: timeFor(3n), payload: payloadFor(3n) });
  command(4);
  // A gap, a repeat and a time that does not increase are refused with the checker's reason, changing nothing.
  assert.throws(() => command(6), /command sequence 6, expected 5/);
  assert.throws(() => command(4), /command sequence 4, expected 5/);
  assert.throws(() => journal.appendCommand(5, timeFor(4n), payloadFor(5n), payloadFor(5n).length, undefined), /does not exceed the previous time/);
  assert.throws(() => journal.appendCheckpoint({ sequence: 3n, stateHash: stateHashFor(3n) }), /checkpoint sequence 3, expected 4/);
  command(5);
  await Promise.all([checkpoint, appended, journal.flush()]);
  assert.equal(journal.lastSequence, 5n);
  assert.equal(journal.durableSequence, 5n);
  assertRecords([...journal.read({ fromSequence: 1n })].filter((record) => record.kind === 'command'), { from: 1n, to: 5n });
  await journal.close();
});
