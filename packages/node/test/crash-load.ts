// The crash harness's load: a mix of every command type, a pure function of (seed, sequence). A child
// restarted after SIGKILL continues from wherever the log ends and generates what an uninterrupted run
// would have at those sequences. Cancels, reductions and replacements name orders by the client id an
// earlier sequence gave them; when that order is gone (filled, expired, never placed) the core rejects
// the command, deterministically, and replay repeats the rejection.
import type { BatchItem, CommandInput, OrderSpec, PriceTicks, RatePpm, SizeLots } from "@perpdex/core";
import { SeededRandom } from "./seeded-random.ts";

const markets = [
  { symbol: "AAPL-PERP", reference: 23_000 },
  { symbol: "BTC-PERP", reference: 190_000 },
  { symbol: "ETH-PERP", reference: 70_000 },
] as const;
const accounts = Array.from({ length: 6 }, (_, index) => `0x${String(index + 1).repeat(40)}`);
// Orders named by a cancel lie at most this many sequences back.
const lookbackMax = 40;

function randomFor(seed: number, sequence: number): SeededRandom {
  return new SeededRandom((seed * 1_000_003 + sequence) % Number.MAX_SAFE_INTEGER);
}

function clientIdOf(sequence: number): string {
  return `c${sequence}`;
}

/** The account that places at `sequence`: fixed by (seed, sequence), so a later cancel can find it. */
function accountFor(seed: number, sequence: number): string {
  return accounts[randomFor(seed ^ 0x5bd1e995, sequence).next() % accounts.length]!;
}

function marketFor(seed: number, sequence: number): (typeof markets)[number] {
  return markets[randomFor(seed ^ 0x1b873593, sequence).next() % markets.length]!;
}

function orderAt(random: SeededRandom, sequence: number, market: (typeof markets)[number], nowNs: bigint): OrderSpec {
  const side = random.chance(500) ? "buy" : "sell";
  const crossing = random.chance(200);
  const offset = random.between(1, 20);
  // Passive orders rest on their own side of the reference; crossing ones reach a few ticks past it.
  const price = (market.reference + ((side === "buy") === crossing ? offset : -offset)) as PriceTicks;
  const size = random.between(1, 30) as SizeLots;
  const base = { market: market.symbol, side, size, clientOrderId: clientIdOf(sequence) } as const;
  const kind = random.between(0, 9);
  if (kind === 0) return { ...base, type: "market", slippagePpm: 10_000 as RatePpm };
  if (kind === 1) return { ...base, type: "limit", price, timeInForce: "IOC" };
  if (kind === 2) return { ...base, type: "limit", price, timeInForce: "GTD", expiresAt: nowNs + BigInt(random.between(20, 800)) * 1_000_000n };
  if (kind === 3) return { ...base, type: "limit", price, postOnly: true };
  return { ...base, type: "limit", price };
}

/**
 * The command for `sequence` under `seed`. `nowNs` only sets GTD expiries (the acknowledged payload,
 * not the generator, is what the harness checks against the log).
 *
 * @example
 * const command = crashLoadCommand({ seed: 7, sequence: node.lastSequence + 1, nowNs });
 */
export function crashLoadCommand(options: { seed: number; sequence: number; nowNs: bigint }): CommandInput {
  const { seed, sequence, nowNs } = options;
  const random = randomFor(seed, sequence);
  const account = accountFor(seed, sequence);
  const earlier = Math.max(1, sequence - random.between(1, lookbackMax));
  const earlierRef = { clientOrderId: clientIdOf(earlier) };
  const roll = random.between(0, 99);
  if (roll < 50) return { type: "placeOrder", account, order: orderAt(random, sequence, marketFor(seed, sequence), nowNs) };
  if (roll < 68) return { type: "cancelOrder", account: accountFor(seed, earlier), market: marketFor(seed, earlier).symbol, ...earlierRef };
  if (roll < 73) {
    return random.chance(500) ? { type: "cancelAll", account } : { type: "cancelAll", account, market: marketFor(seed, sequence).symbol };
  }
  if (roll < 78) {
    return { type: "reduceOrder", account: accountFor(seed, earlier), market: marketFor(seed, earlier).symbol, remaining: 1 as SizeLots, ...earlierRef };
  }
  if (roll < 83) {
    const order = orderAt(random, sequence, marketFor(seed, earlier), nowNs);
    return { type: "cancelReplace", account: accountFor(seed, earlier), order, replaces: earlierRef };
  }
  if (roll < 95) return { type: "batch", account, items: batchItems(random, sequence, seed, nowNs) };
  return { type: "tick" };
}

// Batch items are numbered by their position; their client ids extend the sequence's.
function batchItems(random: SeededRandom, sequence: number, seed: number, nowNs: bigint): BatchItem[] {
  const count = random.between(1, 5);
  const items: BatchItem[] = [];
  for (let item = 0; item < count; item += 1) {
    if (random.chance(300)) {
      const earlier = Math.max(1, sequence - random.between(1, lookbackMax));
      items.push({ type: "cancelOrder", market: marketFor(seed, earlier).symbol, clientOrderId: clientIdOf(earlier) });
    } else {
      const order = orderAt(random, sequence, marketFor(seed, sequence), nowNs);
      items.push({ type: "placeOrder", order: { ...order, clientOrderId: `${clientIdOf(sequence)}.${item}` } });
    }
  }
  return items;
}
