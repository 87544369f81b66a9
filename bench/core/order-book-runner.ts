import {
  OrderBook,
  SelfTradePreventionMode,
  Side,
  type IProcessOrder,
  type LimitOrderOptions,
  type MarketOrderOptions,
} from "nodejs-order-book";
import { nowNs } from "./measure.ts";
import type { BookDepth, PassCounts } from "./perpdex-runner.ts";
import {
  kindCancel,
  kindImmediateOrCancel,
  kindMarket,
  userAddresses,
  type NeutralStream,
  type Workload,
} from "./workload.ts";

// Runs the same workload through nodejs-order-book. Its call arguments are built before timing starts,
// as perpdex's command objects are. The two engines must end with the same book: that is checked after
// the run, so a semantic gap between them cannot pass for a speed difference.
//
// Semantics matched to perpdex's: every order carries its account, and a taker that meets its own
// resting order stops there and rests nothing (perpdex's default cancelIncoming; EXPIRE_TAKER here).
// perpdex bounds a market order's slippage at 5 %; the workload's market orders never come near it.
//
// Order ids are "o" + perpdex's id. A purely numeric id string ("5120256") is an array index to V8: the
// library's id-keyed objects then hold their entries as sparse elements, and its per-level `for…in`
// re-sorts them numerically on every removal; measured at a third of the speed. Prefixed ids are the
// library's faster case, so the comparison does not flatter perpdex.

/** The id the nodejs-order-book run gives perpdex's order `orderId`. */
export function orderBookId(orderId: number): string {
  return `o${orderId}`;
}

// The package exports the TimeInForce type but not its enum object; the enum's values are these strings.
type OrderBookTimeInForce = NonNullable<LimitOrderOptions["timeInForce"]>;
export const goodTillCanceled = "GTC" as OrderBookTimeInForce;
const immediateOrCancel = "IOC" as OrderBookTimeInForce;

type Operation = LimitOrderOptions | MarketOrderOptions | string;

export interface OrderBookOperations {
  readonly kinds: Uint8Array;
  /** Options objects for limit and market orders; the order id string for cancels. */
  readonly operations: readonly Operation[];
  readonly prefillCount: number;
}

/** Builds every call argument once; reused by each pass (nodejs-order-book does not mutate them). */
export function buildOrderBookOperations(workload: Workload): OrderBookOperations {
  const neutral = workload.neutral;
  const accounts = userAddresses(workload.options);
  const operations: Operation[] = [];
  for (let index = 0; index < neutral.count; index += 1) operations.push(operationAt(neutral, index, accounts));
  return { kinds: neutral.kind, operations, prefillCount: neutral.prefillCount };
}

function operationAt(neutral: NeutralStream, index: number, accounts: readonly string[]): Operation {
  const kind = neutral.kind[index]!;
  const id = orderBookId(neutral.orderId[index]!);
  if (kind === kindCancel) return id;
  const side = neutral.sell[index] === 1 ? Side.SELL : Side.BUY;
  const size = neutral.size[index]!;
  const accountId = accounts[neutral.user[index]!]!;
  const stpMode = SelfTradePreventionMode.EXPIRE_TAKER;
  if (kind === kindMarket) return { side, size, accountId, stpMode };
  const timeInForce = kind === kindImmediateOrCancel ? immediateOrCancel : goodTillCanceled;
  return { id, side, size, price: neutral.price[index]!, timeInForce, accountId, stpMode };
}

/** A fresh book with the prefill applied (untimed). */
export function prepareOrderBook(operations: OrderBookOperations): OrderBook {
  const book = new OrderBook();
  for (let index = 0; index < operations.prefillCount; index += 1) {
    const result = book.limit(operations.operations[index] as LimitOrderOptions);
    if (result.err !== null) throw new Error(`nodejs-order-book prefill ${index} failed: ${result.err.message}`);
  }
  return book;
}

/** Orders the call reported as done or partial: the output a caller would hand on. */
function outputsOf(result: IProcessOrder): number {
  return result.done.length + (result.partial === null ? 0 : 1);
}

/** Applies stream entry `index`; returns its outputs, or -1 when the book refused it. */
function applyOne(book: OrderBook, operations: OrderBookOperations, index: number): number {
  const kind = operations.kinds[index];
  const operation = operations.operations[index]!;
  if (kind === kindCancel) return book.cancel(operation as string) === undefined ? -1 : 1;
  const result = kind === kindMarket ? book.market(operation as MarketOrderOptions) : book.limit(operation as LimitOrderOptions);
  return result.err === null ? outputsOf(result) : -1 - outputsOf(result);
}

/** The first `commands` commands of the stream with one clock read before and one after. */
export function orderBookThroughputPass(book: OrderBook, operations: OrderBookOperations, commands: number): PassCounts {
  let outputs = 0;
  let refused = 0;
  const first = operations.prefillCount;
  const end = first + commands;
  const started = nowNs();
  for (let index = first; index < end; index += 1) {
    const produced = applyOne(book, operations, index);
    if (produced < 0) {
      refused += 1;
      outputs += -1 - produced;
    } else outputs += produced;
  }
  const elapsedNs = nowNs() - started;
  return { elapsedNs, commands, outputs, refused, checksum: 0 };
}

/** The whole stream with a clock read around each command; `durations[i]` gets command i's nanoseconds. */
export function orderBookLatencyPass(book: OrderBook, operations: OrderBookOperations, durations: Float64Array): PassCounts {
  let outputs = 0;
  let refused = 0;
  const first = operations.prefillCount;
  const end = operations.kinds.length;
  const started = nowNs();
  for (let index = first; index < end; index += 1) {
    const before = nowNs();
    const produced = applyOne(book, operations, index);
    durations[index - first] = nowNs() - before;
    if (produced < 0) {
      refused += 1;
      outputs += -1 - produced;
    } else outputs += produced;
  }
  const elapsedNs = nowNs() - started;
  return { elapsedNs, commands: end - first, outputs, refused, checksum: 0 };
}

export function orderBookDepth(book: OrderBook): BookDepth {
  const [asks, bids] = book.depth();
  return [asks, bids];
}
