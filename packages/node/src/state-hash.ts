// The state hash the core defines (SHA-256 over `writeExchangeState`), computed with the platform's
// native SHA-256: the same digest as the core's `exchangeStateHash`, several times faster on millions
// of orders.
import { createHash } from "node:crypto";
import { writeExchangeState, type Exchange } from "@perpdex/core";

/**
 * The 32-byte state hash of `exchange`, equal to `exchangeStateHash(exchange)` from the core (in bytes,
 * not hex).
 *
 * @example
 * Buffer.from(stateHashBytes(exchange)).toString("hex") === exchangeStateHash(exchange); // true
 */
export function stateHashBytes(exchange: Exchange): Uint8Array {
  const hash = createHash("sha256");
  writeExchangeState(exchange, (chunk) => hash.update(chunk));
  return new Uint8Array(hash.digest());
}

/**
 * Lowercase hex of a state hash, as the core prints it.
 *
 * @example
 * hexOf(stateHashBytes(exchange)); // "9f86d0..."
 */
export function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}
