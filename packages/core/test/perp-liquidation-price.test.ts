// Proves the liquidation price is the exact boundary tick of the trigger equity < MM: at the returned
// price the position is liquidatable and one tick toward safety it is not, for longs and shorts, isolated
// and cross (collateral, other maintenance margin), under both tier profiles, and equal to a brute-force
// binary search over ticks. Also works the PRD §8.2 example through, showing why its $49,650 is not what
// the exact definition gives.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { AssertionFailed } from "../src/assert.ts";
import {
  isLiquidatableAt,
  isolatedLiquidationPrice,
  liquidationPrice,
  type LiquidationPriceParameters,
} from "../src/perp/liquidation-price.ts";
import { createMarginProfile, initialMargin, marginProfilePrd, marginProfileSpec, type MarginProfile } from "../src/perp/margin-tiers.ts";

const dollars = (amount: number): number => amount * 1_000_000;
const int32Max = 2_147_483_647;
const flatPrd = createMarginProfile("flat-0.6%", [{ notionalFloor: 0, leverageMax: 100, initialRatePpm: 10_000, maintenanceRatePpm: 6_000 }]);

// The highest tick at which a check stays inside safe integers.
function tickCeiling(parameters: LiquidationPriceParameters): number {
  const perTick = Math.abs(parameters.sizeLots) * parameters.quotePerTickLot;
  const room = Number.MAX_SAFE_INTEGER - Math.abs(parameters.collateral) - (parameters.otherMaintenanceMargin ?? 0);
  return Math.min(int32Max, Math.floor(room / perTick / 2));
}

// Brute force: binary search for the boundary of the liquidatable ticks in [1, ceiling], which is a
// prefix (long) or a suffix (short) because equity − MM is monotone in the mark.
function referenceLiquidationPrice(parameters: LiquidationPriceParameters): { price: number | null; beyondCeiling: boolean } {
  const ceiling = tickCeiling(parameters);
  const liquidatable = (markTicks: number): boolean => isLiquidatableAt({ ...parameters, markTicks });
  const long = parameters.sizeLots > 0;
  if (long) {
    if (!liquidatable(1)) return { price: null, beyondCeiling: false };
    if (liquidatable(ceiling)) return { price: null, beyondCeiling: true };
    let low = 1; // liquidatable
    let high = ceiling; // not
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if (liquidatable(middle)) low = middle;
      else high = middle;
    }
    return { price: low, beyondCeiling: false };
  }
  if (liquidatable(1)) return { price: 1, beyondCeiling: false };
  if (!liquidatable(ceiling)) return { price: null, beyondCeiling: true };
  let low = 1; // not
  let high = ceiling; // liquidatable
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (liquidatable(middle)) high = middle;
    else low = middle;
  }
  return { price: high, beyondCeiling: false };
}

function checkBoundary(parameters: LiquidationPriceParameters): void {
  const price = liquidationPrice(parameters);
  const reference = referenceLiquidationPrice(parameters);
  if (reference.beyondCeiling) {
    // Past what safe integers can check: the solver must agree it lies beyond the ceiling.
    if (price !== null) assert.ok(price > tickCeiling(parameters) || (parameters.sizeLots > 0 && price === int32Max));
    return;
  }
  assert.equal(price, reference.price);
  if (price === null) return;
  assert.ok(isLiquidatableAt({ ...parameters, markTicks: price }), "liquidatable at the returned price");
  const safer = parameters.sizeLots > 0 ? price + 1 : price - 1;
  if (safer >= 1) assert.ok(!isLiquidatableAt({ ...parameters, markTicks: safer }), "not liquidatable one tick safer");
}

const profileArbitrary = fc.constantFrom<MarginProfile>(marginProfilePrd, marginProfileSpec, flatPrd);

describe("liquidationPrice", () => {
  it("is the exact boundary tick for isolated positions opened at any leverage", () => {
    fc.assert(
      fc.property(
        profileArbitrary,
        fc.boolean(),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 125 }),
        (profile, long, lots, quotePerTickLot, entryPriceTicks, leverage) => {
          const sizeLots = long ? lots : -lots;
          const entryNotional = lots * entryPriceTicks * quotePerTickLot;
          if (entryNotional > 2 ** 50) return;
          const margin = initialMargin({ notional: entryNotional, leverage });
          const collateral = margin - sizeLots * entryPriceTicks * quotePerTickLot;
          checkBoundary({ sizeLots, collateral, quotePerTickLot, profile });
          assert.equal(
            isolatedLiquidationPrice({ sizeLots, entryPriceTicks, margin, quotePerTickLot, profile }),
            liquidationPrice({ sizeLots, collateral, quotePerTickLot, profile }),
          );
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it("is the exact boundary tick for any collateral and other maintenance margin (cross margin)", () => {
    fc.assert(
      fc.property(
        profileArbitrary,
        fc.integer({ min: -100_000, max: 100_000 }).filter((size) => size !== 0),
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: -(2 ** 45), max: 2 ** 45 }),
        fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 ** 40 })),
        (profile, sizeLots, quotePerTickLot, collateral, otherMaintenanceMargin) => {
          checkBoundary({ sizeLots, collateral, quotePerTickLot, profile, otherMaintenanceMargin });
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it("treats equity exactly equal to maintenance margin as safe (PRD: liquidatable below 100 %)", () => {
    // 1 lot worth $1 a tick; at 1_000 ticks equity = C + $1,000 and MM = 0.6 % × $1,000 = $6.
    const parameters = { sizeLots: 1, collateral: dollars(-994), quotePerTickLot: dollars(1), profile: flatPrd };
    assert.ok(!isLiquidatableAt({ ...parameters, markTicks: 1_000 }));
    assert.equal(liquidationPrice(parameters), 999);
    const short = { sizeLots: -1, collateral: dollars(1_006), quotePerTickLot: dollars(1), profile: flatPrd };
    assert.ok(!isLiquidatableAt({ ...short, markTicks: 1_000 }));
    assert.equal(liquidationPrice(short), 1_001);
  });

  it("returns null, 1 or int32Max at the edges", () => {
    // A fully collateralised long (1x) never liquidates above 0.
    assert.equal(isolatedLiquidationPrice({ sizeLots: 10, entryPriceTicks: 1_000, margin: 10_000, quotePerTickLot: 1, profile: marginProfilePrd }), null);
    // A short so overcollateralised that the crossing lies above int32Max ticks.
    assert.equal(liquidationPrice({ sizeLots: -1, collateral: 4_000_000_000, quotePerTickLot: 1, profile: marginProfilePrd }), null);
    // A short with negative free collateral is liquidatable at any price.
    assert.equal(liquidationPrice({ sizeLots: -1, collateral: -1, quotePerTickLot: 1, profile: marginProfilePrd }), 1);
    assert.equal(liquidationPrice({ sizeLots: -1, collateral: 10, quotePerTickLot: 1, profile: marginProfilePrd, otherMaintenanceMargin: 11 }), 1);
    // A long whose crossing lies above int32Max ticks is liquidatable at every price the book can hold.
    assert.equal(liquidationPrice({ sizeLots: 1, collateral: -3_000_000_000, quotePerTickLot: 1, profile: marginProfilePrd }), int32Max);
  });

  it("asserts its inputs", () => {
    assert.throws(() => liquidationPrice({ sizeLots: 0, collateral: 0, quotePerTickLot: 1, profile: marginProfilePrd }), AssertionFailed);
    assert.throws(() => liquidationPrice({ sizeLots: 1, collateral: 0, quotePerTickLot: 0, profile: marginProfilePrd }), AssertionFailed);
    assert.throws(
      () => liquidationPrice({ sizeLots: 1, collateral: 0, quotePerTickLot: 1, profile: marginProfilePrd, otherMaintenanceMargin: -1 }),
      AssertionFailed,
    );
  });
});

describe("PRD §8.2: 2 BTC long from $50,000 with $2,000 margin (50x)", () => {
  // $1 ticks and 0.001 BTC lots: one tick-lot is 1_000 µUSD; 2 BTC = 2_000 lots.
  const position = { sizeLots: 2_000, entryPriceTicks: 50_000, margin: dollars(2_000), quotePerTickLot: 1_000 };

  it("the PRD's $49,650 comes from a formula, not from equity = maintenance margin", () => {
    // PRD: 50,000 × (1 − (0.02 − 0.006) / 2) = 49,650: it subtracts two rates and divides by a size
    // (2 BTC), so the result changes if the same position is written as 2,000 lots.
    // Exactly, with the PRD's flat 0.6 % maintenance: 2,000 + 2 × (m − 50,000) = 0.006 × 2 × m, so
    // m* = 50,000 × (1 − 0.02) / (1 − 0.006) = 49,295.77…, and the position is liquidatable at every
    // tick ≤ 49,295. At $49,650 it is not liquidatable at all: equity $1,300 against MM $595.80.
    assert.equal(isolatedLiquidationPrice({ ...position, profile: flatPrd }), 49_295);
    const atPrd = { sizeLots: 2_000, collateral: dollars(2_000) - dollars(100_000), quotePerTickLot: 1_000, profile: flatPrd };
    assert.ok(!isLiquidatableAt({ ...atPrd, markTicks: 49_650 }));
    assert.ok(!isLiquidatableAt({ ...atPrd, markTicks: 49_296 }));
    assert.ok(isLiquidatableAt({ ...atPrd, markTicks: 49_295 }));
  });

  it("what perpdex computes with the PRD tier table (bracketed maintenance)", () => {
    // Near $100,000 the bracket is in the 2.5 % tier: MM(N) = 2.5 % × N − $790 (the maintenance amount),
    // so −98,000 + N = 0.025 × N − 790 gives N* = 97,210 / 0.975 = $99,702.56 and m* = 49,851.28….
    assert.equal(isolatedLiquidationPrice({ ...position, profile: marginProfilePrd }), 49_851);
    // 50x is above the tier's 20x for $100,000 (see the margin tier tests); at 20x the margin is $5,000
    // and the liquidation price is (95,000 − 790) / 0.975 / 2 = 48,312.8… → 48,312.
    assert.equal(isolatedLiquidationPrice({ ...position, margin: dollars(5_000), profile: marginProfilePrd }), 48_312);
  });

  it("mirrors for a short", () => {
    // Short 2 BTC from $50,000 with $2,000: 102,000 − N = 0.025 N − 790 → N* = 102,790 / 1.025 =
    // $100,282.93 → m* = 50,141.46…, so the lowest liquidatable tick is 50,142.
    assert.equal(isolatedLiquidationPrice({ ...position, sizeLots: -2_000, profile: marginProfilePrd }), 50_142);
  });
});
