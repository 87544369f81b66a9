// Proves, on random streams over two markets (so cross accounts hold several positions) that mix
// trading, leverage and margin-mode changes, margin adjustments, index moves of up to ±15 %, liquidate
// commands from any account, whitelist changes, fund seeding and waits across the priority window and the
// grace period, that everything the ExchangeHarness checks holds after every command (money conserved to
// the µUSD with penalties, fund cover and ADL; no USDC debt; Σ long = Σ short; rejections change
// nothing), that the detection index agrees with a naive scan of every position (after each quiet tick,
// pending = the positions a scan finds liquidatable: this also tests the cross accounts' conservative
// triggers), and that replaying the log reproduces every state hash.
// Set PERPDEX_SEED to rerun one seed and PERPDEX_RUNS to change the number of streams.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ExchangeHarness, account, btcSpec, ethSpec, limit, marketOrder, replayExchange, type ExchangeInput } from "./exchange-harness.ts";

const accounts = ["a", "b", "c", "d", "e"].map(account);
/** BTC ($50 a lot) and ETH ($3 a lot, so its lots are scaled ×10): cross accounts hold both. */
const markets = [
  { symbol: "BTC-PERP", lotScale: 1 },
  { symbol: "ETH-PERP", lotScale: 10 },
] as const;
const leverages = [1, 2, 5, 10, 20, 50, 100] as const;
const waits = [1_000_000n, 50_000_000n, 150_000_000n, 1_100_000_000n] as const;

type Draft =
  | { readonly kind: "trade"; readonly market: number; readonly maker: number; readonly taker: number; readonly buy: boolean; readonly offsetBps: number; readonly lots: number }
  | { readonly kind: "quote"; readonly market: number; readonly account: number; readonly buy: boolean; readonly offsetBps: number; readonly lots: number }
  | { readonly kind: "close"; readonly market: number; readonly account: number }
  | { readonly kind: "leverage"; readonly market: number; readonly account: number; readonly leverage: number }
  | { readonly kind: "mode"; readonly market: number; readonly account: number; readonly cross: boolean }
  | { readonly kind: "margin"; readonly market: number; readonly account: number; readonly dollars: number }
  | { readonly kind: "index"; readonly market: number; readonly moveBps: number }
  | { readonly kind: "liquidate"; readonly market: number; readonly liquidator: number; readonly trader: number }
  | { readonly kind: "whitelist"; readonly account: number; readonly allowed: boolean }
  | { readonly kind: "seed"; readonly dollars: number }
  | { readonly kind: "wait"; readonly wait: number };

const accountArbitrary = fc.integer({ min: 0, max: accounts.length - 1 });
const marketArbitrary = fc.integer({ min: 0, max: 1 });
const draftArbitrary: fc.Arbitrary<Draft> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant("trade" as const), market: marketArbitrary, maker: accountArbitrary, taker: accountArbitrary, buy: fc.boolean(), offsetBps: fc.integer({ min: -50, max: 50 }), lots: fc.integer({ min: 1, max: 400 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("quote" as const), market: marketArbitrary, account: accountArbitrary, buy: fc.boolean(), offsetBps: fc.integer({ min: -600, max: 600 }), lots: fc.integer({ min: 1, max: 400 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("close" as const), market: marketArbitrary, account: accountArbitrary }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("leverage" as const), market: marketArbitrary, account: accountArbitrary, leverage: fc.constantFrom(...leverages) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("mode" as const), market: marketArbitrary, account: accountArbitrary, cross: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("margin" as const), market: marketArbitrary, account: accountArbitrary, dollars: fc.integer({ min: 1, max: 500 }) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("index" as const), market: marketArbitrary, moveBps: fc.integer({ min: -1_500, max: 1_500 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("liquidate" as const), market: marketArbitrary, liquidator: accountArbitrary, trader: accountArbitrary }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("whitelist" as const), account: accountArbitrary, allowed: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("seed" as const), dollars: fc.integer({ min: 1, max: 5_000 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("wait" as const), wait: fc.integer({ min: 0, max: waits.length - 1 }) }) },
);

function priceAt(harness: ExchangeHarness, market: string, offsetBps: number): number {
  const mark = harness.perpMarket(market).markPrice;
  return Math.max(1, mark + Math.trunc((mark * offsetBps) / 10_000));
}

function inputs(harness: ExchangeHarness, draft: Draft): ExchangeInput[] {
  const market = "market" in draft ? markets[draft.market]!.symbol : "BTC-PERP";
  const scale = "market" in draft ? markets[draft.market]!.lotScale : 1;
  switch (draft.kind) {
    case "trade": {
      const price = priceAt(harness, market, draft.offsetBps);
      return [
        { type: "placeOrder", account: accounts[draft.maker]!, order: limit(market, draft.buy ? "sell" : "buy", price, draft.lots * scale) },
        { type: "placeOrder", account: accounts[draft.taker]!, order: limit(market, draft.buy ? "buy" : "sell", price, draft.lots * scale, { timeInForce: "IOC" }) },
      ];
    }
    case "quote":
      return [{ type: "placeOrder", account: accounts[draft.account]!, order: limit(market, draft.buy ? "buy" : "sell", priceAt(harness, market, draft.offsetBps), draft.lots * scale) }];
    case "close": {
      const size = harness.position(accounts[draft.account]!, market)?.size ?? 0;
      if (size === 0) return [{ type: "cancelAll", account: accounts[draft.account]! }];
      return [{ type: "placeOrder", account: accounts[draft.account]!, order: marketOrder(market, size > 0 ? "sell" : "buy", Math.abs(size), { reduceOnly: true }) }];
    }
    case "leverage":
      return [{ type: "setLeverage", account: accounts[draft.account]!, market, leverage: draft.leverage }];
    case "mode":
      return [{ type: "setMarginMode", account: accounts[draft.account]!, market, mode: draft.cross ? "cross" : "isolated" }];
    case "margin":
      return [{ type: "adjustMargin", account: accounts[draft.account]!, market, amount: draft.dollars * 1_000_000 }];
    case "index":
      return [{ type: "indexPrice", market, price: priceAt(harness, market, draft.moveBps) }];
    case "liquidate":
      return [{ type: "liquidate", account: accounts[draft.liquidator]!, trader: accounts[draft.trader]!, market }];
    case "whitelist":
      return [{ type: "liquidatorWhitelist", liquidator: accounts[draft.account]!, allowed: draft.allowed }];
    case "seed":
      return [{ type: "seedInsuranceFund", amount: BigInt(draft.dollars) * 1_000_000n, reference: `0xseed${harness.log.length}` }];
    case "wait":
      return [{ type: "tick" }];
  }
}

/** After a tick that liquidated nothing, pending is exactly what a scan of every position finds. */
function checkDetection(harness: ExchangeHarness, where: string): void {
  const liquidations = harness.exchange.liquidations;
  const naive: number[] = [];
  for (const [key, position] of harness.exchange.positionsByKey) if (liquidations.isLiquidatable(position)) naive.push(key);
  assert.deepEqual([...liquidations.pending.keys()].sort((a, b) => a - b), naive.sort((a, b) => a - b), `${where}: index ≠ scan`);
}

/** What the streams did, printed so a run that never liquidates is noticed. */
const seen = { liquidations: 0, adl: 0, fundCover: 0, rejected: 0 };

function run(drafts: readonly Draft[]): void {
  try { runInner(drafts); } catch (error) { if (process.env["PERPDEX_DEBUG"] !== undefined) console.log(String(error).slice(0, 3000)); throw error; }
}

function runInner(drafts: readonly Draft[]): void {
  const harness = new ExchangeHarness();
  harness.list(btcSpec());
  harness.list(ethSpec());
  for (const address of accounts) harness.fund(address, 3_000);
  for (const draft of drafts) {
    for (const input of inputs(harness, draft)) {
      const wait = draft.kind === "wait" ? waits[draft.wait]! : 1_000_000n;
      harness.apply(input, harness.time + wait);
    }
    const quiet = harness.tick(harness.time + 1n);
    const busy = quiet.events.some((event) => event.type === "LiquidationTriggered");
    if (!busy) checkDetection(harness, `after ${harness.log.length} commands`);
  }
  for (const step of harness.steps) {
    if (!step.result.ok) seen.rejected += 1;
    for (const event of step.events) {
      if (event.type === "PositionLiquidated") seen.liquidations += 1;
      else if (event.type === "ADLExecuted") seen.adl += 1;
      else if (event.type === "InsuranceFundUsed") seen.fundCover += 1;
    }
  }
  const replay = replayExchange(harness.log);
  assert.deepEqual(replay.hashes, harness.steps.map((step) => step.hash), "replay reproduces every state hash");
}

// Streams a stress run or CI once shrank to a failure, kept as fixed cases. The first: a cross short's paper
// profit counted as free collateral for an isolated ETH order; when it filled as maker, its margin and fee
// left cash owing 0.64 USDC that only the paper gain backed. Isolated orders now see what is withdrawable.
const regressions: readonly { readonly name: string; readonly drafts: string }[] = [
  {
    name: "unrealised cross profit does not fund an isolated order's margin",
    drafts: `[{"kind":"mode","market":0,"account":0,"cross":true},{"kind":"trade","market":0,"maker":1,"taker":0,"buy":false,"offsetBps":0,"lots":2},{"kind":"trade","market":1,"maker":1,"taker":0,"buy":false,"offsetBps":0,"lots":110},{"kind":"index","market":0,"moveBps":-994},{"kind":"trade","market":1,"maker":1,"taker":0,"buy":false,"offsetBps":0,"lots":251},{"kind":"index","market":0,"moveBps":-888},{"kind":"trade","market":1,"maker":2,"taker":0,"buy":false,"offsetBps":-29,"lots":330},{"kind":"quote","market":0,"account":1,"buy":false,"offsetBps":0,"lots":1},{"kind":"wait","wait":0},{"kind":"liquidate","market":0,"liquidator":0,"trader":0},{"kind":"trade","market":1,"maker":0,"taker":1,"buy":true,"offsetBps":-45,"lots":304},{"kind":"trade","market":0,"maker":0,"taker":0,"buy":false,"offsetBps":0,"lots":1},{"kind":"index","market":0,"moveBps":0},{"kind":"trade","market":0,"maker":0,"taker":0,"buy":false,"offsetBps":0,"lots":1},{"kind":"whitelist","account":0,"allowed":false},{"kind":"index","market":0,"moveBps":0},{"kind":"mode","market":0,"account":0,"cross":false}]`,
  },
  {
    // Found by a CI run (seed -406508108): account 0 closes an isolated ETH short with a reduce-only market
    // order far above the mark; the loss past its margin, with the fund empty, is charged to cash, which
    // falls 56,049 µUSD below what its resting BTC buy reserves; that order then fills and cash went
    // negative with nothing behind it. Now the order is canceled when the loss is charged.
    name: "an uncovered isolated loss cancels the orders whose reservations cash no longer covers",
    drafts: `[{"kind":"quote","market":1,"account":1,"buy":false,"offsetBps":278,"lots":240},{"kind":"index","market":1,"moveBps":-1271},{"kind":"trade","market":1,"maker":0,"taker":1,"buy":true,"offsetBps":-45,"lots":240},{"kind":"trade","market":0,"maker":1,"taker":0,"buy":true,"offsetBps":0,"lots":50},{"kind":"quote","market":0,"account":0,"buy":true,"offsetBps":126,"lots":316},{"kind":"whitelist","account":0,"allowed":false},{"kind":"close","market":1,"account":0},{"kind":"index","market":0,"moveBps":0},{"kind":"trade","market":0,"maker":0,"taker":1,"buy":false,"offsetBps":0,"lots":220},{"kind":"quote","market":0,"account":0,"buy":false,"offsetBps":0,"lots":1},{"kind":"trade","market":0,"maker":1,"taker":0,"buy":true,"offsetBps":0,"lots":96},{"kind":"wait","wait":0},{"kind":"index","market":0,"moveBps":0},{"kind":"whitelist","account":0,"allowed":false}]`,
  },
  {
    // Found by a 4,000-stream run (seed -1073802353): account 1, cross short ETH with a paper profit after
    // a 9 % drop, cuts its isolated BTC leverage from 10x to 2x; the extra margin came out of cash with the
    // paper profit counted, leaving cash 13,035 µUSD owing. setLeverage and adjustMargin now see what is
    // withdrawable, as isolated orders do.
    name: "unrealised cross profit does not fund the margin a lower isolated leverage needs",
    drafts: `[{"kind":"index","market":0,"moveBps":212},{"kind":"trade","market":0,"maker":0,"taker":0,"buy":true,"offsetBps":0,"lots":1},{"kind":"wait","wait":0},{"kind":"quote","market":0,"account":0,"buy":false,"offsetBps":0,"lots":114},{"kind":"mode","market":1,"account":1,"cross":true},{"kind":"trade","market":1,"maker":0,"taker":1,"buy":false,"offsetBps":1,"lots":237},{"kind":"index","market":0,"moveBps":0},{"kind":"index","market":1,"moveBps":-909},{"kind":"trade","market":0,"maker":1,"taker":0,"buy":false,"offsetBps":0,"lots":117},{"kind":"leverage","market":0,"account":1,"leverage":2},{"kind":"liquidate","market":0,"liquidator":0,"trader":0}]`,
  },
];

describe("liquidation properties", () => {
  for (const { name, drafts } of regressions) {
    it(`regression: ${name}`, () => run(JSON.parse(drafts) as Draft[]));
  }
  it("random streams with liquidations keep every invariant, and the index agrees with a scan", () => {
    const seed = process.env["PERPDEX_SEED"] === undefined ? undefined : Number(process.env["PERPDEX_SEED"]);
    const numRuns = Number(process.env["PERPDEX_RUNS"] ?? 300);
    fc.assert(fc.property(fc.array(draftArbitrary, { minLength: 10, maxLength: 60 }), run), { numRuns, ...(seed === undefined ? {} : { seed }) });
    console.log(`liquidation streams: ${seen.liquidations} liquidation steps, ${seen.adl} ADL closes, ${seen.fundCover} fund covers, ${seen.rejected} rejected commands`);
    assert.ok(seen.liquidations > 0, "the streams liquidate");
  });
});
