// Requests in, commands out: decimal strings become ticks, lots and units on the market's grid, order
// ids become the core's numbers. Every refusal is an ApiError with a stable code and a message that says
// what would be valid (a price off the tick grid names the two nearest valid prices).
import type { BatchItem, Exchange, OrderRef, OrderSpec } from "@perpdex/core";
import { collateralParameters, type CollateralAsset } from "@perpdex/core";
import { decimalToLots, decimalToTicks, parseUnits, parseUuidV7, uuidV7, type CancelRequest, type OrderRequest } from "@perpdex/protocol";
import { ApiError, badRequest } from "./errors.ts";
import { lotParserOf, tickParserOf } from "./step-parse.ts";

/** The market of a symbol, or a 404 naming the listed ones. */
export function marketSpecOf(exchange: Exchange, symbol: string): { index: number; tickSize: string; lotSize: string } {
  const market = exchange.engine.market(symbol);
  if (market === undefined) {
    const listed = exchange.engine.markets.map((entry) => entry.symbol).join(", ");
    throw new ApiError({ status: 404, code: "MARKET_NOT_FOUND", message: `market ${symbol} is not listed; listed markets: ${listed}`, details: { market: symbol } });
  }
  return { index: market.index, tickSize: market.spec.tickSize, lotSize: market.spec.lotSize };
}

/** An order request as the core's OrderSpec. `field` prefixes messages (orders[3].price). */
export function orderSpecOf(exchange: Exchange, order: OrderRequest, field: string): OrderSpec {
  // The listed market's own spec (marketSpecOf answers a new object, and throws the 404 for an unlisted one).
  const market = exchange.engine.market(order.market)?.spec ?? marketSpecOf(exchange, order.market);
  let price: number | undefined;
  if (order.price !== undefined) {
    price = tickParserOf(market.tickSize).steps(order.price);
    if (price === undefined) {
      const ticks = decimalToTicks({ value: order.price, tickSize: market.tickSize, field: `${field}.price` });
      if (!ticks.ok) throw badRequest(ticks.code, ticks.message, ticks.details);
      price = ticks.ticks;
    }
  } else if (order.orderType === "limit") {
    throw badRequest("REQUEST_INVALID", `${field}.price is required for a limit order: a decimal string on the market's tick grid (tick size ${market.tickSize})`);
  }
  let size = lotParserOf(market.lotSize).steps(order.size);
  if (size === undefined) {
    const lots = decimalToLots({ value: order.size, lotSize: market.lotSize, field: `${field}.size` });
    if (!lots.ok) throw badRequest(lots.code, lots.message, lots.details);
    size = lots.lots;
  }
  // Field by field (every order of every request passes here), in the order the spreads used to give.
  const spec: Record<string, unknown> = { market: order.market, side: order.side, type: order.orderType };
  if (price !== undefined) spec.price = price;
  spec.size = size;
  if (order.timeInForce !== undefined) spec.timeInForce = order.timeInForce;
  if (order.expiresAt !== undefined) spec.expiresAt = BigInt(order.expiresAt);
  if (order.postOnly !== undefined) spec.postOnly = order.postOnly;
  if (order.reduceOnly !== undefined) spec.reduceOnly = order.reduceOnly;
  if (order.selfTradePrevention !== undefined) spec.selfTradePrevention = order.selfTradePrevention;
  if (order.clientOrderId !== undefined) spec.clientOrderId = order.clientOrderId;
  if (order.slippagePpm !== undefined) spec.slippagePpm = order.slippagePpm;
  return spec as unknown as OrderSpec;
}

/** The core's order number of a UUIDv7 order id: sequence × 256 + index (docs/ARCHITECTURE.md, Ids). */
export function orderNumberOf(id: string, field: string): number {
  const parsed = parseUuidV7(id, { field });
  if (!parsed.ok) throw badRequest(parsed.code, parsed.message, parsed.details);
  if (parsed.kind !== "order" || parsed.index >= 256) throw badRequest("ID_MALFORMED", `${field} ${id} is a ${parsed.kind} id, not an order id`);
  return parsed.sequence * 256 + parsed.index;
}

/** The UUIDv7 of an order from its number and the time of the command that placed it. */
export function orderIdOf(orderNumber: number, createdAt: bigint): string {
  const sequence = Math.floor(orderNumber / 256);
  return fastUuidV7(createdAt, sequence, orderNumber - sequence * 256, orderKind);
}

const orderKind = 1;
const two12 = 4096;
const two20 = 1_048_576;
const two30 = 1_073_741_824;
const two42 = 4_398_046_511_104;

let lastTimeNs = -1n;
// "tttttttt-tttt-7": the 48 bits of ms, hyphenated, and the version digit.
let lastTimePrefix = "";

const hex = (value: number, digits: number): string => value.toString(16).padStart(digits, "0");
const hexCodes = Array.from("0123456789abcdef", (digit) => digit.charCodeAt(0));
const hyphen = 45;

/**
 * protocol's uuidV7 (ids.ts) without bigint arithmetic — every order answer formats one, and bigints
 * made it a tenth of a signed order's cost. The layout is the same: 48 bits of ms, version 7, then the
 * 74-bit payload sequence << 20 | index << 4 | kind split around the variant bits
 * (test/convert.test.ts checks it equals uuidV7).
 */
export function fastUuidV7(timeNs: bigint, sequence: number, index: number, kind: number): string {
  if (sequence >= two42 * two12 || index >= 65_536) return uuidV7({ timeNs, sequence, index, kind: "order" });
  // The commands of one acknowledgement share a time: its 13 leading digits are formatted once.
  if (timeNs !== lastTimeNs) {
    lastTimeNs = timeNs;
    const time = hex(Number(timeNs / 1_000_000n), 12);
    lastTimePrefix = `${time.slice(0, 8)}-${time.slice(8, 12)}-7`;
  }
  // Payload bits 73..62 (rand_a, 12 bits) are sequence bits 52..42; bits 61..32, behind the variant bits
  // 10, are sequence bits 41..12; bits 31..0 are sequence bits 11..0, then index and kind. Both 32-bit
  // words stay below 2^32, so the shifts below read them whole.
  const randomA = Math.floor(sequence / two42);
  const variantMiddle = two30 * 2 + (Math.floor(sequence / two12) % two30);
  const low = (sequence % two12) * two20 + index * 16 + kind;
  // The last 21 characters as one string from their codes: formatting each part and slicing the
  // concatenation into groups made half a dozen strings per id (20 ids in every batch answer).
  return (
    lastTimePrefix +
    String.fromCharCode(
      hexCodes[randomA >>> 8]!,
      hexCodes[(randomA >>> 4) & 15]!,
      hexCodes[randomA & 15]!,
      hyphen,
      hexCodes[variantMiddle >>> 28]!,
      hexCodes[(variantMiddle >>> 24) & 15]!,
      hexCodes[(variantMiddle >>> 20) & 15]!,
      hexCodes[(variantMiddle >>> 16) & 15]!,
      hyphen,
      hexCodes[(variantMiddle >>> 12) & 15]!,
      hexCodes[(variantMiddle >>> 8) & 15]!,
      hexCodes[(variantMiddle >>> 4) & 15]!,
      hexCodes[variantMiddle & 15]!,
      hexCodes[low >>> 28]!,
      hexCodes[(low >>> 24) & 15]!,
      hexCodes[(low >>> 20) & 15]!,
      hexCodes[(low >>> 16) & 15]!,
      hexCodes[(low >>> 12) & 15]!,
      hexCodes[(low >>> 8) & 15]!,
      hexCodes[(low >>> 4) & 15]!,
      hexCodes[low & 15]!,
    )
  );
}

/** A cancel request as the core's OrderRef. */
export function orderRefOf(cancel: CancelRequest, field: string): OrderRef {
  if ((cancel.orderId === undefined) === (cancel.clientOrderId === undefined)) {
    throw badRequest("REQUEST_INVALID", `${field} must name the order by exactly one of orderId (the exchange's UUIDv7) or clientOrderId`);
  }
  if (cancel.orderId !== undefined) return { orderId: orderNumberOf(cancel.orderId, `${field}.orderId`) };
  return { clientOrderId: cancel.clientOrderId! };
}

/** A cancel request as a batch item. */
export function cancelItemOf(exchange: Exchange, cancel: CancelRequest, field: string): BatchItem {
  marketSpecOf(exchange, cancel.market);
  return { type: "cancelOrder", market: cancel.market, ...orderRefOf(cancel, field) } as BatchItem;
}

/** A decimal amount of an asset in its base units (USDC 6 decimals, DAI 18). */
export function assetUnitsOf(asset: CollateralAsset, amount: string, field: string): bigint {
  const parsed = parseUnits(amount, collateralParameters[asset].decimals, { field });
  if (!parsed.ok) throw badRequest(parsed.code, parsed.message, parsed.details);
  return parsed.units;
}

/** A signed USD decimal in µUSD, bounded by the safe integers. */
export function microUsdOf(amount: string, field: string): number {
  const parsed = parseUnits(amount, 6, { field, negativeAllowed: true });
  if (!parsed.ok) throw badRequest(parsed.code, parsed.message, parsed.details);
  const bound = BigInt(Number.MAX_SAFE_INTEGER);
  if (parsed.units > bound || parsed.units < -bound) throw badRequest("REQUEST_INVALID", `${field} must lie within ±9007199254.740991 USD`);
  return Number(parsed.units);
}
