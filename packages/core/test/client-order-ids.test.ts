// Client order ids of an account with many tagged orders, as a market maker keeps them: every order
// that leaves the book (cancelled by either id, filled, replaced, expired) takes its client id with it,
// forward and reverse, and the id can be used again at once. The Harness checks the invariants after
// every command, which include that the reverse entries (order id → client id) are exactly the forward
// ones; this file also reads both maps directly, so a reverse entry left behind fails here by name.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { CommandInput, PriceTicks, SizeLots } from "@perpdex/core";
import type { Account } from "../src/accounts.ts";
import { Harness, account } from "./helpers.ts";

const btc = "BTC-PERP";
const maker = account("a");
const taker = account("b");

function place(who: string, side: "buy" | "sell", price: number, size: number, clientOrderId?: string): CommandInput {
  return {
    type: "placeOrder",
    account: who,
    order: { market: btc, side, type: "limit", price: price as PriceTicks, size: size as SizeLots, ...(clientOrderId === undefined ? {} : { clientOrderId }) },
  };
}

function accountOf(harness: Harness, address: string): Account {
  const found = harness.engine.accounts.list.find((candidate) => candidate.address === address);
  assert.ok(found !== undefined, `no account ${address}`);
  return found;
}

// Before the maker's first accepted order it has no account yet (a rejected cancel creates none).
function hasAccount(harness: Harness, address: string): boolean {
  return harness.engine.accounts.list.some((candidate) => candidate.address === address);
}

/** Client id → order id of the maker's open orders, from the books (not from the maps under test). */
function openClientIds(harness: Harness, ids: Map<number, string>): Map<string, number> {
  const open = new Map<string, number>();
  const pool = harness.engine.pool;
  for (let slot = accountOf(harness, maker).orderHead; slot !== -1; slot = pool.accountNext[slot]!) {
    const orderId = pool.orderId[slot]!;
    const clientOrderId = ids.get(orderId);
    if (clientOrderId !== undefined) open.set(clientOrderId, orderId);
  }
  return open;
}

function checkMaps(harness: Harness, ids: Map<number, string>): void {
  if (!hasAccount(harness, maker)) return;
  const expected = openClientIds(harness, ids);
  const makerAccount = accountOf(harness, maker);
  assert.deepEqual(new Map([...(makerAccount.clientOrders ?? new Map<string, number>())].sort()), new Map([...expected].sort()));
  const reverse = new Map([...expected].map(([clientOrderId, orderId]) => [orderId, clientOrderId] as const));
  assert.deepEqual(new Map([...(makerAccount.clientIdsByOrder ?? new Map<number, string>())].sort()), new Map([...reverse].sort()));
}

describe("client order ids", () => {
  it("follow 600 tagged orders out of the book, newest first, and are free again", () => {
    const harness = new Harness({ timeStep: 1n });
    harness.createMarket(btc);
    const ids = new Map<number, string>();
    const orderIds: number[] = [];
    for (let index = 0; index < 600; index += 1) {
      const step = harness.apply(place(maker, "buy", 950 + (index % 40), 1, `mm-${index}`));
      const accepted = step.events[0]!;
      assert.equal(accepted.type, "OrderAccepted");
      ids.set(accepted.orderId, `mm-${index}`);
      orderIds.push(accepted.orderId);
    }
    checkMaps(harness, ids);
    // Newest first: the order a scan of the forward map would find last.
    for (let index = 599; index >= 300; index -= 1) {
      harness.apply({ type: "cancelOrder", account: maker, market: btc, clientOrderId: `mm-${index}` });
    }
    for (let index = 299; index >= 0; index -= 2) harness.apply({ type: "cancelOrder", account: maker, market: btc, orderId: orderIds[index]! });
    checkMaps(harness, ids);
    assert.equal(accountOf(harness, maker).clientOrders!.size, 150);
    // A cancelled order's id is free: placing with it again is accepted.
    const again = harness.apply(place(maker, "buy", 960, 1, "mm-599"));
    assert.equal(again.events[0]!.type, "OrderAccepted");
  });

  it("match what the books hold after random places, cancels, fills and replaces", () => {
    const action = fc.oneof(
      fc.record({ kind: fc.constant("place" as const), price: fc.integer({ min: 990, max: 1010 }), size: fc.integer({ min: 1, max: 3 }), tag: fc.integer({ min: 0, max: 30 }), tagged: fc.boolean() }),
      fc.record({ kind: fc.constant("cancelByClientId" as const), tag: fc.integer({ min: 0, max: 30 }) }),
      fc.record({ kind: fc.constant("cancelByOrderId" as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant("take" as const), price: fc.integer({ min: 990, max: 1010 }), size: fc.integer({ min: 1, max: 6 }), side: fc.constantFrom("buy" as const, "sell" as const) }),
      fc.record({ kind: fc.constant("replace" as const), pick: fc.nat(), price: fc.integer({ min: 990, max: 1010 }), keepTag: fc.boolean(), tag: fc.integer({ min: 0, max: 30 }) }),
    );
    fc.assert(
      fc.property(fc.array(action, { minLength: 20, maxLength: 80 }), (actions) => {
        const harness = new Harness({ timeStep: 1n });
        harness.createMarket(btc);
        const ids = new Map<number, string>();
        const open = (): number[] => {
          const pool = harness.engine.pool;
          const list: number[] = [];
          if (!hasAccount(harness, maker)) return list;
          for (let slot = accountOf(harness, maker).orderHead; slot !== -1; slot = pool.accountNext[slot]!) list.push(pool.orderId[slot]!);
          return list;
        };
        for (const step of actions) {
          let input: CommandInput | undefined;
          if (step.kind === "place") {
            // Maker orders on both sides of 1000, so takers can fill them.
            input = place(maker, step.price < 1000 ? "buy" : "sell", step.price, step.size, step.tagged ? `t${step.tag}` : undefined);
          } else if (step.kind === "cancelByClientId") {
            input = { type: "cancelOrder", account: maker, market: btc, clientOrderId: `t${step.tag}` };
          } else if (step.kind === "take") {
            input = place(taker, step.side, step.price, step.size);
          } else {
            const orderIds = open();
            if (orderIds.length === 0) continue;
            const orderId = orderIds[step.pick % orderIds.length]!;
            if (step.kind === "cancelByOrderId") input = { type: "cancelOrder", account: maker, market: btc, orderId };
            else {
              // Hands its own client id on to the new order, or takes another one.
              const clientOrderId = step.keepTag ? ids.get(orderId) : `t${step.tag}`;
              const order = place(maker, step.price < 1000 ? "buy" : "sell", step.price, 1, clientOrderId);
              assert.ok(order.type === "placeOrder");
              input = { type: "cancelReplace", account: maker, replaces: { orderId }, order: order.order };
            }
          }
          const applied = harness.apply(input);
          for (const event of applied.events) {
            if (event.type === "OrderAccepted" && event.account === maker && event.clientOrderId !== null) ids.set(event.orderId, event.clientOrderId);
          }
          checkMaps(harness, ids);
        }
      }),
      { numRuns: 200 },
    );
  });
});
