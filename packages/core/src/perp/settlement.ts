import type { Account } from "../accounts.ts";
import { assert } from "../assert.ts";
import type { Fill } from "../engine.ts";
import type { Exchange } from "../exchange.ts";
import { feeForValues, feeInsuranceSharePpm, feeRatesFor, feeScheduleSpec, insuranceShareOf, RollingVolume, type FeeRates } from "./fee-schedule.ts";
import { multiplyDivideValues, notional, type QuoteUnits } from "./fixed-point.ts";
import { depositToFund } from "./insurance-fund.ts";
import { initialMarginValues } from "./margin-tiers.ts";
import type { PerpMarket } from "./perp-market.ts";
import type { Position } from "./position.ts";

// Settlement of fills (SPEC 03 / 15, T+0): fees by each side's volume tier, the exchange's share split
// 40 % insurance fund / 60 % treasury, then each side's position moves: exposure added at the fill price
// (isolated positions take initial margin out of cash), exposure closed realises PnL against the average
// entry, and a fill through zero closes and reopens in one step.

export class Settlement {
  constructor(private readonly exchange: Exchange) {}

  /** The taker fee an order of `orderNotional` could pay at most, for the pre-trade check. */
  takerFeeBound(account: Account, orderNotional: QuoteUnits, marketRates: FeeRates | null = null): QuoteUnits {
    const rates = marketRates !== null && account.feeOverride === null ? marketRates : this.currentRates(account);
    return Math.max(0, feeForValues(orderNotional, rates.takerPpm));
  }

  /**
   * An account's rates in a market: its own override, else the market's rates (an admin's setMarketFees),
   * else its volume tier. ratesOf runs either way: its daily cache is state and must not depend on markets.
   */
  private ratesIn(account: Account, marketRates: FeeRates | null): FeeRates {
    const rates = this.ratesOf(account);
    return marketRates !== null && account.feeOverride === null ? marketRates : rates;
  }

  /**
   * ratesOf without filling the cache: the cache is state (it is hashed), and a check that may reject
   * must change nothing. Same value: before an account's first fill of the day, nothing of its volume
   * is today's, so computing now gives what the first fill will cache.
   */
  private currentRates(account: Account): FeeRates {
    if (account.feeDay === this.exchange.day && account.feeRates !== null) return account.feeRates;
    const volume = account.volume?.total(this.exchange.time) ?? 0;
    return feeRatesFor({ volume, override: account.feeOverride, schedule: feeScheduleSpec });
  }

  /**
   * Fee rates of an account on the day of the current command: the override, or the SPEC 07 tier of
   * its rolling 30-day volume (tiers move daily, so the rates are computed once a day and cached).
   */
  ratesOf(account: Account): FeeRates {
    const day = this.exchange.day;
    if (account.feeDay !== day || account.feeRates === null) {
      const volume = account.volume?.total(this.exchange.time) ?? 0;
      account.feeRates = feeRatesFor({ volume, override: account.feeOverride, schedule: feeScheduleSpec });
      account.feeDay = day;
    }
    return account.feeRates;
  }

  settle(fill: Fill): void {
    const exchange = this.exchange;
    const perpMarket = exchange.perpMarkets[fill.market.index]!;
    const accounts = exchange.engine.accounts.list;
    const maker = accounts[fill.makerAccount]!;
    const taker = accounts[fill.takerAccount]!;
    const value = notional(fill.price, fill.size, perpMarket.quotePerTickLot);
    const marketRates = exchange.marketAdmin.feeRatesOf(fill.market.index);
    // Positional forms on the fill path: a parameters object exists at run time wherever the optimizer
    // declines to inline the callee (its budget runs out in functions this size).
    const makerFee = feeForValues(value, this.ratesIn(maker, marketRates).makerPpm);
    const takerFee = feeForValues(value, this.ratesIn(taker, marketRates).takerPpm);
    const net = makerFee + takerFee;
    const insurance = insuranceShareOf(net, feeInsuranceSharePpm);
    const treasury = net - insurance;
    exchange.treasury.insuranceFund += insurance;
    exchange.treasury.feeTreasury += treasury;
    exchange.events.push({
      type: "TradeSettled",
      sequence: exchange.engine.commandSequence,
      index: exchange.events.length,
      time: exchange.time,
      market: fill.market.symbol,
      tradeIndex: fill.tradeIndex,
      notional: value,
      makerFee,
      takerFee,
      insuranceShare: insurance,
      treasuryShare: treasury,
    });
    const size = fill.size as number;
    this.applyFill(exchange.positionFor(maker, fill.market.index), fill.takerBuys ? -size : size, fill.price, makerFee, fill.tradeIndex);
    this.applyFill(exchange.positionFor(taker, fill.market.index), fill.takerBuys ? size : -size, fill.price, takerFee, fill.tradeIndex);
    this.addVolume(maker, value);
    this.addVolume(taker, value);
  }

  private addVolume(account: Account, value: QuoteUnits): void {
    account.volume ??= new RollingVolume();
    account.volume.addOnDay(this.exchange.day, value);
  }

  /**
   * Moves one side of a fill into its position: `lots` signed (+ bought, − sold). Public for closes that
   * are not book fills (an admin force settlement, tradeIndex −1).
   */
  applyFill(position: Position, lots: number, price: number, fee: QuoteUnits, tradeIndex: number): void {
    const exchange = this.exchange;
    const perpMarket = exchange.perpMarkets[position.market.index]!;
    exchange.funding.catchUp(position);
    const account = position.account;
    account.cash -= fee;
    position.feesPaid += fee;
    const before = position.size;
    let realized = 0;
    if (before === 0 || before > 0 === lots > 0) {
      this.addExposure(position, perpMarket, lots, price);
    } else {
      const closing = Math.min(Math.abs(lots), Math.abs(before));
      realized = this.closeExposure(position, perpMarket, closing, price);
      const opening = Math.abs(lots) - closing;
      if (opening > 0) this.addExposure(position, perpMarket, lots > 0 ? opening : -opening, price);
    }
    this.trackOpenInterest(perpMarket, before, position.size);
    if (Math.abs(position.size) < Math.abs(before) || before > 0 !== position.size > 0) exchange.positionShrank(position);
    exchange.refreshReservation(position);
    this.emitPositionChange(position, before, realized, fee, tradeIndex);
    exchange.maybeForget(position);
  }

  private addExposure(position: Position, perpMarket: PerpMarket, lots: number, price: number): void {
    const added = notional(price, Math.abs(lots), perpMarket.quotePerTickLot);
    position.entryNotional += added;
    position.size += lots;
    if (position.mode !== "isolated") return;
    // Isolated: the initial margin of the new exposure moves from cash into the position.
    const margin = initialMarginValues(added, position.leverage);
    position.account.cash -= margin;
    position.margin += margin;
  }

  /** Closes `lots` (> 0) of the position at `price`; returns the realised PnL. */
  private closeExposure(position: Position, perpMarket: PerpMarket, lots: number, price: number): QuoteUnits {
    const sizeBefore = Math.abs(position.size);
    assert(lots > 0 && lots <= sizeBefore);
    const long = position.size > 0;
    const closedCost = multiplyDivideValues(position.entryNotional, lots, sizeBefore, "halfUp");
    const exitValue = notional(price, lots, perpMarket.quotePerTickLot);
    const realized = long ? exitValue - closedCost : closedCost - exitValue;
    position.entryNotional -= closedCost;
    position.size += long ? -lots : lots;
    position.realizedPnl += realized;
    if (position.mode !== "isolated") {
      position.account.cash += realized;
      return realized;
    }
    this.releaseClosedShare(position, lots, sizeBefore, realized);
    return realized;
  }

  /**
   * Isolated close of `lots` of `sizeBefore`. The closed lots take their share of the margin (all of it
   * when flat, else rounded down) plus their realised PnL; the open lots keep the rest. Within one command
   * the pieces of a close (book levels, liquidation steps, ADL counterparties) are netted: the command's
   * net goes to cash when positive; a net loss comes out of the margin the open lots keep, then from the
   * insurance fund, then stays as a debt on cash, and each piece only moves the difference. So k pieces
   * end where one close of the same lots and exit value would, up to the rounding of each piece's basis
   * (half up) and margin share (down, returned at the final close): at most a µUSD a piece.
   */
  private releaseClosedShare(position: Position, lots: number, sizeBefore: number, realized: QuoteUnits): void {
    const exchange = this.exchange;
    const sequence = exchange.engine.commandSequence;
    if (position.closeSequence !== sequence) {
      position.closeSequence = sequence;
      position.closeNet = 0;
      position.closeDrawn = 0;
      position.closeCovered = 0;
      position.closeUncovered = 0;
    }
    // The margin the open lots would hold without this command's losses.
    const nominal = position.margin + position.closeDrawn;
    const share = position.size === 0 ? nominal : multiplyDivideValues(nominal, lots, sizeBefore, "floor");
    const kept = nominal - share;
    const netBefore = position.closeNet;
    const coveredBefore = position.closeCovered;
    const uncoveredBefore = position.closeUncovered;
    const net = netBefore + share + realized;
    const loss = Math.max(0, -net);
    const drawn = Math.min(loss, kept);
    const covered = Math.min(loss - drawn, exchange.treasury.insuranceFund + coveredBefore);
    const uncovered = loss - drawn - covered;
    position.closeNet = net;
    position.closeDrawn = drawn;
    position.closeCovered = covered;
    position.closeUncovered = uncovered;
    position.margin = kept - drawn;
    position.account.cash += Math.max(0, net) - Math.max(0, netBefore) - (uncovered - uncoveredBefore);
    if (uncovered > uncoveredBefore) exchange.cashCharged(position.account);
    if (covered > coveredBefore || uncovered > uncoveredBefore) {
      exchange.treasury.insuranceFund -= covered - coveredBefore;
      this.emitFundUsed(position, covered - coveredBefore + Math.max(0, uncovered - uncoveredBefore), covered - coveredBefore);
    } else if (covered < coveredBefore) {
      depositToFund(exchange, { amount: coveredBefore - covered, source: "deficitRepaid", account: position.account.address });
    }
  }

  /**
   * An isolated position whose losses passed its margin: the insurance fund covers the deficit as far
   * as it reaches, and what it cannot cover stays with the trader as a debt on cash (the liquidation
   * engine exists to make that rare; auto-deleveraging closes the rest).
   */
  coverDeficit(position: Position): void {
    if (position.margin >= 0) return;
    const exchange = this.exchange;
    const deficit = -position.margin;
    const covered = Math.min(deficit, exchange.treasury.insuranceFund);
    exchange.treasury.insuranceFund -= covered;
    position.margin = 0;
    position.account.cash -= deficit - covered;
    if (deficit > covered) exchange.cashCharged(position.account);
    this.emitFundUsed(position, deficit, covered);
  }

  private emitFundUsed(position: Position, deficit: QuoteUnits, covered: QuoteUnits): void {
    const exchange = this.exchange;
    exchange.liquidations.touchPosition(position);
    exchange.events.push({
      type: "InsuranceFundUsed",
      sequence: exchange.engine.commandSequence,
      index: exchange.events.length,
      time: exchange.time,
      account: position.account.address,
      market: position.market.symbol,
      deficit,
      covered,
      fundBalance: exchange.treasury.insuranceFund,
    });
  }

  private trackOpenInterest(perpMarket: PerpMarket, before: number, after: number): void {
    perpMarket.longLots += Math.max(0, after) - Math.max(0, before);
    perpMarket.shortLots += Math.max(0, -after) - Math.max(0, -before);
  }

  private emitPositionChange(position: Position, before: number, realized: QuoteUnits, fee: QuoteUnits, tradeIndex: number): void {
    const exchange = this.exchange;
    const after = position.size;
    const type = before === 0 ? "PositionOpened" : after === 0 ? "PositionClosed" : "PositionUpdated";
    exchange.liquidations.touchPosition(position);
    exchange.events.push({
      type,
      sequence: exchange.engine.commandSequence,
      index: exchange.events.length,
      time: exchange.time,
      account: position.account.address,
      market: position.market.symbol,
      mode: position.mode,
      leverage: position.leverage,
      size: after,
      entryNotional: position.entryNotional,
      margin: position.margin,
      realizedPnl: realized,
      fee,
      cash: position.account.cash,
      tradeIndex,
    });
  }
}
