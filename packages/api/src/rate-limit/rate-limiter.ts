// SPEC 18 rate limits: token buckets per IP and per account, with the SPEC's categories and tiers,
// burst = 2 × rate (§3.3), X-RateLimit-* headers (§7.1), and a 429 with the SPEC's body and Retry-After
// (§7.2, §7.3). Every request also draws from its IP's global bucket (§10.1: 1,000 requests a minute).
import type { WebSocketLimits } from "../context.ts";
import { ApiError } from "../errors.ts";
import type { BucketRule, RateLimitStore, TakeResult } from "./rate-limit-store.ts";
import { MemoryRateLimitStore } from "./rate-limit-store.ts";

/** What a route spends: SPEC 18 §3.1 endpoint categories. */
export type RateCategory = "marketData" | "accountQuery" | "orderPlacement" | "orderCancellation" | "cancelAll" | "withdrawal" | "faucet";

/** SPEC 18 §3.1 account tiers (order placement differs by tier). */
export type AccountTier = "standard" | "vip" | "institutional";

/** A limit as the SPEC writes it: so many requests per window. */
export interface RateLimit {
  readonly limit: number;
  readonly windowSeconds: number;
}

export interface RateLimitConfig {
  /** Per IP, every request (SPEC 18 §10.1). */
  readonly ipGlobal: RateLimit;
  /** Per IP for public market data; per account for the rest. */
  readonly categories: Readonly<Record<RateCategory, RateLimit>>;
  /** Order placement per tier (replaces categories.orderPlacement for accounts of that tier). */
  readonly orderPlacementByTier: Readonly<Record<AccountTier, RateLimit>>;
  /** Accounts above standard; everyone else is standard. */
  readonly tiers: ReadonlyMap<string, AccountTier>;
  /** IPs exempt from limits (SPEC 18 §8.1 whitelists raise limits; tests and benchmarks turn them off). */
  readonly exemptIps: ReadonlySet<string>;
  readonly webSocket: WebSocketLimits;
}

/**
 * The SPEC 18 defaults.
 *
 * @example
 * createApiServer({ node, mode: "development", rateLimits: { ...specRateLimits, exemptIps: new Set(["127.0.0.1"]) } });
 */
export const specRateLimits: RateLimitConfig = {
  ipGlobal: { limit: 1000, windowSeconds: 60 },
  categories: {
    marketData: { limit: 100, windowSeconds: 60 },
    accountQuery: { limit: 60, windowSeconds: 60 },
    orderPlacement: { limit: 20, windowSeconds: 1 },
    orderCancellation: { limit: 50, windowSeconds: 1 },
    // SPEC 18 §4.2: cancel-all once per 500 ms.
    cancelAll: { limit: 2, windowSeconds: 1 },
    withdrawal: { limit: 10, windowSeconds: 3600 },
    faucet: { limit: 10, windowSeconds: 60 },
  },
  orderPlacementByTier: {
    standard: { limit: 20, windowSeconds: 1 },
    vip: { limit: 100, windowSeconds: 1 },
    institutional: { limit: 500, windowSeconds: 1 },
  },
  tiers: new Map(),
  exemptIps: new Set(),
  webSocket: {
    connectionsPerIpMax: 10,
    connectionsPerAccountMax: 5,
    subscriptionsPerSocketMax: 50,
    messagesPerSecondMax: 50,
    bufferedBytesMax: 4 * 1024 * 1024,
  },
};

/** The headers to send with a response (X-RateLimit-*), from the tightest bucket touched. */
export interface RateHeaders {
  readonly limit: number;
  readonly remaining: number;
  /** Unix seconds when the bucket is full again. */
  readonly resetSeconds: number;
}

function ruleOf(limit: RateLimit): BucketRule {
  const ratePerSecond = limit.limit / limit.windowSeconds;
  return { ratePerSecond, capacity: 2 * limit.limit };
}

function windowText(seconds: number): string {
  if (seconds === 1) return "1 second";
  if (seconds === 60) return "1 minute";
  if (seconds === 3600) return "1 hour";
  return `${seconds} seconds`;
}

/**
 * Applies the configured limits through a store.
 *
 * @example
 * const headers = await limiter.check({ ip, category: "orderPlacement", account, nowMs: Date.now() });
 */
export class RateLimiter {
  readonly config: RateLimitConfig;
  private readonly store: RateLimitStore;
  /** 429s sent, by category (metrics). */
  readonly limited = new Map<string, number>();

  constructor(options: { config?: RateLimitConfig; store?: RateLimitStore } = {}) {
    this.config = options.config ?? specRateLimits;
    this.store = options.store ?? new MemoryRateLimitStore();
  }

  /**
   * Takes from the IP's global bucket. Throws a 429 ApiError when empty. Answers synchronously when the
   * store does (memory): every request passes here, and a promise costs an allocation and a microtask.
   */
  checkIp(ip: string, nowMs: number): RateHeaders | null | Promise<RateHeaders | null> {
    if (this.config.exemptIps.has(ip)) return null;
    return this.take(`ip:${ip}`, this.config.ipGlobal, "ipGlobal", "requests from this IP address", nowMs);
  }

  /**
   * Takes from the category's bucket: per IP (public) or per account (private). Throws a 429 ApiError
   * (or rejects, with an asynchronous store). Synchronous when the store is.
   */
  check(parameters: { ip: string; category: RateCategory; account?: string; nowMs: number }): RateHeaders | null | Promise<RateHeaders | null> {
    const { ip, category, account, nowMs } = parameters;
    if (this.config.exemptIps.has(ip)) return null;
    let limit = this.config.categories[category];
    if (category === "orderPlacement" && account !== undefined) limit = this.config.orderPlacementByTier[this.config.tiers.get(account) ?? "standard"];
    const key = account === undefined ? `ip:${ip}:${category}` : `account:${account}:${category}`;
    return this.take(key, limit, category, describe(category), nowMs);
  }

  private take(key: string, limit: RateLimit, category: string, what: string, nowMs: number): RateHeaders | Promise<RateHeaders> {
    const result = this.store.take(key, ruleOf(limit), 1, nowMs);
    if (result instanceof Promise) return result.then((answer) => this.outcome(answer, limit, category, what, nowMs));
    return this.outcome(result, limit, category, what, nowMs);
  }

  private outcome(result: TakeResult, limit: RateLimit, category: string, what: string, nowMs: number): RateHeaders {
    const headers = { limit: limit.limit, remaining: result.remaining, resetSeconds: Math.ceil((nowMs + result.resetMs) / 1000) };
    if (result.allowed) return headers;
    this.limited.set(category, (this.limited.get(category) ?? 0) + 1);
    const retryAfterSeconds = result.retryAfterMs / 1000;
    throw new ApiError({
      status: 429,
      code: "RATE_LIMITED",
      message: `${what} rate limit exceeded: ${limit.limit} per ${windowText(limit.windowSeconds)} (bursts up to ${2 * limit.limit}); retry after ${retryAfterSeconds} s`,
      extra: { error: "RateLimitExceeded", limit: limit.limit, window: windowText(limit.windowSeconds), retry_after: retryAfterSeconds },
      headers: {
        "retry-after": String(Math.max(1, Math.ceil(retryAfterSeconds))),
        "x-ratelimit-limit": String(headers.limit),
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": String(headers.resetSeconds),
      },
    });
  }
}

function describe(category: RateCategory): string {
  switch (category) {
    case "marketData":
      return "Market data";
    case "accountQuery":
      return "Account query";
    case "orderPlacement":
      return "Order placement";
    case "orderCancellation":
      return "Order cancellation";
    case "cancelAll":
      return "Cancel-all";
    case "withdrawal":
      return "Withdrawal";
    case "faucet":
      return "Faucet";
  }
}
