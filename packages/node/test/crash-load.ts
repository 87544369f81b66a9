// The crash harness's load on the perpetual exchange: a pure function of (seed, sequence). A child
// restarted after SIGKILL continues from wherever the log ends and generates what an uninterrupted run
// would have at those sequences.
//
// Right after genesis comes a setup span: the accounts deposit (USDC for all, USDT and DAI for some, at
// sizes from rich to thin, so margin rejections happen), choose cross margin in some markets and a
// leverage in others. The span cycles through the setup list a few times, so a periodic tick that takes
// one of its sequences skips nothing for good. Then a seeded mix: orders of every kind in both margin
// modes (reduce-only included), cancels, cancel-all, reductions, cancel-replace, batches, index price
// moves, collateral price moves, leverage and margin-mode changes, withdrawals, top-up deposits, margin
// adjustments, account suspensions and fee overrides, and ticks. Cancels, reductions and replacements
// name orders by the client id an earlier sequence gave them; when that order is gone (filled, expired,
// never placed) the core rejects the command, deterministically, and replay repeats the rejection.
import type { BatchItem, OrderSpec, PriceTicks, RatePpm, SizeLots } from "@perpdex/core";
import type { ExchangeCommandInput } from "@perpdex/protocol";
import { demoGenesis, genesisCommands } from "../src/index.ts";
import { SeededRandom } from "./seeded-random.ts";

// Reference prices in ticks (genesis.ts); lots per order up to `lotsMax`: a few thousand dollars.
const markets = [
  { symbol: "AAPL-PERP", reference: 23_000, lotsMax: 2_000 },
  { symbol: "BTC-PERP", reference: 95_000, lotsMax: 50 },
  { symbol: "ETH-PERP", reference: 35_000, lotsMax: 100 },
] as const;
type LoadMarket = (typeof markets)[number];

const accounts = Array.from({ length: 6 }, (_, index) => `0x${String(index + 1).repeat(40)}`);
/** USDC each account deposits, in dollars: two rich, two medium, two thin (margin rejections come from these). */
const usdcDollars = [5_000_000, 2_000_000, 200_000, 50_000, 2_000, 300];
const usdc = (dollars: number): bigint => BigInt(dollars) * 1_000_000n;
const dai = (dollars: number): bigint => BigInt(dollars) * 10n ** 18n;

/** The genesis the load runs on: the node's default (the demo markets). */
export const loadGenesisLength = genesisCommands(demoGenesis).length;
// Orders named by a cancel lie at most this many sequences back.
const lookbackMax = 40;
// The setup list repeats this many times right after genesis.
const setupRounds = 3;

function randomFor(seed: number, sequence: number): SeededRandom {
  return new SeededRandom((seed * 1_000_003 + sequence) % Number.MAX_SAFE_INTEGER);
}

function clientIdOf(sequence: number): string {
  return `c${sequence}`;
}

/** The account that acts at `sequence`: fixed by (seed, sequence), so a later cancel can find it. */
function accountFor(seed: number, sequence: number): string {
  return accounts[randomFor(seed ^ 0x5bd1e995, sequence).next() % accounts.length]!;
}

function marketFor(seed: number, sequence: number): LoadMarket {
  return markets[randomFor(seed ^ 0x1b873593, sequence).next() % markets.length]!;
}

// Deposits first (every account, with USDT and DAI for some), then margin modes and leverage.
function setupCommands(seed: number): ExchangeCommandInput[] {
  const random = new SeededRandom(seed ^ 0x2545f491);
  const commands: ExchangeCommandInput[] = [];
  for (const [index, account] of accounts.entries()) {
    commands.push({ type: "deposit", account, asset: "USDC", amount: usdc(usdcDollars[index]!), reference: `setup-usdc-${index}` });
    if (index === 1 || index === 3) commands.push({ type: "deposit", account, asset: "USDT", amount: usdc(50_000), reference: `setup-usdt-${index}` });
    if (index === 0 || index === 2) commands.push({ type: "deposit", account, asset: "DAI", amount: dai(30_000), reference: `setup-dai-${index}` });
  }
  for (const account of accounts) {
    for (const market of markets) {
      if (random.chance(450)) commands.push({ type: "setMarginMode", account, market: market.symbol, mode: "cross" });
      if (random.chance(400)) commands.push({ type: "setLeverage", account, market: market.symbol, leverage: random.pick([2, 5, 20, 50]) });
    }
  }
  return commands;
}

const setupCache = new Map<number, ExchangeCommandInput[]>();

function setupFor(seed: number): ExchangeCommandInput[] {
  let setup = setupCache.get(seed);
  if (setup === undefined) {
    setup = setupCommands(seed);
    setupCache.set(seed, setup);
  }
  return setup;
}

function orderAt(random: SeededRandom, sequence: number, market: LoadMarket, nowNs: bigint): OrderSpec {
  const side = random.chance(500) ? "buy" : "sell";
  const crossing = random.chance(250);
  const offset = random.between(1, 20);
  // Passive orders rest on their own side of the reference; crossing ones reach a few ticks past it.
  const price = (market.reference + ((side === "buy") === crossing ? offset : -offset)) as PriceTicks;
  const size = random.between(1, market.lotsMax) as SizeLots;
  const base = { market: market.symbol, side, size, clientOrderId: clientIdOf(sequence) } as const;
  const kind = random.between(0, 11);
  if (kind === 0) return { ...base, type: "market", slippagePpm: 10_000 as RatePpm };
  if (kind === 1) return { ...base, type: "limit", price, timeInForce: "IOC" };
  if (kind === 2) return { ...base, type: "limit", price, timeInForce: "GTD", expiresAt: nowNs + BigInt(random.between(20, 800)) * 1_000_000n };
  if (kind === 3) return { ...base, type: "limit", price, postOnly: true };
  if (kind === 4) return { ...base, type: "market", reduceOnly: true };
  if (kind === 5) return { ...base, type: "limit", price, reduceOnly: true };
  if (kind === 6) return { ...base, type: "limit", price, timeInForce: "FOK" };
  return { ...base, type: "limit", price };
}

/**
 * The command for `sequence` under `seed`. `nowNs` only sets GTD expiries (the acknowledged payload,
 * not the generator, is what the harness checks against the log).
 *
 * @example
 * const command = crashLoadCommand({ seed: 7, sequence: node.lastSequence + 1, nowNs });
 */
export function crashLoadCommand(options: { seed: number; sequence: number; nowNs: bigint }): ExchangeCommandInput {
  const { seed, sequence, nowNs } = options;
  const setup = setupFor(seed);
  const afterGenesis = sequence - loadGenesisLength - 1;
  if (afterGenesis >= 0 && afterGenesis < setup.length * setupRounds) return setup[afterGenesis % setup.length]!;
  const random = randomFor(seed, sequence);
  const roll = random.between(0, 99);
  if (roll < 69) return bookCommand(random, roll, seed, sequence, nowNs);
  return perpCommand(random, roll, seed, sequence);
}

// Rolls 0..68: the book's commands.
function bookCommand(random: SeededRandom, roll: number, seed: number, sequence: number, nowNs: bigint): ExchangeCommandInput {
  const account = accountFor(seed, sequence);
  const earlier = Math.max(1, sequence - random.between(1, lookbackMax));
  const earlierRef = { clientOrderId: clientIdOf(earlier) };
  if (roll < 38) return { type: "placeOrder", account, order: orderAt(random, sequence, marketFor(seed, sequence), nowNs) };
  if (roll < 50) return { type: "cancelOrder", account: accountFor(seed, earlier), market: marketFor(seed, earlier).symbol, ...earlierRef };
  if (roll < 53) {
    return random.chance(500) ? { type: "cancelAll", account } : { type: "cancelAll", account, market: marketFor(seed, sequence).symbol };
  }
  if (roll < 56) {
    return { type: "reduceOrder", account: accountFor(seed, earlier), market: marketFor(seed, earlier).symbol, remaining: 1 as SizeLots, ...earlierRef };
  }
  if (roll < 60) {
    const order = orderAt(random, sequence, marketFor(seed, earlier), nowNs);
    return { type: "cancelReplace", account: accountFor(seed, earlier), order, replaces: earlierRef };
  }
  return { type: "batch", account, items: batchItems(random, sequence, seed, nowNs) };
}

// Rolls 69..99: prices, collateral, settings, administration, ticks.
function perpCommand(random: SeededRandom, roll: number, seed: number, sequence: number): ExchangeCommandInput {
  const account = accountFor(seed, sequence);
  const market = marketFor(seed, sequence);
  if (roll < 76) {
    // The index wanders up to 0.4 % either side of the reference: the mark follows, funding accrues,
    // positions gain and lose.
    const spread = Math.floor(market.reference / 250);
    return { type: "indexPrice", market: market.symbol, price: market.reference + random.between(-spread, spread) };
  }
  if (roll < 78) {
    // Stablecoins a little off the peg; now and then a price the core refuses as a broken feed.
    const pricePpm = random.chance(100) ? 400_000 : random.between(990_000, 1_005_000);
    return { type: "collateralPrice", asset: random.pick(["USDT", "DAI"] as const), pricePpm };
  }
  if (roll < 81) return { type: "setLeverage", account, market: market.symbol, leverage: random.pick([1, 3, 5, 10, 20, 25, 50, 100]) };
  if (roll < 82) return { type: "setMarginMode", account, market: market.symbol, mode: random.chance(500) ? "cross" : "isolated" };
  if (roll < 85) return withdrawal(random, account);
  if (roll < 87) return { type: "deposit", account, asset: "USDC", amount: usdc(random.pick([50, 500])), reference: `top-up-${sequence}` };
  if (roll < 89) return { type: "adjustMargin", account, market: market.symbol, amount: random.pick([-50, -5, 5, 50]) * 1_000_000 };
  // One status change in ten suspends: an account is suspended about a tenth of the time.
  if (roll < 90) return { type: "accountStatus", account, status: random.chance(100) ? "suspended" : "active" };
  if (roll < 91) return { type: "feeOverride", account, rates: random.chance(500) ? null : { makerPpm: 100, takerPpm: 400 } };
  return { type: "tick" };
}

// Mostly USDC, from small to more than any account holds; some USDT and DAI.
function withdrawal(random: SeededRandom, account: string): ExchangeCommandInput {
  const choice = random.between(0, 9);
  if (choice < 7) return { type: "withdraw", account, asset: "USDC", amount: usdc(random.pick([100, 1_000, 5_000, 50_000, 10_000_000])) };
  if (choice < 9) return { type: "withdraw", account, asset: "USDT", amount: usdc(random.pick([500, 20_000])) };
  return { type: "withdraw", account, asset: "DAI", amount: dai(random.pick([500, 20_000])) };
}

// Batch items are numbered by their position; their client ids extend the sequence's.
function batchItems(random: SeededRandom, sequence: number, seed: number, nowNs: bigint): BatchItem[] {
  const count = random.between(1, 5);
  const items: BatchItem[] = [];
  for (let item = 0; item < count; item += 1) {
    if (random.chance(300)) {
      const earlier = Math.max(1, sequence - random.between(1, lookbackMax));
      items.push({ type: "cancelOrder", market: marketFor(seed, earlier).symbol, clientOrderId: clientIdOf(earlier) });
    } else {
      const order = orderAt(random, sequence, marketFor(seed, sequence), nowNs);
      items.push({ type: "placeOrder", order: { ...order, clientOrderId: `${clientIdOf(sequence)}.${item}` } });
    }
  }
  return items;
}
