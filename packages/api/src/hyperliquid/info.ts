// POST /info: the Hyperliquid info requests ccxt's hyperliquid class (and the official SDKs) make, answered
// from the node's exchange (markets, books, accounts, open orders) and the read model (candles, fills,
// order history, funding). Prices and sizes are decimal strings on each market's grid; money is USD.
// Fields Hyperliquid has and perpdex cannot know honestly are left out (listed in docs/api.md).
import { accountView, formatQuote, type Exchange, type PositionView } from "@perpdex/core";
import { formatUnits } from "@perpdex/protocol";
import type { ReadModel, FillRecord, OrderRecord } from "../read-model/read-model.ts";
import { candleIntervals, type CandleInterval } from "../read-model/market-data.ts";
import { HyperliquidError } from "./errors.ts";
import { assetByCoin, hyperliquidAssets, priceText, sizeText, type HyperliquidAsset } from "./mapping.ts";

/** What /info reads. */
export interface InfoSources {
  readonly exchange: () => Exchange;
  readonly readModel: ReadModel;
  readonly clock: () => number;
}

/** The request types answered, and whether each reads one user's data (for rate limiting). */
export const infoRequestTypes = {
  meta: false,
  metaAndAssetCtxs: false,
  spotMeta: false,
  spotMetaAndAssetCtxs: false,
  perpDexs: false,
  allMids: false,
  l2Book: false,
  candleSnapshot: false,
  fundingHistory: false,
  exchangeStatus: false,
  clearinghouseState: true,
  spotClearinghouseState: true,
  userAbstraction: true,
  openOrders: true,
  frontendOpenOrders: true,
  orderStatus: true,
  historicalOrders: true,
  userFills: true,
  userFillsByTime: true,
  userFunding: true,
} as const;

type InfoType = keyof typeof infoRequestTypes;
type Request = Readonly<Record<string, unknown>>;
type Handler = (sources: InfoSources, request: Request) => unknown;

const bookLevelsMax = 20;
const fillsMax = 2_000;
const ordersMax = 2_000;
// The collateral assets as Hyperliquid "tokens": index, name and decimals of the base unit.
const tokens = [
  { name: "USDC", index: 0, weiDecimals: 6 },
  { name: "USDT", index: 1, weiDecimals: 6 },
  { name: "DAI", index: 2, weiDecimals: 18 },
] as const;

/**
 * Answers one /info request body; throws a HyperliquidError naming what a valid request looks like.
 *
 * @example
 * answerInfo(sources, { type: "l2Book", coin: "BTC" }); // => { coin: "BTC", time, levels: [[…], […]] }
 */
export function answerInfo(sources: InfoSources, request: unknown): unknown {
  if (typeof request !== "object" || request === null || Array.isArray(request)) throw new HyperliquidError('the body must be an object with a "type"');
  const type = (request as Request).type;
  if (typeof type !== "string" || !Object.hasOwn(handlers, type)) {
    throw new HyperliquidError(`Unsupported info type ${JSON.stringify(type) ?? "undefined"}; perpdex answers ${Object.keys(handlers).join(", ")}`);
  }
  return handlers[type as InfoType](sources, request as Request);
}

const handlers: Readonly<Record<InfoType, Handler>> = {
  meta: (sources) => meta(sources.exchange()),
  metaAndAssetCtxs: (sources) => [meta(sources.exchange()), hyperliquidAssets(sources.exchange()).map((asset) => assetContext(sources, asset))],
  spotMeta: () => spotMeta(),
  spotMetaAndAssetCtxs: () => [spotMeta(), []],
  // Only the first (main) perp dex exists.
  perpDexs: () => [null],
  allMids: (sources) => Object.fromEntries(hyperliquidAssets(sources.exchange()).map((asset) => [asset.coin, midOrMark(sources.exchange(), asset)])),
  l2Book: (sources, request) => l2Book(sources, assetByCoin(sources.exchange(), request.coin)),
  candleSnapshot: (sources, request) => candleSnapshot(sources, request.req),
  fundingHistory: (sources, request) => fundingHistory(sources, request),
  exchangeStatus: (sources) => ({ time: sources.clock(), specialStatuses: null }),
  clearinghouseState: (sources, request) => clearinghouseState(sources, userOf(request)),
  spotClearinghouseState: (sources, request) => spotClearinghouseState(sources.exchange(), userOf(request)),
  // No unified or portfolio margin modes: every account is a plain perp account.
  userAbstraction: (_sources, request) => (userOf(request), "disabled"),
  openOrders: (sources, request) => openOrdersOf(sources, userOf(request)).map((order) => basicOrder(sources.exchange(), order)),
  frontendOpenOrders: (sources, request) => openOrdersOf(sources, userOf(request)).map((order) => frontendOrder(sources.exchange(), order)),
  orderStatus: (sources, request) => orderStatus(sources, userOf(request), request.oid),
  historicalOrders: (sources, request) => historicalOrders(sources, userOf(request)),
  userFills: (sources, request) => fillsOf(sources, userOf(request), 0, Number.MAX_SAFE_INTEGER),
  userFillsByTime: (sources, request) => fillsOf(sources, userOf(request), timeField(request.startTime, "startTime", 0), timeField(request.endTime, "endTime", Number.MAX_SAFE_INTEGER)).reverse(),
  userFunding: (sources, request) => userFunding(sources, userOf(request), request),
};

function userOf(request: Request): string {
  const user = request.user;
  if (typeof user !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(user)) throw new HyperliquidError('"user" must be a 20-byte hex address (0x and 40 hex digits)');
  return user.toLowerCase();
}

function timeField(value: unknown, field: string, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) throw new HyperliquidError(`"${field}" must be a time in milliseconds since the epoch`);
  return value;
}

const msOf = (timeNs: bigint): number => Number(timeNs / 1_000_000n);

function meta(exchange: Exchange): { universe: unknown[] } {
  return {
    universe: hyperliquidAssets(exchange).map((asset) => ({
      name: asset.coin,
      szDecimals: asset.szDecimals,
      maxLeverage: asset.market.spec.leverageMax,
      onlyIsolated: false,
    })),
  };
}

function spotMeta(): { tokens: unknown[]; universe: unknown[] } {
  return {
    tokens: tokens.map((token) => ({
      name: token.name,
      szDecimals: token.weiDecimals,
      weiDecimals: token.weiDecimals,
      index: token.index,
      tokenId: `0x${token.index.toString(16).padStart(32, "0")}`,
      isCanonical: true,
      evmContract: null,
      fullName: null,
    })),
    universe: [],
  };
}

// Mid of the best bid and ask, exact (half a tick shows as one more decimal); null unless both exist.
function midPrice(exchange: Exchange, asset: HyperliquidAsset): string | null {
  const market = exchange.engine.markets[asset.asset]!;
  const bid = market.bids.best();
  const ask = market.asks.best();
  if (bid === undefined || ask === undefined) return null;
  const sumTicks = bid.price + ask.price;
  if (sumTicks % 2 === 0) return priceText(asset, sumTicks / 2);
  const tick = priceText(asset, 1);
  const tickDecimals = tick.includes(".") ? tick.length - tick.indexOf(".") - 1 : 0;
  // (sum × tick) / 2 = sum × tick × 5 / 10: one more decimal than the tick.
  const tickUnits = BigInt(tick.replace(".", ""));
  return formatUnits(BigInt(sumTicks) * tickUnits * 5n, tickDecimals + 1);
}

function midOrMark(exchange: Exchange, asset: HyperliquidAsset): string {
  return midPrice(exchange, asset) ?? priceText(asset, asset.market.markPrice);
}

function assetContext(sources: InfoSources, asset: HyperliquidAsset): Record<string, unknown> {
  const exchange = sources.exchange();
  const market = exchange.engine.markets[asset.asset]!;
  const history = sources.readModel.market(asset.symbol);
  const nowMs = sources.clock();
  const daily = history.daily(nowMs);
  const funding = history.funding.last();
  const bid = market.bids.best();
  const ask = market.asks.best();
  const dayStartNs = BigInt(nowMs - candleIntervals["1d"]) * 1_000_000n;
  let notionalTicks = 0n;
  for (const trade of history.trades.newest(history.trades.capacity, (entry) => entry.time >= dayStartNs)) notionalTicks += BigInt(trade.price) * BigInt(trade.size);
  return {
    funding: funding === undefined ? "0" : formatUnits(BigInt(funding.ratePpb), 9),
    openInterest: asset.market.longLots === 0 ? "0" : sizeText(asset, asset.market.longLots),
    prevDayPx: priceText(asset, daily.open ?? asset.market.markPrice),
    dayNtlVlm: formatUnits(notionalTicks * BigInt(asset.market.quotePerTickLot), 6),
    dayBaseVlm: daily.volumeLots === 0 ? "0" : sizeText(asset, daily.volumeLots),
    markPx: priceText(asset, asset.market.markPrice),
    midPx: midPrice(exchange, asset),
    oraclePx: priceText(asset, asset.market.indexPrice),
    impactPxs: bid === undefined || ask === undefined ? null : [priceText(asset, bid.price), priceText(asset, ask.price)],
  };
}

function l2Book(sources: InfoSources, asset: HyperliquidAsset): unknown {
  const market = sources.exchange().engine.markets[asset.asset]!;
  // Levels are stored worst → best: read from the end.
  const side = (levels: readonly { price: number; totalLots: number; orderCount: number }[]) => {
    const result: { px: string; sz: string; n: number }[] = [];
    for (let at = levels.length - 1; at >= 0 && result.length < bookLevelsMax; at -= 1) {
      const level = levels[at]!;
      result.push({ px: priceText(asset, level.price), sz: sizeText(asset, level.totalLots), n: level.orderCount });
    }
    return result;
  };
  return { coin: asset.coin, time: sources.clock(), levels: [side(market.bids.levels), side(market.asks.levels)] };
}

function candleSnapshot(sources: InfoSources, value: unknown): unknown[] {
  const request = (typeof value === "object" && value !== null ? value : {}) as Request;
  const asset = assetByCoin(sources.exchange(), request.coin);
  const interval = request.interval;
  if (typeof interval !== "string" || !Object.hasOwn(candleIntervals, interval)) {
    throw new HyperliquidError(`req.interval must be one of ${Object.keys(candleIntervals).join(", ")}; got ${JSON.stringify(interval) ?? "nothing"}`);
  }
  const startMs = timeField(request.startTime, "req.startTime", 0);
  const endMs = timeField(request.endTime, "req.endTime", Number.MAX_SAFE_INTEGER);
  const lengthMs = candleIntervals[interval as CandleInterval];
  const ring = sources.readModel.market(asset.symbol).candles.get(interval as CandleInterval)!;
  const candles = ring.newest(ring.capacity, (candle) => candle.startMs + lengthMs > startMs && candle.startMs <= endMs).reverse();
  return candles.map((candle) => ({
    t: candle.startMs,
    T: candle.startMs + lengthMs - 1,
    s: asset.coin,
    i: interval,
    o: priceText(asset, candle.open),
    c: priceText(asset, candle.close),
    h: priceText(asset, candle.high),
    l: priceText(asset, candle.low),
    v: candle.volumeLots === 0 ? "0" : sizeText(asset, candle.volumeLots),
    n: candle.trades,
  }));
}

function fundingHistory(sources: InfoSources, request: Request): unknown[] {
  const asset = assetByCoin(sources.exchange(), request.coin);
  const startMs = timeField(request.startTime, "startTime", 0);
  const endMs = timeField(request.endTime, "endTime", Number.MAX_SAFE_INTEGER);
  const ring = sources.readModel.market(asset.symbol).funding;
  return ring
    .newest(ring.capacity, (entry) => msOf(entry.time) >= startMs && msOf(entry.time) <= endMs)
    .reverse()
    .map((entry) => ({ coin: asset.coin, fundingRate: formatUnits(BigInt(entry.ratePpb), 9), time: msOf(entry.time) }));
}

function positionEquity(position: PositionView): number {
  return position.mode === "isolated" ? position.margin + position.unrealizedPnl : 0;
}

function clearinghouseState(sources: InfoSources, user: string): unknown {
  const exchange = sources.exchange();
  const view = accountView(exchange, user);
  const time = sources.clock();
  if (view === null) {
    const empty = { accountValue: "0", totalNtlPos: "0", totalRawUsd: "0", totalMarginUsed: "0" };
    return { marginSummary: empty, crossMarginSummary: empty, crossMaintenanceMarginUsed: "0", withdrawable: "0", assetPositions: [], time };
  }
  const open = view.positions.filter((position) => position.size !== 0);
  const isolatedEquity = open.reduce((sum, position) => sum + positionEquity(position), 0);
  const isolatedMargin = open.reduce((sum, position) => sum + (position.mode === "isolated" ? position.margin : 0), 0);
  const crossNotional = open.reduce((sum, position) => sum + (position.mode === "cross" ? position.notional : 0), 0);
  const totalNotional = open.reduce((sum, position) => sum + position.notional, 0);
  const funding = fundingByMarket(sources, user);
  return {
    marginSummary: {
      accountValue: formatQuote(view.crossEquity + isolatedEquity),
      totalNtlPos: formatQuote(totalNotional),
      totalRawUsd: formatQuote(view.collateralValue + isolatedMargin),
      totalMarginUsed: formatQuote(view.crossInitialMargin + isolatedMargin + view.reserved),
    },
    crossMarginSummary: {
      accountValue: formatQuote(view.crossEquity),
      totalNtlPos: formatQuote(crossNotional),
      totalRawUsd: formatQuote(view.collateralValue),
      totalMarginUsed: formatQuote(view.crossInitialMargin),
    },
    crossMaintenanceMarginUsed: formatQuote(view.crossMaintenanceMargin),
    withdrawable: formatQuote(view.withdrawable),
    assetPositions: open.map((position) => ({ type: "oneWay", position: positionOf(exchange, position, funding.get(position.market) ?? 0) })),
    time,
  };
}

function positionOf(exchange: Exchange, position: PositionView, fundingPaid: number): Record<string, unknown> {
  const asset = assetOfSymbol(exchange, position.market);
  const size = sizeText(asset, Math.abs(position.size));
  // Isolated: Hyperliquid's marginUsed includes unrealised PnL; cross: the initial margin at mark.
  const marginUsed = position.mode === "isolated" ? position.margin + position.unrealizedPnl : position.initialMargin;
  const allTime = formatQuote(fundingPaid);
  return {
    coin: asset.coin,
    szi: position.size < 0 ? `-${size}` : size,
    leverage: { type: position.mode, value: position.leverage },
    entryPx: priceText(asset, position.entryPrice),
    positionValue: formatQuote(position.notional),
    unrealizedPnl: formatQuote(position.unrealizedPnl),
    returnOnEquity: position.initialMargin === 0 ? "0" : formatUnits(BigInt(Math.round((position.unrealizedPnl * 1_000_000) / position.initialMargin)), 6),
    liquidationPx: position.liquidationPrice === null ? null : priceText(asset, position.liquidationPrice),
    marginUsed: formatQuote(marginUsed),
    maxLeverage: asset.market.spec.leverageMax,
    // Funding paid (positive) in the read model's window; perpdex keeps no per-opening split.
    cumFunding: { allTime, sinceOpen: allTime, sinceChange: allTime },
  };
}

function fundingByMarket(sources: InfoSources, user: string): Map<string, number> {
  const totals = new Map<string, number>();
  const history = sources.readModel.findAccount(user);
  if (history === undefined) return totals;
  for (const record of history.funding.newest(history.funding.capacity)) {
    const { market, amount } = record.event as { market: string; amount: number };
    totals.set(market, (totals.get(market) ?? 0) + amount);
  }
  return totals;
}

function spotClearinghouseState(exchange: Exchange, user: string): unknown {
  const view = accountView(exchange, user);
  const units = view === null ? [0n, 0n, 0n] : [BigInt(view.balances.USDC), view.balances.USDT, view.balances.DAI];
  return {
    balances: tokens.map((token) => ({
      coin: token.name,
      token: token.index,
      total: formatUnits(units[token.index]!, token.weiDecimals),
      hold: token.index === 0 && view !== null ? formatQuote(view.reserved) : "0",
      entryNtl: "0",
    })),
  };
}

// The account's open orders, newest first, from the engine's per-account list (no scan of all orders).
function openOrdersOf(sources: InfoSources, user: string): OrderRecord[] {
  const engine = sources.exchange().engine;
  const account = engine.accounts.find(user);
  if (account === undefined) return [];
  const pool = engine.pool;
  const orders: OrderRecord[] = [];
  for (let slot = account.orderHead, seen = 0; slot >= 0 && seen < account.openOrderCount; slot = pool.accountNext[slot]!, seen += 1) {
    const record = sources.readModel.openOrders.get(pool.orderId[slot]!);
    if (record !== undefined) orders.push(record);
  }
  return orders;
}

// Asset lookups by symbol, built once per exchange state of the market list (markets are only appended,
// but an admin may replace a market's spec, so the cache also keys on the spec objects).
const assetCache = new WeakMap<Exchange, { specs: readonly unknown[]; bySymbol: Map<string, HyperliquidAsset> }>();
function assetOfSymbol(exchange: Exchange, symbol: string): HyperliquidAsset {
  let cached = assetCache.get(exchange);
  const markets = exchange.perpMarkets;
  if (cached === undefined || cached.specs.length !== markets.length || markets.some((market, index) => market.spec !== cached!.specs[index])) {
    cached = { specs: markets.map((market) => market.spec), bySymbol: new Map(hyperliquidAssets(exchange).map((asset) => [asset.symbol, asset])) };
    assetCache.set(exchange, cached);
  }
  return cached.bySymbol.get(symbol)!;
}

function basicOrder(exchange: Exchange, order: OrderRecord): Record<string, unknown> {
  const asset = assetOfSymbol(exchange, order.market);
  return {
    coin: asset.coin,
    side: order.side === "buy" ? "B" : "A",
    limitPx: order.price === 0 ? "0" : priceText(asset, order.price),
    sz: order.remaining === 0 ? "0" : sizeText(asset, order.remaining),
    oid: order.orderId,
    timestamp: msOf(order.createdAt),
    origSz: order.size === 0 ? "0" : sizeText(asset, order.size),
    ...(order.clientOrderId === null ? {} : { cloid: order.clientOrderId }),
  };
}

function frontendOrder(exchange: Exchange, order: OrderRecord): Record<string, unknown> {
  return {
    ...basicOrder(exchange, order),
    cloid: order.clientOrderId,
    children: [],
    isPositionTpsl: false,
    isTrigger: false,
    orderType: "Limit",
    reduceOnly: order.reduceOnly,
    tif: order.postOnly ? "Alo" : order.timeInForce === "IOC" || order.timeInForce === "FOK" ? "Ioc" : "Gtc",
    triggerCondition: "N/A",
    triggerPx: "0",
  };
}

// Hyperliquid's order status names.
function statusOf(order: OrderRecord): string {
  switch (order.status) {
    case "open":
    case "partiallyFilled":
      return "open";
    case "filled":
      return "filled";
    case "rejected":
      return "rejected";
    case "expired":
      return order.filled > 0 ? "canceled" : "iocCancelRejected";
    case "canceled":
      if (order.reason === "SELF_TRADE") return "selfTradeCanceled";
      if (order.reason === "REDUCE_ONLY") return "reduceOnlyCanceled";
      if (order.reason === "INSUFFICIENT_MARGIN") return "marginCanceled";
      return "canceled";
  }
}

function withStatus(exchange: Exchange, order: OrderRecord): Record<string, unknown> {
  return { order: frontendOrder(exchange, order), status: statusOf(order), statusTimestamp: msOf(order.updatedAt) };
}

function orderStatus(sources: InfoSources, user: string, oid: unknown): unknown {
  const byCloid = typeof oid === "string";
  if (!byCloid && (typeof oid !== "number" || !Number.isSafeInteger(oid))) throw new HyperliquidError('"oid" must be an order id (a whole number) or a cloid (0x and 32 hex digits)');
  const matches = (order: OrderRecord) => order.account === user && (byCloid ? order.clientOrderId === oid : order.orderId === oid);
  const open = openOrdersOf(sources, user).find(matches);
  const history = sources.readModel.findAccount(user);
  const found = open ?? history?.orders.newest(history.orders.capacity, (order) => matches(order) && order.status !== "rejected")[0];
  if (found === undefined) return { status: "unknownOid" };
  return { status: "order", order: withStatus(sources.exchange(), found) };
}

function historicalOrders(sources: InfoSources, user: string): unknown[] {
  const exchange = sources.exchange();
  const history = sources.readModel.findAccount(user);
  const closed = history === undefined ? [] : history.orders.newest(ordersMax, (order) => order.status !== "rejected");
  return [...openOrdersOf(sources, user), ...closed].slice(0, ordersMax).map((order) => withStatus(exchange, order));
}

// Fills newest first, within [startMs, endMs].
function fillsOf(sources: InfoSources, user: string, startMs: number, endMs: number): unknown[] {
  const history = sources.readModel.findAccount(user);
  if (history === undefined) return [];
  const exchange = sources.exchange();
  return history.fills.newest(fillsMax, (fill) => msOf(fill.time) >= startMs && msOf(fill.time) <= endMs).map((fill) => fillOf(exchange, fill));
}

// A trade id unique per fill: the command's sequence and the trade's event index (< 2^20 per command).
const tradeIdOf = (fill: FillRecord): number => fill.sequence * 1_048_576 + fill.tradeIndex;

function fillOf(exchange: Exchange, fill: FillRecord): Record<string, unknown> {
  const asset = assetOfSymbol(exchange, fill.market);
  return {
    coin: asset.coin,
    px: priceText(asset, fill.price),
    sz: sizeText(asset, fill.size),
    side: fill.side === "buy" ? "B" : "A",
    time: msOf(fill.time),
    dir: fill.side === "buy" ? "Buy" : "Sell",
    oid: fill.orderId,
    crossed: !fill.maker,
    fee: formatQuote(fill.fee),
    feeToken: "USDC",
    tid: tradeIdOf(fill),
  };
}

function userFunding(sources: InfoSources, user: string, request: Request): unknown[] {
  const startMs = timeField(request.startTime, "startTime", 0);
  const endMs = timeField(request.endTime, "endTime", Number.MAX_SAFE_INTEGER);
  const history = sources.readModel.findAccount(user);
  if (history === undefined) return [];
  const exchange = sources.exchange();
  return history.funding
    .newest(history.funding.capacity, (record) => msOf(record.time) >= startMs && msOf(record.time) <= endMs)
    .reverse()
    .map((record) => {
      const { market, amount } = record.event as { market: string; amount: number };
      // Hyperliquid's usdc is what the account received: negative when it paid.
      return { time: msOf(record.time), delta: { type: "funding", coin: assetOfSymbol(exchange, market).coin, usdc: formatQuote(-amount) } };
    });
}
