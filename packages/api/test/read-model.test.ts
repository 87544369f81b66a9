// The read model's per-command bookkeeping: fees reach the fills of the trade their TradeSettled names,
// whatever the order of the command's trades, fills and settlements; candles follow every trade across
// interval boundaries (checked against candles recomputed from the trade tape); liquidation events are
// recognised by type every time. And the book mirror's level texts, formatted when read, match the
// levels' sizes and the grid after a split.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { AppliedCommand } from "@perpdex/node";
import { candleIntervalNames, candleIntervals, MarketHistory } from "../src/read-model/market-data.ts";
import { ReadModel } from "../src/read-model/read-model.ts";
import { BookMirror } from "../src/ws/book-mirror.ts";
import { seededRandom } from "./seeded-random.ts";

const time = 1_767_225_600_000_000_000n;
const maker = "0x00000000000000000000000000000000000000aa";
const taker = "0x00000000000000000000000000000000000000bb";

function command(sequence: number, events: Record<string, unknown>[]): AppliedCommand {
  return {
    sequence,
    time,
    command: { type: "batch", account: taker, items: [], sequence, time },
    result: { ok: true },
    events: events.map((event, index) => ({ sequence, index, time, ...event })),
    auth: undefined,
    replaying: false,
  } as unknown as AppliedCommand;
}

function accepted(orderId: number, account: string, side: "buy" | "sell", price: number, size: number): Record<string, unknown> {
  return {
    type: "OrderAccepted",
    orderId,
    account,
    market: "BTC-PERP",
    side,
    orderType: "limit",
    price,
    size,
    timeInForce: side === "buy" ? "IOC" : "GTC",
    postOnly: false,
    reduceOnly: false,
    clientOrderId: null,
    expiresAt: null,
  };
}

function filled(orderId: number, account: string, tradeIndex: number, isMaker: boolean, price: number): Record<string, unknown> {
  return { type: "OrderFilled", orderId, account, market: "BTC-PERP", tradeIndex, maker: isMaker, fillPrice: price, fillSize: 1, filled: 1, remaining: 0 };
}

test("each fill gets the fee of its own trade's settlement, settled right away or at the end of the command", () => {
  for (const settleAtEnd of [false, true]) {
    const readModel = new ReadModel();
    readModel.apply(command(1, [accepted(1, maker, "sell", 100, 1), accepted(2, maker, "sell", 101, 1)]));
    // Event indexes: 0 accepted, 1 trade, 2 maker fill, 3 [settle], then the second trade.
    const trade = (index: number, price: number): Record<string, unknown> => ({ type: "TradeExecuted", index, market: "BTC-PERP", price, size: 1, takerSide: "buy" });
    const settled = (tradeIndex: number, makerFee: number, takerFee: number): Record<string, unknown> => ({ type: "TradeSettled", tradeIndex, makerFee, takerFee });
    const events = settleAtEnd
      ? [accepted(3, taker, "buy", 101, 2), trade(1, 100), filled(1, maker, 1, true, 100), trade(3, 101), filled(2, maker, 3, true, 101), filled(3, taker, 3, false, 101), settled(1, -10, 20), settled(3, -11, 21)]
      : [accepted(3, taker, "buy", 101, 2), trade(1, 100), filled(1, maker, 1, true, 100), settled(1, -10, 20), trade(4, 101), filled(2, maker, 4, true, 101), filled(3, taker, 4, false, 101), settled(4, -11, 21)];
    // The events' own indexes are their positions: the trades above sit where their index says.
    readModel.apply(command(2, events));
    const makerFills = readModel.findAccount(maker)!.fills.newest(10).reverse();
    assert.deepEqual(makerFills.map((fill) => [fill.orderId, fill.price, fill.side, fill.fee]), [[1, 100, "sell", -10], [2, 101, "sell", -11]], `settled at the end: ${settleAtEnd}`);
    const takerFills = readModel.findAccount(taker)!.fills.newest(10);
    assert.deepEqual(takerFills.map((fill) => [fill.orderId, fill.side, fill.fee]), [[3, "buy", 21]]);
    assert.equal(readModel.openOrders.size, 0);
    assert.deepEqual(readModel.findAccount(maker)!.orders.newest(10).map((order) => [order.orderId, order.status]), [[2, "filled"], [1, "filled"]]);
  }
});

test("each command starts from no trades and no fills of its own, whatever the commands before it had", () => {
  const readModel = new ReadModel();
  const trade = (index: number, takerSide: "buy" | "sell"): Record<string, unknown> => ({ type: "TradeExecuted", index, market: "BTC-PERP", price: 100, size: 1, takerSide });
  readModel.apply(command(1, [trade(1, "sell"), filled(10, maker, 1, true, 100), { type: "TradeSettled", tradeIndex: 1, makerFee: -5, takerFee: 7 }]));
  // A fill naming a trade this command did not execute (index 1 was the last command's, sold into):
  // the default taker side (buy), so the maker sold, and no fee; and the last command's fill is not
  // pushed again.
  readModel.apply(command(2, [filled(11, maker, 1, true, 100)]));
  readModel.apply(command(3, []));
  const makerFills = readModel.findAccount(maker)!.fills.newest(10);
  assert.deepEqual(
    makerFills.map((fill) => [fill.sequence, fill.orderId, fill.side, fill.fee]),
    [
      [2, 11, "sell", 0],
      [1, 10, "buy", -5],
    ],
  );
});

test("liquidation events are kept per account every time their type comes round", () => {
  const readModel = new ReadModel();
  for (let sequence = 1; sequence <= 3; sequence += 1) {
    readModel.apply(command(sequence, [{ type: "PositionUpdated", account: maker, market: "BTC-PERP" }, { type: "LiquidationTriggered", account: maker, market: "BTC-PERP" }]));
  }
  assert.deepEqual(readModel.findAccount(maker)!.liquidations.newest(10).map((entry) => [entry.sequence, entry.type]), [[3, "LiquidationTriggered"], [2, "LiquidationTriggered"], [1, "LiquidationTriggered"]]);
});

test("candles follow every trade across interval boundaries", () => {
  const next = seededRandom(7);
  const history = new MarketHistory();
  const trades: { timeMs: number; price: number; size: number }[] = [];
  let timeMs = 1_767_225_600_000;
  for (let index = 0; index < 3_000; index += 1) {
    // Several trades share a time (one command), then time jumps by up to 40 minutes.
    if (next() < 0.6) timeMs += Math.floor(next() * 2_400_000);
    const price = 90_000 + Math.floor(next() * 1_000);
    const size = 1 + Math.floor(next() * 50);
    trades.push({ timeMs, price, size });
    history.addTrade({ sequence: index, index: 0, time: BigInt(timeMs) * 1_000_000n + BigInt(Math.floor(next() * 1_000_000)), price, size, takerSide: "buy" });
  }
  for (const name of candleIntervalNames) {
    const expected = new Map<number, { startMs: number; open: number; high: number; low: number; close: number; volumeLots: number; trades: number }>();
    for (const trade of trades) {
      const startMs = trade.timeMs - (trade.timeMs % candleIntervals[name]);
      const candle = expected.get(startMs);
      if (candle === undefined) expected.set(startMs, { startMs, open: trade.price, high: trade.price, low: trade.price, close: trade.price, volumeLots: trade.size, trades: 1 });
      else Object.assign(candle, { high: Math.max(candle.high, trade.price), low: Math.min(candle.low, trade.price), close: trade.price, volumeLots: candle.volumeLots + trade.size, trades: candle.trades + 1 });
    }
    const kept = [...expected.values()].slice(-1_500).reverse();
    assert.deepEqual(history.candles.get(name)!.newest(10_000), kept, name);
  }
});

test("book levels write their sizes as they are when read, and their prices on the grid after a split", () => {
  const mirror = new BookMirror();
  const book = mirror.addMarket("BTC-PERP", "0.5", "0.001");
  book.asks.change(200_001, 3, book);
  book.bids.change(199_999, 1_500, book);
  assert.deepEqual(book.asks.top(5), [["100000.5", "0.003"]]);
  book.asks.change(200_001, 4, book);
  book.asks.change(200_003, 1, book);
  assert.deepEqual(book.asks.top(5), [["100000.5", "0.007"], ["100001.5", "0.001"]]);
  book.asks.change(200_001, -7, book);
  book.asks.change(200_001, 2, book);
  assert.deepEqual(book.asks.top(5), [["100000.5", "0.002"], ["100001.5", "0.001"]]);
  const checksum = book.checksum();
  book.regrid("0.25");
  assert.deepEqual(book.asks.top(5), [["50000.25", "0.002"], ["50000.75", "0.001"]]);
  assert.deepEqual(book.bids.top(5), [["49999.75", "1.5"]]);
  assert.notEqual(book.checksum(), checksum);
  assert.equal(book.snapshotNeeded, true);
});
