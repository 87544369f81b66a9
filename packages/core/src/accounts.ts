import { noSlot } from "./book/order-pool.ts";

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

  constructor(
    readonly index: number,
    readonly address: string,
  ) {}
}

export class AccountRegistry {
  readonly list: Account[] = [];
  private readonly byAddress = new Map<string, Account>();

  find(address: string): Account | undefined {
    return this.byAddress.get(address);
  }

  /** The caller has checked the address format. */
  create(address: string): Account {
    const account = new Account(this.list.length, address);
    this.list.push(account);
    this.byAddress.set(address, account);
    return account;
  }

  get count(): number {
    return this.list.length;
  }
}
