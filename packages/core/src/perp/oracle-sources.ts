import type { CanonicalReader } from "../canonical-reader.ts";
import type { CanonicalWriter } from "../canonical-writer.ts";
import type { TimeNs } from "../units.ts";

// Oracle sources and their commands (PRD §2.6, §6.2.2). A source belongs to one subject: a market (its
// index price, in ticks) or a collateral asset (its price in µUSD per token). Each source signs its
// updates with its own key; the api/node verifies the signature before sequencing (design.md) and puts the
// recovered signer in the command, keeping the signed payload and signature in the journal; the core acts
// on the verified signer: it must be the one registered for the source.

interface Stamped {
  readonly sequence: number;
  readonly time: TimeNs;
}

/**
 * Admin: registers a source for a subject, or changes an existing source's signer, reputation or weight.
 *
 * @example
 * const command: RegisterOracleSourceCommand = { type: "registerOracleSource", sequence: 1, time: 1n, source: "pyth-btc", subject: "BTC-PERP", signer: "0x" + "a".repeat(40), reputation: 90, weight: 1 };
 */
export interface RegisterOracleSourceCommand extends Stamped {
  readonly type: "registerOracleSource";
  /** 1 to 32 characters of a-z, 0-9, '.', '_' and '-'. */
  readonly source: string;
  /** A market symbol ("BTC-PERP") or a collateral asset ("USDC", "USDT", "DAI"). */
  readonly subject: string;
  /** The source's signing address, lowercase 0x-hex. */
  readonly signer: string;
  /** 0 … 100. */
  readonly reputation: number;
  /** 1 … 1000. */
  readonly weight: number;
}

/**
 * Admin: disables a source or re-enables one (also one that monitoring disabled).
 *
 * @example
 * const command: SetOracleSourceCommand = { type: "setOracleSource", sequence: 2, time: 2n, source: "pyth-btc", enabled: true };
 */
export interface SetOracleSourceCommand extends Stamped {
  readonly type: "setOracleSource";
  readonly source: string;
  readonly enabled: boolean;
}

/**
 * Admin: the aggregation and monitoring parameters of a subject.
 *
 * @example
 * const command: ConfigureOracleCommand = { type: "configureOracle", sequence: 3, time: 3n, subject: "BTC-PERP", config: oracleConfigDefault };
 */
export interface ConfigureOracleCommand extends Stamped {
  readonly type: "configureOracle";
  readonly subject: string;
  readonly config: OracleConfig;
}

/**
 * A signed price update. `signer` is the address the edge recovered from `signature` over the EIP-712
 * typed data (source, subject, price, confidencePpm, publishTime); the core checks it against the source.
 *
 * @example
 * const command: OraclePriceCommand = { type: "oraclePrice", sequence: 4, time: 4n, source: "pyth-btc", subject: "BTC-PERP", price: 95_000, confidencePpm: 990_000, publishTime: 3n, signer: "0x" + "a".repeat(40), signature: "0x" + "0".repeat(130) };
 */
export interface OraclePriceCommand extends Stamped {
  readonly type: "oraclePrice";
  readonly source: string;
  readonly subject: string;
  /** Ticks for a market, µUSD per token for a collateral asset. */
  readonly price: number;
  /** 1 … 10^6: how sure the source is (10^6 = certain). */
  readonly confidencePpm: number;
  /** When the source observed the price, exchange nanoseconds. */
  readonly publishTime: TimeNs;
  readonly signer: string;
  /** 0x + 130 hex digits (r, s, v); the core keeps it, the journal keeps it, auditors re-verify it. */
  readonly signature: string;
}

/**
 * The oracle commands.
 *
 * @example
 * const kinds: OracleCommand["type"][] = ["registerOracleSource", "setOracleSource", "configureOracle", "oraclePrice"];
 */
export type OracleCommand = RegisterOracleSourceCommand | SetOracleSourceCommand | ConfigureOracleCommand | OraclePriceCommand;

/**
 * A subject's aggregation and monitoring parameters. Durations in nanoseconds.
 *
 * @example
 * const config: OracleConfig = { ...oracleConfigDefault, quorum: 3 };
 */
export interface OracleConfig {
  /** A quote older than this is not aggregated; an aggregate older than this makes the subject stale. */
  readonly staleAfterNs: TimeNs;
  /** An update published longer ago than this is rejected (ORACLE_UPDATE_TOO_OLD). */
  readonly maxAgeNs: TimeNs;
  /** How far a publish time may be ahead of exchange time (clock skew of the source). */
  readonly futureToleranceNs: TimeNs;
  /** The recency weight halves every half-life. */
  readonly halfLifeNs: TimeNs;
  /** The fewest fresh, enabled sources an aggregate needs. */
  readonly quorum: number;
  /** Below this system confidence (ppm) the aggregate is not applied and the subject is unhealthy. */
  readonly confidenceMinPpm: number;
  /** MAD is floored at this share of the median (ppm). */
  readonly madFloorPpm: number;
  /** A source whose reliability falls below this (0 … 100) is disabled. */
  readonly disableBelow: number;
  /** Reliability lost per rejected (outlier) quote; an accepted quote earns one point back. */
  readonly outlierPenalty: number;
}

/**
 * Defaults: quotes fresh for 60 s, rejected when older than 60 s or more than 2 s ahead, 10 s
 * half-life, two fresh sources needed, confidence at least 50 %, MAD at least 0.05 % of the median,
 * 10 points lost per outlier and disabled below 50 (five outliers in a row from full reliability).
 *
 * @example
 * oracleConfigDefault.quorum; // => 2
 */
export const oracleConfigDefault: OracleConfig = Object.freeze({
  staleAfterNs: 60_000_000_000n,
  maxAgeNs: 60_000_000_000n,
  futureToleranceNs: 2_000_000_000n,
  halfLifeNs: 10_000_000_000n,
  quorum: 2,
  confidenceMinPpm: 500_000,
  madFloorPpm: 500,
  disableBelow: 50,
  outlierPenalty: 10,
});

const durationMax = 86_400_000_000_000n;

/**
 * What is wrong with a config, or null when it is valid.
 *
 * @example
 * checkOracleConfig(oracleConfigDefault); // => null
 */
export function checkOracleConfig(config: OracleConfig): string | null {
  const duration = (value: unknown): boolean => typeof value === "bigint" && value > 0n && value <= durationMax;
  const integer = (value: unknown, low: number, high: number): boolean =>
    typeof value === "number" && Number.isInteger(value) && value >= low && value <= high;
  if (typeof config !== "object" || config === null) return "config must be an object";
  if (!duration(config.staleAfterNs) || !duration(config.maxAgeNs) || !duration(config.halfLifeNs)) {
    return "staleAfterNs, maxAgeNs and halfLifeNs must be 1 ns to 1 day";
  }
  if (typeof config.futureToleranceNs !== "bigint" || config.futureToleranceNs < 0n || config.futureToleranceNs > 60_000_000_000n) {
    return "futureToleranceNs must be 0 to 60 s";
  }
  if (!integer(config.quorum, 1, 64)) return "quorum must be 1 to 64 sources";
  if (!integer(config.confidenceMinPpm, 0, 1_000_000)) return "confidenceMinPpm must be 0 to 1000000";
  if (!integer(config.madFloorPpm, 0, 100_000)) return "madFloorPpm must be 0 to 100000 (10 %)";
  if (!integer(config.disableBelow, 0, 100)) return "disableBelow must be 0 to 100";
  if (!integer(config.outlierPenalty, 0, 100)) return "outlierPenalty must be 0 to 100";
  return null;
}

/** Writes a config in the canonical state encoding. */
export function writeOracleConfig(writer: CanonicalWriter, config: OracleConfig): void {
  writer.i64(config.staleAfterNs);
  writer.i64(config.maxAgeNs);
  writer.i64(config.futureToleranceNs);
  writer.i64(config.halfLifeNs);
  writer.u32(config.quorum);
  writer.u32(config.confidenceMinPpm);
  writer.u32(config.madFloorPpm);
  writer.u32(config.disableBelow);
  writer.u32(config.outlierPenalty);
}

/** Reads what writeOracleConfig wrote. */
export function readOracleConfig(reader: CanonicalReader): OracleConfig {
  return {
    staleAfterNs: reader.i64(),
    maxAgeNs: reader.i64(),
    futureToleranceNs: reader.i64(),
    halfLifeNs: reader.i64(),
    quorum: reader.u32(),
    confidenceMinPpm: reader.u32(),
    madFloorPpm: reader.u32(),
    disableBelow: reader.u32(),
    outlierPenalty: reader.u32(),
  };
}

/**
 * One oracle source: its registration, its latest quote and its monitoring record.
 *
 * @example
 * const source = new OracleSource("pyth-btc", 0, "0x" + "a".repeat(40));
 * source.reliability; // => 100
 */
export class OracleSource {
  reputation = 0;
  weight = 1;
  enabled = true;
  /** 0 … 100: +1 per accepted quote, −outlierPenalty per rejected one; below disableBelow it is disabled. */
  reliability = 100;
  /** The latest quote; publishTime −1 before the first. */
  price = 0;
  confidencePpm = 0;
  publishTime = -1n;
  /** Monitoring: quotes accepted, exchange time of the last, EMA (1/8) of the time between quotes. */
  updates = 0;
  receivedAt = -1n;
  intervalNs = 0n;
  /** Signed deviation of the latest aggregated quote from the aggregate, ppm. */
  deviationPpm = 0;
  /** Quotes the outlier test rejected. */
  outliers = 0;
  /** Whether the latest quote has been scored (each quote moves reliability once, however often it is aggregated). */
  scored = false;

  constructor(
    readonly id: string,
    /** Index of the subject in Oracles.subjects. */
    readonly subject: number,
    public signer: string,
  ) {}

  writeState(writer: CanonicalWriter): void {
    writer.string(this.id);
    writer.u32(this.subject);
    writer.string(this.signer);
    writer.u32(this.reputation);
    writer.u32(this.weight);
    writer.boolean(this.enabled);
    writer.u32(this.reliability);
    writer.u32(this.price);
    writer.u32(this.confidencePpm);
    writer.i64(this.publishTime);
    writer.safeInteger(this.updates);
    writer.i64(this.receivedAt);
    writer.i64(this.intervalNs);
    writer.signed(this.deviationPpm);
    writer.safeInteger(this.outliers);
    writer.boolean(this.scored);
  }

  static readState(reader: CanonicalReader): OracleSource {
    const source = new OracleSource(reader.string(), reader.u32(), reader.string());
    source.reputation = reader.u32();
    source.weight = reader.u32();
    source.enabled = reader.u8() === 1;
    source.reliability = reader.u32();
    source.price = reader.u32();
    source.confidencePpm = reader.u32();
    source.publishTime = reader.i64();
    source.updates = reader.safeInteger();
    source.receivedAt = reader.i64();
    source.intervalNs = reader.i64();
    source.deviationPpm = reader.signed();
    source.outliers = reader.safeInteger();
    source.scored = reader.u8() === 1;
    return source;
  }
}
