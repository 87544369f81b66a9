import { isAddress } from "../accounts.ts";
import { assert } from "../assert.ts";
import type { CanonicalReader } from "../canonical-reader.ts";
import type { CanonicalWriter } from "../canonical-writer.ts";
import type { Exchange } from "../exchange.ts";
import { accepted, reject, type Accepted, type Rejection } from "../rejections.ts";
import { int32Max, ppmOne } from "../units.ts";
import type { TimeNs } from "../units.ts";
import { collateralAssets, collateralIndex, type CollateralAsset } from "./collateral.ts";
import { multiplyDivide } from "./fixed-point.ts";
import { aggregateOracle, type OracleQuote } from "./oracle-aggregator.ts";
import {
  checkOracleConfig,
  oracleConfigDefault,
  OracleSource,
  readOracleConfig,
  writeOracleConfig,
  type ConfigureOracleCommand,
  type OracleCommand,
  type OracleConfig,
  type OraclePriceCommand,
  type RegisterOracleSourceCommand,
  type SetOracleSourceCommand,
} from "./oracle-sources.ts";

// The OracleAggregator of the PRD: per subject (a market's index or a collateral price) the registered
// sources, their latest quotes, the aggregate and the monitoring record. An accepted quote triggers an
// aggregation; the aggregate moves the market's index (through Sessions, which knows market hours) or the
// collateral price. As time passes (every command, before it is dispatched) a subject whose aggregate is
// older than its staleness bound turns unhealthy: its market stops opening positions (reduce-only orders
// still trade) and an OracleHealthChanged event says so; a fresh aggregate with enough confidence heals it.

const sourceIdPattern = /^[a-z0-9._-]{1,32}$/;
const signaturePattern = /^0x[0-9a-f]{130}$/;
/** The most sources per subject and in total (bounded loops, bounded state). */
export const oracleSourcesPerSubjectMax = 32;
export const oracleSourcesMax = 4096;
/** Collateral quotes outside $0.50 … $2.00 are refused, as direct collateral prices are. */
const collateralPricePpmMin = 500_000;
const collateralPricePpmMax = 2_000_000;
const reliabilityAfterReenable = 100;

/** One priced thing: a market's index or a collateral asset. */
export class OracleSubject {
  config: OracleConfig = oracleConfigDefault;
  readonly sources: OracleSource[] = [];
  /** The last applied aggregate and its exchange time (−1 before the first). */
  price = 0;
  confidencePpm = 0;
  aggregatedAt = -1n;
  healthy = true;
  /** Why it is unhealthy: "stale", "quorum" or "confidence"; "" when healthy. */
  reason = "";
  /** The source currently serving as primary (index into sources), −1 before any. */
  primary = -1;

  constructor(
    readonly name: string,
    /** A market's index, or −1 − collateral index for a collateral asset. */
    readonly target: number,
  ) {}

  get isMarket(): boolean {
    return this.target >= 0;
  }
}

export class Oracles {
  readonly subjects: OracleSubject[] = [];
  readonly subjectsByName = new Map<string, OracleSubject>();
  readonly sourcesById = new Map<string, OracleSource>();
  /** Per market index: the subject pricing it, if any (markets without sources take `indexPrice` only). */
  private readonly marketSubjects: (OracleSubject | undefined)[] = [];
  /** Exchange time before which advancing changes nothing. Not state: 0 after a restore. */
  private dueAt = 0n;

  constructor(private readonly exchange: Exchange) {}

  listed(marketIndex: number): void {
    this.marketSubjects[marketIndex] = undefined;
  }

  apply(command: OracleCommand): Accepted | Rejection {
    switch (command.type) {
      case "registerOracleSource":
        return this.register(command);
      case "setOracleSource":
        return this.setSource(command);
      case "configureOracle":
        return this.configure(command);
      case "oraclePrice":
        return this.price(command);
    }
  }

  /** Null when the market may open positions now, else the rejection (the index is stale or unsure). */
  checkOpen(marketIndex: number): Rejection | null {
    const subject = this.marketSubjects[marketIndex];
    if (subject === undefined || subject.healthy) return null;
    // A closed equity market's index is stale by design: the session regime guards it instead.
    if (this.exchange.sessions.isClosed(marketIndex)) return null;
    return reject(
      "ORACLE_UNHEALTHY",
      `${subject.name} is not opening positions: its index is ${subject.reason === "stale" ? "stale" : subject.reason === "quorum" ? "missing sources" : "below its confidence bound"}; reduce-only orders are accepted`,
      { reason: subject.reason },
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Commands

  private subjectFor(name: string): OracleSubject | Rejection {
    const existing = this.subjectsByName.get(name);
    if (existing !== undefined) return existing;
    if (typeof name !== "string") return reject("ORACLE_SOURCE_INVALID", `subject must be a market symbol or USDC, USDT, DAI`);
    if (collateralAssets.includes(name as CollateralAsset)) {
      return new OracleSubject(name, -1 - collateralIndex[name as CollateralAsset]);
    }
    const market = this.exchange.engine.market(name);
    if (market === undefined) return reject("ORACLE_SOURCE_INVALID", `subject ${name} is neither a listed market nor USDC, USDT, DAI`);
    return new OracleSubject(name, market.index);
  }

  private adopt(subject: OracleSubject): void {
    if (this.subjectsByName.has(subject.name)) return;
    this.subjects.push(subject);
    this.subjectsByName.set(subject.name, subject);
    if (subject.isMarket) this.marketSubjects[subject.target] = subject;
  }

  private register(command: RegisterOracleSourceCommand): Accepted | Rejection {
    const invalid = (message: string): Rejection => reject("ORACLE_SOURCE_INVALID", message);
    if (typeof command.source !== "string" || !sourceIdPattern.test(command.source)) {
      return invalid(`source must be 1 to 32 characters of a-z, 0-9, '.', '_' and '-'`);
    }
    if (!isAddress(command.signer)) return invalid(`signer must be a lowercase 0x-prefixed 40-hex-digit address`);
    if (!Number.isInteger(command.reputation) || command.reputation < 0 || command.reputation > 100) {
      return invalid(`reputation must be a whole number 0 to 100`);
    }
    if (!Number.isInteger(command.weight) || command.weight < 1 || command.weight > 1000) {
      return invalid(`weight must be a whole number 1 to 1000`);
    }
    const subject = this.subjectFor(command.subject);
    if (!("target" in subject)) return subject;
    let source = this.sourcesById.get(command.source);
    if (source !== undefined && this.subjects[source.subject] !== subject) {
      return invalid(`source ${command.source} already prices ${this.subjects[source.subject]!.name}`);
    }
    if (source === undefined) {
      if (subject.sources.length >= oracleSourcesPerSubjectMax) return invalid(`a subject has at most ${oracleSourcesPerSubjectMax} sources`);
      if (this.sourcesById.size >= oracleSourcesMax) return invalid(`the exchange has at most ${oracleSourcesMax} oracle sources`);
      this.adopt(subject);
      source = new OracleSource(command.source, this.subjects.indexOf(subject), command.signer);
      subject.sources.push(source);
      this.sourcesById.set(source.id, source);
    }
    source.signer = command.signer;
    source.reputation = command.reputation;
    source.weight = command.weight;
    this.emit({ type: "OracleSourceRegistered", source: source.id, subject: subject.name, signer: source.signer, reputation: source.reputation, weight: source.weight });
    this.choosePrimary(subject);
    return accepted;
  }

  private setSource(command: SetOracleSourceCommand): Accepted | Rejection {
    const source = this.sourcesById.get(command.source);
    if (source === undefined) return reject("ORACLE_SOURCE_UNKNOWN", `no oracle source ${String(command.source)} is registered`);
    if (typeof command.enabled !== "boolean") return reject("ORACLE_SOURCE_INVALID", `enabled must be true or false`);
    source.enabled = command.enabled;
    if (command.enabled) source.reliability = reliabilityAfterReenable;
    this.emit({ type: "OracleSourceStatusChanged", source: source.id, subject: this.subjects[source.subject]!.name, enabled: source.enabled, reason: "admin", reliability: source.reliability });
    this.choosePrimary(this.subjects[source.subject]!);
    return accepted;
  }

  private configure(command: ConfigureOracleCommand): Accepted | Rejection {
    const problem = checkOracleConfig(command.config);
    if (problem !== null) return reject("ORACLE_SOURCE_INVALID", problem);
    const subject = this.subjectFor(command.subject);
    if (!("target" in subject)) return subject;
    this.adopt(subject);
    const config = command.config;
    subject.config = {
      staleAfterNs: config.staleAfterNs,
      maxAgeNs: config.maxAgeNs,
      futureToleranceNs: config.futureToleranceNs,
      halfLifeNs: config.halfLifeNs,
      quorum: config.quorum,
      confidenceMinPpm: config.confidenceMinPpm,
      madFloorPpm: config.madFloorPpm,
      disableBelow: config.disableBelow,
      outlierPenalty: config.outlierPenalty,
    };
    this.emit({ type: "OracleConfigured", subject: subject.name });
    this.dueAt = 0n;
    return accepted;
  }

  private price(command: OraclePriceCommand): Accepted | Rejection {
    const source = this.sourcesById.get(command.source);
    if (source === undefined) return reject("ORACLE_SOURCE_UNKNOWN", `no oracle source ${String(command.source)} is registered`);
    const subject = this.subjects[source.subject]!;
    const invalid = (message: string): Rejection => reject("ORACLE_UPDATE_INVALID", message);
    if (command.subject !== subject.name) return invalid(`source ${source.id} prices ${subject.name}, not ${String(command.subject)}`);
    if (command.signer !== source.signer) {
      return reject("ORACLE_SIGNER_MISMATCH", `the update is signed by ${String(command.signer)}; source ${source.id} signs with ${source.signer}`);
    }
    if (!source.enabled) return reject("ORACLE_SOURCE_DISABLED", `source ${source.id} is disabled; an admin can re-enable it`);
    if (typeof command.signature !== "string" || !signaturePattern.test(command.signature)) {
      return invalid(`signature must be 0x and 130 lowercase hex digits`);
    }
    const [low, high] = subject.isMarket ? [1, int32Max] : [collateralPricePpmMin, collateralPricePpmMax];
    if (!Number.isInteger(command.price) || command.price < low || command.price > high) {
      return invalid(`price must be a whole number ${low} to ${high} (${subject.isMarket ? "ticks" : "µUSD per token"})`);
    }
    if (!Number.isInteger(command.confidencePpm) || command.confidencePpm < 1 || command.confidencePpm > ppmOne) {
      return invalid(`confidencePpm must be 1 to 1000000`);
    }
    const time = this.exchange.time;
    const { config } = subject;
    if (typeof command.publishTime !== "bigint" || command.publishTime > time + config.futureToleranceNs) {
      return invalid(`publishTime must be nanoseconds no later than ${time + config.futureToleranceNs} (exchange time + tolerance)`);
    }
    if (command.publishTime <= source.publishTime) {
      return reject("ORACLE_UPDATE_OUT_OF_ORDER", `source ${source.id} already published at ${source.publishTime}; updates must be newer`);
    }
    if (time - command.publishTime > config.maxAgeNs) {
      return reject("ORACLE_UPDATE_TOO_OLD", `the update is ${time - command.publishTime} ns old; at most ${config.maxAgeNs} ns is accepted`);
    }
    if (source.receivedAt >= 0n) {
      // EMA with α = 1/8 of the time between accepted quotes: the update frequency.
      const interval = time - source.receivedAt;
      source.intervalNs = source.updates === 1 ? interval : source.intervalNs + (interval - source.intervalNs) / 8n;
    }
    source.price = command.price;
    source.confidencePpm = command.confidencePpm;
    source.publishTime = command.publishTime;
    source.receivedAt = time;
    source.updates += 1;
    source.scored = false;
    this.aggregate(subject);
    return accepted;
  }

  // ---------------------------------------------------------------------------------------------
  // Aggregation and monitoring

  private isFresh(source: OracleSource, config: OracleConfig): boolean {
    return source.enabled && source.reputation > 0 && source.publishTime >= 0n && this.exchange.time - source.publishTime <= config.staleAfterNs;
  }

  private aggregate(subject: OracleSubject): void {
    const { config } = subject;
    const fresh: OracleSource[] = [];
    for (const source of subject.sources) if (this.isFresh(source, config)) fresh.push(source);
    this.dueAt = 0n;
    if (fresh.length < config.quorum) {
      this.setHealth(subject, false, "quorum");
      return;
    }
    const quotes: OracleQuote[] = fresh.map((source) => ({
      price: source.price,
      confidencePpm: source.confidencePpm,
      reputation: source.reputation,
      weight: source.weight,
      publishTime: source.publishTime,
    }));
    const result = aggregateOracle({ quotes, time: this.exchange.time, halfLife: config.halfLifeNs, madFloorPpm: config.madFloorPpm });
    const rejected: string[] = [];
    for (let index = 0; index < fresh.length; index += 1) this.monitor(subject, fresh[index]!, result.accepted[index]!, result.median, rejected);
    if (result.price === 0) {
      this.setHealth(subject, false, "quorum");
      return;
    }
    this.emit({ type: "OracleAggregated", subject: subject.name, price: result.price, confidencePpm: result.confidencePpm, sources: fresh.length, rejected });
    if (result.confidencePpm < config.confidenceMinPpm) {
      this.setHealth(subject, false, "confidence");
      return;
    }
    subject.price = result.price;
    subject.confidencePpm = result.confidencePpm;
    subject.aggregatedAt = this.exchange.time;
    this.setHealth(subject, true, "");
    this.applyPrice(subject);
    this.choosePrimary(subject);
  }

  /** Reliability: +1 for an accepted quote, −penalty for an outlier; too low disables the source. */
  private monitor(subject: OracleSubject, source: OracleSource, kept: boolean, median: number, rejected: string[]): void {
    source.deviationPpm = multiplyDivide({ value: source.price - median, multiplier: ppmOne, divisor: Math.max(1, median), rounding: "halfUp" });
    if (!kept) rejected.push(source.id);
    if (source.scored) return;
    source.scored = true;
    if (kept) {
      source.reliability = Math.min(100, source.reliability + 1);
      return;
    }
    source.outliers += 1;
    source.reliability = Math.max(0, source.reliability - subject.config.outlierPenalty);
    if (source.reliability < subject.config.disableBelow) {
      source.enabled = false;
      this.emit({ type: "OracleSourceStatusChanged", source: source.id, subject: subject.name, enabled: false, reason: "unreliable", reliability: source.reliability });
    }
  }

  private applyPrice(subject: OracleSubject): void {
    const exchange = this.exchange;
    if (subject.isMarket) {
      exchange.sessions.applyIndex(exchange.perpMarkets[subject.target]!, subject.price, "oracle");
      return;
    }
    const asset = -1 - subject.target;
    if (exchange.prices.pricePpm[asset] === subject.price) return;
    exchange.prices.pricePpm[asset] = subject.price;
    exchange.prices.epoch += 1;
    exchange.liquidations.touchAllAccounts();
    this.emit({ type: "CollateralPriceUpdated", subject: subject.name, price: subject.price });
  }

  private setHealth(subject: OracleSubject, healthy: boolean, reason: string): void {
    if (subject.healthy === healthy && subject.reason === reason) return;
    subject.healthy = healthy;
    subject.reason = reason;
    this.emit({ type: "OracleHealthChanged", subject: subject.name, healthy, reason });
  }

  /**
   * The primary is the enabled, fresh source with the highest reputation × weight (the first registered
   * on a tie). When the primary goes stale or is disabled, the next one takes over: failover, with an event.
   */
  private choosePrimary(subject: OracleSubject): void {
    let best = -1;
    let bestScore = -1;
    for (let index = 0; index < subject.sources.length; index += 1) {
      const source = subject.sources[index]!;
      const score = source.reputation * source.weight;
      if (source.enabled && (source.publishTime < 0n || this.isFresh(source, subject.config)) && score > bestScore) {
        best = index;
        bestScore = score;
      }
    }
    if (best === subject.primary) return;
    const from = subject.primary >= 0 ? subject.sources[subject.primary]!.id : null;
    subject.primary = best;
    this.emit({ type: "OracleFailover", subject: subject.name, from, to: best >= 0 ? subject.sources[best]!.id : null });
  }

  /** Time passes: stale aggregates make their subject unhealthy; a stale primary fails over. */
  advance(): void {
    // Runs at the start of every command: the test stays here, the work goes out of line, so the call
    // inlines into Exchange.apply as one comparison.
    // Without subjects first: a number test, where the time test compares bigints.
    if (this.subjects.length !== 0 && this.exchange.time >= this.dueAt) this.advanceNow();
  }

  private advanceNow(): void {
    const time = this.exchange.time;
    let dueAt = -1n;
    for (const subject of this.subjects) {
      const { staleAfterNs } = subject.config;
      if (subject.primary >= 0) {
        const primary = subject.sources[subject.primary]!;
        if (primary.publishTime >= 0n && !this.isFresh(primary, subject.config)) this.choosePrimary(subject);
      }
      for (const source of subject.sources) {
        if (source.enabled && source.publishTime >= 0n && time - source.publishTime <= staleAfterNs) {
          const due = source.publishTime + staleAfterNs + 1n;
          if (dueAt < 0n || due < dueAt) dueAt = due;
        }
      }
      if (!subject.healthy || subject.sources.length === 0) continue;
      const since = this.freshSince(subject);
      if (since < 0n) continue;
      if (time - since > staleAfterNs) this.setHealth(subject, false, "stale");
      else if (dueAt < 0n || since + staleAfterNs + 1n < dueAt) dueAt = since + staleAfterNs + 1n;
    }
    this.dueAt = dueAt < 0n ? time + 1_000_000_000n : dueAt;
  }

  /**
   * Since when the subject's index counts as fresh: its last aggregate, or for an equity market in session
   * the later of that and the session's open (closed, the index is stale by design and the session regime
   * takes over). −1 when staleness does not apply.
   */
  private freshSince(subject: OracleSubject): TimeNs {
    // A subject its oracles never priced is not monitored (its index moves by indexPrice, if at all).
    if (subject.aggregatedAt < 0n || !subject.isMarket) return subject.aggregatedAt;
    const sessions = this.exchange.sessions;
    if (!sessions.isEquity(subject.target)) return subject.aggregatedAt;
    if (sessions.isClosed(subject.target)) return -1n;
    // In session the clock starts at the open: the first index has staleAfterNs to arrive.
    const opened = sessions.openedAt;
    return subject.aggregatedAt > opened ? subject.aggregatedAt : opened;
  }

  private emit(event: Record<string, unknown>): void {
    const exchange = this.exchange;
    exchange.events.push({ sequence: exchange.engine.commandSequence, index: exchange.events.length, time: exchange.time, ...event } as never);
  }

  // ---------------------------------------------------------------------------------------------
  // State

  writeState(writer: CanonicalWriter): void {
    writer.u32(this.subjects.length);
    for (const subject of this.subjects) {
      writer.string(subject.name);
      writer.signed(subject.target);
      writeOracleConfig(writer, subject.config);
      writer.u32(subject.price);
      writer.u32(subject.confidencePpm);
      writer.i64(subject.aggregatedAt);
      writer.boolean(subject.healthy);
      writer.string(subject.reason);
      writer.signed(subject.primary);
      writer.u32(subject.sources.length);
      for (const source of subject.sources) source.writeState(writer);
    }
  }

  readState(reader: CanonicalReader): void {
    const count = reader.u32();
    for (let index = 0; index < count; index += 1) {
      const subject = new OracleSubject(reader.string(), reader.signed());
      subject.config = readOracleConfig(reader);
      subject.price = reader.u32();
      subject.confidencePpm = reader.u32();
      subject.aggregatedAt = reader.i64();
      subject.healthy = reader.u8() === 1;
      subject.reason = reader.string();
      subject.primary = reader.signed();
      this.adopt(subject);
      const sources = reader.u32();
      for (let at = 0; at < sources; at += 1) {
        const source = OracleSource.readState(reader);
        subject.sources.push(source);
        this.sourcesById.set(source.id, source);
      }
    }
  }
}

/**
 * The oracle schedule of a subject for market data: its sources with their monitoring record.
 *
 * @example
 * oracleView(exchange, "BTC-PERP")?.sources.length; // => 3
 */
export function oracleView(exchange: Exchange, subject: string): {
  subject: string;
  price: number;
  confidencePpm: number;
  healthy: boolean;
  reason: string;
  primary: string | null;
  sources: { id: string; enabled: boolean; reputation: number; weight: number; reliability: number; price: number; publishTime: TimeNs; updates: number; intervalNs: TimeNs; deviationPpm: number; outliers: number }[];
} | undefined {
  const found = exchange.oracles.subjectsByName.get(subject);
  if (found === undefined) return undefined;
  return {
    subject: found.name,
    price: found.price,
    confidencePpm: found.confidencePpm,
    healthy: found.healthy,
    reason: found.reason,
    primary: found.primary >= 0 ? found.sources[found.primary]!.id : null,
    sources: found.sources.map((source) => ({
      id: source.id,
      enabled: source.enabled,
      reputation: source.reputation,
      weight: source.weight,
      reliability: source.reliability,
      price: source.price,
      publishTime: source.publishTime,
      updates: source.updates,
      intervalNs: source.intervalNs,
      deviationPpm: source.deviationPpm,
      outliers: source.outliers,
    })),
  };
}

/**
 * The oracle, session and corporate-action invariants, for tests and the simulator: every source is
 * indexed and belongs to its subject, reliability and reputation stay in 0 … 100, a healthy subject has
 * no reason, an applied aggregate is a positive price no later than now, the primary is a source of its
 * subject, and pending corporate actions are in execution order and all in the future.
 *
 * @example
 * checkOracleInvariants(exchange); // throws AssertionFailed on a broken invariant
 */
export function checkOracleInvariants(exchange: Exchange): void {
  const oracles = exchange.oracles;
  let sources = 0;
  for (const [at, subject] of oracles.subjects.entries()) {
    assert(oracles.subjectsByName.get(subject.name) === subject, `invariant: oracle subject ${subject.name} not indexed`);
    assert(subject.healthy === (subject.reason === ""), `invariant: ${subject.name} health and reason disagree`);
    assert(subject.primary >= -1 && subject.primary < subject.sources.length, `invariant: ${subject.name} primary out of range`);
    if (subject.aggregatedAt >= 0n) assert(subject.price > 0 && subject.aggregatedAt <= exchange.time, `invariant: ${subject.name} aggregate`);
    for (const source of subject.sources) {
      sources += 1;
      assert(oracles.sourcesById.get(source.id) === source && source.subject === at, `invariant: source ${source.id} not indexed under ${subject.name}`);
      assert(source.reliability >= 0 && source.reliability <= 100 && source.reputation >= 0 && source.reputation <= 100, `invariant: source ${source.id} scores`);
    }
  }
  assert(sources === oracles.sourcesById.size, "invariant: oracle source index holds sources of no subject");
  const pending = exchange.corporateActions.pending;
  for (let index = 0; index < pending.length; index += 1) {
    assert(pending[index]!.effectiveTime > exchange.time, "invariant: a due corporate action did not run");
    if (index > 0) assert(pending[index - 1]!.effectiveTime <= pending[index]!.effectiveTime, "invariant: corporate actions out of order");
  }
}
