import { assert } from "../assert.ts";
import type { CanonicalReader } from "../canonical-reader.ts";
import type { CanonicalWriter } from "../canonical-writer.ts";
import { ppmOne } from "../units.ts";
import { multiplyDivideValues, quoteUnitsPerDollar, type QuoteUnits } from "./fixed-point.ts";

// Maker/taker fees with SPEC 07 volume tiers, and the split of what the exchange keeps (PRD: 40 % of
// trading fees to the insurance fund).
//
// Fees round in the exchange's favour: a charge rounds up, a rebate rounds down in magnitude. Both are
// ⌈notional × rate / 10^6⌉ toward +∞, so a taker fee and a maker rebate on the same fill never sum to
// less than the exact net, and a schedule whose lowest taker rate covers its largest rebate
// (checked by createFeeSchedule) never pays out more than it takes on any fill.

/**
 * A maker and a taker rate in ppm (100 = 0.01 %). A negative maker rate is a rebate.
 *
 * @example
 * ```ts
 * const vip: FeeRates = { makerPpm: -100, takerPpm: 400 };
 * ```
 */
export interface FeeRates {
  readonly makerPpm: number;
  readonly takerPpm: number;
}

/**
 * One volume tier: the rates that apply from `volumeFloor` (µUSD of rolling 30-day volume) upward.
 *
 * @example
 * ```ts
 * const tier: FeeTier = { volumeFloor: 0, makerPpm: 200, takerPpm: 1_000 };
 * ```
 */
export interface FeeTier extends FeeRates {
  readonly volumeFloor: QuoteUnits;
}

/**
 * A validated list of volume tiers, lowest first.
 *
 * @example
 * ```ts
 * const schedule: FeeSchedule = feeScheduleSpec;
 * ```
 */
export interface FeeSchedule {
  readonly tiers: readonly FeeTier[];
}

/**
 * The most tiers a fee schedule may have (bounds the tier walk).
 *
 * @example
 * ```ts
 * feeScheduleSpec.tiers.length <= feeTiersMax; // => true
 * ```
 */
export const feeTiersMax = 16;

/**
 * The largest fee or rebate rate a schedule or override may set: 10 % (100_000 ppm). Far above any
 * real fee; it exists so that a mistyped rate is caught as a bug rather than charged.
 *
 * @example
 * ```ts
 * feeRatePpmMax; // => 100_000
 * ```
 */
export const feeRatePpmMax = 100_000;

/**
 * Checks fee rates: whole ppm, |rate| ≤ feeRatePpmMax, a non-negative taker rate, and a maker rebate
 * no larger than the taker fee (so a self-contained fill never costs the exchange money).
 *
 * @example
 * ```ts
 * assertFeeRates({ makerPpm: -200, takerPpm: 200 }); // passes
 * ```
 */
export function assertFeeRates(rates: FeeRates): void {
  const { makerPpm, takerPpm } = rates;
  assert(Number.isSafeInteger(makerPpm) && Math.abs(makerPpm) <= feeRatePpmMax, "maker rate out of range");
  assert(Number.isSafeInteger(takerPpm) && takerPpm >= 0 && takerPpm <= feeRatePpmMax, "taker rate out of range");
  assert(takerPpm + makerPpm >= 0, "a maker rebate may not exceed the taker fee");
}

/**
 * Validates a schedule: 1 to `feeTiersMax` tiers, the first from volume 0, floors strictly increasing,
 * each tier's rates valid, and the lowest taker rate ≥ the largest rebate, so that the net fee of any fill
 * is ≥ 0 whatever the tiers of its two sides.
 *
 * @example
 * ```ts
 * const flat = createFeeSchedule([{ volumeFloor: 0, makerPpm: 0, takerPpm: 500 }]);
 * tierFor(1_000_000, flat).takerPpm; // => 500
 * ```
 */
export function createFeeSchedule(tiers: readonly FeeTier[]): FeeSchedule {
  assert(tiers.length >= 1 && tiers.length <= feeTiersMax, `a fee schedule has 1 to ${feeTiersMax} tiers`);
  let takerLowest = feeRatePpmMax;
  let makerLowest = feeRatePpmMax;
  for (let index = 0; index < tiers.length; index += 1) {
    const tier = tiers[index];
    assert(tier !== undefined);
    assertFeeRates(tier);
    assert(Number.isSafeInteger(tier.volumeFloor) && tier.volumeFloor >= 0, "fee tier floor");
    const previous = tiers[index - 1];
    if (previous === undefined) assert(tier.volumeFloor === 0, "the first fee tier starts at volume 0");
    else assert(tier.volumeFloor > previous.volumeFloor, "fee tier floors must increase");
    takerLowest = Math.min(takerLowest, tier.takerPpm);
    makerLowest = Math.min(makerLowest, tier.makerPpm);
  }
  assert(takerLowest + makerLowest >= 0, "the largest rebate must not exceed the lowest taker fee");
  return { tiers: tiers.map((tier) => ({ ...tier })) };
}

const dollars = (amount: number): QuoteUnits => amount * quoteUnitsPerDollar;

/**
 * SPEC 07's volume tiers on rolling 30-day volume: $0–100,000 → maker 0.02 %, taker 0.10 %;
 * $100,000–1,000,000 → 0.01 %, 0.08 %; $1,000,000–10,000,000 → 0 %, 0.06 %; $10,000,000–100,000,000 →
 * −0.01 %, 0.04 %; ≥ $100,000,000 → −0.02 %, 0.02 %. A volume exactly on a floor gets the higher tier.
 *
 * @example
 * ```ts
 * tierFor(100_000_000_000, feeScheduleSpec); // => { volumeFloor: 100_000_000_000, makerPpm: 100, takerPpm: 800 }
 * ```
 */
export const feeScheduleSpec: FeeSchedule = createFeeSchedule([
  { volumeFloor: 0, makerPpm: 200, takerPpm: 1_000 },
  { volumeFloor: dollars(100_000), makerPpm: 100, takerPpm: 800 },
  { volumeFloor: dollars(1_000_000), makerPpm: 0, takerPpm: 600 },
  { volumeFloor: dollars(10_000_000), makerPpm: -100, takerPpm: 400 },
  { volumeFloor: dollars(100_000_000), makerPpm: -200, takerPpm: 200 },
]);

/**
 * The tier of a rolling 30-day volume (µUSD): the last tier whose floor is ≤ volume.
 *
 * @example
 * ```ts
 * tierFor(99_999_999_999).takerPpm; // => 1_000 (one µUSD short of $100,000)
 * ```
 */
export function tierFor(volume: QuoteUnits, schedule: FeeSchedule = feeScheduleSpec): FeeTier {
  assert(Number.isSafeInteger(volume) && volume >= 0, "tierFor volume must be a non-negative safe integer");
  const tiers = schedule.tiers;
  let found = tiers[0];
  assert(found !== undefined);
  for (let index = 1; index < tiers.length; index += 1) {
    const tier = tiers[index];
    assert(tier !== undefined);
    if (tier.volumeFloor > volume) break;
    found = tier;
  }
  return found;
}

/**
 * Whether a per-account override is safe next to every other account: its maker rate is not below the
 * schedule's lowest maker rate (no bigger rebate than the top tier) and its taker rate not below the
 * schedule's lowest taker rate. Checking an override on its own (taker ≥ its own rebate) is not enough:
 * fills pair one account's maker rate with another's taker rate, and a −0.05 % override maker against a
 * 0.02 % top-tier taker would make the exchange pay 0.03 % of the fill. Within these bounds every pair of
 * rates — tiers and fitting overrides alike — nets ≥ 0, because createFeeSchedule checked that the lowest
 * taker rate covers the lowest maker rate. Admin commands should reject an override that does not fit.
 *
 * @example
 * ```ts
 * overrideFitsSchedule({ makerPpm: -200, takerPpm: 200 }, feeScheduleSpec); // => true
 * overrideFitsSchedule({ makerPpm: -500, takerPpm: 600 }, feeScheduleSpec); // => false
 * ```
 */
export function overrideFitsSchedule(override: FeeRates, schedule: FeeSchedule): boolean {
  const { makerPpm, takerPpm } = override;
  if (!Number.isSafeInteger(makerPpm) || !Number.isSafeInteger(takerPpm)) return false;
  if (Math.abs(makerPpm) > feeRatePpmMax || takerPpm > feeRatePpmMax) return false;
  let makerLowest = feeRatePpmMax;
  let takerLowest = feeRatePpmMax;
  for (const tier of schedule.tiers) {
    makerLowest = Math.min(makerLowest, tier.makerPpm);
    takerLowest = Math.min(takerLowest, tier.takerPpm);
  }
  return makerPpm >= makerLowest && takerPpm >= takerLowest;
}

/**
 * Parameters of `feeRatesFor`: the account's rolling 30-day volume, its per-account override (a
 * negotiated rate for a market maker, or null), and the schedule.
 *
 * @example
 * ```ts
 * const parameters: FeeRatesForParameters = { volume: 0, override: null, schedule: feeScheduleSpec };
 * ```
 */
export interface FeeRatesForParameters {
  readonly volume: QuoteUnits;
  readonly override: FeeRates | null;
  readonly schedule: FeeSchedule;
}

/**
 * The rates an account pays: its override when it has one (checked like a tier), else its volume tier.
 *
 * @example
 * ```ts
 * feeRatesFor({ volume: 0, override: { makerPpm: -50, takerPpm: 300 }, schedule: feeScheduleSpec }).makerPpm; // => -50
 * ```
 */
export function feeRatesFor(parameters: FeeRatesForParameters): FeeRates {
  const { volume, override, schedule } = parameters;
  if (override !== null) {
    assertFeeRates(override);
    return override;
  }
  const tier = tierFor(volume, schedule);
  return { makerPpm: tier.makerPpm, takerPpm: tier.takerPpm };
}

/**
 * Parameters of `feeFor`: the fill's notional (µUSD, ≥ 0) and the rate that applies to this side.
 *
 * @example
 * ```ts
 * const parameters: FeeForParameters = { notional: 1_000_000, ratePpm: 1_000 };
 * ```
 */
export interface FeeForParameters {
  readonly notional: QuoteUnits;
  readonly ratePpm: number;
}

/**
 * The fee of one side of a fill in µUSD: positive is a charge, negative a rebate. A charge rounds up
 * (never undercharge); a rebate rounds down in magnitude (|rebate| = ⌊notional × |rate| / 10^6⌋).
 *
 * @example
 * ```ts
 * feeFor({ notional: 1_234_567, ratePpm: 1_000 }); // => 1_235 (0.1 % of $1.234567 rounds up)
 * feeFor({ notional: 1_234_567, ratePpm: -100 }); // => -123 (the rebate rounds down in magnitude)
 * ```
 */
export function feeFor(parameters: FeeForParameters): QuoteUnits {
  // One call: inlined anywhere, the parameters object disappears (see multiplyDivide).
  return feeForValues(parameters.notional, parameters.ratePpm);
}

/**
 * `feeFor` with positional arguments.
 *
 * @example
 * ```ts
 * feeForValues(1_000_000_000, 1_000); // => 1_000_000 (0.1 % of $1,000)
 * ```
 */
export function feeForValues(notional: QuoteUnits, ratePpm: number): QuoteUnits {
  assert(Number.isSafeInteger(notional) && notional >= 0, "feeFor notional must be a non-negative safe integer");
  assert(Number.isSafeInteger(ratePpm) && Math.abs(ratePpm) <= feeRatePpmMax, "feeFor rate out of range");
  if (ratePpm >= 0) return multiplyDivideValues(notional, ratePpm, ppmOne, "ceil");
  const rebate = multiplyDivideValues(notional, -ratePpm, ppmOne, "floor");
  return rebate === 0 ? 0 : -rebate;
}

/**
 * The insurance fund's share of net trading fees (PRD): 40 %.
 *
 * @example
 * ```ts
 * splitFee({ netFee: 100, insuranceSharePpm: feeInsuranceSharePpm }).insurance; // => 40
 * ```
 */
export const feeInsuranceSharePpm = 400_000;

/**
 * Parameters of `splitFee`: the net fee the exchange kept on a fill (taker fee + maker fee, ≥ 0) and
 * the insurance fund's share (ppm), `feeInsuranceSharePpm` unless governance changed it.
 *
 * @example
 * ```ts
 * const parameters: SplitFeeParameters = { netFee: 1_000, insuranceSharePpm: feeInsuranceSharePpm };
 * ```
 */
export interface SplitFeeParameters {
  readonly netFee: QuoteUnits;
  readonly insuranceSharePpm: number;
}

/**
 * Where a net fee goes: insurance = share × netFee rounded half up, treasury = the rest, so
 * insurance + treasury = netFee exactly.
 *
 * @example
 * ```ts
 * splitFee({ netFee: 5, insuranceSharePpm: feeInsuranceSharePpm }); // => { insurance: 2, treasury: 3 }
 * ```
 */
export function splitFee(parameters: SplitFeeParameters): { insurance: QuoteUnits; treasury: QuoteUnits } {
  const insurance = insuranceShareOf(parameters.netFee, parameters.insuranceSharePpm);
  return { insurance, treasury: parameters.netFee - insurance };
}

/**
 * The insurance fund's part of `splitFee` (the treasury takes the rest): no object, for settlement.
 *
 * @example
 * ```ts
 * insuranceShareOf(5, feeInsuranceSharePpm); // => 2
 * ```
 */
export function insuranceShareOf(netFee: QuoteUnits, insuranceSharePpm: number): QuoteUnits {
  assert(Number.isSafeInteger(netFee) && netFee >= 0, "splitFee net fee must be a non-negative safe integer");
  assert(Number.isSafeInteger(insuranceSharePpm) && insuranceSharePpm >= 0 && insuranceSharePpm <= ppmOne);
  const insurance = multiplyDivideValues(netFee, insuranceSharePpm, ppmOne, "halfUp");
  assert(insurance >= 0 && netFee - insurance >= 0);
  return insurance;
}

/**
 * Days in the rolling volume window (SPEC 07: 30-day volume).
 *
 * @example
 * ```ts
 * rollingVolumeDays; // => 30
 * ```
 */
export const rollingVolumeDays = 30;

/**
 * The most volume one day's bucket counts: $300 million. Beyond it a bucket saturates, which keeps the
 * 30-day total below 2^53 µUSD ($9 billion) as a plain number; any volume that large is long past the
 * top tier ($100 million), so saturation never changes a fee.
 *
 * @example
 * ```ts
 * rollingVolumeDays * volumePerDayMax <= Number.MAX_SAFE_INTEGER; // => true
 * ```
 */
export const volumePerDayMax = 300_000_000 * quoteUnitsPerDollar;

export const nanosecondsPerDay = 86_400_000_000_000n;

/**
 * The UTC day number of an exchange time: ⌊timeNs / 86,400 s⌋ (day 0 is 1970-01-01).
 *
 * @example
 * ```ts
 * dayOf(86_400_000_000_000n); // => 1
 * ```
 */
export function dayOf(timeNs: bigint): number {
  assert(timeNs >= 0n, "exchange time is never negative");
  return Number(timeNs / nanosecondsPerDay);
}

/**
 * An account's traded notional over the last 30 UTC days: a fixed ring of 30 daily buckets indexed by
 * day mod 30, plus the day of the newest bucket. Bounded memory (30 numbers), no allocation after
 * construction, and the window is a pure function of the adds and the query time.
 *
 * @example
 * ```ts
 * const volume = new RollingVolume();
 * volume.add(0n, 5_000_000);
 * volume.total(29n * 86_400_000_000_000n); // => 5_000_000 (day 0 is the oldest of days 0…29)
 * volume.total(30n * 86_400_000_000_000n); // => 0
 * ```
 */
export class RollingVolume {
  // buckets[day % 30] holds the volume of `day` for newestDay − 29 ≤ day < newestDay; others are stale.
  // The newest day's volume is `newestVolume`, a field beside newestDay: every fill adds to it (two
  // volumes move per fill) without reaching the array, a second cache line, which it joins only when the
  // day turns. A plain array of doubles lives inside the heap next to its header; a Float64Array's bytes
  // are a separate allocation, one more cache miss whenever it is read.
  private readonly buckets: number[] = new Array<number>(rollingVolumeDays).fill(0);
  private newestDay = 0;
  private newestVolume = 0;

  /** The volume of `day`, for newestDay − 29 ≤ day ≤ newestDay. */
  private volumeOn(day: number): QuoteUnits {
    return day === this.newestDay ? this.newestVolume : (this.buckets[day % rollingVolumeDays] ?? 0);
  }

  /**
   * Adds a fill's notional (µUSD) on the day of `timeNs`. Exchange time only moves forward, so the day
   * is never before the newest bucket's (asserted).
   *
   * @example
   * ```ts
   * new RollingVolume().add(1_700_000_000_000_000_000n, 250_000_000);
   * ```
   */
  add(timeNs: bigint, notional: QuoteUnits): void {
    this.addOnDay(dayOf(timeNs), notional);
  }

  /** `add` for a caller that already knows the UTC day number of the exchange time (one bigint division). */
  addOnDay(day: number, notional: QuoteUnits): void {
    assert(Number.isSafeInteger(notional) && notional >= 0, "volume notional must be a non-negative safe integer");
    assert(day >= this.newestDay, "volume added for a day before the newest bucket");
    if (day !== this.newestDay) {
      // The newest day joins the ring, then the buckets of the days between it and today are cleared
      // (at most the whole ring, the newest day's too when it fell out of the window).
      const buckets = this.buckets;
      buckets[this.newestDay % rollingVolumeDays] = this.newestVolume;
      const daysToClear = Math.min(day - this.newestDay, rollingVolumeDays);
      for (let step = 1; step <= daysToClear; step += 1) buckets[(this.newestDay + step) % rollingVolumeDays] = 0;
      this.newestDay = day;
      this.newestVolume = 0;
    }
    this.newestVolume = Math.min(volumePerDayMax, this.newestVolume + notional);
  }

  /**
   * Volume over the 30 days ending with the day of `timeNs` (that day and the 29 before it). Does not
   * change the state, so a view may ask at any time.
   *
   * @example
   * ```ts
   * new RollingVolume().total(0n); // => 0
   * ```
   */
  total(timeNs: bigint): QuoteUnits {
    const day = dayOf(timeNs);
    // The asked window [day − 29, day] meets the held one [newestDay − 29, newestDay].
    const first = Math.max(0, Math.max(day, this.newestDay) - (rollingVolumeDays - 1));
    const last = Math.min(day, this.newestDay);
    let sum = 0;
    for (let each = first; each <= last; each += 1) sum += this.volumeOn(each);
    return sum;
  }

  /**
   * Asserts every bucket is a whole number of µUSD between 0 and volumePerDayMax.
   *
   * @example
   * ```ts
   * new RollingVolume().checkInvariants();
   * ```
   */
  checkInvariants(): void {
    assert(Number.isSafeInteger(this.newestDay) && this.newestDay >= 0);
    for (const bucket of [...this.buckets, this.newestVolume]) {
      assert(Number.isSafeInteger(bucket) && bucket >= 0 && bucket <= volumePerDayMax, "volume bucket out of range");
    }
  }

  /**
   * Writes the canonical state: the newest day, then the 30 buckets oldest day first (stale days as 0),
   * so two rings with the same window write the same bytes.
   *
   * @example
   * ```ts
   * volume.writeState(writer);
   * ```
   */
  writeState(writer: CanonicalWriter): void {
    writer.safeInteger(this.newestDay);
    for (let offset = rollingVolumeDays - 1; offset >= 0; offset -= 1) {
      const day = this.newestDay - offset;
      writer.safeInteger(day < 0 ? 0 : this.volumeOn(day));
    }
  }

  /**
   * Reads what writeState wrote.
   *
   * @example
   * ```ts
   * const restored = RollingVolume.readState(reader);
   * ```
   */
  static readState(reader: CanonicalReader): RollingVolume {
    const volume = new RollingVolume();
    volume.newestDay = reader.safeInteger();
    for (let offset = rollingVolumeDays - 1; offset >= 0; offset -= 1) {
      const day = volume.newestDay - offset;
      const bucket = reader.safeInteger();
      if (day >= 0) volume.buckets[day % rollingVolumeDays] = bucket;
    }
    volume.newestVolume = volume.buckets[volume.newestDay % rollingVolumeDays]!;
    volume.checkInvariants();
    return volume;
  }
}
