import { AccountRegistry, isAddress, type Account } from "./accounts.ts";
import { AssertionFailed, assert } from "./assert.ts";
import type { BookSide, PriceLevel } from "./book/book-side.ts";
import { OrderIndex } from "./book/order-index.ts";
import {
  OrderPool,
  encodeFlags,
  flagIsReduceOnly,
  flagIsSell,
  flagSelfTrade,
  noSlot,
  selfTradeCodes,
} from "./book/order-pool.ts";
import type {
  BatchCommand,
  CancelAllCommand,
  CancelReplaceCommand,
  Command,
  CreateMarketCommand,
  MarketSpec,
  OrderRef,
  OrderSpec,
  ReduceOrderCommand,
  SelfTradePrevention,
  TimeInForce,
} from "./commands.ts";
import type { CancelReason, ExchangeEvent } from "./events.ts";
import { ExpiryQueue } from "./expiry-queue.ts";
import { Market, slippageLimit, validateMarketSpec } from "./market.ts";
import { bestExcluding, validateOrder, type OrderContext } from "./order-validation.ts";
import {
  accepted,
  reject,
  type Accepted,
  type BatchResult,
  type CommandResult,
  type Rejection,
} from "./rejections.ts";
import { sequenceMax, type PriceTicks, type SizeLots, type TimeNs } from "./units.ts";

/**
 * How a layer above matching (the perpetual exchange) takes part in it without matching ever touching
 * balances: it vets an order after the book's own validation and before anything changes, follows the
 * resting orders (to keep margin reservations), and settles each fill right after it happens, inside the
 * same command. All calls are synchronous and pass slots or primitives: nothing is allocated per fill.
 */
export interface MatchingObserver {
  /** The size to place (at most spec.size; reduce-only orders may be cut down) or a rejection. */
  checkOrder(order: IncomingOrder): number | Rejection;
  orderRested(slot: number): void;
  /** Called before the slot is released: its fields are still readable. */
  orderRemoved(slot: number): void;
  orderReduced(slot: number, lots: number): void;
  /** Lots a resting reduce-only order may still fill without increasing its position (0 cancels it). */
  reduceOnlyAllowance(slot: number): number;
  filled(fill: Fill): void;
}

/** What the observer sees of an incoming order that passed the book's validation. */
export interface IncomingOrder {
  readonly address: string;
  readonly account: Account | undefined;
  readonly market: Market;
  readonly spec: OrderSpec;
  /** The price the order will not trade beyond (a market order's slippage bound). */
  readonly limit: PriceTicks;
  /** The resting order a cancel-replace removes first, or noSlot. */
  readonly replacing: number;
  /** spec.side === "buy" (validated). */
  readonly buy: boolean;
}

/** One fill, reused for every fill of the engine (read it during the call, do not keep it). */
export interface Fill {
  market: Market;
  price: PriceTicks;
  size: SizeLots;
  makerAccount: number;
  takerAccount: number;
  takerBuys: boolean;
  /** Index of the fill's TradeExecuted event in the current command. */
  tradeIndex: number;
}

/** Limits on everything, named with the qualifier last. Part of the genesis configuration. */
export interface EngineLimits {
  readonly marketsMax: number;
  readonly accountsMax: number;
  readonly ordersPerAccountMax: number;
  /** Items of one batch command; also bounds the order ids one command can derive. */
  readonly batchItemsMax: number;
  /** Fills one incoming order may take before its remainder is canceled (bounds a command's work). */
  readonly fillsPerOrderMax: number;
}

export const defaultLimits: EngineLimits = Object.freeze({
  marketsMax: 4096,
  accountsMax: 16_777_216,
  ordersPerAccountMax: 10_000,
  batchItemsMax: 100,
  fillsPerOrderMax: 10_000,
});

/**
 * Order ids are derived from the command: sequence × orderIdsPerCommand + item, where item is the
 * position in a batch (0 for a single order). With sequence < 2^44 the id stays below 2^52.
 */
export const orderIdsPerCommand = 256;

const timeInForceCode: Readonly<Record<TimeInForce, number>> = { GTC: 0, IOC: 1, FOK: 2, GTD: 3 };
const selfTradeCode: Readonly<Record<SelfTradePrevention, number>> = {
  cancelIncoming: 0,
  cancelResting: 1,
  cancelBoth: 2,
};

/** The placeholder element of a new event list (see Engine.begin); never left in one. */
const noEvent = null as unknown as ExchangeEvent;

// How an incoming order's matching ended.
const outcomeOpen = 0;
const outcomeSelfTrade = 1;
const outcomeMatchLimit = 2;

/**
 * The deterministic exchange state machine. `apply(command)` validates a command, changes the state and
 * appends what happened to `events` (cleared at the start of each command), or rejects it and changes
 * nothing. No clock, randomness, floats or I/O: the same commands give the same events and state hash.
 *
 * @example
 * const engine = new Engine();
 * engine.apply({ type: "createMarket", sequence: 1, time: 1n, market: spec });
 * const result = engine.apply({ type: "placeOrder", sequence: 2, time: 2n, account, order });
 * for (const event of engine.events) console.log(event.type);
 */
export class Engine {
  readonly limits: EngineLimits;
  /** The events of the last command, in order (a new array each command). */
  events: ExchangeEvent[] = [];
  readonly pool = new OrderPool();
  readonly orderIndex = new OrderIndex(this.pool);
  readonly accounts = new AccountRegistry();
  readonly markets: Market[] = [];
  readonly expiries = new ExpiryQueue();
  /** Expiry time of each resting GTD order, by order id. */
  readonly expiryByOrder = new Map<number, TimeNs>();
  private readonly marketsBySymbol = new Map<string, Market>();

  lastSequence = 0;
  lastTime: TimeNs = 0n;
  // The command being applied.
  private sequence = 0;
  private time: TimeNs = 0n;
  // The incoming order while it matches (fields, not a per-order object: no garbage on the hot path).
  private takerRemaining = 0;
  private takerFilled = 0;
  private takerOutcome = outcomeOpen;
  private takerAccount: Account = null as unknown as Account;
  private takerOrderId = 0;
  private takerBuys = false;
  private takerLimit = 0;
  private takerSelfTradeMode = 0;

  /**
   * The maker's slot while a fill takes its lots off the book (noSlot otherwise): the observer is told
   * the order shrank or left, and knows that `filled` follows for the same maker.
   */
  fillingSlot = noSlot;

  private observer: MatchingObserver | null = null;
  private readonly orderContext: OrderContext;
  private readonly incomingOrder: { -readonly [Field in keyof IncomingOrder]: IncomingOrder[Field] } = {
    address: "",
    account: undefined,
    market: null as unknown as Market,
    spec: null as unknown as OrderSpec,
    limit: 0 as PriceTicks,
    replacing: noSlot,
    buy: false,
  };
  private readonly fillRecord: Fill = {
    market: null as unknown as Market,
    price: 0 as PriceTicks,
    size: 0 as SizeLots,
    makerAccount: 0,
    takerAccount: 0,
    takerBuys: false,
    tradeIndex: 0,
  };

  constructor(options: { limits?: Partial<EngineLimits> } = {}) {
    this.limits = Object.freeze({ ...defaultLimits, ...options.limits });
    this.orderContext = {
      spec: null as unknown as OrderSpec,
      market: undefined,
      account: undefined,
      address: "",
      time: 0n,
      pool: this.pool,
      limits: this.limits,
      replacing: noSlot,
      knownMarkets: this.marketsBySymbol,
      accountCount: 0,
      buy: false,
      limitOrder: false,
      timeInForce: "GTC",
      selfTrade: "cancelIncoming",
    };
    assert(this.limits.batchItemsMax >= 1 && this.limits.batchItemsMax <= orderIdsPerCommand);
  }

  /** Attaches the layer that vets and settles orders (once, before the first command). */
  attach(observer: MatchingObserver): void {
    assert(this.observer === null, "attach once");
    this.observer = observer;
  }

  apply(command: Command): CommandResult {
    this.begin(command);
    switch (command.type) {
      case "placeOrder":
        return this.placeOrder(command.account, command.order, 0, noSlot);
      case "cancelOrder":
        return this.cancelOrder(command.account, command.market, command);
      case "cancelAll":
        return this.cancelAll(command);
      case "reduceOrder":
        return this.reduceOrder(command);
      case "cancelReplace":
        return this.cancelReplace(command);
      case "batch":
        return this.batch(command);
      case "createMarket":
        return this.createMarket(command);
      case "tick":
        return accepted;
      default:
        // The node's decoder admits only known commands; a replayed log from a newer version lands here.
        unreachableCommand(command);
        return reject("COMMAND_INVALID", `unknown command type ${String((command as { type: unknown }).type)}`);
    }
  }

  /**
   * Starts a command: checks and takes its sequence and time, clears the event list and expires due GTD
   * orders. `apply` calls it; a layer above calls it before dispatching commands of its own.
   */
  begin(command: { readonly sequence: number; readonly time: TimeNs }): void {
    // Messages are built only on failure: a template literal per command costs more than the check.
    if (command.sequence !== this.lastSequence + 1) this.sequenceGap(command.sequence);
    assert(command.sequence < sequenceMax, "sequence beyond the order id space");
    assert(typeof command.time === "bigint" && command.time > this.lastTime, "exchange time must increase");
    // A fresh array is cheaper than truncating (length = 0 is a runtime call), and lets a consumer keep
    // the previous command's events. Most commands emit one event, and `[]` grows to 17 slots on its
    // first push: a one-element literal emptied by pop keeps a one-slot backing store instead (in
    // optimized code), a seventh of the garbage. The element is a variable, not a literal: a literal's
    // elements are shared copy-on-write with the boilerplate, and pop would copy them in a builtin call.
    const events: ExchangeEvent[] = [noEvent];
    events.pop();
    this.events = events;
    this.sequence = command.sequence;
    this.time = command.time;
    this.lastSequence = command.sequence;
    this.lastTime = command.time;
    // GTD orders whose time has come leave the book before anything else is matched (the test here,
    // the work out of line: few commands find an expiry due).
    const due = this.expiries.peekTime();
    if (due !== null && due <= this.time) this.expireDue();
  }

  private sequenceGap(sequence: number): never {
    throw new AssertionFailed(`sequence gap: ${sequence} after ${this.lastSequence}`);
  }

  /** The current command's sequence and time (valid between begin and the end of the command). */
  get commandSequence(): number {
    return this.sequence;
  }

  get commandTime(): TimeNs {
    return this.time;
  }

  market(symbol: string): Market | undefined {
    // Commands of one market follow each other: the same symbol (usually the same string object, one
    // pointer compare) skips hashing it. Markets are never unlisted, so a remembered one stays right.
    if (symbol === this.lastSymbol) return this.lastMarket;
    const market = this.marketsBySymbol.get(symbol);
    if (market !== undefined) {
      this.lastSymbol = symbol;
      this.lastMarket = market;
    }
    return market;
  }

  // The last symbol `market` found, and its market (not state: any value gives the same answers).
  private lastSymbol: string | null = null;
  private lastMarket: Market | undefined = undefined;

  /** The order id a command's item derives. */
  static orderIdOf(sequence: number, item: number): number {
    return sequence * orderIdsPerCommand + item;
  }

  // ---------------------------------------------------------------------------------------------
  // Markets

  createMarket(command: CreateMarketCommand): Accepted | Rejection {
    const spec = command.market;
    const invalid = validateMarketSpec(spec);
    if (invalid !== null) return invalid;
    if (this.marketsBySymbol.has(spec.symbol)) {
      return reject("MARKET_EXISTS", `market ${spec.symbol} is already listed`);
    }
    if (this.markets.length >= this.limits.marketsMax) {
      return reject("MARKET_PARAMS_INVALID", `at most ${this.limits.marketsMax} markets can be listed`);
    }
    this.registerMarket(spec);
    this.events.push({
      type: "MarketCreated",
      sequence: this.sequence,
      index: this.events.length,
      time: this.time,
      market: spec.symbol,
      tickSize: spec.tickSize,
      lotSize: spec.lotSize,
    });
    return accepted;
  }

  // ---------------------------------------------------------------------------------------------
  // Placing and matching

  /**
   * Validates and places one order. `replacing` is the slot of an order that a cancel-replace removes
   * first: validation sees the book and the account as they will be once it is gone, so the pair is
   * atomic (both happen or neither does).
   */
  placeOrder(address: string, spec: OrderSpec, item: number, replacing: number): Accepted | Rejection {
    const orderId = Engine.orderIdOf(this.sequence, item);
    const market = this.market(spec.market);
    const existing = this.accounts.find(address);
    // One context object, refilled per order: validation allocates nothing on the hot path.
    const context = this.orderContext;
    context.spec = spec;
    context.market = market;
    context.account = existing;
    context.address = address;
    context.time = this.time;
    context.replacing = replacing;
    context.accountCount = this.accounts.count;
    const rejection = validateOrder(context);
    if (rejection !== null) {
      this.emitRejected(orderId, address, spec, rejection);
      return rejection;
    }
    assert(market !== undefined);
    const buy = context.buy;
    const timeInForce = context.timeInForce;
    const selfTrade = context.selfTrade;
    const limit = context.limitOrder ? (spec.price as PriceTicks) : this.marketLimitPrice(market, spec, buy, replacing);
    let size = spec.size as number;
    if (this.observer !== null) {
      // One object, refilled per order (the observer reads it only during the call).
      const incoming = this.incomingOrder;
      incoming.address = address;
      incoming.account = existing;
      incoming.market = market;
      incoming.spec = spec;
      incoming.limit = limit;
      incoming.replacing = replacing;
      incoming.buy = buy;
      const vetted = this.observer.checkOrder(incoming);
      if (typeof vetted !== "number") {
        this.emitRejected(orderId, address, spec, vetted);
        return vetted;
      }
      assert(Number.isInteger(vetted) && vetted >= 1 && vetted <= size, "observer returned an invalid size");
      size = vetted;
    }
    if (replacing !== noSlot) this.removeWithEvent(replacing, "REPLACED", "user");
    const account = existing ?? this.accounts.create(address);
    this.takerBuys = buy;
    this.execute(market, account, spec, orderId, limit, size as SizeLots, timeInForce, selfTrade);
    return accepted;
  }

  /**
   * Matches and rests an order that passed every check. takerBuys holds its side; its time in force and
   * self-trade mode come as validation resolved them (defaults applied).
   */
  private execute(
    market: Market,
    account: Account,
    spec: OrderSpec,
    orderId: number,
    limit: PriceTicks,
    size: SizeLots,
    timeInForce: TimeInForce,
    selfTrade: SelfTradePrevention,
  ): void {
    const buy = this.takerBuys;
    this.events.push({
      type: "OrderAccepted",
      sequence: this.sequence,
      index: this.events.length,
      time: this.time,
      orderId,
      account: account.address,
      market: market.symbol,
      side: spec.side,
      orderType: spec.type,
      price: limit,
      size,
      timeInForce,
      postOnly: spec.postOnly === true,
      reduceOnly: spec.reduceOnly === true,
      selfTradePrevention: selfTrade,
      clientOrderId: spec.clientOrderId ?? null,
      expiresAt: spec.expiresAt ?? null,
    });
    this.takerRemaining = size;
    this.takerFilled = 0;
    this.takerOutcome = outcomeOpen;
    const opposite = buy ? market.asks : market.bids;
    const selfTradeMode = selfTradeCode[selfTrade];
    // Matching reads it, and so does rest.
    this.takerSelfTradeMode = selfTradeMode;
    if (timeInForce !== "FOK" || this.canFill(opposite, account.index, limit, selfTradeMode)) {
      this.takerAccount = account;
      this.takerOrderId = orderId;
      this.takerLimit = limit;
      this.match(market, opposite);
    }
    this.finishIncoming(market, account, spec, orderId, limit, timeInForce);
  }

  /**
   * A market order's price: its slippage bound (and its own limit, if any), measured from the best
   * opposite price as it will be once a replaced order is gone. (A limit order's is its own price.)
   */
  private marketLimitPrice(market: Market, spec: OrderSpec, buy: boolean, replacing: number): PriceTicks {
    const best = bestExcluding(buy ? market.asks : market.bids, replacing);
    assert(best > 0, "market order validated against an empty book");
    const slippage = spec.slippagePpm ?? market.spec.marketOrderSlippagePpm;
    const bound = slippageLimit({ best, slippage, buy });
    if (spec.price === undefined) return bound;
    return (buy ? Math.min(bound, spec.price) : Math.max(bound, spec.price)) as PriceTicks;
  }

  private finishIncoming(
    market: Market,
    account: Account,
    spec: OrderSpec,
    orderId: number,
    limit: PriceTicks,
    timeInForce: TimeInForce,
  ): void {
    const remaining = this.takerRemaining;
    if (this.takerOutcome !== outcomeOpen) {
      const reason: CancelReason = this.takerOutcome === outcomeSelfTrade ? "SELF_TRADE" : "MATCH_LIMIT";
      this.emitCanceled(orderId, account.address, market.symbol, reason, "system", this.takerFilled, remaining);
      return;
    }
    if (remaining === 0) return;
    if (timeInForce === "GTC" || timeInForce === "GTD") {
      this.rest(market, account, spec, orderId, limit, timeInForce, (this.takerFilled + remaining) as SizeLots);
      return;
    }
    this.events.push({
      type: "OrderExpired",
      sequence: this.sequence,
      index: this.events.length,
      time: this.time,
      orderId,
      account: account.address,
      market: market.symbol,
      filled: this.takerFilled as SizeLots,
      remaining: remaining as SizeLots,
      expiresAt: null,
    });
  }

  /** FOK: whether the whole size can fill within the limit, counting self-trade prevention. */
  private canFill(opposite: BookSide, account: number, limit: number, selfTradeMode: number): boolean {
    const pool = this.pool;
    let needed = this.takerRemaining;
    let fills = 0;
    for (let position = opposite.levels.length - 1; position >= 0; position -= 1) {
      const level = opposite.levels[position]!;
      if (opposite.isBetter(limit, level.price)) return false;
      for (let slot = level.head; slot !== noSlot; slot = pool.next[slot]!) {
        if (pool.account[slot] === account) {
          if (selfTradeMode === selfTradeCode.cancelResting) continue;
          return false;
        }
        fills += 1;
        if (fills > this.limits.fillsPerOrderMax) return false;
        needed -= pool.remaining[slot]!;
        if (needed <= 0) return true;
      }
    }
    return false;
  }

  /** Matches the incoming order held in the taker fields against the opposite side. */
  private match(market: Market, opposite: BookSide): void {
    const pool = this.pool;
    const takerAccountIndex = this.takerAccount.index;
    let fills = 0;
    while (this.takerRemaining > 0) {
      const level = opposite.best();
      if (level === undefined || opposite.isBetter(this.takerLimit, level.price)) return;
      let slot = level.head;
      while (slot !== noSlot && this.takerRemaining > 0) {
        const nextSlot = pool.next[slot]!;
        if (pool.account[slot] === takerAccountIndex) {
          if (!this.preventSelfTrade(slot, this.takerSelfTradeMode)) return;
        } else if (this.observer !== null && flagIsReduceOnly(pool.flags[slot]!) && !this.vetReduceOnlyMaker(slot)) {
          // canceled: nothing left for it to reduce
        } else {
          if (fills === this.limits.fillsPerOrderMax) {
            this.takerOutcome = outcomeMatchLimit;
            return;
          }
          fills += 1;
          this.fill(market, level, slot);
        }
        slot = nextSlot;
      }
    }
  }

  /** Applies the taker's self-trade mode to its own resting order; false when the taker must stop. */
  private preventSelfTrade(slot: number, mode: number): boolean {
    if (mode !== selfTradeCode.cancelIncoming) this.removeWithEvent(slot, "SELF_TRADE", "system");
    if (mode === selfTradeCode.cancelResting) return true;
    this.takerOutcome = outcomeSelfTrade;
    return false;
  }

  private fill(market: Market, level: PriceLevel, slot: number): void {
    const pool = this.pool;
    const taker = this.takerAccount;
    const takerOrderId = this.takerOrderId;
    const takerBuys = this.takerBuys;
    const makerRemaining = pool.remaining[slot]!;
    const size = Math.min(this.takerRemaining, makerRemaining);
    const price = level.price as PriceTicks;
    const makerOrderId = pool.orderId[slot]!;
    const makerAccount = this.accounts.list[pool.account[slot]!]!.address;
    const tradeIndex = this.events.length;
    this.events.push({
      type: "TradeExecuted",
      sequence: this.sequence,
      index: tradeIndex,
      time: this.time,
      market: market.symbol,
      price,
      size: size as SizeLots,
      takerSide: takerBuys ? "buy" : "sell",
      makerOrderId,
      takerOrderId,
      makerAccount,
      takerAccount: taker.address,
    });
    if (market.referenceFollowsTrades) market.referencePrice = price;
    const makerLeft = makerRemaining - size;
    const makerFilled = pool.size[slot]! - makerLeft;
    const makerAccountIndex = pool.account[slot]!;
    this.emitFill(makerOrderId, makerAccount, market.symbol, tradeIndex, price, size, makerFilled, makerLeft, true);
    this.fillingSlot = slot;
    if (makerLeft === 0) this.removeFromLevel(slot, this.takerBuys ? market.asks : market.bids, level);
    else {
      this.observer?.orderReduced(slot, size);
      pool.remaining[slot] = makerLeft;
      level.totalLots -= size;
    }
    this.fillingSlot = noSlot;
    this.takerRemaining -= size;
    this.takerFilled += size;
    const takerAddress = taker.address;
    this.emitFill(takerOrderId, takerAddress, market.symbol, tradeIndex, price, size, this.takerFilled, this.takerRemaining, false);
    if (this.observer !== null) {
      const fill = this.fillRecord;
      fill.market = market;
      fill.price = price;
      fill.size = size as SizeLots;
      fill.makerAccount = makerAccountIndex;
      fill.takerAccount = taker.index;
      fill.takerBuys = takerBuys;
      fill.tradeIndex = tradeIndex;
      this.observer.filled(fill);
    }
  }

  /**
   * A resting reduce-only order may only fill what still reduces its position: it is cut down to that,
   * or canceled when nothing is left to reduce. False when it was canceled.
   */
  private vetReduceOnlyMaker(slot: number): boolean {
    const allowance = this.observer!.reduceOnlyAllowance(slot);
    if (allowance <= 0) {
      this.removeWithEvent(slot, "REDUCE_ONLY", "system");
      return false;
    }
    const remaining = this.pool.remaining[slot]!;
    if (allowance < remaining) this.shrink(slot, allowance);
    return true;
  }

  private emitFill(
    orderId: number,
    account: string,
    market: string,
    tradeIndex: number,
    fillPrice: PriceTicks,
    fillSize: number,
    filled: number,
    remaining: number,
    maker: boolean,
  ): void {
    this.events.push({
      type: remaining === 0 ? "OrderFilled" : "OrderPartiallyFilled",
      sequence: this.sequence,
      index: this.events.length,
      time: this.time,
      orderId,
      account,
      market,
      tradeIndex,
      fillPrice,
      fillSize: fillSize as SizeLots,
      filled: filled as SizeLots,
      remaining: remaining as SizeLots,
      maker,
    });
  }

  /** Puts the unfilled rest of an incoming order on the book, at the tail of its price level. */
  private rest(
    market: Market,
    account: Account,
    spec: OrderSpec,
    orderId: number,
    price: PriceTicks,
    timeInForce: TimeInForce,
    size: SizeLots,
  ): void {
    const pool = this.pool;
    const slot = pool.allocate();
    const sell = !this.takerBuys;
    pool.orderId[slot] = orderId;
    pool.account[slot] = account.index;
    pool.market[slot] = market.index;
    pool.price[slot] = price;
    pool.size[slot] = size;
    pool.remaining[slot] = this.takerRemaining;
    pool.flags[slot] = encodeFlags({
      sell,
      postOnly: spec.postOnly === true,
      reduceOnly: spec.reduceOnly === true,
      timeInForce: timeInForceCode[timeInForce],
      selfTrade: this.takerSelfTradeMode,
    });
    this.appendToLevel((sell ? market.asks : market.bids).levelAt(price), slot);
    this.pushToAccount(account, slot);
    this.orderIndex.insert(slot);
    if (spec.clientOrderId !== undefined) {
      account.clientOrders ??= new Map();
      account.clientOrders.set(spec.clientOrderId, orderId);
      account.clientIdsByOrder ??= new Map();
      account.clientIdsByOrder.set(orderId, spec.clientOrderId);
    }
    if (spec.expiresAt !== undefined) this.trackExpiry(orderId, spec.expiresAt);
    this.observer?.orderRested(slot);
  }

  // ---------------------------------------------------------------------------------------------
  // Building blocks shared with snapshot restore (state-restore.ts)

  /** Lists a market without an event. */
  registerMarket(spec: MarketSpec): Market {
    const market = new Market(this.markets.length, Object.freeze({ ...spec }));
    this.markets.push(market);
    this.marketsBySymbol.set(spec.symbol, market);
    return market;
  }

  /** Links a filled-in pool slot at the tail of its price level (FIFO: newest last). */
  appendToLevel(level: PriceLevel, slot: number): void {
    const pool = this.pool;
    pool.next[slot] = noSlot;
    pool.previous[slot] = level.tail;
    if (level.tail === noSlot) level.head = slot;
    else pool.next[level.tail] = slot;
    level.tail = slot;
    level.totalLots += pool.remaining[slot]!;
    level.orderCount += 1;
  }

  /** Links a slot at the head of the account's open-order list (newest first). */
  pushToAccount(account: Account, slot: number): void {
    const pool = this.pool;
    pool.accountPrevious[slot] = noSlot;
    pool.accountNext[slot] = account.orderHead;
    if (account.orderHead !== noSlot) pool.accountPrevious[account.orderHead] = slot;
    account.orderHead = slot;
    account.openOrderCount += 1;
  }

  trackExpiry(orderId: number, expiresAt: TimeNs): void {
    this.expiryByOrder.set(orderId, expiresAt);
    this.expiries.compact(this.expiryByOrder);
    this.expiries.push(expiresAt, orderId);
  }

  /** Sets the clock of a restored engine: the next command must carry lastSequence + 1. */
  restoreClock(lastSequence: number, lastTime: TimeNs): void {
    assert(this.lastSequence === 0 && this.markets.length === 0, "restoreClock on a used engine");
    this.lastSequence = lastSequence;
    this.lastTime = lastTime;
  }

  // ---------------------------------------------------------------------------------------------
  // Removing orders

  /** Takes a resting order off the book and out of every index. Emits nothing. */
  private removeOrder(slot: number): void {
    const pool = this.pool;
    const market = this.markets[pool.market[slot]!]!;
    const side = flagIsSell(pool.flags[slot]!) ? market.asks : market.bids;
    const level = side.find(pool.price[slot]!);
    assert(level !== undefined, "resting order without a level");
    this.removeFromLevel(slot, side, level);
  }

  /** removeOrder for a caller that holds the order's side and level (a fill: no lookup by price). */
  private removeFromLevel(slot: number, side: BookSide, level: PriceLevel): void {
    const pool = this.pool;
    assert(level.price === pool.price[slot], "an order leaves its own level");
    this.observer?.orderRemoved(slot);
    const next = pool.next[slot]!;
    const previous = pool.previous[slot]!;
    if (previous === noSlot) level.head = next;
    else pool.next[previous] = next;
    if (next === noSlot) level.tail = previous;
    else pool.previous[next] = previous;
    level.totalLots -= pool.remaining[slot]!;
    level.orderCount -= 1;
    if (level.orderCount === 0) side.remove(level);
    const account = this.accounts.list[pool.account[slot]!]!;
    const accountNext = pool.accountNext[slot]!;
    const accountPrevious = pool.accountPrevious[slot]!;
    if (accountPrevious === noSlot) account.orderHead = accountNext;
    else pool.accountNext[accountPrevious] = accountNext;
    if (accountNext !== noSlot) pool.accountPrevious[accountNext] = accountPrevious;
    account.openOrderCount -= 1;
    const orderId = pool.orderId[slot]!;
    this.orderIndex.remove(orderId);
    if (account.clientIdsByOrder !== null && account.clientIdsByOrder.size > 0) this.forgetClientId(account, orderId);
    if (this.expiryByOrder.size > 0) this.expiryByOrder.delete(orderId);
    pool.release(slot);
  }

  private forgetClientId(account: Account, orderId: number): void {
    const clientIds = account.clientIdsByOrder!;
    const clientOrderId = clientIds.get(orderId);
    if (clientOrderId === undefined) return;
    clientIds.delete(orderId);
    // A cancel-replace that hands the id on removes its old order before the new one takes the id.
    account.clientOrders!.delete(clientOrderId);
  }

  private removeWithEvent(slot: number, reason: CancelReason, canceledBy: "user" | "system"): void {
    const pool = this.pool;
    const orderId = pool.orderId[slot]!;
    const account = this.accounts.list[pool.account[slot]!]!.address;
    const market = this.markets[pool.market[slot]!]!.symbol;
    const remaining = pool.remaining[slot]!;
    const filled = pool.size[slot]! - remaining;
    this.removeOrder(slot);
    this.emitCanceled(orderId, account, market, reason, canceledBy, filled, remaining);
  }

  private emitCanceled(
    orderId: number,
    account: string,
    market: string,
    reason: CancelReason,
    canceledBy: "user" | "system",
    filled: number,
    remaining: number,
  ): void {
    this.events.push({
      type: "OrderCanceled",
      sequence: this.sequence,
      index: this.events.length,
      time: this.time,
      orderId,
      account,
      market,
      reason,
      canceledBy,
      filled: filled as SizeLots,
      remaining: remaining as SizeLots,
    });
  }

  private emitRejected(orderId: number, account: string, spec: OrderSpec, rejection: Rejection): void {
    this.events.push({
      type: "OrderRejected",
      sequence: this.sequence,
      index: this.events.length,
      time: this.time,
      orderId,
      account: String(account),
      market: String(spec.market),
      clientOrderId: typeof spec.clientOrderId === "string" ? spec.clientOrderId : null,
      code: rejection.code,
      message: rejection.message,
    });
  }

  private expireDue(): void {
    for (let next = this.expiries.peekTime(); next !== null && next <= this.time; next = this.expiries.peekTime()) {
      const orderId = this.expiries.pop();
      const slot = this.orderIndex.find(orderId);
      if (slot === noSlot) continue; // left the book before its time
      const expiresAt = this.expiryByOrder.get(orderId);
      assert(expiresAt === next, "expiry queue and order expiry disagree");
      const pool = this.pool;
      const account = this.accounts.list[pool.account[slot]!]!.address;
      const market = this.markets[pool.market[slot]!]!.symbol;
      const remaining = pool.remaining[slot]!;
      const filled = pool.size[slot]! - remaining;
      this.removeOrder(slot);
      this.events.push({
        type: "OrderExpired",
        sequence: this.sequence,
        index: this.events.length,
        time: this.time,
        orderId,
        account,
        market,
        filled: filled as SizeLots,
        remaining: remaining as SizeLots,
        expiresAt,
      });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Cancel, cancel-all, reduce, cancel-replace, batch

  /** The slot of the account's open order named by `ref` in `market`, or a rejection. */
  private resolve(address: string, marketSymbol: string | undefined, ref: OrderRef): number | Rejection {
    const slot = this.ownedSlot(address, ref);
    // The market by `market`, whose last symbol is usually this very string object (one pointer compare
    // where comparing it with the listed symbol compares characters), then by index.
    if (slot !== noSlot && (marketSymbol === undefined || this.market(marketSymbol)?.index === this.pool.market[slot])) return slot;
    // Another account's order is reported exactly like a missing one: ids reveal nothing.
    return this.notFound(address, marketSymbol, ref);
  }

  /** The slot of the open order `ref` names if the account of `address` owns it, else noSlot. */
  private ownedSlot(address: string, ref: OrderRef): number {
    if (typeof ref.orderId === "number") {
      // By order id, the owner is found from the order itself: its address equals `address` exactly when
      // the account of `address` exists and owns the order (accounts are keyed by address), so no
      // address lookup is needed.
      const slot = this.orderIndex.find(ref.orderId);
      return slot !== noSlot && this.accounts.list[this.pool.account[slot]!]!.address === address ? slot : noSlot;
    }
    if (typeof ref.clientOrderId !== "string") return noSlot;
    const account = this.accounts.find(address);
    const orderId = account?.clientOrders?.get(ref.clientOrderId);
    const slot = orderId === undefined ? noSlot : this.orderIndex.find(orderId);
    return slot !== noSlot && this.pool.account[slot] === account!.index ? slot : noSlot;
  }

  /** Why `ref` names no open order of the account: the most specific thing that is wrong. */
  private notFound(address: string, marketSymbol: string | undefined, ref: OrderRef): Rejection {
    // An account exists only for an address that passed isAddress (every creator checks it first), so
    // only an unknown address is matched against the pattern.
    if (this.accounts.find(address) === undefined && !isAddress(address)) return invalidAccount();
    if (marketSymbol !== undefined && this.market(marketSymbol) === undefined) return this.unknownMarket(marketSymbol);
    const name = ref.orderId !== undefined ? `order ${String(ref.orderId)}` : `client order id ${String(ref.clientOrderId)}`;
    const where = marketSymbol === undefined ? "" : ` in ${String(marketSymbol)}`;
    return reject("ORDER_NOT_FOUND", `${name} is not an open order of this account${where}`);
  }

  cancelOrder(address: string, market: string, ref: OrderRef): Accepted | Rejection {
    const slot = this.resolve(address, market, ref);
    if (typeof slot !== "number") return slot;
    this.removeWithEvent(slot, "USER_REQUESTED", "user");
    return accepted;
  }

  cancelAll(command: CancelAllCommand): Accepted | Rejection {
    if (!isAddress(command.account)) return invalidAccount();
    let marketIndex = -1;
    if (command.market !== undefined) {
      const market = this.marketsBySymbol.get(command.market);
      if (market === undefined) return this.unknownMarket(command.market);
      marketIndex = market.index;
    }
    const account = this.accounts.find(command.account);
    if (account === undefined) return accepted;
    let slot = account.orderHead;
    while (slot !== noSlot) {
      const next = this.pool.accountNext[slot]!;
      if (marketIndex === -1 || this.pool.market[slot] === marketIndex) {
        this.removeWithEvent(slot, "USER_REQUESTED", "user");
      }
      slot = next;
    }
    return accepted;
  }

  /** System cancel of every open order of an account (an admin suspension, a liquidation). */
  cancelAccountOrders(account: Account, reason: CancelReason, marketIndex = -1): void {
    let slot = account.orderHead;
    while (slot !== noSlot) {
      const next = this.pool.accountNext[slot]!;
      if (marketIndex === -1 || this.pool.market[slot] === marketIndex) this.removeWithEvent(slot, reason, "system");
      slot = next;
    }
  }

  /**
   * System cancel of a market's resting orders (a circuit breaker, an admin), bids then asks, best level
   * first and FIFO within a level; with `select`, only the slots it accepts. Returns how many it canceled.
   */
  cancelMarketOrders(marketIndex: number, reason: CancelReason, select?: (slot: number) => boolean): number {
    const market = this.markets[marketIndex]!;
    // Collected first: removing an order may remove its level from the side being walked.
    const slots: number[] = [];
    for (const side of [market.bids, market.asks]) {
      for (let position = side.levels.length - 1; position >= 0; position -= 1) {
        for (let slot = side.levels[position]!.head; slot !== noSlot; slot = this.pool.next[slot]!) {
          if (select === undefined || select(slot)) slots.push(slot);
        }
      }
    }
    for (const slot of slots) this.removeWithEvent(slot, reason, "system");
    return slots.length;
  }

  /**
   * Cuts an account's resting reduce-only orders on one side of a market down to `allowedLots` in total,
   * newest first, so the oldest keep their size and priority; orders cut to nothing are canceled
   * (REDUCE_ONLY). The perpetual layer calls it at the end of a command whose fills shrank a position.
   */
  trimReduceOnly(account: Account, marketIndex: number, sell: boolean, allowedLots: number): void {
    const pool = this.pool;
    let total = 0;
    for (let slot = account.orderHead; slot !== noSlot; slot = pool.accountNext[slot]!) {
      if (this.isReduceOnlyOn(slot, marketIndex, sell)) total += pool.remaining[slot]!;
    }
    let excess = total - allowedLots;
    let slot = account.orderHead;
    while (excess > 0 && slot !== noSlot) {
      const next = pool.accountNext[slot]!;
      if (this.isReduceOnlyOn(slot, marketIndex, sell)) {
        const remaining = pool.remaining[slot]!;
        if (remaining <= excess) this.removeWithEvent(slot, "REDUCE_ONLY", "system");
        else this.shrink(slot, remaining - excess);
        excess -= Math.min(remaining, excess);
      }
      slot = next;
    }
  }

  /**
   * System cancel of the account's orders that `select` accepts, newest first, until `enough` holds (it
   * is asked before each one): one pass over the account's list. The perpetual layer cancels this way
   * until an account's collateral backs what its orders reserve again (Exchange.cancelUnbackedOrders).
   */
  cancelNewestOrders(account: Account, reason: CancelReason, select: (slot: number) => boolean, enough: () => boolean): void {
    let slot = account.orderHead;
    // Bounded by the account's list; removing an order unlinks it, so its successor is read first.
    while (slot !== noSlot && !enough()) {
      const next = this.pool.accountNext[slot]!;
      if (select(slot)) this.removeWithEvent(slot, reason, "system");
      slot = next;
    }
  }

  private isReduceOnlyOn(slot: number, marketIndex: number, sell: boolean): boolean {
    const flags = this.pool.flags[slot]!;
    return this.pool.market[slot] === marketIndex && flagIsReduceOnly(flags) && flagIsSell(flags) === sell;
  }

  reduceOrder(command: ReduceOrderCommand): Accepted | Rejection {
    const slot = this.resolve(command.account, command.market, command);
    if (typeof slot !== "number") return slot;
    const pool = this.pool;
    const current = pool.remaining[slot]!;
    const remaining = command.remaining;
    if (!Number.isInteger(remaining) || remaining < 1 || remaining >= current) {
      const valid = current > 1 ? `1 to ${current - 1} lots` : "none (cancel the order instead)";
      return reject(
        "ORDER_REDUCE_INVALID",
        `the new remaining size must be less than the current ${current} lots; valid: ${valid}`,
        { current: String(current) },
      );
    }
    this.shrink(slot, remaining);
    return accepted;
  }

  /** Lowers a resting order's remaining size in place (it keeps its queue position) and says so. */
  private shrink(slot: number, remaining: number): void {
    const pool = this.pool;
    const market = this.markets[pool.market[slot]!]!;
    const side = flagIsSell(pool.flags[slot]!) ? market.asks : market.bids;
    const level = side.find(pool.price[slot]!)!;
    const reduction = pool.remaining[slot]! - remaining;
    assert(reduction > 0 && remaining > 0, "shrink must lower the remaining size");
    this.observer?.orderReduced(slot, reduction);
    level.totalLots -= reduction;
    pool.remaining[slot] = remaining;
    pool.size[slot] = pool.size[slot]! - reduction;
    this.events.push({
      type: "OrderReduced",
      sequence: this.sequence,
      index: this.events.length,
      time: this.time,
      orderId: pool.orderId[slot]!,
      account: this.accounts.list[pool.account[slot]!]!.address,
      market: market.symbol,
      size: pool.size[slot]! as SizeLots,
      filled: (pool.size[slot]! - remaining) as SizeLots,
      remaining: remaining as SizeLots,
    });
  }

  cancelReplace(command: CancelReplaceCommand): Accepted | Rejection {
    const slot = this.resolve(command.account, undefined, command.replaces);
    if (typeof slot !== "number") return slot;
    return this.placeOrder(command.account, command.order, 0, slot);
  }

  batch(command: BatchCommand): BatchResult | Rejection {
    const items = command.items;
    if (!Array.isArray(items) || items.length === 0 || items.length > this.limits.batchItemsMax) {
      return reject("BATCH_SIZE_INVALID", `a batch holds 1 to ${this.limits.batchItemsMax} items`);
    }
    const results: (Accepted | Rejection)[] = [];
    for (let item = 0; item < items.length; item += 1) {
      const entry = items[item]!;
      if (entry.type === "placeOrder") results.push(this.placeOrder(command.account, entry.order, item, noSlot));
      else if (entry.type === "cancelOrder") results.push(this.cancelOrder(command.account, entry.market, entry));
      else results.push(reject("BATCH_ITEM_INVALID", `batch item ${item} must be placeOrder or cancelOrder`));
    }
    return { ok: true, items: results };
  }

  private unknownMarket(symbol: string): Rejection {
    return reject("MARKET_NOT_FOUND", `market ${String(symbol)} is not listed`);
  }

  /** Self-trade mode of a resting order (exposed for views and tests). */
  static selfTradeOf(flags: number): SelfTradePrevention {
    return selfTradeCodes[flagSelfTrade(flags)]!;
  }
}

function invalidAccount(): Rejection {
  return reject("ACCOUNT_INVALID", `account must be a lowercase 0x-prefixed 40-hex-digit address`);
}

/** Compile-time proof that every command type has a case. */
function unreachableCommand(_command: never): void {}

export { isAddress };
