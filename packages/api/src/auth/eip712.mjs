// EIP-712 hashing (hashStruct, domain separator, the 0x1901 digest) for the typed data perpdex signs,
// with hash-wasm's WebAssembly Keccak-256 (compiled from C, inlined in the npm package: no download, no
// install script) and caches for type hashes, domain separators and repeated strings (markets, sides,
// empty fields). viem's hashTypedData computes the same digest (packages/api/test/eip712.test.ts checks
// it on random actions of every type) but validates and re-derives everything per call: ~10x slower.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
// Keccak-256 of bytes, as a Uint8Array of 32 bytes that the caller may keep (struct words are copied
// out of it with `set`). One hasher, re-initialised per hash: ~1.0 µs for an input of one block (136
// bytes) and ~2.7 µs for an Order struct (416 bytes), against ~1.65 and ~3.1 µs with the `keccak`
// package's native binding, whose permutation is faster but whose per-call overhead is larger.
let keccakBytes;
// True when the compiled Keccak (WebAssembly) runs; the verify worker reports it with its native secp256k1.
let nativeKeccak = true;
try {
  const { createKeccak } = require("hash-wasm");
  const hasher = await createKeccak(256);
  keccakBytes = (data) => hasher.init().update(data).digest("binary");
} catch {
  // Only where WebAssembly cannot run (node --jitless): pure JavaScript, ~5-10x slower.
  const { keccak_256: keccak256 } = await import("@noble/hashes/sha3.js");
  keccakBytes = keccak256;
  nativeKeccak = false;
}

// A Buffer the size of a hash, from the pool: a Buffer view of the hasher's own array would cost
// ~0.8 µs (its ArrayBuffer is made on first access), a pooled copy ~0.1 µs.
function toBuffer(bytes) {
  const buffer = Buffer.allocUnsafe(bytes.length);
  buffer.set(bytes);
  return buffer;
}

/** Keccak-256 of bytes, as a Buffer of 32 bytes. */
export function keccak(data) {
  return toBuffer(keccakBytes(data));
}

export { nativeKeccak };

const addressPattern = /^0x[0-9a-fA-F]{40}$/;
const stringCacheMax = 20_000;
const stringHashes = new Map();
const typeHashes = new Map();
const domainSeparators = new Map();

function hashString(value) {
  if (typeof value !== "string") throw new TypeError(`expected a string, got ${typeof value}`);
  let hash = stringHashes.get(value);
  if (hash === undefined) {
    if (stringHashes.size >= stringCacheMax) stringHashes.clear();
    hash = keccakBytes(Buffer.from(value, "utf8"));
    stringHashes.set(value, hash);
  }
  return hash;
}

function word(value, type) {
  const out = Buffer.alloc(32);
  const match = /^(u?)int(\d*)$/.exec(type);
  const bits = match[2] === "" ? 256 : Number(match[2]);
  if (typeof value === "string" ? !/^-?[0-9]{1,78}$/.test(value) : typeof value !== "bigint" && !Number.isSafeInteger(value)) {
    throw new TypeError(`${type} expects an integer, got ${String(value)}`);
  }
  let number = typeof value === "bigint" ? value : BigInt(value);
  if (match[1] === "u") {
    if (number < 0n || number >= 1n << BigInt(bits)) throw new RangeError(`${type} out of range: ${number}`);
  } else {
    const half = 1n << BigInt(bits - 1);
    if (number < -half || number >= half) throw new RangeError(`${type} out of range: ${number}`);
    if (number < 0n) number += 1n << 256n;
  }
  const hex = number.toString(16).padStart(64, "0");
  out.write(hex, "hex");
  return out;
}

function encodeType(primaryType, types) {
  const dependencies = new Set();
  const visit = (name) => {
    if (dependencies.has(name) || types[name] === undefined) return;
    dependencies.add(name);
    for (const field of types[name]) visit(field.type.replace(/\[\d*\]$/, ""));
  };
  visit(primaryType);
  dependencies.delete(primaryType);
  const ordered = [primaryType, ...[...dependencies].sort()];
  return ordered.map((name) => `${name}(${types[name].map((field) => `${field.type} ${field.name}`).join(",")})`).join("");
}

// Type hashes are memoised per `types` object (a batch of 20 orders hashes the Order type once) and
// globally by the encoded type string, so a type is hashed once per process.
const typeHashesByTypes = new WeakMap();

function typeHash(primaryType, types) {
  let memo = typeHashesByTypes.get(types);
  if (memo === undefined) {
    memo = new Map();
    typeHashesByTypes.set(types, memo);
  }
  let hash = memo.get(primaryType);
  if (hash === undefined) {
    const encoded = encodeType(primaryType, types);
    hash = typeHashes.get(encoded);
    if (hash === undefined) {
      hash = keccakBytes(Buffer.from(encoded, "utf8"));
      typeHashes.set(encoded, hash);
    }
    memo.set(primaryType, hash);
  }
  return hash;
}

// Each field's type, parsed once per fields array (the protocol's constants, or a worker's parsed
// definitions): whether it is an array, its element type, and how an atomic element is encoded.
const fieldPlans = new WeakMap();

function fieldPlan(fields) {
  let plan = fieldPlans.get(fields);
  if (plan === undefined) {
    plan = fields.map((field) => {
      const array = field.type.endsWith("]");
      const inner = array ? field.type.slice(0, field.type.lastIndexOf("[")) : field.type;
      const integer = /^(u?)int(\d*)$/.exec(inner);
      const bits = integer === null ? 0 : integer[2] === "" ? 256 : Number(integer[2]);
      let atom = "other";
      if (inner === "string" || inner === "bool" || inner === "address" || inner === "bytes") atom = inner;
      else if (integer !== null) atom = integer[1] === "u" ? "uint" : "int";
      else if (/^bytes\d+$/.test(inner)) atom = "bytesN";
      return { name: field.name, type: field.type, array, inner, atom, bits };
    });
    fieldPlans.set(fields, plan);
  }
  return plan;
}

// A non-negative integer below 2^53 from a number, a bigint or a string of decimal digits; -1 for
// anything else (negative, larger, not an integer: the general path decides, and refuses or encodes).
function smallNatural(value) {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value : -1;
  if (typeof value === "bigint") return value >= 0n && value <= 9007199254740991n ? Number(value) : -1;
  if (typeof value !== "string" || value.length === 0 || value.length > 15) return -1;
  let number = 0;
  for (let index = 0; index < value.length; index += 1) {
    const digit = value.charCodeAt(index) - 48;
    if (digit < 0 || digit > 9) return -1;
    number = number * 10 + digit;
  }
  return number;
}

const twoTo32 = 2 ** 32;
// TypedArray fill, not Buffer fill (whose wrapper validates its arguments and encodings on each call).
const fillBytes = Uint8Array.prototype.fill;

// Writes the 32-byte encoding of one value (an atomic type, or the hash of a struct) at `offset`.
// Every word is written in place into the struct's buffer: no buffer per field, no concatenation.
function encodeInto(inner, atom, bits, value, types, out, offset) {
  if (types[inner] !== undefined) {
    out.set(structHash(inner, value, types), offset);
    return;
  }
  switch (atom) {
    case "string":
      out.set(hashString(value), offset);
      return;
    case "bool":
      if (typeof value !== "boolean") throw new TypeError(`bool expects a boolean, got ${typeof value}`);
      fillBytes.call(out, 0, offset, offset + 31);
      out[offset + 31] = value ? 1 : 0;
      return;
    case "address":
      if (typeof value !== "string" || !addressPattern.test(value)) throw new TypeError(`address expects 0x and 40 hex digits, got ${String(value)}`);
      fillBytes.call(out, 0, offset, offset + 12);
      out.write(value.slice(2), offset + 12, 20, "hex");
      return;
    case "bytes":
      out.set(keccakBytes(Buffer.from(String(value).slice(2), "hex")), offset);
      return;
    case "uint":
    case "int": {
      const number = smallNatural(value);
      // In range for its width (a signed type's non-negative half): the common case, without bigints.
      if (number >= 0 && (bits >= 54 || number < 2 ** (atom === "uint" ? bits : bits - 1))) {
        fillBytes.call(out, 0, offset, offset + 24);
        out.writeUInt32BE(Math.floor(number / twoTo32), offset + 24);
        out.writeUInt32BE(number % twoTo32, offset + 28);
        return;
      }
      out.set(word(value, inner), offset);
      return;
    }
    case "bytesN":
      fillBytes.call(out, 0, offset, offset + 32);
      out.write(String(value).slice(2), offset, "hex");
      return;
    default:
      throw new TypeError(`unsupported EIP-712 type ${inner}`);
  }
}

// keccak256(typeHash ‖ encodeData(data)) of a struct, as the hasher's own bytes: callers copy them into
// their words, so only the exported hashStruct pays for a Buffer.
function structHash(primaryType, data, types) {
  const fields = types[primaryType];
  if (data === null || typeof data !== "object") throw new TypeError(`${primaryType} expects an object`);
  const plan = fieldPlan(fields);
  const out = Buffer.allocUnsafe(32 * (plan.length + 1));
  out.set(typeHash(primaryType, types), 0);
  for (let index = 0; index < plan.length; index += 1) {
    const field = plan[index];
    const value = data[field.name];
    const offset = 32 * (index + 1);
    if (!field.array) {
      encodeInto(field.inner, field.atom, field.bits, value, types, out, offset);
      continue;
    }
    if (!Array.isArray(value)) throw new TypeError(`${field.type} expects an array`);
    const items = Buffer.allocUnsafe(32 * value.length);
    for (let item = 0; item < value.length; item += 1) encodeInto(field.inner, field.atom, field.bits, value[item], types, items, 32 * item);
    out.set(keccakBytes(items), offset);
  }
  return keccakBytes(out);
}

/** keccak256(typeHash ‖ encodeData(data)) of a struct. */
export function hashStruct(primaryType, data, types) {
  return toBuffer(structHash(primaryType, data, types));
}

const domainFieldOrder = [
  { name: "name", type: "string" },
  { name: "version", type: "string" },
  { name: "chainId", type: "uint256" },
  { name: "verifyingContract", type: "address" },
  { name: "salt", type: "bytes32" },
];

// By the domain object first (the protocol's constant, or a worker's parsed definition), then by its
// JSON for a domain built per request.
const domainSeparatorsByObject = new WeakMap();

function domainSeparator(domain) {
  const known = domainSeparatorsByObject.get(domain);
  if (known !== undefined) return known;
  const key = JSON.stringify(domain, (_key, value) => (typeof value === "bigint" ? value.toString() : value));
  let separator = domainSeparators.get(key);
  if (separator === undefined) {
    const fields = domainFieldOrder.filter((field) => domain[field.name] !== undefined);
    separator = structHash("EIP712Domain", domain, { EIP712Domain: fields });
    domainSeparators.set(key, separator);
  }
  domainSeparatorsByObject.set(domain, separator);
  return separator;
}

const emptyDomain = {};

// The 0x1901 ‖ domain separator ‖ struct hash input of the digest, reused: keccak reads it at once.
const digestInput = Buffer.alloc(66);
digestInput[0] = 0x19;
digestInput[1] = 0x01;

/** The EIP-712 digest of typed data (what wallets sign), as 32 bytes (the verify worker recovers from them). */
export function hashTypedDataBytes(typedData) {
  const { domain, types, primaryType, message } = typedData;
  if (types[primaryType] === undefined) throw new TypeError(`no type ${primaryType}`);
  const separator = domainSeparator(domain ?? emptyDomain);
  digestInput.set(separator, 2);
  digestInput.set(structHash(primaryType, message, types), 34);
  return keccak(digestInput);
}

/** The EIP-712 digest of typed data (what wallets sign), as 0x-prefixed hex. */
export function hashTypedDataFast(typedData) {
  return `0x${hashTypedDataBytes(typedData).toString("hex")}`;
}
