// The oracle feeder: every interval it takes one price per subject from a PriceSource, lets each of the
// subject's sources quote it with its own small offset (so the aggregate has something to aggregate),
// signs each quote with the source's key, verifies it as the edge would, and submits it. Rejections
// (an out-of-order or disabled source) are counted and logged, never retried: the next round is fresher.
import { signOraclePrice, verifyOraclePrice, type OraclePriceInput } from "./oracle-signing.ts";
import type { FeederSourceKey } from "./demo-sources.ts";
import type { PriceSource } from "./price-sources.ts";

/**
 * What the feeder needs: the source keys, a price source, a way to submit (ExchangeNode.submit) and the
 * exchange clock in nanoseconds.
 *
 * @example
 * const options: OracleFeederOptions = { sources: demoOracleKeys(["BTC-PERP"]), prices, submit: (input) => node.submit(input), now: () => BigInt(Date.now()) * 1_000_000n };
 */
export interface OracleFeederOptions {
  readonly sources: readonly FeederSourceKey[];
  readonly prices: PriceSource;
  readonly submit: (input: OraclePriceInput) => Promise<{ readonly result: { readonly ok: boolean } }>;
  readonly now: () => bigint;
  /** Spread between a subject's sources, ppm of the price (default 50: 0.005 %). */
  readonly spreadPpm?: number;
  readonly onError?: (error: Error) => void;
}

/**
 * Totals of one round or of the feeder's life.
 *
 * @example
 * const report: FeederReport = { submitted: 21, accepted: 21, rejected: 0 };
 */
export interface FeederReport {
  submitted: number;
  accepted: number;
  rejected: number;
}

/**
 * Signs and submits prices for its sources, once (`publishOnce`) or on an interval (`start`).
 *
 * @example
 * const feeder = new OracleFeeder({ sources, prices: new RandomWalkSource({ seed: 1, start }), submit: (input) => node.submit(input), now });
 * feeder.start(1_000);
 * await feeder.stop();
 */
export class OracleFeeder {
  readonly totals: FeederReport = { submitted: 0, accepted: 0, rejected: 0 };
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: OracleFeederOptions) {}

  /** One round: one signed quote per source whose subject has a price now. */
  async publishOnce(): Promise<FeederReport> {
    const report: FeederReport = { submitted: 0, accepted: 0, rejected: 0 };
    const publishTime = this.options.now();
    const bases = new Map<string, number | null>();
    const spreadPpm = this.options.spreadPpm ?? 50;
    const submissions: Promise<void>[] = [];
    for (const [index, key] of this.options.sources.entries()) {
      if (!bases.has(key.subject)) bases.set(key.subject, this.options.prices.quote(key.subject, publishTime)?.price ?? null);
      const base = bases.get(key.subject);
      if (base === null || base === undefined) continue;
      // Sources spread around the base: −spread, 0, +spread for the three of a subject.
      const offset = ((index % 3) - 1) * spreadPpm;
      const price = Math.max(1, base + Math.round((base * offset) / 1_000_000));
      const input = await signOraclePrice({ privateKey: key.privateKey, quote: { source: key.source, subject: key.subject, price, confidencePpm: 990_000, publishTime } });
      const checked = await verifyOraclePrice(input);
      if (!checked.ok) throw new Error(`feeder signed an update that does not verify: ${checked.message}`);
      report.submitted += 1;
      submissions.push(
        this.options.submit(input).then((ack) => {
          if (ack.result.ok) report.accepted += 1;
          else report.rejected += 1;
        }),
      );
    }
    await Promise.all(submissions);
    this.totals.submitted += report.submitted;
    this.totals.accepted += report.accepted;
    this.totals.rejected += report.rejected;
    return report;
  }

  /** Publishes every `intervalMs`; a round still running when the next is due is not doubled. */
  start(intervalMs: number): void {
    if (this.timer !== undefined) return;
    let busy = false;
    this.timer = setInterval(() => {
      if (busy) return;
      busy = true;
      this.running = this.publishOnce()
        .catch((error: Error) => this.options.onError?.(error))
        .finally(() => {
          busy = false;
        });
    }, intervalMs);
  }

  /** Stops the interval and waits for a round in flight. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
