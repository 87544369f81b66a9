// Errors the SDK throws: one base class carrying the API's stable code, a short message, the details and
// the request's correlation id (viem's errors/base.ts pattern), and one subclass per kind of trouble so a
// caller can `instanceof` what it handles and let the rest propagate.

// Where the codes are explained (the repository's API reference; the server also serves /docs).
const docsPath = "packages/api/docs/api.md";

/**
 * The base of every SDK error. `code` is the API's stable code (e.g. "PRICE_OFF_TICK",
 * "MARGIN_INSUFFICIENT", "NONCE_REUSED", "WS_SLOW_CONSUMER"); branch on it, not on the message.
 *
 * @example
 * try {
 *   await client.placeOrder({ market: "BTC-PERP", side: "buy", orderType: "limit", price: "1.5", size: "1" });
 * } catch (error) {
 *   if (error instanceof PerpdexError) console.log(error.code, error.details);
 * }
 */
export class PerpdexError extends Error {
  override name = "PerpdexError";
  readonly code: string;
  /** The HTTP status (0 when no HTTP answer was involved). */
  readonly status: number;
  readonly details: Readonly<Record<string, string>>;
  readonly correlationId: string | null;
  /** Where the error codes are documented. */
  readonly docsUrl: string;

  constructor(parameters: { code: string; message: string; status?: number; details?: Readonly<Record<string, string>>; correlationId?: string | null; cause?: unknown }) {
    super(`${parameters.code}: ${parameters.message}`, parameters.cause === undefined ? undefined : { cause: parameters.cause });
    this.code = parameters.code;
    this.status = parameters.status ?? 0;
    this.details = parameters.details ?? {};
    this.correlationId = parameters.correlationId ?? null;
    this.docsUrl = `${docsPath}#errors`;
  }
}

/**
 * The request was malformed or a value was refused before the exchange saw it (400, 413, 415):
 * `REQUEST_INVALID`, `PRICE_OFF_TICK` (details.nearestBelow / nearestAbove), `SIZE_OFF_LOT`, …
 *
 * @example
 * catch (error) { if (error instanceof PerpdexRequestError && error.code === "PRICE_OFF_TICK") retryAt(error.details.nearestBelow); }
 */
export class PerpdexRequestError extends PerpdexError {
  override name = "PerpdexRequestError";
}

/**
 * Authentication failed (401, 403, nonce 400/409): `SIGNATURE_INVALID` (details.recovered, expected,
 * typedDataHash), `SIGNATURE_MALFORMED`, `NONCE_OUTSIDE_WINDOW`, `NONCE_REUSED`, `AGENT_NOT_APPROVED`.
 *
 * @example
 * catch (error) { if (error instanceof PerpdexAuthError) console.log(error.details.recovered, error.details.expected); }
 */
export class PerpdexAuthError extends PerpdexError {
  override name = "PerpdexAuthError";
}

/**
 * The exchange refused the command by its rules (404, 409, 422): `MARGIN_INSUFFICIENT`,
 * `ORDER_POST_ONLY_WOULD_TAKE`, `ORDER_NOT_FOUND`, `MARKET_NOT_FOUND`, …
 *
 * @example
 * catch (error) { if (error instanceof PerpdexRejectedError && error.code === "MARGIN_INSUFFICIENT") await topUp(); }
 */
export class PerpdexRejectedError extends PerpdexError {
  override name = "PerpdexRejectedError";
}

/**
 * Too many requests (429, `RATE_LIMITED`); `retryAfterMs` says when to try again.
 *
 * @example
 * catch (error) { if (error instanceof PerpdexRateLimitError) await sleep(error.retryAfterMs); }
 */
export class PerpdexRateLimitError extends PerpdexError {
  override name = "PerpdexRateLimitError";
  readonly retryAfterMs: number;

  constructor(parameters: ConstructorParameters<typeof PerpdexError>[0] & { retryAfterMs: number }) {
    super(parameters);
    this.retryAfterMs = parameters.retryAfterMs;
  }
}

/**
 * The server could not take the request now (5xx: `NODE_BUSY`, `NODE_UNAVAILABLE`, `INTERNAL`) or
 * could not be reached at all (`NETWORK`, status 0).
 *
 * @example
 * catch (error) { if (error instanceof PerpdexServerError && error.code === "NODE_BUSY") retryLater(); }
 */
export class PerpdexServerError extends PerpdexError {
  override name = "PerpdexServerError";
}

/**
 * A WebSocket operation was refused (an `error` message: `WS_LOGIN_REQUIRED`, `WS_SUBSCRIPTIONS_EXCEEDED`,
 * a login's `SIGNATURE_INVALID`, …) or the connection was dropped with a reason (`WS_SLOW_CONSUMER`).
 *
 * @example
 * socket.on("error", (error: PerpdexSocketError) => console.log(error.code));
 */
export class PerpdexSocketError extends PerpdexError {
  override name = "PerpdexSocketError";
}

const authCodes: ReadonlySet<string> = new Set(["SIGNATURE_INVALID", "SIGNATURE_MALFORMED", "NONCE_OUTSIDE_WINDOW", "NONCE_REUSED", "AGENT_NOT_APPROVED"]);

/**
 * The typed error for an HTTP error answer (status and the API's JSON error body).
 *
 * @example
 * const error = errorFromResponse(422, { code: "MARGIN_INSUFFICIENT", message: "…", correlationId: "req-1" }, null);
 * error instanceof PerpdexRejectedError; // => true
 */
export function errorFromResponse(status: number, body: unknown, retryAfter: string | null): PerpdexError {
  const fields = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  const code = typeof fields.code === "string" ? fields.code : `HTTP_${status}`;
  const message = typeof fields.message === "string" ? fields.message : `the server answered ${status}`;
  const details = isStringRecord(fields.details) ? fields.details : {};
  const correlationId = typeof fields.correlationId === "string" ? fields.correlationId : null;
  const parameters = { code, message, status, details, correlationId };
  if (status === 429) {
    const seconds = retryAfter === null ? Number.NaN : Number(retryAfter);
    return new PerpdexRateLimitError({ ...parameters, retryAfterMs: Number.isFinite(seconds) ? Math.max(0, seconds * 1000) : 1000 });
  }
  if (authCodes.has(code) || status === 401 || status === 403) return new PerpdexAuthError(parameters);
  if (status >= 500) return new PerpdexServerError(parameters);
  if (status === 404 || status === 409 || status === 422) return new PerpdexRejectedError(parameters);
  return new PerpdexRequestError(parameters);
}

function isStringRecord(value: unknown): value is Readonly<Record<string, string>> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  return Object.values(value).every((entry) => typeof entry === "string");
}
