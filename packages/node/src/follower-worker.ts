// The follower thread: a second exchange that replays every durable command the node journals. It takes
// the slow, state-sized work off the node's thread — snapshots, and the state hash at every checkpoint-due
// record, which it reports for the node to journal as a deferred checkpoint — and checks every checkpoint
// the node records against its own state hash, which is replica verification in miniature: two exchanges
// fed the same log must agree at every checkpoint.
import assert from "node:assert/strict";
import { readlinkSync } from "node:fs";
import { getPriority, setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import { CheckpointMismatchError } from "./errors.ts";
import { commandKindCode } from "./journal/format.ts";
import { FrameCursor } from "./journal/frame-cursor.ts";
import type { RecordCursor } from "./journal/record-cursor.ts";
import type { FollowerStart, FromFollower, ToFollower } from "./follower-protocol.ts";
import { LogState } from "./log-state.ts";
import { replayRecords, type HeldCheckpoint } from "./replay.ts";
import { readSnapshotFile, writeSnapshotFile } from "./snapshot-file.ts";
import { pruneSnapshots } from "./snapshot-store.ts";
import { hexOf, stateHashBytes } from "./state-hash.ts";

const port = parentPort;
assert.ok(port !== null, "follower: must run in a worker thread");
const start = workerData as FollowerStart;

// The follower's work can wait, intake's cannot: when the cores are contended (two cores carry the
// node's thread, this one, the fdatasync pool and the garbage collectors' helpers), the node's thread
// should go first. A Linux thread's id comes from /proc/thread-self, and setpriority on it lowers this
// thread alone; elsewhere the follower keeps the default priority.
const followerNicenessAdded = 5;
const nicenessMax = 19;
function lowerThreadPriority(): void {
  try {
    const threadId = Number(readlinkSync("/proc/thread-self").split("/").at(-1));
    if (Number.isSafeInteger(threadId) && threadId > 0) setPriority(threadId, Math.min(nicenessMax, getPriority(threadId) + followerNicenessAdded));
  } catch {
    // Not Linux, or not permitted: the default priority is still correct, only less polite.
  }
}
lowerThreadPriority();

function send(message: FromFollower): void {
  port!.postMessage(message);
}

function startState(): LogState {
  if (start.snapshotFile === null) return new LogState();
  // The node restored this file and proved the restore faithful (it hashed back) a moment ago: the
  // follower checks the bytes (SHA-256) and skips the second pass over the state.
  const loaded = readSnapshotFile(start.snapshotFile, { rehash: false });
  // The node checked this file a moment ago; failing now means it changed underneath us.
  if (typeof loaded === "string") throw new Error(`follower: snapshot ${start.snapshotFile} unusable: ${loaded}`);
  return new LogState(loaded.exchange);
}

const started = performance.now();
const state = startState();
let lastSnapshotSequence = state.lastSequence;
let lastSnapshotAt = performance.now();
let diverged = false;
send({ type: "ready", sequence: state.lastSequence, milliseconds: Math.round(performance.now() - started) });

// The checkpoint that ended the last message, not compared yet (replay.ts, holdLastCheckpoint): the state
// is still the one it names until the next message is applied. A snapshot written before then is its
// check (the snapshot's hash is the state hash); otherwise it is hashed when the next message comes, at
// the next timer tick (a second at most), or at the stop. At shutdown the node's final checkpoint is such
// a record, and the final snapshot checks it: one pass over the state instead of two (seconds at scale).
let heldCheckpoint: HeldCheckpoint | undefined;

// Hashes in lowercase hex.
function diverge(sequence: number, expected: string, actual: string): void {
  // A diverged follower must not write snapshots: they would carry its (wrong or right) state.
  diverged = true;
  send({ type: "divergence", sequence, expected, actual });
}

// Compares a held checkpoint with the state's hash now.
function checkHeldCheckpoint(): void {
  const held = heldCheckpoint;
  if (held === undefined) return;
  heldCheckpoint = undefined;
  if (diverged) return;
  const actual = stateHashBytes(state.exchange);
  if (!Buffer.from(actual).equals(held.expected)) diverge(held.sequence, hexOf(held.expected), hexOf(actual));
}

function snapshot(reason: string): void {
  if (state.lastSequence <= lastSnapshotSequence) {
    checkHeldCheckpoint();
    return;
  }
  const held = heldCheckpoint;
  heldCheckpoint = undefined;
  const begun = performance.now();
  const written = held === undefined ? writeSnapshotFile(state.exchange, start.snapshotsDirectory) : writeSnapshotFile(state.exchange, start.snapshotsDirectory, { expectedHash: held.expected });
  if ("refused" in written) {
    diverge(held!.sequence, hexOf(held!.expected), hexOf(written.stateHash));
    return;
  }
  const removed = pruneSnapshots({ directory: start.snapshotsDirectory, keep: start.snapshotsKept });
  lastSnapshotSequence = written.sequence;
  lastSnapshotAt = performance.now();
  const milliseconds = Math.round(lastSnapshotAt - begun);
  send({ type: "snapshot", sequence: written.sequence, file: written.file, fileBytes: written.fileBytes, stateHash: hexOf(written.stateHash), milliseconds, removed });
  send({ type: "log", level: "info", object: { sequence: written.sequence, reason }, message: "follower: snapshot taken" });
}

// Hashes taken at checkpoint-due records, until their deferred checkpoint comes back in a later message.
const dueHashes = new Map<number, Uint8Array>();

function onRecord(cursor: RecordCursor, _result: unknown, dueHash: Uint8Array | undefined): void {
  if (dueHash !== undefined) send({ type: "checkpointHash", sequence: cursor.sequence, stateHash: dueHash });
  if (cursor.kindCode === commandKindCode && !diverged && state.lastSequence - lastSnapshotSequence >= start.snapshotEvery) snapshot("commands");
}

function snapshotIfDue(): void {
  if (diverged) return;
  if (state.lastSequence - lastSnapshotSequence >= start.snapshotEvery) snapshot("commands");
  else if (performance.now() - lastSnapshotAt >= start.snapshotIntervalMs) snapshot("interval");
}

function applyFrames(frames: Uint8Array): void {
  checkHeldCheckpoint();
  if (diverged) return;
  try {
    // A message can carry many batches (the node gathers them): snapshots stay every snapshotEvery
    // commands by checking after each command, not only after each message.
    // The frames are read in place (FrameCursor): no record object per command.
    const summary = replayRecords({ state, records: new FrameCursor(frames), verifyCheckpoints: true, dueHashes, onRecord, holdLastCheckpoint: true });
    heldCheckpoint = summary.heldCheckpoint;
  } catch (error) {
    if (!(error instanceof CheckpointMismatchError)) throw error;
    diverge(error.sequence, error.expected, error.actual);
  }
}

// Time-based snapshots also happen when no command arrives (checked once a second at most), and a held
// checkpoint is compared by then.
const timer = setInterval(() => {
  snapshotIfDue();
  checkHeldCheckpoint();
}, Math.min(start.snapshotIntervalMs, 1_000));

port.on("message", (message: ToFollower) => {
  if (message.type === "frames") {
    applyFrames(message.frames);
    send({ type: "applied", bytes: message.frames.byteLength });
    snapshotIfDue();
    return;
  }
  clearInterval(timer);
  if (message.finalSnapshot && !diverged) snapshot("shutdown");
  checkHeldCheckpoint();
  send({ type: "stopped", sequence: state.lastSequence });
  port.close();
});
