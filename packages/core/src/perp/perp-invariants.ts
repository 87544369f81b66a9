import { AssertionFailed } from "../assert.ts";
import { flagIsReduceOnly, flagIsSell, noSlot } from "../book/order-pool.ts";
import type { Exchange } from "../exchange.ts";
import { checkInvariants } from "../invariants.ts";
import { orderMargin } from "./account-risk.ts";
import { notional } from "./fixed-point.ts";
import type { Position } from "./position.ts";

// The exchange's invariants (design.md 1, 2, 5, 7), checked in full after every command by tests and the
// simulator. Money is checked exactly: with S = Σ signed entry notional (+long, −short) and F the funding
// owed but not yet settled (exact, 1e-9 µUSD), for USDC
//   10^9 × (deposited − withdrawn − Σ cash − Σ isolated margin − insurance − treasury + S) = dust − F
// which says: every µUSD is in an account, a position's margin, the insurance fund or the treasury, once
// the unrealised PnL (−S at any mark, since Σ size = 0) and pending funding are counted.

function check(condition: boolean, message: string): void {
  if (!condition) throw new AssertionFailed(`invariant: ${message}`);
}

const fineUnitsPerQuote = 1_000_000_000n;

export function checkExchangeInvariants(exchange: Exchange): void {
  checkInvariants(exchange.engine);
  checkPositions(exchange);
  checkOpenInterest(exchange);
  checkConservation(exchange);
}

function checkPositions(exchange: Exchange): void {
  let mapped = 0;
  for (const account of exchange.engine.accounts.list) {
    let reserved = 0;
    for (const position of account.positions) {
      mapped += 1;
      check(exchange.position(account, position.market.index) === position, `position of ${account.address} not indexed`);
      check(position.entryNotional >= 0, `${account.address} has a negative entry notional`);
      if (position.size === 0) check(position.entryNotional === 0, `${account.address} is flat with an entry notional`);
      check(position.margin >= 0, `${account.address} has negative isolated margin`);
      if (position.mode === "cross") check(position.margin === 0, `${account.address} holds margin on a cross position`);
      checkOrderTotals(exchange, position);
      check(position.reserved === orderMargin(position), `${account.address} reserves ${position.reserved}, orders need ${orderMargin(position)}`);
      reserved += position.reserved;
    }
    check(account.reserved === reserved, `${account.address} reserves ${account.reserved} in total, positions ${reserved}`);
  }
  check(mapped === exchange.positionsByKey.size, `position map holds ${exchange.positionsByKey.size}, accounts ${mapped}`);
}

/** A position's order totals equal the sums over the account's resting orders in that market. */
function checkOrderTotals(exchange: Exchange, position: Position): void {
  const pool = exchange.engine.pool;
  const quotePerTickLot = exchange.perpMarkets[position.market.index]!.quotePerTickLot;
  const totals = { buyLots: 0, buyNotional: 0, sellLots: 0, sellNotional: 0, reduceOnlyBuyLots: 0, reduceOnlySellLots: 0 };
  for (let slot = position.account.orderHead; slot !== noSlot; slot = pool.accountNext[slot]!) {
    if (pool.market[slot] !== position.market.index) continue;
    const lots = pool.remaining[slot]!;
    const sell = flagIsSell(pool.flags[slot]!);
    if (flagIsReduceOnly(pool.flags[slot]!)) {
      if (sell) totals.reduceOnlySellLots += lots;
      else totals.reduceOnlyBuyLots += lots;
    } else if (sell) {
      totals.sellLots += lots;
      totals.sellNotional += notional(pool.price[slot]!, lots, quotePerTickLot);
    } else {
      totals.buyLots += lots;
      totals.buyNotional += notional(pool.price[slot]!, lots, quotePerTickLot);
    }
  }
  for (const [field, value] of Object.entries(totals)) {
    const held = position[field as keyof typeof totals];
    check(held === value, `${position.account.address} ${position.market.symbol} ${field} is ${held}, orders sum to ${value}`);
  }
}

function checkOpenInterest(exchange: Exchange): void {
  const longs = exchange.perpMarkets.map(() => 0);
  const shorts = exchange.perpMarkets.map(() => 0);
  for (const position of exchange.positionsByKey.values()) {
    const index = position.market.index;
    if (position.size > 0) longs[index] = longs[index]! + position.size;
    else shorts[index] = shorts[index]! - position.size;
  }
  for (const perpMarket of exchange.perpMarkets) {
    const symbol = perpMarket.spec.symbol;
    check(longs[perpMarket.index] === shorts[perpMarket.index], `${symbol}: Σ long ${longs[perpMarket.index]} ≠ Σ short ${shorts[perpMarket.index]}`);
    check(perpMarket.longLots === longs[perpMarket.index], `${symbol}: open interest ${perpMarket.longLots} ≠ Σ long`);
    check(perpMarket.shortLots === shorts[perpMarket.index], `${symbol}: short open interest is stale`);
  }
}

function checkConservation(exchange: Exchange): void {
  const { treasury } = exchange;
  let held = BigInt(treasury.insuranceFund) + BigInt(treasury.feeTreasury);
  let signedEntry = 0n;
  let owed = 0n;
  const tokens = [0n, 0n, 0n];
  check(treasury.insuranceFund >= 0 && treasury.feeTreasury >= 0, "insurance fund and treasury are never negative");
  for (const account of exchange.engine.accounts.list) {
    held += BigInt(account.cash);
    for (let asset = 1; asset < 3; asset += 1) {
      check(account.tokens[asset]! >= 0n, `${account.address} holds a negative token balance`);
      tokens[asset] = tokens[asset]! + account.tokens[asset]!;
    }
    for (const position of account.positions) {
      held += BigInt(position.margin);
      signedEntry += BigInt(position.signedEntry);
      owed += exchange.funding.pendingExact(position);
    }
  }
  const outside = treasury.deposited[0]! - treasury.withdrawn[0]! - held + signedEntry;
  check(
    outside * fineUnitsPerQuote === exchange.funding.dust - owed,
    `USDC not conserved: deposits − withdrawals − held + Σ entry = ${outside} µUSD, funding dust − owed = ${exchange.funding.dust - owed} (1e-9 µUSD)`,
  );
  for (let asset = 1; asset < 3; asset += 1) {
    check(tokens[asset] === treasury.deposited[asset]! - treasury.withdrawn[asset]!, `collateral ${asset} not conserved`);
  }
}
