// The throughput benchmark's load, shared by bench-node.ts and profile-intake.ts: a mixed stream on one
// genesis market — 43 % passive limit orders, 42 % cancels of live orders, 15 % crossing IOC orders —
// from 1,000 funded accounts. Cancels keep pace with placements, so the book stays near its steady size
// and the periodic checkpoint hash stays as cheap as it would be on a live book of that size. The
// crossing orders trade: positions open, grow, shrink and flip, fees and the insurance fund move.
import type { PriceTicks, SizeLots } from "@perpdex/core";
import type { ExchangeCommandInput } from "@perpdex/protocol";

/** Account `index` as an address. */
export function benchAccount(index: number): string {
  return `0x${index.toString(16).padStart(40, "0")}`;
}

/** A USDC deposit of `dollars` (6 decimals). */
export function benchDeposit(owner: string, dollars: number): ExchangeCommandInput {
  return { type: "deposit", account: owner, asset: "USDC", amount: BigInt(dollars) * 1_000_000n, reference: `bench-${owner.slice(-8)}` };
}

const benchMarket = "AAPL-PERP";
const referenceTicks = 23_000;
/** Accounts the stream trades from (fund them first). */
export const benchAccounts = 1_000;

/**
 * The mixed stream, one command at a time, the first to be sequenced at `firstSequence` (order ids are
 * predicted from sequences: nothing else may be sequenced meanwhile). Commands are made as they are
 * submitted, as an API server makes them from requests: young objects, like production's, rather than
 * a pre-built array that the garbage collector would promote, at some cost, in the middle of a timed run.
 *
 * @example
 * const stream = new BenchStream(node.lastSequence + 1);
 * await node.submit(stream.next());
 */
export class BenchStream {
  private sequence: number;
  private readonly live: number[] = [];
  private state = 12_345;

  constructor(firstSequence: number) {
    this.sequence = firstSequence;
  }

  next(): ExchangeCommandInput {
    const sequence = this.sequence++;
    const live = this.live;
    const roll = this.draw() % 100;
    if (roll < 42 && live.length > 0) {
      const pick = this.draw() % live.length;
      const orderId = live[pick]!;
      live[pick] = live[live.length - 1]!;
      live.pop();
      return { type: "cancelOrder", account: accounts[(orderId / 256) % benchAccounts]!, market: benchMarket, orderId };
    }
    const owner = accounts[sequence % benchAccounts]!;
    const buy = (this.draw() & 1) === 1;
    const crossing = roll >= 85;
    const offset = 1 + (this.draw() % 50);
    const price = (referenceTicks + (buy === crossing ? offset : -offset)) as PriceTicks;
    const size = (1 + (this.draw() % 100)) as SizeLots;
    if (crossing) {
      return { type: "placeOrder", account: owner, order: { market: benchMarket, side: buy ? "buy" : "sell", type: "limit", price, size, timeInForce: "IOC" } };
    }
    live.push(sequence * 256);
    return { type: "placeOrder", account: owner, order: { market: benchMarket, side: buy ? "buy" : "sell", type: "limit", price, size } };
  }

  private draw(): number {
    this.state = (Math.imul(this.state, 1_103_515_245) + 12_345) | 0;
    return (this.state >>> 8) & 0xffff;
  }
}

// Made once: an API server gets the address from the request, not by formatting it.
const accounts = Array.from({ length: benchAccounts }, (_, index) => benchAccount(index));
