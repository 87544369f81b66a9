// The sequencer gives every command its global sequence number (gapless, from 1) and its exchange time
// (SPEC 13 §6): the wall clock, but never less than one nanosecond after the previous command, so time
// strictly increases even when the wall clock steps back. A step back larger than a bound is an
// operational problem (exchange time now runs ahead of real time) and is logged as an error.
import assert from "node:assert/strict";
import type { Clock } from "./clock.ts";
import type { NodeLogger } from "./logger.ts";

export interface SequencerOptions {
  /** The last sequence in the log (0 for an empty log). */
  readonly lastSequence: number;
  /** The exchange time of that command (0n for an empty log). */
  readonly lastTime: bigint;
  readonly clock: Clock;
  /** Exchange time running ahead of the wall clock by more than this is logged as an error. */
  readonly clockStepBackWarnNs: bigint;
  readonly logger: NodeLogger;
}

/** A command's place in the log. */
export interface Stamp {
  readonly sequence: number;
  readonly time: bigint;
}

/**
 * Stamps commands with their sequence number and exchange time.
 *
 * @example
 * const sequencer = new Sequencer({ lastSequence: 0, lastTime: 0n, clock, clockStepBackWarnNs: 1_000_000_000n, logger });
 * const { sequence, time } = sequencer.next(); // sequence 1
 */
export class Sequencer {
  private lastSequenceValue: number;
  private lastTimeValue: bigint;
  private readonly clock: Clock;
  private readonly clockStepBackWarnNs: bigint;
  private readonly logger: NodeLogger;
  // Whether exchange time is currently ahead of the wall clock by more than the bound (logged once).
  private ahead = false;

  constructor(options: SequencerOptions) {
    assert.ok(Number.isSafeInteger(options.lastSequence) && options.lastSequence >= 0);
    assert.ok(options.lastTime >= 0n);
    assert.ok(options.clockStepBackWarnNs > 0n);
    this.lastSequenceValue = options.lastSequence;
    this.lastTimeValue = options.lastTime;
    this.clock = options.clock;
    this.clockStepBackWarnNs = options.clockStepBackWarnNs;
    this.logger = options.logger;
  }

  get lastSequence(): number {
    return this.lastSequenceValue;
  }

  get lastTime(): bigint {
    return this.lastTimeValue;
  }

  /** The next sequence number and an exchange time after every earlier one. */
  next(): Stamp {
    this.advance();
    return { sequence: this.lastSequenceValue, time: this.lastTimeValue };
  }

  /** `next` without the stamp object (the node's hot path): read `lastSequence` and `lastTime` after. */
  advance(): void {
    const wall = this.clock();
    const last = this.lastTimeValue;
    // Bigint arithmetic allocates: the common case (the clock moved on) needs none.
    let time: bigint;
    if (wall > last) {
      time = wall;
      if (this.ahead) this.caughtUp(wall);
    } else {
      time = last + 1n;
      this.checkStepBack(wall);
    }
    this.lastSequenceValue += 1;
    this.lastTimeValue = time;
  }

  // Logs once when exchange time gets ahead of the wall clock by more than the bound; `caughtUp` logs
  // once when the wall clock has caught up again. In between every command still gets a strictly later
  // time.
  private checkStepBack(wall: bigint): void {
    const aheadNs = this.lastTimeValue - wall;
    if (!this.ahead && aheadNs > this.clockStepBackWarnNs) {
      this.ahead = true;
      this.logger.error(
        { wallClockNs: wall.toString(), exchangeTimeNs: this.lastTimeValue.toString(), stepBackNs: aheadNs.toString() },
        "sequencer: wall clock stepped back; exchange time runs ahead of it until it catches up",
      );
    } else if (this.ahead && aheadNs <= 0n) {
      this.caughtUp(wall);
    }
  }

  private caughtUp(wall: bigint): void {
    this.ahead = false;
    this.logger.info({ wallClockNs: wall.toString() }, "sequencer: wall clock caught up with exchange time");
  }
}
