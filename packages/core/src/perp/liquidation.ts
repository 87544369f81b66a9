import type { Account } from "../accounts.ts";
import { assert } from "../assert.ts";
import type { CanonicalReader } from "../canonical-reader.ts";
import type { CanonicalWriter } from "../canonical-writer.ts";
import { noSlot } from "../book/order-pool.ts";
import { orderIdsPerCommand, type IncomingOrder } from "../engine.ts";
import type { Exchange } from "../exchange.ts";
import { accepted, reject, type Accepted, type Rejection } from "../rejections.ts";
import { int32Max, ppmOne, type PriceTicks, type SizeLots, type TimeNs } from "../units.ts";
import type { OrderSpec } from "../commands.ts";
import { collateralValue, markNotional, pnlOverMaintenance } from "./account-risk.ts";
import { adlQueue, deleverage } from "./adl.ts";
import { feeFor } from "./fee-schedule.ts";
import { divideRounded, multiplyDivide, multiplyDivideValues, notional, type QuoteUnits } from "./fixed-point.ts";
import { crossEquityOf, depositToFund, writeOffShortfall } from "./insurance-fund.ts";
import { LiquidationIndex } from "./liquidation-index.ts";
import { liquidationPrice } from "./liquidation-price.ts";
import type { LiquidateCommand, LiquidationConfigCommand, LiquidatorWhitelistCommand, SeedInsuranceFundCommand } from "./perp-commands.ts";
import type { Position } from "./position.ts";

// The liquidation engine (PRD §2.4, SPEC 06): detection through the index of liquidation prices,
// the `liquidate` command of liquidators, the engine's own liquidation after a grace period, and the
// execution: cancel the trader's orders, an IOC order against the book (reduce-only, never past the price
// at which the insurance fund could no longer cover the loss), auto-deleveraging for what the book
// cannot take, the 1.5 % penalty, and the write-off of any remaining shortfall by the insurance fund.
//
// Liquidatable (PRD §2.4.1): isolated, margin + unrealised PnL < maintenance margin of the position;
// cross, collateral value + Σ cross unrealised PnL < Σ cross maintenance margin; at the mark price.
//
// Detection runs at the start of every command, right after the mark prices advanced, so a rejected
// command and a tick at the same time do the same: positions touched by the previous command (the code
// that changes a position's or an account's liquidation inputs calls `touch`) are re-keyed and checked, and every market whose mark moved is searched in the index.
// What is found enters `pending` with the time it was found; whitelisted liquidators may act at once,
// anyone after the priority window, and the engine itself after the grace period.

/** Liquidation parameters (PRD §2.4.2 defaults); grace and priority window change by command. */
export interface LiquidationParameters {
  /** Exchange time after detection before the engine liquidates by itself. */
  gracePeriodNs: bigint;
  /** Exchange time after detection during which only whitelisted liquidators may liquidate. */
  priorityWindowNs: bigint;
}

/** A position whose mark notional is at most this closes in full; a larger one in 50 % steps. */
export const fullCloseNotionalMax: QuoteUnits = 50_000_000_000;
/** Penalty on the value closed: 1.5 %, of which 0.5 % to the liquidator, the rest to the fund. */
export const penaltyPpm = 15_000;
export const liquidatorPenaltyPpm = 5_000;
/** Steps (full or 50 %) one liquidation may take: 50 % steps halve the size, so 40 reach any size. */
const stepsPerLiquidationMax = 40;
/** Order ids 128 … 255 of a command are the liquidation engine's (a batch uses 0 … batchItemsMax − 1). */
const orderItemFirst = 128;
/** Positions the engine liquidates by itself in one command; the rest wait for the next one. */
const autoLiquidationsPerCommandMax = 64;

const keyMultiplier = 4096;
/** 2^50: sums of a few terms below it stay exact in doubles. */
const termMax = 1_125_899_906_842_624;

/** refuseOrder's rejection, built out of line (every order is checked, few are refused). */
function liquidationInProgress(address: string, symbol: string): Rejection {
  return reject(
    "LIQUIDATION_IN_PROGRESS",
    `${address} is below maintenance margin in ${symbol}; it cannot trade until liquidated or topped up (add margin or collateral)`,
  );
}

function ascending(left: number, right: number): number {
  return left - right;
}

export class Liquidations {
  readonly parameters: LiquidationParameters = { gracePeriodNs: 1_000_000_000n, priorityWindowNs: 100_000_000n };
  /** Whitelisted liquidator addresses. */
  readonly whitelist = new Set<string>();
  /** Positions found liquidatable (key account × 4096 + market) and the exchange time they were found. */
  readonly pending = new Map<number, TimeNs>();
  /** Σ µUSD of shortfalls neither the insurance fund nor ADL could close (measured, never expected). */
  badDebt: QuoteUnits = 0;
  /** True while the engine places a liquidation order: the exchange's pre-trade checks let it through. */
  executing = false;

  readonly index = new LiquidationIndex();
  private readonly handles = new Map<number, number>();
  private readonly keysByHandle: number[] = [];
  /** The mark each market was last searched at (unset: never, e.g. after a restore). */
  private readonly searchedMark: number[] = [];
  /** MarkPricer.markEpoch at the last search: while it holds, no mark moved since (-1: scan). */
  private searchedMarkEpoch = -1;
  private nextItem = orderItemFirst;
  private itemSequence = -1;
  // Touches collect during a command and are handled at the start of the next (see beginCommand): two
  // pairs of lists, swapped, so a touch made before this command's detection waits like every other.
  // Each list holds a key or an account once, in the order of its first touch (as a Set would), without
  // hashing: a position or an account carries the generation of the list it was last added to.
  // Only the first `…Count` entries are live: resetting a count is cheaper than truncating an array.
  private touched: number[] = [];
  private touchedCount = 0;
  private touchedAccounts: Account[] = [];
  private touchedAccountCount = 0;
  private touching: number[] = [];
  private touchingCount = 0;
  private touchingAccounts: Account[] = [];
  private touchingAccountCount = 0;
  private touchGeneration = 0;
  /**
   * Keys of isolated positions whose index entry is out of date. An isolated liquidation price depends
   * only on the position itself, and only a search reads the index: entries are recomputed just before
   * one (flushIsolated), once per position however many commands touched it in between, instead of
   * after every fill. The index is not state, so only when it is brought up to date may vary.
   */
  private readonly staleIsolated = new Set<number>();
  /** Counts the clearings of staleIsolated; Position.staleGeneration marks a position added since the last. */
  private flushGeneration = 0;
  /** Keys a search found (reused by every search, see search). */
  private readonly found: number[] = [];
  private readonly searchWhere = { market: 0, mark: 0 };
  private readonly collectFound = (handle: number): void => {
    this.found.push(this.keysByHandle[handle]!);
  };
  private readonly adlQueues = new Map<number, { position: Position; score: bigint }[]>();
  private adlSequence = -1;

  constructor(private readonly exchange: Exchange) {}

  // ---------------------------------------------------------------------------------------------
  // Liquidatable, exactly

  /** Whether a position is liquidatable now (isolated: the position; cross: its account). */
  isLiquidatable(position: Position): boolean {
    if (position.size === 0) return false;
    if (position.mode === "cross") return this.crossShortfall(position.account) < 0;
    const perpMarket = this.exchange.perpMarkets[position.market.index]!;
    return position.margin + pnlOverMaintenance(position, perpMarket) < 0;
  }

  /**
   * SPEC 06 §9.2: a liquidatable position (isolated) or account (cross) places no orders; only the
   * liquidation engine changes it. The trader may still add margin or collateral to rescue it.
   */
  refuseOrder(order: IncomingOrder, position: Position | undefined): Rejection | null {
    const account = order.account!;
    const marketIndex = order.market.index;
    let liquidatable = position !== undefined && position.mode === "isolated" && this.isLiquidatable(position);
    if (!liquidatable) {
      // A liquidatable cross account places nothing at all: even an isolated order elsewhere would take
      // margin and fees out of the collateral its cross positions share.
      const positions = account.positions;
      for (let at = 0; at < positions.length; at += 1) {
        const other = positions[at]!;
        if (other.mode === "cross" && other.size !== 0) {
          liquidatable = this.crossShortfall(account) < 0;
          break;
        }
      }
    }
    if (!liquidatable) return position === undefined ? null : this.refuseBeyondBankruptcy(order, position);
    return liquidationInProgress(account.address, this.exchange.engine.markets[marketIndex]!.symbol);
  }

  /**
   * An order that closes a position may not fill where the loss passes what backs it (isolated: the
   * position's margin and the account's cash; cross: the account's equity) plus the insurance fund:
   * that would leave a debt nothing covers. Its limit (a market order's slippage bound) must stay within.
   */
  private refuseBeyondBankruptcy(order: IncomingOrder, position: Position): Rejection | null {
    const size = position.size;
    const buy = order.buy;
    if (size === 0 || (buy ? size > 0 : size < 0)) return null;
    const exchange = this.exchange;
    const perpMarket = exchange.perpMarkets[position.market.index]!;
    const lots = Math.min(order.spec.size, Math.abs(size));
    // Exact and in safe integers: the loss at the limit beyond what backs the position, fee included.
    const exit = notional(order.limit, lots, perpMarket.quotePerTickLot);
    if (position.mode === "isolated" && this.isolatedCloseCovered(position, exit, buy)) return null;
    const fee = exchange.settlement.takerFeeBound(position.account, exit);
    let shortfall: QuoteUnits;
    let extra = 0;
    if (position.mode === "isolated") {
      const cost = multiplyDivideValues(position.entryNotional, lots, Math.abs(size), "halfUp");
      extra = Math.max(0, position.account.cash);
      shortfall = (buy ? exit - cost : cost - exit) + fee - position.margin - extra;
    } else {
      const atMark = notional(perpMarket.markPrice, lots, perpMarket.quotePerTickLot);
      shortfall = (buy ? exit - atMark : atMark - exit) + fee - crossEquityOf(exchange, position.account);
    }
    if (shortfall <= exchange.treasury.insuranceFund) return null;
    const worst = this.worstBookPrice(position, lots, extra);
    return reject(
      "LIQUIDATION_IN_PROGRESS",
      `closing ${lots} lots at ${order.limit} ticks would lose more than the position, the account and the insurance fund hold; ` +
        `the ${buy ? "highest" : "lowest"} acceptable price is ${worst} ticks`,
      { worstPrice: String(worst) },
    );
  }

  /**
   * A cheap sufficient condition for refuseBeyondBankruptcy to pass an isolated close: the loss of
   * closing at `exit` is at most `exit` (a buy back) or the entry cost `entryNotional` (a sale), and the
   * taker fee at most `exit` (rates are at most feeRatePpmMax = 10 %). When that bound is covered by the
   * margin, the cash and the fund, the exact shortfall is too, and the exact computation (a fee lookup
   * and a division) is skipped. Terms below 2^50 (termMax) keep every sum exact in doubles.
   */
  private isolatedCloseCovered(position: Position, exit: QuoteUnits, buy: boolean): boolean {
    const loss = buy ? exit : position.entryNotional;
    const margin = position.margin;
    const cash = Math.max(0, position.account.cash);
    const fund = this.exchange.treasury.insuranceFund;
    if (!(exit < termMax && loss < termMax && margin >= 0 && margin < termMax && cash < termMax && fund >= 0 && fund < termMax)) return false;
    return loss + exit <= margin + cash + fund;
  }

  /** Cross equity − cross maintenance margin, µUSD: negative means liquidatable. */
  private crossShortfall(account: Account): QuoteUnits {
    let buffer = collateralValue(account, this.exchange.prices);
    for (const position of account.positions) {
      if (position.mode !== "cross" || position.size === 0) continue;
      const perpMarket = this.exchange.perpMarkets[position.market.index]!;
      buffer += pnlOverMaintenance(position, perpMarket);
    }
    return buffer;
  }

  // ---------------------------------------------------------------------------------------------
  // The index

  private keyOf(position: Position): number {
    return position.account.index * keyMultiplier + position.market.index;
  }

  private handleOf(key: number): number {
    let handle = this.handles.get(key);
    if (handle === undefined) {
      handle = this.index.allocate();
      this.handles.set(key, handle);
      this.keysByHandle[handle] = key;
    }
    return handle;
  }

  private release(key: number): void {
    const handle = this.handles.get(key);
    if (handle === undefined) return;
    this.index.release(handle);
    this.handles.delete(key);
  }

  /** Re-keys an isolated position by its exact liquidation price (none when it cannot be liquidated). */
  private reindexIsolated(position: Position): void {
    const key = this.keyOf(position);
    if (position.size === 0) {
      this.release(key);
      return;
    }
    const perpMarket = this.exchange.perpMarkets[position.market.index]!;
    const price = liquidationPrice({
      sizeLots: position.size,
      collateral: position.margin - position.signedEntry,
      quotePerTickLot: perpMarket.quotePerTickLot,
      profile: perpMarket.profile,
    });
    const handle = this.handleOf(key);
    if (price === null) this.index.remove(handle);
    else this.index.place(handle, { market: position.market.index, long: position.size > 0, price });
  }

  /**
   * Re-keys an account's cross positions by conservative triggers. The account's buffer B = equity −
   * maintenance is a sum over markets of f_m(mark_m) = size × mark × q − signed entry − MM_m, plus its
   * collateral; each of its j positions gets the mark at which its own f_m alone has lost ⌊B / j⌋. While
   * no market has crossed its trigger the losses add up to at most B, so the account is not liquidatable;
   * once one has, the account is checked exactly (and re-keyed if it is still safe).
   */
  private reindexCross(account: Account): void {
    let count = 0;
    for (const position of account.positions) if (position.mode === "cross" && position.size !== 0) count += 1;
    const share = count === 0 ? 0 : Math.floor(this.crossShortfall(account) / count);
    for (const position of account.positions) {
      if (position.mode !== "cross") continue;
      const key = this.keyOf(position);
      if (position.size === 0) {
        this.release(key);
        continue;
      }
      const perpMarket = this.exchange.perpMarkets[position.market.index]!;
      const here = pnlOverMaintenance(position, perpMarket);
      const price = liquidationPrice({
        sizeLots: position.size,
        collateral: -position.signedEntry - here + share,
        quotePerTickLot: perpMarket.quotePerTickLot,
        profile: perpMarket.profile,
      });
      const handle = this.handleOf(key);
      if (price === null) this.index.remove(handle);
      else this.index.place(handle, { market: position.market.index, long: position.size > 0, price });
    }
  }

  /** Re-keys one position (isolated: before the next search; cross: its account's now) and checks it now. */
  private refresh(position: Position | undefined, key: number): void {
    if (position === undefined) {
      this.staleIsolated.delete(key);
      this.release(key);
      this.pending.delete(key);
      return;
    }
    if (position.mode === "isolated") {
      // Added once per flush: a registered position marked with this flush's generation is in the set
      // (its key leaves the set early only once the position is gone), so a second add would do nothing.
      if (position.staleGeneration !== this.flushGeneration) {
        position.staleGeneration = this.flushGeneration;
        this.staleIsolated.add(key);
      }
    } else {
      this.reindexCross(position.account);
    }
    this.checkNow(position);
  }

  /** Brings the index entries of the isolated positions touched since the last search up to date. */
  private flushIsolated(): void {
    if (this.staleIsolated.size === 0) return;
    const positions = this.exchange.positionsByKey;
    for (const key of this.staleIsolated) {
      const position = positions.get(key);
      if (position === undefined) this.release(key);
      // A position that turned cross since has its entry from reindexCross, which is current.
      else if (position.mode === "isolated") this.reindexIsolated(position);
    }
    this.clearStale();
  }

  private clearStale(): void {
    this.staleIsolated.clear();
    this.flushGeneration += 1;
  }

  /** Adds a liquidatable position to pending (found now), or drops one that is safe again. */
  private checkNow(position: Position): void {
    const key = this.keyOf(position);
    if (this.isLiquidatable(position)) {
      if (!this.pending.has(key)) this.pending.set(key, this.exchange.time);
    } else if (this.pending.size !== 0) {
      this.pending.delete(key);
    }
  }

  /** Snapshot restore: every open position enters the index; pending was restored with the state. */
  rebuild(): void {
    this.clearStale();
    const accounts = this.exchange.engine.accounts.list;
    for (const account of accounts) {
      for (const position of account.positions) if (position.mode === "isolated") this.reindexIsolated(position);
    }
    for (const account of accounts) this.reindexCross(account);
    this.searchedMark.length = 0;
    this.searchedMarkEpoch = -1;
  }

  /** What must hold between commands (perp-invariants.ts calls it after every command in tests). */
  checkInvariants(): void {
    const { gracePeriodNs, priorityWindowNs } = this.parameters;
    assert(priorityWindowNs >= 0n && priorityWindowNs <= gracePeriodNs, "liquidation: priority window within the grace period");
    assert(Number.isSafeInteger(this.badDebt) && this.badDebt >= 0, "liquidation: bad debt is a non-negative safe integer");
    const accounts = this.exchange.engine.accounts;
    for (const address of this.whitelist) assert(accounts.find(address) !== undefined, "liquidation: a whitelisted liquidator exists");
    for (const [key, since] of this.pending) {
      assert(Math.floor(key / keyMultiplier) < accounts.count && key % keyMultiplier < this.exchange.perpMarkets.length, "liquidation: pending names a position");
      assert(since <= this.exchange.time, "liquidation: found in the past");
    }
    assert(!this.executing, "liquidation: no order in flight between commands");
  }

  /** State: parameters, whitelist (sorted), pending (by key) and the bad debt counter. */
  writeState(writer: CanonicalWriter): void {
    writer.i64(this.parameters.gracePeriodNs);
    writer.i64(this.parameters.priorityWindowNs);
    const whitelist = [...this.whitelist].sort();
    writer.u32(whitelist.length);
    for (const address of whitelist) writer.string(address);
    const pending = [...this.pending].sort((left, right) => left[0] - right[0]);
    writer.u32(pending.length);
    for (const [key, since] of pending) {
      writer.safeInteger(key);
      writer.i64(since);
    }
    writer.safeInteger(this.badDebt);
  }

  readState(reader: CanonicalReader): void {
    this.parameters.gracePeriodNs = reader.i64();
    this.parameters.priorityWindowNs = reader.i64();
    const whitelisted = reader.u32();
    for (let count = 0; count < whitelisted; count += 1) this.whitelist.add(reader.string());
    const pending = reader.u32();
    for (let count = 0; count < pending; count += 1) this.pending.set(reader.safeInteger(), reader.i64());
    this.badDebt = reader.safeInteger();
  }

  // ---------------------------------------------------------------------------------------------
  // Each command

  /**
   * Called at the start of every command, after the marks advanced: re-keys what the previous command
   * changed, searches the markets whose mark moved, and liquidates what waited past the grace period.
   */
  /** A position's liquidation inputs changed (size, margin, leverage, mode, funding, cover). */
  touch(account: Account, marketIndex: number): void {
    const generation = this.touchGeneration;
    const position = this.exchange.position(account, marketIndex);
    // A touch names a position that exists, or one just forgotten (flat): that key may repeat in the
    // list, harmlessly, since handling a key is idempotent.
    if (position === undefined || position.touchGeneration !== generation) {
      if (position !== undefined) position.touchGeneration = generation;
      this.touching[this.touchingCount++] = account.index * keyMultiplier + marketIndex;
    }
    this.touchAccount(account);
  }

  /** `touch` for a caller that holds the position (no lookup). */
  touchPosition(position: Position): void {
    if (position.touchGeneration !== this.touchGeneration) {
      position.touchGeneration = this.touchGeneration;
      this.touching[this.touchingCount++] = this.keyOf(position);
    }
    this.touchAccount(position.account);
  }

  /** An account's collateral changed (deposit, withdrawal, a liquidator's reward). */
  touchAccount(account: Account): void {
    if (account.touchGeneration === this.touchGeneration) return;
    account.touchGeneration = this.touchGeneration;
    this.touchingAccounts[this.touchingAccountCount++] = account;
  }

  /** A collateral price moved: every account's collateral value changed. */
  touchAllAccounts(): void {
    for (const account of this.exchange.engine.accounts.list) this.touchAccount(account);
  }

  /** Called first in every command: what the previous command touched is handled in this one. */
  endTouches(): void {
    const touched = this.touched;
    const touchedCount = this.touchedCount;
    const touchedAccounts = this.touchedAccounts;
    const touchedAccountCount = this.touchedAccountCount;
    this.touched = this.touching;
    this.touchedCount = this.touchingCount;
    this.touchedAccounts = this.touchingAccounts;
    this.touchedAccountCount = this.touchingAccountCount;
    // Empty unless a command stopped before refreshTouched (a failed assert): then they wait again.
    this.touching = touched;
    this.touchingCount = touchedCount;
    this.touchingAccounts = touchedAccounts;
    this.touchingAccountCount = touchedAccountCount;
    this.touchGeneration += 1;
  }

  beginCommand(): void {
    // Each step's test stays here and its work goes out of line: most commands have nothing to do in
    // any of them, and this body then inlines into Exchange.apply as three tests.
    if (this.touchedCount !== 0 || this.touchedAccountCount !== 0) this.refreshTouched();
    if (this.exchange.marks.markEpoch !== this.searchedMarkEpoch) this.search();
    if (this.pending.size !== 0) this.liquidateOverdue();
  }

  private refreshTouched(): void {
    const touchedCount = this.touchedCount;
    const touchedAccountCount = this.touchedAccountCount;
    const touched = this.touched;
    const touchedAccounts = this.touchedAccounts;
    const exchange = this.exchange;
    const accounts = exchange.engine.accounts.list;
    for (let at = 0; at < touchedCount; at += 1) {
      const key = touched[at]!;
      // The key's account and market: the position positionsByKey.get(key) finds, without its checks.
      const position = exchange.position(accounts[Math.floor(key / keyMultiplier)]!, key % keyMultiplier);
      if (position === undefined || position.mode === "isolated") this.refresh(position, key);
    }
    for (let at = 0; at < touchedAccountCount; at += 1) {
      const account = touchedAccounts[at]!;
      let cross = false;
      const positions = account.positions;
      for (let index = 0; index < positions.length; index += 1) {
        if (positions[index]!.mode === "cross") {
          cross = true;
          break;
        }
      }
      if (!cross) continue;
      this.reindexCross(account);
      for (const position of account.positions) if (position.mode === "cross") this.checkNow(position);
    }
    this.touchedCount = 0;
    this.touchedAccountCount = 0;
  }

  /** Markets whose mark moved: pending is rechecked, and the index yields what the mark now crosses. */
  private search(): void {
    // beginCommand calls it once the mark epoch has moved.
    const exchange = this.exchange;
    this.searchedMarkEpoch = exchange.marks.markEpoch;
    let moved = false;
    for (const perpMarket of exchange.perpMarkets) {
      if (this.searchedMark[perpMarket.index] !== perpMarket.markPrice) moved = true;
    }
    if (!moved) return;
    // Deleting the entry being visited is safe in a Map's iteration; no copy of the keys is needed.
    // Marks move every few commands: an empty pending map skips making its iterator.
    if (this.pending.size > 0) {
      for (const key of this.pending.keys()) {
        const position = exchange.positionsByKey.get(key);
        if (position === undefined || !this.isLiquidatable(position)) this.pending.delete(key);
      }
    }
    this.flushIsolated();
    // The list, the query and the callback are reused: a search runs every few commands, and nothing in
    // the loop below searches again.
    const found = this.found;
    found.length = 0;
    const where = this.searchWhere;
    for (const perpMarket of exchange.perpMarkets) {
      if (this.searchedMark[perpMarket.index] === perpMarket.markPrice) continue;
      this.searchedMark[perpMarket.index] = perpMarket.markPrice;
      where.market = perpMarket.index;
      where.mark = perpMarket.markPrice;
      this.index.collect(where, this.collectFound);
    }
    // Found in heap order, which depends on history: sorted, so a restored exchange finds the same.
    found.sort(ascending);
    for (const key of found) {
      if (this.pending.has(key)) continue;
      const position = exchange.positionsByKey.get(key);
      if (position === undefined) continue;
      if (this.isLiquidatable(position)) {
        this.pending.set(key, exchange.time);
        if (position.mode === "cross") for (const other of position.account.positions) this.checkNow(other);
      } else if (position.mode === "cross") {
        // A trigger is a bound, not the exact price: the account is still safe, so it gets new triggers.
        this.reindexCross(position.account);
      }
    }
  }

  /** The engine liquidates what nobody took within the grace period: oldest first, then by key. */
  // beginCommand calls it when accounts are pending.
  private liquidateOverdue(): void {
    const time = this.exchange.time;
    const due: [number, TimeNs][] = [];
    for (const [key, since] of this.pending) if (time >= since + this.parameters.gracePeriodNs) due.push([key, since]);
    if (due.length === 0) return;
    due.sort((left, right) => (left[1] === right[1] ? left[0] - right[0] : left[1] < right[1] ? -1 : 1));
    let done = 0;
    for (const [key] of due) {
      if (done === autoLiquidationsPerCommandMax || this.itemsLeft() === 0) break;
      const position = this.exchange.positionsByKey.get(key);
      if (position === undefined || !this.isLiquidatable(position)) {
        this.pending.delete(key);
        continue;
      }
      if (this.halted(position.market.index)) continue;
      this.execute(position, null);
      done += 1;
    }
  }

  /** A circuit breaker's halt (perp/circuit-breakers.ts): liquidations wait, as all trading does. */
  private halted(marketIndex: number): boolean {
    return this.exchange.breakers.isHalted(marketIndex);
  }

  private itemsLeft(): number {
    if (this.itemSequence !== this.exchange.engine.commandSequence) {
      this.itemSequence = this.exchange.engine.commandSequence;
      this.nextItem = orderItemFirst;
    }
    return orderIdsPerCommand - this.nextItem;
  }

  // ---------------------------------------------------------------------------------------------
  // Commands

  liquidate(command: LiquidateCommand): Accepted | Rejection {
    const exchange = this.exchange;
    const liquidator = exchange.account(command.account);
    if (!("index" in liquidator)) return liquidator;
    if (liquidator.status !== "active") return reject("ACCOUNT_NOT_ACTIVE", `account ${liquidator.address} is ${liquidator.status} and cannot liquidate`);
    const trader = exchange.account(command.trader);
    if (!("index" in trader)) return trader;
    if (trader === liquidator) return reject("LIQUIDATION_INVALID", `an account cannot liquidate itself; close the position instead`);
    const perpMarket = exchange.perpMarket(command.market);
    if (!("index" in perpMarket)) return perpMarket;
    const position = exchange.position(trader, perpMarket.index);
    if (position === undefined || position.size === 0) {
      return reject("LIQUIDATION_NOT_LIQUIDATABLE", `${trader.address} has no position in ${command.market}`);
    }
    if (this.halted(perpMarket.index)) return reject("LIQUIDATION_MARKET_HALTED", `${command.market} is halted; liquidations wait until it resumes`);
    if (!this.isLiquidatable(position)) {
      return reject("LIQUIDATION_NOT_LIQUIDATABLE", `the ${position.mode} position of ${trader.address} in ${command.market} is above its maintenance margin`);
    }
    const since = this.pending.get(this.keyOf(position)) ?? exchange.time;
    const open = since + this.parameters.priorityWindowNs;
    if (!this.whitelist.has(liquidator.address) && exchange.time < open) {
      return reject("LIQUIDATION_PRIORITY_WINDOW", `whitelisted liquidators have priority until exchange time ${open}; retry then`, { openAt: String(open) });
    }
    if (this.itemsLeft() === 0) return reject("LIQUIDATION_INVALID", `this command's liquidation order ids are used up; retry in the next command`);
    this.execute(position, liquidator);
    return accepted;
  }

  whitelistCommand(command: LiquidatorWhitelistCommand): Accepted | Rejection {
    const liquidator = this.exchange.account(command.liquidator);
    if (!("index" in liquidator)) return liquidator;
    if (typeof command.allowed !== "boolean") return reject("SETTING_INVALID", `allowed must be true or false`);
    if (command.allowed) this.whitelist.add(liquidator.address);
    else this.whitelist.delete(liquidator.address);
    this.emit({ type: "LiquidatorWhitelistChanged", account: liquidator.address, allowed: command.allowed });
    return accepted;
  }

  configure(command: LiquidationConfigCommand): Accepted | Rejection {
    const { gracePeriodNs, priorityWindowNs } = command;
    const hour = 3_600_000_000_000n;
    if (typeof gracePeriodNs !== "bigint" || typeof priorityWindowNs !== "bigint" || priorityWindowNs < 0n || gracePeriodNs < priorityWindowNs || gracePeriodNs > hour) {
      return reject("SETTING_INVALID", `need 0 ≤ priorityWindowNs ≤ gracePeriodNs ≤ ${hour} (one hour)`);
    }
    this.parameters.gracePeriodNs = gracePeriodNs;
    this.parameters.priorityWindowNs = priorityWindowNs;
    this.emit({ type: "LiquidationConfigChanged", gracePeriodNs, priorityWindowNs });
    return accepted;
  }

  /** Direct seeding: USDC enters the fund from outside, like a deposit (counted in `deposited`). */
  seed(command: SeedInsuranceFundCommand): Accepted | Rejection {
    const amount = command.amount;
    if (typeof amount !== "bigint" || amount <= 0n || amount > 2n ** 50n) {
      return reject("AMOUNT_INVALID", `amount must be 1 to 2^50 USDC base units (µUSD)`);
    }
    if (typeof command.reference !== "string" || !/^[\x21-\x7e]{1,128}$/.test(command.reference)) {
      return reject("DEPOSIT_INVALID", `reference must be 1 to 128 printable ASCII characters (a transaction hash)`);
    }
    if (BigInt(this.exchange.treasury.insuranceFund) + amount > 2n ** 51n) {
      return reject("AMOUNT_INVALID", `the insurance fund would pass 2^51 µUSD`);
    }
    this.exchange.treasury.deposited[0] = this.exchange.treasury.deposited[0]! + amount;
    depositToFund(this.exchange, { amount: Number(amount), source: "seed", account: null });
    return accepted;
  }

  private emit(event: Record<string, unknown>): void {
    const exchange = this.exchange;
    exchange.events.push({ sequence: exchange.engine.commandSequence, index: exchange.events.length, time: exchange.time, ...event } as never);
  }

  // ---------------------------------------------------------------------------------------------
  // Execution

  /** Liquidates a liquidatable position: in full, or in 50 % steps while it stays liquidatable. */
  private execute(position: Position, liquidator: Account | null): void {
    const exchange = this.exchange;
    const account = position.account;
    const marketIndex = position.market.index;
    const key = this.keyOf(position);
    const perpMarket = exchange.perpMarkets[marketIndex]!;
    // Isolated: only this market's orders; cross: all of them, since they share the collateral.
    exchange.engine.cancelAccountOrders(account, "LIQUIDATION", position.mode === "isolated" ? marketIndex : -1);
    exchange.funding.catchUp(position);
    this.emit({
      type: "LiquidationTriggered",
      account: account.address,
      market: position.market.symbol,
      liquidator: liquidator?.address ?? null,
      mode: position.mode,
      size: position.size,
      markPrice: perpMarket.markPrice,
    });
    for (let step = 0; step < stepsPerLiquidationMax; step += 1) {
      if (position.size === 0 || !this.isLiquidatable(position) || this.itemsLeft() === 0) break;
      const size = Math.abs(position.size);
      const lots = markNotional(position, perpMarket) <= fullCloseNotionalMax ? size : Math.ceil(size / 2);
      this.closeStep(position, lots, liquidator);
    }
    if (exchange.positionsByKey.get(key) === undefined || !this.isLiquidatable(position)) this.pending.delete(key);
  }

  /** One step: `lots` to the book within the fund's reach, the rest by ADL, then penalty and write-off. */
  private closeStep(position: Position, lots: number, liquidator: Account | null): void {
    const exchange = this.exchange;
    const account = position.account;
    const market = position.market;
    const long = position.size > 0;
    const cashBefore = account.cash;
    const sizeBefore = Math.abs(position.size);
    const eventsBefore = exchange.events.length;
    const worst = this.worstBookPrice(position, lots);
    const price = long ? Math.max(worst, market.bandLowest()) : Math.min(worst, market.bandHighest());
    let remaining = lots;
    while (remaining > 0 && this.itemsLeft() > 0) {
      const best = long ? market.bids.bestPrice() : market.asks.bestPrice();
      if (best === 0 || worst === 0 || (long ? best < price : best > price)) break;
      const orderLots = Math.min(remaining, market.spec.maxOrderLots);
      if (orderLots < market.spec.minOrderLots) break;
      const before = Math.abs(position.size);
      const item = this.nextItem;
      this.nextItem += 1;
      this.executing = true;
      const order: OrderSpec = {
        market: market.symbol,
        side: long ? "sell" : "buy",
        type: "limit",
        price: price as PriceTicks,
        size: orderLots as SizeLots,
        timeInForce: "IOC",
        reduceOnly: true,
      };
      const result = exchange.engine.placeOrder(account.address, order, item, noSlot);
      this.executing = false;
      const filled = before - Math.abs(position.size);
      remaining -= filled;
      if (!result.ok || filled < orderLots) break;
    }
    const bookLots = lots - remaining;
    let value = 0;
    for (let at = eventsBefore; at < exchange.events.length; at += 1) {
      const event = exchange.events[at]!;
      if (event.type === "TradeSettled") value += event.notional;
    }
    let bankruptcy: number | null = null;
    if (remaining > 0) {
      const adl = deleverage(exchange, position, remaining, this.adlQueueOf(market.index, !long));
      bankruptcy = adl.price;
      value += adl.value;
    }
    assert(Math.abs(position.size) === sizeBefore - lots, "a liquidation step closes exactly its lots");
    const { penalty, reward } = this.chargePenalty(position, { value, cashBefore, liquidator });
    this.badDebt += writeOffShortfall(exchange, account, market.symbol);
    if (liquidator !== null) this.touchAccount(liquidator);
    this.emit({
      type: "PositionLiquidated",
      account: account.address,
      market: market.symbol,
      liquidator: liquidator?.address ?? null,
      closedLots: lots,
      bookLots,
      adlLots: remaining,
      closedValue: value,
      bankruptcyPrice: bankruptcy,
      penalty,
      liquidatorReward: reward,
      size: position.size,
    });
  }

  /** Each market side's ADL queue, ranked once per command (O(positions log positions)): ADL is rare. */
  private adlQueueOf(marketIndex: number, long: boolean): readonly { position: Position; score: bigint }[] {
    const sequence = this.exchange.engine.commandSequence;
    if (this.adlSequence !== sequence) {
      this.adlQueues.clear();
      this.adlSequence = sequence;
    }
    const key = marketIndex * 2 + (long ? 0 : 1);
    let queue = this.adlQueues.get(key);
    if (queue === undefined) {
      queue = adlQueue(this.exchange, marketIndex, long);
      this.adlQueues.set(key, queue);
    }
    return queue;
  }

  /**
   * The worst price the book order may reach: where the loss beyond what the position has (isolated:
   * its margin; cross: the account's equity), taker fee included, equals the insurance fund. A long's
   * lower bound (1 when the fund covers any price), a short's upper bound (0: the book cannot be used).
   */
  private worstBookPrice(position: Position, lots: number, extra = 0): number {
    const exchange = this.exchange;
    const perpMarket = exchange.perpMarkets[position.market.index]!;
    // The taker rate without filling the fee cache (hashed state): a pre-trade check may not change it.
    // takerFeeBound of 1,000,000 µUSD is the rate in ppm exactly.
    const rate = BigInt(exchange.settlement.takerFeeBound(position.account, ppmOne));
    const fund = BigInt(exchange.treasury.insuranceFund);
    const perTick = BigInt(lots) * BigInt(perpMarket.quotePerTickLot);
    const one = BigInt(ppmOne);
    const long = position.size > 0;
    // have: money that backs the closed lots beyond their exit value; cost: what the exit must fetch.
    let cost: bigint;
    let have: bigint;
    if (position.mode === "isolated") {
      cost = BigInt(multiplyDivide({ value: position.entryNotional, multiplier: lots, divisor: Math.abs(position.size), rounding: "halfUp" }));
      have = BigInt(position.margin) + BigInt(extra);
    } else {
      cost = BigInt(perpMarket.markPrice) * perTick;
      have = BigInt(crossEquityOf(exchange, position.account));
    }
    if (long) {
      // exit × (1 − rate) − 1 ≥ cost − have − fund (the 1 µUSD absorbs the fee's rounding up).
      const need = (cost - have - fund + 1n) * one;
      if (need <= 0n) return 1;
      const price = divideRounded({ numerator: need, divisor: perTick * (one - rate), rounding: "ceil" });
      return price > BigInt(int32Max) ? int32Max : Number(price);
    }
    // Short: exit × (1 + rate) + 1 ≤ cost + have + fund.
    const allowed = (cost + have + fund - 1n) * one;
    if (allowed <= 0n) return 0;
    const price = divideRounded({ numerator: allowed, divisor: perTick * (one + rate), rounding: "floor" });
    return price > BigInt(int32Max) ? int32Max : Number(price);
  }

  /**
   * 1.5 % of the value closed, never more than the margin left (isolated: what the step returned to cash;
   * cross: the account's equity), and never driving cash below zero. A third (0.5 % of the value) goes
   * to the liquidator who submitted, rounded down; the rest, or all of it when the engine liquidated by
   * itself, to the insurance fund.
   */
  private chargePenalty(position: Position, step: { value: QuoteUnits; cashBefore: QuoteUnits; liquidator: Account | null }): { penalty: QuoteUnits; reward: QuoteUnits } {
    const exchange = this.exchange;
    const account = position.account;
    const full = feeFor({ notional: step.value, ratePpm: penaltyPpm });
    const left = position.mode === "isolated" ? account.cash - step.cashBefore : crossEquityOf(exchange, account);
    const penalty = Math.max(0, Math.min(full, left, account.cash));
    if (penalty === 0) return { penalty: 0, reward: 0 };
    const reward = step.liquidator === null ? 0 : multiplyDivide({ value: penalty, multiplier: liquidatorPenaltyPpm, divisor: penaltyPpm, rounding: "floor" });
    account.cash -= penalty;
    if (step.liquidator !== null) step.liquidator.cash += reward;
    depositToFund(exchange, { amount: penalty - reward, source: "liquidationPenalty", account: account.address });
    return { penalty, reward };
  }
}
