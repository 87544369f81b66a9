// The journal's on-disk format, version 2. All integers are little-endian.
//
// A segment file starts with a 32-byte header, then holds records back to back:
//
// | offset | bytes | field                                                                       |
// |--------|-------|-----------------------------------------------------------------------------|
// |      0 |     4 | magic "PDXJ"                                                                |
// |      4 |     2 | format version (u16) = 2                                                    |
// |      6 |     2 | header bytes (u16) = 32, so a later version can grow the header             |
// |      8 |     8 | first sequence (u64): the sequence of the segment's first command record    |
// |     16 |     8 | previous time (u64, ns): time of the command before this segment, 0 if none |
// |     24 |     4 | reserved, zero                                                              |
// |     28 |     4 | CRC32C of bytes [0, 28)                                                     |
//
// Each record:
//
// | offset   | bytes | field                                                                     |
// |----------|-------|---------------------------------------------------------------------------|
// |        0 |     1 | magic 0xA5                                                                |
// |        1 |     1 | kind (u8): 1 command, 2 checkpoint, 3 checkpoint due, 4 deferred checkpoint |
// |        2 |     2 | reserved, zero                                                            |
// |        4 |     4 | payload length N (u32)                                                    |
// |        8 |     4 | auth length A (u32); 0 for a checkpoint and a command without one         |
// |       12 |     8 | sequence (u64)                                                            |
// |       20 |     8 | time (u64, ns since the epoch)                                            |
// |       28 |     4 | header CRC32C of bytes [0, 28)                                            |
// |       32 |     N | payload (command bytes, or the 32-byte state hash of a checkpoint)        |
// |     32+N |     A | auth envelope: opaque bytes the node was given with the command           |
// |   32+N+A |     4 | record CRC32C of bytes [0, 32+N+A): header, header checksum, payload, auth |
//
// Version 2 added the auth length and the auth envelope (the signed request and its signature, kept
// verbatim so an auditor can re-verify who asked for each command; the core never sees it). Version 1
// segments are refused with a clear error: start such a data directory afresh.
//
// Why two checksums: the record checksum alone cannot tell a torn tail from a corrupted length field. A
// flipped bit in the length of a record in the middle of the file would make it look as if it ran past
// the end of the file, and recovery would "truncate a torn tail" that holds acknowledged commands. With
// the header checked on its own, the lengths are trusted before they are used.
//
// Why the previous time in the segment header: a reader that starts at a later segment (replay from a
// snapshot, or after old segments were archived) can still check that time strictly increases.
//
// A checkpoint record carries the state hash after applying the command with the same sequence; its time
// is that command's time. It does not consume a sequence number.
//
// A checkpoint can also be recorded in two parts, so that no writer has to hash the state the moment its
// command is applied (a pass over the whole state: seconds at ten million orders). A "checkpoint due"
// record (kind 3, no payload) stands where a checkpoint would, right behind its command, once per
// sequence (a command has a checkpoint or a due record, not both): whoever replays the log hashes the
// state there. A "deferred checkpoint" record (kind 4, the 32-byte hash) comes later, anywhere after that
// command: its sequence is the due command's, its time the time of the command it follows. Kinds 3 and
// 4 came after version 2's first release; a reader that predates them refuses them as unknown kinds.
//
// The hot path (one encode per command, one decode per record on replay) writes and reads the header
// bytes directly: the sequence as two u32 halves from a number, the time with one bigint write.
import assert from 'node:assert/strict';
import os from 'node:os';
import { crc32c, crc32cCopyUpdate, crc32cFinalBits, crc32cInitial, crc32cUpdate, crc32cUpdateU32, crc32cUpdateU32Pair, dataViewOf } from './crc32c.ts';

/** The format version this code writes and reads. */
export const formatVersion = 2;
export const segmentMagic = 'PDXJ';
export const segmentHeaderBytes = 32;
export const recordMagic = 0xa5;
export const recordHeaderBytes = 32;
// The header checksum covers the bytes before it.
const headerChecksumOffset = 28;
export const recordChecksumBytes = 4;
/** Bytes a record adds around its payload. */
export const recordOverheadBytes = recordHeaderBytes + recordChecksumBytes;
export const stateHashBytes = 32;
export const checkpointRecordBytes = recordOverheadBytes + stateHashBytes;
/**
 * The room a writer keeps behind every command, so what may follow it never starts a segment: a
 * checkpoint (or a checkpoint-due record, smaller) and one deferred checkpoint.
 */
export const afterCommandRecordsBytes = 2 * checkpointRecordBytes;
/** A format limit, not a tuning knob: no valid record is larger, so a larger length is corruption. */
export const payloadBytesFormatMax = 64 * 1024 * 1024;
/** A format limit on the auth envelope, for the same reason. */
export const authBytesFormatMax = 1024 * 1024;
/** The largest value a u64 field can hold. */
export const u64Max = (1n << 64n) - 1n;

/**
 * What a record holds: a command to apply, a state-hash checkpoint of the command before it, the mark
 * that the state after the command before it is to be hashed ('checkpointDue'), or that hash recorded
 * later ('deferredCheckpoint').
 */
export type RecordKind = 'command' | 'checkpoint' | 'checkpointDue' | 'deferredCheckpoint';

const kindCodes: Readonly<Record<RecordKind, number>> = { command: 1, checkpoint: 2, checkpointDue: 3, deferredCheckpoint: 4 };
const kindsByCode: readonly (RecordKind | undefined)[] = [undefined, 'command', 'checkpoint', 'checkpointDue', 'deferredCheckpoint'];

function kindFromCode(code: number): RecordKind | undefined {
  return kindsByCode[code];
}

/** The kind's code on disk. */
export function recordKindCode(kind: RecordKind): number {
  return kindCodes[kind];
}

/** The payload bytes a record of this kind must have (a state hash, nothing), or -1 for any (a command). */
function payloadBytesOfKind(code: number): number {
  if (code === kindCodes.checkpoint || code === kindCodes.deferredCheckpoint) return stateHashBytes;
  return code === kindCodes.checkpointDue ? 0 : -1;
}

/** The bytes a record with a payload of `payloadBytes` (and an auth envelope of `authBytes`) takes on disk. */
export function recordBytesFor(payloadBytes: number, authBytes = 0): number {
  return recordOverheadBytes + payloadBytes + authBytes;
}

/** Fields of a segment header. */
export interface SegmentHeader {
  readonly firstSequence: bigint;
  readonly previousTime: bigint;
}

/** Writes a segment header at `target[offset]`. */
export function encodeSegmentHeader(target: Buffer, offset: number, header: SegmentHeader): void {
  assert.ok(header.firstSequence >= 1n && header.firstSequence <= u64Max);
  assert.ok(header.previousTime >= 0n && header.previousTime <= u64Max);
  assert.ok(offset + segmentHeaderBytes <= target.length);
  target.write(segmentMagic, offset, 'latin1');
  target.writeUInt16LE(formatVersion, offset + 4);
  target.writeUInt16LE(segmentHeaderBytes, offset + 6);
  target.writeBigUInt64LE(header.firstSequence, offset + 8);
  target.writeBigUInt64LE(header.previousTime, offset + 16);
  target.writeUInt32LE(0, offset + 24);
  target.writeUInt32LE(crc32c(target, offset, offset + 28), offset + 28);
}

/** A decoded segment header, or why the bytes are not one. */
export type SegmentHeaderDecoded =
  | { readonly valid: true; readonly header: SegmentHeader }
  | { readonly valid: false; readonly reason: string };

/** Reads and checks the segment header at the start of `source`. */
export function decodeSegmentHeader(source: Buffer): SegmentHeaderDecoded {
  if (source.length < segmentHeaderBytes) return { valid: false, reason: 'segment header incomplete' };
  if (source.readUInt32LE(28) !== crc32c(source, 0, 28)) {
    return { valid: false, reason: 'segment header checksum mismatch' };
  }
  if (source.toString('latin1', 0, 4) !== segmentMagic) return { valid: false, reason: 'segment magic missing' };
  const version = source.readUInt16LE(4);
  if (version !== formatVersion) return { valid: false, reason: `segment format version ${version} unknown` };
  if (source.readUInt16LE(6) !== segmentHeaderBytes) return { valid: false, reason: 'segment header size unknown' };
  const firstSequence = source.readBigUInt64LE(8);
  if (firstSequence < 1n) return { valid: false, reason: 'segment first sequence is zero' };
  return { valid: true, header: { firstSequence, previousTime: source.readBigUInt64LE(16) } };
}

/** The fields of one record, to encode. */
export interface RecordFields {
  readonly kind: RecordKind;
  readonly sequence: bigint;
  readonly time: bigint;
  readonly payload: Uint8Array;
  /** The auth envelope of a command; absent or empty for none. */
  readonly auth?: Uint8Array | undefined;
}

const twoTo32 = 0x1_0000_0000;
// A typical command: copied byte by byte while it is hashed, cheaper than a view and a set() for so few bytes.
const smallPayloadBytes = 128;

/** Writes a record at `target[offset]` and returns the bytes written. */
export function encodeRecord(target: Buffer, offset: number, fields: RecordFields): number {
  assert.ok(fields.sequence >= 1n && fields.sequence <= BigInt(Number.MAX_SAFE_INTEGER));
  assert.ok(fields.time >= 1n && fields.time <= u64Max);
  const payload = fields.payload;
  return encodeRecordParts(target, offset, kindCodes[fields.kind], Number(fields.sequence), fields.time, payload, payload.length, fields.auth);
}

/**
 * `encodeRecord` for the journal's hot path: the kind as its code, the sequence as a safe integer, the
 * payload as the first `payloadBytes` of a (reused) buffer. Returns the bytes written.
 *
 * The header checksum is folded from the field values as they are written (not read back from the
 * bytes), and a small payload is copied and folded into the record checksum in one pass.
 */
export function encodeRecordParts(
  target: Buffer,
  offset: number,
  kindCode: number,
  sequence: number,
  time: bigint,
  payload: Uint8Array,
  payloadBytes: number,
  auth: Uint8Array | undefined,
): number {
  const authBytes = auth === undefined ? 0 : auth.length;
  const recordBytes = recordOverheadBytes + payloadBytes + authBytes;
  // One test per record for what only a caller's bug gets wrong (assert.ok allocates its arguments).
  if (
    !(payloadBytes >= 0 && payloadBytes <= payload.length && payloadBytes <= payloadBytesFormatMax && authBytes <= authBytesFormatMax) ||
    !(Number.isSafeInteger(sequence) && sequence >= 1 && offset >= 0 && offset + recordBytes <= target.length)
  ) {
    assert.fail(`journal: record fields out of range (sequence ${sequence}, payload ${payloadBytes} of ${payload.length} bytes, auth ${authBytes} bytes, at ${offset} of ${target.length})`);
  }
  if (kindCode !== kindCodes.command && !(kindFromCode(kindCode) !== undefined && payloadBytes === payloadBytesOfKind(kindCode) && authBytes === 0)) {
    assert.fail(`journal: a record of kind ${kindCode} cannot carry ${payloadBytes} payload and ${authBytes} auth bytes`);
  }
  // A BigUint64Array would wrap a negative or oversized time silently.
  if (time < 0n || time > u64Max) throw new RangeError(`${time} does not fit in a u64`);
  // The time's two u32 halves through the scratch array: no bigint arithmetic.
  u64Scratch[0] = time;
  const timeLow = u64Words[lowWord]!;
  const timeHigh = u64Words[1 - lowWord]!;
  // Every word is kept a signed 32-bit integer (the same bits): an unsigned one of 2^31 or more would be
  // a heap number, allocated at every call that takes it.
  const sequenceLow = sequence | 0;
  const sequenceHigh = Math.floor(sequence / twoTo32);
  // Bytes 0–3: magic, kind, two reserved zero bytes. The words are stored through a DataView of the
  // target (kept for the batch buffer: crc32c.ts), one store each instead of four byte stores.
  const firstWord = recordMagic | (kindCode << 8);
  const view = dataViewOf(target);
  view.setInt32(offset, firstWord, true);
  view.setInt32(offset + 4, payloadBytes, true);
  view.setInt32(offset + 8, authBytes, true);
  view.setInt32(offset + 12, sequenceLow, true);
  view.setInt32(offset + 16, sequenceHigh, true);
  view.setInt32(offset + 20, timeLow, true);
  view.setInt32(offset + 24, timeHigh, true);
  // The same seven words, folded into the header checksum; the record checksum continues from its
  // register, so the header is hashed once.
  let register = crc32cUpdateU32Pair(crc32cInitial, firstWord, payloadBytes);
  register = crc32cUpdateU32Pair(register, authBytes, sequenceLow);
  register = crc32cUpdateU32Pair(register, sequenceHigh, timeLow);
  register = crc32cUpdateU32(register, timeHigh);
  const headerChecksum = crc32cFinalBits(register);
  view.setInt32(offset + headerChecksumOffset, headerChecksum, true);
  register = crc32cUpdateU32(register, headerChecksum);
  const payloadStart = offset + recordHeaderBytes;
  if (payloadBytes <= smallPayloadBytes) {
    register = crc32cCopyUpdate(register, payload, 0, payloadBytes, target, payloadStart);
  } else {
    target.set(payloadBytes === payload.length ? payload : payload.subarray(0, payloadBytes), payloadStart);
    register = crc32cUpdate(register, target, payloadStart, payloadStart + payloadBytes);
  }
  const bodyEnd = payloadStart + payloadBytes + authBytes;
  if (auth !== undefined && authBytes > 0) {
    target.set(auth, payloadStart + payloadBytes);
    register = crc32cUpdate(register, target, payloadStart + payloadBytes, bodyEnd);
  }
  view.setInt32(bodyEnd, crc32cFinalBits(register), true);
  return recordBytes;
}

/** What decoding at one offset found. */
export type RecordDecoded =
  | {
      readonly status: 'valid';
      readonly kind: RecordKind;
      readonly sequence: bigint;
      readonly time: bigint;
      readonly payloadOffset: number;
      readonly payloadBytes: number;
      /** The auth envelope follows the payload; 0 when there is none. */
      readonly authBytes: number;
      readonly recordBytes: number;
    }
  /** Fewer bytes are available than the record needs; `bytesNeeded` counts from the record start. */
  | { readonly status: 'short'; readonly bytesNeeded: number }
  | { readonly status: 'headerInvalid'; readonly reason: string }
  | { readonly status: 'checksumInvalid'; readonly recordBytes: number };

/** Decodes the record at `source[offset]`, looking at no byte at or past `end`. */
export function decodeRecord(source: Buffer, offset: number, end: number): RecordDecoded {
  assert.ok(offset <= end && end <= source.length);
  if (end - offset < recordHeaderBytes) return { status: 'short', bytesNeeded: recordHeaderBytes };
  const headerRegister = crc32cUpdate(crc32cInitial, source, offset, offset + headerChecksumOffset);
  if (crc32cFinalBits(headerRegister) !== i32At(source, offset + headerChecksumOffset)) {
    return { status: 'headerInvalid', reason: 'record header checksum mismatch' };
  }
  const payloadBytes = u32At(source, offset + 4);
  const authBytes = u32At(source, offset + 8);
  if (!isHeaderSound(source, offset, payloadBytes, authBytes)) return { status: 'headerInvalid', reason: recordHeaderProblem(source, offset)! };
  const recordBytes = recordBytesFor(payloadBytes, authBytes);
  if (end - offset < recordBytes) return { status: 'short', bytesNeeded: recordBytes };
  const bodyEnd = offset + recordHeaderBytes + payloadBytes + authBytes;
  const recordRegister = crc32cUpdate(headerRegister, source, offset + headerChecksumOffset, bodyEnd);
  if (crc32cFinalBits(recordRegister) !== i32At(source, bodyEnd)) {
    return { status: 'checksumInvalid', recordBytes };
  }
  return {
    status: 'valid',
    kind: kindFromCode(source[offset + 1]!)!,
    sequence: sequenceAt(source, offset + 12),
    time: u64At(source, offset + 20),
    payloadOffset: offset + recordHeaderBytes,
    payloadBytes,
    authBytes,
    recordBytes,
  };
}

/**
 * The replay reader's allocation-free check of the record at `source[offset]`: its size in bytes when it
 * is whole and both checksums match; 0 when fewer than its bytes are available before `end` (read
 * more); -1 when it is damaged (call `decodeRecord` for the reason). Read its fields with the helpers
 * below.
 */
export function recordBytesAt(source: Buffer, offset: number, end: number): number {
  if (end - offset < recordHeaderBytes) return 0;
  const headerRegister = crc32cUpdate(crc32cInitial, source, offset, offset + headerChecksumOffset);
  if (crc32cFinalBits(headerRegister) !== i32At(source, offset + headerChecksumOffset)) return -1;
  const payloadBytes = u32At(source, offset + 4);
  const authBytes = u32At(source, offset + 8);
  if (!isHeaderSound(source, offset, payloadBytes, authBytes)) return -1;
  const recordBytes = recordOverheadBytes + payloadBytes + authBytes;
  if (end - offset < recordBytes) return 0;
  const bodyEnd = offset + recordHeaderBytes + payloadBytes + authBytes;
  const recordRegister = crc32cUpdate(headerRegister, source, offset + headerChecksumOffset, bodyEnd);
  return crc32cFinalBits(recordRegister) === i32At(source, bodyEnd) ? recordBytes : -1;
}

// `recordHeaderProblem(...) === undefined` without building a reason: the replay loop asks for every
// record, and only a writer bug ever makes it false.
function isHeaderSound(source: Uint8Array, offset: number, payloadBytes: number, authBytes: number): boolean {
  const kind = source[offset + 1];
  if (source[offset] !== recordMagic || source[offset + 2] !== 0 || source[offset + 3] !== 0) return false;
  if (payloadBytes > payloadBytesFormatMax || authBytes > authBytesFormatMax) return false;
  if (u32At(source, offset + 16) >= 0x20_0000) return false;
  if (kind === kindCodes.command) return true;
  return kind !== undefined && kind >= kindCodes.checkpoint && kind <= kindCodes.deferredCheckpoint && payloadBytes === payloadBytesOfKind(kind) && authBytes === 0;
}

// The same four bytes as a signed 32-bit integer (never a heap number): for comparing checksums.
function i32At(source: Uint8Array, at: number): number {
  return source[at]! | (source[at + 1]! << 8) | (source[at + 2]! << 16) | (source[at + 3]! << 24);
}

// A little-endian u32 from four byte loads: cheaper than Buffer.readUInt32LE's argument checks.
function u32At(source: Uint8Array, at: number): number {
  return (source[at]! | (source[at + 1]! << 8) | (source[at + 2]! << 16) | (source[at + 3]! << 24)) >>> 0;
}

/** The kind code (1 command, 2 checkpoint, 3 checkpoint due, 4 deferred checkpoint) of the (checked) record at `source[offset]`. */
export function recordKindCodeAt(source: Uint8Array, offset: number): number {
  return source[offset + 1]!;
}

/** The kind code of a command record (see `recordKindCodeAt`). */
export const commandKindCode = kindCodes.command;
/** The kind code of a checkpoint record (see `recordKindCodeAt`). */
export const checkpointKindCode = kindCodes.checkpoint;
/** The kind code of a checkpoint-due record (see `recordKindCodeAt`). */
export const checkpointDueKindCode = kindCodes.checkpointDue;
/** The kind code of a deferred checkpoint record (see `recordKindCodeAt`). */
export const deferredCheckpointKindCode = kindCodes.deferredCheckpoint;

/** The sequence of the (checked) record at `source[offset]`, as a number (sequences stay below 2^53). */
export function recordSequenceNumberAt(source: Uint8Array, offset: number): number {
  return u32At(source, offset + 12) + u32At(source, offset + 16) * twoTo32;
}

/** The low 32 bits of the time of the record at `source[offset]` (ordering checks without a bigint). */
export function recordTimeLowAt(source: Uint8Array, offset: number): number {
  return u32At(source, offset + 20);
}

/** The high 32 bits of the time of the record at `source[offset]`. */
export function recordTimeHighAt(source: Uint8Array, offset: number): number {
  return u32At(source, offset + 24);
}

/** The bytes a read must hold to decide about the record at `source[offset]` (its header, then all of it). */
export function recordBytesNeeded(source: Buffer, offset: number, end: number): number {
  if (end - offset < recordHeaderBytes) return recordHeaderBytes;
  return recordOverheadBytes + source.readUInt32LE(offset + 4) + source.readUInt32LE(offset + 8);
}

/** The kind of the (checked) record at `source[offset]`. */
export function recordKindAt(source: Buffer, offset: number): RecordKind {
  return kindFromCode(source[offset + 1]!)!;
}

/** The payload length of the (checked) record at `source[offset]`. */
export function recordPayloadBytesAt(source: Uint8Array, offset: number): number {
  return u32At(source, offset + 4);
}

/** The auth envelope length of the (checked) record at `source[offset]` (it follows the payload). */
export function recordAuthBytesAt(source: Uint8Array, offset: number): number {
  return u32At(source, offset + 8);
}

/** Where the (checked) record at `source[offset]` ends, after its checksum: `source[offset, end)` is all of it. */
export function recordEndAt(source: Uint8Array, offset: number): number {
  return offset + recordOverheadBytes + u32At(source, offset + 4) + u32At(source, offset + 8);
}

/** The sequence of the (checked) record at `source[offset]`. */
export function recordSequenceAt(source: Buffer, offset: number): bigint {
  return sequenceAt(source, offset + 12);
}

/** The time of the (checked) record at `source[offset]`. */
export function recordTimeAt(source: Uint8Array, offset: number): bigint {
  return u64At(source, offset + 20);
}

// Sequences stay below 2^53 (the node counts them in numbers), so the high half is small.
function sequenceAt(source: Buffer, at: number): bigint {
  return BigInt(u32At(source, at) + u32At(source, at + 4) * twoTo32);
}

// A u64 read as one bigint: the eight bytes are copied into a BigUint64Array's memory and read back,
// one allocation instead of the four bigint operations of Buffer.readBigUInt64LE (times are above 2^53,
// so a number cannot carry them). The array is in the host's byte order: big-endian hosts read it the
// plain way.
const u64Scratch = new BigUint64Array(1);
const u64ScratchBytes = new Uint8Array(u64Scratch.buffer);
// The same eight bytes as two 32-bit halves (signed: never a heap number); the low half is the first on
// a little-endian host.
const u64Words = new Int32Array(u64Scratch.buffer);
const littleEndianHost = os.endianness() === 'LE';
const lowWord = littleEndianHost ? 0 : 1;

function u64At(source: Uint8Array, at: number): bigint {
  if (!littleEndianHost) return new DataView(source.buffer, source.byteOffset, source.byteLength).getBigUint64(at, true);
  const bytes = u64ScratchBytes;
  for (let index = 0; index < 8; index++) bytes[index] = source[at + index]!;
  return u64Scratch[0]!;
}

// Fields a header with a matching checksum can still get wrong: only a writer bug produces these.
function recordHeaderProblem(source: Buffer, offset: number): string | undefined {
  if (source[offset] !== recordMagic) return 'record magic missing';
  const kind = kindFromCode(source[offset + 1]!);
  if (kind === undefined) return `record kind ${source[offset + 1]} unknown`;
  if (source.readUInt16LE(offset + 2) !== 0) return 'record reserved bits set';
  const payloadBytes = source.readUInt32LE(offset + 4);
  if (payloadBytes > payloadBytesFormatMax) return `record payload length ${payloadBytes} over the format limit`;
  const authBytes = source.readUInt32LE(offset + 8);
  if (authBytes > authBytesFormatMax) return `record auth length ${authBytes} over the format limit`;
  if (kind !== 'command' && payloadBytes !== payloadBytesOfKind(kindCodes[kind])) {
    return kind === 'checkpointDue' ? 'checkpoint-due record with a payload' : `${kind === 'checkpoint' ? 'checkpoint' : 'deferred checkpoint'} payload is not a state hash`;
  }
  if (kind !== 'command' && authBytes !== 0) return 'checkpoint with an auth envelope';
  const high = source.readUInt32LE(offset + 16);
  if (high >= 0x20_0000) return 'record sequence beyond 2^53';
  return undefined;
}

/**
 * Whether a record header with a matching checksum starts at `source[offset]`. Recovery uses it to tell
 * a torn tail (nothing valid follows) from corruption with acknowledged records after it.
 */
export function isRecordHeaderAt(source: Buffer, offset: number): boolean {
  if (offset + recordHeaderBytes > source.length) return false;
  if (source[offset] !== recordMagic) return false;
  if (crc32c(source, offset, offset + headerChecksumOffset) !== source.readUInt32LE(offset + headerChecksumOffset)) return false;
  return recordHeaderProblem(source, offset) === undefined;
}
