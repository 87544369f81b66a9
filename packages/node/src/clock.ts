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
  // Read once: `process.hrtime.bigint` uses no `this`, and two property loads a reading add up at a
  // reading per command.
  const monotonicNow = process.hrtime.bigint;
  let wallBaseMs = Date.now();
  const monotonicBase = monotonicNow();
  // Reading = monotonic + offset: one bigint addition per reading.
  let offset = BigInt(wallBaseMs) * nanosecondsPerMillisecond - monotonicBase;
  // The drift check runs in floating point, which allocates nothing (bigint arithmetic does): the
  // monotonic timer counts from boot, exact as a double for 104 days and within nanoseconds long
  // after, far finer than the millisecond the check is about.
  let monotonicBaseNs = Number(monotonicBase);
  // The next reading at or after this one compares the timers again. A bigint compared with a bigint:
  // converting every reading to a double cost more than the comparison (about 90 → 40 ns a reading,
  // with the hoisted timer above); it is made anew once a millisecond at most.
  let checkAt = monotonicBase + nanosecondsPerMillisecond;
  return () => {
    const monotonic = monotonicNow();
    // Date.now() moves once a millisecond, so it is compared once a millisecond at most: a wall-clock
    // step still shows within a millisecond, and a burst of commands reads the monotonic timer alone.
    if (monotonic < checkAt) return monotonic + offset;
    checkAt = monotonic + nanosecondsPerMillisecond;
    const monotonicNs = Number(monotonic);
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
