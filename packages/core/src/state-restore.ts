import { widenAccountShape, type Account } from "./accounts.ts";
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
  const { engine } = readEngineState(reader);
  if (!reader.done) throw new AssertionFailed("snapshot: trailing bytes");
  return engine;
}

/** The engine's section of a snapshot, read back. */
export interface EngineRead {
  readonly engine: Engine;
  /**
   * The pool slot of every resting order, account after account, each account's run `openOrderCount`
   * long (newest first): the perpetual layer rebuilds order totals from it in account order without
   * chasing the accounts' linked lists through the pool.
   */
  readonly orderSlots: Int32Array;
}

// The fewest bytes of a snapshot each order (22 in its level, 8 in its account's list), account (its
// address's length, list length and client-id count) and market (three strings' lengths, six u32s and
// two level counts) takes. The node restores a body while its checksum is still being computed on
// another thread, so a damaged count must not size or loop anything past what the bytes could hold.
const orderBytesMin = 30;
const accountBytesMin = 12;
const marketBytesMin = 44;

// Marks a restored order that no account's list has named yet (pushToAccount overwrites it).
const unlisted = -2;

/** Reads the engine's section of a snapshot, leaving the reader after it (the exchange's section follows). */
export function readEngineState(reader: CanonicalReader): EngineRead {
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
  if (orderCount * orderBytesMin > reader.remaining) throw new AssertionFailed(`snapshot: ${orderCount} orders cannot fit`);
  engine.pool.reserve(orderCount);
  engine.orderIndex.reserve(orderCount);
  const accountCount = reader.u32();
  if (accountCount * accountBytesMin > reader.remaining) throw new AssertionFailed(`snapshot: ${accountCount} accounts cannot fit`);
  widenAccountShape();
  for (let index = 0; index < accountCount; index += 1) engine.accounts.create(reader.string());
  const marketCount = reader.u32();
  if (marketCount * marketBytesMin > reader.remaining) throw new AssertionFailed(`snapshot: ${marketCount} markets cannot fit`);
  for (let index = 0; index < marketCount; index += 1) restoreMarket(reader, engine);
  if (engine.pool.count !== orderCount) throw new AssertionFailed(`snapshot: the books hold ${engine.pool.count} orders, not ${orderCount}`);
  // A fresh pool hands out slots 0, 1, 2, … The index is filled in one tight loop after the books: its
  // inserts land at random places in a large table, and a short loop keeps several of those memory
  // reads in flight at once, where the loop reading the books left room for about one.
  assert(engine.pool.slotLimit === orderCount);
  for (let slot = 0; slot < orderCount; slot += 1) engine.orderIndex.insert(slot);
  const orderSlots = new Int32Array(orderCount);
  const listed = restoreAccountLists(reader, engine, ordersByAccount(engine.pool, engine.accounts.count, orderCount), orderSlots);
  // Each order is listed at most once and by its own account: with the counts equal, all of them are.
  if (listed !== orderCount) throw new AssertionFailed(`snapshot: the accounts list ${listed} orders, the books ${orderCount}`);
  return { engine, orderSlots };
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
      pool.accountPrevious[slot] = unlisted;
      const expiresAt = reader.u8() === 1 ? reader.i64() : 0n;
      assert(pool.account[slot]! < engine.accounts.count, "snapshot: order of an unknown account");
      engine.appendToLevel(level, slot);
      if (expiresAt !== 0n) engine.trackExpiry(orderId, expiresAt);
    }
    if (level.totalLots !== totalLots) throw new AssertionFailed(`snapshot: level ${level.price} total differs`);
  }
}

// The accounts' open-order lists are read a batch of accounts at a time (up to about this many orders
// and this many accounts), then each list's order ids are matched with slots (slotsFromBooks, or the
// order index for a list it does not take), then the lists are linked. Reading, matching and linking
// one account at a time instead was 0.4–1 s slower over a 15 s restore at 10 M orders (three pairs).
const batchOrdersMax = 4096;
const batchAccountsMax = 4096;

// Reads every account's open-order list into orderSlots (account after account) and links it; returns
// how many orders the lists named.
function restoreAccountLists(reader: CanonicalReader, engine: Engine, books: OrdersByAccount, orderSlots: Int32Array): number {
  const accounts = engine.accounts.list;
  let orderIds: Float64Array = new Float64Array(batchOrdersMax);
  const listLengths = new Int32Array(batchAccountsMax);
  let listed = 0;
  let next = 0;
  // Bounded: every batch takes at least one account.
  while (next < accounts.length) {
    const batchFirstOrder = listed;
    const batchFirstAccount = next;
    while (next < accounts.length && next - batchFirstAccount < batchAccountsMax && listed - batchFirstOrder < batchOrdersMax) {
      const account = accounts[next]!;
      const openOrders = reader.u32();
      if (listed + openOrders > orderSlots.length) throw new AssertionFailed(`snapshot: account ${account.address} lists more orders than the books hold`);
      const batchOrders = listed + openOrders - batchFirstOrder;
      if (batchOrders > orderIds.length) orderIds = copyGrown(orderIds, batchOrders);
      for (let at = listed; at < listed + openOrders; at += 1) orderIds[at - batchFirstOrder] = reader.safeInteger();
      readClientOrders(reader, account);
      listLengths[next - batchFirstAccount] = openOrders;
      listed += openOrders;
      next += 1;
    }
    let first = batchFirstOrder;
    for (let index = batchFirstAccount; index < next; index += 1) {
      const end = first + listLengths[index - batchFirstAccount]!;
      if (!slotsFromBooks(books, engine.pool.orderId, index, orderIds, first - batchFirstOrder, orderSlots, first, end)) {
        for (let at = first; at < end; at += 1) orderSlots[at] = engine.orderIndex.find(orderIds[at - batchFirstOrder]!);
      }
      first = end;
    }
    first = batchFirstOrder;
    for (let index = batchFirstAccount; index < next; index += 1) {
      const end = first + listLengths[index - batchFirstAccount]!;
      linkAccountOrders(engine, accounts[index]!, orderSlots, first, end);
      first = end;
    }
  }
  return listed;
}

/** Every resting order's slot, grouped by account (slots ascending within an account): a counting sort of the pool. */
interface OrdersByAccount {
  /** The slots of account `a` are `slots[start[a], start[a + 1])`. */
  readonly start: Int32Array;
  readonly slots: Int32Array;
  /** Scratch for slotsFromBooks: the ids of the list being sorted. */
  readonly sortedIds: Float64Array;
}

// Restore used to find every listed order id in the order index: at 10 M orders, ten million lookups of
// two dependent reads at random places each (the index's cell, then the pool's id to compare). The books
// have just given every order its slot and its account, so each account's orders are known without a
// lookup; only their place in the list is not. Two sequential passes over the pool group the slots by
// account. Reading and matching the lists took 2.4 s of a 19 s restore of the start-up benchmark's
// state, and takes 1.3 s this way (CPU profiles).
function ordersByAccount(pool: Engine["pool"], accountCount: number, orderCount: number): OrdersByAccount {
  const start = new Int32Array(accountCount + 1);
  const accountOf = pool.account;
  for (let slot = 0; slot < orderCount; slot += 1) {
    const after = accountOf[slot]! + 1;
    start[after] = start[after]! + 1;
  }
  for (let account = 0; account < accountCount; account += 1) start[account + 1] = start[account + 1]! + start[account]!;
  const filled = start.slice(0, accountCount);
  const slots = new Int32Array(orderCount);
  for (let slot = 0; slot < orderCount; slot += 1) {
    const account = accountOf[slot]!;
    const at = filled[account]!;
    slots[at] = slot;
    filled[account] = at + 1;
  }
  return { start, slots, sortedIds: new Float64Array(sortedListMax) };
}

// The longest list slotsFromBooks sorts (by insertion); a longer one is looked up in the index.
const sortedListMax = 64;

// Fills orderSlots[first, end) with the slots of the account's list, whose ids are
// listedIds[listedFirst, …), from the account's orders in the books, and returns true — when the list
// names exactly those orders, newest first (ids strictly descending: the engine lists an order at the
// head when it rests, and ids grow with time). Otherwise returns false and the caller looks the ids up
// in the index, whose path reports what is wrong with a list.
function slotsFromBooks(
  books: OrdersByAccount,
  poolIds: Float64Array,
  account: number,
  listedIds: Float64Array,
  listedFirst: number,
  orderSlots: Int32Array,
  first: number,
  end: number,
): boolean {
  const sortedIds = books.sortedIds;
  const bucketFirst = books.start[account]!;
  const count = books.start[account + 1]! - bucketFirst;
  if (count !== end - first || count > sortedListMax) return false;
  // Insertion sort of the account's orders by id, descending, into orderSlots[first, end).
  for (let placed = 0; placed < count; placed += 1) {
    const slot = books.slots[bucketFirst + placed]!;
    const id = poolIds[slot]!;
    let at = placed;
    while (at > 0 && sortedIds[at - 1]! < id) {
      sortedIds[at] = sortedIds[at - 1]!;
      orderSlots[first + at] = orderSlots[first + at - 1]!;
      at -= 1;
    }
    sortedIds[at] = id;
    orderSlots[first + at] = slot;
  }
  // Equal ids, strictly descending: the same orders, each once (a repeated id, which a damaged
  // snapshot could hold twice in the books, is left to the index's path).
  for (let at = 0; at < count; at += 1) {
    if (sortedIds[at] !== listedIds[listedFirst + at] || (at > 0 && !(sortedIds[at - 1]! > sortedIds[at]!))) return false;
  }
  return true;
}

function copyGrown(orderIds: Float64Array, length: number): Float64Array {
  const grown = new Float64Array(Math.max(length, orderIds.length * 2));
  grown.set(orderIds);
  return grown;
}

// Checks that orderSlots[first, end) are the account's own orders, each listed once, and links them
// into the account's list in that order.
function linkAccountOrders(engine: Engine, account: Account, orderSlots: Int32Array, first: number, end: number): void {
  const pool = engine.pool;
  for (let at = first; at < end; at += 1) {
    const slot = orderSlots[at]!;
    if (slot === noSlot || pool.account[slot] !== account.index) {
      throw new AssertionFailed(`snapshot: account ${account.address} lists a missing order`);
    }
    // A repeat would link the slot twice and close the account's list into a loop.
    if (pool.accountPrevious[slot] !== unlisted) throw new AssertionFailed(`snapshot: account ${account.address} lists an order twice`);
    pool.accountPrevious[slot] = noSlot;
  }
  // The list is newest first; pushing at the head in reverse rebuilds the same order.
  for (let at = end - 1; at >= first; at -= 1) engine.pushToAccount(account, orderSlots[at]!);
  assert(account.orderHead === (end === first ? noSlot : orderSlots[first]));
}

function readClientOrders(reader: CanonicalReader, account: Account): void {
  const clientOrderCount = reader.u32();
  if (clientOrderCount === 0) return;
  account.clientOrders = new Map();
  account.clientIdsByOrder = new Map();
  for (let index = 0; index < clientOrderCount; index += 1) {
    const clientOrderId = reader.string();
    const orderId = reader.safeInteger();
    account.clientOrders.set(clientOrderId, orderId);
    account.clientIdsByOrder.set(orderId, clientOrderId);
  }
}
