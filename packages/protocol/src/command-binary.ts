/**
 * The binary command codec: the journal's payload encoding. It is derived from the same shape tables as
 * the JSON codec (`commandShapes` in command-codec.ts), so a command type or field added there is
 * encoded here with no further work, and both codecs accept and refuse exactly the same commands.
 *
 * Layout (all multi-byte integers little-endian; a varint is LEB128, at most 8 bytes, never overlong):
 *
 * ```text
 * payload  := version:u8 (= 1)  type:string  object(shape of type)
 * object   := [flags:varint]  value(field) for each field present, in the shape's order
 *             flags: bit i set when the i-th optional or nullable field of the shape is present and not
 *             null (written only when the shape has such fields)
 * string   := byteLength:varint  UTF-8 bytes
 * number   := head:u8 (bit 7 more, bits 5–6 tag, bits 0–4 the low 5 bits of m) [varint(m ÷ 32) if more]:
 *             tag 0 a safe integer m ≥ 0, tag 1 the safe integer −m (m ≥ 1), tag 2 (m = 0) any other
 *             finite number, as float64 after the head
 * boolean  := u8 0 or 1
 * time     := u64 (nanoseconds, at most 2^63 − 1)
 * units    := header:u8 (bit 7 sign, bits 0–4 magnitude byte count, 0–16) magnitude bytes, no leading
 *             zero byte; zero is the single byte 0
 * items    := count:varint (≤ batchItemsWireMax)  (type:string object(item shape))*
 * ```
 *
 * Fields are positional, so shapes evolve by appending: a new optional field goes at the end of its
 * shape (older records simply lack its flag bit); a new command type can go anywhere (types are named).
 * Decoding checks everything the JSON decoder checks and fails with a `CommandCodecError` whose `path`
 * names the field (`command.order.size`) on truncated, trailing or malformed bytes.
 *
 * Two implementations of this layout live side by side (style habit 10): the interpreted codec in this
 * file walks the compiled shapes field by field and keeps the error path on the way; the generated one
 * in command-binary-compiled.ts is straight-line code per shape, about 2–3× faster, and knows only
 * "accepted" or "refused". The public functions run the generated one and, when it refuses, run this
 * one over the same input to throw the error that names the field; the tests hold the two to the same
 * verdict on random and damaged inputs.
 */
import { compiledCodecAvailable, compiledEnd, decodeCompiled, fastPathRefused, writeCompiled } from "./command-binary-compiled.ts";
import type { LogCommandInput } from "./command-codec.ts";
import {
  batchItemsWireMax,
  batchItemShapes,
  CommandCodecError,
  commandShapes,
  timeMax,
  unitsMagnitudeMax,
  type FieldRule,
  type Shape,
} from "./command-codec.ts";

const binaryVersion = 1;
// Optional fields get one flag bit each in a varint kept below 2^31: more than this is a table bug.
const flaggedFieldsPerShapeMax = 31;
const stringCacheSlots = 4096;
const stringCachedBytesMax = 64;
const numberTagPositive = 0;
const numberTagNegative = 1;
const numberTagFloat = 2;

// A shape prepared for the codec: each field with its flag bit (or -1 for a required, non-null field).
interface CompiledField {
  readonly name: string;
  readonly rule: FieldRule;
  /** The compiled nested shape when the rule is a shape. */
  readonly nested: CompiledShape | undefined;
  readonly flag: number;
  readonly nullable: boolean;
}

interface CompiledShape {
  readonly fields: readonly CompiledField[];
  readonly flagCount: number;
  readonly oneOf: readonly [string, string] | undefined;
  readonly known: ReadonlySet<string>;
}

// Command and batch item shapes open with their `type` field, which the codec writes ahead of the
// object (it picks the shape): compiled "typed", their fields leave it out.
const compiledShapes = new Map<Shape, CompiledShape>();
const compiledTypedShapes = new Map<Shape, CompiledShape>();

function compile(shape: Shape, typed: boolean): CompiledShape {
  const cache = typed ? compiledTypedShapes : compiledShapes;
  const cached = cache.get(shape);
  if (cached !== undefined) return cached;
  if (typed && (shape.fields[0]?.name !== "type" || shape.fields[0].rule !== "string")) {
    throw new Error("command-binary: a command shape must open with its type field");
  }
  let flagCount = 0;
  const fields = shape.fields.slice(typed ? 1 : 0).map((entry) => {
    const flag = entry.optional || entry.nullable ? flagCount++ : -1;
    const nested = typeof entry.rule === "object" ? compile(entry.rule, false) : undefined;
    return { name: entry.name, rule: entry.rule, nested, flag, nullable: entry.nullable };
  });
  if (flagCount > flaggedFieldsPerShapeMax) throw new Error(`command-binary: a shape has ${flagCount} optional fields, at most ${flaggedFieldsPerShapeMax}`);
  const known = new Set(shape.fields.map((entry) => entry.name));
  const compiled: CompiledShape = { fields, flagCount, oneOf: shape.oneOf, known };
  cache.set(shape, compiled);
  return compiled;
}

// Where the codec is, as a trail of field names and item indexes: the path string of an error is built
// only when one is thrown, never on the way (building it for every field doubled the cost of decoding).
// `trail[0, depth)` is the path; entries past `depth` are stale. Setting a slot and moving `depth` costs
// less than a push and a pop for every field.
const trail: (string | number)[] = [];
let depth = 0;

function pathOf(extra?: string): string {
  let path = "command";
  for (let index = 0; index < depth; index += 1) {
    const step = trail[index]!;
    path += typeof step === "number" ? `[${step}]` : `.${step}`;
  }
  return extra === undefined ? path : `${path}.${extra}`;
}

function invalid(reason: string, extra?: string): never {
  throw new CommandCodecError({ path: pathOf(extra), reason });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// The tables compiled by type name, once, on first use (the tables are complete once their modules load).
let compiledCommands: Map<string, CompiledShape> | undefined;
let compiledItems: Map<string, CompiledShape> | undefined;

function compileTable(table: Readonly<Record<string, Shape>>): Map<string, CompiledShape> {
  const compiled = new Map<string, CompiledShape>();
  for (const [type, shape] of Object.entries(table)) compiled.set(type, compile(shape, true));
  return compiled;
}

function commandShape(type: unknown): CompiledShape {
  if (typeof type !== "string") return invalid("expected a string", "type");
  compiledCommands ??= compileTable(commandShapes);
  return compiledCommands.get(type) ?? invalid(`unknown command type ${JSON.stringify(type)}`, "type");
}

function itemShape(type: unknown): CompiledShape {
  if (typeof type !== "string") return invalid("expected a string", "type");
  compiledItems ??= compileTable(batchItemShapes);
  return compiledItems.get(type) ?? invalid(`a batch item is a placeOrder or a cancelOrder, not ${JSON.stringify(type)}`, "type");
}

// ---------------------------------------------------------------------------------------------------
// Encoding: walk the shape, check each field, write its bytes and copy it into a fresh object in the
// canonical order (the caller owns the copy, as with `canonicalCommand`). Synchronous and never
// re-entered, so the write position lives in module state.

let out: Uint8Array = new Uint8Array(0);
let outView: DataView = new DataView(out.buffer);
let at = 0;
let limit = 0;

function room(bytes: number): void {
  if (at + bytes > limit) {
    depth = 0;
    invalid(`the encoding does not fit in ${limit} bytes`);
  }
}

function writeVarint(value: number): void {
  // value is a non-negative integer below 2^56.
  if (value < 0x80) {
    room(1);
    out[at++] = value;
    return;
  }
  room(8);
  let rest = value;
  while (rest >= 0x80) {
    out[at++] = (rest % 0x80) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  out[at++] = rest;
}

function writeString(value: string): void {
  const length = value.length;
  const start = at;
  writeVarint(length);
  room(length);
  const target = out;
  const first = at;
  let high = 0;
  for (let index = 0; index < length; index += 1) {
    const code = value.charCodeAt(index);
    high |= code;
    target[first + index] = code;
  }
  if (high < 0x80) {
    at = first + length;
    return;
  }
  // Not ASCII: start again with the UTF-8 bytes (rare: client order ids, references).
  at = start;
  const bytes = textEncoder.encode(value);
  writeVarint(bytes.length);
  room(bytes.length);
  out.set(bytes, at);
  at += bytes.length;
}

// The first byte carries the tag (bits 5–6) and the magnitude's low 5 bits; the rest of the magnitude
// (divided by 32, exact) follows as a varint when bit 7 says so. No sum ever leaves the safe integers.
function writeNumber(value: number): void {
  if (Number.isSafeInteger(value) && !Object.is(value, -0)) {
    const magnitude = value >= 0 ? value : -value;
    writeTaggedMagnitude(value >= 0 ? numberTagPositive : numberTagNegative, magnitude);
    return;
  }
  writeTaggedMagnitude(numberTagFloat, 0);
  room(8);
  outView.setFloat64(at, value, true);
  at += 8;
}

function writeTaggedMagnitude(tag: number, magnitude: number): void {
  const low = magnitude % 32;
  const rest = (magnitude - low) / 32;
  room(1);
  out[at++] = (rest > 0 ? 0x80 : 0) | (tag << 5) | low;
  if (rest > 0) writeVarint(rest);
}

function writeUnits(value: bigint): void {
  const negative = value < 0n;
  let magnitude = negative ? -value : value;
  const start = at;
  room(17);
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

// `type` is the command's or item's type (already written), or undefined for a nested object.
function encodeObject(object: Record<string, unknown>, compiled: CompiledShape, type?: string): Record<string, unknown> {
  const level = depth;
  const copy: Record<string, unknown> = {};
  let present = 0;
  if (type !== undefined) {
    copy.type = type;
    present = 1;
  }
  let flagsAt = -1;
  let flags = 0;
  if (compiled.flagCount > 0) {
    // One byte reserved for the flags, written once the fields are known.
    room(1);
    flagsAt = at;
    at += 1;
  }
  for (const entry of compiled.fields) {
    const value = object[entry.name];
    if (value === undefined) {
      if (entry.flag < 0 || entry.nullable) invalid("required", entry.name);
      continue;
    }
    present += 1;
    if (value === null && entry.nullable) {
      copy[entry.name] = null;
      continue;
    }
    if (entry.flag >= 0) flags |= 1 << entry.flag;
    trail[level] = entry.name;
    depth = level + 1;
    copy[entry.name] = encodeValue(value, entry);
    depth = level;
  }
  if (flagsAt >= 0) placeFlags(flagsAt, flags >>> 0);
  checkOneOf(object, compiled);
  if (definedKeyCount(object) !== present) invalid(`unknown field ${firstUnknownField(object, compiled)}`);
  return copy;
}

// Writes the flags varint at `flagsAt`, where one byte was reserved; moves what follows if it needs more.
function placeFlags(flagsAt: number, flags: number): void {
  if (flags < 0x80) {
    out[flagsAt] = flags;
    return;
  }
  // A copy, not a view: `out` may be a Node Buffer, whose slice() shares memory.
  const fieldBytes = Uint8Array.prototype.slice.call(out, flagsAt + 1, at);
  at = flagsAt;
  writeVarint(flags);
  room(fieldBytes.length);
  out.set(fieldBytes, at);
  at += fieldBytes.length;
}

function encodeValue(value: unknown, entry: CompiledField): unknown {
  switch (entry.rule) {
    case "string":
      if (typeof value !== "string") invalid("expected a string");
      writeString(value);
      return value;
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value)) invalid("expected a finite number");
      writeNumber(value);
      return value;
    case "boolean":
      if (typeof value !== "boolean") invalid("expected a boolean");
      room(1);
      out[at++] = value ? 1 : 0;
      return value;
    case "time":
      if (typeof value !== "bigint" || value < 0n || value > timeMax) invalid("expected a bigint from 0 to 2^63 - 1");
      room(8);
      outView.setBigUint64(at, value, true);
      at += 8;
      return value;
    case "units":
      if (typeof value !== "bigint" || value > unitsMagnitudeMax || value < -unitsMagnitudeMax) invalid("expected a bigint of magnitude below 2^128");
      writeUnits(value);
      return value;
    case "batchItems":
      return encodeItems(value);
    default:
      if (!isPlainObject(value)) invalid("expected an object");
      return encodeObject(value, entry.nested!);
  }
}

function encodeItems(value: unknown): unknown[] {
  if (!Array.isArray(value)) return invalid("expected an array");
  if (value.length > batchItemsWireMax) invalid(`at most ${batchItemsWireMax} items`);
  writeVarint(value.length);
  const items: unknown[] = [];
  const level = depth;
  for (let index = 0; index < value.length; index += 1) {
    const item: unknown = value[index];
    trail[level] = index;
    depth = level + 1;
    if (!isPlainObject(item)) invalid("expected an object");
    const shape = itemShape(item.type);
    writeString(item.type as string);
    items.push(encodeObject(item, shape, item.type as string));
    depth = level;
  }
  return items;
}

function checkOneOf(object: Record<string, unknown>, compiled: CompiledShape): void {
  if (compiled.oneOf === undefined) return;
  const [first, second] = compiled.oneOf;
  const count = (object[first] === undefined ? 0 : 1) + (object[second] === undefined ? 0 : 1);
  if (count !== 1) invalid(`exactly one of ${first} and ${second}`);
}

function definedKeyCount(object: Record<string, unknown>): number {
  let count = 0;
  for (const key in object) if (object[key] !== undefined) count += 1;
  return count;
}

function firstUnknownField(object: Record<string, unknown>, compiled: CompiledShape): string {
  for (const key in object) if (object[key] !== undefined && !compiled.known.has(key)) return key;
  return "(none)";
}

/**
 * What `writeCommandBinary` produced.
 *
 * @example
 * ```ts
 * import { writeCommandBinary, type CommandBinaryWritten } from "@perpdex/protocol";
 * const written: CommandBinaryWritten = writeCommandBinary({ type: "tick" }, new Uint8Array(16), 0);
 * written.end; // => 6
 * ```
 */
export type CommandBinaryWritten = {
  /** A canonical copy of the command (fields in the canonical order), owned by the caller. */
  readonly command: LogCommandInput;
  /** The offset just past the last byte written. */
  readonly end: number;
};

/**
 * Checks a command and writes its binary encoding into `target` from `offset`, returning a canonical
 * copy of the command and where the bytes end. Throws a `CommandCodecError` when the command is not
 * well shaped (the path names the field) or the encoding does not fit before `target.length`. The node
 * writes every command this way, into one reused buffer, and applies the copy.
 *
 * @example
 * ```ts
 * import { decodeCommandBinary, writeCommandBinary } from "@perpdex/protocol";
 * const target = new Uint8Array(1024);
 * const { command, end } = writeCommandBinary({ type: "cancelAll", account: "0x" + "1".repeat(40) }, target, 0);
 * decodeCommandBinary(target, 0, end); // => a copy equal to command
 * ```
 */
export function writeCommandBinary(command: LogCommandInput, target: Uint8Array, offset: number): CommandBinaryWritten {
  fastPath ??= compiledCodecAvailable();
  if (fastPath) {
    try {
      return { command: writeCompiled(command, target, offset), end: compiledEnd() };
    } catch (error) {
      if (error !== fastPathRefused) throw error;
    }
  }
  // Refused on the fast path (or no fast path): the reference names what is wrong, or writes the bytes.
  const written = writeCommandBinaryReference(command, target, offset);
  if (fastPath) throw new Error("command-binary: the fast path refused a command the reference codec accepts");
  return written;
}

// Whether the generated codec (command-binary-compiled.ts) serves; decided on first use.
let fastPath: boolean | undefined;

/**
 * The interpreted `writeCommandBinary`: walks the shape tables field by field, keeping the error path on
 * the way. It is the reference the generated fast path is tested against, and it produces the error
 * whenever the fast path refuses a command.
 *
 * @example
 * ```ts
 * import { writeCommandBinaryReference } from "./command-binary.ts";
 * writeCommandBinaryReference({ type: "tick" }, new Uint8Array(16), 0).end; // => 6
 * ```
 */
function writeCommandBinaryReference(command: LogCommandInput, target: Uint8Array, offset: number): CommandBinaryWritten {
  if (target !== out) {
    out = target;
    outView = new DataView(target.buffer, target.byteOffset, target.byteLength);
  }
  at = offset;
  limit = target.length;
  depth = 0;
  const input = command as unknown as Record<string, unknown>;
  if (!isPlainObject(input)) invalid("expected an object");
  const shape = commandShape(input.type);
  room(1);
  out[at++] = binaryVersion;
  writeString(input.type as string);
  const copy = encodeObject(input, shape, input.type as string);
  return { command: copy as unknown as LogCommandInput, end: at };
}

let encodeScratch = new Uint8Array(64 * 1024);

/**
 * Encodes a command in the binary form the journal stores (see the module comment for the layout).
 * Throws a `CommandCodecError` when the command is not well shaped.
 *
 * @example
 * ```ts
 * import { decodeCommandBinary, encodeCommandBinary } from "@perpdex/protocol";
 * const bytes = encodeCommandBinary({ type: "tick" });
 * decodeCommandBinary(bytes); // => { type: "tick" }
 * ```
 */
export function encodeCommandBinary(command: LogCommandInput): Uint8Array {
  // Bounded: the scratch grows until the command fits (a batch of 256 orders takes a few tens of KiB).
  for (let attempt = 0; ; attempt += 1) {
    try {
      const { end } = writeCommandBinary(command, encodeScratch, 0);
      return encodeScratch.slice(0, end);
    } catch (error) {
      const tooLarge = error instanceof CommandCodecError && error.path === "command" && error.reason.startsWith("the encoding does not fit");
      if (!tooLarge || attempt >= 8) throw error;
      encodeScratch = new Uint8Array(encodeScratch.length * 4);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Decoding: a cursor over the bytes; every read checks the end first, so truncated bytes fail at the
// field they cut into.

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: true });

let source: Uint8Array = new Uint8Array(0);
let position = 0;
let end = 0;

// Short ASCII strings repeat endlessly in a log (accounts, markets, sides, order types): each is
// decoded once and then found here by its bytes, which saves the allocation as well as the decoding.
const cachedStrings: (string | undefined)[] = new Array<string | undefined>(stringCacheSlots).fill(undefined);

function need(bytes: number): void {
  if (position + bytes > end) invalid("truncated: the bytes end inside this field");
}

function readVarint(): number {
  const first = source[position];
  if (first !== undefined && first < 0x80 && position < end) {
    position += 1;
    return first;
  }
  let value = 0;
  let scale = 1;
  // Bounded: at most 8 bytes (values below 2^56).
  for (let count = 0; count < 8; count += 1) {
    need(1);
    const byte = source[position++]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      if (byte === 0 && count > 0) invalid("overlong varint");
      return value;
    }
    scale *= 0x80;
  }
  return invalid("varint longer than 8 bytes");
}

function readString(): string {
  const length = readVarint();
  need(length);
  const bytes = source;
  const start = position;
  const stop = start + length;
  position = stop;
  if (length > stringCachedBytesMax) return decodeText(start, length);
  let hash = length;
  let high = 0;
  for (let index = start; index < stop; index += 1) {
    const byte = bytes[index]!;
    high |= byte;
    hash = (Math.imul(hash, 31) + byte) | 0;
  }
  if (high >= 0x80) return decodeText(start, length);
  const slot = hash & (stringCacheSlots - 1);
  const cached = cachedStrings[slot];
  if (cached !== undefined && cached.length === length && sameAscii(cached, bytes, start)) return cached;
  const text = decodeText(start, length);
  cachedStrings[slot] = text;
  return text;
}

function sameAscii(text: string, bytes: Uint8Array, start: number): boolean {
  const length = text.length;
  for (let index = 0; index < length; index += 1) if (text.charCodeAt(index) !== bytes[start + index]) return false;
  return true;
}

function decodeText(start: number, length: number): string {
  try {
    return textDecoder.decode(source.subarray(start, start + length));
  } catch {
    return invalid("not UTF-8");
  }
}

function readNumber(): number {
  need(1);
  const head = source[position++]!;
  const tag = (head >> 5) & 3;
  let magnitude = head & 31;
  if (head & 0x80) {
    const rest = readVarint();
    if (rest === 0) invalid("overlong number");
    magnitude += rest * 32;
    if (!Number.isSafeInteger(magnitude)) invalid("integer beyond 2^53 - 1");
  }
  if (tag === numberTagPositive) return magnitude;
  if (tag === numberTagNegative) return magnitude === 0 ? invalid("negative zero written as an integer") : -magnitude;
  if (tag !== numberTagFloat || magnitude !== 0) return invalid(`number tag ${tag} unknown`);
  need(8);
  const value = new DataView(source.buffer, source.byteOffset + position, 8).getFloat64(0, true);
  position += 8;
  if (!Number.isFinite(value)) invalid("expected a finite number");
  if (Number.isSafeInteger(value) && !Object.is(value, -0)) invalid("an integer written as a float");
  return value;
}

function readUnits(): bigint {
  need(1);
  const header = source[position++]!;
  const bytes = header & 0x7f;
  if (bytes > 16) invalid(`base units of ${bytes} bytes, at most 16`);
  need(bytes);
  if (bytes > 0 && source[position + bytes - 1] === 0) invalid("base units with a leading zero byte");
  if (bytes === 0 && header !== 0) invalid("negative zero base units");
  let magnitude = 0n;
  for (let index = bytes - 1; index >= 0; index -= 1) magnitude = (magnitude << 8n) | BigInt(source[position + index]!);
  position += bytes;
  return header & 0x80 ? -magnitude : magnitude;
}

// `type` as in encodeObject: set first, so decoded objects have the canonical field order.
function decodeObject(compiled: CompiledShape, type?: string): Record<string, unknown> {
  const level = depth;
  const object: Record<string, unknown> = {};
  if (type !== undefined) object.type = type;
  let flags = 0;
  if (compiled.flagCount > 0) {
    flags = readVarint();
    if (flags >= 2 ** compiled.flagCount) invalid("a field the shape does not have is flagged present", "(flags)");
  }
  for (const entry of compiled.fields) {
    if (entry.flag >= 0 && (flags & (1 << entry.flag)) === 0) {
      if (entry.nullable) object[entry.name] = null;
      continue;
    }
    trail[level] = entry.name;
    depth = level + 1;
    object[entry.name] = decodeValue(entry);
    depth = level;
  }
  if (compiled.oneOf !== undefined) {
    const [first, second] = compiled.oneOf;
    const count = (object[first] === undefined ? 0 : 1) + (object[second] === undefined ? 0 : 1);
    if (count !== 1) invalid(`exactly one of ${first} and ${second}`);
  }
  return object;
}

function decodeValue(entry: CompiledField): unknown {
  switch (entry.rule) {
    case "string":
      return readString();
    case "number":
      return readNumber();
    case "boolean": {
      need(1);
      const byte = source[position++];
      return byte === 1 ? true : byte === 0 ? false : invalid(`boolean byte ${byte}`);
    }
    case "time": {
      need(8);
      const time = new DataView(source.buffer, source.byteOffset + position, 8).getBigUint64(0, true);
      position += 8;
      return time <= timeMax ? time : invalid("nanoseconds beyond 2^63 - 1");
    }
    case "units":
      return readUnits();
    case "batchItems":
      return decodeItems();
    default:
      return decodeObject(entry.nested!);
  }
}

function decodeItems(): unknown[] {
  const count = readVarint();
  if (count > batchItemsWireMax) invalid(`at most ${batchItemsWireMax} items`);
  const items: unknown[] = [];
  const level = depth;
  for (let index = 0; index < count; index += 1) {
    trail[level] = index;
    trail[level + 1] = "type";
    depth = level + 2;
    const type = readString();
    depth = level + 1;
    items.push(decodeObject(itemShape(type), type));
    depth = level;
  }
  return items;
}

/**
 * Decodes a command from its binary encoding in `bytes[start, end)` (see `encodeCommandBinary`). Throws
 * a `CommandCodecError` whose `path` names the field when the bytes are truncated, run past the
 * command, or hold something that is not a well-shaped command.
 *
 * @example
 * ```ts
 * import { decodeCommandBinary, encodeCommandBinary } from "@perpdex/protocol";
 * const command = decodeCommandBinary(encodeCommandBinary({ type: "indexPrice", market: "BTC-PERP", price: 95_000 }));
 * command.type; // => "indexPrice"
 * ```
 */
export function decodeCommandBinary(bytes: Uint8Array, start = 0, stop = bytes.length): LogCommandInput {
  fastPath ??= compiledCodecAvailable();
  if (fastPath && start >= 0 && start <= stop && stop <= bytes.length) {
    try {
      return decodeCompiled(bytes, start, stop);
    } catch {
      // Refused (or not UTF-8): the reference below names the field.
    }
  }
  const decoded = decodeCommandBinaryReference(bytes, start, stop);
  if (fastPath) throw new Error("command-binary: the fast path refused bytes the reference codec accepts");
  return decoded;
}

/**
 * The interpreted `decodeCommandBinary`, keeping the error path on the way: the reference the generated
 * fast path is tested against, and the source of every decoding error.
 *
 * @example
 * ```ts
 * import { decodeCommandBinaryReference, encodeCommandBinary } from "./command-binary.ts";
 * decodeCommandBinaryReference(encodeCommandBinary({ type: "tick" })); // => { type: "tick" }
 * ```
 */
function decodeCommandBinaryReference(bytes: Uint8Array, start = 0, stop = bytes.length): LogCommandInput {
  depth = 0;
  if (!(start >= 0 && start <= stop && stop <= bytes.length)) invalid(`range [${start}, ${stop}) outside the ${bytes.length} bytes`);
  source = bytes;
  position = start;
  end = stop;
  trail[0] = "(version)";
  depth = 1;
  need(1);
  const version = source[position++];
  if (version !== binaryVersion) invalid(`binary command version ${version} unknown, expected ${binaryVersion}`);
  trail[0] = "type";
  const type = readString();
  depth = 0;
  const object = decodeObject(commandShape(type), type);
  if (position !== end) invalid(`${end - position} bytes after the command`);
  return object as unknown as LogCommandInput;
}

// The reference codec, for the tests that hold the fast path to it (not part of the package's surface).
export { decodeCommandBinaryReference, writeCommandBinaryReference };
