// Replay reads the journal again after recovery checked it, and checks it again: the disk is a boundary,
// and a segment can be damaged (or swapped) between open and replay. Reading is synchronous on purpose:
// the core it feeds is synchronous, and big sequential reads leave nothing for async I/O to overlap.
import fs from 'node:fs';
import path from 'node:path';
import { JournalCorruptError, JournalError } from './errors.ts';
import type { RecordKind } from './format.ts';
import {
  decodeRecord,
  recordAuthBytesAt,
  recordBytesAt,
  recordBytesNeeded,
  recordHeaderBytes,
  recordKindAt,
  recordPayloadBytesAt,
  recordSequenceAt,
  recordTimeAt,
  segmentHeaderBytes,
} from './format.ts';
import type { JournalSegment } from './segment-files.ts';
import { firstChunk, nextChunk, readSegmentHeader } from './segment-reader.ts';
import { segmentHeaderProblem } from './segment-validation.ts';
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
    };

/** What to read: a snapshot of the segments taken when the read began. */
export interface ReadJournalOptions {
  readonly directory: string;
  readonly segments: readonly JournalSegment[];
  /** Records with a smaller sequence are checked but not yielded. */
  readonly fromSequence: bigint;
  readonly chunkBytes: number;
}

/** Yields every record with `sequence >= fromSequence`, in order; throws on any damage. */
export function* readJournalRecords(options: ReadJournalOptions): Generator<JournalRecord, void, undefined> {
  let index = segmentIndexFor(options);
  let previous: SequenceChecker | undefined;
  // Bounded by the number of segments in the snapshot.
  for (; index < options.segments.length; index++) {
    previous = yield* readSegment(options, options.segments[index]!, previous);
  }
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

// The replay loop: straight over big chunks, checking each record in place (no per-record decode
// object), yielding one record object with views of its payload and auth envelope.
function* readSegment(
  options: ReadJournalOptions,
  segment: JournalSegment,
  previous: SequenceChecker | undefined,
): Generator<JournalRecord, SequenceChecker, undefined> {
  const filePath = path.join(options.directory, segment.name);
  const fileDescriptor = fs.openSync(filePath, 'r');
  try {
    const checker = startSegment(filePath, fileDescriptor, segment, previous);
    if (segment.bytes <= segmentHeaderBytes) return checker;
    const readOptions = { fileDescriptor, startOffset: segmentHeaderBytes, endOffset: segment.bytes, chunkBytes: options.chunkBytes };
    let chunk = firstChunk(readOptions);
    let position = 0;
    const fromSequence = options.fromSequence;
    // Bounded by the segment's durable length: every pass consumes a record or reads more of the file.
    while (chunk.fileOffset + position < segment.bytes) {
      const buffer = chunk.buffer;
      const recordBytes = recordBytesAt(buffer, position, chunk.filled);
      if (recordBytes === 0) {
        if (chunk.atEnd) throw corruptAt(filePath, chunk.fileOffset + position, checker, 'incomplete record inside the durable part of the segment');
        chunk = nextChunk(readOptions, chunk, position, recordBytesNeeded(buffer, position, chunk.filled));
        position = 0;
        continue;
      }
      if (recordBytes < 0) throw corruptAt(filePath, chunk.fileOffset + position, checker, damageOf(buffer, position, chunk.filled));
      const kind = recordKindAt(buffer, position);
      const sequence = recordSequenceAt(buffer, position);
      const time = recordTimeAt(buffer, position);
      const problem = checker.take(kind, sequence, time);
      if (problem !== undefined) throw corruptAt(filePath, chunk.fileOffset + position, checker, problem);
      if (sequence >= fromSequence) yield recordAt(buffer, position, kind, sequence, time);
      position += recordBytes;
    }
    return checker;
  } finally {
    fs.closeSync(fileDescriptor);
  }
}

function recordAt(buffer: Buffer, offset: number, kind: RecordKind, sequence: bigint, time: bigint): JournalRecord {
  const payloadStart = offset + recordHeaderBytes;
  const payloadEnd = payloadStart + recordPayloadBytesAt(buffer, offset);
  const payload = new Uint8Array(buffer.buffer, buffer.byteOffset + payloadStart, payloadEnd - payloadStart);
  if (kind === 'checkpoint') return { kind, sequence, time, stateHash: payload };
  const authBytes = recordAuthBytesAt(buffer, offset);
  const auth = authBytes === 0 ? undefined : new Uint8Array(buffer.buffer, buffer.byteOffset + payloadEnd, authBytes);
  return { kind, sequence, time, payload, auth };
}

function damageOf(buffer: Buffer, offset: number, end: number): string {
  const decoded = decodeRecord(buffer, offset, end);
  if (decoded.status === 'headerInvalid') return `headerInvalid record inside the durable part of the segment (${decoded.reason})`;
  return `${decoded.status} record inside the durable part of the segment`;
}

function corruptAt(segmentFile: string, offset: number, checker: SequenceChecker, reason: string): JournalCorruptError {
  return new JournalCorruptError({ segmentFile, offset, sequenceExpected: checker.nextSequence, reason });
}

function startSegment(
  filePath: string,
  fileDescriptor: number,
  segment: JournalSegment,
  previous: SequenceChecker | undefined,
): SequenceChecker {
  const decoded = readSegmentHeader(fileDescriptor);
  const sequenceExpected = previous?.nextSequence ?? segment.firstSequence;
  const fail = (reason: string): JournalCorruptError =>
    new JournalCorruptError({ segmentFile: filePath, offset: 0, sequenceExpected, reason });
  if (!decoded.valid) throw fail(decoded.reason);
  const problem = segmentHeaderProblem(decoded.header, { firstSequence: segment.firstSequence, previous });
  if (problem !== undefined) throw fail(problem);
  // The header must also be the one recovery read: a segment replaced since then is not trusted.
  if (decoded.header.previousTime !== segment.previousTime) throw fail('segment header changed since the journal was opened');
  return new SequenceChecker(decoded.header);
}
