// The level-2 books of the WebSocket `book` channel, kept from events alone.
//
// The node tells listeners about a command once it is durable, and by then the core may already have
// applied later commands; reading the core's book at that moment would mix states. So the mirror is
// rebuilt purely from each command's events, in sequence order, and is exactly the core's book as of
// the last command it has seen (packages/api/test/ws-book.test.ts compares them after random streams).
//
// Which orders rest follows from the core's event order (engine.ts): an incoming order emits
// OrderAccepted, then its trades and fills as taker, then either ends as taker (OrderFilled, OrderExpired
// with no GTD time, or OrderCanceled for SELF_TRADE / MATCH_LIMIT) or rests silently. It has rested by
// the time the next order is accepted, the command ends, or any other event names it (a user cancel, a
// reduce, a maker fill, a reduce-only trim).
import type { Exchange, ExchangeEvent } from "@perpdex/core";
import { bookChecksum, bookChecksumLevels, type BookLevel } from "@perpdex/protocol";
import { StepFormatter } from "./step-format.ts";

/**
 * One price level: whole ticks and lots, and both as the wire writes them. The texts are formatted when
 * first read (a snapshot, the checksum) and cached: most levels come and go, and change size many
 * times, without anyone reading them.
 */
export class MirrorLevel {
  lots = 0;
  private priceCache: string | null = null;
  private sizeCache = "0";
  private sizeCacheLots = 0;

  constructor(
    readonly ticks: number,
    private readonly book: MirrorBook,
  ) {}

  /** The price as the wire writes it, on the book's current grid. */
  get priceText(): string {
    if (this.priceCache === null) this.priceCache = this.book.prices.format(this.ticks);
    return this.priceCache;
  }

  /** The size as the wire writes it ("0" once the level is empty). */
  get sizeText(): string {
    if (this.lots !== this.sizeCacheLots) {
      this.sizeCacheLots = this.lots;
      this.sizeCache = this.lots === 0 ? "0" : this.book.sizes.format(this.lots);
    }
    return this.sizeCache;
  }

  /** A stock split changed the tick size: the same ticks are another price now. */
  regrid(): void {
    this.priceCache = null;
  }
}

/** One side of a mirrored book; levels sorted worst → best, like the core's BookSide. */
export class MirrorSide {
  readonly levels: MirrorLevel[] = [];
  private readonly byTicks = new Map<number, MirrorLevel>();

  constructor(readonly isBid: boolean) {}

  clear(): void {
    this.levels.length = 0;
    this.byTicks.clear();
  }

  lotsAt(ticks: number): number {
    return this.byTicks.get(ticks)?.lots ?? 0;
  }

  /** Adds `lots` (negative: removes) at `ticks`; an emptied level leaves the side. */
  change(ticks: number, lots: number, book: MirrorBook): void {
    let level = this.byTicks.get(ticks);
    if (level === undefined) {
      if (lots <= 0) throw new Error(`book mirror ${book.symbol}: removing ${-lots} lots from an empty level ${ticks}`);
      level = new MirrorLevel(ticks, book);
      this.byTicks.set(ticks, level);
      this.levels.splice(this.insertPosition(ticks), 0, level);
    }
    level.lots += lots;
    if (level.lots < 0) throw new Error(`book mirror ${book.symbol}: level ${ticks} went negative`);
    if (level.lots === 0) {
      this.byTicks.delete(ticks);
      const last = this.levels.length - 1;
      if (this.levels[last] === level) this.levels.pop();
      else this.levels.splice(this.levels.indexOf(level), 1);
    }
  }

  /** The best `count` levels, best first, as wire pairs. */
  top(count: number): BookLevel[] {
    const result: BookLevel[] = [];
    for (let position = this.levels.length - 1; position >= 0 && result.length < count; position -= 1) {
      const level = this.levels[position]!;
      result.push([level.priceText, level.sizeText]);
    }
    return result;
  }

  /** First index whose level is better than `ticks`. */
  private insertPosition(ticks: number): number {
    let low = 0;
    let high = this.levels.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const price = this.levels[middle]!.ticks;
      const better = this.isBid ? price > ticks : price < ticks;
      if (better) high = middle;
      else low = middle + 1;
    }
    return low;
  }
}

/** A market's mirrored book and the levels that changed in the command being applied. */
export class MirrorBook {
  readonly bids = new MirrorSide(true);
  readonly asks = new MirrorSide(false);
  prices: StepFormatter;
  sizes: StepFormatter;
  /** Messages of this book so far: the next update gets seq + 1. */
  seq = 0;
  readonly changedBids = new Set<number>();
  readonly changedAsks = new Set<number>();
  /** The grid changed (a stock split): subscribers get a whole new snapshot instead of an update. */
  snapshotNeeded = false;
  /**
   * The book's channel, `book:` and the symbol: built once here, not per command (a string built per
   * publish was flattened and hashed again by the hub's lookup on every command).
   */
  readonly channel: string;

  constructor(
    readonly index: number,
    readonly symbol: string,
    public tickSize: string,
    public lotSize: string,
  ) {
    this.channel = `book:${symbol}`;
    this.prices = new StepFormatter(tickSize);
    this.sizes = new StepFormatter(lotSize);
  }

  /** A split rescaled the market: the same ticks now mean other prices. */
  regrid(tickSize: string): void {
    this.tickSize = tickSize;
    this.prices = new StepFormatter(tickSize);
    for (const side of [this.bids, this.asks]) for (const level of side.levels) level.regrid();
    this.snapshotNeeded = true;
  }

  side(sell: boolean): MirrorSide {
    return sell ? this.asks : this.bids;
  }

  checksum(): number {
    return bookChecksum(this.bids.top(bookChecksumLevels), this.asks.top(bookChecksumLevels));
  }

  /** Changed levels as wire pairs (size "0": gone), and clears the change sets. */
  takeChanges(): { bids: BookLevel[]; asks: BookLevel[] } {
    const bids = this.changesOf(this.bids, this.changedBids);
    const asks = this.changesOf(this.asks, this.changedAsks);
    return { bids, asks };
  }

  private changesOf(side: MirrorSide, changed: Set<number>): BookLevel[] {
    const result: BookLevel[] = [];
    for (const ticks of changed) {
      const lots = side.lotsAt(ticks);
      result.push([this.prices.format(ticks), lots === 0 ? "0" : this.sizes.format(lots)]);
    }
    changed.clear();
    return result;
  }
}

/** The fields of the corporate-action events the mirror follows (read by name: other layers' events). */
interface CorporateActionFields {
  readonly type: string;
  readonly orderId?: number;
  readonly remaining?: number;
  readonly market?: string;
  readonly kind?: string;
  readonly tickSize?: string;
}

/** What the mirror knows of an open order (resting or still matching). */
export interface OpenOrder {
  readonly orderId: number;
  readonly book: MirrorBook;
  readonly sell: boolean;
  readonly price: number;
  remaining: number;
  resting: boolean;
}

/**
 * Every market's level-2 book, rebuilt from events; `apply` returns the books a command changed.
 *
 * @example
 * const mirror = BookMirror.fromExchange(node.exchange);
 * node.onApplied(({ events }) => { for (const book of mirror.apply(events)) publish(book.takeChanges()); });
 */
export class BookMirror {
  readonly books: MirrorBook[] = [];
  private readonly bySymbol = new Map<string, MirrorBook>();
  readonly orders = new Map<number, OpenOrder>();
  private incoming: OpenOrder | null = null;
  private readonly touched = new Set<MirrorBook>();

  /** A mirror of the exchange's books as they stand now. */
  static fromExchange(exchange: Exchange): BookMirror {
    const mirror = new BookMirror();
    mirror.load(exchange);
    return mirror;
  }

  /**
   * (Re)loads every book from the exchange as it stands now, keeping each book's seq. After a load
   * that repairs the mirror, every book is marked for a fresh snapshot.
   */
  load(exchange: Exchange): void {
    const engine = exchange.engine;
    const pool = engine.pool;
    this.orders.clear();
    this.incoming = null;
    for (const market of engine.markets) {
      let book = this.bySymbol.get(market.symbol);
      if (book === undefined) book = this.addMarket(market.symbol, market.spec.tickSize, market.spec.lotSize);
      else if (book.tickSize !== market.spec.tickSize) book.regrid(market.spec.tickSize);
      book.bids.clear();
      book.asks.clear();
      book.changedBids.clear();
      book.changedAsks.clear();
      for (const side of [market.bids, market.asks]) {
        for (const level of side.levels) {
          for (let slot = level.head; slot !== -1; slot = pool.next[slot]!) {
            const order: OpenOrder = {
              orderId: pool.orderId[slot]!,
              book,
              sell: !side.isBid,
              price: level.price,
              remaining: pool.remaining[slot]!,
              resting: true,
            };
            this.orders.set(order.orderId, order);
            book.side(order.sell).change(order.price, order.remaining, book);
          }
        }
      }
    }
  }

  market(symbol: string): MirrorBook | undefined {
    return this.bySymbol.get(symbol);
  }

  addMarket(symbol: string, tickSize: string, lotSize: string): MirrorBook {
    const book = new MirrorBook(this.books.length, symbol, tickSize, lotSize);
    this.books.push(book);
    this.bySymbol.set(symbol, book);
    return book;
  }

  /** Applies one command's events; returns the books whose levels changed (their change sets filled). */
  apply(events: readonly ExchangeEvent[]): MirrorBook[] {
    this.incoming = null;
    for (const event of events) this.applyEvent(event);
    this.settleIncoming();
    const touched: MirrorBook[] = [];
    for (const book of this.touched) if (book.snapshotNeeded || book.changedBids.size + book.changedAsks.size > 0) touched.push(book);
    this.touched.clear();
    return touched;
  }

  private applyEvent(event: ExchangeEvent): void {
    switch (event.type) {
      case "MarketCreated":
        if (!this.bySymbol.has(event.market)) this.addMarket(event.market, event.tickSize, event.lotSize);
        return;
      case "OrderAccepted": {
        this.settleIncoming();
        const book = this.bySymbol.get(event.market);
        if (book === undefined) throw new Error(`book mirror: order ${event.orderId} on unknown market ${event.market}`);
        const order: OpenOrder = {
          orderId: event.orderId,
          book,
          sell: event.side === "sell",
          price: event.price,
          remaining: event.size,
          resting: false,
        };
        this.orders.set(order.orderId, order);
        this.incoming = order;
        return;
      }
      case "OrderPartiallyFilled":
      case "OrderFilled": {
        const order = this.orders.get(event.orderId);
        if (order === undefined) return;
        if (event.maker) this.settle(order);
        if (order.resting) this.changeLevel(order, -event.fillSize);
        order.remaining = event.remaining;
        if (event.type === "OrderFilled") this.forget(order);
        return;
      }
      case "OrderCanceled":
      case "OrderExpired": {
        const order = this.orders.get(event.orderId);
        if (order === undefined) return;
        const endsAsTaker =
          event.type === "OrderCanceled" ? event.reason === "SELF_TRADE" || event.reason === "MATCH_LIMIT" : event.expiresAt === null;
        if (!(order === this.incoming && endsAsTaker)) this.settle(order);
        if (order.resting) this.changeLevel(order, -order.remaining);
        this.forget(order);
        return;
      }
      case "OrderReduced": {
        const order = this.orders.get(event.orderId);
        if (order !== undefined) this.resize(order, event.remaining);
        return;
      }
      default:
        this.applyCorporateAction(event as unknown as CorporateActionFields);
    }
  }

  // A resting order's remaining size changed in place (reduced by its owner, rescaled by a split).
  private resize(order: OpenOrder, remaining: number): void {
    this.settle(order);
    this.changeLevel(order, remaining - order.remaining);
    order.remaining = remaining;
  }

  // Stock splits (corporate-actions.ts): each resting order's size is rescaled (OrderRescaled), then the
  // market's tick size changes (CorporateActionExecuted): the whole book goes out as a new snapshot.
  private applyCorporateAction(event: CorporateActionFields): void {
    if (event.type === "OrderRescaled" && event.orderId !== undefined && event.remaining !== undefined) {
      const order = this.orders.get(event.orderId);
      if (order !== undefined) this.resize(order, event.remaining);
      return;
    }
    if (event.type === "CorporateActionExecuted" && event.kind === "split" && event.market !== undefined && event.tickSize !== undefined) {
      const book = this.bySymbol.get(event.market);
      if (book === undefined) return;
      book.regrid(event.tickSize);
      this.touched.add(book);
    }
  }

  private settleIncoming(): void {
    if (this.incoming !== null) this.settle(this.incoming);
    this.incoming = null;
  }

  // An open order that is not matching any more rests with what remains of it.
  private settle(order: OpenOrder): void {
    if (order.resting || !this.orders.has(order.orderId)) return;
    order.resting = true;
    if (order === this.incoming) this.incoming = null;
    this.changeLevel(order, order.remaining);
  }

  private changeLevel(order: OpenOrder, lots: number): void {
    if (lots === 0) return;
    const book = order.book;
    book.side(order.sell).change(order.price, lots, book);
    (order.sell ? book.changedAsks : book.changedBids).add(order.price);
    this.touched.add(book);
  }

  private forget(order: OpenOrder): void {
    this.orders.delete(order.orderId);
    if (order === this.incoming) this.incoming = null;
  }
}
