// Errors of the Hyperliquid-compatible endpoints. Hyperliquid answers a refused action with HTTP 200
// and { "status": "err", "response": "<sentence>" }, and a refused order inside an accepted action with
// { "error": "<sentence>" } in its status slot. Clients (ccxt's `exceptions.broad`) pick their error
// class by the sentence's opening words, so every perpdex rejection is told with Hyperliquid's sentence
// for the same fault first, then perpdex's own message (which says what would be valid), then
// "asset=N" as Hyperliquid does.
import type { RejectCode, Rejection } from "@perpdex/core";

/** A refusal with Hyperliquid's wording; `code` is perpdex's stable code when there is one. */
export class HyperliquidError extends Error {
  override readonly name = "HyperliquidError";
  constructor(
    message: string,
    readonly code: string = "REQUEST_INVALID",
  ) {
    super(message);
  }
}

// Hyperliquid's sentence for each perpdex rejection that has a Hyperliquid counterpart.
const sentences: Partial<Record<RejectCode, string>> = {
  MARGIN_INSUFFICIENT: "Insufficient margin to place order.",
  LEVERAGE_EXCEEDS_TIER: "Insufficient margin to place order.",
  ORDER_POST_ONLY_WOULD_TAKE: "Post only order would have immediately matched,",
  ORDER_POST_ONLY_NOT_RESTING: "Post only order would have immediately matched,",
  ORDER_REDUCE_ONLY_WOULD_INCREASE: "Reduce only order would increase position.",
  ORDER_NO_LIQUIDITY: "No liquidity available for market order.",
  ORDER_NOT_FOUND: "Order was never placed, already canceled, or filled.",
  PRICE_OFF_GRID: "Price must be divisible by tick size.",
  PRICE_NOT_POSITIVE: "Order has invalid price.",
  PRICE_TOO_LARGE: "Order price cannot be more than 80% away from the reference price;",
  PRICE_OUTSIDE_BAND: "Order price cannot be more than 80% away from the reference price;",
  SIZE_NOT_POSITIVE: "Order has zero size.",
  SIZE_BELOW_MIN: "Order has invalid size.",
  SIZE_ABOVE_MAX: "Order has invalid size.",
  SIZE_OFF_GRID: "Order has invalid size.",
  WITHDRAWAL_INSUFFICIENT: "Insufficient balance for withdrawal.",
  WITHDRAWAL_EXCEEDS_FREE_MARGIN: "Insufficient balance for withdrawal.",
};

/**
 * A core rejection in Hyperliquid's words: its sentence (when it has one), perpdex's message, the asset.
 *
 * @example
 * rejectionMessage({ ok: false, code: "MARGIN_INSUFFICIENT", message: "needs 120 USDC, 80 free" }, 5);
 * // => "Insufficient margin to place order. needs 120 USDC, 80 free. asset=5"
 */
export function rejectionMessage(rejection: Rejection, asset?: number): string {
  const sentence = sentences[rejection.code];
  const text = sentence === undefined ? `${rejection.code}: ${rejection.message}` : `${sentence} ${rejection.message}`;
  const stop = text.endsWith(".") ? "" : ".";
  return asset === undefined ? `${text}${stop}` : `${text}${stop} asset=${asset}`;
}

/**
 * The sentence for an account that has never deposited (Hyperliquid's "does not exist").
 *
 * @example
 * unknownUserMessage("0xabc…"); // => "User or API Wallet 0xabc… does not exist. …"
 */
export function unknownUserMessage(address: string): string {
  return `User or API Wallet ${address} does not exist. The signature recovers to this address: deposit to it first, or check that the signing key and the chain (Mainnet/Testnet) are the ones you meant.`;
}
