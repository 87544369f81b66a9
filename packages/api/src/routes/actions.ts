// Signed actions: place (every order type of the core; one signature may cover up to 256 orders), cancel,
// cancel-all, cancel-replace, batch, leverage, margin mode, add/remove margin, withdraw, approve and revoke
// agent keys. Each request is validated, authenticated, rate-limited per account, converted to a core
// command and submitted with the signed request as its journaled auth envelope; the answer comes once
// the command is durable.
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { CommandResult, ExchangeEvent, Rejection } from "@perpdex/core";
import { formatQuote } from "@perpdex/core";
import type { Acknowledgement } from "@perpdex/node";
import { actionRequestSchemas, type ActionFields, type ActionType, type ExchangeCommandInput } from "@perpdex/protocol";
import type { Authenticated } from "../auth/authenticate.ts";
import type { ApiContext } from "../context.ts";
import { assetUnitsOf, cancelItemOf, marketSpecOf, microUsdOf, orderIdOf, orderRefOf, orderSpecOf } from "../convert.ts";
import { ApiError, badRequest, rejectionError } from "../errors.ts";
import type { RateCategory } from "../rate-limit/rate-limiter.ts";
import { gridOf } from "../views.ts";
import { authenticateBody, chargeAccount } from "./signed.ts";
import { StepFormatter } from "../ws/step-format.ts";

/** One item's outcome on the wire. */
type ItemResult = Record<string, unknown>;

interface ActionRoute<Type extends ActionType> {
  readonly path: string;
  readonly type: Type;
  readonly category: RateCategory;
  /** The core command for the verified fields (throws ApiError for a value the grid refuses). */
  readonly command: (context: ApiContext, fields: ActionFields[Type], auth: Authenticated) => ExchangeCommandInput;
  /** The answer; throws the rejection for a single-item refusal. */
  readonly respond: (context: ApiContext, ack: Acknowledgement, fields: ActionFields[Type]) => Record<string, unknown>;
}

// What an agent key may sign: trading, never moving money or managing keys.
const agentActions: ReadonlySet<ActionType> = new Set(["PlaceOrders", "CancelOrders", "CancelAll", "CancelReplace", "Batch"]);

function register<Type extends ActionType>(app: FastifyInstance, context: ApiContext, route: ActionRoute<Type>): void {
  app.post(route.path, { config: { rateCategory: route.category, perAccount: true }, schema: { body: actionRequestSchemas[route.type] } }, async (request: FastifyRequest) => {
    const auth = await authenticateBody(context, request, route.type);
    const charging = chargeAccount(context, request, route.category, auth.account);
    if (charging !== null) await charging;
    if (auth.agent !== null && !agentActions.has(route.type)) {
      throw new ApiError({ status: 403, code: "AGENT_NOT_APPROVED", message: `agent keys may place and cancel orders only; ${route.type} needs the account's wallet` });
    }
    const fields = request.body as ActionFields[Type];
    const ack = await context.submit(route.command(context, fields, auth), auth.envelope);
    return { sequence: ack.sequence, time: ack.time.toString(), ...route.respond(context, ack, fields) };
  });
}

/** Accepted, or the rejection as an error (a single action refused is an HTTP error). */
function acceptedOrThrow(result: CommandResult): Record<string, unknown> {
  if (!result.ok) throw rejectionError(result);
  return { ok: true };
}

function itemResults(result: CommandResult, count: number): (Rejection | { ok: true })[] {
  if (!result.ok) return Array.from({ length: count }, () => result);
  if ("items" in result) return result.items.map((item) => item);
  return [result];
}

// An order's state after its command, from the command's events: open, partially filled, filled,
// canceled, expired or rejected, with fills and the average fill price.
interface OrderProgress {
  status: string;
  filledLots: number;
  remainingLots: number;
  notionalTicksLots: number;
}

// One pass over a command's events: the final status, fills and remaining size of each order the command
// placed, by its item (its order number is sequence × 256 + item; events of other orders, such as the
// resting orders it filled, are not looked up). An array, built once per answer and handed to each
// orderResult: a Map per command, found again through a WeakMap keyed by the acknowledgement, cost more
// than the pass itself.
type ProgressByItem = (OrderProgress | undefined)[];

function progressOf(ack: Acknowledgement): ProgressByItem {
  const base = ack.sequence * 256;
  const progress: ProgressByItem = [];
  for (const event of ack.events) {
    if (!("orderId" in event)) continue;
    const item = event.orderId - base;
    if (!(item >= 0 && item < 256)) continue;
    let entry = progress[item];
    if (entry === undefined) {
      entry = { status: "open", filledLots: 0, remainingLots: 0, notionalTicksLots: 0 };
      progress[item] = entry;
    }
    entry.status = statusOf(event, entry.status);
    if (event.type === "OrderAccepted") entry.remainingLots = event.size;
    if (event.type === "OrderFilled" || event.type === "OrderPartiallyFilled") {
      entry.filledLots = event.filled;
      entry.remainingLots = event.remaining;
      entry.notionalTicksLots += event.fillPrice * event.fillSize;
    }
    if (event.type === "OrderCanceled" || event.type === "OrderExpired") entry.remainingLots = 0;
  }
  return progress;
}

function orderResult(context: ApiContext, ack: Acknowledgement, progressByItem: ProgressByItem, item: number, outcome: Rejection | { ok: true }, symbol: string, clientOrderId?: string): ItemResult {
  const orderNumber = ack.sequence * 256 + item;
  // Built field by field (not by spreads): every order of every answer passes here.
  const result: ItemResult = { orderId: orderIdOf(orderNumber, ack.time) };
  if (clientOrderId !== undefined) result.clientOrderId = clientOrderId;
  if (!outcome.ok) {
    result.ok = false;
    result.status = "rejected";
    result.code = outcome.code;
    result.message = outcome.message;
    if (outcome.details !== undefined) result.details = outcome.details;
    return result;
  }
  const progress = progressByItem[item];
  const filledLots = progress?.filledLots ?? 0;
  const remainingLots = progress?.remainingLots ?? 0;
  const grid = gridOf(context.node.exchange, symbol);
  result.ok = true;
  result.status = progress?.status ?? "open";
  result.filled = filledLots === 0 ? "0" : stepFormatter(grid.lotSize).format(filledLots);
  result.remaining = remainingLots === 0 ? "0" : stepFormatter(grid.lotSize).format(remainingLots);
  result.averagePrice = filledLots === 0 ? null : stepFormatter(grid.tickSize).format(Math.round(progress!.notionalTicksLots / filledLots));
  return result;
}

// Step sizes are market constants: each is parsed once (the protocol's ticksToDecimal/lotsToDecimal parse
// the step size on every call); StepFormatter's output equals theirs.
const stepFormatters = new Map<string, StepFormatter>();

function stepFormatter(stepSize: string): StepFormatter {
  let formatter = stepFormatters.get(stepSize);
  if (formatter === undefined) {
    formatter = new StepFormatter(stepSize);
    stepFormatters.set(stepSize, formatter);
  }
  return formatter;
}

function statusOf(event: ExchangeEvent, current: string): string {
  switch (event.type) {
    case "OrderAccepted":
      return "open";
    case "OrderPartiallyFilled":
      return "partiallyFilled";
    case "OrderFilled":
      return "filled";
    case "OrderCanceled":
      return "canceled";
    case "OrderExpired":
      return "expired";
    case "OrderRejected":
      return "rejected";
    default:
      return current;
  }
}

function agentField(auth: Authenticated): Record<string, string> {
  return auth.agent === null ? {} : { agent: auth.agent };
}

export function registerActionRoutes(app: FastifyInstance, context: ApiContext): void {
  register(app, context, {
    path: "/v1/orders",
    type: "PlaceOrders",
    category: "orderPlacement",
    command: (ctx, fields, auth) => {
      const exchange = ctx.node.exchange;
      const orders = fields.orders.map((order, index) => orderSpecOf(exchange, order, `orders[${index}]`));
      if (orders.length === 1) return { type: "placeOrder", account: auth.account, order: orders[0]!, ...agentField(auth) } as ExchangeCommandInput;
      return { type: "batch", account: auth.account, items: orders.map((order) => ({ type: "placeOrder", order })), ...agentField(auth) } as ExchangeCommandInput;
    },
    respond: (ctx, ack, fields) => {
      const outcomes = itemResults(ack.result, fields.orders.length);
      if (fields.orders.length === 1 && !outcomes[0]!.ok) throw rejectionError(outcomes[0] as Rejection);
      const progress = progressOf(ack);
      return { results: fields.orders.map((order, index) => orderResult(ctx, ack, progress, index, outcomes[index]!, order.market, order.clientOrderId)) };
    },
  });

  register(app, context, {
    path: "/v1/orders/cancel",
    type: "CancelOrders",
    category: "orderCancellation",
    command: (ctx, fields, auth) => {
      const items = fields.cancels.map((cancel, index) => cancelItemOf(ctx.node.exchange, cancel, `cancels[${index}]`));
      if (items.length === 1) {
        const cancel = fields.cancels[0]!;
        return { type: "cancelOrder", account: auth.account, market: cancel.market, ...orderRefOf(cancel, "cancels[0]"), ...agentField(auth) } as ExchangeCommandInput;
      }
      return { type: "batch", account: auth.account, items, ...agentField(auth) } as ExchangeCommandInput;
    },
    respond: (_ctx, ack, fields) => {
      const outcomes = itemResults(ack.result, fields.cancels.length);
      if (fields.cancels.length === 1 && !outcomes[0]!.ok) throw rejectionError(outcomes[0] as Rejection);
      return { results: outcomes.map((outcome) => (outcome.ok ? { ok: true } : { ok: false, code: outcome.code, message: outcome.message })) };
    },
  });

  register(app, context, {
    path: "/v1/orders/cancel-all",
    type: "CancelAll",
    category: "cancelAll",
    command: (ctx, fields, auth) => {
      if (fields.market !== undefined) marketSpecOf(ctx.node.exchange, fields.market);
      return { type: "cancelAll", account: auth.account, ...(fields.market === undefined ? {} : { market: fields.market }), ...agentField(auth) } as ExchangeCommandInput;
    },
    respond: (_ctx, ack) => ({ ...acceptedOrThrow(ack.result), canceled: ack.events.filter((event) => event.type === "OrderCanceled").length }),
  });

  register(app, context, {
    path: "/v1/orders/cancel-replace",
    type: "CancelReplace",
    category: "orderPlacement",
    command: (ctx, fields, auth) => {
      marketSpecOf(ctx.node.exchange, fields.replaces.market);
      const order = orderSpecOf(ctx.node.exchange, fields.order, "order");
      return { type: "cancelReplace", account: auth.account, order, replaces: orderRefOf(fields.replaces, "replaces"), ...agentField(auth) } as ExchangeCommandInput;
    },
    respond: (ctx, ack, fields) => {
      acceptedOrThrow(ack.result);
      return { result: orderResult(ctx, ack, progressOf(ack), 0, { ok: true }, fields.order.market, fields.order.clientOrderId) };
    },
  });

  register(app, context, {
    path: "/v1/batch",
    type: "Batch",
    category: "orderPlacement",
    command: (ctx, fields, auth) => {
      const exchange = ctx.node.exchange;
      if (fields.cancels.length + fields.orders.length === 0) throw badRequest("REQUEST_INVALID", "a batch needs at least one cancel or order");
      const cancels = fields.cancels.map((cancel, index) => cancelItemOf(exchange, cancel, `cancels[${index}]`));
      const orders = fields.orders.map((order, index) => ({ type: "placeOrder" as const, order: orderSpecOf(exchange, order, `orders[${index}]`) }));
      return { type: "batch", account: auth.account, items: [...cancels, ...orders], ...agentField(auth) } as ExchangeCommandInput;
    },
    respond: (ctx, ack, fields) => {
      const cancelCount = fields.cancels.length;
      const outcomes = itemResults(ack.result, cancelCount + fields.orders.length);
      const progress = progressOf(ack);
      return {
        cancels: outcomes.slice(0, cancelCount).map((outcome) => (outcome.ok ? { ok: true } : { ok: false, code: outcome.code, message: outcome.message })),
        orders: fields.orders.map((order, index) => orderResult(ctx, ack, progress, cancelCount + index, outcomes[cancelCount + index]!, order.market, order.clientOrderId)),
      };
    },
  });

  register(app, context, {
    path: "/v1/account/leverage",
    type: "SetLeverage",
    category: "orderPlacement",
    command: (ctx, fields, auth) => {
      marketSpecOf(ctx.node.exchange, fields.market);
      return { type: "setLeverage", account: auth.account, market: fields.market, leverage: fields.leverage };
    },
    respond: (_ctx, ack) => acceptedOrThrow(ack.result),
  });

  register(app, context, {
    path: "/v1/account/margin-mode",
    type: "SetMarginMode",
    category: "orderPlacement",
    command: (ctx, fields, auth) => {
      marketSpecOf(ctx.node.exchange, fields.market);
      return { type: "setMarginMode", account: auth.account, market: fields.market, mode: fields.mode };
    },
    respond: (_ctx, ack) => acceptedOrThrow(ack.result),
  });

  register(app, context, {
    path: "/v1/account/margin",
    type: "AdjustMargin",
    category: "orderPlacement",
    command: (ctx, fields, auth) => {
      marketSpecOf(ctx.node.exchange, fields.market);
      const amount = microUsdOf(fields.amount, "amount");
      if (amount === 0) throw badRequest("REQUEST_INVALID", "amount must not be zero: positive adds margin, negative removes it");
      return { type: "adjustMargin", account: auth.account, market: fields.market, amount };
    },
    respond: (_ctx, ack) => {
      acceptedOrThrow(ack.result);
      const event = ack.events.find((entry) => entry.type === "MarginAdded" || entry.type === "MarginRemoved") as { margin?: number } | undefined;
      return { ok: true, ...(event?.margin === undefined ? {} : { margin: formatQuote(event.margin) }) };
    },
  });

  register(app, context, {
    path: "/v1/withdrawals",
    type: "Withdraw",
    category: "withdrawal",
    command: (_ctx, fields, auth) => {
      const asset = fields.asset as "USDC" | "USDT" | "DAI";
      const amount = assetUnitsOf(asset, fields.amount, "amount");
      if (amount <= 0n) throw badRequest("REQUEST_INVALID", "amount must be positive");
      return { type: "withdraw", account: auth.account, asset, amount };
    },
    respond: (_ctx, ack, fields) => {
      acceptedOrThrow(ack.result);
      const event = ack.events.find((entry) => entry.type === "WithdrawalRequested");
      return { ok: true, asset: fields.asset, amount: fields.amount, ...(event === undefined ? {} : { withdrawalId: `${event.sequence}:${event.index}` }) };
    },
  });

  register(app, context, {
    path: "/v1/agents",
    type: "ApproveAgent",
    category: "orderPlacement",
    command: (ctx, fields, auth) => {
      if (auth.agent !== null) throw badRequest("AGENT_NOT_APPROVED", "only the account's wallet may approve agents, not an agent");
      for (const market of fields.markets ?? []) marketSpecOf(ctx.node.exchange, market);
      const maxOrderNotional = fields.maxOrderNotional === undefined || fields.maxOrderNotional === "" ? 0 : microUsdOf(fields.maxOrderNotional, "maxOrderNotional");
      return {
        type: "approveAgent",
        account: auth.account,
        agent: fields.agent.toLowerCase(),
        name: fields.name,
        expiresAt: BigInt(fields.expiresAt) * 1_000_000n,
        markets: (fields.markets ?? []).join(","),
        maxOrderNotional,
      } as unknown as ExchangeCommandInput;
    },
    respond: (_ctx, ack) => acceptedOrThrow(ack.result),
  });

  register(app, context, {
    path: "/v1/agents/revoke",
    type: "RevokeAgent",
    category: "orderPlacement",
    command: (_ctx, fields, auth) => {
      if (auth.agent !== null) throw badRequest("AGENT_NOT_APPROVED", "only the account's wallet may revoke agents");
      return { type: "revokeAgent", account: auth.account, agent: fields.agent.toLowerCase() } as unknown as ExchangeCommandInput;
    },
    respond: (_ctx, ack) => acceptedOrThrow(ack.result),
  });
}
