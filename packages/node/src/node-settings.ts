// Everything an ExchangeNode can be told, with defaults, checked once at open.
import assert from "node:assert/strict";
import { defaultLimits, orderIdsPerCommand, type EngineLimits } from "@perpdex/core";
import type { Clock } from "./clock.ts";
import { createSystemClock } from "./clock.ts";
import type { GenesisConfig } from "./genesis.ts";
import { demoGenesis } from "./genesis.ts";
import type { JournalLimits } from "./journal/journal.ts";
import type { AppliedListener } from "./exchange-node.ts";
import type { NodeLogger } from "./logger.ts";

/** How to open a node. Only the data directory and the logger are required. */
export interface ExchangeNodeOptions {
  readonly dataDirectory: string;
  readonly logger: NodeLogger;
  /** What an empty data directory starts with: engine limits and markets. Default: the demo exchange. */
  readonly genesis?: GenesisConfig;
  /** Milliseconds between tick commands; 0 turns periodic ticks off. Default 1,000. */
  readonly tickIntervalMs?: number;
  /** A state-hash checkpoint goes into the journal after every this many commands. Default 100,000. */
  readonly checkpointEvery?: number;
  /**
   * With a follower: a checkpoint is skipped, rather than queued for the follower to hash, while the
   * hashes it still owes amount to this many milliseconds of its time (the oldest has waited that long,
   * or they would take that long at the pace of the last one). 0 skips whenever one is owed. Default
   * 1,000. Only large states under load skip any: at ten million orders one hash takes seconds.
   */
  readonly checkpointBacklogMs?: number;
  /** A snapshot is taken after this many commands since the last one. Default 1,000,000. */
  readonly snapshotEvery?: number;
  /** ... or after this many milliseconds, if any command arrived. Default 300,000 (5 minutes). */
  readonly snapshotIntervalMs?: number;
  /** Snapshots kept on disk; older ones are deleted. Default 3. */
  readonly snapshotsKept?: number;
  /** Commands sequenced but not yet durable, before submit answers NodeBusyError. Default 250,000. */
  readonly inFlightCommandsMax?: number;
  /** Exchange time ahead of the wall clock by more than this is logged as an error. Default 1 s. */
  readonly clockStepBackWarnNs?: bigint;
  /** The wall clock. Default: the system clock. */
  readonly clock?: Clock;
  /** Run the follower thread (snapshots, checkpoint hashes off the node's thread, cross-checks). Default true. */
  readonly follower?: boolean;
  /** Journal limits (segment size and so on); defaults are the journal's. */
  readonly journal?: Partial<JournalLimits>;
  /** Called once if the node stops on its own after a fatal error (disk failure, divergence, a bug). */
  readonly onFatal?: (error: Error) => void;
  /** Sees every applied command, from recovery's replay on (read models rebuild from it at start). */
  readonly onApplied?: AppliedListener;
}

export type NodeSettings = Required<Omit<ExchangeNodeOptions, "journal" | "onFatal" | "onApplied">> &
  Pick<ExchangeNodeOptions, "journal" | "onFatal" | "onApplied">;

function positiveInteger(name: string, value: number, allowZero = false): number {
  assert.ok(Number.isSafeInteger(value) && (allowZero ? value >= 0 : value > 0), `${name} must be a ${allowZero ? "non-negative" : "positive"} integer, got ${value}`);
  return value;
}

/** The options with every default filled in, checked. */
export function resolveSettings(options: ExchangeNodeOptions): NodeSettings {
  const settings: NodeSettings = {
    dataDirectory: options.dataDirectory,
    logger: options.logger,
    genesis: options.genesis ?? demoGenesis,
    tickIntervalMs: positiveInteger("tickIntervalMs", options.tickIntervalMs ?? 1_000, true),
    checkpointEvery: positiveInteger("checkpointEvery", options.checkpointEvery ?? 100_000),
    checkpointBacklogMs: positiveInteger("checkpointBacklogMs", options.checkpointBacklogMs ?? 1_000, true),
    snapshotEvery: positiveInteger("snapshotEvery", options.snapshotEvery ?? 1_000_000),
    snapshotIntervalMs: positiveInteger("snapshotIntervalMs", options.snapshotIntervalMs ?? 300_000),
    snapshotsKept: positiveInteger("snapshotsKept", options.snapshotsKept ?? 3),
    inFlightCommandsMax: positiveInteger("inFlightCommandsMax", options.inFlightCommandsMax ?? 250_000),
    clockStepBackWarnNs: options.clockStepBackWarnNs ?? 1_000_000_000n,
    clock: options.clock ?? createSystemClock(),
    follower: options.follower ?? true,
    ...(options.journal === undefined ? {} : { journal: options.journal }),
    ...(options.onFatal === undefined ? {} : { onFatal: options.onFatal }),
    ...(options.onApplied === undefined ? {} : { onApplied: options.onApplied }),
  };
  assert.ok(settings.clockStepBackWarnNs > 0n, "clockStepBackWarnNs must be positive");
  checkLimits(settings.genesis.limits);
  return settings;
}

// The genesis limits go into the log and every replica builds its exchange from them: refuse ones the
// core cannot run with before they are written.
function checkLimits(limits: EngineLimits): void {
  for (const name of Object.keys(defaultLimits) as (keyof EngineLimits)[]) positiveInteger(`genesis.limits.${name}`, limits[name]);
  // Positions are keyed by account × 4096 + market: the core's default is also its largest market count.
  assert.ok(limits.marketsMax <= defaultLimits.marketsMax, `genesis.limits.marketsMax must be at most ${defaultLimits.marketsMax}`);
  // Order ids reserve orderIdsPerCommand per command, one per batch item.
  assert.ok(limits.batchItemsMax <= orderIdsPerCommand, `genesis.limits.batchItemsMax must be at most ${orderIdsPerCommand}`);
}
