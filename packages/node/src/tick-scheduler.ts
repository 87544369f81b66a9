// Time-driven work enters the core as tick commands in the same log as everything else: a replay sees
// exactly the ticks the node saw. A tick goes in every `intervalMs` (so time moves forward when nothing
// else happens) and, sooner, when the engine's next GTD expiry comes due, so a GTD order leaves the book
// at its time rather than up to a whole interval later.
import type { Clock } from "./clock.ts";

const nanosecondsPerMillisecond = 1_000_000n;
// setTimeout may run up to a millisecond early relative to our clock readings; one more keeps the tick
// at or after the expiry, so it is never wasted and rescheduled in a tight loop.
const expiryMarginMs = 1;

export interface TickSchedulerOptions {
  /** Milliseconds between ticks; 0 turns the periodic tick off (expiry ticks still happen). */
  readonly intervalMs: number;
  readonly clock: Clock;
  readonly submitTick: () => void;
}

/**
 * Decides when tick commands are submitted.
 *
 * @example
 * const ticks = new TickScheduler({ intervalMs: 1_000, clock, submitTick: () => void node.submit({ type: "tick" }) });
 * ticks.start();
 * ticks.expiryAt(exchange.engine.expiries.peekTime()); // after every command
 */
export class TickScheduler {
  private readonly options: TickSchedulerOptions;
  private interval: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private scheduledExpiry: bigint | null = null;
  private running = false;
  // Bound once: expiryAt runs after every command, and a closure in it made V8 allocate that call's
  // context every time, early returns included.
  private readonly expire = (): void => {
    this.scheduledExpiry = null;
    this.options.submitTick();
  };

  constructor(options: TickSchedulerOptions) {
    this.options = options;
  }

  start(): void {
    this.running = true;
    if (this.options.intervalMs > 0) this.interval = setInterval(this.options.submitTick, this.options.intervalMs);
  }

  stop(): void {
    this.running = false;
    clearInterval(this.interval);
    clearTimeout(this.expiryTimer);
    this.scheduledExpiry = null;
  }

  /** Tells the scheduler the engine's earliest GTD expiry (null when none), after each command. */
  expiryAt(expiresAt: bigint | null): void {
    if (!this.running || expiresAt === null) return;
    if (this.scheduledExpiry !== null && expiresAt >= this.scheduledExpiry) return;
    const delayMs = Number((expiresAt - this.options.clock()) / nanosecondsPerMillisecond) + expiryMarginMs;
    // The periodic tick comes first; the expiry is scheduled by a command closer to it.
    if (this.options.intervalMs > 0 && delayMs > this.options.intervalMs) return;
    clearTimeout(this.expiryTimer);
    this.scheduledExpiry = expiresAt;
    this.expiryTimer = setTimeout(this.expire, Math.max(0, delayMs));
  }
}
