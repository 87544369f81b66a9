// What the Hyperliquid-compatible endpoints need from the server, gathered in one narrow interface so
// the mapping from an ApiContext (routes.ts) is the only place that knows the server's shape.
import type { Exchange } from "@perpdex/core";
import type { Acknowledgement } from "@perpdex/node";
import type { ExchangeCommandInput } from "@perpdex/protocol";
import type { HyperliquidChain, TypedDataInput } from "./signing.ts";

/** An EIP-712 message to recover a signer from (viem's hashTypedData input). */
export type HyperliquidTypedData = TypedDataInput;

/** What signature recovery found (the server's verifier answers off the engine's thread). */
export interface HyperliquidRecovered {
  readonly hash: string | null;
  readonly address: string | null;
  readonly error: string | null;
}

/** The parts of the API server the Hyperliquid endpoints use. */
export interface HyperliquidEnvironment {
  /** The node's exchange now (read only; it changes only through `submit`). */
  readonly exchange: () => Exchange;
  /** Submits a command; `auth` is the signed request, journaled verbatim for auditors. */
  readonly submit: (input: ExchangeCommandInput, auth: Uint8Array) => Promise<Acknowledgement>;
  /** Recovers the signer of typed data from a 65-byte signature (0x + r ‖ s ‖ v). */
  readonly recover: (typedData: HyperliquidTypedData, signature: string) => Promise<HyperliquidRecovered>;
  /** Milliseconds since the epoch (the nonce window's clock). */
  readonly clock: () => number;
  /** Which phantom-agent source signatures are checked against ("a" Mainnet, "b" Testnet). */
  readonly chain: HyperliquidChain;
  /** The account that approved this agent key (a Hyperliquid API wallet), or null when none did. */
  readonly principalOf: (agent: string) => string | null;
}
