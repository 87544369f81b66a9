import { divideFloor } from "../arithmetic.ts";
import { assert } from "../assert.ts";
import { reject, type Rejection } from "../rejections.ts";
import { formatQuote } from "./account-risk.ts";
import { notional, type QuoteUnits } from "./fixed-point.ts";
import type { PerpMarket } from "./perp-market.ts";

// Per-market risk limits (PRD §2.7.1), checked before the match on every order that could open or
// increase a position. An order that only reduces a position is never blocked by them: a limit exists to
// stop risk from growing, never to trap a trader in a position.
//
// Every limit is measured conservatively, as if the order and the side's other resting orders all fill:
// - order notional: the order's size at its price (a sell at max(limit, best bid), as the margin check);
// - position notional: the largest |position| those fills could reach, at the same price;
// - open interest: today's open interest plus every lot the trader's position could add on the side it
//   would end on, as if each were new open interest (a flip counts its whole new side), at that price;
// - concentration: the |position| the trader could reach, against today's open interest in lots. It
//   applies only while the open interest (at mark) is at least `concentrationOpenInterestMin`: in a new
//   market the first traders hold 100 % of a small open interest, and refusing them would keep it empty.

/**
 * A market's risk limits. Notionals are µUSD (safe integers); `concentrationPpm` is a share of open
 * interest in ppm (200_000 = 20 %).
 *
 * @example
 * const limits: RiskLimits = prdRiskLimits;
 */
export interface RiskLimits {
  readonly openInterestMax: QuoteUnits;
  readonly positionNotionalMax: QuoteUnits;
  readonly orderNotionalMax: QuoteUnits;
  readonly concentrationPpm: number;
  /** Open interest (µUSD at mark) below which the concentration limit does not apply. */
  readonly concentrationOpenInterestMin: QuoteUnits;
}

/** A market listed without `riskLimits`: nothing is limited (existing markets keep their behaviour). */
export const noRiskLimits: RiskLimits = Object.freeze({
  openInterestMax: Number.MAX_SAFE_INTEGER,
  positionNotionalMax: Number.MAX_SAFE_INTEGER,
  orderNotionalMax: Number.MAX_SAFE_INTEGER,
  concentrationPpm: 1_000_000,
  concentrationOpenInterestMin: Number.MAX_SAFE_INTEGER,
});

const dollar = 1_000_000;

/**
 * PRD §2.7.1's example values: $100M open interest, $5M per trader, $1M per order, 20 % of open interest
 * per trader once the open interest reaches $5M (the floor is ours: below it a market has too few
 * traders for a share of open interest to mean manipulation).
 */
export const prdRiskLimits: RiskLimits = Object.freeze({
  openInterestMax: 100_000_000 * dollar,
  positionNotionalMax: 5_000_000 * dollar,
  orderNotionalMax: 1_000_000 * dollar,
  concentrationPpm: 200_000,
  concentrationOpenInterestMin: 5_000_000 * dollar,
});

const riskLimitFields = ["openInterestMax", "positionNotionalMax", "orderNotionalMax", "concentrationOpenInterestMin"] as const;

/** A message naming what is wrong with `limits`, or null when they are valid. */
export function riskLimitsProblem(limits: RiskLimits): string | null {
  if (typeof limits !== "object" || limits === null) return "riskLimits must be an object";
  for (const field of riskLimitFields) {
    const value = limits[field];
    if (!Number.isSafeInteger(value) || value < 1) return `riskLimits.${field} must be a whole number of µUSD from 1 to 2^53 − 1`;
  }
  const share = limits.concentrationPpm;
  if (!Number.isInteger(share) || share < 1 || share > 1_000_000) return `riskLimits.concentrationPpm must be 1 to 1000000 (100 %)`;
  return null;
}

/** What the limits need to know of an order that passed the book's checks. */
export interface RiskOrder {
  readonly perpMarket: PerpMarket;
  readonly limits: RiskLimits;
  /** The trader's signed position size now, lots. */
  readonly size: number;
  readonly buy: boolean;
  /** The order's lots plus the side's other resting lots that can add exposure. */
  readonly sideLots: number;
  /** The price exposure is measured at (the margin check's). */
  readonly price: number;
  readonly orderNotional: QuoteUnits;
}

/**
 * Lots by which an order (with its side's resting orders) could raise the trader's gross position on the
 * side it would end on: 0 when it can only reduce the position.
 */
export function addedExposureLots(size: number, buy: boolean, sideLots: number): number {
  const reach = size + (buy ? sideLots : -sideLots);
  const flips = size !== 0 && reach !== 0 && size > 0 !== reach > 0;
  if (flips) return Math.abs(reach);
  return Math.max(0, Math.abs(reach) - Math.abs(size));
}

/**
 * The first limit the order breaks, with what would be valid; null when it passes (or only reduces).
 * Limits are compared in lots (lots × value of a lot ≤ limit ⇔ lots ≤ ⌊limit ÷ value of a lot⌋), so no
 * product can pass 2^53.
 */
export function checkRiskLimits(order: RiskOrder): Rejection | null {
  const added = addedExposureLots(order.size, order.buy, order.sideLots);
  if (added === 0) return null;
  const { perpMarket, limits, price } = order;
  const symbol = perpMarket.spec.symbol;
  const lotValue = notional(price, 1, perpMarket.quotePerTickLot);
  if (order.orderNotional > limits.orderNotionalMax) {
    const lots = divideFloor(limits.orderNotionalMax, lotValue);
    return reject(
      "RISK_ORDER_NOTIONAL",
      `the order is worth ${formatQuote(order.orderNotional)} USD; ${symbol} takes at most ${formatQuote(limits.orderNotionalMax)} USD an order (${lots} lots at this price)`,
      { orderNotionalMax: formatQuote(limits.orderNotionalMax), lotsMax: String(lots) },
    );
  }
  const reach = order.size + (order.buy ? order.sideLots : -order.sideLots);
  const exposureLots = Math.max(Math.abs(order.size), Math.abs(reach));
  // Each limit in lots is ⌊limit ÷ lotValue⌋, and for whole lots n: n > ⌊a ÷ b⌋ ⇔ n × b > a. The product
  // is exact up to 2^53 and, rounded, stays above any safe limit past it: no division on the way through.
  assert(lotValue > 0, "risk limits: a lot at a positive price");
  if (exposureLots * lotValue > limits.positionNotionalMax) {
    const positionLotsMax = divideFloor(limits.positionNotionalMax, lotValue);
    return reject(
      "RISK_POSITION_NOTIONAL",
      `the position could reach ${exposureLots} lots (with the side's open orders filled); ${symbol} allows at most ${formatQuote(limits.positionNotionalMax)} USD a trader, ${positionLotsMax} lots at this price`,
      { positionNotionalMax: formatQuote(limits.positionNotionalMax), lotsMax: String(positionLotsMax) },
    );
  }
  const openInterestLots = perpMarket.longLots;
  if ((openInterestLots + added) * lotValue > limits.openInterestMax) {
    const openInterestLotsMax = divideFloor(limits.openInterestMax, lotValue);
    const room = Math.max(0, openInterestLotsMax - openInterestLots);
    return reject(
      "RISK_OPEN_INTEREST",
      `${symbol} open interest would reach ${openInterestLots + added} lots, above its ${formatQuote(limits.openInterestMax)} USD limit (${openInterestLotsMax} lots at this price); at most ${room} more lots can be opened`,
      { openInterestMax: formatQuote(limits.openInterestMax), lotsAvailable: String(room) },
    );
  }
  return checkConcentration(order, exposureLots);
}

function checkConcentration(order: RiskOrder, exposureLots: number): Rejection | null {
  const { perpMarket, limits } = order;
  const openInterestLots = perpMarket.longLots;
  // Open interest at mark ≥ the floor ⇔ lots ≥ ⌈floor ÷ value of a lot at mark⌉ ⇔ lots × value ≥ floor
  // (for whole lots n: n < ⌈a ÷ b⌉ ⇔ n × b < a; exact as above).
  const markLotValue = notional(perpMarket.markPrice, 1, perpMarket.quotePerTickLot);
  assert(markLotValue > 0, "risk limits: a lot at a positive mark");
  if (openInterestLots * markLotValue < limits.concentrationOpenInterestMin) return null;
  // lots × 10^6 and ppm × lots stay below 2^53 for lots below 2^33 (int32 orders, bounded positions).
  if (exposureLots * 1_000_000 <= limits.concentrationPpm * openInterestLots) return null;
  const lotsMax = divideFloor(limits.concentrationPpm * openInterestLots, 1_000_000);
  return reject(
    "RISK_CONCENTRATION",
    `the position could reach ${exposureLots} lots; one trader may hold at most ${formatPercent(limits.concentrationPpm)} % of ${perpMarket.spec.symbol}'s open interest of ${openInterestLots} lots (${lotsMax} lots)`,
    { lotsMax: String(lotsMax) },
  );
}

/** ppm as a percent string: 200_000 → "20", 12_500 → "1.25". */
export function formatPercent(ppm: number): string {
  const whole = divideFloor(ppm, 10_000);
  const fraction = ppm - whole * 10_000;
  return fraction === 0 ? String(whole) : `${whole}.${String(fraction).padStart(4, "0").replace(/0+$/, "")}`;
}
