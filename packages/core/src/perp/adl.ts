import { assert } from "../assert.ts";
import type { Exchange } from "../exchange.ts";
import { int32Max } from "../units.ts";
import { unrealizedPnl } from "./account-risk.ts";
import { divideRounded, multiplyDivide, notional, type QuoteUnits } from "./fixed-point.ts";
import { crossEquityOf } from "./insurance-fund.ts";
import { initialMargin } from "./margin-tiers.ts";
import type { Position } from "./position.ts";

// Auto-deleveraging (SPEC 06 §8): what the book could not take within the insurance fund's reach is
// closed against the opposite side's positions, highest ADL score first, at the liquidated position's
// bankruptcy price, so the liquidated position ends with no deficit at all.
//
// ADL score (SPEC 06 §8.2) = profit ratio × leverage = unrealised PnL ÷ initial margin × leverage, in
// ppm, where the initial margin is that of the entry notional at the position's leverage. Ties go to the
// lower account index (the order accounts were created in: fixed by the command log).

/**
 * The bankruptcy price of closing `lots` of a position: the tick at which what the position (isolated:
 * its margin; cross: the account's equity) has left after closing them is zero. Rounded in favour of
 * the liquidated trader (a long up, a short down), so a close at this price never leaves a deficit; the
 * ADL counterparty absorbs the sub-tick remainder. Clamped to 1 … int32Max.
 */
export function bankruptcyPrice(exchange: Exchange, position: Position, lots: number): number {
  const perpMarket = exchange.perpMarkets[position.market.index]!;
  const size = Math.abs(position.size);
  assert(lots > 0 && lots <= size, "bankruptcy price of 1 … |size| lots");
  const perLot = BigInt(lots) * BigInt(perpMarket.quotePerTickLot);
  const long = position.size > 0;
  // What the lots must fetch (long) or may cost at most (short), µUSD.
  let boundary: bigint;
  if (position.mode === "isolated") {
    const closedCost = multiplyDivide({ value: position.entryNotional, multiplier: lots, divisor: size, rounding: "halfUp" });
    boundary = long ? BigInt(closedCost) - BigInt(position.margin) : BigInt(closedCost) + BigInt(position.margin);
  } else {
    const markValue = BigInt(perpMarket.markPrice) * perLot;
    const equity = BigInt(crossEquityOf(exchange, position.account));
    boundary = long ? markValue - equity : markValue + equity;
  }
  const price = divideRounded({ numerator: boundary, divisor: perLot, rounding: long ? "ceil" : "floor" });
  if (price < 1n) return 1;
  return price > BigInt(int32Max) ? int32Max : Number(price);
}

/** SPEC 06 §8.2 score in ppm (1.0 = 1_000_000): unrealised PnL ÷ initial margin × leverage. */
export function adlScore(exchange: Exchange, position: Position): bigint {
  if (position.size === 0) return 0n;
  const perpMarket = exchange.perpMarkets[position.market.index]!;
  const pnl = unrealizedPnl(position, perpMarket);
  const margin = Math.max(1, initialMargin({ notional: position.entryNotional, leverage: position.leverage }));
  return (BigInt(pnl) * BigInt(position.leverage) * 1_000_000n) / BigInt(margin);
}

/** Positions of a market on one side, best ADL candidate first. O(positions) per call: ADL is rare. */
export function adlQueue(exchange: Exchange, marketIndex: number, long: boolean): { position: Position; score: bigint }[] {
  const queue: { position: Position; score: bigint }[] = [];
  for (const position of exchange.positionsByKey.values()) {
    if (position.market.index !== marketIndex || position.size === 0 || position.size > 0 !== long) continue;
    queue.push({ position, score: adlScore(exchange, position) });
  }
  queue.sort((left, right) =>
    left.score === right.score ? left.position.account.index - right.position.account.index : left.score > right.score ? -1 : 1,
  );
  return queue;
}

/**
 * An account's place in its market side's ADL queue as a quantile: 5 for the top 20 % (first to be
 * deleveraged, warned), down to 1; null when the position is flat.
 *
 * @example
 * const quantile = adlQuantile(exchange, position); // => 5 for the most profitable, most leveraged
 */
export function adlQuantile(exchange: Exchange, position: Position): number | null {
  if (position.size === 0) return null;
  const queue = adlQueue(exchange, position.market.index, position.size > 0);
  const rank = queue.findIndex((entry) => entry.position === position);
  assert(rank >= 0, "an open position is in its side's queue");
  return 5 - Math.floor((rank * 5) / queue.length);
}

/**
 * Closes `lots` of the liquidated `position` against the opposite side's ADL queue at the bankruptcy
 * price (no fees). Returns the bankruptcy price and the value closed (µUSD). `queue` may be one ranked
 * earlier in the same command (the liquidation engine ranks each side once per command).
 */
export function deleverage(
  exchange: Exchange,
  position: Position,
  lots: number,
  queue: readonly { position: Position; score: bigint }[] = adlQueue(exchange, position.market.index, position.size < 0),
): { price: number; value: QuoteUnits } {
  const perpMarket = exchange.perpMarkets[position.market.index]!;
  const price = bankruptcyPrice(exchange, position, lots);
  const long = position.size > 0;
  let remaining = lots;
  for (const { position: counterparty, score } of queue) {
    if (remaining === 0) break;
    // A queue ranked earlier in the command may hold positions closed or flipped since.
    if (counterparty.account === position.account || counterparty.size === 0 || counterparty.size > 0 === long) continue;
    const take = Math.min(remaining, Math.abs(counterparty.size));
    const eventIndex = exchange.events.length;
    exchange.events.push({
      type: "ADLExecuted",
      sequence: exchange.engine.commandSequence,
      index: eventIndex,
      time: exchange.time,
      account: counterparty.account.address,
      counterparty: position.account.address,
      market: position.market.symbol,
      size: take,
      price,
      scorePpm: score,
    });
    // The counterparty closes toward zero, the liquidated position likewise: Σ long = Σ short holds.
    exchange.settlement.applyFill(counterparty, long ? take : -take, price, 0, eventIndex);
    exchange.settlement.applyFill(position, long ? -take : take, price, 0, eventIndex);
    remaining -= take;
  }
  assert(remaining === 0, "the opposite side holds at least the liquidated lots");
  return { price, value: notional(price, lots, perpMarket.quotePerTickLot) };
}
