// Replay: journal records in, exchange state out. One loop serves recovery at start, the follower thread,
// `perpdex replay` and `perpdex verify`. It checks the log on the way — each command is the next sequence
// with a later time, each checkpoint follows its command, every payload decodes — and, when asked,
// compares the state hash at every checkpoint (and any other recorded hash) with the one recorded. A
// checkpoint recorded in two parts (journal/format.ts) is hashed at its checkpoint-due record and
// compared when its deferred checkpoint arrives. Records are read in place through a RecordCursor
// (journal/record-cursor.ts): a command costs its decode and one bigint (its time), no record object,
// payload view or sequence bigint.
import type { CommandResult } from "@perpdex/core";
import { CommandCodecError, decodeCommandBinary, type LogCommandInput } from "@perpdex/protocol";
import { CheckpointMismatchError, LogInvalidError } from "./errors.ts";
import { checkpointKindCode, commandKindCode, deferredCheckpointKindCode, recordHeaderBytes, recordPayloadBytesAt, recordTimeAt } from "./journal/format.ts";
import type { RecordCursor } from "./journal/record-cursor.ts";
import type { LogCommand, LogState } from "./log-state.ts";
import { hexOf, stateHashBytes } from "./state-hash.ts";

/**
 * The command a journal payload holds, stamped with the sequence and time of its record. Throws a
 * LogInvalidError when the payload is not a command: the record passed its checksum, so that is
 * corruption (or a writer bug), never a client's mistake.
 *
 * @example
 * state.apply(commandOfRecord(record.sequence, record.time, record.payload));
 */
export function commandOfRecord(sequence: bigint, time: bigint, payload: Uint8Array): LogCommand {
  return decodeStamped(payload, 0, payload.length, Number(sequence), time);
}

// The command in `bytes[start, end)` (read in place: no view), stamped. Arguments in the decoder's
// order, not an options object: this runs once per replayed command.
function decodeStamped(bytes: Uint8Array, start: number, end: number, sequence: number, time: bigint): LogCommand {
  let input: LogCommandInput;
  try {
    // The payload is the binary command encoding (journal format 2); the decoder checks every field.
    input = decodeCommandBinary(bytes, start, end);
  } catch (error) {
    if (!(error instanceof CommandCodecError)) throw error;
    throw new LogInvalidError({ sequence: BigInt(sequence), reason: `the record does not hold a command: ${error.message}` });
  }
  return stamp(input, sequence, time);
}

/**
 * Adds the sequencer's stamp to a command the caller owns (a freshly decoded one): no copy.
 *
 * @example
 * state.apply(stamp(decodeCommandBinary(payload), 42, time));
 */
export function stamp(input: LogCommandInput, sequence: number, time: bigint): LogCommand {
  const command = input as LogCommandInput & { sequence: number; time: bigint };
  command.sequence = sequence;
  command.time = time;
  return command as LogCommand;
}

export interface ReplayOptions {
  /** The state to apply the records to; the genesis command replaces its exchange. */
  readonly state: LogState;
  /** The records, read in place: `journal.read`, `readLog` and the follower's FrameCursor are cursors. */
  readonly records: RecordCursor;
  /** Hash the state at every checkpoint record and compare (a full state hash each). */
  readonly verifyCheckpoints: boolean;
  /**
   * With `verifyCheckpoints`: hash only at checkpoint and checkpoint-due records of this sequence or
   * later (default 0: all). Recovery with a follower passes the log's last checkpoint: the follower
   * replays the same records and checks every one of them off the node's thread, and a full state hash
   * per checkpoint, seconds at millions of orders, would hold up the start that long. Checkpoint-due
   * records before it are listed in `dueUnhashed` until their deferred checkpoint is read.
   */
  readonly verifyCheckpointsFrom?: number;
  /** More recorded hashes to compare against, by sequence (snapshot headers). */
  readonly referenceHashes?: ReadonlyMap<number, Uint8Array>;
  /** Stop once this sequence is applied. */
  readonly toSequence?: number;
  /**
   * State hashes taken at checkpoint-due records and not yet matched with their deferred checkpoint, by
   * sequence: pass the same map to consecutive replays of one log (the follower's messages), since a
   * deferred checkpoint can come in a later one. Default: a map of this replay's own.
   */
  readonly dueHashes?: Map<number, Uint8Array>;
  /**
   * Called with every record after it is applied (commands, with the command's result) or checked
   * (checkpoints, result undefined), the cursor standing on it: read what is needed before returning
   * (`cursor.record()` builds the record as an object), as the cursor moves on. For a checkpoint-due
   * record, `dueHash` is the hash taken there (when verifying).
   */
  readonly onRecord?: (cursor: RecordCursor, result: CommandResult | undefined, dueHash?: Uint8Array) => void;
  /**
   * With `verifyCheckpoints`: a checkpoint record is compared when the next record is read rather than
   * at once (the state cannot change in between), and one that ends the records is not compared here
   * but returned as `heldCheckpoint`, for the caller to compare with the hash of a snapshot it writes
   * of that state anyway (the follower's at shutdown: one pass over the state instead of two).
   */
  readonly holdLastCheckpoint?: boolean;
}

/** A checkpoint record read but not yet compared: the state is still the one it names. */
export interface HeldCheckpoint {
  readonly sequence: number;
  /** The recorded hash (a copy). */
  readonly expected: Uint8Array;
}

/** What a replay went through. */
export interface ReplaySummary {
  readonly commands: number;
  /** Checkpoints and deferred checkpoints read (checked against the state when verifying). */
  readonly checkpoints: number;
  /** Checkpoint-due records read. */
  readonly checkpointsDue: number;
  /**
   * When verifying: the hashes taken at checkpoint-due records whose deferred checkpoint has not been
   * read (yet), by sequence; the `dueHashes` map.
   */
  readonly dueHashes: ReadonlyMap<number, Uint8Array>;
  /**
   * The checkpoint-due records before `verifyCheckpointsFrom` whose deferred checkpoint was not read: no
   * hash was taken there, so the log's checkpoint for them has to come from another replay (the follower's).
   */
  readonly dueUnhashed: ReadonlySet<number>;
  /** Checkpoint and checkpoint-due records before `verifyCheckpointsFrom`, which this replay did not hash. */
  readonly checkpointsNotHashed: number;
  readonly hashesVerified: number;
  /** The last sequence whose recorded hash was compared and matched; 0 when none. */
  readonly lastMatchingSequence: number;
  /** With `holdLastCheckpoint`: the checkpoint that ended the records, not compared; else undefined. */
  readonly heldCheckpoint: HeldCheckpoint | undefined;
}

/**
 * Applies the records to the state, in order, from its next sequence. Throws a LogInvalidError when
 * the log is broken and a CheckpointMismatchError at the first recorded hash that the replayed state
 * does not reach.
 *
 * @example
 * const summary = replayRecords({ state, records: readLog(source, 1n), verifyCheckpoints: true });
 */
export function replayRecords(options: ReplayOptions): ReplaySummary {
  const { state, records, referenceHashes, onRecord } = options;
  const toSequence = options.toSequence ?? Number.MAX_SAFE_INTEGER;
  const dueHashes = options.dueHashes ?? new Map<number, Uint8Array>();
  const dueUnhashed = new Set<number>();
  // Records before this sequence are checked for their place but not hashed.
  const hashFrom = options.verifyCheckpoints ? (options.verifyCheckpointsFrom ?? 0) : Number.POSITIVE_INFINITY;
  const summary = {
    commands: 0,
    checkpoints: 0,
    checkpointsDue: 0,
    dueHashes,
    dueUnhashed,
    checkpointsNotHashed: 0,
    hashesVerified: 0,
    lastMatchingSequence: 0,
    heldCheckpoint: undefined as HeldCheckpoint | undefined,
  };
  try {
    // Bounded by the records: every pass consumes one.
    while (records.advance()) {
      // A held checkpoint is compared before anything after it is applied.
      const held = summary.heldCheckpoint;
      if (held !== undefined) {
        summary.heldCheckpoint = undefined;
        compareHash(held.sequence, stateHashBytes(state.exchange), held.expected, summary);
      }
      const kindCode = records.kindCode;
      const sequence = records.sequence;
      // Stop before the first command past the end, so a checkpoint of the last command is still checked.
      if (kindCode === commandKindCode && sequence > toSequence) break;
      let result: CommandResult | undefined;
      let dueHash: Uint8Array | undefined;
      if (kindCode === commandKindCode) {
        result = applyCommandAt(state, records);
        summary.commands += 1;
        const reference = referenceHashes?.get(sequence);
        if (reference !== undefined) compareHash(state.lastSequence, stateHashBytes(state.exchange), reference, summary);
      } else if (kindCode === checkpointKindCode) {
        checkCheckpointPlace(state, sequence);
        summary.checkpoints += 1;
        if (state.lastSequence < hashFrom) {
          if (options.verifyCheckpoints) summary.checkpointsNotHashed += 1;
        } else if (options.holdLastCheckpoint === true) {
          summary.heldCheckpoint = { sequence: state.lastSequence, expected: recordedHashAt(records).slice() };
        } else {
          compareHash(state.lastSequence, stateHashBytes(state.exchange), recordedHashAt(records), summary);
        }
      } else if (kindCode === deferredCheckpointKindCode) {
        checkDeferredPlace(state, sequence);
        summary.checkpoints += 1;
        dueUnhashed.delete(sequence);
        const taken = dueHashes.get(sequence);
        // Without the hash taken at its due record (a replay that started after it), nothing to compare.
        if (options.verifyCheckpoints && taken !== undefined) {
          dueHashes.delete(sequence);
          compareHash(sequence, taken, recordedHashAt(records), summary);
        }
      } else {
        checkCheckpointPlace(state, sequence);
        summary.checkpointsDue += 1;
        if (state.lastSequence >= hashFrom) {
          dueHash = stateHashBytes(state.exchange);
          dueHashes.set(state.lastSequence, dueHash);
        } else if (options.verifyCheckpoints) {
          dueUnhashed.add(state.lastSequence);
          summary.checkpointsNotHashed += 1;
        }
      }
      onRecord?.(records, result, dueHash);
    }
  } finally {
    // After a break or a throw: the reader's files are closed (at the end it closed them itself).
    records.close();
  }
  return summary;
}

// Checks the place of the command the cursor stands on, then decodes it in place and applies it.
function applyCommandAt(state: LogState, cursor: RecordCursor): CommandResult {
  const time = recordTimeAt(cursor.bytes, cursor.start);
  checkCommandPlace(state, cursor.sequence, time);
  return state.apply(commandAt(cursor, time));
}

/**
 * The command the cursor stands on, decoded in place and stamped (with `time`, its record's time, when
 * the caller has read it already): replay's decode, without applying it or checking its place.
 *
 * @example
 * while (records.advance()) if (records.kindCode === commandKindCode) commands.push(commandAt(records));
 */
export function commandAt(cursor: RecordCursor, time = recordTimeAt(cursor.bytes, cursor.start)): LogCommand {
  const payloadStart = cursor.start + recordHeaderBytes;
  return decodeStamped(cursor.bytes, payloadStart, payloadStart + recordPayloadBytesAt(cursor.bytes, cursor.start), cursor.sequence, time);
}

// The state hash a checkpoint or deferred checkpoint record carries (a view of the cursor's bytes).
function recordedHashAt(cursor: RecordCursor): Uint8Array {
  const payloadStart = cursor.start + recordHeaderBytes;
  return cursor.bytes.subarray(payloadStart, payloadStart + recordPayloadBytesAt(cursor.bytes, cursor.start));
}

// The journal checks order inside each source; this checks it across sources (archive to live, snapshot
// to journal) with the state as the reference, before the core's own asserts would stop the process.
function checkCommandPlace(state: LogState, sequence: number, time: bigint): void {
  if (sequence !== state.lastSequence + 1) {
    throw new LogInvalidError({ sequence: BigInt(sequence), reason: `expected sequence ${state.lastSequence + 1}: the log has a gap or overlap` });
  }
  if (time <= state.lastTime) {
    throw new LogInvalidError({ sequence: BigInt(sequence), reason: `time ${time} does not exceed the previous time ${state.lastTime}` });
  }
}

function checkCheckpointPlace(state: LogState, sequence: number): void {
  if (sequence !== state.lastSequence) {
    throw new LogInvalidError({ sequence: BigInt(sequence), reason: `a checkpoint for sequence ${sequence} follows command ${state.lastSequence}` });
  }
}

function checkDeferredPlace(state: LogState, sequence: number): void {
  if (sequence < 1 || sequence > state.lastSequence) {
    throw new LogInvalidError({ sequence: BigInt(sequence), reason: `a deferred checkpoint of sequence ${sequence} follows command ${state.lastSequence}` });
  }
}

// `actual` is the replayed state's hash after command `sequence`.
function compareHash(sequence: number, actual: Uint8Array, expected: Uint8Array, summary: { hashesVerified: number; lastMatchingSequence: number }): void {
  if (!Buffer.from(actual).equals(expected)) {
    throw new CheckpointMismatchError({
      sequence,
      expected: hexOf(expected),
      actual: hexOf(actual),
      lastMatchingSequence: summary.lastMatchingSequence,
    });
  }
  summary.hashesVerified += 1;
  // A deferred checkpoint can name a command before one already matched.
  summary.lastMatchingSequence = Math.max(summary.lastMatchingSequence, sequence);
}
