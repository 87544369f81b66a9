// Wire views: current state read from the node's exchange and history from the read model, with every
// price, size and amount as a decimal string (money in USD, prices on the market's tick grid).
import type { Exchange, PerpMarket } from "@perpdex/core";
import { accountView, formatQuote } from "@perpdex/core";
import { formatUnits, lotsToDecimal, ticksToDecimal } from "@perpdex/protocol";
import { orderIdOf } from "./convert.ts";
import type { Candle, FundingRecord, MarkRecord, MarketHistory, TradeRecord } from "./read-model/market-data.ts";
import type { FillRecord, OrderRecord } from "./read-model/read-model.ts";
import { uuidV7 } from "@perpdex/protocol";

/** Market grid for formatting. */
export interface Grid {
  readonly tickSize: string;
  readonly lotSize: string;
}

export function gridOf(exchange: Exchange, symbol: string): Grid {
  // The market's own spec (it carries the tick and lot sizes): no copy per call.
  return exchange.engine.market(symbol)!.spec;
}

const price = (grid: Grid, ticks: number): string => ticksToDecimal({ ticks, tickSize: grid.tickSize });
const size = (grid: Grid, lots: number): string => (lots === 0 ? "0" : lotsToDecimal({ lots, lotSize: grid.lotSize }));
const signedSize = (grid: Grid, lots: number): string => (lots < 0 ? `-${size(grid, -lots)}` : size(grid, lots));
const ppmText = (ppm: number): string => formatUnits(BigInt(ppm), 6);
const ppbText = (ppb: number): string => formatUnits(BigInt(ppb), 9);
/** µUSD as a USD decimal string. */
const usdText = (microUsd: number): string => formatUnits(BigInt(microUsd), 6);

/** A market with all its parameters and its current prices. */
export function marketView(exchange: Exchange, perpMarket: PerpMarket): Record<string, unknown> {
  const market = exchange.engine.markets[perpMarket.index]!;
  const spec = perpMarket.spec;
  const grid = { tickSize: spec.tickSize, lotSize: spec.lotSize };
  return {
    symbol: spec.symbol,
    assetClass: spec.assetClass,
    tickSize: spec.tickSize,
    lotSize: spec.lotSize,
    minOrderSize: size(grid, spec.minOrderLots),
    maxOrderSize: size(grid, spec.maxOrderLots),
    priceBand: ppmText(spec.priceBandPpm),
    marketOrderSlippage: ppmText(spec.marketOrderSlippagePpm),
    marginProfile: spec.marginProfile,
    leverageMax: spec.leverageMax,
    leverageDefault: spec.leverageDefault,
    // Money in USD and rates as fractions, decimal strings like every other amount.
    marginTiers: perpMarket.profile.tiers.map((tier) => ({
      notionalFloor: usdText(tier.notionalFloor),
      leverageMax: tier.leverageMax,
      initialMarginRate: ppmText(tier.initialRatePpm),
      maintenanceMarginRate: ppmText(tier.maintenanceRatePpm),
      maintenanceAmount: usdText(tier.maintenanceAmount),
    })),
    markPrice: price(grid, perpMarket.markPrice),
    indexPrice: price(grid, perpMarket.indexPrice),
    referencePrice: price(grid, market.referencePrice),
    openInterest: size(grid, perpMarket.longLots),
    ...(spec.priceIncrementTicks === undefined ? {} : { priceIncrement: price(grid, spec.priceIncrementTicks) }),
    ...(spec.riskLimits === undefined
      ? {}
      : {
          riskLimits: {
            openInterestMax: usdText(spec.riskLimits.openInterestMax),
            positionNotionalMax: usdText(spec.riskLimits.positionNotionalMax),
            orderNotionalMax: usdText(spec.riskLimits.orderNotionalMax),
            concentrationMax: ppmText(spec.riskLimits.concentrationPpm),
            concentrationOpenInterestMin: usdText(spec.riskLimits.concentrationOpenInterestMin),
          },
        }),
  };
}

/** The aggregated book (L2), best levels first, `depth` levels a side. */
export function bookView(exchange: Exchange, symbol: string, depth: number): Record<string, unknown> {
  const market = exchange.engine.market(symbol)!;
  const grid = gridOf(exchange, symbol);
  const side = (levels: readonly { price: number; totalLots: number; orderCount: number }[]): string[][] => {
    const result: string[][] = [];
    for (let at = levels.length - 1; at >= 0 && result.length < depth; at -= 1) {
      const level = levels[at]!;
      result.push([price(grid, level.price), size(grid, level.totalLots), String(level.orderCount)]);
    }
    return result;
  };
  return { market: symbol, sequence: exchange.engine.lastSequence, time: exchange.engine.lastTime.toString(), bids: side(market.bids.levels), asks: side(market.asks.levels) };
}

export function tradeView(grid: Grid, market: string, trade: TradeRecord): Record<string, unknown> {
  return {
    id: uuidV7({ timeNs: trade.time, sequence: trade.sequence, index: trade.index, kind: "trade" }),
    market,
    price: price(grid, trade.price),
    size: size(grid, trade.size),
    takerSide: trade.takerSide,
    time: trade.time.toString(),
    sequence: trade.sequence,
  };
}

export function candleView(grid: Grid, candle: Candle): Record<string, unknown> {
  return {
    start: candle.startMs,
    open: price(grid, candle.open),
    high: price(grid, candle.high),
    low: price(grid, candle.low),
    close: price(grid, candle.close),
    volume: size(grid, candle.volumeLots),
    trades: candle.trades,
  };
}

export function markView(grid: Grid, mark: MarkRecord): Record<string, unknown> {
  return { time: mark.time.toString(), markPrice: price(grid, mark.markPrice), indexPrice: price(grid, mark.indexPrice), basis: ppbText(mark.basisPpb) };
}

export function fundingView(grid: Grid, funding: FundingRecord): Record<string, unknown> {
  return { time: funding.time.toString(), rate: ppbText(funding.ratePpb), markPrice: price(grid, funding.markPrice) };
}

/** Last price, best bid and ask, 24-hour statistics, mark, index and open interest. */
export function tickerView(exchange: Exchange, perpMarket: PerpMarket, history: MarketHistory, nowMs: number): Record<string, unknown> {
  const market = exchange.engine.markets[perpMarket.index]!;
  const grid = gridOf(exchange, market.symbol);
  const last = history.trades.last();
  const daily = history.daily(nowMs);
  const bid = market.bids.best();
  const ask = market.asks.best();
  const funding = history.funding.last();
  return {
    market: market.symbol,
    lastPrice: last === undefined ? null : price(grid, last.price),
    bestBid: bid === undefined ? null : price(grid, bid.price),
    bestBidSize: bid === undefined ? null : size(grid, bid.totalLots),
    bestAsk: ask === undefined ? null : price(grid, ask.price),
    bestAskSize: ask === undefined ? null : size(grid, ask.totalLots),
    open24h: daily.open === null ? null : price(grid, daily.open),
    high24h: daily.high === null ? null : price(grid, daily.high),
    low24h: daily.low === null ? null : price(grid, daily.low),
    volume24h: size(grid, daily.volumeLots),
    trades24h: daily.trades,
    markPrice: price(grid, perpMarket.markPrice),
    indexPrice: price(grid, perpMarket.indexPrice),
    lastFundingRate: funding === undefined ? null : ppbText(funding.ratePpb),
    openInterest: size(grid, perpMarket.longLots),
  };
}

/** An order record on the wire. */
export function orderView(exchange: Exchange, order: OrderRecord): Record<string, unknown> {
  const grid = gridOf(exchange, order.market);
  return {
    orderId: orderIdOf(order.orderId, order.createdAt),
    market: order.market,
    side: order.side,
    orderType: order.orderType,
    price: order.price === 0 ? null : price(grid, order.price),
    size: size(grid, order.size),
    filled: size(grid, order.filled),
    remaining: size(grid, order.remaining),
    timeInForce: order.timeInForce,
    postOnly: order.postOnly,
    reduceOnly: order.reduceOnly,
    clientOrderId: order.clientOrderId,
    expiresAt: order.expiresAt === null ? null : order.expiresAt.toString(),
    status: order.status,
    reason: order.reason,
    createdAt: order.createdAt.toString(),
    updatedAt: order.updatedAt.toString(),
  };
}

export function fillView(exchange: Exchange, fill: FillRecord): Record<string, unknown> {
  const grid = gridOf(exchange, fill.market);
  return {
    tradeId: uuidV7({ timeNs: fill.time, sequence: fill.sequence, index: fill.tradeIndex, kind: "trade" }),
    orderId: orderIdOf(fill.orderId, fill.orderCreatedAt),
    market: fill.market,
    side: fill.side,
    price: price(grid, fill.price),
    size: size(grid, fill.size),
    liquidity: fill.maker ? "maker" : "taker",
    fee: formatQuote(fill.fee),
    time: fill.time.toString(),
  };
}

/** Balances, collateral value, equity, margin and health of an account (null: never deposited). */
export function accountSummaryView(exchange: Exchange, address: string): Record<string, unknown> | null {
  const view = accountView(exchange, address);
  if (view === null) return null;
  return {
    account: view.address,
    status: view.status,
    balances: {
      USDC: formatQuote(view.balances.USDC),
      USDT: formatUnits(view.balances.USDT, 6),
      DAI: formatUnits(view.balances.DAI, 18),
    },
    collateralValue: formatQuote(view.collateralValue),
    crossEquity: formatQuote(view.crossEquity),
    crossInitialMargin: formatQuote(view.crossInitialMargin),
    crossMaintenanceMargin: formatQuote(view.crossMaintenanceMargin),
    reservedMargin: formatQuote(view.reserved),
    freeCollateral: formatQuote(view.freeCollateral),
    withdrawable: formatQuote(view.withdrawable),
    marginRatio: view.marginRatioPpm === null ? null : ppmText(view.marginRatioPpm),
    health: view.health,
  };
}

/**
 * Positions with liquidation price, margin ratio, health and ADL rank (1 = first to be deleveraged
 * among the market's positions on the same side, SPEC 06 §8: highest profit × leverage first).
 */
export function positionsView(exchange: Exchange, address: string): Record<string, unknown>[] {
  const view = accountView(exchange, address);
  if (view === null) return [];
  return view.positions
    .filter((position) => position.size !== 0 || position.margin !== 0)
    .map((position) => {
      const grid = gridOf(exchange, position.market);
      return {
        market: position.market,
        side: position.size > 0 ? "long" : position.size < 0 ? "short" : "flat",
        size: signedSize(grid, position.size),
        marginMode: position.mode,
        leverage: position.leverage,
        entryPrice: position.entryPrice === 0 ? null : price(grid, position.entryPrice),
        markPrice: price(grid, position.markPrice),
        notional: formatQuote(position.notional),
        unrealizedPnl: formatQuote(position.unrealizedPnl),
        realizedPnl: formatQuote(position.realizedPnl),
        margin: formatQuote(position.margin),
        initialMargin: formatQuote(position.initialMargin),
        maintenanceMargin: formatQuote(position.maintenanceMargin),
        fundingPending: formatQuote(position.fundingPending),
        marginRatio: position.marginRatioPpm === null ? null : ppmText(position.marginRatioPpm),
        health: position.health,
        liquidationPrice: position.liquidationPrice === null ? null : price(grid, position.liquidationPrice),
        adlRank: adlRank(exchange, address, position.market, position.size),
      };
    });
}

// SPEC 06 §8 ranking: profit ratio × effective leverage, highest first, among positions on one side.
function adlRank(exchange: Exchange, address: string, symbol: string, sizeLots: number): number | null {
  if (sizeLots === 0) return null;
  const market = exchange.engine.market(symbol)!;
  const perpMarket = exchange.perpMarkets[market.index]!;
  const score = (position: { size: number; entryNotional: number; margin: number; leverage: number }): number => {
    const value = Math.abs(position.size) * perpMarket.markPrice * perpMarket.quotePerTickLot;
    const pnl = position.size > 0 ? value - position.entryNotional : position.entryNotional - value;
    return (pnl / Math.max(1, position.entryNotional)) * position.leverage;
  };
  let mine = 0;
  const scores: number[] = [];
  for (const position of exchange.positionsByKey.values()) {
    if (position.market.index !== market.index || Math.sign(position.size) !== Math.sign(sizeLots)) continue;
    const value = score(position);
    scores.push(value);
    if (position.account.address === address) mine = value;
  }
  return 1 + scores.filter((value) => value > mine).length;
}
