import { assert } from "../assert.ts";
import { flagIsSell } from "../book/order-pool.ts";
import type { CanonicalReader } from "../canonical-reader.ts";
import type { CanonicalWriter } from "../canonical-writer.ts";
import type { Exchange } from "../exchange.ts";
import { accepted, reject, type Accepted, type Rejection } from "../rejections.ts";
import { int32Max } from "../units.ts";
import type { PriceTicks, SizeLots, TimeNs } from "../units.ts";
import { quotePerTickLot } from "./fixed-point.ts";
import type { PerpMarket, PerpMarketSpec } from "./perp-market.ts";
import type { Position } from "./position.ts";

// Corporate actions of equity markets (design.md "Beyond the anchors"), scheduled by admin commands and
// executed by the first command at or after their exchange time, before that command is dispatched (so a
// tick runs them too, and replay runs them at the same sequence).
//
// Stock split n:m (n new shares for m old). The integers of the book stay prices in ticks; what changes is
// what a tick and a lot mean. Sizes scale by n/m, the tick size by m/n, the lot size stays:
//   size' = size × n / m lots,  tickSize' = tickSize × m / n,  quotePerTickLot' = quotePerTickLot × m / n,
// so price × size × quotePerTickLot (every notional) is unchanged to the µUSD, price ticks (mark, index,
// last close, reference, order prices, liquidation prices) keep their integers and their dollar value
// scales by m/n, and entry notionals, margins and cash do not move: no account's value changes. Orders
// whose size (or filled part) is not a whole number of lots after scaling fall off the lot grid and are
// canceled (OFF_GRID). A split whose positions would not all scale to whole lots, or whose tick size would
// not be a finite decimal with a whole µUSD per tick-lot, fails at its time with an event and changes nothing.
//
// Cash dividend (µUSD per share, ex-date): every long is credited and every short debited |size| × lot
// size × amount. Credits round down and debits round up (design.md: payouts down, charges up); as Σ long
// lots = Σ short lots the exact amounts cancel, so Σ debits − Σ credits ≥ 0 is rounding only and goes to
// the insurance fund: accounts plus the fund sum to zero exactly. Isolated positions take the amount in
// their margin (a deficit goes to the insurance fund as for funding), cross positions in cash.

/**
 * Admin: schedules a split of a market at an exchange time.
 *
 * @example
 * const command: ScheduleSplitCommand = { type: "scheduleSplit", sequence: 1, time: 1n, market: "NVDA-PERP", numerator: 10, denominator: 1, effectiveTime: 2n };
 */
export interface ScheduleSplitCommand {
  readonly type: "scheduleSplit";
  readonly sequence: number;
  readonly time: TimeNs;
  readonly market: string;
  /** New shares per `denominator` old shares: 4:1 is numerator 4, denominator 1. */
  readonly numerator: number;
  readonly denominator: number;
  readonly effectiveTime: TimeNs;
}

/**
 * Admin: schedules a cash dividend: `amountPerShare` µUSD per share, paid at the ex-date's exchange time.
 *
 * @example
 * const command: ScheduleDividendCommand = { type: "scheduleDividend", sequence: 1, time: 1n, market: "AAPL-PERP", amountPerShare: 250_000, effectiveTime: 2n };
 */
export interface ScheduleDividendCommand {
  readonly type: "scheduleDividend";
  readonly sequence: number;
  readonly time: TimeNs;
  readonly market: string;
  readonly amountPerShare: number;
  readonly effectiveTime: TimeNs;
}

/**
 * Admin: removes a scheduled action (by the sequence of the command that scheduled it).
 *
 * @example
 * const command: CancelCorporateActionCommand = { type: "cancelCorporateAction", sequence: 3, time: 3n, id: 1 };
 */
export interface CancelCorporateActionCommand {
  readonly type: "cancelCorporateAction";
  readonly sequence: number;
  readonly time: TimeNs;
  readonly id: number;
}

/**
 * The corporate-action commands.
 *
 * @example
 * const kinds: CorporateActionCommand["type"][] = ["scheduleSplit", "scheduleDividend", "cancelCorporateAction"];
 */
export type CorporateActionCommand = ScheduleSplitCommand | ScheduleDividendCommand | CancelCorporateActionCommand;

/**
 * A scheduled action, as market data shows it. `id` is the scheduling command's sequence.
 *
 * @example
 * const action: CorporateAction = { id: 7, market: "NVDA-PERP", kind: "split", numerator: 10, denominator: 1, amountPerShare: 0, effectiveTime: 2n };
 */
export interface CorporateAction {
  readonly id: number;
  readonly market: string;
  readonly kind: "split" | "dividend";
  readonly numerator: number;
  readonly denominator: number;
  readonly amountPerShare: number;
  readonly effectiveTime: TimeNs;
}

/** The most actions waiting at once (bounded state). */
export const corporateActionsPendingMax = 1024;
const ratioMax = 1000;
/** $1,000 a share: a dividend larger than that is a typo. */
const amountPerShareMax = 1_000_000_000;

function greatestCommonDivisor(left: number, right: number): number {
  let a = left;
  let b = right;
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** A decimal string as an exact fraction digits / 10^places. */
function decimalFraction(text: string): { digits: bigint; scale: bigint } {
  const [whole, fraction = ""] = text.split(".");
  return { digits: BigInt(whole! + fraction), scale: 10n ** BigInt(fraction.length) };
}

/** tickSize × m / n as a finite decimal string (≤ 18 places), or null. */
function scaledTickSize(tickSize: string, numerator: number, denominator: number): string | null {
  const { digits, scale } = decimalFraction(tickSize);
  for (let places = 0n; places <= 18n; places += 1n) {
    // value = digits × m / (n × scale); written with `places` decimals it is digits × m × 10^places / (n × scale).
    const top = digits * BigInt(denominator) * 10n ** places;
    const bottom = BigInt(numerator) * scale;
    if (top % bottom !== 0n) continue;
    const units = (top / bottom).toString().padStart(Number(places) + 1, "0");
    if (places === 0n) return units;
    const cut = units.length - Number(places);
    return `${units.slice(0, cut)}.${units.slice(cut)}`.replace(/0+$/, "").replace(/\.$/, "");
  }
  return null;
}

export class CorporateActions {
  /** Pending actions in execution order: effective time, then id. */
  readonly pending: CorporateAction[] = [];

  constructor(private readonly exchange: Exchange) {}

  apply(command: CorporateActionCommand): Accepted | Rejection {
    if (command.type === "cancelCorporateAction") return this.cancel(command);
    const perpMarket = this.exchange.perpMarket(command.market);
    if (!("index" in perpMarket)) return perpMarket;
    const invalid = (message: string): Rejection => reject("CORPORATE_ACTION_INVALID", message);
    if (perpMarket.spec.assetClass === "crypto") return invalid(`${command.market} is a crypto market; corporate actions apply to equities`);
    if (typeof command.effectiveTime !== "bigint" || command.effectiveTime <= this.exchange.time) {
      return invalid(`effectiveTime must be an exchange time after ${this.exchange.time}`);
    }
    if (this.pending.length >= corporateActionsPendingMax) return invalid(`at most ${corporateActionsPendingMax} actions may be pending`);
    let action: CorporateAction;
    if (command.type === "scheduleSplit") {
      const { numerator, denominator } = command;
      const ratioValid = (value: number): boolean => Number.isInteger(value) && value >= 1 && value <= ratioMax;
      if (!ratioValid(numerator) || !ratioValid(denominator) || numerator === denominator) {
        return invalid(`a split is numerator:denominator, two different whole numbers 1 to ${ratioMax}`);
      }
      const divisor = greatestCommonDivisor(numerator, denominator);
      const problem = splitProblem(perpMarket.spec, numerator / divisor, denominator / divisor);
      if (problem !== null) return invalid(problem);
      action = { id: command.sequence, market: command.market, kind: "split", numerator: numerator / divisor, denominator: denominator / divisor, amountPerShare: 0, effectiveTime: command.effectiveTime };
    } else {
      const amount = command.amountPerShare;
      if (!Number.isInteger(amount) || amount < 1 || amount > amountPerShareMax) {
        return invalid(`amountPerShare must be 1 to ${amountPerShareMax} µUSD ($1,000)`);
      }
      action = { id: command.sequence, market: command.market, kind: "dividend", numerator: 1, denominator: 1, amountPerShare: amount, effectiveTime: command.effectiveTime };
    }
    this.insert(action);
    this.emit({ type: "CorporateActionScheduled", ...action });
    return accepted;
  }

  private insert(action: CorporateAction): void {
    let at = this.pending.length;
    while (at > 0 && this.pending[at - 1]!.effectiveTime > action.effectiveTime) at -= 1;
    this.pending.splice(at, 0, action);
  }

  private cancel(command: CancelCorporateActionCommand): Accepted | Rejection {
    const at = this.pending.findIndex((action) => action.id === command.id);
    if (at < 0) return reject("CORPORATE_ACTION_NOT_FOUND", `no pending corporate action has id ${String(command.id)}`);
    const [action] = this.pending.splice(at, 1);
    this.emit({ type: "CorporateActionCanceled", id: action!.id, market: action!.market });
    return accepted;
  }

  /** Time passes: every action whose time has come runs, in order. */
  advance(): void {
    // Runs at the start of every command: the test stays here, the work goes out of line, so the call
    // inlines into Exchange.apply as one comparison.
    if (this.pending.length > 0 && this.pending[0]!.effectiveTime <= this.exchange.time) this.advanceNow();
  }

  private advanceNow(): void {
    const time = this.exchange.time;
    while (this.pending.length > 0 && this.pending[0]!.effectiveTime <= time) {
      const action = this.pending.shift()!;
      const perpMarket = this.exchange.perpMarket(action.market);
      assert("index" in perpMarket, "a scheduled market stays listed");
      if (action.kind === "split") this.split(perpMarket, action);
      else this.dividend(perpMarket, action);
    }
  }

  private positionsOf(marketIndex: number): Position[] {
    const positions: Position[] = [];
    for (const account of this.exchange.engine.accounts.list) {
      const position = this.exchange.position(account, marketIndex);
      if (position !== undefined && position.size !== 0) positions.push(position);
    }
    return positions;
  }

  // ---------------------------------------------------------------------------------------------
  // Split

  private split(perpMarket: PerpMarket, action: CorporateAction): void {
    const exchange = this.exchange;
    const { numerator: n, denominator: m } = action;
    const positions = this.positionsOf(perpMarket.index);
    let problem = splitProblem(perpMarket.spec, n, m);
    for (const position of positions) {
      if (problem === null && ((position.size * n) % m !== 0 || Math.abs(position.size * n) / m > int32Max)) {
        problem = `position of ${position.account.address} (${position.size} lots) does not scale to whole lots`;
      }
    }
    if (problem !== null) {
      this.emit({ type: "CorporateActionFailed", id: action.id, market: action.market, reason: problem });
      return;
    }
    const pool = exchange.engine.pool;
    const offGrid = (slot: number): boolean => {
      const size = pool.size[slot]!;
      const remaining = pool.remaining[slot]!;
      return (size * n) % m !== 0 || (remaining * n) % m !== 0 || (size * n) / m > int32Max;
    };
    const canceled = exchange.engine.cancelMarketOrders(perpMarket.index, "OFF_GRID", offGrid);
    // Funding settles first, so every position's funding index is the market's and nothing per-lot is
    // pending across the change of lot meaning.
    for (const position of positions) exchange.funding.catchUp(position);
    const scale = (lots: number): number => (lots * n) / m;
    // Sizes first: an order's reservation nets against its position's size.
    for (const position of positions) position.size = scale(position.size);
    this.rescaleOrders(perpMarket.index, scale);
    perpMarket.longLots = scale(perpMarket.longLots);
    perpMarket.shortLots = scale(perpMarket.shortLots);
    this.rescaleSpec(perpMarket, n, m);
    this.emit({ type: "CorporateActionExecuted", id: action.id, market: action.market, kind: "split", numerator: n, denominator: m, canceledOrders: canceled, tickSize: perpMarket.spec.tickSize });
  }

  /** Scales every resting order's size, its level's total and its position's order totals (notionals stay). */
  private rescaleOrders(marketIndex: number, scale: (lots: number) => number): void {
    const exchange = this.exchange;
    const market = exchange.engine.markets[marketIndex]!;
    const pool = exchange.engine.pool;
    for (const side of [market.bids, market.asks]) {
      for (const level of side.levels) {
        level.totalLots = scale(level.totalLots);
        for (let slot = level.head; slot >= 0; slot = pool.next[slot]!) {
          pool.size[slot] = scale(pool.size[slot]!);
          pool.remaining[slot] = scale(pool.remaining[slot]!);
          assert(flagIsSell(pool.flags[slot]!) === (side === market.asks), "order on its side");
          this.emit({
            type: "OrderRescaled",
            orderId: pool.orderId[slot]!,
            account: exchange.engine.accounts.list[pool.account[slot]!]!.address,
            market: market.symbol,
            size: pool.size[slot]!,
            filled: pool.size[slot]! - pool.remaining[slot]!,
            remaining: pool.remaining[slot]!,
          });
        }
      }
    }
    for (const position of exchange.positionsByKey.values()) {
      if (position.market.index !== marketIndex) continue;
      position.buyLots = scale(position.buyLots);
      position.sellLots = scale(position.sellLots);
      position.reduceOnlyBuyLots = scale(position.reduceOnlyBuyLots);
      position.reduceOnlySellLots = scale(position.reduceOnlySellLots);
      exchange.refreshReservation(position);
    }
  }

  private rescaleSpec(perpMarket: PerpMarket, n: number, m: number): void {
    const exchange = this.exchange;
    const old = perpMarket.spec;
    const spec: PerpMarketSpec = {
      ...old,
      tickSize: scaledTickSize(old.tickSize, n, m)!,
      minOrderLots: Math.max(1, Math.ceil((old.minOrderLots * n) / m)) as SizeLots,
      maxOrderLots: Math.min(int32Max, Math.floor((old.maxOrderLots * n) / m)) as SizeLots,
      referencePriceTicks: old.referencePriceTicks as PriceTicks,
    };
    // An admin's size grid (sizeIncrementLots) is kept as it is: scaled sizes of orders that were on it are
    // multiples of it again whenever n is, and new orders simply follow it.
    const value = quotePerTickLot(spec.tickSize, spec.lotSize);
    assert(value !== null && value * n === perpMarket.quotePerTickLot * m, "split keeps every notional");
    perpMarket.spec = spec;
    perpMarket.quotePerTickLot = value;
    // The book's Market keeps its spec readonly for everything else; a split is the one writer.
    (exchange.engine.markets[perpMarket.index]! as unknown as { spec: PerpMarketSpec }).spec = spec;
  }

  // ---------------------------------------------------------------------------------------------
  // Dividend

  private dividend(perpMarket: PerpMarket, action: CorporateAction): void {
    const exchange = this.exchange;
    const { digits, scale } = decimalFraction(perpMarket.spec.lotSize);
    const perLot = BigInt(action.amountPerShare) * digits;
    let credited = 0;
    let debited = 0;
    for (const position of this.positionsOf(perpMarket.index)) {
      exchange.funding.catchUp(position);
      const exact = BigInt(Math.abs(position.size)) * perLot;
      const long = position.size > 0;
      // Longs: floor (a payout); shorts: ceil (a charge).
      const amount = Number(long ? exact / scale : (exact + scale - 1n) / scale);
      if (long) credited += amount;
      else debited += amount;
      const signed = long ? amount : -amount;
      if (position.mode === "isolated") {
        position.margin += signed;
        exchange.settlement.coverDeficit(position);
      } else {
        position.account.cash += signed;
      }
      this.emit({ type: "DividendPaid", id: action.id, account: position.account.address, market: action.market, size: position.size, amount: signed });
    }
    assert(debited >= credited, "dividend rounding favours the exchange");
    if (debited > credited) {
      exchange.treasury.insuranceFund += debited - credited;
      this.emit({ type: "InsuranceFundDeposited", source: "dividendRounding", account: null, amount: debited - credited, fundBalance: exchange.treasury.insuranceFund });
    }
    this.emit({ type: "CorporateActionExecuted", id: action.id, market: action.market, kind: "dividend", numerator: 1, denominator: 1, canceledOrders: 0, tickSize: perpMarket.spec.tickSize, credited, debited, toInsurance: debited - credited });
  }

  private emit(event: Record<string, unknown>): void {
    const exchange = this.exchange;
    exchange.events.push({ sequence: exchange.engine.commandSequence, index: exchange.events.length, time: exchange.time, ...event } as never);
  }

  writeState(writer: CanonicalWriter): void {
    writer.u32(this.pending.length);
    for (const action of this.pending) {
      writer.safeInteger(action.id);
      writer.string(action.market);
      writer.string(action.kind);
      writer.u32(action.numerator);
      writer.u32(action.denominator);
      writer.u32(action.amountPerShare);
      writer.i64(action.effectiveTime);
    }
  }

  readState(reader: CanonicalReader): void {
    const count = reader.u32();
    for (let index = 0; index < count; index += 1) {
      this.pending.push({
        id: reader.safeInteger(),
        market: reader.string(),
        kind: reader.string() === "split" ? "split" : "dividend",
        numerator: reader.u32(),
        denominator: reader.u32(),
        amountPerShare: reader.u32(),
        effectiveTime: reader.i64(),
      });
    }
  }
}

/** Why a split n:m cannot apply to a market spec now, or null. */
function splitProblem(spec: PerpMarketSpec, n: number, m: number): string | null {
  const tickSize = scaledTickSize(spec.tickSize, n, m);
  if (tickSize === null) return `tick size ${spec.tickSize} × ${m}/${n} is not a finite decimal of at most 18 places`;
  if (quotePerTickLot(tickSize, spec.lotSize) === null) {
    return `tick size ${tickSize} × lot size ${spec.lotSize} is not a whole number of µUSD; the split cannot keep notionals exact`;
  }
  return null;
}

/**
 * The pending corporate actions of a market (all markets when omitted), in execution order: market data.
 *
 * @example
 * corporateActionSchedule(exchange, "NVDA-PERP"); // => [{ id: 12, kind: "split", numerator: 10, ... }]
 */
export function corporateActionSchedule(exchange: Exchange, market?: string): CorporateAction[] {
  return exchange.corporateActions.pending.filter((action) => market === undefined || action.market === market);
}
