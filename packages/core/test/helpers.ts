// Test harness for the core. It proves nothing by itself; it makes every test that uses it check, after
// every command, what the design notes say must hold after every command:
// - checkInvariants(engine) passes (books, indexes, account lists, FIFO, not crossed);
// - every event carries the command's sequence and time and its own position as index;
// - every order's events follow the SPEC 02 transition matrix, terminal orders never get another event,
//   and fills keep filled + remaining = size (OrderStateTracker, built from events only);
// - the orders the events leave open are exactly the orders resting in the engine's books;
// - a rejected command changes nothing: the engine's state hash equals that of a twin engine that was
//   given a tick at the same sequence and time instead (a rejected command still consumes its sequence
//   number, and time passing still expires due GTD orders, so "unchanged" means "as if only time passed"),
//   and its events are the twin's (those expiries) plus at most one OrderRejected;
// - every rejection (also inside a batch) carries a stable code from rejectCodes and a readable message.
import assert from "node:assert/strict";
import {
  Engine,
  checkInvariants,
  rejectCodes,
  stateHash,
  type Command,
  type CommandInput,
  type CommandResult,
  type EngineLimits,
  type BookEvent,
  type ExchangeEvent,
  type MarketSpec,
  type PriceTicks,
  type RatePpm,
  type Rejection,
  type Side,
  type SizeLots,
  type TimeNs,
} from "@perpdex/core";

/** The pool's end-of-list marker (book/order-pool.ts `noSlot`, not exported by the package). */
const noSlot = -1;

// ---------------------------------------------------------------------------------------------------
// Markets

/** A market spec with round numbers: ticks around 1000, band ±10 %, market orders within 5 %. */
export function marketSpec(symbol: string, overrides: Partial<MarketSpec> = {}): MarketSpec {
  return {
    symbol,
    tickSize: "0.01",
    lotSize: "0.001",
    minOrderLots: 1 as SizeLots,
    maxOrderLots: 1000 as SizeLots,
    priceBandPpm: 100_000 as RatePpm,
    referencePriceTicks: 1000 as PriceTicks,
    marketOrderSlippagePpm: 50_000 as RatePpm,
    ...overrides,
  };
}

/** A valid account address made of one repeated hex digit: account("a") is 0xaaaa…a. */
export function account(digit: string): string {
  assert.match(digit, /^[0-9a-f]$/);
  return "0x" + digit.repeat(40);
}

// ---------------------------------------------------------------------------------------------------
// Book views (L3): per market, per side, levels best → worst, orders in queue order

export interface OrderView {
  readonly orderId: number;
  readonly account: string;
  readonly size: number;
  readonly remaining: number;
  readonly expiresAt: TimeNs | null;
}

export interface LevelView {
  readonly price: number;
  readonly orders: readonly OrderView[];
}

export interface MarketView {
  readonly referencePrice: number;
  readonly bids: readonly LevelView[];
  readonly asks: readonly LevelView[];
}

/** Markets by symbol. */
export type BooksView = Readonly<Record<string, MarketView>>;

export function engineBooks(engine: Engine): BooksView {
  const books: Record<string, MarketView> = {};
  for (const market of engine.markets) {
    books[market.symbol] = {
      referencePrice: market.referencePrice,
      bids: engineSide(engine, market.bids.levels),
      asks: engineSide(engine, market.asks.levels),
    };
  }
  return books;
}

function engineSide(
  engine: Engine,
  levels: readonly { readonly price: number; readonly head: number }[],
): LevelView[] {
  const pool = engine.pool;
  const views: LevelView[] = [];
  // Levels are kept worst → best; the view lists them best → worst.
  for (let position = levels.length - 1; position >= 0; position -= 1) {
    const level = levels[position]!;
    const orders: OrderView[] = [];
    for (let slot = level.head; slot !== noSlot; slot = pool.next[slot]!) {
      const orderId = pool.orderId[slot]!;
      orders.push({
        orderId,
        account: engine.accounts.list[pool.account[slot]!]!.address,
        size: pool.size[slot]!,
        remaining: pool.remaining[slot]!,
        expiresAt: engine.expiryByOrder.get(orderId) ?? null,
      });
    }
    views.push({ price: level.price, orders });
  }
  return views;
}

// ---------------------------------------------------------------------------------------------------
// SPEC 02 order states, tracked from events only

export type OrderState = "PENDING" | "PARTIAL" | "FILLED" | "CANCELED" | "REJECTED" | "EXPIRED";

export const terminalStates: ReadonlySet<OrderState> = new Set<OrderState>(["FILLED", "CANCELED", "REJECTED", "EXPIRED"]);

type TransitionEvent =
  | "OrderAccepted"
  | "OrderRejected"
  | "OrderPartiallyFilled"
  | "OrderFilled"
  | "OrderCanceled"
  | "OrderExpired";

/** SPEC 02 §6 transition matrix: for each event, the allowed (from → to) pairs; null is "not created". */
export const transitionMatrix: Readonly<Record<TransitionEvent, readonly (readonly [OrderState | null, OrderState])[]>> = {
  OrderAccepted: [[null, "PENDING"]],
  OrderRejected: [[null, "REJECTED"]],
  OrderPartiallyFilled: [
    ["PENDING", "PARTIAL"],
    ["PARTIAL", "PARTIAL"],
  ],
  OrderFilled: [
    ["PENDING", "FILLED"],
    ["PARTIAL", "FILLED"],
  ],
  OrderCanceled: [
    ["PENDING", "CANCELED"],
    ["PARTIAL", "CANCELED"],
  ],
  OrderExpired: [
    ["PENDING", "EXPIRED"],
    ["PARTIAL", "EXPIRED"],
  ],
};

/** Every (from → to) pair the matrix allows, as "from→to" with "∅" for not created. */
export const allTransitions: readonly string[] = Object.values(transitionMatrix).flatMap((pairs) =>
  pairs.map(([from, to]) => `${from ?? "∅"}→${to}`),
);

export interface TrackedOrder {
  readonly orderId: number;
  readonly account: string;
  readonly market: string;
  readonly side: Side | null;
  /** The price from OrderAccepted (a market order's protection price); 0 for a rejected order. */
  readonly price: number;
  readonly clientOrderId: string | null;
  state: OrderState;
  size: number;
  filled: number;
  remaining: number;
}

/**
 * Follows every order through its events and fails on any transition SPEC 02 does not allow, on any
 * event for an order in a terminal state, and on any fill that breaks filled + remaining = size.
 */
export class OrderStateTracker {
  readonly orders = new Map<number, TrackedOrder>();
  /** How often each "from→to" transition was seen, for coverage checks. */
  readonly transitions = new Map<string, number>();

  /** Follows the order events; the perpetual layer's events (positions, funding, …) are not order states. */
  observe(events: readonly ExchangeEvent[]): void {
    for (const event of events) {
      if (isBookEvent(event)) this.observeOne(event, events);
      else if (event.type === "OrderRescaled") this.rescaled(event);
    }
  }

  /** A stock split rescaled a resting order (perp/corporate-actions.ts): same state, new lots. */
  private rescaled(event: Extract<ExchangeEvent, { type: "OrderRescaled" }>): void {
    const order = this.mustFind(event.orderId, event.type);
    assert.ok(!terminalStates.has(order.state), `order ${event.orderId} rescaled in terminal state ${order.state}`);
    assert.equal(event.size, event.filled + event.remaining, `order ${event.orderId}: filled + remaining = size`);
    order.size = event.size;
    order.filled = event.filled;
    order.remaining = event.remaining;
  }

  openOrders(): TrackedOrder[] {
    return [...this.orders.values()].filter((order) => !terminalStates.has(order.state));
  }

  stateOf(orderId: number): OrderState | undefined {
    return this.orders.get(orderId)?.state;
  }

  private observeOne(event: BookEvent, events: readonly ExchangeEvent[]): void {
    switch (event.type) {
      case "MarketCreated":
      case "TradeExecuted":
        return;
      case "OrderAccepted": {
        this.transition(event.type, event.orderId, null, "PENDING");
        this.orders.set(event.orderId, {
          orderId: event.orderId,
          account: event.account,
          market: event.market,
          side: event.side,
          price: event.price,
          clientOrderId: event.clientOrderId,
          state: "PENDING",
          size: event.size,
          filled: 0,
          remaining: event.size,
        });
        assert.ok(Number.isInteger(event.size) && event.size > 0, `order ${event.orderId} accepted with size ${event.size}`);
        return;
      }
      case "OrderRejected": {
        this.transition(event.type, event.orderId, null, "REJECTED");
        this.orders.set(event.orderId, {
          orderId: event.orderId,
          account: event.account,
          market: event.market,
          side: null,
          price: 0,
          clientOrderId: event.clientOrderId,
          state: "REJECTED",
          size: 0,
          filled: 0,
          remaining: 0,
        });
        checkRejection({ ok: false, code: event.code, message: event.message }, `OrderRejected ${event.orderId}`);
        return;
      }
      case "OrderPartiallyFilled":
      case "OrderFilled": {
        const order = this.mustFind(event.orderId, event.type);
        const to: OrderState = event.type === "OrderFilled" ? "FILLED" : "PARTIAL";
        this.transition(event.type, event.orderId, order.state, to);
        assert.equal(event.account, order.account, `order ${event.orderId} fill names another account`);
        assert.equal(event.market, order.market, `order ${event.orderId} fill names another market`);
        assert.ok(event.fillSize > 0, `order ${event.orderId} fill of ${event.fillSize} lots`);
        assert.equal(event.filled, order.filled + event.fillSize, `order ${event.orderId}: filled grows by the fill`);
        assert.equal(event.remaining, order.remaining - event.fillSize, `order ${event.orderId}: remaining shrinks by the fill`);
        assert.equal(event.filled + event.remaining, order.size, `order ${event.orderId}: filled + remaining = size`);
        assert.equal(event.remaining === 0, to === "FILLED", `order ${event.orderId}: FILLED exactly when nothing remains`);
        this.checkTradeOfFill(event, order, events);
        order.state = to;
        order.filled = event.filled;
        order.remaining = event.remaining;
        return;
      }
      case "OrderCanceled":
      case "OrderExpired": {
        const order = this.mustFind(event.orderId, event.type);
        const to: OrderState = event.type === "OrderCanceled" ? "CANCELED" : "EXPIRED";
        this.transition(event.type, event.orderId, order.state, to);
        assert.equal(event.account, order.account, `order ${event.orderId} ${event.type} names another account`);
        assert.equal(event.filled, order.filled, `order ${event.orderId} ${event.type}: filled as tracked`);
        assert.equal(event.remaining, order.remaining, `order ${event.orderId} ${event.type}: remaining as tracked`);
        assert.ok(event.remaining > 0, `order ${event.orderId} ${event.type} with nothing remaining`);
        order.state = to;
        return;
      }
      case "OrderReduced": {
        // Not a SPEC 02 transition: a PENDING or PARTIAL order stays in its state with a smaller size.
        const order = this.mustFind(event.orderId, event.type);
        assert.ok(!terminalStates.has(order.state), `order ${event.orderId} reduced in terminal state ${order.state}`);
        assert.equal(event.filled, order.filled, `order ${event.orderId} reduce keeps filled`);
        assert.ok(event.remaining >= 1 && event.remaining < order.remaining, `order ${event.orderId} reduce must lower remaining`);
        assert.equal(event.size, event.filled + event.remaining, `order ${event.orderId}: filled + remaining = size`);
        order.size = event.size;
        order.remaining = event.remaining;
        return;
      }
      default: {
        const unknown: never = event;
        assert.fail(`unknown event ${JSON.stringify(unknown, jsonBigint)}`);
      }
    }
  }

  private mustFind(orderId: number, type: string): TrackedOrder {
    const order = this.orders.get(orderId);
    assert.ok(order !== undefined, `${type} for order ${orderId}, which was never accepted`);
    return order;
  }

  private transition(type: TransitionEvent, orderId: number, from: OrderState | null, to: OrderState): void {
    if (from !== null) {
      assert.ok(!terminalStates.has(from), `order ${orderId} is ${from} (terminal) and got ${type}`);
    } else {
      assert.ok(!this.orders.has(orderId), `order ${orderId} created twice (${type})`);
    }
    const allowed = transitionMatrix[type].some(([allowedFrom, allowedTo]) => allowedFrom === from && allowedTo === to);
    assert.ok(allowed, `order ${orderId}: ${from ?? "∅"} → ${to} by ${type} is not in the SPEC 02 matrix`);
    const key = `${from ?? "∅"}→${to}`;
    this.transitions.set(key, (this.transitions.get(key) ?? 0) + 1);
  }

  /** A fill event points at its TradeExecuted, which names this order on the right side at its price. */
  private checkTradeOfFill(
    event: Extract<ExchangeEvent, { type: "OrderFilled" | "OrderPartiallyFilled" }>,
    order: TrackedOrder,
    events: readonly ExchangeEvent[],
  ): void {
    const trade = events[event.tradeIndex];
    assert.ok(trade !== undefined && trade.type === "TradeExecuted", `fill ${event.index} points at no trade`);
    assert.equal(event.fillPrice, trade.price, `fill ${event.index} price differs from its trade`);
    assert.equal(event.fillSize, trade.size, `fill ${event.index} size differs from its trade`);
    assert.equal(event.orderId, event.maker ? trade.makerOrderId : trade.takerOrderId, `fill ${event.index} names the wrong order`);
    const takerSide = event.maker ? (order.side === "buy" ? "sell" : "buy") : order.side;
    assert.equal(trade.takerSide, takerSide, `fill ${event.index}: the order is on the wrong side of its trade`);
    // The maker trades at its own price; the taker at that price or better than its limit.
    if (event.maker) assert.equal(trade.price, order.price, `maker ${order.orderId} traded away from its price`);
    else if (order.side === "buy") assert.ok(trade.price <= order.price, `buy ${order.orderId} paid above its limit`);
    else assert.ok(trade.price >= order.price, `sell ${order.orderId} sold below its limit`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Per-command checks that need no engine internals

const knownCodes: ReadonlySet<string> = new Set(rejectCodes);

/** A rejection carries a stable code from rejectCodes and a readable, non-empty message. */
export function checkRejection(rejection: Rejection, where: string): void {
  assert.equal(rejection.ok, false, where);
  assert.ok(knownCodes.has(rejection.code), `${where}: unknown code ${String(rejection.code)}`);
  assert.equal(typeof rejection.message, "string", `${where}: message must be a string`);
  assert.ok(rejection.message.trim().length > 0, `${where}: empty message`);
}

/** The result's rejections, including those of batch items. */
export function checkResult(result: CommandResult, where: string): void {
  if (result.ok === false) checkRejection(result, where);
  else if ("items" in result) {
    assert.ok(result.items.length > 0, `${where}: a batch result has one result per item`);
    result.items.forEach((item, position) => {
      if (item.ok === false) checkRejection(item, `${where} item ${position}`);
    });
  }
}

/**
 * Each event carries the command's sequence and time and its position as index; each trade is followed
 * by exactly its maker's fill event and then its taker's; no account ever trades with itself.
 */
export function checkEventStamps(command: Command, events: readonly ExchangeEvent[]): void {
  events.forEach((event, index) => {
    assert.equal(event.sequence, command.sequence, `event ${index} sequence`);
    assert.equal(event.time, command.time, `event ${index} time`);
    assert.equal(event.index, index, `event ${index} index`);
    if (event.type !== "TradeExecuted") return;
    assert.notEqual(event.makerAccount, event.takerAccount, `trade ${index}: an account traded with itself`);
    assert.ok(event.size > 0, `trade ${index} of ${event.size} lots`);
    const maker = events[index + 1];
    const taker = events[index + 2];
    for (const [fill, isMaker] of [
      [maker, true],
      [taker, false],
    ] as const) {
      assert.ok(
        fill !== undefined && (fill.type === "OrderFilled" || fill.type === "OrderPartiallyFilled"),
        `trade ${index} is not followed by its ${isMaker ? "maker" : "taker"} fill`,
      );
      assert.equal(fill.maker, isMaker, `trade ${index}: fill order must be maker, then taker`);
      assert.equal(fill.tradeIndex, index, `trade ${index}: fill points elsewhere`);
      assert.equal(fill.account, isMaker ? event.makerAccount : event.takerAccount, `trade ${index}: fill account`);
    }
  });
}

/** The orders the events left open are exactly the orders resting in the books, with the same sizes. */
export function checkTrackerMatchesBooks(tracker: OrderStateTracker, books: BooksView): void {
  const resting = new Map<number, { market: string; side: Side; price: number; order: OrderView }>();
  for (const [market, view] of Object.entries(books)) {
    for (const [side, levels] of [
      ["buy", view.bids],
      ["sell", view.asks],
    ] as const) {
      for (const level of levels) for (const order of level.orders) resting.set(order.orderId, { market, side, price: level.price, order });
    }
  }
  const open = tracker.openOrders();
  for (const order of open) {
    const found = resting.get(order.orderId);
    assert.ok(found !== undefined, `order ${order.orderId} is ${order.state} by its events but not on the book`);
    assert.equal(found.market, order.market, `order ${order.orderId} market`);
    assert.equal(found.side, order.side, `order ${order.orderId} side`);
    assert.equal(found.price, order.price, `order ${order.orderId} price`);
    assert.equal(found.order.account, order.account, `order ${order.orderId} account`);
    assert.equal(found.order.size, order.size, `order ${order.orderId} size`);
    assert.equal(found.order.remaining, order.remaining, `order ${order.orderId} remaining`);
  }
  assert.equal(resting.size, open.length, "the books hold orders whose events never left them open");
}

// ---------------------------------------------------------------------------------------------------
// The harness

export interface HarnessOptions {
  readonly limits?: Partial<EngineLimits>;
  /** Exchange time of the first command, and the default step between commands (ns). */
  readonly timeStep?: bigint;
}

export interface Step {
  readonly command: Command;
  readonly result: CommandResult;
  /** A copy of engine.events for this command. */
  readonly events: readonly ExchangeEvent[];
  readonly hash: string;
}

/**
 * Drives one Engine: stamps commands with sequence 1, 2, … and strictly increasing time, applies them,
 * and runs every per-command check listed at the top of this file. A twin engine receives the same
 * commands, except that a rejected command reaches it as a tick.
 */
export class Harness {
  readonly engine: Engine;
  readonly tracker = new OrderStateTracker();
  /** Every command applied, as stamped: replaying it in a fresh Engine must reproduce every step. */
  readonly log: Command[] = [];
  readonly steps: Step[] = [];
  private readonly twin: Engine;
  private readonly timeStep: bigint;
  private lastTime = 0n;

  constructor(options: HarnessOptions = {}) {
    const limits = options.limits === undefined ? {} : { limits: options.limits };
    this.engine = new Engine(limits);
    this.twin = new Engine(limits);
    this.timeStep = options.timeStep ?? 1_000n;
  }

  get sequence(): number {
    return this.log.length;
  }

  /** The time the next command gets unless told otherwise. */
  get nextTime(): TimeNs {
    return this.lastTime + this.timeStep;
  }

  get time(): TimeNs {
    return this.lastTime;
  }

  /** Stamps, applies and checks one command; `at` sets its exchange time (after the last one). */
  apply(input: CommandInput, at?: TimeNs): Step {
    const time = at ?? this.nextTime;
    assert.ok(time > this.lastTime, `harness: time ${time} does not increase past ${this.lastTime}`);
    const command = { ...input, sequence: this.log.length + 1, time } as Command;
    this.log.push(command);
    this.lastTime = time;
    const result = this.engine.apply(command);
    const events = this.engine.events.slice();
    const where = `command ${command.sequence} (${command.type})`;
    checkInvariants(this.engine);
    checkEventStamps(command, events);
    checkResult(result, where);
    const hash = stateHash(this.engine);
    this.checkAgainstTwin(command, result, events, hash, where);
    this.tracker.observe(events);
    checkTrackerMatchesBooks(this.tracker, engineBooks(this.engine));
    const step: Step = { command, result, events, hash };
    this.steps.push(step);
    return step;
  }

  tick(at?: TimeNs): Step {
    return this.apply({ type: "tick" }, at);
  }

  createMarket(symbol: string, overrides: Partial<MarketSpec> = {}): Step {
    return this.apply({ type: "createMarket", market: marketSpec(symbol, overrides) });
  }

  /** Listed market symbols, in listing order. */
  markets(): string[] {
    return this.engine.markets.map((market) => market.symbol);
  }

  books(): BooksView {
    return engineBooks(this.engine);
  }

  private checkAgainstTwin(
    command: Command,
    result: CommandResult,
    events: readonly ExchangeEvent[],
    hash: string,
    where: string,
  ): void {
    const rejected = result.ok === false;
    this.twin.apply(rejected ? { type: "tick", sequence: command.sequence, time: command.time } : command);
    checkAgainstTwin({ result, events, hash, twinEvents: this.twin.events.slice(), twinHash: stateHash(this.twin), where });
  }

}

/** JSON.stringify replacer that writes bigints as "123n". */
export function jsonBigint(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? `${value}n` : value;
}

/** Replays a log in a fresh Engine; returns each step's events and state hash. */
export function replay(
  log: readonly Command[],
  limits?: Partial<EngineLimits>,
): { events: ExchangeEvent[][]; hashes: string[] } {
  const engine = new Engine(limits === undefined ? {} : { limits });
  const events: ExchangeEvent[][] = [];
  const hashes: string[] = [];
  for (const command of log) {
    engine.apply(command);
    events.push(engine.events.slice());
    hashes.push(stateHash(engine));
  }
  return { events, hashes };
}

const bookEventTypes: ReadonlySet<string> = new Set<BookEvent["type"]>([
  "MarketCreated",
  "OrderAccepted",
  "OrderRejected",
  "TradeExecuted",
  "OrderPartiallyFilled",
  "OrderFilled",
  "OrderCanceled",
  "OrderExpired",
  "OrderReduced",
]);

export function isBookEvent(event: ExchangeEvent): event is BookEvent {
  return bookEventTypes.has(event.type);
}

/**
 * A command and its twin (the same command, or a tick at the same sequence and time when the command
 * was rejected) must leave the same state: a rejection changes nothing but the clock, and says why in at
 * most one OrderRejected event carrying the result's code and message.
 */
export function checkAgainstTwin(options: {
  result: CommandResult;
  events: readonly ExchangeEvent[];
  hash: string;
  twinEvents: readonly ExchangeEvent[];
  twinHash: string;
  where: string;
}): void {
  const { result, events, hash, twinEvents, where } = options;
  const rejected = result.ok === false;
  assert.equal(hash, options.twinHash, `${where}: state differs from ${rejected ? "a tick (the rejection changed state)" : "the twin"}`);
  if (!rejected) {
    assert.deepEqual(events, twinEvents, `${where}: the twin saw different events`);
    return;
  }
  assert.deepEqual(events.slice(0, twinEvents.length), twinEvents, `${where}: a rejected command did more than time passing`);
  const extra = events.slice(twinEvents.length);
  assert.ok(extra.length <= 1, `${where}: a rejected command emitted ${extra.length} events of its own`);
  const only = extra[0];
  if (only === undefined) return;
  assert.equal(only.type, "OrderRejected", `${where}: a rejected command emitted ${only.type}`);
  if (only.type !== "OrderRejected") return;
  assert.equal(only.code, result.code, `${where}: OrderRejected code differs from the result`);
  assert.equal(only.message, result.message, `${where}: OrderRejected message differs from the result`);
}

/** Joins what a state writer streams (writeState, writeExchangeState) into one snapshot. */
export function collectChunks(write: (sink: (chunk: Uint8Array) => void) => void): Uint8Array {
  const chunks: Uint8Array[] = [];
  write((chunk) => chunks.push(chunk.slice()));
  const bytes = new Uint8Array(chunks.reduce((total, chunk) => total + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}
