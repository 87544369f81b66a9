// Replay reads the journal again after recovery checked it, and checks it again: the disk is a boundary,
// and a segment can be damaged (or swapped) between open and replay. Every record a read hands out is
// read from the file again and checked again (both checksums, its place in the order), and so is every
// segment header the read passes. Reading is synchronous on purpose: the core it feeds is synchronous,
// and big sequential reads leave nothing for async I/O to overlap.
//
// What a read does not read again is the part of its first segment before the seek point it starts at
// (segment-files.ts, SeekPoint): records below `fromSequence`, which open's scan checked (at start-up,
// moments before) and which the read would only have checked and skipped. Start-up from a recent
// snapshot needs only the last few records of a live segment of hundreds of MiB, and reading all of it
// again took as long as open's scan. Skipping that prefix is safe because nothing rewrites it: segments
// are append-only (the journal writes only past a segment's durable end, and its one cut, of a torn
// tail, is made by open's scan, behind every seek point that scan records), and the process reading
// holds its data directory's lock (the node and the tools take it), so no other one writes there. The
// read resumes the order open's scan had at the seek point, and still checks the segment's header
// against what open read.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { JournalCorruptError, JournalError } from './errors.ts';
import {
  decodeRecord,
  recordAuthBytesAt,
  recordBytesAt,
  recordBytesNeeded,
  recordHeaderBytes,
  recordKindAt,
  recordKindCodeAt,
  recordPayloadBytesAt,
  recordSequenceAt,
  recordSequenceNumberAt,
  recordTimeAt,
  recordTimeHighAt,
  recordTimeLowAt,
  segmentHeaderBytes,
} from './format.ts';
import type { JournalSegment, SeekPoint } from './segment-files.ts';
import type { Chunk, SegmentReadOptions } from './segment-reader.ts';
import { firstChunk, nextChunk, readSegmentHeader } from './segment-reader.ts';
import { segmentHeaderProblem } from './segment-validation.ts';
import type { RecordCursor } from './record-cursor.ts';
import { IterableRecordCursor, recordOf } from './record-cursor.ts';
import { RecordOrder } from './record-order.ts';
import { SequenceChecker } from './sequence-checker.ts';

/** A record read back from the journal. */
export type JournalRecord =
  | {
      readonly kind: 'command';
      readonly sequence: bigint;
      readonly time: bigint;
      /** A view into a read buffer: copy it to keep it for long, or it keeps the whole chunk alive. */
      readonly payload: Uint8Array;
      /** The auth envelope stored with the command, verbatim (a view, like the payload); undefined for none. */
      readonly auth: Uint8Array | undefined;
    }
  | {
      readonly kind: 'checkpoint';
      /** The sequence of the command after which the state had this hash. */
      readonly sequence: bigint;
      /** The time of that command. */
      readonly time: bigint;
      readonly stateHash: Uint8Array;
    }
  | {
      /** The state after the command before this record is to be hashed; the hash follows later. */
      readonly kind: 'checkpointDue';
      readonly sequence: bigint;
      readonly time: bigint;
    }
  | {
      /** The hash of the state after command `sequence`, which has a checkpoint-due record. */
      readonly kind: 'deferredCheckpoint';
      readonly sequence: bigint;
      /** The time of the command this record follows (not that of command `sequence`). */
      readonly time: bigint;
      readonly stateHash: Uint8Array;
    };

/** What to read: a snapshot of the segments taken when the read began. */
export interface ReadJournalOptions {
  readonly directory: string;
  readonly segments: readonly JournalSegment[];
  /** Records with a smaller sequence are checked but not yielded. */
  readonly fromSequence: bigint;
  readonly chunkBytes: number;
}

/** The journal's records in order: an iterator of record objects and a RecordCursor at once (one of the two per read). */
export type JournalRecords = Generator<JournalRecord, void, undefined> & RecordCursor;

/**
 * Yields every record with `sequence >= fromSequence`, in order; throws on any damage. Like a generator,
 * it starts reading at the first `next()` (or `advance()`) and closes its file when iteration ends,
 * breaks or throws.
 */
export function readJournalRecords(options: ReadJournalOptions): JournalRecords {
  return new JournalScan(options);
}

// The last segment starting at or before `fromSequence`: the one that holds it, if it exists yet.
function segmentIndexFor(options: ReadJournalOptions): number {
  const first = options.segments[0];
  if (first === undefined) return 0;
  if (options.fromSequence < first.firstSequence) {
    throw new JournalError({
      shortMessage: `Journal records before sequence ${first.firstSequence} are not in the journal directory.`,
      details: `read from sequence ${options.fromSequence}; older segments were archived`,
    });
  }
  let low = 0;
  let high = options.segments.length - 1;
  // Binary search, bounded by log2(segments).
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (options.segments[middle]!.firstSequence <= options.fromSequence) low = middle;
    else high = middle - 1;
  }
  return low;
}

// The last seek point of `segment` a read from `fromSequence` may start at (nothing before it has a
// sequence at or past `fromSequence`), or undefined to start at the segment's first record. Binary
// search, bounded by log2(seek points).
function seekPointFor(segment: JournalSegment, fromSequence: bigint): SeekPoint | undefined {
  const seekPoints = segment.seekPoints;
  // seekPoints[0, low) start no later than fromSequence; seekPoints[high, length) start past it.
  let low = 0;
  let high = seekPoints.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (seekPoints[middle]!.position.nextSequence <= fromSequence) low = middle + 1;
    else high = middle;
  }
  return low === 0 ? undefined : seekPoints[low - 1];
}

/**
 * The replay loop: straight over big chunks of one segment after another, checking each record in place
 * (both checksums, then its place in the order, in numbers: RecordOrder) and standing on it as a
 * RecordCursor: no object, view or bigint per record. The iterator front end (`next`) builds a record
 * object with views of its payload and auth envelope for each record it hands out; both front ends run
 * the same loop (`advance`), so they check exactly the same.
 *
 * Written out rather than as a generator function: a generator's suspend and resume cost about 35 ns a
 * record, a written-out iterator about 8 ns (measured on Node 20).
 */
class JournalScan extends IterableRecordCursor {
  private readonly options: ReadJournalOptions;
  private readonly fromSequence: number;
  // -1 until the first next(): a generator does no work (and throws nothing) before it is started.
  private segmentIndex = -1;
  private done = false;
  private filePath = '';
  private fileDescriptor = -1;
  private segmentBytes = 0;
  private readOptions: SegmentReadOptions | undefined;
  private chunk: Chunk | undefined;
  private position = 0;
  // The order so far; set from each segment's header as it opens (undefined before the first).
  private order: RecordOrder | undefined;
  // The chunk the last record views were made from, its ArrayBuffer and its offset there.
  private viewedBuffer: Buffer | undefined;
  private arrayBuffer: ArrayBufferLike = new ArrayBuffer(0);
  private byteOffset = 0;
  // The record the cursor stands on.
  bytes: Buffer = emptyBuffer;
  start = 0;
  kindCode = 0;
  sequence = 0;

  constructor(options: ReadJournalOptions) {
    super();
    this.options = options;
    // Every record's sequence is below 2^53 (format.ts refuses others): from past it, none is handed out.
    this.fromSequence = options.fromSequence > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(options.fromSequence);
  }

  advance(): boolean {
    if (this.done) return false;
    let found: boolean;
    try {
      if (this.segmentIndex < 0) this.segmentIndex = segmentIndexFor(this.options);
      found = this.nextRecord();
    } catch (error) {
      this.finish();
      throw error;
    }
    if (!found) this.finish();
    return found;
  }

  close(): void {
    this.finish();
  }

  private finish(): void {
    this.done = true;
    this.closeFile();
  }

  // Stands on the next record at or after `fromSequence`; false when the segments are read.
  private nextRecord(): boolean {
    // Bounded by the segments' durable bytes: every pass consumes a record, reads more of the file, or
    // moves to the next segment.
    for (;;) {
      const chunk = this.chunk;
      if (chunk === undefined || chunk.fileOffset + this.position >= this.segmentBytes) {
        if (!this.openNextSegment()) return false;
        continue;
      }
      const buffer = chunk.buffer;
      const offset = this.position;
      const recordBytes = recordBytesAt(buffer, offset, chunk.filled);
      if (recordBytes === 0) {
        if (chunk.atEnd) throw this.corrupt(offset, 'incomplete record inside the durable part of the segment');
        this.chunk = nextChunk(this.readOptions!, chunk, offset, recordBytesNeeded(buffer, offset, chunk.filled));
        this.position = 0;
        continue;
      }
      if (recordBytes < 0) throw this.corrupt(offset, damageOf(buffer, offset, chunk.filled));
      const kindCode = recordKindCodeAt(buffer, offset);
      const sequence = recordSequenceNumberAt(buffer, offset);
      if (!this.order!.take(kindCode, sequence, recordTimeHighAt(buffer, offset), recordTimeLowAt(buffer, offset))) {
        throw this.corrupt(offset, this.order!.problem(recordKindAt(buffer, offset), recordSequenceAt(buffer, offset), recordTimeAt(buffer, offset)));
      }
      this.position = offset + recordBytes;
      if (sequence >= this.fromSequence) {
        this.bytes = buffer;
        this.start = offset;
        this.kindCode = kindCode;
        this.sequence = sequence;
        return true;
      }
    }
  }

  // The current record's object, with views of its payload and auth envelope. The views are made from
  // the chunk's ArrayBuffer and offset, read once per chunk: through Buffer's getters every record's
  // views cost about twice as much.
  record(): JournalRecord {
    const buffer = this.bytes;
    const offset = this.start;
    if (buffer !== this.viewedBuffer) {
      this.viewedBuffer = buffer;
      this.arrayBuffer = buffer.buffer;
      this.byteOffset = buffer.byteOffset;
    }
    const payloadStart = this.byteOffset + offset + recordHeaderBytes;
    const payloadBytes = recordPayloadBytesAt(buffer, offset);
    const payload = new Uint8Array(this.arrayBuffer, payloadStart, payloadBytes);
    const sequence = recordSequenceAt(buffer, offset);
    const time = recordTimeAt(buffer, offset);
    const authBytes = recordAuthBytesAt(buffer, offset);
    const auth = authBytes === 0 ? undefined : new Uint8Array(this.arrayBuffer, payloadStart + payloadBytes, authBytes);
    return recordOf(this.kindCode, sequence, time, payload, auth);
  }

  // Closes the open segment file, if any.
  private closeFile(): void {
    if (this.fileDescriptor >= 0) fs.closeSync(this.fileDescriptor);
    this.fileDescriptor = -1;
    this.chunk = undefined;
  }

  // Moves to the next segment with records; false when there is none.
  private openNextSegment(): boolean {
    const segments = this.options.segments;
    // Bounded by the number of segments in the snapshot.
    while (this.segmentIndex < segments.length) {
      const previous = this.fileDescriptor >= 0 ? this.order!.checker() : undefined;
      this.closeFile();
      const segment = segments[this.segmentIndex++]!;
      this.filePath = path.join(this.options.directory, segment.name);
      this.fileDescriptor = fs.openSync(this.filePath, 'r');
      // Only the first segment read can start past its first record: the ones after it are read whole.
      const seekPoint = previous === undefined ? seekPointFor(segment, this.options.fromSequence) : undefined;
      this.startSegment(segment, previous, seekPoint);
      const startOffset = seekPoint?.offset ?? segmentHeaderBytes;
      if (segment.bytes <= startOffset) continue;
      this.segmentBytes = segment.bytes;
      this.readOptions = { fileDescriptor: this.fileDescriptor, startOffset, endOffset: segment.bytes, chunkBytes: this.options.chunkBytes };
      this.chunk = firstChunk(this.readOptions);
      this.position = 0;
      return true;
    }
    if (this.fileDescriptor >= 0) this.closeFile();
    return false;
  }

  // `previous` is the order after the segment read before this one (undefined for the first); a read
  // from `seekPoint` resumes the order open's scan had there.
  private startSegment(segment: JournalSegment, previous: SequenceChecker | undefined, seekPoint: SeekPoint | undefined): void {
    const decoded = readSegmentHeader(this.fileDescriptor);
    const sequenceExpected = previous?.nextSequence ?? segment.firstSequence;
    const fail = (reason: string): JournalCorruptError =>
      new JournalCorruptError({ segmentFile: this.filePath, offset: 0, sequenceExpected, reason });
    if (!decoded.valid) throw fail(decoded.reason);
    const problem = segmentHeaderProblem(decoded.header, { firstSequence: segment.firstSequence, previous });
    if (problem !== undefined) throw fail(problem);
    // The header must also be the one recovery read: a segment replaced since then is not trusted.
    if (decoded.header.previousTime !== segment.previousTime) throw fail('segment header changed since the journal was opened');
    // Records carry sequences below 2^53 (format.ts refuses others), so a segment cannot start past it.
    if (decoded.header.firstSequence > BigInt(Number.MAX_SAFE_INTEGER)) throw fail('segment first sequence beyond 2^53');
    // As a fresh SequenceChecker of the header: no checkpoint before the segment's first command.
    const checker = new SequenceChecker(decoded.header);
    if (seekPoint !== undefined) {
      // The seek point lies inside the records open scanned, which are still all there (append-only).
      assert.ok(seekPoint.offset > segmentHeaderBytes && seekPoint.offset < segment.bytes, 'journal: seek point outside the segment');
      checker.advance(seekPoint.position);
    }
    this.order = new RecordOrder(checker);
  }

  private corrupt(offset: number, reason: string): JournalCorruptError {
    const fileOffset = this.chunk!.fileOffset + offset;
    return new JournalCorruptError({ segmentFile: this.filePath, offset: fileOffset, sequenceExpected: BigInt(this.order!.nextSequence), reason });
  }
}

const emptyBuffer = Buffer.alloc(0);

function damageOf(buffer: Buffer, offset: number, end: number): string {
  const decoded = decodeRecord(buffer, offset, end);
  if (decoded.status === 'headerInvalid') return `headerInvalid record inside the durable part of the segment (${decoded.reason})`;
  return `${decoded.status} record inside the durable part of the segment`;
}
