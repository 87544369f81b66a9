// EIP-712 hashing (hashStruct, domain separator, the 0x1901 digest) for the typed data perpdex signs,
// with native Keccak-256 (the `keccak` package's prebuilt binding, shipped inside the npm package) and
// caches for type hashes, domain separators and repeated strings (markets, sides, empty fields).
// viem's hashTypedData computes the same digest (packages/api/test/eip712.test.ts checks it on random
// actions of every type) but validates and re-derives everything per call: ~10x slower.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
let keccak;
let nativeKeccak = true;
try {
  const create = require("keccak/bindings");
  keccak = (data) => create("keccak256").update(data).digest();
} catch {
  const { keccak_256: keccak256 } = await import("@noble/hashes/sha3.js");
  keccak = (data) => Buffer.from(keccak256(data));
  nativeKeccak = false;
}

export { keccak, nativeKeccak };

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
    hash = keccak(Buffer.from(value, "utf8"));
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
      hash = keccak(Buffer.from(encoded, "utf8"));
      typeHashes.set(encoded, hash);
    }
    memo.set(primaryType, hash);
  }
  return hash;
}

function encodeValue(type, value, types) {
  if (type.endsWith("]")) {
    const inner = type.slice(0, type.lastIndexOf("["));
    if (!Array.isArray(value)) throw new TypeError(`${type} expects an array`);
    return keccak(Buffer.concat(value.map((item) => encodeValue(inner, item, types))));
  }
  if (types[type] !== undefined) return hashStruct(type, value, types);
  switch (type) {
    case "string":
      return hashString(value);
    case "bool": {
      if (typeof value !== "boolean") throw new TypeError(`bool expects a boolean, got ${typeof value}`);
      const out = Buffer.alloc(32);
      out[31] = value ? 1 : 0;
      return out;
    }
    case "address": {
      if (typeof value !== "string" || !addressPattern.test(value)) throw new TypeError(`address expects 0x and 40 hex digits, got ${String(value)}`);
      const out = Buffer.alloc(32);
      out.write(value.slice(2), 12, "hex");
      return out;
    }
    case "bytes":
      return keccak(Buffer.from(String(value).slice(2), "hex"));
    default:
      if (/^u?int\d*$/.test(type)) return word(value, type);
      if (/^bytes\d+$/.test(type)) {
        const out = Buffer.alloc(32);
        out.write(String(value).slice(2), "hex");
        return out;
      }
      throw new TypeError(`unsupported EIP-712 type ${type}`);
  }
}

/** keccak256(typeHash ‖ encodeData(data)) of a struct. */
export function hashStruct(primaryType, data, types) {
  const fields = types[primaryType];
  if (data === null || typeof data !== "object") throw new TypeError(`${primaryType} expects an object`);
  const parts = [typeHash(primaryType, types)];
  for (const field of fields) parts.push(encodeValue(field.type, data[field.name], types));
  return keccak(Buffer.concat(parts));
}

const domainFieldOrder = [
  { name: "name", type: "string" },
  { name: "version", type: "string" },
  { name: "chainId", type: "uint256" },
  { name: "verifyingContract", type: "address" },
  { name: "salt", type: "bytes32" },
];

function domainSeparator(domain) {
  const key = JSON.stringify(domain, (_key, value) => (typeof value === "bigint" ? value.toString() : value));
  let separator = domainSeparators.get(key);
  if (separator === undefined) {
    const fields = domainFieldOrder.filter((field) => domain[field.name] !== undefined);
    separator = hashStruct("EIP712Domain", domain, { EIP712Domain: fields });
    domainSeparators.set(key, separator);
  }
  return separator;
}

/** The EIP-712 digest of typed data (what wallets sign), as 0x-prefixed hex. */
export function hashTypedDataFast(typedData) {
  const { domain, types, primaryType, message } = typedData;
  if (types[primaryType] === undefined) throw new TypeError(`no type ${primaryType}`);
  const digest = keccak(Buffer.concat([Buffer.from([0x19, 0x01]), domainSeparator(domain ?? {}), hashStruct(primaryType, message, types)]));
  return `0x${digest.toString("hex")}`;
}
