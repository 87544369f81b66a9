// CRC32C (Castagnoli): the checksum iSCSI, ext4, Btrfs and Kafka use for data at rest. It detects every
// burst error up to 32 bits and has a better Hamming distance than the zlib CRC32 at journal record
// sizes. Node 20 ships no CRC32C, and ~30 lines of our own beat a dependency in the durability path.
//
// Two implementations live side by side (style habit 10): `crc32cReference` is the bit-at-a-time
// definition, slow and obviously right; `crc32cUpdate` is slicing-by-8 over tables derived from it, and
// the tests run both over the same random inputs. Slicing-by-8 folds eight bytes per step with eight
// independent table loads; on a typical 60-byte journal record it is about twice as fast as by-4.
// Reading the input as 32-bit words (DataView) rather than byte by byte takes about 30 % less time on
// the journal's ~110-byte records (both checksums of a record: measured 270 → 190 ns).

/** The reflected Castagnoli polynomial (0x1EDC6F41 bit-reversed). */
const polynomialReflected = 0x82f63b78;

// One flat table of 8 × 256 entries: entry [k × 256 + b] is the CRC of byte b followed by k zero bytes,
// which lets the fast loop fold eight input bytes per step instead of one. An Int32Array, not a
// Uint32Array: the register is XORed as a 32-bit integer anyway, and entries at or above 2^31 read from a
// Uint32Array leave the int32 range, which costs V8 a conversion on every load (measured: the loop is
// about 20 % faster with signed entries).
const tableCount = 8;
const table: Int32Array = buildTable();

function buildTable(): Int32Array {
  const result = new Int32Array(tableCount * 256);
  for (let byte = 0; byte < 256; byte++) {
    let register = byte;
    for (let bit = 0; bit < 8; bit++) {
      register = register & 1 ? (register >>> 1) ^ polynomialReflected : register >>> 1;
    }
    result[byte] = register;
  }
  for (let slice = 1; slice < tableCount; slice++) {
    for (let byte = 0; byte < 256; byte++) {
      const previous = result[(slice - 1) * 256 + byte]!;
      result[slice * 256 + byte] = result[previous & 0xff]! ^ (previous >>> 8);
    }
  }
  return result;
}

/** The register value a CRC32C computation starts from (and is finally XORed with). */
export const crc32cInitial = 0xffffffff;

/**
 * Folds `bytes[start, end)` into a running CRC32C register (not yet finalized), so one checksum can
 * cover several regions without copying them together. A register is a signed 32-bit integer (a small
 * integer to V8, never a heap number); `crc32cFinal` turns it into the checksum.
 *
 * @example
 * const register = crc32cUpdate(crc32cUpdate(crc32cInitial, header, 0, 24), payload, 0, payload.length);
 * const checksum = crc32cFinal(register);
 */
export function crc32cUpdate(register: number, bytes: Uint8Array, start: number, end: number): number {
  let crc = register | 0;
  let index = start;
  const lookup = table;
  if (end - start >= 4) {
    // Slicing-by-8: XOR four input bytes into the register, take four more as they are, then look each
    // byte up in the table that accounts for how many bytes still follow it in this group of eight. The
    // input is read a little-endian word at a time through a DataView: two loads per step instead of eight.
    const view = dataViewOf(bytes);
    for (; index + 8 <= end; index += 8) crc = crc32cUpdateU32Pair(crc, view.getInt32(index, true), view.getInt32(index + 4, true));
    // Four more bytes, by-4 (a record's header checksum covers 28 bytes: three steps of eight, then this).
    if (index + 4 <= end) {
      crc = crc32cUpdateU32(crc, view.getInt32(index, true));
      index += 4;
    }
  }
  for (; index < end; index++) {
    crc = lookup[(crc ^ bytes[index]!) & 0xff]! ^ (crc >>> 8);
  }
  return crc;
}

// DataViews of two arrays, made again only when neither matches: the journal checks thousands of
// records in one read buffer, and its writer copies each command from one scratch buffer into one
// batch buffer (two arrays taking turns, which a single cached view would rebuild on every record). A
// miss replaces the slots in turn, and a hit moves nothing: keeping the latest first (four stores of
// module variables, each with a write barrier, on most calls) made a record's encoding slower, about
// 210 against 155 ns. It keeps those two arrays alive until others take their places.
let viewedFirst: Uint8Array | undefined;
let viewOfFirst: DataView = new DataView(new ArrayBuffer(0));
let viewedSecond: Uint8Array | undefined;
let viewOfSecond: DataView = viewOfFirst;
let replacesSecond = false;

/**
 * A DataView over exactly `bytes` (its offset and length in its buffer), kept for two arrays: words
 * are read and written through it, one bounds check and one load or store each, instead of four byte
 * accesses.
 *
 * @example
 * dataViewOf(record).setInt32(4, payloadBytes, true);
 */
export function dataViewOf(bytes: Uint8Array): DataView {
  if (bytes === viewedFirst) return viewOfFirst;
  if (bytes === viewedSecond) return viewOfSecond;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (replacesSecond) {
    viewedSecond = bytes;
    viewOfSecond = view;
  } else {
    viewedFirst = bytes;
    viewOfFirst = view;
  }
  replacesSecond = !replacesSecond;
  return view;
}

/**
 * Folds the four bytes of the 32-bit `value` (unsigned or signed: the same bits), little-endian (a u32
 * field as the journal stores it), into a running register: the bytes come from the number, not from memory, so a record's header is hashed
 * without reading back what was just written. Same result as `crc32cUpdate` over those four bytes.
 *
 * @example
 * crc32cUpdateU32(crc32cInitial, 0x04030201) === crc32cUpdate(crc32cInitial, Uint8Array.of(1, 2, 3, 4), 0, 4);
 */
export function crc32cUpdateU32(register: number, value: number): number {
  const crc = register ^ value;
  const lookup = table;
  return lookup[3 * 256 + (crc & 0xff)]! ^ lookup[2 * 256 + ((crc >>> 8) & 0xff)]! ^ lookup[256 + ((crc >>> 16) & 0xff)]! ^ lookup[crc >>> 24]!;
}

/**
 * Folds eight bytes into a running register: the u32 `low`, then the u32 `high`, each little-endian
 * (one slicing-by-8 step). Same result as `crc32cUpdate` over those eight bytes.
 *
 * @example
 * crc32cUpdateU32Pair(crc32cInitial, 1, 2) === crc32cUpdate(crc32cInitial, Uint8Array.of(1, 0, 0, 0, 2, 0, 0, 0), 0, 8);
 */
export function crc32cUpdateU32Pair(register: number, low: number, high: number): number {
  const crc = register ^ low;
  const lookup = table;
  return (
    lookup[7 * 256 + (crc & 0xff)]! ^
    lookup[6 * 256 + ((crc >>> 8) & 0xff)]! ^
    lookup[5 * 256 + ((crc >>> 16) & 0xff)]! ^
    lookup[4 * 256 + (crc >>> 24)]! ^
    lookup[3 * 256 + (high & 0xff)]! ^
    lookup[2 * 256 + ((high >>> 8) & 0xff)]! ^
    lookup[256 + ((high >>> 16) & 0xff)]! ^
    lookup[high >>> 24]!
  );
}

/**
 * Copies `source[start, end)` to `target[targetStart…]` and folds the bytes into a running register, in
 * one pass (each word is loaded once): `crc32cUpdate` over the copy, without reading it back. Words go
 * through DataViews (one load and one store per four bytes instead of four of each): on the journal's
 * ~80-byte command payloads about a third faster than copying byte by byte.
 *
 * @example
 * const register = crc32cCopyUpdate(crc32cInitial, payload, 0, payload.length, record, 32);
 */
export function crc32cCopyUpdate(register: number, source: Uint8Array, start: number, end: number, target: Uint8Array, targetStart: number): number {
  let crc = register | 0;
  let index = start;
  let at = targetStart;
  if (end - start >= 4) {
    const from = dataViewOf(source);
    const to = dataViewOf(target);
    for (; index + 8 <= end; index += 8, at += 8) {
      const low = from.getInt32(index, true);
      const high = from.getInt32(index + 4, true);
      to.setInt32(at, low, true);
      to.setInt32(at + 4, high, true);
      crc = crc32cUpdateU32Pair(crc, low, high);
    }
    if (index + 4 <= end) {
      const word = from.getInt32(index, true);
      to.setInt32(at, word, true);
      crc = crc32cUpdateU32(crc, word);
      index += 4;
      at += 4;
    }
  }
  const lookup = table;
  for (; index < end; index++, at++) {
    const byte = source[index]!;
    target[at] = byte;
    crc = lookup[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  }
  return crc;
}

/** Turns a running register into the checksum value. */
export function crc32cFinal(register: number): number {
  return (register ^ 0xffffffff) >>> 0;
}

/**
 * `crc32cFinal` as a signed 32-bit integer: the same 32 bits, for a writer that stores them byte by byte
 * or a reader that compares them with a signed load (a checksum of 2^31 or more is a heap number to V8
 * wherever it is not kept in a register).
 *
 * @example
 * crc32cFinalBits(register) >>> 0 === crc32cFinal(register);
 */
export function crc32cFinalBits(register: number): number {
  return ~register;
}

/**
 * CRC32C of `bytes[start, end)` (the whole array by default), as an unsigned 32-bit integer.
 *
 * @example
 * crc32c(new TextEncoder().encode('123456789')) === 0xe3069283; // the standard check value
 */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return crc32cFinal(crc32cUpdate(crc32cInitial, bytes, start, end));
}

/**
 * The bit-at-a-time definition of CRC32C, kept as the reference the table-driven version is tested
 * against. Far too slow for the journal.
 *
 * @example
 * crc32cReference(new TextEncoder().encode('123456789')) === 0xe3069283;
 */
export function crc32cReference(bytes: Uint8Array): number {
  let register = 0xffffffff;
  for (const byte of bytes) {
    register ^= byte;
    for (let bit = 0; bit < 8; bit++) {
      register = register & 1 ? (register >>> 1) ^ polynomialReflected : register >>> 1;
    }
  }
  return (register ^ 0xffffffff) >>> 0;
}
