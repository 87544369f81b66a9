// The node owns the clock (the core never reads one). Exchange time is nanoseconds since the epoch.
// Date.now() follows the wall clock (NTP steps included) but only to the millisecond; the monotonic
// high-resolution timer gives the nanoseconds in between. The two are compared at most once a
// millisecond and re-aligned whenever they drift apart by more than a millisecond, so a wall-clock step
// shows up in the readings (and the sequencer can report it) instead of being hidden by the monotonic
// timer.

/** A wall-clock reading in nanoseconds since the Unix epoch. */
export type Clock = () => bigint;

const nanosecondsPerMillisecond = 1_000_000n;
const nanosecondsPerMillisecondNumber = 1_000_000;
// Date.now() truncates to the millisecond, so an aligned estimate runs up to 1 ms ahead of it.
const driftMsMax = 2;

/**
 * The system wall clock with nanosecond resolution.
 *
 * @example
 * const clock = createSystemClock();
 * const now = clock(); // e.g. 1767225600123456789n
 */
export function createSystemClock(): Clock {
  let wallBaseMs = Date.now();
  const monotonicBase = process.hrtime.bigint();
  // Reading = monotonic + offset: one bigint addition per reading.
  let offset = BigInt(wallBaseMs) * nanosecondsPerMillisecond - monotonicBase;
  // The drift check runs in floating point, which allocates nothing (bigint arithmetic does): the
  // monotonic timer counts from boot, exact as a double for 104 days and within nanoseconds long
  // after, far finer than the millisecond the check is about.
  let monotonicBaseNs = Number(monotonicBase);
  let checkedAtNs = monotonicBaseNs;
  return () => {
    const monotonic = process.hrtime.bigint();
    const monotonicNs = Number(monotonic);
    // Date.now() moves once a millisecond, so it is compared once a millisecond at most: a wall-clock
    // step still shows within a millisecond, and a burst of commands reads the monotonic timer alone.
    if (monotonicNs - checkedAtNs < nanosecondsPerMillisecondNumber) return monotonic + offset;
    checkedAtNs = monotonicNs;
    const wallMs = Date.now();
    const driftMs = wallBaseMs - wallMs + (monotonicNs - monotonicBaseNs) / nanosecondsPerMillisecondNumber;
    if (driftMs >= 0 && driftMs <= driftMsMax) return monotonic + offset;
    // The wall clock stepped (or the timers drifted): follow the wall clock from here.
    wallBaseMs = wallMs;
    monotonicBaseNs = monotonicNs;
    offset = BigInt(wallMs) * nanosecondsPerMillisecond - monotonic;
    return monotonic + offset;
  };
}
