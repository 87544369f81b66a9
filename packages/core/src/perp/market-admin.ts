import { assert } from "../assert.ts";
import { flagIsReduceOnly } from "../book/order-pool.ts";
import type { CanonicalReader } from "../canonical-reader.ts";
import type { CanonicalWriter } from "../canonical-writer.ts";
import type { IncomingOrder } from "../engine.ts";
import type { Exchange } from "../exchange.ts";
import { accepted, reject, type Accepted, type Rejection } from "../rejections.ts";
import { circuitBreakerProblem, noAutomaticBreaker, readBreakerParams, writeBreakerParams } from "./circuit-breakers.ts";
import type { QuoteUnits } from "./fixed-point.ts";
import { assertFeeRates, feeScheduleSpec, overrideFitsSchedule, type FeeRates } from "./fee-schedule.ts";
import type {
  ForceSettleCommand,
  SetMarketFeesCommand,
  PerpCommand,
  SetMarketParamsCommand,
  SetMarketStatusCommand,
  TripCircuitBreakerCommand,
} from "./perp-commands.ts";

/** The commands MarketAdmin handles. */
export type MarketAdminCommand =
  | SetMarketStatusCommand
  | SetMarketParamsCommand
  | SetMarketFeesCommand
  | ForceSettleCommand
  | TripCircuitBreakerCommand;

/** The highest maker rate of the schedule: what open orders reserve for their maker fee. */
const makerPpmReserved = Math.max(...feeScheduleSpec.tiers.map((tier) => tier.makerPpm));
import { marginProfiles, validatePerpSpec, type PerpMarket, type PerpMarketSpec } from "./perp-market.ts";
import type { Position } from "./position.ts";
import { addedExposureLots, checkRiskLimits, noRiskLimits, riskLimitsProblem, type RiskLimits, type RiskOrder } from "./risk-limits.ts";

// Admin controls of a market (PRD §2.7.3, SPEC 17 §4): its status (active, reduce-only, paused), its
// parameters (margin profile, leverage caps, price and size grid, risk limits, breaker bands) and a force
// settlement of every position. One admin key for now: the core trusts that an admin command reached it
// verified (the api checks the signer against the genesis admin address); each is an ordinary logged
// command, so replay reproduces it, and each emits an event for the governance log.
//
// The grid: a market's listing tickSize and lotSize are its units for ever (every price in ticks and size
// in lots in the state is counted in them, and tick × lot fixes the µUSD per tick-lot). An admin changes
// the trading grid instead: limit prices must be multiples of priceIncrementTicks and sizes of orders
// that can open positions multiples of sizeIncrementLots, so the effective tick size is tickSize ×
// priceIncrementTicks. Positions opened on a finer grid keep their size: reduce-only orders are exempt
// from the size grid so they can always close them in full.

/**
 * What a market accepts: "active" everything, "reduceOnly" only orders that cannot open or increase a
 * position, "paused" no order at all (cancels always work).
 *
 * @example
 * const status: MarketStatus = "reduceOnly";
 */
export type MarketStatus = "active" | "reduceOnly" | "paused";
const marketStatuses: readonly MarketStatus[] = ["active", "reduceOnly", "paused"];

const reasonPattern = /^[\x20-\x7e]{1,256}$/;
const incrementMax = 1_000_000;

/** A message for invalid risk limits, breaker parameters or grid increments of a spec, or null. */
export function validateMarketControls(spec: PerpMarketSpec): Rejection | null {
  const invalid = (message: string): Rejection => reject("MARKET_PARAMS_INVALID", message);
  if (spec.riskLimits !== undefined) {
    const problem = riskLimitsProblem(spec.riskLimits);
    if (problem !== null) return invalid(problem);
  }
  if (spec.circuitBreaker !== undefined) {
    const problem = circuitBreakerProblem(spec.circuitBreaker, spec.leverageMax);
    if (problem !== null) return invalid(problem);
  }
  for (const field of ["priceIncrementTicks", "sizeIncrementLots"] as const) {
    const value = spec[field];
    if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > incrementMax)) {
      return invalid(`${field} must be a whole number from 1 to ${incrementMax}`);
    }
  }
  return null;
}

/** A spec with every control resolved to its value (defaults filled in), frozen. */
function resolvedSpec(spec: PerpMarketSpec): PerpMarketSpec {
  return Object.freeze({
    ...spec,
    riskLimits: spec.riskLimits ?? noRiskLimits,
    circuitBreaker: spec.circuitBreaker ?? noAutomaticBreaker,
    priceIncrementTicks: spec.priceIncrementTicks ?? 1,
    sizeIncrementLots: spec.sizeIncrementLots ?? 1,
  });
}

/**
 * The market controls, held as `exchange.marketAdmin`: per market its admin status and own fee rates (its
 * grid, risk limits and breaker parameters live in its resolved spec), the order gate and exposure check
 * that Exchange.checkOrder calls, and the market admin commands.
 *
 * @example
 * exchange.apply({ type: "setMarketStatus", sequence, time, market: "AAPL-PERP", status: "reduceOnly", reason: "delisting" });
 * exchange.marketAdmin.statusOf(0); // => "reduceOnly"
 */
export class MarketAdmin {
  /** Per market, by index: the admin status. */
  readonly statuses: MarketStatus[] = [];
  /** Per market, by index: its own fee rates, or null for the volume schedule. */
  readonly feeRates: (FeeRates | null)[] = [];

  private readonly riskOrder: { -readonly [Field in keyof RiskOrder]: RiskOrder[Field] } = {
    perpMarket: null as unknown as PerpMarket,
    limits: noRiskLimits,
    size: 0,
    buy: false,
    sideLots: 0,
    price: 0,
    orderNotional: 0,
  };

  constructor(private readonly exchange: Exchange) {}

  /** Resolves the market's controls into its spec (before the breakers read them). */
  listed(perpMarket: PerpMarket): void {
    perpMarket.spec = resolvedSpec(perpMarket.spec);
    this.statuses.push("active");
    this.feeRates.push(null);
  }

  /** The market's own fee rates, or null (the volume schedule). */
  feeRatesOf(marketIndex: number): FeeRates | null {
    return this.feeRates[marketIndex]!;
  }

  statusOf(marketIndex: number): MarketStatus {
    return this.statuses[marketIndex]!;
  }

  limitsOf(perpMarket: PerpMarket): RiskLimits {
    return perpMarket.spec.riskLimits!;
  }

  // ---------------------------------------------------------------------------------------------
  // Order checks (called from Exchange.checkOrder / checkMargin)

  /** Every order, reduce-only too: halts, pauses and the price grid. */
  gate(order: IncomingOrder): Rejection | null {
    // Every order passes here: the rejections are built out of line (gateRejection), which keeps this
    // body small enough for the optimizer to inline into the order check.
    const index = order.market.index;
    if (this.exchange.breakers.isTripped(index) || this.statuses[index] === "paused") return this.gateRejection(order);
    const spec = this.exchange.perpMarkets[index]!.spec;
    const priceIncrement = spec.priceIncrementTicks!;
    const price = order.spec.price;
    if (priceIncrement !== 1 && order.spec.type === "limit" && price !== undefined && price % priceIncrement !== 0) return this.gateRejection(order);
    const sizeIncrement = spec.sizeIncrementLots!;
    if (sizeIncrement !== 1 && order.spec.reduceOnly !== true && order.spec.size % sizeIncrement !== 0) return this.gateRejection(order);
    return null;
  }

  /** Why `gate` refuses an order it found wanting: the first of its checks that fails. */
  private gateRejection(order: IncomingOrder): Rejection {
    const index = order.market.index;
    const symbol = order.market.symbol;
    const breakers = this.exchange.breakers;
    if (breakers.isTripped(index)) {
      const until = breakers.states[index]!.haltedUntil;
      return reject("MARKET_HALTED", `${symbol} is halted by a circuit breaker until ${until} (exchange ns); cancels are accepted`, { haltedUntil: String(until) });
    }
    if (this.statuses[index] === "paused") return reject("MARKET_PAUSED", `${symbol} is paused by an admin; cancels are accepted`);
    const spec = this.exchange.perpMarkets[index]!.spec;
    const priceIncrement = spec.priceIncrementTicks!;
    const price = order.spec.price;
    if (priceIncrement !== 1 && order.spec.type === "limit" && price !== undefined && price % priceIncrement !== 0) {
      const below = price - (price % priceIncrement);
      return reject(
        "PRICE_OFF_GRID",
        `${symbol} prices are multiples of ${priceIncrement} ticks; the nearest valid prices are ${below} and ${below + priceIncrement}`,
        { priceIncrementTicks: String(priceIncrement) },
      );
    }
    const sizeIncrement = spec.sizeIncrementLots!;
    assert(sizeIncrement !== 1 && order.spec.reduceOnly !== true && order.spec.size % sizeIncrement !== 0, "gate refused a valid order");
    return reject("SIZE_OFF_GRID", `${symbol} order sizes are multiples of ${sizeIncrement} lots (reduce-only orders excepted)`, {
      sizeIncrementLots: String(sizeIncrement),
    });
  }

  /**
   * An order that is not reduce-only, at the margin check: if it could open or increase the position, the
   * market's status, restricted mode and risk limits apply. An order that only reduces passes.
   */
  checkExposure(order: IncomingOrder, position: Position, sideLots: number, price: number, orderNotional: QuoteUnits): Rejection | null {
    const buy = order.buy;
    if (addedExposureLots(position.size, buy, sideLots) === 0) return null;
    const perpMarket = this.exchange.perpMarkets[order.market.index]!;
    if (this.statuses[perpMarket.index] === "reduceOnly") {
      return reject("MARKET_REDUCE_ONLY", `new positions in ${perpMarket.spec.symbol} are paused by an admin; only orders that reduce a position are accepted`);
    }
    if (this.exchange.breakers.isRestricted(perpMarket.index)) {
      const restricted = this.checkRestricted(order, position, perpMarket);
      if (restricted !== null) return restricted;
    }
    // One object refilled per order (checkRiskLimits reads it only during the call): none allocated.
    const riskOrder = this.riskOrder;
    riskOrder.perpMarket = perpMarket;
    riskOrder.limits = perpMarket.spec.riskLimits!;
    riskOrder.size = position.size;
    riskOrder.buy = buy;
    riskOrder.sideLots = sideLots;
    riskOrder.price = price;
    riskOrder.orderNotional = orderNotional;
    return checkRiskLimits(riskOrder);
  }

  /** Restricted mode (after a circuit breaker): exposure may grow only post-only, within a leverage cap. */
  private checkRestricted(order: IncomingOrder, position: Position, perpMarket: PerpMarket): Rejection | null {
    const breakers = this.exchange.breakers;
    const symbol = perpMarket.spec.symbol;
    const until = breakers.states[perpMarket.index]!.restrictedUntil;
    if (order.spec.postOnly !== true) {
      return reject("MARKET_RESTRICTED", `${symbol} is restricted after a circuit breaker until ${until} (exchange ns): orders that add exposure must be post-only`);
    }
    const leverageMax = breakers.restrictedLeverageMax(perpMarket);
    if (position.leverage > leverageMax) {
      return reject(
        "MARKET_RESTRICTED",
        `${symbol} is restricted after a circuit breaker until ${until} (exchange ns): at most ${leverageMax}x; lower the leverage (now ${position.leverage}x)`,
        { leverageMax: String(leverageMax) },
      );
    }
    return null;
  }

  // ---------------------------------------------------------------------------------------------
  // Commands

  apply(command: MarketAdminCommand): Accepted | Rejection {
    const perpMarket = this.exchange.perpMarket(command.market);
    if (!("index" in perpMarket)) return perpMarket;
    if (typeof command.reason !== "string" || !reasonPattern.test(command.reason)) {
      return reject("SETTING_INVALID", `reason must be 1 to 256 printable ASCII characters`);
    }
    switch (command.type) {
      case "setMarketStatus":
        return this.setStatus(perpMarket, command.status, command.reason);
      case "setMarketParams":
        return this.setParams(perpMarket, command);
      case "forceSettle":
        return this.forceSettle(perpMarket, command.reason);
      case "setMarketFees":
        return this.setFees(perpMarket, command.rates, command.reason);
      case "tripCircuitBreaker":
        if (this.exchange.breakers.isTripped(perpMarket.index)) {
          return reject("MARKET_HALTED", `${perpMarket.spec.symbol} is already halted by a circuit breaker`);
        }
        this.exchange.breakers.trip(perpMarket, command.reason);
        return accepted;
    }
  }

  private setStatus(perpMarket: PerpMarket, status: MarketStatus, reason: string): Accepted | Rejection {
    if (!marketStatuses.includes(status)) return reject("SETTING_INVALID", `status must be one of ${marketStatuses.join(", ")}`);
    const previous = this.statuses[perpMarket.index]!;
    if (previous === status) return reject("SETTING_INVALID", `${perpMarket.spec.symbol} is already ${status}`);
    this.changeStatus(perpMarket, status, reason);
    return accepted;
  }

  private changeStatus(perpMarket: PerpMarket, status: MarketStatus, reason: string): void {
    const previous = this.statuses[perpMarket.index]!;
    this.statuses[perpMarket.index] = status;
    this.emit({ type: "MarketStatusChanged", market: perpMarket.spec.symbol, status, previous, reason });
  }

  private setParams(perpMarket: PerpMarket, command: SetMarketParamsCommand): Accepted | Rejection {
    const params = command.params as Record<string, unknown> | null;
    if (typeof params !== "object" || params === null) return reject("MARKET_PARAMS_INVALID", `params must be an object`);
    const known = ["marginProfile", "leverageMax", "leverageDefault", "priceIncrementTicks", "sizeIncrementLots", "riskLimits", "circuitBreaker"];
    const unknown = Object.keys(params).find((key) => !known.includes(key));
    if (unknown !== undefined) return reject("MARKET_PARAMS_INVALID", `unknown parameter ${unknown}; one of ${known.join(", ")}`);
    if (Object.keys(params).length === 0) return reject("MARKET_PARAMS_INVALID", `params must change at least one of ${known.join(", ")}`);
    const next = { ...perpMarket.spec, ...command.params } as PerpMarketSpec;
    const checked = validatePerpSpec(next);
    if (typeof checked !== "number") return checked;
    assert(checked === perpMarket.quotePerTickLot, "the units of a market never change");
    const before = perpMarket.spec;
    perpMarket.spec = resolvedSpec(next);
    perpMarket.profile = marginProfiles[next.marginProfile];
    let canceled = 0;
    const priceIncrement = perpMarket.spec.priceIncrementTicks!;
    const sizeIncrement = perpMarket.spec.sizeIncrementLots!;
    if (priceIncrement !== before.priceIncrementTicks || sizeIncrement !== before.sizeIncrementLots) {
      const pool = this.exchange.engine.pool;
      canceled = this.exchange.engine.cancelMarketOrders(perpMarket.index, "OFF_GRID", (slot) => {
        const offPrice = pool.price[slot]! % priceIncrement !== 0;
        const offSize = !flagIsReduceOnly(pool.flags[slot]!) && pool.remaining[slot]! % sizeIncrement !== 0;
        return offPrice || offSize;
      });
    }
    const spec = perpMarket.spec;
    this.emit({
      type: "MarketParamsChanged",
      market: spec.symbol,
      reason: command.reason,
      marginProfile: spec.marginProfile,
      leverageMax: spec.leverageMax,
      leverageDefault: spec.leverageDefault,
      priceIncrementTicks: priceIncrement,
      sizeIncrementLots: sizeIncrement,
      riskLimits: spec.riskLimits!,
      circuitBreaker: spec.circuitBreaker!,
      ordersCanceled: canceled,
    });
    return accepted;
  }

  /**
   * Market rates meet other markets' and accounts' rates in fills, so they must fit the schedule as an
   * account override does (no rebate larger than any taker rate), and the maker rate may not pass the
   * schedule's highest (what resting orders reserve for their fee).
   */
  private setFees(perpMarket: PerpMarket, rates: FeeRates | null, reason: string): Accepted | Rejection {
    if (rates !== null) {
      const valid =
        typeof rates === "object" &&
        Number.isInteger(rates.makerPpm) &&
        Number.isInteger(rates.takerPpm) &&
        rates.takerPpm >= 0 &&
        rates.takerPpm <= 20_000 &&
        rates.makerPpm <= makerPpmReserved &&
        rates.makerPpm + rates.takerPpm >= 0 &&
        overrideFitsSchedule(rates, feeScheduleSpec);
      if (!valid) {
        return reject(
          "FEE_INVALID",
          `market fee rates must be whole ppm, taker 0 to 20000, maker at most ${makerPpmReserved}, and no rebate larger than any taker rate of the schedule`,
        );
      }
      assertFeeRates(rates);
    }
    this.feeRates[perpMarket.index] = rates === null ? null : Object.freeze({ makerPpm: rates.makerPpm, takerPpm: rates.takerPpm });
    this.emit({ type: "MarketFeesChanged", market: perpMarket.spec.symbol, makerPpm: rates?.makerPpm ?? null, takerPpm: rates?.takerPpm ?? null, reason });
    return accepted;
  }

  /**
   * PRD §2.7.3: cancels the market's orders and closes every position at the index price, in account
   * order, with no fee. One price for all makes it zero-sum: Σ size = 0, so what the longs gain the shorts
   * lose to the µUSD (an isolated loss beyond its margin is covered as in any close). The market is left
   * paused; an admin resumes it with setMarketStatus.
   */
  private forceSettle(perpMarket: PerpMarket, reason: string): Accepted | Rejection {
    const exchange = this.exchange;
    const price = perpMarket.indexPrice;
    const canceled = exchange.engine.cancelMarketOrders(perpMarket.index, "ADMIN_CANCEL");
    const openInterestLots = perpMarket.longLots;
    let closed = 0;
    for (const account of exchange.engine.accounts.list) {
      const position = exchange.position(account, perpMarket.index);
      if (position === undefined || position.size === 0) continue;
      exchange.settlement.applyFill(position, -position.size, price, 0, -1);
      closed += 1;
    }
    assert(perpMarket.longLots === 0 && perpMarket.shortLots === 0, "force settlement leaves no open interest");
    this.emit({ type: "MarketForceSettled", market: perpMarket.spec.symbol, reason, price, positionsClosed: closed, openInterestLots, ordersCanceled: canceled });
    if (this.statuses[perpMarket.index] !== "paused") this.changeStatus(perpMarket, "paused", reason);
    return accepted;
  }

  private emit(event: Record<string, unknown>): void {
    const exchange = this.exchange;
    exchange.events.push({ sequence: exchange.engine.commandSequence, index: exchange.events.length, time: exchange.time, ...event } as never);
  }

  // ---------------------------------------------------------------------------------------------
  // State hash and snapshot (after the breakers' own section)

  writeState(writer: CanonicalWriter): void {
    for (const perpMarket of this.exchange.perpMarkets) {
      writer.u8(marketStatuses.indexOf(this.statuses[perpMarket.index]!));
      const spec = perpMarket.spec;
      writer.u32(spec.priceIncrementTicks!);
      writer.u32(spec.sizeIncrementLots!);
      const limits = spec.riskLimits!;
      writer.safeInteger(limits.openInterestMax);
      writer.safeInteger(limits.positionNotionalMax);
      writer.safeInteger(limits.orderNotionalMax);
      writer.u32(limits.concentrationPpm);
      writer.safeInteger(limits.concentrationOpenInterestMin);
      writeBreakerParams(writer, spec.circuitBreaker!);
      const rates = this.feeRates[perpMarket.index]!;
      writer.boolean(rates !== null);
      if (rates !== null) {
        writer.signed(rates.makerPpm);
        writer.signed(rates.takerPpm);
      }
    }
  }

  readState(reader: CanonicalReader): void {
    for (const perpMarket of this.exchange.perpMarkets) {
      const status = marketStatuses[reader.u8()];
      assert(status !== undefined, "snapshot: bad market status");
      this.statuses[perpMarket.index] = status;
      const priceIncrementTicks = reader.u32();
      const sizeIncrementLots = reader.u32();
      const riskLimits: RiskLimits = Object.freeze({
        openInterestMax: reader.safeInteger(),
        positionNotionalMax: reader.safeInteger(),
        orderNotionalMax: reader.safeInteger(),
        concentrationPpm: reader.u32(),
        concentrationOpenInterestMin: reader.safeInteger(),
      });
      const circuitBreaker = readBreakerParams(reader);
      this.feeRates[perpMarket.index] = reader.u8() === 1 ? Object.freeze({ makerPpm: reader.signed(), takerPpm: reader.signed() }) : null;
      perpMarket.spec = resolvedSpec({ ...perpMarket.spec, priceIncrementTicks, sizeIncrementLots, riskLimits, circuitBreaker });
    }
  }
}

/** Whether a command is one of the market admin commands. */
export function isMarketAdminCommand(command: PerpCommand): command is MarketAdminCommand {
  const type = command.type;
  return type === "setMarketStatus" || type === "setMarketParams" || type === "setMarketFees" || type === "forceSettle" || type === "tripCircuitBreaker";
}
