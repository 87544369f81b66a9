// npx tsx bench/core/oracle-bench.ts [commands]: the oracle path's cost in the core. Applies `commands`
// (default 200,000) oraclePrice commands to BTC-PERP with five sources (each triggers an aggregation:
// median, MAD, weights, confidence, index, mark) and, for comparison, as many ticks; prints commands per
// second and µs per command for both. Signatures are not verified here: that is the edge's cost.
import { Exchange, type ExchangeCommand, type PerpMarketSpec, type PriceTicks, type RatePpm, type SizeLots, type Unstamped } from "@perpdex/core";
import { nowNs } from "./measure.ts";

const commands = Number(process.argv[2] ?? 200_000);
const start = 1_704_067_200_000_000_000n;
const step = 10_000_000n; // 10 ms between commands: 100 quotes a second
const market: PerpMarketSpec = {
  symbol: "BTC-PERP",
  tickSize: "1",
  lotSize: "0.001",
  minOrderLots: 1 as SizeLots,
  maxOrderLots: 1_000_000 as SizeLots,
  priceBandPpm: 100_000 as RatePpm,
  referencePriceTicks: 95_000 as PriceTicks,
  marketOrderSlippagePpm: 50_000 as RatePpm,
  assetClass: "crypto",
  marginProfile: "prd",
  leverageMax: 100,
  leverageDefault: 10,
};
const signerOf = (index: number): string => "0x" + String(index + 1).padStart(2, "0").repeat(20);
const signature = "0x" + "5".repeat(130);

function run(kind: "oracle" | "tick"): number {
  const exchange = new Exchange();
  let sequence = 0;
  let time = start;
  const apply = (command: Unstamped<ExchangeCommand>): void => {
    sequence += 1;
    time += step;
    exchange.apply({ ...command, sequence, time } as ExchangeCommand);
  };
  apply({ type: "createMarket", market });
  for (let index = 0; index < 5; index += 1) apply({ type: "registerOracleSource", source: `s${index}`, subject: "BTC-PERP", signer: signerOf(index), reputation: 100, weight: 1 });
  const began = nowNs();
  for (let index = 0; index < commands; index += 1) {
    if (kind === "tick") {
      apply({ type: "tick" });
      continue;
    }
    const source = index % 5;
    const price = 95_000 + ((index * 7919) % 41) - 20;
    apply({ type: "oraclePrice", source: `s${source}`, subject: "BTC-PERP", price, confidencePpm: 990_000, publishTime: time + step, signer: signerOf(source), signature });
  }
  return nowNs() - began;
}

for (const kind of ["tick", "oracle"] as const) {
  run(kind); // warm-up
  const elapsed = run(kind);
  console.log(`${kind.padEnd(6)} ${commands} commands: ${Math.round((commands * 1e9) / elapsed).toLocaleString("en-US")} per second, ${(elapsed / commands / 1000).toFixed(2)} µs each`);
}
