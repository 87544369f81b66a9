// The way replay reads records: a cursor over bytes in the journal's record layout (format.ts), not a
// record object per record. A cursor stands on one record at a time — the buffer holding it, where it
// starts, its kind and sequence read off the header as numbers — and the reader asks format.ts's
// record readers only for what it uses: the time (recordTimeAt, one bigint, for a command the core is
// given) and the payload's range (recordPayloadBytesAt), which the command decoder reads in place.
// Three cursors share this shape: the journal's reader (journal-reader.ts, every check made as it
// moves), the archive-then-live chain (log-reader.ts) and the follower's frames (frame-cursor.ts). Each
// also builds a JournalRecord for callers that keep records.
import assert from 'node:assert/strict';
import { checkpointDueKindCode, checkpointKindCode, commandKindCode, deferredCheckpointKindCode } from './format.ts';
import type { JournalRecord } from './journal-reader.ts';

/** A reader standing on one record; `advance` moves it to the next. */
export interface RecordCursor {
  /**
   * Moves to the next record: false when there is none (the cursor is then closed). Throws, closing the
   * cursor, on damage.
   */
  advance(): boolean;
  /** Stops early: closes the files the cursor holds. Safe to call more than once. */
  close(): void;
  /** The bytes holding the current record, from `start` on, in the journal's layout. */
  readonly bytes: Uint8Array;
  /** Where the current record starts in `bytes`. */
  readonly start: number;
  /** The current record's kind code (format.ts: 1 command, 2 checkpoint, 3 due, 4 deferred). */
  readonly kindCode: number;
  /** The current record's sequence (below 2^53: the format refuses larger ones). */
  readonly sequence: number;
  /** The current record as an object, its payload and auth envelope views of `bytes`. */
  record(): JournalRecord;
}

/**
 * A record as an object, from its header's fields and views of its payload and auth envelope: what
 * every cursor's `record()` returns. Checkpoint records carry no auth envelope.
 *
 * @example
 * recordOf(commandKindCode, 7n, 70n, payload, undefined); // { kind: 'command', sequence: 7n, time: 70n, payload, auth: undefined }
 */
export function recordOf(kindCode: number, sequence: bigint, time: bigint, payload: Uint8Array, auth: Uint8Array | undefined): JournalRecord {
  if (kindCode === commandKindCode) return { kind: 'command', sequence, time, payload, auth };
  if (kindCode === checkpointDueKindCode) return { kind: 'checkpointDue', sequence, time };
  if (kindCode === checkpointKindCode) return { kind: 'checkpoint', sequence, time, stateHash: payload };
  assert.ok(kindCode === deferredCheckpointKindCode, `unknown record kind ${kindCode}`);
  return { kind: 'deferredCheckpoint', sequence, time, stateHash: payload };
}

/**
 * A cursor that is also a generator of records, for callers that iterate: `next` is `advance` then
 * `record`; `return` and `throw` close it. Like a generator, it does nothing before its first move.
 */
export abstract class IterableRecordCursor implements RecordCursor, Generator<JournalRecord, void, undefined> {
  abstract readonly bytes: Uint8Array;
  abstract readonly start: number;
  abstract readonly kindCode: number;
  abstract readonly sequence: number;
  abstract advance(): boolean;
  abstract close(): void;
  abstract record(): JournalRecord;

  next(): IteratorResult<JournalRecord, void> {
    if (!this.advance()) return { done: true, value: undefined };
    return { done: false, value: this.record() };
  }

  return(): IteratorResult<JournalRecord, void> {
    this.close();
    return { done: true, value: undefined };
  }

  throw(error: unknown): IteratorResult<JournalRecord, void> {
    this.close();
    throw error;
  }

  [Symbol.iterator](): this {
    return this;
  }
}
