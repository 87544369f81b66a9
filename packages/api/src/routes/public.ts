// Public market data (SPEC 18 "market data": 100 requests a minute per IP): markets and their
// parameters, the book, trades, candles, tickers, mark/index/funding now and in history, open interest,
// the insurance fund and the governance/administration log.
import type { FastifyInstance } from "fastify";
import { formatQuote } from "@perpdex/core";
import { lotsToDecimal } from "@perpdex/protocol";
import type { ApiContext } from "../context.ts";
import { marketSpecOf } from "../convert.ts";
import { candleIntervalNames, type CandleInterval } from "../read-model/market-data.ts";
import { jsonSafe } from "../read-model/read-model.ts";
import { bookView, candleView, fundingView, gridOf, marketView, markView, tickerView, tradeView } from "../views.ts";

const marketParams = {
  type: "object",
  required: ["market"],
  properties: { market: { type: "string", minLength: 1, maxLength: 32 } },
} as const;

function limitQuery(max: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: "object",
    additionalProperties: false,
    properties: { limit: { type: "integer", minimum: 1, maximum: max, default: Math.min(100, max) }, ...extra },
  };
}

const config = { rateCategory: "marketData" } as const;

export function registerPublicRoutes(app: FastifyInstance, context: ApiContext): void {
  const exchange = () => context.node.exchange;
  const perpMarketOf = (symbol: string) => exchange().perpMarkets[marketSpecOf(exchange(), symbol).index]!;

  app.get("/v1/time", { config }, async () => ({ serverTimeMs: Date.now(), exchangeTime: exchange().engine.lastTime.toString(), sequence: exchange().engine.lastSequence }));

  app.get("/v1/markets", { config }, async () => ({ markets: exchange().perpMarkets.map((perpMarket) => marketView(exchange(), perpMarket)) }));

  app.get<{ Params: { market: string } }>("/v1/markets/:market", { config, schema: { params: marketParams } }, async (request) =>
    marketView(exchange(), perpMarketOf(request.params.market)),
  );

  app.get<{ Params: { market: string }; Querystring: { depth: number } }>(
    "/v1/markets/:market/book",
    { config, schema: { params: marketParams, querystring: { type: "object", additionalProperties: false, properties: { depth: { type: "integer", minimum: 1, maximum: 500, default: 50 } } } } },
    async (request) => {
      marketSpecOf(exchange(), request.params.market);
      return bookView(exchange(), request.params.market, request.query.depth);
    },
  );

  app.get<{ Params: { market: string }; Querystring: { limit: number } }>(
    "/v1/markets/:market/trades",
    { config, schema: { params: marketParams, querystring: limitQuery(1000) } },
    async (request) => {
      const symbol = request.params.market;
      marketSpecOf(exchange(), symbol);
      const grid = gridOf(exchange(), symbol);
      return { market: symbol, trades: context.readModel.market(symbol).trades.newest(request.query.limit).map((trade) => tradeView(grid, symbol, trade)) };
    },
  );

  app.get<{ Params: { market: string }; Querystring: { limit: number; interval: CandleInterval } }>(
    "/v1/markets/:market/candles",
    { config, schema: { params: marketParams, querystring: limitQuery(1500, { interval: { type: "string", enum: candleIntervalNames, default: "1m" } }) } },
    async (request) => {
      const symbol = request.params.market;
      marketSpecOf(exchange(), symbol);
      const grid = gridOf(exchange(), symbol);
      const candles = context.readModel.market(symbol).candles.get(request.query.interval)!.newest(request.query.limit).reverse();
      return { market: symbol, interval: request.query.interval, candles: candles.map((candle) => candleView(grid, candle)) };
    },
  );

  app.get("/v1/tickers", { config }, async () => ({
    tickers: exchange().perpMarkets.map((perpMarket) => tickerView(exchange(), perpMarket, context.readModel.market(perpMarket.spec.symbol), Date.now())),
  }));

  app.get<{ Params: { market: string } }>("/v1/markets/:market/ticker", { config, schema: { params: marketParams } }, async (request) => {
    const perpMarket = perpMarketOf(request.params.market);
    return tickerView(exchange(), perpMarket, context.readModel.market(request.params.market), Date.now());
  });

  app.get<{ Params: { market: string } }>("/v1/markets/:market/prices", { config, schema: { params: marketParams } }, async (request) => {
    const symbol = request.params.market;
    const perpMarket = perpMarketOf(symbol);
    const grid = gridOf(exchange(), symbol);
    const history = context.readModel.market(symbol);
    const funding = history.funding.last();
    const mark = history.marks.last();
    return {
      market: symbol,
      markPrice: markView(grid, { time: exchange().engine.lastTime, markPrice: perpMarket.markPrice, indexPrice: perpMarket.indexPrice, basisPpb: mark?.basisPpb ?? 0 }).markPrice,
      indexPrice: markView(grid, { time: 0n, markPrice: perpMarket.markPrice, indexPrice: perpMarket.indexPrice, basisPpb: 0 }).indexPrice,
      lastFunding: funding === undefined ? null : fundingView(grid, funding),
      time: exchange().engine.lastTime.toString(),
    };
  });

  app.get<{ Params: { market: string }; Querystring: { limit: number } }>(
    "/v1/markets/:market/prices/history",
    { config, schema: { params: marketParams, querystring: limitQuery(1000) } },
    async (request) => {
      const symbol = request.params.market;
      marketSpecOf(exchange(), symbol);
      const grid = gridOf(exchange(), symbol);
      return { market: symbol, prices: context.readModel.market(symbol).marks.newest(request.query.limit).map((mark) => markView(grid, mark)) };
    },
  );

  app.get<{ Params: { market: string }; Querystring: { limit: number } }>(
    "/v1/markets/:market/funding",
    { config, schema: { params: marketParams, querystring: limitQuery(1000) } },
    async (request) => {
      const symbol = request.params.market;
      marketSpecOf(exchange(), symbol);
      const grid = gridOf(exchange(), symbol);
      return { market: symbol, funding: context.readModel.market(symbol).funding.newest(request.query.limit).map((entry) => fundingView(grid, entry)) };
    },
  );

  app.get<{ Params: { market: string } }>("/v1/markets/:market/open-interest", { config, schema: { params: marketParams } }, async (request) => {
    const perpMarket = perpMarketOf(request.params.market);
    const grid = gridOf(exchange(), request.params.market);
    const notional = perpMarket.longLots * perpMarket.markPrice * perpMarket.quotePerTickLot;
    return {
      market: request.params.market,
      openInterest: perpMarket.longLots === 0 ? "0" : lotsToDecimal({ lots: perpMarket.longLots, lotSize: grid.lotSize }),
      openInterestNotional: formatQuote(Number.isSafeInteger(notional) ? notional : Number.MAX_SAFE_INTEGER),
    };
  });

  app.get("/v1/insurance-fund", { config }, async () => {
    const treasury = exchange().treasury;
    return { balance: formatQuote(treasury.insuranceFund), feeTreasury: formatQuote(treasury.feeTreasury), time: exchange().engine.lastTime.toString() };
  });

  app.get<{ Querystring: { limit: number } }>("/v1/admin-log", { config, schema: { querystring: limitQuery(1000) } }, async (request) => ({
    actions: context.readModel.adminActions.newest(request.query.limit).map((action) => ({
      sequence: action.sequence,
      time: action.time.toString(),
      type: action.type,
      ok: action.ok,
      code: action.code,
      command: jsonSafe(action.command),
    })),
  }));
}
