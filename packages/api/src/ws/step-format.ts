// Formats whole numbers of ticks or lots as canonical decimal strings, fast: the book channel formats
// every changed level and the checksum's top levels on every update. The protocol's `ticksToDecimal`
// (bigint arithmetic) is exact for any input; this takes a float-free integer path when the product
// stays a safe integer and falls back to the protocol otherwise, so its output is identical
// (packages/api/test/ws-book.test.ts compares the two).
import { formatUnits, parseDecimal } from "@perpdex/protocol";

/**
 * Formats steps (ticks or lots) of one step size.
 *
 * @example
 * const price = new StepFormatter("0.01");
 * price.format(12_345); // => "123.45"
 */
export class StepFormatter {
  private readonly stepUnits: number;
  private readonly scale: number;
  private readonly stepUnitsBig: bigint;

  constructor(readonly stepSize: string) {
    const parsed = parseDecimal(stepSize);
    if (!parsed.ok || parsed.units <= 0n) throw new Error(`step size ${stepSize} is not a positive decimal`);
    this.stepUnitsBig = parsed.units;
    this.stepUnits = Number(parsed.units);
    this.scale = parsed.scale;
  }

  /** `steps` × step size as the minimal decimal string ("0" for zero). */
  format(steps: number): string {
    const units = steps * this.stepUnits;
    if (!Number.isSafeInteger(units) || !Number.isSafeInteger(this.stepUnits)) {
      return formatUnits(BigInt(steps) * this.stepUnitsBig, this.scale);
    }
    if (this.scale === 0) return String(units);
    const negative = units < 0;
    const digits = String(negative ? -units : units).padStart(this.scale + 1, "0");
    const integer = digits.slice(0, digits.length - this.scale);
    let end = digits.length;
    while (end > integer.length && digits.charCodeAt(end - 1) === 48) end -= 1;
    const body = end === integer.length ? integer : `${integer}.${digits.slice(integer.length, end)}`;
    return negative ? `-${body}` : body;
  }
}
