import { OrderBook, SelfTradePreventionMode, Side } from "nodejs-order-book";
import { goodTillCanceled, orderBookId } from "./order-book-runner.ts";
import { Engine, type PriceTicks, type SizeLots } from "@perpdex/core";
import { nowNs, readMemory, type MemoryReading } from "./measure.ts";
import { Random } from "./random.ts";
import { benchMarket, marketSpec, userAddresses } from "./workload.ts";

// Memory held per resting order: load a book of non-crossing orders into a fresh engine, collect
// garbage, and divide what the heap and the ArrayBuffer backing stores grew by. The commands are made
// one at a time and dropped, so only what the engine keeps is counted, including the slack of its
// growable arrays (that memory is held, so it is reported).

export interface RestingLoad {
  readonly restingOrders: number;
  readonly markets: number;
  /** Price levels per side of each market the orders are spread over. */
  readonly levelsPerSide: number;
  readonly users: number;
  readonly seed: number;
}

export interface RestingMemory {
  readonly restingOrders: number;
  readonly markets: number;
  readonly heapBytes: number;
  readonly arrayBuffersBytes: number;
  /** (heap growth + ArrayBuffer growth) / resting orders. */
  readonly bytesPerRestingOrder: number;
  readonly loadSeconds: number;
  readonly after: MemoryReading;
}

interface RestingOrder {
  market: number;
  sell: boolean;
  price: number;
  size: number;
  user: number;
}

/** The load's orders, one at a time: round-robin over markets, bids below and asks above the reference. */
function* restingOrders(load: RestingLoad): Generator<RestingOrder> {
  const random = new Random(load.seed);
  const order: RestingOrder = { market: 0, sell: false, price: 0, size: 0, user: 0 };
  for (let index = 0; index < load.restingOrders; index += 1) {
    order.market = index % load.markets;
    order.sell = random.chance(500);
    const offset = 1 + random.below(load.levelsPerSide);
    order.price = benchMarket.referencePriceTicks + (order.sell ? offset : -offset);
    order.size = random.between(1, 100);
    order.user = random.below(load.users);
    yield order;
  }
}

export function marketSymbol(market: number, markets: number): string {
  return markets === 1 ? benchMarket.symbol : `M${String(market).padStart(4, "0")}-PERP`;
}

export function perpdexRestingMemory(load: RestingLoad): RestingMemory {
  const accounts = userAddresses(load);
  const symbols = Array.from({ length: load.markets }, (_, market) => marketSymbol(market, load.markets));
  const before = readMemory();
  const started = nowNs();
  const engine = new Engine({ limits: { ordersPerAccountMax: load.restingOrders, marketsMax: Math.max(4096, load.markets) } });
  let sequence = 0;
  const time = (): bigint => 1_750_000_000_000_000_000n + BigInt(sequence) * 1_000n;
  for (const symbol of symbols) {
    sequence += 1;
    engine.apply({ type: "createMarket", sequence, time: time(), market: marketSpec(symbol) });
  }
  for (const order of restingOrders(load)) {
    sequence += 1;
    const result = engine.apply({
      type: "placeOrder",
      sequence,
      time: time(),
      account: accounts[order.user]!,
      order: {
        market: symbols[order.market]!,
        side: order.sell ? "sell" : "buy",
        type: "limit",
        price: order.price as PriceTicks,
        size: order.size as SizeLots,
        timeInForce: "GTC",
      },
    });
    if (!result.ok) throw new Error(`memory load: order rejected: ${result.code} ${result.message}`);
  }
  const loadSeconds = (nowNs() - started) / 1e9;
  const after = readMemory();
  // Checked after the reading: a local the code no longer uses may be collected before it.
  if (engine.pool.count !== load.restingOrders) throw new Error(`memory load: ${engine.pool.count} orders rest`);
  return summarize({ load, before, after, loadSeconds });
}

export function orderBookRestingMemory(load: RestingLoad): RestingMemory {
  if (load.markets !== 1) throw new Error("nodejs-order-book holds one market per OrderBook; measure one");
  const accounts = userAddresses(load);
  const before = readMemory();
  const started = nowNs();
  const book = new OrderBook();
  let id = 0;
  for (const order of restingOrders(load)) {
    id += 1;
    const result = book.limit({
      id: orderBookId(id),
      side: order.sell ? Side.SELL : Side.BUY,
      size: order.size,
      price: order.price,
      timeInForce: goodTillCanceled,
      accountId: accounts[order.user]!,
      stpMode: SelfTradePreventionMode.EXPIRE_TAKER,
    });
    if (result.err !== null || result.done.length > 0) throw new Error(`memory load: order ${id} did not rest`);
  }
  const loadSeconds = (nowNs() - started) / 1e9;
  const after = readMemory();
  // Checked after the reading: a local the code no longer uses may be collected before it.
  if (book.order(orderBookId(id)) === undefined) throw new Error("memory load: the last order is not on the book");
  return summarize({ load, before, after, loadSeconds });
}

function summarize(options: { load: RestingLoad; before: MemoryReading; after: MemoryReading; loadSeconds: number }): RestingMemory {
  const { load, before, after } = options;
  const heapBytes = after.heapUsedBytes - before.heapUsedBytes;
  const arrayBuffersBytes = after.arrayBuffersBytes - before.arrayBuffersBytes;
  return {
    restingOrders: load.restingOrders,
    markets: load.markets,
    heapBytes,
    arrayBuffersBytes,
    bytesPerRestingOrder: Math.round(((heapBytes + arrayBuffersBytes) / load.restingOrders) * 10) / 10,
    loadSeconds: Math.round(options.loadSeconds * 100) / 100,
    after,
  };
}
