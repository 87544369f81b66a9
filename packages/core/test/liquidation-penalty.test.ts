// The liquidation penalty split (issue 4): 1.5 % of the value closed, 0.5 % to the liquidator and 1.0 % to
// the insurance fund, never more than the margin left. Exact numbers, through the ExchangeHarness (so the
// invariants, the money ledger and the rejected-command twin are checked after every command).
// BTC-PERP: $1 ticks, 0.001 BTC lots (1,000 µUSD per tick-lot); taker fee 0.1 %, maker 0.02 %.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ExchangeHarness, account, btcSpec, limit } from "./exchange-harness.ts";

const alice = account("a");
const bob = account("b");
const carol = account("c");
const dave = account("d");

/** alice long 200 lots (0.2 BTC, $10,000) at $50,000, isolated 20x: $500 margin, $490 cash left. */
function opened(bid: number): ExchangeHarness {
  const harness = new ExchangeHarness();
  harness.list(btcSpec());
  harness.fund(alice, 1_000);
  harness.fund(bob, 100_000);
  harness.fund(carol, 1_000_000);
  harness.fund(dave, 1_000);
  harness.ok({ type: "setLeverage", account: alice, market: "BTC-PERP", leverage: 20 });
  harness.placeOk(bob, limit("BTC-PERP", "sell", 50_000, 200));
  harness.placeOk(alice, limit("BTC-PERP", "buy", 50_000, 200));
  assert.equal(harness.accountOf(alice).cash, 490_000_000);
  assert.equal(harness.position(alice, "BTC-PERP")!.margin, 500_000_000);
  harness.ok({ type: "liquidatorWhitelist", liquidator: dave, allowed: true });
  harness.placeOk(carol, limit("BTC-PERP", "buy", bid, 200));
  harness.indexPrice("BTC-PERP", 47_700);
  return harness;
}

function liquidateByDave(harness: ExchangeHarness): { penalty: number; reward: number; fundShare: number; value: number } {
  const fundBefore = harness.exchange.treasury.insuranceFund;
  const daveBefore = harness.accountOf(dave).cash;
  const step = harness.ok({ type: "liquidate", account: dave, trader: alice, market: "BTC-PERP" });
  const [event] = harness.lastEvents("PositionLiquidated");
  assert.ok(event !== undefined && event.closedLots === 200 && event.bookLots === 200 && event.size === 0);
  const deposits = harness.lastEvents("InsuranceFundDeposited").filter((deposit) => deposit.source === "liquidationPenalty");
  assert.equal(deposits.length, 1, "one penalty deposit into the fund");
  const fundShare = deposits[0]!.amount;
  const settled = harness.lastEvents("TradeSettled");
  const feeShare = settled.reduce((sum, trade) => sum + trade.insuranceShare, 0);
  // The fund moved by its share of the fees and its share of the penalty, nothing else.
  assert.equal(harness.exchange.treasury.insuranceFund - fundBefore, feeShare + fundShare);
  assert.equal(harness.accountOf(dave).cash - daveBefore, event.liquidatorReward, "the liquidator is paid its reward");
  assert.equal(event.penalty, event.liquidatorReward + fundShare, "the two shares are the whole penalty");
  assert.equal(step.events.filter((other) => other.type === "InsuranceFundUsed").length, 0);
  return { penalty: event.penalty, reward: event.liquidatorReward, fundShare, value: event.closedValue };
}

describe("liquidation penalty split", () => {
  it("surplus: 1.5 % of the value closed, 0.5 % to the liquidator and 1.0 % to the fund", () => {
    const harness = opened(48_499);
    // 200 lots sold at $48,499: $9,699.80 closed. 1.5 % = $145.497, 0.5 % = $48.499, 1.0 % = $96.998;
    // the margin left ($500 − $300.20 loss − $9.6998 taker fee = $190.1002) is more than the penalty.
    const { penalty, reward, fundShare, value } = liquidateByDave(harness);
    assert.deepEqual({ value, penalty, reward, fundShare }, { value: 9_699_800_000, penalty: 145_497_000, reward: 48_499_000, fundShare: 96_998_000 });
    // alice: $490 cash + $190.1002 margin left − $145.497 penalty.
    assert.equal(harness.accountOf(alice).cash, 490_000_000 + 190_100_200 - 145_497_000);
  });

  it("capped: never more than the margin left; alice's other cash is untouched, split a third (rounded down) / the rest", () => {
    const harness = opened(47_600);
    // $9,520 closed: a $480 loss and a $9.52 taker fee leave $10.48 of the $500 margin, less than 1.5 % ($142.80).
    const { penalty, reward, fundShare, value } = liquidateByDave(harness);
    assert.deepEqual({ value, penalty, reward, fundShare }, { value: 9_520_000_000, penalty: 10_480_000, reward: 3_493_333, fundShare: 6_986_667 });
    assert.equal(harness.accountOf(alice).cash, 490_000_000, "the penalty took only what the position had left");
  });
});

// An ADL close at the bankruptcy price split over two counterparties. Settlement used to release the
// closed share of the margin AFTER the first piece's loss was taken from it, so the second piece found
// too little margin, the insurance fund "covered" a deficit of $78.75 and the bankrupt trader kept
// $59.55 of it in cash (the $78.75 less the penalty). Now each piece takes its loss from its own share
// of the margin first: 18 lots lose $180 = 18/32 of $320, the last 14 lose the $140 left.
describe("liquidation at the bankruptcy price by ADL over two counterparties", () => {
  it("takes the whole margin and costs the fund nothing", () => {
    const harness = new ExchangeHarness();
    harness.list(btcSpec());
    harness.ok({ type: "seedInsuranceFund", amount: 10_000_000_000n, reference: "0xseed" });
    harness.fund(alice, 1_000);
    harness.fund(bob, 10_000);
    harness.fund(carol, 10_000);
    harness.ok({ type: "setLeverage", account: alice, market: "BTC-PERP", leverage: 5 });
    harness.placeOk(bob, limit("BTC-PERP", "sell", 50_000, 18));
    harness.placeOk(carol, limit("BTC-PERP", "sell", 50_000, 14));
    harness.placeOk(alice, limit("BTC-PERP", "buy", 50_000, 32));
    // alice: 32 lots at $50,000, 5x isolated: $320 margin, so her bankruptcy price is exactly $40,000.
    assert.equal(harness.position(alice, "BTC-PERP")!.margin, 320_000_000);
    harness.indexPrice("BTC-PERP", 40_000);
    const since = harness.tick().command.time;
    const cashBefore = harness.accountOf(alice).cash;
    const fundBefore = harness.exchange.treasury.insuranceFund;
    harness.tick(since + 1_000_000_000n);
    const [event] = harness.lastEvents("PositionLiquidated");
    assert.ok(event !== undefined && event.adlLots === 32 && event.bankruptcyPrice === 40_000);
    const adl = harness.lastEvents("ADLExecuted");
    assert.deepEqual(adl.map((close) => [close.size, close.price]), [[18, 40_000], [14, 40_000]]);
    assert.deepEqual([event.penalty, event.liquidatorReward], [0, 0], "nothing came back to cash, so no penalty");
    assert.equal(harness.position(alice, "BTC-PERP"), undefined);
    assert.equal(harness.lastEvents("InsuranceFundUsed").length, 0, "no deficit at the bankruptcy price");
    assert.equal(harness.accountOf(alice).cash, cashBefore, "the whole margin is lost, nothing comes back");
    assert.equal(harness.exchange.treasury.insuranceFund, fundBefore, "the fund pays nothing");
  });
});
