// Proves that a read starting at a seek point (a record open's scan checked, and the order there) hands
// out exactly what a read of every record would from the same sequence, whatever the sequence: before,
// at and between seek points, across segments, after appends and rotations since open, after a torn
// tail was cut; and that it really starts there: damage after open in the prefix it skips goes unseen
// by it (a read from genesis still finds it), while the segment header is still checked.
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { test } from 'node:test';
import type { JournalRecord } from '../src/index.ts';
import { Journal, JournalCorruptError } from '../src/index.ts';
import { encodeRecord, recordBytesFor, segmentHeaderBytes } from '../src/journal/format.ts';
import { recoverJournal } from '../src/journal/recovery.ts';
import type { JournalSegment } from '../src/journal/segment-files.ts';
import { RecordingLogger, payloadFor, smallLimits, stateHashFor, temporaryDirectory, timeFor } from './journal-helpers.ts';

// Small segments and chunks: a seek point every 256 bytes, about 15 in each 4 KiB segment.
const limits = { ...smallLimits, readChunkBytes: 256 };

/**
 * Appends commands `from..to` with every kind of record after them: a checkpoint after each fifth
 * command, a checkpoint-due record after each seventh (not a fifth), and that one's deferred checkpoint
 * four commands later (so a record with a small sequence lies after larger ones).
 */
async function appendMixed(journal: Journal, from: bigint, to: bigint): Promise<void> {
  const durable: Promise<void>[] = [];
  for (let sequence = from; sequence <= to; sequence++) {
    durable.push(journal.append({ sequence, time: timeFor(sequence), payload: payloadFor(sequence) }));
    if (sequence % 5n === 0n) durable.push(journal.appendCheckpoint({ sequence, stateHash: stateHashFor(sequence) }));
    else if (sequence % 7n === 0n) durable.push(journal.appendCheckpointDue(sequence));
    const due = sequence - 4n;
    if (due >= from && due % 7n === 0n && due % 5n !== 0n) durable.push(journal.appendDeferredCheckpoint({ sequence: due, stateHash: stateHashFor(due) }));
  }
  await Promise.all(durable);
}

/** A journal of commands 1..`count` (and their checkpoints), closed. */
async function writtenJournal(context: TestContext, count: bigint): Promise<string> {
  const directory = temporaryDirectory(context);
  const journal = await Journal.open({ directory, logger: new RecordingLogger(), ...limits });
  await appendMixed(journal, 1n, count);
  await journal.close();
  return directory;
}

/** The segments as open's scan finds them, seek points included. */
async function scannedSegments(directory: string): Promise<JournalSegment[]> {
  const recovered = await recoverJournal({ directory, logger: new RecordingLogger(), chunkBytes: limits.readChunkBytes });
  return recovered.segments;
}

function comparable(record: JournalRecord): string {
  const bytes = record.kind === 'command' ? record.payload : record.kind === 'checkpointDue' ? new Uint8Array(0) : record.stateHash;
  return `${record.kind} ${record.sequence} ${record.time} ${Buffer.from(bytes).toString('hex')}`;
}

/**
 * Reads from every sequence from 1 to two past the last command (so every seek point's sequence, and
 * the ones on either side of it) and checks each read against the records of a read from genesis.
 */
function assertEveryStartReadsAsWhole(journal: Journal): void {
  const whole = [...journal.read({ fromSequence: 1n })].map((record) => ({ sequence: record.sequence, text: comparable(record) }));
  for (let fromSequence = 1n; fromSequence <= journal.lastSequence + 2n; fromSequence++) {
    const expected = whole.filter((record) => record.sequence >= fromSequence).map((record) => record.text);
    const read = [...journal.read({ fromSequence })].map(comparable);
    assert.deepEqual(read, expected, `read from sequence ${fromSequence}`);
  }
}

test('seek points: open records them in every segment, at records, in order', async (context) => {
  const directory = await writtenJournal(context, 300n);
  const segments = await scannedSegments(directory);
  assert.ok(segments.length >= 5, `${segments.length} segments`);
  for (const segment of segments) {
    // One at the first record at least a chunk past the last (or past the header), none at the start.
    const seekPointsMin = segment === segments.at(-1) ? 1 : 10;
    assert.ok(segment.seekPoints.length >= seekPointsMin, `${segment.name}: ${segment.seekPoints.length} seek points`);
    let previousOffset = segmentHeaderBytes;
    let previousSequence = segment.firstSequence;
    for (const seekPoint of segment.seekPoints) {
      assert.ok(seekPoint.offset >= previousOffset + limits.readChunkBytes && seekPoint.offset < previousOffset + limits.readChunkBytes + 512);
      assert.ok(seekPoint.offset < segment.bytes);
      assert.ok(seekPoint.position.nextSequence >= previousSequence);
      previousOffset = seekPoint.offset;
      previousSequence = seekPoint.position.nextSequence;
    }
  }
});

test('seek points: a read from any sequence yields what a read from genesis yields from there', async (context) => {
  const directory = await writtenJournal(context, 300n);
  const journal = await Journal.open({ directory, logger: new RecordingLogger(), ...limits });
  assertEveryStartReadsAsWhole(journal);
  await journal.close();
});

test('seek points: reads stay exact after appends and rotations since open', async (context) => {
  const directory = await writtenJournal(context, 150n);
  const journal = await Journal.open({ directory, logger: new RecordingLogger(), ...limits });
  // The live segment grows past its seek points, then rotates into segments that have none.
  await appendMixed(journal, 151n, 300n);
  assert.ok(journal.statistics.segmentsCreated >= 3);
  assertEveryStartReadsAsWhole(journal);
  await journal.close();
});

/** A copy of the journal in `directory` whose last segment ends in half of command 301's record. */
function tornCopy(context: TestContext, directory: string): string {
  const torn = temporaryDirectory(context);
  cpSync(directory, torn, { recursive: true });
  const lastSegment = readdirSync(torn).filter((name) => name.endsWith('.journal')).sort().at(-1)!;
  const next = Buffer.alloc(recordBytesFor(payloadFor(301n).length));
  encodeRecord(next, 0, { kind: 'command', sequence: 301n, time: timeFor(301n), payload: payloadFor(301n) });
  appendFileSync(path.join(torn, lastSegment), next.subarray(0, next.length >> 1));
  return torn;
}

test('seek points: the scan that cuts a torn tail records the same ones, and reads stay exact', async (context) => {
  const directory = await writtenJournal(context, 300n);
  // The quick scan gives up at the torn record; the exact scan cuts it off and records its own seek points.
  const whole = await scannedSegments(directory);
  const cut = await scannedSegments(tornCopy(context, directory));
  assert.deepEqual(cut, whole);
  const logger = new RecordingLogger();
  const journal = await Journal.open({ directory: tornCopy(context, directory), logger, ...limits });
  assert.match(logger.at('warn')[0]?.message ?? '', /torn tail/);
  assertEveryStartReadsAsWhole(journal);
  await appendMixed(journal, 301n, 320n);
  assertEveryStartReadsAsWhole(journal);
  await journal.close();
});

test('seek points: a read starts at one, not reading the prefix again, but still checks the segment header', async (context) => {
  const directory = await writtenJournal(context, 300n);
  const journal = await Journal.open({ directory, logger: new RecordingLogger(), ...limits });
  const last = (await scannedSegments(directory)).at(-1)!;
  const filePath = path.join(directory, last.name);
  const lastSeekPoint = last.seekPoints.at(-1)!;
  const fromSequence = lastSeekPoint.position.nextSequence;
  const expected = [...journal.read({ fromSequence })].map(comparable);
  // Damage to the segment's first record after open: before every seek point.
  const original = readFileSync(filePath);
  const damaged = Buffer.from(original);
  damaged[segmentHeaderBytes + 30] = damaged[segmentHeaderBytes + 30]! ^ 0x40;
  writeFileSync(filePath, damaged);
  assert.deepEqual([...journal.read({ fromSequence })].map(comparable), expected);
  for (const from of [1n, last.firstSequence]) {
    assert.throws(
      () => [...journal.read({ fromSequence: from })],
      (error: unknown) => error instanceof JournalCorruptError && error.offset === segmentHeaderBytes && error.sequenceExpected === last.firstSequence,
      `read from sequence ${from}`,
    );
  }
  // A header changed since open is refused by a read from a seek point too.
  const headerChanged = Buffer.from(original);
  headerChanged[16] = headerChanged[16]! ^ 0x01;
  writeFileSync(filePath, headerChanged);
  assert.throws(() => [...journal.read({ fromSequence })], (error: unknown) => error instanceof JournalCorruptError && error.offset === 0);
  writeFileSync(filePath, original);
  await journal.close();
});
