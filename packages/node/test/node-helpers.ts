// Shared fixtures for the node's tests: scratch directories, a logger that records, deposits and a few
// orders.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestContext } from "node:test";
import type { OrderSpec, PriceTicks, SizeLots } from "@perpdex/core";
import { decodeCommandBinary, encodeCommandBinary, type ExchangeCommandInput } from "@perpdex/protocol";
import type { NodeLogger } from "../src/index.ts";

/** A fresh directory under the OS temp dir, removed when the test ends. */
export function scratchDirectory(context: TestContext, prefix = "perpdex-node-"): string {
  const directory = mkdtempSync(path.join(os.tmpdir(), prefix));
  context.after(() => rmSync(directory, { recursive: true, force: true }));
  return directory;
}

export interface LogLine {
  readonly level: "debug" | "info" | "warn" | "error";
  readonly object: Record<string, unknown>;
  readonly message: string;
}

/** A logger that keeps what it is told, for assertions. */
export class RecordingLogger implements NodeLogger {
  readonly lines: LogLine[] = [];
  debug(object: Record<string, unknown>, message: string): void {
    this.lines.push({ level: "debug", object, message });
  }
  info(object: Record<string, unknown>, message: string): void {
    this.lines.push({ level: "info", object, message });
  }
  warn(object: Record<string, unknown>, message: string): void {
    this.lines.push({ level: "warn", object, message });
  }
  error(object: Record<string, unknown>, message: string): void {
    this.lines.push({ level: "error", object, message });
  }
  messages(level?: LogLine["level"]): string[] {
    return this.lines.filter((line) => level === undefined || line.level === level).map((line) => line.message);
  }
}

/** The account the tests trade with, and a second one. */
export const alice = "0x" + "a1".repeat(20);
export const bob = "0x" + "b2".repeat(20);

/** A resting limit order on AAPL-PERP (genesis reference 230.00), `offset` ticks away from the reference. */
export function limitOrder(side: "buy" | "sell", offsetTicks: number, sizeLots = 10, extra: Partial<OrderSpec> = {}): OrderSpec {
  const price = 23_000 + (side === "buy" ? -offsetTicks : offsetTicks);
  return { market: "AAPL-PERP", side, type: "limit", price: price as PriceTicks, size: sizeLots as SizeLots, ...extra };
}

/** A placeOrder command for `account`. */
export function place(account: string, order: OrderSpec): ExchangeCommandInput {
  return { type: "placeOrder", account, order };
}

/** A USDC deposit of `dollars` (USDC base units have 6 decimals); orders need collateral. */
export function deposit(account: string, dollars = 1_000_000): ExchangeCommandInput {
  return { type: "deposit", account, asset: "USDC", amount: BigInt(dollars) * 1_000_000n, reference: `deposit-${account.slice(2, 10)}` };
}

/** Deposits for alice and bob, the first commands after genesis in most tests. */
export const funding: readonly ExchangeCommandInput[] = [deposit(alice), deposit(bob)];

/** Resolves after `milliseconds`. */
export function delay(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

// The binary payload of a placeOrder with another size of the same encoded length (1 to 9 lots).
export function withOtherSize(payload: Uint8Array): Uint8Array {
  const command = decodeCommandBinary(payload);
  assert.equal(command.type, "placeOrder");
  if (command.type !== "placeOrder") return payload;
  const altered = encodeCommandBinary({ ...command, order: { ...command.order, size: ((command.order.size % 9) + 1) as SizeLots } });
  assert.equal(altered.length, payload.length);
  return altered;
}

