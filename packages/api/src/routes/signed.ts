// Authentication and per-account rate limits for private routes: the body of a signed action, or the
// X-Perpdex-* headers of a signed read (a Login typed message: account and nonce).
import type { FastifyRequest } from "fastify";
import type { ActionFields, ActionType } from "@perpdex/protocol";
import { authenticate, authenticateSignedBody, type Authenticated, type AuthenticatorOptions, type SignedAction } from "../auth/authenticate.ts";
import type { ApiContext } from "../context.ts";
import { ApiError } from "../errors.ts";
import type { RateCategory, RateHeaders } from "../rate-limit/rate-limiter.ts";

/** The body of a signed action: its fields plus nonce, signature and (for an agent) signer. */
export type SignedBody<Type extends ActionType> = ActionFields[Type] & { readonly nonce: number; readonly signature: string; readonly signer?: string };

function authOptions(context: ApiContext): AuthenticatorOptions {
  return (context as ApiContext & { authOptions: AuthenticatorOptions }).authOptions;
}

/**
 * Verifies a signed body (the caller then draws from the account's bucket: `chargeAccount`). Returns the
 * verification's own promise: every signed action passes here, and an async wrapper costs a promise and a
 * microtask more.
 */
export function authenticateBody<Type extends ActionType>(context: ApiContext, request: FastifyRequest, type: Type): Promise<Authenticated> {
  const body = request.body as SignedBody<Type> & Record<string, unknown>;
  const { nonce, signature, signer } = body;
  const text = request.rawBody;
  if (text !== null) {
    // The body's JSON text (server.ts keeps it): the signature worker builds the typed data and the
    // envelope from it, so only the account is read from the fields here, and the body serves as them
    // (no copy without nonce, signature and signer).
    const fields = body as unknown as ActionFields[Type];
    const action: SignedAction = signer === undefined ? { type, fields, nonce, signature } : { type, fields, nonce, signature, signer };
    return authenticateSignedBody(authOptions(context), action, text);
  }
  const { nonce: _nonce, signature: _signature, signer: _signer, ...fields } = body;
  return authenticate(authOptions(context), { type, fields: fields as unknown as ActionFields[Type], nonce, signature, ...(signer === undefined ? {} : { signer }) });
}

/**
 * Draws from the account's bucket of `category` and keeps the headers for the response; throws a 429
 * ApiError when it is empty. A promise only with an asynchronous store (null otherwise).
 */
export function chargeAccount(context: ApiContext, request: FastifyRequest, category: RateCategory, account: string): Promise<void> | null {
  return keepRateHeaders(context.rateLimiter.check({ ip: request.ip, category, account, nowMs: Date.now() }), request);
}

/**
 * Keeps a rate limiter's answer (its headers) on `request` for the response, when there is a request:
 * at once when the limiter answered synchronously (the in-memory store; null is returned), once its
 * promise settles otherwise (that promise is returned; a 429 rejects it).
 */
export function keepRateHeaders(answer: RateHeaders | null | Promise<RateHeaders | null>, request: FastifyRequest | null): Promise<void> | null {
  if (answer instanceof Promise) {
    return answer.then((headers) => {
      if (request !== null) request.rateHeaders = headers;
    });
  }
  if (request !== null) request.rateHeaders = answer;
  return null;
}

const addressPattern = /^0x[0-9a-fA-F]{40}$/;
const signaturePattern = /^0x[0-9a-fA-F]{130}$/;
const noncePattern = /^[0-9]{1,16}$/;

/** Verifies a signed read's headers (X-Perpdex-Account, -Nonce, -Signature, optional -Signer). */
export async function authenticateRead(context: ApiContext, request: FastifyRequest): Promise<Authenticated> {
  const header = (name: string): string | undefined => {
    const value = request.headers[name];
    return typeof value === "string" ? value : undefined;
  };
  const account = header("x-perpdex-account");
  const nonce = header("x-perpdex-nonce");
  const signature = header("x-perpdex-signature");
  const signer = header("x-perpdex-signer");
  if (account === undefined || !addressPattern.test(account) || nonce === undefined || !noncePattern.test(nonce) || signature === undefined || !signaturePattern.test(signature)) {
    throw new ApiError({
      status: 401,
      code: "SIGNATURE_MALFORMED",
      message:
        "a private read needs the headers X-Perpdex-Account (0x address), X-Perpdex-Nonce (the current time in ms) and X-Perpdex-Signature " +
        "(the EIP-712 signature of the Login typed data {account, nonce}); X-Perpdex-Signer names an agent key",
    });
  }
  if (signer !== undefined && !addressPattern.test(signer)) throw new ApiError({ status: 401, code: "SIGNATURE_MALFORMED", message: "X-Perpdex-Signer must be a 0x address" });
  const authenticated = await authenticate(authOptions(context), {
    type: "Login",
    fields: { account: account.toLowerCase() },
    nonce: Number(nonce),
    signature,
    ...(signer === undefined ? {} : { signer }),
  });
  request.rateHeaders = await context.rateLimiter.check({ ip: request.ip, category: "accountQuery", account: authenticated.account, nowMs: Date.now() });
  return authenticated;
}
