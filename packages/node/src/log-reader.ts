// Reads the whole command log in order: segments archived after a snapshot covered them, then the live
// journal. Recovery from an older snapshot, `perpdex replay` from genesis and `perpdex verify` all need
// records that may have moved to the archive.
import fs from "node:fs";
import path from "node:path";
import type { Journal } from "./journal/journal.ts";
import type { JournalRecord } from "./journal/journal-reader.ts";
import { readJournalRecords } from "./journal/journal-reader.ts";
import { chunkBytesDefault, readSegmentHeader } from "./journal/segment-reader.ts";
import type { JournalSegment } from "./journal/segment-files.ts";
import { listSegmentFiles } from "./journal/segment-files.ts";
import type { DataPaths } from "./data-directory.ts";
import { LogInvalidError } from "./errors.ts";

/** A segment file and what it holds. */
export interface SegmentListing {
  readonly name: string;
  readonly firstSequence: bigint;
  readonly bytes: number;
}

/** The segment files of a directory, oldest first; none when it does not exist. */
export async function listSegments(directory: string): Promise<SegmentListing[]> {
  if (!fs.existsSync(directory)) return [];
  const files = await listSegmentFiles(directory);
  return files.map((file) => ({ ...file, bytes: fs.statSync(path.join(directory, file.name)).size }));
}

/** An opened log: the live journal and the archived segments before it. */
export interface LogSource {
  readonly paths: DataPaths;
  readonly journal: Journal;
  /** The first sequence of the oldest live segment; records before it are in the archive. */
  readonly liveFirstSequence: bigint;
  readonly archived: readonly SegmentListing[];
}

/**
 * Describes the log of a data directory whose journal is open.
 *
 * @example
 * const source = await openLogSource(paths, journal);
 * for (const record of readLog(source, 1n)) apply(record);
 */
export async function openLogSource(paths: DataPaths, journal: Journal): Promise<LogSource> {
  const live = await listSegments(paths.journal);
  const liveFirstSequence = live[0]?.firstSequence ?? 1n;
  // A segment can sit in both places after a crash halfway through archiving: the live copy counts.
  const archived = (await listSegments(paths.archive)).filter((segment) => segment.firstSequence < liveFirstSequence);
  return { paths, journal, liveFirstSequence, archived };
}

/**
 * Every record with `sequence >= fromSequence`, in order: archived ones first, then live ones. Each
 * source checks its own records (checksums, gapless sequences, increasing time); the replay loop checks
 * the seam between them.
 *
 * @example
 * for (const record of readLog(source, snapshot.sequence + 1n)) replay(record);
 */
export function readLog(source: LogSource, fromSequence: bigint): Generator<JournalRecord, void, undefined> {
  // From the live journal only (recovery from a recent snapshot): its own reader, with no generator
  // around it to pass every record through.
  if (fromSequence >= source.liveFirstSequence) return source.journal.read({ fromSequence });
  return readArchiveThenLive(source, fromSequence);
}

function* readArchiveThenLive(source: LogSource, fromSequence: bigint): Generator<JournalRecord, void, undefined> {
  yield* readArchive(source, fromSequence);
  yield* source.journal.read({ fromSequence: source.liveFirstSequence });
}

function* readArchive(source: LogSource, fromSequence: bigint): Generator<JournalRecord, void, undefined> {
  const first = source.archived[0];
  if (first === undefined || first.firstSequence > fromSequence) {
    throw new LogInvalidError({
      sequence: fromSequence,
      reason: `the journal starts at sequence ${source.liveFirstSequence} and the archive ${source.paths.archive} does not hold sequence ${fromSequence}`,
    });
  }
  const segments = source.archived.map((segment) => archivedSegment(source.paths.archive, segment));
  yield* readJournalRecords({ directory: source.paths.archive, segments, fromSequence, chunkBytes: chunkBytesDefault });
}

// Archived segments are complete and never written again: all their bytes are records.
function archivedSegment(directory: string, segment: SegmentListing): JournalSegment {
  const descriptor = fs.openSync(path.join(directory, segment.name), "r");
  try {
    const decoded = readSegmentHeader(descriptor);
    if (!decoded.valid) {
      throw new LogInvalidError({ sequence: segment.firstSequence, reason: `archived segment ${segment.name}: ${decoded.reason}` });
    }
    return { name: segment.name, firstSequence: segment.firstSequence, previousTime: decoded.header.previousTime, bytes: segment.bytes };
  } finally {
    fs.closeSync(descriptor);
  }
}
