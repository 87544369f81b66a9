// A batch is the unit of group commit: records encoded back to back in one buffer, written with one
// write() and made durable with one fdatasync(), after which everyone who appended to it is answered at
// once through one shared promise. One promise per batch, not per record, keeps the cost of an
// acknowledgement flat as batches grow.
import assert from 'node:assert/strict';
import type { JournalSegment } from './segment-files.ts';

/** Records waiting to be written to one segment. */
export interface Batch {
  readonly segment: JournalSegment;
  /** Whether this batch creates the segment file; its buffer then starts with the segment header. */
  readonly createsSegment: boolean;
  /** Where `buffer[0]` goes in the segment file. */
  readonly fileOffset: number;
  readonly buffer: Buffer;
  bytesUsed: number;
  recordCount: number;
  /** The last command sequence in this batch or, if it holds only checkpoints, before it. */
  lastSequence: number;
  /** Settles once the batch is durable (or the journal failed). */
  readonly durable: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** What a new batch starts from. */
export interface BatchStart {
  readonly segment: JournalSegment;
  readonly createsSegment: boolean;
  readonly fileOffset: number;
  readonly buffer: Buffer;
  readonly lastSequence: number;
}

/** An empty batch with its promise. */
export function createBatch(start: BatchStart): Batch {
  assert.ok(start.fileOffset >= 0);
  if (start.createsSegment) assert.equal(start.fileOffset, 0);
  let resolve: (() => void) | undefined;
  let reject: ((error: Error) => void) | undefined;
  const durable = new Promise<void>((resolveDurable, rejectDurable) => {
    resolve = resolveDurable;
    reject = rejectDurable;
  });
  assert.ok(resolve !== undefined && reject !== undefined);
  return { ...start, bytesUsed: 0, recordCount: 0, durable, resolve, reject };
}
