// One definition of "a well-ordered journal", used on both sides of the disk: the writer asserts it
// before a record is encoded, and every reader (recovery on open, replay) checks it again after the
// record is decoded. Invariant 6 of the design: sequences have no gaps, exchange time strictly increases.
import assert from 'node:assert/strict';
import type { RecordKind } from './format.ts';

/** Where a checker starts: the first sequence expected and the time that the next command must exceed. */
export interface SequenceCheckerStart {
  readonly firstSequence: bigint;
  readonly previousTime: bigint;
}

/** Where a checker stands after some records: what `advance` moves it to. */
export interface SequencePosition {
  readonly nextSequence: bigint;
  readonly lastTime: bigint;
  readonly checkpointSequence: bigint;
}

/** Tracks the order of records and says what is wrong with the next one, if anything. */
export class SequenceChecker {
  /** The sequence the next command record must carry. */
  nextSequence: bigint;
  /** The time of the last command accepted (or the previous time the checker started from). */
  lastTime: bigint;
  // A checkpoint (or checkpoint-due record) may follow only a command seen by this checker, once per
  // sequence. Starting at firstSequence - 1 forbids one before the first command. Deferred checkpoints
  // do not count: they name an earlier command, and several may follow one command.
  private lastCheckpointSequence: bigint;

  constructor(start: SequenceCheckerStart) {
    assert.ok(start.firstSequence >= 1n);
    assert.ok(start.previousTime >= 0n);
    this.nextSequence = start.firstSequence;
    this.lastTime = start.previousTime;
    this.lastCheckpointSequence = start.firstSequence - 1n;
  }

  /** The sequence of the last checkpoint accepted; `firstSequence - 1` before any. */
  get checkpointSequence(): bigint {
    return this.lastCheckpointSequence;
  }

  /**
   * Moves the checker past records a caller has already checked by the same rules (recovery's
   * allocation-free scan of a whole segment; a reader starting at a seek point that scan recorded), as
   * if each had been passed to `take`.
   */
  advance(position: SequencePosition): void {
    assert.ok(position.nextSequence >= this.nextSequence && position.lastTime >= this.lastTime);
    assert.ok(position.checkpointSequence >= this.lastCheckpointSequence && position.checkpointSequence < position.nextSequence);
    this.nextSequence = position.nextSequence;
    this.lastTime = position.lastTime;
    this.lastCheckpointSequence = position.checkpointSequence;
  }

  /** Where the checker stands: a later checker of the same journal can be moved here with `advance`. */
  position(): SequencePosition {
    return { nextSequence: this.nextSequence, lastTime: this.lastTime, checkpointSequence: this.lastCheckpointSequence };
  }

  /** The sequence of the last command accepted; `firstSequence - 1` before any. */
  get lastSequence(): bigint {
    return this.nextSequence - 1n;
  }

  /** Why a record with these fields may not come next, or undefined when it may. */
  problem(kind: RecordKind, sequence: bigint, time: bigint): string | undefined {
    if (kind === 'command') {
      if (sequence !== this.nextSequence) return `command sequence ${sequence}, expected ${this.nextSequence}`;
      if (time <= this.lastTime) return `command time ${time} does not exceed the previous time ${this.lastTime}`;
      return undefined;
    }
    if (kind === 'deferredCheckpoint') {
      // The hash of an earlier command's state, recorded wherever the log has got to.
      if (sequence < 1n || sequence > this.lastSequence) return `deferred checkpoint of sequence ${sequence}, after command ${this.lastSequence}`;
      if (time !== this.lastTime) return `deferred checkpoint time ${time}, expected the last command's time ${this.lastTime}`;
      return undefined;
    }
    // A checkpoint or a checkpoint-due record: right behind its command, one of them per command.
    const name = kind === 'checkpoint' ? 'checkpoint' : 'checkpoint-due record';
    if (sequence !== this.lastSequence) return `${name} sequence ${sequence}, expected ${this.lastSequence}`;
    if (sequence <= this.lastCheckpointSequence) return `${name} at sequence ${sequence} without a command before it`;
    if (time !== this.lastTime) return `${name} time ${time}, expected the command's time ${this.lastTime}`;
    return undefined;
  }

  /**
   * Takes the next record: returns why it may not come next (and changes nothing), or undefined after
   * advancing past it.
   */
  take(kind: RecordKind, sequence: bigint, time: bigint): string | undefined {
    const problem = this.problem(kind, sequence, time);
    if (problem !== undefined) return problem;
    if (kind === 'command') {
      this.nextSequence = sequence + 1n;
      this.lastTime = time;
    } else if (kind !== 'deferredCheckpoint') {
      this.lastCheckpointSequence = sequence;
    }
    return undefined;
  }
}
