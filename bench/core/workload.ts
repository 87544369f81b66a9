import {
  Engine,
  Exchange,
  type ExchangeCommand,
  type PerpMarketSpec,
  type Command,
  type ExchangeEvent,
  type MarketSpec,
  type OrderSpec,
  type PriceTicks,
  type RatePpm,
  type SizeLots,
} from "@perpdex/core";
import { LiveOrders } from "./live-orders.ts";
import { Random } from "./random.ts";

// The standard workload of the issue, seeded and reproducible: one market, a non-crossing prefill, then
// a stream of commands from many users. The stream is generated once, by driving a perpdex Engine in an
// untimed generation pass: the pass knows the book, so passive orders never cross, aggressive ones cross
// the real touch and every cancel names an order that is live when it arrives. The timed passes replay
// the identical stream through a fresh Engine and, from the engine-neutral copy, through
// nodejs-order-book.

/** Command kinds, as stored in NeutralStream.kind. The prefill uses kindPassive. */
export const kindPassive = 0;
export const kindCancel = 1;
export const kindImmediateOrCancel = 2;
export const kindMarket = 3;
export const kindAggressive = 4;
export const kindNames = ["passive GTC limit", "cancel", "IOC limit", "market", "aggressive GTC limit"] as const;

/** The mix of the issue, per mille of the stream; the entries sum to 1000. */
export const mixPerMille: Readonly<Record<(typeof kindNames)[number], number>> = Object.freeze({
  "passive GTC limit": 600,
  cancel: 250,
  "IOC limit": 60,
  market: 40,
  "aggressive GTC limit": 50,
});

/** The shape of prices and sizes. Every number here is reported with the results. */
export const shape = Object.freeze({
  fairStartTicks: 1_000_000,
  /** Per mille of commands on which the fair price moves one tick up or down: a slow random walk. */
  fairStepPerMille: 5,
  /** Passive offset from fair: 1 tick plus a geometric count (continue with this probability, per mille). */
  passiveContinuePerMille: 800,
  passiveNearTicksMax: 40,
  /** Per mille of passive orders placed in the far tail. */
  passiveTailPerMille: 50,
  passiveTailTicksLowest: 50,
  passiveTailTicksHighest: 500,
  /** Sizes of passive orders (and of the prefill). */
  makerLotsLowest: 1,
  makerLotsHighest: 100,
  /** Sizes of IOC, market and aggressive orders. */
  takerLotsLowest: 1,
  takerLotsHighest: 240,
  /** How far past the touch an IOC or aggressive limit is priced. */
  crossTicksHighest: 2,
  /** An aggressive limit takes all it crosses only up to this many lots (about 20 average orders). */
  aggressiveSweepLotsMax: 1_000,
});

/**
 * The market of the workload; `symbol` names further copies of it (the 10 M-order load lists 1,000).
 * It carries the perpetual fields too: the bare engine ignores them, the full engine (Exchange) lists a
 * crypto perpetual at 5x, a leverage every tier allows, so no order of the workload fails a tier check.
 */
export function marketSpec(symbol: string): PerpMarketSpec {
  return Object.freeze({
    symbol,
    tickSize: "0.01",
    lotSize: "0.001",
    minOrderLots: 1 as SizeLots,
    maxOrderLots: 1_000_000 as SizeLots,
    // A 100 % band: the benchmark measures matching, not the band check rejecting a drifted tail order.
    priceBandPpm: 1_000_000 as RatePpm,
    referencePriceTicks: shape.fairStartTicks as PriceTicks,
    marketOrderSlippagePpm: 50_000 as RatePpm,
    assetClass: "crypto",
    marginProfile: "prd",
    leverageMax: 100,
    leverageDefault: 5,
  });
}

export const benchMarket: MarketSpec = marketSpec("BENCH-PERP");

/**
 * Each user's deposit: $10 M of USDC, far more than its orders of the workload can need, so the full
 * engine rejects nothing the bare engine accepts and both end with the same book.
 */
export const benchDepositUsdc = 10_000_000_000_000n;

/** Generous enough that no order of the workload is rejected for a limit. */
export const benchLimits = Object.freeze({ ordersPerAccountMax: 1_000_000 });

export interface WorkloadOptions {
  readonly seed: number;
  readonly commands: number;
  readonly prefillOrders: number;
  readonly users: number;
}

export const standardWorkload: Omit<WorkloadOptions, "seed"> = Object.freeze({
  commands: 1_000_000,
  prefillOrders: 20_000,
  users: 1_000,
});

/**
 * The setup (prefill) and the stream without engine-specific objects, one entry per command, prefill
 * first. Struct of arrays: the other engine's adapter builds its own call arguments from it.
 */
export interface NeutralStream {
  readonly count: number;
  readonly prefillCount: number;
  readonly kind: Uint8Array;
  readonly sell: Uint8Array;
  /** The limit price in ticks; 0 for market orders and cancels. */
  readonly price: Int32Array;
  /** Lots; 0 for cancels. */
  readonly size: Int32Array;
  readonly user: Uint16Array;
  /** For an order: the id perpdex gives it. For a cancel: the id of the order it cancels. */
  readonly orderId: Float64Array;
}

/** What the generation pass saw; it describes the workload, it is not a measurement of speed. */
export interface WorkloadObservations {
  readonly commandsByKind: Record<string, number>;
  readonly events: number;
  readonly trades: number;
  readonly fillsPerTakerMean: number;
  readonly aggressiveRestedRemainder: number;
  readonly selfTradeStops: number;
  readonly restingOrdersAtStart: number;
  readonly restingOrdersAtEnd: number;
  readonly restingOrdersMax: number;
  readonly priceLevelsAtEnd: number;
  readonly fairDriftTicks: number;
}

export interface Workload {
  readonly options: WorkloadOptions;
  readonly market: MarketSpec;
  /** createMarket, then the prefill: applied to each fresh Engine before timing starts. */
  readonly setup: readonly ExchangeCommand[];
  /** The timed commands. */
  readonly stream: readonly Command[];
  readonly neutral: NeutralStream;
  readonly observations: WorkloadObservations;
}

/**
 * Generates the workload: the same options give the same commands, byte for byte.
 *
 * @example
 * const workload = generateWorkload({ seed: 1, ...standardWorkload });
 * const engine = new Engine({ limits: benchLimits });
 * for (const command of workload.setup) engine.apply(command);
 */
export function generateWorkload(options: WorkloadOptions): Workload {
  if (!Number.isInteger(options.commands) || options.commands < 1) throw new Error("commands must be positive");
  if (!Number.isInteger(options.prefillOrders) || options.prefillOrders < 1) throw new Error("prefill must be positive");
  if (!Number.isInteger(options.users) || options.users < 2 || options.users > 65_535) throw new Error("users: 2 to 65535");
  const generator = new Generator(options);
  const setup = generator.generateSetup();
  const restingOrdersAtStart = generator.live.count;
  const stream = generator.generateStream();
  return {
    options,
    market: benchMarket,
    setup,
    stream,
    neutral: generator.neutral,
    observations: generator.observations(restingOrdersAtStart),
  };
}

/** Lowercase 0x addresses, drawn from their own generator so they do not shift the command stream. */
export function userAddresses(options: { seed: number; users: number }): string[] {
  const random = new Random(options.seed ^ 0x5eed);
  const addresses: string[] = [];
  for (let user = 0; user < options.users; user += 1) {
    let hex = "";
    for (let word = 0; word < 5; word += 1) hex += random.nextUint32().toString(16).padStart(8, "0");
    addresses.push(`0x${hex}`);
  }
  return addresses;
}

const timeOrigin = 1_750_000_000_000_000_000n;

/** Exchange time of a sequence: strictly increasing, one microsecond apart. */
function timeOf(sequence: number): bigint {
  return timeOrigin + BigInt(sequence) * 1_000n;
}

/**
 * Every spec of a kind is written as one object literal with its keys in one order, so all commands
 * share a few hidden classes, as commands decoded by one JSON codec do. (On Node 20 an object spread,
 * `{ ...common, price }`, gives nearly every object its own hidden class; the core's property reads
 * then go megamorphic and a command costs several times more.)
 */
function orderSpec(order: { kind: number; sell: boolean; price: number; size: number }): OrderSpec {
  const side = order.sell ? "sell" : "buy";
  const size = order.size as SizeLots;
  if (order.kind === kindMarket) return { market: benchMarket.symbol, side, type: "market", size };
  const timeInForce = order.kind === kindImmediateOrCancel ? "IOC" : "GTC";
  return { market: benchMarket.symbol, side, type: "limit", price: order.price as PriceTicks, size, timeInForce };
}

class Generator {
  // The full engine generates the stream, so every command is valid for both engines.
  readonly engine = new Exchange({ limits: benchLimits });
  readonly live = new LiveOrders();
  readonly neutral: NeutralStream;
  private readonly random: Random;
  private readonly addresses: string[];
  private readonly counts = [0, 0, 0, 0, 0];
  private sequence = 0;
  private entry = 0;
  private fair = shape.fairStartTicks;
  private events = 0;
  private trades = 0;
  private takerOrders = 0;
  private aggressiveRested = 0;
  private selfTradeStops = 0;
  private restingMax = 0;

  constructor(private readonly options: WorkloadOptions) {
    this.random = new Random(options.seed);
    this.addresses = userAddresses(options);
    const count = options.prefillOrders + options.commands;
    this.neutral = {
      count,
      prefillCount: options.prefillOrders,
      kind: new Uint8Array(count),
      sell: new Uint8Array(count),
      price: new Int32Array(count),
      size: new Int32Array(count),
      user: new Uint16Array(count),
      orderId: new Float64Array(count),
    };
  }

  /**
   * The market, a deposit for every user (the bare engine rejects deposits as unknown commands: it holds
   * no money), then the prefill.
   */
  generateSetup(): ExchangeCommand[] {
    const commands: ExchangeCommand[] = [this.apply({ type: "createMarket", ...this.stamp(), market: benchMarket })];
    for (const account of this.addresses) {
      commands.push(this.apply({ type: "deposit", ...this.stamp(), account, asset: "USDC", amount: benchDepositUsdc, reference: `bench-${account}` }));
    }
    for (let index = 0; index < this.options.prefillOrders; index += 1) commands.push(this.next(kindPassive));
    return commands;
  }

  generateStream(): Command[] {
    const commands: Command[] = [];
    for (let index = 0; index < this.options.commands; index += 1) {
      this.driftFair();
      commands.push(this.next(this.pickKind()));
    }
    return commands;
  }

  observations(restingOrdersAtStart: number): WorkloadObservations {
    const market = this.engine.engine.market(benchMarket.symbol)!;
    const commandsByKind: Record<string, number> = {};
    kindNames.forEach((name, kind) => (commandsByKind[name] = this.counts[kind]!));
    commandsByKind[kindNames[kindPassive]] = this.counts[kindPassive]! - this.options.prefillOrders;
    return {
      commandsByKind,
      events: this.events,
      trades: this.trades,
      fillsPerTakerMean: this.trades / Math.max(1, this.takerOrders),
      aggressiveRestedRemainder: this.aggressiveRested,
      selfTradeStops: this.selfTradeStops,
      restingOrdersAtStart,
      restingOrdersAtEnd: this.live.count,
      restingOrdersMax: this.restingMax,
      priceLevelsAtEnd: market.bids.levelCount + market.asks.levelCount,
      fairDriftTicks: this.fair - shape.fairStartTicks,
    };
  }

  private pickKind(): number {
    const draw = this.random.below(1000);
    let threshold = 0;
    for (let kind = 0; kind < kindNames.length; kind += 1) {
      threshold += mixPerMille[kindNames[kind]!];
      if (draw < threshold) return kind;
    }
    throw new Error("mix does not sum to 1000");
  }

  private driftFair(): void {
    if (!this.random.chance(shape.fairStepPerMille)) return;
    this.fair += this.random.chance(500) ? 1 : -1;
  }

  private stamp(): { sequence: number; time: bigint } {
    this.sequence += 1;
    return { sequence: this.sequence, time: timeOf(this.sequence) };
  }

  /** Generates one command of `kind`, records it in the neutral stream and applies it. */
  private next(kind: number): Command {
    const user = this.random.below(this.options.users);
    if (kind === kindCancel) {
      const target = this.live.pick(this.random);
      if (target !== undefined) return this.cancel(target.orderId, target.user);
      kind = kindPassive; // an empty book has nothing to cancel
    }
    const sell = this.random.chance(500);
    if (kind === kindPassive) {
      const size = this.random.between(shape.makerLotsLowest, shape.makerLotsHighest);
      return this.place({ kind, user, sell, price: this.passivePrice(sell), size });
    }
    const size = this.random.between(shape.takerLotsLowest, shape.takerLotsHighest);
    if (kind === kindMarket) return this.place({ kind, user, sell, price: 0, size });
    const price = this.crossingPrice(sell);
    if (kind === kindImmediateOrCancel) return this.place({ kind, user, sell, price, size });
    // Aggressive: take everything the price crosses and rest the rest, unless the crossed levels are
    // deeper than a sweep the workload allows; then it takes part of them and nothing rests.
    const crossed = this.lotsCrossed(sell, price);
    if (crossed > shape.aggressiveSweepLotsMax) return this.place({ kind, user, sell, price, size });
    const remainder = this.random.between(shape.makerLotsLowest, shape.makerLotsHighest);
    return this.place({ kind, user, sell, price, size: crossed + remainder });
  }

  private passivePrice(sell: boolean): number {
    const market = this.engine.engine.market(benchMarket.symbol)!;
    const offset = this.passiveOffset();
    // Passive means it rests: never at or through the opposite touch.
    if (sell) {
      const bestBid = market.bids.bestPrice();
      return bestBid === 0 ? this.fair + offset : Math.max(this.fair + offset, bestBid + 1);
    }
    const bestAsk = market.asks.bestPrice();
    const price = bestAsk === 0 ? this.fair - offset : Math.min(this.fair - offset, bestAsk - 1);
    return Math.max(1, price);
  }

  /** A limit price 0 to crossTicksHighest ticks through the opposite touch. */
  private crossingPrice(sell: boolean): number {
    const market = this.engine.engine.market(benchMarket.symbol)!;
    const cross = this.random.between(0, shape.crossTicksHighest);
    if (sell) {
      const bestBid = market.bids.bestPrice();
      return bestBid === 0 ? this.fair : Math.max(1, bestBid - cross);
    }
    const bestAsk = market.asks.bestPrice();
    return bestAsk === 0 ? this.fair : bestAsk + cross;
  }

  /** Lots resting on the opposite side at prices a `sell` (or buy) limit at `price` would take. */
  private lotsCrossed(sell: boolean, price: number): number {
    const market = this.engine.engine.market(benchMarket.symbol)!;
    const opposite = sell ? market.bids : market.asks;
    let lots = 0;
    for (let position = opposite.levels.length - 1; position >= 0; position -= 1) {
      const level = opposite.levels[position]!;
      if (sell ? level.price < price : level.price > price) break;
      lots += level.totalLots;
    }
    return lots;
  }

  private passiveOffset(): number {
    if (this.random.chance(shape.passiveTailPerMille)) {
      return this.random.between(shape.passiveTailTicksLowest, shape.passiveTailTicksHighest);
    }
    let offset = 1;
    while (offset < shape.passiveNearTicksMax && this.random.chance(shape.passiveContinuePerMille)) offset += 1;
    return offset;
  }

  private place(order: { kind: number; user: number; sell: boolean; price: number; size: number }): Command {
    const stamp = this.stamp();
    const orderId = Engine.orderIdOf(stamp.sequence, 0);
    this.record(order.kind, { ...order, orderId });
    const command: Command = {
      type: "placeOrder",
      sequence: stamp.sequence,
      time: stamp.time,
      account: this.addresses[order.user]!,
      order: orderSpec(order),
    };
    this.apply(command);
    if (this.engine.engine.orderIndex.find(orderId) !== -1) {
      this.live.add(orderId, order.user);
      this.restingMax = Math.max(this.restingMax, this.live.count);
      if (order.kind === kindAggressive && this.engine.events.some((event) => event.type === "TradeExecuted")) {
        this.aggressiveRested += 1;
      }
    }
    if (order.kind !== kindPassive) this.takerOrders += 1;
    return command;
  }

  private cancel(orderId: number, user: number): Command {
    this.record(kindCancel, { sell: false, price: 0, size: 0, user, orderId });
    const stamp = this.stamp();
    const command: Command = {
      type: "cancelOrder",
      sequence: stamp.sequence,
      time: stamp.time,
      account: this.addresses[user]!,
      market: benchMarket.symbol,
      orderId,
    };
    return this.apply(command);
  }

  private record(kind: number, entry: { sell: boolean; price: number; size: number; user: number; orderId: number }): void {
    const neutral = this.neutral;
    const index = this.entry;
    neutral.kind[index] = kind;
    neutral.sell[index] = entry.sell ? 1 : 0;
    neutral.price[index] = entry.price;
    neutral.size[index] = entry.size;
    neutral.user[index] = entry.user;
    neutral.orderId[index] = entry.orderId;
    this.counts[kind]! += 1;
    this.entry += 1;
  }

  /** Applies a command to the generation engine and keeps the live set in step with its events. */
  private apply<C extends ExchangeCommand>(command: C): C {
    const result = this.engine.apply(command);
    if (!result.ok) throw new Error(`generation pass: command ${command.sequence} rejected: ${result.code} ${result.message}`);
    for (const event of this.engine.events) this.observe(event);
    return command;
  }

  private observe(event: ExchangeEvent): void {
    this.events += 1;
    if (event.type === "TradeExecuted") this.trades += 1;
    else if (event.type === "OrderFilled" && event.maker) this.live.remove(event.orderId);
    else if (event.type === "OrderCanceled") {
      if (!this.live.remove(event.orderId) && event.reason === "SELF_TRADE") this.selfTradeStops += 1;
    }
  }
}
