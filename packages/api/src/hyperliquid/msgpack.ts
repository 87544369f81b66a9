// MessagePack as Hyperliquid's signers write it (Python's msgpack, ccxt's `packb`): the narrowest
// integer form (unsigned forms for non-negative values, signed for negative), float64 for every
// non-integer, str8/16/32 by length, fixmap/map16/map32 and fixarray/array16/array32, keys in the order
// the client wrote them. Encoding the received tree (wire-json.ts) rather than a re-built object is
// what makes the action hash equal the one the client signed.
import { WireNumber, WireObject, type WireValue } from "./wire-json.ts";

/** A value the encoder cannot represent (an integer beyond 64 bits, a float that is not finite). */
export class MessagePackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MessagePackError";
  }
}

const uint64Max = (1n << 64n) - 1n;
const int64Min = -(1n << 63n);
const utf8 = new TextEncoder();

/**
 * Encodes a parsed JSON tree as MessagePack bytes.
 *
 * @example
 * toHex(encodeMessagePack(parseWireJson('{"type":"cancel","cancels":[{"a":0,"o":12}]}')));
 * // => "82a474797065a663616e63656ca763616e63656c739182a16100a16f0c"
 */
export function encodeMessagePack(value: WireValue): Uint8Array {
  const writer = new ByteWriter();
  writeValue(writer, value);
  return writer.bytes();
}

function writeValue(writer: ByteWriter, value: WireValue): void {
  if (value === null) writer.byte(0xc0);
  else if (value === true) writer.byte(0xc3);
  else if (value === false) writer.byte(0xc2);
  else if (typeof value === "string") writeString(writer, value);
  else if (value instanceof WireNumber) writeNumber(writer, value);
  else if (value instanceof WireObject) {
    writeHeader(writer, value.entries.length, { fixMask: 0x80, fixMax: 15, type16: 0xde, type32: 0xdf });
    for (const [key, item] of value.entries) {
      writeString(writer, key);
      writeValue(writer, item);
    }
  } else {
    writeHeader(writer, value.length, { fixMask: 0x90, fixMax: 15, type16: 0xdc, type32: 0xdd });
    for (const item of value) writeValue(writer, item);
  }
}

function writeString(writer: ByteWriter, text: string): void {
  // ASCII (every key and almost every value) is written directly; anything else through UTF-8 encoding.
  let ascii = true;
  for (let index = 0; index < text.length && ascii; index += 1) ascii = text.charCodeAt(index) < 0x80;
  if (!ascii) {
    const bytes = utf8.encode(text);
    writeHeader(writer, bytes.length, stringHeader);
    writer.append(bytes);
    return;
  }
  writeHeader(writer, text.length, stringHeader);
  writer.ascii(text);
}

const stringHeader = { fixMask: 0xa0, fixMax: 31, type8: 0xd9, type16: 0xda, type32: 0xdb };

function writeHeader(
  writer: ByteWriter,
  length: number,
  types: { fixMask: number; fixMax: number; type8?: number; type16: number; type32: number },
): void {
  if (length <= types.fixMax) writer.byte(types.fixMask | length);
  else if (types.type8 !== undefined && length <= 0xff) writer.byte(types.type8).byte(length);
  else if (length <= 0xffff) writer.byte(types.type16).small(length, 2);
  else writer.byte(types.type32).small(length, 4);
}

// Integers of at most 15 digits are exact as doubles and take the fast path; longer ones use bigint.
const smallDigitsMax = 15;

function writeNumber(writer: ByteWriter, number: WireNumber): void {
  if (!number.isInteger) {
    const float = Number(number.text);
    if (!Number.isFinite(float)) throw new MessagePackError(`number ${number.text} is not a finite float64`);
    writer.byte(0xcb).float64(float);
    return;
  }
  if (number.text.length <= smallDigitsMax) writeSmallInteger(writer, Number(number.text));
  else writeLargeInteger(writer, BigInt(number.text), number.text);
}

function writeSmallInteger(writer: ByteWriter, integer: number): void {
  if (integer >= 0) {
    if (integer <= 0x7f) writer.byte(integer);
    else if (integer <= 0xff) writer.byte(0xcc).small(integer, 1);
    else if (integer <= 0xffff) writer.byte(0xcd).small(integer, 2);
    else if (integer <= 0xffff_ffff) writer.byte(0xce).small(integer, 4);
    else writer.byte(0xcf).small(integer, 8);
  } else if (integer >= -0x20) writer.byte(0x100 + integer);
  else if (integer >= -0x80) writer.byte(0xd0).small(integer + 0x100, 1);
  else if (integer >= -0x8000) writer.byte(0xd1).small(integer + 0x1_0000, 2);
  else if (integer >= -0x8000_0000) writer.byte(0xd2).small(integer + 0x1_0000_0000, 4);
  else writeLargeInteger(writer, BigInt(integer), String(integer));
}

function writeLargeInteger(writer: ByteWriter, integer: bigint, text: string): void {
  if (integer >= 0n) {
    if (integer > uint64Max) throw new MessagePackError(`integer ${text} does not fit in 64 bits`);
    if (integer <= 0xffff_ffffn) writeSmallInteger(writer, Number(integer));
    else writer.byte(0xcf).uint(integer, 8);
  } else {
    if (integer < int64Min) throw new MessagePackError(`integer ${text} does not fit in 64 bits`);
    if (integer >= -0x8000_0000n) writeSmallInteger(writer, Number(integer));
    else writer.byte(0xd3).uint(BigInt.asUintN(64, integer), 8);
  }
}

class ByteWriter {
  private buffer = new Uint8Array(256);
  private length = 0;

  private ensure(count: number): void {
    if (this.length + count <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < this.length + count) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  byte(value: number): this {
    this.ensure(1);
    this.buffer[this.length] = value;
    this.length += 1;
    return this;
  }

  // Big-endian, `count` bytes of a non-negative integer known to fit.
  uint(value: bigint, count: number): this {
    this.ensure(count);
    for (let index = count - 1; index >= 0; index -= 1) {
      this.buffer[this.length + index] = Number(value & 0xffn);
      value >>= 8n;
    }
    this.length += count;
    return this;
  }

  // Big-endian, `count` bytes of a non-negative safe integer.
  small(value: number, count: number): this {
    this.ensure(count);
    for (let index = count - 1; index >= 0; index -= 1) {
      this.buffer[this.length + index] = value % 256;
      value = Math.floor(value / 256);
    }
    this.length += count;
    return this;
  }

  ascii(text: string): this {
    this.ensure(text.length);
    for (let index = 0; index < text.length; index += 1) this.buffer[this.length + index] = text.charCodeAt(index);
    this.length += text.length;
    return this;
  }

  float64(value: number): this {
    this.ensure(8);
    new DataView(this.buffer.buffer, this.buffer.byteOffset + this.length, 8).setFloat64(0, value);
    this.length += 8;
    return this;
  }

  append(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
    return this;
  }

  bytes(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}
