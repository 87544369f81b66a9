// Proves the account view a trader sees: equity, unrealised PnL at mark, margin ratio and health level
// (SPEC 05), and the exact liquidation price — at the returned mark the position is liquidatable
// (equity < maintenance margin), one tick toward safety it is not — for isolated and cross positions.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { accountView, type AccountView, type PositionView } from "@perpdex/core";
import { ExchangeHarness, btcSpec, limit, usd } from "./exchange-harness.ts";
import { account } from "./helpers.ts";

const alice = account("a");
const bob = account("b");

function opened(mode: "isolated" | "cross"): ExchangeHarness {
  // Alice buys 1 BTC (1,000 lots of 0.001) at $50,000 with 10x from Bob; both funded with $20,000.
  const harness = new ExchangeHarness();
  harness.list(btcSpec());
  harness.fund(alice, 20_000);
  harness.fund(bob, 20_000);
  if (mode === "cross") harness.ok({ type: "setMarginMode", account: alice, market: "BTC-PERP", mode: "cross" });
  harness.placeOk(bob, limit("BTC-PERP", "sell", 50_000, 1_000));
  harness.placeOk(alice, limit("BTC-PERP", "buy", 50_000, 1_000, { timeInForce: "IOC" }));
  return harness;
}

function view(harness: ExchangeHarness): { account: AccountView; position: PositionView } {
  const account = accountView(harness.exchange, alice);
  assert.ok(account !== null);
  const position = account.positions[0];
  assert.ok(position !== undefined);
  return { account, position };
}

/** Equity < maintenance at `mark`, measured through the view after moving the index there. */
function liquidatableAt(mode: "isolated" | "cross", mark: number): boolean {
  const harness = opened(mode);
  harness.indexPrice("BTC-PERP", mark);
  const { account, position } = view(harness);
  assert.equal(position.markPrice, mark, "with an empty book the mark follows the index");
  const equity = mode === "isolated" ? position.margin + position.unrealizedPnl : account.crossEquity;
  return equity < position.maintenanceMargin;
}

describe("account view", () => {
  it("shows entry, unrealised PnL, margin ratio and health as the mark moves", () => {
    const harness = opened("isolated");
    let { position } = view(harness);
    assert.equal(position.size, 1_000);
    assert.equal(position.entryPrice, 50_000);
    assert.equal(position.margin, usd(5_000), "10x on $50,000");
    assert.equal(position.unrealizedPnl, 0);
    assert.equal(position.health, "healthy");
    harness.indexPrice("BTC-PERP", 47_000);
    ({ position } = view(harness));
    assert.equal(position.unrealizedPnl, -usd(3_000));
    // ($5,000 − $3,000) ÷ bracketed MM of $47,000 (10,000 × 0.6 % + 37,000 × 1 % = $430).
    assert.equal(position.maintenanceMargin, usd(430));
    assert.equal(position.marginRatioPpm, Math.floor((2_000 / 430) * 1_000_000));
    assert.equal(position.health, "healthy");
    // Equity m − $45,000 against MM m/100 − $40: a ratio of about 1.75 at $45,730, below 1 at $45,400.
    harness.indexPrice("BTC-PERP", 45_730);
    ({ position } = view(harness));
    assert.equal(position.health, "warning", `ratio ${position.marginRatioPpm}`);
    harness.indexPrice("BTC-PERP", 45_400);
    ({ position } = view(harness));
    assert.equal(position.health, "liquidation", `ratio ${position.marginRatioPpm}`);
  });

  for (const mode of ["isolated", "cross"] as const) {
    it(`gives the exact liquidation price of a ${mode} position`, () => {
      const { position } = view(opened(mode));
      const price = position.liquidationPrice;
      assert.ok(price !== null && price < 50_000, `liquidation price ${price}`);
      assert.equal(liquidatableAt(mode, price), true, `liquidatable at ${price}`);
      assert.equal(liquidatableAt(mode, price + 1), false, `safe one tick above ${price}`);
    });
  }

  it("is null for an address that never deposited and shows no positions for a funded one", () => {
    const harness = new ExchangeHarness();
    harness.list(btcSpec());
    assert.equal(accountView(harness.exchange, bob), null);
    harness.fund(bob, 1_000);
    const account = accountView(harness.exchange, bob);
    assert.ok(account !== null);
    assert.equal(account.positions.length, 0);
    assert.equal(account.withdrawable, usd(1_000));
    assert.equal(account.health, "healthy");
    assert.equal(account.marginRatioPpm, null);
  });
});
