// The shapes of the /v1 REST answers, as the server's views write them (packages/api/src/views.ts).
// Every price, size and amount is a decimal string; exchange times are nanosecond decimal strings. The
// account views and the candle are @perpdex/protocol's (the WebSocket channels carry the same shapes).
import type { AccountSummaryView, FillView, OrderView, PositionView, WsCandle } from "@perpdex/protocol";

/**
 * A market with all its parameters and its current prices (`GET /v1/markets`).
 *
 * @example
 * const { markets } = await client.markets();
 * const btc: Market | undefined = markets.find((market) => market.symbol === "BTC-PERP");
 */
export interface Market {
  readonly symbol: string;
  readonly assetClass: string;
  readonly tickSize: string;
  readonly lotSize: string;
  readonly minOrderSize: string;
  readonly maxOrderSize: string;
  readonly priceBand: string;
  readonly marketOrderSlippage: string;
  readonly marginProfile: string;
  readonly leverageMax: number;
  readonly leverageDefault: number;
  readonly markPrice: string;
  readonly indexPrice: string;
  readonly referencePrice: string;
  readonly openInterest: string;
  readonly [field: string]: unknown;
}

/**
 * The aggregated book: `[price, size, orderCount]` levels, best first (`GET /v1/markets/:market/book`).
 *
 * @example
 * const book: BookDepth = await client.book("BTC-PERP", { depth: 10 });
 * const [bestBidPrice, bestBidSize] = book.bids[0] ?? [];
 */
export interface BookDepth {
  readonly market: string;
  readonly sequence: number;
  readonly time: string;
  readonly bids: readonly (readonly [string, string, string])[];
  readonly asks: readonly (readonly [string, string, string])[];
}

/**
 * A public trade (`side` is the taker's).
 *
 * @example
 * const { trades } = await client.trades("BTC-PERP", { limit: 20 });
 * const last: Trade | undefined = trades[0];
 */
export interface Trade {
  readonly id: string;
  readonly market: string;
  readonly price: string;
  readonly size: string;
  readonly takerSide: "buy" | "sell";
  readonly time: string;
  readonly sequence: number;
}

/**
 * An OHLCV candle (`start`: ms since the epoch): the REST candles and the `candles` channel share it.
 *
 * @example
 * const { candles } = await client.candles("BTC-PERP", { interval: "1h" });
 * const latest: Candle | undefined = candles.at(-1);
 */
export type Candle = WsCandle;

/**
 * A market's ticker (`GET /v1/markets/:market/ticker`).
 *
 * @example
 * const ticker: Ticker = await client.ticker("ETH-PERP");
 * console.log(ticker.markPrice, ticker.lastFundingRate);
 */
export interface Ticker {
  readonly market: string;
  readonly lastPrice: string | null;
  readonly bestBid: string | null;
  readonly bestBidSize: string | null;
  readonly bestAsk: string | null;
  readonly bestAskSize: string | null;
  readonly volume24h: string;
  readonly markPrice: string;
  readonly indexPrice: string;
  readonly lastFundingRate: string | null;
  readonly openInterest: string;
  readonly [field: string]: unknown;
}

/**
 * An order as the account's order list and the `orders` channel show it.
 *
 * @example
 * const { orders } = await client.orders({ status: "open" });
 * const open: Order[] = orders.filter((order) => order.status === "open");
 */
export type Order = OrderView;

/**
 * One fill of one of the account's orders (fee in USD; negative: a rebate).
 *
 * @example
 * const { items } = await client.fills({ limit: 50 });
 * const fees = items.map((fill: Fill) => fill.fee);
 */
export type Fill = FillView;

/**
 * A position with its liquidation price, margin ratio, health and ADL rank (`size` is signed).
 *
 * @example
 * const { positions } = await client.positions();
 * for (const position of positions) console.log(position.market, position.size, position.liquidationPrice);
 */
export type Position = PositionView;

/**
 * Balances and collateral value of the signing account (`GET /v1/account`).
 *
 * @example
 * const account: AccountSummary = await client.account();
 * console.log(account.balances.USDC, account.freeCollateral);
 */
export type AccountSummary = AccountSummaryView;

/**
 * The outcome of one order of a placement (`results[i]` of `POST /v1/orders`).
 *
 * @example
 * const [result] = await client.placeOrders([{ market: "BTC-PERP", side: "buy", orderType: "limit", price: "90000", size: "0.01" }]);
 * if (result?.ok) console.log(result.orderId, result.status);
 */
export interface OrderResult {
  readonly orderId: string;
  readonly clientOrderId?: string;
  readonly ok: boolean;
  readonly status: "open" | "partiallyFilled" | "filled" | "canceled" | "expired" | "rejected";
  readonly filled?: string;
  readonly remaining?: string;
  readonly averagePrice?: string | null;
  readonly code?: string;
  readonly message?: string;
  readonly details?: Readonly<Record<string, string>>;
}

/**
 * What every signed action answers besides its own fields: the command's sequence and exchange time.
 *
 * @example
 * const answer: ActionAnswer = await client.cancelAll({ market: "BTC-PERP" });
 * console.log(answer.sequence);
 */
export interface ActionAnswer {
  readonly sequence: number;
  readonly time: string;
  readonly [field: string]: unknown;
}
