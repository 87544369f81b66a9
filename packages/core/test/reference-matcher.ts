// A naive reference exchange: the same commands, the same matching semantics and the same events as the
// Engine, written for obviousness instead of speed (style habit 10, exchange-core's naive book).
//
// All open orders of all markets sit in one plain array. The book is never stored: every time the
// matcher needs "the best order on the other side" it filters that array and sorts it by price, then by
// arrival. Fill-or-kill is decided by running the match on a copy of the whole state and looking at
// the outcome. Cancel-replace validates the new order against a copy of the state without the old
// order. Amounts that could overflow are computed in bigint. Nothing here imports the engine's code;
// it shares only the public types, so a bug in the engine's data structures cannot hide here too.
//
// It does not copy the engine's rejection messages (they are prose); its own messages are readable and
// the differential test compares codes, not wording.
import type {
  BatchCommand,
  CancelAllCommand,
  CancelReason,
  CancelReplaceCommand,
  Command,
  CommandResult,
  CreateMarketCommand,
  EngineLimits,
  ExchangeEvent,
  MarketSpec,
  OrderRef,
  OrderSpec,
  PriceTicks,
  ReduceOrderCommand,
  RejectCode,
  Rejection,
  SelfTradePrevention,
  Side,
  SizeLots,
  TimeInForce,
  TimeNs,
} from "@perpdex/core";
import type { BooksView, LevelView, MarketView } from "./helpers.ts";

const ppm = 1_000_000n;
const int32Max = 2_147_483_647;
/** An order id is sequence × 256 + the item's position in its batch (0 for a single order). */
const orderIdsPerCommand = 256;

const ok = Object.freeze({ ok: true as const });

export interface ReferenceOrder {
  readonly orderId: number;
  readonly account: string;
  readonly market: string;
  readonly side: Side;
  readonly price: number;
  size: number;
  remaining: number;
  readonly clientOrderId: string | null;
  readonly expiresAt: TimeNs | null;
  /** Time priority: a counter taken when the order joined the book. Reducing an order keeps it. */
  readonly arrival: number;
}

interface ReferenceMarket {
  readonly spec: MarketSpec;
  referencePrice: number;
}

/** The incoming order while it matches. */
interface Taker {
  readonly orderId: number;
  readonly account: string;
  readonly market: ReferenceMarket;
  readonly side: Side;
  readonly limit: number;
  readonly selfTradePrevention: SelfTradePrevention;
  remaining: number;
  filled: number;
}

type MatchOutcome = "open" | "selfTrade" | "matchLimit";

function rejection(code: RejectCode, message: string): Rejection {
  return { ok: false, code, message };
}

function opposite(side: Side): Side {
  return side === "buy" ? "sell" : "buy";
}

/** True when a taker with this limit may trade at a resting price. */
function crosses(takerSide: Side, limit: number, restingPrice: number): boolean {
  return takerSide === "buy" ? restingPrice <= limit : restingPrice >= limit;
}

function ceilDivide(numerator: bigint, divisor: bigint): bigint {
  return (numerator + divisor - 1n) / divisor;
}

export class ReferenceExchange {
  readonly limits: EngineLimits;
  events: ExchangeEvent[] = [];
  private markets: ReferenceMarket[] = [];
  /** Every open order, of every market and side, in no particular order. */
  private orders: ReferenceOrder[] = [];
  /** Addresses that have placed an order, in order of first appearance. */
  private accounts: string[] = [];
  private arrivals = 0;
  private sequence = 0;
  private time: TimeNs = 0n;

  constructor(limits: EngineLimits) {
    this.limits = limits;
  }

  apply(command: Command): CommandResult {
    this.events = [];
    this.sequence = command.sequence;
    this.time = command.time;
    this.expireDueOrders();
    switch (command.type) {
      case "createMarket":
        return this.createMarket(command);
      case "placeOrder":
        return this.placeOrder(command.account, command.order, 0, null);
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
      case "tick":
        return ok;
    }
  }

  /** The books as the shared L3 view: per market, levels best → worst, orders by arrival. */
  books(): BooksView {
    const view: Record<string, MarketView> = {};
    for (const market of this.markets) {
      view[market.spec.symbol] = {
        referencePrice: market.referencePrice,
        bids: this.levels(market.spec.symbol, "buy"),
        asks: this.levels(market.spec.symbol, "sell"),
      };
    }
    return view;
  }

  // ---------------------------------------------------------------------------------------------
  // Looking at the book

  /** One side of one market, best first: best price, then earliest arrival. */
  private side(orders: readonly ReferenceOrder[], market: string, side: Side): ReferenceOrder[] {
    return orders
      .filter((order) => order.market === market && order.side === side)
      .sort((a, b) => {
        if (a.price !== b.price) return side === "buy" ? b.price - a.price : a.price - b.price;
        return a.arrival - b.arrival;
      });
  }

  private levels(market: string, side: Side): LevelView[] {
    const levels: { price: number; orders: ReferenceOrder[] }[] = [];
    for (const order of this.side(this.orders, market, side)) {
      const last = levels[levels.length - 1];
      if (last !== undefined && last.price === order.price) last.orders.push(order);
      else levels.push({ price: order.price, orders: [order] });
    }
    return levels.map((level) => ({
      price: level.price,
      orders: level.orders.map((order) => ({
        orderId: order.orderId,
        account: order.account,
        size: order.size,
        remaining: order.remaining,
        expiresAt: order.expiresAt,
      })),
    }));
  }

  private findMarket(symbol: unknown): ReferenceMarket | undefined {
    return this.markets.find((market) => market.spec.symbol === symbol);
  }

  // ---------------------------------------------------------------------------------------------
  // Markets

  private createMarket(command: CreateMarketCommand): CommandResult {
    const spec = command.market;
    const invalid = checkMarketSpec(spec);
    if (invalid !== null) return rejection("MARKET_PARAMS_INVALID", invalid);
    if (this.findMarket(spec.symbol) !== undefined) return rejection("MARKET_EXISTS", `${spec.symbol} exists`);
    if (this.markets.length >= this.limits.marketsMax) return rejection("MARKET_PARAMS_INVALID", "too many markets");
    this.markets.push({ spec, referencePrice: spec.referencePriceTicks });
    this.emit({ type: "MarketCreated", market: spec.symbol, tickSize: spec.tickSize, lotSize: spec.lotSize });
    return ok;
  }

  // ---------------------------------------------------------------------------------------------
  // Placing

  /**
   * Validates the order against the state as it would be without `replacing`; if valid, takes the
   * replaced order off (REPLACED) and executes the new one.
   */
  private placeOrder(address: string, spec: OrderSpec, item: number, replacing: ReferenceOrder | null): CommandResult {
    const orderId = this.sequence * orderIdsPerCommand + item;
    const without = this.orders.filter((order) => order !== replacing);
    const invalid = this.validate(address, spec, without);
    if (invalid !== null) {
      this.emit({
        type: "OrderRejected",
        orderId,
        account: String(address),
        market: String(spec.market),
        clientOrderId: typeof spec.clientOrderId === "string" ? spec.clientOrderId : null,
        code: invalid.code,
        message: invalid.message,
      });
      return invalid;
    }
    if (replacing !== null) this.cancelResting(replacing, "REPLACED", "user");
    if (!this.accounts.includes(address)) this.accounts.push(address);
    this.execute(address, spec, orderId);
    return ok;
  }

  private execute(address: string, spec: OrderSpec, orderId: number): void {
    const market = this.findMarket(spec.market)!;
    const timeInForce: TimeInForce = spec.timeInForce ?? (spec.type === "market" ? "IOC" : "GTC");
    const selfTradePrevention = spec.selfTradePrevention ?? "cancelIncoming";
    const limit = spec.type === "limit" ? spec.price! : this.marketOrderLimit(market, spec);
    this.emit({
      type: "OrderAccepted",
      orderId,
      account: address,
      market: market.spec.symbol,
      side: spec.side,
      orderType: spec.type,
      price: limit as PriceTicks,
      size: spec.size,
      timeInForce,
      postOnly: spec.postOnly === true,
      reduceOnly: spec.reduceOnly === true,
      selfTradePrevention,
      clientOrderId: spec.clientOrderId ?? null,
      expiresAt: spec.expiresAt ?? null,
    });
    const taker: Taker = {
      orderId,
      account: address,
      market,
      side: spec.side,
      limit,
      selfTradePrevention,
      remaining: spec.size,
      filled: 0,
    };
    // Fill or kill: do it on a copy first; only an outcome that fills everything counts.
    const fillable = timeInForce !== "FOK" || this.wouldFillCompletely(taker);
    const outcome: MatchOutcome = fillable ? this.match(taker) : "open";
    const symbol = market.spec.symbol;
    if (outcome !== "open") {
      const reason: CancelReason = outcome === "selfTrade" ? "SELF_TRADE" : "MATCH_LIMIT";
      this.emitCanceled(taker.orderId, address, symbol, reason, "system", taker.filled, taker.remaining);
    } else if (taker.remaining === 0) {
      // filled: its last fill event said so
    } else if (timeInForce === "GTC" || timeInForce === "GTD") {
      this.orders.push({
        orderId,
        account: address,
        market: symbol,
        side: spec.side,
        price: limit,
        size: spec.size,
        remaining: taker.remaining,
        clientOrderId: spec.clientOrderId ?? null,
        expiresAt: spec.expiresAt ?? null,
        arrival: this.arrivals++,
      });
    } else {
      this.emit({
        type: "OrderExpired",
        orderId,
        account: address,
        market: symbol,
        filled: taker.filled as SizeLots,
        remaining: taker.remaining as SizeLots,
        expiresAt: null,
      });
    }
  }

  /** A market order trades no further than the slippage bound from the best opposite price, nor past its own price. */
  private marketOrderLimit(market: ReferenceMarket, spec: OrderSpec): number {
    const best = BigInt(this.side(this.orders, market.spec.symbol, opposite(spec.side))[0]!.price);
    const slippage = BigInt(spec.slippagePpm ?? market.spec.marketOrderSlippagePpm);
    // Buys round down and sells round up, so the bound is never looser than the rate.
    const raw = spec.side === "buy" ? (best * (ppm + slippage)) / ppm : ceilDivide(best * (ppm - slippage), ppm);
    const bound = Math.min(int32Max, Math.max(1, Number(raw)));
    if (spec.price === undefined) return bound;
    return spec.side === "buy" ? Math.min(bound, spec.price) : Math.max(bound, spec.price);
  }

  private wouldFillCompletely(taker: Taker): boolean {
    const trial = this.copy();
    const trialTaker: Taker = { ...taker, market: trial.findMarket(taker.market.spec.symbol)! };
    const outcome = trial.match(trialTaker);
    return outcome === "open" && trialTaker.remaining === 0;
  }

  private copy(): ReferenceExchange {
    const copy = new ReferenceExchange(this.limits);
    copy.markets = this.markets.map((market) => ({ ...market }));
    copy.orders = this.orders.map((order) => ({ ...order }));
    copy.accounts = [...this.accounts];
    copy.arrivals = this.arrivals;
    copy.sequence = this.sequence;
    copy.time = this.time;
    return copy;
  }

  /** Trades the taker against the best opposite order, one order at a time, re-sorting every time. */
  private match(taker: Taker): MatchOutcome {
    let fills = 0;
    const symbol = taker.market.spec.symbol;
    while (taker.remaining > 0) {
      const best = this.side(this.orders, symbol, opposite(taker.side))[0];
      if (best === undefined || !crosses(taker.side, taker.limit, best.price)) return "open";
      if (best.account === taker.account) {
        if (taker.selfTradePrevention !== "cancelIncoming") this.cancelResting(best, "SELF_TRADE", "system");
        if (taker.selfTradePrevention === "cancelResting") continue;
        return "selfTrade";
      }
      if (fills === this.limits.fillsPerOrderMax) return "matchLimit";
      fills += 1;
      this.fill(best, taker);
    }
    return "open";
  }

  private fill(maker: ReferenceOrder, taker: Taker): void {
    const size = Math.min(maker.remaining, taker.remaining);
    const price = maker.price;
    const symbol = taker.market.spec.symbol;
    const tradeIndex = this.events.length;
    this.emit({
      type: "TradeExecuted",
      market: symbol,
      price: price as PriceTicks,
      size: size as SizeLots,
      takerSide: taker.side,
      makerOrderId: maker.orderId,
      takerOrderId: taker.orderId,
      makerAccount: maker.account,
      takerAccount: taker.account,
    });
    taker.market.referencePrice = price;
    maker.remaining -= size;
    this.emitFill(maker.orderId, maker.account, symbol, tradeIndex, price, size, maker.size - maker.remaining, maker.remaining, true);
    if (maker.remaining === 0) this.orders = this.orders.filter((order) => order !== maker);
    taker.remaining -= size;
    taker.filled += size;
    this.emitFill(taker.orderId, taker.account, symbol, tradeIndex, price, size, taker.filled, taker.remaining, false);
  }

  // ---------------------------------------------------------------------------------------------
  // Validation: the reference's own checks, in the engine's order of precedence (when several things
  // are wrong, the first of these decides the code).

  private validate(address: string, spec: OrderSpec, orders: readonly ReferenceOrder[]): Rejection | null {
    if (!this.accounts.includes(address)) {
      if (!/^0x[0-9a-f]{40}$/.test(address)) return rejection("ACCOUNT_INVALID", "bad address");
      if (this.accounts.length >= this.limits.accountsMax) return rejection("ACCOUNT_INVALID", "too many accounts");
    }
    const market = this.findMarket(spec.market);
    if (market === undefined) return rejection("MARKET_NOT_FOUND", `no market ${String(spec.market)}`);
    return (
      checkShape(spec) ??
      checkSize(spec, market.spec) ??
      this.checkPrice(spec, market) ??
      this.checkExpiry(spec) ??
      this.checkClientOrderId(address, spec, orders) ??
      this.checkOpenOrders(address, spec, orders) ??
      this.checkAgainstBook(spec, orders)
    );
  }

  private checkPrice(spec: OrderSpec, market: ReferenceMarket): Rejection | null {
    const price = spec.price;
    if (price === undefined) return spec.type === "limit" ? rejection("PRICE_NOT_POSITIVE", "no price") : null;
    if (!Number.isInteger(price) || price < 1) return rejection("PRICE_NOT_POSITIVE", "price not positive");
    if (price > int32Max) return rejection("PRICE_TOO_LARGE", "price too large");
    if (spec.type === "market") return null;
    const reference = BigInt(market.referencePrice);
    const band = BigInt(market.spec.priceBandPpm);
    const lowest = Math.max(1, Number(ceilDivide(reference * (ppm - band), ppm)));
    const highest = Math.min(int32Max, Number((reference * (ppm + band)) / ppm));
    if (price < lowest || price > highest) return rejection("PRICE_OUTSIDE_BAND", `outside ${lowest}..${highest}`);
    return null;
  }

  private checkExpiry(spec: OrderSpec): Rejection | null {
    if (spec.timeInForce !== "GTD") {
      return spec.expiresAt === undefined ? null : rejection("ORDER_EXPIRY_INVALID", "expiresAt without GTD");
    }
    if (typeof spec.expiresAt !== "bigint" || spec.expiresAt <= this.time) {
      return rejection("ORDER_EXPIRY_INVALID", "GTD expiry not in the future");
    }
    // The state encoding holds an expiry as a signed 64-bit integer.
    if (spec.expiresAt >= 2n ** 63n) return rejection("ORDER_EXPIRY_INVALID", "GTD expiry beyond 2^63 - 1 ns");
    return null;
  }

  private checkClientOrderId(address: string, spec: OrderSpec, orders: readonly ReferenceOrder[]): Rejection | null {
    const clientOrderId = spec.clientOrderId;
    if (clientOrderId === undefined) return null;
    if (typeof clientOrderId !== "string" || !/^[\x21-\x7e]{1,64}$/.test(clientOrderId)) {
      return rejection("ORDER_CLIENT_ID_INVALID", "bad client order id");
    }
    const taken = orders.some((order) => order.account === address && order.clientOrderId === clientOrderId);
    return taken ? rejection("ORDER_CLIENT_ID_DUPLICATE", `${clientOrderId} in use`) : null;
  }

  private checkOpenOrders(address: string, spec: OrderSpec, orders: readonly ReferenceOrder[]): Rejection | null {
    const rests = spec.type === "limit" && (spec.timeInForce === undefined || spec.timeInForce === "GTC" || spec.timeInForce === "GTD");
    if (!rests) return null;
    const open = orders.filter((order) => order.account === address).length;
    return open >= this.limits.ordersPerAccountMax ? rejection("ORDER_LIMIT_REACHED", "too many open orders") : null;
  }

  private checkAgainstBook(spec: OrderSpec, orders: readonly ReferenceOrder[]): Rejection | null {
    const best = this.side(orders, spec.market, opposite(spec.side))[0];
    if (spec.type === "market") return best === undefined ? rejection("ORDER_NO_LIQUIDITY", "empty side") : null;
    if (spec.postOnly === true && best !== undefined && crosses(spec.side, spec.price!, best.price)) {
      return rejection("ORDER_POST_ONLY_WOULD_TAKE", "post-only would take");
    }
    return null;
  }

  // ---------------------------------------------------------------------------------------------
  // Cancel, cancel-all, reduce, cancel-replace, batch, expiry

  /** The account's open order named by `ref`, in `market` if one is named. */
  private resolve(address: string, market: string | undefined, ref: OrderRef): ReferenceOrder | Rejection {
    if (!/^0x[0-9a-f]{40}$/.test(address)) return rejection("ACCOUNT_INVALID", "bad address");
    if (market !== undefined && this.findMarket(market) === undefined) return rejection("MARKET_NOT_FOUND", `no market ${market}`);
    const found = this.orders.find(
      (order) =>
        order.account === address &&
        (market === undefined || order.market === market) &&
        (typeof ref.orderId === "number" ? order.orderId === ref.orderId : order.clientOrderId === ref.clientOrderId),
    );
    return found ?? rejection("ORDER_NOT_FOUND", "no such open order of this account");
  }

  private cancelOrder(address: string, market: string, ref: OrderRef): CommandResult {
    const order = this.resolve(address, market, ref);
    if ("ok" in order) return order;
    this.cancelResting(order, "USER_REQUESTED", "user");
    return ok;
  }

  private cancelAll(command: CancelAllCommand): CommandResult {
    if (!/^0x[0-9a-f]{40}$/.test(command.account)) return rejection("ACCOUNT_INVALID", "bad address");
    if (command.market !== undefined && this.findMarket(command.market) === undefined) {
      return rejection("MARKET_NOT_FOUND", `no market ${command.market}`);
    }
    // Newest first (latest arrival first), the order in which the engine's account list holds them.
    const mine = this.orders
      .filter((order) => order.account === command.account && (command.market === undefined || order.market === command.market))
      .sort((a, b) => b.arrival - a.arrival);
    for (const order of mine) this.cancelResting(order, "USER_REQUESTED", "user");
    return ok;
  }

  private reduceOrder(command: ReduceOrderCommand): CommandResult {
    const order = this.resolve(command.account, command.market, command);
    if ("ok" in order) return order;
    const remaining = command.remaining;
    if (!Number.isInteger(remaining) || remaining < 1 || remaining >= order.remaining) {
      return rejection("ORDER_REDUCE_INVALID", "the new remaining size must be 1 to remaining - 1");
    }
    order.size -= order.remaining - remaining;
    order.remaining = remaining;
    this.emit({
      type: "OrderReduced",
      orderId: order.orderId,
      account: order.account,
      market: order.market,
      size: order.size as SizeLots,
      filled: (order.size - order.remaining) as SizeLots,
      remaining: order.remaining as SizeLots,
    });
    return ok;
  }

  private cancelReplace(command: CancelReplaceCommand): CommandResult {
    const old = this.resolve(command.account, undefined, command.replaces);
    if ("ok" in old) return old;
    return this.placeOrder(command.account, command.order, 0, old);
  }

  private batch(command: BatchCommand): CommandResult {
    const items = command.items;
    if (!Array.isArray(items) || items.length === 0 || items.length > this.limits.batchItemsMax) {
      return rejection("BATCH_SIZE_INVALID", "bad batch size");
    }
    const results = items.map((entry, item) => {
      if (entry.type === "placeOrder") return this.placeOrder(command.account, entry.order, item, null);
      if (entry.type === "cancelOrder") return this.cancelOrder(command.account, entry.market, entry);
      return rejection("BATCH_ITEM_INVALID", "bad batch item");
    });
    return { ok: true, items: results as (typeof ok | Rejection)[] };
  }

  /** GTD orders whose time has come leave the book first, earliest expiry first, ties by order id. */
  private expireDueOrders(): void {
    const due = this.orders
      .filter((order) => order.expiresAt !== null && order.expiresAt <= this.time)
      .sort((a, b) => (a.expiresAt! < b.expiresAt! ? -1 : a.expiresAt! > b.expiresAt! ? 1 : a.orderId - b.orderId));
    for (const order of due) {
      this.orders = this.orders.filter((open) => open !== order);
      this.emit({
        type: "OrderExpired",
        orderId: order.orderId,
        account: order.account,
        market: order.market,
        filled: (order.size - order.remaining) as SizeLots,
        remaining: order.remaining as SizeLots,
        expiresAt: order.expiresAt,
      });
    }
  }

  private cancelResting(order: ReferenceOrder, reason: CancelReason, canceledBy: "user" | "system"): void {
    this.orders = this.orders.filter((open) => open !== order);
    this.emitCanceled(order.orderId, order.account, order.market, reason, canceledBy, order.size - order.remaining, order.remaining);
  }

  // ---------------------------------------------------------------------------------------------
  // Events

  private emit(event: DistributiveOmit<ExchangeEvent, "sequence" | "index" | "time">): void {
    this.events.push({ ...event, sequence: this.sequence, index: this.events.length, time: this.time } as ExchangeEvent);
  }

  private emitFill(
    orderId: number,
    account: string,
    market: string,
    tradeIndex: number,
    price: number,
    size: number,
    filled: number,
    remaining: number,
    maker: boolean,
  ): void {
    this.emit({
      type: remaining === 0 ? "OrderFilled" : "OrderPartiallyFilled",
      orderId,
      account,
      market,
      tradeIndex,
      fillPrice: price as PriceTicks,
      fillSize: size as SizeLots,
      filled: filled as SizeLots,
      remaining: remaining as SizeLots,
      maker,
    });
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
    this.emit({
      type: "OrderCanceled",
      orderId,
      account,
      market,
      reason,
      canceledBy,
      filled: filled as SizeLots,
      remaining: remaining as SizeLots,
    });
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

// ---------------------------------------------------------------------------------------------------
// Shape, size and market-spec checks (pure)

function checkShape(spec: OrderSpec): Rejection | null {
  if (spec.side !== "buy" && spec.side !== "sell") return rejection("ORDER_TYPE_INVALID", "bad side");
  const timeInForce = spec.timeInForce;
  if (spec.type === "limit") {
    if (timeInForce !== undefined && !["GTC", "IOC", "FOK", "GTD"].includes(timeInForce)) {
      return rejection("ORDER_TYPE_INVALID", "bad time in force");
    }
    if (spec.slippagePpm !== undefined) return rejection("ORDER_TYPE_INVALID", "slippage on a limit order");
  } else if (spec.type === "market") {
    if (timeInForce !== undefined && timeInForce !== "IOC" && timeInForce !== "FOK") {
      return rejection("ORDER_TYPE_INVALID", "a market order is IOC or FOK");
    }
    const slippage = spec.slippagePpm;
    if (slippage !== undefined && !(Number.isInteger(slippage) && slippage >= 1 && slippage <= 1_000_000)) {
      return rejection("ORDER_TYPE_INVALID", "bad slippage");
    }
  } else {
    return rejection("ORDER_TYPE_INVALID", "bad type");
  }
  const restsIfUnfilled = spec.type === "limit" && (timeInForce === undefined || timeInForce === "GTC" || timeInForce === "GTD");
  if (spec.postOnly === true && !restsIfUnfilled) return rejection("ORDER_POST_ONLY_NOT_RESTING", "post-only must rest");
  const mode = spec.selfTradePrevention;
  if (mode !== undefined && !["cancelIncoming", "cancelResting", "cancelBoth"].includes(mode)) {
    return rejection("ORDER_TYPE_INVALID", "bad self-trade prevention");
  }
  return null;
}

function checkSize(spec: OrderSpec, market: MarketSpec): Rejection | null {
  const size = spec.size;
  if (!Number.isInteger(size) || size < 1) return rejection("SIZE_NOT_POSITIVE", "size not positive");
  if (size < market.minOrderLots) return rejection("SIZE_BELOW_MIN", "size below minimum");
  if (size > market.maxOrderLots) return rejection("SIZE_ABOVE_MAX", "size above maximum");
  return null;
}

function isWhole(value: unknown, lowest: number, highest: number): boolean {
  return typeof value === "number" && Number.isInteger(value) && value >= lowest && value <= highest;
}

function isPositiveDecimal(text: unknown): boolean {
  return typeof text === "string" && /^(0|[1-9][0-9]{0,17})(\.[0-9]{1,18})?$/.test(text) && /[1-9]/.test(text);
}

/** The reason a market spec is invalid, or null. */
function checkMarketSpec(spec: MarketSpec): string | null {
  if (typeof spec.symbol !== "string" || !/^[A-Z0-9]{1,16}-PERP$/.test(spec.symbol)) return "bad symbol";
  if (!isPositiveDecimal(spec.tickSize)) return "bad tick size";
  if (!isPositiveDecimal(spec.lotSize)) return "bad lot size";
  if (!isWhole(spec.minOrderLots, 1, int32Max)) return "bad minimum";
  if (!isWhole(spec.maxOrderLots, spec.minOrderLots, int32Max)) return "bad maximum";
  if (!isWhole(spec.priceBandPpm, 1, 1_000_000)) return "bad band";
  if (!isWhole(spec.marketOrderSlippagePpm, 1, 1_000_000)) return "bad slippage";
  if (!isWhole(spec.referencePriceTicks, 1, int32Max)) return "bad reference price";
  return null;
}
