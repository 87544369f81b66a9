// The account views of the /v1 API, shared by REST (`GET /v1/account/orders`, `/fills`, `/positions`,
// `/v1/account`) and the private WebSocket channels (`orders`, `fills`, `positions`, `balances`), which
// carry the same views (packages/api/src/views.ts writes them). Every price, size and amount is a
// decimal string; exchange times are nanosecond decimal strings; ids are UUIDv7 (docs/ARCHITECTURE.md).

/**
 * An order as the account's order list, the place response's id and the `orders` channel show it.
 *
 * @example
 * ```ts
 * import type { OrderView } from "@perpdex/protocol";
 * const isLive = (order: OrderView): boolean => order.status === "open" || order.status === "partiallyFilled";
 * ```
 */
export type OrderView = {
  readonly orderId: string;
  readonly market: string;
  readonly side: "buy" | "sell";
  readonly orderType: "limit" | "market";
  readonly price: string | null;
  readonly size: string;
  readonly filled: string;
  readonly remaining: string;
  readonly timeInForce: string;
  readonly postOnly: boolean;
  readonly reduceOnly: boolean;
  readonly clientOrderId: string | null;
  readonly expiresAt: string | null;
  readonly status: "open" | "partiallyFilled" | "filled" | "canceled" | "expired" | "rejected";
  readonly reason: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
};

/**
 * One fill of one of the account's orders. `orderId` is the order's own id (the one its place response
 * gave); `fee` is in USD, negative for a rebate.
 *
 * @example
 * ```ts
 * import type { FillView } from "@perpdex/protocol";
 * const paid = (fills: readonly FillView[]): number => fills.reduce((sum, fill) => sum + Number(fill.fee), 0);
 * ```
 */
export type FillView = {
  readonly tradeId: string;
  readonly orderId: string;
  readonly market: string;
  readonly side: "buy" | "sell";
  readonly price: string;
  readonly size: string;
  readonly liquidity: "maker" | "taker";
  readonly fee: string;
  readonly time: string;
};

/**
 * A position with its liquidation price, margin ratio, health and ADL rank (`size` is signed).
 *
 * @example
 * ```ts
 * import type { PositionView } from "@perpdex/protocol";
 * const isShort = (position: PositionView): boolean => position.side === "short";
 * ```
 */
export type PositionView = {
  readonly market: string;
  readonly side: "long" | "short" | "flat";
  readonly size: string;
  readonly marginMode: "isolated" | "cross";
  readonly leverage: number;
  readonly entryPrice: string | null;
  readonly markPrice: string;
  readonly notional: string;
  readonly unrealizedPnl: string;
  readonly realizedPnl: string;
  readonly margin: string;
  readonly initialMargin: string;
  readonly maintenanceMargin: string;
  readonly fundingPending: string;
  readonly marginRatio: string | null;
  readonly health: string;
  readonly liquidationPrice: string | null;
  readonly adlRank: number | null;
};

/**
 * Balances, collateral value, equity, margin and health of an account (`GET /v1/account`, the
 * `balances` channel).
 *
 * @example
 * ```ts
 * import type { AccountSummaryView } from "@perpdex/protocol";
 * const cash = (summary: AccountSummaryView): string => summary.balances.USDC;
 * ```
 */
export type AccountSummaryView = {
  readonly account: string;
  readonly status: string;
  readonly balances: { readonly USDC: string; readonly USDT: string; readonly DAI: string };
  readonly collateralValue: string;
  readonly crossEquity: string;
  readonly crossInitialMargin: string;
  readonly crossMaintenanceMargin: string;
  readonly reservedMargin: string;
  readonly freeCollateral: string;
  readonly withdrawable: string;
  readonly marginRatio: string | null;
  readonly health: string;
};
