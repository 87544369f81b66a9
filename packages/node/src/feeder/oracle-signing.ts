// Oracle price updates are EIP-712 typed data signed by each source's own key. The feeder signs; the edge
// (the api, or whatever hands a command to ExchangeNode.submit) verifies before sequencing, puts the
// recovered signer in the command and keeps the signature in it, so the journal holds the signed payload
// and an auditor can re-verify every price. The core only checks that the signer is the source's.
import type { OraclePriceCommand } from "@perpdex/core";
import { perpdexDomain } from "@perpdex/protocol";
import { recoverTypedDataAddress, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";

/**
 * The EIP-712 types of an oracle price update.
 *
 * @example
 * oraclePriceTypes.OraclePrice.length; // => 5
 */
export const oraclePriceTypes = {
  OraclePrice: [
    { name: "source", type: "string" },
    { name: "subject", type: "string" },
    { name: "price", type: "uint64" },
    { name: "confidencePpm", type: "uint32" },
    { name: "publishTime", type: "uint64" },
  ],
} as const;

/**
 * What a source signs: the update without signer and signature.
 *
 * @example
 * const quote: OracleQuoteMessage = { source: "pyth-btc", subject: "BTC-PERP", price: 95_000, confidencePpm: 990_000, publishTime: 1n };
 */
export interface OracleQuoteMessage {
  readonly source: string;
  readonly subject: string;
  readonly price: number;
  readonly confidencePpm: number;
  readonly publishTime: bigint;
}

/**
 * An oraclePrice command input (unstamped): the message, its signer and signature.
 *
 * @example
 * const input: OraclePriceInput = { type: "oraclePrice", source: "s", subject: "BTC-PERP", price: 1, confidencePpm: 1, publishTime: 1n, signer: "0x…", signature: "0x…" };
 */
export type OraclePriceInput = Omit<OraclePriceCommand, "sequence" | "time">;

function typedData(message: OracleQuoteMessage) {
  return {
    domain: perpdexDomain,
    types: oraclePriceTypes,
    primaryType: "OraclePrice" as const,
    message: {
      source: message.source,
      subject: message.subject,
      price: BigInt(message.price),
      confidencePpm: message.confidencePpm,
      publishTime: message.publishTime,
    },
  };
}

/**
 * Signs a quote with a source's private key and returns the oraclePrice command input.
 *
 * @example
 * const input = await signOraclePrice({ privateKey: "0x…", quote: { source: "s", subject: "BTC-PERP", price: 95_000, confidencePpm: 1_000_000, publishTime: 1n } });
 */
export async function signOraclePrice(parameters: { privateKey: Hex; quote: OracleQuoteMessage }): Promise<OraclePriceInput> {
  const signer = privateKeyToAccount(parameters.privateKey);
  const signature = await signer.signTypedData(typedData(parameters.quote));
  return { type: "oraclePrice", ...parameters.quote, signer: signer.address.toLowerCase(), signature: signature.toLowerCase() };
}

/**
 * Why an oraclePrice input failed verification at the edge.
 *
 * @example
 * const failure: OracleSignatureFailure = { ok: false, code: "ORACLE_SIGNATURE_INVALID", message: "…" };
 */
export interface OracleSignatureFailure {
  readonly ok: false;
  readonly code: "ORACLE_SIGNATURE_INVALID";
  readonly message: string;
}

/**
 * Verifies an oraclePrice input at the edge, before sequencing: the signature must recover to `signer`
 * over exactly the signed fields. A malformed signature, or one by another key, fails with
 * ORACLE_SIGNATURE_INVALID and must not be submitted. (Whether `signer` is the source's registered key
 * is the core's check: ORACLE_SIGNER_MISMATCH.)
 *
 * @example
 * const checked = await verifyOraclePrice(input);
 * if (checked.ok) await node.submit(input);
 */
export async function verifyOraclePrice(input: OraclePriceInput): Promise<{ readonly ok: true } | OracleSignatureFailure> {
  const fail = (message: string): OracleSignatureFailure => ({ ok: false, code: "ORACLE_SIGNATURE_INVALID", message });
  if (typeof input.signature !== "string" || !/^0x[0-9a-f]{130}$/.test(input.signature)) {
    return fail("signature must be 0x and 130 lowercase hex digits");
  }
  if (typeof input.publishTime !== "bigint" || input.publishTime < 0n || !Number.isSafeInteger(input.price) || input.price < 0) {
    return fail("price and publishTime must be non-negative integers");
  }
  if (!Number.isInteger(input.confidencePpm) || input.confidencePpm < 0 || input.confidencePpm > 0xffff_ffff) {
    return fail("confidencePpm must be a whole number");
  }
  try {
    const recovered = await recoverTypedDataAddress({ ...typedData(input), signature: input.signature as Hex });
    if (recovered.toLowerCase() !== input.signer) return fail(`the signature is by ${recovered.toLowerCase()}, not ${input.signer}`);
    return { ok: true };
  } catch (error) {
    return fail(`the signature does not recover: ${(error as Error).message.split("\n")[0]}`);
  }
}
