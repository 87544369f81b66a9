import { assert, AssertionFailed } from "./assert.ts";
import type { BookSide } from "./book/book-side.ts";
import { noSlot } from "./book/order-pool.ts";
import { CanonicalReader } from "./canonical-reader.ts";
import type { MarketSpec } from "./commands.ts";
import { Engine, type EngineLimits } from "./engine.ts";
import { stateFormatVersion } from "./state-hash.ts";
import type { PriceTicks, RatePpm, SizeLots } from "./units.ts";

// Rebuilds an engine from the canonical state encoding (state-hash.ts), the snapshot format. The result
// hashes to the same state hash as the engine that wrote it; the node checks that after every restore.

/**
 * @example
 * const chunks: Uint8Array[] = [];
 * writeState(engine, (chunk) => chunks.push(chunk.slice()));
 * const copy = restoreState(concat(chunks));
 * assert(stateHash(copy) === stateHash(engine));
 */
export function restoreState(bytes: Uint8Array): Engine {
  const reader = new CanonicalReader(bytes);
  const engine = readEngineState(reader);
  if (!reader.done) throw new AssertionFailed("snapshot: trailing bytes");
  return engine;
}

/** Reads the engine's section of a snapshot, leaving the reader after it (the exchange's section follows). */
export function readEngineState(reader: CanonicalReader): Engine {
  const version = reader.string();
  if (version !== stateFormatVersion) throw new AssertionFailed(`snapshot: unknown format ${version}`);
  const limits: EngineLimits = {
    marketsMax: reader.u32(),
    accountsMax: reader.u32(),
    ordersPerAccountMax: reader.u32(),
    batchItemsMax: reader.u32(),
    fillsPerOrderMax: reader.u32(),
  };
  const engine = new Engine({ limits });
  engine.restoreClock(reader.safeInteger(), reader.i64());
  const orderCount = reader.safeInteger();
  engine.pool.reserve(orderCount);
  engine.orderIndex.reserve(orderCount);
  const accountCount = reader.u32();
  for (let index = 0; index < accountCount; index += 1) engine.accounts.create(reader.string());
  const marketCount = reader.u32();
  for (let index = 0; index < marketCount; index += 1) restoreMarket(reader, engine);
  const slots: number[] = [];
  for (const account of engine.accounts.list) restoreAccountOrders(reader, engine, account.index, slots);
  return engine;
}

function restoreMarket(reader: CanonicalReader, engine: Engine): void {
  const spec: MarketSpec = {
    symbol: reader.string(),
    tickSize: reader.string(),
    lotSize: reader.string(),
    minOrderLots: reader.u32() as SizeLots,
    maxOrderLots: reader.u32() as SizeLots,
    priceBandPpm: reader.u32() as RatePpm,
    referencePriceTicks: reader.u32() as PriceTicks,
    marketOrderSlippagePpm: reader.u32() as RatePpm,
  };
  const market = engine.registerMarket(spec);
  market.referencePrice = reader.u32();
  restoreSide(reader, engine, market.index, market.bids);
  restoreSide(reader, engine, market.index, market.asks);
}

function restoreSide(
  reader: CanonicalReader,
  engine: Engine,
  marketIndex: number,
  side: BookSide,
): void {
  const pool = engine.pool;
  const levelCount = reader.u32();
  for (let levelNumber = 0; levelNumber < levelCount; levelNumber += 1) {
    // Levels arrive worst → best, so each new level is appended at the best end: no array moves.
    const level = side.levelAt(reader.u32());
    const orderCount = reader.u32();
    const totalLots = reader.safeInteger();
    for (let orderNumber = 0; orderNumber < orderCount; orderNumber += 1) {
      const slot = pool.allocate();
      const orderId = reader.safeInteger();
      pool.orderId[slot] = orderId;
      pool.account[slot] = reader.u32();
      pool.market[slot] = marketIndex;
      pool.price[slot] = level.price;
      pool.size[slot] = reader.u32();
      pool.remaining[slot] = reader.u32();
      pool.flags[slot] = reader.u8();
      const expiresAt = reader.u8() === 1 ? reader.i64() : 0n;
      assert(pool.account[slot]! < engine.accounts.count, "snapshot: order of an unknown account");
      engine.appendToLevel(level, slot);
      engine.orderIndex.insert(slot);
      if (expiresAt !== 0n) engine.trackExpiry(orderId, expiresAt);
    }
    if (level.totalLots !== totalLots) throw new AssertionFailed(`snapshot: level ${level.price} total differs`);
  }
}

function restoreAccountOrders(
  reader: CanonicalReader,
  engine: Engine,
  accountIndex: number,
  slots: number[],
): void {
  const account = engine.accounts.list[accountIndex]!;
  const openOrders = reader.u32();
  // The list is newest first; pushing at the head in reverse rebuilds the same order. `slots` is one
  // scratch array for all accounts (a million at a large restore), emptied here.
  slots.length = 0;
  for (let index = 0; index < openOrders; index += 1) {
    const slot = engine.orderIndex.find(reader.safeInteger());
    if (slot === noSlot || engine.pool.account[slot] !== accountIndex) {
      throw new AssertionFailed(`snapshot: account ${account.address} lists a missing order`);
    }
    slots.push(slot);
  }
  for (let index = slots.length - 1; index >= 0; index -= 1) engine.pushToAccount(account, slots[index]!);
  assert(account.orderHead === (slots[0] ?? noSlot));
  const clientOrderCount = reader.u32();
  if (clientOrderCount === 0) return;
  account.clientOrders = new Map();
  for (let index = 0; index < clientOrderCount; index += 1) {
    const clientOrderId = reader.string();
    account.clientOrders.set(clientOrderId, reader.safeInteger());
  }
}
