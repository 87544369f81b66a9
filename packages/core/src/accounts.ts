import { noSlot } from "./book/order-pool.ts";
import type { MarketSetting, Position } from "./perp/position.ts";
import type { FeeRates, RollingVolume } from "./perp/fee-schedule.ts";

// Accounts are keyed by wallet address (lowercase 0x hex, 20 bytes) and numbered in order of first
// appearance, so the numbering is a pure function of the command log.

const addressPattern = /^0x[0-9a-f]{40}$/;

export function isAddress(text: string): boolean {
  return addressPattern.test(text);
}

export class Account {
  /** Head of the account's list of open orders (pool slots), newest first. */
  orderHead = noSlot;
  openOrderCount = 0;
  /** Client order id → order id, for the account's open orders only; created on first use. */
  clientOrders: Map<string, number> | null = null;
  /**
   * Order id → client order id, the reverse of `clientOrders`, so an order that leaves the book forgets
   * its client id in one lookup: market makers tag every order, up to the open-order limit, and a scan
   * of `clientOrders` cost a cancel or a fill up to 60 µs at 10,000 open orders. Not state: rebuilt from
   * `clientOrders` on restore.
   */
  clientIdsByOrder: Map<number, string> | null = null;

  // The perpetual layer (exchange.ts); unused by a bare matching engine.
  status: AccountStatus = "active";
  /** USDC balance in µUSD (= USDC base units); below zero only as a debt backed by other collateral. */
  cash = 0;
  /** USDT and DAI balances in base units (index 1 and 2 of collateralAssets; slot 0 unused). */
  readonly tokens: bigint[] = [0n, 0n, 0n];
  /** Value of `tokens` at the collateral prices of `tokenValueEpoch`, µUSD. */
  tokenValue = 0;
  tokenValueEpoch = -1;
  /** Open positions and positions with open orders, in the order they were opened. */
  readonly positions: Position[] = [];
  /**
   * One of `positions` (the last one looked up or registered), or null: Exchange.position tries it
   * before scanning, one pointer away instead of three. Not state.
   */
  positionHint: Position | null = null;
  /** `positions` by market index, kept once the account has had more than a few (Exchange.position). Not state. */
  positionsByMarket: Map<number, Position> | null = null;
  /** Σ reserved over positions, µUSD. */
  reserved = 0;
  /** Margin mode and leverage chosen per market index; only non-default choices are kept. */
  settings: Map<number, MarketSetting> | null = null;
  volume: RollingVolume | null = null;
  feeOverride: FeeRates | null = null;
  /** Fee rates cached for the UTC day `feeDay` (tiers move daily, SPEC 07 §2.3). */
  feeRates: FeeRates | null = null;
  feeDay = -1;
  /** The liquidation engine's touch list this account was last added to (perp/liquidation.ts); not state. */
  touchGeneration = -1;

  constructor(
    readonly index: number,
    readonly address: string,
  ) {}
}

/**
 * Makes every account created from now on hold amounts beyond 2^31 µUSD in place (changes no state).
 * V8 stores a number field that has only held small integers in a narrower form; the first account
 * whose cash or reservation passes 2^31 µUSD ($2,147) changes the form for accounts made after it, and
 * converts each account made before it, one by one, when it is next touched. Live, that happens once,
 * early. Restore creates every account before it reads a single balance, so all of them were converted:
 * at 1 M accounts, about 3 s of a 17 s restore (on the start-up benchmark's state, 17.2 s to 14.4 s
 * with this call first). Call it before creating accounts in bulk.
 *
 * @example
 * widenAccountShape();
 * for (const address of addresses) accounts.create(address);
 */
export function widenAccountShape(): void {
  const account = new Account(-1, "");
  account.cash = 2 ** 40;
  account.reserved = 2 ** 40;
  account.tokenValue = 2 ** 40;
}

/** SPEC 04 §2.3: active trades and withdraws; suspended only deposits; closed does nothing. */
export type AccountStatus = "active" | "suspended" | "closed";

// Addresses are looked up in 256 maps, by their last two hex digits. V8 rehashes a Map all at once as it
// grows, and one map of every address held the command that grew it past 2.1 M accounts for 163 to 298 ms
// (past 1 M, 74 to 110 ms); each of 256 maps grows at a 256th of the size. The last digits, since a
// wallet address is a hash and even made-up ones (0x…0001) differ there.
const addressShards = 256;

function hexDigitValue(code: number): number {
  // Any other character (or NaN, past the end of a short string) still gives a shard in range.
  return (code <= 57 ? code - 48 : code - 87) & 15;
}

function addressShard(address: string): number {
  const length = address.length;
  return (hexDigitValue(address.charCodeAt(length - 2)) << 4) | hexDigitValue(address.charCodeAt(length - 1));
}

export class AccountRegistry {
  readonly list: Account[] = [];
  private readonly byAddress = Array.from({ length: addressShards }, () => new Map<string, Account>());

  find(address: string): Account | undefined {
    return this.byAddress[addressShard(address)]!.get(address);
  }

  /** The caller has checked the address format. */
  create(address: string): Account {
    const account = new Account(this.list.length, address);
    this.list.push(account);
    this.byAddress[addressShard(address)]!.set(address, account);
    return account;
  }

  get count(): number {
    return this.list.length;
  }
}
