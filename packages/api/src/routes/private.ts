// Private reads for the signing account (SPEC 18 "account queries": 60 a minute per account):
// balances and collateral value, positions with liquidation price, margin ratio, health and ADL rank,
// open and past orders, fills, funding payments, liquidations, withdrawals and agent keys.
import type { FastifyInstance } from "fastify";
import { collateralParameters, formatQuote, type CollateralAsset } from "@perpdex/core";
import { formatUnits } from "@perpdex/protocol";
import type { ApiContext } from "../context.ts";
import { orderNumberOf } from "../convert.ts";
import { ApiError } from "../errors.ts";
import type { AccountEventRecord } from "../read-model/read-model.ts";
import { accountSummaryView, fillView, orderView, positionsView } from "../views.ts";
import { agentRegistryOf } from "./agents.ts";
import { authenticateRead } from "./signed.ts";

const config = { rateCategory: "accountQuery", perAccount: true } as const;

const listQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    limit: { type: "integer", minimum: 1, maximum: 1000, default: 100 },
    market: { type: "string", minLength: 1, maxLength: 32 },
    status: { type: "string", enum: ["open", "closed", "all"], default: "all" },
  },
} as const;

interface ListQuery {
  readonly limit: number;
  readonly market?: string;
  readonly status: "open" | "closed" | "all";
}

// Amounts as decimals: deposits and withdrawals in their asset, funding and the rest in USD (µUSD inside).
function eventView(record: AccountEventRecord): Record<string, unknown> {
  const event = record.event as Record<string, unknown>;
  const view: Record<string, unknown> = { ...event, time: record.time.toString() };
  const asset = event.asset as CollateralAsset | undefined;
  if (typeof event.amount === "string" && asset !== undefined && collateralParameters[asset] !== undefined) {
    view.amount = formatUnits(BigInt(event.amount), collateralParameters[asset].decimals);
  } else if (typeof event.amount === "number") {
    view.amount = formatQuote(event.amount);
  }
  return view;
}

export function registerPrivateRoutes(app: FastifyInstance, context: ApiContext): void {
  const exchange = () => context.node.exchange;

  app.get("/v1/account", { config }, async (request) => {
    const { account } = await authenticateRead(context, request);
    return accountSummaryView(exchange(), account) ?? { account, status: "new", balances: { USDC: "0", USDT: "0", DAI: "0" }, health: "healthy" };
  });

  app.get("/v1/account/positions", { config }, async (request) => {
    const { account } = await authenticateRead(context, request);
    return { account, positions: positionsView(exchange(), account) };
  });

  app.get<{ Querystring: ListQuery }>("/v1/account/orders", { config, schema: { querystring: listQuery } }, async (request) => {
    const { account } = await authenticateRead(context, request);
    const { limit, market, status } = request.query;
    const orders = [];
    if (status !== "closed") {
      for (const order of context.readModel.openOrders.values()) {
        if (order.account === account && (market === undefined || order.market === market)) orders.push(order);
      }
    }
    if (status !== "open") {
      const past = context.readModel.findAccount(account)?.orders.newest(limit, (order) => market === undefined || order.market === market) ?? [];
      orders.push(...past);
    }
    return { account, orders: orders.slice(0, limit).map((order) => orderView(exchange(), order)) };
  });

  app.get<{ Params: { orderId: string } }>(
    "/v1/account/orders/:orderId",
    { config, schema: { params: { type: "object", required: ["orderId"], properties: { orderId: { type: "string", minLength: 1, maxLength: 64 } } } } },
    async (request) => {
      const { account } = await authenticateRead(context, request);
      const number = orderNumberOf(request.params.orderId, "orderId");
      const open = context.readModel.openOrders.get(number);
      const order = open ?? context.readModel.findAccount(account)?.orders.newest(1, (entry) => entry.orderId === number)[0];
      // Another account's order is reported exactly like a missing one.
      if (order === undefined || order.account !== account) {
        throw new ApiError({ status: 404, code: "ORDER_NOT_FOUND", message: `order ${request.params.orderId} is not an order of ${account}`, details: { orderId: request.params.orderId } });
      }
      return orderView(exchange(), order);
    },
  );

  const history = (path: string, pick: (context: ApiContext, account: string, limit: number, market?: string) => unknown[]): void => {
    app.get<{ Querystring: ListQuery }>(path, { config, schema: { querystring: listQuery } }, async (request) => {
      const { account } = await authenticateRead(context, request);
      return { account, items: pick(context, account, request.query.limit, request.query.market) };
    });
  };
  history("/v1/account/fills", (ctx, account, limit, market) =>
    (ctx.readModel.findAccount(account)?.fills.newest(limit, (fill) => market === undefined || fill.market === market) ?? []).map((fill) => fillView(exchange(), fill)),
  );
  history("/v1/account/funding", (ctx, account, limit, market) =>
    (ctx.readModel.findAccount(account)?.funding.newest(limit, (entry) => market === undefined || entry.event.market === market) ?? []).map(eventView),
  );
  history("/v1/account/liquidations", (ctx, account, limit) => (ctx.readModel.findAccount(account)?.liquidations.newest(limit) ?? []).map(eventView));
  history("/v1/account/withdrawals", (ctx, account, limit) => (ctx.readModel.findAccount(account)?.withdrawals.newest(limit) ?? []).map(eventView));
  history("/v1/account/deposits", (ctx, account, limit) => (ctx.readModel.findAccount(account)?.deposits.newest(limit) ?? []).map(eventView));

  app.get("/v1/account/agents", { config }, async (request) => {
    const { account } = await authenticateRead(context, request);
    const registry = agentRegistryOf(context.node) as unknown as { list?: (account: string) => readonly Record<string, unknown>[] } | undefined;
    const agents = registry?.list?.(account) ?? [];
    return { account, agents: agents.map((agent) => JSON.parse(JSON.stringify(agent, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value)))) };
  });
}
