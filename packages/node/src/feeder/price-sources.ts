// Where the feeder's prices come from: one small interface, a seeded random walk for development and a CSV
// of historical prices. Real outside sources (an exchange's API, Pyth, Chainlink) implement the same
// interface; there is no network here, so none ships enabled.

/**
 * A price for one subject at one time, in the subject's units (ticks for a market, µUSD per token for a
 * collateral asset), with the source's confidence (ppm, 10^6 = certain).
 *
 * @example
 * const quote: SourceQuote = { price: 95_000, confidencePpm: 995_000 };
 */
export interface SourceQuote {
  readonly price: number;
  readonly confidencePpm: number;
}

/**
 * The one interface outside price sources implement. `quote` returns the latest price known at `time`
 * (exchange nanoseconds), or null when it has none (the feeder then skips the subject).
 *
 * @example
 * const fixed: PriceSource = { name: "fixed", quote: () => ({ price: 100, confidencePpm: 1_000_000 }) };
 */
export interface PriceSource {
  readonly name: string;
  quote(subject: string, time: bigint): SourceQuote | null;
}

/** mulberry32: a small seeded PRNG; the same seed gives the same walk on every machine. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * A seeded random walk per subject for development: each call moves the price by a uniform step of at
 * most `stepPpm` (ppm of the price), never below one unit. Deterministic for a seed and call order.
 *
 * @example
 * const walk = new RandomWalkSource({ seed: 7, start: { "BTC-PERP": 95_000 }, stepPpm: 500 });
 * walk.quote("BTC-PERP", 0n); // => { price: 95_0xx, confidencePpm: 990_000 }
 */
export class RandomWalkSource implements PriceSource {
  readonly name = "random-walk";
  private readonly prices = new Map<string, number>();
  private readonly random: () => number;
  private readonly stepPpm: number;

  constructor(options: { seed: number; start: Readonly<Record<string, number>>; stepPpm?: number }) {
    this.random = mulberry32(options.seed);
    this.stepPpm = options.stepPpm ?? 500;
    for (const [subject, price] of Object.entries(options.start)) this.prices.set(subject, price);
  }

  quote(subject: string): SourceQuote | null {
    const price = this.prices.get(subject);
    if (price === undefined) return null;
    const step = Math.round(((this.random() * 2 - 1) * price * this.stepPpm) / 1_000_000);
    const next = Math.max(1, price + step);
    this.prices.set(subject, next);
    return { price: next, confidencePpm: 990_000 };
  }
}

/**
 * Historical prices from CSV text: a header `time,subject,price` (optionally `,confidencePpm`), then rows
 * with time as exchange nanoseconds or an ISO-8601 date. `quote` returns the last row at or before `time`.
 *
 * @example
 * const csv = new CsvPriceSource("time,subject,price\n2024-01-02T14:30:00Z,AAPL-PERP,18550\n");
 * csv.quote("AAPL-PERP", 1_704_206_000_000_000_000n); // => { price: 18_550, confidencePpm: 1_000_000 }
 */
export class CsvPriceSource implements PriceSource {
  readonly name = "csv";
  private readonly rows = new Map<string, { time: bigint; price: number; confidencePpm: number }[]>();

  constructor(text: string) {
    const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
    const header = lines.shift()?.split(",").map((cell) => cell.trim());
    if (header === undefined || header[0] !== "time" || header[1] !== "subject" || header[2] !== "price") {
      throw new Error("CSV prices need a header time,subject,price[,confidencePpm]");
    }
    for (const [number, line] of lines.entries()) {
      const [time, subject, price, confidence] = line.split(",").map((cell) => cell.trim());
      const at = /^[0-9]+$/.test(time ?? "") ? BigInt(time!) : BigInt(Date.parse(time ?? "")) * 1_000_000n;
      const value = Number(price);
      if (subject === undefined || !Number.isSafeInteger(value) || value < 1) throw new Error(`CSV line ${number + 2}: bad row "${line}"`);
      const list = this.rows.get(subject) ?? [];
      list.push({ time: at, price: value, confidencePpm: confidence === undefined ? 1_000_000 : Number(confidence) });
      this.rows.set(subject, list);
    }
    for (const list of this.rows.values()) list.sort((left, right) => (left.time < right.time ? -1 : left.time > right.time ? 1 : 0));
  }

  quote(subject: string, time: bigint): SourceQuote | null {
    const list = this.rows.get(subject);
    if (list === undefined) return null;
    let found: { price: number; confidencePpm: number } | null = null;
    for (const row of list) {
      if (row.time > time) break;
      found = row;
    }
    return found === null ? null : { price: found.price, confidencePpm: found.confidencePpm };
  }
}
