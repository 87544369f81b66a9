// Tick and lot rounding: a price must be a whole number of ticks and a size a whole number of lots, or
// the API refuses it (PRICE_OFF_TICK with the two nearest valid prices, SIZE_OFF_LOT). These helpers put
// a value on the grid exactly, with bigint arithmetic on the decimal digits (the protocol's codecs): no
// floating point, so "0.1 + 0.2" troubles never reach an order.
import { formatUnits, parseDecimal } from "@perpdex/protocol";
import { PerpdexRequestError } from "./errors.ts";

/**
 * How to round onto the grid: `down` (toward zero), `up` (away from zero), `nearest` (half away from
 * zero). For prices a buyer usually wants `down` and a seller `up` (never pay more than asked).
 *
 * @example
 * const mode: RoundingMode = "down";
 */
export type RoundingMode = "down" | "up" | "nearest";

/**
 * Parameters of `roundToStep`.
 *
 * @example
 * const parameters: RoundToStepParameters = { value: "123.456", step: "0.01", mode: "nearest" };
 */
export interface RoundToStepParameters {
  /** A decimal string ("123.456"); numbers are refused, they cannot carry exact decimals. */
  readonly value: string;
  /** The market's tick size or lot size ("0.01"). */
  readonly step: string;
  readonly mode?: RoundingMode;
}

/**
 * Rounds a non-negative decimal onto a step grid; the result is a canonical decimal string.
 * Throws `PerpdexRequestError` (code `DECIMAL_*`) for text that is not a decimal.
 *
 * @example
 * roundToStep({ value: "123.456", step: "0.01" }); // => "123.45" (down by default)
 * roundToStep({ value: "123.455", step: "0.01", mode: "nearest" }); // => "123.46"
 * roundToStep({ value: "7", step: "0.5", mode: "up" }); // => "7"
 */
export function roundToStep(parameters: RoundToStepParameters): string {
  const value = mustParse(parameters.value, "value");
  const step = mustParse(parameters.step, "step");
  if (step.units <= 0n) throw new PerpdexRequestError({ code: "DECIMAL_NEGATIVE", message: `step must be positive, got ${parameters.step}` });
  const scale = Math.max(value.scale, step.scale);
  const scaledValue = value.units * 10n ** BigInt(scale - value.scale);
  const scaledStep = step.units * 10n ** BigInt(scale - step.scale);
  const below = scaledValue / scaledStep;
  const rest = scaledValue % scaledStep;
  let steps = below;
  const mode = parameters.mode ?? "down";
  if (rest !== 0n && (mode === "up" || (mode === "nearest" && 2n * rest >= scaledStep))) steps += 1n;
  return formatUnits(steps * scaledStep, scale);
}

/**
 * Rounds a price onto a market's tick grid.
 *
 * @example
 * roundPrice("95000.37", { tickSize: "0.5" }, "down"); // => "95000"
 * roundPrice("95000.37", { tickSize: "0.5" }, "up"); // => "95000.5"
 */
export function roundPrice(price: string, market: { readonly tickSize: string }, mode: RoundingMode = "nearest"): string {
  return roundToStep({ value: price, step: market.tickSize, mode });
}

/**
 * Rounds a size onto a market's lot grid; `down` by default, so an order never grows.
 *
 * @example
 * roundSize("0.12345", { lotSize: "0.001" }); // => "0.123"
 */
export function roundSize(size: string, market: { readonly lotSize: string }, mode: RoundingMode = "down"): string {
  return roundToStep({ value: size, step: market.lotSize, mode });
}

/**
 * Whether a decimal lies exactly on a step grid.
 *
 * @example
 * isOnStep("123.45", "0.01"); // => true
 * isOnStep("123.455", "0.01"); // => false
 */
export function isOnStep(value: string, step: string): boolean {
  return roundToStep({ value, step, mode: "down" }) === roundToStep({ value, step, mode: "up" });
}

function mustParse(text: string, field: string): { units: bigint; scale: number } {
  const parsed = parseDecimal(text, { field });
  if (!parsed.ok) throw new PerpdexRequestError({ code: parsed.code, message: parsed.message, ...(parsed.details === undefined ? {} : { details: parsed.details }) });
  return parsed;
}
