/**
 * Exact decimal-string codecs.
 *
 * Decimal values cross the API as strings ("123.45"), never as JSON numbers, because a binary float
 * cannot hold 0.1 exactly and two machines may round it differently. Everything here is `bigint`
 * arithmetic on digit strings: no `parseFloat`, no `Number` on a fraction, so the same text gives the
 * same integers everywhere.
 *
 * Accepted grammar (the JSON number grammar without exponent):
 *   `-?(0|[1-9][0-9]*)(\.[0-9]+)?`, at most `decimalDigitsMax` digits (see there).
 * Trailing zeros in the fraction are accepted ("1.50") because they do not change the value.
 *
 * Canonical output (`formatUnits`, `ticksToDecimal`, `lotsToDecimal`) is the minimal representation:
 * no trailing zeros in the fraction, no "." when the fraction is empty, "0" for zero, never "-0".
 * Examples: "123.4", "100", "0.001". Every canonical string is accepted by the parser.
 */
import { assert, fail } from "./assert.ts";
import {
  reject,
  type DecimalRejectionCode,
  type PriceRejectionCode,
  type Rejection,
  type SizeRejectionCode,
} from "./errors.ts";

/**
 * The most digits a decimal string may carry, integer and fraction together, not counting the lone
 * "0" before the point of a value below one (so "0." followed by 40 digits is accepted, and every
 * parsed `units` is below 10^40 in magnitude). 40 digits hold any 18-decimal token amount up to
 * 10^22 whole tokens, far above any balance, while bounding the work (and the bigint sizes) one
 * hostile string can cause.
 *
 * @example
 * ```ts
 * import { decimalDigitsMax, parseDecimal } from "@perpdex/protocol";
 * parseDecimal("1".repeat(decimalDigitsMax + 1)).ok; // => false
 * ```
 */
export const decimalDigitsMax = 40;

/**
 * The most ticks a price may have. The core stores prices as 32-bit signed integers of ticks.
 *
 * @example
 * ```ts
 * import { priceTicksMax, ticksToDecimal } from "@perpdex/protocol";
 * ticksToDecimal({ ticks: priceTicksMax, tickSize: "0.01" }); // => "21474836.47"
 * ```
 */
export const priceTicksMax = 2_147_483_647;

/**
 * The most lots a size may have. The core stores sizes as 32-bit signed integers of lots.
 *
 * @example
 * ```ts
 * import { lotsToDecimal, sizeLotsMax } from "@perpdex/protocol";
 * lotsToDecimal({ lots: sizeLotsMax, lotSize: "0.001" }); // => "2147483.647"
 * ```
 */
export const sizeLotsMax = 2_147_483_647;

// The longest text that can still hold `decimalDigitsMax` counted digits: a sign, a lone "0", a point
// and the digits. Checked before the pattern so that a megabyte of garbage is refused unscanned.
const decimalLengthMax = decimalDigitsMax + 3;

// How much of a bad value a message quotes back, so that a huge payload does not become a huge error.
const quotedLengthMax = 48;

const decimalPattern = /^(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;

/**
 * Options for `parseDecimal` and `parseUnits`.
 * - `negativeAllowed`: accept a leading "-" (default false: most wire values are prices, sizes and
 *   amounts, which are never negative).
 * - `field`: the request field's name, used in messages and `details.field`.
 *
 * @example
 * ```ts
 * import { parseDecimal, type ParseDecimalOptions } from "@perpdex/protocol";
 * const options: ParseDecimalOptions = { negativeAllowed: true, field: "pnl" };
 * parseDecimal("-1.5", options); // => { ok: true, units: -15n, scale: 1 }
 * ```
 */
export type ParseDecimalOptions = {
  readonly negativeAllowed?: boolean;
  readonly field?: string;
};

/**
 * An accepted decimal: its value is `units / 10^scale`, where `scale` is the number of fraction
 * digits as written ("1.50" gives units 150n, scale 2).
 *
 * @example
 * ```ts
 * import { parseDecimal, type ParsedDecimal } from "@perpdex/protocol";
 * const result = parseDecimal("123.45");
 * if (result.ok) {
 *   const parsed: ParsedDecimal = result; // { ok: true, units: 12345n, scale: 2 }
 * }
 * ```
 */
export type ParsedDecimal = { readonly ok: true; readonly units: bigint; readonly scale: number };

/**
 * What `parseDecimal` returns.
 *
 * @example
 * ```ts
 * import { parseDecimal, type ParseDecimalResult } from "@perpdex/protocol";
 * const result: ParseDecimalResult = parseDecimal("+1");
 * result.ok; // => false
 * ```
 */
export type ParseDecimalResult = ParsedDecimal | Rejection<DecimalRejectionCode>;

/**
 * Parses a decimal string exactly. Never throws: anything that is not a string in the accepted
 * grammar (see the module comment) comes back as a `Rejection` saying what is wrong with it.
 *
 * @example
 * ```ts
 * import { parseDecimal } from "@perpdex/protocol";
 * parseDecimal("123.45"); // => { ok: true, units: 12345n, scale: 2 }
 * parseDecimal("1e5").ok; // => false, code "DECIMAL_MALFORMED"
 * parseDecimal(1.5).ok; // => false, code "DECIMAL_NOT_STRING"
 * parseDecimal("-2", { negativeAllowed: true }); // => { ok: true, units: -2n, scale: 0 }
 * ```
 */
export function parseDecimal(text: unknown, options: ParseDecimalOptions = {}): ParseDecimalResult {
  const field = options.field ?? "value";
  if (typeof text !== "string") {
    return reject(
      "DECIMAL_NOT_STRING",
      `${field} must be a decimal string such as "123.45", not ${describeType(text)}`,
      { field, type: typeName(text) },
    );
  }
  if (text.length === 0) {
    return reject("DECIMAL_EMPTY", `${field} must not be empty; send a decimal string such as "123.45"`, {
      field,
    });
  }
  if (text.length > decimalLengthMax) {
    return rejectTooLong(field, text, `${text.length} characters`);
  }
  const match = decimalPattern.exec(text);
  if (match === null) {
    return reject(
      "DECIMAL_MALFORMED",
      `${field} ${quote(text)} is not a decimal string: ${describeMalformed(text)}`,
      { field, value: excerpt(text) },
    );
  }
  const negative = match[1] === "-";
  const integerDigits = match[2] ?? fail("the pattern always captures integer digits");
  const fractionDigits = match[3] ?? "";
  if (negative && options.negativeAllowed !== true) {
    return reject("DECIMAL_NEGATIVE", `${field} ${text} must not be negative`, { field, value: text });
  }
  // A lone "0" before the point carries no value, so "0.001" counts as three digits, not four.
  const digitCount = (integerDigits === "0" ? 0 : integerDigits.length) + fractionDigits.length;
  if (digitCount > decimalDigitsMax) {
    return rejectTooLong(field, text, `${digitCount} digits`);
  }
  // BigInt of a pure digit string is exact; the point is carried by `scale` instead.
  const magnitude = BigInt(integerDigits + fractionDigits);
  return { ok: true, units: negative ? -magnitude : magnitude, scale: fractionDigits.length };
}

function rejectTooLong(field: string, text: string, measured: string): Rejection<"DECIMAL_TOO_LONG"> {
  return reject(
    "DECIMAL_TOO_LONG",
    `${field} ${quote(text)} has ${measured}; a decimal has at most ${decimalDigitsMax} digits`,
    { field, value: excerpt(text), digitsMax: String(decimalDigitsMax) },
  );
}

// Names the first rule a malformed string breaks, in the order a person would fix them.
function describeMalformed(text: string): string {
  if (/\s/.test(text)) {
    return "it contains whitespace";
  }
  if (/^[-+]?[0-9.]*[eE][-+]?[0-9]*$/.test(text)) {
    return "exponent notation is not accepted; write all the digits out";
  }
  if (text.startsWith("+")) {
    return 'a leading "+" is not accepted; positive values have no sign';
  }
  if (text.includes(",")) {
    return 'separators such as "," are not accepted; the decimal point is "."';
  }
  if (/^-?\./.test(text)) {
    return 'a digit is needed before the decimal point, as in "0.5"';
  }
  if (text.endsWith(".")) {
    return 'digits are needed after the decimal point, as in "1.5"';
  }
  if (/^-?0[0-9]/.test(text)) {
    return "leading zeros are not accepted";
  }
  return 'only an optional "-", digits and one "." are accepted, as in "123.45"';
}

// The JSON type of a value, as a client would name it.
function typeName(value: unknown): string {
  if (value === null) {
    return "null";
  }
  return Array.isArray(value) ? "array" : typeof value;
}

function describeType(value: unknown): string {
  if (typeof value === "number") {
    // The common mistake, and the reason strings are required, so the message says it.
    return "a JSON number (numbers lose precision)";
  }
  return `a value of type ${typeName(value)}`;
}

function excerpt(text: string): string {
  return text.length <= quotedLengthMax ? text : `${text.slice(0, quotedLengthMax)}…`;
}

function quote(text: string): string {
  return JSON.stringify(excerpt(text));
}

/**
 * Formats an integer amount of smallest units as a canonical decimal string with `decimals`
 * fraction digits at most (trailing zeros dropped). `decimals` must be an integer in
 * 0..`decimalDigitsMax`; anything else is a bug in the caller and throws.
 *
 * @example
 * ```ts
 * import { formatUnits } from "@perpdex/protocol";
 * formatUnits(1_500_000n, 6); // => "1.5"
 * formatUnits(-42n, 18); // => "-0.000000000000000042"
 * formatUnits(100n, 0); // => "100"
 * ```
 */
export function formatUnits(units: bigint, decimals: number): string {
  assertDecimals(decimals);
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(decimals + 1, "0");
  const integerDigits = digits.slice(0, digits.length - decimals);
  const fractionDigits = digits.slice(digits.length - decimals).replace(/0+$/, "");
  const body = fractionDigits === "" ? integerDigits : `${integerDigits}.${fractionDigits}`;
  return negative ? `-${body}` : body;
}

/**
 * What `parseUnits` returns: the amount in smallest units, or why the text was refused.
 *
 * @example
 * ```ts
 * import { parseUnits, type ParseUnitsResult } from "@perpdex/protocol";
 * const result: ParseUnitsResult = parseUnits("2.5", 6); // { ok: true, units: 2_500_000n }
 * ```
 */
export type ParseUnitsResult = { readonly ok: true; readonly units: bigint } | Rejection<DecimalRejectionCode>;

/**
 * Parses a money amount into an integer of smallest units (collateral has 6 or 18 decimals).
 * The value must be exact in `decimals` places: "1.1234567" with 6 decimals is refused with
 * `DECIMAL_FRACTION_TOO_LONG` rather than rounded, because rounding someone's money silently is
 * never right. Trailing zeros past `decimals` ("1.50000000", 6) are accepted: they change nothing.
 * Negative amounts need `{ negativeAllowed: true }`.
 *
 * @example
 * ```ts
 * import { parseUnits } from "@perpdex/protocol";
 * parseUnits("1.5", 6); // => { ok: true, units: 1_500_000n }
 * parseUnits("0.0000001", 6).ok; // => false, code "DECIMAL_FRACTION_TOO_LONG"
 * ```
 */
export function parseUnits(text: unknown, decimals: number, options: ParseDecimalOptions = {}): ParseUnitsResult {
  assertDecimals(decimals);
  const field = options.field ?? "amount";
  const parsed = parseDecimal(text, { ...options, field });
  if (!parsed.ok) {
    return parsed;
  }
  if (parsed.scale <= decimals) {
    return { ok: true, units: parsed.units * 10n ** BigInt(decimals - parsed.scale) };
  }
  assert(typeof text === "string", "parseDecimal accepts strings only");
  const divisor = 10n ** BigInt(parsed.scale - decimals);
  if (parsed.units % divisor !== 0n) {
    return reject(
      "DECIMAL_FRACTION_TOO_LONG",
      `${field} ${text} has more than ${decimals} digits after the decimal point; at most ${decimals} are accepted`,
      { field, value: text, decimals: String(decimals) },
    );
  }
  return { ok: true, units: parsed.units / divisor };
}

function assertDecimals(decimals: number): void {
  assert(Number.isInteger(decimals), "decimals must be an integer");
  assert(decimals >= 0, "decimals must not be negative");
  assert(decimals <= decimalDigitsMax, "decimals must not exceed decimalDigitsMax");
}

/**
 * Parameters of `decimalToTicks`. `tickSize` is the market's configured tick, itself a decimal
 * string ("0.01", "0.5", "25"); `field` names the request field in messages (default "price").
 *
 * @example
 * ```ts
 * import type { DecimalToTicksParameters } from "@perpdex/protocol";
 * const parameters: DecimalToTicksParameters = { value: "123.45", tickSize: "0.01", field: "triggerPrice" };
 * ```
 */
export type DecimalToTicksParameters = {
  readonly value: unknown;
  readonly tickSize: string;
  readonly field?: string;
};

/**
 * What `decimalToTicks` returns. `ticks` is in 1..`priceTicksMax`.
 *
 * @example
 * ```ts
 * import { decimalToTicks, type DecimalToTicksResult } from "@perpdex/protocol";
 * const result: DecimalToTicksResult = decimalToTicks({ value: "123.45", tickSize: "0.01" });
 * ```
 */
export type DecimalToTicksResult =
  | { readonly ok: true; readonly ticks: number }
  | Rejection<DecimalRejectionCode | PriceRejectionCode>;

/**
 * Converts a price string to a whole number of ticks. Refuses, as values:
 * a malformed string (`DECIMAL_*`), a price ≤ 0 (`PRICE_NOT_POSITIVE`), a price above
 * `priceTicksMax` ticks (`PRICE_TOO_LARGE`, saying the maximum), and a price between two ticks
 * (`PRICE_OFF_TICK`, with `details.nearestBelow` and `details.nearestAbove`; `nearestBelow` is left
 * out when the price is below the first tick, since 0 is not a valid price).
 * A malformed or non-positive `tickSize` is a configuration bug and throws.
 *
 * @example
 * ```ts
 * import { decimalToTicks } from "@perpdex/protocol";
 * decimalToTicks({ value: "123.45", tickSize: "0.01" }); // => { ok: true, ticks: 12345 }
 * decimalToTicks({ value: "123.455", tickSize: "0.01" });
 * // => { ok: false, code: "PRICE_OFF_TICK",
 * //      message: "price 123.455 is not a multiple of the tick size 0.01; nearest valid prices are 123.45 and 123.46",
 * //      details: { field: "price", value: "123.455", tickSize: "0.01", nearestBelow: "123.45", nearestAbove: "123.46" } }
 * ```
 */
export function decimalToTicks(parameters: DecimalToTicksParameters): DecimalToTicksResult {
  const result = decimalToSteps(parameters.value, parameters.tickSize, parameters.field, priceQuantity);
  return result.ok ? { ok: true, ticks: result.steps } : result;
}

/**
 * Parameters of `decimalToLots`. `lotSize` is the market's configured lot, a decimal string
 * ("0.001", "1"); `field` names the request field in messages (default "size").
 *
 * @example
 * ```ts
 * import type { DecimalToLotsParameters } from "@perpdex/protocol";
 * const parameters: DecimalToLotsParameters = { value: "1.5", lotSize: "0.1" };
 * ```
 */
export type DecimalToLotsParameters = {
  readonly value: unknown;
  readonly lotSize: string;
  readonly field?: string;
};

/**
 * What `decimalToLots` returns. `lots` is in 1..`sizeLotsMax`.
 *
 * @example
 * ```ts
 * import { decimalToLots, type DecimalToLotsResult } from "@perpdex/protocol";
 * const result: DecimalToLotsResult = decimalToLots({ value: "1.5", lotSize: "0.1" });
 * ```
 */
export type DecimalToLotsResult =
  | { readonly ok: true; readonly lots: number }
  | Rejection<DecimalRejectionCode | SizeRejectionCode>;

/**
 * Converts a size string to a whole number of lots; the size twin of `decimalToTicks`, with codes
 * `SIZE_NOT_POSITIVE`, `SIZE_TOO_LARGE` (above `sizeLotsMax` lots) and `SIZE_OFF_LOT`.
 * A malformed or non-positive `lotSize` is a configuration bug and throws.
 *
 * @example
 * ```ts
 * import { decimalToLots } from "@perpdex/protocol";
 * decimalToLots({ value: "1.5", lotSize: "0.1" }); // => { ok: true, lots: 15 }
 * decimalToLots({ value: "1.55", lotSize: "0.1" }).ok;
 * // => false, code "SIZE_OFF_LOT", "...; nearest valid sizes are 1.5 and 1.6"
 * ```
 */
export function decimalToLots(parameters: DecimalToLotsParameters): DecimalToLotsResult {
  const result = decimalToSteps(parameters.value, parameters.lotSize, parameters.field, sizeQuantity);
  return result.ok ? { ok: true, lots: result.steps } : result;
}

/**
 * Parameters of `ticksToDecimal`: a whole number of ticks (a safe integer or a bigint, so that sums
 * such as open interest can be formatted too) and the market's tick size.
 *
 * @example
 * ```ts
 * import type { TicksToDecimalParameters } from "@perpdex/protocol";
 * const parameters: TicksToDecimalParameters = { ticks: 12345, tickSize: "0.01" };
 * ```
 */
export type TicksToDecimalParameters = { readonly ticks: number | bigint; readonly tickSize: string };

/**
 * Formats ticks as a canonical price string (`ticks × tickSize`, minimal representation). Exact
 * inverse of `decimalToTicks` for every tick count in 1..`priceTicksMax`.
 *
 * @example
 * ```ts
 * import { ticksToDecimal } from "@perpdex/protocol";
 * ticksToDecimal({ ticks: 12340, tickSize: "0.01" }); // => "123.4"
 * ticksToDecimal({ ticks: 4, tickSize: "25" }); // => "100"
 * ```
 */
export function ticksToDecimal(parameters: TicksToDecimalParameters): string {
  return stepsToDecimal(parameters.ticks, parameters.tickSize, priceQuantity);
}

/**
 * Parameters of `lotsToDecimal`: a whole number of lots and the market's lot size.
 *
 * @example
 * ```ts
 * import type { LotsToDecimalParameters } from "@perpdex/protocol";
 * const parameters: LotsToDecimalParameters = { lots: 15, lotSize: "0.1" };
 * ```
 */
export type LotsToDecimalParameters = { readonly lots: number | bigint; readonly lotSize: string };

/**
 * Formats lots as a canonical size string (`lots × lotSize`, minimal representation). Exact inverse
 * of `decimalToLots` for every lot count in 1..`sizeLotsMax`.
 *
 * @example
 * ```ts
 * import { lotsToDecimal } from "@perpdex/protocol";
 * lotsToDecimal({ lots: 1, lotSize: "0.001" }); // => "0.001"
 * lotsToDecimal({ lots: 15, lotSize: "0.1" }); // => "1.5"
 * ```
 */
export function lotsToDecimal(parameters: LotsToDecimalParameters): string {
  return stepsToDecimal(parameters.lots, parameters.lotSize, sizeQuantity);
}

// Prices and sizes share one algorithm ("a positive whole number of steps, bounded"); this table
// holds every word and code in which they differ, so the two cannot drift apart.
type StepQuantity<Code extends PriceRejectionCode | SizeRejectionCode> = {
  readonly singular: string;
  readonly plural: string;
  readonly stepName: string;
  readonly stepKey: string;
  readonly stepsName: string;
  readonly stepsMax: number;
  readonly notPositiveCode: Code;
  readonly offStepCode: Code;
  readonly tooLargeCode: Code;
};

const priceQuantity: StepQuantity<PriceRejectionCode> = {
  singular: "price",
  plural: "prices",
  stepName: "tick size",
  stepKey: "tickSize",
  stepsName: "ticks",
  stepsMax: priceTicksMax,
  notPositiveCode: "PRICE_NOT_POSITIVE",
  offStepCode: "PRICE_OFF_TICK",
  tooLargeCode: "PRICE_TOO_LARGE",
};

const sizeQuantity: StepQuantity<SizeRejectionCode> = {
  singular: "size",
  plural: "sizes",
  stepName: "lot size",
  stepKey: "lotSize",
  stepsName: "lots",
  stepsMax: sizeLotsMax,
  notPositiveCode: "SIZE_NOT_POSITIVE",
  offStepCode: "SIZE_OFF_LOT",
  tooLargeCode: "SIZE_TOO_LARGE",
};

type StepsResult<Code extends PriceRejectionCode | SizeRejectionCode> =
  | { readonly ok: true; readonly steps: number }
  | Rejection<DecimalRejectionCode | Code>;

// What an off-step or too-large rejection needs to describe itself, computed once.
type StepContext = {
  readonly field: string;
  readonly text: string;
  readonly stepText: string;
  readonly scale: number;
  readonly stepScaled: bigint;
};

function decimalToSteps<Code extends PriceRejectionCode | SizeRejectionCode>(
  value: unknown,
  stepSize: string,
  fieldGiven: string | undefined,
  quantity: StepQuantity<Code>,
): StepsResult<Code> {
  const step = mustParseStepSize(stepSize, quantity);
  const field = fieldGiven ?? quantity.singular;
  // Negatives parse here so that "-1" is answered with "must be greater than 0", not a syntax error.
  const parsed = parseDecimal(value, { negativeAllowed: true, field });
  if (!parsed.ok) {
    return parsed;
  }
  assert(typeof value === "string", "parseDecimal accepts strings only");
  if (parsed.units <= 0n) {
    return reject(quantity.notPositiveCode, `${field} must be greater than 0; got ${value}`, { field, value });
  }
  // Bring value and step to one scale: value/step = valueScaled/stepScaled, both integers.
  const scale = Math.max(parsed.scale, step.scale);
  const valueScaled = parsed.units * 10n ** BigInt(scale - parsed.scale);
  const stepScaled = step.units * 10n ** BigInt(scale - step.scale);
  const context: StepContext = { field, text: value, stepText: formatUnits(step.units, step.scale), scale, stepScaled };
  // valueScaled ≤ 10^80 and stepScaled × stepsMax < 10^50: bigint, far past 2^53.
  if (valueScaled > stepScaled * BigInt(quantity.stepsMax)) {
    return rejectTooLarge(context, quantity);
  }
  const stepsBelow = valueScaled / stepScaled;
  if (valueScaled % stepScaled !== 0n) {
    return rejectOffStep(context, stepsBelow, quantity);
  }
  assert(stepsBelow >= 1n, "a positive multiple of a positive step is at least one step");
  return { ok: true, steps: Number(stepsBelow) };
}

function rejectTooLarge<Code extends PriceRejectionCode | SizeRejectionCode>(
  context: StepContext,
  quantity: StepQuantity<Code>,
): Rejection<Code> {
  const maximum = formatUnits(context.stepScaled * BigInt(quantity.stepsMax), context.scale);
  return reject(
    quantity.tooLargeCode,
    `${context.field} ${context.text} is above the maximum ${quantity.singular} ${maximum} ` +
      `(${quantity.stepsMax} ${quantity.stepsName} of ${context.stepText})`,
    {
      field: context.field,
      value: context.text,
      [quantity.stepKey]: context.stepText,
      maximum,
      [`${quantity.stepsName}Max`]: String(quantity.stepsMax),
    },
  );
}

function rejectOffStep<Code extends PriceRejectionCode | SizeRejectionCode>(
  context: StepContext,
  stepsBelow: bigint,
  quantity: StepQuantity<Code>,
): Rejection<Code> {
  // Too-large values were refused first, so stepsBelow < stepsMax and the step above is valid.
  assert(stepsBelow < BigInt(quantity.stepsMax), "an in-range value has a valid step above it");
  const nearestAbove = formatUnits((stepsBelow + 1n) * context.stepScaled, context.scale);
  const prefix = `${context.field} ${context.text} is not a multiple of the ${quantity.stepName} ${context.stepText}`;
  const details = { field: context.field, value: context.text, [quantity.stepKey]: context.stepText };
  if (stepsBelow === 0n) {
    // Zero is not a valid price or size, so only the first step is offered.
    return reject(quantity.offStepCode, `${prefix}; the nearest valid ${quantity.singular} is ${nearestAbove}`, {
      ...details,
      nearestAbove,
    });
  }
  const nearestBelow = formatUnits(stepsBelow * context.stepScaled, context.scale);
  return reject(
    quantity.offStepCode,
    `${prefix}; nearest valid ${quantity.plural} are ${nearestBelow} and ${nearestAbove}`,
    { ...details, nearestBelow, nearestAbove },
  );
}

function stepsToDecimal<Code extends PriceRejectionCode | SizeRejectionCode>(
  steps: number | bigint,
  stepSize: string,
  quantity: StepQuantity<Code>,
): string {
  const step = mustParseStepSize(stepSize, quantity);
  if (typeof steps === "number") {
    assert(Number.isSafeInteger(steps), "a step count must be a safe integer");
  }
  return formatUnits(BigInt(steps) * step.units, step.scale);
}

function mustParseStepSize<Code extends PriceRejectionCode | SizeRejectionCode>(
  stepSize: string,
  quantity: StepQuantity<Code>,
): ParsedDecimal {
  const parsed = parseDecimal(stepSize, { field: quantity.stepName });
  if (!parsed.ok) {
    fail(`invalid ${quantity.stepName} in market configuration: ${parsed.message}`);
  }
  if (parsed.units <= 0n) {
    fail(`${quantity.stepName} must be greater than 0; got ${stepSize}`);
  }
  return parsed;
}
