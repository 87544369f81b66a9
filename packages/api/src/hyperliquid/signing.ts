// Hyperliquid's two signature schemes, verified over the request exactly as received.
//
// L1 actions (order, cancel, updateLeverage, …): the client hashes
//   keccak256(msgpack(action) ‖ nonce as u64 BE ‖ 0x00 | 0x01 ‖ vault address ‖ [0x00 ‖ expiresAfter as u64 BE])
// and signs the EIP-712 struct Agent { string source; bytes32 connectionId } (a "phantom agent":
// source "a" on mainnet, "b" on testnet; connectionId = that hash) in the domain
// { name "Exchange", version "1", chainId 1337, verifyingContract 0x0 }.
// User-signed actions (approveBuilderFee, withdraw3, approveAgent): the EIP-712 struct
// "HyperliquidTransaction:<Name>" of the action's own fields in the domain
// { name "HyperliquidSignTransaction", version "1", chainId = the action's signatureChainId, 0x0 }.
// Neither scheme names the signer: the signer is whoever the signature recovers to, as on Hyperliquid.
import { concat, hashTypedData, keccak256, numberToHex, recoverAddress, toHex, type Hex } from "viem";
import { encodeMessagePack } from "./msgpack.ts";
import { WireNumber, type WireObject, type WireValue } from "./wire-json.ts";

const zeroAddress = "0x0000000000000000000000000000000000000000";

/** The EIP-712 domain of every L1 action. */
export const l1ActionDomain = { name: "Exchange", version: "1", chainId: 1337, verifyingContract: zeroAddress } as const;

/** The phantom agent's struct type. */
export const agentTypes = {
  Agent: [
    { name: "source", type: "string" },
    { name: "connectionId", type: "bytes32" },
  ],
} as const;

/** "Mainnet" signs phantom agents with source "a", "Testnet" with "b". */
export type HyperliquidChain = "Mainnet" | "Testnet";

/** An ECDSA signature as Hyperliquid clients send it. */
export interface WireSignature {
  readonly r: Hex;
  readonly s: Hex;
  readonly v: 27 | 28;
}

// secp256k1's group order halved: signatures with a larger s are the malleable twin of a canonical one.
const secp256k1HalfOrder = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;
const uint64Max = (1n << 64n) - 1n;

/** What is wrong with a request's signature or hash inputs; the message says what would be valid. */
export class SignatureFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SignatureFormatError";
  }
}

/**
 * Reads `{ r, s, v }`: r and s as 0x-prefixed hex of at most 32 bytes, v 27 or 28 (0 or 1 accepted),
 * s in the lower half of the curve order (the canonical form every Ethereum signer produces).
 *
 * @example
 * parseWireSignature({ r: "0x" + "11".repeat(32), s: "0x" + "22".repeat(32), v: 27 });
 */
export function parseWireSignature(value: unknown): WireSignature {
  if (typeof value !== "object" || value === null) throw new SignatureFormatError('signature must be an object { "r", "s", "v" }');
  const { r, s, v } = value as Record<string, unknown>;
  const rHex = scalarHex(r, "r");
  const sHex = scalarHex(s, "s");
  if (BigInt(sHex) > secp256k1HalfOrder) throw new SignatureFormatError("signature.s is in the upper half of the curve order; send the canonical (low-s) signature");
  if (v !== 27 && v !== 28 && v !== 0 && v !== 1) throw new SignatureFormatError("signature.v must be 27 or 28");
  return { r: rHex, s: sHex, v: v === 0 || v === 27 ? 27 : 28 };
}

function scalarHex(value: unknown, field: string): Hex {
  if (typeof value !== "string" || !/^0x[0-9a-fA-F]{1,64}$/.test(value)) {
    throw new SignatureFormatError(`signature.${field} must be 0x followed by 1 to 64 hex digits`);
  }
  const scalar = BigInt(value);
  if (scalar === 0n) throw new SignatureFormatError(`signature.${field} must not be zero`);
  return numberToHex(scalar, { size: 32 });
}

/** The inputs of an L1 action's hash besides the action itself. */
export interface ActionHashParameters {
  /** The action exactly as received. */
  readonly action: WireValue;
  readonly nonce: bigint;
  /** 20-byte address, with or without 0x; absent for the signer's own account. */
  readonly vaultAddress?: string | undefined;
  readonly expiresAfter?: bigint | undefined;
}

/**
 * The connectionId an L1 action's signer signed: keccak256 over the action's MessagePack bytes, the
 * nonce, the vault flag (and address) and the optional expiry, as Hyperliquid's SDKs compute it.
 *
 * @example
 * const hash = actionHash({ action: parseWireJson('{"type":"cancel","cancels":[]}'), nonce: 1_700_000_000_000n });
 */
export function actionHash(parameters: ActionHashParameters): Hex {
  const parts: Uint8Array[] = [encodeMessagePack(parameters.action), uint64Bytes(parameters.nonce, "nonce")];
  if (parameters.vaultAddress === undefined) parts.push(Uint8Array.of(0));
  else parts.push(Uint8Array.of(1), addressBytes(parameters.vaultAddress));
  if (parameters.expiresAfter !== undefined) parts.push(Uint8Array.of(0), uint64Bytes(parameters.expiresAfter, "expiresAfter"));
  return keccak256(concat(parts));
}

function uint64Bytes(value: bigint, field: string): Uint8Array {
  if (value < 0n || value > uint64Max) throw new SignatureFormatError(`${field} must be an integer from 0 to 2^64 - 1`);
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, value);
  return bytes;
}

function addressBytes(address: string): Uint8Array {
  const hex = address.startsWith("0x") ? address.slice(2) : address;
  if (!/^[0-9a-fA-F]{40}$/.test(hex)) throw new SignatureFormatError("vaultAddress must be a 20-byte hex address");
  return Uint8Array.from(Buffer.from(hex, "hex"));
}

/** EIP-712 typed data as viem's hashTypedData takes it. */
export interface TypedDataInput {
  readonly domain: Readonly<Record<string, unknown>>;
  readonly types: Readonly<Record<string, readonly { readonly name: string; readonly type: string }[]>>;
  readonly primaryType: string;
  readonly message: Readonly<Record<string, unknown>>;
}

/**
 * The typed data an L1 action's signature covers: the phantom agent of its action hash.
 *
 * @example
 * const typedData = l1ActionTypedData({ connectionId: actionHash({ action, nonce }), chain: "Mainnet" });
 */
export function l1ActionTypedData(parameters: { readonly connectionId: Hex; readonly chain: HyperliquidChain }): TypedDataInput {
  return {
    domain: l1ActionDomain,
    types: agentTypes,
    primaryType: "Agent",
    message: { source: parameters.chain === "Mainnet" ? "a" : "b", connectionId: parameters.connectionId },
  };
}

/**
 * The EIP-712 hash of an L1 action's phantom agent: what its signature covers.
 *
 * @example
 * const digest = l1ActionDigest({ connectionId: actionHash({ action, nonce }), chain: "Mainnet" });
 */
export function l1ActionDigest(parameters: { readonly connectionId: Hex; readonly chain: HyperliquidChain }): Hex {
  return hashTypedData(l1ActionTypedData(parameters) as Parameters<typeof hashTypedData>[0]);
}

/**
 * The EIP-712 struct of each user-signed action perpdex understands, by action type. Field order is
 * the struct's; the values come from the action's fields of the same names.
 */
export const userSignedActionTypes = {
  approveBuilderFee: {
    primaryType: "HyperliquidTransaction:ApproveBuilderFee",
    fields: [
      { name: "hyperliquidChain", type: "string" },
      { name: "maxFeeRate", type: "string" },
      { name: "builder", type: "address" },
      { name: "nonce", type: "uint64" },
    ],
  },
  withdraw3: {
    primaryType: "HyperliquidTransaction:Withdraw",
    fields: [
      { name: "hyperliquidChain", type: "string" },
      { name: "destination", type: "string" },
      { name: "amount", type: "string" },
      { name: "time", type: "uint64" },
    ],
  },
  approveAgent: {
    primaryType: "HyperliquidTransaction:ApproveAgent",
    fields: [
      { name: "hyperliquidChain", type: "string" },
      { name: "agentAddress", type: "address" },
      { name: "agentName", type: "string" },
      { name: "nonce", type: "uint64" },
    ],
  },
} as const;

/** An action type signed by the user's wallet directly rather than through a phantom agent. */
export type UserSignedActionType = keyof typeof userSignedActionTypes;

/**
 * True for the action types signed with the HyperliquidSignTransaction domain.
 *
 * @example
 * isUserSignedAction("withdraw3"); // => true
 */
export function isUserSignedAction(type: string): type is UserSignedActionType {
  return Object.hasOwn(userSignedActionTypes, type);
}

/**
 * The typed data of a user-signed action, built from the action's fields (uint64 fields as bigints).
 *
 * @example
 * const typedData = userSignedActionTypedData({ type: "withdraw3", action });
 */
export function userSignedActionTypedData(parameters: { readonly type: UserSignedActionType; readonly action: WireObject }): TypedDataInput {
  const { primaryType, fields } = userSignedActionTypes[parameters.type];
  const signatureChainId = parameters.action.get("signatureChainId");
  if (typeof signatureChainId !== "string" || !/^0x[0-9a-fA-F]{1,16}$/.test(signatureChainId)) {
    throw new SignatureFormatError('action.signatureChainId must be a hex chain id such as "0x66eee"');
  }
  const message: Record<string, unknown> = {};
  for (const field of fields) {
    // Hyperliquid's Python SDK signs an unnamed agent as "" and then leaves agentName out of the body.
    const value = parameters.action.get(field.name) ?? (field.name === "agentName" ? "" : undefined);
    if (field.type === "uint64") {
      if (!(value instanceof WireNumber) || !value.isInteger || value.text.startsWith("-") || BigInt(value.text) > uint64Max) {
        throw new SignatureFormatError(`action.${field.name} must be an integer from 0 to 2^64 - 1`);
      }
      message[field.name] = BigInt(value.text);
    } else if (field.type === "address") {
      if (typeof value !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(value)) throw new SignatureFormatError(`action.${field.name} must be a 20-byte hex address`);
      message[field.name] = value;
    } else {
      if (typeof value !== "string") throw new SignatureFormatError(`action.${field.name} must be a string`);
      message[field.name] = value;
    }
  }
  return {
    domain: { name: "HyperliquidSignTransaction", version: "1", chainId: BigInt(signatureChainId), verifyingContract: zeroAddress },
    types: { [primaryType]: fields },
    primaryType,
    message,
  };
}

/**
 * The EIP-712 hash of a user-signed action.
 *
 * @example
 * const digest = userSignedActionDigest({ type: "withdraw3", action });
 */
export function userSignedActionDigest(parameters: { readonly type: UserSignedActionType; readonly action: WireObject }): Hex {
  return hashTypedData(userSignedActionTypedData(parameters) as Parameters<typeof hashTypedData>[0]);
}

/**
 * The lowercase address whose key produced `signature` over `digest`.
 *
 * @example
 * const signer = await recoverSigner({ digest, signature: parseWireSignature(body.signature) });
 */
export async function recoverSigner(parameters: { readonly digest: Hex; readonly signature: WireSignature }): Promise<string> {
  const { r, s, v } = parameters.signature;
  const address = await recoverAddress({ hash: parameters.digest, signature: { r, s, v: BigInt(v) } });
  return address.toLowerCase();
}

/**
 * Hex of bytes, for messages and tests.
 *
 * @example
 * hexOfBytes(Uint8Array.of(1, 255)); // => "0x01ff"
 */
export function hexOfBytes(bytes: Uint8Array): Hex {
  return toHex(bytes);
}
