// The state hash the core defines (SHA-256 over `writeState`), computed with the platform's native
// SHA-256: the same digest as the core's `stateHash`, several times faster on millions of orders.
import { createHash } from "node:crypto";
import { writeState, type Engine } from "@perpdex/core";

/**
 * The 32-byte state hash of `engine`, equal to `stateHash(engine)` from the core (in bytes, not hex).
 *
 * @example
 * Buffer.from(stateHashBytes(engine)).toString("hex") === stateHash(engine); // true
 */
export function stateHashBytes(engine: Engine): Uint8Array {
  const hash = createHash("sha256");
  writeState(engine, (chunk) => hash.update(chunk));
  return new Uint8Array(hash.digest());
}

/**
 * Lowercase hex of a state hash, as the core prints it.
 *
 * @example
 * hexOf(stateHashBytes(engine)); // "9f86d0..."
 */
export function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}
