// Orders and cancels of /exchange: one perpdex command per action (a batch when it carries several
// orders or cancels), and Hyperliquid's per-order status read from the command's events:
//   { "resting": { "oid" } }                       the order (or its rest) is on the book
//   { "filled": { "totalSz", "avgPx", "oid" } }    it traded completely, or an IOC traded in part
//   { "error": "<Hyperliquid sentence> …" }        refused, or an IOC that met nothing
import { Engine, type CommandResult, type Exchange, type ExchangeEvent, type OrderRef, type Rejection } from "@perpdex/core";
import type { Acknowledgement } from "@perpdex/node";
import type { ExchangeCommandInput } from "@perpdex/protocol";
import { formatUnits, parseDecimal } from "@perpdex/protocol";
import { HyperliquidError, rejectionMessage } from "./errors.ts";
import { mapOrder, sizeText, type HyperliquidAsset, type MappedOrder } from "./mapping.ts";

type Submit = (input: ExchangeCommandInput) => Promise<Acknowledgement>;

/** One order's status in Hyperliquid's shape. */
export type OrderStatus =
  | { readonly resting: { readonly oid: number; readonly cloid?: string } }
  | { readonly filled: { readonly totalSz: string; readonly avgPx: string; readonly oid: number; readonly cloid?: string } }
  | { readonly error: string };

/** A cancel's target: the market and the order (by id or cloid). */
export interface CancelTarget {
  readonly asset: HyperliquidAsset;
  readonly ref: OrderRef;
}

interface Common {
  readonly exchange: Exchange;
  readonly submit: Submit;
  readonly account: string;
}

/**
 * Places the orders of an "order" action and reports each one's status.
 *
 * @example
 * const statuses = await orderStatuses({ exchange, submit, account, orders: action.orders, grouping: "na" });
 */
export async function orderStatuses(parameters: Common & { readonly orders: readonly unknown[]; readonly grouping: unknown }): Promise<OrderStatus[]> {
  if (parameters.grouping !== undefined && parameters.grouping !== "na") {
    throw new HyperliquidError(`grouping ${JSON.stringify(parameters.grouping)} is not supported: perpdex has no TP/SL orders; send "na"`);
  }
  const statuses: (OrderStatus | undefined)[] = [];
  const mapped: { readonly slot: number; readonly order: MappedOrder }[] = [];
  parameters.orders.forEach((wire, slot) => {
    try {
      mapped.push({ slot, order: mapOrder(parameters.exchange, wire) });
      statuses.push(undefined);
    } catch (error) {
      if (!(error instanceof HyperliquidError)) throw error;
      statuses.push({ error: error.message });
    }
  });
  if (mapped.length > 0) {
    const { account } = parameters;
    const ack =
      mapped.length === 1
        ? await parameters.submit({ type: "placeOrder", account, order: mapped[0]!.order.spec })
        : await parameters.submit({ type: "batch", account, items: mapped.map(({ order }) => ({ type: "placeOrder" as const, order: order.spec })) });
    mapped.forEach(({ slot, order }, item) => {
      statuses[slot] = statusOf(order, Engine.orderIdOf(ack.sequence, item), itemResult(ack.result, item), ack.events);
    });
  }
  return statuses.map((status) => status ?? { error: "internal: no status" });
}

/**
 * Cancels orders (by id or cloid) and reports "success" or an error per cancel.
 *
 * @example
 * await cancelStatuses({ exchange, submit, account, targets: [{ asset, ref: { orderId: 2049 } }] }); // => ["success"]
 */
export async function cancelStatuses(parameters: Common & { readonly targets: readonly CancelTarget[] }): Promise<(string | OrderStatus)[]> {
  const { account, targets } = parameters;
  const ack =
    targets.length === 1
      ? await parameters.submit({ type: "cancelOrder", account, market: targets[0]!.asset.symbol, ...targets[0]!.ref })
      : await parameters.submit({ type: "batch", account, items: targets.map((target) => ({ type: "cancelOrder" as const, market: target.asset.symbol, ...target.ref })) });
  return targets.map((target, item) => {
    const result = itemResult(ack.result, item);
    return result.ok ? "success" : { error: rejectionMessage(result, target.asset.asset) };
  });
}

/**
 * Modifies orders: each modify is a cancel-replace (atomic: both happen or neither), in order.
 *
 * @example
 * await modifyStatuses({ exchange, submit, account, modifies: [{ oid: 2049, order }] });
 */
export async function modifyStatuses(parameters: Common & { readonly modifies: readonly unknown[] }): Promise<OrderStatus[]> {
  const statuses: OrderStatus[] = [];
  // Sequential on purpose: a later modify may name the order an earlier one placed.
  for (const entry of parameters.modifies) {
    const fields = (typeof entry === "object" && entry !== null ? entry : {}) as Record<string, unknown>;
    try {
      const order = mapOrder(parameters.exchange, fields.order);
      const replaces = orderRefOf(fields.oid, order.asset);
      const ack = await parameters.submit({ type: "cancelReplace", account: parameters.account, order: order.spec, replaces });
      statuses.push(statusOf(order, Engine.orderIdOf(ack.sequence, 0), itemResult(ack.result, 0), ack.events));
    } catch (error) {
      if (!(error instanceof HyperliquidError)) throw error;
      statuses.push({ error: error.message });
    }
  }
  return statuses;
}

function orderRefOf(oid: unknown, asset: HyperliquidAsset): OrderRef {
  if (typeof oid === "number" && Number.isSafeInteger(oid) && oid >= 0) return { orderId: oid };
  if (typeof oid === "string" && /^0x[0-9a-fA-F]{32}$/.test(oid)) return { clientOrderId: oid };
  throw new HyperliquidError(`oid must be an order id (a whole number) or a cloid (0x and 32 hex digits). asset=${asset.asset}`);
}

function itemResult(result: CommandResult, item: number): { readonly ok: true } | Rejection {
  if (!result.ok) return result;
  if ("items" in result) return result.items[item] ?? { ok: false, code: "BATCH_ITEM_INVALID", message: `no result for item ${item}` };
  return result;
}

// Reads one order's fate from its command's events: fills, a lapse (IOC), a cancel, or resting.
function statusOf(order: MappedOrder, orderId: number, result: { readonly ok: true } | Rejection, events: readonly ExchangeEvent[]): OrderStatus {
  const { asset } = order;
  if (!result.ok) return { error: rejectionMessage(result, asset.asset) };
  const cloid = order.spec.clientOrderId;
  const withCloid = cloid === undefined ? {} : { cloid };
  let filledLots = 0;
  let notionalTicks = 0n;
  let ended: "expired" | "canceled" | undefined;
  let cancelReason = "";
  let remaining = order.spec.size;
  for (const event of events) {
    if (!("orderId" in event) || event.orderId !== orderId) continue;
    if (event.type === "OrderFilled" || event.type === "OrderPartiallyFilled") {
      filledLots += event.fillSize;
      notionalTicks += BigInt(event.fillPrice) * BigInt(event.fillSize);
      remaining = event.remaining;
    } else if (event.type === "OrderExpired") ended = "expired";
    else if (event.type === "OrderCanceled") {
      ended = "canceled";
      cancelReason = event.reason;
    }
  }
  if (ended === undefined && remaining > 0) return { resting: { oid: orderId, ...withCloid } };
  if (filledLots > 0) return { filled: { totalSz: sizeText(asset, filledLots), avgPx: averagePrice(asset, notionalTicks, filledLots), oid: orderId, ...withCloid } };
  if (ended === "expired") return { error: `Order could not immediately match against any resting orders. asset=${asset.asset}` };
  return { error: `Order was canceled before it traded (${cancelReason}). asset=${asset.asset}` };
}

// Volume-weighted average fill price, exact to six decimals beyond the tick, half up.
const averageExtraDecimals = 6;
function averagePrice(asset: HyperliquidAsset, notionalTicks: bigint, lots: number): string {
  const tick = parseDecimal(asset.tickSize);
  if (!tick.ok) throw new Error(`market ${asset.symbol} has an invalid tick size ${asset.tickSize}`);
  const scaledNumerator = notionalTicks * tick.units * 10n ** BigInt(averageExtraDecimals);
  const divisor = BigInt(lots);
  const scaled = (scaledNumerator * 2n + divisor) / (divisor * 2n);
  return formatUnits(scaled, tick.scale + averageExtraDecimals);
}
