// The journal's on-disk format, version 1. All integers are little-endian.
//
// A segment file starts with a 32-byte header, then holds records back to back:
//
// | offset | bytes | field                                                                       |
// |--------|-------|-----------------------------------------------------------------------------|
// |      0 |     4 | magic "PDXJ"                                                                |
// |      4 |     2 | format version (u16) = 1                                                    |
// |      6 |     2 | header bytes (u16) = 32, so a later version can grow the header             |
// |      8 |     8 | first sequence (u64): the sequence of the segment's first command record    |
// |     16 |     8 | previous time (u64, ns): time of the command before this segment, 0 if none |
// |     24 |     4 | reserved, zero                                                              |
// |     28 |     4 | CRC32C of bytes [0, 28)                                                     |
//
// Each record:
//
// | offset | bytes | field                                                                       |
// |--------|-------|-----------------------------------------------------------------------------|
// |      0 |     1 | magic 0xA5                                                                  |
// |      1 |     1 | kind (u8): 1 command, 2 checkpoint                                          |
// |      2 |     2 | reserved, zero                                                              |
// |      4 |     4 | payload length N (u32)                                                      |
// |      8 |     8 | sequence (u64)                                                              |
// |     16 |     8 | time (u64, ns since the epoch)                                              |
// |     24 |     4 | header CRC32C of bytes [0, 24)                                              |
// |     28 |     N | payload (command bytes, or the 32-byte state hash of a checkpoint)          |
// |   28+N |     4 | record CRC32C of bytes [0, 28+N): header, header checksum and payload       |
//
// Why two checksums: the record checksum alone cannot tell a torn tail from a corrupted length field. A
// flipped bit in the length of a record in the middle of the file would make it look as if it ran past
// the end of the file, and recovery would "truncate a torn tail" that holds acknowledged commands. With
// the header checked on its own, the length is trusted before it is used.
//
// Why the previous time in the segment header: a reader that starts at a later segment (replay from a
// snapshot, or after old segments were archived) can still check that time strictly increases.
//
// A checkpoint record carries the state hash after applying the command with the same sequence; its time
// is that command's time. It does not consume a sequence number.
import assert from 'node:assert/strict';
import { crc32c, crc32cFinal, crc32cInitial, crc32cUpdate } from './crc32c.ts';

/** The format version this code writes and reads. */
export const formatVersion = 1;
export const segmentMagic = 'PDXJ';
export const segmentHeaderBytes = 32;
export const recordMagic = 0xa5;
export const recordHeaderBytes = 28;
export const recordChecksumBytes = 4;
/** Bytes a record adds around its payload. */
export const recordOverheadBytes = recordHeaderBytes + recordChecksumBytes;
export const stateHashBytes = 32;
export const checkpointRecordBytes = recordOverheadBytes + stateHashBytes;
/** A format limit, not a tuning knob: no valid record is larger, so a larger length is corruption. */
export const payloadBytesFormatMax = 64 * 1024 * 1024;
/** The largest value a u64 field can hold. */
export const u64Max = (1n << 64n) - 1n;

/** What a record holds: a command to apply, or a state-hash checkpoint. */
export type RecordKind = 'command' | 'checkpoint';

const kindCodes: Readonly<Record<RecordKind, number>> = { command: 1, checkpoint: 2 };

function kindFromCode(code: number): RecordKind | undefined {
  if (code === kindCodes.command) return 'command';
  if (code === kindCodes.checkpoint) return 'checkpoint';
  return undefined;
}

/** The bytes a record with a payload of `payloadBytes` takes on disk. */
export function recordBytesFor(payloadBytes: number): number {
  return recordOverheadBytes + payloadBytes;
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
}

/** Writes a record at `target[offset]` and returns the bytes written. */
export function encodeRecord(target: Buffer, offset: number, fields: RecordFields): number {
  const payloadBytes = fields.payload.length;
  const recordBytes = recordBytesFor(payloadBytes);
  assert.ok(payloadBytes <= payloadBytesFormatMax);
  assert.ok(fields.sequence >= 1n && fields.sequence <= u64Max);
  assert.ok(fields.time >= 1n && fields.time <= u64Max);
  if (fields.kind === 'checkpoint') assert.equal(payloadBytes, stateHashBytes);
  assert.ok(offset + recordBytes <= target.length);
  target[offset] = recordMagic;
  target[offset + 1] = kindCodes[fields.kind];
  target.writeUInt16LE(0, offset + 2);
  target.writeUInt32LE(payloadBytes, offset + 4);
  target.writeBigUInt64LE(fields.sequence, offset + 8);
  target.writeBigUInt64LE(fields.time, offset + 16);
  // The record checksum continues from the header checksum's register, so the header is hashed once.
  const headerRegister = crc32cUpdate(crc32cInitial, target, offset, offset + 24);
  target.writeUInt32LE(crc32cFinal(headerRegister), offset + 24);
  target.set(fields.payload, offset + recordHeaderBytes);
  const payloadEnd = offset + recordHeaderBytes + payloadBytes;
  const recordRegister = crc32cUpdate(headerRegister, target, offset + 24, payloadEnd);
  target.writeUInt32LE(crc32cFinal(recordRegister), payloadEnd);
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
  const headerRegister = crc32cUpdate(crc32cInitial, source, offset, offset + 24);
  if (crc32cFinal(headerRegister) !== source.readUInt32LE(offset + 24)) {
    return { status: 'headerInvalid', reason: 'record header checksum mismatch' };
  }
  const headerProblem = recordHeaderProblem(source, offset);
  if (headerProblem !== undefined) return { status: 'headerInvalid', reason: headerProblem };
  const payloadBytes = source.readUInt32LE(offset + 4);
  const recordBytes = recordBytesFor(payloadBytes);
  if (end - offset < recordBytes) return { status: 'short', bytesNeeded: recordBytes };
  const payloadEnd = offset + recordHeaderBytes + payloadBytes;
  const recordRegister = crc32cUpdate(headerRegister, source, offset + 24, payloadEnd);
  if (crc32cFinal(recordRegister) !== source.readUInt32LE(payloadEnd)) {
    return { status: 'checksumInvalid', recordBytes };
  }
  return {
    status: 'valid',
    kind: kindFromCode(source[offset + 1]!)!,
    sequence: source.readBigUInt64LE(offset + 8),
    time: source.readBigUInt64LE(offset + 16),
    payloadOffset: offset + recordHeaderBytes,
    payloadBytes,
    recordBytes,
  };
}

// Fields a header with a matching checksum can still get wrong: only a writer bug produces these.
function recordHeaderProblem(source: Buffer, offset: number): string | undefined {
  if (source[offset] !== recordMagic) return 'record magic missing';
  const kind = kindFromCode(source[offset + 1]!);
  if (kind === undefined) return `record kind ${source[offset + 1]} unknown`;
  if (source.readUInt16LE(offset + 2) !== 0) return 'record reserved bits set';
  const payloadBytes = source.readUInt32LE(offset + 4);
  if (payloadBytes > payloadBytesFormatMax) return `record payload length ${payloadBytes} over the format limit`;
  if (kind === 'checkpoint' && payloadBytes !== stateHashBytes) return 'checkpoint payload is not a state hash';
  return undefined;
}

/**
 * Whether a record header with a matching checksum starts at `source[offset]`. Recovery uses it to tell
 * a torn tail (nothing valid follows) from corruption with acknowledged records after it.
 */
export function isRecordHeaderAt(source: Buffer, offset: number): boolean {
  if (offset + recordHeaderBytes > source.length) return false;
  if (source[offset] !== recordMagic) return false;
  if (crc32c(source, offset, offset + 24) !== source.readUInt32LE(offset + 24)) return false;
  return recordHeaderProblem(source, offset) === undefined;
}
