// Decimal strings to whole ticks or lots, fast: every order of every request converts a price and a
// size. The protocol's decimalToTicks/decimalToLots parse the step size on every call and divide in
// bigints; this parses each step size once and takes a float-free integer path when every intermediate
// stays below 10^15 (exact in a double). Anything else — malformed, zero, off the grid, too large, too
// many digits — returns undefined, and the caller asks the protocol, whose answer (and message) is the
// reference; packages/api/test/step-parse.test.ts checks that both agree.
import { parseDecimal, priceTicksMax, sizeLotsMax } from "@perpdex/protocol";

// The protocol's decimal grammar (decimal.ts decimalPattern) without the sign, bounded to 15 digits a part.
const simpleDecimal = /^(0|[1-9][0-9]{0,14})(?:\.([0-9]{1,15}))?$/;
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
    const match = simpleDecimal.exec(text);
    if (match === null) return undefined;
    const integer = match[1]!;
    const fraction = match[2] ?? "";
    const scale = Math.max(fraction.length, this.stepScale);
    if (integer.length + scale > digitsMax) return undefined;
    const valueScaled = Number(integer + fraction) * powersOfTen[scale - fraction.length]!;
    const stepScaled = this.stepUnits * powersOfTen[scale - this.stepScale]!;
    if (!Number.isSafeInteger(stepScaled) || valueScaled <= 0 || valueScaled % stepScaled !== 0) return undefined;
    const steps = valueScaled / stepScaled;
    return steps <= this.stepsMax ? steps : undefined;
  }
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
