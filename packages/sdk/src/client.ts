// The REST client: every /v1 route, public reads, signed reads (a Login signature in X-Perpdex-*
// headers) and signed actions (the fields, nonce and signature in the body).
import type { CancelRequest, OrderRequest, WsCandleInterval } from "@perpdex/protocol";
import { PerpdexError } from "./errors.ts";
import { HttpTransport } from "./http.ts";
import { createSigner, signedBody, type Signer } from "./signer.ts";
import type { AccountSummary, ActionAnswer, BookDepth, Candle, Fill, Market, Order, OrderResult, Position, Ticker, Trade } from "./types.ts";

/**
 * Options of `PerpdexClient`.
 *
 * @example
 * const client = new PerpdexClient({ url: "http://127.0.0.1:8080", privateKey: process.env.PERPDEX_PRIVATE_KEY as `0x${string}` });
 */
export interface PerpdexClientOptions {
  /** Default http://127.0.0.1:8080. */
  readonly url?: string;
  /** The key private calls sign with (the wallet, or an agent key with `account`). */
  readonly privateKey?: `0x${string}`;
  /** The account an agent key acts for. */
  readonly account?: string;
  /** A signer made elsewhere (instead of `privateKey`). */
  readonly signer?: Signer;
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

/**
 * Paging and filters of the account's lists.
 *
 * @example
 * const { items } = await client.fills({ limit: 20, market: "BTC-PERP" } satisfies ListOptions);
 */
export interface ListOptions {
  readonly limit?: number;
  readonly market?: string;
}

/**
 * A typed client for the perpdex REST API /v1.
 *
 * @example
 * const client = new PerpdexClient({ url: "http://127.0.0.1:8080", privateKey });
 * await client.faucet({ amount: "10000" });
 * const [placed] = await client.placeOrders([{ market: "BTC-PERP", side: "buy", orderType: "limit", price: "90000", size: "0.01" }]);
 * await client.cancelOrder({ market: "BTC-PERP", orderId: placed!.orderId });
 */
export class PerpdexClient {
  readonly http: HttpTransport;
  readonly signer: Signer | null;

  constructor(options: PerpdexClientOptions = {}) {
    this.http = new HttpTransport({
      url: options.url ?? "http://127.0.0.1:8080",
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    });
    this.signer = options.signer ?? (options.privateKey === undefined ? null : createSigner({ privateKey: options.privateKey, ...(options.account === undefined ? {} : { account: options.account }) }));
  }

  /** The signing account (lowercase), or throws when the client has no key. */
  get account(): string {
    return this.mustSigner().account;
  }

  private mustSigner(): Signer {
    if (this.signer === null) throw new PerpdexError({ code: "SIGNER_MISSING", message: "this call is private: create the client with a privateKey" });
    return this.signer;
  }

  // ---- public market data ----

  /** The server's health (SPEC 09 §11.1): status, node sequence and journal lag. @example const { status } = await client.health(); */
  health(): Promise<{ status: string; [field: string]: unknown }> {
    return this.http.request("GET", "/health");
  }

  /** Server and exchange time. @example const { serverTimeMs, sequence } = await client.time(); */
  time(): Promise<{ serverTimeMs: number; exchangeTime: string; sequence: number }> {
    return this.http.request("GET", "/v1/time");
  }

  /** Every market with its parameters. @example const { markets } = await client.markets(); */
  markets(): Promise<{ markets: Market[] }> {
    return this.http.request("GET", "/v1/markets");
  }

  /** One market. @example const btc = await client.market("BTC-PERP"); */
  market(symbol: string): Promise<Market> {
    return this.http.request("GET", `/v1/markets/${encodeURIComponent(symbol)}`);
  }

  /** The aggregated book, `depth` levels a side (1..500, default 50). @example const book = await client.book("ETH-PERP", { depth: 5 }); */
  book(symbol: string, options: { depth?: number } = {}): Promise<BookDepth> {
    return this.http.request("GET", `/v1/markets/${encodeURIComponent(symbol)}/book`, { query: { depth: options.depth } });
  }

  /** Recent trades, newest first. @example const { trades } = await client.trades("BTC-PERP", { limit: 10 }); */
  trades(symbol: string, options: { limit?: number } = {}): Promise<{ market: string; trades: Trade[] }> {
    return this.http.request("GET", `/v1/markets/${encodeURIComponent(symbol)}/trades`, { query: { limit: options.limit } });
  }

  /** Candles, oldest first. @example const { candles } = await client.candles("BTC-PERP", { interval: "5m", limit: 100 }); */
  candles(symbol: string, options: { interval?: WsCandleInterval; limit?: number } = {}): Promise<{ market: string; interval: string; candles: Candle[] }> {
    return this.http.request("GET", `/v1/markets/${encodeURIComponent(symbol)}/candles`, { query: { interval: options.interval, limit: options.limit } });
  }

  /** Every market's ticker. @example const { tickers } = await client.tickers(); */
  tickers(): Promise<{ tickers: Ticker[] }> {
    return this.http.request("GET", "/v1/tickers");
  }

  /** One market's ticker. @example const { markPrice } = await client.ticker("SPY-PERP"); */
  ticker(symbol: string): Promise<Ticker> {
    return this.http.request("GET", `/v1/markets/${encodeURIComponent(symbol)}/ticker`);
  }

  /** Mark, index and the last funding now. @example const { markPrice, lastFunding } = await client.prices("BTC-PERP"); */
  prices(symbol: string): Promise<{ market: string; markPrice: string; indexPrice: string; lastFunding: { time: string; rate: string; markPrice: string } | null; time: string }> {
    return this.http.request("GET", `/v1/markets/${encodeURIComponent(symbol)}/prices`);
  }

  /** Mark and index history, newest first. @example const { prices } = await client.priceHistory("BTC-PERP", { limit: 60 }); */
  priceHistory(symbol: string, options: { limit?: number } = {}): Promise<{ market: string; prices: { time: string; markPrice: string; indexPrice: string; basis: string }[] }> {
    return this.http.request("GET", `/v1/markets/${encodeURIComponent(symbol)}/prices/history`, { query: { limit: options.limit } });
  }

  /** Funding settlements, newest first. @example const { funding } = await client.fundingHistory("BTC-PERP"); */
  fundingHistory(symbol: string, options: { limit?: number } = {}): Promise<{ market: string; funding: { time: string; rate: string; markPrice: string }[] }> {
    return this.http.request("GET", `/v1/markets/${encodeURIComponent(symbol)}/funding`, { query: { limit: options.limit } });
  }

  /** Open interest. @example const { openInterest } = await client.openInterest("BTC-PERP"); */
  openInterest(symbol: string): Promise<{ market: string; openInterest: string; openInterestNotional: string }> {
    return this.http.request("GET", `/v1/markets/${encodeURIComponent(symbol)}/open-interest`);
  }

  /** The insurance fund and the fee treasury. @example const { balance } = await client.insuranceFund(); */
  insuranceFund(): Promise<{ balance: string; feeTreasury: string; time: string }> {
    return this.http.request("GET", "/v1/insurance-fund");
  }

  /** The governance and administration log. @example const { actions } = await client.adminLog({ limit: 20 }); */
  adminLog(options: { limit?: number } = {}): Promise<{ actions: { sequence: number; time: string; type: string; ok: boolean; code: string | null; command: Record<string, unknown> }[] }> {
    return this.http.request("GET", "/v1/admin-log", { query: { limit: options.limit } });
  }

  // ---- development ----

  /** Development mode only: credits test collateral (default 10,000 USDC to the signing account). @example await client.faucet({ amount: "5000" }); */
  faucet(options: { address?: string; asset?: "USDC" | "USDT" | "DAI"; amount?: string } = {}): Promise<{ ok: boolean; sequence: number; account: string; asset: string; amount: string }> {
    const address = options.address ?? this.account;
    return this.http.request("POST", "/v1/dev/faucet", { body: { address, ...(options.asset === undefined ? {} : { asset: options.asset }), ...(options.amount === undefined ? {} : { amount: options.amount }) } });
  }

  // ---- signed reads ----

  private async readHeaders(): Promise<Record<string, string>> {
    const signer = this.mustSigner();
    const signed = await signer.sign("Login", { account: signer.account });
    return {
      "x-perpdex-account": signer.account,
      "x-perpdex-nonce": String(signed.nonce),
      "x-perpdex-signature": signed.signature,
      ...(signed.signer === undefined ? {} : { "x-perpdex-signer": signed.signer }),
    };
  }

  private async privateGet<Result>(path: string, query: Readonly<Record<string, string | number | undefined>> = {}): Promise<Result> {
    return this.http.request("GET", path, { query, headers: await this.readHeaders() });
  }

  /** Balances, collateral value, equity, free collateral and health. @example const { balances } = await client.accountSummary(); */
  accountSummary(): Promise<AccountSummary> {
    return this.privateGet("/v1/account");
  }

  /** Positions with liquidation price, margin ratio, health and ADL rank. @example const { positions } = await client.positions(); */
  positions(): Promise<{ account: string; positions: Position[] }> {
    return this.privateGet("/v1/account/positions");
  }

  /** Open and past orders. @example const { orders } = await client.orders({ status: "open", market: "BTC-PERP" }); */
  orders(options: ListOptions & { status?: "open" | "closed" | "all" } = {}): Promise<{ account: string; orders: Order[] }> {
    return this.privateGet("/v1/account/orders", { limit: options.limit, market: options.market, status: options.status });
  }

  /** One order by id. @example const order = await client.order(orderId); */
  order(orderId: string): Promise<Order> {
    return this.privateGet(`/v1/account/orders/${encodeURIComponent(orderId)}`);
  }

  /** The account's fills, newest first. @example const { items } = await client.fills({ limit: 20 }); */
  fills(options: ListOptions = {}): Promise<{ account: string; items: Fill[] }> {
    return this.privateGet("/v1/account/fills", { limit: options.limit, market: options.market });
  }

  /** Funding payments. @example const { items } = await client.fundingPayments(); */
  fundingPayments(options: ListOptions = {}): Promise<{ account: string; items: Record<string, unknown>[] }> {
    return this.privateGet("/v1/account/funding", { limit: options.limit, market: options.market });
  }

  /** Liquidations of the account. @example const { items } = await client.liquidations(); */
  liquidations(options: ListOptions = {}): Promise<{ account: string; items: Record<string, unknown>[] }> {
    return this.privateGet("/v1/account/liquidations", { limit: options.limit });
  }

  /** Withdrawals. @example const { items } = await client.withdrawals(); */
  withdrawals(options: ListOptions = {}): Promise<{ account: string; items: Record<string, unknown>[] }> {
    return this.privateGet("/v1/account/withdrawals", { limit: options.limit });
  }

  /** Deposits. @example const { items } = await client.deposits(); */
  deposits(options: ListOptions = {}): Promise<{ account: string; items: Record<string, unknown>[] }> {
    return this.privateGet("/v1/account/deposits", { limit: options.limit });
  }

  /** Agent keys the account approved. @example const { agents } = await client.agents(); */
  agents(): Promise<{ account: string; agents: Record<string, unknown>[] }> {
    return this.privateGet("/v1/account/agents");
  }

  // ---- signed actions ----

  private async action<Result>(path: string, type: Parameters<Signer["sign"]>[0], fields: Record<string, unknown>): Promise<Result> {
    const signer = this.mustSigner();
    const signed = await signer.sign(type, { account: signer.account, ...fields } as never);
    return this.http.request("POST", path, { body: signedBody(signed) });
  }

  /**
   * Places orders under one signature (up to the server's batch limit); each has its own result.
   *
   * @example
   * const results = await client.placeOrders([
   *   { market: "BTC-PERP", side: "buy", orderType: "limit", price: "90000", size: "0.01", postOnly: true },
   *   { market: "BTC-PERP", side: "sell", orderType: "limit", price: "99000", size: "0.01", postOnly: true },
   * ]);
   */
  async placeOrders(orders: readonly OrderRequest[]): Promise<OrderResult[]> {
    const answer = await this.action<ActionAnswer & { results: OrderResult[] }>("/v1/orders", "PlaceOrders", { orders });
    return answer.results;
  }

  /**
   * Places one order; a refusal throws (e.g. `PerpdexRejectedError` MARGIN_INSUFFICIENT).
   *
   * @example
   * const placed = await client.placeOrder({ market: "ETH-PERP", side: "sell", orderType: "market", size: "0.5" });
   */
  async placeOrder(order: OrderRequest): Promise<OrderResult> {
    const [result] = await this.placeOrders([order]);
    if (result === undefined) throw new PerpdexError({ code: "RESPONSE_INVALID", message: "the server answered a placement without a result" });
    return result;
  }

  /** Cancels orders by id or client order id. @example await client.cancelOrders([{ market: "BTC-PERP", clientOrderId: "grid-1" }]); */
  cancelOrders(cancels: readonly CancelRequest[]): Promise<ActionAnswer> {
    return this.action("/v1/orders/cancel", "CancelOrders", { cancels });
  }

  /** Cancels one order. @example await client.cancelOrder({ market: "BTC-PERP", orderId }); */
  cancelOrder(cancel: CancelRequest): Promise<ActionAnswer> {
    return this.cancelOrders([cancel]);
  }

  /** Cancels every open order (of one market). @example await client.cancelAll({ market: "BTC-PERP" }); */
  cancelAll(options: { market?: string } = {}): Promise<ActionAnswer> {
    return this.action("/v1/orders/cancel-all", "CancelAll", options.market === undefined ? {} : { market: options.market });
  }

  /** Cancels an order and places another atomically. @example await client.cancelReplace({ market: "BTC-PERP", orderId }, { ...order, price: "90100" }); */
  cancelReplace(replaces: CancelRequest, order: OrderRequest): Promise<ActionAnswer> {
    return this.action("/v1/orders/cancel-replace", "CancelReplace", { replaces, order });
  }

  /** Cancels, then places, under one signature. @example await client.batch({ cancels: [{ market: "BTC-PERP", orderId }], orders: [order] }); */
  batch(parameters: { cancels?: readonly CancelRequest[]; orders?: readonly OrderRequest[] }): Promise<ActionAnswer> {
    return this.action("/v1/batch", "Batch", { cancels: parameters.cancels ?? [], orders: parameters.orders ?? [] });
  }

  /** Sets a market's leverage. @example await client.setLeverage({ market: "BTC-PERP", leverage: 5 }); */
  setLeverage(parameters: { market: string; leverage: number }): Promise<ActionAnswer> {
    return this.action("/v1/account/leverage", "SetLeverage", parameters);
  }

  /** Chooses isolated or cross margin for a market. @example await client.setMarginMode({ market: "BTC-PERP", mode: "cross" }); */
  setMarginMode(parameters: { market: string; mode: "isolated" | "cross" }): Promise<ActionAnswer> {
    return this.action("/v1/account/margin-mode", "SetMarginMode", parameters);
  }

  /** Adds (positive) or removes (negative) isolated margin, USD. @example await client.adjustMargin({ market: "BTC-PERP", amount: "250" }); */
  adjustMargin(parameters: { market: string; amount: string }): Promise<ActionAnswer> {
    return this.action("/v1/account/margin", "AdjustMargin", parameters);
  }

  /** Withdraws collateral. @example await client.withdraw({ asset: "USDC", amount: "100" }); */
  withdraw(parameters: { asset: "USDC" | "USDT" | "DAI"; amount: string }): Promise<ActionAnswer> {
    return this.action("/v1/withdrawals", "Withdraw", parameters);
  }

  /**
   * Approves an agent key: named, expiring, optionally limited to markets and a maximum order notional.
   *
   * @example
   * await client.approveAgent({ agent: botAddress, name: "grid bot", expiresAt: Date.now() + 86_400_000, markets: ["BTC-PERP"], maxOrderNotional: "5000" });
   */
  approveAgent(parameters: { agent: string; name: string; expiresAt: number; markets?: readonly string[]; maxOrderNotional?: string }): Promise<ActionAnswer> {
    return this.action("/v1/agents", "ApproveAgent", { ...parameters, agent: parameters.agent.toLowerCase() });
  }

  /** Revokes an agent key. @example await client.revokeAgent({ agent: botAddress }); */
  revokeAgent(parameters: { agent: string }): Promise<ActionAnswer> {
    return this.action("/v1/agents/revoke", "RevokeAgent", { agent: parameters.agent.toLowerCase() });
  }
}
