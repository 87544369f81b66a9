import { assert } from "../assert.ts";
import type { Exchange } from "../exchange.ts";
import {
  addSample,
  createFundingState,
  fundingOwed,
  fundingParametersPrd,
  minuteOf,
  premiumPpb,
  sampleDue,
  settleDue,
  settleFunding,
  type FundingState,
} from "./funding.ts";
import { collateralValue } from "./account-risk.ts";
import type { QuoteUnits } from "./fixed-point.ts";
import type { PerpMarket } from "./perp-market.ts";
import type { Position } from "./position.ts";

// Funding (PRD §2.2.2) with a cumulative index per market: settlement is O(1) per market each hour, and
// a position pays or receives what it owes the next time it is touched (a fill, a margin change, a view
// that settles). Payers round up and receivers round down; the sub-µUSD remainder (`dust`, 1e-9 µUSD)
// collects here and moves to the insurance fund a whole µUSD at a time, so money stays exact.

const fineUnitsPerQuote = 1_000_000_000n;
const nanosecondsPerMinute = 60_000_000_000n;

export class FundingLedger {
  readonly states: FundingState[] = [];
  /** Bumped at each settlement of a market: a position with the same epoch owes nothing. */
  readonly epochs: number[] = [];
  dust = 0n;

  constructor(private readonly exchange: Exchange) {}

  listed(perpMarket: PerpMarket): void {
    assert(this.states.length === perpMarket.index);
    this.states.push(createFundingState(this.exchange.time));
    this.epochs.push(0);
  }

  opened(position: Position): void {
    const marketIndex = position.market.index;
    position.fundingIndex = this.states[marketIndex]!.cumulativeFundingPerLot;
    position.fundingEpoch = this.epochs[marketIndex]!;
  }

  /** Settles what the position owes since it last did; call before its size or margin changes. */
  catchUp(position: Position): void {
    const marketIndex = position.market.index;
    const epoch = this.epochs[marketIndex]!;
    if (position.fundingEpoch === epoch) return;
    const indexNow = this.states[marketIndex]!.cumulativeFundingPerLot;
    const indexThen = position.fundingIndex;
    position.fundingIndex = indexNow;
    position.fundingEpoch = epoch;
    if (position.size === 0) return;
    const owed = fundingOwed({ sizeLots: position.size, indexNow, indexThen });
    this.collectDust(BigInt(owed) * fineUnitsPerQuote - BigInt(position.size) * (indexNow - indexThen));
    if (owed === 0) return;
    position.fundingPaid += owed;
    if (position.mode === "isolated") {
      position.margin -= owed;
      this.exchange.settlement.coverDeficit(position);
    } else {
      const account = position.account;
      account.cash -= owed;
      // Pending funding counts in no pre-trade check: paid now, it may leave the account's orders unbacked.
      if (owed > 0 && collateralValue(account, this.exchange.prices) < account.reserved) this.exchange.cashCharged(account);
    }
    const exchange = this.exchange;
    exchange.liquidations.touchPosition(position);
    exchange.events.push({
      type: "FundingPaid",
      sequence: exchange.engine.commandSequence,
      index: exchange.events.length,
      time: exchange.time,
      account: position.account.address,
      market: position.market.symbol,
      amount: owed,
    });
  }

  /** What catchUp would settle now, µUSD (positive: the position pays), without settling it. */
  owedNow(position: Position): QuoteUnits {
    const marketIndex = position.market.index;
    if (position.fundingEpoch === this.epochs[marketIndex]! || position.size === 0) return 0;
    const indexNow = this.states[marketIndex]!.cumulativeFundingPerLot;
    return fundingOwed({ sizeLots: position.size, indexNow, indexThen: position.fundingIndex });
  }

  private collectDust(amount: bigint): void {
    assert(amount >= 0n, "funding rounding must favour the exchange");
    this.dust += amount;
    if (this.dust < fineUnitsPerQuote) return;
    const whole = this.dust / fineUnitsPerQuote;
    this.dust -= whole * fineUnitsPerQuote;
    this.exchange.treasury.insuranceFund += Number(whole);
  }

  /** Samples the premium once a minute and settles on the hour (called on every tick). */
  advance(perpMarket: PerpMarket): void {
    const time = this.exchange.time;
    const state = this.states[perpMarket.index]!;
    if (settleDue(state, time)) this.settle(perpMarket, state);
    if (!sampleDue(state, time)) return;
    addSample(state, minuteOf(time), premiumPpb({ markTicks: perpMarket.markPrice, indexTicks: perpMarket.indexPrice }));
  }

  /**
   * When the market's next premium sample is due: the start of the minute after its last sample. The
   * hourly settlement is never due earlier (the last sample lies in the hour being sampled).
   */
  sampleDueAt(marketIndex: number): bigint {
    return BigInt(this.states[marketIndex]!.lastSampleMinute + 1) * nanosecondsPerMinute;
  }

  private settle(perpMarket: PerpMarket, state: FundingState): void {
    const exchange = this.exchange;
    const settlement = settleFunding(state, {
      time: exchange.time,
      markTicks: perpMarket.markPrice,
      quotePerTickLot: perpMarket.quotePerTickLot,
      parameters: fundingParametersPrd,
    });
    this.epochs[perpMarket.index] = this.epochs[perpMarket.index]! + 1;
    exchange.events.push({
      type: "FundingSettled",
      sequence: exchange.engine.commandSequence,
      index: exchange.events.length,
      time: exchange.time,
      market: perpMarket.spec.symbol,
      ratePpb: settlement.ratePpb,
      markPrice: perpMarket.markPrice,
      cumulativeIndex: state.cumulativeFundingPerLot,
    });
  }

  /** Funding a position owes now, exactly, in 1e-9 µUSD (positive: it will pay). For invariants. */
  pendingExact(position: Position): bigint {
    const indexNow = this.states[position.market.index]!.cumulativeFundingPerLot;
    return BigInt(position.size) * (indexNow - position.fundingIndex);
  }
}
