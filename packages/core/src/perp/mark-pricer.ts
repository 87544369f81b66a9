import type { Exchange } from "../exchange.ts";
import { createMarkState, markPrice, updateMark, type MarkState } from "./mark-price.ts";
import type { PerpMarket } from "./perp-market.ts";

// Keeps each market's mark price (PRD §2.2.3) on exchange time: at the start of every command (before it
// changes the book or the index) and on every index update the basis EMA advances by the whole seconds
// elapsed, the mark is recomputed, becomes the price band's reference, and drives funding sampling.

const nanosecondsPerSecond = 1_000_000_000n;

export class MarkPricer {
  readonly states: MarkState[] = [];
  /**
   * Exchange time before which advancing changes nothing in any market (no whole second of EMA, no new
   * funding minute): every command advances, so this keeps that O(1) between due times. Not state: 0
   * after a restore, and advancing early is a no-op.
   */
  private dueAt = 0n;
  /**
   * Bumped whenever a market's mark changes or a market is listed: a reader that saw the same count has
   * seen every mark as it is (liquidation search skips its per-market scan on that). Not state.
   */
  markEpoch = 0;

  constructor(private readonly exchange: Exchange) {}

  listed(perpMarket: PerpMarket): void {
    this.states.push(createMarkState(this.exchange.time));
    this.exchange.engine.markets[perpMarket.index]!.referencePrice = perpMarket.markPrice;
    this.dueAt = 0n;
    this.markEpoch += 1;
  }

  advanceAll(): void {
    // Runs at the start of every command: the test stays here, the work goes out of line, so the call
    // inlines into Exchange.apply as one comparison.
    if (this.exchange.time >= this.dueAt) this.advanceAllNow();
  }

  private advanceAllNow(): void {
    let dueAt = -1n;
    for (const perpMarket of this.exchange.perpMarkets) {
      this.advance(perpMarket);
      const markDue = this.states[perpMarket.index]!.lastUpdate + nanosecondsPerSecond;
      const fundingDue = this.exchange.funding.sampleDueAt(perpMarket.index);
      const due = markDue < fundingDue ? markDue : fundingDue;
      if (dueAt < 0n || due < dueAt) dueAt = due;
    }
    this.dueAt = dueAt < 0n ? 0n : dueAt;
  }

  advance(perpMarket: PerpMarket): void {
    const exchange = this.exchange;
    const market = exchange.engine.markets[perpMarket.index]!;
    const bestBid = market.bids.bestPrice();
    const bestAsk = market.asks.bestPrice();
    const state = updateMark({
      state: this.states[perpMarket.index]!,
      time: exchange.time,
      indexTicks: perpMarket.indexPrice,
      bestBid: bestBid === 0 ? null : bestBid,
      bestAsk: bestAsk === 0 ? null : bestAsk,
      // Off hours an equity mark follows the book only within its band around the close (perp/sessions.ts).
      basisLimitPpb: exchange.sessions.basisLimitPpb(perpMarket.index),
    });
    this.states[perpMarket.index] = state;
    const mark = markPrice({ indexTicks: perpMarket.indexPrice, basisPpb: state.basisPpb });
    if (mark !== perpMarket.markPrice) {
      perpMarket.markPrice = mark;
      this.markEpoch += 1;
      market.referencePrice = mark;
      exchange.events.push({
        type: "MarkPriceUpdated",
        sequence: exchange.engine.commandSequence,
        index: exchange.events.length,
        time: exchange.time,
        market: market.symbol,
        markPrice: mark,
        indexPrice: perpMarket.indexPrice,
        basisPpb: state.basisPpb,
      });
      exchange.breakers.markChanged(perpMarket);
    }
    exchange.funding.advance(perpMarket);
  }
}
