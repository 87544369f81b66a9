// Reads the whole command log in order: segments archived after a snapshot covered them, then the live
// journal. Recovery from an older snapshot, `perpdex replay` from genesis and `perpdex verify` all need
// records that may have moved to the archive.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import type { Journal } from "./journal/journal.ts";
import type { JournalRecord, JournalRecords } from "./journal/journal-reader.ts";
import { readJournalRecords } from "./journal/journal-reader.ts";
import { IterableRecordCursor } from "./journal/record-cursor.ts";
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
 * the seam between them. An iterator of records and a RecordCursor at once (replay reads it in place).
 *
 * @example
 * for (const record of readLog(source, snapshot.sequence + 1n)) replay(record);
 */
export function readLog(source: LogSource, fromSequence: bigint): JournalRecords {
  // From the live journal only (recovery from a recent snapshot): its own reader, nothing around it.
  if (fromSequence >= source.liveFirstSequence) return source.journal.read({ fromSequence });
  return new ArchiveThenLive(source, fromSequence);
}

/**
 * The archive's records, then the live journal's: one cursor standing on the record of whichever
 * reader is current (its fields copied on each move: no object per record). Like a generator, it starts
 * at the first `next()` or `advance()` and closes its files when iteration ends, breaks or throws.
 */
class ArchiveThenLive extends IterableRecordCursor {
  private readonly source: LogSource;
  private readonly fromSequence: bigint;
  // The reader being read: undefined before the first move and after the last.
  private current: JournalRecords | undefined;
  private stage: "new" | "archive" | "live" | "done" = "new";
  bytes: Uint8Array = new Uint8Array(0);
  start = 0;
  kindCode = 0;
  sequence = 0;

  constructor(source: LogSource, fromSequence: bigint) {
    super();
    this.source = source;
    this.fromSequence = fromSequence;
  }

  advance(): boolean {
    try {
      // Bounded: each pass moves the current reader or passes to the next stage (three at most).
      for (;;) {
        const current = this.current;
        if (current !== undefined && current.advance()) {
          this.bytes = current.bytes;
          this.start = current.start;
          this.kindCode = current.kindCode;
          this.sequence = current.sequence;
          return true;
        }
        if (this.stage === "new") {
          this.stage = "archive";
          this.current = readArchive(this.source, this.fromSequence);
        } else if (this.stage === "archive") {
          this.stage = "live";
          this.current = this.source.journal.read({ fromSequence: this.source.liveFirstSequence });
        } else {
          this.stage = "done";
          this.current = undefined;
          return false;
        }
      }
    } catch (error) {
      this.close();
      throw error;
    }
  }

  record(): JournalRecord {
    assert.ok(this.current !== undefined);
    return this.current.record();
  }

  close(): void {
    this.current?.close();
    this.current = undefined;
    this.stage = "done";
  }
}

function readArchive(source: LogSource, fromSequence: bigint): JournalRecords {
  const first = source.archived[0];
  if (first === undefined || first.firstSequence > fromSequence) {
    throw new LogInvalidError({
      sequence: fromSequence,
      reason: `the journal starts at sequence ${source.liveFirstSequence} and the archive ${source.paths.archive} does not hold sequence ${fromSequence}`,
    });
  }
  const segments = source.archived.map((segment) => archivedSegment(source.paths.archive, segment));
  return readJournalRecords({ directory: source.paths.archive, segments, fromSequence, chunkBytes: chunkBytesDefault });
}

// Archived segments are complete and never written again: all their bytes are records.
function archivedSegment(directory: string, segment: SegmentListing): JournalSegment {
  const descriptor = fs.openSync(path.join(directory, segment.name), "r");
  try {
    const decoded = readSegmentHeader(descriptor);
    if (!decoded.valid) {
      throw new LogInvalidError({ sequence: segment.firstSequence, reason: `archived segment ${segment.name}: ${decoded.reason}` });
    }
    return { name: segment.name, firstSequence: segment.firstSequence, previousTime: decoded.header.previousTime, bytes: segment.bytes, seekPoints: [] };
  } finally {
    fs.closeSync(descriptor);
  }
}
