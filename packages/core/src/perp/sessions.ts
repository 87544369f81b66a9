import { assert } from "../assert.ts";
import type { CanonicalReader } from "../canonical-reader.ts";
import type { CanonicalWriter } from "../canonical-writer.ts";
import type { Exchange } from "../exchange.ts";
import { accepted, reject, type Accepted, type Rejection } from "../rejections.ts";
import { ppmOne } from "../units.ts";
import type { TimeNs } from "../units.ts";
import { basisPpbMax } from "./mark-price.ts";
import { multiplyDivide } from "./fixed-point.ts";
import { nyseSessionAt } from "./nyse-calendar.ts";
import type { PerpMarket } from "./perp-market.ts";

// Market sessions for US equities (design.md "Beyond the anchors"). Crypto markets ignore sessions; every
// other asset class is an equity market on the NYSE calendar. Equity perps trade 24/7, but the index only
// moves in regular hours. Off hours:
// - oracle aggregates no longer move the index, which stays at the last official close;
// - the mark follows the book: the basis EMA of the book's mid over that close keeps running, with its
//   samples and result clamped to ±offHoursBandPpm, so mark = close × (1 + basis) stays in the band and
//   liquidations use this clamped mark;
// - opening orders need initial margin × offHoursMarginFactorPpm.
// At the open the regime holds until the first index of the session arrives: then the mark re-anchors to
// the index (basis 0) and, if the index gapped more than the band from the close, the market goes through
// the circuit breaker (halt, cancel, restricted) instead of a liquidation cascade at the gapped price.

/**
 * Admin: a market's off-hours parameters.
 *
 * @example
 * const command: MarketSessionCommand = { type: "marketSession", sequence: 1, time: 1n, market: "AAPL-PERP", offHoursBandPpm: 50_000, offHoursMarginFactorPpm: 1_500_000 };
 */
export interface MarketSessionCommand {
  readonly type: "marketSession";
  readonly sequence: number;
  readonly time: TimeNs;
  readonly market: string;
  /** How far the off-hours mark may move from the last close, ppm (1 … 500_000). */
  readonly offHoursBandPpm: number;
  /** Initial margin multiplier off hours, ppm (1_000_000 … 10_000_000). */
  readonly offHoursMarginFactorPpm: number;
}

/**
 * Defaults: the mark stays within ±5 % of the close off hours, and opening needs 1.5 × initial margin.
 *
 * @example
 * sessionDefaults.offHoursBandPpm; // => 50_000
 */
export const sessionDefaults = Object.freeze({ offHoursBandPpm: 50_000, offHoursMarginFactorPpm: 1_500_000 });

interface MarketSessionState {
  equity: boolean;
  lastClose: number;
  /** The session is open but its first index has not arrived: the off-hours regime still holds. */
  awaitingOpen: boolean;
  bandPpm: number;
  marginFactorPpm: number;
}

export class Sessions {
  /** Whether the NYSE regular session was open at the last advance (state). */
  open = false;
  /** Exchange time of the current session's open (or the last one), from the calendar. Not state. */
  openedAt = -1n;
  private readonly markets: MarketSessionState[] = [];
  /** The next calendar boundary; 0 forces a lookup (after a restore). Not state. */
  private changesAt = 0n;

  constructor(private readonly exchange: Exchange) {}

  listed(perpMarket: PerpMarket): void {
    assert(perpMarket.index === this.markets.length, "sessions list markets in order");
    this.markets.push({
      equity: perpMarket.spec.assetClass !== "crypto",
      lastClose: perpMarket.indexPrice,
      awaitingOpen: false,
      bandPpm: sessionDefaults.offHoursBandPpm,
      marginFactorPpm: sessionDefaults.offHoursMarginFactorPpm,
    });
  }

  isEquity(marketIndex: number): boolean {
    return this.markets[marketIndex]!.equity;
  }

  /** Whether an equity market's regular session is closed now. */
  isClosed(marketIndex: number): boolean {
    return this.markets[marketIndex]!.equity && !this.open;
  }

  /** Whether an equity market is in its off-hours regime (closed, or open and waiting for its first index). */
  isOffHours(marketIndex: number): boolean {
    const state = this.markets[marketIndex]!;
    return state.equity && (!this.open || state.awaitingOpen);
  }

  /** The last official close of a market (ticks): the index when the session last closed. */
  lastClose(marketIndex: number): number {
    return this.markets[marketIndex]!.lastClose;
  }

  /** The widest basis the mark may take now: the off-hours band, or the mark's own limit in session. */
  basisLimitPpb(marketIndex: number): number {
    if (!this.isOffHours(marketIndex)) return basisPpbMax;
    return this.markets[marketIndex]!.bandPpm * 1000;
  }

  /** Initial margin an opening order must post now: `margin` × the off-hours factor, rounded up. */
  openingMargin(marketIndex: number, margin: number): number {
    if (margin <= 0 || !this.isOffHours(marketIndex)) return margin;
    return multiplyDivide({ value: margin, multiplier: this.markets[marketIndex]!.marginFactorPpm, divisor: ppmOne, rounding: "ceil" });
  }

  configure(command: MarketSessionCommand): Accepted | Rejection {
    const perpMarket = this.exchange.perpMarket(command.market);
    if (!("index" in perpMarket)) return perpMarket;
    const band = command.offHoursBandPpm;
    const factor = command.offHoursMarginFactorPpm;
    if (!Number.isInteger(band) || band < 1 || band > 500_000) return reject("SETTING_INVALID", `offHoursBandPpm must be 1 to 500000 (50 %)`);
    if (!Number.isInteger(factor) || factor < ppmOne || factor > 10 * ppmOne) {
      return reject("SETTING_INVALID", `offHoursMarginFactorPpm must be 1000000 to 10000000 (1x to 10x)`);
    }
    const state = this.markets[perpMarket.index]!;
    state.bandPpm = band;
    state.marginFactorPpm = factor;
    this.emit({ type: "MarketSessionConfigured", market: command.market, offHoursBandPpm: band, offHoursMarginFactorPpm: factor });
    return accepted;
  }

  /** Time passes: crossing a calendar boundary closes or opens every equity market. */
  advance(): void {
    // Runs at the start of every command: the test stays here, the work goes out of line, so the call
    // inlines into Exchange.apply as one comparison.
    if (this.exchange.time >= this.changesAt) this.advanceNow();
  }

  private advanceNow(): void {
    const time = this.exchange.time;
    const position = nyseSessionAt(time);
    this.changesAt = position.changesAt ?? time + 86_400_000_000_000n;
    if (position.open) this.openedAt = position.since ?? time;
    if (position.open === this.open) return;
    this.open = position.open;
    for (const perpMarket of this.exchange.perpMarkets) {
      const state = this.markets[perpMarket.index]!;
      if (!state.equity) continue;
      if (!position.open) {
        state.lastClose = perpMarket.indexPrice;
        state.awaitingOpen = false;
      } else {
        state.awaitingOpen = true;
      }
      this.emit({ type: "MarketSessionChanged", market: perpMarket.spec.symbol, open: position.open, lastClose: state.lastClose });
    }
  }

  /**
   * A new index for a market, from the oracle aggregate or the `indexPrice` command. Off hours an oracle
   * aggregate does not move an equity index (the session is closed); an admin `indexPrice` does, and sets
   * the close the band is anchored to. The first index of a session re-anchors the mark and checks the gap.
   */
  applyIndex(perpMarket: PerpMarket, price: number, origin: "oracle" | "admin"): void {
    const exchange = this.exchange;
    const state = this.markets[perpMarket.index]!;
    if (state.equity && !this.open) {
      if (origin === "oracle") return;
      state.lastClose = price;
    } else if (state.equity && state.awaitingOpen) {
      this.reopen(perpMarket, state, price);
    }
    perpMarket.indexPrice = price;
    this.emit({ type: "IndexPriceUpdated", subject: perpMarket.spec.symbol, price });
    exchange.marks.advance(perpMarket);
  }

  private reopen(perpMarket: PerpMarket, state: MarketSessionState, price: number): void {
    const exchange = this.exchange;
    state.awaitingOpen = false;
    const close = state.lastClose;
    const gapPpm = multiplyDivide({ value: price - close, multiplier: ppmOne, divisor: close, rounding: "halfUp" });
    const tripped = Math.abs(gapPpm) > state.bandPpm;
    // Re-anchor: the mark restarts at the index (basis 0); the EMA keeps its second grid.
    const mark = exchange.marks.states[perpMarket.index]!;
    exchange.marks.states[perpMarket.index] = { basisPpb: 0, lastUpdate: mark.lastUpdate };
    this.emit({ type: "MarketReopened", market: perpMarket.spec.symbol, lastClose: close, indexPrice: price, gapPpm, circuitBreaker: tripped });
    if (tripped) exchange.breakers.trip(perpMarket, `reopening gap of ${gapPpm} ppm from the close exceeds the ${state.bandPpm} ppm band`);
  }

  private emit(event: Record<string, unknown>): void {
    const exchange = this.exchange;
    exchange.events.push({ sequence: exchange.engine.commandSequence, index: exchange.events.length, time: exchange.time, ...event } as never);
  }

  writeState(writer: CanonicalWriter): void {
    writer.boolean(this.open);
    for (const state of this.markets) {
      writer.u32(state.lastClose);
      writer.boolean(state.awaitingOpen);
      writer.u32(state.bandPpm);
      writer.u32(state.marginFactorPpm);
    }
  }

  readState(reader: CanonicalReader): void {
    this.open = reader.u8() === 1;
    for (const state of this.markets) {
      state.lastClose = reader.u32();
      state.awaitingOpen = reader.u8() === 1;
      state.bandPpm = reader.u32();
      state.marginFactorPpm = reader.u32();
    }
    this.changesAt = 0n;
  }
}
