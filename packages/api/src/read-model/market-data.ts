// Public market history derived from events: trades, OHLCV candles (1m … 1d), mark and index prices,
// and funding settlements. Prices are ticks and sizes lots here; views format them as decimals.
import { Ring } from "./ring.ts";

/** A trade as the tape shows it. */
export interface TradeRecord {
  readonly sequence: number;
  readonly index: number;
  readonly time: bigint;
  readonly price: number;
  readonly size: number;
  readonly takerSide: "buy" | "sell";
}

/** An OHLCV candle; volume in lots, quote volume in ticks × lots. */
export interface Candle {
  readonly startMs: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volumeLots: number;
  trades: number;
}

export const candleIntervals = { "1m": 60_000, "5m": 300_000, "15m": 900_000, "1h": 3_600_000, "4h": 14_400_000, "1d": 86_400_000 } as const;
export type CandleInterval = keyof typeof candleIntervals;
export const candleIntervalNames = Object.keys(candleIntervals) as CandleInterval[];
const candleIntervalMs: readonly number[] = candleIntervalNames.map((name) => candleIntervals[name]);

/** A mark/index observation (from MarkPriceUpdated). */
export interface MarkRecord {
  readonly time: bigint;
  readonly markPrice: number;
  readonly indexPrice: number;
  readonly basisPpb: number;
}

/** An hourly funding settlement (from FundingSettled). */
export interface FundingRecord {
  readonly time: bigint;
  readonly ratePpb: number;
  readonly markPrice: number;
}

const tradesKept = 1_000;
const candlesKept = 1_500;
const marksKept = 1_000;
const fundingKept = 1_000;

/** The history of one market. */
export class MarketHistory {
  readonly trades = new Ring<TradeRecord>(tradesKept);
  readonly candles = new Map<CandleInterval, Ring<Candle>>(candleIntervalNames.map((name) => [name, new Ring<Candle>(candlesKept)]));
  readonly marks = new Ring<MarkRecord>(marksKept);
  readonly funding = new Ring<FundingRecord>(fundingKept);
  // The rings of `candles` in candleIntervalNames' order: no map lookup per trade and interval.
  private readonly candleRings = candleIntervalNames.map((name) => this.candles.get(name)!);
  // The last trade time seen and its milliseconds (a command's trades share its time).
  private lastTradeTime = -1n;
  private lastTradeMs = 0;

  addTrade(trade: TradeRecord): void {
    this.trades.push(trade);
    if (trade.time !== this.lastTradeTime) {
      this.lastTradeTime = trade.time;
      this.lastTradeMs = Number(trade.time / 1_000_000n);
    }
    const timeMs = this.lastTradeMs;
    for (let interval = 0; interval < candleIntervalNames.length; interval += 1) {
      const startMs = timeMs - (timeMs % candleIntervalMs[interval]!);
      const ring = this.candleRings[interval]!;
      const last = ring.last();
      if (last !== undefined && last.startMs === startMs) {
        last.high = Math.max(last.high, trade.price);
        last.low = Math.min(last.low, trade.price);
        last.close = trade.price;
        last.volumeLots += trade.size;
        last.trades += 1;
      } else {
        ring.push({ startMs, open: trade.price, high: trade.price, low: trade.price, close: trade.price, volumeLots: trade.size, trades: 1 });
      }
    }
  }

  /** 24-hour statistics from the 1-minute candles. */
  daily(nowMs: number): { open: number | null; high: number | null; low: number | null; volumeLots: number; trades: number } {
    const since = nowMs - candleIntervals["1d"];
    const candles = this.candles.get("1m")!.newest(1_440, (candle) => candle.startMs >= since);
    if (candles.length === 0) return { open: null, high: null, low: null, volumeLots: 0, trades: 0 };
    let high = 0;
    let low = Number.MAX_SAFE_INTEGER;
    let volumeLots = 0;
    let trades = 0;
    for (const candle of candles) {
      high = Math.max(high, candle.high);
      low = Math.min(low, candle.low);
      volumeLots += candle.volumeLots;
      trades += candle.trades;
    }
    return { open: candles[candles.length - 1]!.open, high, low, volumeLots, trades };
  }
}
