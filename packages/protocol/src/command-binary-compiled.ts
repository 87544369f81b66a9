/**
 * The binary command codec's fast path: one encoder and one decoder per shape, generated once from the
 * shape tables as straight-line JavaScript (`new Function`), so a command is read or written without
 * walking its shape. The byte layout is the one described in command-binary.ts; this file only makes it
 * quick. Why generated code: an interpreted walk stores every field with a computed key
 * (`object[entry.name] = value`), which V8 cannot specialise once it has seen more than a few names,
 * and it branches on the rule of every field; generated code builds each object with an object literal
 * and named stores, so every object of a shape gets one hidden class at once, and each field's read is
 * a direct call. Measured on the node's journal payloads: about 2.5× faster decoding, 2× faster encoding.
 *
 * The fast path tracks no error path: on anything it does not accept it throws one preallocated
 * sentinel, and command-binary.ts runs the interpreted codec (the reference) over the same input to
 * throw the `CommandCodecError` that names the field. The tests run both codecs over random and
 * damaged inputs and require the same verdict (style habit 10).
 *
 * The decoder generated for `placeOrder`, for example (the encoder is the mirror image; the numbers
 * are the shapes' order of generation; `compiledCodecSource()` returns the whole source):
 *
 * ```js
 * function decode6(type) {
 *   const flags = readFlags(2);
 *   const object = { type: type, account: readString(), order: decode7() };
 *   if ((flags & 1) !== 0) object.agent = readString();
 *   return object;
 * }
 * function decode7() {
 *   const flags = readFlags(256);
 *   const object = { market: readString(), side: readString(), type: readString() };
 *   if ((flags & 1) !== 0) object.price = readNumber();
 *   object.size = readNumber();
 *   if ((flags & 2) !== 0) object.timeInForce = readString();
 *   ...
 *   return object;
 * }
 * ```
 */
import type { LogCommandInput } from "./command-codec.ts";
import { batchItemsWireMax, batchItemShapes, commandShapes, timeMax, unitsMagnitudeMax, type Shape } from "./command-codec.ts";

/** Thrown (the same object each time) when the fast path refuses its input; never escapes the codec. */
const fastPathRefused: Error = new Error("command-binary: the fast path refused the input");

function refuse(): never {
  throw fastPathRefused;
}

const binaryVersion = 1;
const flaggedFieldsPerShapeMax = 31;
const numberTagPositive = 0;
const numberTagNegative = 1;
const numberTagFloat = 2;
const twoTo32 = 0x1_0000_0000;

// ---------------------------------------------------------------------------------------------------
// Decoding primitives. They read `source[position, end)` and move `position`; any problem refuses.

let source: Uint8Array = new Uint8Array(0);
let position = 0;
let end = 0;

const textDecoder = new TextDecoder("utf-8", { fatal: true });

// Short ASCII strings repeat endlessly in a log (accounts, markets, sides, order types): each is decoded
// once and then found here by its bytes, which saves the allocation as well as the decoding, and hands
// the core the same string object every time (its map lookups then compare by pointer). A slot keeps
// the string, its length and a copy of its bytes; a hit is compared in full, four bytes at a time through DataViews
// (about three times faster than byte by byte on a 42-byte account), last word first (strings that
// share a prefix, like accounts, differ at the end). The hash takes the length and the last 8 bytes
// (accounts differ there as much as anywhere); a collision only costs a decode.
const stringCacheSlots = 4096;
const stringCachedBytesMax = 64;
const stringHashBytesMax = 8;
const cachedStrings: string[] = new Array<string>(stringCacheSlots).fill("");
// By slot: the cached string's length (its byte count), 0 for an empty slot. Kept apart so a lookup
// does not load the string object to read its length (a cache miss of its own when the string is cold).
const cachedLengths = new Uint8Array(stringCacheSlots);
const cachedBytes = new Uint8Array(stringCacheSlots * stringCachedBytesMax);
const cachedView = new DataView(cachedBytes.buffer);
// A view of the whole ArrayBuffer under `source` (made again only when that buffer changes: a replay
// decodes thousands of payloads from one read buffer), and where `source` starts in it.
let sourceMemory: Uint8Array["buffer"] | undefined;
let sourceView: DataView = cachedView;
let sourceViewOffset = 0;

function readVarint(): number {
  const first = source[position]!;
  if (first < 0x80 && position < end) {
    position += 1;
    return first;
  }
  let value = 0;
  let scale = 1;
  // Bounded: at most 8 bytes (values below 2^56).
  for (let count = 0; count < 8; count += 1) {
    if (position >= end) refuse();
    const byte = source[position++]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      if (byte === 0 && count > 0) refuse();
      return value;
    }
    scale *= 0x80;
  }
  return refuse();
}

// A string's byte length. Kept an int32 on both paths: were the one-byte path's result merged with
// readVarint's (a double), every string read would convert it back. A length of 2^30 or more is refused
// here, as readVarint's caller would: no string that long can be made (V8's limit is below 2^29
// characters), so the reference codec refuses it too.
function readLength(): number {
  const first = source[position]!;
  if (first < 0x80 && position < end) {
    position += 1;
    return first;
  }
  const length = readVarint();
  if (length >= lengthLimit) refuse();
  return length | 0;
}

const lengthLimit = 0x4000_0000;

// `limit` is 2 ** (the shape's flag count), a constant in the generated code.
function readFlags(limit: number): number {
  const flags = readVarint();
  if (flags >= limit) refuse();
  return flags;
}

function readString(): string {
  const length = readLength();
  const start = position;
  const stop = start + length;
  if (stop > end) refuse();
  position = stop;
  if (length > stringCachedBytesMax) return decodeText(start, stop);
  const slot = stringSlot(start, length) & (stringCacheSlots - 1);
  const first = slot * stringCachedBytesMax;
  if (cachedLengths[slot] === length && cachedBytesEqual(first, start, length)) return cachedStrings[slot]!;
  const text = decodeText(start, stop);
  // Only ASCII strings are cached (one character a byte, so the cached length is the byte length), and
  // not the empty string (length 0 marks an empty slot; the empty string is decoded without an allocation).
  if (text.length === length && length > 0) {
    cachedStrings[slot] = text;
    cachedLengths[slot] = length;
    for (let index = 0; index < length; index += 1) cachedBytes[first + index] = source[start + index]!;
  }
  return text;
}

// The hash of `source[start, start + length)` by its length and last 8 bytes. Byte by byte on purpose:
// on accounts numbered in their last hex digits, this polynomial gives each its own slot, where
// word-wise multiplicative hashes measured worse.
function stringSlot(start: number, length: number): number {
  return bytesHash(source, start, length);
}

function bytesHash(bytes: Uint8Array, start: number, length: number): number {
  const stop = start + length;
  let hash = length;
  for (let index = length > stringHashBytesMax ? stop - stringHashBytesMax : start; index < stop; index += 1) {
    hash = (Math.imul(hash, 31) + bytes[index]!) | 0;
  }
  return hash;
}

// Command and batch item types are read against a table of the known names instead of the string cache
// and a map: the bytes' hash picks the one name they can be, a comparison confirms it, and the decoder
// gets that name and the shape's decoder in one step. The names are the shape tables' keys, internalized
// strings, so the core's comparisons of `type` with its literals are pointer compares. Any other bytes
// are refused, as the map lookup refused them (every name is ASCII, so no other UTF-8 matches one).
interface TypeTable {
  /** By slot: the type's name, "" for an empty slot. */
  readonly names: readonly string[];
  /** By slot: the shape's decoder, undefined for an empty slot. */
  readonly decoders: readonly (ShapeDecoder | undefined)[];
  readonly mask: number;
}

// Slots of a type table: the first power of two from typeSlotsMin at which no two names share a slot.
const typeSlotsMin = 64;
const typeSlotsMax = 65_536;

function typeTable(decoders: ReadonlyMap<string, ShapeDecoder>): TypeTable {
  const encoded = [...decoders.keys()].map((name) => {
    const bytes = textEncoder.encode(name);
    if (bytes.length !== name.length) throw new Error(`command-binary: type name ${JSON.stringify(name)} is not ASCII`);
    return { name, hash: bytesHash(bytes, 0, bytes.length) };
  });
  // Bounded: slots double up to typeSlotsMax.
  for (let slots = typeSlotsMin; slots <= typeSlotsMax; slots *= 2) {
    const names = new Array<string>(slots).fill("");
    const slotDecoders = new Array<ShapeDecoder | undefined>(slots).fill(undefined);
    let collided = false;
    for (const { name, hash } of encoded) {
      const slot = hash & (slots - 1);
      if (slotDecoders[slot] !== undefined) {
        collided = true;
        break;
      }
      names[slot] = name;
      slotDecoders[slot] = decoders.get(name);
    }
    if (!collided) return { names, decoders: slotDecoders, mask: slots - 1 };
  }
  throw new Error(`command-binary: no type table of at most ${typeSlotsMax} slots gives every type its own slot`);
}

// Reads a type string and returns its slot in `table`; refuses bytes that name none of its types.
function readType(table: TypeTable): number {
  const length = readLength();
  const start = position;
  const stop = start + length;
  if (stop > end) refuse();
  position = stop;
  const slot = stringSlot(start, length) & table.mask;
  const name = table.names[slot]!;
  if (name.length !== length || table.decoders[slot] === undefined) refuse();
  for (let index = 0; index < length; index += 1) if (name.charCodeAt(index) !== source[start + index]) refuse();
  return slot;
}

// Whether the cached bytes at `first` equal `source[start, start + length)`: whole words from the end,
// then the bytes before them.
function cachedBytesEqual(first: number, start: number, length: number): boolean {
  const at = sourceViewOffset + start;
  let index = length - 4;
  for (; index >= 0; index -= 4) {
    if (sourceView.getInt32(at + index, true) !== cachedView.getInt32(first + index, true)) return false;
  }
  for (index += 3; index >= 0; index -= 1) {
    if (source[start + index] !== cachedBytes[first + index]) return false;
  }
  return true;
}

// Throws a TypeError on bytes that are not UTF-8: the caller turns any throw into a refusal.
function decodeText(start: number, stop: number): string {
  return textDecoder.decode(source.subarray(start, stop));
}

function readNumber(): number {
  if (position >= end) refuse();
  const head = source[position++]!;
  // The common case: a safe integer from 0 to 31 in the head byte alone.
  if (head < 0x20) return head;
  const tag = (head >> 5) & 3;
  let magnitude = head & 31;
  if (head & 0x80) {
    const rest = readVarint();
    if (rest === 0) refuse();
    magnitude += rest * 32;
    if (!Number.isSafeInteger(magnitude)) refuse();
  }
  if (tag === numberTagPositive) return magnitude;
  if (tag === numberTagNegative) return magnitude === 0 ? refuse() : -magnitude;
  if (tag !== numberTagFloat || magnitude !== 0) refuse();
  if (position + 8 > end) refuse();
  const value = new DataView(source.buffer, source.byteOffset + position, 8).getFloat64(0, true);
  position += 8;
  if (!Number.isFinite(value)) refuse();
  if (Number.isSafeInteger(value) && !Object.is(value, -0)) refuse();
  return value;
}

function readBoolean(): boolean {
  if (position >= end) refuse();
  const byte = source[position++];
  return byte === 1 ? true : byte === 0 ? false : refuse();
}

function readTime(): bigint {
  if (position + 8 > end) refuse();
  const bytes = source;
  const at = position;
  const low = (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
  const high = (bytes[at + 4]! | (bytes[at + 5]! << 8) | (bytes[at + 6]! << 16) | (bytes[at + 7]! << 24)) >>> 0;
  position = at + 8;
  // Times above 2^63 − 1 are refused: the top bit is the sign of the state encoding's i64.
  if (high >= 0x8000_0000) refuse();
  return high < 0x20_0000 ? BigInt(high * twoTo32 + low) : (BigInt(high) << 32n) | BigInt(low);
}

function readUnits(): bigint {
  if (position >= end) refuse();
  const header = source[position++]!;
  const bytes = header & 0x7f;
  if (bytes > 16) refuse();
  if (position + bytes > end) refuse();
  if (bytes > 0 && source[position + bytes - 1] === 0) refuse();
  if (bytes === 0 && header !== 0) refuse();
  let magnitude = 0n;
  for (let index = bytes - 1; index >= 0; index -= 1) magnitude = (magnitude << 8n) | BigInt(source[position + index]!);
  position += bytes;
  return header & 0x80 ? -magnitude : magnitude;
}

type ShapeDecoder = (type: string) => Record<string, unknown>;
let itemTypes: TypeTable | undefined;

function readItems(): unknown[] {
  const count = readVarint();
  if (count > batchItemsWireMax) refuse();
  const types = itemTypes!;
  const items: unknown[] = [];
  // Bounded by batchItemsWireMax.
  for (let index = 0; index < count; index += 1) {
    const slot = readType(types);
    items.push(types.decoders[slot]!(types.names[slot]!));
  }
  return items;
}

// ---------------------------------------------------------------------------------------------------
// Encoding primitives. They write `out[at, limit)` and move `at`; any problem refuses.

let out: Uint8Array = new Uint8Array(0);
let outView: DataView = new DataView(out.buffer);
let at = 0;
let limit = 0;

const textEncoder = new TextEncoder();

function writeVarint(value: number): void {
  // value is a non-negative integer below 2^56.
  if (value < 0x80) {
    if (at >= limit) refuse();
    out[at++] = value;
    return;
  }
  if (at + 8 > limit) refuse();
  let rest = value;
  // Below 2^31 the 32-bit operators give the same digits as the division, faster.
  if (rest <= 0x7fff_ffff) {
    while (rest >= 0x80) {
      out[at++] = (rest & 0x7f) | 0x80;
      rest >>>= 7;
    }
  } else {
    while (rest >= 0x80) {
      out[at++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
  }
  out[at++] = rest;
}

function writeString(value: string): void {
  const length = value.length;
  if (length < 0x80) {
    // One length byte, then the characters as bytes; a non-ASCII character sends it the slow way.
    const first = at + 1;
    if (first + length > limit) refuse();
    const target = out;
    let high = 0;
    for (let index = 0; index < length; index += 1) {
      const code = value.charCodeAt(index);
      high |= code;
      target[first + index] = code;
    }
    if (high < 0x80) {
      target[at] = length;
      at = first + length;
      return;
    }
  }
  const bytes = textEncoder.encode(value);
  writeVarint(bytes.length);
  if (at + bytes.length > limit) refuse();
  out.set(bytes, at);
  at += bytes.length;
}

// The head byte carries the tag (bits 5–6) and the magnitude's low 5 bits; the rest follows as a varint.
function writeNumber(value: number): void {
  if (value >= 0 && value < 0x20 && (value | 0) === value && !Object.is(value, -0)) {
    if (at >= limit) refuse();
    out[at++] = value;
    return;
  }
  if (!Number.isFinite(value)) refuse();
  if (Number.isSafeInteger(value) && !Object.is(value, -0)) {
    writeTaggedMagnitude(value >= 0 ? numberTagPositive : numberTagNegative, value >= 0 ? value : -value);
    return;
  }
  writeTaggedMagnitude(numberTagFloat, 0);
  if (at + 8 > limit) refuse();
  outView.setFloat64(at, value, true);
  at += 8;
}

function writeTaggedMagnitude(tag: number, magnitude: number): void {
  const small = magnitude <= 0x7fff_ffff;
  const low = small ? magnitude & 31 : magnitude % 32;
  const rest = small ? magnitude >>> 5 : (magnitude - low) / 32;
  if (at >= limit) refuse();
  out[at++] = (rest > 0 ? 0x80 : 0) | (tag << 5) | low;
  if (rest > 0) writeVarint(rest);
}

function writeBoolean(value: boolean): void {
  if (at >= limit) refuse();
  out[at++] = value ? 1 : 0;
}

function writeTime(value: bigint): void {
  if (value < 0n || value > timeMax) refuse();
  if (at + 8 > limit) refuse();
  outView.setBigUint64(at, value, true);
  at += 8;
}

function writeUnits(value: bigint): void {
  if (value > unitsMagnitudeMax || value < -unitsMagnitudeMax) refuse();
  const negative = value < 0n;
  let magnitude = negative ? -value : value;
  const start = at;
  if (at + 17 > limit) refuse();
  at += 1;
  let bytes = 0;
  // Bounded: the magnitude is below 2^128, 16 bytes.
  while (magnitude > 0n) {
    out[at++] = Number(magnitude & 0xffn);
    magnitude >>= 8n;
    bytes += 1;
  }
  out[start] = (negative ? 0x80 : 0) | bytes;
}

// One byte is reserved for a shape's flags before its fields are written; the flags are placed once known.
function reserveFlags(): number {
  if (at >= limit) refuse();
  return at++;
}

function placeFlags(flagsAt: number, flags: number): void {
  if (flags < 0x80) {
    out[flagsAt] = flags;
    return;
  }
  // Rare (an eighth optional field present): move the fields to make room. A copy, not a view: `out`
  // may be a Node Buffer, whose slice() shares memory.
  const fieldBytes = Uint8Array.prototype.slice.call(out, flagsAt + 1, at);
  at = flagsAt;
  writeVarint(flags);
  if (at + fieldBytes.length > limit) refuse();
  out.set(fieldBytes, at);
  at += fieldBytes.length;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// Fields the shape does not have are refused: the count of defined keys must equal the fields taken.
function definedKeyCount(object: Record<string, unknown>): number {
  let count = 0;
  for (const key in object) if (object[key] !== undefined) count += 1;
  return count;
}

type ShapeEncoder = (object: Record<string, unknown>, type: string) => Record<string, unknown>;
let itemEncoders: Map<string, ShapeEncoder> | undefined;

function writeItems(value: unknown): unknown[] {
  if (!Array.isArray(value)) refuse();
  if (value.length > batchItemsWireMax) refuse();
  writeVarint(value.length);
  const items: unknown[] = [];
  // Bounded by batchItemsWireMax.
  for (let index = 0; index < value.length; index += 1) {
    const item: unknown = value[index];
    if (!isPlainObject(item)) refuse();
    const type = item.type;
    if (typeof type !== "string") refuse();
    const encoder = itemEncoders!.get(type) ?? refuse();
    writeString(type);
    items.push(encoder(item, type));
  }
  return items;
}

// ---------------------------------------------------------------------------------------------------
// Code generation: the source of one decoder and one encoder per (shape, typed) pair.

// The primitives the generated code calls, by the names it uses.
const primitives = {
  refuse,
  readFlags,
  readString,
  readNumber,
  readBoolean,
  readTime,
  readUnits,
  readItems,
  reserveFlags,
  placeFlags,
  writeString,
  writeNumber,
  writeBoolean,
  writeTime,
  writeUnits,
  writeItems,
  isPlainObject,
  definedKeyCount,
};

const identifierPattern = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

interface GeneratedField {
  readonly name: string;
  readonly flag: number;
  readonly nullable: boolean;
  readonly optional: boolean;
  /** An expression that reads the field's value. */
  readonly read: string;
  /** Statements that check `value` (a defined, non-null value) and write it, leaving its copy in `copy`. */
  readonly write: (value: string, copy: string) => string;
}

class Generator {
  readonly functions: string[] = [];
  private readonly numbers = new Map<Shape, number>();
  private readonly typedNumbers = new Map<Shape, number>();

  /** The number of the functions `decodeN`/`encodeN` of a shape, generating them on first use. */
  shape(shape: Shape, typed: boolean): number {
    const numbers = typed ? this.typedNumbers : this.numbers;
    const known = numbers.get(shape);
    if (known !== undefined) return known;
    const number = this.numbers.size + this.typedNumbers.size;
    numbers.set(shape, number);
    const fields = this.fields(shape, typed);
    this.functions.push(decoderSource(number, fields, shape, typed), encoderSource(number, fields, shape, typed));
    return number;
  }

  private fields(shape: Shape, typed: boolean): GeneratedField[] {
    if (typed && (shape.fields[0]?.name !== "type" || shape.fields[0].rule !== "string")) {
      throw new Error("command-binary: a command shape must open with its type field");
    }
    let flagCount = 0;
    const fields = shape.fields.slice(typed ? 1 : 0).map((entry): GeneratedField => {
      if (!identifierPattern.test(entry.name)) throw new Error(`command-binary: field name ${JSON.stringify(entry.name)} is not an identifier`);
      const flag = entry.optional || entry.nullable ? flagCount++ : -1;
      // A nullable field always has its key (null when absent), so it is never optional here.
      const base = { name: entry.name, flag, nullable: entry.nullable, optional: entry.optional && !entry.nullable };
      switch (entry.rule) {
        case "string":
          return { ...base, read: "readString()", write: (value, copy) => `if (typeof ${value} !== "string") refuse(); writeString(${value}); ${copy} = ${value};` };
        case "number":
          return { ...base, read: "readNumber()", write: (value, copy) => `if (typeof ${value} !== "number") refuse(); writeNumber(${value}); ${copy} = ${value};` };
        case "boolean":
          return { ...base, read: "readBoolean()", write: (value, copy) => `if (typeof ${value} !== "boolean") refuse(); writeBoolean(${value}); ${copy} = ${value};` };
        case "time":
          return { ...base, read: "readTime()", write: (value, copy) => `if (typeof ${value} !== "bigint") refuse(); writeTime(${value}); ${copy} = ${value};` };
        case "units":
          return { ...base, read: "readUnits()", write: (value, copy) => `if (typeof ${value} !== "bigint") refuse(); writeUnits(${value}); ${copy} = ${value};` };
        case "batchItems":
          return { ...base, read: "readItems()", write: (value, copy) => `${copy} = writeItems(${value});` };
        default: {
          const nested = this.shape(entry.rule, false);
          return { ...base, read: `decode${nested}()`, write: (value, copy) => `if (!isPlainObject(${value})) refuse(); ${copy} = encode${nested}(${value});` };
        }
      }
    });
    if (flagCount > flaggedFieldsPerShapeMax) throw new Error(`command-binary: a shape has ${flagCount} optional fields, at most ${flaggedFieldsPerShapeMax}`);
    return fields;
  }
}

function flagCountOf(fields: readonly GeneratedField[]): number {
  let count = 0;
  for (const field of fields) if (field.flag >= 0) count += 1;
  return count;
}

// Builds `object` from the per-field expressions in the shape's order: one object literal up to the first
// optional field (so most objects are born with their final hidden class), then one store per field.
function objectSource(fields: readonly GeneratedField[], typed: boolean, valueOf: (field: GeneratedField) => string, presentOf: (field: GeneratedField) => string): string {
  const literal: string[] = typed ? ["type: type"] : [];
  const after: string[] = [];
  for (const field of fields) {
    if (field.optional) after.push(`  if (${presentOf(field)}) object.${field.name} = ${valueOf(field)};`);
    else if (after.length === 0) literal.push(`${field.name}: ${valueOf(field)}`);
    else after.push(`  object.${field.name} = ${valueOf(field)};`);
  }
  return [`  const object = { ${literal.join(", ")} };`, ...after].join("\n");
}

function oneOfSource(shape: Shape, object: string): string {
  if (shape.oneOf === undefined) return "";
  const [first, second] = shape.oneOf;
  return `  if ((${object}.${first} === undefined ? 0 : 1) + (${object}.${second} === undefined ? 0 : 1) !== 1) refuse();\n`;
}

function decoderSource(number: number, fields: readonly GeneratedField[], shape: Shape, typed: boolean): string {
  const flagCount = flagCountOf(fields);
  const flagsLine = flagCount > 0 ? `  const flags = readFlags(${2 ** flagCount});\n` : "";
  const flagTest = (field: GeneratedField): string => `(flags & ${1 << field.flag}) !== 0`;
  // A nullable field absent from the flags is null; it always has its key.
  const valueOf = (field: GeneratedField): string => (field.nullable ? `${flagTest(field)} ? ${field.read} : null` : field.read);
  const body = objectSource(fields, typed, valueOf, flagTest);
  return `function decode${number}(${typed ? "type" : ""}) {\n${flagsLine}${body}\n${oneOfSource(shape, "object")}  return object;\n}`;
}

function encoderSource(number: number, fields: readonly GeneratedField[], shape: Shape, typed: boolean): string {
  const flagCount = flagCountOf(fields);
  const lines: string[] = [];
  if (flagCount > 0) lines.push("  const flagsAt = reserveFlags();", "  let flags = 0;");
  lines.push(`  let present = ${typed ? 1 : 0};`);
  fields.forEach((field, index) => {
    const value = `value${index}`;
    const copy = `copy${index}`;
    lines.push(`  const ${value} = input.${field.name};`);
    const write = field.write(value, copy);
    if (field.flag < 0) {
      lines.push(`  let ${copy};`, `  if (${value} === undefined) refuse();`, `  ${write}`, "  present += 1;");
    } else if (field.nullable) {
      lines.push(`  let ${copy} = null;`, `  if (${value} === undefined) refuse();`, "  present += 1;");
      lines.push(`  if (${value} !== null) { flags |= ${1 << field.flag}; ${write} }`);
    } else {
      lines.push(`  let ${copy};`, `  if (${value} !== undefined) { flags |= ${1 << field.flag}; present += 1; ${write} }`);
    }
  });
  if (flagCount > 0) lines.push("  placeFlags(flagsAt, flags);");
  lines.push(oneOfSource(shape, "input").trimEnd(), "  if (definedKeyCount(input) !== present) refuse();");
  const copyOf = (field: GeneratedField): string => `copy${fields.indexOf(field)}`;
  lines.push(objectSource(fields, typed, copyOf, (field) => `value${fields.indexOf(field)} !== undefined`), "  return object;");
  return `function encode${number}(input${typed ? ", type" : ""}) {\n${lines.filter((line) => line !== "").join("\n")}\n}`;
}

interface CompiledTables {
  readonly commandTypes: TypeTable;
  readonly commandEncoders: Map<string, ShapeEncoder>;
  readonly itemTypes: TypeTable;
  readonly itemEncoders: Map<string, ShapeEncoder>;
  /** The generated source, for reading. */
  readonly source: string;
}

function tableSource(generator: Generator, table: Readonly<Record<string, Shape>>): string {
  const entries = Object.entries(table).map(([type, shape]) => {
    const number = generator.shape(shape, true);
    return `[${JSON.stringify(type)}, [decode${number}, encode${number}]]`;
  });
  return `new Map([${entries.join(", ")}])`;
}

function compileTables(): CompiledTables {
  const generator = new Generator();
  const commands = tableSource(generator, commandShapes);
  const items = tableSource(generator, batchItemShapes);
  const source = `"use strict";\n${generator.functions.join("\n")}\nreturn { commands: ${commands}, items: ${items} };`;
  const names = Object.keys(primitives);
  // The generated codec (see the module comment): the primitives are its parameters.
  const factory = new Function(...names, source) as (...args: unknown[]) => {
    commands: Map<string, [ShapeDecoder, ShapeEncoder]>;
    items: Map<string, [ShapeDecoder, ShapeEncoder]>;
  };
  const built = factory(...Object.values(primitives));
  const split = (map: Map<string, [ShapeDecoder, ShapeEncoder]>) => ({
    decoders: new Map([...map].map(([type, pair]) => [type, pair[0]] as const)),
    encoders: new Map([...map].map(([type, pair]) => [type, pair[1]] as const)),
  });
  const commandPairs = split(built.commands);
  const itemPairs = split(built.items);
  return {
    commandTypes: typeTable(commandPairs.decoders),
    commandEncoders: commandPairs.encoders,
    itemTypes: typeTable(itemPairs.decoders),
    itemEncoders: itemPairs.encoders,
    source,
  };
}

// Compiled on first use (the shape tables are complete once their modules load). `null`: code generation
// is not allowed here (a Content-Security-Policy without 'unsafe-eval'); the reference codec serves alone.
let tables: CompiledTables | null | undefined;

function compiled(): CompiledTables | null {
  if (tables !== undefined) return tables;
  try {
    tables = compileTables();
  } catch (error) {
    if (!(error instanceof EvalError)) throw error;
    tables = null;
  }
  if (tables !== null) {
    itemTypes = tables.itemTypes;
    itemEncoders = tables.itemEncoders;
  }
  return tables;
}

/** Whether the fast path is available (code generation allowed). */
function compiledCodecAvailable(): boolean {
  return compiled() !== null;
}

/** The generated source of the fast path (for reading and tests); undefined when it is unavailable. */
function compiledCodecSource(): string | undefined {
  return compiled()?.source;
}

/**
 * Decodes `bytes[start, stop)` on the fast path; throws `fastPathRefused` (or, for bytes that are not
 * UTF-8, a TypeError) on anything the codec does not accept. The caller checked the range and that the
 * fast path is available.
 */
function decodeCompiled(bytes: Uint8Array, start: number, stop: number): LogCommandInput {
  // The same array as the last call (a replay decodes thousands of payloads from one read buffer): its
  // buffer and offset are known, and their getters are not free.
  if (bytes !== source) {
    source = bytes;
    if (bytes.buffer !== sourceMemory) {
      sourceMemory = bytes.buffer;
      sourceView = new DataView(sourceMemory);
    }
    sourceViewOffset = bytes.byteOffset;
  }
  position = start;
  end = stop;
  if (position >= end || source[position] !== binaryVersion) refuse();
  position += 1;
  const types = tables!.commandTypes;
  const slot = readType(types);
  const object = types.decoders[slot]!(types.names[slot]!);
  if (position !== end) refuse();
  return object as unknown as LogCommandInput;
}

/**
 * Writes `command` into `target` from `offset` on the fast path and returns its canonical copy; the end
 * is `compiledEnd()`. Throws `fastPathRefused` on anything the codec does not accept (nothing written
 * then is meaningful). The caller made sure the fast path is available.
 */
function writeCompiled(command: unknown, target: Uint8Array, offset: number): LogCommandInput {
  if (target !== out) {
    out = target;
    outView = new DataView(target.buffer, target.byteOffset, target.byteLength);
  }
  at = offset;
  limit = target.length;
  if (!isPlainObject(command)) refuse();
  const type = command.type;
  if (typeof type !== "string") refuse();
  const encoder = tables!.commandEncoders.get(type) ?? refuse();
  if (at >= limit) refuse();
  out[at++] = binaryVersion;
  writeString(type);
  return encoder(command, type) as unknown as LogCommandInput;
}

/** Where the last `writeCompiled` ended. */
function compiledEnd(): number {
  return at;
}

// Internal to the package (command-binary.ts and its tests), hence not in index.ts.
export { compiledCodecAvailable, compiledCodecSource, compiledEnd, decodeCompiled, fastPathRefused, writeCompiled };
