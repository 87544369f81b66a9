// Authentication of a signed action: the nonce is inside the window and unused, the signature recovers
// to the expected key (the account's wallet, or the agent the request names), and an agent is approved
// for the account. The signed request itself becomes the command's auth envelope in the journal, so an
// auditor can re-verify every command.
import { actionTypedData, actionTypes, perpdexDomain, type ActionFields, type ActionType, type TypedDataField } from "@perpdex/protocol";
import { ApiError } from "../errors.ts";
import type { NonceRegistry } from "./nonces.ts";
import type { ActionTypes, AuthVerifier, Recovered } from "./verifier.ts";

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
  const agent = checkRecovered(options, action, account, signer, recovered);
  const envelope = encoder.encode(
    JSON.stringify({ type: action.type, fields: action.fields, nonce: action.nonce, signature: action.signature, ...(agent === null ? {} : { signer: agent }) }),
  );
  return { account, agent, envelope };
}

/**
 * `authenticate` for a request body: the same checks and answers, but the signature worker builds the
 * typed data and the auth envelope from `body`, the JSON text `action` was parsed from (byte for byte
 * the envelope `authenticate` builds), so the server's thread does neither. Of `action.fields` only
 * `account` is read (the parsed body itself may serve as the fields).
 *
 * @example
 * const { account, agent, envelope } = await authenticateSignedBody(options, { type: "PlaceOrders", fields, nonce, signature }, request.rawBody);
 */
export async function authenticateSignedBody(options: AuthenticatorOptions, action: SignedAction, body: string): Promise<Authenticated> {
  const account = action.fields.account.toLowerCase();
  const signer = action.signer?.toLowerCase() ?? account;
  checkNonce(options, signer, action.nonce);
  const recovered = await options.verifier.recoverSignedBody(action.type, actionTypesOf(action.type), body, action.signature);
  const agent = checkRecovered(options, action, account, signer, recovered);
  // Only a body whose typed data could not be built lacks an envelope, and its signature cannot check.
  if (recovered.envelope === undefined) throw new ApiError({ status: 401, code: "SIGNATURE_MALFORMED", message: `the signature cannot be checked: ${recovered.error ?? "unknown reason"}` });
  return { account, agent, envelope: recovered.envelope };
}

// The signer is the one expected, its nonce is now used, and an agent is approved: the agent (null for
// the account's own wallet), or an ApiError.
function checkRecovered(options: AuthenticatorOptions, action: SignedAction, account: string, signer: string, recovered: Recovered): string | null {
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
  if (signer === account) return null;
  const reason = options.agentCheck(account, signer);
  if (reason !== null) throw new ApiError({ status: 403, code: "AGENT_NOT_APPROVED", message: reason, details: { account, agent: signer } });
  return signer;
}

// An action's EIP-712 domain and types, built once per type the way actionTypedData builds them (the
// action's fields, plus the Order and Cancel structs it refers to).
const actionTypesByType = new Map<ActionType, ActionTypes>();

function actionTypesOf(type: ActionType): ActionTypes {
  let known = actionTypesByType.get(type);
  if (known === undefined) {
    const types: Record<string, readonly TypedDataField[]> = { [type]: actionTypes[type] };
    const fields = actionTypes[type] as readonly TypedDataField[];
    if (fields.some((field) => field.type.startsWith("Order"))) types.Order = actionTypes.Order;
    if (fields.some((field) => field.type.startsWith("Cancel"))) types.Cancel = actionTypes.Cancel;
    known = { domain: perpdexDomain, types };
    actionTypesByType.set(type, known);
  }
  return known;
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
