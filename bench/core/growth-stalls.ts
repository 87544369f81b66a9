// The slowest commands while the book fills to millions of resting orders, then while millions of new
// accounts deposit: every structure that grows with the order or account count (the order pool's arrays,
// the order index, the address lookup) must grow without holding one command for long. Places GTC limit
// orders on the seven demo markets, away from the touch so none trades, from enough accounts that no
// account reaches its order limit; then deposits to new addresses. Reports the ten slowest applies of
// each part with the count at each.
//
//   npm run bench:growth -- [--orders N] [--accounts N]     (defaults 12,000,000 and 3,000,000; about 40 s, 6 GB)
//
// Run it alone on the machine (flock /tmp/bench.lock ...): a stall is wall-clock time. Issue 6's note
// gives the figures. Before commit 3685d50 the order index rehashed in one command (845 ms at 11.7 M
// orders here) and the pool copied into fresh pages (307 ms at 11.5 M); before the address lookup was
// split into 256 maps, its one Map rehashed in one command (163 ms at 2.1 M accounts). What is left
// includes V8's major GC pauses, which land on whichever command allocates when one is due.
import { parseArgs } from "node:util";
import { Exchange, type ExchangeCommand, type PriceTicks, type SizeLots } from "@perpdex/core";
import { demoGenesis } from "@perpdex/node";
import { nowNs } from "./measure.ts";

const { values } = parseArgs({ options: { orders: { type: "string" }, accounts: { type: "string" } } });
const orders = Number(values.orders ?? 12_000_000);
const newAccounts = Number(values.accounts ?? 3_000_000);
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

/** The ten slowest of the commands measured, with the count (orders or accounts) reached at each. */
class Slowest {
  private readonly entries: { milliseconds: number; count: number }[] = [];
  private threshold = 0;

  add(milliseconds: number, count: number): void {
    if (milliseconds <= this.threshold) return;
    this.entries.push({ milliseconds, count });
    this.entries.sort((a, b) => b.milliseconds - a.milliseconds);
    if (this.entries.length > 10) this.entries.pop();
    if (this.entries.length === 10) this.threshold = this.entries[9]!.milliseconds;
  }

  toString(): string {
    return this.entries.map((entry) => `${entry.milliseconds.toFixed(1)} ms at ${(entry.count / 1e6).toFixed(2)} M`).join(", ");
  }
}

function applyTimed(command: ExchangeCommand): number {
  const before = nowNs();
  const result = exchange.apply(command);
  const milliseconds = (nowNs() - before) / 1e6;
  if (!result.ok) throw new Error(`command ${command.sequence} was rejected: ${result.code} ${result.message}`);
  return milliseconds;
}

const slowestOrders = new Slowest();
let started = nowNs();
for (let index = 0; index < orders; index += 1) {
  const market = markets[index % markets.length]!;
  const buy = (index & 1) === 0;
  // 500 levels a side from 2 % of the reference price outwards: inside the band, never crossing.
  const offset = Math.round(market.referencePriceTicks * 0.02) + ((index >> 1) % 500);
  const price = (market.referencePriceTicks + (buy ? -offset : offset)) as PriceTicks;
  const order = { market: market.symbol, side: buy ? "buy" : "sell", type: "limit", price, size: 1 as SizeLots } as const;
  slowestOrders.add(applyTimed({ type: "placeOrder", ...stamp(), account: addresses[Math.floor(index / ordersPerAccount)]!, order }), index + 1);
}
let seconds = (nowNs() - started) / 1e9;
console.log(`${orders.toLocaleString("en-US")} resting orders from ${accounts} accounts in ${seconds.toFixed(1)} s (${Math.round(orders / seconds).toLocaleString("en-US")}/s)`);
console.log(`slowest applies: ${slowestOrders.toString()}`);

const slowestAccounts = new Slowest();
started = nowNs();
for (let index = 0; index < newAccounts; index += 1) {
  const address = `0x${(accounts + index).toString(16).padStart(40, "0")}`;
  const deposit: ExchangeCommand = { type: "deposit", ...stamp(), account: address, asset: "USDC", amount: 1_000_000_000n, reference: `growth-${index}` };
  slowestAccounts.add(applyTimed(deposit), accounts + index + 1);
}
seconds = (nowNs() - started) / 1e9;
console.log(`${newAccounts.toLocaleString("en-US")} new accounts' deposits in ${seconds.toFixed(1)} s (${Math.round(newAccounts / seconds).toLocaleString("en-US")}/s)`);
console.log(`slowest applies: ${slowestAccounts.toString()}`);
