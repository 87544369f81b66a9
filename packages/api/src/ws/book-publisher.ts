// Book messages: an update per command that changed a market's levels (seq + 1 each time, whether or
// not anyone listens, so a snapshot's seq always continues the stream), and snapshots on subscription.
// A snapshot is built once per (market, seq) and its bytes reused: a thousand clients resubscribing
// after a restart cost one serialisation.
import type { WsBookMessage } from "@perpdex/protocol";
import type { BookMirror, MirrorBook } from "./book-mirror.ts";
import type { ChannelHub } from "./channel-hub.ts";

/**
 * The most levels of each side a snapshot carries: a bound on one message (about 30 bytes a level),
 * far deeper than the 25 levels the checksum covers.
 */
export const snapshotLevelsMax = 5_000;

/**
 * Publishes `book:M` updates and builds snapshots.
 *
 * @example
 * const books = new BookPublisher({ hub, mirror });
 * books.publish(mirror.apply(events), sequence, time);
 * connection.sendBytes(books.snapshotBytes("BTC-PERP", sequence, time)!);
 */
export class BookPublisher {
  private readonly hub: ChannelHub;
  private readonly mirror: BookMirror;
  private readonly snapshots = new Map<MirrorBook, { seq: number; bytes: Buffer }>();

  constructor(options: { hub: ChannelHub; mirror: BookMirror }) {
    this.hub = options.hub;
    this.mirror = options.mirror;
  }

  /** One update per changed book; the change sets are emptied either way. */
  publish(touched: readonly MirrorBook[], sequence: number, time: bigint): void {
    for (const book of touched) {
      book.seq += 1;
      const key = book.channel;
      if (book.snapshotNeeded) {
        // The grid changed: the levels' prices are new text, so the whole book goes out again.
        book.snapshotNeeded = false;
        book.changedBids.clear();
        book.changedAsks.clear();
        const bytes = this.snapshotBytes(book.symbol, sequence, time);
        if (bytes !== undefined && this.hub.has(key)) this.hub.publishBytes(key, bytes);
        continue;
      }
      if (!this.hub.has(key)) {
        book.changedBids.clear();
        book.changedAsks.clear();
        continue;
      }
      const { bids, asks } = book.takeChanges();
      this.hub.publish(key, bookMessage({ kind: "update", book, sequence, time, bids, asks }));
    }
  }

  /** The snapshot message of a market as UTF-8 bytes, or undefined for an unknown market. */
  snapshotBytes(symbol: string, sequence: number, time: bigint): Buffer | undefined {
    const book = this.mirror.market(symbol);
    if (book === undefined) return undefined;
    const cached = this.snapshots.get(book);
    if (cached !== undefined && cached.seq === book.seq) return cached.bytes;
    const message = bookMessage({ kind: "snapshot", book, sequence, time, bids: book.bids.top(snapshotLevelsMax), asks: book.asks.top(snapshotLevelsMax) });
    const bytes = Buffer.from(JSON.stringify(message), "utf8");
    this.snapshots.set(book, { seq: book.seq, bytes });
    return bytes;
  }
}

// A book message of either kind: the book's seq, grid and checksum around the given levels.
function bookMessage(options: { kind: WsBookMessage["kind"]; book: MirrorBook; sequence: number; time: bigint; bids: WsBookMessage["bids"]; asks: WsBookMessage["asks"] }): WsBookMessage {
  const { book } = options;
  return {
    type: "book",
    kind: options.kind,
    market: book.symbol,
    seq: book.seq,
    sequence: options.sequence,
    time: options.time.toString(),
    tickSize: book.tickSize,
    lotSize: book.lotSize,
    bids: options.bids,
    asks: options.asks,
    checksum: book.checksum(),
  };
}
