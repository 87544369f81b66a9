import { AssertionFailed } from "../assert.ts";
import { flagIsReduceOnly, flagIsSell, noSlot } from "../book/order-pool.ts";
import type { Exchange } from "../exchange.ts";
import { checkInvariants } from "../invariants.ts";
import { orderMargin } from "./account-risk.ts";
import { notional } from "./fixed-point.ts";
import type { Position } from "./position.ts";
import { checkOracleInvariants } from "./oracle-monitor.ts";
import { accountPositionsScannedMax } from "./position-directory.ts";

// The exchange's invariants (design.md 1, 2, 5, 7), checked in full after every command by tests and the
// simulator. Money is checked exactly: with S = Σ signed entry notional (+long, −short) and F the funding
// owed but not yet settled (exact, 1e-9 µUSD), for USDC
//   10^9 × (deposited − withdrawn − Σ cash − Σ isolated margin − insurance − treasury + S) = dust − F
// which says: every µUSD is in an account, a position's margin, the insurance fund or the treasury, once
// the unrealised PnL (−S at any mark, since Σ size = 0) and pending funding are counted.

function check(condition: boolean, message: string): void {
  if (!condition) throw new AssertionFailed(`invariant: ${message}`);
}

// The per-account and per-position checks below test first and build their message only on failure
// (`if (!ok) fail(…)`): a message built eagerly for each of 10,000 positions cost more than the checks.
function fail(message: string): never {
  throw new AssertionFailed(`invariant: ${message}`);
}

/**
 * An exact running sum of safe integers: small terms add as numbers (the partial stays below 2^51, so
 * every addition is exact), larger ones and the overflow go to a bigint. BigInt() per term was most of
 * the conservation check's time; a non-integer term still throws, as BigInt() did.
 */
class ExactSum {
  private small = 0;
  private big = 0n;

  add(value: number): void {
    if (Number.isSafeInteger(value) && value < smallTerm && value > -smallTerm) {
      this.small += value;
      if (this.small >= smallTerm || this.small <= -smallTerm) this.flush();
    } else {
      this.big += BigInt(value);
    }
  }

  total(): bigint {
    this.flush();
    return this.big;
  }

  private flush(): void {
    this.big += BigInt(this.small);
    this.small = 0;
  }
}

const smallTerm = 2 ** 50;

const fineUnitsPerQuote = 1_000_000_000n;

export function checkExchangeInvariants(exchange: Exchange): void {
  checkInvariants(exchange.engine);
  checkPositions(exchange);
  checkOpenInterest(exchange);
  checkConservation(exchange);
  checkOracleInvariants(exchange);
  exchange.liquidations.checkInvariants();
}

function checkPositions(exchange: Exchange): void {
  let mapped = 0;
  for (const account of exchange.engine.accounts.list) {
    let reserved = 0;
    for (const position of account.positions) {
      mapped += 1;
      if (exchange.position(account, position.market.index) !== position) fail(`position of ${account.address} not indexed`);
      if (!(position.entryNotional >= 0)) fail(`${account.address} has a negative entry notional`);
      if (position.size === 0 && position.entryNotional !== 0) fail(`${account.address} is flat with an entry notional`);
      if (!(position.margin >= 0)) fail(`${account.address} has negative isolated margin`);
      if (position.mode === "cross" && position.margin !== 0) fail(`${account.address} holds margin on a cross position`);
      checkOrderTotals(exchange, position);
      const needed = orderMargin(position);
      if (position.reserved !== needed) fail(`${account.address} reserves ${position.reserved}, orders need ${needed}`);
      reserved += position.reserved;
    }
    if (account.reserved !== reserved) fail(`${account.address} reserves ${account.reserved} in total, positions ${reserved}`);
    const byMarket = account.positionsByMarket;
    if (byMarket === null ? account.positions.length > accountPositionsScannedMax : byMarket.size !== account.positions.length) {
      fail(`${account.address} holds ${account.positions.length} positions, its map by market ${byMarket?.size ?? "none"}`);
    }
  }
  check(mapped === exchange.positionsByKey.size, `position directory counts ${exchange.positionsByKey.size}, accounts hold ${mapped}`);
}

/** A position's order totals equal the sums over the account's resting orders in that market. */
function checkOrderTotals(exchange: Exchange, position: Position): void {
  const pool = exchange.engine.pool;
  const quotePerTickLot = exchange.perpMarkets[position.market.index]!.quotePerTickLot;
  let buyLots = 0;
  let buyNotional = 0;
  let sellLots = 0;
  let sellNotional = 0;
  let reduceOnlyBuyLots = 0;
  let reduceOnlySellLots = 0;
  for (let slot = position.account.orderHead; slot !== noSlot; slot = pool.accountNext[slot]!) {
    if (pool.market[slot] !== position.market.index) continue;
    const lots = pool.remaining[slot]!;
    const sell = flagIsSell(pool.flags[slot]!);
    if (flagIsReduceOnly(pool.flags[slot]!)) {
      if (sell) reduceOnlySellLots += lots;
      else reduceOnlyBuyLots += lots;
    } else if (sell) {
      sellLots += lots;
      sellNotional += notional(pool.price[slot]!, lots, quotePerTickLot);
    } else {
      buyLots += lots;
      buyNotional += notional(pool.price[slot]!, lots, quotePerTickLot);
    }
  }
  // Compared field by field without allocating (this runs for every position after every command).
  if (
    position.buyLots !== buyLots ||
    position.buyNotional !== buyNotional ||
    position.sellLots !== sellLots ||
    position.sellNotional !== sellNotional ||
    position.reduceOnlyBuyLots !== reduceOnlyBuyLots ||
    position.reduceOnlySellLots !== reduceOnlySellLots
  ) {
    const totals = { buyLots, buyNotional, sellLots, sellNotional, reduceOnlyBuyLots, reduceOnlySellLots };
    for (const [field, value] of Object.entries(totals)) {
      const held = position[field as keyof typeof totals];
      check(held === value, `${position.account.address} ${position.market.symbol} ${field} is ${held}, orders sum to ${value}`);
    }
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
  const heldSum = new ExactSum();
  const signedEntrySum = new ExactSum();
  let owed = 0n;
  const tokens = [0n, 0n, 0n];
  check(treasury.insuranceFund >= 0 && treasury.feeTreasury >= 0, "insurance fund and treasury are never negative");
  heldSum.add(treasury.insuranceFund);
  heldSum.add(treasury.feeTreasury);
  for (const account of exchange.engine.accounts.list) {
    heldSum.add(account.cash);
    for (let asset = 1; asset < 3; asset += 1) {
      if (!(account.tokens[asset]! >= 0n)) fail(`${account.address} holds a negative token balance`);
      tokens[asset] = tokens[asset]! + account.tokens[asset]!;
    }
    for (const position of account.positions) {
      heldSum.add(position.margin);
      signedEntrySum.add(position.signedEntry);
      owed += exchange.funding.pendingExact(position);
    }
  }
  const held = heldSum.total();
  const signedEntry = signedEntrySum.total();
  const outside = treasury.deposited[0]! - treasury.withdrawn[0]! - held + signedEntry;
  check(
    outside * fineUnitsPerQuote === exchange.funding.dust - owed,
    `USDC not conserved: deposits − withdrawals − held + Σ entry = ${outside} µUSD, funding dust − owed = ${exchange.funding.dust - owed} (1e-9 µUSD)`,
  );
  for (let asset = 1; asset < 3; asset += 1) {
    check(tokens[asset] === treasury.deposited[asset]! - treasury.withdrawn[asset]!, `collateral ${asset} not conserved`);
  }
}
