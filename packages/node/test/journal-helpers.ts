// Shared fixtures for the journal tests: a scratch directory, a logger that records, and deterministic
// commands whose payload and time follow from the sequence, so any record read back can be checked.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import type { Journal, JournalLogger, JournalRecord } from '../src/index.ts';
import { encodeRecord, recordOverheadBytes, type RecordFields } from '../src/journal/format.ts';
import { FrameCursor } from '../src/journal/frame-cursor.ts';

/** A fresh directory under the OS temp dir, removed when the test ends. */
export function temporaryDirectory(context: TestContext): string {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'perpdex-journal-'));
  context.after(() => rmSync(directory, { recursive: true, force: true }));
  return directory;
}

export interface LogEntry {
  readonly level: 'info' | 'warn' | 'error';
  readonly object: Record<string, unknown>;
  readonly message: string;
}

/** A logger that keeps what it is told, for assertions. */
export class RecordingLogger implements JournalLogger {
  readonly entries: LogEntry[] = [];
  info(object: Record<string, unknown>, message: string): void {
    this.entries.push({ level: 'info', object, message });
  }
  warn(object: Record<string, unknown>, message: string): void {
    this.entries.push({ level: 'warn', object, message });
  }
  error(object: Record<string, unknown>, message: string): void {
    this.entries.push({ level: 'error', object, message });
  }
  at(level: LogEntry['level']): LogEntry[] {
    return this.entries.filter((entry) => entry.level === level);
  }
}

/** 2026-01-01T00:00:00Z in nanoseconds; command times count up from here. */
const timeBase = 1_767_225_600_000_000_000n;

/** The time of command `sequence`: strictly increasing, with uneven steps. */
export function timeFor(sequence: bigint): bigint {
  return timeBase + sequence * 1_000n + (sequence % 7n);
}

/** The payload of command `sequence`: 1 to 200 bytes that depend on the sequence. */
export function payloadFor(sequence: bigint): Uint8Array {
  const length = Number(sequence % 200n) + 1;
  const payload = new Uint8Array(length);
  for (let index = 0; index < length; index++) payload[index] = Number((sequence * 31n + BigInt(index)) % 251n);
  return payload;
}

/** The state hash checkpointed after command `sequence`. */
export function stateHashFor(sequence: bigint): Uint8Array {
  return new Uint8Array(32).fill(Number(sequence % 256n));
}

export interface AppendRange {
  readonly from: bigint;
  readonly to: bigint;
  /** Append a checkpoint after every command whose sequence is a multiple of this. */
  readonly checkpointEvery?: bigint;
}

/** Appends commands `from..to` (and checkpoints) without waiting for each, then waits for all. */
export async function appendRange(journal: Journal, range: AppendRange): Promise<void> {
  const durable: Promise<void>[] = [];
  for (let sequence = range.from; sequence <= range.to; sequence++) {
    durable.push(journal.append({ sequence, time: timeFor(sequence), payload: payloadFor(sequence) }));
    if (range.checkpointEvery !== undefined && sequence % range.checkpointEvery === 0n) {
      durable.push(journal.appendCheckpoint({ sequence, stateHash: stateHashFor(sequence) }));
    }
  }
  await Promise.all(durable);
}

/** Checks that `records` are exactly commands `from..to` (and checkpoints) as `appendRange` wrote them. */
export function assertRecords(records: readonly JournalRecord[], range: AppendRange): void {
  let index = 0;
  for (let sequence = range.from; sequence <= range.to; sequence++) {
    const record = records[index++];
    assert.ok(record !== undefined, `record for sequence ${sequence} missing`);
    assert.equal(record.kind, 'command');
    assert.equal(record.sequence, sequence);
    assert.equal(record.time, timeFor(sequence));
    if (record.kind === 'command') assert.deepEqual(new Uint8Array(record.payload), payloadFor(sequence));
    if (range.checkpointEvery === undefined || sequence % range.checkpointEvery !== 0n) continue;
    const checkpoint = records[index++];
    assert.ok(checkpoint !== undefined && checkpoint.kind === 'checkpoint');
    assert.equal(checkpoint.sequence, sequence);
    assert.equal(checkpoint.time, timeFor(sequence));
    assert.deepEqual(new Uint8Array(checkpoint.stateHash), stateHashFor(sequence));
  }
  assert.equal(records.length, index);
}

/** Small segments, so a few hundred records rotate several times. */
export const smallLimits = { segmentBytesMax: 4096, payloadBytesMax: 256, batchBytesMax: 2048, pendingBytesMax: 1 << 20 } as const;

/** Records one after another as the journal writes them (checksums included): a batch, or frames. */
export function recordBytes(records: readonly RecordFields[]): Uint8Array {
  let length = 0;
  for (const fields of records) length += recordOverheadBytes + fields.payload.length + (fields.auth?.length ?? 0);
  const bytes = Buffer.alloc(length);
  let end = 0;
  for (const fields of records) end += encodeRecord(bytes, end, fields);
  assert.equal(end, length);
  // Plain bytes, as the journal hands them over (records read from them are views, not Buffers).
  return new Uint8Array(bytes.buffer, bytes.byteOffset, length);
}

/** The records in `bytes` (a durable batch, or the follower's frames) as objects, in order. */
export function readFrames(bytes: Uint8Array): JournalRecord[] {
  const cursor = new FrameCursor(bytes);
  const records: JournalRecord[] = [];
  while (cursor.advance()) records.push(cursor.record());
  return records;
}
