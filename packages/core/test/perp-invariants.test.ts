// checkExchangeInvariants must still catch what it is for after its speed-up (no eager messages, an exact
// number/bigint sum): each test corrupts one field of a consistent exchange and expects the named failure,
// then restores it and expects the check to pass again. Sums above 2^50 µUSD exercise the bigint path.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkExchangeInvariants, type Exchange } from "@perpdex/core";
import { ExchangeHarness, account, btcSpec, limit } from "./exchange-harness.ts";

const alice = account("a");
const bob = account("b");
const whale = account("c");
const orca = account("d");

function exchange(): ExchangeHarness {
  const harness = new ExchangeHarness();
  harness.list(btcSpec());
  harness.fund(alice, 10_000);
  harness.fund(bob, 10_000);
  // 10^15 µUSD each (a deposit may hold at most about 2^50): together above 2^50, so the sum flushes.
  harness.fund(whale, 1_000_000_000);
  harness.fund(orca, 1_000_000_000);
  harness.placeOk(bob, limit("BTC-PERP", "sell", 50_000, 100));
  harness.placeOk(alice, limit("BTC-PERP", "buy", 50_000, 60));
  harness.placeOk(whale, limit("BTC-PERP", "buy", 49_000, 10));
  return harness;
}

function corrupts(harness: ExchangeHarness, message: RegExp, corrupt: (exchange: Exchange) => () => void): void {
  const restore = corrupt(harness.exchange);
  assert.throws(() => checkExchangeInvariants(harness.exchange), message);
  restore();
  checkExchangeInvariants(harness.exchange);
}

describe("checkExchangeInvariants catches", () => {
  it("one µUSD created or lost anywhere, small or above 2^50", () => {
    const harness = exchange();
    for (const address of [alice, whale, orca]) {
      for (const delta of [1, -1]) {
        corrupts(harness, /USDC not conserved/, () => {
          const held = harness.accountOf(address);
          held.cash += delta;
          return () => (held.cash -= delta);
        });
      }
    }
    corrupts(harness, /USDC not conserved/, () => {
      const position = harness.position(bob, "BTC-PERP")!;
      position.margin += 1;
      return () => (position.margin -= 1);
    });
    corrupts(harness, /USDC not conserved/, (exchange) => {
      exchange.treasury.insuranceFund += 2 ** 51;
      return () => (exchange.treasury.insuranceFund -= 2 ** 51);
    });
  });

  it("a stale order total, reservation or position field", () => {
    const harness = exchange();
    const position = harness.position(bob, "BTC-PERP")!;
    for (const field of ["buyLots", "buyNotional", "sellLots", "sellNotional", "reduceOnlyBuyLots", "reduceOnlySellLots"] as const) {
      corrupts(harness, new RegExp(`BTC-PERP ${field} is`), () => {
        position[field] += 1;
        return () => (position[field] -= 1);
      });
    }
    corrupts(harness, /reserves .* orders need/, () => {
      position.reserved += 1;
      return () => (position.reserved -= 1);
    });
    corrupts(harness, /negative isolated margin/, () => {
      const margin = position.margin;
      position.margin = -1;
      return () => (position.margin = margin);
    });
    corrupts(harness, /negative entry notional/, () => {
      const entry = position.entryNotional;
      position.entryNotional = -1;
      return () => (position.entryNotional = entry);
    });
  });
});
