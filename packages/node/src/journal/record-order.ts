// SequenceChecker's rules in numbers, for the loops that read every record (recovery's scan on open,
// replay): the sequence as a number (sequences stay below 2^53; the format refuses a larger one) and the
// time as its two u32 halves, so a record in order costs no bigint and no object. A record it refuses
// is explained by a SequenceChecker in the same state (`checker()`), so the reasons are exactly those
// every other reader gives.
import assert from 'node:assert/strict';
import { commandKindCode, deferredCheckpointKindCode, type RecordKind } from './format.ts';
import { SequenceChecker, type SequencePosition } from './sequence-checker.ts';

const twoTo32 = 0x1_0000_0000;

/** The order of a journal so far, with `take` for the next record's fields (read off its header). */
export class RecordOrder {
  /** The sequence the next command must carry. */
  nextSequence: number;
  /** The last command's time (or the time the order started from), as two u32 halves. */
  lastTimeHigh: number;
  lastTimeLow: number;
  // A checkpoint (or checkpoint-due record) may follow only a command taken here, once per sequence.
  private lastCheckpointSequence: number;

  /** The order a SequenceChecker is at (its sequences must stay below 2^53). */
  constructor(checker: SequenceChecker) {
    assert.ok(checker.nextSequence <= BigInt(Number.MAX_SAFE_INTEGER));
    this.nextSequence = Number(checker.nextSequence);
    this.lastCheckpointSequence = Number(checker.checkpointSequence);
    this.lastTimeHigh = Number(checker.lastTime >> 32n);
    this.lastTimeLow = Number(checker.lastTime & 0xffff_ffffn);
  }

  /**
   * Takes the next record when it may come next (SequenceChecker.take in numbers); false, changing
   * nothing, when it may not.
   */
  take(kindCode: number, sequence: number, timeHigh: number, timeLow: number): boolean {
    if (kindCode === commandKindCode) {
      if (sequence !== this.nextSequence) return false;
      if (timeHigh < this.lastTimeHigh || (timeHigh === this.lastTimeHigh && timeLow <= this.lastTimeLow)) return false;
      this.nextSequence = sequence + 1;
      this.lastTimeHigh = timeHigh;
      this.lastTimeLow = timeLow;
      return true;
    }
    // Every other record carries the last command's time.
    if (timeHigh !== this.lastTimeHigh || timeLow !== this.lastTimeLow) return false;
    // A deferred checkpoint names any earlier command; several may follow one command.
    if (kindCode === deferredCheckpointKindCode) return sequence >= 1 && sequence <= this.nextSequence - 1;
    // A checkpoint or checkpoint-due record: right behind its command, one per command.
    if (sequence !== this.nextSequence - 1 || sequence <= this.lastCheckpointSequence) return false;
    this.lastCheckpointSequence = sequence;
    return true;
  }

  /** The last command's time (or the starting time) as a bigint. */
  get lastTime(): bigint {
    return BigInt(this.lastTimeHigh) * BigInt(twoTo32) + BigInt(this.lastTimeLow);
  }

  /** Where the order stands, as a SequenceChecker's position (for a seek point). */
  position(): SequencePosition {
    return { nextSequence: BigInt(this.nextSequence), lastTime: this.lastTime, checkpointSequence: BigInt(this.lastCheckpointSequence) };
  }

  /** A SequenceChecker in this state: to explain a refusal, or to carry the order on. */
  checker(): SequenceChecker {
    const lastTime = this.lastTime;
    const checker = new SequenceChecker({ firstSequence: BigInt(this.lastCheckpointSequence + 1), previousTime: lastTime });
    this.carryInto(checker, lastTime);
    return checker;
  }

  /** Moves `checker` on to this order (it was the checker this order started from, or one behind it). */
  carryInto(checker: SequenceChecker, lastTime = this.lastTime): void {
    checker.advance({ nextSequence: BigInt(this.nextSequence), lastTime, checkpointSequence: BigInt(this.lastCheckpointSequence) });
  }

  /** Why the record with these fields may not come next (the caller's `take` refused it). */
  problem(kind: RecordKind, sequence: bigint, time: bigint): string {
    const problem = this.checker().problem(kind, sequence, time);
    assert.ok(problem !== undefined, 'the numeric order refused a record the sequence checker accepts');
    return problem;
  }
}
