import type { Exchange } from "../exchange.ts";
import { ExpiryQueue } from "../expiry-queue.ts";
import { createMarkState, markPrice, updateMark, type MarkState } from "./mark-price.ts";
import type { PerpMarket } from "./perp-market.ts";

// Keeps each market's mark price (PRD §2.2.3) on exchange time: at the start of every command (before it
// changes the book or the index) and on every index update the basis EMA advances by the whole seconds
// elapsed, the mark is recomputed, becomes the price band's reference, and drives funding sampling.

const nanosecondsPerSecond = 1_000_000_000n;

// Market indexes in ascending order (sorting numbers by default compares them as strings).
const ascending = (left: number, right: number): number => left - right;

export class MarkPricer {
  readonly states: MarkState[] = [];
  /**
   * Every market once, keyed by when advancing it next changes something: its EMA's next whole second or
   * its next funding minute, whichever comes first. A key may be early (an index update advanced the
   * market meanwhile; advancing it again is a no-op), never late. Markets listed at different times keep
   * different second grids, so with many markets some market is due at most commands: advancing only the
   * due ones keeps a command O(due markets), not O(markets). Not state: rebuilt by listing.
   */
  private readonly due = new ExpiryQueue();
  // The markets advanced by one command (reused).
  private readonly dueMarkets: number[] = [];
  /**
   * Exchange time before which advancing changes nothing in any market: the queue's earliest key, so
   * the test at every command stays one comparison. 0 after a listing or a restore.
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
    // Due at once: the next command advances it (a restore then reads its state over the new one).
    this.due.push(0n, perpMarket.index);
    this.dueAt = 0n;
    this.markEpoch += 1;
  }

  advanceAll(): void {
    // Runs at the start of every command: the test stays here, the work goes out of line, so the call
    // inlines into Exchange.apply as one comparison.
    if (this.exchange.time >= this.dueAt) this.advanceDue();
  }

  // Advances the due markets in market order: the order in which advancing every market would emit
  // their events, since advancing a market that is not due changes nothing.
  private advanceDue(): void {
    const time = this.exchange.time;
    const due = this.due;
    const markets = this.dueMarkets;
    markets.length = 0;
    while (due.size > 0 && due.peekTime()! <= time) markets.push(due.pop());
    if (markets.length > 1) markets.sort(ascending);
    const perpMarkets = this.exchange.perpMarkets;
    for (let at = 0; at < markets.length; at += 1) {
      const index = markets[at]!;
      this.advance(perpMarkets[index]!);
      const markDue = this.states[index]!.lastUpdate + nanosecondsPerSecond;
      const fundingDue = this.exchange.funding.sampleDueAt(index);
      due.push(markDue < fundingDue ? markDue : fundingDue, index);
    }
    this.dueAt = due.size === 0 ? 0n : due.peekTime()!;
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
