// Proves the cursors replay reads records through: the journal's reader hands out exactly the same
// records through its cursor as through its iterator (one loop, two front ends), the follower's frame
// cursor reads every kind of record exactly and refuses broken frames, the numeric order agrees with the
// SequenceChecker on every record of a seeded random journal, and a replay that stops early closes its
// reader.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Journal } from '../src/index.ts';
import type { RecordKind } from '../src/journal/format.ts';
import { recordAuthBytesAt, recordHeaderBytes, recordKindCode, recordOverheadBytes, recordPayloadBytesAt, recordTimeAt } from '../src/journal/format.ts';
import { FrameCursor } from '../src/journal/frame-cursor.ts';
import type { JournalRecord } from '../src/journal/journal-reader.ts';
import type { RecordCursor } from '../src/journal/record-cursor.ts';
import { RecordOrder } from '../src/journal/record-order.ts';
import { SequenceChecker } from '../src/journal/sequence-checker.ts';
import { LogState } from '../src/log-state.ts';
import { replayRecords } from '../src/replay.ts';
import { appendRange, payloadFor, recordBytes, smallLimits, temporaryDirectory, timeFor } from './journal-helpers.ts';
import { SeededRandom } from './seeded-random.ts';

// What a cursor stands on, in the shape of a record, read without the cursor's record().
function fieldsAt(cursor: RecordCursor): unknown[] {
  const payloadStart = cursor.start + recordHeaderBytes;
  const payloadBytes = recordPayloadBytesAt(cursor.bytes, cursor.start);
  const authBytes = recordAuthBytesAt(cursor.bytes, cursor.start);
  const payload = Array.from(cursor.bytes.subarray(payloadStart, payloadStart + payloadBytes));
  const auth = Array.from(cursor.bytes.subarray(payloadStart + payloadBytes, payloadStart + payloadBytes + authBytes));
  return [cursor.kindCode, cursor.sequence, recordTimeAt(cursor.bytes, cursor.start), payload, auth];
}

function fieldsOf(record: JournalRecord): unknown[] {
  const payload = record.kind === 'command' ? record.payload : record.kind === 'checkpointDue' ? new Uint8Array(0) : record.stateHash;
  const auth = record.kind === 'command' && record.auth !== undefined ? Array.from(record.auth) : [];
  return [recordKindCode(record.kind), Number(record.sequence), record.time, Array.from(payload), auth];
}

test('journal reader: the cursor and the iterator read the same records, across segments and chunks', async (context) => {
  const directory = temporaryDirectory(context);
  const journal = await Journal.open({ directory, logger: { info() {}, warn() {}, error() {} }, ...smallLimits, readChunkBytes: 64 });
  context.after(() => journal.close());
  await appendRange(journal, { from: 1n, to: 300n, checkpointEvery: 7n });
  await journal.append({ sequence: 301n, time: timeFor(301n), payload: payloadFor(301n), auth: new Uint8Array(40).fill(5) });
  for (const fromSequence of [1n, 2n, 150n, 301n, 302n]) {
    const iterated = [...journal.read({ fromSequence })].map(fieldsOf);
    const cursor = journal.read({ fromSequence }) as unknown as RecordCursor;
    const read: unknown[][] = [];
    const built: unknown[][] = [];
    while (cursor.advance()) {
      read.push(fieldsAt(cursor));
      built.push(fieldsOf(cursor.record()));
    }
    assert.equal(cursor.advance(), false, 'a finished cursor stays finished');
    assert.deepEqual(read, iterated, `from ${fromSequence}`);
    assert.deepEqual(built, iterated, `from ${fromSequence}: record() builds what the iterator yields`);
    assert.equal(read.length, fromSequence === 302n ? 0 : iterated.length);
  }
});

test('frame cursor: reads every kind of record exactly, and refuses broken frames', () => {
  const stateHash = new Uint8Array(32).fill(7);
  const last = (1n << 64n) - 1n;
  const auth = new Uint8Array(9).fill(1);
  const frames = recordBytes([
    { kind: 'command', sequence: 5n, time: 1_767_225_600_000_000_001n, payload: payloadFor(5n) },
    { kind: 'checkpoint', sequence: 5n, time: 1_767_225_600_000_000_001n, payload: stateHash },
    { kind: 'command', sequence: 6n, time: last, payload: new Uint8Array(0) },
    { kind: 'checkpointDue', sequence: 6n, time: last, payload: new Uint8Array(0) },
    { kind: 'deferredCheckpoint', sequence: 6n, time: last, payload: stateHash },
    { kind: 'command', sequence: 7n, time: 1n << 63n, payload: payloadFor(7n), auth },
  ]);
  const cursor = new FrameCursor(frames);
  const built: JournalRecord[] = [];
  while (cursor.advance()) built.push(cursor.record());
  // Auth envelopes are skipped: the follower replays commands, the envelopes stay in the journal.
  assert.deepEqual(built, [
    { kind: 'command', sequence: 5n, time: 1_767_225_600_000_000_001n, payload: payloadFor(5n), auth: undefined },
    { kind: 'checkpoint', sequence: 5n, time: 1_767_225_600_000_000_001n, stateHash },
    { kind: 'command', sequence: 6n, time: last, payload: new Uint8Array(0), auth: undefined },
    { kind: 'checkpointDue', sequence: 6n, time: last },
    { kind: 'deferredCheckpoint', sequence: 6n, time: last, stateHash },
    { kind: 'command', sequence: 7n, time: 1n << 63n, payload: payloadFor(7n), auth: undefined },
  ]);

  const broken: { name: string; bytes: Uint8Array; message: RegExp }[] = [
    { name: 'truncated header', bytes: frames.subarray(0, 20), message: /truncated frame header/ },
    { name: 'truncated payload', bytes: frames.subarray(0, recordOverheadBytes + 2), message: /truncated frame payload/ },
    { name: 'magic', bytes: frames.map((byte, index) => (index === 0 ? 0 : byte)), message: /magic/ },
    { name: 'kind', bytes: frames.map((byte, index) => (index === 1 ? 9 : byte)), message: /unknown frame kind/ },
    { name: 'sequence beyond 2^53', bytes: frames.map((byte, index) => (index === 18 ? 0x20 : byte)), message: /beyond 2\^53/ },
  ];
  for (const entry of broken) {
    assert.throws(() => new FrameCursor(entry.bytes).advance(), entry.message, entry.name);
  }
});

const kinds: readonly RecordKind[] = ['command', 'checkpoint', 'checkpointDue', 'deferredCheckpoint'];

test('record order: agrees with the sequence checker on every record of a seeded random journal', () => {
  const seed = 6;
  const random = new SeededRandom(seed);
  const wrap = 1n << 32n;
  const start = { firstSequence: 1_000n, previousTime: wrap - 3n };
  const checker = new SequenceChecker(start);
  const order = new RecordOrder(new SequenceChecker(start));
  const acceptedByKind = new Map<RecordKind, number>();
  // Mostly valid records, with near misses: sequences and times one off, times across a 2^32 step.
  for (let step = 0; step < 20_000; step++) {
    const kind = kinds[random.between(0, 3)]!;
    const sequence = checker.nextSequence - BigInt(random.between(0, 3));
    const time = checker.lastTime + BigInt(random.between(-2, 3)) + (random.between(0, 20) === 0 ? wrap : 0n);
    const high = Number(time >> 32n);
    const low = Number(time & 0xffff_ffffn);
    const accepted = order.take(recordKindCode(kind), Number(sequence), high, low);
    assert.equal(accepted, checker.take(kind, sequence, time) === undefined, `seed ${seed}, step ${step}: ${kind} ${sequence} at ${time}`);
    if (accepted) acceptedByKind.set(kind, (acceptedByKind.get(kind) ?? 0) + 1);
    assert.equal(BigInt(order.nextSequence), checker.nextSequence, `seed ${seed}, step ${step}`);
    assert.equal(order.lastTime, checker.lastTime, `seed ${seed}, step ${step}`);
    assert.equal(order.checker().checkpointSequence, checker.checkpointSequence, `seed ${seed}, step ${step}`);
  }
  // The walk reaches every rule, accepting as well as refusing.
  for (const kind of kinds) assert.ok((acceptedByKind.get(kind) ?? 0) >= 100, `seed ${seed}: ${kind} accepted ${acceptedByKind.get(kind) ?? 0} times`);
});

test('replay: stopping at toSequence closes the reader', async (context) => {
  const directory = temporaryDirectory(context);
  const journal = await Journal.open({ directory, logger: { info() {}, warn() {}, error() {} } });
  context.after(() => journal.close());
  // The payloads are not commands: the replay stops before decoding one.
  await appendRange(journal, { from: 1n, to: 3n });
  const records = journal.read({ fromSequence: 1n }) as unknown as RecordCursor;
  let closed = 0;
  const close = records.close.bind(records);
  records.close = () => {
    closed += 1;
    close();
  };
  const summary = replayRecords({ state: new LogState(), records, verifyCheckpoints: false, toSequence: 0 });
  assert.equal(summary.commands, 0);
  assert.equal(closed, 1);
  assert.equal(records.advance(), false, 'a closed reader reads nothing more');
});
