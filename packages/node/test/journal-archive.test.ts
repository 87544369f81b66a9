// Proves archiving moves exactly the segments a snapshot covers, never deletes or overwrites anything,
// and leaves a journal that still opens, reads and appends; and that a crash halfway through archiving
// leaves a directory that still opens.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Journal, JournalCorruptError, JournalError } from '../src/index.ts';
import { RecordingLogger, appendRange, assertRecords, smallLimits, temporaryDirectory } from './journal-helpers.ts';

function segmentFiles(directory: string): string[] {
  return readdirSync(directory)
    .filter((name) => name.endsWith('.journal'))
    .sort();
}

function firstSequenceOf(name: string): bigint {
  return BigInt(name.slice(0, 20));
}

test('archive: moves only segments whose records are all below the sequence', async (context) => {
  const directory = temporaryDirectory(context);
  const archiveDirectory = path.join(temporaryDirectory(context), 'archive');
  const journal = await Journal.open({ directory, logger: new RecordingLogger(), ...smallLimits });
  await appendRange(journal, { from: 1n, to: 300n, checkpointEvery: 10n });
  const names = segmentFiles(directory);
  assert.ok(names.length >= 5);
  const contents = new Map(names.map((name) => [name, readFileSync(path.join(directory, name))]));
  const third = firstSequenceOf(names[2]!);
  // One below the third segment's start: the second segment still holds sequence third - 1.
  assert.deepEqual(await journal.archiveSegmentsBefore(third - 1n, archiveDirectory), [names[0]]);
  // At the third segment's start: the first two are covered.
  assert.deepEqual(await journal.archiveSegmentsBefore(third, archiveDirectory), [names[1]]);
  assert.deepEqual(await journal.archiveSegmentsBefore(third, archiveDirectory), []);
  assert.deepEqual(segmentFiles(archiveDirectory), names.slice(0, 2));
  assert.deepEqual(segmentFiles(directory), names.slice(2));
  for (const name of names.slice(0, 2)) assert.deepEqual(readFileSync(path.join(archiveDirectory, name)), contents.get(name), name);
  // Reading from the kept part works; reading archived sequences says so.
  assertRecords([...journal.read({ fromSequence: third })], { from: third, to: 300n, checkpointEvery: 10n });
  assert.throws(() => [...journal.read({ fromSequence: third - 1n })], JournalError);
  await journal.close();

  const reopened = await Journal.open({ directory, logger: new RecordingLogger(), ...smallLimits });
  assert.equal(reopened.lastSequence, 300n);
  await appendRange(reopened, { from: 301n, to: 320n, checkpointEvery: 10n });
  assertRecords([...reopened.read({ fromSequence: third })], { from: third, to: 320n, checkpointEvery: 10n });
  await reopened.close();
});

test('archive: the segment being written is never archived', async (context) => {
  const directory = temporaryDirectory(context);
  const archiveDirectory = temporaryDirectory(context);
  const journal = await Journal.open({ directory, logger: new RecordingLogger(), ...smallLimits });
  await appendRange(journal, { from: 1n, to: 300n });
  const names = segmentFiles(directory);
  const moved = await journal.archiveSegmentsBefore(1_000_000n, archiveDirectory);
  assert.deepEqual(moved, names.slice(0, -1));
  assert.deepEqual(segmentFiles(directory), names.slice(-1));
  await appendRange(journal, { from: 301n, to: 400n });
  await journal.close();
  const reopened = await Journal.open({ directory, logger: new RecordingLogger(), ...smallLimits });
  assert.equal(reopened.lastSequence, 400n);
  await reopened.close();
});

test('archive: a crash halfway through archiving leaves a journal that opens', async (context) => {
  const directory = temporaryDirectory(context);
  const archiveDirectory = temporaryDirectory(context);
  const journal = await Journal.open({ directory, logger: new RecordingLogger(), ...smallLimits });
  await appendRange(journal, { from: 1n, to: 300n });
  const names = segmentFiles(directory);
  await journal.archiveSegmentsBefore(firstSequenceOf(names[3]!), archiveDirectory);
  await journal.close();
  // As if the crash came after the marker was written but before the third segment moved.
  renameSync(path.join(archiveDirectory, names[2]!), path.join(directory, names[2]!));
  const reopened = await Journal.open({ directory, logger: new RecordingLogger(), ...smallLimits });
  assert.equal(reopened.lastSequence, 300n);
  assertRecords([...reopened.read({ fromSequence: firstSequenceOf(names[2]!) })], { from: firstSequenceOf(names[2]!), to: 300n });
  // Archiving again moves it, alongside the ones already there.
  assert.deepEqual(await reopened.archiveSegmentsBefore(firstSequenceOf(names[3]!), archiveDirectory), [names[2]]);
  assert.deepEqual(segmentFiles(archiveDirectory), names.slice(0, 3));
  await reopened.close();
});

test('archive: a segment lost after archiving is still detected', async (context) => {
  const directory = temporaryDirectory(context);
  const archiveDirectory = temporaryDirectory(context);
  const journal = await Journal.open({ directory, logger: new RecordingLogger(), ...smallLimits });
  await appendRange(journal, { from: 1n, to: 300n });
  const names = segmentFiles(directory);
  await journal.archiveSegmentsBefore(firstSequenceOf(names[2]!), archiveDirectory);
  await journal.close();
  // The first kept segment disappears: the marker says the journal starts at it.
  renameSync(path.join(directory, names[2]!), path.join(archiveDirectory, `lost-${names[2]!}`));
  await assert.rejects(Journal.open({ directory, logger: new RecordingLogger(), ...smallLimits }), (error: unknown) => {
    assert.ok(error instanceof JournalCorruptError);
    assert.equal(error.sequenceExpected, firstSequenceOf(names[2]!));
    return true;
  });
});

test('archive: never overwrites a different file already in the archive', async (context) => {
  const directory = temporaryDirectory(context);
  const archiveDirectory = temporaryDirectory(context);
  const journal = await Journal.open({ directory, logger: new RecordingLogger(), ...smallLimits });
  await appendRange(journal, { from: 1n, to: 300n });
  const names = segmentFiles(directory);
  writeFileSync(path.join(archiveDirectory, names[0]!), 'something else');
  await assert.rejects(journal.archiveSegmentsBefore(firstSequenceOf(names[1]!), archiveDirectory), JournalError);
  assert.equal(readFileSync(path.join(archiveDirectory, names[0]!), 'utf8'), 'something else');
  assert.deepEqual(segmentFiles(directory), names);
  await journal.close();
});
