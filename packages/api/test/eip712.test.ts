// The server's fast EIP-712 hasher (native Keccak, caches) gives exactly viem's hashTypedData for random
// actions of every primary type — the digest the SDK and wallets sign — and refuses malformed values
// instead of hashing them.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { hashTypedData } from "viem";
import { actionTypedData } from "@perpdex/protocol";
import { hashTypedDataFast } from "../src/auth/eip712.mjs";
import { actions } from "./action-arbitrary.ts";

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
