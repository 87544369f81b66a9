// The signed order bodies of bench-api.ts, built on the load generator's thread (load-worker.mjs,
// `prepare`) rather than on the server's: signing a run's thousands of bodies left megabytes of garbage
// on the server's heap, and the full collection run before each part to clear it deoptimised the
// server's whole request path (V8 drops optimised code whose embedded objects died: 114 functions,
// node's HTTP and fastify's among them, `--trace-deopt`, reason "weak objects"), so every part began
// with ~0.8 s of recompiling on V8's background threads, half a core on a 2-core machine (the 5,000/s
// lead-in's p50 11 to 200 ms, its backlog reaching into the measured seconds). A server does not sign
// its clients' requests, nor force a collection before a burst. A major collection that comes on its own
// under load does the same, though (a full collection forced 1.5 s into the 5,000/s run: p99 32 and
// 62 ms); the old generation grows about 1.4 KB an order here, so that is about once a minute at
// 5,000/s with --initial-old-space-size=512, outside most 3 s runs (PERPDEX_BENCH_SECONDS=45 meets it).
import { createRequire } from "node:module";
import { actionTypedData, type OrderRequest } from "@perpdex/protocol";
import { hashTypedDataFast, keccak } from "../src/auth/eip712.mjs";

const require = createRequire(import.meta.url);
const secp256k1 = require("secp256k1/bindings") as {
  publicKeyCreate(key: Uint8Array, compressed: boolean): Uint8Array;
  ecdsaSign(hash: Uint8Array, key: Uint8Array): { signature: Uint8Array; recid: number };
};

/** A trading wallet of the bench: its key, its address and the last nonce it signed. */
export interface Wallet {
  readonly key: Buffer;
  readonly address: string;
  nonce: number;
}

/** The wallet of a 32-byte private key (hex, no 0x). */
export function walletOf(keyHex: string): Wallet {
  const key = Buffer.from(keyHex, "hex");
  const publicKey = secp256k1.publicKeyCreate(key, false);
  return { key, address: `0x${keccak(Buffer.from(publicKey.subarray(1))).subarray(12).toString("hex")}`, nonce: Date.now() };
}

function signOrders(signer: Wallet, orders: readonly OrderRequest[]): string {
  const nonce = (signer.nonce = Math.max(signer.nonce + 1, Date.now()));
  const fields = { account: signer.address, orders };
  const digest = hashTypedDataFast(actionTypedData({ type: "PlaceOrders", fields, nonce }));
  const { signature, recid } = secp256k1.ecdsaSign(Buffer.from(digest.slice(2), "hex"), signer.key);
  return JSON.stringify({ ...fields, nonce, signature: `0x${Buffer.from(signature).toString("hex")}${(27 + recid).toString(16)}` });
}

// Makers rest post-only sells just above 95,000; takers buy IOC through them: every other order trades,
// the book stays a few levels deep, positions grow slowly (0.001 BTC an order).
function orderBody(makers: readonly Wallet[], takers: readonly Wallet[], index: number, ordersPerBody: number): string {
  const maker = index % 2 === 0;
  const side = maker ? makers : takers;
  const signer = side[Math.floor(index / 2) % side.length]!;
  const orders: OrderRequest[] = Array.from({ length: ordersPerBody }, (_unused, item) =>
    maker
      ? { market: "BTC-PERP", side: "sell", orderType: "limit", price: String(95_001 + ((index + item) % 20)), size: "0.001", postOnly: true }
      : { market: "BTC-PERP", side: "buy", orderType: "limit", price: "95030", size: "0.001", timeInForce: "IOC" },
  );
  return signOrders(signer, orders);
}

/** `count` signed PlaceOrders bodies of `ordersPerBody` orders each, makers and takers alternating. */
export function orderBodies(makers: readonly Wallet[], takers: readonly Wallet[], count: number, ordersPerBody: number): string[] {
  return Array.from({ length: count }, (_unused, index) => orderBody(makers, takers, index, ordersPerBody));
}
