// Recovery on open: read every segment, check every record, and decide what the last bytes of the
// journal are. Only one kind of damage is repaired: a torn tail, the partial write a crash leaves at the
// end of the last segment. It was never acknowledged (acknowledgement waits for fdatasync), so cutting it
// off loses nothing anyone was promised. Anything else means acknowledged commands may be gone, and the
// node refuses to start.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { ArchiveMarker } from './archive-marker.ts';
import { readArchiveMarker } from './archive-marker.ts';
import type { JournalCorruptErrorParameters } from './errors.ts';
import { JournalCorruptError } from './errors.ts';
import {
  encodeSegmentHeader,
  isRecordHeaderAt,
  recordBytesAt,
  recordBytesNeeded,
  recordHeaderBytes,
  recordKindCodeAt,
  recordSequenceNumberAt,
  recordTimeHighAt,
  recordTimeLowAt,
  segmentHeaderBytes,
} from './format.ts';
import type { JournalLogger } from './logger.ts';
import type { SegmentItem } from './segment-reader.ts';
import { readFully, readSegmentHeader, readSegmentItems } from './segment-reader.ts';
import type { JournalSegment, SeekPoint, SegmentFile } from './segment-files.ts';
import { listSegmentFiles, syncDirectory } from './segment-files.ts';
import { segmentHeaderProblem } from './segment-validation.ts';
import { RecordOrder } from './record-order.ts';
import { SequenceChecker, type SequencePosition } from './sequence-checker.ts';

/** Where to recover from. */
export interface RecoverOptions {
  readonly directory: string;
  readonly logger: JournalLogger;
  readonly chunkBytes: number;
}

/** The journal as found on disk, after a torn tail (if any) was cut off. */
export interface Recovered {
  readonly segments: JournalSegment[];
  /** The checker after the last record; undefined when the directory holds no segment yet. */
  readonly checker: SequenceChecker | undefined;
}

/** Scans and checks every segment in `directory`; throws {@link JournalCorruptError} on damage. */
export async function recoverJournal(options: RecoverOptions): Promise<Recovered> {
  const marker = await readArchiveMarker(options.directory);
  const files = await listSegmentFiles(options.directory);
  checkFirstSegment(options, files, marker);
  const segments: JournalSegment[] = [];
  let checker: SequenceChecker | undefined;
  for (let index = 0; index < files.length; index++) {
    const scanned = scanSegment(options, { file: files[index]!, isLast: index === files.length - 1, previous: checker });
    segments.push(scanned.segment);
    checker = scanned.checker;
  }
  // Likewise the directory entry of a segment created just before a crash.
  if (files.length > 0) await syncDirectory(options.directory);
  return { segments, checker };
}

// Without an archive marker the journal must start at sequence 1; with one, no later than the marker
// says, or the oldest segments were lost rather than archived.
function checkFirstSegment(options: RecoverOptions, files: readonly SegmentFile[], marker: ArchiveMarker | undefined): void {
  const first = files[0];
  const keptFromSequence = marker?.keptFromSequence ?? 1n;
  if (first === undefined) {
    if (marker === undefined) return;
    throw corrupt(options.logger, {
      segmentFile: options.directory,
      offset: 0,
      sequenceExpected: keptFromSequence,
      reason: `no segment files, but the archive marker says segments from sequence ${keptFromSequence} were kept`,
    });
  }
  if (first.firstSequence <= keptFromSequence) return;
  throw corrupt(options.logger, {
    segmentFile: path.join(options.directory, first.name),
    offset: 0,
    sequenceExpected: keptFromSequence,
    reason: `the first segment starts at sequence ${first.firstSequence}; the segments before it are missing and were not archived`,
  });
}

interface SegmentToScan {
  readonly file: SegmentFile;
  readonly isLast: boolean;
  readonly previous: SequenceChecker | undefined;
}

interface ScannedSegment {
  readonly segment: JournalSegment;
  readonly checker: SequenceChecker;
}

function scanSegment(options: RecoverOptions, toScan: SegmentToScan): ScannedSegment {
  const filePath = path.join(options.directory, toScan.file.name);
  // Only the last segment may be repaired, so only it is opened for writing.
  const fileDescriptor = fs.openSync(filePath, toScan.isLast ? 'r+' : 'r');
  try {
    const fileBytes = fs.fstatSync(fileDescriptor).size;
    const openSegment: OpenSegment = { ...toScan, filePath, fileDescriptor, fileBytes };
    const start = startSegment(options, openSegment);
    // Nearly every segment is whole and in order: the quick pass proves it. Anything else (a torn tail,
    // corruption) is left to the exact pass, which reads the segment again and repairs or refuses it.
    const records = scanRecordsQuickly(openSegment, start.checker, options.chunkBytes) ?? scanRecords(options, openSegment, start.checker);
    // After a process crash, records written but never synced sit in the page cache and read as valid.
    // They become part of the journal now, so they must be durable before the node acts on them.
    if (toScan.isLast) fs.fsyncSync(fileDescriptor);
    const segment: JournalSegment = {
      name: toScan.file.name,
      firstSequence: toScan.file.firstSequence,
      previousTime: start.previousTime,
      bytes: records.bytes,
      seekPoints: records.seekPoints,
    };
    return { segment, checker: start.checker };
  } finally {
    fs.closeSync(fileDescriptor);
  }
}

interface OpenSegment extends SegmentToScan {
  readonly filePath: string;
  readonly fileDescriptor: number;
  readonly fileBytes: number;
}

interface SegmentStart {
  readonly checker: SequenceChecker;
  readonly previousTime: bigint;
}

// Checks the segment header against the segment before it. A last segment too short to hold a whole
// header was torn while being created: nothing in it was acknowledged, so the header is written again.
function startSegment(options: RecoverOptions, segment: OpenSegment): SegmentStart {
  const decoded = readSegmentHeader(segment.fileDescriptor);
  const sequenceExpected = segment.previous?.nextSequence ?? segment.file.firstSequence;
  if (!decoded.valid) {
    if (segment.isLast && segment.fileBytes <= segmentHeaderBytes) return repairSegmentHeader(options, segment, decoded.reason);
    throw corrupt(options.logger, { segmentFile: segment.filePath, offset: 0, sequenceExpected, reason: decoded.reason });
  }
  const problem = segmentHeaderProblem(decoded.header, { firstSequence: segment.file.firstSequence, previous: segment.previous });
  if (problem !== undefined) {
    throw corrupt(options.logger, { segmentFile: segment.filePath, offset: 0, sequenceExpected, reason: problem });
  }
  return { checker: new SequenceChecker(decoded.header), previousTime: decoded.header.previousTime };
}

function repairSegmentHeader(options: RecoverOptions, segment: OpenSegment, reason: string): SegmentStart {
  const previous = segment.previous;
  const firstSequence = segment.file.firstSequence;
  const place = previous === undefined ? 'the first segment' : `sequence ${previous.nextSequence}`;
  // The time before the segment is known from the segment before it, or is 0 at the very start.
  const known = previous === undefined ? firstSequence === 1n : previous.nextSequence === firstSequence;
  if (!known) {
    throw corrupt(options.logger, {
      segmentFile: segment.filePath,
      offset: 0,
      sequenceExpected: previous?.nextSequence ?? firstSequence,
      reason: `${reason}, and it cannot be rewritten: it does not follow ${place}`,
    });
  }
  const previousTime = previous?.lastTime ?? 0n;
  const header = Buffer.alloc(segmentHeaderBytes);
  encodeSegmentHeader(header, 0, { firstSequence, previousTime });
  fs.ftruncateSync(segment.fileDescriptor, 0);
  assert.equal(fs.writeSync(segment.fileDescriptor, header, 0, segmentHeaderBytes, 0), segmentHeaderBytes);
  fs.fsyncSync(segment.fileDescriptor);
  options.logger.warn(
    { segmentFile: segment.filePath, bytesFound: segment.fileBytes, reason },
    'journal: torn segment header rewritten',
  );
  return { checker: new SequenceChecker({ firstSequence, previousTime }), previousTime };
}

/** What a scan of a segment's records found. */
interface ScannedRecords {
  /** The valid bytes of the segment: its size, or where a torn tail was cut off. */
  readonly bytes: number;
  /** A seek point about every `chunkBytes` bytes, at records the scan checked. */
  readonly seekPoints: SeekPoint[];
}

// Where a scan records seek points: the first at the first record a read chunk or more past the header,
// and each next one at the first record a chunk or more past the last. A read from a sequence then
// starts at most about a chunk before that sequence's record, costing about what a read from the record
// itself would; and the points stay few (64 in a 256 MiB segment read in 4 MiB chunks), so every
// segment keeps its own.
class SeekPointSpacing {
  readonly points: SeekPoint[] = [];
  private nextOffset: number;

  constructor(private readonly chunkBytes: number) {
    this.nextOffset = segmentHeaderBytes + chunkBytes;
  }

  /** Whether the record at `offset` gets a seek point (`add` it then: the position is built only for it). */
  due(offset: number): boolean {
    return offset >= this.nextOffset;
  }

  add(offset: number, position: SequencePosition): void {
    this.points.push({ offset, position });
    this.nextOffset = offset + this.chunkBytes;
  }
}

function scanRecords(options: RecoverOptions, segment: OpenSegment, checker: SequenceChecker): ScannedRecords {
  const seekPoints = new SeekPointSpacing(options.chunkBytes);
  const items = readSegmentItems({
    fileDescriptor: segment.fileDescriptor,
    startOffset: segmentHeaderBytes,
    endOffset: Math.max(segment.fileBytes, segmentHeaderBytes),
    chunkBytes: options.chunkBytes,
  });
  for (const item of items) {
    if (item.type === 'record') {
      if (seekPoints.due(item.offset)) seekPoints.add(item.offset, checker.position());
      const problem = checker.take(item.record.kind, item.record.sequence, item.record.time);
      if (problem === undefined) continue;
      throw corrupt(options.logger, { segmentFile: segment.filePath, offset: item.offset, sequenceExpected: checker.nextSequence, reason: problem });
    }
    const reason = itemReason(item);
    if (segment.isLast && isTornTail(segment, item)) {
      truncateTornTail(options, segment, { offset: item.offset, reason, sequenceExpected: checker.nextSequence });
      // Every seek point is at a record before the cut.
      return { bytes: item.offset, seekPoints: seekPoints.points };
    }
    throw corrupt(options.logger, { segmentFile: segment.filePath, offset: item.offset, sequenceExpected: checker.nextSequence, reason });
  }
  return { bytes: Math.max(segment.fileBytes, segmentHeaderBytes), seekPoints: seekPoints.points };
}

// scanRecords for a segment with nothing wrong in it, about ten times faster: the same two checksums
// and the same ordering rules (SequenceChecker's, in numbers: RecordOrder), and the file read into one
// reused buffer, so a record costs no object and no bigint (recovery reads every record on open: over
// 10 M at a large start-up). Returns the segment's valid bytes and seek points after advancing the
// checker, or undefined, changing nothing, at the first record that is not whole, sound and in order:
// then scanRecords reads the segment again, names the problem exactly, and records its own seek points.
function scanRecordsQuickly(segment: OpenSegment, checker: SequenceChecker, chunkBytes: number): ScannedRecords | undefined {
  const endOffset = Math.max(segment.fileBytes, segmentHeaderBytes);
  if (checker.nextSequence > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  const order = new RecordOrder(checker);
  const seekPoints = new SeekPointSpacing(chunkBytes);
  let buffer = Buffer.allocUnsafe(chunkBytes);
  // buffer[0, filled) holds the file's bytes from bufferOffset on; the next record starts at `position`.
  let bufferOffset = segmentHeaderBytes;
  let filled = 0;
  let position = 0;
  // Bounded by the segment's bytes: every pass takes a record or reads more of the file.
  while (bufferOffset + position < endOffset) {
    const recordBytes = recordBytesAt(buffer, position, filled);
    if (recordBytes < 0) return undefined;
    if (recordBytes === 0) {
      const readFrom = bufferOffset + filled;
      // The segment ends inside the record: a torn tail or corruption.
      if (readFrom >= endOffset) return undefined;
      const carried = filled - position;
      const needed = recordBytesNeeded(buffer, position, filled);
      if (needed > buffer.length) {
        const larger = Buffer.allocUnsafe(needed);
        buffer.copy(larger, 0, position, filled);
        buffer = larger;
      } else {
        buffer.copy(buffer, 0, position, filled);
      }
      bufferOffset += position;
      position = 0;
      const length = Math.min(buffer.length - carried, endOffset - readFrom);
      const bytesRead = readFully(segment.fileDescriptor, buffer, carried, length, readFrom);
      // The file is shorter than its size said: let the exact pass see what is there.
      if (bytesRead < length) return undefined;
      filled = carried + bytesRead;
      continue;
    }
    const offset = bufferOffset + position;
    if (seekPoints.due(offset)) seekPoints.add(offset, order.position());
    const kindCode = recordKindCodeAt(buffer, position);
    const sequence = recordSequenceNumberAt(buffer, position);
    if (!order.take(kindCode, sequence, recordTimeHighAt(buffer, position), recordTimeLowAt(buffer, position))) return undefined;
    position += recordBytes;
  }
  order.carryInto(checker);
  return { bytes: endOffset, seekPoints: seekPoints.points };
}

function itemReason(item: Exclude<SegmentItem, { type: 'record' }>): string {
  if (item.type === 'incomplete') return 'record incomplete: the file ends inside it';
  if (item.type === 'headerInvalid') return item.reason;
  return 'record checksum mismatch';
}

// A torn tail is damage that is the last thing in the file: a record cut short, a record whose checksum
// fails and which ends exactly at the end of the file, or an unreadable header with no valid record
// header anywhere after it. Damage with a valid record after it is corruption, never a torn tail.
function isTornTail(segment: OpenSegment, item: Exclude<SegmentItem, { type: 'record' }>): boolean {
  if (item.type === 'incomplete') return true;
  if (item.type === 'checksumInvalid') return item.offset + item.recordBytes === segment.fileBytes;
  return findRecordHeaderAfter(segment.fileDescriptor, item.offset + 1, segment.fileBytes) === undefined;
}

const searchChunkBytes = 1024 * 1024;

/** The offset of the first valid record header at or after `from`, or undefined. */
export function findRecordHeaderAfter(fileDescriptor: number, from: number, fileBytes: number): number | undefined {
  // Chunks overlap by a header's length less one byte, so a header across a chunk boundary is still seen.
  const buffer = Buffer.allocUnsafe(searchChunkBytes + recordHeaderBytes);
  for (let chunkStart = from; chunkStart + recordHeaderBytes <= fileBytes; chunkStart += searchChunkBytes) {
    const length = Math.min(buffer.length, fileBytes - chunkStart);
    const bytesRead = readFully(fileDescriptor, buffer, 0, length, chunkStart);
    const view = buffer.subarray(0, bytesRead);
    const positionsMax = Math.min(searchChunkBytes, bytesRead - recordHeaderBytes + 1);
    for (let position = 0; position < positionsMax; position++) {
      if (isRecordHeaderAt(view, position)) return chunkStart + position;
    }
  }
  return undefined;
}

interface TornTail {
  readonly offset: number;
  readonly reason: string;
  readonly sequenceExpected: bigint;
}

function truncateTornTail(options: RecoverOptions, segment: OpenSegment, tail: TornTail): void {
  assert.ok(segment.isLast);
  assert.ok(tail.offset >= segmentHeaderBytes && tail.offset < segment.fileBytes);
  fs.ftruncateSync(segment.fileDescriptor, tail.offset);
  fs.fsyncSync(segment.fileDescriptor);
  options.logger.warn(
    {
      segmentFile: segment.filePath,
      offset: tail.offset,
      bytesTruncated: segment.fileBytes - tail.offset,
      sequenceExpected: tail.sequenceExpected.toString(),
      reason: tail.reason,
    },
    'journal: torn tail truncated',
  );
}

function corrupt(logger: JournalLogger, parameters: JournalCorruptErrorParameters): JournalCorruptError {
  logger.error(
    {
      segmentFile: parameters.segmentFile,
      offset: parameters.offset,
      sequenceExpected: parameters.sequenceExpected.toString(),
      reason: parameters.reason,
    },
    'journal: corrupt, refusing to start',
  );
  return new JournalCorruptError(parameters);
}
