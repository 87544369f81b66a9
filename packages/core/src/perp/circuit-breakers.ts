import { divideFloor } from "../arithmetic.ts";
import { assert } from "../assert.ts";
import type { CanonicalReader } from "../canonical-reader.ts";
import type { CanonicalWriter } from "../canonical-writer.ts";
import type { Exchange } from "../exchange.ts";
import type { TimeNs } from "../units.ts";
import type { PerpMarket } from "./perp-market.ts";
import type { BreakerWindow } from "./perp-events.ts";

// Circuit breakers (PRD §2.7.2). Each market's mark price is compared with three reference prices:
//   5 minutes  ±5 %:  the mark sampled 5 minutes ago,
//   1 hour    ±10 %:  the mark sampled 60 minutes ago,
//   daily     ±20 %:  the "previous close".
// The mark is sampled once per exchange minute (the first command at or after each minute boundary
// records it; minutes with no command take the mark as it stands at the next one), so "5 minutes ago"
// means the sample of the minute five before the current one: a lookback of 5 to 6 minutes. A 24/7 market
// has no close, so the previous close is the mark sampled at the last UTC midnight (00:00 UTC). The
// breaker watches the mark, not trade prices: the mark is what margin and liquidation use, and one trade
// through a thin book must not halt a market (the mark's 5-minute EMA basis damps it; an index jump is
// seen at once, which is the point).
//
// A breach is strict: a mark exactly 5 % from its reference trades on, one tick further trips. On a trip
// the market halts for `haltSeconds` (every order refused with MARKET_HALTED, liquidations wait, all its
// resting orders canceled), then trades in restricted mode for `restrictedSeconds` (orders that open or
// increase a position must be post-only and their position's leverage at most `restrictedLeverageMax`),
// then normally. The references restart from the mark at the end of the halt, so a market that stays at
// its new level does not trip again. Transitions happen at the first command at or after their time
// (the node ticks every second).

/**
 * A market's breaker bands (ppm of the reference; 0 turns a window off) and timings.
 *
 * @example
 * const params: CircuitBreakerParams = prdCircuitBreaker;
 */
export interface CircuitBreakerParams {
  readonly shortBandPpm: number;
  readonly hourBandPpm: number;
  readonly dailyBandPpm: number;
  readonly haltSeconds: number;
  readonly restrictedSeconds: number;
  /** The leverage cap of restricted mode; 0 means half the market's leverageMax (at least 1x). */
  readonly restrictedLeverageMax: number;
}

/** PRD §2.7.2: ±5 % in 5 minutes, ±10 % in an hour, ±20 % from the previous close; a 5-minute halt. */
export const prdCircuitBreaker: CircuitBreakerParams = Object.freeze({
  shortBandPpm: 50_000,
  hourBandPpm: 100_000,
  dailyBandPpm: 200_000,
  haltSeconds: 300,
  restrictedSeconds: 300,
  restrictedLeverageMax: 0,
});

/** A market listed without `circuitBreaker`: no automatic trips; trip() still halts it like the PRD's. */
export const noAutomaticBreaker: CircuitBreakerParams = Object.freeze({ ...prdCircuitBreaker, shortBandPpm: 0, hourBandPpm: 0, dailyBandPpm: 0 });

const shortWindowMinutes = 5;
const hourWindowMinutes = 60;
/** Minute samples kept per market: the current minute and the 60 before it. */
const samplesPerMarket = hourWindowMinutes + 1;
const minutesPerDay = 1_440;
const nanosecondsPerMinute = 60_000_000_000n;
const nanosecondsPerSecond = 1_000_000_000n;
const secondsMax = 86_400;

/** A message naming what is wrong with `params`, or null when they are valid. */
export function circuitBreakerProblem(params: CircuitBreakerParams, leverageMax: number): string | null {
  if (typeof params !== "object" || params === null) return "circuitBreaker must be an object";
  for (const field of ["shortBandPpm", "hourBandPpm", "dailyBandPpm"] as const) {
    const value = params[field];
    if (!Number.isInteger(value) || value < 0 || value > 1_000_000) return `circuitBreaker.${field} must be 0 (off) to 1000000`;
  }
  for (const field of ["haltSeconds", "restrictedSeconds"] as const) {
    const value = params[field];
    if (!Number.isInteger(value) || value < 0 || value > secondsMax) return `circuitBreaker.${field} must be 0 to ${secondsMax}`;
  }
  const leverage = params.restrictedLeverageMax;
  if (!Number.isInteger(leverage) || leverage < 0 || leverage > leverageMax) {
    return `circuitBreaker.restrictedLeverageMax must be 0 (half the market's) to ${leverageMax}`;
  }
  return null;
}

/** Where a market's breaker stands: trading normally, halted, or restricted after a halt. */
export type BreakerStatus = "normal" | "halted" | "restricted";
const statuses: readonly BreakerStatus[] = ["normal", "halted", "restricted"];

/** One market's breaker: its status and minute samples of the mark (its parameters are in the spec). */
export class BreakerState {
  status: BreakerStatus = "normal";
  haltedUntil: TimeNs = 0n;
  restrictedUntil: TimeNs = 0n;
  /** samples[minute % 61] = the mark sampled in that minute. */
  readonly samples: number[];
  sampledMinute: number;
  /** The mark sampled at the last UTC midnight (or when the references last restarted). */
  dailyReference: number;

  constructor(mark: number, minute: number) {
    this.samples = new Array<number>(samplesPerMarket).fill(mark);
    this.sampledMinute = minute;
    this.dailyReference = mark;
  }

  /** Every reference restarts from `mark`. */
  anchor(mark: number): void {
    this.samples.fill(mark);
    this.dailyReference = mark;
  }

  sample(minutesBack: number): number {
    return this.samples[ringIndex(this.sampledMinute - minutesBack)]!;
  }
}

/** Whether `mark` is strictly more than `bandPpm` away from `reference` (band 0: never). */
export function breaches(mark: number, reference: number, bandPpm: number): boolean {
  if (bandPpm === 0) return false;
  // mark, reference < 2^31 and ppm ≤ 10^6 < 2^20: every product stays below 2^52.
  return Math.abs(mark - reference) * 1_000_000 > bandPpm * reference;
}

/**
 * The exchange's circuit breakers, one per market, held as `exchange.breakers`. `advance()` runs at the
 * start of every command (O(1) until the next minute or transition is due); `markChanged` runs whenever
 * a mark moves. `trip` halts a market from outside (an oracle gap at an equity open); `isHalted` tells
 * the liquidation engine to wait.
 *
 * @example
 * exchange.breakers.trip(perpMarket, "reopening gap of 12 %");
 * exchange.breakers.isHalted(perpMarket.index); // => true for the next 5 minutes
 */
export class CircuitBreakers {
  readonly states: BreakerState[] = [];
  /** Exchange time before which advance() has nothing to do. Not state: 0 after a restore. */
  private dueAt = 0n;

  constructor(private readonly exchange: Exchange) {}

  listed(perpMarket: PerpMarket): void {
    this.states.push(new BreakerState(perpMarket.markPrice, minuteOf(this.exchange.time)));
    this.dueAt = 0n;
  }

  /** Halted by a breaker, or paused by an admin: no order is accepted and liquidations wait. */
  isHalted(marketIndex: number): boolean {
    return this.states[marketIndex]!.status === "halted" || this.exchange.marketAdmin.statusOf(marketIndex) === "paused";
  }

  /** Halted by a breaker (not by an admin). */
  isTripped(marketIndex: number): boolean {
    return this.states[marketIndex]!.status === "halted";
  }

  isRestricted(marketIndex: number): boolean {
    return this.states[marketIndex]!.status === "restricted";
  }

  /** The leverage cap of restricted mode in a market. */
  restrictedLeverageMax(perpMarket: PerpMarket): number {
    const configured = paramsOf(perpMarket).restrictedLeverageMax;
    return configured !== 0 ? Math.min(configured, perpMarket.spec.leverageMax) : Math.max(1, perpMarket.spec.leverageMax >> 1);
  }

  /**
   * Halts the market now (a no-op if it is already halted): cancels its resting orders and refuses orders
   * for haltSeconds, then restricted mode for restrictedSeconds.
   */
  trip(market: PerpMarket, reason: string): void {
    this.halt(market, "external", 0, reason);
  }

  /** Time passes: halts end, restrictions lift, minute samples roll and are checked. */
  advance(): void {
    // Runs at the start of every command: the test stays here, the work goes out of line, so the call
    // inlines into Exchange.apply as one comparison.
    if (this.exchange.time >= this.dueAt) this.advanceNow();
  }

  private advanceNow(): void {
    const time = this.exchange.time;
    const minute = minuteOf(time);
    let dueAt = BigInt(minute + 1) * nanosecondsPerMinute;
    for (const perpMarket of this.exchange.perpMarkets) {
      const state = this.states[perpMarket.index]!;
      this.transition(perpMarket, state, time);
      if (minute > state.sampledMinute) {
        this.roll(state, minute, perpMarket.markPrice);
        this.check(perpMarket);
      }
      if (state.status === "halted" && state.haltedUntil < dueAt) dueAt = state.haltedUntil;
      if (state.status === "restricted" && state.restrictedUntil < dueAt) dueAt = state.restrictedUntil;
    }
    this.dueAt = dueAt;
  }

  /** The mark of a market moved: compare it with the references. */
  markChanged(perpMarket: PerpMarket): void {
    this.check(perpMarket);
  }

  private check(perpMarket: PerpMarket): void {
    const state = this.states[perpMarket.index]!;
    if (state.status === "halted") return;
    const mark = perpMarket.markPrice;
    const params = paramsOf(perpMarket);
    const short = state.sample(shortWindowMinutes);
    if (breaches(mark, short, params.shortBandPpm)) return this.breach(perpMarket, "5m", short, params.shortBandPpm);
    const hour = state.sample(hourWindowMinutes);
    if (breaches(mark, hour, params.hourBandPpm)) return this.breach(perpMarket, "1h", hour, params.hourBandPpm);
    const daily = state.dailyReference;
    if (breaches(mark, daily, params.dailyBandPpm)) return this.breach(perpMarket, "daily", daily, params.dailyBandPpm);
  }

  private breach(perpMarket: PerpMarket, window: BreakerWindow, reference: number, bandPpm: number): void {
    const reason = `${window} window: mark ${perpMarket.markPrice} is more than ${bandPpm} ppm from the reference ${reference}`;
    this.halt(perpMarket, window, reference, reason);
  }

  private halt(perpMarket: PerpMarket, window: BreakerWindow, reference: number, reason: string): void {
    const state = this.states[perpMarket.index]!;
    if (state.status === "halted") return;
    const exchange = this.exchange;
    const time = exchange.time;
    state.status = "halted";
    const params = paramsOf(perpMarket);
    state.haltedUntil = time + BigInt(params.haltSeconds) * nanosecondsPerSecond;
    state.restrictedUntil = state.haltedUntil + BigInt(params.restrictedSeconds) * nanosecondsPerSecond;
    this.emit({
      type: "CircuitBreakerTriggered",
      market: perpMarket.spec.symbol,
      window,
      reason,
      markPrice: perpMarket.markPrice,
      referencePrice: reference,
      haltedUntil: state.haltedUntil,
      restrictedUntil: state.restrictedUntil,
    });
    exchange.engine.cancelMarketOrders(perpMarket.index, "CIRCUIT_BREAKER");
    // A halt of 0 seconds ends at the next command; advance() must not skip it.
    if (state.haltedUntil < this.dueAt) this.dueAt = state.haltedUntil;
  }

  private transition(perpMarket: PerpMarket, state: BreakerState, time: TimeNs): void {
    if (state.status === "halted" && time >= state.haltedUntil) {
      state.status = "restricted";
      state.anchor(perpMarket.markPrice);
      this.emit({
        type: "CircuitBreakerResumed",
        market: perpMarket.spec.symbol,
        restrictedUntil: state.restrictedUntil,
        leverageMax: this.restrictedLeverageMax(perpMarket),
        markPrice: perpMarket.markPrice,
      });
    }
    if (state.status === "restricted" && time >= state.restrictedUntil) {
      state.status = "normal";
      this.emit({ type: "CircuitBreakerCleared", market: perpMarket.spec.symbol });
    }
  }

  /** Records the mark for every minute from the last sample to `minute` (at most the 61 kept). */
  private roll(state: BreakerState, minute: number, mark: number): void {
    const first = Math.max(state.sampledMinute + 1, minute - samplesPerMarket + 1);
    const crossedMidnight = divideFloor(minute, minutesPerDay) > divideFloor(state.sampledMinute, minutesPerDay);
    for (let sampled = first; sampled <= minute; sampled += 1) state.samples[ringIndex(sampled)] = mark;
    state.sampledMinute = minute;
    // The first sample of a new UTC day is the previous close (the mark at midnight, or just after it).
    if (crossedMidnight) state.dailyReference = mark;
  }

  private emit(event: Record<string, unknown>): void {
    const exchange = this.exchange;
    exchange.events.push({ sequence: exchange.engine.commandSequence, index: exchange.events.length, time: exchange.time, ...event } as never);
  }

  // ---------------------------------------------------------------------------------------------
  // State hash and snapshot

  writeState(writer: CanonicalWriter): void {
    for (const state of this.states) {
      writer.u8(statuses.indexOf(state.status));
      writer.i64(state.haltedUntil);
      writer.i64(state.restrictedUntil);
      writer.safeInteger(state.sampledMinute);
      for (const sample of state.samples) writer.u32(sample);
      writer.u32(state.dailyReference);
    }
  }

  readState(reader: CanonicalReader): void {
    for (const state of this.states) {
      const status = statuses[reader.u8()];
      assert(status !== undefined, "snapshot: bad breaker status");
      state.status = status;
      state.haltedUntil = reader.i64();
      state.restrictedUntil = reader.i64();
      state.sampledMinute = reader.safeInteger();
      for (let index = 0; index < samplesPerMarket; index += 1) state.samples[index] = reader.u32();
      state.dailyReference = reader.u32();
    }
    this.dueAt = 0n;
  }
}

/** Writes breaker parameters to the state encoding (the market admin's section holds them). */
export function writeBreakerParams(writer: CanonicalWriter, params: CircuitBreakerParams): void {
  writer.u32(params.shortBandPpm);
  writer.u32(params.hourBandPpm);
  writer.u32(params.dailyBandPpm);
  writer.u32(params.haltSeconds);
  writer.u32(params.restrictedSeconds);
  writer.u32(params.restrictedLeverageMax);
}

/** Reads what writeBreakerParams wrote. */
export function readBreakerParams(reader: CanonicalReader): CircuitBreakerParams {
  return Object.freeze({
    shortBandPpm: reader.u32(),
    hourBandPpm: reader.u32(),
    dailyBandPpm: reader.u32(),
    haltSeconds: reader.u32(),
    restrictedSeconds: reader.u32(),
    restrictedLeverageMax: reader.u32(),
  });
}

/** A market's breaker parameters, from its spec (absent only before the market admin resolves it). */
function paramsOf(perpMarket: PerpMarket): CircuitBreakerParams {
  return perpMarket.spec.circuitBreaker ?? noAutomaticBreaker;
}

/** The ring slot of a minute (minutes before the epoch's 60th are possible only in tests). */
function ringIndex(minute: number): number {
  return ((minute % samplesPerMarket) + samplesPerMarket) % samplesPerMarket;
}

/** Whole minutes since the epoch of an exchange time. */
function minuteOf(time: TimeNs): number {
  return Number(time / nanosecondsPerMinute);
}
