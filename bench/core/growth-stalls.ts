// The slowest commands while the book fills to millions of resting orders: every structure that grows
// with the order count (the order pool's arrays, the order index, per-account and per-level lists) must
// grow without holding one command for long. Places GTC limit orders on the seven demo markets, away from
// the touch so none trades, from enough accounts that no account reaches its order limit, and reports the
// ten slowest applies with the order count at each.
//
//   npm run bench:growth -- [--orders N]     (default 12,000,000; about 25 s and 5 GB)
//
// Run it alone on the machine (flock /tmp/bench.lock ...): a stall is wall-clock time. Issue 6's note
// gives the figures; before commit 3685d50 the order index rehashed in one command (845 ms at 11.7 M
// orders here) and the pool copied into fresh pages (307 ms at 11.5 M).
import { parseArgs } from "node:util";
import { Exchange, type ExchangeCommand, type PriceTicks, type SizeLots } from "@perpdex/core";
import { demoGenesis } from "@perpdex/node";
import { nowNs } from "./measure.ts";

const { values } = parseArgs({ options: { orders: { type: "string" } } });
const orders = Number(values.orders ?? 12_000_000);
// 5,000 orders an account, half the default limit of 10,000.
const ordersPerAccount = 5_000;
const accounts = Math.ceil(orders / ordersPerAccount);
const addresses = Array.from({ length: accounts }, (_, index) => `0x${index.toString(16).padStart(40, "0")}`);

let sequence = 0;
let time = 1_762_268_400_000_000_000n;
function stamp(): { sequence: number; time: bigint } {
  sequence += 1;
  time += 1_000n;
  return { sequence, time };
}

const exchange = new Exchange();
const setup: ExchangeCommand[] = demoGenesis.markets.map((market) => ({ type: "createMarket", ...stamp(), market }));
for (const address of addresses) {
  setup.push({ type: "deposit", ...stamp(), account: address, asset: "USDC", amount: 1_000_000n * 1_000_000n, reference: `growth-${address.slice(-8)}` });
}
for (const command of setup) if (!exchange.apply(command).ok) throw new Error(`setup command ${command.sequence} was rejected`);

const markets = demoGenesis.markets;
const slowest: { milliseconds: number; restingOrders: number }[] = [];
let threshold = 0;
const started = nowNs();
for (let index = 0; index < orders; index += 1) {
  const market = markets[index % markets.length]!;
  const buy = (index & 1) === 0;
  // 500 levels a side from 2 % of the reference price outwards: inside the band, never crossing.
  const offset = Math.round(market.referencePriceTicks * 0.02) + ((index >> 1) % 500);
  const price = (market.referencePriceTicks + (buy ? -offset : offset)) as PriceTicks;
  const command: ExchangeCommand = {
    type: "placeOrder",
    ...stamp(),
    account: addresses[Math.floor(index / ordersPerAccount)]!,
    order: { market: market.symbol, side: buy ? "buy" : "sell", type: "limit", price, size: 1 as SizeLots },
  };
  const before = nowNs();
  const result = exchange.apply(command);
  const milliseconds = (nowNs() - before) / 1e6;
  if (!result.ok) throw new Error(`order ${index} was rejected: ${result.code} ${result.message}`);
  if (milliseconds > threshold) {
    slowest.push({ milliseconds, restingOrders: index + 1 });
    slowest.sort((a, b) => b.milliseconds - a.milliseconds);
    if (slowest.length > 10) slowest.pop();
    if (slowest.length === 10) threshold = slowest[9]!.milliseconds;
  }
}
const seconds = (nowNs() - started) / 1e9;
console.log(`${orders.toLocaleString("en-US")} resting orders from ${accounts} accounts in ${seconds.toFixed(1)} s (${Math.round(orders / seconds).toLocaleString("en-US")}/s)`);
console.log(`slowest applies: ${slowest.map((entry) => `${entry.milliseconds.toFixed(1)} ms at ${(entry.restingOrders / 1e6).toFixed(2)} M`).join(", ")}`);
