// The node's handle on its follower thread (follower-worker.ts): starts it, hands it frames, relays what
// it reports, and stops it.
import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";
import type { FollowerStart, FromFollower, ToFollower } from "./follower-protocol.ts";
import type { NodeLogger } from "./logger.ts";

/** A snapshot the follower wrote. */
export type SnapshotReport = Extract<FromFollower, { type: "snapshot" }>;

export interface FollowerOptions extends FollowerStart {
  readonly logger: NodeLogger;
  readonly onSnapshot: (report: SnapshotReport) => void;
  /** The follower failed or its state diverged from the node's: the node must stop. */
  readonly onFatal: (error: Error) => void;
  /** The follower hashed the state at a checkpoint-due record. */
  readonly onCheckpointHash: (sequence: number, stateHash: Uint8Array) => void;
}

const workerUrl = new URL("./follower-bootstrap.mjs", import.meta.url);
// Frames posted but not yet applied. A follower this far behind (a huge state with frequent snapshots on
// a busy machine) is stopped rather than left to hold ever more memory; the journal stays the truth,
// and snapshots resume at the next start.
const backlogBytesMax = 512 * 1024 * 1024;

/**
 * A running follower thread.
 *
 * @example
 * const follower = Follower.start({ snapshotsDirectory, snapshotFile: null, snapshotEvery: 1_000_000, snapshotIntervalMs: 300_000, snapshotsKept: 3, logger, onSnapshot, onFatal });
 * follower.send(frames);
 * await follower.stop({ finalSnapshot: true });
 */
export class Follower {
  private readonly worker: Worker;
  private readonly options: FollowerOptions;
  private stopped: Promise<number> | undefined;
  private resolveStopped: ((sequence: number) => void) | undefined;
  private exited = false;
  private backlogBytes = 0;
  private lagging = false;

  private constructor(options: FollowerOptions) {
    this.options = options;
    const { logger: _logger, onSnapshot: _onSnapshot, onFatal: _onFatal, onCheckpointHash: _onCheckpointHash, ...start } = options;
    this.worker = new Worker(workerUrl, { workerData: start satisfies FollowerStart });
    this.worker.on("message", (message: FromFollower) => this.receive(message));
    this.worker.on("error", (error) => this.fatal(error));
    this.worker.on("exit", (code) => this.exit(code));
  }

  static start(options: FollowerOptions): Follower {
    return new Follower(options);
  }

  /** Hands over framed records (feed.ts); the buffer is transferred, not copied. */
  send(frames: Uint8Array): void {
    if (this.exited || this.lagging || this.stopped !== undefined) return;
    assert.equal(frames.byteOffset, 0);
    this.backlogBytes += frames.byteLength;
    if (this.backlogBytes > backlogBytesMax) {
      this.lagging = true;
      this.options.logger.error({ backlogBytes: this.backlogBytes }, "follower: too far behind; stopped, no snapshots until the next start");
      void this.terminate();
      return;
    }
    const message: ToFollower = { type: "frames", frames };
    this.worker.postMessage(message, [frames.buffer as ArrayBuffer]);
  }

  /** Whether the follower still takes frames (it has not exited, fallen too far behind or been stopped). */
  get active(): boolean {
    return !this.exited && !this.lagging && this.stopped === undefined;
  }

  /** Waits for the follower to apply everything sent, optionally snapshot, and exit. */
  stop(options: { finalSnapshot: boolean }): Promise<number> {
    if (this.stopped !== undefined) return this.stopped;
    this.stopped = new Promise<number>((resolve) => {
      this.resolveStopped = resolve;
    });
    if (this.exited) this.resolveStopped!(-1);
    else this.worker.postMessage({ type: "stop", finalSnapshot: options.finalSnapshot } satisfies ToFollower);
    return this.stopped;
  }

  /** Stops the thread at once, for a node that is failing anyway. */
  async terminate(): Promise<void> {
    if (!this.exited) await this.worker.terminate();
  }

  private receive(message: FromFollower): void {
    const logger = this.options.logger;
    switch (message.type) {
      case "ready":
        logger.info({ sequence: message.sequence, milliseconds: message.milliseconds }, "follower: ready");
        return;
      case "applied":
        this.backlogBytes -= message.bytes;
        return;
      case "snapshot":
        this.options.onSnapshot(message);
        return;
      case "checkpointHash":
        this.options.onCheckpointHash(message.sequence, message.stateHash);
        return;
      case "divergence":
        logger.error({ sequence: message.sequence, expected: message.expected, actual: message.actual }, "follower: state hash differs from the node's checkpoint");
        this.options.onFatal(new Error(`follower diverged at sequence ${message.sequence}: node ${message.expected}, follower ${message.actual}`));
        return;
      case "log":
        logger[message.level](message.object, message.message);
        return;
      case "stopped":
        this.resolveStopped?.(message.sequence);
        return;
    }
  }

  private fatal(error: Error): void {
    this.options.logger.error({ error: error.message }, "follower: failed");
    this.options.onFatal(error);
  }

  private exit(code: number): void {
    this.exited = true;
    // Unblocks a stop() whose worker died first.
    this.resolveStopped?.(-1);
    if (code !== 0 && this.stopped === undefined && !this.lagging) this.fatal(new Error(`follower exited with code ${code}`));
  }
}
