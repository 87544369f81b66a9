// Random signed actions of every primary type, for the tests of the signing paths (eip712.test.ts,
// signed-body.test.ts): optional fields present or absent, odd strings, extreme integers.
import fc from "fast-check";
import type { ActionFields, ActionType } from "@perpdex/protocol";

export const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((bytes) => `0x${Buffer.from(bytes).toString("hex")}`);
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

export const actions: fc.Arbitrary<{ type: ActionType; fields: ActionFields[ActionType] }> = fc.oneof(
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
