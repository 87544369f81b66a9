// Test harness for the perpetual Exchange. It proves nothing by itself; it makes every test that uses it
// check, after every command, what design.md says must hold after every command:
// - checkExchangeInvariants(exchange) passes: the book invariants, positions indexed, order totals and
//   reservations equal to what the resting orders need, Σ long = Σ short per market, and money conserved
//   exactly (unrealised PnL and pending funding counted);
// - every event carries the command's sequence and time and its position as index; a trade is followed by
//   its maker fill, its taker fill and its TradeSettled, then exactly one position event per side;
// - the SPEC 02 order states tracked from events only, and the orders they leave open are the books';
// - a money ledger built from events alone agrees with the state: fees split 40 % / 60 % (half up) and the
//   treasury holds Σ treasury shares; the insurance fund is Σ fee shares − Σ deficits covered + the funding
//   dust; funding nets to zero (Σ paid + Σ still owed = the dust, exactly); realised PnL nets to zero
//   (Σ realised = Σ signed entry notional in every market); deposits and withdrawals match the treasury's
//   totals; and when every market is flat, Σ deposits − Σ withdrawals = Σ cash + Σ margin + insurance fund +
//   treasury to the last µUSD;
// - no balance is negative: tokens, isolated margins, the insurance fund and the treasury never; USDC cash
//   only as a debt the harness was told to allow (`allowDebt`) or that other collateral backs;
// - a rejected command changes nothing but the clock: the state hash equals that of a twin exchange that was
//   given a tick at the same sequence and time instead, its events are the twin's plus at most one
//   OrderRejected, and every rejection carries a code from rejectCodes and a non-empty message.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  Exchange,
  checkExchangeInvariants,
  collateralValue,
  exchangeStateHash,
  writeExchangeState,
  type CollateralAsset,
  type CommandResult,
  type ExchangeCommand,
  type ExchangeEvent,
  type OrderSpec,
  type PerpMarketSpec,
  type Position,
  type PriceTicks,
  type RatePpm,
  type Rejection,
  type RejectCode,
  type SizeLots,
  type TimeNs,
  type Unstamped,
} from "@perpdex/core";
import { OrderStateTracker, checkAgainstTwin, checkResult, checkTrackerMatchesBooks, collectChunks, engineBooks, jsonBigint } from "./helpers.ts";

export { account, jsonBigint } from "./helpers.ts";

export type ExchangeInput = Unstamped<ExchangeCommand>;

type EventMatching<E, T> = E extends { readonly type: infer U } ? (T extends U ? E : never) : never;
/** The event type(s) whose `type` can be T (some interfaces carry two types, e.g. PriceUpdated). */
export type EventOf<T extends ExchangeEvent["type"]> = EventMatching<ExchangeEvent, T>;

/** The events of `type` among `events`. */
export function eventsOf<T extends ExchangeEvent["type"]>(events: readonly ExchangeEvent[], type: T): EventOf<T>[] {
  return events.filter((event): event is EventOf<T> => event.type === type);
}

// ---------------------------------------------------------------------------------------------------
// Units

/** µUSD per dollar (one USDC base unit is one µUSD). */
export const micro = 1_000_000;
/** Whole dollars as µUSD. */
export const usd = (dollars: number): number => dollars * micro;
/** Whole USDC (or USDT: 6 decimals too) as base units. */
export const usdc = (dollars: number): bigint => BigInt(dollars) * 1_000_000n;
/** Whole DAI as base units (18 decimals). */
export const dai = (dollars: number): bigint => BigInt(dollars) * 10n ** 18n;

/** 2024-01-01T00:00:00Z in exchange nanoseconds: a UTC day, hour and minute boundary. */
export const epoch: TimeNs = 1_704_067_200_000_000_000n;
export const nanosecondsPerSecond = 1_000_000_000n;
export const nanosecondsPerMinute = 60n * nanosecondsPerSecond;
export const nanosecondsPerHour = 60n * nanosecondsPerMinute;
export const nanosecondsPerDay = 24n * nanosecondsPerHour;

// ---------------------------------------------------------------------------------------------------
// Market fixtures

/** A perpetual market spec: band ±10 %, market orders within 5 %, up to 10^6 lots an order. */
export function perpSpec(symbol: string, fields: Partial<PerpMarketSpec> & Pick<PerpMarketSpec, "tickSize" | "lotSize" | "referencePriceTicks">): PerpMarketSpec {
  return {
    symbol,
    minOrderLots: 1 as SizeLots,
    maxOrderLots: 1_000_000 as SizeLots,
    priceBandPpm: 100_000 as RatePpm,
    marketOrderSlippagePpm: 50_000 as RatePpm,
    assetClass: "crypto",
    marginProfile: "prd",
    leverageMax: 100,
    leverageDefault: 10,
    ...fields,
  };
}

/** BTC: $1 ticks, 0.001 BTC lots (1,000 µUSD per tick-lot), $50,000. */
export const btcSpec = (fields: Partial<PerpMarketSpec> = {}): PerpMarketSpec =>
  perpSpec("BTC-PERP", { tickSize: "1", lotSize: "0.001", referencePriceTicks: 50_000 as PriceTicks, ...fields });
/** ETH: $0.01 ticks, 0.001 ETH lots (10 µUSD per tick-lot), $3,000. */
export const ethSpec = (fields: Partial<PerpMarketSpec> = {}): PerpMarketSpec =>
  perpSpec("ETH-PERP", { tickSize: "0.01", lotSize: "0.001", referencePriceTicks: 300_000 as PriceTicks, ...fields });
/** AAPL, a blue chip (50x): $0.01 ticks, 0.01 share lots (100 µUSD per tick-lot), $200. */
export const aaplSpec = (fields: Partial<PerpMarketSpec> = {}): PerpMarketSpec =>
  perpSpec("AAPL-PERP", { tickSize: "0.01", lotSize: "0.01", referencePriceTicks: 20_000 as PriceTicks, assetClass: "blueChip", leverageMax: 50, ...fields });
/** SPY, an index ETF (100x): $0.01 ticks, 0.01 share lots, $500. */
export const spySpec = (fields: Partial<PerpMarketSpec> = {}): PerpMarketSpec =>
  perpSpec("SPY-PERP", { tickSize: "0.01", lotSize: "0.01", referencePriceTicks: 50_000 as PriceTicks, assetClass: "indexEtf", leverageMax: 100, ...fields });
/** NVDA, a tech stock (20x): $0.01 ticks, 0.01 share lots, $100. */
export const nvdaSpec = (fields: Partial<PerpMarketSpec> = {}): PerpMarketSpec =>
  perpSpec("NVDA-PERP", { tickSize: "0.01", lotSize: "0.01", referencePriceTicks: 10_000 as PriceTicks, assetClass: "tech", leverageMax: 20, ...fields });
/** A small cap (10x): $0.01 ticks, 1 share lots (10,000 µUSD per tick-lot), $20. */
export const smallCapSpec = (fields: Partial<PerpMarketSpec> = {}): PerpMarketSpec =>
  perpSpec("SMOL-PERP", { tickSize: "0.01", lotSize: "1", referencePriceTicks: 2_000 as PriceTicks, assetClass: "smallCap", leverageMax: 10, ...fields });
/** SOL on the SPEC 05 tier profile (125x … 5x, capped at crypto's 100x): $0.01 ticks, 0.01 SOL lots, $100. */
export const specProfileSpec = (fields: Partial<PerpMarketSpec> = {}): PerpMarketSpec =>
  perpSpec("SOL-PERP", { tickSize: "0.01", lotSize: "0.01", referencePriceTicks: 10_000 as PriceTicks, marginProfile: "spec", ...fields });

// ---------------------------------------------------------------------------------------------------
// Order shorthands

export function limit(market: string, side: "buy" | "sell", price: number, size: number, extra: Partial<OrderSpec> = {}): OrderSpec {
  return { market, side, type: "limit", price: price as PriceTicks, size: size as SizeLots, ...extra };
}

export function marketOrder(market: string, side: "buy" | "sell", size: number, extra: Partial<OrderSpec> = {}): OrderSpec {
  return { market, side, type: "market", size: size as SizeLots, ...extra };
}

// ---------------------------------------------------------------------------------------------------
// Snapshots and replay

/**
 * exchangeStateHash's value (SHA-256 of writeExchangeState's bytes), hashed by node:crypto: the harness
 * hashes the exchange and its twin after every command, and the core's portable JS SHA-256 was two thirds
 * of that cost (sha256 tests check the two agree; replay tests compare these hashes with the core's).
 */
export function stateHash(exchange: Exchange): string {
  const hasher = createHash("sha256");
  writeExchangeState(exchange, (chunk) => hasher.update(chunk));
  return hasher.digest("hex");
}

export function snapshotBytes(exchange: Exchange): Uint8Array {
  return collectChunks((sink) => writeExchangeState(exchange, sink));
}

/** Replays a log in a fresh Exchange; returns each command's events and state hash. */
export function replayExchange(log: readonly ExchangeCommand[]): { events: ExchangeEvent[][]; hashes: string[] } {
  const exchange = new Exchange();
  const events: ExchangeEvent[][] = [];
  const hashes: string[] = [];
  for (const command of log) {
    exchange.apply(command);
    events.push(exchange.events.slice());
    hashes.push(exchangeStateHash(exchange));
  }
  return { events, hashes };
}

// ---------------------------------------------------------------------------------------------------
// Per-command checks from events

const halfUpShare = (net: number, sharePpm: number): number => Number((2n * BigInt(net) * BigInt(sharePpm) + 1_000_000n) / 2_000_000n);
const insuranceSharePpm = 400_000;
const fineUnitsPerQuote = 1_000_000_000n;

/**
 * Stamps, and trade event order: each TradeExecuted is followed by its maker fill, its taker fill and its
 * TradeSettled (same notional), and exactly one position event per side names it, maker first, each
 * carrying that side's fee.
 */
export function checkExchangeEventShape(command: ExchangeCommand, events: readonly ExchangeEvent[], quotePerTickLot: (market: string) => number): void {
  events.forEach((event, index) => {
    assert.equal(event.sequence, command.sequence, `event ${index} sequence`);
    assert.equal(event.time, command.time, `event ${index} time`);
    assert.equal(event.index, index, `event ${index} index`);
    if (event.type !== "TradeExecuted") return;
    assert.notEqual(event.makerAccount, event.takerAccount, `trade ${index}: an account traded with itself`);
    const maker = events[index + 1];
    const taker = events[index + 2];
    const settled = events[index + 3];
    assert.ok(maker !== undefined && (maker.type === "OrderFilled" || maker.type === "OrderPartiallyFilled") && maker.maker, `trade ${index}: maker fill`);
    assert.ok(taker !== undefined && (taker.type === "OrderFilled" || taker.type === "OrderPartiallyFilled") && !taker.maker, `trade ${index}: taker fill`);
    assert.ok(settled !== undefined && settled.type === "TradeSettled" && settled.tradeIndex === index, `trade ${index}: TradeSettled follows the fills`);
    assert.equal(settled.notional, event.price * event.size * quotePerTickLot(event.market), `trade ${index}: settled notional`);
    const positionEvents = events.filter(
      (other) => (other.type === "PositionOpened" || other.type === "PositionUpdated" || other.type === "PositionClosed") && other.tradeIndex === index,
    );
    assert.equal(positionEvents.length, 2, `trade ${index}: one position event per side`);
    const [makerPosition, takerPosition] = positionEvents;
    assert.ok(makerPosition !== undefined && "fee" in makerPosition && takerPosition !== undefined && "fee" in takerPosition);
    assert.equal(makerPosition.account, event.makerAccount, `trade ${index}: maker's position event first`);
    assert.equal(takerPosition.account, event.takerAccount, `trade ${index}: taker's position event second`);
    assert.equal(makerPosition.fee, settled.makerFee, `trade ${index}: maker fee`);
    assert.equal(takerPosition.fee, settled.takerFee, `trade ${index}: taker fee`);
  });
}

/** Money as the events tell it, checked against the exchange's state after every command. */
export class MoneyLedger {
  readonly deposited = [0n, 0n, 0n];
  readonly withdrawn = [0n, 0n, 0n];
  insuranceShares = 0;
  treasuryShares = 0;
  covered = 0;
  fundingPaid = 0;
  readonly realizedByMarket = new Map<string, number>();
  readonly fundingPaidByMarket = new Map<string, number>();
  /** Whole µUSD of funding rounding that reached the insurance fund (derived, must never fall). */
  fundingDustWhole = 0;

  observe(events: readonly ExchangeEvent[]): void {
    for (const event of events) {
      switch (event.type) {
        case "DepositConfirmed":
          this.deposited[assetIndex(event.asset)] = this.deposited[assetIndex(event.asset)]! + event.amount;
          break;
        case "WithdrawalRequested":
          this.withdrawn[assetIndex(event.asset)] = this.withdrawn[assetIndex(event.asset)]! + event.amount;
          break;
        case "TradeSettled": {
          const net = event.makerFee + event.takerFee;
          assert.ok(net >= 0, `trade ${event.tradeIndex}: the exchange never pays out more than it takes (net ${net})`);
          assert.equal(event.insuranceShare, halfUpShare(net, insuranceSharePpm), `trade ${event.tradeIndex}: 40 % of the net fee to the insurance fund`);
          assert.equal(event.insuranceShare + event.treasuryShare, net, `trade ${event.tradeIndex}: fee split adds up`);
          this.insuranceShares += event.insuranceShare;
          this.treasuryShares += event.treasuryShare;
          break;
        }
        case "InsuranceFundDeposited":
          // Liquidation penalties and direct seeding (seeding enters from outside, like a deposit).
          assert.ok(Number.isSafeInteger(event.amount) && event.amount > 0, "a fund deposit is positive");
          this.insuranceShares += event.amount;
          if (event.source === "seed") this.deposited[0] = this.deposited[0]! + BigInt(event.amount);
          break;
        case "InsuranceFundUsed":
          assert.ok(event.covered >= 0 && event.covered <= event.deficit, "insurance covers at most the deficit");
          this.covered += event.covered;
          break;
        case "FundingPaid":
          assert.ok(Number.isSafeInteger(event.amount) && event.amount !== 0, "FundingPaid carries a non-zero amount");
          this.fundingPaid += event.amount;
          this.fundingPaidByMarket.set(event.market, (this.fundingPaidByMarket.get(event.market) ?? 0) + event.amount);
          break;
        case "PositionOpened":
        case "PositionUpdated":
        case "PositionClosed":
          this.realizedByMarket.set(event.market, (this.realizedByMarket.get(event.market) ?? 0) + event.realizedPnl);
          break;
        default:
          break;
      }
    }
  }

  check(exchange: Exchange, where: string): void {
    const { treasury } = exchange;
    for (let asset = 0; asset < 3; asset += 1) {
      assert.equal(treasury.deposited[asset], this.deposited[asset], `${where}: deposits of asset ${asset} as the events tell`);
      assert.equal(treasury.withdrawn[asset], this.withdrawn[asset], `${where}: withdrawals of asset ${asset} as the events tell`);
    }
    assert.equal(treasury.feeTreasury, this.treasuryShares, `${where}: the treasury holds Σ treasury shares`);
    const dustWhole = treasury.insuranceFund - this.insuranceShares + this.covered;
    assert.ok(dustWhole >= this.fundingDustWhole, `${where}: the insurance fund changed by more than fees, deficits and funding dust`);
    this.fundingDustWhole = dustWhole;
    // Funding nets to zero: what was paid plus what is still owed, exactly, is the dust the fund keeps.
    const signedEntry = new Map<string, number>();
    const pending = new Map<string, bigint>();
    let pendingTotal = 0n;
    for (const position of exchange.positionsByKey.values()) {
      const symbol = position.market.symbol;
      signedEntry.set(symbol, (signedEntry.get(symbol) ?? 0) + position.signedEntry);
      const owed = exchange.funding.pendingExact(position);
      pending.set(symbol, (pending.get(symbol) ?? 0n) + owed);
      pendingTotal += owed;
    }
    assert.equal(
      BigInt(this.fundingPaid) * fineUnitsPerQuote + pendingTotal,
      BigInt(dustWhole) * fineUnitsPerQuote + exchange.funding.dust,
      `${where}: funding is not zero-sum (paid ${this.fundingPaid} µUSD, owed ${pendingTotal} nµUSD, dust ${dustWhole} µUSD + ${exchange.funding.dust})`,
    );
    for (const perpMarket of exchange.perpMarkets) {
      const symbol = perpMarket.spec.symbol;
      const marketDust = BigInt(this.fundingPaidByMarket.get(symbol) ?? 0) * fineUnitsPerQuote + (pending.get(symbol) ?? 0n);
      assert.ok(marketDust >= 0n, `${where}: ${symbol} paid out more funding than it collected`);
      // Realised PnL nets to zero: Σ realised = Σ signed entry (so Σ realised + Σ unrealised = 0 at any mark).
      assert.equal(this.realizedByMarket.get(symbol) ?? 0, signedEntry.get(symbol) ?? 0, `${where}: ${symbol} realised PnL does not net to zero`);
    }
    const flat = [...exchange.positionsByKey.values()].every((position) => position.size === 0);
    if (flat) {
      let held = BigInt(treasury.insuranceFund) + BigInt(treasury.feeTreasury);
      for (const account of exchange.engine.accounts.list) {
        held += BigInt(account.cash);
        for (const position of account.positions) held += BigInt(position.margin);
      }
      assert.equal(held, treasury.deposited[0]! - treasury.withdrawn[0]!, `${where}: all flat, yet Σ balances ≠ Σ deposits − Σ withdrawals`);
      assert.equal(exchange.funding.dust, 0n, `${where}: all flat, yet funding dust is left over`);
    }
  }
}

function assetIndex(asset: CollateralAsset): number {
  return asset === "USDC" ? 0 : asset === "USDT" ? 1 : 2;
}

// ---------------------------------------------------------------------------------------------------
// The harness

export interface ExchangeHarnessOptions {
  /** Exchange time of the first command (default `epoch`). */
  readonly start?: TimeNs;
  /** Default step between commands (default 1 ms). */
  readonly timeStep?: bigint;
  /** Allow negative USDC cash not backed by other collateral (price moves without liquidations). */
  readonly allowDebt?: boolean;
  /** Run the twin exchange (rejection check) — on by default. */
  readonly twin?: boolean;
}

export interface ExchangeStep {
  readonly command: ExchangeCommand;
  readonly result: CommandResult;
  readonly events: readonly ExchangeEvent[];
  readonly hash: string;
}

/**
 * Drives one Exchange: stamps commands with sequence 1, 2, … and a time the test controls, applies them
 * and runs every check listed at the top of this file. A twin exchange receives the same commands, except
 * that a rejected command reaches it as a tick.
 */
export class ExchangeHarness {
  readonly exchange = new Exchange();
  readonly tracker = new OrderStateTracker();
  readonly ledger = new MoneyLedger();
  readonly log: ExchangeCommand[] = [];
  readonly steps: ExchangeStep[] = [];
  private readonly twin: Exchange | null;
  private readonly timeStep: bigint;
  private readonly allowDebt: boolean;
  private lastTime: TimeNs;

  constructor(options: ExchangeHarnessOptions = {}) {
    this.twin = options.twin === false ? null : new Exchange();
    this.timeStep = options.timeStep ?? 1_000_000n;
    this.allowDebt = options.allowDebt ?? false;
    this.lastTime = (options.start ?? epoch) - this.timeStep;
  }

  get time(): TimeNs {
    return this.lastTime;
  }

  /** Stamps, applies and checks one command; `at` sets its exchange time (after the last one). */
  apply(input: ExchangeInput, at?: TimeNs): ExchangeStep {
    const time = at ?? this.lastTime + this.timeStep;
    assert.ok(time > this.lastTime, `harness: time ${time} does not increase past ${this.lastTime}`);
    const command = { ...input, sequence: this.log.length + 1, time } as ExchangeCommand;
    this.log.push(command);
    this.lastTime = time;
    const where = `command ${command.sequence} (${command.type})`;
    const result = this.exchange.apply(command);
    const events = this.exchange.events.slice();
    checkResult(result, where);
    checkExchangeInvariants(this.exchange);
    checkExchangeEventShape(command, events, (symbol) => this.perpMarket(symbol).quotePerTickLot);
    const hash = stateHash(this.exchange);
    this.checkAgainstTwin(command, result, events, hash, where);
    this.tracker.observe(events);
    checkTrackerMatchesBooks(this.tracker, engineBooks(this.exchange.engine));
    this.ledger.observe(events);
    this.ledger.check(this.exchange, where);
    this.checkBalances(where);
    const step: ExchangeStep = { command, result, events, hash };
    this.steps.push(step);
    return step;
  }

  /** Applies a command that must be accepted (a batch: every item too). */
  ok(input: ExchangeInput, at?: TimeNs): ExchangeStep {
    const step = this.apply(input, at);
    assert.ok(step.result.ok, `expected ${input.type} to be accepted: ${JSON.stringify(step.result)}`);
    if ("items" in step.result) for (const item of step.result.items) assert.ok(item.ok, `batch item rejected: ${JSON.stringify(item)}`);
    return step;
  }

  /** Applies a command that must be rejected with `code`; returns the rejection. */
  rejected(input: ExchangeInput, code: RejectCode, at?: TimeNs): Rejection {
    const step = this.apply(input, at);
    assert.equal(step.result.ok, false, `expected ${input.type} to be rejected with ${code}; events ${JSON.stringify(step.events, jsonBigint)}`);
    const rejection = step.result as Rejection;
    assert.equal(rejection.code, code, `expected ${code}, got ${rejection.code}: ${rejection.message}`);
    return rejection;
  }

  tick(at?: TimeNs): ExchangeStep {
    return this.ok({ type: "tick" }, at);
  }

  /** Ticks every `step` from the next step after now through `until` (inclusive), as the node's timer would. */
  tickThrough(until: TimeNs, step: bigint): void {
    for (let time = this.lastTime + step; time <= until; time += step) this.tick(time);
    if (this.lastTime < until) this.tick(until);
  }

  list(spec: PerpMarketSpec): ExchangeStep {
    return this.ok({ type: "createMarket", market: spec });
  }

  deposit(account: string, asset: CollateralAsset, amount: bigint): ExchangeStep {
    return this.ok({ type: "deposit", account, asset, amount, reference: `0xdeposit${this.log.length + 1}` });
  }

  /** Deposits whole dollars of USDC. */
  fund(account: string, dollars: number): ExchangeStep {
    return this.deposit(account, "USDC", usdc(dollars));
  }

  place(account: string, order: OrderSpec, at?: TimeNs): ExchangeStep {
    return this.apply({ type: "placeOrder", account, order }, at);
  }

  placeOk(account: string, order: OrderSpec, at?: TimeNs): ExchangeStep {
    return this.ok({ type: "placeOrder", account, order }, at);
  }

  indexPrice(market: string, price: number, at?: TimeNs): ExchangeStep {
    return this.ok({ type: "indexPrice", market, price }, at);
  }

  perpMarket(symbol: string): Exchange["perpMarkets"][number] {
    const market = this.exchange.engine.market(symbol);
    assert.ok(market !== undefined, `market ${symbol} is not listed`);
    return this.exchange.perpMarkets[market.index]!;
  }

  accountOf(address: string): Exchange["engine"]["accounts"]["list"][number] {
    const found = this.exchange.engine.accounts.find(address);
    assert.ok(found !== undefined, `account ${address} does not exist`);
    return found;
  }

  position(address: string, symbol: string): Position | undefined {
    const found = this.exchange.engine.accounts.find(address);
    if (found === undefined) return undefined;
    return this.exchange.position(found, this.perpMarket(symbol).index);
  }

  /** Events of the last command of the given type. */
  lastEvents<T extends ExchangeEvent["type"]>(type: T): EventOf<T>[] {
    const last = this.steps[this.steps.length - 1];
    assert.ok(last !== undefined);
    return eventsOf(last.events, type);
  }

  private checkBalances(where: string): void {
    for (const account of this.exchange.engine.accounts.list) {
      if (account.cash >= 0 || this.allowDebt) continue;
      // A USDC debt is allowed only while other collateral backs it (multi-asset margin).
      const value = collateralValue(account, this.exchange.prices);
      assert.ok(value >= 0, `${where}: ${account.address} has a USDC debt of ${-account.cash} µUSD that its collateral does not back`);
    }
  }

  private checkAgainstTwin(command: ExchangeCommand, result: CommandResult, events: readonly ExchangeEvent[], hash: string, where: string): void {
    const twin = this.twin;
    if (twin === null) return;
    twin.apply(result.ok === false ? { type: "tick", sequence: command.sequence, time: command.time } : command);
    checkAgainstTwin({ result, events, hash, twinEvents: twin.events.slice(), twinHash: stateHash(twin), where });
  }

}
