import { isAddress, type Account } from "./accounts.ts";
import type { BookSide } from "./book/book-side.ts";
import { noSlot, type OrderPool } from "./book/order-pool.ts";
import type { OrderSpec, SelfTradePrevention, TimeInForce } from "./commands.ts";
import type { EngineLimits } from "./engine.ts";
import type { Market } from "./market.ts";
import { reject, type Rejection } from "./rejections.ts";
import { int32Max, ppmOne, type TimeNs } from "./units.ts";

// Everything that can reject an order, checked before anything changes (compute, then commit).
// Each message says what would have been valid.

/** What validation looks at; the engine keeps one and refills it for each order. */
export interface OrderContext {
  spec: OrderSpec;
  market: Market | undefined;
  account: Account | undefined;
  address: string;
  time: TimeNs;
  readonly pool: OrderPool;
  readonly limits: EngineLimits;
  /** The slot of the order a cancel-replace removes first, or noSlot. */
  replacing: number;
  readonly knownMarkets: ReadonlyMap<string, Market>;
  accountCount: number;
  // What validateShape read of the spec, once: set when it passes, read by the later checks and by the
  // engine. A decoded command's strings are not internalized, so every comparison of spec.side,
  // spec.type or spec.timeInForce with a literal compares characters (a builtin call); these hold
  // booleans and the literals themselves, whose comparisons are pointer compares.
  /** spec.side === "buy". */
  buy: boolean;
  /** spec.type === "limit" (else "market"). */
  limitOrder: boolean;
  /** spec.timeInForce, or its default (GTC for a limit order, IOC for a market order), as a literal. */
  timeInForce: TimeInForce;
  /** spec.selfTradePrevention, or its default cancelIncoming, as a literal. */
  selfTrade: SelfTradePrevention;
}

const clientOrderIdPattern = /^[\x21-\x7e]{1,64}$/;
const marketsListedInMessageMax = 8;

export function validateOrder(context: OrderContext): Rejection | null {
  const { spec, market } = context;
  if (context.account === undefined) {
    if (!isAddress(context.address)) {
      return reject("ACCOUNT_INVALID", `account must be a lowercase 0x-prefixed 40-hex-digit address`);
    }
    if (context.accountCount >= context.limits.accountsMax) {
      return reject("ACCOUNT_INVALID", `the exchange holds at most ${context.limits.accountsMax} accounts`);
    }
  }
  if (market === undefined) return unknownMarket(spec.market, context.knownMarkets);
  return (
    validateShape(spec, context) ??
    validateSize(spec, market) ??
    validatePrice(spec, market, context.limitOrder) ??
    validateExpiry(spec, context.timeInForce, context.time) ??
    validateClientOrderId(context) ??
    validateOpenOrderLimit(context) ??
    validateAgainstBook(context, market)
  );
}

function unknownMarket(symbol: unknown, known: ReadonlyMap<string, Market>): Rejection {
  const listed = [...known.keys()].slice(0, marketsListedInMessageMax).join(", ");
  const more = known.size > marketsListedInMessageMax ? ", …" : "";
  return reject("MARKET_NOT_FOUND", `market ${String(symbol)} is not listed; listed: ${listed}${more}`);
}

function validateShape(spec: OrderSpec, context: OrderContext): Rejection | null {
  const side = spec.side;
  let buy: boolean;
  if (side === "buy") buy = true;
  else if (side === "sell") buy = false;
  else return reject("ORDER_TYPE_INVALID", `side must be "buy" or "sell"`);
  const given = spec.timeInForce;
  const timeInForce = given === undefined ? undefined : timeInForceLiteral(given);
  let limitOrder: boolean;
  const type = spec.type;
  if (type === "limit") {
    limitOrder = true;
    if (given !== undefined && timeInForce === undefined) {
      return reject("ORDER_TYPE_INVALID", `timeInForce of a limit order must be GTC, IOC, FOK or GTD`);
    }
    if (spec.slippagePpm !== undefined) {
      return reject("ORDER_TYPE_INVALID", `slippagePpm applies to market orders only`);
    }
  } else if (type === "market") {
    limitOrder = false;
    if (given !== undefined && timeInForce !== "IOC" && timeInForce !== "FOK") {
      return reject("ORDER_TYPE_INVALID", `timeInForce of a market order must be IOC or FOK`);
    }
    const slippage = spec.slippagePpm;
    if (slippage !== undefined && !(Number.isInteger(slippage) && slippage >= 1 && slippage <= ppmOne)) {
      return reject("ORDER_TYPE_INVALID", `slippagePpm must be an integer from 1 to ${ppmOne}`);
    }
  } else {
    return reject("ORDER_TYPE_INVALID", `type must be "limit" or "market"`);
  }
  const resting = limitOrder && (timeInForce === undefined || timeInForce === "GTC" || timeInForce === "GTD");
  if (spec.postOnly === true && !resting) {
    return reject("ORDER_POST_ONLY_NOT_RESTING", `post-only needs a limit order with GTC or GTD time in force`);
  }
  const stp = spec.selfTradePrevention;
  const selfTrade = stp === undefined ? "cancelIncoming" : selfTradeLiteral(stp);
  if (selfTrade === undefined) {
    return reject("ORDER_TYPE_INVALID", `selfTradePrevention must be cancelIncoming, cancelResting or cancelBoth`);
  }
  context.buy = buy;
  context.limitOrder = limitOrder;
  context.timeInForce = timeInForce ?? (limitOrder ? "GTC" : "IOC");
  context.selfTrade = selfTrade;
  return null;
}

/** The literal equal to `value`, or undefined when it names no time in force. */
function timeInForceLiteral(value: unknown): TimeInForce | undefined {
  if (value === "GTC") return "GTC";
  if (value === "IOC") return "IOC";
  if (value === "FOK") return "FOK";
  if (value === "GTD") return "GTD";
  return undefined;
}

/** The literal equal to `value`, or undefined when it names no self-trade prevention. */
function selfTradeLiteral(value: unknown): SelfTradePrevention | undefined {
  if (value === "cancelIncoming") return "cancelIncoming";
  if (value === "cancelResting") return "cancelResting";
  if (value === "cancelBoth") return "cancelBoth";
  return undefined;
}

function validateSize(spec: OrderSpec, market: Market): Rejection | null {
  const size = spec.size;
  const { minOrderLots, maxOrderLots } = market.spec;
  if (Number.isInteger(size) && size >= minOrderLots && size >= 1 && size <= maxOrderLots) return null;
  return sizeRejection(size, minOrderLots, maxOrderLots);
}

/** Why validateSize refuses `size` (built out of line: every order is checked, few are refused). */
function sizeRejection(size: number, minOrderLots: number, maxOrderLots: number): Rejection {
  if (!Number.isInteger(size) || size < 1) {
    return reject("SIZE_NOT_POSITIVE", `size must be a whole number of lots from ${minOrderLots} to ${maxOrderLots}`);
  }
  if (size < minOrderLots) {
    return reject("SIZE_BELOW_MIN", `size ${size} lots is below the minimum of ${minOrderLots} lots`, {
      minimum: String(minOrderLots),
    });
  }
  return reject("SIZE_ABOVE_MAX", `size ${size} lots is above the maximum of ${maxOrderLots} lots`, {
    maximum: String(maxOrderLots),
  });
}

function validatePrice(spec: OrderSpec, market: Market, limitOrder: boolean): Rejection | null {
  const price = spec.price;
  if (price === undefined) {
    return limitOrder ? reject("PRICE_NOT_POSITIVE", `a limit order needs a price`) : null;
  }
  if (!Number.isInteger(price) || price < 1) {
    return reject("PRICE_NOT_POSITIVE", `price must be a whole, positive number of ticks`);
  }
  if (price > int32Max) {
    return reject("PRICE_TOO_LARGE", `price must be at most ${int32Max} ticks`, { maximum: String(int32Max) });
  }
  if (!limitOrder) return null;
  const lowest = market.bandLowest();
  const highest = market.bandHighest();
  if (price < lowest || price > highest) return outsideBand(price, lowest, highest, market.referencePrice);
  return null;
}

function outsideBand(price: number, lowest: number, highest: number, reference: number): Rejection {
  return reject(
    "PRICE_OUTSIDE_BAND",
    `price ${price} ticks is outside the band ${lowest} to ${highest} ticks around the reference price ${reference}`,
    { lowest: String(lowest), highest: String(highest), reference: String(reference) },
  );
}

/** The latest expiry a GTD order may carry: the state encoding stores it as a signed 64-bit integer. */
const expiresAtMax = 0x7fff_ffff_ffff_ffffn;

function validateExpiry(spec: OrderSpec, timeInForce: TimeInForce, time: TimeNs): Rejection | null {
  // Only a given GTD resolves to GTD (no order type defaults to it).
  const gtd = timeInForce === "GTD";
  if (!gtd) {
    return spec.expiresAt === undefined
      ? null
      : reject("ORDER_EXPIRY_INVALID", `expiresAt is only allowed with timeInForce GTD`);
  }
  if (typeof spec.expiresAt !== "bigint" || spec.expiresAt <= time || spec.expiresAt > expiresAtMax) {
    return reject("ORDER_EXPIRY_INVALID", `a GTD order needs expiresAt after the exchange time ${time} ns and at most ${expiresAtMax} ns`, {
      now: String(time),
    });
  }
  return null;
}

function validateClientOrderId(context: OrderContext): Rejection | null {
  const clientOrderId = context.spec.clientOrderId;
  if (clientOrderId === undefined) return null;
  if (typeof clientOrderId !== "string" || !clientOrderIdPattern.test(clientOrderId)) {
    return reject("ORDER_CLIENT_ID_INVALID", `clientOrderId must be 1 to 64 printable ASCII characters`);
  }
  const existing = context.account?.clientOrders?.get(clientOrderId);
  if (existing === undefined) return null;
  // A cancel-replace may hand its client id on to the new order.
  if (context.replacing !== noSlot && context.pool.orderId[context.replacing] === existing) return null;
  return reject("ORDER_CLIENT_ID_DUPLICATE", `clientOrderId ${clientOrderId} is already used by open order ${existing}`);
}

function validateOpenOrderLimit(context: OrderContext): Rejection | null {
  // Only an order that can rest takes a place; IOC, FOK and market orders must stay possible at the
  // limit (closing a position, for one).
  // A limit order's resolved time in force is spec.timeInForce ?? "GTC".
  const timeInForce = context.timeInForce;
  if (!context.limitOrder || (timeInForce !== "GTC" && timeInForce !== "GTD")) return null;
  const open = (context.account?.openOrderCount ?? 0) - (context.replacing === noSlot ? 0 : 1);
  const max = context.limits.ordersPerAccountMax;
  if (open < max) return null;
  return reject("ORDER_LIMIT_REACHED", `an account may have at most ${max} open orders; cancel some first`);
}

function validateAgainstBook(context: OrderContext, market: Market): Rejection | null {
  const { spec, buy } = context;
  const opposite = buy ? market.asks : market.bids;
  const best = bestExcluding(opposite, context.replacing);
  if (!context.limitOrder) {
    return best === 0 ? reject("ORDER_NO_LIQUIDITY", `the ${buy ? "ask" : "bid"} side of ${market.symbol} is empty`) : null;
  }
  if (spec.postOnly !== true || best === 0) return null;
  const price = spec.price!;
  if (buy ? price >= best : price <= best) {
    const valid = buy ? `below ${best}` : `above ${best}`;
    return reject(
      "ORDER_POST_ONLY_WOULD_TAKE",
      `a post-only ${spec.side} at ${price} ticks would take liquidity; post-only prices must be ${valid} ticks`,
      { bestOpposite: String(best) },
    );
  }
  return null;
}

/** The best price of a side as it will be once the order in `excluded` (if any) is gone; 0 if empty. */
export function bestExcluding(side: BookSide, excluded: number): number {
  const levels = side.levels;
  const count = levels.length;
  // Indexes stay in bounds: reading levels[-1] would make the site megamorphic (see BookSide.best).
  if (count === 0) return 0;
  const best = levels[count - 1]!;
  if (excluded === noSlot || best.orderCount !== 1 || best.head !== excluded) return best.price;
  return count === 1 ? 0 : levels[count - 2]!.price;
}
