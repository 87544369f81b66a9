import { isAddress, type Account } from "./accounts.ts";
import { assert } from "./assert.ts";
import { flagIsReduceOnly, flagIsSell, noSlot } from "./book/order-pool.ts";
import type { Command, CreateMarketCommand } from "./commands.ts";
import { Engine, type EngineLimits, type Fill, type IncomingOrder, type MatchingObserver } from "./engine.ts";
import type { ExchangeEvent } from "./events.ts";
import { accepted, reject, type Accepted, type CommandResult, type Rejection } from "./rejections.ts";
import { CollateralPrices } from "./perp/collateral.ts";
import { collateralValue, formatQuote, marginAvailable, orderMargin, OrderMarginMemo, type OrderTotals } from "./perp/account-risk.ts";
import { FundingLedger } from "./perp/funding-ledger.ts";
import { dayOf, nanosecondsPerDay } from "./perp/fee-schedule.ts";
import { notional, type QuoteUnits } from "./perp/fixed-point.ts";
import { leverageMaxAtValues } from "./perp/margin-tiers.ts";
import { CircuitBreakers } from "./perp/circuit-breakers.ts";
import { MarketAdmin, isMarketAdminCommand } from "./perp/market-admin.ts";
import { PerpAdmin } from "./perp/perp-admin.ts";
import { Liquidations } from "./perp/liquidation.ts";
import type { PerpCommand } from "./perp/perp-commands.ts";
import { PerpMarket, validatePerpSpec, type PerpMarketSpec } from "./perp/perp-market.ts";
import { MarkPricer } from "./perp/mark-pricer.ts";
import { Position } from "./perp/position.ts";
import { accountPositionsScannedMax, PositionDirectory } from "./perp/position-directory.ts";
import { Settlement } from "./perp/settlement.ts";
import { Oracles } from "./perp/oracle-monitor.ts";
import { Sessions } from "./perp/sessions.ts";
import { CorporateActions } from "./perp/corporate-actions.ts";
import { AgentRegistry, type AgentSigned } from "./perp/agents.ts";
import type { TimeNs } from "./units.ts";

/** Every command the perpetual exchange takes: the book's and its own. */
export type ExchangeCommand = Command | PerpCommand;


/** Money outside accounts: the insurance fund and the fee treasury, µUSD. */
export class Treasury {
  insuranceFund = 0;
  feeTreasury = 0;
  /** Σ USDC (µUSD) and token base units deposited and withdrawn, for the conservation invariant. */
  readonly deposited = [0n, 0n, 0n];
  readonly withdrawn = [0n, 0n, 0n];
}

/**
 * The perpetual-futures exchange: the matching engine plus collateral, margin, positions, fees, mark
 * price and funding, all inside one deterministic command. Risk holds before the match (MatchingObserver
 * .checkOrder) and settlement follows each fill; matching never touches a balance.
 *
 * @example
 * const exchange = new Exchange();
 * exchange.apply({ type: "createMarket", sequence: 1, time: 1n, market: perpSpec });
 * exchange.apply({ type: "deposit", sequence: 2, time: 2n, account, asset: "USDC", amount: 1_000_000_000n, reference: "0x…" });
 * exchange.apply({ type: "placeOrder", sequence: 3, time: 3n, account, order });
 */
export class Exchange implements MatchingObserver {
  readonly engine: Engine;
  readonly perpMarkets: PerpMarket[] = [];
  readonly prices = new CollateralPrices();
  readonly treasury = new Treasury();
  /** Every registered position, by account index × 4096 + market index (position-directory.ts). */
  readonly positionsByKey: PositionDirectory;
  readonly settlement: Settlement;
  readonly funding: FundingLedger;
  readonly marks: MarkPricer;
  readonly admin: PerpAdmin;
  /** Liquidation detection and execution, ADL, the insurance fund's other movements (perp/liquidation.ts). */
  readonly liquidations: Liquidations;
  /** Market status, grid and risk limits, and the market admin commands (perp/market-admin.ts). */
  readonly marketAdmin: MarketAdmin;
  /** Circuit breakers per market (perp/circuit-breakers.ts). */
  readonly breakers: CircuitBreakers;
  /** Oracle sources, aggregation and monitoring (perp/oracle-monitor.ts). */
  readonly oracles: Oracles;
  /** NYSE sessions of equity markets (perp/sessions.ts). */
  readonly sessions: Sessions;
  /** Scheduled splits and dividends (perp/corporate-actions.ts). */
  readonly corporateActions: CorporateActions;
  /** Agent keys approved by wallets, enforced on the order commands they sign (perp/agents.ts). */
  readonly agents: AgentRegistry;

  /** A new exchange, or (with `engine`) one around an engine restored from a snapshot. */
  constructor(options: { limits?: Partial<EngineLimits>; engine?: Engine } = {}) {
    this.engine = options.engine ?? new Engine(options.limits === undefined ? {} : { limits: options.limits });
    this.engine.attach(this);
    this.positionsByKey = new PositionDirectory(this.engine.accounts.list, (account, marketIndex) => this.position(account, marketIndex));
    this.funding = new FundingLedger(this);
    this.settlement = new Settlement(this);
    this.marks = new MarkPricer(this);
    this.admin = new PerpAdmin(this);
    this.liquidations = new Liquidations(this);
    this.marketAdmin = new MarketAdmin(this);
    this.breakers = new CircuitBreakers(this);
    this.oracles = new Oracles(this);
    this.sessions = new Sessions(this);
    this.corporateActions = new CorporateActions(this);
    this.agents = new AgentRegistry(this);
  }

  get events(): ExchangeEvent[] {
    return this.engine.events;
  }

  get time(): TimeNs {
    return this.engine.commandTime;
  }

  /** The UTC day number of the current command's time (fee tiers and volume move by day). */
  get day(): number {
    // Keyed by the command's sequence, a number: comparing it is cheaper than comparing bigint times.
    // Sequences only grow and each names one time, so the key changes whenever the time can.
    const sequence = this.engine.commandSequence;
    if (sequence !== this.daySequence) {
      this.daySequence = sequence;
      // Most commands fall in the day of the one before: two comparisons, no bigint division.
      const time = this.engine.commandTime;
      if (time < this.dayStart || time >= this.dayEnd) {
        this.dayNumber = dayOf(time);
        this.dayStart = BigInt(this.dayNumber) * nanosecondsPerDay;
        this.dayEnd = this.dayStart + nanosecondsPerDay;
      }
    }
    return this.dayNumber;
  }

  private daySequence = -1;
  private dayNumber = 0;
  /** [dayStart, dayEnd): the exchange-time span of dayNumber (empty until the first use). */
  private dayStart = 0n;
  private dayEnd = 0n;

  apply(command: ExchangeCommand): CommandResult {
    this.liquidations.endTouches();
    this.engine.begin(command);
    // Time passes first, for every command, as GTD expiries do in begin: the mark's EMA and funding's
    // samples and hourly settlement see the book and positions as they stood until now (a position opened
    // after the hour does not pay for it), and a rejected command changes nothing a tick would not.
    // Sessions first: the mark's clamp and the index's freshness depend on whether the market is open.
    this.sessions.advance();
    this.marks.advanceAll();
    this.oracles.advance();
    this.corporateActions.advance();
    this.breakers.advance();
    // Liquidations are part of time passing too: what the previous command and the new marks made
    // liquidatable is found, and what waited past the grace period is liquidated.
    this.liquidations.beginCommand();
    // A liquidation that shrank a position trims its reduce-only orders before the command acts, so a
    // command sees (and a rejected command leaves) the book exactly as a tick at the same time would.
    this.tidyOrders();
    const result = this.dispatch(command);
    this.tidyOrders();
    return result;
  }

  private dispatch(command: ExchangeCommand): CommandResult {
    const engine = this.engine;
    if ((command as AgentSigned).agent !== undefined) {
      const denied = this.agents.authorize(command as AgentSigned, command.time);
      if (denied !== null) return denied;
    }
    // The commonest first: a decoded command's type is not an internalized string, so each case the
    // switch passes is a string comparison by content.
    switch (command.type) {
      case "placeOrder":
        return engine.placeOrder(command.account, command.order, 0, noSlot);
      case "cancelOrder":
        return engine.cancelOrder(command.account, command.market, command);
      case "createMarket":
        return this.createMarket(command);
      case "cancelAll":
        return engine.cancelAll(command);
      case "reduceOrder":
        return engine.reduceOrder(command);
      case "cancelReplace":
        return engine.cancelReplace(command);
      case "batch":
        return engine.batch(command);
      case "tick":
        return accepted;
      case "liquidate":
        return this.liquidations.liquidate(command);
      case "liquidatorWhitelist":
        return this.liquidations.whitelistCommand(command);
      case "liquidationConfig":
        return this.liquidations.configure(command);
      case "seedInsuranceFund":
        return this.liquidations.seed(command);
      case "registerOracleSource":
      case "setOracleSource":
      case "configureOracle":
      case "oraclePrice":
        return this.oracles.apply(command);
      case "approveAgent":
      case "revokeAgent":
        return this.agents.apply(command);
      case "marketSession":
        return this.sessions.configure(command);
      case "scheduleSplit":
      case "scheduleDividend":
      case "cancelCorporateAction":
        return this.corporateActions.apply(command);
      default:
        if (isMarketAdminCommand(command)) return this.marketAdmin.apply(command);
        return this.admin.apply(command);
    }
  }

  /** orderMargin, remembered between a resting order's check and its reservation (not state). */
  private readonly orderMargins = new OrderMarginMemo();

  /** Positions whose size shrank in this command while they had resting reduce-only orders. */
  private readonly shrunk: Position[] = [];

  /**
   * What settlement noted is acted on between commands' steps, never during a match: reduce-only orders
   * trimmed to their shrunk positions, and orders their account's charged cash no longer backs canceled.
   */
  private tidyOrders(): void {
    if (this.shrunk.length > 0) this.trimReduceOnlyOrders();
    if (this.charged.length > 0) this.cancelUnbackedOrders();
  }

  /** Notes a position whose |size| fell, so its reduce-only orders are trimmed when the command ends. */
  positionShrank(position: Position): void {
    if (position.reduceOnlyBuyLots + position.reduceOnlySellLots === 0) return;
    if (!this.shrunk.includes(position)) this.shrunk.push(position);
  }

  /**
   * After the match (never during it: the book is not touched while it is walked), resting reduce-only
   * orders may hold at most |position| on the side that reduces it and nothing on the other side.
   */
  private trimReduceOnlyOrders(): void {
    for (const position of this.shrunk) {
      const size = position.size;
      const marketIndex = position.market.index;
      this.engine.trimReduceOnly(position.account, marketIndex, true, size > 0 ? size : 0);
      this.engine.trimReduceOnly(position.account, marketIndex, false, size < 0 ? -size : 0);
    }
    this.shrunk.length = 0;
  }

  /** Accounts whose cash was charged in this command what no pre-trade check counted. */
  private readonly charged: Account[] = [];

  /**
   * Notes an account whose cash was charged an isolated loss no margin or insurance fund covered, or
   * cross funding (settled lazily, so no pre-trade check saw it), for cancelUnbackedOrders.
   */
  cashCharged(account: Account): void {
    if (!this.charged.includes(account)) this.charged.push(account);
  }

  /**
   * Such a charge can leave an account without the collateral its open orders reserved, and an isolated
   * order filling then moves margin out of cash that is not there: a USDC debt nothing backs. So, when
   * the command ends, a charged account's orders that reserve margin are canceled, newest first, until
   * its collateral covers the reservations again (INSUFFICIENT_MARGIN), as a liquidation cancels a
   * trader's orders. Reduce-only orders reserve nothing and stay.
   */
  private cancelUnbackedOrders(): void {
    const pool = this.engine.pool;
    for (const account of this.charged) {
      const reserving = (slot: number): boolean =>
        !flagIsReduceOnly(pool.flags[slot]!) && (this.position(account, pool.market[slot]!)?.reserved ?? 0) > 0;
      const backed = (): boolean => collateralValue(account, this.prices) >= account.reserved;
      this.engine.cancelNewestOrders(account, "INSUFFICIENT_MARGIN", reserving, backed);
    }
    this.charged.length = 0;
  }

  private createMarket(command: CreateMarketCommand): Accepted | Rejection {
    const spec = command.market as PerpMarketSpec;
    const checked = validatePerpSpec(spec);
    if (typeof checked !== "number") return checked;
    const result = this.engine.createMarket(command);
    if (!result.ok) return result;
    this.listPerpMarket(this.engine.market(spec.symbol)!.index, spec, checked);
    return accepted;
  }

  private listPerpMarket(index: number, spec: PerpMarketSpec, quotePerTickLot: number): void {
    assert(index === this.perpMarkets.length, "perpetual markets are listed in book order");
    this.engine.markets[index]!.referenceFollowsTrades = false;
    const perpMarket = new PerpMarket(index, spec, quotePerTickLot);
    this.perpMarkets.push(perpMarket);
    this.marketAdmin.listed(perpMarket);
    this.breakers.listed(perpMarket);
    this.marks.listed(perpMarket);
    this.funding.listed(perpMarket);
    this.oracles.listed(index);
    this.sessions.listed(perpMarket);
  }

  /** Snapshot restore: lists the perpetual side of an already restored book market. */
  restoreMarket(index: number, spec: PerpMarketSpec): number {
    const checked = validatePerpSpec(spec);
    assert(typeof checked === "number", "snapshot: invalid perpetual market");
    this.listPerpMarket(index, spec, checked);
    return checked;
  }

  /**
   * Snapshot restore: an account's order totals and reservations, a function of its resting orders
   * (their slots are `orderSlots[first, first + account.openOrderCount)`). Called per account right
   * after its positions are read, while they are in cache: a pass over all pool slots instead jumped
   * between a million accounts and read each one's positions from memory for every order.
   */
  restoreOrderTotals(account: Account, orderSlots: Int32Array, first: number): void {
    // A reservation is a function of its position's totals: refreshed once per position at the end
    // rather than once per order (a snapshot holds millions of orders, several per position).
    this.rebuildingOrderTotals = true;
    try {
      const end = first + account.openOrderCount;
      for (let at = first; at < end; at += 1) this.orderRested(orderSlots[at]!);
    } finally {
      this.rebuildingOrderTotals = false;
    }
    for (const position of account.positions) this.refreshReservation(position);
  }

  // Set only inside restoreOrderTotals (snapshot restore).
  private rebuildingOrderTotals = false;

  // ---------------------------------------------------------------------------------------------
  // Positions

  /** The account's registered position in the market, if any. */
  position(account: Account, marketIndex: number): Position | undefined {
    // account.positions holds the account's positions (registerPosition and maybeForget keep it, and its
    // positionsByMarket map once it has more than a few), and positionHint is one of them or null. An
    // account has a few positions, usually one: the hint, then a scan, beat hashing a key.
    const hint = account.positionHint;
    if (hint !== null && hint.market.index === marketIndex) return hint;
    const positions = account.positions;
    let found: Position | undefined;
    if (positions.length <= accountPositionsScannedMax) {
      for (let at = 0; at < positions.length; at += 1) {
        const position = positions[at]!;
        if (position.market.index === marketIndex) {
          found = position;
          break;
        }
      }
    } else {
      found = account.positionsByMarket!.get(marketIndex);
    }
    if (found !== undefined) account.positionHint = found;
    return found;
  }

  positionFor(account: Account, marketIndex: number): Position {
    const existing = this.position(account, marketIndex);
    if (existing !== undefined) return existing;
    return this.registerPosition(account, marketIndex);
  }

  /**
   * Snapshot restore: registers a position the snapshot lists (each account and market once), without
   * the lookup `positionFor` makes first; a pair listed twice fails an assertion.
   */
  restorePosition(account: Account, marketIndex: number): Position {
    assert(this.position(account, marketIndex) === undefined, "snapshot: a position listed twice");
    return this.registerPosition(account, marketIndex);
  }

  private registerPosition(account: Account, marketIndex: number): Position {
    const position = this.unlistedPosition(account, marketIndex);
    this.funding.opened(position);
    const positions = account.positions;
    positions.push(position);
    if (account.positionsByMarket !== null) account.positionsByMarket.set(marketIndex, position);
    else if (positions.length > accountPositionsScannedMax) account.positionsByMarket = new Map(positions.map((held) => [held.market.index, held]));
    account.positionHint = position;
    this.positionsByKey.size += 1;
    return position;
  }

  /** A flat position with the account's settings for the market, not (yet) registered anywhere. */
  private unlistedPosition(account: Account, marketIndex: number): Position {
    const setting = account.settings?.get(marketIndex);
    return new Position(
      account,
      this.engine.markets[marketIndex]!,
      setting?.mode ?? "isolated",
      setting?.leverage ?? this.perpMarkets[marketIndex]!.spec.leverageDefault,
    );
  }

  /** Forgets a flat position with no orders (its settings stay in account.settings). */
  maybeForget(position: Position): void {
    if (!isForgettable(position)) return;
    assert(position.reserved === 0 && position.entryNotional === 0, "a flat position holds nothing");
    const account = position.account;
    const at = account.positions.indexOf(position);
    assert(at >= 0);
    account.positions.splice(at, 1);
    account.positionsByMarket?.delete(position.market.index);
    if (account.positionHint === position) account.positionHint = null;
    this.positionsByKey.size -= 1;
  }

  /** Recomputes the margin a position's open orders reserve, keeping the account total in step. */
  refreshReservation(position: Position): void {
    const reserved = this.orderMargins.of(position);
    position.account.reserved += reserved - position.reserved;
    position.reserved = reserved;
  }

  // ---------------------------------------------------------------------------------------------
  // MatchingObserver: risk before the match, bookkeeping of resting orders, settlement after each fill

  checkOrder(order: IncomingOrder): number | Rejection {
    // The liquidation engine's own reduce-only IOC order (sized to the position) skips the trader's checks.
    if (this.liquidations.executing) return order.spec.size;
    const account = order.account;
    if (account === undefined || account.status !== "active") return inactiveAccount(order.address, account);
    const position = this.position(account, order.market.index);
    const liquidating = this.liquidations.refuseOrder(order, position);
    if (liquidating !== null) return liquidating;
    const closed = this.marketAdmin.gate(order);
    if (closed !== null) return closed;
    if (order.spec.reduceOnly === true) return this.checkReduceOnly(order, position);
    // A stale or unsure index stops opening positions (reduce-only orders above still trade).
    const unhealthy = this.oracles.checkOpen(order.market.index);
    if (unhealthy !== null) return unhealthy;
    return this.checkMargin(order, account, position);
  }

  /** Reduce-only: never increases |position|, reserves nothing; an oversize order is cut to the position. */
  private checkReduceOnly(order: IncomingOrder, position: Position | undefined): number | Rejection {
    const size = position?.size ?? 0;
    const buy = order.buy;
    if (size === 0 || (buy ? size > 0 : size < 0)) {
      return reject(
        "ORDER_REDUCE_ONLY_WOULD_INCREASE",
        `a reduce-only ${order.spec.side} needs a ${buy ? "short" : "long"} position in ${order.market.symbol}; the position is ${size} lots`,
      );
    }
    return Math.min(order.spec.size, Math.abs(size));
  }

  private checkMargin(order: IncomingOrder, account: Account, existing: Position | undefined): number | Rejection {
    const perpMarket = this.perpMarkets[order.market.index]!;
    // A check changes nothing: an order that neither rests nor fills must not leave a position behind
    // (resting and filling register one).
    const position = existing ?? this.unlistedPosition(account, order.market.index);
    const { spec } = order;
    const buy = order.buy;
    // A sell may fill above its limit (price improvement); its exposure is priced at the best bid then.
    const bestBid = order.market.bids.bestPrice();
    const price = buy ? order.limit : Math.max(order.limit, bestBid);
    const orderNotional = notional(price, spec.size, perpMarket.quotePerTickLot);
    // Without a replaced order the position's own totals stand (no object per order on the hot path).
    let totals: OrderTotals = position;
    let released: QuoteUnits = 0;
    if (order.replacing !== noSlot) ({ totals, released } = this.withoutReplaced(order, position));
    // The largest |position| on the way if this order and the side's other resting orders all fill.
    const sideLots = (buy ? totals.buyLots : totals.sellLots) + spec.size;
    const exposureLots = Math.max(Math.abs(position.size), Math.abs(position.size + (buy ? sideLots : -sideLots)));
    const limited = this.marketAdmin.checkExposure(order, position, sideLots, price, orderNotional);
    if (limited !== null) return limited;
    const exposure = notional(price, exposureLots, perpMarket.quotePerTickLot);
    const leverageMax = leverageMaxAtValues(exposure, perpMarket.profile, perpMarket.spec.leverageMax);
    if (position.leverage > leverageMax) return leverageExceedsTier(exposure, order.market.symbol, leverageMax, position.leverage);
    const reservedAfter = this.orderMargins.of(totals, buy ? 1 : -1, spec.size, orderNotional);
    const takerFee = spec.postOnly === true ? 0 : this.settlement.takerFeeBound(account, orderNotional, this.marketAdmin.feeRatesOf(order.market.index));
    // Off hours an equity market asks more initial margin of an opening order (perp/sessions.ts).
    const required = this.sessions.openingMargin(order.market.index, Math.max(0, reservedAfter - position.reserved)) + takerFee;
    const available = marginAvailable(position, this) + released;
    if (required > available) return marginInsufficient(required, available);
    return spec.size;
  }

  /**
   * A cancel-replace is checked as the engine places it, with the replaced order gone: the position's
   * order totals without it (same market), or the reservation its removal releases (another market).
   */
  private withoutReplaced(order: IncomingOrder, position: Position): { totals: OrderTotals; released: QuoteUnits } {
    const pool = this.engine.pool;
    const slot = order.replacing;
    if (slot === noSlot || flagIsReduceOnly(pool.flags[slot]!)) return { totals: position, released: 0 };
    const replacedPosition = this.position(order.account!, pool.market[slot]!);
    assert(replacedPosition !== undefined, "a resting order has a position");
    const lots = pool.remaining[slot]!;
    const amount = notional(pool.price[slot]!, lots, this.perpMarkets[replacedPosition.market.index]!.quotePerTickLot);
    const sell = flagIsSell(pool.flags[slot]!);
    const totals: OrderTotals = {
      size: replacedPosition.size,
      leverage: replacedPosition.leverage,
      buyLots: replacedPosition.buyLots - (sell ? 0 : lots),
      buyNotional: replacedPosition.buyNotional - (sell ? 0 : amount),
      sellLots: replacedPosition.sellLots - (sell ? lots : 0),
      sellNotional: replacedPosition.sellNotional - (sell ? amount : 0),
    };
    if (replacedPosition === position) return { totals, released: 0 };
    return { totals: position, released: replacedPosition.reserved - orderMargin(totals) };
  }

  orderRested(slot: number): void {
    this.trackOrder(slot, this.engine.pool.remaining[slot]!, 1);
  }

  orderRemoved(slot: number): void {
    this.trackOrder(slot, this.engine.pool.remaining[slot]!, -1);
  }

  orderReduced(slot: number, lots: number): void {
    this.trackOrder(slot, lots, -1);
  }

  /** Adds (direction 1) or removes (−1) `lots` of a resting order to its position's order totals. */
  private trackOrder(slot: number, lots: number, direction: 1 | -1): void {
    const pool = this.engine.pool;
    const account = this.engine.accounts.list[pool.account[slot]!]!;
    const marketIndex = pool.market[slot]!;
    const position = this.positionFor(account, marketIndex);
    const flags = pool.flags[slot]!;
    const sell = flagIsSell(flags);
    const signedLots = lots * direction;
    if (flagIsReduceOnly(flags)) {
      if (sell) position.reduceOnlySellLots += signedLots;
      else position.reduceOnlyBuyLots += signedLots;
    } else {
      const amount = notional(pool.price[slot]!, lots, this.perpMarkets[marketIndex]!.quotePerTickLot) * direction;
      if (sell) {
        position.sellLots += signedLots;
        position.sellNotional += amount;
      } else {
        position.buyLots += signedLots;
        position.buyNotional += amount;
      }
      // A maker's fill is settled next (Settlement.applyFill), which refreshes the reservation once the
      // size has moved as well: a refresh here would be replaced before anything reads it. A position
      // left forgettable is refreshed now, as maybeForget below expects it to hold nothing.
      const settlesNext = slot === this.engine.fillingSlot && !isForgettable(position);
      if (!this.rebuildingOrderTotals && !settlesNext) this.refreshReservation(position);
    }
    if (direction < 0) this.maybeForget(position);
  }

  reduceOnlyAllowance(slot: number): number {
    const pool = this.engine.pool;
    const account = this.engine.accounts.list[pool.account[slot]!]!;
    const position = this.position(account, pool.market[slot]!);
    const size = position?.size ?? 0;
    const sell = flagIsSell(pool.flags[slot]!);
    // A sell reduces a long, a buy reduces a short.
    if (sell ? size <= 0 : size >= 0) return 0;
    return Math.abs(size);
  }

  filled(fill: Fill): void {
    this.settlement.settle(fill);
  }

  // ---------------------------------------------------------------------------------------------
  // Lookups for commands

  account(address: string): Account | Rejection {
    if (!isAddress(address)) return reject("ACCOUNT_INVALID", `account must be a lowercase 0x-prefixed 40-hex-digit address`);
    const account = this.engine.accounts.find(address);
    return account ?? reject("ACCOUNT_NOT_FOUND", `account ${address} has never deposited`);
  }

  perpMarket(symbol: string): PerpMarket | Rejection {
    const market = this.engine.market(symbol);
    if (market === undefined) return reject("MARKET_NOT_FOUND", `market ${String(symbol)} is not listed`);
    return this.perpMarkets[market.index]!;
  }
}

// The pre-trade check's rejections, built out of line: every order runs the check, few are refused,
// and a smaller check is one the optimizer inlines.

function inactiveAccount(address: string, account: Account | undefined): Rejection {
  if (account === undefined) return reject("MARGIN_INSUFFICIENT", `account ${address} has no collateral; deposit first`);
  return reject("ACCOUNT_NOT_ACTIVE", `account ${account.address} is ${account.status} and cannot trade`);
}

function leverageExceedsTier(exposure: QuoteUnits, symbol: string, leverageMax: number, leverage: number): Rejection {
  return reject(
    "LEVERAGE_EXCEEDS_TIER",
    `a position of ${formatQuote(exposure)} USD in ${symbol} allows at most ${leverageMax}x; ` + `lower the leverage (now ${leverage}x) or the size`,
    { leverageMax: String(leverageMax) },
  );
}

function marginInsufficient(required: QuoteUnits, available: QuoteUnits): Rejection {
  return reject(
    "MARGIN_INSUFFICIENT",
    `the order needs ${formatQuote(required)} USDC of margin and fees; ${formatQuote(Math.max(0, available))} USDC is available`,
    { required: formatQuote(required), available: formatQuote(available) },
  );
}

/** Flat, without orders and without margin: nothing left to keep (its settings stay in account.settings). */
function isForgettable(position: Position): boolean {
  return position.size === 0 && !position.hasOrders && position.margin === 0;
}
