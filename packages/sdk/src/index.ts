/**
 * @perpdex/sdk — the TypeScript client of perpdex: every REST action and WebSocket channel of /v1,
 * wallet signing built in (EIP-712 via viem), reconnect and resubscribe, a local order book with gap and
 * checksum detection, tick and lot rounding, typed errors. Explicit named exports only; each export is
 * documented with an `@example` where it is declared. Usage: packages/sdk/README.md.
 */
export { PerpdexClient } from "./client.ts";
export type { ListOptions, PerpdexClientOptions } from "./client.ts";
export { PerpdexSocket } from "./socket.ts";
export type { PerpdexSocketEvents, PerpdexSocketOptions } from "./socket.ts";
export { LocalOrderBook } from "./order-book.ts";
export type { BookApplyOutcome } from "./order-book.ts";
export { createSigner, signedBody } from "./signer.ts";
export type { SignedAction, Signer, SignerOptions } from "./signer.ts";
export { isOnStep, roundPrice, roundSize, roundToStep } from "./rounding.ts";
export type { RoundingMode, RoundToStepParameters } from "./rounding.ts";
export { HttpTransport } from "./http.ts";
export type { HttpOptions } from "./http.ts";
export {
  errorFromResponse,
  PerpdexAuthError,
  PerpdexError,
  PerpdexRateLimitError,
  PerpdexRejectedError,
  PerpdexRequestError,
  PerpdexServerError,
  PerpdexSocketError,
} from "./errors.ts";
export type {
  AccountSummary,
  ActionAnswer,
  BookDepth,
  Candle,
  Fill,
  Market,
  Order,
  OrderResult,
  Position,
  Ticker,
  Trade,
} from "./types.ts";
export type { CancelRequest, OrderRequest, WsBookMessage, WsServerMessage, WsSubscription } from "@perpdex/protocol";
