// The follower's feed: durable journal records, handed to the follower thread in few, large messages.
//
// Frames are journal records in the journal's own layout (journal/format.ts), so a durable batch goes to
// the follower as the journal wrote it: one copy of its bytes, no per-record work on the node's thread.
// Recovery hands over the records it replays the same way, as read from the journal. Records are posted
// only once durable, so the follower — and every snapshot it writes — never holds a command the journal
// could still lose. The follower reads them with a FrameCursor (journal/frame-cursor.ts), which does not
// check the checksums: the bytes never leave the process's memory.

// Small to start: at low load a message holds a few records; the buffer doubles as needed.
const initialBytes = 4 * 1024;
// A message this small is copied out and the buffer kept; a larger one is handed over whole.
const copiedBytesMax = 64 * 1024;

/** Gathers runs of journal records into one growing buffer. */
export class FrameWriter {
  private buffer = new Uint8Array(initialBytes);
  private length = 0;

  get byteLength(): number {
    return this.length;
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
    return frames;
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < this.length + bytes) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }
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
