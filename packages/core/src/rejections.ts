// Business rejections: returned as values with a stable code and a readable message that says what would
// have been valid. A rejected command changes nothing. Codes are grouped by module prefix and never reused.

export const rejectCodes = [
  "COMMAND_INVALID",
  "ACCOUNT_INVALID",
  "MARKET_NOT_FOUND",
  "MARKET_EXISTS",
  "MARKET_PARAMS_INVALID",
  "PRICE_NOT_POSITIVE",
  "PRICE_TOO_LARGE",
  "PRICE_OUTSIDE_BAND",
  "SIZE_NOT_POSITIVE",
  "SIZE_BELOW_MIN",
  "SIZE_ABOVE_MAX",
  "ORDER_TYPE_INVALID",
  "ORDER_POST_ONLY_WOULD_TAKE",
  "ORDER_POST_ONLY_NOT_RESTING",
  "ORDER_EXPIRY_INVALID",
  "ORDER_NO_LIQUIDITY",
  "ORDER_CLIENT_ID_DUPLICATE",
  "ORDER_CLIENT_ID_INVALID",
  "ORDER_NOT_FOUND",
  "ORDER_REDUCE_INVALID",
  "ORDER_LIMIT_REACHED",
  "BATCH_SIZE_INVALID",
  "BATCH_ITEM_INVALID",
  "ACCOUNT_NOT_FOUND",
  "ACCOUNT_NOT_ACTIVE",
  "ASSET_INVALID",
  "AMOUNT_INVALID",
  "DEPOSIT_INVALID",
  "WITHDRAWAL_INSUFFICIENT",
  "WITHDRAWAL_EXCEEDS_FREE_MARGIN",
  "MARGIN_INSUFFICIENT",
  "MARGIN_ADJUST_INVALID",
  "LEVERAGE_EXCEEDS_TIER",
  "SETTING_INVALID",
  "FEE_INVALID",
  "ORDER_REDUCE_ONLY_WOULD_INCREASE",
] as const;
export type RejectCode = (typeof rejectCodes)[number];

export interface Rejection {
  readonly ok: false;
  readonly code: RejectCode;
  readonly message: string;
  readonly details?: Readonly<Record<string, string>>;
}

export interface Accepted {
  readonly ok: true;
}

export interface BatchResult {
  readonly ok: true;
  /** One result per batch item, in order. */
  readonly items: readonly (Accepted | Rejection)[];
}

export type CommandResult = Accepted | Rejection | BatchResult;

/** The one success value: success allocates nothing. */
export const accepted: Accepted = Object.freeze({ ok: true });

export function reject(
  code: RejectCode,
  message: string,
  details?: Readonly<Record<string, string>>,
): Rejection {
  return details === undefined ? { ok: false, code, message } : { ok: false, code, message, details };
}
