// Moving segments covered by a snapshot out of the journal directory. Retention is forever: a segment
// is moved, never deleted, and a move never overwrites a file already in the archive.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { promises as fsPromises } from 'node:fs';
import path from 'node:path';
import { writeArchiveMarker } from './archive-marker.ts';
import { JournalError } from './errors.ts';
import type { JournalLogger } from './logger.ts';
import { readFully } from './segment-reader.ts';
import type { JournalSegment } from './segment-files.ts';
import { syncDirectory } from './segment-files.ts';

/** What to archive, decided by the journal. */
export interface ArchivePlan {
  readonly directory: string;
  readonly archiveDirectory: string;
  /** Segments to move, oldest first; all of their records are below `keptFromSequence`. */
  readonly segments: readonly JournalSegment[];
  /** The first sequence of the oldest segment that stays. */
  readonly keptFromSequence: bigint;
  readonly logger: JournalLogger;
}

/**
 * How many of `segments` (oldest first) hold only records with a sequence below `sequence`. The last
 * segment is never counted: it is being written.
 */
export function segmentsCoveredCount(segments: readonly JournalSegment[], sequence: bigint): number {
  let count = 0;
  // A segment's records all precede the next segment's first sequence.
  while (count + 1 < segments.length && segments[count + 1]!.firstSequence <= sequence) count++;
  return count;
}

/** Moves the planned segments into the archive directory, after durably writing the archive marker. */
export async function archiveSegments(plan: ArchivePlan): Promise<void> {
  assert.ok(plan.segments.length > 0);
  assert.notEqual(path.resolve(plan.directory), path.resolve(plan.archiveDirectory));
  await fsPromises.mkdir(plan.archiveDirectory, { recursive: true });
  // The marker goes first: a crash after it and before the moves leaves a directory that still opens.
  await writeArchiveMarker(plan.directory, { keptFromSequence: plan.keptFromSequence });
  for (const segment of plan.segments) {
    await moveSegment(plan, segment.name);
  }
  await syncDirectory(plan.archiveDirectory);
  await syncDirectory(plan.directory);
  plan.logger.info(
    {
      archiveDirectory: plan.archiveDirectory,
      segmentsMoved: plan.segments.map((segment) => segment.name),
      keptFromSequence: plan.keptFromSequence.toString(),
    },
    'journal: segments archived',
  );
}

// link() then unlink() is a move that fails instead of overwriting (link refuses an existing name). A
// crash in between leaves the segment in both places; the next attempt finds an identical copy there.
async function moveSegment(plan: ArchivePlan, name: string): Promise<void> {
  const source = path.join(plan.directory, name);
  const target = path.join(plan.archiveDirectory, name);
  try {
    await fsPromises.link(source, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EXDEV') await copyDurably(source, target, plan.archiveDirectory);
    else if (code !== 'EEXIST') throw error;
    else if (!filesIdentical(source, target)) {
      throw new JournalError({
        shortMessage: `Journal archive already holds a different ${name}.`,
        details: `${target} exists and differs from ${source}; nothing was overwritten`,
      });
    }
  }
  await fsPromises.unlink(source);
}

// Across file systems: copy to a temporary name, sync, rename into place, sync the directory.
async function copyDurably(source: string, target: string, archiveDirectory: string): Promise<void> {
  const temporary = `${target}.tmp`;
  // A temporary copy left by a crash is incomplete by definition; it is ours to replace.
  await fsPromises.rm(temporary, { force: true });
  await fsPromises.copyFile(source, temporary, fs.constants.COPYFILE_EXCL);
  const handle = await fsPromises.open(temporary, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  assert.ok(filesIdentical(source, temporary));
  await fsPromises.link(temporary, target);
  await fsPromises.unlink(temporary);
  await syncDirectory(archiveDirectory);
}

const compareChunkBytes = 4 * 1024 * 1024;

function filesIdentical(leftPath: string, rightPath: string): boolean {
  const left = fs.openSync(leftPath, 'r');
  const right = fs.openSync(rightPath, 'r');
  try {
    const bytes = fs.fstatSync(left).size;
    if (fs.fstatSync(right).size !== bytes) return false;
    const leftBuffer = Buffer.allocUnsafe(compareChunkBytes);
    const rightBuffer = Buffer.allocUnsafe(compareChunkBytes);
    for (let position = 0; position < bytes; position += compareChunkBytes) {
      const length = Math.min(compareChunkBytes, bytes - position);
      if (readFully(left, leftBuffer, 0, length, position) !== length) return false;
      if (readFully(right, rightBuffer, 0, length, position) !== length) return false;
      if (!leftBuffer.subarray(0, length).equals(rightBuffer.subarray(0, length))) return false;
    }
    return true;
  } finally {
    fs.closeSync(left);
    fs.closeSync(right);
  }
}
