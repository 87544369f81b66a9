import { AssertionFailed } from "./assert.ts";

// Reads what CanonicalWriter wrote. A snapshot that does not parse is damaged: the reader throws and the
// node falls back to an older snapshot (its checksum should have caught it first).

const two32 = 4_294_967_296;
/** Code units passed to one String.fromCharCode call (argument count limits). */
const stringChunkMax = 4096;
/** Strings up to this many code units are built from a reused plain array (see shortString). */
const shortStringMax = 128;

function joinChunks(codes: Uint16Array, length: number): string {
  let text = "";
  for (let start = 0; start < length; start += stringChunkMax) {
    const end = Math.min(length, start + stringChunkMax);
    text += String.fromCharCode.apply(null, codes.subarray(start, end) as unknown as number[]);
  }
  return text;
}

export class CanonicalReader {
  private readonly view: DataView;
  private position = 0;
  // bytes.byteLength, kept in a plain field: every read compares against it, and a typed array's
  // length costs more to load.
  private readonly end: number;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.end = bytes.byteLength;
  }

  get done(): boolean {
    return this.position === this.end;
  }

  /** Bytes not read yet. */
  get remaining(): number {
    return this.end - this.position;
  }

  u8(): number {
    this.need(1);
    const value = this.view.getUint8(this.position);
    this.position += 1;
    return value;
  }

  u32(): number {
    this.need(4);
    const value = this.view.getUint32(this.position);
    this.position += 4;
    return value;
  }

  safeInteger(): number {
    const high = this.u32();
    const low = this.u32();
    const value = high * two32 + low;
    if (!Number.isSafeInteger(value)) throw new AssertionFailed("snapshot: integer beyond 2^53");
    return value;
  }

  i64(): bigint {
    this.need(8);
    const value = this.view.getBigInt64(this.position);
    this.position += 8;
    return value;
  }

  bigint(): bigint {
    // Most balances and funding indexes are short: parsed from the code units without building a string
    // or a regular expression match (restore reads millions of them). Same grammar as the text path.
    const small = this.smallDecimal();
    if (small !== undefined) return small;
    const text = this.string();
    if (!/^-?(0|[1-9][0-9]*)$/.test(text)) throw new AssertionFailed(`snapshot: malformed integer ${text}`);
    return BigInt(text);
  }

  // A decimal of at most 15 digits (always a safe integer), or undefined (position unchanged) otherwise.
  private smallDecimal(): bigint | undefined {
    if (this.position + 4 > this.end) return undefined;
    const length = this.view.getUint32(this.position);
    if (length === 0 || length > 16 || this.position + 4 + length * 2 > this.end) return undefined;
    let at = this.position + 4;
    const negative = this.view.getUint16(at) === 0x2d;
    if (negative) at += 2;
    const digits = length - (negative ? 1 : 0);
    if (digits === 0 || digits > 15) return undefined;
    let value = 0;
    for (let index = 0; index < digits; index += 1) {
      const digit = this.view.getUint16(at + index * 2) - 0x30;
      // A leading zero is only valid alone ("0"): leave anything odd to the text path, which refuses it.
      if (digit < 0 || digit > 9 || (index === 0 && digit === 0 && digits > 1)) return undefined;
      value = value * 10 + digit;
    }
    this.position += 4 + length * 2;
    if (value === 0) return 0n;
    return BigInt(negative ? -value : value);
  }

  signed(): number {
    // The two halves as numbers: no bigint per call. Equal to Number(i64) wherever that is safe, and any
    // value beyond ±(2^53 − 1) still fails the check (its double is at least 2^53 in magnitude).
    this.need(8);
    const high = this.view.getInt32(this.position);
    const low = this.view.getUint32(this.position + 4);
    this.position += 8;
    const value = high * two32 + low;
    if (!Number.isSafeInteger(value)) throw new AssertionFailed("snapshot: integer beyond 2^53");
    return value;
  }

  string(): string {
    const length = this.u32();
    this.need(length * 2);
    if (length <= shortStringMax) return this.shortString(length);
    const codes = this.codes.length >= length ? this.codes : (this.codes = new Uint16Array(length));
    for (let index = 0; index < length; index += 1) {
      codes[index] = this.view.getUint16(this.position);
      this.position += 2;
    }
    // One call builds the string (symbols and addresses are short; fromCharCode takes the units as args).
    return length <= stringChunkMax
      ? String.fromCharCode.apply(null, codes.subarray(0, length) as unknown as number[])
      : joinChunks(codes, length);
  }

  // Restore reads a million account addresses: the units go into a plain array of exactly the string's
  // length, reused per length, because apply() spreads a plain array of small integers quickly while a
  // typed array (and the subarray view it needs) takes a slow generic path and allocates.
  private shortString(length: number): string {
    const units = (this.unitsByLength[length] ??= new Array<number>(length).fill(0));
    for (let index = 0; index < length; index += 1) {
      units[index] = this.view.getUint16(this.position);
      this.position += 2;
    }
    return String.fromCharCode.apply(null, units);
  }

  private codes = new Uint16Array(64);
  private readonly unitsByLength: number[][] = [];

  // Called before every read: kept tiny so it inlines; the message is built only when it fails.
  private need(bytes: number): void {
    if (this.position + bytes > this.end) this.truncated();
  }

  private truncated(): never {
    throw new AssertionFailed(`snapshot: truncated at byte ${this.position}`);
  }
}
