import type { Account } from "../accounts.ts";
import { assert } from "../assert.ts";
import type { Exchange } from "../exchange.ts";
import { collateralValue, unrealizedPnl } from "./account-risk.ts";
import type { QuoteUnits } from "./fixed-point.ts";

// The insurance fund's movements other than fees (40 % of each fill's net fee, settlement.ts) and the
// deficits of isolated positions (Settlement.coverDeficit): liquidation penalties, direct seeding, and
// the write-off of an account that a liquidation left with negative equity. Every movement is an event,
// the balance lives in Treasury.insuranceFund (state hash, snapshot, conservation invariant).

/**
 * Where money paid into the fund came from. "deficitRepaid": a later piece of the same isolated close
 * gained back what the fund had covered for an earlier piece (Settlement.releaseGain).
 */
export type InsuranceFundSource = "liquidationPenalty" | "seed" | "deficitRepaid";

/** Adds `amount` (≥ 0 µUSD) to the fund and emits InsuranceFundDeposited. */
export function depositToFund(exchange: Exchange, parameters: { amount: QuoteUnits; source: InsuranceFundSource; account: string | null }): void {
  const { amount, source, account } = parameters;
  assert(Number.isSafeInteger(amount) && amount >= 0, "a fund deposit is a non-negative safe integer");
  if (amount === 0) return;
  exchange.treasury.insuranceFund += amount;
  exchange.events.push({
    type: "InsuranceFundDeposited",
    sequence: exchange.engine.commandSequence,
    index: exchange.events.length,
    time: exchange.time,
    source,
    account,
    amount,
    fundBalance: exchange.treasury.insuranceFund,
  });
}

/**
 * The equity an account has outside its isolated positions: collateral value plus the unrealised PnL
 * of its cross positions at mark. Negative after a liquidation only when losses passed everything.
 */
export function crossEquityOf(exchange: Exchange, account: Account): QuoteUnits {
  let equity = collateralValue(account, exchange.prices);
  for (const position of account.positions) {
    if (position.mode !== "cross" || position.size === 0) continue;
    equity += unrealizedPnl(position, exchange.perpMarkets[position.market.index]!);
  }
  return equity;
}

function hasCrossExposure(account: Account): boolean {
  for (const position of account.positions) if (position.mode === "cross" && position.size !== 0) return true;
  return false;
}

/**
 * Writes off what an account owes beyond everything it holds once nothing of it is left at risk (no
 * open cross position): the fund pays the debt into its cash as far as it reaches (InsuranceFundUsed);
 * the rest stays as bad debt, returned so the caller can count it. An account whose other collateral
 * still backs its USDC debt owes nothing here.
 */
export function writeOffShortfall(exchange: Exchange, account: Account, market: string): QuoteUnits {
  if (account.cash >= 0 || hasCrossExposure(account)) return 0;
  const debt = -collateralValue(account, exchange.prices);
  if (debt <= 0) return 0;
  // Cash is what is short (tokens are valued at or below their price): pay in at most −cash.
  const deficit = Math.min(debt, -account.cash);
  const covered = Math.min(deficit, exchange.treasury.insuranceFund);
  exchange.treasury.insuranceFund -= covered;
  account.cash += covered;
  const marketIndex = exchange.engine.market(market)?.index;
  if (marketIndex === undefined) exchange.liquidations.touchAccount(account);
  else exchange.liquidations.touch(account, marketIndex);
  exchange.events.push({
    type: "InsuranceFundUsed",
    sequence: exchange.engine.commandSequence,
    index: exchange.events.length,
    time: exchange.time,
    account: account.address,
    market,
    deficit,
    covered,
    fundBalance: exchange.treasury.insuranceFund,
  });
  return deficit - covered;
}
