// Signing built in: a wallet (or agent) key signs the EIP-712 typed data of every private action, built
// by the same function the server rebuilds it with (`actionTypedData`, @perpdex/protocol), so both sides
// hash the same bytes.
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { actionTypedData, type ActionFields, type ActionType, type TypedDataDomain } from "@perpdex/protocol";

/**
 * A signed action as the API takes it: its fields, the nonce, the signature and, for an agent key, the
 * signer's address.
 *
 * @example
 * const signed: SignedAction<"CancelAll"> = await signer.sign("CancelAll", { account: signer.account });
 * await fetch(`${url}/v1/orders/cancel-all`, { method: "POST", body: JSON.stringify(signedBody(signed)) });
 */
export interface SignedAction<Type extends ActionType = ActionType> {
  readonly type: Type;
  readonly fields: ActionFields[Type];
  readonly nonce: number;
  readonly signature: `0x${string}`;
  readonly signer?: string;
}

/**
 * Options of `createSigner`.
 *
 * @example
 * const options: SignerOptions = { privateKey: "0x…", account: "0xwallet…" }; // an agent key for a wallet
 */
export interface SignerOptions {
  /** The signing key (0x + 64 hex digits): the account's wallet, or an agent key it approved. */
  readonly privateKey: `0x${string}`;
  /** The account acted for; default: the key's own address (a wallet signing for itself). */
  readonly account?: string;
  /** Another EIP-712 domain (a private deployment); default the protocol's `perpdexDomain`. */
  readonly domain?: TypedDataDomain;
  /** Wall clock in ms, for nonces (tests). */
  readonly now?: () => number;
}

/**
 * Signs perpdex actions with one key.
 *
 * @example
 * const signer = createSigner({ privateKey: process.env.PERPDEX_PRIVATE_KEY as `0x${string}` });
 * const login = await signer.sign("Login", { account: signer.account });
 */
export interface Signer {
  /** The account acted for (lowercase). */
  readonly account: string;
  /** The key's address (lowercase): the account itself, or the agent. */
  readonly address: string;
  /** A fresh nonce: the current time in ms, strictly increasing per signer. */
  nextNonce(): number;
  /** Signs an action with a fresh nonce. */
  sign<Type extends ActionType>(type: Type, fields: ActionFields[Type]): Promise<SignedAction<Type>>;
}

/**
 * Creates a signer from a private key (viem's `privateKeyToAccount`).
 *
 * @example
 * const signer = createSigner({ privateKey: generatePrivateKey() });
 * const signed = await signer.sign("SetLeverage", { account: signer.account, market: "BTC-PERP", leverage: 5 });
 */
export function createSigner(options: SignerOptions): Signer {
  const wallet: PrivateKeyAccount = privateKeyToAccount(options.privateKey);
  const address = wallet.address.toLowerCase();
  const account = (options.account ?? address).toLowerCase();
  const now = options.now ?? Date.now;
  let lastNonce = 0;
  const nextNonce = (): number => {
    lastNonce = Math.max(now(), lastNonce + 1);
    return lastNonce;
  };
  return {
    account,
    address,
    nextNonce,
    async sign<Type extends ActionType>(type: Type, fields: ActionFields[Type]): Promise<SignedAction<Type>> {
      const nonce = nextNonce();
      const typedData = actionTypedData({ type, fields, nonce, ...(options.domain === undefined ? {} : { domain: options.domain }) } as Parameters<typeof actionTypedData>[0]);
      const signature = await wallet.signTypedData(typedData as unknown as Parameters<PrivateKeyAccount["signTypedData"]>[0]);
      return { type, fields, nonce, signature, ...(address === account ? {} : { signer: address }) };
    },
  };
}

/**
 * The request body of a signed action: the fields, `nonce`, `signature` and (agent) `signer`.
 *
 * @example
 * const body = signedBody(await signer.sign("CancelAll", { account: signer.account }));
 * // => { account: "0x…", nonce: 1700000000000, signature: "0x…" }
 */
export function signedBody(signed: SignedAction): Record<string, unknown> {
  return { ...signed.fields, nonce: signed.nonce, signature: signed.signature, ...(signed.signer === undefined ? {} : { signer: signed.signer }) };
}
