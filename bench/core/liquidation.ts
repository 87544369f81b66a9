import { fileURLToPath } from "node:url";
import { Exchange, LiquidationIndex, type ExchangeCommand, type OrderSpec, type PriceTicks, type SizeLots, type Unstamped } from "@perpdex/core";
import { collectGarbage, nowNs } from "./measure.ts";
import { Random } from "./random.ts";

// npm run bench:liquidation [-- --quick] [-- --json]: the liquidation engine's two figures.
//
// 1. Detection: 5,000,000 open positions in the detection index of one market (longs keyed by their
//    liquidation price below a $50,000 mark, shorts above it, from entries within ±5 % at 2x … 100x), then
//    the mark moves 1 % down and the index yields every position the move made liquidatable. Timed: the
//    index search alone (LiquidationIndex.collect with its stale-entry check), median of 21 searches after a
//    cold one; the exact recheck of each found position is part of the engine figure below, not of this one.
// 2. The full engine while liquidations happen: a flash crash (longs at 2x … 50x against 5x shorts, the
//    mark falling 1 % a second for 30 s, a liquidity provider bidding under each mark), applied through
//    Exchange.apply; commands per second and liquidation steps per second over the crash phase.
//
// --quick uses 500,000 positions and 1,000 accounts (the numbers npm run bench prints); the default is
// 5,000,000 positions and 10,000 accounts. The machine may be shared: the load average is reported.

export interface LiquidationBenchOptions {
  readonly positions: number;
  readonly accounts: number;
  readonly seed: number;
}

export interface LiquidationBenchResult {
  readonly detection: {
    readonly positions: number;
    readonly markMove: string;
    readonly found: number;
    readonly visited: number;
    readonly medianMs: number;
    readonly maxMs: number;
    readonly withVersionCheckMedianMs: number;
    readonly buildSeconds: number;
  };
  readonly engine: {
    readonly accounts: number;
    readonly commands: number;
    readonly seconds: number;
    readonly commandsPerSecond: number;
    readonly liquidationSteps: number;
    readonly liquidationStepsPerSecond: number;
    readonly adlCloses: number;
  };
}

const leverages = [2, 3, 5, 10, 20, 50, 100] as const;

function measureDetection(options: LiquidationBenchOptions): LiquidationBenchResult["detection"] {
  const random = new Random(options.seed);
  const index = new LiquidationIndex();
  const mark = 50_000;
  const started = nowNs();
  for (let count = 0; count < options.positions; ) {
    const long = random.nextUint32() % 2 === 0;
    const entry = 47_500 + (random.nextUint32() % 5_001);
    const leverage = leverages[random.nextUint32() % leverages.length]!;
    // Liquidation ≈ entry × (1 ∓ 1/leverage ± 0.6 %); one already past the mark would have been
    // liquidated, so it is drawn again.
    const distance = Math.floor(entry / leverage) - Math.floor((entry * 6) / 1_000);
    const price = long ? entry - distance : entry + distance;
    if (long ? price >= mark : price <= mark) continue;
    index.place(index.allocate(), { market: 0, long, price });
    count += 1;
  }
  const buildSeconds = (nowNs() - started) / 1e9;
  const moved = mark - mark / 100;
  const times: number[] = [];
  let found = 0;
  let visited = 0;
  collectGarbage();
  // One cold search first (not counted), then 21 timed ones: the search alone, and with the check of each
  // found entry's version (stale entries dropped), which reads a per-position array at random.
  index.search({ market: 0, mark: moved });
  const checkedTimes: number[] = [];
  for (let pass = 0; pass < 21; pass += 1) {
    const begin = nowNs();
    visited = index.search({ market: 0, mark: moved });
    const searched = nowNs();
    let count = 0;
    for (let item = 0; item < visited; item += 1) {
      if (index.isCurrent(index.found.handles[item]!, index.found.versions[item]!)) count += 1;
    }
    const checked = nowNs();
    times.push((searched - begin) / 1e6);
    checkedTimes.push((checked - begin) / 1e6);
    found = count;
  }
  checkedTimes.sort((left, right) => left - right);
  times.sort((left, right) => left - right);
  return {
    positions: options.positions,
    markMove: "−1 % ($50,000 → $49,500)",
    found,
    visited,
    medianMs: round(times[10]!),
    maxMs: round(times[20]!),
    withVersionCheckMedianMs: round(checkedTimes[10]!),
    buildSeconds: round(buildSeconds),
  };
}

function address(index: number): string {
  return "0x" + index.toString(16).padStart(40, "0");
}

function limit(side: "buy" | "sell", price: number, size: number): OrderSpec {
  return { market: "BTC-PERP", side, type: "limit", price: price as PriceTicks, size: size as SizeLots };
}

const market = {
  symbol: "BTC-PERP",
  tickSize: "1",
  lotSize: "0.001",
  minOrderLots: 1,
  maxOrderLots: 1_000_000,
  priceBandPpm: 100_000,
  referencePriceTicks: 50_000,
  marketOrderSlippagePpm: 50_000,
  assetClass: "crypto",
  marginProfile: "prd",
  leverageMax: 100,
  leverageDefault: 10,
} as const;

function measureEngine(options: LiquidationBenchOptions): LiquidationBenchResult["engine"] {
  const random = new Random(options.seed);
  const exchange = new Exchange();
  let sequence = 0;
  let time = 1_704_067_200_000_000_000n;
  const apply = (input: Unstamped<ExchangeCommand>, step = 1_000_000n): void => {
    sequence += 1;
    time += step;
    const result = exchange.apply({ ...input, sequence, time } as ExchangeCommand);
    if (!result.ok) throw new Error(`${input.type} rejected: ${JSON.stringify(result)}`);
  };
  apply({ type: "createMarket", market: market as never });
  apply({ type: "seedInsuranceFund", amount: 2_000_000_000n, reference: "0xseed" });
  const lever = [2, 5, 10, 20, 50];
  for (let pair = 0; pair < options.accounts / 2; pair += 1) {
    const long = address(pair * 2 + 1);
    const short = address(pair * 2 + 2);
    const lots = 10 + (random.nextUint32() % 190);
    const leverage = lever[random.nextUint32() % lever.length]!;
    const margin = Math.ceil((lots * 50) / leverage) + Math.ceil((lots * 50 * 12) / 10_000) + 1 + (random.nextUint32() % 20);
    apply({ type: "deposit", account: long, asset: "USDC", amount: BigInt(margin) * 1_000_000n, reference: `0xl${pair}` });
    apply({ type: "deposit", account: short, asset: "USDC", amount: BigInt(Math.ceil((lots * 50) / 5) + 100) * 1_000_000n, reference: `0xs${pair}` });
    apply({ type: "setLeverage", account: long, market: "BTC-PERP", leverage });
    apply({ type: "setLeverage", account: short, market: "BTC-PERP", leverage: 5 });
    apply({ type: "placeOrder", account: short, order: limit("sell", 50_000, lots) });
    apply({ type: "placeOrder", account: long, order: limit("buy", 50_000, lots) });
  }
  const provider = address(0xfffff);
  apply({ type: "deposit", account: provider, asset: "USDC", amount: 200_000_000_000_000n, reference: "0xlp" });
  apply({ type: "setLeverage", account: provider, market: "BTC-PERP", leverage: 1 });
  collectGarbage();
  let commands = 0;
  let liquidationSteps = 0;
  let adlCloses = 0;
  const started = nowNs();
  for (let step = 1; step <= 30; step += 1) {
    const mark = 50_000 - step * 500;
    apply({ type: "cancelAll", account: provider, market: "BTC-PERP" });
    apply({ type: "indexPrice", market: "BTC-PERP", price: mark });
    apply({
      type: "batch",
      account: provider,
      items: [
        { type: "placeOrder", order: limit("buy", mark - Math.floor((mark * 15) / 1_000), 30_000) },
        { type: "placeOrder", order: limit("buy", mark - Math.floor((mark * 40) / 1_000), 1_000_000) },
      ],
    });
    commands += 3;
    for (let tick = 0; tick < 30; tick += 1) {
      apply({ type: "tick" }, 100_000_000n);
      commands += 1;
      for (const event of exchange.events) {
        if (event.type === "PositionLiquidated") liquidationSteps += 1;
        else if (event.type === "ADLExecuted") adlCloses += 1;
      }
    }
  }
  const seconds = (nowNs() - started) / 1e9;
  return {
    accounts: options.accounts,
    commands,
    seconds: round(seconds),
    commandsPerSecond: Math.round(commands / seconds),
    liquidationSteps,
    liquidationStepsPerSecond: Math.round(liquidationSteps / seconds),
    adlCloses,
  };
}

function round(value: number): number {
  return Math.round(value * 1_000) / 1_000;
}

/** Both liquidation figures: detection over `positions`, then the engine through a flash crash. */
export function measureLiquidation(options: LiquidationBenchOptions): LiquidationBenchResult {
  const detection = measureDetection(options);
  collectGarbage();
  return { detection, engine: measureEngine(options) };
}

export const liquidationQuick: LiquidationBenchOptions = { positions: 500_000, accounts: 1_000, seed: 1 };
export const liquidationFull: LiquidationBenchOptions = { positions: 5_000_000, accounts: 10_000, seed: 1 };

/** The lines npm run bench and bench:liquidation print. */
export function formatLiquidation(result: LiquidationBenchResult): string {
  const { detection, engine } = result;
  return (
    `liquidation detection: ${detection.positions} positions, mark ${detection.markMove}: ${detection.found} found ` +
    `(${detection.visited} index entries visited) in ${detection.medianMs} ms median, ${detection.maxMs} ms max of 21; ` +
    `${detection.withVersionCheckMedianMs} ms with each entry's version checked\n` +
    `liquidation engine: flash crash over ${engine.accounts} accounts: ${engine.commands} commands in ${engine.seconds} s = ` +
    `${engine.commandsPerSecond} commands/s, ${engine.liquidationSteps} liquidation steps (${engine.liquidationStepsPerSecond}/s), ` +
    `${engine.adlCloses} ADL closes\n`
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes("--quick");
  const result = measureLiquidation(quick ? liquidationQuick : liquidationFull);
  process.stdout.write(process.argv.includes("--json") ? `${JSON.stringify(result)}\n` : formatLiquidation(result));
}
