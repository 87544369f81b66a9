import { assert } from "./assert.ts";

// A canonical byte encoding of state, streamed in fixed chunks to a sink (a hasher, or a snapshot file
// writer in the node) so that hashing 10 M orders never builds one giant buffer. Big-endian, fixed
// widths, strings as their UTF-16 code units: the same state gives the same bytes everywhere.

const chunkBytes = 65_536;
const two32 = 4_294_967_296;
// 2^−32: multiplying by it is exact (a power of two) and cheaper than dividing by 2^32.
const twoToMinus32 = 1 / two32;

export type ChunkSink = (chunk: Uint8Array) => void;

export class CanonicalWriter {
  private readonly buffer = new Uint8Array(chunkBytes);
  private readonly view = new DataView(this.buffer.buffer);
  private length = 0;

  constructor(private readonly sink: ChunkSink) {}

  u8(value: number): void {
    this.reserve(1);
    this.view.setUint8(this.length, value);
    this.length += 1;
  }

  u32(value: number): void {
    // `>>> 0` keeps exactly the integers in [0, 2^32): one compare instead of three (millions of calls
    // per state hash).
    assert(value >>> 0 === value, "u32 out of range");
    this.reserve(4);
    this.view.setUint32(this.length, value);
    this.length += 4;
  }

  i32(value: number): void {
    assert((value | 0) === value, "i32 out of range");
    this.reserve(4);
    this.view.setInt32(this.length, value);
    this.length += 4;
  }

  /** A non-negative safe integer as 8 bytes. */
  safeInteger(value: number): void {
    assert(Number.isSafeInteger(value) && value >= 0, "safe integer out of range");
    this.halves(value);
  }

  i64(value: bigint): void {
    assert(value >= -0x8000_0000_0000_0000n && value <= 0x7fff_ffff_ffff_ffffn, "i64 out of range");
    this.reserve(8);
    this.view.setBigInt64(this.length, value);
    this.length += 8;
  }

  /** An integer of any size, as its decimal text (amounts of 18-decimal tokens pass 2^64). */
  bigint(value: bigint): void {
    // Most are zero (unused token balances, funding indexes): written as "0" without making the string.
    if (value === 0n) {
      this.u32(1);
      this.reserve(2);
      this.view.setUint16(this.length, 0x30);
      this.length += 2;
      return;
    }
    this.string(value.toString());
  }

  /** A signed safe integer, as `i64` writes it. */
  signed(value: number): void {
    assert(Number.isSafeInteger(value), "signed integer out of range");
    this.halves(value);
  }

  string(text: string): void {
    this.u32(text.length);
    // Short strings (all but pathological ones) reserve their bytes once.
    if (text.length * 2 <= chunkBytes) {
      this.reserve(text.length * 2);
      for (let index = 0; index < text.length; index += 1) this.view.setUint16(this.length + index * 2, text.charCodeAt(index));
      this.length += text.length * 2;
      return;
    }
    for (let index = 0; index < text.length; index += 1) {
      this.reserve(2);
      this.view.setUint16(this.length, text.charCodeAt(index));
      this.length += 2;
    }
  }

  // A safe integer as a big-endian two's complement i64, from two 32-bit halves: the bytes of
  // setBigInt64(BigInt(value)) without a bigint per call. high = ⌊value / 2^32⌋ lies in [−2^21, 2^21)
  // and low = value − high·2^32 in [0, 2^32), both exact in a double.
  private halves(value: number): void {
    this.putHalves(this.room(8), value);
  }

  private putHalves(at: number, value: number): void {
    const high = Math.floor(value * twoToMinus32);
    this.view.setInt32(at, high);
    this.view.setUint32(at + 4, value - high * two32);
  }

  /**
   * Reserves `bytes` (at most a chunk) for fields of a fixed layout and returns where they start; the
   * caller fills every one of those bytes with the put methods, at offsets from there. The put methods
   * write what the field methods of the same name write, with the same checks. For records repeated
   * millions of times (orders in the books, positions): one room check and one length update per record
   * instead of per field.
   */
  room(bytes: number): number {
    assert(bytes <= chunkBytes, "room larger than a chunk");
    this.reserve(bytes);
    const at = this.length;
    this.length = at + bytes;
    return at;
  }

  putU8(at: number, value: number): void {
    this.view.setUint8(at, value);
  }

  putU32(at: number, value: number): void {
    assert(value >>> 0 === value, "u32 out of range");
    this.view.setUint32(at, value);
  }

  putSafeInteger(at: number, value: number): void {
    assert(Number.isSafeInteger(value) && value >= 0, "safe integer out of range");
    this.putHalves(at, value);
  }

  putSigned(at: number, value: number): void {
    assert(Number.isSafeInteger(value), "signed integer out of range");
    this.putHalves(at, value);
  }

  boolean(value: boolean): void {
    this.u8(value ? 1 : 0);
  }

  /** Sends what is buffered to the sink. Call once at the end. */
  flush(): void {
    if (this.length > 0) this.sink(this.buffer.subarray(0, this.length));
    this.length = 0;
  }

  private reserve(bytes: number): void {
    if (this.length + bytes > chunkBytes) this.flush();
  }
}
