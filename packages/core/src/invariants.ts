import { AssertionFailed } from "./assert.ts";
import type { BookSide } from "./book/book-side.ts";
import { flagIsSell, noSlot } from "./book/order-pool.ts";
import type { Engine } from "./engine.ts";
import type { Market } from "./market.ts";

// Full consistency check of the engine, O(state). Tests and the simulator call it after every command;
// the node can call it at checkpoints. It throws AssertionFailed naming the first broken invariant.

function check(condition: boolean, message: string): void {
  if (!condition) throw new AssertionFailed(`invariant: ${message}`);
}

export function checkInvariants(engine: Engine): void {
  let restingOrders = 0;
  for (const market of engine.markets) {
    restingOrders += checkSide(engine, market, market.bids);
    restingOrders += checkSide(engine, market, market.asks);
    const bestBid = market.bids.best();
    const bestAsk = market.asks.best();
    if (bestBid !== undefined && bestAsk !== undefined) {
      check(bestBid.price < bestAsk.price, `${market.symbol} book is crossed: ${bestBid.price} >= ${bestAsk.price}`);
    }
  }
  check(engine.pool.count === restingOrders, `pool holds ${engine.pool.count} orders, books ${restingOrders}`);
  check(engine.orderIndex.count === restingOrders, `order index holds ${engine.orderIndex.count}, books ${restingOrders}`);
  checkAccounts(engine, restingOrders);
}

function checkSide(engine: Engine, market: Market, side: BookSide): number {
  const pool = engine.pool;
  const name = `${market.symbol} ${side.isBid ? "bids" : "asks"}`;
  let orders = 0;
  for (let position = 0; position < side.levels.length; position += 1) {
    const level = side.levels[position]!;
    const previousLevel = side.levels[position - 1];
    if (previousLevel !== undefined) {
      check(side.isBetter(level.price, previousLevel.price), `${name} levels out of order at ${level.price}`);
    }
    check(side.find(level.price) === level, `${name} level ${level.price} missing from its price map`);
    check(level.orderCount > 0, `${name} level ${level.price} is empty`);
    let count = 0;
    let total = 0;
    let previous = noSlot;
    let previousId = 0;
    for (let slot = level.head; slot !== noSlot; slot = pool.next[slot]!) {
      const orderId = pool.orderId[slot]!;
      check(pool.isLive(slot), `${name} level ${level.price} links a free slot`);
      check(pool.previous[slot] === previous, `${name} order ${orderId} has a broken back link`);
      check(orderId > previousId, `${name} level ${level.price} is not FIFO at order ${orderId}`);
      check(pool.price[slot] === level.price, `order ${orderId} price differs from its level`);
      check(pool.market[slot] === market.index, `order ${orderId} sits in the wrong market`);
      check(flagIsSell(pool.flags[slot]!) === !side.isBid, `order ${orderId} sits on the wrong side`);
      const remaining = pool.remaining[slot]!;
      const size = pool.size[slot]!;
      check(remaining > 0, `order ${orderId} rests with nothing remaining`);
      check(remaining <= size, `order ${orderId}: filled + remaining must equal size`);
      check(engine.orderIndex.find(orderId) === slot, `order ${orderId} is not indexed at its slot`);
      count += 1;
      total += remaining;
      previous = slot;
      previousId = orderId;
    }
    check(level.tail === previous, `${name} level ${level.price} tail is stale`);
    check(level.orderCount === count, `${name} level ${level.price} counts ${level.orderCount}, holds ${count}`);
    check(level.totalLots === total, `${name} level ${level.price} totals ${level.totalLots}, holds ${total}`);
    orders += count;
  }
  return orders;
}

function checkAccounts(engine: Engine, restingOrders: number): void {
  const pool = engine.pool;
  let listed = 0;
  for (const account of engine.accounts.list) {
    let count = 0;
    let previous = noSlot;
    for (let slot = account.orderHead; slot !== noSlot; slot = pool.accountNext[slot]!) {
      check(pool.isLive(slot), `account ${account.address} lists a free slot`);
      check(pool.account[slot] === account.index, `account ${account.address} lists another account's order`);
      check(pool.accountPrevious[slot] === previous, `account ${account.address} order list has a broken back link`);
      count += 1;
      previous = slot;
    }
    check(count === account.openOrderCount, `account ${account.address} counts ${account.openOrderCount}, lists ${count}`);
    check(count <= engine.limits.ordersPerAccountMax, `account ${account.address} is over its open-order limit`);
    for (const [clientOrderId, orderId] of account.clientOrders ?? []) {
      const slot = engine.orderIndex.find(orderId);
      check(slot !== noSlot && pool.account[slot] === account.index, `client id ${clientOrderId} names no open order`);
      check(account.clientIdsByOrder?.get(orderId) === clientOrderId, `client id ${clientOrderId} is missing from its order's reverse entry`);
    }
    check((account.clientIdsByOrder?.size ?? 0) === (account.clientOrders?.size ?? 0), `account ${account.address} keeps reverse client-id entries of orders no longer open`);
    listed += count;
  }
  check(listed === restingOrders, `accounts list ${listed} orders, books hold ${restingOrders}`);
  for (const orderId of engine.expiryByOrder.keys()) {
    check(engine.orderIndex.find(orderId) !== noSlot, `GTD expiry kept for order ${orderId} that is not open`);
  }
}
