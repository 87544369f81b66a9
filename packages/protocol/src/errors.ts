/**
 * Rejections: how the wire layer says "no" without throwing.
 *
 * A bad value from a client is an expected outcome, so it is returned as a value with a stable code,
 * a readable message and string details. Only bugs throw (see `assert.ts`). Codes are grouped by the
 * module that produces them, so the prefix tells a reader where to look.
 */

/**
 * Codes produced while parsing a decimal string (`decimal.ts`).
 *
 * @example
 * ```ts
 * import { decimalRejectionCodes } from "@perpdex/protocol";
 * decimalRejectionCodes.includes("DECIMAL_MALFORMED"); // => true
 * ```
 */
export const decimalRejectionCodes = [
  "DECIMAL_NOT_STRING",
  "DECIMAL_EMPTY",
  "DECIMAL_MALFORMED",
  "DECIMAL_NEGATIVE",
  "DECIMAL_TOO_LONG",
  "DECIMAL_FRACTION_TOO_LONG",
] as const;

/**
 * Codes produced when a decimal string is converted to a whole number of price ticks.
 *
 * @example
 * ```ts
 * import { priceRejectionCodes } from "@perpdex/protocol";
 * priceRejectionCodes; // => ["PRICE_NOT_POSITIVE", "PRICE_OFF_TICK", "PRICE_TOO_LARGE"]
 * ```
 */
export const priceRejectionCodes = ["PRICE_NOT_POSITIVE", "PRICE_OFF_TICK", "PRICE_TOO_LARGE"] as const;

/**
 * Codes produced when a decimal string is converted to a whole number of size lots.
 *
 * @example
 * ```ts
 * import { sizeRejectionCodes } from "@perpdex/protocol";
 * sizeRejectionCodes; // => ["SIZE_NOT_POSITIVE", "SIZE_OFF_LOT", "SIZE_TOO_LARGE"]
 * ```
 */
export const sizeRejectionCodes = ["SIZE_NOT_POSITIVE", "SIZE_OFF_LOT", "SIZE_TOO_LARGE"] as const;

/**
 * Codes produced while parsing an identifier (`ids.ts`).
 *
 * @example
 * ```ts
 * import { idRejectionCodes } from "@perpdex/protocol";
 * idRejectionCodes; // => ["ID_MALFORMED"]
 * ```
 */
export const idRejectionCodes = ["ID_MALFORMED"] as const;

/**
 * A code for a bad decimal string.
 *
 * @example
 * ```ts
 * import type { DecimalRejectionCode } from "@perpdex/protocol";
 * const code: DecimalRejectionCode = "DECIMAL_EMPTY";
 * ```
 */
export type DecimalRejectionCode = (typeof decimalRejectionCodes)[number];

/**
 * A code for a price that is not a whole, in-range number of ticks.
 *
 * @example
 * ```ts
 * import type { PriceRejectionCode } from "@perpdex/protocol";
 * const code: PriceRejectionCode = "PRICE_OFF_TICK";
 * ```
 */
export type PriceRejectionCode = (typeof priceRejectionCodes)[number];

/**
 * A code for a size that is not a whole, in-range number of lots.
 *
 * @example
 * ```ts
 * import type { SizeRejectionCode } from "@perpdex/protocol";
 * const code: SizeRejectionCode = "SIZE_OFF_LOT";
 * ```
 */
export type SizeRejectionCode = (typeof sizeRejectionCodes)[number];

/**
 * A code for a bad identifier.
 *
 * @example
 * ```ts
 * import type { IdRejectionCode } from "@perpdex/protocol";
 * const code: IdRejectionCode = "ID_MALFORMED";
 * ```
 */
export type IdRejectionCode = (typeof idRejectionCodes)[number];

/**
 * Every stable code this package can return. Codes are part of the public API: renaming one breaks
 * clients that branch on it, so codes are only ever added.
 *
 * @example
 * ```ts
 * import type { RejectionCode } from "@perpdex/protocol";
 * const code: RejectionCode = "SIZE_TOO_LARGE";
 * ```
 */
export type RejectionCode = DecimalRejectionCode | PriceRejectionCode | SizeRejectionCode | IdRejectionCode;

/**
 * All codes, for documentation generators and exhaustiveness tests.
 *
 * @example
 * ```ts
 * import { rejectionCodes } from "@perpdex/protocol";
 * rejectionCodes.length; // => 13
 * ```
 */
export const rejectionCodes: readonly RejectionCode[] = [
  ...decimalRejectionCodes,
  ...priceRejectionCodes,
  ...sizeRejectionCodes,
  ...idRejectionCodes,
];

/**
 * Machine-readable context of a rejection. Values are strings so that they cross JSON unchanged
 * (decimal values are never JSON numbers).
 *
 * @example
 * ```ts
 * import type { RejectionDetails } from "@perpdex/protocol";
 * const details: RejectionDetails = { field: "price", value: "123.455" };
 * ```
 */
export type RejectionDetails = Readonly<Record<string, string>>;

/**
 * A refusal of a client's value: `ok: false`, a stable `code`, a `message` a person can act on, and
 * optional string `details`. It is assignable to
 * `{ code: string; message: string; details?: Record<string, string> }`, the API's error body.
 *
 * @example
 * ```ts
 * import { parseDecimal, type Rejection } from "@perpdex/protocol";
 * const result = parseDecimal("1e5");
 * if (!result.ok) {
 *   const rejection: Rejection = result;
 *   rejection.code; // => "DECIMAL_MALFORMED"
 * }
 * ```
 */
export type Rejection<Code extends RejectionCode = RejectionCode> = {
  readonly ok: false;
  readonly code: Code;
  readonly message: string;
  readonly details?: RejectionDetails;
};

/**
 * Builds a `Rejection`. `details` is left out of the value when not given, so that the value
 * serialises the same way whether or not a caller passed `undefined`.
 *
 * @example
 * ```ts
 * import { reject } from "@perpdex/protocol";
 * reject("ID_MALFORMED", "id must be a string", { field: "orderId" });
 * // => { ok: false, code: "ID_MALFORMED", message: "id must be a string", details: { field: "orderId" } }
 * ```
 */
export function reject<Code extends RejectionCode>(
  code: Code,
  message: string,
  details?: RejectionDetails,
): Rejection<Code> {
  if (details === undefined) {
    return { ok: false, code, message };
  }
  return { ok: false, code, message, details };
}
