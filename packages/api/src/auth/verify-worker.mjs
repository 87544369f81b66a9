// Signature recovery off the engine's thread. Plain JavaScript on purpose: a worker thread does not
// inherit tsx's loader, and this file needs none. Each message is a batch of (typed data, signature)
// pairs; each reply holds, in order, the EIP-712 hash and the recovered address (null when the
// signature cannot be recovered). Hashing is eip712.mjs (hash-wasm's Keccak-256, WebAssembly inlined in
// its npm package); recovery is libsecp256k1 (the `secp256k1` package's prebuilt native binding, which
// ships inside the npm package: no download, no compiler).
import { parentPort } from "node:worker_threads";
import { createRequire } from "node:module";
import { messageOfFields } from "@perpdex/protocol/action-message.mjs";
import { hashTypedDataBytes, keccak, nativeKeccak } from "./eip712.mjs";

const require = createRequire(import.meta.url);
let secp256k1;
let native = true;
try {
  secp256k1 = require("secp256k1/bindings");
} catch {
  // Only if the prebuilt binding cannot load on this platform: the package's pure-JS fallback.
  secp256k1 = require("secp256k1/elliptic");
  native = false;
}

const hexPairs = /^0x[0-9a-fA-F]{130}$/;

function hexToBytes(hex, offset, length) {
  return Buffer.from(hex.slice(2 + offset * 2, 2 + (offset + length) * 2), "hex");
}

// `typedData`: parsed from JSON, bigints as decimal strings (the hasher reads integers from strings as
// well as from bigints).
function recover(typedData, signature) {
  let digest;
  try {
    digest = hashTypedDataBytes(typedData);
  } catch (error) {
    return { hash: null, address: null, error: `typed data cannot be hashed: ${error.message}` };
  }
  // Recovery reads the digest's bytes; the hex is for the answer (and a bad signature's message).
  const hash = `0x${digest.toString("hex")}`;
  if (typeof signature !== "string" || !hexPairs.test(signature)) {
    return { hash, address: null, error: "signature must be 0x followed by 130 hex digits (r, s, v)" };
  }
  const compact = hexToBytes(signature, 0, 64);
  const v = Number.parseInt(signature.slice(130, 132), 16);
  const recovery = v >= 27 ? v - 27 : v;
  if (recovery !== 0 && recovery !== 1) return { hash, address: null, error: `signature v must be 27 or 28, got ${v}` };
  try {
    const publicKey = secp256k1.ecdsaRecover(compact, recovery, digest, false);
    const address = `0x${keccak(Buffer.from(publicKey.subarray(1))).subarray(12).toString("hex")}`;
    return { hash, address, error: null };
  } catch (error) {
    return { hash, address: null, error: `no public key recovers from this signature: ${error.message}` };
  }
}

// Domains and types objects by number: sent once (verifier.ts), named by each item as "d" and "t".
const definitions = new Map();

function typedDataOf(item) {
  return { domain: definitions.get(item.d), types: definitions.get(item.t), primaryType: item.primaryType, message: item.message };
}

// A request body (parsed here from the same text the server validated): its typed data and the auth
// envelope the journal keeps, the signed request as canonical JSON (authenticate.ts built the same text
// on the server's thread before). The envelope names the signer only when it is an agent, not the
// account's own wallet.
function signedBodyOf(item) {
  const { nonce, signature, signer, ...fields } = item.body;
  const types = definitions.get(item.t);
  const typedData = { domain: definitions.get(item.d), types, primaryType: item.primaryType, message: messageOfFields(types[item.primaryType], fields, nonce) };
  const account = fields.account.toLowerCase();
  const agent = typeof signer === "string" ? signer.toLowerCase() : account;
  const envelope = JSON.stringify({ type: item.primaryType, fields, nonce, signature, ...(agent === account ? {} : { signer: agent }) });
  return { typedData, envelope };
}

parentPort.on("message", (message) => {
  // The verifier is closing: every batch sent before this message has been answered, so stop here, between
  // native calls (terminating the thread inside one can abort the process).
  if (message.stop === true) {
    parentPort.close();
    return;
  }
  // Requests and results travel as one JSON string each way (see verifier.ts); the envelopes of signed
  // bodies as one buffer, moved (not copied) to the server's thread, each result naming its slice.
  if (message.definitions !== undefined) for (const [id, text] of JSON.parse(message.definitions)) definitions.set(id, JSON.parse(text));
  const signatures = JSON.parse(message.signatures);
  const items = JSON.parse(message.items);
  const results = new Array(items.length);
  const envelopes = [];
  let envelopeBytes = 0;
  for (let index = 0; index < items.length; index += 1) {
    const item = items[index];
    if (item.body === undefined) {
      results[index] = recover(typedDataOf(item), signatures[index]);
      continue;
    }
    let signed;
    try {
      signed = signedBodyOf(item);
    } catch (error) {
      results[index] = { hash: null, address: null, error: `typed data cannot be built from the request: ${error.message}` };
      continue;
    }
    const result = recover(signed.typedData, signatures[index]);
    const length = Buffer.byteLength(signed.envelope);
    result.envelope = [envelopeBytes, length];
    envelopes.push(signed.envelope);
    envelopeBytes += length;
    results[index] = result;
  }
  if (envelopes.length === 0) {
    parentPort.postMessage({ batch: message.batch, results: JSON.stringify(results) });
    return;
  }
  // Its own ArrayBuffer (not a slice of the shared pool), so it can be transferred.
  const buffer = Buffer.allocUnsafeSlow(envelopeBytes);
  let offset = 0;
  for (const envelope of envelopes) offset += buffer.write(envelope, offset);
  parentPort.postMessage({ batch: message.batch, results: JSON.stringify(results), envelopes: buffer.buffer }, [buffer.buffer]);
});
parentPort.postMessage({ ready: true, native: native && nativeKeccak });
