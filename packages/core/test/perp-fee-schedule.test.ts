// Proves the fee schedule: SPEC 07's tiers at and around every boundary, fee rounding in the exchange's
// favour (charges up, rebates down in magnitude) against bigint references, that any maker/taker pair of
// tiers leaves a non-negative net fee, that the insurance/treasury split sums exactly, and that the
// rolling 30-day volume matches a naive day-map model through random adds, gaps and queries, survives a
// snapshot round trip, and stays bounded.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { AssertionFailed } from "../src/assert.ts";
import { CanonicalReader } from "../src/canonical-reader.ts";
import { CanonicalWriter } from "../src/canonical-writer.ts";
import {
  RollingVolume,
  createFeeSchedule,
  dayOf,
  feeFor,
  feeInsuranceSharePpm,
  feeRatesFor,
  feeScheduleSpec,
  overrideFitsSchedule,
  rollingVolumeDays,
  splitFee,
  tierFor,
  volumePerDayMax,
} from "../src/perp/fee-schedule.ts";

const dollars = (amount: number): number => amount * 1_000_000;
const nanosecondsPerDay = 86_400_000_000_000n;
const dayStart = (day: number): bigint => BigInt(day) * nanosecondsPerDay;

describe("SPEC 07 tiers", () => {
  const rows: readonly [number, number, number][] = [
    // [floor in dollars, maker ppm, taker ppm]
    [0, 200, 1_000],
    [100_000, 100, 800],
    [1_000_000, 0, 600],
    [10_000_000, -100, 400],
    [100_000_000, -200, 200],
  ];

  it("holds the SPEC table", () => {
    assert.deepEqual(
      feeScheduleSpec.tiers.map((tier) => [tier.volumeFloor / 1_000_000, tier.makerPpm, tier.takerPpm]),
      rows,
    );
  });

  for (const [floor, makerPpm, takerPpm] of rows) {
    it(`$${floor} of volume is maker ${makerPpm} ppm, taker ${takerPpm} ppm; one µUSD less is the tier below`, () => {
      assert.deepEqual(tierFor(dollars(floor)), { volumeFloor: dollars(floor), makerPpm, takerPpm });
      if (floor > 0) assert.notEqual(tierFor(dollars(floor) - 1).volumeFloor, dollars(floor));
    });
  }

  it("uses an account's override instead of its volume tier", () => {
    const override = { makerPpm: -50, takerPpm: 300 };
    assert.deepEqual(feeRatesFor({ volume: dollars(1), override, schedule: feeScheduleSpec }), override);
    assert.deepEqual(feeRatesFor({ volume: dollars(1), override: null, schedule: feeScheduleSpec }), { makerPpm: 200, takerPpm: 1_000 });
    assert.throws(() => feeRatesFor({ volume: 0, override: { makerPpm: -500, takerPpm: 300 }, schedule: feeScheduleSpec }), AssertionFailed);
  });

  it("accepts only overrides that keep every maker/taker pair's net fee ≥ 0", () => {
    const cases: readonly [number, number, boolean][] = [
      [-200, 200, true], // the top tier itself
      [0, 1_000, true],
      [-201, 1_000, false], // a bigger rebate than the top tier: against a 200 ppm taker the exchange pays
      [-500, 600, false], // fine on its own (600 ≥ 500), not against another account
      [0, 199, false], // a lower taker fee than the top tier: against a −200 maker the exchange pays
      [0.5, 200, false],
      [0, 100_001, false],
    ];
    for (const [makerPpm, takerPpm, fits] of cases) {
      assert.equal(overrideFitsSchedule({ makerPpm, takerPpm }, feeScheduleSpec), fits, `${makerPpm} / ${takerPpm}`);
    }
    fc.assert(
      fc.property(
        fc.integer({ min: -1_000, max: 2_000 }),
        fc.integer({ min: -1_000, max: 2_000 }),
        fc.constantFrom(...feeScheduleSpec.tiers),
        fc.integer({ min: 0, max: 2 ** 50 }),
        (makerPpm, takerPpm, other, notional) => {
          if (!overrideFitsSchedule({ makerPpm, takerPpm }, feeScheduleSpec)) return;
          assert.ok(feeFor({ notional, ratePpm: makerPpm }) + feeFor({ notional, ratePpm: other.takerPpm }) >= 0);
          assert.ok(feeFor({ notional, ratePpm: other.makerPpm }) + feeFor({ notional, ratePpm: takerPpm }) >= 0);
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it("rejects schedules that could pay out more than they take", () => {
    assert.throws(() => createFeeSchedule([{ volumeFloor: 0, makerPpm: -300, takerPpm: 200 }]), AssertionFailed);
    // Each tier alone is fine, but the top tier's −300 rebate against the bottom tier's 250 taker fee is not.
    assert.throws(
      () => createFeeSchedule([
        { volumeFloor: 0, makerPpm: 0, takerPpm: 250 },
        { volumeFloor: 10, makerPpm: -300, takerPpm: 300 },
      ]),
      AssertionFailed,
    );
    assert.throws(() => createFeeSchedule([{ volumeFloor: 5, makerPpm: 0, takerPpm: 1 }]), AssertionFailed);
    assert.throws(() => createFeeSchedule([]), AssertionFailed);
  });
});

describe("feeFor", () => {
  const cases: readonly [number, number, number][] = [
    // [notional µUSD, rate ppm, fee µUSD]
    [1_234_567, 1_000, 1_235], // 1_234.567 rounds up
    [1_234_567, -100, -123], // a 123.4567 rebate rounds down in magnitude
    [1_000_000, 1_000, 1_000],
    [1, 1, 1], // a millionth of a µUSD is still charged one µUSD
    [1, -1, 0], // ... but earns no rebate
    [0, 1_000, 0],
    [dollars(100_000), 600, dollars(60)],
  ];
  for (const [notional, ratePpm, fee] of cases) {
    it(`${notional} µUSD at ${ratePpm} ppm → ${fee}`, () => {
      const result = feeFor({ notional, ratePpm });
      assert.equal(result, fee);
      assert.ok(!Object.is(result, -0));
    });
  }

  it("charges ⌈n × r⌉ and rebates ⌊n × |r|⌋ (bigint reference)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: -100_000, max: 100_000 }),
        (notional, ratePpm) => {
          const product = BigInt(notional) * BigInt(Math.abs(ratePpm));
          const expected = ratePpm >= 0 ? (product + 999_999n) / 1_000_000n : -(product / 1_000_000n);
          assert.equal(BigInt(feeFor({ notional, ratePpm })), expected);
        },
      ),
      { numRuns: 10_000 },
    );
  });

  it("leaves a non-negative net fee for any maker tier against any taker tier", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 50 }),
        fc.constantFrom(...feeScheduleSpec.tiers),
        fc.constantFrom(...feeScheduleSpec.tiers),
        (notional, makerTier, takerTier) => {
          const net = feeFor({ notional, ratePpm: takerTier.takerPpm }) + feeFor({ notional, ratePpm: makerTier.makerPpm });
          assert.ok(net >= 0);
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it("asserts its inputs", () => {
    assert.throws(() => feeFor({ notional: -1, ratePpm: 1 }), AssertionFailed);
    assert.throws(() => feeFor({ notional: 1, ratePpm: 100_001 }), AssertionFailed);
    assert.throws(() => feeFor({ notional: 1, ratePpm: 0.5 }), AssertionFailed);
  });
});

describe("splitFee", () => {
  const cases: readonly [number, number, number][] = [
    // [net, insurance, treasury]: insurance = 40 % rounded half up
    [0, 0, 0],
    [1, 0, 1], // 0.4
    [2, 1, 1], // 0.8
    [3, 1, 2], // 1.2
    [4, 2, 2], // 1.6
    [5, 2, 3], // 2.0
    [1_000_000, 400_000, 600_000],
  ];
  for (const [netFee, insurance, treasury] of cases) {
    it(`${netFee} → insurance ${insurance}, treasury ${treasury}`, () => {
      assert.deepEqual(splitFee({ netFee, insuranceSharePpm: feeInsuranceSharePpm }), { insurance, treasury });
    });
  }

  it("sums exactly and rounds the insurance share half up, for any share", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 0, max: 1_000_000 }), (netFee, share) => {
        const { insurance, treasury } = splitFee({ netFee, insuranceSharePpm: share });
        assert.equal(insurance + treasury, netFee);
        assert.equal(BigInt(insurance), (BigInt(netFee) * BigInt(share) * 2n + 1_000_000n) / 2_000_000n);
      }),
      { numRuns: 5_000 },
    );
  });

  it("asserts a non-negative net fee", () => {
    assert.throws(() => splitFee({ netFee: -1, insuranceSharePpm: feeInsuranceSharePpm }), AssertionFailed);
  });
});

// The naive model: a map from day to volume, saturated per day like the ring.
class ReferenceVolume {
  private readonly days = new Map<number, number>();

  add(day: number, notional: number): void {
    this.days.set(day, Math.min(volumePerDayMax, (this.days.get(day) ?? 0) + notional));
  }

  total(day: number): number {
    return this.sum(day - (rollingVolumeDays - 1), day);
  }

  sum(first: number, last: number): number {
    let sum = 0;
    for (const [each, volume] of this.days) if (each >= first && each <= last) sum += volume;
    return sum;
  }
}

describe("RollingVolume", () => {
  it("counts the 30 days ending today and forgets the 31st", () => {
    const volume = new RollingVolume();
    volume.add(dayStart(100) + 5n, dollars(1_000));
    volume.add(dayStart(100) + nanosecondsPerDay - 1n, dollars(500)); // the last nanosecond of day 100
    volume.add(dayStart(110), dollars(20));
    assert.equal(volume.total(dayStart(100)), dollars(1_500));
    assert.equal(volume.total(dayStart(129) + nanosecondsPerDay - 1n), dollars(1_520));
    assert.equal(volume.total(dayStart(130)), dollars(20));
    assert.equal(volume.total(dayStart(139)), dollars(20));
    assert.equal(volume.total(dayStart(140)), 0);
    // A view asking about an earlier day sees only what it can still know: days 81…105 held by the ring.
    assert.equal(volume.total(dayStart(105)), dollars(1_500));
    assert.equal(volume.total(dayStart(99)), 0);
    volume.checkInvariants();
  });

  it("clears the whole ring after a long gap", () => {
    const volume = new RollingVolume();
    for (let day = 0; day < 30; day += 1) volume.add(dayStart(day), dollars(1));
    assert.equal(volume.total(dayStart(29)), dollars(30));
    volume.add(dayStart(1_000), dollars(7));
    assert.equal(volume.total(dayStart(1_000)), dollars(7));
    volume.checkInvariants();
  });

  it("saturates a day at volumePerDayMax and keeps the total a safe integer", () => {
    const volume = new RollingVolume();
    for (let day = 0; day < 40; day += 1) {
      volume.add(dayStart(day), volumePerDayMax);
      volume.add(dayStart(day), volumePerDayMax);
    }
    assert.equal(volume.total(dayStart(39)), rollingVolumeDays * volumePerDayMax);
    assert.ok(Number.isSafeInteger(volume.total(dayStart(39))));
    volume.checkInvariants();
  });

  it("asserts that time does not go back a day", () => {
    const volume = new RollingVolume();
    volume.add(dayStart(10), 1);
    volume.add(dayStart(10), 1);
    assert.throws(() => volume.add(dayStart(9), 1), AssertionFailed);
    assert.throws(() => volume.add(dayStart(11), -1), AssertionFailed);
    assert.throws(() => dayOf(-1n), AssertionFailed);
  });

  it("matches the day-map model through random adds, gaps and queries, and round-trips its state", () => {
    const step = fc.record({
      days: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 40 })),
      nanoseconds: fc.bigInt({ min: 0n, max: nanosecondsPerDay - 1n }),
      notional: fc.oneof(fc.integer({ min: 0, max: dollars(1_000) }), fc.integer({ min: 0, max: volumePerDayMax })),
      lookBack: fc.integer({ min: 0, max: 35 }),
    });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20_000 }), fc.array(step, { maxLength: 80 }), (startDay, steps) => {
        const volume = new RollingVolume();
        const reference = new ReferenceVolume();
        let day = startDay;
        for (const { days, nanoseconds, notional, lookBack } of steps) {
          day += days;
          volume.add(dayStart(day) + nanoseconds, notional);
          reference.add(day, notional);
          volume.checkInvariants();
          assert.equal(volume.total(dayStart(day)), reference.total(day));
          assert.equal(volume.total(dayStart(day + lookBack)), reference.total(day + lookBack));
          // Looking back is a view's question; it sees the part of that window the ring still holds.
          const past = Math.max(0, day - lookBack);
          const held = Math.max(past, day) - (rollingVolumeDays - 1);
          assert.equal(volume.total(dayStart(past)), reference.sum(held, past));
        }
        const restored = roundTrip(volume);
        for (let offset = 0; offset <= 31; offset += 1) {
          assert.equal(restored.total(dayStart(day + offset)), volume.total(dayStart(day + offset)));
        }
        assert.deepEqual(bytesOf(restored), bytesOf(volume));
      }),
      { numRuns: 300 },
    );
  });
});

function bytesOf(volume: RollingVolume): Uint8Array {
  const chunks: Uint8Array[] = [];
  const writer = new CanonicalWriter((chunk) => chunks.push(chunk.slice()));
  volume.writeState(writer);
  writer.flush();
  return Uint8Array.from(chunks.flatMap((chunk) => [...chunk]));
}

function roundTrip(volume: RollingVolume): RollingVolume {
  const reader = new CanonicalReader(bytesOf(volume));
  const restored = RollingVolume.readState(reader);
  assert.ok(reader.done);
  return restored;
}
