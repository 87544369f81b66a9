// Proves recovery's one promise: a torn tail (the partial write a crash leaves at the end of the last
// segment) is cut off and logged, and the journal continues gapless; any other damage makes open
// refuse, with an error naming the segment file, the byte offset and the sequence expected there.
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { test } from 'node:test';
import { Journal, JournalCorruptError } from '../src/index.ts';
import type { RecordFields } from '../src/journal/format.ts';
import { encodeRecord, encodeSegmentHeader, recordBytesFor, segmentHeaderBytes } from '../src/journal/format.ts';
import { readJournalRecords } from '../src/journal/journal-reader.ts';
import { RecordingLogger, appendRange, assertRecords, payloadFor, smallLimits, temporaryDirectory, timeFor } from './journal-helpers.ts';

const firstSegment = '00000000000000000001.journal';

/** File offsets where each record of a fresh single-segment journal from `appendRange` starts, plus the end. */
function recordStarts(count: bigint): number[] {
  const starts = [segmentHeaderBytes];
  for (let sequence = 1n; sequence <= count; sequence++) starts.push(starts.at(-1)! + recordBytesFor(payloadFor(sequence).length));
  return starts;
}

async function writtenJournal(context: TestContext, count: bigint, limits: object = {}): Promise<string> {
  const directory = temporaryDirectory(context);
  const journal = await Journal.open({ directory, logger: new RecordingLogger(), ...limits });
  await appendRange(journal, { from: 1n, to: count });
  await journal.close();
  return directory;
}

function copyOf(context: TestContext, directory: string): string {
  const copy = temporaryDirectory(context);
  cpSync(directory, copy, { recursive: true });
  return copy;
}

function flipByte(filePath: string, offset: number): void {
  const bytes = readFileSync(filePath);
  bytes[offset] = bytes[offset]! ^ 0x40;
  writeFileSync(filePath, bytes);
}

async function assertRecoversTo(directory: string, lastSequence: bigint, tornLogged: boolean): Promise<void> {
  const logger = new RecordingLogger();
  const journal = await Journal.open({ directory, logger });
  assert.equal(journal.lastSequence, lastSequence);
  assert.equal(logger.at('warn').length, tornLogged ? 1 : 0, JSON.stringify(logger.entries));
  if (tornLogged) assert.match(logger.at('warn')[0]!.message, /torn/);
  // Appends continue gapless after the cut, and survive another reopen.
  await appendRange(journal, { from: lastSequence + 1n, to: lastSequence + 5n });
  await journal.close();
  const reopened = await Journal.open({ directory, logger: new RecordingLogger() });
  assertRecords([...reopened.read({ fromSequence: 1n })], { from: 1n, to: lastSequence + 5n });
  await reopened.close();
}

test('recovery: a torn tail is truncated to the last whole record, logged, and appends continue', async (context) => {
  const original = await writtenJournal(context, 20n);
  const starts = recordStarts(20n);
  const fileBytes = starts.at(-1)!;
  assert.equal(statSync(path.join(original, firstSegment)).size, fileBytes);
  const lastRecordBytes = fileBytes - starts.at(-2)!;
  // Chops inside the last record (its checksum, payload, header), exactly one record, and into the one before.
  for (const chop of [1, 3, 4, 5, lastRecordBytes - 28, lastRecordBytes - 27, lastRecordBytes - 1, lastRecordBytes, lastRecordBytes + 1, lastRecordBytes + 40]) {
    const directory = copyOf(context, original);
    const size = fileBytes - chop;
    truncateSync(path.join(directory, firstSegment), size);
    const whole = starts.filter((start) => start <= size).length - 1;
    const torn = starts[whole] !== size;
    await assertRecoversTo(directory, BigInt(whole), torn);
    if (torn) assert.ok(statSync(path.join(directory, firstSegment)).size > size, 'appends resumed at the cut');
  }
});

test('recovery: damage that is the last thing in the file is a torn tail', async (context) => {
  const original = await writtenJournal(context, 10n);
  const starts = recordStarts(10n);
  const cases = [
    { name: 'last record payload flipped', damage: (file: string) => flipByte(file, starts[9]! + 30) },
    { name: 'last record checksum flipped', damage: (file: string) => flipByte(file, starts[10]! - 1) },
    { name: 'last record header flipped', damage: (file: string) => flipByte(file, starts[9]! + 9) },
    { name: 'zeros after the last record', damage: (file: string) => appendFileSync(file, Buffer.alloc(4096)) },
    { name: 'garbage after the last record', damage: (file: string) => appendFileSync(file, Buffer.from('not a record at all, just noise'.repeat(9))) },
  ];
  for (const entry of cases) {
    const directory = copyOf(context, original);
    entry.damage(path.join(directory, firstSegment));
    const lastSequence = entry.name.includes('after') ? 10n : 9n;
    await assertRecoversTo(directory, lastSequence, true);
  }
});

test('recovery: a last segment torn while being created gets its header written again', async (context) => {
  const original = await writtenJournal(context, 200n, smallLimits);
  const names = readdirSync(original).sort();
  const reopened = await Journal.open({ directory: original, logger: new RecordingLogger(), ...smallLimits });
  const lastSequence = reopened.lastSequence;
  await reopened.close();
  const nextName = `${(lastSequence + 1n).toString().padStart(20, '0')}.journal`;
  for (const bytes of [0, 7, segmentHeaderBytes]) {
    const directory = copyOf(context, original);
    writeFileSync(path.join(directory, nextName), Buffer.alloc(bytes, 0x11));
    const logger = new RecordingLogger();
    const journal = await Journal.open({ directory, logger, ...smallLimits });
    assert.equal(journal.lastSequence, 200n);
    assert.equal(logger.at('warn').length, 1);
    assert.match(logger.at('warn')[0]!.message, /header/);
    await appendRange(journal, { from: 201n, to: 210n });
    await journal.close();
    assert.equal(readdirSync(directory).length, names.length + 1);
    const again = await Journal.open({ directory, logger: new RecordingLogger(), ...smallLimits });
    assertRecords([...again.read({ fromSequence: 1n })], { from: 1n, to: 210n });
    await again.close();
  }
});

async function assertRefuses(directory: string, expected: { file: string; offset: number; sequence: bigint; reason: RegExp }, limits: object = {}): Promise<void> {
  const logger = new RecordingLogger();
  await assert.rejects(Journal.open({ directory, logger, ...limits }), (error: unknown) => {
    assert.ok(error instanceof JournalCorruptError, String(error));
    assert.equal(path.basename(error.segmentFile), expected.file);
    assert.equal(error.offset, expected.offset);
    assert.equal(error.sequenceExpected, expected.sequence);
    assert.match(error.reason, expected.reason);
    assert.match(error.message, new RegExp(`sequence ${expected.sequence}\\b`));
    assert.match(error.message, new RegExp(`offset ${expected.offset}\\b`));
    assert.match(error.message, new RegExp(expected.file));
    return true;
  });
  assert.equal(logger.at('error').length, 1);
}

test('recovery: corruption before the tail refuses to start, naming sequence and offset', async (context) => {
  const original = await writtenJournal(context, 20n);
  const starts = recordStarts(20n);
  const cases = [
    { name: 'payload of record 3', offset: starts[2]! + 30, sequence: 3n, at: starts[2]!, reason: /checksum/ },
    { name: 'length field of record 3', offset: starts[2]! + 5, sequence: 3n, at: starts[2]!, reason: /header checksum/ },
    { name: 'sequence field of record 1', offset: starts[0]! + 8, sequence: 1n, at: starts[0]!, reason: /header checksum/ },
    { name: 'checksum of record 19', offset: starts[19]! - 2, sequence: 19n, at: starts[18]!, reason: /checksum/ },
    { name: 'segment header', offset: 10, sequence: 1n, at: 0, reason: /segment header/ },
  ];
  for (const entry of cases) {
    const directory = copyOf(context, original);
    flipByte(path.join(directory, firstSegment), entry.offset);
    await assertRefuses(directory, { file: firstSegment, offset: entry.at, sequence: entry.sequence, reason: entry.reason });
    // Refusing changed nothing on disk.
    assert.equal(statSync(path.join(directory, firstSegment)).size, starts.at(-1));
  }
});

test('recovery: damage at the end of a segment that is not the last is corruption', async (context) => {
  const original = await writtenJournal(context, 200n, smallLimits);
  const names = readdirSync(original).sort();
  assert.ok(names.length >= 3);
  const second = names[1]!;
  const third = names[2]!;
  const secondBytes = statSync(path.join(original, second)).size;
  const truncated = copyOf(context, original);
  truncateSync(path.join(truncated, second), secondBytes - 3);
  const cut = await assertRefusesAnywhere(truncated, second);
  assert.ok(cut.offset > segmentHeaderBytes && cut.offset < secondBytes - 3);
  const flipped = copyOf(context, original);
  flipByte(path.join(flipped, second), secondBytes - 1);
  await assertRefusesAnywhere(flipped, second);
  // A missing middle segment: the one after it does not start where the one before ended.
  const missing = copyOf(context, original);
  rmSync(path.join(missing, second));
  await assertRefuses(missing, { file: third, offset: 0, sequence: BigInt(second.slice(0, 20)), reason: /segment is missing/ }, smallLimits);
  // A missing first segment, with nothing archived.
  const missingFirst = copyOf(context, original);
  rmSync(path.join(missingFirst, firstSegment));
  await assertRefuses(missingFirst, { file: second, offset: 0, sequence: 1n, reason: /missing/ }, smallLimits);
});

async function assertRefusesAnywhere(directory: string, file: string): Promise<JournalCorruptError> {
  const error = await Journal.open({ directory, logger: new RecordingLogger(), ...smallLimits }).then(
    () => assert.fail('open should refuse'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof JournalCorruptError);
  assert.equal(path.basename(error.segmentFile), file);
  return error;
}

// Writes a segment holding exactly these records, each with valid checksums.
function writeSegment(filePath: string, firstSequence: bigint, records: readonly RecordFields[]): number[] {
  const bytes = Buffer.alloc(segmentHeaderBytes + records.reduce((sum, record) => sum + recordBytesFor(record.payload.length), 0));
  encodeSegmentHeader(bytes, 0, { firstSequence, previousTime: 0n });
  const starts = [segmentHeaderBytes];
  for (const record of records) starts.push(starts.at(-1)! + encodeRecord(bytes, starts.at(-1)!, record));
  writeFileSync(filePath, bytes);
  return starts;
}

function command(sequence: bigint, time = timeFor(sequence)): RecordFields {
  return { kind: 'command', sequence, time, payload: payloadFor(sequence) };
}

function checkpoint(sequence: bigint, time = timeFor(sequence)): RecordFields {
  return { kind: 'checkpoint', sequence, time, payload: new Uint8Array(32) };
}

function checkpointDue(sequence: bigint, time = timeFor(sequence)): RecordFields {
  return { kind: 'checkpointDue', sequence, time, payload: new Uint8Array(0) };
}

// The hash of command `sequence`'s state, recorded behind the command at `after`.
function deferredCheckpoint(sequence: bigint, after: bigint, time = timeFor(after)): RecordFields {
  return { kind: 'deferredCheckpoint', sequence, time, payload: new Uint8Array(32).fill(7) };
}

test('recovery: records out of order in the file refuse to start, even as the last record', async (context) => {
  const cases = [
    { name: 'gap', records: [command(1n), command(2n), command(4n), command(5n)], bad: 2, sequence: 3n, reason: /sequence 4, expected 3/ },
    { name: 'gap at the end', records: [command(1n), command(2n), command(4n)], bad: 2, sequence: 3n, reason: /expected 3/ },
    { name: 'repeat', records: [command(1n), command(2n), command(2n)], bad: 2, sequence: 3n, reason: /expected 3/ },
    { name: 'time back', records: [command(1n), command(2n), command(3n, timeFor(1n)), command(4n)], bad: 2, sequence: 3n, reason: /does not exceed/ },
    { name: 'time equal', records: [command(1n), command(2n), command(3n, timeFor(2n))], bad: 2, sequence: 3n, reason: /does not exceed/ },
    { name: 'first is not 1', records: [command(2n)], bad: 0, sequence: 1n, reason: /expected 1/ },
    { name: 'checkpoint ahead', records: [command(1n), checkpoint(2n)], bad: 1, sequence: 2n, reason: /checkpoint sequence 2, expected 1/ },
    { name: 'checkpoint twice', records: [command(1n), checkpoint(1n), checkpoint(1n)], bad: 2, sequence: 2n, reason: /checkpoint at sequence 1/ },
    { name: 'checkpoint time', records: [command(1n), checkpoint(1n, timeFor(2n))], bad: 1, sequence: 2n, reason: /checkpoint time/ },
    { name: 'due ahead', records: [command(1n), checkpointDue(2n)], bad: 1, sequence: 2n, reason: /checkpoint-due record sequence 2, expected 1/ },
    { name: 'due after a checkpoint', records: [command(1n), checkpoint(1n), checkpointDue(1n)], bad: 2, sequence: 2n, reason: /checkpoint-due record at sequence 1/ },
    { name: 'deferred ahead', records: [command(1n), command(2n), deferredCheckpoint(3n, 2n)], bad: 2, sequence: 3n, reason: /deferred checkpoint of sequence 3, after command 2/ },
    { name: 'deferred time', records: [command(1n), checkpointDue(1n), command(2n), deferredCheckpoint(1n, 1n)], bad: 3, sequence: 3n, reason: /deferred checkpoint time/ },
  ];
  for (const entry of cases) {
    const directory = temporaryDirectory(context);
    const starts = writeSegment(path.join(directory, firstSegment), 1n, entry.records);
    await assertRefuses(directory, { file: firstSegment, offset: starts[entry.bad]!, sequence: entry.sequence, reason: entry.reason });
  }
});

test('replay checks again: a record damaged after open makes read throw, naming sequence and offset', async (context) => {
  const directory = temporaryDirectory(context);
  const journal = await Journal.open({ directory, logger: new RecordingLogger() });
  await appendRange(journal, { from: 1n, to: 20n });
  const starts = recordStarts(20n);
  flipByte(path.join(directory, firstSegment), starts[4]! + 30);
  assert.throws(
    () => [...journal.read({ fromSequence: 1n })],
    (error: unknown) => error instanceof JournalCorruptError && error.offset === starts[4] && error.sequenceExpected === 5n,
  );
  // Records before the damage were yielded; the reader stops at it.
  const yielded: bigint[] = [];
  assert.throws(() => {
    for (const record of journal.read({ fromSequence: 2n })) yielded.push(record.sequence);
  }, JournalCorruptError);
  assert.deepEqual(yielded, [2n, 3n, 4n]);
  await journal.close();
});

test('replay checks the order again, in the same words as recovery, across chunk boundaries and 2^32 ns steps', async (context) => {
  // The replay reader checks order with numbers (a time as two 32-bit halves), not the bigints recovery
  // uses; these are recovery's cases plus times whose low half wraps, read in chunks smaller than a record.
  const wrap = (timeFor(1n) | 0xffff_ffffn) - 10n;
  const cases = [
    { name: 'gap', records: [command(1n), command(2n), command(4n), command(5n)], bad: 2, sequence: 3n, reason: /^command sequence 4, expected 3$/ },
    { name: 'repeat', records: [command(1n), command(2n), command(2n)], bad: 2, sequence: 3n, reason: /^command sequence 2, expected 3$/ },
    { name: 'time back', records: [command(1n), command(2n), command(3n, timeFor(1n)), command(4n)], bad: 2, sequence: 3n, reason: /does not exceed the previous time/ },
    { name: 'time equal', records: [command(1n), command(2n), command(3n, timeFor(2n))], bad: 2, sequence: 3n, reason: /does not exceed/ },
    { name: 'first is not 1', records: [command(2n)], bad: 0, sequence: 1n, reason: /expected 1/ },
    { name: 'checkpoint ahead', records: [command(1n), checkpoint(2n)], bad: 1, sequence: 2n, reason: /^checkpoint sequence 2, expected 1$/ },
    { name: 'checkpoint twice', records: [command(1n), checkpoint(1n), checkpoint(1n)], bad: 2, sequence: 2n, reason: /^checkpoint at sequence 1 without a command before it$/ },
    { name: 'checkpoint time', records: [command(1n), checkpoint(1n, timeFor(2n))], bad: 1, sequence: 2n, reason: /^checkpoint time/ },
    { name: 'due twice', records: [command(1n), checkpointDue(1n), checkpointDue(1n)], bad: 2, sequence: 2n, reason: /^checkpoint-due record at sequence 1 without a command before it$/ },
    { name: 'deferred ahead', records: [command(1n), command(2n), deferredCheckpoint(3n, 2n)], bad: 2, sequence: 3n, reason: /^deferred checkpoint of sequence 3, after command 2$/ },
    { name: 'deferred time', records: [command(1n), checkpointDue(1n), command(2n), deferredCheckpoint(1n, 1n)], bad: 3, sequence: 3n, reason: /^deferred checkpoint time/ },
    { name: 'low half back, high half forward', records: [command(1n, wrap), command(2n, wrap + 20n), command(3n, wrap + 15n)], bad: 2, sequence: 3n, reason: /does not exceed/ },
    { name: 'high half back', records: [command(1n, wrap + 20n), command(2n, wrap + 5n)], bad: 1, sequence: 2n, reason: /does not exceed/ },
  ];
  for (const entry of cases) {
    const directory = temporaryDirectory(context);
    const filePath = path.join(directory, firstSegment);
    const starts = writeSegment(filePath, 1n, entry.records);
    const segments = [{ name: firstSegment, firstSequence: 1n, previousTime: 0n, bytes: statSync(filePath).size, seekPoints: [] }];
    const yielded: bigint[] = [];
    assert.throws(
      () => {
        for (const record of readJournalRecords({ directory, segments, fromSequence: 1n, chunkBytes: 40 })) yielded.push(record.sequence);
      },
      (error: unknown) =>
        error instanceof JournalCorruptError && error.offset === starts[entry.bad] && error.sequenceExpected === entry.sequence && entry.reason.test(error.reason),
      entry.name,
    );
    assert.equal(yielded.length, entry.bad, `${entry.name}: the records before the bad one are read`);
  }
  // Times across a 2^32 ns step, in order, read whole.
  const directory = temporaryDirectory(context);
  const filePath = path.join(directory, firstSegment);
  writeSegment(filePath, 1n, [
    command(1n, wrap),
    checkpoint(1n, wrap),
    command(2n, wrap + 20n),
    checkpointDue(2n, wrap + 20n),
    command(3n, wrap + (1n << 33n)),
    deferredCheckpoint(2n, 3n, wrap + (1n << 33n)),
    deferredCheckpoint(1n, 3n, wrap + (1n << 33n)),
  ]);
  const segments = [{ name: firstSegment, firstSequence: 1n, previousTime: 0n, bytes: statSync(filePath).size, seekPoints: [] }];
  const read = [...readJournalRecords({ directory, segments, fromSequence: 1n, chunkBytes: 40 })];
  assert.deepEqual(
    read.map((record) => [record.kind, record.sequence, record.time]),
    [
      ['command', 1n, wrap],
      ['checkpoint', 1n, wrap],
      ['command', 2n, wrap + 20n],
      ['checkpointDue', 2n, wrap + 20n],
      ['command', 3n, wrap + (1n << 33n)],
      ['deferredCheckpoint', 2n, wrap + (1n << 33n)],
      ['deferredCheckpoint', 1n, wrap + (1n << 33n)],
    ],
  );
  // Recovery's scan takes the same segment whole.
  const journal = await Journal.open({ directory, logger: new RecordingLogger() });
  assert.equal(journal.lastSequence, 3n);
  await journal.close();
});
