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
  "LIQUIDATION_NOT_LIQUIDATABLE",
  "LIQUIDATION_PRIORITY_WINDOW",
  "LIQUIDATION_MARKET_HALTED",
  "LIQUIDATION_INVALID",
  "LIQUIDATION_IN_PROGRESS",
  // Market controls (perp/market-admin.ts, circuit-breakers.ts) and risk limits (perp/risk-limits.ts).
  "MARKET_HALTED",
  "MARKET_PAUSED",
  "MARKET_REDUCE_ONLY",
  "MARKET_RESTRICTED",
  "PRICE_OFF_GRID",
  "SIZE_OFF_GRID",
  "RISK_ORDER_NOTIONAL",
  "RISK_POSITION_NOTIONAL",
  "RISK_OPEN_INTEREST",
  "RISK_CONCENTRATION",
  // Oracles and corporate actions (perp/oracle-monitor.ts, corporate-actions.ts).
  "ORACLE_SOURCE_INVALID",
  "ORACLE_SOURCE_UNKNOWN",
  "ORACLE_SOURCE_DISABLED",
  "ORACLE_SIGNER_MISMATCH",
  "ORACLE_UPDATE_INVALID",
  "ORACLE_UPDATE_OUT_OF_ORDER",
  "ORACLE_UPDATE_TOO_OLD",
  "ORACLE_UNHEALTHY",
  "CORPORATE_ACTION_INVALID",
  "CORPORATE_ACTION_NOT_FOUND",
  // Agent keys (perp/agents.ts).
  "AGENT_INVALID",
  "AGENT_NOT_FOUND",
  "AGENT_NOT_AUTHORIZED",
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
