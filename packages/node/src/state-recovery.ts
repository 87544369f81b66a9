// Recovery: the newest valid snapshot, then the journal after it. Shared by the node at start and by the
// offline tools (replay, verify, snapshot, status), so they all rebuild state the same way.
import type { CommandResult } from "@perpdex/core";
import type { DataPaths } from "./data-directory.ts";
import { RecoveryError } from "./errors.ts";
import type { JournalLimits } from "./journal/journal.ts";
import { Journal } from "./journal/journal.ts";
import type { RecordCursor } from "./journal/record-cursor.ts";
import type { LogSource } from "./log-reader.ts";
import { LogState } from "./log-state.ts";
import { openLogSource, readLog } from "./log-reader.ts";
import type { NodeLogger } from "./logger.ts";
import type { ReplaySummary } from "./replay.ts";
import { replayRecords } from "./replay.ts";
import type { SnapshotLoaded } from "./snapshot-file.ts";
import { loadNewestSnapshot } from "./snapshot-store.ts";

/**
 * Opens the journal of a data directory (cutting off a torn tail, refusing corruption) and describes its
 * log, archive included.
 *
 * @example
 * const source = await openLog({ paths, logger });
 */
export async function openLog(options: { paths: DataPaths; logger: NodeLogger; journal?: Partial<JournalLimits> }): Promise<LogSource> {
  const journal = await Journal.open({ ...options.journal, directory: options.paths.journal, logger: options.logger });
  return openLogSource(options.paths, journal);
}

/** Where replay starts: a restored snapshot, or a state at genesis (nothing applied). */
export interface StartingState {
  readonly state: LogState;
  readonly snapshot: SnapshotLoaded | null;
  readonly milliseconds: number;
}

/**
 * The newest valid snapshot not past the journal's end, or a state at genesis when there is none (or when
 * `useSnapshots` is false). A valid snapshot past the journal's end means the journal lost acknowledged
 * records: RecoveryError.
 *
 * @example
 * const { state, snapshot } = loadStartingState({ source, logger, useSnapshots: true });
 */
export function loadStartingState(options: { source: LogSource; logger: NodeLogger; useSnapshots: boolean }): StartingState {
  const started = performance.now();
  if (!options.useSnapshots) return { state: new LogState(), snapshot: null, milliseconds: 0 };
  const journalEnd = Number(options.source.journal.lastSequence);
  const { loaded, ahead } = loadNewestSnapshot({ directory: options.source.paths.snapshots, sequenceMax: journalEnd, logger: options.logger });
  if (ahead !== null) {
    throw new RecoveryError({
      shortMessage: `Snapshot ${ahead.file} is at sequence ${ahead.sequence}, past the journal's last sequence ${journalEnd}.`,
      details: "snapshots hold only durable commands, so the journal lost acknowledged records; restore the journal from a replica or the archive",
    });
  }
  const milliseconds = Math.round(performance.now() - started);
  return { state: new LogState(loaded?.exchange), snapshot: loaded, milliseconds };
}

/** What replaying the journal after the starting state did. */
export interface JournalReplayed {
  readonly summary: ReplaySummary;
  readonly milliseconds: number;
}

/**
 * Replays every record after the state's sequence, checking every checkpoint when asked.
 *
 * @example
 * const { summary } = replayJournal({ source, state, verifyCheckpoints: true });
 */
export function replayJournal(options: {
  source: LogSource;
  state: LogState;
  verifyCheckpoints: boolean;
  /** Hash only at checkpoints of this sequence or later (replay.ts says when that is enough). */
  verifyCheckpointsFrom?: number;
  /** Called with the cursor standing on each record (replay.ts, `ReplayOptions.onRecord`). */
  onRecord?: (cursor: RecordCursor, result: CommandResult | undefined) => void;
}): JournalReplayed {
  const started = performance.now();
  const records = readLog(options.source, BigInt(options.state.lastSequence) + 1n);
  const summary = replayRecords({
    state: options.state,
    records,
    verifyCheckpoints: options.verifyCheckpoints,
    ...(options.verifyCheckpointsFrom === undefined ? {} : { verifyCheckpointsFrom: options.verifyCheckpointsFrom }),
    ...(options.onRecord === undefined ? {} : { onRecord: options.onRecord }),
  });
  return { summary, milliseconds: Math.round(performance.now() - started) };
}
