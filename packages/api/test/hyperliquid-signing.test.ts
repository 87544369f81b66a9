// Proves that perpdex hashes and verifies Hyperliquid-signed requests byte for byte as the clients sign
// them: ccxt's own MessagePack encoder, action hash and signer are the reference.
import assert from "node:assert/strict";
import { test } from "node:test";
import ccxt from "ccxt";
import fc from "fast-check";
import { privateKeyToAccount } from "viem/accounts";
import { encodeMessagePack } from "../src/hyperliquid/msgpack.ts";
import {
  actionHash,
  hexOfBytes,
  l1ActionDigest,
  parseWireSignature,
  recoverSigner,
  SignatureFormatError,
  userSignedActionDigest,
} from "../src/hyperliquid/signing.ts";
import { parseWireJson, WireJsonError, type WireObject } from "../src/hyperliquid/wire-json.ts";

const privateKey = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
const wallet = privateKeyToAccount(privateKey).address.toLowerCase();

function client(sandbox = false): InstanceType<typeof ccxt.hyperliquid> {
  const exchange = new ccxt.hyperliquid({ walletAddress: wallet, privateKey });
  if (sandbox) exchange.setSandboxMode(true);
  return exchange;
}

const nonce = 1_763_780_000_123;
const actions: Record<string, unknown>[] = [
  {
    type: "order",
    orders: [
      { a: 5, b: true, p: "95123", s: "0.012", r: false, t: { limit: { tif: "Gtc" } } },
      { a: 0, b: false, p: "660.12", s: "1.5", r: true, t: { limit: { tif: "Alo" } }, c: "0x1234567890abcdef1234567890abcdef" },
    ],
    grouping: "na",
    builder: { b: "0x6530512a6c89c7cfcebc3ba7fcd9ada5f30827a6", f: 10 },
  },
  { type: "cancel", cancels: [{ a: 1, o: 4_294_967_296 + 77 }] },
  { type: "cancelByCloid", cancels: [{ asset: 3, cloid: "0x000000000000000000000000000000ff" }] },
  { type: "updateLeverage", asset: 2, isCross: false, leverage: 20 },
  { type: "updateIsolatedMargin", asset: 2, isBuy: true, ntli: -1_500_000 },
  { type: "setReferrer", code: "CCXT1" },
  { type: "order", orders: Array.from({ length: 17 }, (_, index) => ({ a: index, b: index % 2 === 0, p: `${100 + index}.5`, s: "1", r: false, t: { limit: { tif: "Ioc" } } })), grouping: "na" },
];

test("the action hash equals ccxt's for every action ccxt sends, with and without a vault and expiry", () => {
  const exchange = client();
  for (const action of actions) {
    const wire = parseWireJson(JSON.stringify(action));
    assert.equal(hexOfBytes(encodeMessagePack(wire)), hexOfBytes(exchange.packb(action) as Uint8Array));
    assert.equal(actionHash({ action: wire, nonce: BigInt(nonce) }), hexOfBytes(exchange.actionHash(action, undefined, nonce) as Uint8Array));
    const vault = "1234567890abcdef1234567890abcdef12345678";
    assert.equal(
      actionHash({ action: wire, nonce: BigInt(nonce), vaultAddress: vault, expiresAfter: BigInt(nonce + 5_000) }),
      hexOfBytes(exchange.actionHash(action, vault, nonce, nonce + 5_000) as Uint8Array),
    );
  }
});

test("a ccxt L1 signature recovers to the signing wallet on mainnet and testnet, and to another address on the wrong chain", async () => {
  for (const [sandbox, chain, other] of [[false, "Mainnet", "Testnet"], [true, "Testnet", "Mainnet"]] as const) {
    const exchange = client(sandbox);
    for (const action of actions) {
      const signature = parseWireSignature(exchange.signL1Action(action, nonce));
      const connectionId = actionHash({ action: parseWireJson(JSON.stringify(action)), nonce: BigInt(nonce) });
      assert.equal(await recoverSigner({ digest: l1ActionDigest({ connectionId, chain }), signature }), wallet);
      assert.notEqual(await recoverSigner({ digest: l1ActionDigest({ connectionId, chain: other }), signature }), wallet);
    }
  }
});

test("a ccxt user-signed action (approveBuilderFee, withdraw3) recovers to the signing wallet", async () => {
  const exchange = client();
  const fee = { hyperliquidChain: "Mainnet", maxFeeRate: "0.01%", builder: "0x6530512A6c89C7cfCEbC3BA7fcD9aDa5f30827a6", nonce };
  const feeAction = { hyperliquidChain: "Mainnet", signatureChainId: "0x66eee", maxFeeRate: "0.01%", builder: fee.builder, nonce, type: "approveBuilderFee" };
  const feeWire = parseWireJson(JSON.stringify(feeAction)) as WireObject;
  assert.equal(await recoverSigner({ digest: userSignedActionDigest({ type: "approveBuilderFee", action: feeWire }), signature: parseWireSignature(exchange.buildApproveBuilderFeeSig(fee)) }), wallet);
  const withdraw = { hyperliquidChain: "Mainnet", destination: wallet, amount: "12.5", time: nonce };
  const withdrawWire = parseWireJson(JSON.stringify({ ...withdraw, signatureChainId: "0x66eee", type: "withdraw3" })) as WireObject;
  assert.equal(await recoverSigner({ digest: userSignedActionDigest({ type: "withdraw3", action: withdrawWire }), signature: parseWireSignature(exchange.buildWithdrawSig(withdraw)) }), wallet);
});

test("key order and number literals are hashed as written, not as JSON.parse would rebuild them", () => {
  const reordered = encodeMessagePack(parseWireJson('{"b":1,"a":2}'));
  assert.equal(hexOfBytes(reordered), "0x82a16201a16102");
  // JSON.parse would move "1" before "b"; the signer hashed "b" first.
  assert.equal(hexOfBytes(encodeMessagePack(parseWireJson('{"b":true,"1":false}'))), "0x82a162c3a131c2");
  // Python signs 1.0 as a float64; "1" is an integer.
  assert.equal(hexOfBytes(encodeMessagePack(parseWireJson("1.0"))), "0xcb3ff0000000000000");
  assert.equal(hexOfBytes(encodeMessagePack(parseWireJson("1"))), "0x01");
  assert.equal(hexOfBytes(encodeMessagePack(parseWireJson("-33"))), "0xd0df");
  assert.equal(hexOfBytes(encodeMessagePack(parseWireJson("18446744073709551615"))), "0xcfffffffffffffffff");
});

test("malformed JSON and signatures are refused with a message that says what is expected", () => {
  for (const text of ['{"a":1,"a":2}', "[1,]", '{"a" 1}', "01", '"\u0001"', "[".repeat(40) + "]".repeat(40), "1 2", ""]) {
    assert.throws(() => parseWireJson(text), WireJsonError, text);
  }
  const good = { r: "0x" + "11".repeat(32), s: "0x" + "22".repeat(32), v: 27 };
  assert.deepEqual(parseWireSignature(good), good);
  for (const bad of [null, "0x00", { ...good, v: 29 }, { ...good, r: "0x" }, { ...good, r: "0x" + "1".repeat(65) }, { ...good, s: "0x" + "f".repeat(64) }, { ...good, r: "0x0" }]) {
    assert.throws(() => parseWireSignature(bad), SignatureFormatError);
  }
});

// Integer-like keys are left out: JavaScript reorders them in both encoders alike, which the table above covers.
const wireKey = fc.string({ minLength: 1, maxLength: 40 }).filter((key) => !/^(0|[1-9][0-9]*)$/.test(key));
const { wireValue } = fc.letrec((tie) => ({
  wireValue: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.string({ maxLength: 300 }),
    fc.string({ unit: "grapheme", maxLength: 40 }),
    fc.integer({ min: -(2 ** 31) - 5, max: 2 ** 33 }),
    fc.maxSafeInteger(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((value) => !Number.isInteger(value)),
    fc.array(tie("wireValue"), { maxLength: 20 }),
    fc.uniqueArray(fc.tuple(wireKey, tie("wireValue")), { maxLength: 18, selector: ([key]) => key }).map((entries) => Object.fromEntries(entries)),
  ),
}));

test("property: encoding the received JSON equals ccxt's packb of the object the client serialised", () => {
  const exchange = client();
  fc.assert(
    fc.property(wireValue, (value) => {
      const ours = encodeMessagePack(parseWireJson(JSON.stringify(value)));
      assert.equal(hexOfBytes(ours), hexOfBytes(exchange.packb(value) as Uint8Array));
    }),
    { numRuns: 1_000 },
  );
});
