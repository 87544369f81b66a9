// Proves the matching semantics case by case: every order type, time in force, self-trade mode, the
// cancel / reduce / replace / batch commands, every validation code and every SPEC 02 transition, each
// as one row of a table: the commands before, the command under test, and the exact result, events and
// book after it. Every row runs through the Harness (helpers.ts), so after every command of every row
// the invariants hold, each order's events follow the SPEC 02 matrix, and a rejection changes nothing.
// Order ids in the expectations are written as labels: a setup entry's key names the id its command
// derives (sequence × 256), "new" the command under test's, "new+2" its third batch item's.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type {
  CommandInput,
  EngineLimits,
  ExchangeEvent,
  MarketSpec,
  OrderSpec,
  PriceTicks,
  RatePpm,
  RejectCode,
  SizeLots,
  TimeNs,
} from "@perpdex/core";
import {
  Harness,
  OrderStateTracker,
  account,
  allTransitions,
  checkEventStamps,
  checkResult,
  jsonBigint,
  type MarketView,
  type Step,
} from "./helpers.ts";

// ---------------------------------------------------------------------------------------------------
// The table format and its runner

type IdOf = (label: string) => number;
type Input = CommandInput | ((id: IdOf) => CommandInput);
type SetupEntry = Input | { readonly at: TimeNs; readonly input: Input };
type ExpectedLevel = readonly [number, ...string[]];
interface ExpectedBook {
  readonly bids?: readonly ExpectedLevel[];
  readonly asks?: readonly ExpectedLevel[];
}
type ExpectedEvent = { readonly type: ExchangeEvent["type"] } & { readonly [field: string]: unknown };
type Outcome = RejectCode | "ok";

interface Case {
  /** What the row proves. */
  readonly name: string;
  readonly limits?: Partial<EngineLimits>;
  /** Markets listed first; BTC-PERP with the default spec when absent. */
  readonly markets?: readonly (readonly [string, Partial<MarketSpec>?])[];
  /** Commands before the one under test, by label (object keys keep their order). Each must succeed. */
  readonly setup?: Readonly<Record<string, SetupEntry>>;
  readonly command: Input;
  /** Exchange time of the command under test. */
  readonly at?: TimeNs;
  /** The result: ok, a rejection code, or one outcome per batch item. */
  readonly result: Outcome | readonly Outcome[];
  /** The command's events, exactly this many, each with at least these fields. */
  readonly events?: readonly ExpectedEvent[];
  /** The first market's book after the command, complete (a side left out must be empty). */
  readonly book?: ExpectedBook;
  /** Books of several markets after the command, complete. */
  readonly books?: Readonly<Record<string, ExpectedBook>>;
  /** The books are exactly as they were before the command. */
  readonly bookUnchanged?: boolean;
  /** Further checks after the command. */
  readonly after?: (harness: Harness, id: IdOf, step: Step) => void;
}

const orderIdsPerCommand = 256;
const idFields = new Set(["orderId", "makerOrderId", "takerOrderId"]);
/** Transitions seen over every row of this file, for the coverage check at the end. */
const transitionsSeen = new Set<string>();

function runCase(row: Case): void {
  const harness = new Harness(row.limits === undefined ? {} : { limits: row.limits });
  const labels = new Map<string, number>();
  const id: IdOf = (name) => {
    const match = /^([^+]+)(?:\+(\d+))?$/.exec(name);
    assert.ok(match !== null, `bad order label ${name}`);
    const base = labels.get(match[1]!);
    assert.ok(base !== undefined, `unknown order label ${name}`);
    return base + Number(match[2] ?? 0);
  };
  const resolve = (input: Input): CommandInput => (typeof input === "function" ? input(id) : input);
  for (const [symbol, overrides] of row.markets ?? [[btc]]) {
    assert.equal(harness.createMarket(symbol, overrides).result.ok, true, `market ${symbol} must list`);
  }
  for (const [label, entry] of Object.entries(row.setup ?? {})) {
    const timed = typeof entry === "object" && "input" in entry;
    labels.set(label, (harness.sequence + 1) * orderIdsPerCommand);
    const step = harness.apply(resolve(timed ? entry.input : entry), timed ? entry.at : undefined);
    assert.notEqual(step.result.ok, false, `setup ${label} was rejected: ${JSON.stringify(step.result)}`);
  }
  const before = harness.books();
  labels.set("new", (harness.sequence + 1) * orderIdsPerCommand);
  const step = harness.apply(resolve(row.command), row.at);
  const names = new Map([...labels].map(([label, orderId]) => [orderId, label]));
  const describeStep = (): string => `events: ${JSON.stringify(step.events, jsonBigint, 1)}`;
  checkOutcome(step, row.result);
  if (row.events !== undefined) checkEvents(step.events, row.events, id, describeStep);
  if (row.book !== undefined) checkBook(harness.books()[harness.markets()[0]!]!, row.book, names);
  for (const [symbol, book] of Object.entries(row.books ?? {})) checkBook(harness.books()[symbol]!, book, names);
  if (row.bookUnchanged === true) assert.deepEqual(harness.books(), before, "the books changed");
  row.after?.(harness, id, step);
  for (const key of harness.tracker.transitions.keys()) transitionsSeen.add(key);
}

function outcomeOf(result: { readonly ok: boolean; readonly code?: RejectCode }): Outcome {
  return result.ok ? "ok" : result.code!;
}

function checkOutcome(step: Step, expected: Outcome | readonly Outcome[]): void {
  const result = step.result;
  if (typeof expected === "string") {
    assert.ok(!("items" in result), "expected a single result, got a batch result");
    assert.equal(outcomeOf(result), expected, `result: ${JSON.stringify(result)}`);
    return;
  }
  assert.ok("items" in result, `expected a batch result, got ${JSON.stringify(result)}`);
  assert.deepEqual(result.items.map(outcomeOf), expected);
}

function checkEvents(
  actual: readonly ExchangeEvent[],
  expected: readonly ExpectedEvent[],
  id: IdOf,
  describeStep: () => string,
): void {
  assert.deepEqual(
    actual.map((event) => event.type),
    expected.map((event) => event.type),
    `event types; ${describeStep()}`,
  );
  expected.forEach((fields, index) => {
    const event = actual[index] as unknown as Readonly<Record<string, unknown>>;
    for (const [field, value] of Object.entries(fields)) {
      const want = idFields.has(field) && typeof value === "string" ? id(value) : value;
      assert.deepEqual(event[field], want, `event ${index} (${fields.type}) field ${field}; ${describeStep()}`);
    }
  });
}

/** The book as [price, "label:remaining", …] per level, best first. */
function compact(view: MarketView, names: ReadonlyMap<number, string>): Required<ExpectedBook> {
  const name = (orderId: number): string => {
    const item = orderId % orderIdsPerCommand;
    const label = names.get(orderId - item);
    if (label === undefined) return `#${orderId}`;
    return item === 0 ? label : `${label}+${item}`;
  };
  const side = (levels: MarketView["bids"]): ExpectedLevel[] =>
    levels.map((level) => [level.price, ...level.orders.map((order) => `${name(order.orderId)}:${order.remaining}`)]);
  return { bids: side(view.bids), asks: side(view.asks) };
}

function checkBook(view: MarketView, expected: ExpectedBook, names: ReadonlyMap<number, string>): void {
  assert.deepEqual(compact(view, names), { bids: expected.bids ?? [], asks: expected.asks ?? [] }, "book");
}

// ---------------------------------------------------------------------------------------------------
// Shorthands

const btc = "BTC-PERP";
const eth = "ETH-PERP";
const alice = account("a");
const bob = account("b");
const carol = account("c");

type Extra = Partial<OrderSpec>;

function limit(who: string, side: "buy" | "sell", price: number, size: number, extra: Extra = {}): CommandInput {
  return {
    type: "placeOrder",
    account: who,
    order: { market: btc, side, type: "limit", price: price as PriceTicks, size: size as SizeLots, ...extra },
  };
}
const buy = (who: string, price: number, size: number, extra: Extra = {}): CommandInput => limit(who, "buy", price, size, extra);
const sell = (who: string, price: number, size: number, extra: Extra = {}): CommandInput => limit(who, "sell", price, size, extra);

function marketOrder(who: string, side: "buy" | "sell", size: number, extra: Extra = {}): CommandInput {
  return { type: "placeOrder", account: who, order: { market: btc, side, type: "market", size: size as SizeLots, ...extra } };
}

const cancel =
  (who: string, label: string, market = btc): Input =>
  (id) => ({ type: "cancelOrder", account: who, market, orderId: id(label) });
const cancelByClientId = (who: string, clientOrderId: string, market = btc): CommandInput => ({
  type: "cancelOrder",
  account: who,
  market,
  clientOrderId,
});
const reduce =
  (who: string, label: string, remaining: number): Input =>
  (id) => ({ type: "reduceOrder", account: who, market: btc, orderId: id(label), remaining: remaining as SizeLots });
const replace =
  (who: string, label: string, order: CommandInput): Input =>
  (id) => {
    assert.ok(order.type === "placeOrder");
    return { type: "cancelReplace", account: who, replaces: { orderId: id(label) }, order: order.order };
  };
const tick: CommandInput = { type: "tick" };
const gtd = (expiresAt: TimeNs, extra: Extra = {}): Extra => ({ timeInForce: "GTD", expiresAt, ...extra });
const rejected = (code: RejectCode, extra: Record<string, unknown> = {}): ExpectedEvent => ({
  type: "OrderRejected",
  orderId: "new",
  code,
  ...extra,
});

function runTable(title: string, rows: readonly Case[]): void {
  describe(title, () => {
    for (const row of rows) it(row.name, () => runCase(row));
  });
}

// ---------------------------------------------------------------------------------------------------
// Limit orders: rest, cross, partial, price improvement, FIFO, sweep

runTable("limit orders (GTC)", [
  {
    name: "a limit order on an empty book is accepted with its defaults and rests",
    command: buy(alice, 1000, 5),
    result: "ok",
    events: [
      {
        type: "OrderAccepted",
        orderId: "new",
        account: alice,
        market: btc,
        side: "buy",
        orderType: "limit",
        price: 1000,
        size: 5,
        timeInForce: "GTC",
        postOnly: false,
        reduceOnly: false,
        selfTradePrevention: "cancelIncoming",
        clientOrderId: null,
        expiresAt: null,
      },
    ],
    book: { bids: [[1000, "new:5"]] },
  },
  {
    name: "a crossing order of the same size fills both orders completely: trade, maker fill, taker fill",
    setup: { ask: sell(bob, 1001, 5) },
    command: buy(alice, 1001, 5),
    result: "ok",
    events: [
      { type: "OrderAccepted", orderId: "new" },
      {
        type: "TradeExecuted",
        market: btc,
        price: 1001,
        size: 5,
        takerSide: "buy",
        makerOrderId: "ask",
        takerOrderId: "new",
        makerAccount: bob,
        takerAccount: alice,
      },
      { type: "OrderFilled", orderId: "ask", account: bob, maker: true, tradeIndex: 1, fillPrice: 1001, fillSize: 5, filled: 5, remaining: 0 },
      { type: "OrderFilled", orderId: "new", account: alice, maker: false, tradeIndex: 1, fillPrice: 1001, fillSize: 5, filled: 5, remaining: 0 },
    ],
    book: {},
  },
  {
    name: "a crossing order larger than the book fills what it can and rests the rest at its price",
    setup: { ask: sell(bob, 1001, 3) },
    command: buy(alice, 1001, 5),
    result: "ok",
    events: [
      { type: "OrderAccepted", orderId: "new", size: 5 },
      { type: "TradeExecuted", size: 3 },
      { type: "OrderFilled", orderId: "ask", filled: 3, remaining: 0 },
      { type: "OrderPartiallyFilled", orderId: "new", fillSize: 3, filled: 3, remaining: 2 },
    ],
    book: { bids: [[1001, "new:2"]] },
  },
  {
    name: "a resting order filled in part keeps its place at the head of its level",
    setup: { first: sell(bob, 1001, 5), second: sell(carol, 1001, 1) },
    command: buy(alice, 1001, 2),
    result: "ok",
    events: [
      { type: "OrderAccepted" },
      { type: "TradeExecuted", makerOrderId: "first", size: 2 },
      { type: "OrderPartiallyFilled", orderId: "first", filled: 2, remaining: 3, maker: true },
      { type: "OrderFilled", orderId: "new", filled: 2, remaining: 0 },
    ],
    book: { asks: [[1001, "first:3", "second:1"]] },
  },
  {
    name: "price improvement: a buy above the best ask trades at the ask's price",
    setup: { ask: sell(bob, 1001, 5) },
    command: buy(alice, 1005, 5),
    result: "ok",
    events: [
      { type: "OrderAccepted", price: 1005 },
      { type: "TradeExecuted", price: 1001 },
      { type: "OrderFilled", orderId: "ask", fillPrice: 1001 },
      { type: "OrderFilled", orderId: "new", fillPrice: 1001 },
    ],
    book: {},
  },
  {
    name: "price improvement: a sell below the best bid trades at the bid's price",
    setup: { bid: buy(bob, 1003, 2) },
    command: sell(alice, 999, 2),
    result: "ok",
    events: [
      { type: "OrderAccepted", price: 999 },
      { type: "TradeExecuted", price: 1003, takerSide: "sell", makerOrderId: "bid" },
      { type: "OrderFilled", orderId: "bid", fillPrice: 1003 },
      { type: "OrderFilled", orderId: "new", fillPrice: 1003 },
    ],
    book: {},
  },
  {
    name: "FIFO: within a price level the earliest order fills first, whoever placed it",
    setup: { first: sell(bob, 1001, 2), second: sell(carol, 1001, 2), third: sell(bob, 1001, 2) },
    command: buy(alice, 1001, 3),
    result: "ok",
    events: [
      { type: "OrderAccepted" },
      { type: "TradeExecuted", makerOrderId: "first", size: 2 },
      { type: "OrderFilled", orderId: "first" },
      { type: "OrderPartiallyFilled", orderId: "new", filled: 2, remaining: 1 },
      { type: "TradeExecuted", makerOrderId: "second", size: 1, makerAccount: carol },
      { type: "OrderPartiallyFilled", orderId: "second", filled: 1, remaining: 1 },
      { type: "OrderFilled", orderId: "new", filled: 3, remaining: 0 },
    ],
    book: { asks: [[1001, "second:1", "third:2"]] },
  },
  {
    name: "a sweep takes levels best first up to its limit and rests the rest at its limit",
    setup: { a1: sell(bob, 1001, 1), a2: sell(carol, 1002, 2), a3: sell(bob, 1003, 5) },
    command: buy(alice, 1002, 5),
    result: "ok",
    events: [
      { type: "OrderAccepted" },
      { type: "TradeExecuted", makerOrderId: "a1", price: 1001, size: 1 },
      { type: "OrderFilled", orderId: "a1" },
      { type: "OrderPartiallyFilled", orderId: "new", filled: 1, remaining: 4 },
      { type: "TradeExecuted", makerOrderId: "a2", price: 1002, size: 2 },
      { type: "OrderFilled", orderId: "a2" },
      { type: "OrderPartiallyFilled", orderId: "new", filled: 3, remaining: 2 },
    ],
    book: { bids: [[1002, "new:2"]], asks: [[1003, "a3:5"]] },
  },
  {
    name: "a sell sweep takes bids from the highest down",
    setup: { b1: buy(bob, 1003, 1), b2: buy(carol, 1001, 1), b3: buy(bob, 1002, 1) },
    command: sell(alice, 1002, 3),
    result: "ok",
    events: [
      { type: "OrderAccepted" },
      { type: "TradeExecuted", makerOrderId: "b1", price: 1003 },
      { type: "OrderFilled", orderId: "b1" },
      { type: "OrderPartiallyFilled", orderId: "new", remaining: 2 },
      { type: "TradeExecuted", makerOrderId: "b3", price: 1002 },
      { type: "OrderFilled", orderId: "b3" },
      { type: "OrderPartiallyFilled", orderId: "new", remaining: 1 },
    ],
    book: { bids: [[1001, "b2:1"]], asks: [[1002, "new:1"]] },
  },
  {
    name: "orders that do not cross rest on both sides, levels listed best to worst",
    setup: {
      b1: buy(bob, 998, 1),
      b2: buy(carol, 1000, 2),
      b3: buy(bob, 999, 3),
      b4: buy(carol, 1000, 4),
      a1: sell(bob, 1003, 1),
      a2: sell(carol, 1001, 2),
    },
    command: sell(alice, 1002, 3),
    result: "ok",
    events: [{ type: "OrderAccepted" }],
    book: {
      bids: [
        [1000, "b2:2", "b4:4"],
        [999, "b3:3"],
        [998, "b1:1"],
      ],
      asks: [
        [1001, "a2:2"],
        [1002, "new:3"],
        [1003, "a1:1"],
      ],
    },
  },
]);

// ---------------------------------------------------------------------------------------------------
// IOC and FOK

runTable("time in force: IOC and FOK", [
  {
    name: "IOC: the part that cannot fill at once expires, with what was filled and what remained",
    setup: { ask: sell(bob, 1001, 2) },
    command: buy(alice, 1001, 5, { timeInForce: "IOC" }),
    result: "ok",
    events: [
      { type: "OrderAccepted", timeInForce: "IOC" },
      { type: "TradeExecuted", size: 2 },
      { type: "OrderFilled", orderId: "ask" },
      { type: "OrderPartiallyFilled", orderId: "new", filled: 2, remaining: 3 },
      { type: "OrderExpired", orderId: "new", account: alice, market: btc, filled: 2, remaining: 3, expiresAt: null },
    ],
    book: {},
  },
  {
    name: "IOC that crosses nothing expires whole and never rests",
    setup: { ask: sell(bob, 1002, 2) },
    command: buy(alice, 1001, 5, { timeInForce: "IOC" }),
    result: "ok",
    events: [{ type: "OrderAccepted" }, { type: "OrderExpired", orderId: "new", filled: 0, remaining: 5, expiresAt: null }],
    bookUnchanged: true,
  },
  {
    name: "IOC that fills completely emits no expiry",
    setup: { ask: sell(bob, 1001, 5) },
    command: buy(alice, 1001, 5, { timeInForce: "IOC" }),
    result: "ok",
    events: [{ type: "OrderAccepted" }, { type: "TradeExecuted" }, { type: "OrderFilled", orderId: "ask" }, { type: "OrderFilled", orderId: "new" }],
    book: {},
  },
  {
    name: "FOK that the book can fill within its limit fills completely, across levels",
    setup: { a1: sell(bob, 1001, 2), a2: sell(carol, 1002, 3) },
    command: buy(alice, 1002, 5, { timeInForce: "FOK" }),
    result: "ok",
    events: [
      { type: "OrderAccepted", timeInForce: "FOK" },
      { type: "TradeExecuted", makerOrderId: "a1" },
      { type: "OrderFilled", orderId: "a1" },
      { type: "OrderPartiallyFilled", orderId: "new", remaining: 3 },
      { type: "TradeExecuted", makerOrderId: "a2" },
      { type: "OrderFilled", orderId: "a2" },
      { type: "OrderFilled", orderId: "new", filled: 5, remaining: 0 },
    ],
    book: {},
  },
  {
    name: "FOK larger than the book expires whole: no fills, book unchanged",
    setup: { a1: sell(bob, 1001, 2), a2: sell(carol, 1002, 3) },
    command: buy(alice, 1002, 6, { timeInForce: "FOK" }),
    result: "ok",
    events: [{ type: "OrderAccepted" }, { type: "OrderExpired", orderId: "new", filled: 0, remaining: 6, expiresAt: null }],
    bookUnchanged: true,
  },
  {
    name: "FOK that could fill only beyond its limit price expires whole",
    setup: { a1: sell(bob, 1001, 2), a2: sell(carol, 1002, 3) },
    command: buy(alice, 1001, 3, { timeInForce: "FOK" }),
    result: "ok",
    events: [{ type: "OrderAccepted" }, { type: "OrderExpired", filled: 0, remaining: 3 }],
    bookUnchanged: true,
  },
  {
    name: "FOK sell: fillable only by the sum of several bids",
    setup: { b1: buy(bob, 1001, 1), b2: buy(carol, 1000, 1), b3: buy(bob, 999, 5) },
    command: sell(alice, 1000, 2, { timeInForce: "FOK" }),
    result: "ok",
    events: [
      { type: "OrderAccepted" },
      { type: "TradeExecuted", makerOrderId: "b1", price: 1001 },
      { type: "OrderFilled" },
      { type: "OrderPartiallyFilled" },
      { type: "TradeExecuted", makerOrderId: "b2", price: 1000 },
      { type: "OrderFilled" },
      { type: "OrderFilled", orderId: "new" },
    ],
    book: { bids: [[999, "b3:5"]] },
  },
  {
    name: "FOK blocked by its own resting order (cancelIncoming) expires and cancels nothing",
    setup: { own: sell(alice, 1001, 2), other: sell(bob, 1002, 5) },
    command: buy(alice, 1002, 5, { timeInForce: "FOK" }),
    result: "ok",
    events: [{ type: "OrderAccepted" }, { type: "OrderExpired", orderId: "new", filled: 0, remaining: 5 }],
    bookUnchanged: true,
  },
  {
    name: "FOK with cancelResting looks past its own orders, and cancels them as it fills",
    setup: { own: sell(alice, 1001, 2), other: sell(bob, 1002, 5) },
    command: buy(alice, 1002, 5, { timeInForce: "FOK", selfTradePrevention: "cancelResting" }),
    result: "ok",
    events: [
      { type: "OrderAccepted" },
      { type: "OrderCanceled", orderId: "own", reason: "SELF_TRADE", canceledBy: "system", filled: 0, remaining: 2 },
      { type: "TradeExecuted", makerOrderId: "other", size: 5 },
      { type: "OrderFilled", orderId: "other" },
      { type: "OrderFilled", orderId: "new" },
    ],
    book: {},
  },
]);

// ---------------------------------------------------------------------------------------------------
// GTD

runTable("time in force: GTD", [
  {
    name: "a GTD order rests and carries its expiry",
    command: buy(alice, 1000, 5, gtd(20_000n)),
    result: "ok",
    events: [{ type: "OrderAccepted", timeInForce: "GTD", expiresAt: 20_000n }],
    book: { bids: [[1000, "new:5"]] },
  },
  {
    name: "a GTD order is still on the book one nanosecond before its expiry",
    setup: { order: buy(alice, 1000, 5, gtd(20_000n)) },
    command: tick,
    at: 19_999n,
    result: "ok",
    events: [],
    book: { bids: [[1000, "order:5"]] },
  },
  {
    name: "a GTD order expires on the first command at its expiry time, a tick being enough",
    setup: { order: buy(alice, 1000, 5, gtd(20_000n)) },
    command: tick,
    at: 20_000n,
    result: "ok",
    events: [{ type: "OrderExpired", orderId: "order", account: alice, market: btc, filled: 0, remaining: 5, expiresAt: 20_000n }],
    book: {},
  },
  {
    name: "a GTD order expires on a later command too, reporting what it had filled",
    setup: { order: sell(alice, 1001, 5, gtd(20_000n)), taker: buy(bob, 1001, 2) },
    command: tick,
    at: 30_000n,
    result: "ok",
    events: [{ type: "OrderExpired", orderId: "order", filled: 2, remaining: 3, expiresAt: 20_000n }],
    book: {},
  },
  {
    name: "expiry comes before matching: an order arriving at the expiry time cannot trade with it",
    setup: { order: sell(alice, 1001, 5, gtd(20_000n)) },
    command: buy(bob, 1001, 5),
    at: 20_000n,
    result: "ok",
    events: [
      { type: "OrderExpired", orderId: "order" },
      { type: "OrderAccepted", orderId: "new" },
    ],
    book: { bids: [[1001, "new:5"]] },
  },
  {
    name: "expiry comes before validation: a post-only order may take the price the expired order held",
    setup: { order: sell(alice, 1001, 5, gtd(20_000n)) },
    command: buy(bob, 1001, 5, { postOnly: true }),
    at: 20_000n,
    result: "ok",
    events: [{ type: "OrderExpired", orderId: "order" }, { type: "OrderAccepted" }],
    book: { bids: [[1001, "new:5"]] },
  },
  {
    name: "GTD orders due at once expire earliest expiry first, then lowest order id first",
    setup: {
      g1: buy(alice, 1000, 1, gtd(25_000n)),
      g2: buy(bob, 999, 1, gtd(20_000n)),
      g3: buy(carol, 998, 1, gtd(20_000n)),
      keep: buy(carol, 997, 1, gtd(30_001n)),
    },
    command: tick,
    at: 30_000n,
    result: "ok",
    events: [
      { type: "OrderExpired", orderId: "g2", expiresAt: 20_000n },
      { type: "OrderExpired", orderId: "g3", expiresAt: 20_000n },
      { type: "OrderExpired", orderId: "g1", expiresAt: 25_000n },
    ],
    book: { bids: [[997, "keep:1"]] },
  },
  {
    name: "a GTD order that left the book early emits nothing at its expiry time",
    setup: { order: buy(alice, 1000, 5, gtd(20_000n)), canceled: cancel(alice, "order") },
    command: tick,
    at: 20_000n,
    result: "ok",
    events: [],
    book: {},
  },
  {
    name: "a GTD order that fills completely on arrival never expires",
    setup: { ask: sell(bob, 1001, 5), order: buy(alice, 1001, 5, gtd(20_000n)) },
    command: tick,
    at: 20_000n,
    result: "ok",
    events: [],
  },
  {
    name: "a GTD order whose expiry equals the command's time is rejected",
    command: buy(alice, 1000, 5, gtd(5_000n)),
    at: 5_000n,
    result: "ORDER_EXPIRY_INVALID",
    events: [rejected("ORDER_EXPIRY_INVALID", { account: alice, market: btc, clientOrderId: null })],
    book: {},
  },
  {
    name: "a GTD order whose expiry is in the past is rejected",
    command: buy(alice, 1000, 5, gtd(4_000n)),
    at: 5_000n,
    result: "ORDER_EXPIRY_INVALID",
    events: [rejected("ORDER_EXPIRY_INVALID")],
  },
  {
    name: "a GTD order one nanosecond after the command's time is accepted",
    command: buy(alice, 1000, 5, gtd(5_001n)),
    at: 5_000n,
    result: "ok",
  },
  {
    name: "the latest expiry the state can hold (2^63 − 1 ns) is accepted",
    command: buy(alice, 1000, 5, gtd(2n ** 63n - 1n)),
    result: "ok",
  },
  {
    // Beyond it the expiry would wrap in the state hash and the snapshot, and a restored engine would
    // expire the order at once.
    name: "an expiry beyond 2^63 − 1 ns is rejected",
    command: buy(alice, 1000, 5, gtd(2n ** 64n + 5_000n)),
    result: "ORDER_EXPIRY_INVALID",
  },
  {
    name: "a GTD order without an expiry is rejected",
    command: buy(alice, 1000, 5, { timeInForce: "GTD" }),
    result: "ORDER_EXPIRY_INVALID",
    events: [rejected("ORDER_EXPIRY_INVALID")],
  },
  {
    name: "an expiry on a GTC order is rejected",
    command: buy(alice, 1000, 5, { expiresAt: 90_000n }),
    result: "ORDER_EXPIRY_INVALID",
  },
  {
    name: "a rejected command still lets due GTD orders expire (time passes for every command)",
    setup: { order: buy(alice, 1000, 5, gtd(20_000n)) },
    command: buy(bob, 0, 5),
    at: 20_000n,
    result: "PRICE_NOT_POSITIVE",
    events: [{ type: "OrderExpired", orderId: "order" }, rejected("PRICE_NOT_POSITIVE")],
    book: {},
  },
]);

// ---------------------------------------------------------------------------------------------------
// Market orders

runTable("market orders", [
  {
    name: "a market buy sweeps up to the slippage bound from the best ask; the rest expires",
    // Bound: ⌊1001 × 1.05⌋ = 1051, so the 1060 level is out of reach.
    setup: { a1: sell(bob, 1001, 2), a2: sell(carol, 1040, 2), a3: sell(bob, 1060, 2) },
    command: marketOrder(alice, "buy", 10),
    result: "ok",
    events: [
      { type: "OrderAccepted", orderType: "market", price: 1051, size: 10, timeInForce: "IOC" },
      { type: "TradeExecuted", makerOrderId: "a1", price: 1001, size: 2 },
      { type: "OrderFilled", orderId: "a1" },
      { type: "OrderPartiallyFilled", orderId: "new", filled: 2, remaining: 8 },
      { type: "TradeExecuted", makerOrderId: "a2", price: 1040, size: 2 },
      { type: "OrderFilled", orderId: "a2" },
      { type: "OrderPartiallyFilled", orderId: "new", filled: 4, remaining: 6 },
      { type: "OrderExpired", orderId: "new", filled: 4, remaining: 6, expiresAt: null },
    ],
    book: { asks: [[1060, "a3:2"]] },
  },
  {
    name: "a market sell's bound is the best bid less slippage, rounded up (⌈999 × 0.95⌉ = 950)",
    setup: { bid: buy(bob, 999, 3) },
    command: marketOrder(alice, "sell", 2),
    result: "ok",
    events: [
      { type: "OrderAccepted", orderType: "market", price: 950 },
      { type: "TradeExecuted", price: 999, size: 2 },
      { type: "OrderPartiallyFilled", orderId: "bid", remaining: 1 },
      { type: "OrderFilled", orderId: "new" },
    ],
    book: { bids: [[999, "bid:1"]] },
  },
  {
    name: "a market order against an empty opposite side is rejected (its own side does not count)",
    setup: { bid: buy(bob, 999, 3) },
    command: marketOrder(alice, "buy", 1),
    result: "ORDER_NO_LIQUIDITY",
    events: [rejected("ORDER_NO_LIQUIDITY")],
    book: { bids: [[999, "bid:3"]] },
  },
  {
    name: "a market order with its own price stops there, inside the slippage bound",
    setup: { a1: sell(bob, 1001, 2), a2: sell(carol, 1010, 2) },
    command: marketOrder(alice, "buy", 4, { price: 1005 as PriceTicks }),
    result: "ok",
    events: [
      { type: "OrderAccepted", price: 1005 },
      { type: "TradeExecuted", makerOrderId: "a1" },
      { type: "OrderFilled", orderId: "a1" },
      { type: "OrderPartiallyFilled", orderId: "new" },
      { type: "OrderExpired", orderId: "new", filled: 2, remaining: 2 },
    ],
    book: { asks: [[1010, "a2:2"]] },
  },
  {
    name: "a market order's own price looser than the slippage bound does not widen it",
    setup: { a1: sell(bob, 1001, 2), a2: sell(carol, 1060, 2) },
    command: marketOrder(alice, "buy", 4, { price: 1100 as PriceTicks }),
    result: "ok",
    events: [
      { type: "OrderAccepted", price: 1051 },
      { type: "TradeExecuted", makerOrderId: "a1" },
      { type: "OrderFilled" },
      { type: "OrderPartiallyFilled" },
      { type: "OrderExpired", remaining: 2 },
    ],
  },
  {
    name: "a market order's own slippagePpm tightens the bound (⌊1001 × 1.005⌋ = 1006)",
    setup: { a1: sell(bob, 1001, 2), a2: sell(carol, 1010, 2) },
    command: marketOrder(alice, "buy", 4, { slippagePpm: 5_000 as RatePpm }),
    result: "ok",
    events: [
      { type: "OrderAccepted", price: 1006 },
      { type: "TradeExecuted" },
      { type: "OrderFilled" },
      { type: "OrderPartiallyFilled" },
      { type: "OrderExpired", remaining: 2 },
    ],
  },
  {
    name: "a market order's price is not held to the band (it only bounds the order)",
    setup: { ask: sell(bob, 1001, 2) },
    command: marketOrder(alice, "buy", 2, { price: 5000 as PriceTicks }),
    result: "ok",
    events: [{ type: "OrderAccepted", price: 1051 }, { type: "TradeExecuted" }, { type: "OrderFilled" }, { type: "OrderFilled" }],
  },
  {
    name: "a market FOK fills completely within the bound or expires whole",
    setup: { a1: sell(bob, 1001, 2), a2: sell(carol, 1060, 5) },
    command: marketOrder(alice, "buy", 5, { timeInForce: "FOK" }),
    result: "ok",
    events: [{ type: "OrderAccepted", timeInForce: "FOK", price: 1051 }, { type: "OrderExpired", filled: 0, remaining: 5 }],
    bookUnchanged: true,
  },
  {
    name: "a market order may not be GTC",
    setup: { ask: sell(bob, 1001, 2) },
    command: marketOrder(alice, "buy", 2, { timeInForce: "GTC" }),
    result: "ORDER_TYPE_INVALID",
  },
  {
    name: "slippagePpm on a limit order is rejected",
    command: buy(alice, 1000, 1, { slippagePpm: 5_000 as RatePpm }),
    result: "ORDER_TYPE_INVALID",
  },
]);

// ---------------------------------------------------------------------------------------------------
// Post-only

runTable("post-only", [
  {
    name: "a post-only buy below the best ask rests",
    setup: { ask: sell(bob, 1002, 1) },
    command: buy(alice, 1001, 1, { postOnly: true }),
    result: "ok",
    events: [{ type: "OrderAccepted", postOnly: true }],
    book: { bids: [[1001, "new:1"]], asks: [[1002, "ask:1"]] },
  },
  {
    name: "a post-only buy at the best ask would take: rejected, nothing changes",
    setup: { ask: sell(bob, 1002, 1) },
    command: buy(alice, 1002, 1, { postOnly: true }),
    result: "ORDER_POST_ONLY_WOULD_TAKE",
    events: [rejected("ORDER_POST_ONLY_WOULD_TAKE")],
    book: { asks: [[1002, "ask:1"]] },
  },
  {
    name: "a post-only sell at the best bid would take: rejected",
    setup: { bid: buy(bob, 1000, 1) },
    command: sell(alice, 1000, 1, { postOnly: true }),
    result: "ORDER_POST_ONLY_WOULD_TAKE",
  },
  {
    name: "post-only is judged against the whole book, the account's own orders included",
    setup: { own: sell(alice, 1002, 1) },
    command: buy(alice, 1002, 1, { postOnly: true }),
    result: "ORDER_POST_ONLY_WOULD_TAKE",
  },
  {
    name: "post-only GTD rests",
    command: buy(alice, 1000, 1, { postOnly: true, ...gtd(90_000n) }),
    result: "ok",
    book: { bids: [[1000, "new:1"]] },
  },
  {
    name: "post-only with IOC is rejected: post-only orders must be able to rest",
    command: buy(alice, 1000, 1, { postOnly: true, timeInForce: "IOC" }),
    result: "ORDER_POST_ONLY_NOT_RESTING",
    events: [rejected("ORDER_POST_ONLY_NOT_RESTING")],
  },
  {
    name: "post-only with FOK is rejected",
    command: buy(alice, 1000, 1, { postOnly: true, timeInForce: "FOK" }),
    result: "ORDER_POST_ONLY_NOT_RESTING",
  },
  {
    name: "a post-only market order is rejected",
    setup: { ask: sell(bob, 1002, 1) },
    command: marketOrder(alice, "buy", 1, { postOnly: true }),
    result: "ORDER_POST_ONLY_NOT_RESTING",
  },
]);

// ---------------------------------------------------------------------------------------------------
// Self-trade prevention

runTable("self-trade prevention", [
  {
    name: "cancelIncoming (the default): the incoming order is canceled, the resting own order stays",
    setup: { own: sell(alice, 1001, 5) },
    command: buy(alice, 1001, 5),
    result: "ok",
    events: [
      { type: "OrderAccepted", selfTradePrevention: "cancelIncoming" },
      { type: "OrderCanceled", orderId: "new", reason: "SELF_TRADE", canceledBy: "system", filled: 0, remaining: 5 },
    ],
    book: { asks: [[1001, "own:5"]] },
  },
  {
    name: "cancelIncoming after fills: the incoming order keeps its fills and its rest is canceled",
    setup: { other: sell(bob, 1001, 2), own: sell(alice, 1001, 3) },
    command: buy(alice, 1001, 5),
    result: "ok",
    events: [
      { type: "OrderAccepted" },
      { type: "TradeExecuted", makerOrderId: "other" },
      { type: "OrderFilled", orderId: "other" },
      { type: "OrderPartiallyFilled", orderId: "new", filled: 2, remaining: 3 },
      { type: "OrderCanceled", orderId: "new", reason: "SELF_TRADE", filled: 2, remaining: 3 },
    ],
    book: { asks: [[1001, "own:3"]] },
  },
  {
    name: "cancelResting: the own resting order is canceled (SELF_TRADE) and matching goes on with the next",
    setup: { own: sell(alice, 1001, 2), other: sell(bob, 1001, 3) },
    command: buy(alice, 1001, 3, { selfTradePrevention: "cancelResting" }),
    result: "ok",
    events: [
      { type: "OrderAccepted", selfTradePrevention: "cancelResting" },
      { type: "OrderCanceled", orderId: "own", account: alice, reason: "SELF_TRADE", canceledBy: "system", filled: 0, remaining: 2 },
      { type: "TradeExecuted", makerOrderId: "other", size: 3 },
      { type: "OrderFilled", orderId: "other" },
      { type: "OrderFilled", orderId: "new" },
    ],
    book: {},
  },
  {
    name: "cancelResting across levels: every crossing own order is canceled on the way",
    setup: { own1: sell(alice, 1001, 1), other: sell(bob, 1002, 1), own2: sell(alice, 1002, 1), far: sell(bob, 1003, 1) },
    command: buy(alice, 1003, 3, { selfTradePrevention: "cancelResting" }),
    result: "ok",
    events: [
      { type: "OrderAccepted" },
      { type: "OrderCanceled", orderId: "own1", reason: "SELF_TRADE" },
      { type: "TradeExecuted", makerOrderId: "other" },
      { type: "OrderFilled" },
      { type: "OrderPartiallyFilled" },
      { type: "OrderCanceled", orderId: "own2", reason: "SELF_TRADE" },
      { type: "TradeExecuted", makerOrderId: "far" },
      { type: "OrderFilled" },
      { type: "OrderPartiallyFilled", orderId: "new", remaining: 1 },
    ],
    book: { bids: [[1003, "new:1"]] },
  },
  {
    name: "cancelBoth: the resting own order is canceled, then the incoming one",
    setup: { own: sell(alice, 1001, 2), other: sell(bob, 1001, 3) },
    command: buy(alice, 1001, 3, { selfTradePrevention: "cancelBoth" }),
    result: "ok",
    events: [
      { type: "OrderAccepted" },
      { type: "OrderCanceled", orderId: "own", reason: "SELF_TRADE", canceledBy: "system" },
      { type: "OrderCanceled", orderId: "new", reason: "SELF_TRADE", canceledBy: "system", filled: 0, remaining: 3 },
    ],
    book: { asks: [[1001, "other:3"]] },
  },
  {
    name: "self-trade prevention concerns only own orders the incoming order would reach",
    setup: { other: sell(bob, 1001, 3), own: sell(alice, 1005, 2) },
    command: buy(alice, 1002, 3),
    result: "ok",
    events: [{ type: "OrderAccepted" }, { type: "TradeExecuted" }, { type: "OrderFilled" }, { type: "OrderFilled" }],
    book: { asks: [[1005, "own:2"]] },
  },
]);

// ---------------------------------------------------------------------------------------------------
// Client order ids and cancels

runTable("client order ids", [
  {
    name: "a client order id already used by an open order of the account is rejected",
    setup: { first: buy(alice, 1000, 1, { clientOrderId: "x" }) },
    command: buy(alice, 999, 1, { clientOrderId: "x" }),
    result: "ORDER_CLIENT_ID_DUPLICATE",
    events: [rejected("ORDER_CLIENT_ID_DUPLICATE", { clientOrderId: "x", account: alice })],
    book: { bids: [[1000, "first:1"]] },
  },
  {
    name: "another account may use the same client order id",
    setup: { first: buy(alice, 1000, 1, { clientOrderId: "x" }) },
    command: buy(bob, 999, 1, { clientOrderId: "x" }),
    result: "ok",
  },
  {
    name: "a client order id is free again once its order has filled",
    setup: { first: sell(alice, 1001, 1, { clientOrderId: "x" }), taker: buy(bob, 1001, 1) },
    command: sell(alice, 1002, 1, { clientOrderId: "x" }),
    result: "ok",
    events: [{ type: "OrderAccepted", clientOrderId: "x" }],
    book: { asks: [[1002, "new:1"]] },
  },
  {
    name: "a client order id is free again once its order was canceled",
    setup: { first: buy(alice, 1000, 1, { clientOrderId: "x" }), gone: cancel(alice, "first") },
    command: buy(alice, 999, 1, { clientOrderId: "x" }),
    result: "ok",
  },
  {
    name: "the client order id of an order that never rested is never held",
    setup: { first: buy(alice, 1000, 1, { clientOrderId: "x", timeInForce: "IOC" }) },
    command: buy(alice, 999, 1, { clientOrderId: "x" }),
    result: "ok",
  },
  {
    name: "cancel by client order id cancels that order (USER_REQUESTED, by the user)",
    setup: { first: buy(alice, 1000, 2, { clientOrderId: "x" }), other: buy(alice, 999, 2, { clientOrderId: "y" }) },
    command: cancelByClientId(alice, "x"),
    result: "ok",
    events: [{ type: "OrderCanceled", orderId: "first", reason: "USER_REQUESTED", canceledBy: "user", filled: 0, remaining: 2 }],
    book: { bids: [[999, "other:2"]] },
  },
  {
    name: "cancel by an unknown client order id is ORDER_NOT_FOUND",
    setup: { first: buy(alice, 1000, 2, { clientOrderId: "x" }) },
    command: cancelByClientId(alice, "z"),
    result: "ORDER_NOT_FOUND",
    events: [],
  },
  {
    name: "cancel by another account's client order id is ORDER_NOT_FOUND",
    setup: { first: buy(bob, 1000, 2, { clientOrderId: "x" }) },
    command: cancelByClientId(alice, "x"),
    result: "ORDER_NOT_FOUND",
    book: { bids: [[1000, "first:2"]] },
  },
  ...["", "has space", "x".repeat(65), "é"].map(
    (clientOrderId): Case => ({
      name: `a client order id ${JSON.stringify(clientOrderId.length > 10 ? `${clientOrderId.length} characters` : clientOrderId)} is rejected (1 to 64 printable ASCII)`,
      command: buy(alice, 1000, 1, { clientOrderId }),
      result: "ORDER_CLIENT_ID_INVALID",
    }),
  ),
  {
    name: "a client order id of 64 printable characters is accepted",
    command: buy(alice, 1000, 1, { clientOrderId: "!~".repeat(32) }),
    result: "ok",
  },
]);

runTable("cancel and cancel-all", [
  {
    name: "cancel by order id takes the order off (USER_REQUESTED) with what it had filled",
    setup: { order: sell(alice, 1001, 5), taker: buy(bob, 1001, 2) },
    command: cancel(alice, "order"),
    result: "ok",
    events: [{ type: "OrderCanceled", orderId: "order", account: alice, market: btc, reason: "USER_REQUESTED", canceledBy: "user", filled: 2, remaining: 3 }],
    book: {},
  },
  {
    name: "cancel of another account's order is ORDER_NOT_FOUND and changes nothing",
    setup: { theirs: buy(bob, 1000, 1) },
    command: cancel(alice, "theirs"),
    result: "ORDER_NOT_FOUND",
    events: [],
    book: { bids: [[1000, "theirs:1"]] },
  },
  {
    name: "cancel naming the wrong market is ORDER_NOT_FOUND",
    markets: [[btc], [eth]],
    setup: { order: buy(alice, 1000, 1) },
    command: cancel(alice, "order", eth),
    result: "ORDER_NOT_FOUND",
    book: { bids: [[1000, "order:1"]] },
  },
  {
    name: "cancel of a filled order is ORDER_NOT_FOUND (terminal orders never change)",
    setup: { order: sell(alice, 1001, 1), taker: buy(bob, 1001, 1) },
    command: cancel(alice, "order"),
    result: "ORDER_NOT_FOUND",
    events: [],
  },
  {
    name: "cancel of a canceled order is ORDER_NOT_FOUND",
    setup: { order: buy(alice, 1000, 1), first: cancel(alice, "order") },
    command: cancel(alice, "order"),
    result: "ORDER_NOT_FOUND",
  },
  {
    name: "cancel of an id that never existed is ORDER_NOT_FOUND",
    command: { type: "cancelOrder", account: alice, market: btc, orderId: 123_456 },
    result: "ORDER_NOT_FOUND",
  },
  {
    name: "cancel-all cancels the account's orders in every market, newest first, and no one else's",
    markets: [[btc], [eth]],
    setup: {
      a1: buy(alice, 1000, 1),
      b1: buy(bob, 1000, 1),
      a2: inMarket(eth, sell(alice, 1005, 1)),
      a3: buy(alice, 999, 1),
    },
    command: { type: "cancelAll", account: alice },
    result: "ok",
    events: [
      { type: "OrderCanceled", orderId: "a3", reason: "USER_REQUESTED", canceledBy: "user" },
      { type: "OrderCanceled", orderId: "a2", market: eth },
      { type: "OrderCanceled", orderId: "a1" },
    ],
    books: { [btc]: { bids: [[1000, "b1:1"]] }, [eth]: {} },
  },
  {
    name: "cancel-all for one market leaves the account's orders in other markets alone",
    markets: [[btc], [eth]],
    setup: {
      a1: buy(alice, 1000, 1),
      b1: buy(bob, 1000, 1),
      a2: inMarket(eth, sell(alice, 1005, 1)),
      a3: buy(alice, 999, 1),
    },
    command: { type: "cancelAll", account: alice, market: eth },
    result: "ok",
    events: [{ type: "OrderCanceled", orderId: "a2", market: eth }],
    books: { [btc]: { bids: [[1000, "a1:1", "b1:1"], [999, "a3:1"]] }, [eth]: {} },
  },
  {
    name: "cancel naming an unlisted market is MARKET_NOT_FOUND, like cancel-all",
    setup: { a1: buy(alice, 1000, 1) },
    command: cancelByClientId(alice, "x", "NOPE-PERP"),
    result: "MARKET_NOT_FOUND",
    events: [],
    book: { bids: [[1000, "a1:1"]] },
  },
  {
    name: "cancel-all from a malformed address is ACCOUNT_INVALID, not a silent no-op",
    setup: { a1: buy(alice, 1000, 1) },
    command: { type: "cancelAll", account: "0xABC" },
    result: "ACCOUNT_INVALID",
    events: [],
    book: { bids: [[1000, "a1:1"]] },
  },
  {
    name: "an unknown command type is COMMAND_INVALID and changes no order",
    setup: { a1: buy(alice, 1000, 1) },
    command: { type: "selfDestruct" } as unknown as CommandInput,
    result: "COMMAND_INVALID",
    events: [],
    book: { bids: [[1000, "a1:1"]] },
  },
  {
    name: "cancel-all of an unknown market is MARKET_NOT_FOUND",
    setup: { a1: buy(alice, 1000, 1) },
    command: { type: "cancelAll", account: alice, market: "NOPE-PERP" },
    result: "MARKET_NOT_FOUND",
    events: [],
    book: { bids: [[1000, "a1:1"]] },
  },
  {
    name: "cancel-all of an account without open orders succeeds and says nothing",
    setup: { b1: buy(bob, 1000, 1) },
    command: { type: "cancelAll", account: alice },
    result: "ok",
    events: [],
    bookUnchanged: true,
  },
]);

function orderOf(input: CommandInput): OrderSpec {
  assert.ok(input.type === "placeOrder");
  return input.order;
}

function inMarket(market: string, input: CommandInput): CommandInput {
  assert.ok(input.type === "placeOrder");
  return { ...input, order: { ...input.order, market } };
}

// ---------------------------------------------------------------------------------------------------
// Reduce

runTable("reduce", [
  {
    name: "reduce lowers size and remaining by the same amount and keeps what was filled",
    setup: { order: sell(alice, 1001, 5), taker: buy(bob, 1001, 1) },
    command: reduce(alice, "order", 2),
    result: "ok",
    events: [{ type: "OrderReduced", orderId: "order", account: alice, market: btc, size: 3, filled: 1, remaining: 2 }],
    book: { asks: [[1001, "order:2"]] },
  },
  {
    name: "a reduced order keeps its queue priority: it still fills first",
    setup: { first: sell(alice, 1001, 5), second: sell(bob, 1001, 5), reduced: reduce(alice, "first", 2) },
    command: buy(carol, 1001, 3),
    result: "ok",
    events: [
      { type: "OrderAccepted" },
      { type: "TradeExecuted", makerOrderId: "first", size: 2 },
      { type: "OrderFilled", orderId: "first", filled: 2, remaining: 0 },
      { type: "OrderPartiallyFilled", orderId: "new" },
      { type: "TradeExecuted", makerOrderId: "second", size: 1 },
      { type: "OrderPartiallyFilled", orderId: "second", remaining: 4 },
      { type: "OrderFilled", orderId: "new" },
    ],
    book: { asks: [[1001, "second:4"]] },
  },
  ...[
    [0, "to zero (cancel instead)"],
    [5, "to its current remaining size"],
    [6, "above its current remaining size"],
    [2.5, "to a fraction of a lot"],
    [-1, "to a negative size"],
  ].map(
    ([remaining, what]): Case => ({
      name: `reduce ${String(what)} is ORDER_REDUCE_INVALID and changes nothing`,
      setup: { order: sell(alice, 1001, 5) },
      command: reduce(alice, "order", remaining as number),
      result: "ORDER_REDUCE_INVALID",
      events: [],
      book: { asks: [[1001, "order:5"]] },
    }),
  ),
  {
    name: "reduce of another account's order is ORDER_NOT_FOUND",
    setup: { order: sell(bob, 1001, 5) },
    command: reduce(alice, "order", 2),
    result: "ORDER_NOT_FOUND",
  },
  {
    name: "reduce by client order id",
    setup: { order: sell(alice, 1001, 5, { clientOrderId: "r" }) },
    command: { type: "reduceOrder", account: alice, market: btc, clientOrderId: "r", remaining: 1 as SizeLots },
    result: "ok",
    events: [{ type: "OrderReduced", orderId: "order", size: 1, remaining: 1 }],
  },
]);

// ---------------------------------------------------------------------------------------------------
// Cancel-replace

runTable("cancel-replace", [
  {
    name: "cancel-replace cancels the old order (REPLACED, by the user), then places the new one",
    setup: { old: buy(alice, 1000, 5) },
    command: replace(alice, "old", buy(alice, 999, 3)),
    result: "ok",
    events: [
      { type: "OrderCanceled", orderId: "old", reason: "REPLACED", canceledBy: "user", filled: 0, remaining: 5 },
      { type: "OrderAccepted", orderId: "new", price: 999, size: 3 },
    ],
    book: { bids: [[999, "new:3"]] },
  },
  {
    name: "cancel-replace whose new order is rejected leaves the old order exactly as it was",
    setup: { old: buy(alice, 1000, 5) },
    command: replace(alice, "old", buy(alice, 999, 0)),
    result: "SIZE_NOT_POSITIVE",
    events: [rejected("SIZE_NOT_POSITIVE")],
    book: { bids: [[1000, "old:5"]] },
  },
  {
    name: "cancel-replace with a post-only order that would take leaves the old order in place",
    setup: { old: buy(alice, 1000, 5), ask: sell(bob, 1002, 1) },
    command: replace(alice, "old", buy(alice, 1002, 1, { postOnly: true })),
    result: "ORDER_POST_ONLY_WOULD_TAKE",
    book: { bids: [[1000, "old:5"]], asks: [[1002, "ask:1"]] },
  },
  {
    name: "cancel-replace of an order that is not open is ORDER_NOT_FOUND and places nothing",
    setup: { theirs: buy(bob, 1000, 5) },
    command: replace(alice, "theirs", buy(alice, 999, 3)),
    result: "ORDER_NOT_FOUND",
    events: [],
    book: { bids: [[1000, "theirs:5"]] },
  },
  {
    name: "cancel-replace hands the client order id over to the new order",
    setup: { old: buy(alice, 1000, 5, { clientOrderId: "x" }) },
    command: replace(alice, "old", buy(alice, 999, 3, { clientOrderId: "x" })),
    result: "ok",
    events: [{ type: "OrderCanceled", orderId: "old" }, { type: "OrderAccepted", clientOrderId: "x" }],
  },
  {
    name: "after the handover the client order id names the new order",
    setup: { old: buy(alice, 1000, 5, { clientOrderId: "x" }), replaced: replace(alice, "old", buy(alice, 999, 3, { clientOrderId: "x" })) },
    command: cancelByClientId(alice, "x"),
    result: "ok",
    events: [{ type: "OrderCanceled", orderId: "replaced", remaining: 3 }],
    book: {},
  },
  {
    name: "a client order id used by another open order cannot be taken by a replace",
    setup: { old: buy(alice, 1000, 5, { clientOrderId: "x" }), other: buy(alice, 998, 1, { clientOrderId: "y" }) },
    command: replace(alice, "old", buy(alice, 999, 3, { clientOrderId: "y" })),
    result: "ORDER_CLIENT_ID_DUPLICATE",
  },
  {
    name: "a post-only replace is judged against the book without the order it replaces",
    setup: { old: sell(alice, 1001, 1), far: sell(bob, 1003, 1) },
    command: replace(alice, "old", buy(alice, 1002, 1, { postOnly: true })),
    result: "ok",
    events: [{ type: "OrderCanceled", orderId: "old", reason: "REPLACED" }, { type: "OrderAccepted", postOnly: true }],
    book: { bids: [[1002, "new:1"]], asks: [[1003, "far:1"]] },
  },
  {
    name: "a market replace needs liquidity other than the order it replaces",
    setup: { old: sell(alice, 1001, 1) },
    command: replace(alice, "old", marketOrder(alice, "buy", 1)),
    result: "ORDER_NO_LIQUIDITY",
    book: { asks: [[1001, "old:1"]] },
  },
  {
    name: "a replacing order matches like any new order",
    setup: { old: buy(alice, 1000, 5), ask: sell(bob, 1001, 2) },
    command: replace(alice, "old", buy(alice, 1001, 2)),
    result: "ok",
    events: [
      { type: "OrderCanceled", orderId: "old", reason: "REPLACED" },
      { type: "OrderAccepted" },
      { type: "TradeExecuted", makerOrderId: "ask", takerOrderId: "new" },
      { type: "OrderFilled", orderId: "ask" },
      { type: "OrderFilled", orderId: "new" },
    ],
    book: {},
  },
  {
    name: "the replaced order may be in another market than the new one",
    markets: [[btc], [eth]],
    setup: { old: buy(alice, 1000, 5) },
    command: replace(alice, "old", inMarket(eth, buy(alice, 999, 3))),
    result: "ok",
    books: { [btc]: {}, [eth]: { bids: [[999, "new:3"]] } },
  },
  {
    name: "a replace at the open-order limit is allowed: the old order makes room",
    limits: { ordersPerAccountMax: 2 },
    setup: { o1: buy(alice, 1000, 1), o2: buy(alice, 999, 1) },
    command: replace(alice, "o1", buy(alice, 998, 1)),
    result: "ok",
    book: { bids: [[999, "o2:1"], [998, "new:1"]] },
  },
]);

// ---------------------------------------------------------------------------------------------------
// Batch

runTable("batch", [
  {
    name: "a batch applies its items in order, one result each; a rejected item does not stop the rest; ids are sequence × 256 + item",
    command: {
      type: "batch",
      account: alice,
      items: [
        { type: "placeOrder", order: orderOf(buy(alice, 1000, 1)) },
        { type: "placeOrder", order: orderOf(buy(alice, 1000, 0)) },
        { type: "cancelOrder", market: btc, orderId: 77 },
        { type: "placeOrder", order: orderOf(buy(alice, 999, 1)) },
      ],
    },
    result: ["ok", "SIZE_NOT_POSITIVE", "ORDER_NOT_FOUND", "ok"],
    events: [
      { type: "OrderAccepted", orderId: "new" },
      { type: "OrderRejected", orderId: "new+1", code: "SIZE_NOT_POSITIVE" },
      { type: "OrderAccepted", orderId: "new+3" },
    ],
    book: { bids: [[1000, "new:1"], [999, "new+3:1"]] },
    after: (harness, id) => {
      assert.equal(id("new"), harness.sequence * 256, "the first item's id is sequence × 256");
    },
  },
  {
    name: "a batch item may cancel an order placed by an earlier item of the same batch",
    command: {
      type: "batch",
      account: alice,
      items: [
        { type: "placeOrder", order: orderOf(buy(alice, 1000, 1, { clientOrderId: "x" })) },
        { type: "cancelOrder", market: btc, clientOrderId: "x" },
      ],
    },
    result: ["ok", "ok"],
    events: [{ type: "OrderAccepted", orderId: "new" }, { type: "OrderCanceled", orderId: "new" }],
    book: {},
  },
  {
    name: "later items of a batch see what earlier items did to the book",
    setup: { ask: sell(bob, 1001, 1) },
    command: {
      type: "batch",
      account: alice,
      items: [
        { type: "placeOrder", order: orderOf(buy(alice, 1001, 1)) },
        { type: "placeOrder", order: orderOf(marketOrder(alice, "buy", 1)) },
      ],
    },
    result: ["ok", "ORDER_NO_LIQUIDITY"],
  },
  {
    name: "an empty batch is rejected whole",
    command: { type: "batch", account: alice, items: [] },
    result: "BATCH_SIZE_INVALID",
    events: [],
  },
  {
    name: "a batch over batchItemsMax is rejected whole",
    limits: { batchItemsMax: 3 },
    command: {
      type: "batch",
      account: alice,
      items: [1000, 999, 998, 997].map((price) => ({ type: "placeOrder", order: orderOf(buy(alice, price, 1)) }) as const),
    },
    result: "BATCH_SIZE_INVALID",
    events: [],
    book: {},
  },
  {
    name: "a batch of exactly batchItemsMax items is applied",
    limits: { batchItemsMax: 3 },
    command: {
      type: "batch",
      account: alice,
      items: [1000, 999, 998].map((price) => ({ type: "placeOrder", order: orderOf(buy(alice, price, 1)) }) as const),
    },
    result: ["ok", "ok", "ok"],
    book: { bids: [[1000, "new:1"], [999, "new+1:1"], [998, "new+2:1"]] },
  },
  {
    name: "a batch item that is neither placeOrder nor cancelOrder is BATCH_ITEM_INVALID",
    command: {
      type: "batch",
      account: alice,
      items: [{ type: "tick" } as unknown as { type: "cancelOrder"; market: string; orderId: number }, { type: "placeOrder", order: orderOf(buy(alice, 1000, 1)) }],
    },
    result: ["BATCH_ITEM_INVALID", "ok"],
    book: { bids: [[1000, "new+1:1"]] },
  },
]);

// ---------------------------------------------------------------------------------------------------
// Validation codes

runTable("size and price validation", [
  ...[0, -1, 1.5].map(
    (size): Case => ({
      name: `size ${size} is SIZE_NOT_POSITIVE`,
      command: buy(alice, 1000, size),
      result: "SIZE_NOT_POSITIVE",
      events: [rejected("SIZE_NOT_POSITIVE")],
    }),
  ),
  {
    name: "a size below the market's minimum is SIZE_BELOW_MIN",
    markets: [[btc, { minOrderLots: 2 as SizeLots }]],
    command: buy(alice, 1000, 1),
    result: "SIZE_BELOW_MIN",
  },
  { name: "the minimum size itself is accepted", markets: [[btc, { minOrderLots: 2 as SizeLots }]], command: buy(alice, 1000, 2), result: "ok" },
  { name: "a size above the market's maximum is SIZE_ABOVE_MAX", command: buy(alice, 1000, 1001), result: "SIZE_ABOVE_MAX" },
  { name: "the maximum size itself is accepted", command: buy(alice, 1000, 1000), result: "ok" },
  ...[0, -5, 1.5].map(
    (price): Case => ({
      name: `price ${price} is PRICE_NOT_POSITIVE`,
      command: buy(alice, price, 1),
      result: "PRICE_NOT_POSITIVE",
    }),
  ),
  {
    name: "a limit order without a price is PRICE_NOT_POSITIVE",
    command: { type: "placeOrder", account: alice, order: { market: btc, side: "buy", type: "limit", size: 1 as SizeLots } },
    result: "PRICE_NOT_POSITIVE",
  },
  { name: "a price above int32Max is PRICE_TOO_LARGE", command: buy(alice, 2 ** 31, 1), result: "PRICE_TOO_LARGE" },
  // Reference 1000, band ±10 %: limit prices 900 to 1100 are allowed.
  { name: "the band's top price (reference + 10 %) is accepted", command: sell(alice, 1100, 1), result: "ok" },
  { name: "one tick above the band is PRICE_OUTSIDE_BAND", command: sell(alice, 1101, 1), result: "PRICE_OUTSIDE_BAND" },
  { name: "the band's bottom price (reference − 10 %) is accepted", command: buy(alice, 900, 1), result: "ok" },
  { name: "one tick below the band is PRICE_OUTSIDE_BAND", command: buy(alice, 899, 1), result: "PRICE_OUTSIDE_BAND" },
  {
    name: "band edges round inwards: reference 999 gives ⌈899.1⌉ = 900 to ⌊1098.9⌋ = 1098",
    markets: [[btc, { referencePriceTicks: 999 as PriceTicks }]],
    setup: { low: buy(alice, 900, 1), high: sell(alice, 1098, 1) },
    command: sell(alice, 1099, 1),
    result: "PRICE_OUTSIDE_BAND",
  },
  {
    name: "band edges round inwards: reference 999 rejects 899",
    markets: [[btc, { referencePriceTicks: 999 as PriceTicks }]],
    command: buy(alice, 899, 1),
    result: "PRICE_OUTSIDE_BAND",
  },
  {
    name: "the band moves to the last trade price: after a trade at 1100, 1200 is inside",
    setup: { ask: sell(bob, 1100, 1), take: buy(carol, 1100, 1) },
    command: sell(alice, 1210, 1),
    result: "ok",
    after: (harness) => assert.equal(harness.books()[btc]!.referencePrice, 1100),
  },
  {
    name: "the band moves to the last trade price: after a trade at 1100, 989 is outside",
    setup: { ask: sell(bob, 1100, 1), take: buy(carol, 1100, 1) },
    command: buy(alice, 989, 1),
    result: "PRICE_OUTSIDE_BAND",
  },
  {
    name: "the band moves with each fill of a sweep, to the last one",
    setup: { a1: sell(bob, 1050, 1), a2: sell(carol, 1100, 1) },
    command: buy(alice, 1100, 2),
    result: "ok",
    after: (harness) => assert.equal(harness.books()[btc]!.referencePrice, 1100),
  },
]);

runTable("markets, accounts and limits", [
  {
    name: "an order for an unlisted market is MARKET_NOT_FOUND",
    command: inMarket("NOPE-PERP", buy(alice, 1000, 1)),
    result: "MARKET_NOT_FOUND",
    events: [rejected("MARKET_NOT_FOUND", { market: "NOPE-PERP" })],
  },
  ...["0x" + "A".repeat(40), "0x" + "a".repeat(39), "a".repeat(42), "0x" + "a".repeat(41), "0x" + "g".repeat(40)].map(
    (address): Case => ({
      name: `account ${address.slice(0, 6)}… (${address.length} characters) is ACCOUNT_INVALID`,
      command: buy(address, 1000, 1),
      result: "ACCOUNT_INVALID",
      events: [rejected("ACCOUNT_INVALID", { account: address })],
    }),
  ),
  {
    name: "an account at ordersPerAccountMax open orders cannot place another",
    limits: { ordersPerAccountMax: 2 },
    setup: { o1: buy(alice, 1000, 1), o2: buy(alice, 999, 1) },
    command: buy(alice, 998, 1),
    result: "ORDER_LIMIT_REACHED",
  },
  {
    name: "at the open-order limit an IOC order (which never rests) is still accepted",
    limits: { ordersPerAccountMax: 2 },
    setup: { o1: buy(alice, 1000, 1), o2: buy(alice, 999, 1), ask: sell(bob, 1001, 1) },
    command: buy(alice, 1001, 1, { timeInForce: "IOC" }),
    result: "ok",
  },
  {
    name: "at the open-order limit a GTC order that would rest is ORDER_LIMIT_REACHED",
    limits: { ordersPerAccountMax: 2 },
    setup: { o1: buy(alice, 1000, 1), o2: buy(alice, 999, 1) },
    command: buy(alice, 998, 1),
    result: "ORDER_LIMIT_REACHED",
  },
  {
    name: "the open-order limit is per account",
    limits: { ordersPerAccountMax: 2 },
    setup: { o1: buy(alice, 1000, 1), o2: buy(alice, 999, 1) },
    command: buy(bob, 998, 1),
    result: "ok",
  },
  {
    name: "an account under the limit again (after a cancel) may place",
    limits: { ordersPerAccountMax: 2 },
    setup: { o1: buy(alice, 1000, 1), o2: buy(alice, 999, 1), gone: cancel(alice, "o1") },
    command: buy(alice, 998, 1),
    result: "ok",
  },
  {
    name: "a new account beyond accountsMax is ACCOUNT_INVALID; known accounts go on trading",
    limits: { accountsMax: 2 },
    setup: { a: buy(alice, 1000, 1), b: buy(bob, 999, 1) },
    command: buy(carol, 998, 1),
    result: "ACCOUNT_INVALID",
  },
  {
    name: "an incoming order that reaches fillsPerOrderMax has its rest canceled (MATCH_LIMIT)",
    limits: { fillsPerOrderMax: 2 },
    setup: { a1: sell(bob, 1001, 1), a2: sell(carol, 1001, 1), a3: sell(bob, 1001, 1) },
    command: buy(alice, 1001, 3),
    result: "ok",
    events: [
      { type: "OrderAccepted" },
      { type: "TradeExecuted", makerOrderId: "a1" },
      { type: "OrderFilled", orderId: "a1" },
      { type: "OrderPartiallyFilled", orderId: "new" },
      { type: "TradeExecuted", makerOrderId: "a2" },
      { type: "OrderFilled", orderId: "a2" },
      { type: "OrderPartiallyFilled", orderId: "new" },
      { type: "OrderCanceled", orderId: "new", reason: "MATCH_LIMIT", canceledBy: "system", filled: 2, remaining: 1 },
    ],
    book: { asks: [[1001, "a3:1"]] },
  },
  {
    name: "exactly fillsPerOrderMax fills complete an order without a cancel",
    limits: { fillsPerOrderMax: 2 },
    setup: { a1: sell(bob, 1001, 1), a2: sell(carol, 1001, 1), a3: sell(bob, 1001, 1) },
    command: buy(alice, 1001, 2),
    result: "ok",
    events: [
      { type: "OrderAccepted" },
      { type: "TradeExecuted" },
      { type: "OrderFilled" },
      { type: "OrderPartiallyFilled" },
      { type: "TradeExecuted" },
      { type: "OrderFilled" },
      { type: "OrderFilled", orderId: "new" },
    ],
  },
  {
    name: "after fillsPerOrderMax fills with nothing left to cross, the rest rests as usual",
    limits: { fillsPerOrderMax: 2 },
    setup: { a1: sell(bob, 1001, 1), a2: sell(carol, 1001, 1), a3: sell(bob, 1005, 1) },
    command: buy(alice, 1001, 3),
    result: "ok",
    book: { bids: [[1001, "new:1"]], asks: [[1005, "a3:1"]] },
  },
  {
    name: "a FOK that needs more than fillsPerOrderMax fills expires whole",
    limits: { fillsPerOrderMax: 2 },
    setup: { a1: sell(bob, 1001, 1), a2: sell(carol, 1001, 1), a3: sell(bob, 1001, 1) },
    command: buy(alice, 1001, 3, { timeInForce: "FOK" }),
    result: "ok",
    events: [{ type: "OrderAccepted" }, { type: "OrderExpired", filled: 0, remaining: 3 }],
    bookUnchanged: true,
  },
  {
    name: "own orders canceled by cancelResting do not count as fills",
    limits: { fillsPerOrderMax: 2 },
    setup: { own: sell(alice, 1001, 1), a1: sell(bob, 1001, 1), a2: sell(carol, 1001, 1) },
    command: buy(alice, 1001, 2, { selfTradePrevention: "cancelResting" }),
    result: "ok",
    events: [
      { type: "OrderAccepted" },
      { type: "OrderCanceled", orderId: "own", reason: "SELF_TRADE" },
      { type: "TradeExecuted" },
      { type: "OrderFilled" },
      { type: "OrderPartiallyFilled" },
      { type: "TradeExecuted" },
      { type: "OrderFilled" },
      { type: "OrderFilled", orderId: "new" },
    ],
    book: {},
  },
]);

// ---------------------------------------------------------------------------------------------------
// createMarket

const invalidSpecs: readonly (readonly [string, Partial<MarketSpec>])[] = [
  ["a lowercase symbol", { symbol: "eth-PERP" }],
  ["a symbol without -PERP", { symbol: "ETH" }],
  ["a symbol too long", { symbol: "ABCDEFGHIJKLMNOPQ-PERP" }],
  ["a zero tick size", { tickSize: "0" }],
  ["a tick size that is no decimal", { tickSize: "1e-2" }],
  ["a negative lot size", { lotSize: "-1" }],
  ["minOrderLots 0", { minOrderLots: 0 as SizeLots }],
  ["maxOrderLots below minOrderLots", { minOrderLots: 5 as SizeLots, maxOrderLots: 4 as SizeLots }],
  ["maxOrderLots above int32Max", { maxOrderLots: 2 ** 31 as SizeLots }],
  ["priceBandPpm 0", { priceBandPpm: 0 as RatePpm }],
  ["priceBandPpm above 100 %", { priceBandPpm: 1_000_001 as RatePpm }],
  ["marketOrderSlippagePpm 0", { marketOrderSlippagePpm: 0 as RatePpm }],
  ["referencePriceTicks 0", { referencePriceTicks: 0 as PriceTicks }],
  ["a fractional referencePriceTicks", { referencePriceTicks: 1.5 as PriceTicks }],
];

runTable("createMarket", [
  {
    name: "createMarket lists a market and announces it with its tick and lot sizes",
    markets: [],
    command: { type: "createMarket", market: { ...marketSpecFor(eth), tickSize: "0.5", lotSize: "0.0001" } },
    result: "ok",
    events: [{ type: "MarketCreated", market: eth, tickSize: "0.5", lotSize: "0.0001" }],
    after: (harness) => assert.deepEqual(harness.markets(), [eth]),
  },
  ...invalidSpecs.map(
    ([what, overrides]): Case => ({
      name: `createMarket with ${what} is MARKET_PARAMS_INVALID`,
      markets: [],
      command: { type: "createMarket", market: { ...marketSpecFor(eth), ...overrides } },
      result: "MARKET_PARAMS_INVALID",
      events: [],
      after: (harness) => assert.deepEqual(harness.markets(), []),
    }),
  ),
  {
    name: "createMarket of a listed symbol is MARKET_EXISTS",
    command: { type: "createMarket", market: marketSpecFor(btc) },
    result: "MARKET_EXISTS",
    events: [],
  },
  {
    name: "createMarket beyond marketsMax is rejected",
    limits: { marketsMax: 1 },
    command: { type: "createMarket", market: marketSpecFor(eth) },
    result: "MARKET_PARAMS_INVALID",
    after: (harness) => assert.deepEqual(harness.markets(), [btc]),
  },
]);

function marketSpecFor(symbol: string): MarketSpec {
  return {
    symbol,
    tickSize: "0.01",
    lotSize: "0.001",
    minOrderLots: 1 as SizeLots,
    maxOrderLots: 1000 as SizeLots,
    priceBandPpm: 100_000 as RatePpm,
    referencePriceTicks: 1000 as PriceTicks,
    marketOrderSlippagePpm: 50_000 as RatePpm,
  };
}

// ---------------------------------------------------------------------------------------------------
// The state tracker itself, and coverage of the SPEC 02 matrix

describe("SPEC 02 order states", () => {
  // Proves the tracker can fail: each stream breaks the matrix or the size arithmetic in one way, and the
  // tracker must throw. Without this, a tracker that accepted everything would make every row above pass.
  const base = { sequence: 1, time: 1n, account: alice, market: btc };
  const acceptedEvent = {
    ...base,
    type: "OrderAccepted",
    index: 0,
    orderId: 256,
    side: "buy",
    orderType: "limit",
    price: 1000 as PriceTicks,
    size: 5 as SizeLots,
    timeInForce: "GTC",
    postOnly: false,
    reduceOnly: false,
    selfTradePrevention: "cancelIncoming",
    clientOrderId: null,
    expiresAt: null,
  } as const satisfies ExchangeEvent;
  const canceledEvent = {
    ...base,
    type: "OrderCanceled",
    index: 1,
    orderId: 256,
    reason: "USER_REQUESTED",
    canceledBy: "user",
    filled: 0 as SizeLots,
    remaining: 5 as SizeLots,
  } as const satisfies ExchangeEvent;
  const expiredEvent = { ...base, type: "OrderExpired", index: 2, orderId: 256, filled: 0 as SizeLots, remaining: 5 as SizeLots, expiresAt: null } as const satisfies ExchangeEvent;
  const reducedEvent = { ...base, type: "OrderReduced", index: 2, orderId: 256, size: 2 as SizeLots, filled: 0 as SizeLots, remaining: 2 as SizeLots } as const satisfies ExchangeEvent;
  const bad: readonly (readonly [string, readonly ExchangeEvent[]])[] = [
    ["an order accepted twice", [acceptedEvent, { ...acceptedEvent, index: 1 }]],
    ["a canceled order that expires", [acceptedEvent, canceledEvent, expiredEvent]],
    ["a canceled order that is reduced", [acceptedEvent, canceledEvent, reducedEvent]],
    ["a cancel of an order never accepted", [canceledEvent]],
    ["a cancel with the wrong remaining size", [acceptedEvent, { ...canceledEvent, remaining: 4 as SizeLots }]],
    ["a rejected order that is later accepted", [{ ...base, type: "OrderRejected", index: 0, orderId: 256, clientOrderId: null, code: "SIZE_NOT_POSITIVE", message: "no" }, acceptedEvent]],
    ["a rejection with an unknown code", [{ ...base, type: "OrderRejected", index: 0, orderId: 256, clientOrderId: null, code: "NOPE" as RejectCode, message: "no" }]],
    ["a rejection without a message", [{ ...base, type: "OrderRejected", index: 0, orderId: 256, clientOrderId: null, code: "SIZE_NOT_POSITIVE", message: " " }]],
  ];
  for (const [what, events] of bad) {
    it(`the tracker refuses ${what}`, () => {
      assert.throws(() => new OrderStateTracker().observe(events), assert.AssertionError);
    });
  }

  it("the tracker refuses a fill that breaks filled + remaining = size", () => {
    // Proves the fill arithmetic check fires, with a trade the fill correctly points at.
    const trade = {
      ...base,
      type: "TradeExecuted",
      index: 1,
      price: 1000 as PriceTicks,
      size: 2 as SizeLots,
      takerSide: "sell",
      makerOrderId: 256,
      takerOrderId: 512,
      makerAccount: alice,
      takerAccount: bob,
    } as const satisfies ExchangeEvent;
    const fill = {
      ...base,
      type: "OrderPartiallyFilled",
      index: 2,
      orderId: 256,
      tradeIndex: 1,
      fillPrice: 1000 as PriceTicks,
      fillSize: 2 as SizeLots,
      filled: 2 as SizeLots,
      remaining: 3 as SizeLots,
      maker: true,
    } as const satisfies ExchangeEvent;
    new OrderStateTracker().observe([acceptedEvent, trade, fill]);
    assert.throws(() => new OrderStateTracker().observe([acceptedEvent, trade, { ...fill, remaining: 2 as SizeLots }]), assert.AssertionError);
    assert.throws(() => new OrderStateTracker().observe([acceptedEvent, trade, { ...fill, type: "OrderFilled" }]), assert.AssertionError);
  });

  it("the harness notices a command that changed state it should not have", () => {
    // Proves the "a rejection changes nothing" check is live: state changed behind the harness's back
    // makes the engine's hash differ from its twin's on the next (rejected) command.
    const harness = new Harness();
    harness.createMarket(btc);
    harness.engine.markets[0]!.referencePrice += 1;
    assert.throws(() => harness.apply(buy(alice, 0, 1)), assert.AssertionError);
  });

  it("the per-command checks refuse unknown codes, empty messages and trades without their fills", () => {
    // Proves checkResult and checkEventStamps can fail.
    assert.throws(() => checkResult({ ok: false, code: "NOPE" as RejectCode, message: "m" }, "test"), assert.AssertionError);
    assert.throws(() => checkResult({ ok: true, items: [{ ok: false, code: "ORDER_NOT_FOUND", message: "" }] }, "test"), assert.AssertionError);
    const trade = {
      type: "TradeExecuted",
      sequence: 1,
      index: 0,
      time: 1n,
      market: btc,
      price: 1000 as PriceTicks,
      size: 1 as SizeLots,
      takerSide: "buy",
      makerOrderId: 256,
      takerOrderId: 512,
      makerAccount: bob,
      takerAccount: alice,
    } as const satisfies ExchangeEvent;
    const tickCommand = { type: "tick", sequence: 1, time: 1n } as const;
    assert.throws(() => checkEventStamps(tickCommand, [trade]), assert.AssertionError);
    assert.throws(() => checkEventStamps(tickCommand, [{ ...trade, takerAccount: bob }]), assert.AssertionError);
    assert.throws(() => checkEventStamps({ ...tickCommand, sequence: 2 }, [{ ...trade, type: "MarketCreated", market: btc, tickSize: "1", lotSize: "1" }]), assert.AssertionError);
  });

  it("the rows above reach every transition of the SPEC 02 matrix", () => {
    // Proves the table covers every state transition (creation → PENDING/REJECTED, PENDING and PARTIAL
    // → PARTIAL/FILLED/CANCELED/EXPIRED). Runs last in this file, after every row has been applied.
    assert.deepEqual([...allTransitions].filter((transition) => !transitionsSeen.has(transition)), []);
  });
});
