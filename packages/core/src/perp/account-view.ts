import type { AccountStatus } from "../accounts.ts";
import type { Exchange } from "../exchange.ts";
import { collateralValue, freeCollateral, markNotional, positionMaintenance, unrealizedPnl, withdrawable } from "./account-risk.ts";
import { multiplyDivide, type QuoteUnits } from "./fixed-point.ts";
import { adlQuantile } from "./adl.ts";
import { liquidationPrice } from "./liquidation-price.ts";
import { initialMargin, type MarginProfile } from "./margin-tiers.ts";
import type { MarginMode, Position } from "./position.ts";

// What a trader sees of an account (PRD §3.1, SPEC 05 §3.3): equity, unrealised PnL at mark, margin
// ratio, health, and each position's exact liquidation price. Views read the state; they change nothing
// (pending funding is shown, not settled).

/**
 * SPEC 05 health from the margin ratio (equity ÷ maintenance margin): healthy at 2.0 or more, warning
 * from 1.5, danger from 1.2, critical (margin call) from 1.0, and liquidation below 1.0 (PRD §2.4.1).
 */
export type HealthLevel = "healthy" | "warning" | "danger" | "critical" | "liquidation";

/** Margin ratio bounds in ppm of 1.0. */
const healthBoundsPpm: readonly [HealthLevel, number][] = [
  ["healthy", 2_000_000],
  ["warning", 1_500_000],
  ["danger", 1_200_000],
  ["critical", 1_000_000],
];

export interface PositionView {
  readonly market: string;
  readonly mode: MarginMode;
  readonly leverage: number;
  /** Signed lots. */
  readonly size: number;
  /** Average entry in ticks, rounded half up (entryNotional ÷ (|size| × quotePerTickLot)); 0 when flat. */
  readonly entryPrice: number;
  readonly markPrice: number;
  readonly entryNotional: QuoteUnits;
  readonly notional: QuoteUnits;
  readonly unrealizedPnl: QuoteUnits;
  readonly realizedPnl: QuoteUnits;
  /** Isolated margin held by the position; 0 in cross mode. */
  readonly margin: QuoteUnits;
  readonly initialMargin: QuoteUnits;
  readonly maintenanceMargin: QuoteUnits;
  /** Funding owed now and settled when the position is next touched (positive: to pay). */
  readonly fundingPending: QuoteUnits;
  /** Isolated: (margin + unrealised PnL) ÷ maintenance, ppm; cross positions share the account's ratio. */
  readonly marginRatioPpm: number | null;
  readonly health: HealthLevel;
  /** The mark (ticks) at which equity falls below maintenance margin, exactly; null if it never does. */
  readonly liquidationPrice: number | null;
  readonly reserved: QuoteUnits;
  /**
   * Place in the market side's auto-deleveraging queue (SPEC 06 §8.2, profit ratio × leverage): 5 for the
   * top 20 % (deleveraged first), down to 1; null when flat. Ranked over the side's positions on each view.
   */
  readonly adlQuantile: number | null;
  /** True in the top 20 % of the ADL queue (SPEC 06 §8.3: these accounts are warned). */
  readonly adlWarning: boolean;
}

export interface AccountView {
  readonly address: string;
  readonly status: AccountStatus;
  /** USDC µUSD; USDT and DAI base units. */
  readonly balances: { readonly USDC: QuoteUnits; readonly USDT: bigint; readonly DAI: bigint };
  readonly collateralValue: QuoteUnits;
  /** Collateral value + unrealised PnL of cross positions. */
  readonly crossEquity: QuoteUnits;
  readonly crossMaintenanceMargin: QuoteUnits;
  readonly crossInitialMargin: QuoteUnits;
  readonly reserved: QuoteUnits;
  readonly freeCollateral: QuoteUnits;
  readonly withdrawable: QuoteUnits;
  readonly marginRatioPpm: number | null;
  readonly health: HealthLevel;
  readonly positions: readonly PositionView[];
}

/**
 * The account's view, or null for an address that never deposited.
 *
 * @example
 * const view = accountView(exchange, "0x…");
 * if (view !== null && view.health !== "healthy") warn(view.marginRatioPpm);
 */
export function accountView(exchange: Exchange, address: string): AccountView | null {
  const account = exchange.engine.accounts.find(address);
  if (account === undefined) return null;
  const collateral = collateralValue(account, exchange.prices);
  let crossEquity = collateral;
  let crossMaintenance = 0;
  let crossInitial = 0;
  for (const position of account.positions) {
    if (position.mode !== "cross" || position.size === 0) continue;
    const perpMarket = exchange.perpMarkets[position.market.index]!;
    crossEquity += unrealizedPnl(position, perpMarket);
    crossMaintenance += positionMaintenance(position, perpMarket);
    crossInitial += initialMargin({ notional: markNotional(position, perpMarket), leverage: position.leverage });
  }
  const crossRatio = ratioPpm(crossEquity, crossMaintenance);
  return {
    address: account.address,
    status: account.status,
    balances: { USDC: account.cash, USDT: account.tokens[1]!, DAI: account.tokens[2]! },
    collateralValue: collateral,
    crossEquity,
    crossMaintenanceMargin: crossMaintenance,
    crossInitialMargin: crossInitial,
    reserved: account.reserved,
    freeCollateral: freeCollateral(account, exchange),
    withdrawable: Math.max(0, withdrawable(account, exchange)),
    marginRatioPpm: crossRatio,
    health: healthOf(crossRatio),
    positions: account.positions.map((position) => positionView(exchange, position, { crossEquity, crossMaintenance, crossRatio })),
  };
}

function positionView(
  exchange: Exchange,
  position: Position,
  cross: { crossEquity: QuoteUnits; crossMaintenance: QuoteUnits; crossRatio: number | null },
): PositionView {
  const perpMarket = exchange.perpMarkets[position.market.index]!;
  const quotePerTickLot = perpMarket.quotePerTickLot;
  const size = position.size;
  const notional = markNotional(position, perpMarket);
  const pnl = size === 0 ? 0 : unrealizedPnl(position, perpMarket);
  const maintenance = size === 0 ? 0 : positionMaintenance(position, perpMarket);
  const isolated = position.mode === "isolated";
  const ratio = isolated ? ratioPpm(position.margin + pnl, maintenance) : cross.crossRatio;
  const adl = adlQuantile(exchange, position);
  return {
    market: position.market.symbol,
    mode: position.mode,
    leverage: position.leverage,
    size,
    entryPrice:
      size === 0
        ? 0
        : multiplyDivide({ value: position.entryNotional, multiplier: 1, divisor: Math.abs(size) * quotePerTickLot, rounding: "halfUp" }),
    markPrice: perpMarket.markPrice,
    entryNotional: position.entryNotional,
    notional,
    unrealizedPnl: pnl,
    realizedPnl: position.realizedPnl,
    margin: position.margin,
    initialMargin: initialMargin({ notional, leverage: position.leverage }),
    maintenanceMargin: maintenance,
    fundingPending: exchange.funding.owedNow(position),
    marginRatioPpm: ratio,
    health: healthOf(ratio),
    liquidationPrice: size === 0 ? null : liquidationPriceOf(position, perpMarket.profile, cross, { maintenance, notional, quotePerTickLot }),
    reserved: position.reserved,
    adlQuantile: adl,
    adlWarning: adl === 5,
  };
}

/**
 * equity(m) = collateral + size × m × q. Isolated: collateral = margin − signed entry. Cross: the account's
 * cross equity without this position's mark value, and the other cross positions' maintenance held fixed.
 */
function liquidationPriceOf(
  position: Position,
  profile: MarginProfile,
  cross: { crossEquity: QuoteUnits; crossMaintenance: QuoteUnits },
  own: { maintenance: QuoteUnits; notional: QuoteUnits; quotePerTickLot: number },
): number | null {
  const sizeLots = position.size;
  const quotePerTickLot = own.quotePerTickLot;
  if (position.mode === "isolated") {
    return liquidationPrice({ sizeLots, collateral: position.margin - position.signedEntry, quotePerTickLot, profile });
  }
  const markValue = sizeLots >= 0 ? own.notional : -own.notional;
  return liquidationPrice({
    sizeLots,
    collateral: cross.crossEquity - markValue,
    quotePerTickLot,
    profile,
    otherMaintenanceMargin: cross.crossMaintenance - own.maintenance,
  });
}

function ratioPpm(equity: QuoteUnits, maintenance: QuoteUnits): number | null {
  if (maintenance === 0) return null;
  return multiplyDivide({ value: equity, multiplier: 1_000_000, divisor: maintenance, rounding: "floor" });
}

function healthOf(ratio: number | null): HealthLevel {
  if (ratio === null) return "healthy";
  for (const [level, bound] of healthBoundsPpm) if (ratio >= bound) return level;
  return "liquidation";
}

