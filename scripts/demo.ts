// `npm start` until the exchange node exists: drives the core through a short, seeded trading session
// on two markets and prints each book and the trades, with prices and sizes as exact decimal strings.
import {
  Engine,
  checkInvariants,
  stateHash,
  type Command,
  type CommandInput,
  type MarketSpec,
  type PriceTicks,
  type SizeLots,
  type TradeExecuted,
} from "@perpdex/core";
import { lotsToDecimal, ticksToDecimal } from "@perpdex/protocol";

const markets: MarketSpec[] = [
  market("AAPL-PERP", "0.01", "0.01", 23_050),
  market("BTC-PERP", "0.5", "0.0001", 194_000),
];

function market(symbol: string, tickSize: string, lotSize: string, referencePriceTicks: number): MarketSpec {
  return {
    symbol,
    tickSize,
    lotSize,
    minOrderLots: 1 as SizeLots,
    maxOrderLots: 10_000_000 as SizeLots,
    priceBandPpm: 100_000 as MarketSpec["priceBandPpm"],
    referencePriceTicks: referencePriceTicks as PriceTicks,
    marketOrderSlippagePpm: 20_000 as MarketSpec["marketOrderSlippagePpm"],
  };
}

const engine = new Engine();
const trades: TradeExecuted[] = [];
let sequence = 0;
// Exchange time comes from the sequencer in the node; here: 1 ms a command from a fixed instant.
const start = 1_767_225_600_000_000_000n;

function apply(command: CommandInput): void {
  sequence += 1;
  const stamped = { ...command, sequence, time: start + BigInt(sequence) * 1_000_000n } as Command;
  const result = engine.apply(stamped);
  checkInvariants(engine);
  if (!result.ok) console.log(`  rejected ${command.type}: ${result.code}: ${result.message}`);
  for (const event of engine.events) if (event.type === "TradeExecuted") trades.push(event);
}

const maker = "0x" + "1".repeat(40);
const taker = "0x" + "2".repeat(40);
for (const spec of markets) apply({ type: "createMarket", market: spec });
for (const spec of markets) {
  const mid = spec.referencePriceTicks;
  for (let step = 1; step <= 5; step += 1) {
    const size = (step * 150) as SizeLots;
    apply({ type: "placeOrder", account: maker, order: { market: spec.symbol, side: "buy", type: "limit", price: (mid - step * 2) as PriceTicks, size } });
    apply({ type: "placeOrder", account: maker, order: { market: spec.symbol, side: "sell", type: "limit", price: (mid + step * 2) as PriceTicks, size } });
  }
  apply({ type: "placeOrder", account: taker, order: { market: spec.symbol, side: "buy", type: "market", size: 400 as SizeLots } });
  apply({ type: "placeOrder", account: taker, order: { market: spec.symbol, side: "sell", type: "limit", price: (mid - 4) as PriceTicks, size: 300 as SizeLots, timeInForce: "IOC" } });
  apply({ type: "placeOrder", account: taker, order: { market: spec.symbol, side: "buy", type: "limit", price: (mid + 1) as PriceTicks, size: 50 as SizeLots, postOnly: true } });
}

for (const spec of markets) {
  const book = engine.market(spec.symbol)!;
  const price = (ticks: number): string => ticksToDecimal({ ticks, tickSize: spec.tickSize }).padStart(12);
  const size = (lots: number): string => lotsToDecimal({ lots, lotSize: spec.lotSize }).padStart(10);
  console.log(`\n${spec.symbol} (tick ${spec.tickSize}, lot ${spec.lotSize})`);
  console.log("         price       size  orders");
  for (const level of book.asks.levels.slice(-5)) console.log(`  ask ${price(level.price)} ${size(level.totalLots)}  ${level.orderCount}`);
  console.log("  ---");
  for (const level of [...book.bids.levels].reverse().slice(0, 5)) console.log(`  bid ${price(level.price)} ${size(level.totalLots)}  ${level.orderCount}`);
  console.log("  trades:");
  for (const trade of trades.filter((entry) => entry.market === spec.symbol)) {
    console.log(`    #${trade.sequence}.${trade.index} taker ${trade.takerSide.padEnd(4)} ${size(trade.size)} @ ${price(trade.price)}`);
  }
}
console.log(`\n${sequence} commands, state hash ${stateHash(engine)}`);
