// The exchange node: sequencer → core → journal, with acknowledgements released only once a command's
// journal record is durable (speculative execution, output after fsync, as LMAX does). The perpetual
// exchange (the core's Exchange) runs on this thread, synchronously, in sequence order; the journal
// batches fsyncs; a follower thread replays the durable log to take snapshots and cross-check
// checkpoints without stalling intake.
import assert from "node:assert/strict";
import type { CommandResult, EngineLimits, Exchange, ExchangeEvent } from "@perpdex/core";
import { CommandCodecError, writeCommandBinary, type ExchangeCommandInput, type LogCommandInput } from "@perpdex/protocol";
import type { DataPaths, DirectoryLock } from "./data-directory.ts";
import { dataPaths, lockDataDirectory } from "./data-directory.ts";
import { NodeBusyError, NodeClosedError, NodeError, RecoveryError } from "./errors.ts";
import { DurableFeed, FrameWriter } from "./feed.ts";
import type { FollowerOptions, SnapshotReport } from "./follower.ts";
import { Follower } from "./follower.ts";
import { FollowerHashes } from "./follower-hashes.ts";
import { genesisCommands } from "./genesis.ts";
import { afterCommandRecordsBytes, checkpointRecordBytes, commandKindCode, recordEndAt, recordOverheadBytes } from "./journal/format.ts";
import type { DurableObserver, Journal, JournalStatistics } from "./journal/journal.ts";
import type { RecordCursor } from "./journal/record-cursor.ts";
import type { LogSource } from "./log-reader.ts";
import type { LogCommand, LogState } from "./log-state.ts";
import type { NodeLogger } from "./logger.ts";
import type { ExchangeNodeOptions, NodeSettings } from "./node-settings.ts";
import { resolveSettings } from "./node-settings.ts";
import { AcknowledgementGroup, PendingAcknowledgements, type PendingRelease } from "./pending-acknowledgements.ts";
import { Sequencer } from "./sequencer.ts";
import { commandOfRecord, stamp } from "./replay.ts";
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

/**
 * One applied command, as read models see it: in sequence order, once for every command the node
 * applies — live ones once they are durable (just before the sender's acknowledgement), and, at start,
 * the ones recovery replays after the snapshot. `events` is valid during the call only (copy what you keep).
 */
export interface AppliedCommand {
  readonly sequence: number;
  readonly time: bigint;
  readonly command: LogCommand;
  readonly result: CommandResult;
  readonly events: readonly ExchangeEvent[];
  /** The command's auth envelope (the signed request), as journaled; undefined for none. */
  readonly auth: Uint8Array | undefined;
  /** True while recovery replays the journal at start. */
  readonly replaying: boolean;
}

/** Receives every applied command (read models, metrics). Must not throw and must not submit. */
export type AppliedListener = (applied: AppliedCommand) => void;

/** The node's counters (`ExchangeNode.statistics`). */
export interface NodeStatistics {
  readonly journal: JournalStatistics;
  /** Commands journaled and not yet acknowledged. */
  readonly inFlight: number;
  /** Journal bytes appended and not yet durable. */
  readonly pendingBytes: number;
  /**
   * Checkpoints since the node started: recorded (inline, or as a checkpoint-due record for the
   * follower), skipped because the follower was still hashing, and due records still awaiting its hash.
   */
  readonly checkpoints: { readonly recorded: number; readonly skipped: number; readonly awaitingHash: number };
}

type NodeState = "open" | "closing" | "closed" | "failed";

const noEvents: readonly ExchangeEvent[] = Object.freeze([]);

// Live records reach the follower at most this late, in messages of at most this size: one message a
// journal batch cost the node's thread several percent of its time at 1,000 commands in flight, and
// every message wakes both threads (the follower answers each), which on two cores shows at low load.
const feedGathering = { gatherMs: 25, gatherBytesMax: 2 * 1024 * 1024 };
// Durable commands acknowledged in one turn of the event loop at most (releaseDurable says why).
const releasesPerTurnMax = 256;
// Recovery hands replayed records to the follower in messages of about this size.
const recoveryFramesBytes = 1024 * 1024;
// The journal's default; the node must stay below the journal's limit (it asserts on overflow).
const journalPendingBytesDefault = 64 * 1024 * 1024;
const journalPayloadBytesDefault = 1024 * 1024;
const journalAuthBytesDefault = 64 * 1024;

interface NodeParts {
  readonly settings: NodeSettings;
  readonly paths: DataPaths;
  readonly lock: DirectoryLock;
  readonly source: LogSource;
  readonly state: LogState;
  readonly follower: Follower | undefined;
  /**
   * The follower answers no hash before it has restored the starting snapshot, which it starts once the
   * node has loaded it and which takes about as long: the node's load time, as the first hash's pace.
   */
  readonly followerLoadMs: number;
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
  private readonly authBytesMax: number;
  private readonly pendingBytesMax: number;
  private status: NodeState = "open";
  // Commands journaled but not yet durable, released in sequence order as the journal syncs them.
  private readonly pending = new PendingAcknowledgements();
  private lastCheckpointSequence = 0;
  // The last command's events array, to check that the next command gets a fresh one.
  private lastEvents: readonly ExchangeEvent[] = noEvents;
  // Checkpoint-due records journaled whose hash the follower has not reported yet, and reported (or
  // recovered) hashes waiting to be journaled as deferred checkpoints, one behind each next command.
  private readonly awaitingHashes: FollowerHashes;
  private readonly deferredCheckpoints: { readonly sequence: number; readonly stateHash: Uint8Array }[] = [];
  private readonly checkpointCounts = { recorded: 0, skipped: 0 };
  private archiving: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;
  private readonly appliedListeners: AppliedListener[] = [];
  // Bound once: the release loop calls it for every command while someone listens.
  private readonly notifyRelease = (release: PendingRelease): void => this.notifyReleased(release);
  // The last sequence the journal reported durable; commands up to it are released a slice per turn.
  private durableThrough = 0;
  private releaseScheduled = false;
  private readonly releaseLater = (): void => {
    this.releaseScheduled = false;
    this.releaseDurable(releasesPerTurnMax);
  };

  private constructor(parts: NodeParts) {
    const { settings } = parts;
    this.settings = settings;
    this.logger = settings.logger;
    this.paths = parts.paths;
    this.lock = parts.lock;
    this.journal = parts.source.journal;
    this.state = parts.state;
    this.follower = parts.follower;
    this.awaitingHashes = new FollowerHashes(settings.checkpointBacklogMs, parts.followerLoadMs);
    const follower = parts.follower;
    this.feed = follower === undefined ? undefined : new DurableFeed((frames) => follower.send(frames), feedGathering);
    this.sequencer = new Sequencer({
      lastSequence: parts.state.lastSequence,
      lastTime: parts.state.lastTime,
      clock: settings.clock,
      clockStepBackWarnNs: settings.clockStepBackWarnNs,
      logger: settings.logger,
    });
    this.ticks = new TickScheduler({ intervalMs: settings.tickIntervalMs, clock: settings.clock, submitTick: () => this.submitTick() });
    this.payloadBytesMax = settings.journal?.payloadBytesMax ?? journalPayloadBytesDefault;
    this.authBytesMax = settings.journal?.authBytesMax ?? Math.min(journalAuthBytesDefault, this.payloadBytesMax);
    this.pendingBytesMax = settings.journal?.pendingBytesMax ?? journalPendingBytesDefault;
    this.scratch = Buffer.allocUnsafe(this.payloadBytesMax);
    this.lastCheckpointSequence = parts.state.lastSequence;
    const observer: DurableObserver = {
      durable: (records, lastSequence) => this.onDurable(records, lastSequence),
      failed: (error) => this.onJournalFailed(error),
    };
    this.journal.observeDurable(observer);
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
    // Hashes the follower reports before the node exists: some may be of checkpoint-due records recovery
    // left to it (below).
    const earlyHashes: [sequence: number, stateHash: Uint8Array][] = [];
    const followerEvents = {
      onSnapshot: (report: SnapshotReport) => node?.onSnapshot(report),
      onFatal: (error: Error) => (node === undefined ? (fatalBeforeOpen ??= error) : node.fail(error)),
      onCheckpointHash: (sequence: number, stateHash: Uint8Array) => {
        if (node === undefined) earlyHashes.push([sequence, stateHash]);
        else node.onCheckpointHash(sequence, stateHash);
      },
    };
    try {
      removeTemporarySnapshots(paths.snapshots);
      source = await openLog({ paths, logger: settings.logger, ...(settings.journal === undefined ? {} : { journal: settings.journal }) });
      const journalMs = Math.round(performance.now() - started);
      const starting = loadStartingState({ source, logger: settings.logger, useSnapshots: true });
      if (settings.follower) follower = startFollower(settings, paths, starting.snapshot?.file ?? null, followerEvents);
      const replayed = replayForRecovery(source, starting.state, follower, settings.onApplied);
      node = new ExchangeNode({ settings, paths, lock, source, state: starting.state, follower, followerLoadMs: starting.milliseconds });
      // Checkpoint-due records whose deferred checkpoint the log lacks (the node stopped first): recovery
      // hashed the state there, so their checkpoints follow the next commands.
      for (const [sequence, stateHash] of [...replayed.summary.dueHashes].sort(([left], [right]) => left - right)) {
        node.deferredCheckpoints.push({ sequence, stateHash });
      }
      // Those recovery did not hash (before the log's last checkpoint) take the follower's hash, which
      // it reports as it replays the same records; hashes of other records are not awaited, so dropped.
      for (const sequence of [...replayed.summary.dueUnhashed].sort((left, right) => left - right)) node.awaitingHashes.request(sequence);
      for (const [sequence, stateHash] of earlyHashes.splice(0)) node.onCheckpointHash(sequence, stateHash);
      if (settings.onApplied !== undefined) node.appliedListeners.push(settings.onApplied);
      if (fatalBeforeOpen !== undefined) throw fatalBeforeOpen;
      settings.logger.info(
        {
          dataDirectory: paths.root,
          lastSequence: starting.state.lastSequence,
          snapshotSequence: starting.snapshot?.header.sequence ?? 0,
          replayedCommands: replayed.summary.commands,
          checkpointsVerified: replayed.summary.hashesVerified,
          checkpointsLeftToFollower: replayed.summary.checkpointsNotHashed,
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

  /**
   * Counters for metrics and benchmarks: the journal's work and what waits for it, and the checkpoints
   * recorded and skipped since the node started (a skipped one's follower was still hashing an earlier
   * state; see `checkpoint`).
   */
  get statistics(): NodeStatistics {
    return {
      journal: this.journal.statistics,
      inFlight: this.pending.count,
      pendingBytes: this.journal.pendingByteCount,
      checkpoints: { ...this.checkpointCounts, awaitingHash: this.awaitingHashes.count },
    };
  }

  /** The state hash of the exchange now (lowercase hex), as the core defines it. O(state). */
  stateHash(): string {
    return hexOf(stateHashBytes(this.exchange));
  }

  /**
   * Sequences, applies and journals a command; resolves once its journal record is durable. Rejects,
   * without sequencing, with NodeClosedError after close, NodeBusyError when too much waits for the
   * disk, and CommandCodecError for a command that is not well shaped (a genesis command included: only
   * the node writes one, to open its log) or too large for the journal.
   *
   * `auth`, when given, is the command's auth envelope (the signed request and its signature): opaque
   * bytes stored verbatim in the command's journal record (at most `journal.authBytesMax`, default
   * 64 KiB) and returned by every journal reader, so an auditor can re-verify who asked for each
   * command. The core never sees it.
   *
   * @example
   * const ack = await node.submit({ type: "cancelAll", account });
   * const signed = await node.submit(order, envelopeBytes); // envelopeBytes: signed request + signature
   */
  submit(input: ExchangeCommandInput, auth?: Uint8Array): Promise<Acknowledgement> {
    let checked: LogCommandInput;
    try {
      checked = checkNotGenesis(input);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return this.submitLogCommand(checked, auth);
  }

  private submitLogCommand(input: LogCommandInput, auth: Uint8Array | undefined): Promise<Acknowledgement> {
    try {
      return this.enqueue(input, auth, undefined)!;
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /**
   * Submits several commands at once: each is sequenced, applied and journaled as by `submit`, in
   * order, and one promise resolves with every acknowledgement once the last of them is durable (one
   * promise per call instead of one per command). `auths[i]`, if given, is command i's auth envelope.
   * A command refused before sequencing (not well shaped, node busy or closed) rejects the whole
   * call; the commands before it stay sequenced and become durable as usual, and `error.cause`
   * holds their acknowledgements' promise.
   *
   * @example
   * const acks = await node.submitMany([{ type: "cancelAll", account }, { type: "tick" }]);
   */
  submitMany(inputs: readonly ExchangeCommandInput[], auths?: readonly (Uint8Array | undefined)[]): Promise<Acknowledgement[]> {
    const group = new AcknowledgementGroup();
    let enqueued = 0;
    let refused: Error | undefined;
    for (let index = 0; index < inputs.length; index += 1) {
      try {
        this.enqueue(checkNotGenesis(inputs[index]!), auths?.[index], group);
        enqueued += 1;
      } catch (error) {
        refused = error as Error;
        break;
      }
    }
    group.close(enqueued);
    const all = group.promise;
    if (refused === undefined) return all;
    all.catch(() => {});
    return Promise.reject(Object.assign(refused, { cause: all }));
  }

  // Sequences, applies and journals one command; throws (without sequencing) when it is refused. Returns
  // the promise of its acknowledgement, or nothing when it joins a submitMany group.
  private enqueue(input: LogCommandInput, auth: Uint8Array | undefined, group: AcknowledgementGroup | undefined): Promise<Acknowledgement> | undefined {
    if (this.status !== "open") throw this.notOpenError();
    if (this.pending.count >= this.settings.inFlightCommandsMax) throw this.busyError("commands");
    const authBytes = auth === undefined ? 0 : checkAuth(auth, this.authBytesMax);
    // Checks the shape, writes the binary encoding into the scratch buffer and returns the node's own
    // canonical copy of the command (stamping it in place copies nothing).
    const written = writeCommandBinary(input, this.scratch, 0);
    if (written.end + authBytes > this.payloadBytesMax) {
      throw new NodeError({
        shortMessage: "The command is too large.",
        details: `its encoding and auth envelope take ${written.end + authBytes} bytes, at most ${this.payloadBytesMax} are accepted`,
      });
    }
    const recordBytes = recordOverheadBytes + written.end + authBytes;
    // Room is kept for the checkpoint records that may follow this command.
    if (this.journal.pendingByteCount + recordBytes + afterCommandRecordsBytes > this.pendingBytesMax) throw this.busyError("bytes");
    return this.sequence(written.command, written.end, authBytes === 0 ? undefined : auth, group);
  }

  private sequence(
    command: LogCommandInput,
    payloadBytes: number,
    auth: Uint8Array | undefined,
    group: AcknowledgementGroup | undefined,
  ): Promise<Acknowledgement> | undefined {
    const sequencer = this.sequencer;
    sequencer.advance();
    const sequence = sequencer.lastSequence;
    const time = sequencer.lastTime;
    let result: CommandResult;
    let produced: readonly ExchangeEvent[];
    try {
      result = this.state.apply(stamp(command, sequence, time));
      // The core gives every command a fresh events array (Engine.begin), so the acknowledgement keeps
      // it as it is, without a copy. An array handed out again would rewrite acknowledged events.
      produced = this.exchange.events;
      if (produced === this.lastEvents) assert.fail(`command ${sequence}: the exchange reused the previous command's events array`);
    } catch (error) {
      // A core assertion: a bug. The command is not journaled, so a restart does not meet it again.
      this.fail(error as Error);
      throw error;
    }
    this.lastEvents = produced;
    const events = produced.length === 0 ? noEvents : produced;
    try {
      this.journal.appendCommand(sequence, time, this.scratch, payloadBytes, auth);
    } catch (error) {
      // The journal failed (the node is stopping) or refused a record: the command is applied but will
      // never be durable, so this state must not take another command.
      this.fail(error as Error);
      throw error;
    }
    if (sequence % this.settings.checkpointEvery === 0) this.checkpoint(this.follower?.active !== true);
    if (this.deferredCheckpoints.length > 0) this.appendDeferredCheckpoint();
    this.ticks.expiryAt(this.exchange.engine.expiries.peekTime());
    const acknowledgement: Acknowledgement = { sequence, time, result, events };
    if (group === undefined) return this.pending.pushSingle(acknowledgement, command as LogCommand, auth);
    this.pending.pushGrouped(acknowledgement, command as LogCommand, auth, group);
    return undefined;
  }

  // A journal batch is durable: the follower gets its records, and its commands' senders their
  // acknowledgements (read models first), in sequence order.
  private onDurable(records: Uint8Array, lastSequence: number): void {
    this.feed?.add(records);
    this.durableThrough = lastSequence;
    this.releaseDurable(releasesPerTurnMax);
  }

  // Releases up to `countMax` durable commands now and the rest in later turns of the event loop. Each
  // release lets its sender submit again, and those commands are applied in the same turn: releasing a
  // thousand at once kept the thread busy for milliseconds while the disk sat idle, since the journal
  // starts writing what they appended only once the turn ends. In slices, the journal writes the first
  // slice's commands while the next slice is applied.
  private releaseDurable(countMax: number): void {
    const listener = this.appliedListeners.length > 0 ? this.notifyRelease : undefined;
    const more = this.pending.releaseThrough(this.durableThrough, listener, countMax);
    if (more && !this.releaseScheduled) {
      this.releaseScheduled = true;
      setImmediate(this.releaseLater);
    }
  }

  // Every command not yet durable fails with the journal's error; the node stops. Durable ones waiting
  // for their turn are acknowledged first: they are in the log.
  private onJournalFailed(error: Error): void {
    this.fail(error);
    this.releaseDurable(Number.POSITIVE_INFINITY);
    this.pending.rejectAll(error);
  }

  private notifyReleased(release: PendingRelease): void {
    const { sequence, time, result, events } = release.acknowledgement;
    this.notifyApplied({ sequence, time, command: release.command, result, events, auth: release.auth, replaying: false });
  }

  /**
   * Adds a listener for every command applied from now on (use the `onApplied` option to also see the
   * commands recovery replays). Returns a function that removes it.
   *
   * @example
   * const stop = node.onApplied(({ sequence, events }) => readModel.apply(sequence, events));
   */
  onApplied(listener: AppliedListener): () => void {
    this.appliedListeners.push(listener);
    return () => {
      const at = this.appliedListeners.indexOf(listener);
      if (at >= 0) this.appliedListeners.splice(at, 1);
    };
  }

  private notifyApplied(applied: AppliedCommand): void {
    for (const listener of this.appliedListeners) {
      try {
        listener(applied);
      } catch (error) {
        this.logger.error({ error: (error as Error).message, sequence: applied.sequence }, "node: an applied-command listener threw");
      }
    }
  }

  // A checkpoint of the state after the last command. With a follower running, the node journals only
  // a checkpoint-due record: the follower hashes its state there (a pass over the whole state, seconds
  // at ten million orders, that intake must not wait for) and reports the hash, which the node journals
  // as a deferred checkpoint behind a later command. Without one (or at shutdown), the node hashes here
  // and the checkpoint goes right behind its command.
  //
  // The follower hashes one state at a time, between the records it applies. When the hashes it owes
  // amount to `checkpointBacklogMs` of its time or more (a second by default; at ten million orders one
  // hash is about three seconds), this checkpoint is skipped rather than queued: queued hashes would
  // leave the follower ever further behind intake until it was stopped for lagging, and every
  // checkpoint after that would be hashed on this thread, holding intake for as long. So under load on
  // a large state checkpoints come as often as the follower can hash, on the same multiples of
  // `checkpointEvery`; with a small state, none is skipped.
  private checkpoint(inline: boolean): void {
    const sequence = this.state.lastSequence;
    if (!inline && this.awaitingHashes.busy()) {
      this.checkpointCounts.skipped += 1;
      const awaiting = this.awaitingHashes;
      this.logger.info(
        { sequence, awaitingHash: awaiting.count, oldestAwaitedMs: Math.round(awaiting.oldestWaitMs), lastHashRoundTripMs: Math.round(awaiting.roundTripMs) },
        "node: checkpoint skipped, the follower is still hashing an earlier one",
      );
      return;
    }
    this.lastCheckpointSequence = sequence;
    this.checkpointCounts.recorded += 1;
    // Durability (or the journal's failure) reaches the node through the journal's observer.
    if (!inline) {
      this.journal.appendCheckpointDue(BigInt(sequence)).catch(() => {});
      this.awaitingHashes.request(sequence);
      return;
    }
    const started = performance.now();
    const stateHash = stateHashBytes(this.exchange);
    this.journal.appendCheckpoint({ sequence: BigInt(sequence), stateHash }).catch(() => {});
    this.logger.debug({ sequence: String(sequence), milliseconds: performance.now() - started }, "node: checkpoint");
  }

  private onCheckpointHash(sequence: number, stateHash: Uint8Array): void {
    if ((this.status !== "open" && this.status !== "closing") || !this.awaitingHashes.answered(sequence)) return;
    this.deferredCheckpoints.push({ sequence, stateHash });
  }

  // One deferred checkpoint behind the command just journaled (the journal keeps room for one).
  private appendDeferredCheckpoint(): void {
    const { sequence, stateHash } = this.deferredCheckpoints.shift()!;
    this.journal.appendDeferredCheckpoint({ sequence: BigInt(sequence), stateHash }).catch(() => {});
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
      const ack = await this.submitLogCommand(command, undefined);
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
      } else if (command.type === "registerOracleSource") {
        if (!this.exchange.oracles.sourcesById.has(command.source)) expected = `the oracle source ${command.source}`;
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
    // The log ends with a checkpoint, hashed here (intake is over), which the follower checks.
    if (healthy && this.lastSequence > this.lastCheckpointSequence) this.checkpoint(true);
    await this.journal.flush().catch(() => {});
    // Every durable command is acknowledged before close resolves, not a slice per turn.
    this.releaseDurable(Number.POSITIVE_INFINITY);
    // Frames gathered for the follower go before the stop message. The follower reports the hashes of
    // the checkpoint-due records it still had to reach before it stops.
    this.feed?.flush();
    const followerSequence = await this.follower?.stop({ finalSnapshot: healthy });
    if (healthy && this.deferredCheckpoints.length > 0) {
      // Reported hashes follow while the segment has room; any others wait for the next start, whose
      // recovery hashes those states again.
      while (this.deferredCheckpoints.length > 0 && this.journal.segmentRoomBytes >= checkpointRecordBytes) this.appendDeferredCheckpoint();
      await this.journal.flush().catch(() => {});
    }
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
  events: Pick<FollowerOptions, "onSnapshot" | "onFatal" | "onCheckpointHash">,
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

function checkNotGenesis(input: ExchangeCommandInput): LogCommandInput {
  if ((input as LogCommandInput | null | undefined)?.type === "genesis") {
    throw new CommandCodecError({ path: "command.type", reason: "a genesis command opens the log and is written by the node only" });
  }
  return input;
}

// The auth envelope is opaque to the node; only its type and size are checked. Returns its size.
function checkAuth(auth: Uint8Array, authBytesMax: number): number {
  if (!(auth instanceof Uint8Array)) {
    throw new NodeError({ shortMessage: "The auth envelope is not bytes.", details: "pass a Uint8Array (the signed request and its signature) or nothing" });
  }
  if (auth.length > authBytesMax) {
    throw new NodeError({ shortMessage: "The auth envelope is too large.", details: `it holds ${auth.length} bytes, at most ${authBytesMax} are accepted` });
  }
  return auth.length;
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

function replayForRecovery(
  source: LogSource,
  state: LogState,
  follower: Follower | undefined,
  onApplied: AppliedListener | undefined,
): ReturnType<typeof replayJournal> {
  // Read models see each replayed command; decoding the payload a second time costs only at start.
  const notify = (cursor: RecordCursor, result: CommandResult | undefined): void => {
    if (onApplied === undefined || cursor.kindCode !== commandKindCode || result === undefined) return;
    const record = cursor.record();
    if (record.kind !== "command") return;
    const command = commandOfRecord(record.sequence, record.time, record.payload);
    onApplied({ sequence: cursor.sequence, time: record.time, command, result, events: state.exchange.events, auth: record.auth, replaying: true });
  };
  if (follower === undefined) return replayJournal({ source, state, verifyCheckpoints: true, onRecord: notify });
  const frames = new FrameWriter();
  // The follower checks every checkpoint of these records (a mismatch stops the node); the node hashes
  // only at the last one, so it still refuses to go on from a state that departs from the log.
  const replayed = replayJournal({
    source,
    state,
    verifyCheckpoints: true,
    verifyCheckpointsFrom: Number(source.journal.lastCheckpointSequence),
    onRecord: (cursor, result) => {
      notify(cursor, result);
      // The records as the journal wrote them (the follower's frames are records; it skips auth envelopes).
      frames.addRecords(cursor.bytes.subarray(cursor.start, recordEndAt(cursor.bytes, cursor.start)));
      if (frames.byteLength >= recoveryFramesBytes) follower.send(frames.take());
    },
  });
  if (frames.byteLength > 0) follower.send(frames.take());
  return replayed;
}
