// The genesis configuration: what the exchange is built with and lists before its first order. On the
// first start of an empty data directory its commands become the first records of the journal: the
// genesis command (sequence 1: the engine limits, from which replay builds the Exchange) and one
// createMarket per market (sequence 2..N+1). The log alone reproduces everything, and a changed genesis
// configuration never rewrites an existing exchange.
//
// Every market parameter lives here, in the market's PerpMarketSpec: the PRD §8.3 asset class caps its
// leverage, the margin profile picks the tier table, and tick × lot fixes the µUSD value of one tick on
// one lot (which must be a whole number of µUSD: docs/PERPETUALS.md, "Units").
import {
  assetClassLeverageMax,
  defaultLimits,
  prdCircuitBreaker,
  prdRiskLimits,
  type AssetClass,
  type EngineLimits,
  type PerpMarketSpec,
  type PriceTicks,
  type RatePpm,
  type SizeLots,
} from "@perpdex/core";
import type { LogCommandInput } from "@perpdex/protocol";
import { demoOracleSources, type OracleSourceRegistration } from "./feeder/demo-sources.ts";

export interface GenesisConfig {
  /** The engine's limits on everything (markets, accounts, orders per account, batch size, fills per order). */
  readonly limits: EngineLimits;
  /** The markets listed at genesis, in listing order. */
  readonly markets: readonly PerpMarketSpec[];
  /**
   * The one admin key (a lowercase 0x address): the api accepts the market admin commands
   * (setMarketStatus, setMarketParams, forceSettle, tripCircuitBreaker), createMarket, accountStatus and
   * feeOverride only when signed by it. The core trusts that admin commands reached it verified; the
   * journal keeps each signed request, so an auditor can re-verify them. Absent: no admin commands.
   */
  readonly admin?: string;
  /**
   * Oracle sources registered at genesis, after the markets (feeder/demo-sources.ts). Absent: none; the
   * index then moves only by `indexPrice` commands.
   */
  readonly oracleSources?: readonly OracleSourceRegistration[];
}

/**
 * The demo admin: the first account of the standard development mnemonic ("test test … junk", Hardhat and
 * Anvil account #0), whose private key is public. For local demos only; a real deployment names its own.
 *
 * @example
 * demoGenesis.admin === demoAdmin; // => true
 */
export const demoAdmin = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";

// A market's default leverage is min(10, its class's cap): new traders start well below the maximum.
const leverageDefaultMax = 10;

/** What differs between the demo markets. */
export interface DemoMarketParameters {
  readonly symbol: string;
  readonly assetClass: AssetClass;
  readonly tickSize: string;
  readonly lotSize: string;
  /** Round late-2025 price levels, in ticks: the index and mark price until the oracle sends one. */
  readonly referencePriceTicks: number;
  readonly maxOrderLots: number;
}

// Equities: a cent tick and a hundredth of a share per lot (100 µUSD per tick-lot); at most 10,000
// shares an order.
const equity = { tickSize: "0.01", lotSize: "0.01", maxOrderLots: 1_000_000 } as const;

const parameters: readonly DemoMarketParameters[] = [
  { symbol: "SPY-PERP", assetClass: "indexEtf", referencePriceTicks: 66_000, ...equity },
  { symbol: "QQQ-PERP", assetClass: "indexEtf", referencePriceTicks: 59_000, ...equity },
  { symbol: "AAPL-PERP", assetClass: "blueChip", referencePriceTicks: 23_000, ...equity },
  { symbol: "NVDA-PERP", assetClass: "tech", referencePriceTicks: 18_000, ...equity },
  { symbol: "TSLA-PERP", assetClass: "tech", referencePriceTicks: 40_000, ...equity },
  // BTC: a $1 tick and 0.001 BTC lots (1,000 µUSD per tick-lot); at most 100 BTC an order.
  { symbol: "BTC-PERP", assetClass: "crypto", tickSize: "1", lotSize: "0.001", referencePriceTicks: 95_000, maxOrderLots: 100_000 },
  // ETH: a $0.10 tick and 0.01 ETH lots (1,000 µUSD per tick-lot); at most 1,000 ETH an order.
  { symbol: "ETH-PERP", assetClass: "crypto", tickSize: "0.1", lotSize: "0.01", referencePriceTicks: 35_000, maxOrderLots: 100_000 },
];

/**
 * A perpetual market on the PRD margin profile with the PRD's risk limits and circuit breakers, capped at
 * its asset class's leverage (PRD §8.3: index
 * ETFs 100x, blue chips 50x, tech 20x, small caps 10x; crypto 100x, see the core's
 * assetClassLeverageMax, as the PRD has no crypto row): limit prices
 * within 10 % of the mark (fat fingers stay off the book), market orders at most 5 % from the touch.
 *
 * @example
 * demoMarket({ symbol: "AMD-PERP", assetClass: "tech", tickSize: "0.01", lotSize: "0.01", referencePriceTicks: 16_000, maxOrderLots: 1_000_000 });
 */
export function demoMarket(entry: DemoMarketParameters): PerpMarketSpec {
  const cap = assetClassLeverageMax[entry.assetClass];
  return Object.freeze({
    symbol: entry.symbol,
    tickSize: entry.tickSize,
    lotSize: entry.lotSize,
    minOrderLots: 1 as SizeLots,
    maxOrderLots: entry.maxOrderLots as SizeLots,
    priceBandPpm: 100_000 as RatePpm,
    referencePriceTicks: entry.referencePriceTicks as PriceTicks,
    marketOrderSlippagePpm: 50_000 as RatePpm,
    assetClass: entry.assetClass,
    marginProfile: "prd",
    leverageMax: cap,
    leverageDefault: Math.min(leverageDefaultMax, cap),
    // PRD §2.7.1 and §2.7.2: $100M open interest, $5M a trader, $1M an order, 20 % of open interest a trader
    // once it passes $5M; ±5 % in 5 minutes, ±10 % in an hour, ±20 % from the last UTC midnight's mark.
    riskLimits: prdRiskLimits,
    circuitBreaker: prdCircuitBreaker,
  });
}

/**
 * The demo exchange: the core's default limits, the SPY, QQQ, AAPL, NVDA, TSLA, BTC and ETH perpetuals, and
 * the demo admin key.
 *
 * @example
 * const node = await ExchangeNode.open({ dataDirectory: "data", logger, genesis: demoGenesis });
 */
export const demoGenesis: GenesisConfig = Object.freeze({
  limits: defaultLimits,
  markets: Object.freeze(parameters.map(demoMarket)),
  admin: demoAdmin,
});

/**
 * The demo oracle sources: three per demo market (PRD §6.2.2: at least three), with public demo keys the
 * feeder signs with. Not in demoGenesis itself (whose command count the node's tests pin): `perpdex start
 * --oracle-feeder` registers them when missing, and a genesis may list them with `{ ...demoGenesis,
 * oracleSources: demoGenesisOracleSources }`.
 *
 * @example
 * demoGenesisOracleSources.length; // => 21
 */
export const demoGenesisOracleSources: readonly OracleSourceRegistration[] = Object.freeze(demoOracleSources(parameters.map((entry) => entry.symbol)));

/**
 * The commands that open the log: the genesis command with the engine limits, then one createMarket per
 * listed market, in listing order.
 *
 * @example
 * genesisCommands(demoGenesis)[0]; // { type: "genesis", limits: { marketsMax: 4096, ... } }
 * genesisCommands(demoGenesis)[1]; // { type: "createMarket", market: { symbol: "SPY-PERP", ... } }
 */
export function genesisCommands(config: GenesisConfig): LogCommandInput[] {
  return [
    { type: "genesis", limits: config.limits },
    ...config.markets.map((market): LogCommandInput => ({ type: "createMarket", market })),
    // Then the oracle sources (core perp/oracle-sources.ts), after the markets they price.
    ...(config.oracleSources ?? []).map((source): LogCommandInput => ({ type: "registerOracleSource", ...source })),
  ];
}
