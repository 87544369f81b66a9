// Authentication of a signed action: the nonce is inside the window and unused, the signature recovers
// to the expected key (the account's wallet, or the agent the request names), and an agent is approved
// for the account. The signed request itself becomes the command's auth envelope in the journal, so an
// auditor can re-verify every command.
import { actionTypedData, type ActionFields, type ActionType, type ActionTypedData } from "@perpdex/protocol";
import { ApiError } from "../errors.ts";
import type { NonceRegistry } from "./nonces.ts";
import type { AuthVerifier } from "./verifier.ts";

/** A signed action as a request carries it. */
export interface SignedAction<Type extends ActionType = ActionType> {
  readonly type: Type;
  readonly fields: ActionFields[Type];
  readonly nonce: number;
  readonly signature: string;
  /** The agent key that signed, when not the account's wallet. */
  readonly signer?: string;
}

/** Who signed: the account's wallet (agent null) or an agent key approved by it. */
export interface Authenticated {
  readonly account: string;
  readonly agent: string | null;
  readonly typedData: ActionTypedData;
  /** The auth envelope for the journal: the signed request, canonical JSON, UTF-8. */
  readonly envelope: Uint8Array;
}

/** Why an agent may not act for an account now (null: it may). */
export type AgentCheck = (account: string, agent: string) => string | null;

export interface AuthenticatorOptions {
  readonly verifier: AuthVerifier;
  readonly nonces: NonceRegistry;
  readonly clock: () => number;
  readonly agentCheck: AgentCheck;
}

const encoder = new TextEncoder();

/**
 * Checks a signed action; resolves to the signer or throws an ApiError (401 signature, 400/409 nonce,
 * 403 agent).
 *
 * @example
 * const { account, agent, envelope } = await authenticate(options, { type: "CancelAll", fields, nonce, signature });
 */
export async function authenticate(options: AuthenticatorOptions, action: SignedAction): Promise<Authenticated> {
  const account = action.fields.account.toLowerCase();
  const signer = action.signer?.toLowerCase() ?? account;
  checkNonce(options, signer, action.nonce);
  const typedData = actionTypedData({ type: action.type, fields: action.fields, nonce: action.nonce } as Parameters<typeof actionTypedData>[0]);
  const recovered = await options.verifier.recover(typedData, action.signature);
  if (recovered.address !== signer) {
    throw new ApiError({
      status: 401,
      code: recovered.address === null ? "SIGNATURE_MALFORMED" : "SIGNATURE_INVALID",
      message:
        recovered.address === null
          ? `the signature cannot be checked: ${recovered.error ?? "unknown reason"}`
          : `the signature recovers to ${recovered.address}, not to the expected signer ${signer}; sign the EIP-712 typed data whose hash is ${recovered.hash ?? "(unhashable)"}`,
      details: { recovered: recovered.address ?? "", expected: signer, typedDataHash: recovered.hash ?? "", primaryType: action.type },
    });
  }
  // Checked again after the await: two copies of one request may have raced through recovery.
  if (!options.nonces.use(signer, action.nonce, options.clock())) throw nonceReused(signer, action.nonce);
  let agent: string | null = null;
  if (signer !== account) {
    const reason = options.agentCheck(account, signer);
    if (reason !== null) throw new ApiError({ status: 403, code: "AGENT_NOT_APPROVED", message: reason, details: { account, agent: signer } });
    agent = signer;
  }
  const envelope = encoder.encode(
    JSON.stringify({ type: action.type, fields: action.fields, nonce: action.nonce, signature: action.signature, ...(agent === null ? {} : { signer: agent }) }),
  );
  return { account, agent, typedData, envelope };
}

function checkNonce(options: AuthenticatorOptions, signer: string, nonce: number): void {
  const now = options.clock();
  const { windowMs } = options.nonces;
  if (!Number.isSafeInteger(nonce) || !options.nonces.inWindow(nonce, now)) {
    throw new ApiError({
      status: 400,
      code: "NONCE_OUTSIDE_WINDOW",
      message: `nonce must be the current time in milliseconds, within ±${windowMs} ms of the server's clock: between ${now - windowMs} and ${now + windowMs}, got ${String(nonce)}`,
      details: { serverTimeMs: String(now), windowMs: String(windowMs) },
    });
  }
  if (options.nonces.has(signer, nonce, now)) throw nonceReused(signer, nonce);
}

function nonceReused(signer: string, nonce: number): ApiError {
  return new ApiError({
    status: 409,
    code: "NONCE_REUSED",
    message: `nonce ${nonce} was already used by ${signer}: a request is accepted once; sign again with a new nonce (the current time in ms)`,
    details: { signer, nonce: String(nonce) },
  });
}
