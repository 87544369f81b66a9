// The offline tools behind `perpdex replay`, `verify`, `snapshot` and `status`. They work on a stopped
// node's data directory (they take its lock), rebuild state exactly as the node does at start, and
// return a plain report the CLI prints as JSON.
import { createHash } from "node:crypto";
import fs from "node:fs";
import { formatQuote, type Exchange } from "@perpdex/core";
import type { DataPaths } from "./data-directory.ts";
import { dataPaths, lockDataDirectory } from "./data-directory.ts";
import { CheckpointMismatchError, NodeError } from "./errors.ts";
import type { LogSource, SegmentListing } from "./log-reader.ts";
import { listSegments, readLog } from "./log-reader.ts";
import { LogState } from "./log-state.ts";
import type { NodeLogger } from "./logger.ts";
import { replayRecords, type ReplaySummary } from "./replay.ts";
import { decodeSnapshotHeader, snapshotHeaderBytes, writeSnapshotFile } from "./snapshot-file.ts";
import type { SnapshotEntry } from "./snapshot-store.ts";
import { listSnapshots, pruneSnapshots } from "./snapshot-store.ts";
import { hexOf, stateHashBytes } from "./state-hash.ts";
import { loadStartingState, openLog, replayJournal } from "./state-recovery.ts";

/** Where the tool works and how it logs. */
export interface ToolOptions {
  readonly dataDirectory: string;
  readonly logger: NodeLogger;
}

// Opens the log of a stopped node's data directory, runs `work`, and closes everything again.
async function withLog<Report>(options: ToolOptions, work: (source: LogSource) => Report | Promise<Report>): Promise<Report> {
  const paths = dataPaths(options.dataDirectory);
  if (!fs.existsSync(paths.journal)) {
    throw new NodeError({ shortMessage: `No journal in ${paths.root}.`, details: `expected the directory ${paths.journal}; start a node there first` });
  }
  const lock = await lockDataDirectory(paths);
  try {
    const source = await openLog({ paths, logger: options.logger });
    try {
      return await work(source);
    } finally {
      await source.journal.close();
    }
  } finally {
    await lock.release();
  }
}

/** Where a replay found the state to differ from a recorded hash. */
export interface Divergence {
  /** The last sequence whose recorded hash matched (0: none did). */
  readonly afterSequence: number;
  /** The first sequence whose recorded hash did not match. */
  readonly atOrBeforeSequence: number;
  readonly recorded: string;
  readonly replayed: string;
}

export interface ReplayReport {
  readonly ok: boolean;
  readonly fromSnapshotSequence: number;
  readonly lastSequence: number;
  readonly lastTime: string;
  readonly stateHash: string;
  readonly commands: number;
  readonly checkpoints: number;
  readonly checkpointsDue: number;
  /** Checkpoint-due records the log has no deferred checkpoint for (yet): the node adds them at its next start. */
  readonly checkpointsUnconfirmed: number;
  readonly hashesVerified: number;
  readonly milliseconds: number;
  readonly commandsPerSecond: number;
  /** Present when a recorded hash was not reached: the first diverging sequence lies in (after, atOrBefore]. */
  readonly divergence?: Divergence;
}

/**
 * Rebuilds state from genesis (or the newest valid snapshot) and, with `verify`, checks the state hash at
 * every checkpoint and at every snapshot's sequence. Every recorded hash narrows the search: the report
 * names the last sequence that matched and the first that did not, so the first diverging command lies
 * between them (exactly known when checkpoints are one command apart).
 *
 * @example
 * const report = await replayTool({ dataDirectory: "data", logger, verify: true, fromSnapshot: false });
 * if (report.divergence) console.log(report.divergence.afterSequence, report.divergence.atOrBeforeSequence);
 */
export function replayTool(options: ToolOptions & { verify: boolean; fromSnapshot: boolean }): Promise<ReplayReport> {
  return withLog(options, (source) => {
    const starting = loadStartingState({ source, logger: options.logger, useSnapshots: options.fromSnapshot });
    const state = starting.state;
    const fromSnapshotSequence = state.lastSequence;
    const referenceHashes = options.verify ? snapshotHashes(source.paths, fromSnapshotSequence) : new Map<number, Uint8Array>();
    const started = performance.now();
    let divergence: Divergence | undefined;
    let summary = emptyCounts;
    try {
      const records = readLog(source, BigInt(fromSnapshotSequence) + 1n);
      summary = countsOf(replayRecords({ state, records, verifyCheckpoints: options.verify, referenceHashes }));
    } catch (error) {
      if (!(error instanceof CheckpointMismatchError)) throw error;
      divergence = { afterSequence: error.lastMatchingSequence, atOrBeforeSequence: error.sequence, recorded: error.expected, replayed: error.actual };
    }
    const milliseconds = Math.max(1, Math.round(performance.now() - started));
    return {
      ok: divergence === undefined,
      fromSnapshotSequence,
      lastSequence: state.lastSequence,
      lastTime: state.lastTime.toString(),
      stateHash: hexOf(stateHashBytes(state.exchange)),
      ...summary,
      milliseconds,
      commandsPerSecond: Math.round((summary.commands * 1000) / milliseconds),
      ...(divergence === undefined ? {} : { divergence }),
    };
  });
}

type ReplayCounts = Pick<ReplayReport, "commands" | "checkpoints" | "checkpointsDue" | "checkpointsUnconfirmed" | "hashesVerified">;

const emptyCounts: ReplayCounts = { commands: 0, checkpoints: 0, checkpointsDue: 0, checkpointsUnconfirmed: 0, hashesVerified: 0 };

function countsOf(summary: ReplaySummary): ReplayCounts {
  const { commands, checkpoints, checkpointsDue, hashesVerified } = summary;
  return { commands, checkpoints, checkpointsDue, checkpointsUnconfirmed: summary.dueHashes.size, hashesVerified };
}

// The state hash each snapshot header records, by sequence: more reference points for a replay.
function snapshotHashes(paths: DataPaths, afterSequence: number): Map<number, Uint8Array> {
  const hashes = new Map<number, Uint8Array>();
  for (const entry of listSnapshots(paths.snapshots)) {
    if (entry.sequence <= afterSequence) continue;
    const header = readSnapshotHeader(entry.file);
    if (typeof header !== "string") hashes.set(header.sequence, header.stateHash);
  }
  return hashes;
}

function readSnapshotHeader(file: string): ReturnType<typeof decodeSnapshotHeader> {
  const descriptor = fs.openSync(file, "r");
  try {
    const bytes = Buffer.alloc(snapshotHeaderBytes);
    const read = fs.readSync(descriptor, bytes, 0, snapshotHeaderBytes, 0);
    return decodeSnapshotHeader(bytes.subarray(0, read));
  } finally {
    fs.closeSync(descriptor);
  }
}

/** A snapshot file and whether its bytes are intact. */
export interface SnapshotCheck {
  readonly sequence: number;
  readonly file: string;
  readonly bytes: number;
  readonly problem: string | null;
}

// Header checksum and body SHA-256: is the file what was written? (Whether its state is the log's state
// is checked by the replay, which compares the header's hash at the snapshot's sequence.)
function checkSnapshotBytes(entry: SnapshotEntry): SnapshotCheck {
  const bytes = fs.readFileSync(entry.file);
  const header = decodeSnapshotHeader(bytes);
  let problem: string | null = null;
  if (typeof header === "string") problem = header;
  else if (bytes.length !== snapshotHeaderBytes + header.bodyBytes) problem = "file length differs from its header";
  else if (!createHash("sha256").update(bytes.subarray(snapshotHeaderBytes)).digest().equals(header.stateHash)) problem = "body checksum mismatch";
  return { sequence: entry.sequence, file: entry.file, bytes: entry.bytes, problem };
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly commands: number;
  readonly checkpoints: number;
  readonly checkpointsDue: number;
  /** Checkpoint-due records the log has no deferred checkpoint for (yet): the node adds them at its next start. */
  readonly checkpointsUnconfirmed: number;
  readonly hashesVerified: number;
  readonly lastSequence: number;
  readonly lastTime: string;
  readonly stateHash: string;
  readonly snapshots: readonly SnapshotCheck[];
  readonly milliseconds: number;
}

/**
 * Checks the whole log from genesis: every record's checksums, gapless sequences, strictly increasing
 * time (across archive, journal and segment boundaries), that every payload is a command, that the
 * replayed state reaches every checkpoint's hash, and that every snapshot is intact and holds the log's
 * state at its sequence. Log damage (a JournalCorruptError or LogInvalidError naming the sequence) is
 * thrown; hash mismatches and damaged snapshots are listed in `problems`.
 *
 * @example
 * const report = await verifyTool({ dataDirectory: "data", logger });
 * process.exitCode = report.ok ? 0 : 1;
 */
export function verifyTool(options: ToolOptions): Promise<VerifyReport> {
  return withLog(options, (source) => {
    const started = performance.now();
    const problems: string[] = [];
    const snapshots = listSnapshots(source.paths.snapshots).map(checkSnapshotBytes);
    for (const check of snapshots) if (check.problem !== null) problems.push(`snapshot ${check.file}: ${check.problem}`);
    const state = new LogState();
    let summary = emptyCounts;
    try {
      const referenceHashes = snapshotHashes(source.paths, 0);
      summary = countsOf(replayRecords({ state, records: readLog(source, 1n), verifyCheckpoints: true, referenceHashes }));
    } catch (error) {
      if (!(error instanceof CheckpointMismatchError)) throw error;
      problems.push(error.message);
    }
    return {
      ok: problems.length === 0,
      problems,
      ...summary,
      lastSequence: state.lastSequence,
      lastTime: state.lastTime.toString(),
      stateHash: hexOf(stateHashBytes(state.exchange)),
      snapshots,
      milliseconds: Math.round(performance.now() - started),
    };
  });
}

export interface SnapshotToolReport {
  readonly sequence: number;
  readonly file: string;
  readonly fileBytes: number;
  readonly stateHash: string;
  readonly written: boolean;
  readonly removed: readonly string[];
}

/**
 * Brings a stopped node's snapshots up to date: recovers its state (newest snapshot + journal) and writes
 * a snapshot at the last sequence, unless one exists there. Keeps the newest `snapshotsKept`.
 *
 * @example
 * const report = await snapshotTool({ dataDirectory: "data", logger, snapshotsKept: 3 });
 */
export function snapshotTool(options: ToolOptions & { snapshotsKept: number }): Promise<SnapshotToolReport> {
  return withLog(options, (source) => {
    const starting = loadStartingState({ source, logger: options.logger, useSnapshots: true });
    const state = starting.state;
    replayJournal({ source, state, verifyCheckpoints: true });
    const lastSequence = state.lastSequence;
    if (lastSequence === 0) throw new NodeError({ shortMessage: "The log is empty.", details: "nothing to snapshot" });
    const existing = listSnapshots(source.paths.snapshots).find((entry) => entry.sequence === lastSequence);
    if (existing !== undefined && starting.snapshot?.header.sequence === lastSequence) {
      return { sequence: lastSequence, file: existing.file, fileBytes: existing.bytes, stateHash: hexOf(starting.snapshot.header.stateHash), written: false, removed: [] };
    }
    const written = writeSnapshotFile(state.exchange, source.paths.snapshots);
    const removed = pruneSnapshots({ directory: source.paths.snapshots, keep: options.snapshotsKept });
    return { sequence: written.sequence, file: written.file, fileBytes: written.fileBytes, stateHash: hexOf(written.stateHash), written: true, removed };
  });
}

export interface StatusReport {
  readonly dataDirectory: string;
  readonly lastSequence: number;
  readonly lastTime: string;
  readonly lastTimeIso: string | null;
  readonly stateHash: string;
  readonly markets: readonly string[];
  readonly accounts: number;
  readonly restingOrders: number;
  /** Positions with a non-zero size, across markets. */
  readonly openPositions: number;
  /** USD decimal strings. */
  readonly insuranceFund: string;
  readonly feeTreasury: string;
  readonly snapshots: readonly SnapshotEntry[];
  readonly segments: readonly SegmentListing[];
  readonly archivedSegments: readonly SegmentListing[];
}

/**
 * What a stopped node's data directory holds: the last sequence and time, the state hash (recovered as
 * at start), the exchange in numbers (markets, accounts, resting orders, open positions, insurance fund
 * and fee treasury), snapshots, live and archived journal segments.
 *
 * @example
 * const status = await statusTool({ dataDirectory: "data", logger });
 * console.log(status.lastSequence, status.stateHash);
 */
export function statusTool(options: ToolOptions): Promise<StatusReport> {
  return withLog(options, async (source) => {
    const starting = loadStartingState({ source, logger: options.logger, useSnapshots: true });
    const state = starting.state;
    replayJournal({ source, state, verifyCheckpoints: true });
    const { exchange } = state;
    const { engine, treasury } = exchange;
    const lastTime = state.lastTime;
    return {
      dataDirectory: source.paths.root,
      lastSequence: state.lastSequence,
      lastTime: lastTime.toString(),
      lastTimeIso: lastTime === 0n ? null : isoOf(lastTime),
      stateHash: hexOf(stateHashBytes(exchange)),
      markets: engine.markets.map((market) => market.symbol),
      accounts: engine.accounts.count,
      restingOrders: engine.orderIndex.count,
      openPositions: openPositions(exchange),
      insuranceFund: formatQuote(treasury.insuranceFund),
      feeTreasury: formatQuote(treasury.feeTreasury),
      snapshots: listSnapshots(source.paths.snapshots),
      segments: await listSegments(source.paths.journal),
      archivedSegments: await listSegments(source.paths.archive),
    };
  });
}

function openPositions(exchange: Exchange): number {
  let count = 0;
  for (const position of exchange.positionsByKey.values()) if (position.size !== 0) count += 1;
  return count;
}

function isoOf(timeNs: bigint): string {
  // Milliseconds for the date, the remaining nanoseconds appended: no precision is lost.
  const milliseconds = timeNs / 1_000_000n;
  const nanoseconds = (timeNs % 1_000_000n).toString().padStart(6, "0");
  return new Date(Number(milliseconds)).toISOString().replace("Z", `${nanoseconds}Z`);
}

