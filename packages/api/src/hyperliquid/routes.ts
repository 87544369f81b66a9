// POST /info and POST /exchange, Hyperliquid-compatible, in their own fastify scope: the scope reads
// bodies as text (the /exchange signature covers the action's bytes as sent, so the body is parsed by
// wire-json.ts rather than JSON.parse) and answers every error in Hyperliquid's shape
// { "status": "err", "response": "<sentence>" } plus perpdex's code and the correlation id, so that
// clients such as ccxt map them to their error classes (429 → "Too many cumulative requests sent",
// which ccxt raises as RateLimitExceeded).
import type { FastifyError, FastifyInstance } from "fastify";
import type { ApiContext } from "../context.ts";
import { ApiError } from "../errors.ts";
import type { RateCategory } from "../rate-limit/rate-limiter.ts";
import { AgentIndex } from "./agents.ts";
import type { HyperliquidEnvironment } from "./environment.ts";
import { HyperliquidError } from "./errors.ts";
import { HyperliquidExchangeEndpoint } from "./exchange.ts";
import { answerInfo, infoRequestTypes } from "./info.ts";
import type { HyperliquidChain } from "./signing.ts";

/** Options of the Hyperliquid-compatible routes. */
export interface HyperliquidRouteOptions {
  /** The chain signatures are checked against: ccxt signs "Mainnet" unless in sandbox mode. Default Mainnet. */
  readonly chain?: HyperliquidChain;
  /** Nonces are accepted within ± this many ms of the server's clock (default 60,000). */
  readonly nonceWindowMs?: number;
  /** The wall clock in ms (tests move it); default Date.now. */
  readonly clock?: () => number;
}

// The rate-limit category each action draws from (SPEC 18 §3.1).
const actionCategories: Readonly<Record<string, RateCategory>> = {
  order: "orderPlacement",
  modify: "orderPlacement",
  batchModify: "orderPlacement",
  cancel: "orderCancellation",
  cancelByCloid: "orderCancellation",
  withdraw3: "withdrawal",
};

/**
 * Registers POST /info and POST /exchange on the server.
 *
 * @example
 * registerHyperliquidRoutes(app, context);
 * // ccxt: new ccxt.hyperliquid({ urls: { api: { public: base, private: base } }, walletAddress, privateKey })
 */
export function registerHyperliquidRoutes(app: FastifyInstance, context: ApiContext, options: HyperliquidRouteOptions = {}): void {
  const clock = options.clock ?? Date.now;
  // API wallets: indexed once now, then kept current from every applied command's events.
  const agents = AgentIndex.of(context.node.exchange);
  const stopIndexing = context.readModel.onApplied((applied) => agents.apply(applied.events));
  app.addHook("onClose", async () => stopIndexing());
  const environment = environmentOf(context, options.chain ?? "Mainnet", clock, agents);
  const endpoint = new HyperliquidExchangeEndpoint(environment, { nonceWindowMs: options.nonceWindowMs ?? 60_000 });
  void app.register(async (scope) => {
    scope.removeContentTypeParser("application/json");
    scope.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => done(null, body));
    scope.setErrorHandler((error: FastifyError | ApiError, request, reply) => {
      const status = error instanceof ApiError ? error.status : (error.statusCode ?? 500);
      if (error instanceof ApiError && error.headers !== undefined) for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
      const code = error instanceof ApiError ? error.code : status >= 500 ? "INTERNAL" : "REQUEST_INVALID";
      if (status >= 500 && !(error instanceof ApiError)) context.logger.error({ error: error.message, stack: error.stack }, "api: unexpected error in a Hyperliquid route");
      const message = status >= 500 && !(error instanceof ApiError) ? "an unexpected error; it was logged with this correlation id" : error.message;
      const sentence = status === 429 ? `Too many cumulative requests sent. ${message}` : message;
      return reply.code(status).send({ status: "err", response: sentence, code, correlationId: request.id });
    });
    scope.post("/info", { config: { rateCategory: "marketData" } }, async (request, reply) => {
      let body: unknown;
      try {
        body = JSON.parse(String(request.body));
      } catch {
        return reply.code(400).send({ status: "err", response: "Failed to deserialize the JSON body: send a JSON object with a type", code: "JSON_MALFORMED", correlationId: request.id });
      }
      try {
        const type = (body as { type?: unknown } | null)?.type;
        if (typeof type === "string" && (infoRequestTypes as Record<string, boolean>)[type] === true) {
          const user = (body as { user?: unknown }).user;
          if (typeof user === "string") request.rateHeaders = await context.rateLimiter.check({ ip: request.ip, category: "accountQuery", account: user.toLowerCase(), nowMs: clock() });
        }
        return answerInfo({ exchange: () => context.node.exchange, readModel: context.readModel, clock }, body);
      } catch (error) {
        if (!(error instanceof HyperliquidError)) throw error;
        return reply.code(400).send({ status: "err", response: error.message, code: error.code, correlationId: request.id });
      }
    });
    scope.post("/exchange", { config: { rateCategory: "orderPlacement", perAccount: true } }, async (request, reply) => {
      const charge = async (account: string, actionType: string): Promise<void> => {
        request.rateHeaders = await context.rateLimiter.check({ ip: request.ip, category: actionCategories[actionType] ?? "accountQuery", account, nowMs: clock() });
      };
      const answer = await endpoint.handle(String(request.body), charge);
      return reply.code(answer.statusCode).send(answer.body);
    });
  });
}

function environmentOf(context: ApiContext, chain: HyperliquidChain, clock: () => number, agents: AgentIndex): HyperliquidEnvironment {
  return {
    exchange: () => context.node.exchange,
    submit: (input, auth) => context.submit(input, auth),
    recover: (typedData, signature) => context.auth.recover(typedData as unknown as Parameters<ApiContext["auth"]["recover"]>[0], signature),
    clock,
    chain,
    principalOf: (agent) => agents.principalOf(context.node.exchange, agent, BigInt(clock()) * 1_000_000n),
  };
}
