// The snapshots directory: which snapshots exist, which one recovery starts from, which ones to keep.
// Snapshots are derived data (the journal is the truth), so a damaged one is skipped for an older one
// and old ones are deleted; only the newest `snapshotsKept` stay. Synchronous: a handful of directory
// operations, run at start and on the follower thread.
import fs from "node:fs";
import path from "node:path";
import type { NodeLogger } from "./logger.ts";
import { readSnapshotFile, snapshotSequence, temporaryExtension, type SnapshotLoaded } from "./snapshot-file.ts";

/** A snapshot file found in the directory (not yet checked). */
export interface SnapshotEntry {
  readonly sequence: number;
  readonly file: string;
  readonly bytes: number;
}

/**
 * The snapshot files in `directory`, newest first. A missing directory holds none.
 *
 * @example
 * const [newest] = listSnapshots("data/snapshots");
 */
export function listSnapshots(directory: string): SnapshotEntry[] {
  let names: string[];
  try {
    names = fs.readdirSync(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const entries: SnapshotEntry[] = [];
  for (const name of names) {
    const sequence = snapshotSequence(name);
    if (sequence === undefined) continue;
    const file = path.join(directory, name);
    entries.push({ sequence, file, bytes: fs.statSync(file).size });
  }
  return entries.sort((left, right) => right.sequence - left.sequence);
}

/**
 * The newest snapshot that passes every check and is not past `sequenceMax` (the journal's last
 * sequence), or null. Damaged snapshots are logged and skipped for older ones. A valid snapshot past
 * the journal's end is returned in `ahead`: the journal lost acknowledged records, and the caller
 * decides (the node refuses to start).
 *
 * @example
 * const { loaded } = loadNewestSnapshot({ directory: "data/snapshots", sequenceMax: 1_000, logger });
 */
export function loadNewestSnapshot(options: {
  directory: string;
  sequenceMax: number;
  logger: NodeLogger;
}): { loaded: SnapshotLoaded | null; ahead: SnapshotEntry | null } {
  const entries = listSnapshots(options.directory);
  // Bounded by the snapshots kept (plus any the operator added).
  for (const entry of entries) {
    const started = performance.now();
    const loaded = readSnapshotFile(entry.file);
    if (typeof loaded === "string") {
      options.logger.warn({ file: entry.file, sequence: entry.sequence, reason: loaded }, "snapshot: damaged, skipped for an older one");
      continue;
    }
    if (entry.sequence > options.sequenceMax) return { loaded: null, ahead: entry };
    const milliseconds = Math.round(performance.now() - started);
    options.logger.info({ file: entry.file, sequence: entry.sequence, bytes: entry.bytes, milliseconds }, "snapshot: loaded");
    return { loaded, ahead: null };
  }
  return { loaded: null, ahead: null };
}

/**
 * Deletes all but the newest `keep` snapshots.
 *
 * @example
 * pruneSnapshots({ directory: "data/snapshots", keep: 3 });
 */
export function pruneSnapshots(options: { directory: string; keep: number }): string[] {
  const entries = listSnapshots(options.directory);
  const removed: string[] = [];
  for (const entry of entries.slice(options.keep)) {
    fs.rmSync(entry.file, { force: true });
    removed.push(entry.file);
  }
  return removed;
}

/**
 * Removes temporary files a crash left mid-snapshot: they were never renamed into place, so no
 * recovery could have used them.
 *
 * @example
 * removeTemporarySnapshots("data/snapshots");
 */
export function removeTemporarySnapshots(directory: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  for (const name of names) {
    if (name.endsWith(temporaryExtension)) fs.rmSync(path.join(directory, name), { force: true });
  }
}
