// The follower's frames (feed.ts) as a RecordCursor: journal records in the journal's own layout, read
// in place. The follower does not check the checksums (the bytes never left the process's memory, and
// the frames recovery builds carry zeros there); it checks that every frame is whole and of a known
// kind, and replay checks the order against its state.
import assert from 'node:assert/strict';
import { commandKindCode, deferredCheckpointKindCode, recordHeaderBytes, recordKindCode, recordMagic } from './format.ts';
import type { JournalRecord } from './journal-reader.ts';
import type { RecordCursor } from './record-cursor.ts';
import { payloadBytesOf, recordEndOf, timeOf, u32At } from './record-cursor.ts';

const checkpointKindCode = recordKindCode('checkpoint');
const checkpointDueKindCode = recordKindCode('checkpointDue');
const twoTo32 = 0x1_0000_0000;
const sequenceOffset = 12;
// The high u32 of 2^53.
const sequenceHighLimit = 0x20_0000;

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
    const end = recordEndOf(bytes, at);
    if (end > bytes.length) assert.fail('feed: truncated frame payload');
    const sequenceHigh = u32At(bytes, at + sequenceOffset + 4);
    // Sequences stay below 2^53 (format.ts), so a number carries them exactly.
    if (sequenceHigh >= sequenceHighLimit) assert.fail('feed: frame sequence beyond 2^53');
    this.start = at;
    this.kindCode = kindCode;
    this.sequence = u32At(bytes, at + sequenceOffset) + sequenceHigh * twoTo32;
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
    const payload = bytes.subarray(payloadStart, payloadStart + payloadBytesOf(bytes, this.start));
    const sequence = BigInt(this.sequence);
    const time = timeOf(bytes, this.start);
    const kindCode = this.kindCode;
    if (kindCode === commandKindCode) return { kind: 'command', sequence, time, payload, auth: undefined };
    if (kindCode === checkpointKindCode) return { kind: 'checkpoint', sequence, time, stateHash: payload };
    if (kindCode === checkpointDueKindCode) return { kind: 'checkpointDue', sequence, time };
    return { kind: 'deferredCheckpoint', sequence, time, stateHash: payload };
  }
}
