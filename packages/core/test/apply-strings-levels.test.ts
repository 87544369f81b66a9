// Proves that three shortcuts of the apply path change no answer. Order validation reads spec.side,
// spec.type, spec.timeInForce and spec.selfTradePrevention once and hands the rest of the command
// literals and booleans: every malformed field is still rejected with its code and message, in the same
// order, and well-formed fields built at run time (as a decoder builds them, not internalized) give
// the same events as literals. A book side moves levels by hand near its end and by splice farther in:
// its levels stay sorted and complete under random inserts and removals on both sides of the 32-element
// boundary, and an empty side reads as empty. And assert throws what it threw.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  Engine,
  type CommandResult,
  type ExchangeEvent,
  type OrderSpec,
  type PriceTicks,
  type RejectCode,
  type SizeLots,
} from "@perpdex/core";
import { AssertionFailed, assert as coreAssert } from "../src/assert.ts";
import { BookSide } from "../src/book/book-side.ts";
import { noSlot } from "../src/book/order-pool.ts";
import { bestExcluding } from "../src/order-validation.ts";
import { account, marketSpec } from "./helpers.ts";

const symbol = "BTC-PERP";

/** A copy of `text` that is not the literal's string object (and not internalized), as decoded text is. */
function fresh(text: string): string {
  return [...text].join("");
}

/** An engine with one market and, when `resting`, a bid at 990 and an ask at 1010 of another account. */
function engineWithBook(resting: boolean): { engine: Engine; next: () => { sequence: number; time: bigint } } {
  const engine = new Engine();
  let sequence = 0;
  const next = (): { sequence: number; time: bigint } => {
    sequence += 1;
    return { sequence, time: BigInt(sequence) * 1_000n };
  };
  assert.ok(engine.apply({ type: "createMarket", ...next(), market: marketSpec(symbol) }).ok);
  if (resting) {
    const maker = account("b");
    const bid: OrderSpec = { market: symbol, side: "buy", type: "limit", price: 990 as PriceTicks, size: 5 as SizeLots };
    const ask: OrderSpec = { market: symbol, side: "sell", type: "limit", price: 1010 as PriceTicks, size: 5 as SizeLots };
    assert.ok(engine.apply({ type: "placeOrder", ...next(), account: maker, order: bid }).ok);
    assert.ok(engine.apply({ type: "placeOrder", ...next(), account: maker, order: ask }).ok);
  }
  return { engine, next };
}

function place(order: Record<string, unknown>): { result: CommandResult; events: readonly ExchangeEvent[] } {
  const { engine, next } = engineWithBook(true);
  const spec = { market: symbol, ...order } as unknown as OrderSpec;
  const result = engine.apply({ type: "placeOrder", ...next(), account: account("a"), order: spec });
  return { result, events: engine.events };
}

interface ShapeCase {
  readonly name: string;
  readonly order: Record<string, unknown>;
  readonly code: RejectCode;
  readonly message: string;
}

const limit = { side: "buy", type: "limit", price: 1000, size: 1 };
const market = { side: "buy", type: "market", size: 1 };

const shapeCases: readonly ShapeCase[] = [
  { name: "an unknown side", order: { ...limit, side: "bid" }, code: "ORDER_TYPE_INVALID", message: `side must be "buy" or "sell"` },
  { name: "a side before a bad type", order: { ...limit, side: "Buy", type: "stop" }, code: "ORDER_TYPE_INVALID", message: `side must be "buy" or "sell"` },
  { name: "an unknown type", order: { ...limit, type: "stop" }, code: "ORDER_TYPE_INVALID", message: `type must be "limit" or "market"` },
  {
    name: "a limit order's unknown time in force",
    order: { ...limit, timeInForce: "DAY", slippagePpm: 5 },
    code: "ORDER_TYPE_INVALID",
    message: `timeInForce of a limit order must be GTC, IOC, FOK or GTD`,
  },
  { name: "a limit order's slippage", order: { ...limit, slippagePpm: 5 }, code: "ORDER_TYPE_INVALID", message: `slippagePpm applies to market orders only` },
  { name: "a market order's GTC", order: { ...market, timeInForce: "GTC" }, code: "ORDER_TYPE_INVALID", message: `timeInForce of a market order must be IOC or FOK` },
  { name: "a market order's unknown time in force", order: { ...market, timeInForce: "ioc" }, code: "ORDER_TYPE_INVALID", message: `timeInForce of a market order must be IOC or FOK` },
  { name: "a market order's zero slippage", order: { ...market, slippagePpm: 0 }, code: "ORDER_TYPE_INVALID", message: `slippagePpm must be an integer from 1 to 1000000` },
  {
    name: "post-only IOC before a bad self-trade mode",
    order: { ...limit, timeInForce: "IOC", postOnly: true, selfTradePrevention: "never" },
    code: "ORDER_POST_ONLY_NOT_RESTING",
    message: `post-only needs a limit order with GTC or GTD time in force`,
  },
  { name: "post-only market", order: { ...market, postOnly: true }, code: "ORDER_POST_ONLY_NOT_RESTING", message: `post-only needs a limit order with GTC or GTD time in force` },
  {
    name: "an unknown self-trade mode",
    order: { ...limit, selfTradePrevention: "cancelNewest" },
    code: "ORDER_TYPE_INVALID",
    message: `selfTradePrevention must be cancelIncoming, cancelResting or cancelBoth`,
  },
  { name: "a limit order without a price", order: { side: "sell", type: "limit", size: 1 }, code: "PRICE_NOT_POSITIVE", message: `a limit order needs a price` },
  { name: "expiresAt without GTD", order: { ...limit, expiresAt: 10_000_000n }, code: "ORDER_EXPIRY_INVALID", message: `expiresAt is only allowed with timeInForce GTD` },
  {
    name: "GTD without expiresAt",
    order: { ...limit, timeInForce: "GTD" },
    code: "ORDER_EXPIRY_INVALID",
    message: `a GTD order needs expiresAt after the exchange time 4000 ns and at most 9223372036854775807 ns`,
  },
  {
    name: "a post-only buy at the ask",
    order: { ...limit, price: 1010, postOnly: true },
    code: "ORDER_POST_ONLY_WOULD_TAKE",
    message: `a post-only buy at 1010 ticks would take liquidity; post-only prices must be below 1010 ticks`,
  },
];

/** The order with each string field replaced by a fresh copy, as a decoder would hand it over. */
function decodedCopy(order: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(order).map(([key, value]) => [key, typeof value === "string" ? fresh(value) : value]));
}

describe("order validation with the spec's strings read once", () => {
  for (const row of shapeCases) {
    it(`rejects ${row.name}`, () => {
      for (const order of [row.order, decodedCopy(row.order)]) {
        const { result, events } = place(order);
        assert.equal(result.ok, false);
        if (result.ok) return;
        assert.equal(result.code, row.code);
        assert.equal(result.message, row.message);
        assert.equal(events.length, 1);
        assert.equal(events[0]!.type, "OrderRejected");
      }
    });
  }

  const accepted: readonly (readonly [string, Record<string, unknown>])[] = [
    ["a resting buy", { ...limit }],
    ["a resting sell with GTC given", { side: "sell", type: "limit", price: 1005, size: 2, timeInForce: "GTC" }],
    ["a GTD sell", { side: "sell", type: "limit", price: 1005, size: 2, timeInForce: "GTD", expiresAt: 10_000_000n }],
    ["an IOC buy that trades", { side: "buy", type: "limit", price: 1010, size: 7, timeInForce: "IOC" }],
    ["a FOK sell that cannot fill", { side: "sell", type: "limit", price: 990, size: 7, timeInForce: "FOK" }],
    ["a FOK sell that fills", { side: "sell", type: "limit", price: 990, size: 5, timeInForce: "FOK", selfTradePrevention: "cancelBoth" }],
    ["a market buy", { ...market, size: 3 }],
    ["a market sell, FOK, with slippage", { side: "sell", type: "market", size: 3, timeInForce: "FOK", slippagePpm: 20_000 }],
    ["a post-only sell with a self-trade mode", { side: "sell", type: "limit", price: 1008, size: 1, postOnly: true, selfTradePrevention: "cancelResting" }],
  ];
  for (const [name, order] of accepted) {
    it(`gives the same events for ${name} from literals and from decoded strings`, () => {
      const fromLiterals = place(order);
      const fromDecoded = place(decodedCopy(order));
      assert.deepEqual(fromLiterals.result, { ok: true });
      assert.deepEqual(fromDecoded.result, fromLiterals.result);
      assert.deepEqual(fromDecoded.events, fromLiterals.events);
      const acceptedEvent = fromLiterals.events[0]!;
      assert.equal(acceptedEvent.type, "OrderAccepted");
      if (acceptedEvent.type !== "OrderAccepted") return;
      // The resolved defaults: GTC for a limit order, IOC for a market order, cancelIncoming.
      assert.equal(acceptedEvent.timeInForce, order["timeInForce"] ?? (order["type"] === "market" ? "IOC" : "GTC"));
      assert.equal(acceptedEvent.selfTradePrevention, order["selfTradePrevention"] ?? "cancelIncoming");
      assert.equal(acceptedEvent.side, order["side"]);
    });
  }
});

describe("BookSide levels", () => {
  it("stay sorted and complete under inserts and removals near and far from the best", () => {
    const step = fc.record({ insert: fc.boolean(), price: fc.integer({ min: 1, max: 400 }) });
    fc.assert(
      fc.property(fc.boolean(), fc.array(step, { minLength: 1, maxLength: 400 }), (isBid, steps) => {
        const side = new BookSide(isBid);
        const reference = new Set<number>();
        for (const { insert, price } of steps) {
          if (insert || reference.size === 0) {
            side.levelAt(price);
            reference.add(price);
          } else {
            // Remove an existing level: the one at `price`'s rank among the present ones.
            const present = [...reference].sort((left, right) => left - right);
            const removed = present[price % present.length]!;
            side.remove(side.find(removed)!);
            reference.delete(removed);
          }
          // Worst first: bids ascending, asks descending.
          const expected = [...reference].sort((left, right) => (isBid ? left - right : right - left));
          assert.deepEqual(
            side.levels.map((level) => level.price),
            expected,
          );
        }
      }),
      { numRuns: 200 },
    );
  });

  it("reads an empty side as empty", () => {
    const side = new BookSide(false);
    assert.equal(side.best(), undefined);
    assert.equal(side.bestPrice(), 0);
    assert.equal(bestExcluding(side, noSlot), 0);
    const level = side.levelAt(50);
    level.head = 7;
    level.orderCount = 1;
    assert.equal(side.best(), level);
    assert.equal(bestExcluding(side, noSlot), 50);
    // The best level's only order excluded: the side is empty.
    assert.equal(bestExcluding(side, 7), 0);
    const worse = side.levelAt(60);
    worse.head = 8;
    worse.orderCount = 1;
    assert.equal(bestExcluding(side, 7), 60);
  });
});

describe("assert", () => {
  it("throws AssertionFailed with the message, or the default one", () => {
    assert.doesNotThrow(() => coreAssert(true));
    assert.throws(() => coreAssert(false), (error: unknown) => error instanceof AssertionFailed && error.message === "assertion failed");
    assert.throws(() => coreAssert(false, "a named bug"), (error: unknown) => error instanceof AssertionFailed && error.message === "a named bug" && error.name === "AssertionFailed");
  });
});
