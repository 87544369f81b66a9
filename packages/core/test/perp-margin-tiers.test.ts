// Proves the leverage tiers: both shipped tables row by row, which tier a boundary notional belongs to,
// that bracketed maintenance margin equals a slice-by-slice bigint reference, is continuous at every
// boundary (one µUSD at most) and monotone, never exceeds initial margin at the tier's leverage, and the
// PRD §8.2 example with the PRD's inconsistency written down.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { AssertionFailed } from "../src/assert.ts";
import {
  assetClassLeverageMax,
  createMarginProfile,
  initialMargin,
  leverageMaxAt,
  maintenanceMargin,
  maintenanceRateAt,
  marginProfilePrd,
  marginProfileSpec,
  tierAt,
  type MarginProfile,
  type MarginTierInput,
} from "../src/perp/margin-tiers.ts";

const dollars = (amount: number): number => amount * 1_000_000;
const profiles: readonly MarginProfile[] = [marginProfilePrd, marginProfileSpec];

// The bracketed sum computed the slow way: every slice charged at its tier's rate, one rounding up.
function referenceMaintenance(notional: number, profile: MarginProfile): bigint {
  let scaled = 0n; // µUSD × ppm
  profile.tiers.forEach((tier, index) => {
    const next = profile.tiers[index + 1];
    const top = next === undefined ? notional : Math.min(notional, next.notionalFloor);
    if (top > tier.notionalFloor) scaled += BigInt(top - tier.notionalFloor) * BigInt(tier.maintenanceRatePpm);
  });
  return (scaled + 999_999n) / 1_000_000n;
}

const anyNotional = fc.oneof(
  fc.integer({ min: 0, max: dollars(100) }),
  fc.integer({ min: 0, max: dollars(50_000_000) }),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
);

describe("tier tables", () => {
  const expected: Record<string, readonly (readonly [number, number, number, number])[]> = {
    // [floor in dollars, leverage, IM ppm, MM ppm]
    prd: [
      [0, 100, 10_000, 6_000],
      [10_000, 50, 20_000, 10_000],
      [50_000, 20, 50_000, 25_000],
      [250_000, 10, 100_000, 50_000],
      [1_000_000, 5, 200_000, 100_000],
    ],
    spec: [
      [0, 125, 8_000, 4_000],
      [50_000, 100, 10_000, 5_000],
      [250_000, 50, 20_000, 10_000],
      [1_000_000, 20, 50_000, 25_000],
      [5_000_000, 10, 100_000, 50_000],
      [20_000_000, 5, 200_000, 100_000],
    ],
  };
  for (const profile of profiles) {
    it(`profile "${profile.name}" holds its seed table`, () => {
      const rows = profile.tiers.map((tier) => [tier.notionalFloor / 1_000_000, tier.leverageMax, tier.initialRatePpm, tier.maintenanceRatePpm]);
      assert.deepEqual(rows, expected[profile.name]);
      // Every shipped tier's IM rate is exactly 1 / leverage, so IM at the tier's leverage = IM rate × notional.
      for (const tier of profile.tiers) assert.equal(tier.initialRatePpm * tier.leverageMax, 1_000_000);
    });
  }

  it("puts a notional exactly on a boundary in the higher tier", () => {
    for (const profile of profiles) {
      profile.tiers.forEach((tier, index) => {
        assert.equal(tierAt(tier.notionalFloor, profile), tier);
        if (index > 0) assert.equal(tierAt(tier.notionalFloor - 1, profile), profile.tiers[index - 1]);
      });
    }
  });

  it("caps leverage by asset class (PRD §8.3; crypto is perpdex's choice: 100x)", () => {
    assert.deepEqual(assetClassLeverageMax, { indexEtf: 100, blueChip: 50, tech: 20, smallCap: 10, crypto: 100 });
    const small = dollars(1_000);
    assert.equal(leverageMaxAt({ notional: small, profile: marginProfilePrd, cap: assetClassLeverageMax.indexEtf }), 100);
    assert.equal(leverageMaxAt({ notional: small, profile: marginProfilePrd, cap: assetClassLeverageMax.blueChip }), 50);
    assert.equal(leverageMaxAt({ notional: small, profile: marginProfilePrd, cap: assetClassLeverageMax.tech }), 20);
    assert.equal(leverageMaxAt({ notional: small, profile: marginProfilePrd, cap: assetClassLeverageMax.smallCap }), 10);
    assert.equal(leverageMaxAt({ notional: small, profile: marginProfileSpec, cap: assetClassLeverageMax.crypto }), 100);
    assert.equal(leverageMaxAt({ notional: small, profile: marginProfileSpec, cap: 125 }), 125);
    // The tier wins when it is tighter than the cap.
    assert.equal(leverageMaxAt({ notional: dollars(2_000_000), profile: marginProfilePrd, cap: 100 }), 5);
    assert.throws(() => leverageMaxAt({ notional: small, profile: marginProfilePrd, cap: 0 }), AssertionFailed);
  });

  it("rejects malformed profiles as bugs", () => {
    const good: MarginTierInput = { notionalFloor: 0, leverageMax: 10, initialRatePpm: 100_000, maintenanceRatePpm: 50_000 };
    const bad: readonly (readonly MarginTierInput[])[] = [
      [],
      [{ ...good, notionalFloor: dollars(1) }],
      [good, { ...good, notionalFloor: 0 }],
      [good, { ...good, notionalFloor: 1_500_000 }], // not whole dollars
      [{ ...good, maintenanceRatePpm: 1_000_000, initialRatePpm: 1_000_000 }],
      [{ ...good, maintenanceRatePpm: 200_000 }],
      [good, { ...good, notionalFloor: dollars(10), maintenanceRatePpm: 40_000 }],
      [good, { ...good, notionalFloor: dollars(10), leverageMax: 20 }],
      [{ ...good, leverageMax: 0 }],
      [good, { ...good, notionalFloor: dollars(2_000_000_000) }],
    ];
    for (const tiers of bad) assert.throws(() => createMarginProfile("bad", tiers), AssertionFailed);
  });
});

describe("maintenanceMargin", () => {
  it("brackets: $100,000 under the PRD table is $10,000 × 0.6 % + $40,000 × 1 % + $50,000 × 2.5 % = $1,710", () => {
    assert.equal(maintenanceMargin(dollars(100_000), marginProfilePrd), dollars(60 + 400 + 1_250));
    assert.equal(maintenanceRateAt(dollars(100_000), marginProfilePrd), 25_000);
    assert.equal(maintenanceMargin(0, marginProfilePrd), 0);
    assert.equal(maintenanceMargin(1, marginProfilePrd), 1); // 0.006 µUSD rounds up
  });

  it("equals the slice-by-slice bigint reference", () => {
    fc.assert(
      fc.property(anyNotional, fc.constantFrom(...profiles), (notional, profile) => {
        assert.equal(BigInt(maintenanceMargin(notional, profile)), referenceMaintenance(notional, profile));
      }),
      { numRuns: 10_000 },
    );
  });

  it("equals ⌈rate × notional⌉ − maintenance amount (the Binance form)", () => {
    fc.assert(
      fc.property(anyNotional, fc.constantFrom(...profiles), (notional, profile) => {
        const tier = tierAt(notional, profile);
        const flat = (BigInt(notional) * BigInt(tier.maintenanceRatePpm) + 999_999n) / 1_000_000n;
        assert.equal(BigInt(maintenanceMargin(notional, profile)), flat - BigInt(tier.maintenanceAmount));
      }),
      { numRuns: 5_000 },
    );
  });

  it("is continuous at every tier boundary: MM(b − 1) ≤ MM(b) ≤ MM(b − 1) + 1 µUSD", () => {
    for (const profile of profiles) {
      for (const tier of profile.tiers.slice(1)) {
        const below = maintenanceMargin(tier.notionalFloor - 1, profile);
        const at = maintenanceMargin(tier.notionalFloor, profile);
        assert.ok(below <= at && at <= below + 1, `${profile.name} at ${tier.notionalFloor}: ${below} → ${at}`);
        assert.equal(at, tier.maintenanceBase);
      }
    }
  });

  it("is monotone and never above initial margin at the tier's own leverage", () => {
    fc.assert(
      fc.property(anyNotional, anyNotional, fc.constantFrom(...profiles), (first, second, profile) => {
        const [low, high] = first <= second ? [first, second] : [second, first];
        assert.ok(maintenanceMargin(low, profile) <= maintenanceMargin(high, profile));
        const leverage = leverageMaxAt({ notional: high, profile, cap: 1_000 });
        assert.ok(maintenanceMargin(high, profile) <= initialMargin({ notional: high, leverage }));
      }),
      { numRuns: 5_000 },
    );
  });

  it("asserts a non-negative safe-integer notional", () => {
    assert.throws(() => maintenanceMargin(-1, marginProfilePrd), AssertionFailed);
    assert.throws(() => maintenanceMargin(2 ** 53, marginProfilePrd), AssertionFailed);
    assert.ok(Number.isSafeInteger(maintenanceMargin(Number.MAX_SAFE_INTEGER, marginProfileSpec)));
  });
});

describe("initialMargin", () => {
  it("rounds notional / leverage up", () => {
    assert.equal(initialMargin({ notional: 101, leverage: 100 }), 2);
    assert.equal(initialMargin({ notional: 100, leverage: 100 }), 1);
    assert.equal(initialMargin({ notional: 0, leverage: 5 }), 0);
    assert.throws(() => initialMargin({ notional: 100, leverage: 0 }), AssertionFailed);
  });
});

describe("PRD §8.2: 2 BTC long at $50,000, 50x", () => {
  const positionNotional = dollars(100_000); // 2 × $50,000

  it("computes the PRD's own numbers where they follow from its formulas", () => {
    // IM = notional / leverage = $2,000, as the PRD says.
    assert.equal(initialMargin({ notional: positionNotional, leverage: 50 }), dollars(2_000));
    // MM at the PRD §2.3.1 flat 0.6 % = $600, as the PRD says (a one-tier profile reproduces it).
    const flat = createMarginProfile("flat-0.6%", [{ notionalFloor: 0, leverageMax: 100, initialRatePpm: 10_000, maintenanceRatePpm: 6_000 }]);
    assert.equal(maintenanceMargin(positionNotional, flat), dollars(600));
  });

  it("documents the inconsistency: the PRD's own tier table does not allow 50x on $100,000", () => {
    // $100,000 falls in the $50,000–$250,000 tier: 20x at most, so perpdex rejects 50x for it.
    assert.equal(leverageMaxAt({ notional: positionNotional, profile: marginProfilePrd, cap: assetClassLeverageMax.crypto }), 20);
    // What perpdex requires instead: IM at 20x = $5,000; MM bracketed = $60 + $400 + $1,250 = $1,710
    // (a flat 2.5 % tier rate would be $2,500, and would jump by $1,000 between $49,999 and $50,000).
    assert.equal(initialMargin({ notional: positionNotional, leverage: 20 }), dollars(5_000));
    assert.equal(maintenanceMargin(positionNotional, marginProfilePrd), dollars(1_710));
    // Under the SPEC profile the same position may use 100x and needs $500 maintenance (0.4 %, 0.5 %).
    assert.equal(leverageMaxAt({ notional: positionNotional, profile: marginProfileSpec, cap: 125 }), 100);
    assert.equal(maintenanceMargin(positionNotional, marginProfileSpec), dollars(200 + 250));
  });
});
