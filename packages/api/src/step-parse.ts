// Decimal strings to whole ticks or lots, fast: every order of every request converts a price and a
// size. The protocol's decimalToTicks/decimalToLots parse the step size on every call and divide in
// bigints; this parses each step size once and takes a float-free integer path when every intermediate
// stays below 10^15 (exact in a double). Anything else — malformed, zero, off the grid, too large, too
// many digits — returns undefined, and the caller asks the protocol, whose answer (and message) is the
// reference; packages/api/test/step-parse.test.ts checks that both agree.
import { parseDecimal, priceTicksMax, sizeLotsMax } from "@perpdex/protocol";

// The grammar steps() accepts: the protocol's decimal grammar (decimal.ts decimalPattern) without the
// sign, bounded to 15 digits a part, /^(0|[1-9][0-9]{0,14})(?:\.([0-9]{1,15}))?$/ (digitsOf reads it).
const powersOfTen = Array.from({ length: 16 }, (_unused, exponent) => 10 ** exponent);
const digitsMax = 15;

/**
 * Converts decimal strings to whole steps of one step size (a tick or a lot).
 *
 * @example
 * const ticks = new StepParser("0.5", 2_147_483_647);
 * ticks.steps("95000.5"); // => 190001
 * ticks.steps("95000.25"); // => undefined: off the grid, ask decimalToTicks for the rejection
 */
export class StepParser {
  private readonly stepUnits: number;
  private readonly stepScale: number;

  constructor(
    readonly stepSize: string,
    private readonly stepsMax: number,
  ) {
    const parsed = parseDecimal(stepSize);
    if (!parsed.ok || parsed.units <= 0n) throw new Error(`step size ${stepSize} is not a positive decimal`);
    // An unsafe step (never configured) makes every call fall back to the protocol.
    this.stepUnits = parsed.units <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(parsed.units) : Number.NaN;
    this.stepScale = parsed.scale;
  }

  /** The whole number of steps in `text` (1..stepsMax), or undefined when the exact path must decide. */
  steps(text: unknown): number | undefined {
    if (typeof text !== "string") return undefined;
    const digits = digitsOf(text);
    if (digits < 0) return undefined;
    const fractionLength = fractionLengthOf(text);
    const scale = Math.max(fractionLength, this.stepScale);
    const integerLength = fractionLength === 0 ? text.length : text.length - fractionLength - 1;
    if (integerLength + scale > digitsMax) return undefined;
    const valueScaled = digits * powersOfTen[scale - fractionLength]!;
    const stepScaled = this.stepUnits * powersOfTen[scale - this.stepScale]!;
    if (!Number.isSafeInteger(stepScaled) || valueScaled <= 0 || valueScaled % stepScaled !== 0) return undefined;
    const steps = valueScaled / stepScaled;
    return steps <= this.stepsMax ? steps : undefined;
  }
}

// `simpleDecimal` read character by character, without a match array or substrings (two per order, every
// order): the integer and fraction digits as one whole number, or -1 when `text` does not match. At most
// 15 digits a part, so the number stays exact only while integer and fraction together have at most 15
// digits; steps() declines every longer text before it uses the number.
function digitsOf(text: string): number {
  const length = text.length;
  const first = text.charCodeAt(0);
  if (!(first >= 48 && first <= 57)) return -1;
  let digits = first - 48;
  let index = 1;
  // A leading zero is the whole integer part ("0" or "0.…"); otherwise up to 15 digits.
  if (first !== 48) {
    for (; index < length && index < digitsMax; index += 1) {
      const code = text.charCodeAt(index);
      if (code < 48 || code > 57) break;
      digits = digits * 10 + (code - 48);
    }
  }
  if (index === length) return digits;
  if (text.charCodeAt(index) !== 46) return -1;
  const fractionStart = index + 1;
  if (fractionStart === length || length - fractionStart > digitsMax) return -1;
  for (index = fractionStart; index < length; index += 1) {
    const code = text.charCodeAt(index);
    if (code < 48 || code > 57) return -1;
    digits = digits * 10 + (code - 48);
  }
  return digits;
}

// The number of fraction digits of a text digitsOf accepted (0 without a point).
function fractionLengthOf(text: string): number {
  const point = text.indexOf(".");
  return point === -1 ? 0 : text.length - point - 1;
}

const tickParsers = new Map<string, StepParser>();
const lotParsers = new Map<string, StepParser>();

/** The (cached) parser of a tick size; step sizes are market constants, so the cache stays small. */
export function tickParserOf(tickSize: string): StepParser {
  let parser = tickParsers.get(tickSize);
  if (parser === undefined) {
    parser = new StepParser(tickSize, priceTicksMax);
    tickParsers.set(tickSize, parser);
  }
  return parser;
}

/** The (cached) parser of a lot size. */
export function lotParserOf(lotSize: string): StepParser {
  let parser = lotParsers.get(lotSize);
  if (parser === undefined) {
    parser = new StepParser(lotSize, sizeLotsMax);
    lotParsers.set(lotSize, parser);
  }
  return parser;
}
