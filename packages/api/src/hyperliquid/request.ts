// A Hyperliquid /exchange request as signed: { action, nonce, signature, vaultAddress?, expiresAfter? },
// and the EIP-712 typed data its signature covers. Shared by the endpoint (which verifies before
// executing) and by auditors (who re-verify the journaled envelope: `recoverEnvelopeSigner`).
import { hashTypedData, type Hex } from "viem";
import { HyperliquidError } from "./errors.ts";
import {
  actionHash,
  isUserSignedAction,
  l1ActionTypedData,
  parseWireSignature,
  recoverSigner,
  SignatureFormatError,
  userSignedActionTypedData,
  type HyperliquidChain,
  type TypedDataInput,
  type WireSignature,
} from "./signing.ts";
import { parseWireJson, plainOf, WireJsonError, WireNumber, WireObject, type WireValue } from "./wire-json.ts";

/** The parts of a request that its signature and replay protection depend on. */
export interface ParsedRequest {
  readonly type: string;
  readonly action: WireObject;
  readonly nonce: bigint;
  readonly signature: WireSignature;
  readonly vaultAddress: string | undefined;
  readonly expiresAfter: bigint | undefined;
}

/**
 * Parses an /exchange body; throws a HyperliquidError saying which field is wrong.
 *
 * @example
 * const request = parseRequestText('{"action":{"type":"cancel","cancels":[]},"nonce":1,"signature":{…}}');
 */
export function parseRequestText(text: string): ParsedRequest {
  try {
    return parseRequest(parseWireJson(text));
  } catch (error) {
    if (error instanceof WireJsonError) throw new HyperliquidError(`Failed to deserialize the JSON body: ${error.message}`, "JSON_MALFORMED");
    throw error;
  }
}

function parseRequest(body: WireValue): ParsedRequest {
  if (!(body instanceof WireObject)) throw new HyperliquidError('the body must be an object { "action", "nonce", "signature" }');
  const action = body.get("action");
  if (!(action instanceof WireObject)) throw new HyperliquidError("action must be an object with a type");
  const type = action.get("type");
  if (typeof type !== "string") throw new HyperliquidError('action.type must be a string such as "order"');
  const nonce = integerField(body.get("nonce"), "nonce");
  if (nonce === undefined) throw new HyperliquidError("nonce must be the current time in milliseconds");
  let signature: WireSignature;
  try {
    signature = parseWireSignature(plainOf(body.get("signature") ?? null));
  } catch (error) {
    if (error instanceof SignatureFormatError) throw new HyperliquidError(`Invalid signature: ${error.message}`, "SIGNATURE_MALFORMED");
    throw error;
  }
  const vault = body.get("vaultAddress");
  if (vault !== undefined && vault !== null && typeof vault !== "string") throw new HyperliquidError("vaultAddress must be an address or null");
  return { type, action, nonce, signature, vaultAddress: typeof vault === "string" ? vault : undefined, expiresAfter: integerField(body.get("expiresAfter"), "expiresAfter") };
}

function integerField(value: unknown, field: string): bigint | undefined {
  if (value === undefined || value === null) return undefined;
  if (!(value instanceof WireNumber) || !value.isInteger || value.text.startsWith("-") || value.text.length > 20) {
    throw new HyperliquidError(`${field} must be a non-negative integer (milliseconds)`);
  }
  return BigInt(value.text);
}

/**
 * The typed data the request's signature covers: the phantom agent of the action hash (L1 actions), or
 * the action's own struct (user-signed actions, whose signed nonce field must equal the request's).
 *
 * @example
 * const typedData = signedTypedData(request, "Mainnet");
 */
export function signedTypedData(request: ParsedRequest, chain: HyperliquidChain): TypedDataInput {
  try {
    if (!isUserSignedAction(request.type)) {
      const connectionId = actionHash({ action: request.action, nonce: request.nonce, vaultAddress: request.vaultAddress, expiresAfter: request.expiresAfter });
      return l1ActionTypedData({ connectionId, chain });
    }
    const signedChain = request.action.get("hyperliquidChain");
    if (signedChain !== chain) throw new HyperliquidError(`action.hyperliquidChain must be "${chain}" on this server, got ${JSON.stringify(signedChain) ?? "nothing"}`);
    // The signature covers the action's own nonce field, not the request's: they must agree, or a
    // signed action could be replayed under fresh request nonces.
    const nonceField = request.type === "withdraw3" ? "time" : "nonce";
    const signedNonce = request.action.get(nonceField);
    if (!(signedNonce instanceof WireNumber) || !signedNonce.isInteger || BigInt(signedNonce.text) !== request.nonce) {
      throw new HyperliquidError(`action.${nonceField} must equal the request's nonce ${request.nonce}`);
    }
    return userSignedActionTypedData({ type: request.type, action: request.action });
  } catch (error) {
    if (error instanceof SignatureFormatError) throw new HyperliquidError(error.message);
    throw error;
  }
}

/**
 * The signature as one 65-byte hex string (r ‖ s ‖ v), as the server's verifier takes it.
 *
 * @example
 * signatureHex({ r: "0x11…", s: "0x22…", v: 27 }); // => "0x11…22…1b"
 */
export function signatureHex(signature: WireSignature): Hex {
  return `${signature.r}${signature.s.slice(2)}${signature.v.toString(16)}`;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * The journaled auth envelope: the scheme, the chain the signature was checked against, and the body as
 * received (spliced in byte for byte: it is JSON already), so an auditor re-verifies the same bytes.
 *
 * @example
 * envelopeOf(body, "Mainnet"); // => bytes of {"scheme":"hyperliquid","chain":"Mainnet","request":<body>}
 */
export function envelopeOf(text: string, chain: HyperliquidChain): Uint8Array {
  return encoder.encode(`{"scheme":"hyperliquid","chain":"${chain}","request":${text}}`);
}

/**
 * Re-verifies a journaled Hyperliquid envelope: the address whose key signed the request in it.
 *
 * @example
 * for (const record of journal.read({ fromSequence: 1n })) if (record.auth) console.log(await recoverEnvelopeSigner(record.auth));
 */
export async function recoverEnvelopeSigner(envelope: Uint8Array): Promise<string> {
  const root = parseWireJson(decoder.decode(envelope));
  const chain = root instanceof WireObject ? root.get("chain") : undefined;
  if (!(root instanceof WireObject) || root.get("scheme") !== "hyperliquid" || (chain !== "Mainnet" && chain !== "Testnet")) {
    throw new HyperliquidError('not a Hyperliquid envelope { "scheme": "hyperliquid", "chain", "request" }');
  }
  const request = parseRequest(root.get("request") ?? null);
  const digest = hashTypedData(signedTypedData(request, chain) as Parameters<typeof hashTypedData>[0]);
  return recoverSigner({ digest, signature: request.signature });
}
