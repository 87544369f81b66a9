// The signature verifier under a burst: more requests than its workers may hold at once (each holds at
// most two batches of at most 256 requests and about messageCharsMax characters) wait on the engine's
// thread and still resolve, each to its own signer, with malformed signatures failing only themselves;
// closing rejects what still waits. messageLength cuts the queue into messages.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { test } from "node:test";
import { actionTypedData } from "@perpdex/protocol";
import { hashTypedDataFast, keccak } from "../src/auth/eip712.mjs";
import { AuthVerifier, messageLength } from "../src/auth/verifier.ts";

const require = createRequire(import.meta.url);
const secp256k1 = require("secp256k1/bindings") as {
  publicKeyCreate(key: Uint8Array, compressed: boolean): Uint8Array;
  ecdsaSign(hash: Uint8Array, key: Uint8Array): { signature: Uint8Array; recid: number };
};

interface Signed {
  readonly typedData: ReturnType<typeof actionTypedData>;
  readonly signature: string;
  readonly expected: string | null;
}

function signedRequests(count: number): Signed[] {
  const keys = Array.from({ length: 8 }, () => randomBytes(32));
  const addresses = keys.map((key) => `0x${keccak(Buffer.from(secp256k1.publicKeyCreate(key, false).subarray(1))).subarray(12).toString("hex")}`);
  return Array.from({ length: count }, (_, index) => {
    const signer = index % keys.length;
    const typedData = actionTypedData({ type: "CancelAll", fields: { account: addresses[signer]! }, nonce: 1_700_000_000_000 + index });
    if (index % 97 === 0) return { typedData, signature: "0x1234", expected: null };
    const digest = hashTypedDataFast(typedData);
    const { signature, recid } = secp256k1.ecdsaSign(Buffer.from(digest.slice(2), "hex"), keys[signer]!);
    return { typedData, signature: `0x${Buffer.from(signature).toString("hex")}${(27 + recid).toString(16)}`, expected: addresses[signer]! };
  });
}

for (const threads of [1, 2]) {
  test(`a burst of 1,500 recoveries on ${threads} worker(s) resolves each to its own signer`, async () => {
    const verifier = await AuthVerifier.start({ threads });
    // The workers are unref'd (a server's socket keeps the process alive): a timer does it here.
    const keepAlive = setInterval(() => {}, 1_000);
    try {
      const requests = signedRequests(1_500);
      const results = await Promise.all(requests.map((request) => verifier.recover(request.typedData, request.signature)));
      for (let index = 0; index < requests.length; index += 1) {
        const request = requests[index]!;
        assert.equal(results[index]!.address, request.expected, `request ${index}`);
        assert.equal(results[index]!.hash, hashTypedDataFast(request.typedData));
        assert.equal(results[index]!.error === null, request.expected !== null);
      }
      // Later requests, one per turn, still go through once the burst is over.
      const [late] = signedRequests(2).slice(1);
      assert.equal((await verifier.recover(late!.typedData, late!.signature)).address, late!.expected);
    } finally {
      clearInterval(keepAlive);
      await verifier.close();
    }
  });
}

test("a message carries at most 256 requests and, past its first, no more than its characters allow", () => {
  const cases: readonly { readonly lengths: readonly number[]; readonly charsMax: number; readonly expected: number }[] = [
    { lengths: [], charsMax: 100, expected: 0 },
    { lengths: [10, 20, 30], charsMax: 100, expected: 3 },
    { lengths: [10, 20, 30], charsMax: 60, expected: 3 },
    { lengths: [10, 20, 30], charsMax: 59, expected: 2 },
    { lengths: [40, 40, 40, 40], charsMax: 100, expected: 2 },
    // A request longer than the limit still travels, alone.
    { lengths: [500, 10], charsMax: 100, expected: 1 },
    { lengths: [10, 500], charsMax: 100, expected: 1 },
    { lengths: Array.from({ length: 300 }, () => 1), charsMax: 100_000, expected: 256 },
    { lengths: Array.from({ length: 300 }, () => 1), charsMax: 100, expected: 100 },
  ];
  for (const { lengths, charsMax, expected } of cases) {
    const items = lengths.map((length) => "x".repeat(length));
    const total = lengths.reduce((sum, length) => sum + length, 0);
    assert.equal(messageLength(items, total, charsMax), expected, `${lengths.length} requests of ${lengths.slice(0, 4).join(", ")}… within ${charsMax}`);
  }
});

for (const messageCharsMax of [1, 2_000]) {
  test(`with messages of at most ${messageCharsMax} characters a burst still resolves each request to its own signer`, async () => {
    const verifier = await AuthVerifier.start({ threads: 1, messageCharsMax });
    const keepAlive = setInterval(() => {}, 1_000);
    try {
      const requests = signedRequests(400);
      const results = await Promise.all(requests.map((request) => verifier.recover(request.typedData, request.signature)));
      requests.forEach((request, index) => assert.equal(results[index]!.address, request.expected, `request ${index}`));
    } finally {
      clearInterval(keepAlive);
      await verifier.close();
    }
  });
}

test("a verifier refuses a message size that is not a positive integer", async () => {
  for (const messageCharsMax of [0, -1, 1.5, Number.NaN]) {
    await assert.rejects(AuthVerifier.start({ threads: 1, messageCharsMax }), RangeError);
  }
});

test("closing the verifier rejects the recoveries still waiting for a worker", async () => {
  // Messages as large as 256 requests: all 200 wait for the end of the turn.
  const verifier = await AuthVerifier.start({ threads: 1, messageCharsMax: 1 << 24 });
  // Fewer than a batch: all still queued for the end of the turn when close() comes (terminating a
  // worker in the middle of native hashing is not what this test is about).
  const requests = signedRequests(200);
  const outcomes = requests.map((request) => verifier.recover(request.typedData, request.signature).then(
    () => "resolved",
    (error: Error) => error.message,
  ));
  await verifier.close();
  const settled = await Promise.all(outcomes);
  // Nothing hangs: every queued recovery is rejected.
  assert.deepEqual(new Set(settled), new Set(["the signature verifier closed"]));
  await assert.rejects(verifier.recover(requests[1]!.typedData, requests[1]!.signature), /closed/);
});

test("closing while workers hash answers every batch they hold, rejects the rest, and never aborts the process", async () => {
  for (let round = 0; round < 5; round += 1) {
    const verifier = await AuthVerifier.start({ threads: 2 });
    const keepAlive = setInterval(() => {}, 1_000);
    try {
      // Two workers hold at most 2 batches of 256 each: 1,200 requests leave some in flight, some queued.
      const requests = signedRequests(1_200);
      const outcomes = requests.map((request) => verifier.recover(request.typedData, request.signature).then(
        (result) => (result.address === request.expected ? "right signer" : `wrong signer for ${request.expected}`),
        (error: Error) => error.message,
      ));
      // Let the first batches reach the workers, then close in the middle of their native hashing.
      await new Promise((resolve) => setImmediate(resolve));
      await verifier.close();
      const settled = await Promise.all(outcomes);
      const answered = settled.filter((outcome) => outcome === "right signer").length;
      assert.ok(answered > 0, "batches a worker held when close() came are answered");
      assert.ok(settled.every((outcome) => outcome === "right signer" || outcome === "the signature verifier closed"), settled.find((outcome) => outcome !== "right signer" && outcome !== "the signature verifier closed"));
    } finally {
      clearInterval(keepAlive);
    }
  }
});
