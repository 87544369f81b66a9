// The follower's feed: stamped journal records, framed back to back in one buffer per journal batch and
// handed to the follower thread in one message (a transfer, not a copy). One message per batch keeps the
// cost of crossing threads flat as load grows; the buffer is posted only once its batch is durable, so
// the follower — and every snapshot it writes — never holds a command the journal could still lose.
//
// A frame (little-endian): kind (u8: 1 command, 2 checkpoint), sequence (u64), time (u64), payload
// length (u32), payload (the command bytes, or the 32-byte state hash).
import assert from "node:assert/strict";
import type { JournalRecord } from "./journal/journal-reader.ts";

const kindCommand = 1;
const kindCheckpoint = 2;
const frameHeaderBytes = 21;
// Small to start: at low load a batch holds one command; the buffer doubles as a batch grows.
const initialBytes = 4 * 1024;

/** Frames records into one growing buffer. */
export class FrameWriter {
  private buffer = new Uint8Array(initialBytes);
  private view = new DataView(this.buffer.buffer);
  private length = 0;

  get byteLength(): number {
    return this.length;
  }

  /** Adds a record; its payload is `payload[0, payloadBytes)` (all of it by default). */
  add(kind: JournalRecord["kind"], sequence: bigint, time: bigint, payload: Uint8Array, payloadBytes = payload.length): void {
    this.reserve(frameHeaderBytes + payloadBytes);
    const view = this.view;
    const at = this.length;
    view.setUint8(at, kind === "command" ? kindCommand : kindCheckpoint);
    view.setBigUint64(at + 1, sequence, true);
    view.setBigUint64(at + 9, time, true);
    view.setUint32(at + 17, payloadBytes, true);
    const buffer = this.buffer;
    const start = at + frameHeaderBytes;
    if (payloadBytes <= 128) {
      for (let index = 0; index < payloadBytes; index++) buffer[start + index] = payload[index]!;
    } else {
      buffer.set(payload.subarray(0, payloadBytes), start);
    }
    this.length = start + payloadBytes;
  }

  addRecord(record: JournalRecord): void {
    this.add(record.kind, record.sequence, record.time, record.kind === "command" ? record.payload : record.stateHash);
  }

  /** Adds the frames another writer holds (and leaves that writer as it was). */
  append(other: FrameWriter): void {
    this.reserve(other.length);
    this.buffer.set(other.buffer.subarray(0, other.length), this.length);
    this.length += other.length;
  }

  /** The frames so far in a buffer of their own (ready to transfer); the writer starts empty again. */
  take(): Uint8Array {
    const frames = this.buffer.slice(0, this.length);
    this.length = 0;
    return frames;
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < this.length + bytes) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }
}

/**
 * The records framed in `bytes`, in order. Payloads are views into `bytes`.
 *
 * @example
 * for (const record of readFrames(message.frames)) apply(record);
 */
export function* readFrames(bytes: Uint8Array): Generator<JournalRecord, void, undefined> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  // Bounded by the buffer: every frame advances by at least its header.
  while (at < bytes.length) {
    assert.ok(at + frameHeaderBytes <= bytes.length, "feed: truncated frame header");
    const kind = view.getUint8(at);
    const sequence = view.getBigUint64(at + 1, true);
    const time = view.getBigUint64(at + 9, true);
    const payloadBytes = view.getUint32(at + 17, true);
    const start = at + frameHeaderBytes;
    assert.ok(start + payloadBytes <= bytes.length, "feed: truncated frame payload");
    const payload = bytes.subarray(start, start + payloadBytes);
    // The follower replays commands; the auth envelopes stay in the journal.
    if (kind === kindCommand) yield { kind: "command", sequence, time, payload, auth: undefined };
    else {
      assert.equal(kind, kindCheckpoint, "feed: unknown frame kind");
      yield { kind: "checkpoint", sequence, time, stateHash: payload };
    }
    at = start + payloadBytes;
  }
}

/** How a DurableFeed gathers durable batches into messages. */
export interface DurableFeedOptions {
  /**
   * Durable batches are gathered for up to this long before one message carries them all: a message
   * to another thread costs far more than copying a batch's frames (0 posts every batch at once).
   */
  readonly gatherMs: number;
  /** A message is posted at once when the gathered frames reach this size. */
  readonly gatherBytesMax: number;
}

/**
 * Gathers the records of each journal batch (identified by the batch's shared durability promise) and
 * posts them once that batch is durable. Batches become durable in order, so frames arrive in order.
 * With `gatherMs`, durable batches wait up to that long to share one message; `flush` posts what waits.
 */
export class DurableFeed {
  private writer: FrameWriter | undefined;
  private durable: Promise<void> | undefined;
  // Durable frames not yet posted (gathering only).
  private readonly outbox = new FrameWriter();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly post: (frames: Uint8Array) => void,
    private readonly options: DurableFeedOptions = { gatherMs: 0, gatherBytesMax: 0 },
  ) {}

  /** Adds a record appended to the journal; `durable` is what the journal's append returned. */
  add(durable: Promise<void>, kind: JournalRecord["kind"], sequence: bigint, time: bigint, payload: Uint8Array, payloadBytes = payload.length): void {
    if (durable !== this.durable || this.writer === undefined) this.startBatch(durable);
    this.writer!.add(kind, sequence, time, payload, payloadBytes);
  }

  /** Posts every durable frame still gathered (before the follower is told to stop). */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.outbox.byteLength > 0) this.post(this.outbox.take());
  }

  private startBatch(durable: Promise<void>): void {
    const writer = new FrameWriter();
    this.writer = writer;
    this.durable = durable;
    // A failed batch is the node's to handle (it stops); its frames are simply never posted.
    durable.then(
      () => this.deliver(writer),
      () => {},
    );
  }

  private deliver(writer: FrameWriter): void {
    if (this.options.gatherMs === 0) {
      this.post(writer.take());
      return;
    }
    this.outbox.append(writer);
    if (this.outbox.byteLength >= this.options.gatherBytesMax) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.options.gatherMs);
  }
}
