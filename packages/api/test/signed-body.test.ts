// A signed request body verified on the signature worker from its JSON text (authenticateSignedBody,
// the REST routes' path) gives exactly what authenticate gives from the parsed fields: the same signer
// and agent, the same auth envelope byte for byte (the journal keeps it), the same refusal with the same
// recovered address and typed-data hash — for random actions of every type, with and without an agent.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { test } from "node:test";
import fc from "fast-check";
import { actionTypedData, type ActionFields } from "@perpdex/protocol";
import { authenticate, authenticateSignedBody, type AuthenticatorOptions, type SignedAction } from "../src/auth/authenticate.ts";
import { hashTypedDataFast, keccak } from "../src/auth/eip712.mjs";
import { NonceRegistry } from "../src/auth/nonces.ts";
import { AuthVerifier } from "../src/auth/verifier.ts";
import { actions } from "./action-arbitrary.ts";

const require = createRequire(import.meta.url);
const secp256k1 = require("secp256k1/bindings") as {
  publicKeyCreate(key: Uint8Array, compressed: boolean): Uint8Array;
  ecdsaSign(hash: Uint8Array, key: Uint8Array): { signature: Uint8Array; recid: number };
};

const keys = [randomBytes(32), randomBytes(32)];
const addresses = keys.map((key) => `0x${keccak(Buffer.from(secp256k1.publicKeyCreate(key, false).subarray(1))).subarray(12).toString("hex")}`);
const now = 1_700_000_000_000;

function options(verifier: AuthVerifier): AuthenticatorOptions {
  return { verifier, nonces: new NonceRegistry({ windowMs: 60_000, nowMs: now }), clock: () => now, agentCheck: () => null };
}

async function outcome(run: () => Promise<{ account: string; agent: string | null; envelope: Uint8Array }>): Promise<unknown> {
  try {
    const { account, agent, envelope } = await run();
    return { account, agent, envelope: Buffer.from(envelope).toString("utf8") };
  } catch (error) {
    const { status, code, message, details } = error as { status: number; code: string; message: string; details?: unknown };
    return { status, code, message, details };
  }
}

test("a body checked from its text on the worker answers exactly as authenticate does", async () => {
  const verifier = await AuthVerifier.start({ threads: 1 });
  const keepAlive = setInterval(() => {}, 1_000);
  try {
    await fc.assert(
      fc.asyncProperty(
        actions,
        fc.integer({ min: -5_000, max: 5_000 }),
        // Who signs: the account's wallet (signer absent or named, in any case), an agent, or a wrong key.
        fc.constantFrom("wallet", "wallet named", "wallet upper", "agent", "wrong key"),
        fc.boolean(),
        async (action, nonceOffset, who, spaced) => {
          const fields = { ...action.fields, account: addresses[0]! } as ActionFields[typeof action.type];
          const nonce = now + nonceOffset;
          const signingKey = who === "agent" || who === "wrong key" ? keys[1]! : keys[0]!;
          const digest = hashTypedDataFast(actionTypedData({ type: action.type, fields, nonce } as Parameters<typeof actionTypedData>[0]));
          const { signature: compact, recid } = secp256k1.ecdsaSign(Buffer.from(digest.slice(2), "hex"), signingKey);
          const signature = `0x${Buffer.from(compact).toString("hex")}${(27 + recid).toString(16)}`;
          const signer = who === "agent" ? addresses[1]! : who === "wallet named" ? addresses[0]! : who === "wallet upper" ? addresses[0]!.toUpperCase().replace("0X", "0x") : undefined;
          const signed: SignedAction = { type: action.type, fields, nonce, signature, ...(signer === undefined ? {} : { signer }) };
          // The body as a client might send it: nonce first, signature last, maybe pretty-printed.
          const body = JSON.stringify({ nonce, ...fields, ...(signer === undefined ? {} : { signer }), signature }, null, spaced ? 2 : undefined);
          const parsed = JSON.parse(body) as Record<string, unknown>;
          const { nonce: _nonce, signature: _signature, signer: _signer, ...parsedFields } = parsed;
          const fromFields = await outcome(() => authenticate(options(verifier), { ...signed, fields: parsedFields as unknown as ActionFields[typeof action.type] }));
          const fromText = await outcome(() => authenticateSignedBody(options(verifier), signed, body));
          assert.deepEqual(fromText, fromFields);
          if (who === "wrong key") assert.equal((fromText as { code?: string }).code, "SIGNATURE_INVALID");
          else assert.equal((fromText as { account?: string }).account, addresses[0]);
        },
      ),
      { numRuns: 300 },
    );
  } finally {
    clearInterval(keepAlive);
    await verifier.close();
  }
});
