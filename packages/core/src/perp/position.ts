import type { Account } from "../accounts.ts";
import type { Market } from "../market.ts";
import type { QuoteUnits } from "./fixed-point.ts";

export type MarginMode = "isolated" | "cross";

// A position is an account's exposure in one market, plus what its open orders there could add.
//
// Accounting: `entryNotional` is the cost basis of the open size in µUSD (|size| × average entry price),
// so unrealised PnL = size × mark × quotePerTickLot − signedEntry, where signedEntry is +entryNotional
// for a long and −entryNotional for a short. Closing part of a position moves the closed share of the
// basis out and realises PnL into cash (cross) or into the position's margin (isolated). Because Σ size
// is zero in every market, Σ unrealised PnL = −Σ signedEntry at any mark: money plus that term is
// conserved to the unit (invariants.ts checks it after every command).

export class Position {
  /** Signed size in lots: positive long, negative short. */
  size = 0;
  /** Cost basis of |size|, µUSD, ≥ 0. */
  entryNotional: QuoteUnits = 0;
  /** Isolated margin held for this position, µUSD (always 0 in cross mode). */
  margin: QuoteUnits = 0;
  realizedPnl: QuoteUnits = 0;
  feesPaid: QuoteUnits = 0;
  fundingPaid: QuoteUnits = 0;
  /** The market's cumulative funding index (1e-9 µUSD per lot) when this position last settled funding. */
  fundingIndex = 0n;
  /** The market's funding epoch at that time: equal epochs mean nothing is owed (skips bigint work). */
  fundingEpoch = 0;
  // Open orders that can increase exposure (reduce-only orders are kept apart: they reserve nothing).
  buyLots = 0;
  buyNotional: QuoteUnits = 0;
  sellLots = 0;
  sellNotional: QuoteUnits = 0;
  reduceOnlyBuyLots = 0;
  reduceOnlySellLots = 0;
  /** Initial margin currently reserved for the open orders, µUSD. */
  reserved: QuoteUnits = 0;
  /**
   * The isolated closes of the command `closeSequence` so far, µUSD: `closeNet` = Σ (closed margin share +
   * realised PnL), and how its loss is held: `closeDrawn` from the margin the open lots keep, `closeCovered`
   * by the insurance fund, `closeUncovered` as a debt on cash (a positive net is in cash). Scratch for one
   * command (settlement nets the pieces of one close), so neither hashed nor snapshotted: under any other
   * command sequence all four read as zero.
   */
  closeNet: QuoteUnits = 0;
  closeDrawn: QuoteUnits = 0;
  closeCovered: QuoteUnits = 0;
  closeUncovered: QuoteUnits = 0;
  closeSequence = -1;
  /** The liquidation engine's touch list this position was last added to (perp/liquidation.ts); not state. */
  touchGeneration = -1;
  /** The liquidation engine's flush of stale index entries this position was last queued for; not state. */
  staleGeneration = -1;

  constructor(
    readonly account: Account,
    readonly market: Market,
    public mode: MarginMode,
    public leverage: number,
  ) {}

  get hasOrders(): boolean {
    return this.buyLots + this.sellLots + this.reduceOnlyBuyLots + this.reduceOnlySellLots > 0;
  }

  /** +entryNotional for a long, −entryNotional for a short. */
  get signedEntry(): QuoteUnits {
    return this.size >= 0 ? this.entryNotional : -this.entryNotional;
  }
}

/** The margin mode and leverage an account chose for a market, kept while it is flat. */
export interface MarketSetting {
  mode: MarginMode;
  leverage: number;
}
