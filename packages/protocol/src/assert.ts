/**
 * Internal assertion helpers (not exported from the package).
 *
 * A failed assertion means a bug in the caller, for example an invalid tick size in a market's
 * configuration, never a bad value from a client: client input is answered with a `Rejection`.
 * Protocol code runs in browsers as well as in Node, so it cannot lean on `node:assert`.
 */
export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) {
    fail(message);
  }
}

/** Stops with an assertion failure; for checks whose message is costly to build, built only here. */
export function fail(message: string): never {
  throw new Error(`@perpdex/protocol assertion failed: ${message}`);
}
