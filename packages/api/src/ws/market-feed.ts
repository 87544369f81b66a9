// The public market channels other than the book: trades, ticker (last, mark, index, funding, top of
// book) and candles. Everything is derived from each command's events in sequence order, like the book
// mirror, so a message never shows a state the journal does not hold yet.
import type { Exchange, ExchangeEvent } from "@perpdex/core";
import {
  formatUnits,
  uuidV7,
  wsCandleIntervals,
  type WsCandle,
  type WsCandleInterval,
  type WsTicker,
  type WsTrade,
} from "@perpdex/protocol";
import type { BookMirror, MirrorBook } from "./book-mirror.ts";
import type { Candle } from "../read-model/market-data.ts";
import type { ReadModel } from "../read-model/read-model.ts";
import type { ChannelHub } from "./channel-hub.ts";

/** What the ticker shows of one market, in ticks and ppb. */
interface MarketState {
  readonly book: MirrorBook;
  lastTicks: number | null;
  markTicks: number;
  indexTicks: number;
  fundingRatePpb: number;
  bestBid: number;
  bestAsk: number;
  /** What the command being applied changed in the market, null while nothing has. */
  changes: MarketChanges | null;
}

/** Per-command scratch: what changed in each market. */
interface MarketChanges {
  readonly trades: WsTrade[];
  tickerChanged: boolean;
  candlesChanged: boolean;
}

/**
 * Publishes `trades:M`, `ticker:M` and `candles:M:I` from each command's events.
 *
 * @example
 * const feed = new MarketFeed({ hub, mirror, exchange: node.exchange, readModel });
 * node.onApplied(({ sequence, time, events }) => feed.apply(sequence, time, events, mirror.apply(events)));
 */
export class MarketFeed {
  private readonly hub: ChannelHub;
  private readonly mirror: BookMirror;
  private readonly readModel: ReadModel;
  private readonly markets = new Map<string, MarketState>();
  // The markets the command being applied changed, in the order it first changed them: the first
  // changedCount entries (the rest are released and reused; no Map, no truncation per command).
  private readonly changed: (MarketState | null)[] = [];
  private changedCount = 0;

  constructor(options: { hub: ChannelHub; mirror: BookMirror; exchange: Exchange; readModel: ReadModel }) {
    this.hub = options.hub;
    this.mirror = options.mirror;
    this.readModel = options.readModel;
    for (const perpMarket of options.exchange.perpMarkets) {
      const state = this.addMarket(perpMarket.spec.symbol);
      if (state === undefined) continue;
      state.markTicks = perpMarket.markPrice;
      state.indexTicks = perpMarket.indexPrice;
    }
  }

  private addMarket(symbol: string): MarketState | undefined {
    const book = this.mirror.market(symbol);
    if (book === undefined) return undefined;
    const state: MarketState = {
      book,
      lastTicks: null,
      markTicks: 0,
      indexTicks: 0,
      fundingRatePpb: 0,
      bestBid: bestOf(book, false),
      bestAsk: bestOf(book, true),
      changes: null,
    };
    // What the read model already knows: the last trade and the last funding rate.
    const history = this.readModel.market(symbol);
    const lastTrade = history.trades.last();
    if (lastTrade !== undefined) state.lastTicks = lastTrade.price;
    const lastFunding = history.funding.last();
    if (lastFunding !== undefined) state.fundingRatePpb = lastFunding.ratePpb;
    this.markets.set(symbol, state);
    return state;
  }

  /** The ticker message of a market now (also sent right after a subscription). */
  ticker(symbol: string, sequence: number, time: bigint): WsTicker | undefined {
    const state = this.markets.get(symbol);
    return state === undefined ? undefined : this.tickerOf(state, sequence, time);
  }

  /** The current candle of a market and interval (the read model's), or undefined before its first trade. */
  candle(symbol: string, interval: WsCandleInterval): WsCandle | undefined {
    const state = this.markets.get(symbol);
    const candle = this.readModel.market(symbol).candles.get(interval)?.last();
    return state === undefined || candle === undefined ? undefined : candleOf(state, candle);
  }

  /** Folds one command's events in and publishes what changed. */
  apply(sequence: number, time: bigint, events: readonly ExchangeEvent[], touchedBooks: readonly MirrorBook[]): void {
    for (const event of events) this.applyEvent(event);
    // The top of book moves with the mirror (already applied for this command).
    for (const book of touchedBooks) {
      const state = this.markets.get(book.symbol);
      if (state === undefined) continue;
      const bid = bestOf(state.book, false);
      const ask = bestOf(state.book, true);
      if (bid !== state.bestBid || ask !== state.bestAsk) {
        state.bestBid = bid;
        state.bestAsk = ask;
        this.changesOf(state).tickerChanged = true;
      }
    }
    for (let index = 0; index < this.changedCount; index += 1) {
      const state = this.changed[index]!;
      const changes = state.changes!;
      state.changes = null;
      this.changed[index] = null;
      this.publish(state, changes, sequence, time);
    }
    this.changedCount = 0;
  }

  private applyEvent(event: ExchangeEvent): void {
    switch (event.type) {
      case "MarketCreated":
        if (!this.markets.has(event.market)) this.addMarket(event.market);
        return;
      case "TradeExecuted":
        this.trade(event.market, event.price, event.size, event.takerSide, event.sequence, event.index, event.time);
        return;
      case "MarkPriceUpdated": {
        const state = this.markets.get(event.market);
        if (state === undefined) return;
        state.markTicks = event.markPrice;
        state.indexTicks = event.indexPrice;
        this.changesOf(state).tickerChanged = true;
        return;
      }
      case "IndexPriceUpdated": {
        const state = this.markets.get(event.subject);
        if (state === undefined) return;
        state.indexTicks = event.price;
        this.changesOf(state).tickerChanged = true;
        return;
      }
      case "FundingSettled": {
        const state = this.markets.get(event.market);
        if (state === undefined) return;
        state.fundingRatePpb = event.ratePpb;
        this.changesOf(state).tickerChanged = true;
        return;
      }
      default:
        return;
    }
  }

  private trade(market: string, price: number, size: number, side: "buy" | "sell", sequence: number, index: number, time: bigint): void {
    const state = this.markets.get(market);
    if (state === undefined) return;
    const changes = this.changesOf(state);
    state.lastTicks = price;
    changes.tickerChanged = true;
    changes.candlesChanged = true;
    if (!this.hub.hasKind("trades") || !this.hub.has(`trades:${market}`)) return;
    changes.trades.push({
      id: uuidV7({ timeNs: time, sequence, index, kind: "trade" }),
      price: state.book.prices.format(price),
      size: state.book.sizes.format(size),
      side,
      time: time.toString(),
      sequence,
    });
  }

  private changesOf(state: MarketState): MarketChanges {
    let changes = state.changes;
    if (changes === null) {
      changes = { trades: [], tickerChanged: false, candlesChanged: false };
      state.changes = changes;
      this.changed[this.changedCount] = state;
      this.changedCount += 1;
    }
    return changes;
  }

  private publish(state: MarketState, changes: MarketChanges, sequence: number, time: bigint): void {
    const symbol = state.book.symbol;
    if (changes.trades.length > 0) this.hub.publish(`trades:${symbol}`, { type: "trades", market: symbol, trades: changes.trades });
    if (changes.tickerChanged && this.hub.hasKind("ticker") && this.hub.has(`ticker:${symbol}`)) this.hub.publish(`ticker:${symbol}`, this.tickerOf(state, sequence, time));
    if (!changes.candlesChanged || !this.hub.hasKind("candles")) return;
    for (const interval of wsCandleIntervals) {
      const key = `candles:${symbol}:${interval}`;
      if (!this.hub.has(key)) continue;
      const candle = this.candle(symbol, interval);
      if (candle !== undefined) this.hub.publish(key, { type: "candles", market: symbol, interval, candle });
    }
  }

  private tickerOf(state: MarketState, sequence: number, time: bigint): WsTicker {
    const prices = state.book.prices;
    return {
      type: "ticker",
      market: state.book.symbol,
      sequence,
      time: time.toString(),
      last: state.lastTicks === null ? null : prices.format(state.lastTicks),
      mark: prices.format(state.markTicks),
      index: prices.format(state.indexTicks),
      // ppb of the position's notional per funding period: a decimal fraction with 9 places.
      fundingRate: formatUnits(BigInt(state.fundingRatePpb), 9),
      bestBid: state.bestBid === 0 ? null : prices.format(state.bestBid),
      bestAsk: state.bestAsk === 0 ? null : prices.format(state.bestAsk),
    };
  }
}

function bestOf(book: MirrorBook, asks: boolean): number {
  const levels = (asks ? book.asks : book.bids).levels;
  return levels.length === 0 ? 0 : levels[levels.length - 1]!.ticks;
}

function candleOf(state: MarketState, candle: Candle): WsCandle {
  const prices = state.book.prices;
  return {
    start: candle.startMs,
    open: prices.format(candle.open),
    high: prices.format(candle.high),
    low: prices.format(candle.low),
    close: prices.format(candle.close),
    volume: state.book.sizes.format(candle.volumeLots),
    trades: candle.trades,
  };
}
