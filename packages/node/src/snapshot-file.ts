// A snapshot file holds the whole exchange state at one sequence, so recovery can start there instead of at
// genesis. Format version 2, integers little-endian:
//
// | offset | bytes | field                                                                    |
// |--------|-------|--------------------------------------------------------------------------|
// |      0 |     4 | magic "PDXS"                                                             |
// |      4 |     2 | format version (u16) = 2                                                 |
// |      6 |     2 | header bytes (u16) = 72                                                  |
// |      8 |     8 | sequence (u64): the last command applied                                 |
// |     16 |     8 | time (u64, ns): that command's exchange time                             |
// |     24 |     8 | body bytes (u64)                                                         |
// |     32 |    32 | state hash: SHA-256 of the body                                          |
// |     64 |     4 | reserved, zero                                                           |
// |     68 |     4 | CRC32C of bytes [0, 68)                                                  |
// |     72 |     N | body: the exchange's canonical state encoding (`writeExchangeState`)     |
//
// Version 1 held the bare matching engine's encoding (`writeState`); version 2 holds the perpetual
// exchange's, which begins with it. A version 1 file is skipped like a damaged one: its log predates
// the exchange and cannot be replayed by it either.
//
// The body's SHA-256 is by definition the core's state hash, so one digest checks the file for damage
// and names the state. A file is written under a temporary name, synced, and renamed into place, so a
// crash leaves either the whole snapshot or none (plus a temporary file that the next start removes).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { restoreExchange, writeExchangeState, type Exchange } from "@perpdex/core";
import { crc32c } from "./journal/crc32c.ts";
import { helperThreadBytesMin, startDigest } from "./snapshot-digest.ts";

const magic = "PDXS";
const formatVersion = 2;
export const snapshotHeaderBytes = 72;
export const snapshotExtension = ".snapshot";
export const temporaryExtension = ".tmp";
const sequenceDigits = 20;
const snapshotNamePattern = /^(\d{20})\.snapshot$/;
// Chunks from the core's writer are gathered into writes of this size: fewer syscalls.
const writeBufferBytes = 4 * 1024 * 1024;
// The body is synced every this many bytes as it is written, not only at the end. A snapshot is hundreds
// of MiB at scale; left dirty in the page cache and flushed by one fsync, it held the disk long enough
// that the journal's synced writes queued behind it (an O_DSYNC write beside an 800 MB file written then
// synced: up to 158 ms; synced every 32 MiB: at most 45 ms, and the file was written sooner).
const syncEveryBytes = 32 * 1024 * 1024;

/** What a snapshot's header says. */
export interface SnapshotHeader {
  readonly sequence: number;
  readonly time: bigint;
  readonly bodyBytes: number;
  readonly stateHash: Uint8Array;
}

/** A snapshot written to disk. */
export interface SnapshotWritten extends SnapshotHeader {
  readonly file: string;
  readonly fileBytes: number;
}

/**
 * The file name of the snapshot taken after command `sequence`.
 *
 * @example
 * snapshotName(42); // "00000000000000000042.snapshot"
 */
export function snapshotName(sequence: number): string {
  assert.ok(Number.isSafeInteger(sequence) && sequence >= 1);
  return `${String(sequence).padStart(sequenceDigits, "0")}${snapshotExtension}`;
}

/**
 * The sequence a snapshot file name stands for, or undefined when the name is not a snapshot's.
 *
 * @example
 * snapshotSequence("00000000000000000042.snapshot"); // 42
 */
export function snapshotSequence(name: string): number | undefined {
  const match = snapshotNamePattern.exec(name);
  if (match === null) return undefined;
  const sequence = Number(match[1]);
  return Number.isSafeInteger(sequence) && sequence >= 1 ? sequence : undefined;
}

function encodeHeader(header: SnapshotHeader): Buffer {
  assert.equal(header.stateHash.length, 32);
  const buffer = Buffer.alloc(snapshotHeaderBytes);
  buffer.write(magic, 0, "latin1");
  buffer.writeUInt16LE(formatVersion, 4);
  buffer.writeUInt16LE(snapshotHeaderBytes, 6);
  buffer.writeBigUInt64LE(BigInt(header.sequence), 8);
  buffer.writeBigUInt64LE(header.time, 16);
  buffer.writeBigUInt64LE(BigInt(header.bodyBytes), 24);
  buffer.set(header.stateHash, 32);
  buffer.writeUInt32LE(crc32c(buffer, 0, 68), 68);
  return buffer;
}

/** The header, or why the bytes are not a snapshot header. */
export function decodeSnapshotHeader(bytes: Buffer): SnapshotHeader | string {
  if (bytes.length < snapshotHeaderBytes) return "file shorter than a snapshot header";
  if (bytes.readUInt32LE(68) !== crc32c(bytes, 0, 68)) return "header checksum mismatch";
  if (bytes.toString("latin1", 0, 4) !== magic) return "magic missing";
  if (bytes.readUInt16LE(4) !== formatVersion) return `format version ${bytes.readUInt16LE(4)} unknown`;
  if (bytes.readUInt16LE(6) !== snapshotHeaderBytes) return "header size unknown";
  const sequence = bytes.readBigUInt64LE(8);
  const bodyBytes = bytes.readBigUInt64LE(24);
  if (sequence < 1n || sequence > BigInt(Number.MAX_SAFE_INTEGER)) return `sequence ${sequence} out of range`;
  if (bodyBytes > BigInt(Number.MAX_SAFE_INTEGER)) return `body size ${bodyBytes} out of range`;
  return {
    sequence: Number(sequence),
    time: bytes.readBigUInt64LE(16),
    bodyBytes: Number(bodyBytes),
    stateHash: new Uint8Array(bytes.subarray(32, 64)),
  };
}

/** A snapshot not written because its state hash is not the one expected: the state diverged. */
export interface SnapshotRefused {
  readonly refused: true;
  readonly sequence: number;
  /** The state's hash (the body's SHA-256). */
  readonly stateHash: Uint8Array;
}

/**
 * Writes the exchange's state as a snapshot in `directory`, durably: temporary file, fsync, rename,
 * directory fsync. Synchronous: call it where blocking does not stall intake (the follower thread, or
 * an offline tool).
 *
 * With `expectedHash` (a checkpoint's recorded hash of this state), the body's hash is compared before
 * the rename: the write doubles as the checkpoint's check, and a state that does not match leaves no
 * file and is answered as refused.
 *
 * @example
 * const written = writeSnapshotFile(exchange, "data/snapshots");
 * console.log(written.file, written.sequence);
 */
export function writeSnapshotFile(exchange: Exchange, directory: string): SnapshotWritten;
export function writeSnapshotFile(exchange: Exchange, directory: string, options: { expectedHash: Uint8Array }): SnapshotWritten | SnapshotRefused;
export function writeSnapshotFile(exchange: Exchange, directory: string, options?: { expectedHash: Uint8Array }): SnapshotWritten | SnapshotRefused {
  const engine = exchange.engine;
  assert.ok(engine.lastSequence >= 1, "snapshot: nothing to snapshot before the first command");
  fs.mkdirSync(directory, { recursive: true });
  const name = snapshotName(engine.lastSequence);
  const file = path.join(directory, name);
  const temporary = `${file}${temporaryExtension}`;
  const descriptor = fs.openSync(temporary, "w");
  let header: SnapshotHeader;
  let expected = true;
  try {
    header = writeBody(exchange, descriptor);
    expected = options === undefined || Buffer.from(header.stateHash).equals(options.expectedHash);
    if (expected) {
      writeFully(descriptor, encodeHeader(header), 0);
      fs.fsyncSync(descriptor);
    }
  } finally {
    fs.closeSync(descriptor);
  }
  if (!expected) {
    fs.rmSync(temporary, { force: true });
    return { refused: true, sequence: header.sequence, stateHash: header.stateHash };
  }
  fs.renameSync(temporary, file);
  syncDirectorySync(directory);
  return { ...header, file, fileBytes: snapshotHeaderBytes + header.bodyBytes };
}

// Streams the canonical state after the header's place, hashing it on the way.
function writeBody(exchange: Exchange, descriptor: number): SnapshotHeader {
  const hash = createHash("sha256");
  const buffer = Buffer.allocUnsafe(writeBufferBytes);
  let buffered = 0;
  let position = snapshotHeaderBytes;
  let unsynced = 0;
  const drain = (): void => {
    writeFully(descriptor, buffer.subarray(0, buffered), position);
    position += buffered;
    unsynced += buffered;
    buffered = 0;
    if (unsynced >= syncEveryBytes) {
      fs.fdatasyncSync(descriptor);
      unsynced = 0;
    }
  };
  // The writer reuses its chunk after the sink returns, so each chunk is copied (or written) at once.
  writeExchangeState(exchange, (chunk) => {
    hash.update(chunk);
    if (buffered + chunk.length > buffer.length) drain();
    buffer.set(chunk, buffered);
    buffered += chunk.length;
  });
  drain();
  return {
    sequence: exchange.engine.lastSequence,
    time: exchange.engine.lastTime,
    bodyBytes: position - snapshotHeaderBytes,
    stateHash: new Uint8Array(hash.digest()),
  };
}

function writeFully(descriptor: number, bytes: Uint8Array, position: number): void {
  let written = 0;
  // Bounded: every pass writes at least one byte or throws.
  while (written < bytes.length) {
    const count = fs.writeSync(descriptor, bytes, written, bytes.length - written, position + written);
    assert.ok(count > 0, "snapshot: write made no progress");
    written += count;
  }
}

function syncDirectorySync(directory: string): void {
  const descriptor = fs.openSync(directory, "r");
  try {
    fs.fsyncSync(descriptor);
  } finally {
    fs.closeSync(descriptor);
  }
}

/** A snapshot read back and checked. */
export interface SnapshotLoaded {
  readonly header: SnapshotHeader;
  readonly exchange: Exchange;
  readonly file: string;
}

/**
 * Reads a snapshot and checks it end to end: header checksum, body length, SHA-256 of the body, that the
 * core restores it, that the restored exchange is at the header's sequence and time, and that it
 * encodes back to the very bytes of the body, so its state hash is the header's. Returns why it is
 * unusable instead of throwing.
 *
 * The body is hashed on a helper thread while the core restores it (snapshot-digest.ts); the checksum
 * still decides first, so a damaged body is reported as damaged whatever the restore made of it, and
 * the core's structural checks bound the work a damaged body can cause before that.
 *
 * `rehash: false` skips the last check (a full pass over the restored state): for a file whose restore
 * was already proved faithful, as the follower's copy of the snapshot the node just loaded. The body's
 * SHA-256 is still checked, so a file changed in between is still refused. `helperBytesMin` is the
 * body size from which the hash runs on a helper thread (tests lower it).
 *
 * @example
 * const loaded = readSnapshotFile("data/snapshots/00000000000000000042.snapshot");
 * if (typeof loaded === "string") console.warn(loaded);
 */
export function readSnapshotFile(
  file: string,
  options: { rehash?: boolean; helperBytesMin?: number } = {},
): SnapshotLoaded | string {
  let descriptor: number;
  let bytes: Buffer;
  try {
    descriptor = fs.openSync(file, "r");
  } catch (error) {
    return `unreadable: ${(error as Error).message}`;
  }
  try {
    try {
      bytes = fs.readFileSync(descriptor);
    } catch (error) {
      return `unreadable: ${(error as Error).message}`;
    }
    const helperBytesMin = options.helperBytesMin ?? helperThreadBytesMin;
    return checkSnapshot({ file, bytes, descriptor, rehash: options.rehash ?? true, helperBytesMin });
  } finally {
    fs.closeSync(descriptor);
  }
}

function checkSnapshot(options: {
  file: string;
  bytes: Buffer;
  descriptor: number;
  rehash: boolean;
  helperBytesMin: number;
}): SnapshotLoaded | string {
  const { file, bytes, descriptor, helperBytesMin } = options;
  const header = decodeSnapshotHeader(bytes);
  if (typeof header === "string") return header;
  if (bytes.length !== snapshotHeaderBytes + header.bodyBytes) {
    return `file holds ${bytes.length} bytes, the header says ${snapshotHeaderBytes + header.bodyBytes}`;
  }
  const body = bytes.subarray(snapshotHeaderBytes);
  const digest = startDigest({ body, descriptor, offset: snapshotHeaderBytes, helperBytesMin });
  let exchange: Exchange | undefined;
  let restoreFailure = "";
  try {
    exchange = restoreExchange(body);
  } catch (error) {
    restoreFailure = `the core cannot restore it: ${(error as Error).message}`;
  }
  if (!digest.digest().equals(header.stateHash)) return "body checksum (SHA-256) mismatch";
  if (exchange === undefined) return restoreFailure;
  const engine = exchange.engine;
  if (engine.lastSequence !== header.sequence || engine.lastTime !== header.time) {
    return `the state is at sequence ${engine.lastSequence}, the header says ${header.sequence}`;
  }
  // The restored exchange must encode to the body again: restore is faithful, not just readable. Equal
  // bytes have the body's SHA-256, checked above to be the header's state hash, so this is the state-hash
  // check, without hashing the 800 MB a second time, and it says where a difference starts.
  if (options.rehash) {
    const differsAt = encodingDifference(exchange, body);
    if (differsAt !== -1) return `restored state hashes differently: its encoding departs from the body at byte ${differsAt}`;
  }
  return { header, exchange, file };
}

/**
 * The offset of the first byte where the exchange's canonical encoding (`writeExchangeState`) and `body`
 * differ, or -1 when they are equal; where one ends first, the length of the shorter.
 *
 * @example
 * encodingDifference(restored, body) === -1; // the restored exchange has the body's state hash
 */
export function encodingDifference(exchange: Exchange, body: Uint8Array): number {
  const bodyBuffer = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  let offset = 0;
  let differsAt = -1;
  writeExchangeState(exchange, (chunk) => {
    if (differsAt !== -1) return;
    const end = Math.min(offset + chunk.length, body.length);
    if (bodyBuffer.compare(chunk, 0, end - offset, offset, end) !== 0 || end - offset !== chunk.length) {
      differsAt = offset + firstUnequal(chunk, bodyBuffer.subarray(offset, end));
    }
    offset += chunk.length;
  });
  if (differsAt === -1 && offset !== body.length) differsAt = Math.min(offset, body.length);
  return differsAt;
}

function firstUnequal(left: Uint8Array, right: Uint8Array): number {
  const length = Math.min(left.length, right.length);
  for (let index = 0; index < length; index += 1) if (left[index] !== right[index]) return index;
  return length;
}
