// Proves that the Engine (the fast book) and the naive ReferenceExchange (reference-matcher.ts) agree on
// random command streams: the same result, the same events (every field, rejection messages aside)
// and the same L3 books and reference prices after every command, with the invariants and the SPEC 02
// order-state checks of the Harness after every command; and that replaying the stream in a fresh
// Engine reproduces every command's events and state hash exactly.
//
// Streams are generated as data that names orders indirectly ("the account's 3rd open order", "some
// order ever seen", "an id never used"); each name is resolved when its command is built, against the
// orders the events so far have left open, so cancels, reduces and replaces mostly hit real orders while
// fast-check can still shrink a failing stream. Set PERPDEX_SEED to rerun one seed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  defaultLimits,
  type BatchItem,
  type CommandInput,
  type CommandResult,
  type EngineLimits,
  type ExchangeEvent,
  type MarketSpec,
  type OrderRef,
  type OrderSpec,
  type PriceTicks,
  type RatePpm,
  type SelfTradePrevention,
  type SizeLots,
  type TimeInForce,
  type TimeNs,
} from "@perpdex/core";
import { Harness, account, allTransitions, engineBooks, jsonBigint, marketSpec, replay } from "./helpers.ts";
import { ReferenceExchange } from "./reference-matcher.ts";

// ---------------------------------------------------------------------------------------------------
// Generated streams

const mid = 1000;
const timeStep = 1_000n;
const symbols = ["BTC-PERP", "ETH-PERP", "SPY-PERP"] as const;
const clientIds = ["c0", "c1", "c2", "c3"] as const;

type Fault =
  | "sizeZero"
  | "sizeFraction"
  | "sizeAboveMax"
  | "priceZero"
  | "priceFar"
  | "priceAtBandEdge"
  | "badAccount"
  | "unknownMarket"
  | "pastExpiry"
  | "expiryAtLimit"
  | "postOnlyImmediate"
  | "badClientId"
  | "badSlippage";

interface OrderDraft {
  readonly market: number;
  readonly side: "buy" | "sell";
  readonly type: "limit" | "market";
  readonly timeInForce: TimeInForce | null;
  /** Ticks from the mid: prices cluster within a few ticks of it so that orders cross often. */
  readonly offset: number;
  readonly size: number;
  readonly postOnly: boolean;
  readonly selfTradePrevention: SelfTradePrevention | null;
  readonly clientId: number | null;
  /** GTD lifetime in time steps; a half step lands the expiry between two commands. */
  readonly lifetimeSteps: number;
  readonly halfStep: boolean;
  readonly marketPriceOffset: number | null;
  readonly slippagePpm: number | null;
  readonly fault: Fault | null;
}

type TargetMode = "ownOpen" | "anyOpen" | "seen" | "missing";
interface Target {
  readonly mode: TargetMode;
  readonly pick: number;
  /** Name the order by its client id when it has one. */
  readonly byClientId: boolean;
  /** Name a market other than the order's. */
  readonly wrongMarket: boolean;
}

type Op =
  | { readonly kind: "place"; readonly who: number; readonly order: OrderDraft }
  | { readonly kind: "cancel"; readonly who: number; readonly target: Target }
  | { readonly kind: "cancelClientId"; readonly who: number; readonly market: number; readonly clientId: number }
  | { readonly kind: "cancelAll"; readonly who: number; readonly market: number | null }
  | { readonly kind: "reduce"; readonly who: number; readonly target: Target; readonly remaining: number }
  | { readonly kind: "replace"; readonly who: number; readonly target: Target; readonly order: OrderDraft }
  | { readonly kind: "batch"; readonly who: number; readonly items: readonly BatchDraft[]; readonly size: "asIs" | "empty" | "tooLarge" }
  | { readonly kind: "tick"; readonly steps: number }
  | { readonly kind: "createMarket"; readonly what: "duplicate" | "invalid" | "extra" };

type BatchDraft = { readonly place: OrderDraft } | { readonly cancel: Target };

interface Scenario {
  readonly limits: Partial<EngineLimits>;
  readonly marketCount: number;
  readonly accountCount: number;
  readonly ops: readonly Op[];
}

/** `arbitrary` one time in `oneIn`, null otherwise. */
function sometimes<T>(arbitrary: fc.Arbitrary<T>, oneIn: number): fc.Arbitrary<T | null> {
  return fc.oneof({ arbitrary: fc.constant(null), weight: oneIn - 1 }, { arbitrary, weight: 1 });
}

const faultArbitrary: fc.Arbitrary<Fault | null> = sometimes(
  fc.constantFrom<Fault>(
    "sizeZero",
    "sizeFraction",
    "sizeAboveMax",
    "priceZero",
    "priceFar",
    "priceAtBandEdge",
    "priceAtBandEdge",
    "badAccount",
    "unknownMarket",
    "pastExpiry",
    "expiryAtLimit",
    "postOnlyImmediate",
    "badClientId",
    "badSlippage",
  ),
  12,
);

const orderArbitrary: fc.Arbitrary<OrderDraft> = fc.record({
  // Most orders in the first market, so that its book grows deep enough for sweeps and fill limits.
  market: fc.oneof({ arbitrary: fc.constant(0), weight: 4 }, { arbitrary: fc.constant(1), weight: 2 }, { arbitrary: fc.constant(2), weight: 1 }),
  side: fc.constantFrom("buy" as const, "sell" as const),
  type: fc.oneof({ arbitrary: fc.constant("limit" as const), weight: 8 }, { arbitrary: fc.constant("market" as const), weight: 1 }),
  timeInForce: fc.oneof(
    { arbitrary: fc.constant(null), weight: 6 },
    { arbitrary: fc.constant("GTC" as const), weight: 2 },
    { arbitrary: fc.constant("IOC" as const), weight: 2 },
    { arbitrary: fc.constant("FOK" as const), weight: 2 },
    { arbitrary: fc.constant("GTD" as const), weight: 3 },
  ),
  // Mostly passive orders that build the book, some aggressive ones that sweep it.
  offset: fc.oneof({ arbitrary: fc.integer({ min: -5, max: 0 }), weight: 3 }, { arbitrary: fc.integer({ min: 1, max: 5 }), weight: 2 }),
  size: fc.oneof(
    { arbitrary: fc.constant(1), weight: 1 },
    { arbitrary: fc.integer({ min: 2, max: 4 }), weight: 4 },
    { arbitrary: fc.integer({ min: 5, max: 10 }), weight: 1 },
  ),
  postOnly: fc.oneof({ arbitrary: fc.constant(false), weight: 5 }, { arbitrary: fc.constant(true), weight: 1 }),
  selfTradePrevention: fc.constantFrom(null, null, "cancelIncoming" as const, "cancelResting" as const, "cancelBoth" as const),
  clientId: sometimes(fc.nat({ max: clientIds.length - 1 }), 3),
  lifetimeSteps: fc.integer({ min: 1, max: 16 }),
  halfStep: fc.boolean(),
  marketPriceOffset: sometimes(fc.integer({ min: -6, max: 6 }), 3),
  slippagePpm: sometimes(fc.constantFrom(500, 1_000, 3_000, 20_000), 3),
  fault: faultArbitrary,
}).map((draft) => (draft.offset >= 3 ? { ...draft, size: Math.min(10, draft.size * 2) } : draft));

const targetArbitrary: fc.Arbitrary<Target> = fc.record({
  mode: fc.oneof(
    { arbitrary: fc.constant("ownOpen" as const), weight: 8 },
    { arbitrary: fc.constant("anyOpen" as const), weight: 2 },
    { arbitrary: fc.constant("seen" as const), weight: 2 },
    { arbitrary: fc.constant("missing" as const), weight: 1 },
  ),
  pick: fc.nat({ max: 1_000 }),
  byClientId: fc.boolean(),
  wrongMarket: fc.oneof({ arbitrary: fc.constant(false), weight: 12 }, { arbitrary: fc.constant(true), weight: 1 }),
});

const who = fc.nat({ max: 5 });

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant("place" as const), who, order: orderArbitrary }), weight: 40 },
  { arbitrary: fc.record({ kind: fc.constant("cancel" as const), who, target: targetArbitrary }), weight: 6 },
  {
    arbitrary: fc.record({
      kind: fc.constant("cancelClientId" as const),
      who,
      market: fc.nat({ max: 2 }),
      clientId: fc.nat({ max: clientIds.length - 1 }),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ kind: fc.constant("cancelAll" as const), who, market: sometimes(fc.nat({ max: 3 }), 2) }),
    weight: 1,
  },
  {
    arbitrary: fc.record({ kind: fc.constant("reduce" as const), who, target: targetArbitrary, remaining: fc.integer({ min: 0, max: 6 }) }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constant("replace" as const), who, target: targetArbitrary, order: orderArbitrary }), weight: 4 },
  {
    arbitrary: fc.record({
      kind: fc.constant("batch" as const),
      who,
      items: fc.array(fc.oneof(fc.record({ place: orderArbitrary }), fc.record({ cancel: targetArbitrary })), { minLength: 1, maxLength: 4 }),
      size: fc.oneof(
        { arbitrary: fc.constant("asIs" as const), weight: 12 },
        { arbitrary: fc.constant("empty" as const), weight: 1 },
        { arbitrary: fc.constant("tooLarge" as const), weight: 1 },
      ),
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ kind: fc.constant("tick" as const), steps: fc.integer({ min: 1, max: 6 }) }), weight: 3 },
  {
    arbitrary: fc.record({ kind: fc.constant("createMarket" as const), what: fc.constantFrom("duplicate" as const, "invalid" as const, "extra" as const) }),
    weight: 1,
  },
);

const scenarioArbitrary: fc.Arbitrary<Scenario> = fc.record({
  limits: fc.record({
    ordersPerAccountMax: fc.constantFrom(3, 8, 10_000),
    fillsPerOrderMax: fc.constantFrom(2, 3, 10_000),
    batchItemsMax: fc.constantFrom(3, 4),
    accountsMax: fc.constantFrom(5, 1_000),
    marketsMax: fc.constantFrom(3, 4),
  }),
  marketCount: fc.integer({ min: 2, max: 3 }),
  accountCount: fc.integer({ min: 3, max: 6 }),
  ops: fc.array(opArbitrary, { minLength: 10, maxLength: 200, size: "max" }),
});

// ---------------------------------------------------------------------------------------------------
// Building concrete commands

function marketSpecOf(index: number): MarketSpec {
  // Band ±3 % around 1000 keeps the clustered prices valid as the last trade price wanders; the second
  // market has a minimum of 2 lots and a wider slippage bound.
  return marketSpec(symbols[index]!, {
    minOrderLots: (index === 1 ? 2 : 1) as SizeLots,
    maxOrderLots: 10 as SizeLots,
    priceBandPpm: 30_000 as RatePpm,
    marketOrderSlippagePpm: (index === 1 ? 10_000 : 2_000) as RatePpm,
  });
}

class Builder {
  readonly accounts: readonly string[];

  constructor(
    private readonly harness: Harness,
    private readonly scenario: Scenario,
  ) {
    this.accounts = Array.from({ length: scenario.accountCount }, (_, index) => account("123456"[index]!));
  }

  build(op: Op, time: TimeNs): CommandInput {
    switch (op.kind) {
      case "place":
        return { type: "placeOrder", account: this.accountOf(op.who, op.order.fault), order: this.order(op.order, time) };
      case "cancel":
        return { type: "cancelOrder", account: this.accountOf(op.who, null), ...this.reference(op.who, op.target) };
      case "cancelClientId":
        return { type: "cancelOrder", account: this.accountOf(op.who, null), market: this.symbol(op.market), clientOrderId: clientIds[op.clientId]! };
      case "cancelAll": {
        const base = { type: "cancelAll" as const, account: this.accountOf(op.who, null) };
        return op.market === null ? base : { ...base, market: op.market === 3 ? "NONE-PERP" : this.symbol(op.market) };
      }
      case "reduce":
        return {
          type: "reduceOrder",
          account: this.accountOf(op.who, null),
          remaining: op.remaining as SizeLots,
          ...this.reference(op.who, op.target),
        };
      case "replace": {
        const { market: _market, ...replaces } = this.reference(op.who, op.target);
        return { type: "cancelReplace", account: this.accountOf(op.who, null), replaces, order: this.order(op.order, time) };
      }
      case "batch":
        return { type: "batch", account: this.accountOf(op.who, null), items: this.batchItems(op, time) };
      case "tick":
        return { type: "tick" };
      case "createMarket":
        return { type: "createMarket", market: this.extraMarket(op.what) };
    }
  }

  /** The time the op's command runs at: a tick may skip several steps. */
  timeOf(op: Op): TimeNs {
    return this.harness.time + (op.kind === "tick" ? BigInt(op.steps) : 1n) * timeStep;
  }

  private accountOf(index: number, fault: Fault | null): string {
    if (fault === "badAccount") return "0x" + "Z".repeat(40);
    return this.accounts[index % this.accounts.length]!;
  }

  private symbol(index: number): string {
    return symbols[index % this.scenario.marketCount]!;
  }

  private order(draft: OrderDraft, time: TimeNs): OrderSpec {
    const fault = draft.fault;
    const market = fault === "unknownMarket" ? "NONE-PERP" : this.symbol(draft.market);
    const buy = draft.side === "buy";
    // A positive offset is aggressive on either side: buys above the mid, sells below it.
    let price = mid + (buy ? draft.offset : -draft.offset);
    if (fault === "priceZero") price = 0;
    if (fault === "priceFar") price = buy ? mid + 200 : mid - 200;
    if (fault === "priceAtBandEdge") price = this.bandEdge(market, draft.offset);
    let size = draft.size;
    if (fault === "sizeZero") size = 0;
    if (fault === "sizeFraction") size = 1.5;
    if (fault === "sizeAboveMax") size = 11;
    const spec: { -readonly [K in keyof OrderSpec]: OrderSpec[K] } = {
      market,
      side: draft.side,
      type: draft.type,
      size: size as SizeLots,
    };
    if (draft.type === "limit") spec.price = price as PriceTicks;
    else if (draft.marketPriceOffset !== null || fault === "priceZero") {
      spec.price = (fault === "priceZero" ? 0 : mid + draft.marketPriceOffset!) as PriceTicks;
    }
    const timeInForce = draft.type === "market" && (draft.timeInForce === "GTC" || draft.timeInForce === "GTD") ? null : draft.timeInForce;
    if (timeInForce !== null) spec.timeInForce = timeInForce;
    if (timeInForce === "GTD" || fault === "pastExpiry" || fault === "expiryAtLimit") {
      spec.timeInForce = "GTD";
      const lifetime = BigInt(draft.lifetimeSteps) * timeStep + (draft.halfStep ? timeStep / 2n : 0n);
      spec.expiresAt = time + lifetime;
      if (fault === "pastExpiry") spec.expiresAt = time - (draft.halfStep ? 0n : 1n);
      // 2^63 − 1 ns is the latest expiry the state can hold; 2^63 must be rejected.
      if (fault === "expiryAtLimit") spec.expiresAt = 2n ** 63n - (draft.halfStep ? 1n : 0n);
    }
    // Post-only goes on orders that can rest; the fault puts it on one that cannot.
    const canRest = draft.type === "limit" && timeInForce !== "IOC" && timeInForce !== "FOK";
    if ((draft.postOnly && canRest) || fault === "postOnlyImmediate") spec.postOnly = true;
    if (fault === "postOnlyImmediate") spec.timeInForce = "IOC";
    if (draft.selfTradePrevention !== null) spec.selfTradePrevention = draft.selfTradePrevention;
    if (draft.clientId !== null || fault === "badClientId") {
      spec.clientOrderId = fault === "badClientId" ? "has space" : clientIds[draft.clientId!]!;
    }
    if (draft.type === "market" && draft.slippagePpm !== null) spec.slippagePpm = draft.slippagePpm as RatePpm;
    if (fault === "badSlippage") spec.slippagePpm = 0 as RatePpm;
    return spec;
  }

  /** A price at or one tick beyond an edge of the market's band, which moves with the last trade. */
  private bandEdge(symbol: string, offset: number): number {
    const market = this.harness.books()[symbol];
    if (market === undefined) return mid;
    const reference = BigInt(market.referencePrice);
    const band = 30_000n;
    const lowest = Number((reference * (1_000_000n - band) + 999_999n) / 1_000_000n);
    const highest = Number((reference * (1_000_000n + band)) / 1_000_000n);
    return [lowest - 1, lowest, highest, highest + 1][Math.abs(offset) % 4]!;
  }

  /** Resolves a target to a market and an order reference. */
  private reference(whoIndex: number, target: Target): { market: string } & OrderRef {
    const tracker = this.harness.tracker;
    const owner = this.accountOf(whoIndex, null);
    const candidates = (() => {
      switch (target.mode) {
        case "ownOpen":
          return tracker.openOrders().filter((order) => order.account === owner);
        case "anyOpen":
          return tracker.openOrders();
        case "seen":
          return [...tracker.orders.values()];
        case "missing":
          return [];
      }
    })();
    const order = candidates.length === 0 ? undefined : candidates[target.pick % candidates.length]!;
    if (order === undefined) return { market: this.symbol(target.pick), orderId: 1 + (target.pick % 200) };
    const market = target.wrongMarket ? this.symbol(symbols.indexOf(order.market as (typeof symbols)[number]) + 1) : order.market;
    if (target.byClientId && order.clientOrderId !== null) return { market, clientOrderId: order.clientOrderId };
    return { market, orderId: order.orderId };
  }

  private batchItems(op: Extract<Op, { kind: "batch" }>, time: TimeNs): BatchItem[] {
    if (op.size === "empty") return [];
    const items: BatchItem[] = op.items.map((item) =>
      "place" in item
        ? { type: "placeOrder", order: this.order(item.place, time) }
        : { type: "cancelOrder", ...this.reference(op.who, item.cancel) },
    );
    const max = this.scenario.limits.batchItemsMax ?? defaultLimits.batchItemsMax;
    while (op.size === "tooLarge" && items.length <= max) items.push({ type: "cancelOrder", market: this.symbol(0), orderId: 1 });
    return items;
  }

  private extraMarket(what: "duplicate" | "invalid" | "extra"): MarketSpec {
    if (what === "duplicate") return marketSpecOf(0);
    if (what === "invalid") return { ...marketSpecOf(0), symbol: "bad" };
    return marketSpec("EXTRA-PERP");
  }
}

// ---------------------------------------------------------------------------------------------------
// Comparing

function normalResult(result: CommandResult): unknown {
  if ("items" in result) return { ok: true, items: result.items.map((item) => (item.ok ? "ok" : item.code)) };
  return result.ok ? "ok" : result.code;
}

/** Rejection messages are prose: both sides must have one, the wording may differ. */
function normalEvents(events: readonly ExchangeEvent[]): unknown[] {
  return events.map((event) => {
    if (event.type !== "OrderRejected") return event;
    assert.ok(event.message.length > 0);
    return { ...event, message: "(message)" };
  });
}

/** Coverage over every run of this file. */
const coverage = {
  transitions: new Set<string>(),
  events: new Set<string>(),
  codes: new Set<string>(),
  reasons: new Set<string>(),
};

function noteCoverage(result: CommandResult, events: readonly ExchangeEvent[]): void {
  for (const event of events) {
    coverage.events.add(event.type);
    if (event.type === "OrderRejected") coverage.codes.add(event.code);
    if (event.type === "OrderCanceled") coverage.reasons.add(event.reason);
  }
  if (result.ok === false) coverage.codes.add(result.code);
  if ("items" in result) for (const item of result.items) if (item.ok === false) coverage.codes.add(item.code);
}

function runScenario(scenario: Scenario, seed: number): void {
  const limits = { ...defaultLimits, ...scenario.limits };
  const harness = new Harness({ limits: scenario.limits, timeStep });
  const reference = new ReferenceExchange(limits);
  const builder = new Builder(harness, scenario);
  const apply = (input: CommandInput, time: TimeNs, position: number): void => {
    const where = (): string =>
      `seed ${seed}, command ${position}: ${JSON.stringify(input, jsonBigint)}\n` +
      `engine events: ${JSON.stringify(harness.steps.at(-1)?.events, jsonBigint)}`;
    const step = harness.apply(input, time);
    const expected = reference.apply(step.command);
    assert.deepEqual(normalResult(step.result), normalResult(expected), `result differs; ${where()}`);
    assert.deepEqual(normalEvents(step.events), normalEvents(reference.events), `events differ; ${where()}`);
    assert.deepEqual(engineBooks(harness.engine), reference.books(), `books differ; ${where()}`);
    noteCoverage(step.result, step.events);
  };
  for (let index = 0; index < scenario.marketCount; index += 1) {
    apply({ type: "createMarket", market: marketSpecOf(index) }, harness.nextTime, index + 1);
  }
  scenario.ops.forEach((op, position) => {
    const time = builder.timeOf(op);
    apply(builder.build(op, time), time, scenario.marketCount + position + 1);
  });
  for (const key of harness.tracker.transitions.keys()) coverage.transitions.add(key);
  // Replay: a fresh Engine fed the same stamped log gives the same events and hash at every step.
  const replayed = replay(harness.log, scenario.limits);
  harness.steps.forEach((step, index) => {
    assert.deepEqual(replayed.events[index], step.events, `seed ${seed}: replay events differ at command ${index + 1}`);
    assert.equal(replayed.hashes[index], step.hash, `seed ${seed}: replay hash differs at command ${index + 1}`);
  });
}

const seed = process.env.PERPDEX_SEED === undefined ? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0 : Number(process.env.PERPDEX_SEED);
const numRuns = Number(process.env.PERPDEX_RUNS ?? 200);
let propertyHeld = false;

describe("differential: Engine against the naive reference", () => {
  it(`agrees on random streams, replays identically (seed ${seed}, ${numRuns} runs)`, () => {
    // Proves, for every generated stream: same results, events and books as the reference after every
    // command; invariants and SPEC 02 transitions after every command (Harness); identical replay.
    fc.assert(
      fc.property(scenarioArbitrary, (scenario) => runScenario(scenario, seed)),
      // includeErrorInReport: the report shows the failed assertion (with the seed and command), not only the counterexample.
      { seed, numRuns, includeErrorInReport: true },
    );
    propertyHeld = true;
  });

  it("the streams reached every SPEC 02 transition, cancel reason and the main rejection codes", (context) => {
    // Proves the generator is not blind: a differential test whose streams never filled, expired or
    // self-traded would agree trivially. Runs after the property above.
    if (!propertyHeld) {
      context.skip("the property failed; coverage of a failed run means nothing");
      return;
    }
    const seen = `seed ${seed}; seen: ${JSON.stringify({ ...coverage }, (_key, value: unknown) => (value instanceof Set ? [...value] : value))}`;
    assert.deepEqual(allTransitions.filter((transition) => !coverage.transitions.has(transition)), [], seen);
    const reasons = ["USER_REQUESTED", "SELF_TRADE", "REPLACED", "MATCH_LIMIT"];
    assert.deepEqual(reasons.filter((reason) => !coverage.reasons.has(reason)), [], seen);
    const events = ["MarketCreated", "OrderAccepted", "OrderRejected", "TradeExecuted", "OrderPartiallyFilled", "OrderFilled", "OrderCanceled", "OrderExpired", "OrderReduced"];
    assert.deepEqual(events.filter((type) => !coverage.events.has(type)), [], seen);
    const codes = [
      "ACCOUNT_INVALID",
      "MARKET_NOT_FOUND",
      "MARKET_EXISTS",
      "MARKET_PARAMS_INVALID",
      "PRICE_NOT_POSITIVE",
      "PRICE_OUTSIDE_BAND",
      "SIZE_NOT_POSITIVE",
      "SIZE_BELOW_MIN",
      "SIZE_ABOVE_MAX",
      "ORDER_TYPE_INVALID",
      "ORDER_POST_ONLY_WOULD_TAKE",
      "ORDER_POST_ONLY_NOT_RESTING",
      "ORDER_EXPIRY_INVALID",
      "ORDER_NO_LIQUIDITY",
      "ORDER_CLIENT_ID_DUPLICATE",
      "ORDER_CLIENT_ID_INVALID",
      "ORDER_NOT_FOUND",
      "ORDER_REDUCE_INVALID",
      "ORDER_LIMIT_REACHED",
      "BATCH_SIZE_INVALID",
    ];
    assert.deepEqual(codes.filter((code) => !coverage.codes.has(code)), [], seen);
  });
});
