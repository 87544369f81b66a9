import { AssertionFailed } from "./assert.ts";

// Reads what CanonicalWriter wrote. A snapshot that does not parse is damaged: the reader throws and the
// node falls back to an older snapshot (its checksum should have caught it first).

const two32 = 4_294_967_296;
/** Code units passed to one String.fromCharCode call (argument count limits). */
const stringChunkMax = 4096;

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

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get done(): boolean {
    return this.position === this.bytes.byteLength;
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
    const text = this.string();
    if (!/^-?(0|[1-9][0-9]*)$/.test(text)) throw new AssertionFailed(`snapshot: malformed integer ${text}`);
    return BigInt(text);
  }

  signed(): number {
    const value = this.i64();
    if (value > 9_007_199_254_740_991n || value < -9_007_199_254_740_991n) throw new AssertionFailed("snapshot: integer beyond 2^53");
    return Number(value);
  }

  string(): string {
    const length = this.u32();
    this.need(length * 2);
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

  private codes = new Uint16Array(64);

  private need(bytes: number): void {
    if (this.position + bytes > this.bytes.byteLength) {
      throw new AssertionFailed(`snapshot: truncated at byte ${this.position}`);
    }
  }
}
