// The follower's feed: durable journal records, handed to the follower thread in few, large messages.
//
// Frames are journal records in the journal's own layout (journal/format.ts), so a durable batch goes to
// the follower as the journal wrote it: one copy of its bytes, no per-record work on the node's thread.
// Records are posted only once durable, so the follower — and every snapshot it writes — never holds a
// command the journal could still lose. The follower does not check the checksums (the bytes never
// leave the process's memory), and the frames recovery builds from records it replays carry zeros there.
import { recordHeaderBytes, recordKindCode, recordMagic, recordOverheadBytes } from "./journal/format.ts";
import { FrameCursor } from "./journal/frame-cursor.ts";
import type { JournalRecord } from "./journal/journal-reader.ts";

// Offsets within a record (journal/format.ts).
const kindOffset = 1;
const payloadLengthOffset = 4;
const authLengthOffset = 8;
const sequenceOffset = 12;
const timeOffset = 20;
const noBytes = new Uint8Array(0);
const twoTo32 = 0x1_0000_0000;
// Small to start: at low load a message holds a few records; the buffer doubles as needed.
const initialBytes = 4 * 1024;
// A message this small is copied out and the buffer kept; a larger one is handed over whole.
const copiedBytesMax = 64 * 1024;

/** Frames records (or whole runs of journal records) into one growing buffer. */
export class FrameWriter {
  private buffer = new Uint8Array(initialBytes);
  private view = new DataView(this.buffer.buffer);
  private length = 0;

  get byteLength(): number {
    return this.length;
  }

  /** Adds a record; its payload is `payload[0, payloadBytes)` (all of it by default). No auth envelope. */
  add(kind: JournalRecord["kind"], sequence: bigint, time: bigint, payload: Uint8Array, payloadBytes = payload.length): void {
    this.reserve(recordOverheadBytes + payloadBytes);
    const view = this.view;
    const at = this.length;
    const sequenceNumber = Number(sequence);
    view.setUint32(at, 0, true);
    view.setUint8(at, recordMagic);
    view.setUint8(at + kindOffset, recordKindCode(kind));
    view.setUint32(at + payloadLengthOffset, payloadBytes, true);
    view.setUint32(at + authLengthOffset, 0, true);
    view.setUint32(at + sequenceOffset, sequenceNumber % twoTo32, true);
    view.setUint32(at + sequenceOffset + 4, Math.floor(sequenceNumber / twoTo32), true);
    view.setBigUint64(at + timeOffset, time, true);
    view.setUint32(at + recordHeaderBytes - 4, 0, true);
    const start = at + recordHeaderBytes;
    this.buffer.set(payloadBytes === payload.length ? payload : payload.subarray(0, payloadBytes), start);
    view.setUint32(start + payloadBytes, 0, true);
    this.length = start + payloadBytes + 4;
  }

  addRecord(record: JournalRecord): void {
    const payload = record.kind === "command" ? record.payload : record.kind === "checkpointDue" ? noBytes : record.stateHash;
    this.add(record.kind, record.sequence, record.time, payload);
  }

  /** Adds whole journal records, as the journal wrote them. */
  addRecords(records: Uint8Array): void {
    this.reserve(records.length);
    this.buffer.set(records, this.length);
    this.length += records.length;
  }

  /** The frames so far in a buffer of their own (ready to transfer); the writer starts empty again. */
  take(): Uint8Array {
    const length = this.length;
    this.length = 0;
    if (length <= copiedBytesMax) return this.buffer.slice(0, length);
    // Handing the buffer over saves copying it; the next one starts at the same size.
    const frames = this.buffer.subarray(0, length);
    this.buffer = new Uint8Array(this.buffer.length);
    this.view = new DataView(this.buffer.buffer);
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
 * The records framed in `bytes`, in order. Payloads are views into `bytes`; auth envelopes are skipped
 * (the follower replays commands; the envelopes stay in the journal).
 *
 * @example
 * for (const record of readFrames(message.frames)) apply(record);
 */
export function* readFrames(bytes: Uint8Array): Generator<JournalRecord, void, undefined> {
  const cursor = new FrameCursor(bytes);
  while (cursor.advance()) yield cursor.record();
}

/** How a DurableFeed gathers durable records into messages. */
export interface DurableFeedOptions {
  /**
   * Durable records are gathered for up to this long before one message carries them all: a message
   * to another thread costs far more than copying a batch's bytes (0 posts every batch at once).
   */
  readonly gatherMs: number;
  /** A message is posted at once when the gathered frames reach this size. */
  readonly gatherBytesMax: number;
}

/**
 * Gathers durable journal records (each batch as the journal reports it durable, in order) and posts
 * them in few messages; `flush` posts what waits.
 *
 * @example
 * const feed = new DurableFeed((frames) => follower.send(frames), { gatherMs: 10, gatherBytesMax: 1 << 20 });
 * journal.observeDurable({ durable: (records) => feed.add(records), failed: () => {} });
 */
export class DurableFeed {
  // Durable frames not yet posted.
  private readonly outbox = new FrameWriter();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly flushLater = (): void => this.flush();

  constructor(
    private readonly post: (frames: Uint8Array) => void,
    private readonly options: DurableFeedOptions = { gatherMs: 0, gatherBytesMax: 0 },
  ) {}

  /** Adds durable journal records (copied: the caller may reuse the bytes). */
  add(records: Uint8Array): void {
    if (records.length === 0) return;
    this.outbox.addRecords(records);
    if (this.options.gatherMs === 0 || this.outbox.byteLength >= this.options.gatherBytesMax) this.flush();
    else this.timer ??= setTimeout(this.flushLater, this.options.gatherMs);
  }

  /** Posts every durable frame still gathered (before the follower is told to stop). */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.outbox.byteLength > 0) this.post(this.outbox.take());
  }
}
