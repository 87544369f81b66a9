// Proves the fixed-point helpers are exact: multiplyDivide, divideRounded and notional agree with bigint
// reference arithmetic on every input (including products just around 2^53, where the float fast path
// hands over to bigint), each rounding mode means what its documentation says, results are asserted to
// be safe integers, and quotePerTickLot reads decimal strings exactly.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { AssertionFailed } from "../src/assert.ts";
import {
  divideRounded,
  multiplyDivide,
  notional,
  quotePerTickLot,
  quotePerTickLotLimit,
  type Rounding,
} from "../src/perp/fixed-point.ts";

const roundings: readonly Rounding[] = ["ceil", "floor", "halfUp"];
const safeMaximum = BigInt(Number.MAX_SAFE_INTEGER);

// The reference: the mathematical definitions, written independently of the implementation.
function referenceFloor(numerator: bigint, divisor: bigint): bigint {
  const remainder = ((numerator % divisor) + divisor) % divisor;
  return (numerator - remainder) / divisor;
}

function referenceDivide(numerator: bigint, divisor: bigint, rounding: Rounding): bigint {
  if (rounding === "floor") return referenceFloor(numerator, divisor);
  if (rounding === "ceil") return -referenceFloor(-numerator, divisor);
  // Half away from zero: sign × ⌊(2|n| + d) / 2d⌋.
  const magnitude = referenceFloor(2n * (numerator < 0n ? -numerator : numerator) + divisor, 2n * divisor);
  return numerator < 0n ? -magnitude : magnitude;
}

const isSafe = (value: bigint): boolean => value >= -safeMaximum && value <= safeMaximum;

// Integers of every size, weighted toward the ones near the fast path's 2^53 edge.
const anySafeInteger = fc.oneof(
  fc.integer({ min: -1_000, max: 1_000 }),
  fc.integer({ min: -(2 ** 27), max: 2 ** 27 }),
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  fc.constantFrom(0, 1, -1, 2 ** 26, 2 ** 27, 2 ** 53 - 1, -(2 ** 53 - 1), 94_906_265, 94_906_266),
);
const anyDivisor = fc.oneof(
  fc.integer({ min: 1, max: 1_000 }),
  fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  fc.constantFrom(1, 2, 3, 1_000_000, 1_000_000_000, 2 ** 53 - 1),
);

describe("multiplyDivide", () => {
  const cases: readonly { value: number; multiplier: number; divisor: number; expected: Record<Rounding, number> }[] = [
    { value: 7, multiplier: 1, divisor: 2, expected: { ceil: 4, floor: 3, halfUp: 4 } },
    { value: -7, multiplier: 1, divisor: 2, expected: { ceil: -3, floor: -4, halfUp: -4 } },
    { value: 5, multiplier: 1, divisor: 2, expected: { ceil: 3, floor: 2, halfUp: 3 } },
    { value: -5, multiplier: 1, divisor: 2, expected: { ceil: -2, floor: -3, halfUp: -3 } },
    { value: 7, multiplier: 1, divisor: 3, expected: { ceil: 3, floor: 2, halfUp: 2 } },
    { value: -7, multiplier: 1, divisor: 3, expected: { ceil: -2, floor: -3, halfUp: -2 } },
    { value: 6, multiplier: 1, divisor: 3, expected: { ceil: 2, floor: 2, halfUp: 2 } },
    { value: -1, multiplier: 1, divisor: 3, expected: { ceil: 0, floor: -1, halfUp: 0 } },
    { value: 1_000_500_000, multiplier: 600, divisor: 1_000_000, expected: { ceil: 600_300, floor: 600_300, halfUp: 600_300 } },
    // 2^52 × 3 / 3 passes 2^53 on the way: the bigint path.
    { value: 2 ** 52, multiplier: 3, divisor: 3, expected: { ceil: 2 ** 52, floor: 2 ** 52, halfUp: 2 ** 52 } },
    { value: 2 ** 53 - 1, multiplier: 2 ** 53 - 1, divisor: 2 ** 53 - 1, expected: { ceil: 2 ** 53 - 1, floor: 2 ** 53 - 1, halfUp: 2 ** 53 - 1 } },
  ];
  for (const { value, multiplier, divisor, expected } of cases) {
    for (const rounding of roundings) {
      it(`${value} × ${multiplier} / ${divisor} rounds ${rounding} to ${expected[rounding]}`, () => {
        assert.equal(multiplyDivide({ value, multiplier, divisor, rounding }), expected[rounding]);
      });
    }
  }

  it("never returns negative zero", () => {
    for (const rounding of roundings) {
      assert.ok(Object.is(multiplyDivide({ value: 0, multiplier: -5, divisor: 3, rounding }), 0));
      assert.ok(Object.is(multiplyDivide({ value: -1, multiplier: 1, divisor: 3, rounding: "ceil" }), 0));
      assert.ok(Object.is(multiplyDivide({ value: -1, multiplier: 1, divisor: 3, rounding: "halfUp" }), 0));
    }
  });

  it("asserts its inputs", () => {
    const bad: readonly [number, number, number][] = [
      [1, 1, 0],
      [1, 1, -3],
      [0.5, 1, 1],
      [1, 2 ** 53, 1],
      [1, 1, Number.NaN],
    ];
    for (const [value, multiplier, divisor] of bad) {
      assert.throws(() => multiplyDivide({ value, multiplier, divisor, rounding: "floor" }), AssertionFailed);
    }
  });

  it("asserts a safe-integer result", () => {
    assert.throws(() => multiplyDivide({ value: 2 ** 53 - 1, multiplier: 2, divisor: 1, rounding: "floor" }), AssertionFailed);
  });

  it("agrees with bigint reference arithmetic, or asserts when the exact result is not a safe integer", () => {
    fc.assert(
      fc.property(anySafeInteger, anySafeInteger, anyDivisor, fc.constantFrom(...roundings), (value, multiplier, divisor, rounding) => {
        const expected = referenceDivide(BigInt(value) * BigInt(multiplier), BigInt(divisor), rounding);
        if (!isSafe(expected)) {
          assert.throws(() => multiplyDivide({ value, multiplier, divisor, rounding }), AssertionFailed);
          return;
        }
        const result = multiplyDivide({ value, multiplier, divisor, rounding });
        assert.ok(Number.isSafeInteger(result));
        assert.equal(BigInt(result), expected);
      }),
      { numRuns: 20_000 },
    );
  });

  it("is exact for products straddling 2^53 (the fast path's edge)", () => {
    // value × multiplier within a few thousand of 2^53 on either side, with small divisors.
    fc.assert(
      fc.property(
        fc.integer({ min: -5_000, max: 5_000 }),
        fc.integer({ min: 1, max: 7 }),
        fc.boolean(),
        fc.constantFrom(...roundings),
        (offset, divisor, negative, rounding) => {
          const value = (2 ** 26 + offset) * (negative ? -1 : 1);
          const multiplier = 2 ** 27 - offset;
          const expected = referenceDivide(BigInt(value) * BigInt(multiplier), BigInt(divisor), rounding);
          if (!isSafe(expected)) return;
          assert.equal(BigInt(multiplyDivide({ value, multiplier, divisor, rounding })), expected);
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it("is exact where the quotient is a hair from an integer (the float quotient must not round onto it)", () => {
    // value = k × divisor + offset, k up to the largest safe quotient: value / divisor lies within
    // 4 / divisor of k, the closest a safe numerator's quotient can come to an integer without being one.
    fc.assert(
      fc.property(
        fc
          .oneof(fc.integer({ min: 1, max: 4_096 }), fc.integer({ min: 2 ** 31, max: 2 ** 33 }), fc.constantFrom(1_000_000, 2 ** 32, 2 ** 32 + 1))
          .chain((divisor) => {
            const quotientMax = Math.floor((Number.MAX_SAFE_INTEGER - 8) / divisor);
            return fc.tuple(fc.constant(divisor), fc.oneof(fc.integer({ min: 0, max: quotientMax }), fc.constant(quotientMax)));
          }),
        fc.integer({ min: -4, max: 4 }),
        fc.boolean(),
        fc.constantFrom(...roundings),
        ([divisor, quotient], offset, negative, rounding) => {
          const exact = BigInt(quotient) * BigInt(divisor) + BigInt(offset);
          const value = Number(negative ? -exact : exact);
          if (!Number.isSafeInteger(value)) return;
          const expected = referenceDivide(BigInt(value), BigInt(divisor), rounding);
          assert.equal(BigInt(multiplyDivide({ value, multiplier: 1, divisor, rounding })), expected);
        },
      ),
      { numRuns: 5_000 },
    );
  });
});

describe("divideRounded", () => {
  it("agrees with the reference on bigints of any size", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }),
        fc.oneof(fc.bigInt({ min: 1n, max: 10n }), fc.bigInt({ min: 1n, max: 10n ** 30n })),
        fc.constantFrom(...roundings),
        (numerator, divisor, rounding) => {
          assert.equal(divideRounded({ numerator, divisor, rounding }), referenceDivide(numerator, divisor, rounding));
        },
      ),
      { numRuns: 10_000 },
    );
  });

  it("asserts a positive divisor", () => {
    assert.throws(() => divideRounded({ numerator: 1n, divisor: 0n, rounding: "floor" }), AssertionFailed);
    assert.throws(() => divideRounded({ numerator: 1n, divisor: -1n, rounding: "floor" }), AssertionFailed);
  });
});

describe("notional", () => {
  it("values the PRD §8.2 position: 2 BTC at $50,000 is $100,000", () => {
    assert.equal(notional(50_000, 2_000, 1_000), 100_000_000_000);
    assert.equal(notional(50_000, -2_000, 1_000), -100_000_000_000);
    assert.ok(Object.is(notional(0, -5, 7), 0));
  });

  it("is exact past 2^53 intermediate products and asserts an unsafe result", () => {
    // price × size = 2^62 − 2^32 + 1 is not a float, but × 1 it is still not safe: the assert fires.
    assert.throws(() => notional(2_147_483_647, 2_147_483_647, 1), AssertionFailed);
    assert.throws(() => notional(-1, 1, 1), AssertionFailed);
    assert.throws(() => notional(1, 1, 0), AssertionFailed);
  });

  it("agrees with the bigint product", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2_147_483_647 }),
        fc.integer({ min: -2_147_483_647, max: 2_147_483_647 }),
        fc.integer({ min: 1, max: quotePerTickLotLimit - 1 }),
        (price, size, quote) => {
          const expected = BigInt(price) * BigInt(size) * BigInt(quote);
          if (!isSafe(expected)) {
            assert.throws(() => notional(price, size, quote), AssertionFailed);
            return;
          }
          assert.equal(BigInt(notional(price, size, quote)), expected);
        },
      ),
      { numRuns: 10_000 },
    );
  });
});

describe("quotePerTickLot", () => {
  const cases: readonly [string, string, number | null][] = [
    ["0.5", "0.001", 500],
    ["0.01", "0.01", 100],
    ["0.01", "0.001", 10],
    ["1", "1", 1_000_000],
    ["0.50", "0.0010", 500],
    ["0.000001", "1", 1],
    ["0.0000001", "10", 1],
    ["2147.483647", "1", 2_147_483_647],
    ["2147.483648", "1", null], // = 2^31: not below the limit
    ["1000000", "1000000", null],
    ["0.0001", "0.001", null], // 0.1 µUSD
    ["0.0000015", "1", null], // 1.5 µUSD
    ["0", "1", null],
    ["0.00", "1", null],
    ["", "1", null],
    ["1.", "1", null],
    [".5", "1", null],
    ["-1", "1", null],
    ["+1", "1", null],
    ["1e3", "1", null],
    ["1.2.3", "1", null],
    [" 1", "1", null],
    ["1".repeat(60), "1", null],
  ];
  for (const [tickSize, lotSize, expected] of cases) {
    it(`tick ${JSON.stringify(tickSize)} × lot ${JSON.stringify(lotSize)} → ${expected}`, () => {
      assert.equal(quotePerTickLot(tickSize, lotSize), expected);
      assert.equal(quotePerTickLot(lotSize, tickSize), expected);
    });
  }

  it("agrees with bigint arithmetic on generated decimals", () => {
    const decimal = fc.record({ digits: fc.bigInt({ min: 0n, max: 10n ** 12n }), scale: fc.integer({ min: 0, max: 12 }) });
    const text = ({ digits, scale }: { digits: bigint; scale: number }): string => {
      const padded = digits.toString().padStart(scale + 1, "0");
      return scale === 0 ? padded : `${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
    };
    fc.assert(
      fc.property(decimal, decimal, (tick, lot) => {
        const numerator = tick.digits * lot.digits * 1_000_000n;
        const denominator = 10n ** BigInt(tick.scale + lot.scale);
        const whole = numerator % denominator === 0n ? numerator / denominator : null;
        const expected = whole !== null && whole > 0n && whole < BigInt(quotePerTickLotLimit) ? Number(whole) : null;
        assert.equal(quotePerTickLot(text(tick), text(lot)), expected);
      }),
      { numRuns: 5_000 },
    );
  });
});
