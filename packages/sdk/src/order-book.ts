// A local copy of one market's order book, kept from the `book` channel: a snapshot, then updates.
// Every message carries `seq` (one more than the previous message of this book) and a checksum of the
// top 25 levels; a skipped `seq` or a checksum that does not match means the copy is no longer the
// server's, and the only cure is a fresh snapshot (PerpdexSocket resubscribes on its own).
import { bookChecksum, bookChecksumLevels, decimalToTicks, type BookLevel, type WsBookMessage } from "@perpdex/protocol";

/**
 * What applying a book message did: `ok`, or why the book needs a fresh snapshot (`gap`: a message
 * was missed; `checksum`: the top levels differ from the server's; `unsynced`: an update arrived
 * before any snapshot).
 *
 * @example
 * const outcome: BookApplyOutcome = book.apply(message);
 * if (outcome !== "ok") resubscribe();
 */
export type BookApplyOutcome = "ok" | "gap" | "checksum" | "unsynced";

/** One side: price ticks → level, and the ticks sorted best first. */
class LocalSide {
  private readonly byTicks = new Map<number, BookLevel>();
  /** Best first. */
  private ticks: number[] = [];

  constructor(private readonly isBid: boolean) {}

  clear(): void {
    this.byTicks.clear();
    this.ticks = [];
  }

  set(ticks: number, level: BookLevel): void {
    const removing = level[1] === "0" || /^0(\.0+)?$/.test(level[1]);
    const known = this.byTicks.has(ticks);
    if (removing) {
      if (!known) return;
      this.byTicks.delete(ticks);
      this.ticks.splice(this.position(ticks), 1);
      return;
    }
    this.byTicks.set(ticks, level);
    if (!known) this.ticks.splice(this.position(ticks), 0, ticks);
  }

  top(count: number): BookLevel[] {
    const result: BookLevel[] = [];
    for (let index = 0; index < this.ticks.length && index < count; index += 1) result.push(this.byTicks.get(this.ticks[index]!)!);
    return result;
  }

  get size(): number {
    return this.ticks.length;
  }

  // First index whose price is not better than `ticks` (best first: bids descending, asks ascending).
  private position(ticks: number): number {
    let low = 0;
    let high = this.ticks.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const other = this.ticks[middle]!;
      const better = this.isBid ? other > ticks : other < ticks;
      if (better) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

/**
 * One market's book, rebuilt from the `book` channel with gap and checksum checks.
 *
 * @example
 * const book = new LocalOrderBook("BTC-PERP");
 * socket.on("book", (message) => {
 *   if (message.market === "BTC-PERP" && book.apply(message) !== "ok") void socket.resync("BTC-PERP");
 * });
 * console.log(book.bestBid(), book.bestAsk());
 */
export class LocalOrderBook {
  readonly market: string;
  /** The `seq` of the last message applied; -1 before the first snapshot. */
  seq = -1;
  /** The exchange sequence of the last message applied. */
  sequence = 0;
  tickSize = "";
  lotSize = "";
  /** True from a snapshot until a gap or a checksum mismatch. */
  synced = false;
  private readonly bidSide = new LocalSide(true);
  private readonly askSide = new LocalSide(false);

  constructor(market: string) {
    this.market = market;
  }

  /** Applies a snapshot or an update; anything but "ok" leaves the book unsynced until the next snapshot. */
  apply(message: WsBookMessage): BookApplyOutcome {
    if (message.kind === "snapshot") {
      this.bidSide.clear();
      this.askSide.clear();
      this.tickSize = message.tickSize;
      this.lotSize = message.lotSize;
      this.setLevels(message);
      this.seq = message.seq;
      this.sequence = message.sequence;
      this.synced = this.verify(message.checksum);
      return this.synced ? "ok" : "checksum";
    }
    if (!this.synced) return "unsynced";
    if (message.seq !== this.seq + 1) {
      this.synced = false;
      return "gap";
    }
    this.setLevels(message);
    this.seq = message.seq;
    this.sequence = message.sequence;
    if (!this.verify(message.checksum)) {
      this.synced = false;
      return "checksum";
    }
    return "ok";
  }

  private setLevels(message: WsBookMessage): void {
    for (const level of message.bids) this.bidSide.set(this.ticksOf(level[0]), level);
    for (const level of message.asks) this.askSide.set(this.ticksOf(level[0]), level);
  }

  private ticksOf(price: string): number {
    const result = decimalToTicks({ value: price, tickSize: this.tickSize });
    if (!result.ok) throw new Error(`book ${this.market}: price ${price} is not on the tick grid ${this.tickSize}`);
    return result.ticks;
  }

  private verify(checksum: number): boolean {
    return bookChecksum(this.bidSide.top(bookChecksumLevels), this.askSide.top(bookChecksumLevels)) === checksum;
  }

  /** The best `depth` bids, best first, as `[price, size]`. @example book.bids(10); */
  bids(depth = Number.MAX_SAFE_INTEGER): BookLevel[] {
    return this.bidSide.top(depth);
  }

  /** The best `depth` asks, best first. @example book.asks(10); */
  asks(depth = Number.MAX_SAFE_INTEGER): BookLevel[] {
    return this.askSide.top(depth);
  }

  /** The best bid, or undefined. @example const [price, size] = book.bestBid() ?? []; */
  bestBid(): BookLevel | undefined {
    return this.bidSide.top(1)[0];
  }

  /** The best ask, or undefined. @example book.bestAsk()?.[0]; */
  bestAsk(): BookLevel | undefined {
    return this.askSide.top(1)[0];
  }

  /** Levels on each side. @example book.depth(); // => { bids: 12, asks: 9 } */
  depth(): { bids: number; asks: number } {
    return { bids: this.bidSide.size, asks: this.askSide.size };
  }
}
