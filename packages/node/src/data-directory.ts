// The data directory: one per exchange, everything the node keeps on disk.
//
//   <data>/journal/     live journal segments (the truth)
//   <data>/archive/     segments covered by a snapshot, moved out of the journal directory, kept forever
//   <data>/snapshots/   state snapshots named by sequence; only a speed-up for recovery
//   <data>/LOCK         the pid of the process that has the directory open
import { promises as fs } from "node:fs";
import path from "node:path";
import { DataDirectoryLockedError } from "./errors.ts";

/** Where each part of a data directory lives. */
export interface DataPaths {
  readonly root: string;
  readonly journal: string;
  readonly archive: string;
  readonly snapshots: string;
  readonly lock: string;
}

/**
 * The layout of the data directory at `root`.
 *
 * @example
 * dataPaths("data").journal; // "data/journal"
 */
export function dataPaths(root: string): DataPaths {
  return {
    root,
    journal: path.join(root, "journal"),
    archive: path.join(root, "archive"),
    snapshots: path.join(root, "snapshots"),
    lock: path.join(root, "LOCK"),
  };
}

/** A held lock on a data directory. */
export interface DirectoryLock {
  release(): Promise<void>;
}

/**
 * Takes the data directory for this process: two writers would interleave journal records. A LOCK file
 * left by a process that died (a crash, SIGKILL) is taken over; one of a live process is refused.
 *
 * @example
 * const lock = await lockDataDirectory(dataPaths("data"));
 * try { ... } finally { await lock.release(); }
 */
export async function lockDataDirectory(paths: DataPaths): Promise<DirectoryLock> {
  await fs.mkdir(paths.root, { recursive: true });
  // Two attempts: the second follows the removal of a stale lock.
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      await fs.writeFile(paths.lock, `${process.pid}\n`, { flag: "wx" });
      return { release: () => fs.rm(paths.lock, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = await readLockHolder(paths.lock);
    if (holder !== undefined && processIsAlive(holder)) {
      throw new DataDirectoryLockedError({
        shortMessage: `The data directory ${paths.root} is in use by process ${holder}.`,
        details: `stop that process first; if no perpdex process runs there, remove ${paths.lock}`,
      });
    }
    await fs.rm(paths.lock, { force: true });
  }
  throw new DataDirectoryLockedError({
    shortMessage: `The data directory ${paths.root} could not be locked.`,
    details: `another process keeps creating ${paths.lock}`,
  });
}

async function readLockHolder(lockPath: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await fs.readFile(lockPath, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const pid = Number(text.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
