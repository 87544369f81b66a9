import { isAddress, type Account } from "../accounts.ts";
import type { Exchange } from "../exchange.ts";
import { accepted, reject, type Accepted, type Rejection } from "../rejections.ts";
import { collateralAssets, collateralIndex, collateralParameters, usdcToQuote, type CollateralAsset } from "./collateral.ts";
import { formatQuote, marginAvailable, markNotional, unrealizedPnl, withdrawable } from "./account-risk.ts";
import { assertFeeRates, feeScheduleSpec, overrideFitsSchedule } from "./fee-schedule.ts";
import { notional } from "./fixed-point.ts";
import { initialMargin, leverageMaxAt } from "./margin-tiers.ts";
import type {
  AccountStatusCommand,
  AdjustMarginCommand,
  CollateralPriceCommand,
  DepositCommand,
  FeeOverrideCommand,
  IndexPriceCommand,
  PerpCommand,
  SetLeverageCommand,
  SetMarginModeCommand,
  WithdrawCommand,
} from "./perp-commands.ts";
import type { MarginMode, Position } from "./position.ts";

// Collateral movements, per-market settings, prices and account administration. Every check runs
// before anything changes; a rejection says what would have been valid.

const referencePattern = /^[\x21-\x7e]{1,128}$/;
/** Collateral prices outside $0.50 … $2.00 are refused: a stablecoin feed that far off is broken. */
const collateralPricePpmMin = 500_000;
const collateralPricePpmMax = 2_000_000;
const amountMax = 2n ** 96n;
/**
 * The most one balance may be worth at the highest accepted collateral price: 2^51 µUSD (about $2.25
 * billion), so that an account's collateral value (three balances) stays a safe integer at any price.
 */
const balanceValueMax = 2n ** 51n;

export class PerpAdmin {
  constructor(private readonly exchange: Exchange) {}

  apply(command: PerpCommand): Accepted | Rejection {
    switch (command.type) {
      case "deposit":
        return this.deposit(command);
      case "withdraw":
        return this.withdraw(command);
      case "setMarginMode":
        return this.setMarginMode(command);
      case "setLeverage":
        return this.setLeverage(command);
      case "adjustMargin":
        return this.adjustMargin(command);
      case "indexPrice":
        return this.indexPrice(command);
      case "collateralPrice":
        return this.collateralPrice(command);
      case "accountStatus":
        return this.accountStatus(command);
      case "feeOverride":
        return this.feeOverride(command);
      default:
        return reject("COMMAND_INVALID", `unknown command type ${String((command as { type: unknown }).type)}`);
    }
  }

  private emit(event: Record<string, unknown>): void {
    const exchange = this.exchange;
    exchange.events.push({
      sequence: exchange.engine.commandSequence,
      index: exchange.events.length,
      time: exchange.time,
      ...event,
    } as never);
  }

  private deposit(command: DepositCommand): Accepted | Rejection {
    const asset = checkAsset(command.asset);
    if (typeof asset !== "number") return asset;
    const amount = checkAmount(command.amount);
    if (amount !== null) return amount;
    if (typeof command.reference !== "string" || !referencePattern.test(command.reference)) {
      return reject("DEPOSIT_INVALID", `reference must be 1 to 128 printable ASCII characters (a transaction hash)`);
    }
    const engine = this.exchange.engine;
    let account = engine.accounts.find(command.account);
    if (account === undefined) {
      if (!isAddress(command.account)) {
        return reject("ACCOUNT_INVALID", `account must be a lowercase 0x-prefixed 40-hex-digit address`);
      }
      if (engine.accounts.count >= engine.limits.accountsMax) {
        return reject("ACCOUNT_INVALID", `the exchange holds at most ${engine.limits.accountsMax} accounts`);
      }
    } else if (account.status === "closed") {
      return reject("ACCOUNT_NOT_ACTIVE", `account ${account.address} is closed`);
    }
    // Checked before the account is created: a rejected deposit creates nothing.
    const held = account === undefined ? 0n : asset === 0 ? BigInt(account.cash) : account.tokens[asset]!;
    if (valueAtPriceMax(command.asset, held + command.amount) > balanceValueMax) {
      const most = formatQuote(Number(balanceValueMax));
      return reject("DEPOSIT_INVALID", `the ${command.asset} balance would be worth more than ${most} USD at the highest collateral price`);
    }
    account ??= engine.accounts.create(command.account);
    if (asset === 0) {
      account.cash += usdcToQuote(command.amount);
    } else {
      account.tokens[asset] = account.tokens[asset]! + command.amount;
      account.tokenValueEpoch = -1;
    }
    this.exchange.treasury.deposited[asset] = this.exchange.treasury.deposited[asset]! + command.amount;
    this.exchange.liquidations.touchAccount(account);
    this.emit({ type: "DepositConfirmed", account: account.address, asset: command.asset, amount: command.amount, reference: command.reference });
    return accepted;
  }

  private withdraw(command: WithdrawCommand): Accepted | Rejection {
    const found = this.activeAccount(command.account, "withdraw");
    if (!("index" in found)) return found;
    const account = found;
    const asset = checkAsset(command.asset);
    if (typeof asset !== "number") return asset;
    const invalidAmount = checkAmount(command.amount);
    if (invalidAmount !== null) return invalidAmount;
    const held = asset === 0 ? BigInt(Math.max(0, account.cash)) : account.tokens[asset]!;
    if (command.amount > held) {
      return reject("WITHDRAWAL_INSUFFICIENT", `the account holds ${held} base units of ${command.asset}`, { held: String(held) });
    }
    // Compute, then commit: take the amount out, measure, and put it back if the rest is not enough.
    const before = withdrawable(account, this.exchange);
    this.moveOut(account, asset, command.amount);
    const after = withdrawable(account, this.exchange);
    if (after < 0) {
      this.moveOut(account, asset, -command.amount);
      return reject(
        "WITHDRAWAL_EXCEEDS_FREE_MARGIN",
        `withdrawing leaves positions and orders under-margined; at most ${formatQuote(Math.max(0, before))} USD of collateral value is free`,
        { withdrawable: formatQuote(Math.max(0, before)) },
      );
    }
    this.exchange.treasury.withdrawn[asset] = this.exchange.treasury.withdrawn[asset]! + command.amount;
    this.exchange.liquidations.touchAccount(account);
    this.emit({ type: "WithdrawalRequested", account: account.address, asset: command.asset, amount: command.amount });
    return accepted;
  }

  private moveOut(account: Account, asset: number, amount: bigint): void {
    if (asset === 0) account.cash -= Number(amount);
    else {
      account.tokens[asset] = account.tokens[asset]! - amount;
      account.tokenValueEpoch = -1;
    }
  }

  private setMarginMode(command: SetMarginModeCommand): Accepted | Rejection {
    const target = this.accountAndMarket(command.account, command.market);
    if (!Array.isArray(target)) return target;
    const [account, marketIndex] = target;
    if (command.mode !== "isolated" && command.mode !== "cross") {
      return reject("SETTING_INVALID", `mode must be "isolated" or "cross"`);
    }
    const position = this.exchange.position(account, marketIndex);
    if (position !== undefined && (position.size !== 0 || position.hasOrders)) {
      return reject("SETTING_INVALID", `the margin mode can change only with no position and no open orders in ${command.market}`);
    }
    this.saveSetting(account, marketIndex, command.mode, this.currentLeverage(account, marketIndex));
    this.emitSetting("MarginModeChanged", account, marketIndex);
    return accepted;
  }

  /** SPEC 05 §8: more leverage needs a healthy account and free margin for what it releases… */
  private setLeverage(command: SetLeverageCommand): Accepted | Rejection {
    const target = this.accountAndMarket(command.account, command.market);
    if (!Array.isArray(target)) return target;
    const [account, marketIndex] = target;
    const perpMarket = this.exchange.perpMarkets[marketIndex]!;
    const position = this.exchange.position(account, marketIndex);
    // The tier of the largest position the account can reach: now, or once either side's orders fill.
    const size = position?.size ?? 0;
    const reachLots = Math.max(Math.abs(size), Math.abs(size + (position?.buyLots ?? 0)), Math.abs(size - (position?.sellLots ?? 0)));
    const exposure = notional(perpMarket.markPrice, reachLots, perpMarket.quotePerTickLot);
    const leverageMax = leverageMaxAt({ notional: exposure, profile: perpMarket.profile, cap: perpMarket.spec.leverageMax });
    const leverage = command.leverage;
    if (!Number.isInteger(leverage) || leverage < 1 || leverage > leverageMax) {
      const valid = `1 to ${leverageMax} at this position size (with its open orders filled)`;
      return reject("LEVERAGE_EXCEEDS_TIER", `leverage must be a whole number from ${valid}`, {
        leverageMax: String(leverageMax),
      });
    }
    if (position !== undefined && (position.size !== 0 || position.hasOrders)) {
      const rejection = this.rebalanceLeverage(position, leverage);
      if (rejection !== null) return rejection;
    } else {
      this.saveSetting(account, marketIndex, this.currentMode(account, marketIndex), leverage);
    }
    this.emitSetting("LeverageChanged", account, marketIndex);
    return accepted;
  }

  /** …and less leverage needs collateral for the extra margin. Compute, check, then commit. */
  private rebalanceLeverage(position: Position, leverage: number): Rejection | null {
    const exchange = this.exchange;
    const perpMarket = exchange.perpMarkets[position.market.index]!;
    const account = position.account;
    const oldLeverage = position.leverage;
    const exposure = markNotional(position, perpMarket);
    const isolatedTarget = position.mode === "isolated" ? initialMargin({ notional: exposure, leverage }) : 0;
    // Isolated: the margin bucket moves to the new requirement (never below what it holds above it).
    const marginDelta = position.mode === "isolated" ? Math.max(0, isolatedTarget - position.margin) : 0;
    position.leverage = leverage;
    account.cash -= marginDelta;
    position.margin += marginDelta;
    exchange.refreshReservation(position);
    if (marginAvailable(position, exchange) < 0) {
      position.margin -= marginDelta;
      account.cash += marginDelta;
      position.leverage = oldLeverage;
      exchange.refreshReservation(position);
      return reject("MARGIN_INSUFFICIENT", `changing leverage to ${leverage}x needs more free collateral than the account has`);
    }
    this.saveSetting(account, position.market.index, position.mode, leverage);
    return null;
  }

  private adjustMargin(command: AdjustMarginCommand): Accepted | Rejection {
    const target = this.accountAndMarket(command.account, command.market);
    if (!Array.isArray(target)) return target;
    const [account, marketIndex] = target;
    const position = this.exchange.position(account, marketIndex);
    if (position === undefined || position.size === 0 || position.mode !== "isolated") {
      return reject("MARGIN_ADJUST_INVALID", `margin can be added to or removed from an open isolated position only`);
    }
    const amount = command.amount;
    if (!Number.isSafeInteger(amount) || amount === 0) {
      return reject("MARGIN_ADJUST_INVALID", `amount must be a non-zero whole number of µUSD`);
    }
    if (amount > 0) return this.addMargin(account, position, amount);
    return this.removeMargin(account, position, -amount);
  }

  private addMargin(account: Account, position: Position, amount: number): Accepted | Rejection {
    // Withdrawable (margin is adjusted on isolated positions only): a cross paper profit does not count.
    const free = marginAvailable(position, this.exchange);
    if (amount > free) {
      return reject(
        "MARGIN_INSUFFICIENT",
        `adding ${formatQuote(amount)} USDC needs that much withdrawable collateral (unrealised profit does not count); ${formatQuote(Math.max(0, free))} is withdrawable`,
      );
    }
    // Checked first, funding settled after: a refused adjustment settles nothing.
    this.exchange.funding.catchUp(position);
    account.cash -= amount;
    position.margin += amount;
    this.emitMargin("MarginAdded", position, amount);
    return accepted;
  }

  /** Removal keeps the position at its initial margin at mark (PRD §3.1.3: "only while it stays safe"). */
  private removeMargin(account: Account, position: Position, amount: number): Accepted | Rejection {
    const perpMarket = this.exchange.perpMarkets[position.market.index]!;
    const exposure = markNotional(position, perpMarket);
    const required = initialMargin({ notional: exposure, leverage: position.leverage });
    const pnl = unrealizedPnl(position, perpMarket);
    // The margin once the funding the position owes is settled (a deficit leaves it at zero).
    const margin = Math.max(0, position.margin - this.exchange.funding.owedNow(position));
    const removable = Math.max(0, Math.min(margin, margin + Math.min(0, pnl) - required));
    if (amount > removable) {
      return reject("MARGIN_ADJUST_INVALID", `at most ${formatQuote(removable)} USDC can be removed while the position stays at its initial margin`, {
        removable: formatQuote(removable),
      });
    }
    this.exchange.funding.catchUp(position);
    position.margin -= amount;
    account.cash += amount;
    this.emitMargin("MarginRemoved", position, amount);
    return accepted;
  }

  private indexPrice(command: IndexPriceCommand): Accepted | Rejection {
    const perpMarket = this.exchange.perpMarket(command.market);
    if (!("index" in perpMarket)) return perpMarket;
    if (!Number.isInteger(command.price) || command.price < 1 || command.price > 2_147_483_647) {
      return reject("PRICE_NOT_POSITIVE", `index price must be 1 to 2147483647 ticks`);
    }
    // Through the session logic, as an oracle aggregate is: it knows market hours (perp/sessions.ts).
    this.exchange.sessions.applyIndex(perpMarket, command.price, "admin");
    return accepted;
  }

  private collateralPrice(command: CollateralPriceCommand): Accepted | Rejection {
    const asset = checkAsset(command.asset);
    if (typeof asset !== "number") return asset;
    const price = command.pricePpm;
    if (!Number.isInteger(price) || price < collateralPricePpmMin || price > collateralPricePpmMax) {
      return reject("PRICE_OUTSIDE_BAND", `a collateral price must be ${collateralPricePpmMin} to ${collateralPricePpmMax} µUSD ($0.50 to $2.00)`);
    }
    this.exchange.prices.pricePpm[asset] = price;
    this.exchange.prices.epoch += 1;
    this.exchange.liquidations.touchAllAccounts();
    this.emit({ type: "CollateralPriceUpdated", subject: command.asset, price });
    return accepted;
  }

  private accountStatus(command: AccountStatusCommand): Accepted | Rejection {
    const account = this.exchange.account(command.account);
    if (!("index" in account)) return account;
    const status = command.status;
    if (status !== "active" && status !== "suspended" && status !== "closed") {
      return reject("SETTING_INVALID", `status must be active, suspended or closed`);
    }
    if (account.status === "closed") return reject("SETTING_INVALID", `a closed account stays closed (SPEC 04)`);
    const holdsTokens = account.tokens[1] !== 0n || account.tokens[2] !== 0n;
    if (status === "closed" && (account.positions.length > 0 || account.cash !== 0 || holdsTokens)) {
      return reject("SETTING_INVALID", `an account closes only when it holds no positions, orders or collateral (USDC, USDT, DAI)`);
    }
    account.status = status;
    this.emit({ type: "AccountStatusChanged", account: account.address, status });
    // A suspended account cannot trade, so its resting orders leave the book too.
    if (status !== "active") this.exchange.engine.cancelAccountOrders(account, "ADMIN_CANCEL");
    return accepted;
  }

  private feeOverride(command: FeeOverrideCommand): Accepted | Rejection {
    const account = this.exchange.account(command.account);
    if (!("index" in account)) return account;
    const rates = command.rates;
    if (rates !== null) {
      const valid =
        Number.isInteger(rates.makerPpm) && Number.isInteger(rates.takerPpm) && rates.takerPpm >= 0 && rates.takerPpm + rates.makerPpm >= 0;
      // The override meets other accounts' tiers: its rebate may not outgrow the smallest taker rate,
      // or a fill could pay out more than it takes.
      if (!valid || rates.takerPpm > 20_000 || !overrideFitsSchedule(rates, feeScheduleSpec)) {
        return reject("FEE_INVALID", `fee rates must be whole ppm, taker 0 to 20000, and no rebate larger than any taker rate of the schedule`);
      }
      assertFeeRates(rates);
    }
    account.feeOverride = rates === null ? null : { makerPpm: rates.makerPpm, takerPpm: rates.takerPpm };
    account.feeRates = null;
    this.emit({ type: "FeeOverrideChanged", account: account.address, makerPpm: rates?.makerPpm ?? null, takerPpm: rates?.takerPpm ?? null });
    return accepted;
  }

  // ---------------------------------------------------------------------------------------------

  private activeAccount(address: string, action: string): Account | Rejection {
    const account = this.exchange.account(address);
    if (!("index" in account)) return account;
    if (account.status !== "active") return reject("ACCOUNT_NOT_ACTIVE", `account ${address} is ${account.status} and cannot ${action}`);
    return account;
  }

  private accountAndMarket(address: string, symbol: string): [Account, number] | Rejection {
    const account = this.activeAccount(address, "change settings");
    if (!("index" in account)) return account;
    const perpMarket = this.exchange.perpMarket(symbol);
    if (!("index" in perpMarket)) return perpMarket;
    return [account, perpMarket.index];
  }

  private currentMode(account: Account, marketIndex: number): MarginMode {
    return this.exchange.position(account, marketIndex)?.mode ?? account.settings?.get(marketIndex)?.mode ?? "isolated";
  }

  private currentLeverage(account: Account, marketIndex: number): number {
    const perpMarket = this.exchange.perpMarkets[marketIndex]!;
    return (
      this.exchange.position(account, marketIndex)?.leverage ??
      account.settings?.get(marketIndex)?.leverage ??
      perpMarket.spec.leverageDefault
    );
  }

  private saveSetting(account: Account, marketIndex: number, mode: MarginMode, leverage: number): void {
    account.settings ??= new Map();
    account.settings.set(marketIndex, { mode, leverage });
    const position = this.exchange.position(account, marketIndex);
    if (position !== undefined) {
      position.mode = mode;
      position.leverage = leverage;
    }
  }

  private emitSetting(type: "MarginModeChanged" | "LeverageChanged", account: Account, marketIndex: number): void {
    this.exchange.liquidations.touch(account, marketIndex);
    this.emit({
      type,
      account: account.address,
      market: this.exchange.engine.markets[marketIndex]!.symbol,
      mode: this.currentMode(account, marketIndex),
      leverage: this.currentLeverage(account, marketIndex),
    });
  }

  private emitMargin(type: "MarginAdded" | "MarginRemoved", position: Position, amount: number): void {
    this.exchange.liquidations.touch(position.account, position.market.index);
    this.emit({ type, account: position.account.address, market: position.market.symbol, amount, margin: position.margin });
  }
}

function checkAsset(asset: CollateralAsset): number | Rejection {
  if (!collateralAssets.includes(asset)) return reject("ASSET_INVALID", `asset must be one of ${collateralAssets.join(", ")}`);
  return collateralIndex[asset];
}

/** µUSD value of a balance at the highest accepted price of its asset, with its weight. */
function valueAtPriceMax(asset: CollateralAsset, balance: bigint): bigint {
  const { decimals, weightPpm } = collateralParameters[asset];
  return (balance * BigInt(collateralPricePpmMax) * BigInt(weightPpm)) / (10n ** BigInt(decimals) * 1_000_000n);
}

function checkAmount(amount: bigint): Rejection | null {
  if (typeof amount !== "bigint" || amount <= 0n || amount >= amountMax) {
    return reject("AMOUNT_INVALID", `amount must be a positive whole number of base units below 2^96`);
  }
  return null;
}

