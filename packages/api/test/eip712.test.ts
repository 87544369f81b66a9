// The server's fast EIP-712 hasher (native Keccak, caches) gives exactly viem's hashTypedData for random
// actions of every primary type — the digest the SDK and wallets sign — and refuses malformed values
// instead of hashing them.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { hashTypedData } from "viem";
import { actionTypedData, type ActionFields, type ActionType } from "@perpdex/protocol";
import { hashTypedDataFast } from "../src/auth/eip712.mjs";

const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((bytes) => `0x${Buffer.from(bytes).toString("hex")}`);
const text = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: "grapheme", maxLength: 6 }), fc.constantFrom("", "BTC-PERP", "95000.5", "0.001"));
const order = fc.record(
  {
    market: text,
    side: fc.constantFrom("buy", "sell"),
    orderType: fc.constantFrom("limit", "market"),
    price: text,
    size: text,
    timeInForce: fc.constantFrom("GTC", "IOC", "FOK", "GTD"),
    expiresAt: fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }).map(String),
    postOnly: fc.boolean(),
    reduceOnly: fc.boolean(),
    selfTradePrevention: fc.constantFrom("cancelIncoming", "cancelResting", "cancelBoth"),
    clientOrderId: text,
    slippagePpm: fc.integer({ min: 0, max: 1_000_000 }),
  },
  { requiredKeys: ["market", "side", "orderType", "size"] },
);
const cancel = fc.record({ market: text, orderId: text, clientOrderId: text }, { requiredKeys: ["market"] });

const actions: fc.Arbitrary<{ type: ActionType; fields: ActionFields[ActionType] }> = fc.oneof(
  fc.record({ type: fc.constant("PlaceOrders" as const), fields: fc.record({ account: address, orders: fc.array(order, { maxLength: 4 }) }) }),
  fc.record({ type: fc.constant("CancelOrders" as const), fields: fc.record({ account: address, cancels: fc.array(cancel, { maxLength: 4 }) }) }),
  fc.record({ type: fc.constant("CancelAll" as const), fields: fc.record({ account: address, market: text }, { requiredKeys: ["account"] }) }),
  fc.record({ type: fc.constant("CancelReplace" as const), fields: fc.record({ account: address, replaces: cancel, order }) }),
  fc.record({ type: fc.constant("Batch" as const), fields: fc.record({ account: address, cancels: fc.array(cancel, { maxLength: 3 }), orders: fc.array(order, { maxLength: 3 }) }) }),
  fc.record({ type: fc.constant("SetLeverage" as const), fields: fc.record({ account: address, market: text, leverage: fc.integer({ min: 0, max: 2 ** 32 - 1 }) }) }),
  fc.record({ type: fc.constant("SetMarginMode" as const), fields: fc.record({ account: address, market: text, mode: fc.constantFrom("isolated" as const, "cross" as const) }) }),
  fc.record({ type: fc.constant("AdjustMargin" as const), fields: fc.record({ account: address, market: text, amount: text }) }),
  fc.record({ type: fc.constant("Withdraw" as const), fields: fc.record({ account: address, asset: text, amount: text }) }),
  fc.record({
    type: fc.constant("ApproveAgent" as const),
    fields: fc.record(
      { account: address, agent: address, name: text, expiresAt: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), markets: fc.array(text, { maxLength: 3 }), maxOrderNotional: text },
      { requiredKeys: ["account", "agent", "name", "expiresAt"] },
    ),
  }),
  fc.record({ type: fc.constant("RevokeAgent" as const), fields: fc.record({ account: address, agent: address }) }),
  fc.record({ type: fc.constant("Login" as const), fields: fc.record({ account: address }) }),
) as fc.Arbitrary<{ type: ActionType; fields: ActionFields[ActionType] }>;

test("the fast hasher equals viem's hashTypedData on random actions of every type", () => {
  fc.assert(
    fc.property(actions, fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (action, nonce) => {
      const typedData = actionTypedData({ type: action.type, fields: action.fields, nonce } as Parameters<typeof actionTypedData>[0]);
      assert.equal(hashTypedDataFast(typedData), hashTypedData(typedData as Parameters<typeof hashTypedData>[0]));
    }),
    { numRuns: 400 },
  );
});

test("malformed values are refused, not hashed", () => {
  const typedData = actionTypedData({ type: "SetLeverage", fields: { account: "0x" + "1".repeat(40), market: "BTC-PERP", leverage: 5 }, nonce: 1 });
  assert.throws(() => hashTypedDataFast({ ...typedData, message: { ...typedData.message, account: "0x12" } }), /address/);
  assert.throws(() => hashTypedDataFast({ ...typedData, message: { ...typedData.message, leverage: -1n } }), /out of range/);
  assert.throws(() => hashTypedDataFast({ ...typedData, message: { ...typedData.message, leverage: 2n ** 32n } }), /out of range/);
  assert.throws(() => hashTypedDataFast({ ...typedData, message: { ...typedData.message, market: 5 } }), /string/);
});
