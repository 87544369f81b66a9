// GET /docs/openapi.json: the OpenAPI 3.1 document, built from the routes' own JSON Schemas (the same
// ones fastify validates with, from packages/protocol), and GET /docs: a browsable page of it.
import type { FastifyInstance, RouteOptions } from "fastify";
import { errorBodySchema } from "@perpdex/protocol";
import type { ApiContext } from "../context.ts";

interface DocumentedRoute {
  readonly method: string;
  readonly url: string;
  readonly schema: RouteOptions["schema"];
  readonly category: string | undefined;
  readonly signed: boolean;
}

const summaries: Readonly<Record<string, string>> = {
  "GET /health": "Liveness and readiness (SPEC 09 §11.1)",
  "GET /metrics": "Prometheus metrics",
  "GET /v1/time": "Server time (use it for nonces) and the exchange's last sequence",
  "GET /v1/markets": "Every market with all its parameters and current prices",
  "GET /v1/markets/{market}": "One market",
  "GET /v1/markets/{market}/book": "The aggregated order book (L2): [price, size, orders] per level, best first",
  "GET /v1/markets/{market}/trades": "Recent trades, newest first",
  "GET /v1/markets/{market}/candles": "OHLCV candles: 1m, 5m, 15m, 1h, 4h, 1d",
  "GET /v1/tickers": "Tickers of every market",
  "GET /v1/markets/{market}/ticker": "Last price, best bid/ask, 24 h statistics, mark, index, funding, open interest",
  "GET /v1/markets/{market}/prices": "Mark and index price now, and the last funding settlement",
  "GET /v1/markets/{market}/prices/history": "Mark and index price history",
  "GET /v1/markets/{market}/funding": "Funding settlement history",
  "GET /v1/markets/{market}/open-interest": "Open interest (lots and notional)",
  "GET /v1/insurance-fund": "Insurance fund and fee treasury balances",
  "GET /v1/admin-log": "Governance and administration actions, newest first",
  "GET /v1/account": "Signed read: balances, collateral value, equity, margin, health",
  "GET /v1/account/positions": "Signed read: positions with liquidation price, margin ratio, health, ADL rank",
  "GET /v1/account/orders": "Signed read: open and past orders",
  "GET /v1/account/orders/{orderId}": "Signed read: one order",
  "GET /v1/account/fills": "Signed read: fills with fees",
  "GET /v1/account/funding": "Signed read: funding payments",
  "GET /v1/account/liquidations": "Signed read: liquidations and ADL",
  "GET /v1/account/withdrawals": "Signed read: withdrawals",
  "GET /v1/account/deposits": "Signed read: deposits",
  "GET /v1/account/agents": "Signed read: approved agent keys",
  "POST /v1/orders": "Signed PlaceOrders: one order, or up to 256 under one signature",
  "POST /v1/orders/cancel": "Signed CancelOrders",
  "POST /v1/orders/cancel-all": "Signed CancelAll (one market or all)",
  "POST /v1/orders/cancel-replace": "Signed CancelReplace: atomically",
  "POST /v1/batch": "Signed Batch: cancels, then orders, each with its own result",
  "POST /v1/account/leverage": "Signed SetLeverage",
  "POST /v1/account/margin-mode": "Signed SetMarginMode (isolated or cross)",
  "POST /v1/account/margin": "Signed AdjustMargin: add (positive) or remove (negative) isolated margin",
  "POST /v1/withdrawals": "Signed Withdraw",
  "POST /v1/agents": "Signed ApproveAgent: a named, expiring, optionally scoped agent key",
  "POST /v1/agents/revoke": "Signed RevokeAgent",
  "POST /v1/dev/faucet": "Development mode only: credit test collateral",
};

function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z]+)/g, "{$1}");
}

function operation(route: DocumentedRoute): Record<string, unknown> {
  const path = openApiPath(route.url);
  const schema = (route.schema ?? {}) as { body?: unknown; querystring?: { properties?: Record<string, unknown> }; params?: { properties?: Record<string, unknown> } };
  const parameters: unknown[] = [];
  for (const [name, value] of Object.entries(schema.params?.properties ?? {})) parameters.push({ name, in: "path", required: true, schema: value });
  for (const [name, value] of Object.entries(schema.querystring?.properties ?? {})) parameters.push({ name, in: "query", required: false, schema: value });
  if (route.url.startsWith("/v1/account") && route.method === "GET") {
    for (const name of ["X-Perpdex-Account", "X-Perpdex-Nonce", "X-Perpdex-Signature"]) parameters.push({ name, in: "header", required: true, schema: { type: "string" } });
    parameters.push({ name: "X-Perpdex-Signer", in: "header", required: false, schema: { type: "string" } });
  }
  const error = { description: "An error with a stable code", content: { "application/json": { schema: errorBodySchema } } };
  return {
    summary: summaries[`${route.method} ${path}`] ?? `${route.method} ${path}`,
    ...(route.category === undefined ? {} : { "x-rate-limit-category": route.category }),
    parameters,
    ...(schema.body === undefined ? {} : { requestBody: { required: true, content: { "application/json": { schema: schema.body } } } }),
    responses: { "200": { description: "OK" }, "400": error, "401": error, "404": error, "422": error, "429": error },
  };
}

/** Collects every route as it is registered; serves the document and the page. */
export function registerDocsRoutes(app: FastifyInstance, context: ApiContext): void {
  const routes: DocumentedRoute[] = [];
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === "HEAD" || route.url.startsWith("/docs")) continue;
      const config = route.config as { rateCategory?: string; perAccount?: boolean } | undefined;
      routes.push({ method, url: route.url, schema: route.schema, category: config?.rateCategory, signed: config?.perAccount === true });
    }
  });
  let document: Record<string, unknown> | undefined;
  const build = (): Record<string, unknown> => {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const route of routes) {
      const path = openApiPath(route.url);
      paths[path] ??= {};
      paths[path][route.method.toLowerCase()] = operation(route);
    }
    return {
      openapi: "3.1.0",
      info: {
        title: "perpdex API",
        version: "1.0.0",
        description:
          "Native REST API of perpdex. Private actions are EIP-712 typed messages signed by the account's wallet or an approved agent key " +
          "(see packages/api/docs/api.md). Decimals are strings. Every error carries a stable code, a message saying what would be valid, and the correlation id.",
      },
      servers: [{ url: "/" }],
      paths,
      components: { schemas: { Error: errorBodySchema } },
      "x-mode": context.mode,
    };
  };
  app.get("/docs/openapi.json", async () => (document ??= build()));
  app.get("/docs", async (_request, reply) => reply.type("text/html; charset=utf-8").send(docsPage((document ??= build()))));
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (character) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[character]!);
}

function docsPage(document: Record<string, unknown>): string {
  const paths = document.paths as Record<string, Record<string, { summary: string; requestBody?: unknown; parameters: unknown[] }>>;
  const rows: string[] = [];
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, operationEntry] of Object.entries(methods)) {
      const details = JSON.stringify({ parameters: operationEntry.parameters, requestBody: operationEntry.requestBody }, null, 2);
      rows.push(
        `<details><summary><code>${method.toUpperCase()} ${escapeHtml(path)}</code> — ${escapeHtml(operationEntry.summary)}</summary><pre>${escapeHtml(details)}</pre></details>`,
      );
    }
  }
  return `<!doctype html><html><head><meta charset="utf-8"><title>perpdex API</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}summary{cursor:pointer;padding:.3rem 0}pre{background:#f4f4f4;padding:.5rem;overflow:auto}</style>
</head><body><h1>perpdex API</h1><p>${escapeHtml(String((document.info as { description: string }).description))}</p>
<p>Machine-readable: <a href="/docs/openapi.json">/docs/openapi.json</a> (OpenAPI 3.1).</p>${rows.join("\n")}</body></html>`;
}
