import type { Account } from "../accounts.ts";
import type { Exchange } from "../exchange.ts";
import { cashValue, collateralAssets, tokenValue, type CollateralPrices } from "./collateral.ts";
import { feeForValues, feeScheduleSpec } from "./fee-schedule.ts";
import { multiplyDivideValues, notional, type QuoteUnits } from "./fixed-point.ts";
import { initialMargin, initialMarginValues, maintenanceMargin } from "./margin-tiers.ts";
import type { PerpMarket } from "./perp-market.ts";
import type { Position } from "./position.ts";

// How much an account can still commit, and what its open orders hold. Cross positions share the
// account's collateral: their unrealised PnL counts and their initial margin (at mark) is set aside.
// Isolated positions already moved their margin out of cash, so they do not appear here.

/** Value of the account's collateral at current prices, µUSD (token part cached per price epoch). */
export function collateralValue(account: Account, prices: CollateralPrices): QuoteUnits {
  if (account.tokenValueEpoch !== prices.epoch) {
    let value = 0;
    for (let asset = 1; asset < collateralAssets.length; asset += 1) {
      value += tokenValue(collateralAssets[asset]!, account.tokens[asset]!, prices);
    }
    account.tokenValue = value;
    account.tokenValueEpoch = prices.epoch;
  }
  return cashValue(account.cash, prices) + account.tokenValue;
}

/** size × mark − signed entry, µUSD. */
export function unrealizedPnl(position: Position, perpMarket: PerpMarket): QuoteUnits {
  return unrealizedPnlAt(position, markNotional(position, perpMarket));
}

/**
 * unrealizedPnl − positionMaintenance, µUSD, from one mark notional: what a position adds to (or takes
 * from) the equity above its maintenance margin. The liquidation checks need exactly this.
 */
export function pnlOverMaintenance(position: Position, perpMarket: PerpMarket): QuoteUnits {
  const value = markNotional(position, perpMarket);
  return unrealizedPnlAt(position, value) - maintenanceMargin(value, perpMarket.profile);
}

function unrealizedPnlAt(position: Position, value: QuoteUnits): QuoteUnits {
  return (position.size >= 0 ? value : -value) - position.signedEntry;
}

export function markNotional(position: Position, perpMarket: PerpMarket): QuoteUnits {
  return notional(perpMarket.markPrice, Math.abs(position.size), perpMarket.quotePerTickLot);
}

/**
 * Collateral free for new orders: collateral value + cross unrealised PnL − cross initial margin −
 * reservations of open orders. Negative when the account is over-committed.
 */
export function freeCollateral(account: Account, exchange: Exchange): QuoteUnits {
  let free = collateralValue(account, exchange.prices) - account.reserved;
  const positions = account.positions;
  for (let at = 0; at < positions.length; at += 1) {
    const position = positions[at]!;
    if (position.mode !== "cross" || position.size === 0) continue;
    const perpMarket = exchange.perpMarkets[position.market.index]!;
    free += unrealizedPnl(position, perpMarket);
    free -= initialMargin({ notional: markNotional(position, perpMarket), leverage: position.leverage });
  }
  return free;
}

/**
 * What may leave the account: like free collateral, but unrealised profits do not count (only losses),
 * so an open winner never funds a withdrawal its next price move could take back. Rounded down.
 */
export function withdrawable(account: Account, exchange: Exchange): QuoteUnits {
  let free = collateralValue(account, exchange.prices) - account.reserved;
  const positions = account.positions;
  for (let at = 0; at < positions.length; at += 1) {
    const position = positions[at]!;
    if (position.mode !== "cross" || position.size === 0) continue;
    const perpMarket = exchange.perpMarkets[position.market.index]!;
    free += Math.min(0, unrealizedPnl(position, perpMarket));
    free -= initialMargin({ notional: markNotional(position, perpMarket), leverage: position.leverage });
  }
  return free;
}

/**
 * What a change to `position`'s margin may draw on: free collateral for a cross position, what is
 * withdrawable for an isolated one, whose margin leaves the cross pool as a withdrawal would (unrealised
 * cross profit must not fund it, or cash would owe what only a paper gain backs).
 *
 * @example
 * if (required > marginAvailable(position, exchange)) return marginInsufficient(required, available);
 */
export function marginAvailable(position: Position, exchange: Exchange): QuoteUnits {
  return position.mode === "cross" ? freeCollateral(position.account, exchange) : withdrawable(position.account, exchange);
}

/** What orderMargin reads of a position: its size, leverage and the totals of its open orders. */
export type OrderTotals = Pick<Position, "size" | "leverage" | "buyLots" | "buyNotional" | "sellLots" | "sellNotional">;

/**
 * Initial margin (and the maker fee) the position's open orders could need: for each side, the lots that
 * would increase |position| if all of them filled (lots that first close the opposite position need
 * none), priced at their share of the side's order notional; the larger side counts, since both cannot
 * add exposure at once. `extra…` adds one incoming order (direction 1 buy, −1 sell) for a pre-trade check.
 */
export function orderMargin(
  position: OrderTotals,
  extraDirection = 0,
  extraLots = 0,
  extraNotional = 0,
): QuoteUnits {
  const buyLots = position.buyLots + (extraDirection > 0 ? extraLots : 0);
  const buyNotional = position.buyNotional + (extraDirection > 0 ? extraNotional : 0);
  const sellLots = position.sellLots + (extraDirection < 0 ? extraLots : 0);
  const sellNotional = position.sellNotional + (extraDirection < 0 ? extraNotional : 0);
  return orderMarginOf(position.size, position.leverage, buyLots, buyNotional, sellLots, sellNotional);
}

function orderMarginOf(
  size: number,
  leverage: number,
  buyLots: number,
  buyNotional: QuoteUnits,
  sellLots: number,
  sellNotional: QuoteUnits,
): QuoteUnits {
  const buyMargin = sideMargin(buyLots, buyNotional, Math.max(0, -size), leverage);
  const sellMargin = sideMargin(sellLots, sellNotional, Math.max(0, size), leverage);
  return Math.max(buyMargin, sellMargin);
}

/**
 * `orderMargin` that remembers its last inputs and result. A resting order's pre-trade check computes
 * the reservation its position will hold with the order, and once the order rests the refresh asks for
 * exactly that again; the second answer then costs six comparisons instead of up to five divisions.
 * It remembers a pure function, so every call returns what `orderMargin` returns.
 *
 * @example
 * const margins = new OrderMarginMemo();
 * margins.of(position, 1, order.size, orderNotional); // computed
 * margins.of(positionWithTheOrderResting); // remembered
 */
export class OrderMarginMemo {
  private size = 0;
  // No position has leverage 0: nothing matches until the first computation.
  private leverage = 0;
  private buyLots = 0;
  private buyNotional = 0;
  private sellLots = 0;
  private sellNotional = 0;
  private margin = 0;

  of(position: OrderTotals, extraDirection = 0, extraLots = 0, extraNotional = 0): QuoteUnits {
    const buyLots = position.buyLots + (extraDirection > 0 ? extraLots : 0);
    const buyNotional = position.buyNotional + (extraDirection > 0 ? extraNotional : 0);
    const sellLots = position.sellLots + (extraDirection < 0 ? extraLots : 0);
    const sellNotional = position.sellNotional + (extraDirection < 0 ? extraNotional : 0);
    const size = position.size;
    const leverage = position.leverage;
    if (
      leverage === this.leverage &&
      size === this.size &&
      buyLots === this.buyLots &&
      buyNotional === this.buyNotional &&
      sellLots === this.sellLots &&
      sellNotional === this.sellNotional
    ) {
      return this.margin;
    }
    const margin = orderMarginOf(size, leverage, buyLots, buyNotional, sellLots, sellNotional);
    this.size = size;
    this.leverage = leverage;
    this.buyLots = buyLots;
    this.buyNotional = buyNotional;
    this.sellLots = sellLots;
    this.sellNotional = sellNotional;
    this.margin = margin;
    return margin;
  }
}

/**
 * The maker fee reserved beside the margin of opening orders: the schedule's highest maker rate, so an
 * order that rests and fills later can pay its fee out of what it held (a per-account override above
 * that rate is not covered). Without it, resting orders could run an account into a debt that nothing
 * backs by trading alone.
 */
const makerFeeReservePpm = Math.max(0, ...feeScheduleSpec.tiers.map((tier) => tier.makerPpm));

function sideMargin(lots: number, sideNotional: QuoteUnits, closingLots: number, leverage: number): QuoteUnits {
  const increasing = lots - closingLots;
  if (increasing <= 0) return 0;
  // Usually nothing on this side closes the position: then the whole side adds exposure.
  // Positional forms: a parameters object exists at run time wherever the optimizer declines to inline.
  const increasingNotional = increasing === lots ? sideNotional : multiplyDivideValues(sideNotional, increasing, lots, "ceil");
  return initialMarginValues(increasingNotional, leverage) + feeForValues(increasingNotional, makerFeeReservePpm);
}

/** Maintenance margin of a position at mark (bracketed by tier), µUSD. */
export function positionMaintenance(position: Position, perpMarket: PerpMarket): QuoteUnits {
  return maintenanceMargin(markNotional(position, perpMarket), perpMarket.profile);
}

/** µUSD as a USD decimal string: 1_500_000 → "1.5". */
export function formatQuote(amount: QuoteUnits): string {
  const negative = amount < 0;
  const magnitude = Math.abs(amount);
  const whole = Math.floor(magnitude / 1_000_000);
  const fraction = magnitude - whole * 1_000_000;
  const fractionText = fraction === 0 ? "" : "." + String(fraction).padStart(6, "0").replace(/0+$/, "");
  return (negative ? "-" : "") + String(whole) + fractionText;
}
