// Checks shared by recovery and replay, so both refuse exactly the same journals.
import type { SegmentHeader } from './format.ts';
import type { SequenceChecker } from './sequence-checker.ts';

/** Where a segment sits: its expected first sequence (from the name) and the segment before it, if read. */
export interface SegmentPlace {
  readonly firstSequence: bigint;
  /** The checker that read the segment before this one; undefined when this is the first one read. */
  readonly previous: SequenceChecker | undefined;
}

/** Why a segment header does not continue the journal where `place` says it must, or undefined. */
export function segmentHeaderProblem(header: SegmentHeader, place: SegmentPlace): string | undefined {
  if (header.firstSequence !== place.firstSequence) {
    return `segment header says first sequence ${header.firstSequence}, its name says ${place.firstSequence}`;
  }
  if (header.firstSequence === 1n && header.previousTime !== 0n) {
    return `the first segment has previous time ${header.previousTime}, expected 0`;
  }
  if (place.previous === undefined) return undefined;
  if (header.firstSequence !== place.previous.nextSequence) {
    return `segment starts at sequence ${header.firstSequence}, expected ${place.previous.nextSequence}: a segment is missing or out of place`;
  }
  if (header.previousTime !== place.previous.lastTime) {
    return `segment previous time ${header.previousTime}, expected ${place.previous.lastTime}`;
  }
  return undefined;
}
