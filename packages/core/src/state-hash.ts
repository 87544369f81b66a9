import type { Engine } from "./engine.ts";
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
      writer.safeInteger(orderId);
      writer.u32(pool.account[slot]!);
      writer.u32(pool.size[slot]!);
      writer.u32(pool.remaining[slot]!);
      writer.u8(pool.flags[slot]!);
      // Only GTD orders carry an expiry; a flag keeps the common case free of bigint reads.
      const expiresAt = engine.expiryByOrder.size === 0 ? undefined : engine.expiryByOrder.get(orderId);
      writer.boolean(expiresAt !== undefined);
      if (expiresAt !== undefined) writer.i64(expiresAt);
    }
  }
}

function writeAccounts(writer: CanonicalWriter, engine: Engine): void {
  const pool = engine.pool;
  for (const account of engine.accounts.list) {
    writer.u32(account.openOrderCount);
    for (let slot = account.orderHead; slot !== noSlot; slot = pool.accountNext[slot]!) {
      writer.safeInteger(pool.orderId[slot]!);
    }
    const clientOrders = account.clientOrders;
    writer.u32(clientOrders === null ? 0 : clientOrders.size);
    if (clientOrders === null) continue;
    for (const [clientOrderId, orderId] of clientOrders) {
      writer.string(clientOrderId);
      writer.safeInteger(orderId);
    }
  }
}

/** SHA-256 of the canonical state encoding, as lowercase hex. */
export function stateHash(engine: Engine): string {
  const hasher = new Sha256();
  writeState(engine, (chunk) => hasher.update(chunk));
  return toHex(hasher.digest());
}
