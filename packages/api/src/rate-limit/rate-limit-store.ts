// Where token buckets live. In memory for one API process now; a Redis store implements the same
// interface when several api processes serve one node (SPEC 18 §6.3), with a Lua script doing take().

/** One bucket's rule: refill `ratePerSecond` tokens a second, hold at most `capacity` (2 × rate, SPEC 18 §3.3). */
export interface BucketRule {
  readonly ratePerSecond: number;
  readonly capacity: number;
}

/** The outcome of taking tokens from a bucket. */
export interface TakeResult {
  readonly allowed: boolean;
  /** Whole tokens left after this take. */
  readonly remaining: number;
  /** Milliseconds until the bucket is full again. */
  readonly resetMs: number;
  /** Milliseconds until `cost` tokens are available (0 when allowed). */
  readonly retryAfterMs: number;
}

/** Token buckets by key. A store may answer synchronously (memory) or not (Redis). */
export interface RateLimitStore {
  take(key: string, rule: BucketRule, cost: number, nowMs: number): TakeResult | Promise<TakeResult>;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

// Buckets untouched for this long are full again and can be forgotten.
const sweepEveryMs = 60_000;

/**
 * Token buckets in a Map. Buckets full again are swept once a minute, so memory follows active keys.
 *
 * @example
 * const store = new MemoryRateLimitStore();
 * store.take("ip:127.0.0.1:marketData", { ratePerSecond: 100 / 60, capacity: 200 / 60 }, 1, Date.now());
 */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly buckets = new Map<string, Bucket & { fullAtMs: number }>();
  private sweptMs = 0;

  take(key: string, rule: BucketRule, cost: number, nowMs: number): TakeResult {
    if (nowMs - this.sweptMs >= sweepEveryMs) this.sweep(nowMs);
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: rule.capacity, updatedMs: nowMs, fullAtMs: nowMs };
      this.buckets.set(key, bucket);
    } else {
      const elapsedMs = Math.max(0, nowMs - bucket.updatedMs);
      bucket.tokens = Math.min(rule.capacity, bucket.tokens + (elapsedMs * rule.ratePerSecond) / 1000);
      bucket.updatedMs = nowMs;
    }
    const allowed = bucket.tokens >= cost;
    if (allowed) bucket.tokens -= cost;
    const missing = rule.capacity - bucket.tokens;
    const resetMs = Math.ceil((missing * 1000) / rule.ratePerSecond);
    bucket.fullAtMs = nowMs + resetMs;
    const retryAfterMs = allowed ? 0 : Math.ceil(((cost - bucket.tokens) * 1000) / rule.ratePerSecond);
    return { allowed, remaining: Math.floor(bucket.tokens), resetMs, retryAfterMs };
  }

  private sweep(nowMs: number): void {
    this.sweptMs = nowMs;
    for (const [key, bucket] of this.buckets) if (bucket.fullAtMs <= nowMs) this.buckets.delete(key);
  }
}
