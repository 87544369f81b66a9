// Proves that the apply path's shortcuts answer exactly what the definitions they replace answer:
// OrderMarginMemo against orderMargin over call sequences that repeat inputs (a resting order's check,
// then its reservation), and the risk limits' division-free comparisons against the limits in lots
// (⌊limit ÷ lot value⌋, ⌈floor ÷ lot value at mark⌉) at and around every boundary.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { divideCeil, divideFloor } from "../src/arithmetic.ts";
import { OrderMarginMemo, orderMargin, type OrderTotals } from "../src/perp/account-risk.ts";
import type { PerpMarket } from "../src/perp/perp-market.ts";
import { checkRiskLimits, type RiskLimits, type RiskOrder } from "../src/perp/risk-limits.ts";

const totalsArbitrary: fc.Arbitrary<OrderTotals> = fc.record({
  size: fc.integer({ min: -5_000, max: 5_000 }),
  leverage: fc.integer({ min: 1, max: 100 }),
  buyLots: fc.integer({ min: 0, max: 10_000 }),
  buyNotional: fc.integer({ min: 0, max: 2 ** 40 }),
  sellLots: fc.integer({ min: 0, max: 10_000 }),
  sellNotional: fc.integer({ min: 0, max: 2 ** 40 }),
});

describe("OrderMarginMemo", () => {
  it("returns orderMargin's value on every call, remembered or not", () => {
    const call = fc.record({
      totals: fc.integer({ min: 0, max: 3 }),
      direction: fc.constantFrom(-1, 0, 1),
      lots: fc.integer({ min: 0, max: 500 }),
      notional: fc.integer({ min: 0, max: 2 ** 36 }),
    });
    fc.assert(
      fc.property(fc.array(totalsArbitrary, { minLength: 4, maxLength: 4 }), fc.array(call, { maxLength: 40 }), (pool, calls) => {
        const memo = new OrderMarginMemo();
        for (const { totals, direction, lots, notional } of calls) {
          const position = pool[totals]!;
          assert.equal(memo.of(position, direction, lots, notional), orderMargin(position, direction, lots, notional));
          // The same margin asked the way a refresh asks it once the order rests: remembered, and equal.
          const rested: OrderTotals = {
            ...position,
            buyLots: position.buyLots + (direction > 0 ? lots : 0),
            buyNotional: position.buyNotional + (direction > 0 ? notional : 0),
            sellLots: position.sellLots + (direction < 0 ? lots : 0),
            sellNotional: position.sellNotional + (direction < 0 ? notional : 0),
          };
          assert.equal(memo.of(rested), orderMargin(rested));
        }
      }),
      { numRuns: 2_000 },
    );
  });
});

// The limits checks as they were written with divisions: which one refuses first, or none.
function referenceRefusal(order: RiskOrder): string | null {
  const { perpMarket, limits, price } = order;
  const reach = order.size + (order.buy ? order.sideLots : -order.sideLots);
  const flips = order.size !== 0 && reach !== 0 && order.size > 0 !== reach > 0;
  const added = flips ? Math.abs(reach) : Math.max(0, Math.abs(reach) - Math.abs(order.size));
  if (added === 0) return null;
  const lotValue = price * perpMarket.quotePerTickLot;
  if (order.orderNotional > limits.orderNotionalMax) return "RISK_ORDER_NOTIONAL";
  const exposureLots = Math.max(Math.abs(order.size), Math.abs(reach));
  if (exposureLots > divideFloor(limits.positionNotionalMax, lotValue)) return "RISK_POSITION_NOTIONAL";
  if (perpMarket.longLots + added > divideFloor(limits.openInterestMax, lotValue)) return "RISK_OPEN_INTEREST";
  const markLotValue = perpMarket.markPrice * perpMarket.quotePerTickLot;
  if (perpMarket.longLots < divideCeil(limits.concentrationOpenInterestMin, markLotValue)) return null;
  if (exposureLots * 1_000_000 <= limits.concentrationPpm * perpMarket.longLots) return null;
  return "RISK_CONCENTRATION";
}

describe("risk limits without divisions", () => {
  it("refuse exactly the orders the limits in lots refuse, at and around each boundary", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 0, max: 20_000 }),
        fc.integer({ min: -2_000, max: 2_000 }),
        fc.integer({ min: 1, max: 4_000 }),
        fc.boolean(),
        fc.integer({ min: -2, max: 2 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        (price, markPrice, quotePerTickLot, longLots, size, sideLots, buy, nudge, concentrationPpm) => {
          const lotValue = price * quotePerTickLot;
          const reach = Math.abs(size + (buy ? sideLots : -sideLots));
          const exposureLots = Math.max(Math.abs(size), reach);
          // Limits placed on the boundaries of this order's own numbers, then nudged across them.
          const limits: RiskLimits = {
            orderNotionalMax: Number.MAX_SAFE_INTEGER,
            positionNotionalMax: Math.max(1, exposureLots * lotValue + nudge),
            openInterestMax: Math.max(1, (longLots + sideLots) * lotValue + nudge),
            concentrationPpm,
            concentrationOpenInterestMin: Math.max(1, longLots * markPrice * quotePerTickLot + nudge),
          };
          const perpMarket = { spec: { symbol: "TEST-PERP" }, quotePerTickLot, markPrice, longLots } as unknown as PerpMarket;
          const order: RiskOrder = { perpMarket, limits, size, buy, sideLots, price, orderNotional: sideLots * lotValue };
          assert.equal(checkRiskLimits(order)?.code ?? null, referenceRefusal(order));
        },
      ),
      { numRuns: 20_000 },
    );
  });
});
