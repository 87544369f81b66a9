/**
 * The order book checksum of the WebSocket `book` channel.
 *
 * Every book message (snapshot and update) carries `checksum`: the CRC-32 (IEEE 802.3, the zlib and
 * PNG polynomial 0xEDB88320, as an unsigned 32-bit integer) of the ASCII text built from the top
 * `bookChecksumLevels` (25) levels of each side, best first, interleaved bid then ask:
 *
 *   bid₁.price ":" bid₁.size ":" ask₁.price ":" ask₁.size ":" bid₂.price ":" … 
 *
 * Prices and sizes are written exactly as the wire carries them (canonical decimal strings, e.g.
 * "95000.5", "0.001"). When one side has fewer levels, its missing entries are skipped (the other
 * side's levels continue); an empty book is the empty text, checksum 0. This is the scheme OKX and
 * Kraken use, so a client that keeps a local book from deltas can prove after every message that its
 * top levels equal the server's, and resynchronise from a fresh snapshot when they do not.
 */

/**
 * How many levels of each side the checksum covers.
 *
 * @example
 * ```ts
 * import { bookChecksumLevels } from "@perpdex/protocol";
 * bookChecksumLevels; // => 25
 * ```
 */
export const bookChecksumLevels = 25;

/**
 * One price level as the wire carries it: `[price, size]`, both canonical decimal strings.
 *
 * @example
 * ```ts
 * import type { BookLevel } from "@perpdex/protocol";
 * const level: BookLevel = ["95000.5", "1.25"];
 * ```
 */
export type BookLevel = readonly [price: string, size: string];

const crcTable: Uint32Array = buildCrcTable();

function buildCrcTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let byte = 0; byte < 256; byte += 1) {
    let value = byte;
    for (let bit = 0; bit < 8; bit += 1) value = value & 1 ? 0xedb88320 ^ (value >>> 1) : value >>> 1;
    table[byte] = value >>> 0;
  }
  return table;
}

/**
 * CRC-32 (IEEE) of a text of ASCII characters (decimal strings and ":"; other characters are taken
 * modulo 256, which never happens for book text). Unsigned.
 *
 * @example
 * ```ts
 * import { crc32Ascii } from "@perpdex/protocol";
 * crc32Ascii("123456789"); // => 3421780262 (0xCBF43926, the standard check value)
 * ```
 */
export function crc32Ascii(text: string): number {
  let crc = 0xffffffff;
  for (let position = 0; position < text.length; position += 1) {
    crc = crcTable[(crc ^ text.charCodeAt(position)) & 0xff]! ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * The text the checksum is taken of (see the module comment); useful when debugging a mismatch.
 * `bids` and `asks` are best first; only the first `bookChecksumLevels` of each are read.
 *
 * @example
 * ```ts
 * import { bookChecksumText } from "@perpdex/protocol";
 * bookChecksumText([["100", "2"], ["99", "1"]], [["101", "3"]]); // => "100:2:101:3:99:1"
 * ```
 */
export function bookChecksumText(bids: readonly BookLevel[], asks: readonly BookLevel[]): string {
  const parts: string[] = [];
  const depth = Math.min(bookChecksumLevels, Math.max(bids.length, asks.length));
  for (let position = 0; position < depth; position += 1) {
    const bid = bids[position];
    const ask = asks[position];
    if (bid !== undefined) parts.push(bid[0], bid[1]);
    if (ask !== undefined) parts.push(ask[0], ask[1]);
  }
  return parts.join(":");
}

/**
 * The checksum of a book's top levels: `crc32Ascii(bookChecksumText(bids, asks))`.
 *
 * @example
 * ```ts
 * import { bookChecksum } from "@perpdex/protocol";
 * bookChecksum([["100", "2"]], [["101", "3"]]); // => crc32Ascii("100:2:101:3")
 * bookChecksum([], []); // => 0
 * ```
 */
export function bookChecksum(bids: readonly BookLevel[], asks: readonly BookLevel[]): number {
  return crc32Ascii(bookChecksumText(bids, asks));
}
