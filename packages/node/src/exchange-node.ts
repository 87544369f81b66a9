// The exchange node: sequencer → core → journal, with acknowledgements released only once a command's
// journal record is durable (speculative execution, output after fsync, as LMAX does). The perpetual
// exchange (the core's Exchange) runs on this thread, synchronously, in sequence order; the journal
// batches fsyncs; a follower thread replays the durable log to take snapshots and cross-check
// checkpoints without stalling intake.
import assert from "node:assert/strict";
import type { CommandResult, EngineLimits, Exchange, ExchangeEvent } from "@perpdex/core";
import { CommandCodecError, canonicalCommand, type ExchangeCommandInput, type LogCommandInput } from "@perpdex/protocol";
import type { DataPaths, DirectoryLock } from "./data-directory.ts";
import { dataPaths, lockDataDirectory } from "./data-directory.ts";
import { NodeBusyError, NodeClosedError, NodeError, RecoveryError } from "./errors.ts";
import { DurableFeed, FrameWriter } from "./feed.ts";
import type { FollowerOptions, SnapshotReport } from "./follower.ts";
import { Follower } from "./follower.ts";
import { genesisCommands } from "./genesis.ts";
import { checkpointRecordBytes, recordOverheadBytes } from "./journal/format.ts";
import type { Journal, JournalStatistics } from "./journal/journal.ts";
import type { LogSource } from "./log-reader.ts";
import type { LogState } from "./log-state.ts";
import type { NodeLogger } from "./logger.ts";
import type { ExchangeNodeOptions, NodeSettings } from "./node-settings.ts";
import { resolveSettings } from "./node-settings.ts";
import { Sequencer } from "./sequencer.ts";
import { stamp } from "./replay.ts";
import { removeTemporarySnapshots } from "./snapshot-store.ts";
import { hexOf, stateHashBytes } from "./state-hash.ts";
import { loadStartingState, openLog, replayJournal } from "./state-recovery.ts";
import { TickScheduler } from "./tick-scheduler.ts";

/** What the sender of a command learns once it is durable. */
export interface Acknowledgement {
  readonly sequence: number;
  /** Exchange time, nanoseconds since the epoch. */
  readonly time: bigint;
  /** Accepted, or rejected with a stable code; rejected commands are journaled too (replay repeats them). */
  readonly result: CommandResult;
  readonly events: readonly ExchangeEvent[];
}

type NodeState = "open" | "closing" | "closed" | "failed";

// Recovery hands replayed records to the follower in messages of about this size.
const recoveryFramesBytes = 1024 * 1024;
// The journal's default; the node must stay below the journal's limit (it asserts on overflow).
const journalPendingBytesDefault = 64 * 1024 * 1024;
const journalPayloadBytesDefault = 1024 * 1024;

interface NodeParts {
  readonly settings: NodeSettings;
  readonly paths: DataPaths;
  readonly lock: DirectoryLock;
  readonly source: LogSource;
  readonly state: LogState;
  readonly follower: Follower | undefined;
}

/**
 * A running exchange node on one data directory.
 *
 * @example
 * const node = await ExchangeNode.open({ dataDirectory: "data", logger });
 * await node.submit({ type: "deposit", account, asset: "USDC", amount: 10_000_000_000n, reference: "0x…" });
 * const ack = await node.submit({ type: "placeOrder", account, order }); // resolves once durable
 * console.log(ack.sequence, ack.result.ok, ack.events.length);
 * await node.close();
 */
export class ExchangeNode {
  private readonly state: LogState;
  private readonly settings: NodeSettings;
  private readonly logger: NodeLogger;
  private readonly paths: DataPaths;
  private readonly lock: DirectoryLock;
  private readonly journal: Journal;
  private readonly follower: Follower | undefined;
  private readonly feed: DurableFeed | undefined;
  private readonly sequencer: Sequencer;
  private readonly ticks: TickScheduler;
  // Commands are encoded here; the journal copies the bytes before append returns.
  private readonly scratch: Buffer;
  private readonly payloadBytesMax: number;
  private readonly pendingBytesMax: number;
  private status: NodeState = "open";
  private inFlight = 0;
  private pendingBytes = 0;
  private lastCheckpointSequence = 0;
  private archiving: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;

  private constructor(parts: NodeParts) {
    const { settings } = parts;
    this.settings = settings;
    this.logger = settings.logger;
    this.paths = parts.paths;
    this.lock = parts.lock;
    this.journal = parts.source.journal;
    this.state = parts.state;
    this.follower = parts.follower;
    const follower = parts.follower;
    this.feed = follower === undefined ? undefined : new DurableFeed((frames) => follower.send(frames));
    this.sequencer = new Sequencer({
      lastSequence: parts.state.lastSequence,
      lastTime: parts.state.lastTime,
      clock: settings.clock,
      clockStepBackWarnNs: settings.clockStepBackWarnNs,
      logger: settings.logger,
    });
    this.ticks = new TickScheduler({ intervalMs: settings.tickIntervalMs, clock: settings.clock, submitTick: () => this.submitTick() });
    this.payloadBytesMax = settings.journal?.payloadBytesMax ?? journalPayloadBytesDefault;
    this.pendingBytesMax = settings.journal?.pendingBytesMax ?? journalPendingBytesDefault;
    this.scratch = Buffer.allocUnsafe(this.payloadBytesMax);
    this.lastCheckpointSequence = parts.state.lastSequence;
  }

  /**
   * Opens the data directory and recovers: newest valid snapshot, then the journal after it (every
   * checkpoint checked on the way), then genesis if the log is new. Resolves when the node takes commands.
   *
   * @example
   * const node = await ExchangeNode.open({ dataDirectory: "data", logger, tickIntervalMs: 1_000 });
   */
  static async open(options: ExchangeNodeOptions): Promise<ExchangeNode> {
    const settings = resolveSettings(options);
    const started = performance.now();
    const paths = dataPaths(settings.dataDirectory);
    const lock = await lockDataDirectory(paths);
    let source: LogSource | undefined;
    let follower: Follower | undefined;
    // The follower reports to the node, which exists only once recovery is done; until then reports wait.
    let node: ExchangeNode | undefined;
    let fatalBeforeOpen: Error | undefined;
    const followerEvents = {
      onSnapshot: (report: SnapshotReport) => node?.onSnapshot(report),
      onFatal: (error: Error) => (node === undefined ? (fatalBeforeOpen ??= error) : node.fail(error)),
    };
    try {
      removeTemporarySnapshots(paths.snapshots);
      source = await openLog({ paths, logger: settings.logger, ...(settings.journal === undefined ? {} : { journal: settings.journal }) });
      const journalMs = Math.round(performance.now() - started);
      const starting = loadStartingState({ source, logger: settings.logger, useSnapshots: true });
      if (settings.follower) follower = startFollower(settings, paths, starting.snapshot?.file ?? null, followerEvents);
      const replayed = replayForRecovery(source, starting.state, follower);
      node = new ExchangeNode({ settings, paths, lock, source, state: starting.state, follower });
      if (fatalBeforeOpen !== undefined) throw fatalBeforeOpen;
      settings.logger.info(
        {
          dataDirectory: paths.root,
          lastSequence: starting.state.lastSequence,
          snapshotSequence: starting.snapshot?.header.sequence ?? 0,
          replayedCommands: replayed.summary.commands,
          checkpointsVerified: replayed.summary.hashesVerified,
          journalOpenMs: journalMs,
          snapshotLoadMs: starting.milliseconds,
          replayMs: replayed.milliseconds,
          recoveryMs: Math.round(performance.now() - started),
        },
        "node: recovered",
      );
      await node.completeGenesis();
      node.ticks.start();
      settings.logger.info({ lastSequence: node.lastSequence, startupMs: Math.round(performance.now() - started) }, "node: ready");
      return node;
    } catch (error) {
      settings.logger.error({ error: (error as Error).message }, "node: cannot start");
      await follower?.terminate();
      await source?.journal.close().catch(() => {});
      await lock.release();
      throw error;
    }
  }

  /**
   * The node's perpetual exchange (books, accounts, positions, prices). Read it; change it only through
   * `submit`. The genesis command replaces it once, so read it here rather than keeping it.
   */
  get exchange(): Exchange {
    return this.state.exchange;
  }

  /** The sequence of the last command sequenced (durable or not). */
  get lastSequence(): number {
    return this.state.lastSequence;
  }

  /** The sequence of the last durable command: every command up to it was (or may be) acknowledged. */
  get durableSequence(): number {
    return Number(this.journal.durableSequence);
  }

  /** Counters for metrics and benchmarks: the journal's work and what waits for it. */
  get statistics(): { readonly journal: JournalStatistics; readonly inFlight: number; readonly pendingBytes: number } {
    return { journal: this.journal.statistics, inFlight: this.inFlight, pendingBytes: this.pendingBytes };
  }

  /** The state hash of the exchange now (lowercase hex), as the core defines it. O(state). */
  stateHash(): string {
    return hexOf(stateHashBytes(this.exchange));
  }

  /**
   * Sequences, applies and journals a command; resolves once its journal record is durable. Rejects,
   * without sequencing, with NodeClosedError after close, NodeBusyError when too much waits for the
   * disk, and CommandCodecError for a command that is not well shaped (a genesis command included: only
   * the node writes one, to open its log).
   *
   * @example
   * const ack = await node.submit({ type: "cancelAll", account });
   */
  submit(input: ExchangeCommandInput): Promise<Acknowledgement> {
    if ((input as LogCommandInput | null | undefined)?.type === "genesis") {
      return Promise.reject(new CommandCodecError({ path: "command.type", reason: "a genesis command opens the log and is written by the node only" }));
    }
    return this.enqueue(input);
  }

  private enqueue(input: LogCommandInput): Promise<Acknowledgement> {
    if (this.status !== "open") return Promise.reject(this.notOpenError());
    if (this.inFlight >= this.settings.inFlightCommandsMax) return Promise.reject(this.busyError("commands"));
    let command: LogCommandInput;
    let payloadBytes: number;
    try {
      const canonical = canonicalCommand(input);
      command = canonical.command;
      payloadBytes = this.encode(canonical.json);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    const recordBytes = recordOverheadBytes + payloadBytes;
    // Room is kept for one checkpoint: it may follow this command.
    if (this.pendingBytes + recordBytes + checkpointRecordBytes > this.pendingBytesMax) return Promise.reject(this.busyError("bytes"));
    return this.sequence(command, payloadBytes, recordBytes);
  }

  // Writes the command's JSON into the scratch buffer as UTF-8; returns the byte count.
  private encode(json: string): number {
    // UTF-8 needs at most 3 bytes per UTF-16 unit: only a long text needs its exact size before writing.
    if (json.length * 3 > this.scratch.length && Buffer.byteLength(json) > this.scratch.length) {
      throw new NodeError({
        shortMessage: "The command is too large.",
        details: `its encoding takes ${Buffer.byteLength(json)} bytes, at most ${this.scratch.length} are accepted`,
      });
    }
    return this.scratch.write(json, 0, "utf8");
  }

  // `command` is the node's own canonical copy of the input: stamping it in place copies nothing.
  private sequence(command: LogCommandInput, payloadBytes: number, recordBytes: number): Promise<Acknowledgement> {
    const { sequence, time } = this.sequencer.next();
    let result: CommandResult;
    try {
      result = this.state.apply(stamp(command, sequence, time));
    } catch (error) {
      // A core assertion: a bug. The command is not journaled, so a restart does not meet it again.
      this.fail(error as Error);
      return Promise.reject(error as Error);
    }
    // The exchange reuses its event array for the next command.
    const events = this.exchange.events.slice();
    const payload = this.scratch.subarray(0, payloadBytes);
    const journalSequence = BigInt(sequence);
    const durable = this.journal.append({ sequence: journalSequence, time, payload });
    this.feed?.add(durable, "command", journalSequence, time, payload);
    this.inFlight += 1;
    this.pendingBytes += recordBytes;
    if (sequence % this.settings.checkpointEvery === 0) this.checkpoint();
    this.ticks.expiryAt(this.exchange.engine.expiries.peekTime());
    return durable.then(
      () => {
        this.inFlight -= 1;
        this.pendingBytes -= recordBytes;
        return { sequence, time, result, events };
      },
      (error: Error) => {
        this.fail(error);
        throw error;
      },
    );
  }

  // The state hash is taken here, synchronously, right after its command: the journal format wants a
  // checkpoint directly behind its command. It costs a pass over the state (docs/node.md, "Known
  // limits"); snapshots, the bigger cost, run on the follower thread.
  private checkpoint(): void {
    const started = performance.now();
    const stateHash = stateHashBytes(this.exchange);
    const sequence = BigInt(this.state.lastSequence);
    const durable = this.journal.appendCheckpoint({ sequence, stateHash });
    this.feed?.add(durable, "checkpoint", sequence, this.state.lastTime, stateHash);
    this.pendingBytes += checkpointRecordBytes;
    this.lastCheckpointSequence = this.state.lastSequence;
    durable.then(
      () => {
        this.pendingBytes -= checkpointRecordBytes;
      },
      (error: Error) => this.fail(error),
    );
    this.logger.debug({ sequence: sequence.toString(), milliseconds: performance.now() - started }, "node: checkpoint");
  }

  private submitTick(): void {
    if (this.status !== "open") return;
    this.submit({ type: "tick" }).catch((error: Error) => {
      if (!(error instanceof NodeBusyError) && !(error instanceof NodeClosedError)) this.logger.warn({ error: error.message }, "node: tick failed");
    });
  }

  // An empty log starts with the genesis commands: the genesis command (the engine limits), then the
  // markets. A log shorter than the genesis is one whose node crashed while writing it: its commands
  // are the genesis's first ones, and the rest follow now. (A complete log is never compared with the
  // configuration: the log wins.)
  private async completeGenesis(): Promise<void> {
    const commands = genesisCommands(this.settings.genesis);
    const written = this.state.lastSequence;
    if (written >= commands.length) return;
    if (written > 0) this.checkGenesisWritten(commands.slice(0, written));
    // One at a time: a handful of commands, and no in-flight limit can refuse them.
    for (const command of commands.slice(written)) {
      const ack = await this.enqueue(command);
      assert.ok(ack.result.ok, `genesis command ${ack.sequence} was rejected`);
    }
    this.logger.info(
      { limits: this.exchange.engine.limits, markets: this.exchange.engine.markets.map((market) => market.symbol) },
      "node: genesis written",
    );
  }

  private checkGenesisWritten(written: readonly LogCommandInput[]): void {
    const engine = this.exchange.engine;
    for (const [index, command] of written.entries()) {
      let expected: string | undefined;
      if (command.type === "genesis") {
        if (!sameLimits(engine.limits, command.limits)) expected = `the engine limits ${JSON.stringify(command.limits)}`;
      } else {
        assert.equal(command.type, "createMarket");
        // Markets are listed from sequence 2: market index = sequence - 2 = index - 1.
        if (engine.markets[index - 1]?.symbol !== command.market.symbol) expected = `a listing of ${command.market.symbol}`;
      }
      if (expected !== undefined) {
        throw new RecoveryError({ shortMessage: "The log does not start with this node's genesis.", details: `command ${index + 1} should be ${expected}` });
      }
    }
  }

  private onSnapshot(report: SnapshotReport): void {
    this.logger.info(
      { sequence: report.sequence, file: report.file, bytes: report.fileBytes, stateHash: report.stateHash, milliseconds: report.milliseconds, removed: report.removed },
      "node: snapshot written",
    );
    // Segments the snapshot covers leave the journal directory: opening the journal reads every live
    // segment, so this keeps start-up time bounded. Older snapshots still replay from the archive.
    this.archiving = this.archiving.then(async () => {
      if (this.status === "closed") return;
      try {
        await this.journal.archiveSegmentsBefore(BigInt(report.sequence) + 1n, this.paths.archive);
      } catch (error) {
        this.logger.error({ error: (error as Error).message }, "node: archiving failed; segments stay in the journal");
      }
    });
  }

  /** Stops the node after a fatal error: no more commands; what is durable stays durable. */
  private fail(error: Error): void {
    if (this.status === "failed" || this.status === "closed") return;
    this.status = "failed";
    this.ticks.stop();
    this.logger.error({ error: error.message, lastSequence: this.lastSequence }, "node: stopped after a fatal error; restart to recover");
    void this.follower?.terminate();
    this.settings.onFatal?.(error);
  }

  private notOpenError(): NodeClosedError {
    return new NodeClosedError({ shortMessage: `The node is ${this.status}.`, details: "it takes no more commands" });
  }

  private busyError(what: "commands" | "bytes"): NodeBusyError {
    const limit = what === "commands" ? `${this.settings.inFlightCommandsMax} commands` : `${this.pendingBytesMax} bytes`;
    return new NodeBusyError({ shortMessage: "The node is busy; retry shortly.", details: `${limit} already wait for the journal` });
  }

  /**
   * Stops intake, waits for every journaled command to be durable (their senders get their
   * acknowledgements), records a final checkpoint, lets the follower write a final snapshot, and
   * releases the data directory. Safe to call more than once.
   *
   * @example
   * process.once("SIGTERM", () => void node.close().then(() => process.exit(0)));
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const healthy = this.status === "open";
    if (healthy) this.status = "closing";
    this.ticks.stop();
    await this.journal.flush().catch(() => {});
    if (healthy && this.lastSequence > this.lastCheckpointSequence) this.checkpoint();
    await this.journal.flush().catch(() => {});
    const followerSequence = await this.follower?.stop({ finalSnapshot: healthy });
    await this.archiving;
    try {
      await this.journal.close();
    } catch (error) {
      this.logger.error({ error: (error as Error).message }, "node: journal closed with an error");
    }
    await this.lock.release();
    if (this.status !== "failed") this.status = "closed";
    this.logger.info({ lastSequence: this.lastSequence, followerSequence: followerSequence ?? null }, "node: closed");
  }
}

// Replays the journal after the starting state and hands the same records to the follower, which
// restores the same snapshot on its own thread meanwhile.
function startFollower(
  settings: NodeSettings,
  paths: DataPaths,
  snapshotFile: string | null,
  events: Pick<FollowerOptions, "onSnapshot" | "onFatal">,
): Follower {
  return Follower.start({
    snapshotsDirectory: paths.snapshots,
    snapshotFile,
    snapshotEvery: settings.snapshotEvery,
    snapshotIntervalMs: settings.snapshotIntervalMs,
    snapshotsKept: settings.snapshotsKept,
    logger: settings.logger,
    ...events,
  });
}

function sameLimits(left: EngineLimits, right: EngineLimits): boolean {
  return (
    left.marketsMax === right.marketsMax &&
    left.accountsMax === right.accountsMax &&
    left.ordersPerAccountMax === right.ordersPerAccountMax &&
    left.batchItemsMax === right.batchItemsMax &&
    left.fillsPerOrderMax === right.fillsPerOrderMax
  );
}

function replayForRecovery(source: LogSource, state: LogState, follower: Follower | undefined): ReturnType<typeof replayJournal> {
  if (follower === undefined) return replayJournal({ source, state, verifyCheckpoints: true });
  const frames = new FrameWriter();
  const replayed = replayJournal({
    source,
    state,
    verifyCheckpoints: true,
    onRecord: (record) => {
      frames.addRecord(record);
      if (frames.byteLength >= recoveryFramesBytes) follower.send(frames.take());
    },
  });
  if (frames.byteLength > 0) follower.send(frames.take());
  return replayed;
}
