// Segment files and the directory that holds them. A segment is named by the sequence of its first
// command, zero padded to 20 digits (the width of the largest u64), so names sort in sequence order and
// an operator can find the file holding a sequence with `ls`.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { u64Max } from './format.ts';
import type { SequencePosition } from './sequence-checker.ts';

export const segmentExtension = '.journal';
const sequenceDigits = 20;
const segmentNamePattern = /^(\d{20})\.journal$/;

/** The file name of the segment whose first command has `firstSequence`. */
export function segmentName(firstSequence: bigint): string {
  assert.ok(firstSequence >= 1n && firstSequence <= u64Max);
  return `${firstSequence.toString().padStart(sequenceDigits, '0')}${segmentExtension}`;
}

/** The first sequence a segment file name stands for, or undefined when the name is not a segment's. */
export function segmentFirstSequence(name: string): bigint | undefined {
  const match = segmentNamePattern.exec(name);
  if (match === null) return undefined;
  const firstSequence = BigInt(match[1]!);
  if (firstSequence < 1n || firstSequence > u64Max) return undefined;
  return firstSequence;
}

/** A segment file found in a directory. */
export interface SegmentFile {
  readonly name: string;
  readonly firstSequence: bigint;
}

/** The segment files in `directory`, in sequence order. Other files are left alone. */
export async function listSegmentFiles(directory: string): Promise<SegmentFile[]> {
  const names = await fs.readdir(directory);
  const segments: SegmentFile[] = [];
  for (const name of names) {
    const firstSequence = segmentFirstSequence(name);
    if (firstSequence !== undefined) segments.push({ name, firstSequence });
  }
  segments.sort((left, right) => (left.firstSequence < right.firstSequence ? -1 : 1));
  for (let index = 1; index < segments.length; index++) {
    assert.ok(segments[index - 1]!.firstSequence < segments[index]!.firstSequence);
  }
  return segments;
}

/**
 * Makes the directory's entries (created, renamed, removed files) durable. A new file's data can be
 * synced and still vanish after a crash if the directory entry pointing at it was not.
 */
export async function syncDirectory(directory: string): Promise<void> {
  const handle = await fs.open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A segment of the live journal: where it starts and how many of its bytes hold valid, durable records. */
export interface JournalSegment {
  readonly name: string;
  readonly firstSequence: bigint;
  /** The time of the command before this segment (from its header); 0 before the first command. */
  readonly previousTime: bigint;
  /** Valid bytes, header included. For the segment being written: the bytes already durable. */
  bytes: number;
  /**
   * Where a read may start instead of at the segment's first record, in file order: recorded by the scan
   * of open. Empty for a segment created since open, and for segments read from the archive.
   */
  readonly seekPoints: readonly SeekPoint[];
}

/**
 * A record of a segment and the order of the journal before it, taken from a scan that checked every
 * record up to there: a reader can start at `offset` with a checker moved to `position`. Every record
 * before the seek point has a sequence below `position.nextSequence` (a command's own, a checkpoint's
 * that of the command before it, a deferred checkpoint's that of an earlier command), so a read from
 * sequence `position.nextSequence` or later hands out nothing that lies before it.
 */
export interface SeekPoint {
  /** File offset of the record. */
  readonly offset: number;
  /** The order after every record before `offset`. */
  readonly position: SequencePosition;
}
