// Proves that decimal strings become exact integers and back: the accepted grammar matches a naive
// character-by-character reference, every rejection is a value with a stable code and a readable
// message, and ticks, lots and units round-trip exactly for many step sizes.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  decimalDigitsMax,
  decimalToLots,
  decimalToTicks,
  formatUnits,
  lotsToDecimal,
  parseDecimal,
  parseUnits,
  priceTicksMax,
  rejectionCodes,
  sizeLotsMax,
  ticksToDecimal,
} from "../src/index.ts";

// The canonical (minimal) form: no trailing fraction zeros, no bare point, no leading zeros, no "-0".
const canonicalPattern = /^(0|-?[1-9][0-9]*|-?0\.[0-9]*[1-9]|-?[1-9][0-9]*\.[0-9]*[1-9])$/;

// A naive reference parser, written without regular expressions, to check `parseDecimal` against.
function naiveParse(text: string, negativeAllowed: boolean): { units: bigint; scale: number } | undefined {
  const isDigit = (character: string | undefined): boolean =>
    character !== undefined && character >= "0" && character <= "9";
  let position = 0;
  const negative = text[0] === "-";
  if (negative) position = 1;
  let integerDigits = "";
  while (isDigit(text[position])) integerDigits += text[position++];
  if (integerDigits === "") return undefined;
  if (integerDigits.length > 1 && integerDigits[0] === "0") return undefined;
  let fractionDigits = "";
  if (text[position] === ".") {
    position += 1;
    while (isDigit(text[position])) fractionDigits += text[position++];
    if (fractionDigits === "") return undefined;
  }
  if (position !== text.length) return undefined;
  if (negative && !negativeAllowed) return undefined;
  const counted = (integerDigits === "0" ? 0 : integerDigits.length) + fractionDigits.length;
  if (counted > decimalDigitsMax) return undefined;
  let units = 0n;
  for (const character of integerDigits + fractionDigits) units = units * 10n + BigInt(character.charCodeAt(0) - 48);
  return { units: negative ? -units : units, scale: fractionDigits.length };
}

function expectRejection(result: { ok: boolean }, code: string, message?: string): void {
  assert.equal(result.ok, false, `expected rejection ${code}, got ${JSON.stringify(result, bigintReplacer)}`);
  const rejection = result as { ok: false; code: string; message: string; details?: Record<string, string> };
  assert.equal(rejection.code, code);
  assert.ok(rejectionCodes.includes(rejection.code as never), `${rejection.code} is a declared code`);
  assert.ok(rejection.message.length > 0);
  for (const value of Object.values(rejection.details ?? {})) assert.equal(typeof value, "string");
  if (message !== undefined) assert.equal(rejection.message, message);
}

function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? `${value}n` : value;
}

// A decimal string with `units / 10^scale`, optionally padded with trailing zeros, as clients may send.
const decimalText = (options: { unitsMax: bigint; scaleMax: number; negative: boolean }) =>
  fc
    .record({
      units: fc.bigInt({ min: options.negative ? -options.unitsMax : 0n, max: options.unitsMax }),
      scale: fc.integer({ min: 0, max: options.scaleMax }),
      padding: fc.integer({ min: 0, max: 3 }),
    })
    .map(({ units, scale, padding }) => {
      const canonical = formatUnits(units, scale);
      if (padding === 0) return canonical;
      return canonical.includes(".") ? canonical + "0".repeat(padding) : `${canonical}.${"0".repeat(padding)}`;
    });

const tickSizes = fc.oneof(
  fc.constantFrom("0.01", "0.5", "25", "1", "0.0001", "0.25", "5", "0.000001", "0.010", "100"),
  decimalText({ unitsMax: 1_000_000n, scaleMax: 10, negative: false }).filter((text) => {
    const parsed = parseDecimal(text);
    return parsed.ok && parsed.units > 0n;
  }),
);

describe("parseDecimal", () => {
  const accepted: readonly (readonly [string, bigint, number])[] = [
    ["0", 0n, 0],
    ["123.45", 12345n, 2],
    ["1.50", 150n, 2],
    ["0.001", 1n, 3],
    ["100", 100n, 0],
    ["0.0", 0n, 1],
    ["1".repeat(decimalDigitsMax), BigInt("1".repeat(decimalDigitsMax)), 0],
    [`0.${"9".repeat(decimalDigitsMax)}`, BigInt("9".repeat(decimalDigitsMax)), decimalDigitsMax],
    ["123456789012345678901234567890.1234567891", 1234567890123456789012345678901234567891n, 10],
  ];
  for (const [text, units, scale] of accepted) {
    test(`accepts ${JSON.stringify(text)}`, () => {
      assert.deepEqual(parseDecimal(text), { ok: true, units, scale });
    });
  }

  test("accepts negatives only when allowed", () => {
    assert.deepEqual(parseDecimal("-1.5", { negativeAllowed: true }), { ok: true, units: -15n, scale: 1 });
    assert.deepEqual(parseDecimal("-0", { negativeAllowed: true }), { ok: true, units: 0n, scale: 0 });
    expectRejection(parseDecimal("-1.5"), "DECIMAL_NEGATIVE", "value -1.5 must not be negative");
  });

  const rejected: readonly (readonly [unknown, string, string])[] = [
    [1.5, "DECIMAL_NOT_STRING", 'value must be a decimal string such as "123.45", not a JSON number (numbers lose precision)'],
    [null, "DECIMAL_NOT_STRING", 'value must be a decimal string such as "123.45", not a value of type null'],
    [undefined, "DECIMAL_NOT_STRING", 'value must be a decimal string such as "123.45", not a value of type undefined'],
    [12n, "DECIMAL_NOT_STRING", 'value must be a decimal string such as "123.45", not a value of type bigint'],
    [["1"], "DECIMAL_NOT_STRING", 'value must be a decimal string such as "123.45", not a value of type array'],
    [{}, "DECIMAL_NOT_STRING", 'value must be a decimal string such as "123.45", not a value of type object'],
    ["", "DECIMAL_EMPTY", 'value must not be empty; send a decimal string such as "123.45"'],
    ["+1", "DECIMAL_MALFORMED", 'value "+1" is not a decimal string: a leading "+" is not accepted; positive values have no sign'],
    ["+", "DECIMAL_MALFORMED", 'value "+" is not a decimal string: a leading "+" is not accepted; positive values have no sign'],
    ["-", "DECIMAL_MALFORMED", 'value "-" is not a decimal string: only an optional "-", digits and one "." are accepted, as in "123.45"'],
    ["1e5", "DECIMAL_MALFORMED", 'value "1e5" is not a decimal string: exponent notation is not accepted; write all the digits out'],
    ["1.5E-3", "DECIMAL_MALFORMED", 'value "1.5E-3" is not a decimal string: exponent notation is not accepted; write all the digits out'],
    [" 1", "DECIMAL_MALFORMED", 'value " 1" is not a decimal string: it contains whitespace'],
    ["1 ", "DECIMAL_MALFORMED", 'value "1 " is not a decimal string: it contains whitespace'],
    ["1\n", "DECIMAL_MALFORMED", 'value "1\\n" is not a decimal string: it contains whitespace'],
    [".5", "DECIMAL_MALFORMED", 'value ".5" is not a decimal string: a digit is needed before the decimal point, as in "0.5"'],
    ["-.5", "DECIMAL_MALFORMED", 'value "-.5" is not a decimal string: a digit is needed before the decimal point, as in "0.5"'],
    ["5.", "DECIMAL_MALFORMED", 'value "5." is not a decimal string: digits are needed after the decimal point, as in "1.5"'],
    ["007", "DECIMAL_MALFORMED", 'value "007" is not a decimal string: leading zeros are not accepted'],
    ["-01.5", "DECIMAL_MALFORMED", 'value "-01.5" is not a decimal string: leading zeros are not accepted'],
    ["1,000.5", "DECIMAL_MALFORMED", 'value "1,000.5" is not a decimal string: separators such as "," are not accepted; the decimal point is "."'],
    ["1.2.3", "DECIMAL_MALFORMED", 'value "1.2.3" is not a decimal string: only an optional "-", digits and one "." are accepted, as in "123.45"'],
    ["NaN", "DECIMAL_MALFORMED", 'value "NaN" is not a decimal string: only an optional "-", digits and one "." are accepted, as in "123.45"'],
    ["Infinity", "DECIMAL_MALFORMED", 'value "Infinity" is not a decimal string: only an optional "-", digits and one "." are accepted, as in "123.45"'],
    ["0x10", "DECIMAL_MALFORMED", 'value "0x10" is not a decimal string: only an optional "-", digits and one "." are accepted, as in "123.45"'],
    ["١٢", "DECIMAL_MALFORMED", 'value "١٢" is not a decimal string: only an optional "-", digits and one "." are accepted, as in "123.45"'],
    ["1".repeat(decimalDigitsMax + 1), "DECIMAL_TOO_LONG", `value "${"1".repeat(decimalDigitsMax + 1)}" has 41 digits; a decimal has at most 40 digits`],
    [`1.${"0".repeat(decimalDigitsMax)}`, "DECIMAL_TOO_LONG", `value "1.${"0".repeat(decimalDigitsMax)}" has 41 digits; a decimal has at most 40 digits`],
    ["9".repeat(1000), "DECIMAL_TOO_LONG", `value "${"9".repeat(48)}…" has 1000 characters; a decimal has at most 40 digits`],
  ];
  for (const [input, code, message] of rejected) {
    const shown = typeof input === "string" ? JSON.stringify(input.slice(0, 20)) : `${typeof input} ${JSON.stringify(input, bigintReplacer)}`;
    test(`rejects ${shown} with ${code}`, () => {
      expectRejection(parseDecimal(input), code, message);
    });
  }

  test("names the field in messages and details", () => {
    const result = parseDecimal("abc", { field: "triggerPrice" });
    expectRejection(result, "DECIMAL_MALFORMED");
    assert.ok(!result.ok && result.message.startsWith('triggerPrice "abc"'));
    assert.deepEqual(!result.ok && result.details, { field: "triggerPrice", value: "abc" });
  });

  test("agrees with the naive reference parser on strings over the decimal alphabet", () => {
    const alphabet = fc.constantFrom(..."0123456789.-+eE ,".split(""), "0", "1", "9");
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 46 }), fc.boolean(), (text, negativeAllowed) => {
        const expected = naiveParse(text, negativeAllowed);
        const actual = parseDecimal(text, { negativeAllowed });
        if (expected === undefined) {
          assert.equal(actual.ok, false);
        } else {
          assert.deepEqual(actual, { ok: true, ...expected });
        }
      }),
      { numRuns: 20_000 },
    );
  });

  test("agrees with the naive reference parser on well-formed numbers of every length", () => {
    const digits = (maxLength: number) => fc.string({ unit: fc.constantFrom(..."0123456789".split("")), maxLength });
    const wellFormed = fc
      .tuple(fc.constantFrom("", "-"), fc.oneof(fc.constant("0"), fc.tuple(fc.constantFrom(..."123456789".split("")), digits(45)).map(([first, rest]) => first + rest)), fc.option(digits(45).filter((fraction) => fraction.length > 0)))
      .map(([sign, integerDigits, fraction]) => sign + integerDigits + (fraction === null ? "" : `.${fraction}`));
    fc.assert(
      fc.property(wellFormed, (text) => {
        const expected = naiveParse(text, true);
        const actual = parseDecimal(text, { negativeAllowed: true });
        if (expected === undefined) {
          expectRejection(actual, "DECIMAL_TOO_LONG");
        } else {
          assert.deepEqual(actual, { ok: true, ...expected });
        }
      }),
      { numRuns: 5_000 },
    );
  });

  test("never throws, whatever the input", () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.string(), fc.string({ unit: "binary" })), (input) => {
        const result = parseDecimal(input, { negativeAllowed: true });
        if (!result.ok) expectRejection(result, result.code);
      }),
      { numRuns: 5_000 },
    );
  });
});

describe("formatUnits and parseUnits", () => {
  const formatted: readonly (readonly [bigint, number, string])[] = [
    [0n, 6, "0"],
    [0n, 0, "0"],
    [1_500_000n, 6, "1.5"],
    [1n, 6, "0.000001"],
    [-1n, 6, "-0.000001"],
    [-42n, 18, "-0.000000000000000042"],
    [1_000_000n, 6, "1"],
    [100n, 0, "100"],
    [123_450n, 3, "123.45"],
    [10n ** 40n - 1n, 40, `0.${"9".repeat(40)}`],
  ];
  for (const [units, decimals, text] of formatted) {
    test(`formatUnits(${units}n, ${decimals}) is ${JSON.stringify(text)}`, () => {
      assert.equal(formatUnits(units, decimals), text);
    });
  }

  test("parseUnits scales to the smallest unit exactly", () => {
    assert.deepEqual(parseUnits("1.5", 6), { ok: true, units: 1_500_000n });
    assert.deepEqual(parseUnits("1", 18), { ok: true, units: 10n ** 18n });
    assert.deepEqual(parseUnits("0.000001", 6), { ok: true, units: 1n });
    assert.deepEqual(parseUnits("1.50000000", 6), { ok: true, units: 1_500_000n });
    assert.deepEqual(parseUnits("7", 0), { ok: true, units: 7n });
    assert.deepEqual(parseUnits("-2.5", 6, { negativeAllowed: true }), { ok: true, units: -2_500_000n });
  });

  test("parseUnits refuses digits past the collateral's decimals instead of rounding", () => {
    expectRejection(
      parseUnits("1.1234567", 6),
      "DECIMAL_FRACTION_TOO_LONG",
      "amount 1.1234567 has more than 6 digits after the decimal point; at most 6 are accepted",
    );
    const result = parseUnits("0.5", 0, { field: "withdrawal" });
    expectRejection(result, "DECIMAL_FRACTION_TOO_LONG", "withdrawal 0.5 has more than 0 digits after the decimal point; at most 0 are accepted");
    assert.deepEqual(!result.ok && result.details, { field: "withdrawal", value: "0.5", decimals: "0" });
    expectRejection(parseUnits("-1", 6), "DECIMAL_NEGATIVE", "amount -1 must not be negative");
    expectRejection(parseUnits(5, 6), "DECIMAL_NOT_STRING");
  });

  test("formatUnits then parseUnits returns the same units", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 40n) + 1n, max: 10n ** 40n - 1n }), fc.integer({ min: 0, max: decimalDigitsMax }), (units, decimals) => {
        const text = formatUnits(units, decimals);
        assert.match(text, canonicalPattern);
        assert.deepEqual(parseUnits(text, decimals, { negativeAllowed: true }), { ok: true, units });
      }),
      { numRuns: 10_000 },
    );
  });

  test("parseUnits then formatUnits gives the canonical form of the text", () => {
    fc.assert(
      fc.property(decimalText({ unitsMax: 10n ** 30n, scaleMax: 6, negative: true }), fc.constantFrom(6, 18), (text, decimals) => {
        const parsed = parseUnits(text, decimals, { negativeAllowed: true });
        assert.ok(parsed.ok);
        const canonical = formatUnits(parsed.units, decimals);
        assert.match(canonical, canonicalPattern);
        // Same value: the canonical text is the input minus trailing fraction zeros (and a bare point).
        assert.equal(canonical, text.includes(".") ? text.replace(/\.?0+$/, "") || "0" : text);
      }),
      { numRuns: 5_000 },
    );
  });

  test("invalid decimals are a caller bug and throw", () => {
    for (const decimals of [-1, 1.5, decimalDigitsMax + 1, Number.NaN]) {
      assert.throws(() => formatUnits(1n, decimals), /assertion failed: decimals/);
      assert.throws(() => parseUnits("1", decimals), /assertion failed: decimals/);
    }
  });
});

describe("decimalToTicks and decimalToLots", () => {
  const ticksAccepted: readonly (readonly [string, string, number])[] = [
    ["123.45", "0.01", 12345],
    ["123.4500", "0.01", 12345],
    ["0.01", "0.01", 1],
    ["1.5", "0.5", 3],
    ["100", "25", 4],
    ["100.0", "25", 4],
    ["0.0001", "0.0001", 1],
    ["7", "1", 7],
    ["21474836.47", "0.01", priceTicksMax],
    ["3", "0.010", 300],
  ];
  for (const [value, tickSize, ticks] of ticksAccepted) {
    test(`${value} is ${ticks} ticks of ${tickSize}`, () => {
      assert.deepEqual(decimalToTicks({ value, tickSize }), { ok: true, ticks });
    });
  }

  test("an off-tick price names the two nearest valid prices", () => {
    const result = decimalToTicks({ value: "123.455", tickSize: "0.01" });
    expectRejection(
      result,
      "PRICE_OFF_TICK",
      "price 123.455 is not a multiple of the tick size 0.01; nearest valid prices are 123.45 and 123.46",
    );
    assert.deepEqual(!result.ok && result.details, {
      field: "price",
      value: "123.455",
      tickSize: "0.01",
      nearestBelow: "123.45",
      nearestAbove: "123.46",
    });
  });

  const offTick: readonly (readonly [string, string, string])[] = [
    ["101", "25", "price 101 is not a multiple of the tick size 25; nearest valid prices are 100 and 125"],
    ["1.2", "0.5", "price 1.2 is not a multiple of the tick size 0.5; nearest valid prices are 1 and 1.5"],
    ["0.005", "0.01", "price 0.005 is not a multiple of the tick size 0.01; the nearest valid price is 0.01"],
    ["10", "25", "price 10 is not a multiple of the tick size 25; the nearest valid price is 25"],
    ["1.001", "0.010", "price 1.001 is not a multiple of the tick size 0.01; nearest valid prices are 1 and 1.01"],
    ["21474836.465", "0.01", "price 21474836.465 is not a multiple of the tick size 0.01; nearest valid prices are 21474836.46 and 21474836.47"],
  ];
  for (const [value, tickSize, message] of offTick) {
    test(`${value} is off the tick ${tickSize}`, () => {
      expectRejection(decimalToTicks({ value, tickSize }), "PRICE_OFF_TICK", message);
    });
  }

  test("below the first tick, no zero is offered as the nearest price below", () => {
    const result = decimalToTicks({ value: "0.005", tickSize: "0.01" });
    assert.deepEqual(!result.ok && result.details, { field: "price", value: "0.005", tickSize: "0.01", nearestAbove: "0.01" });
  });

  const notPositive: readonly string[] = ["0", "0.00", "-1", "-0.01", "-0"];
  for (const value of notPositive) {
    test(`price ${value} is not positive`, () => {
      expectRejection(decimalToTicks({ value, tickSize: "0.01" }), "PRICE_NOT_POSITIVE", `price must be greater than 0; got ${value}`);
      expectRejection(decimalToLots({ value, lotSize: "0.01" }), "SIZE_NOT_POSITIVE", `size must be greater than 0; got ${value}`);
    });
  }

  test("a price above 2^31 - 1 ticks is too large and the message says the maximum", () => {
    const result = decimalToTicks({ value: "21474836.48", tickSize: "0.01" });
    expectRejection(result, "PRICE_TOO_LARGE", "price 21474836.48 is above the maximum price 21474836.47 (2147483647 ticks of 0.01)");
    assert.deepEqual(!result.ok && result.details, {
      field: "price",
      value: "21474836.48",
      tickSize: "0.01",
      maximum: "21474836.47",
      ticksMax: "2147483647",
    });
    // Too large wins over off-tick: no nearest value above would be valid.
    expectRejection(decimalToTicks({ value: "21474836.475", tickSize: "0.01" }), "PRICE_TOO_LARGE");
    expectRejection(decimalToTicks({ value: "9".repeat(40), tickSize: "0.01" }), "PRICE_TOO_LARGE");
  });

  test("a malformed price is a DECIMAL_* rejection naming the field", () => {
    expectRejection(decimalToTicks({ value: 123.45, tickSize: "0.01" }), "DECIMAL_NOT_STRING", 'price must be a decimal string such as "123.45", not a JSON number (numbers lose precision)');
    expectRejection(decimalToTicks({ value: "1e3", tickSize: "0.01", field: "triggerPrice" }), "DECIMAL_MALFORMED", 'triggerPrice "1e3" is not a decimal string: exponent notation is not accepted; write all the digits out');
    expectRejection(decimalToLots({ value: "", lotSize: "1" }), "DECIMAL_EMPTY", 'size must not be empty; send a decimal string such as "123.45"');
  });

  test("sizes use lot words and SIZE_* codes", () => {
    assert.deepEqual(decimalToLots({ value: "1.5", lotSize: "0.1" }), { ok: true, lots: 15 });
    assert.deepEqual(decimalToLots({ value: "2147483.647", lotSize: "0.001" }), { ok: true, lots: sizeLotsMax });
    const offLot = decimalToLots({ value: "1.55", lotSize: "0.1" });
    expectRejection(offLot, "SIZE_OFF_LOT", "size 1.55 is not a multiple of the lot size 0.1; nearest valid sizes are 1.5 and 1.6");
    assert.deepEqual(!offLot.ok && offLot.details, { field: "size", value: "1.55", lotSize: "0.1", nearestBelow: "1.5", nearestAbove: "1.6" });
    expectRejection(decimalToLots({ value: "0.0005", lotSize: "0.001" }), "SIZE_OFF_LOT", "size 0.0005 is not a multiple of the lot size 0.001; the nearest valid size is 0.001");
    const tooLarge = decimalToLots({ value: "2147483648", lotSize: "1" });
    expectRejection(tooLarge, "SIZE_TOO_LARGE", "size 2147483648 is above the maximum size 2147483647 (2147483647 lots of 1)");
    assert.deepEqual(!tooLarge.ok && tooLarge.details, { field: "size", value: "2147483648", lotSize: "1", maximum: "2147483647", lotsMax: "2147483647" });
  });

  test("a bad tick or lot size is a configuration bug and throws", () => {
    for (const stepSize of ["0", "-0.01", "abc", "", "1e-2", "0.00"]) {
      assert.throws(() => decimalToTicks({ value: "1", tickSize: stepSize }), /assertion failed: .*tick size/);
      assert.throws(() => decimalToLots({ value: "1", lotSize: stepSize }), /assertion failed: .*lot size/);
      assert.throws(() => ticksToDecimal({ ticks: 1, tickSize: stepSize }), /assertion failed: .*tick size/);
      assert.throws(() => lotsToDecimal({ lots: 1, lotSize: stepSize }), /assertion failed: .*lot size/);
    }
  });

  test("ticksToDecimal and lotsToDecimal format canonically", () => {
    assert.equal(ticksToDecimal({ ticks: 12340, tickSize: "0.01" }), "123.4");
    assert.equal(ticksToDecimal({ ticks: 4, tickSize: "25" }), "100");
    assert.equal(ticksToDecimal({ ticks: 3, tickSize: "0.50" }), "1.5");
    assert.equal(ticksToDecimal({ ticks: 0, tickSize: "0.01" }), "0");
    assert.equal(ticksToDecimal({ ticks: -5, tickSize: "0.01" }), "-0.05");
    assert.equal(ticksToDecimal({ ticks: 10n ** 20n, tickSize: "0.01" }), "1000000000000000000");
    assert.equal(lotsToDecimal({ lots: 1, lotSize: "0.001" }), "0.001");
    assert.throws(() => ticksToDecimal({ ticks: 1.5, tickSize: "0.01" }), /safe integer/);
    assert.throws(() => lotsToDecimal({ lots: 2 ** 53, lotSize: "1" }), /safe integer/);
  });

  test("decimalToTicks(ticksToDecimal(t)) is t for every tick count and many tick sizes", () => {
    fc.assert(
      fc.property(tickSizes, fc.integer({ min: 1, max: priceTicksMax }), (tickSize, ticks) => {
        const text = ticksToDecimal({ ticks, tickSize });
        assert.match(text, canonicalPattern);
        assert.deepEqual(decimalToTicks({ value: text, tickSize }), { ok: true, ticks });
        const lotsText = lotsToDecimal({ lots: ticks, lotSize: tickSize });
        assert.equal(lotsText, text);
        assert.deepEqual(decimalToLots({ value: lotsText, lotSize: tickSize }), { ok: true, lots: ticks });
      }),
      { numRuns: 10_000 },
    );
  });

  test("the boundaries round-trip for many tick sizes", () => {
    fc.assert(
      fc.property(tickSizes, fc.constantFrom(1, 2, priceTicksMax - 1, priceTicksMax), (tickSize, ticks) => {
        assert.deepEqual(decimalToTicks({ value: ticksToDecimal({ ticks, tickSize }), tickSize }), { ok: true, ticks });
      }),
    );
  });

  // Oracle by cross-multiplication: value = v / 10^vs and tick = t / 10^ts, so
  // value / tick = (v · 10^ts) / (t · 10^vs); checked independently of how decimalToTicks scales.
  test("any price is accepted exactly when it is a positive in-range multiple; otherwise the reason is right", () => {
    fc.assert(
      fc.property(tickSizes, decimalText({ unitsMax: 10n ** 15n, scaleMax: 10, negative: true }), (tickSize, value) => {
        const parsedValue = parseDecimal(value, { negativeAllowed: true });
        const parsedTick = parseDecimal(tickSize);
        assert.ok(parsedValue.ok && parsedTick.ok);
        const numerator = parsedValue.units * 10n ** BigInt(parsedTick.scale);
        const denominator = parsedTick.units * 10n ** BigInt(parsedValue.scale);
        const result = decimalToTicks({ value, tickSize });
        if (parsedValue.units <= 0n) return expectRejection(result, "PRICE_NOT_POSITIVE");
        if (numerator > denominator * BigInt(priceTicksMax)) return expectRejection(result, "PRICE_TOO_LARGE");
        if (numerator % denominator === 0n) {
          assert.deepEqual(result, { ok: true, ticks: Number(numerator / denominator) });
          return;
        }
        expectRejection(result, "PRICE_OFF_TICK");
        assert.ok(!result.ok && result.details !== undefined);
        const below = numerator / denominator;
        const nearestAbove = result.details["nearestAbove"];
        assert.deepEqual(decimalToTicks({ value: nearestAbove, tickSize }), { ok: true, ticks: Number(below) + 1 });
        if (below === 0n) {
          assert.equal(result.details["nearestBelow"], undefined);
        } else {
          assert.deepEqual(decimalToTicks({ value: result.details["nearestBelow"], tickSize }), { ok: true, ticks: Number(below) });
        }
      }),
      { numRuns: 10_000 },
    );
  });

  test("never throws for any value once the tick size is valid", () => {
    fc.assert(
      fc.property(tickSizes, fc.oneof(fc.anything(), fc.string()), (tickSize, value) => {
        const result = decimalToTicks({ value, tickSize });
        if (!result.ok) expectRejection(result, result.code);
      }),
      { numRuns: 3_000 },
    );
  });
});
