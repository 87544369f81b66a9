// The follower's frames (feed.ts) as a RecordCursor: journal records in the journal's own layout, read
// in place. The follower does not check the checksums (the journal checked or wrote them, and the bytes
// never left the process's memory); it checks that every frame is whole and of a known kind, and replay
// checks the order against its state.
import assert from 'node:assert/strict';
import { commandKindCode, deferredCheckpointKindCode, recordEndAt, recordHeaderBytes, recordMagic, recordPayloadBytesAt, recordSequenceNumberAt, recordTimeAt } from './format.ts';
import type { JournalRecord } from './journal-reader.ts';
import { recordOf, type RecordCursor } from './record-cursor.ts';

/**
 * The records framed in `bytes[0, bytes.length)`, one at a time.
 *
 * @example
 * const cursor = new FrameCursor(message.frames);
 * while (cursor.advance()) apply(cursor.bytes, cursor.start);
 */
export class FrameCursor implements RecordCursor {
  readonly bytes: Uint8Array;
  start = 0;
  kindCode = 0;
  sequence = 0;
  // Where the next frame starts.
  private next = 0;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  advance(): boolean {
    const bytes = this.bytes;
    const at = this.next;
    if (at >= bytes.length) return false;
    if (at + recordHeaderBytes > bytes.length) assert.fail('feed: truncated frame header');
    if (bytes[at] !== recordMagic) assert.fail('feed: frame magic missing');
    const kindCode = bytes[at + 1]!;
    if (kindCode < commandKindCode || kindCode > deferredCheckpointKindCode) assert.fail(`feed: unknown frame kind ${kindCode}`);
    const end = recordEndAt(bytes, at);
    if (end > bytes.length) assert.fail('feed: truncated frame payload');
    const sequence = recordSequenceNumberAt(bytes, at);
    // Sequences stay below 2^53 (format.ts), so a number carries them exactly; one at or past 2^53 reads
    // as at least 2^53 (rounding never takes it below).
    if (sequence > Number.MAX_SAFE_INTEGER) assert.fail('feed: frame sequence beyond 2^53');
    this.start = at;
    this.kindCode = kindCode;
    this.sequence = sequence;
    this.next = end;
    return true;
  }

  close(): void {
    this.next = this.bytes.length;
  }

  /** The current frame as a record; payloads are views into `bytes`, auth envelopes are skipped. */
  record(): JournalRecord {
    const bytes = this.bytes;
    const payloadStart = this.start + recordHeaderBytes;
    const payload = bytes.subarray(payloadStart, payloadStart + recordPayloadBytesAt(bytes, this.start));
    return recordOf(this.kindCode, BigInt(this.sequence), recordTimeAt(bytes, this.start), payload, undefined);
  }
}
