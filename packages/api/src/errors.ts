// Every error the API returns: an HTTP status, a stable code, a message that says what would be valid,
// optional string details, and (added when sent) the request's correlation id. Core rejections keep
// their codes; the API adds its own (authentication, validation, rate limits, routing).
import type { RejectCode, Rejection } from "@perpdex/core";
import type { RejectionCode } from "@perpdex/protocol";

/** The codes the API itself produces (the core's `RejectCode`s pass through unchanged). */
export const apiErrorCodes = [
  "REQUEST_INVALID",
  "BODY_TOO_LARGE",
  "JSON_MALFORMED",
  "NOT_FOUND",
  "METHOD_NOT_ALLOWED",
  "SIGNATURE_INVALID",
  "SIGNATURE_MALFORMED",
  "NONCE_OUTSIDE_WINDOW",
  "NONCE_REUSED",
  "AGENT_NOT_APPROVED",
  "RATE_LIMITED",
  "NODE_BUSY",
  "NODE_UNAVAILABLE",
  "INTERNAL",
  "PRICE_OFF_TICK",
  "SIZE_OFF_LOT",
  "SIZE_TOO_LARGE",
  "DECIMAL_MALFORMED",
  "ID_MALFORMED",
] as const;
export type ApiErrorCode = (typeof apiErrorCodes)[number];

/** Any code an error body may carry: the API's, the core's, and the protocol's value codes. */
export type ApiCode = ApiErrorCode | RejectCode | RejectionCode;

/** The wire body of every error (SPEC 18 §7.2 adds its rate-limit fields to it). */
export interface ErrorBody {
  readonly error: string;
  readonly code: string;
  readonly message: string;
  readonly details?: Readonly<Record<string, string>>;
  readonly correlationId: string;
}

/** Thrown by handlers; the server's error handler turns it into an ErrorBody with its status. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly status: number;
  readonly code: ApiCode;
  readonly details: Readonly<Record<string, string>> | undefined;
  /** Extra top-level body fields (the SPEC's 429 body: limit, window, retry_after). */
  readonly extra: Readonly<Record<string, unknown>> | undefined;
  readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(parameters: {
    status: number;
    code: ApiCode;
    message: string;
    details?: Readonly<Record<string, string>>;
    extra?: Readonly<Record<string, unknown>>;
    headers?: Readonly<Record<string, string>>;
  }) {
    super(parameters.message);
    this.status = parameters.status;
    this.code = parameters.code;
    this.details = parameters.details;
    this.extra = parameters.extra;
    this.headers = parameters.headers;
  }

  /** The body to send, with the request's correlation id. */
  body(correlationId: string): ErrorBody & Record<string, unknown> {
    return {
      error: this.code,
      code: this.code,
      message: this.message,
      ...(this.details === undefined ? {} : { details: this.details }),
      ...this.extra,
      correlationId,
    };
  }
}

/** A 400 with a code and message (a value that the API refused before the node saw it). */
export function badRequest(code: ApiCode, message: string, details?: Readonly<Record<string, string>>): ApiError {
  return new ApiError({ status: 400, code, message, ...(details === undefined ? {} : { details }) });
}

// Codes the core returns for things that are not there: 404; everything else it refuses: 422
// (well-formed but refused by the exchange's rules); a state conflict: 409.
const notFoundCodes: ReadonlySet<string> = new Set(["MARKET_NOT_FOUND", "ORDER_NOT_FOUND", "ACCOUNT_NOT_FOUND"]);
const conflictCodes: ReadonlySet<string> = new Set(["ORDER_CLIENT_ID_DUPLICATE", "ACCOUNT_NOT_ACTIVE", "MARKET_EXISTS"]);

/** The HTTP status of a core rejection. */
export function statusOfRejection(code: RejectCode): number {
  if (notFoundCodes.has(code)) return 404;
  if (conflictCodes.has(code)) return 409;
  return 422;
}

/** A core Rejection as an ApiError. */
export function rejectionError(rejection: Rejection): ApiError {
  return new ApiError({
    status: statusOfRejection(rejection.code),
    code: rejection.code,
    message: rejection.message,
    ...(rejection.details === undefined ? {} : { details: rejection.details }),
  });
}
