// The public surface of @perpdex/api. Explicit named exports only (style habit 13).
export { createApiServer } from "./server.ts";
export type { ApiServer, ApiServerOptions } from "./server.ts";
export type {
  ApiContext,
  ApiLogger,
  ApiMode,
  HyperliquidModule,
  SubmitCommand,
  WebSocketAttachment,
  WebSocketLimits,
  WebSocketModule,
} from "./context.ts";
export { ApiError, apiErrorCodes, rejectionError, statusOfRejection } from "./errors.ts";
export type { ApiCode, ApiErrorCode, ErrorBody } from "./errors.ts";
export { ReadModel } from "./read-model/read-model.ts";
export type { AccountEventRecord, AdminActionRecord, FillRecord, OrderRecord } from "./read-model/read-model.ts";
export { MarketHistory, candleIntervals, candleIntervalNames } from "./read-model/market-data.ts";
export type { Candle, CandleInterval, FundingRecord, MarkRecord, TradeRecord } from "./read-model/market-data.ts";
export { RateLimiter, specRateLimits } from "./rate-limit/rate-limiter.ts";
export type { AccountTier, RateCategory, RateLimit, RateLimitConfig } from "./rate-limit/rate-limiter.ts";
export { MemoryRateLimitStore } from "./rate-limit/rate-limit-store.ts";
export type { BucketRule, RateLimitStore, TakeResult } from "./rate-limit/rate-limit-store.ts";
export { AuthVerifier } from "./auth/verifier.ts";
export type { Recovered } from "./auth/verifier.ts";
export { authenticate } from "./auth/authenticate.ts";
export type { Authenticated, SignedAction } from "./auth/authenticate.ts";
export { ApiMetrics } from "./metrics.ts";
export { attachWebSocket } from "./ws/server.ts";
export type { WebSocketServerHandle, WebSocketServerOptions } from "./ws/server.ts";
