// Hyperliquid's view of perpdex markets and orders.
//
// - Asset index `a` = the market's index in the exchange (markets are only ever appended, so an index
//   never changes meaning). The coin is the symbol without "-PERP": BTC-PERP is "BTC", asset 5.
// - szDecimals = the number of decimals of the lot size, so a size ccxt rounds to szDecimals is a whole
//   number of lots whenever the lot size is a power of ten (every demo market). Prices: ccxt rounds to
//   5 significant figures and at most 6 − szDecimals decimals; for the demo markets' prices that is
//   exactly the tick grid (0.01 for equities in the hundreds, 0.1 for ETH, 1 for BTC). A price or size
//   that still lands off the grid is refused with the nearest valid values: perpdex never rounds an
//   order for the trader.
// - Order wire { a, b, p, s, r, t, c } → OrderSpec: tif Gtc → GTC, Ioc → IOC (how ccxt sends market
//   orders: an IOC limit at mid ± slippage), Alo → GTC post-only, r → reduceOnly, c (the 128-bit cloid)
//   → clientOrderId. Trigger (TP/SL) orders do not exist on perpdex and are refused.
import type { Exchange, OrderSpec, PerpMarket, PriceTicks, SizeLots } from "@perpdex/core";
import { decimalToLots, decimalToTicks, formatUnits, lotsToDecimal, ticksToDecimal } from "@perpdex/protocol";
import { HyperliquidError } from "./errors.ts";

/** One perpdex market as Hyperliquid clients see it. */
export interface HyperliquidAsset {
  /** Hyperliquid's asset index `a`: the market's index in the exchange. */
  readonly asset: number;
  /** "BTC" for BTC-PERP. */
  readonly coin: string;
  readonly market: PerpMarket;
  readonly symbol: string;
  readonly tickSize: string;
  readonly lotSize: string;
  readonly szDecimals: number;
}

const perpSuffix = "-PERP";

/**
 * The coin name of a perpdex market symbol.
 *
 * @example
 * coinOf("BTC-PERP"); // => "BTC"
 */
export function coinOf(symbol: string): string {
  return symbol.endsWith(perpSuffix) ? symbol.slice(0, -perpSuffix.length) : symbol;
}

/**
 * Decimals of a decimal string ("0.001" → 3, "1" → 0).
 *
 * @example
 * decimalsOf("0.01"); // => 2
 */
export function decimalsOf(text: string): number {
  const point = text.indexOf(".");
  return point < 0 ? 0 : text.length - point - 1;
}

function assetOf(market: PerpMarket, exchange: Exchange): HyperliquidAsset {
  const symbol = exchange.engine.markets[market.index]!.symbol;
  return {
    asset: market.index,
    coin: coinOf(symbol),
    market,
    symbol,
    tickSize: market.spec.tickSize,
    lotSize: market.spec.lotSize,
    szDecimals: decimalsOf(market.spec.lotSize),
  };
}

/**
 * Every listed market in asset-index order.
 *
 * @example
 * hyperliquidAssets(node.exchange).map((asset) => asset.coin); // => ["SPY", "QQQ", …]
 */
export function hyperliquidAssets(exchange: Exchange): HyperliquidAsset[] {
  return exchange.perpMarkets.map((market) => assetOf(market, exchange));
}

/**
 * The market of an asset index, or a HyperliquidError naming the valid range.
 *
 * @example
 * assetByIndex(node.exchange, 5).symbol; // => "BTC-PERP"
 */
export function assetByIndex(exchange: Exchange, index: unknown): HyperliquidAsset {
  const count = exchange.perpMarkets.length;
  if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index >= count) {
    throw new HyperliquidError(`Invalid asset ${JSON.stringify(index) ?? "undefined"}: perpdex lists assets 0 to ${count - 1} (see the "meta" info request)`);
  }
  return assetOf(exchange.perpMarkets[index]!, exchange);
}

/**
 * The market of a coin name ("BTC"), or a HyperliquidError listing the coins.
 *
 * @example
 * assetByCoin(node.exchange, "ETH").asset; // => 6
 */
export function assetByCoin(exchange: Exchange, coin: unknown): HyperliquidAsset {
  const assets = hyperliquidAssets(exchange);
  const found = assets.find((asset) => asset.coin === coin);
  if (found === undefined) {
    throw new HyperliquidError(`Unknown coin ${JSON.stringify(coin) ?? "undefined"}; perpdex lists ${assets.map((asset) => asset.coin).join(", ")}`);
  }
  return found;
}

/**
 * A price in ticks as Hyperliquid's decimal string.
 *
 * @example
 * priceText(asset, 9_500_000); // => "95000" for BTC (tick 1)
 */
export function priceText(asset: HyperliquidAsset, ticks: number): string {
  return ticksToDecimal({ ticks, tickSize: asset.tickSize });
}

/**
 * A size in lots as Hyperliquid's decimal string.
 *
 * @example
 * sizeText(asset, 12); // => "0.012" for BTC (lot 0.001)
 */
export function sizeText(asset: HyperliquidAsset, lots: number): string {
  return lotsToDecimal({ lots, lotSize: asset.lotSize });
}

/**
 * µUSD as a USD decimal string ("1234.5").
 *
 * @example
 * usdText(1_234_500_000); // => "1234.5"
 */
export function usdText(microUsd: number | bigint): string {
  return formatUnits(BigInt(microUsd), 6);
}

/** Hyperliquid's order wire, as ccxt and the official SDKs send it. */
export interface OrderWire {
  readonly a: number;
  readonly b: boolean;
  readonly p: string;
  readonly s: string;
  readonly r: boolean;
  readonly t: { readonly limit?: { readonly tif: string }; readonly trigger?: unknown };
  readonly c?: string;
}

const cloidPattern = /^0x[0-9a-fA-F]{32}$/;

/** An order wire turned into a perpdex order, with the asset it names. */
export interface MappedOrder {
  readonly asset: HyperliquidAsset;
  readonly spec: OrderSpec;
  /** Hyperliquid's time in force, echoed in order queries. */
  readonly tif: "Gtc" | "Ioc" | "Alo";
}

/**
 * Maps one order wire to a perpdex OrderSpec; throws a HyperliquidError whose message starts with the
 * text Hyperliquid uses for the same fault (so ccxt raises the same error class).
 *
 * @example
 * mapOrder(exchange, { a: 5, b: true, p: "95000", s: "0.01", r: false, t: { limit: { tif: "Alo" } } });
 * // => { spec: { market: "BTC-PERP", side: "buy", type: "limit", price: 95000, size: 10, timeInForce: "GTC", postOnly: true, reduceOnly: false }, … }
 */
export function mapOrder(exchange: Exchange, value: unknown): MappedOrder {
  if (typeof value !== "object" || value === null) throw new HyperliquidError('an order must be an object { "a", "b", "p", "s", "r", "t" }');
  const wire = value as Partial<OrderWire>;
  const asset = assetByIndex(exchange, wire.a);
  const suffix = ` asset=${asset.asset}`;
  if (typeof wire.b !== "boolean") throw new HyperliquidError(`order.b must be true (buy) or false (sell).${suffix}`);
  if (wire.r !== undefined && typeof wire.r !== "boolean") throw new HyperliquidError(`order.r (reduce only) must be a boolean.${suffix}`);
  const tif = timeInForceOf(wire.t, suffix);
  const price = decimalToTicks({ value: wire.p, tickSize: asset.tickSize, field: "price" });
  if (!price.ok) throw new HyperliquidError(`${pricePrefix(price.code)} ${price.message}.${suffix}`, price.code);
  const size = decimalToLots({ value: wire.s, lotSize: asset.lotSize, field: "size" });
  if (!size.ok) {
    const prefix = size.code === "SIZE_NOT_POSITIVE" ? "Order has zero size." : "Order has invalid size.";
    throw new HyperliquidError(`${prefix} ${size.message}.${suffix}`, size.code);
  }
  if (wire.c !== undefined && (typeof wire.c !== "string" || !cloidPattern.test(wire.c))) {
    throw new HyperliquidError(`Invalid cloid: a client order id is 0x followed by 32 hex digits (128 bits).${suffix}`);
  }
  const spec: OrderSpec = {
    market: asset.symbol,
    side: wire.b ? "buy" : "sell",
    type: "limit",
    price: price.ticks as PriceTicks,
    size: size.lots as SizeLots,
    timeInForce: tif === "Ioc" ? "IOC" : "GTC",
    postOnly: tif === "Alo",
    reduceOnly: wire.r === true,
    ...(wire.c === undefined ? {} : { clientOrderId: wire.c }),
  };
  return { asset, spec, tif };
}

// The Hyperliquid sentence for each fault comes first: clients match on it (ccxt's InvalidOrder).
function pricePrefix(code: string): string {
  if (code === "PRICE_OFF_TICK") return "Price must be divisible by tick size.";
  if (code === "PRICE_TOO_LARGE") return "Order price cannot be more than 80% away from the reference price;";
  return "Order has invalid price.";
}

function timeInForceOf(type: OrderWire["t"] | undefined, suffix: string): "Gtc" | "Ioc" | "Alo" {
  if (typeof type !== "object" || type === null) throw new HyperliquidError(`order.t must be { "limit": { "tif": "Gtc" | "Ioc" | "Alo" } }.${suffix}`);
  if (type.trigger !== undefined) throw new HyperliquidError(`Trigger (TP/SL) orders are not supported on perpdex; send limit orders.${suffix}`);
  const tif = type.limit?.tif;
  if (tif === "Gtc" || tif === "Ioc" || tif === "Alo") return tif;
  // The Hyperliquid web app's market orders; the same as Ioc.
  if (tif === "FrontendMarket") return "Ioc";
  throw new HyperliquidError(`order.t.limit.tif must be "Gtc", "Ioc" or "Alo", got ${JSON.stringify(tif) ?? "nothing"}.${suffix}`);
}
