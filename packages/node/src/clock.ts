// The node owns the clock (the core never reads one). Exchange time is nanoseconds since the epoch.
// Date.now() follows the wall clock (NTP steps included) but only to the millisecond; the monotonic
// high-resolution timer gives the nanoseconds in between. The two are re-aligned whenever they drift
// apart by more than a millisecond, so a wall-clock step shows up in the readings (and the sequencer
// can report it) instead of being hidden by the monotonic timer.

/** A wall-clock reading in nanoseconds since the Unix epoch. */
export type Clock = () => bigint;

const nanosecondsPerMillisecond = 1_000_000n;
// Date.now() truncates to the millisecond, so an aligned estimate runs up to 1 ms ahead of it.
const driftNsMax = 2n * nanosecondsPerMillisecond;

/**
 * The system wall clock with nanosecond resolution.
 *
 * @example
 * const clock = createSystemClock();
 * const now = clock(); // e.g. 1767225600123456789n
 */
export function createSystemClock(): Clock {
  let wallBase = BigInt(Date.now()) * nanosecondsPerMillisecond;
  let monotonicBase = process.hrtime.bigint();
  return () => {
    const estimate = wallBase + (process.hrtime.bigint() - monotonicBase);
    const wall = BigInt(Date.now()) * nanosecondsPerMillisecond;
    const drift = estimate - wall;
    if (drift >= 0n && drift <= driftNsMax) return estimate;
    // The wall clock stepped (or the timers drifted): follow the wall clock from here.
    wallBase = wall;
    monotonicBase = process.hrtime.bigint();
    return wall;
  };
}
