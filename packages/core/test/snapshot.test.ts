// Proves that a snapshot (the canonical state encoding) restores an engine that is indistinguishable
// from the original: the same state hash, and the same events and hashes for every command after it.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Engine,
  checkInvariants,
  restoreState,
  stateHash,
  writeState,
  type Command,
  type CommandInput,
  type PriceTicks,
  type RatePpm,
  type SizeLots,
} from "@perpdex/core";
import { stateFormatVersion } from "../src/state-hash.ts";
import { collectChunks } from "./helpers.ts";

function snapshot(engine: Engine): Uint8Array {
  return collectChunks((sink) => writeState(engine, sink));
}

/** A seeded stream touching every kind of state: GTD orders, client ids, several accounts and markets. */
function stream(seed: number, count: number): CommandInput[] {
  let state = seed >>> 0;
  const next = (bound: number): number => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state % bound;
  };
  const accounts = ["a", "b", "c", "d"].map((letter) => "0x" + letter.repeat(40));
  const symbols = ["AAPL-PERP", "BTC-PERP"];
  const commands: CommandInput[] = symbols.map((symbol) => ({
    type: "createMarket",
    market: {
      symbol,
      tickSize: "0.01",
      lotSize: "1",
      minOrderLots: 1 as SizeLots,
      maxOrderLots: 1000 as SizeLots,
      priceBandPpm: 500_000 as RatePpm,
      referencePriceTicks: 1000 as PriceTicks,
      marketOrderSlippagePpm: 50_000 as RatePpm,
    },
  }));
  for (let index = 0; index < count; index += 1) {
    const account = accounts[next(accounts.length)]!;
    const market = symbols[next(symbols.length)]!;
    const roll = next(10);
    if (roll < 6) {
      const gtd = next(4) === 0;
      commands.push({
        type: "placeOrder",
        account,
        order: {
          market,
          side: next(2) === 0 ? "buy" : "sell",
          type: "limit",
          price: (990 + next(21)) as PriceTicks,
          size: (1 + next(20)) as SizeLots,
          ...(gtd ? { timeInForce: "GTD" as const, expiresAt: BigInt((commands.length + 5 + next(40)) * 1000) } : {}),
          ...(next(3) === 0 ? { clientOrderId: `c${next(30)}` } : {}),
        },
      });
    } else if (roll < 8) {
      commands.push({ type: "cancelOrder", account, market, clientOrderId: `c${next(30)}` });
    } else if (roll < 9) {
      commands.push({ type: "cancelAll", account, market });
    } else {
      commands.push({ type: "tick" });
    }
  }
  return commands;
}

function stamp(command: CommandInput, sequence: number): Command {
  return { ...command, sequence, time: BigInt(sequence * 1000) } as Command;
}

test("a restored engine has the same hash and behaves identically afterwards", () => {
  const commands = stream(7, 1500);
  const original = new Engine();
  let restored: Engine | null = null;
  let restoredWithGtd = 0;
  for (let index = 0; index < commands.length; index += 1) {
    const command = stamp(commands[index]!, index + 1);
    const expected = original.apply(command);
    if (restored !== null) {
      assert.deepEqual(restored.apply(command), expected);
      assert.deepEqual(restored.events, original.events, `events differ at sequence ${index + 1}`);
    }
    if (index % 250 === 249) {
      if (original.expiryByOrder.size > 0) restoredWithGtd += 1;
      restored = restoreState(snapshot(original));
      checkInvariants(restored);
      assert.equal(stateHash(restored), stateHash(original), `hash differs after restore at ${index + 1}`);
    }
  }
  assert.ok(restored !== null);
  assert.equal(stateHash(restored), stateHash(original));
  assert.ok(original.pool.count > 0, "the stream should leave resting orders");
  assert.ok(restoredWithGtd > 0, "some snapshot should hold GTD orders");
});

test("a damaged snapshot is refused", () => {
  const engine = new Engine();
  for (const [index, command] of stream(3, 200).entries()) engine.apply(stamp(command, index + 1));
  const bytes = snapshot(engine);
  assert.throws(() => restoreState(bytes.subarray(0, bytes.length - 3)), /truncated/);
  assert.throws(() => restoreState(new Uint8Array([...bytes, 0])), /trailing/);
  const wrongVersion = bytes.slice();
  wrongVersion[5] = 0x41;
  assert.throws(() => restoreState(wrongVersion), /format/);
});

// One account with two resting orders and no client ids: the encoding ends with that account's list,
// [u32 2][id newest][id older][u32 0], so the cases below can rewrite it in place.
function twoOrderSnapshot(): Uint8Array {
  const engine = new Engine();
  const commands = [stream(1, 0)[0]!];
  for (const price of [995, 996]) {
    const order = { market: "AAPL-PERP", side: "buy" as const, type: "limit" as const, price: price as PriceTicks, size: 1 as SizeLots };
    commands.push({ type: "placeOrder", account: "0x" + "a".repeat(40), order });
  }
  for (const [index, command] of commands.entries()) assert.ok(engine.apply(stamp(command, index + 1)).ok);
  assert.equal(engine.pool.count, 2);
  return snapshot(engine);
}

// The order count follows the format name (u32 length + UTF-16), five u32 limits and two 8-byte clocks.
const orderCountOffset = 4 + stateFormatVersion.length * 2 + 5 * 4 + 8 + 8;

const structuralDamages: readonly { name: string; damage: (bytes: Uint8Array, view: DataView) => void; reason: RegExp }[] = [
  {
    name: "an order listed twice by its account",
    damage: (bytes) => bytes.copyWithin(bytes.length - 12, bytes.length - 20, bytes.length - 12),
    reason: /lists an order twice/,
  },
  { name: "an account listing more orders than the books hold", damage: (bytes, view) => view.setUint32(bytes.length - 24, 3), reason: /more orders than the books hold/ },
  { name: "an account listing fewer", damage: (bytes, view) => view.setUint32(bytes.length - 24, 1), reason: /the accounts list 1 orders, the books 2/ },
  { name: "an order count the books do not match", damage: (_bytes, view) => view.setUint32(orderCountOffset + 4, 3), reason: /the books hold 2 orders, not 3/ },
  { name: "an order count no snapshot of this size could hold", damage: (_bytes, view) => view.setUint32(orderCountOffset, 0x1_0000), reason: /orders cannot fit/ },
  { name: "an account count no snapshot of this size could hold", damage: (_bytes, view) => view.setUint32(orderCountOffset + 8, 0x100_0000), reason: /accounts cannot fit/ },
];

test("a snapshot whose order lists disagree with its books is refused", () => {
  const intact = twoOrderSnapshot();
  assert.equal(stateHash(restoreState(intact)), stateHash(restoreState(intact.slice())), "the intact snapshot restores");
  for (const { name, damage, reason } of structuralDamages) {
    const bytes = intact.slice();
    damage(bytes, new DataView(bytes.buffer));
    assert.throws(() => restoreState(bytes), reason, name);
  }
});

test("an account list in another order than newest first restores in that order", () => {
  // The engine lists orders newest first, and restore matches such a list with the account's orders in
  // the books without the order index; a list in any other order is looked up in the index instead.
  const bytes = twoOrderSnapshot();
  const view = new DataView(bytes.buffer);
  const newer = view.getBigUint64(bytes.length - 20);
  const older = view.getBigUint64(bytes.length - 12);
  view.setBigUint64(bytes.length - 20, older);
  view.setBigUint64(bytes.length - 12, newer);
  const restored = restoreState(bytes);
  const account = restored.accounts.list[0]!;
  const ids = openOrderIds(restored, account);
  assert.equal(ids.length, 2);
  assert.ok(ids[0]! < ids[1]!, "oldest first, as listed");
  assert.deepEqual(snapshot(restored), bytes, "it encodes back to the same bytes");
});

test("account order lists longer than a restore batch, more accounts than one, and lists of every length in a writer batch, restore exactly", () => {
  // Restore reads the lists a batch of accounts (about 4096 orders, at most 4096 accounts) at a time:
  // one account with 5,000 orders, then 5,000 accounts with one each, cross both bounds.
  const engine = new Engine();
  const commands = [stream(1, 0)[0]!];
  const order = (price: number) => ({ market: "AAPL-PERP", side: "buy" as const, type: "limit" as const, price: price as PriceTicks, size: 1 as SizeLots });
  for (let index = 0; index < 5_000; index += 1) commands.push({ type: "placeOrder", account: "0x" + "a".repeat(40), order: order(990 + (index % 10)) });
  for (let index = 0; index < 5_000; index += 1) {
    commands.push({ type: "placeOrder", account: "0x" + index.toString(16).padStart(40, "0"), order: order(990 + (index % 7)) });
  }
  // Then 3,000 accounts with 0 to 12 orders each, placed round by round, so that their lists end at
  // different steps of the writer's walk (it walks a batch of 1,024 accounts' lists in turn) and their
  // slots interleave in the pool.
  const many = (index: number) => "0x" + (100_000 + index).toString(16).padStart(40, "0");
  for (let round = 0; round < 12; round += 1) {
    for (let index = 0; index < 3_000; index += 1) {
      if (round < index % 13) commands.push({ type: "placeOrder", account: many(index), order: order(980 + ((index + round) % 9)) });
    }
  }
  for (const [index, command] of commands.entries()) assert.ok(engine.apply(stamp(command, index + 1)).ok, `command ${index + 1}`);
  const restored = restoreState(snapshot(engine));
  checkInvariants(restored);
  assert.equal(stateHash(restored), stateHash(engine));
  assert.equal(restored.accounts.list[0]!.openOrderCount, 5_000);
  // Every account's list, newest first, is the original's: the encoding wrote each id in its place.
  for (const account of engine.accounts.list) {
    assert.deepEqual(openOrderIds(restored, restored.accounts.list[account.index]!), openOrderIds(engine, account), account.address);
  }
});

function openOrderIds(engine: Engine, account: Engine["accounts"]["list"][number]): number[] {
  const ids: number[] = [];
  for (let slot = account.orderHead; slot !== -1; slot = engine.pool.accountNext[slot]!) ids.push(engine.pool.orderId[slot]!);
  return ids;
}

test("a restored order pool has the capacity the live one grew to, so the next order placed does not grow it", () => {
  const engine = new Engine();
  const commands = [stream(1, 0)[0]!];
  for (let index = 0; index < 9_000; index += 1) {
    const order = { market: "AAPL-PERP", side: "buy" as const, type: "limit" as const, price: (990 + (index % 9)) as PriceTicks, size: 1 as SizeLots };
    commands.push({ type: "placeOrder", account: "0x" + (index % 100).toString(16).padStart(40, "0"), order });
  }
  for (const [index, command] of commands.entries()) assert.ok(engine.apply(stamp(command, index + 1)).ok, `command ${index + 1}`);
  const restored = restoreState(snapshot(engine));
  // 1,024 grown by 1.5× until 9,000 fit: 11,664 slots, not 9,000.
  assert.equal(restored.pool.bytesAllocated(), engine.pool.bytesAllocated());
  const next = { type: "placeOrder", account: "0x" + "e".repeat(40), order: { market: "AAPL-PERP", side: "sell", type: "limit", price: 1_005 as PriceTicks, size: 1 as SizeLots } } as const;
  assert.ok(restored.apply(stamp(next, commands.length + 1)).ok);
  assert.equal(restored.pool.bytesAllocated(), engine.pool.bytesAllocated(), "the next order used the slack");
});

test("the GTD expiry queue stays bounded under place-and-cancel of far-future orders", () => {
  // Canceled GTD orders leave stale heap entries; compaction keeps them within 2 × live + slack.
  const engine = new Engine();
  const account = "0x" + "e".repeat(40);
  const commands: CommandInput[] = [stream(1, 0)[0]!];
  for (let index = 0; index < 20_000; index += 1) {
    commands.push({
      type: "placeOrder",
      account,
      order: {
        market: "AAPL-PERP",
        side: "buy",
        type: "limit",
        price: 995 as PriceTicks,
        size: 1 as SizeLots,
        timeInForce: "GTD",
        expiresAt: 10n ** 18n,
        clientOrderId: "far",
      },
    });
    commands.push({ type: "cancelOrder", account, market: "AAPL-PERP", clientOrderId: "far" });
  }
  for (const [index, command] of commands.entries()) {
    const result = engine.apply(stamp(command, index + 1));
    assert.ok(result.ok, `command ${index + 1} failed`);
  }
  checkInvariants(engine);
  assert.equal(engine.expiryByOrder.size, 0);
  assert.ok(engine.expiries.size <= 1024 + 1, `expiry queue holds ${engine.expiries.size} stale entries`);
});
