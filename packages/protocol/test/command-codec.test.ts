// Proves the journal payload codec: every command type survives encode → decode unchanged (bigints
// restored by field name), the encoding is canonical (field order fixed, so equal commands give equal
// bytes), and anything that is not a well-shaped command throws a CommandCodecError naming the field.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { CommandInput, OrderSpec, PriceTicks, RatePpm, SizeLots } from "@perpdex/core";
import {
  CommandCodecError,
  batchItemsWireMax,
  canonicalCommand,
  decodeCommand,
  decodeCommandJson,
  encodeCommand,
  encodeCommandJson,
} from "../src/index.ts";

const account = "0x" + "ab".repeat(20);
const gtdOrder: OrderSpec = {
  market: "BTC-PERP",
  side: "buy",
  type: "limit",
  price: 194_000 as PriceTicks,
  size: 5 as SizeLots,
  timeInForce: "GTD",
  expiresAt: 1_767_225_660_000_000_001n,
  postOnly: true,
  reduceOnly: false,
  selfTradePrevention: "cancelBoth",
  clientOrderId: 'quote"and\\slash',
};

const commands: readonly { name: string; command: CommandInput }[] = [
  { name: "tick", command: { type: "tick" } },
  {
    name: "createMarket",
    command: {
      type: "createMarket",
      market: {
        symbol: "AAPL-PERP",
        tickSize: "0.01",
        lotSize: "0.01",
        minOrderLots: 1 as SizeLots,
        maxOrderLots: 1_000_000 as SizeLots,
        priceBandPpm: 100_000 as RatePpm,
        referencePriceTicks: 23_050 as PriceTicks,
        marketOrderSlippagePpm: 20_000 as RatePpm,
      },
    },
  },
  { name: "placeOrder GTD with every option", command: { type: "placeOrder", account, order: gtdOrder } },
  {
    name: "placeOrder market",
    command: { type: "placeOrder", account, order: { market: "ETH-PERP", side: "sell", type: "market", size: 3 as SizeLots, slippagePpm: 5_000 as RatePpm } },
  },
  { name: "cancelOrder by id", command: { type: "cancelOrder", account, market: "BTC-PERP", orderId: 1_024 } },
  { name: "cancelOrder by client id", command: { type: "cancelOrder", account, market: "BTC-PERP", clientOrderId: "a-1" } },
  { name: "cancelAll", command: { type: "cancelAll", account } },
  { name: "cancelAll in one market", command: { type: "cancelAll", account, market: "BTC-PERP" } },
  { name: "reduceOrder", command: { type: "reduceOrder", account, market: "BTC-PERP", remaining: 2 as SizeLots, orderId: 512 } },
  { name: "cancelReplace", command: { type: "cancelReplace", account, order: gtdOrder, replaces: { clientOrderId: "old" } } },
  {
    name: "batch",
    command: {
      type: "batch",
      account,
      items: [
        { type: "placeOrder", order: gtdOrder },
        { type: "cancelOrder", market: "BTC-PERP", orderId: 768 },
        { type: "cancelOrder", market: "BTC-PERP", clientOrderId: "x" },
      ],
    },
  },
  // Shape only: the core rejects a negative size with SIZE_NOT_POSITIVE, so it must reach the core.
  {
    name: "business-invalid values still encode",
    command: { type: "placeOrder", account: "not an address", order: { market: "NOPE", side: "buy", type: "limit", price: -1 as PriceTicks, size: 0.5 as SizeLots } },
  },
];

test("command codec: every command type round-trips unchanged", () => {
  for (const { name, command } of commands) {
    const payload = encodeCommand(command);
    assert.deepEqual(decodeCommand(payload), command, name);
    assert.deepEqual(decodeCommandJson(encodeCommandJson(command)), command, name);
    // Canonical: decoding and encoding again gives the same bytes.
    assert.deepEqual(encodeCommand(decodeCommand(payload)), payload, name);
    // The canonical copy is a fresh object equal to the command, bigints included.
    const canonical = canonicalCommand(command);
    assert.notEqual(canonical.command, command, name);
    assert.deepEqual(canonical.command, command, name);
    assert.equal(canonical.json, encodeCommandJson(command), name);
  }
});

test("command codec: the encoding is canonical and bigints are decimal strings", () => {
  const shuffled = { order: { ...gtdOrder }, account, type: "placeOrder" } as unknown as CommandInput;
  assert.equal(encodeCommandJson(shuffled), encodeCommandJson({ type: "placeOrder", account, order: gtdOrder }));
  const text = encodeCommandJson({ type: "placeOrder", account, order: gtdOrder });
  assert.match(text, /^\{"type":"placeOrder","account":"0x(ab){20}","order":\{"market":"BTC-PERP"/);
  assert.match(text, /"expiresAt":"1767225660000000001"/);
  // An optional field set to undefined is the same as an absent one.
  assert.equal(encodeCommandJson({ type: "cancelAll", account, market: undefined } as unknown as CommandInput), encodeCommandJson({ type: "cancelAll", account }));
});

const garbage: readonly { name: string; text: string; path: string }[] = [
  { name: "not JSON", text: "{", path: "command" },
  { name: "not an object", text: "[1]", path: "command" },
  { name: "no type", text: "{}", path: "command.type" },
  { name: "unknown type", text: '{"type":"withdraw"}', path: "command.type" },
  { name: "prototype key as type", text: '{"type":"toString"}', path: "command.type" },
  { name: "unknown field", text: '{"type":"tick","sequence":5}', path: "command" },
  { name: "missing field", text: '{"type":"cancelAll"}', path: "command.account" },
  { name: "wrong type", text: `{"type":"cancelAll","account":5}`, path: "command.account" },
  { name: "null optional", text: `{"type":"cancelAll","account":"${account}","market":null}`, path: "command.market" },
  { name: "both order refs", text: `{"type":"cancelOrder","account":"${account}","market":"M","orderId":1,"clientOrderId":"c"}`, path: "command" },
  { name: "no order ref", text: `{"type":"cancelOrder","account":"${account}","market":"M"}`, path: "command" },
  {
    name: "expiresAt as a number",
    text: `{"type":"placeOrder","account":"${account}","order":{"market":"M","side":"buy","type":"limit","size":1,"expiresAt":5}}`,
    path: "command.order.expiresAt",
  },
  {
    name: "expiresAt beyond 64 bits",
    text: `{"type":"placeOrder","account":"${account}","order":{"market":"M","side":"buy","type":"limit","size":1,"expiresAt":"9223372036854775808"}}`,
    path: "command.order.expiresAt",
  },
  { name: "batch item of another type", text: `{"type":"batch","account":"${account}","items":[{"type":"tick"}]}`, path: "command.items[0].type" },
  { name: "batch items not an array", text: `{"type":"batch","account":"${account}","items":{}}`, path: "command.items" },
  { name: "unknown field in a nested order", text: `{"type":"placeOrder","account":"${account}","order":{"market":"M","side":"buy","type":"limit","size":1,"leverage":5}}`, path: "command.order" },
];

test("command codec: garbage throws a CommandCodecError naming the field", () => {
  for (const { name, text, path } of garbage) {
    assert.throws(
      () => decodeCommandJson(text),
      (error: unknown) => error instanceof CommandCodecError && error.path === path,
      name,
    );
  }
  assert.throws(() => decodeCommand(new Uint8Array([0x7b, 0xff, 0x7d])), CommandCodecError, "not UTF-8");
  const tooMany = Array.from({ length: batchItemsWireMax + 1 }, () => ({ type: "cancelOrder", market: "M", orderId: 1 }));
  assert.throws(() => encodeCommandJson({ type: "batch", account, items: tooMany } as CommandInput), CommandCodecError);
  assert.throws(() => encodeCommandJson({ type: "placeOrder", account, order: { ...gtdOrder, size: Number.NaN as SizeLots } }), CommandCodecError);
  assert.throws(() => encodeCommandJson({ type: "tick", sequence: 1, time: 1n } as unknown as CommandInput), CommandCodecError);
});

test("command codec: random well-shaped orders round-trip (property)", () => {
  const order = fc.record(
    {
      market: fc.string(),
      side: fc.constantFrom("buy", "sell"),
      type: fc.constantFrom("limit", "market"),
      price: fc.integer(),
      size: fc.integer(),
      timeInForce: fc.constantFrom("GTC", "IOC", "FOK", "GTD"),
      expiresAt: fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }),
      postOnly: fc.boolean(),
      reduceOnly: fc.boolean(),
      selfTradePrevention: fc.constantFrom("cancelIncoming", "cancelResting", "cancelBoth"),
      clientOrderId: fc.string({ unit: "grapheme" }),
      slippagePpm: fc.integer(),
    },
    { requiredKeys: ["market", "side", "type", "size"], noNullPrototype: true },
  );
  fc.assert(
    fc.property(fc.string(), order, (address, spec) => {
      const command = { type: "placeOrder", account: address, order: spec } as CommandInput;
      assert.deepEqual(decodeCommand(encodeCommand(command)), command);
    }),
    { numRuns: 500, seed: 20_260_101 },
  );
});
