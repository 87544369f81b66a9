import type { Exchange } from "../exchange.ts";
import { createMarkState, markPrice, updateMark, type MarkState } from "./mark-price.ts";
import type { PerpMarket } from "./perp-market.ts";

// Keeps each market's mark price (PRD §2.2.3) on exchange time: on every tick and index update the basis
// EMA advances by the whole seconds elapsed, the mark is recomputed, becomes the price band's reference,
// and drives funding sampling.

export class MarkPricer {
  readonly states: MarkState[] = [];

  constructor(private readonly exchange: Exchange) {}

  listed(perpMarket: PerpMarket): void {
    this.states.push(createMarkState(this.exchange.time));
    this.exchange.engine.markets[perpMarket.index]!.referencePrice = perpMarket.markPrice;
  }

  advanceAll(): void {
    for (const perpMarket of this.exchange.perpMarkets) this.advance(perpMarket);
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
    });
    this.states[perpMarket.index] = state;
    const mark = markPrice({ indexTicks: perpMarket.indexPrice, basisPpb: state.basisPpb });
    if (mark !== perpMarket.markPrice) {
      perpMarket.markPrice = mark;
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
    }
    exchange.funding.advance(perpMarket);
  }
}
