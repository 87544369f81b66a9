// The genesis configuration: what the exchange lists before its first order. On the first start of an
// empty data directory its commands become the first records of the journal (sequence 1..N), so the log
// alone reproduces everything and a changed genesis file never rewrites an existing exchange.
//
// This file is the one place to extend a market's parameters: when the core's MarketSpec grows (leverage
// tiers, fees), the new fields go into `demoMarkets` below. `assetClass` already records the PRD asset
// class that will cap each market's leverage (index ETFs 100x, blue chips 50x, tech 20x; crypto per PRD).
import type { CommandInput, MarketSpec, PriceTicks, RatePpm, SizeLots } from "@perpdex/core";

export type AssetClass = "indexEtf" | "blueChip" | "tech" | "crypto";

/** One listed market: its core parameters and what the core does not use yet. */
export interface GenesisMarket {
  readonly spec: MarketSpec;
  readonly assetClass: AssetClass;
}

export interface GenesisConfig {
  readonly markets: readonly GenesisMarket[];
}

// Reference prices are round late-2025 levels; the first trade replaces them. Prices are ticks and sizes
// are lots: AAPL at 230.00 with a 0.01 tick is 23,000 ticks.
interface MarketParameters {
  readonly symbol: string;
  readonly assetClass: AssetClass;
  readonly tickSize: string;
  readonly lotSize: string;
  readonly referencePriceTicks: number;
  readonly maxOrderLots: number;
  readonly priceBandPpm: number;
  readonly marketOrderSlippagePpm: number;
}

// Equities: a cent tick and a hundredth of a share per lot; the order cap is 10,000 shares. The price band
// (5 %) keeps fat-finger limit prices off the book; a market order walks at most 2 % from the touch.
const equity = { tickSize: "0.01", lotSize: "0.01", maxOrderLots: 1_000_000, priceBandPpm: 50_000, marketOrderSlippagePpm: 20_000 };

const parameters: readonly MarketParameters[] = [
  { symbol: "SPY-PERP", assetClass: "indexEtf", referencePriceTicks: 66_000, ...equity },
  { symbol: "QQQ-PERP", assetClass: "indexEtf", referencePriceTicks: 59_000, ...equity },
  { symbol: "AAPL-PERP", assetClass: "blueChip", referencePriceTicks: 23_000, ...equity },
  { symbol: "NVDA-PERP", assetClass: "tech", referencePriceTicks: 18_000, ...equity },
  { symbol: "TSLA-PERP", assetClass: "tech", referencePriceTicks: 40_000, ...equity },
  // BTC: a $0.50 tick, 0.0001 BTC lots, at most 100 BTC an order, a 10 % band for a 24/7 market.
  {
    symbol: "BTC-PERP",
    assetClass: "crypto",
    tickSize: "0.5",
    lotSize: "0.0001",
    referencePriceTicks: 190_000,
    maxOrderLots: 1_000_000,
    priceBandPpm: 100_000,
    marketOrderSlippagePpm: 20_000,
  },
  // ETH: a $0.05 tick, 0.001 ETH lots, at most 1,000 ETH an order.
  {
    symbol: "ETH-PERP",
    assetClass: "crypto",
    tickSize: "0.05",
    lotSize: "0.001",
    referencePriceTicks: 70_000,
    maxOrderLots: 1_000_000,
    priceBandPpm: 100_000,
    marketOrderSlippagePpm: 20_000,
  },
];

function genesisMarket(entry: MarketParameters): GenesisMarket {
  const spec: MarketSpec = {
    symbol: entry.symbol,
    tickSize: entry.tickSize,
    lotSize: entry.lotSize,
    minOrderLots: 1 as SizeLots,
    maxOrderLots: entry.maxOrderLots as SizeLots,
    priceBandPpm: entry.priceBandPpm as RatePpm,
    referencePriceTicks: entry.referencePriceTicks as PriceTicks,
    marketOrderSlippagePpm: entry.marketOrderSlippagePpm as RatePpm,
  };
  return Object.freeze({ spec: Object.freeze(spec), assetClass: entry.assetClass });
}

/**
 * The demo exchange: SPY, QQQ, AAPL, NVDA, TSLA, BTC and ETH perpetuals.
 *
 * @example
 * const node = await ExchangeNode.open({ dataDirectory: "data", logger, genesis: demoGenesis });
 */
export const demoGenesis: GenesisConfig = Object.freeze({ markets: Object.freeze(parameters.map(genesisMarket)) });

/**
 * The commands that open the log: one createMarket per listed market, in listing order.
 *
 * @example
 * genesisCommands(demoGenesis)[0]; // { type: "createMarket", market: { symbol: "SPY-PERP", ... } }
 */
export function genesisCommands(config: GenesisConfig): CommandInput[] {
  return config.markets.map((market) => ({ type: "createMarket", market: market.spec }));
}
