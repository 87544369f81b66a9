import type { Engine } from "./engine.ts";
import { assert } from "./assert.ts";
import { CanonicalWriter, type ChunkSink } from "./canonical-writer.ts";
import type { BookSide } from "./book/book-side.ts";
import { noSlot } from "./book/order-pool.ts";
import { Sha256, toHex } from "./sha256.ts";

// The state hash is SHA-256 over a canonical encoding of everything that can influence a future event:
// limits, clocks, accounts, markets with their books (levels worst → best, orders in queue order, GTD
// expiries), then each account's open-order list and client ids. Pool slot numbers and the lazily
// cleaned expiry queue are not observable, so they are not encoded. The same encoding is the snapshot
// format (state-restore.ts reads it back in one pass, in this order).

const formatVersion = "perpdex-state-v2";

export const stateFormatVersion = formatVersion;

export function writeState(engine: Engine, sink: ChunkSink): void {
  const writer = new CanonicalWriter(sink);
  writer.string(formatVersion);
  const limits = engine.limits;
  writer.u32(limits.marketsMax);
  writer.u32(limits.accountsMax);
  writer.u32(limits.ordersPerAccountMax);
  writer.u32(limits.batchItemsMax);
  writer.u32(limits.fillsPerOrderMax);
  writer.safeInteger(engine.lastSequence);
  writer.i64(engine.lastTime);
  // The number of resting orders, so a restore can size its pool and index once.
  writer.safeInteger(engine.pool.count);
  writer.u32(engine.accounts.list.length);
  for (const account of engine.accounts.list) writer.string(account.address);
  writer.u32(engine.markets.length);
  for (const market of engine.markets) {
    const spec = market.spec;
    writer.string(spec.symbol);
    writer.string(spec.tickSize);
    writer.string(spec.lotSize);
    writer.u32(spec.minOrderLots);
    writer.u32(spec.maxOrderLots);
    writer.u32(spec.priceBandPpm);
    writer.u32(spec.referencePriceTicks);
    writer.u32(spec.marketOrderSlippagePpm);
    writer.u32(market.referencePrice);
    writeSide(writer, engine, market.bids);
    writeSide(writer, engine, market.asks);
  }
  writeAccounts(writer, engine);
  writer.flush();
}

function writeSide(writer: CanonicalWriter, engine: Engine, side: BookSide): void {
  const pool = engine.pool;
  writer.u32(side.levels.length);
  for (const level of side.levels) {
    writer.u32(level.price);
    writer.u32(level.orderCount);
    writer.safeInteger(level.totalLots);
    for (let slot = level.head; slot !== noSlot; slot = pool.next[slot]!) {
      const orderId = pool.orderId[slot]!;
      // Only GTD orders carry an expiry; a flag keeps the common case free of bigint reads.
      const expiresAt = engine.expiryByOrder.size === 0 ? undefined : engine.expiryByOrder.get(orderId);
      // safeInteger(orderId), u32(account), u32(size), u32(remaining), u8(flags), boolean(has expiry).
      const at = writer.room(22);
      writer.putSafeInteger(at, orderId);
      writer.putU32(at + 8, pool.account[slot]!);
      writer.putU32(at + 12, pool.size[slot]!);
      writer.putU32(at + 16, pool.remaining[slot]!);
      writer.putU8(at + 20, pool.flags[slot]!);
      writer.putU8(at + 21, expiresAt === undefined ? 0 : 1);
      if (expiresAt !== undefined) writer.i64(expiresAt);
    }
  }
}

// The accounts' open-order lists are walked a batch of accounts at a time, all of the batch's lists in
// turn (one step of each, then the next step), and written out account by account afterwards. Each step
// of a list depends on the one before it, and at millions of orders each lands at a random place in the
// pool: walking one list at a time kept about one memory read in flight, walking a batch's lists in turn
// keeps many. The bytes are those of the plain walk.
const listBatchAccounts = 1024;

function writeAccounts(writer: CanonicalWriter, engine: Engine): void {
  const pool = engine.pool;
  const accounts = engine.accounts.list;
  const cursors = new Int32Array(listBatchAccounts);
  // By account of the batch: where its next order id goes, and where its ids end.
  const filled = new Int32Array(listBatchAccounts);
  const ends = new Int32Array(listBatchAccounts);
  const walking = new Int32Array(listBatchAccounts);
  let orderIds = new Float64Array(8192);
  for (let first = 0; first < accounts.length; first += listBatchAccounts) {
    const end = Math.min(accounts.length, first + listBatchAccounts);
    let total = 0;
    let walkingCount = 0;
    for (let index = first; index < end; index += 1) {
      const account = accounts[index]!;
      filled[index - first] = total;
      cursors[index - first] = account.orderHead;
      if (account.orderHead !== noSlot) walking[walkingCount++] = index - first;
      total += account.openOrderCount;
      ends[index - first] = total;
    }
    if (total > orderIds.length) orderIds = new Float64Array(Math.max(total, orderIds.length * 2));
    // Bounded: every pass takes one order from every list still walking, and a list stops at its count
    // (a longer one, or a loop, fails the assert).
    while (walkingCount > 0) {
      for (let at = 0; at < walkingCount; ) {
        const batchIndex = walking[at]!;
        const slot = cursors[batchIndex]!;
        const written = filled[batchIndex]! + 1;
        orderIds[written - 1] = pool.orderId[slot]!;
        filled[batchIndex] = written;
        const following = pool.accountNext[slot]!;
        if (following === noSlot || written >= ends[batchIndex]!) {
          assert(following === noSlot, "an account's open-order list is longer than its count");
          walkingCount -= 1;
          walking[at] = walking[walkingCount]!;
        } else {
          cursors[batchIndex] = following;
          at += 1;
        }
      }
    }
    for (let index = first; index < end; index += 1) {
      const account = accounts[index]!;
      const count = account.openOrderCount;
      const start = ends[index - first]! - count;
      assert(filled[index - first] === start + count, "an account's open-order list differs from its count");
      writer.u32(count);
      for (let at = start; at < start + count; at += 1) writer.safeInteger(orderIds[at]!);
      const clientOrders = account.clientOrders;
      writer.u32(clientOrders === null ? 0 : clientOrders.size);
      if (clientOrders === null) continue;
      for (const [clientOrderId, orderId] of clientOrders) {
        writer.string(clientOrderId);
        writer.safeInteger(orderId);
      }
    }
  }
}

/** SHA-256 of the canonical state encoding, as lowercase hex. */
export function stateHash(engine: Engine): string {
  const hasher = new Sha256();
  writeState(engine, (chunk) => hasher.update(chunk));
  return toHex(hasher.digest());
}
