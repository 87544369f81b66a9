import type { Account } from "../accounts.ts";
import { assert } from "../assert.ts";
import type { Position } from "./position.ts";

/** Positions are keyed by account index × 4096 + market index (marketsMax ≤ 4096). */
export const positionKeyMultiplier = 4096;

/** Up to this many positions, an account's own list is scanned; past it, it keeps a map by market. */
export const accountPositionsScannedMax = 8;

/**
 * Every registered position as a read-only map by key (account index × 4096 + market index), kept by
 * the accounts themselves: each account's `positions` list, and for an account with many positions its
 * `positionsByMarket` map. Iteration goes account by account in index order, each account's positions
 * in the order they were opened, so it is deterministic and a restored exchange iterates as the one
 * that wrote the snapshot. One map of every position cost a restore of millions of positions about a
 * second per million (its inserts, its growth, keys past the small-integer range), and live trading a
 * hash insert or delete per position opened or closed.
 *
 * Positions must not be registered or forgotten while an iteration is under way (an assertion says
 * so); every caller iterates to read or to adjust positions in place.
 *
 * @example
 * for (const position of exchange.positionsByKey.values()) if (position.size !== 0) open += 1;
 * exchange.positionsByKey.get(account.index * positionKeyMultiplier + market.index);
 */
export class PositionDirectory implements ReadonlyMap<number, Position> {
  /** Maintained by the exchange as it registers and forgets positions. */
  size = 0;

  constructor(
    private readonly accounts: readonly Account[],
    private readonly lookup: (account: Account, marketIndex: number) => Position | undefined,
  ) {}

  get(key: number): Position | undefined {
    if (!Number.isSafeInteger(key) || key < 0) return undefined;
    const account = this.accounts[Math.floor(key / positionKeyMultiplier)];
    return account === undefined ? undefined : this.lookup(account, key % positionKeyMultiplier);
  }

  has(key: number): boolean {
    return this.get(key) !== undefined;
  }

  *values(): MapIterator<Position> {
    const size = this.size;
    for (const account of this.accounts) {
      const positions = account.positions;
      for (let at = 0; at < positions.length; at += 1) {
        yield positions[at]!;
        assert(this.size === size, "positions registered or forgotten while iterating over them");
      }
    }
  }

  *keys(): MapIterator<number> {
    for (const position of this.values()) yield keyOf(position);
  }

  *entries(): MapIterator<[number, Position]> {
    for (const position of this.values()) yield [keyOf(position), position];
  }

  [Symbol.iterator](): MapIterator<[number, Position]> {
    return this.entries();
  }

  forEach(callback: (position: Position, key: number, map: ReadonlyMap<number, Position>) => void, thisArgument?: unknown): void {
    for (const position of this.values()) callback.call(thisArgument, position, keyOf(position), this);
  }
}

function keyOf(position: Position): number {
  return position.account.index * positionKeyMultiplier + position.market.index;
}
