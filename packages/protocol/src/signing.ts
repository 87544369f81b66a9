/**
 * EIP-712 typed data for every private action of the perpdex API.
 *
 * A private request is a typed message signed by the account's wallet, or by an agent key the wallet
 * approved. The server rebuilds the message from the request body with `actionTypedData` and recovers
 * the signer from its hash; the SDK signs the output of the same function, so both sides hash exactly
 * the same bytes. This module only describes the data (domain, types, message): hashing and recovery
 * live at the edges (viem), so the wire layer stays free of cryptography and I/O.
 *
 * EIP-712 has no optional fields: an absent optional request field is signed as its default (an empty
 * string, `false` or `0`), which `actionMessage` fills in. Decimals are signed as the strings sent.
 * `nonce` is a millisecond timestamp, unique per signer within the server's nonce window.
 */

import { messageOfFields } from "./action-message.mjs";

/**
 * The EIP-712 domain of perpdex. `chainId` 1337 marks an off-chain venue (no contract verifies it);
 * `verifyingContract` is the zero address for the same reason.
 *
 * @example
 * ```ts
 * import { perpdexDomain } from "@perpdex/protocol";
 * perpdexDomain.name; // => "perpdex"
 * ```
 */
export const perpdexDomain = {
  name: "perpdex",
  version: "1",
  chainId: 1337,
  verifyingContract: "0x0000000000000000000000000000000000000000",
} as const;

/**
 * The EIP-712 domain type (the shape of `perpdexDomain`).
 *
 * @example
 * ```ts
 * import type { TypedDataDomain } from "@perpdex/protocol";
 * const domain: TypedDataDomain = { name: "perpdex", version: "1", chainId: 1337, verifyingContract: "0x0000000000000000000000000000000000000000" };
 * ```
 */
export type TypedDataDomain = {
  readonly name: string;
  readonly version: string;
  readonly chainId: number;
  readonly verifyingContract: `0x${string}`;
};

/**
 * One field of an EIP-712 struct type.
 *
 * @example
 * ```ts
 * import type { TypedDataField } from "@perpdex/protocol";
 * const field: TypedDataField = { name: "nonce", type: "uint64" };
 * ```
 */
export type TypedDataField = { readonly name: string; readonly type: string };

const orderFields: readonly TypedDataField[] = [
  { name: "market", type: "string" },
  { name: "side", type: "string" },
  { name: "orderType", type: "string" },
  { name: "price", type: "string" },
  { name: "size", type: "string" },
  { name: "timeInForce", type: "string" },
  { name: "expiresAt", type: "string" },
  { name: "postOnly", type: "bool" },
  { name: "reduceOnly", type: "bool" },
  { name: "selfTradePrevention", type: "string" },
  { name: "clientOrderId", type: "string" },
  { name: "slippagePpm", type: "uint32" },
];

const cancelFields: readonly TypedDataField[] = [
  { name: "market", type: "string" },
  { name: "orderId", type: "string" },
  { name: "clientOrderId", type: "string" },
];

const account: TypedDataField = { name: "account", type: "address" };
const nonce: TypedDataField = { name: "nonce", type: "uint64" };
const market: TypedDataField = { name: "market", type: "string" };

/**
 * The EIP-712 types of every private action, by primary type. `Order` and `Cancel` are the nested
 * structs; every action names the `account` it acts for and carries a `nonce`.
 *
 * @example
 * ```ts
 * import { actionTypes } from "@perpdex/protocol";
 * actionTypes.PlaceOrders.map((field) => field.name); // => ["account", "orders", "nonce"]
 * ```
 */
export const actionTypes = {
  Order: orderFields,
  Cancel: cancelFields,
  PlaceOrders: [account, { name: "orders", type: "Order[]" }, nonce],
  CancelOrders: [account, { name: "cancels", type: "Cancel[]" }, nonce],
  CancelAll: [account, market, nonce],
  CancelReplace: [account, { name: "replaces", type: "Cancel" }, { name: "order", type: "Order" }, nonce],
  Batch: [account, { name: "cancels", type: "Cancel[]" }, { name: "orders", type: "Order[]" }, nonce],
  SetLeverage: [account, market, { name: "leverage", type: "uint32" }, nonce],
  SetMarginMode: [account, market, { name: "mode", type: "string" }, nonce],
  AdjustMargin: [account, market, { name: "amount", type: "string" }, nonce],
  Withdraw: [account, { name: "asset", type: "string" }, { name: "amount", type: "string" }, nonce],
  ApproveAgent: [
    account,
    { name: "agent", type: "address" },
    { name: "name", type: "string" },
    { name: "expiresAt", type: "uint64" },
    { name: "markets", type: "string[]" },
    { name: "maxOrderNotional", type: "string" },
    nonce,
  ],
  RevokeAgent: [account, { name: "agent", type: "address" }, nonce],
  Login: [account, nonce],
} as const satisfies Readonly<Record<string, readonly TypedDataField[]>>;

/**
 * The primary type of a signed action.
 *
 * @example
 * ```ts
 * import type { ActionType } from "@perpdex/protocol";
 * const type: ActionType = "PlaceOrders";
 * ```
 */
export type ActionType = Exclude<keyof typeof actionTypes, "Order" | "Cancel">;

/**
 * An order as a request carries it: decimals as strings, optional fields left out.
 *
 * @example
 * ```ts
 * import type { OrderRequest } from "@perpdex/protocol";
 * const order: OrderRequest = { market: "BTC-PERP", side: "buy", orderType: "limit", price: "60000", size: "0.01", postOnly: true };
 * ```
 */
export type OrderRequest = {
  readonly market: string;
  readonly side: "buy" | "sell";
  readonly orderType: "limit" | "market";
  readonly price?: string;
  readonly size: string;
  readonly timeInForce?: "GTC" | "IOC" | "FOK" | "GTD";
  /** GTD only: exchange nanoseconds since the epoch, a decimal string. */
  readonly expiresAt?: string;
  readonly postOnly?: boolean;
  readonly reduceOnly?: boolean;
  readonly selfTradePrevention?: "cancelIncoming" | "cancelResting" | "cancelBoth";
  readonly clientOrderId?: string;
  readonly slippagePpm?: number;
};

/**
 * An order named for a cancel: by the exchange's order id (a UUIDv7 string) or by client order id.
 *
 * @example
 * ```ts
 * import type { CancelRequest } from "@perpdex/protocol";
 * const cancel: CancelRequest = { market: "BTC-PERP", clientOrderId: "grid-17" };
 * ```
 */
export type CancelRequest = { readonly market: string; readonly orderId?: string; readonly clientOrderId?: string };

/**
 * The fields of each action, as the request body carries them (without `nonce` and `signature`).
 *
 * @example
 * ```ts
 * import type { ActionFields } from "@perpdex/protocol";
 * const fields: ActionFields["CancelAll"] = { account: "0x" + "1".repeat(40), market: "BTC-PERP" };
 * ```
 */
export type ActionFields = {
  readonly PlaceOrders: { readonly account: string; readonly orders: readonly OrderRequest[] };
  readonly CancelOrders: { readonly account: string; readonly cancels: readonly CancelRequest[] };
  readonly CancelAll: { readonly account: string; readonly market?: string };
  readonly CancelReplace: { readonly account: string; readonly replaces: CancelRequest; readonly order: OrderRequest };
  readonly Batch: { readonly account: string; readonly cancels: readonly CancelRequest[]; readonly orders: readonly OrderRequest[] };
  readonly SetLeverage: { readonly account: string; readonly market: string; readonly leverage: number };
  readonly SetMarginMode: { readonly account: string; readonly market: string; readonly mode: "isolated" | "cross" };
  /** `amount`: signed USD decimal; positive adds margin, negative removes it. */
  readonly AdjustMargin: { readonly account: string; readonly market: string; readonly amount: string };
  /** `amount`: a decimal in the asset's own units ("100.5" USDC). */
  readonly Withdraw: { readonly account: string; readonly asset: string; readonly amount: string };
  /**
   * `expiresAt`: milliseconds since the epoch; `markets`: the markets the agent may trade (empty: all);
   * `maxOrderNotional`: the largest order it may place, USD decimal ("" or absent: no limit).
   */
  readonly ApproveAgent: {
    readonly account: string;
    readonly agent: string;
    readonly name: string;
    readonly expiresAt: number;
    readonly markets?: readonly string[];
    readonly maxOrderNotional?: string;
  };
  readonly RevokeAgent: { readonly account: string; readonly agent: string };
  readonly Login: { readonly account: string };
};

/**
 * Everything viem's `hashTypedData`, `signTypedData` and `recoverTypedDataAddress` take.
 *
 * @example
 * ```ts
 * import { actionTypedData, type ActionTypedData } from "@perpdex/protocol";
 * const typedData: ActionTypedData = actionTypedData({ type: "Login", fields: { account: "0x" + "1".repeat(40) }, nonce: 1 });
 * ```
 */
export type ActionTypedData = {
  readonly domain: TypedDataDomain;
  readonly types: Readonly<Record<string, readonly TypedDataField[]>>;
  readonly primaryType: ActionType;
  readonly message: Readonly<Record<string, unknown>>;
};

/**
 * Parameters of `actionTypedData`: the action's primary type, its fields and the nonce.
 *
 * @example
 * ```ts
 * import type { ActionTypedDataParameters } from "@perpdex/protocol";
 * const parameters: ActionTypedDataParameters<"CancelAll"> = { type: "CancelAll", fields: { account: "0x" + "1".repeat(40) }, nonce: 1_700_000_000_000 };
 * ```
 */
export type ActionTypedDataParameters<Type extends ActionType = ActionType> = {
  readonly type: Type;
  readonly fields: ActionFields[Type];
  readonly nonce: number;
  /** Another domain (tests, a private deployment); default `perpdexDomain`. */
  readonly domain?: TypedDataDomain;
};

/**
 * The EIP-712 message of an action: its fields with every optional field at its default, in the
 * order of `actionTypes`, plus the nonce. The message uses `bigint` for the `uint64` nonce and
 * `expiresAt`, as viem expects.
 *
 * @example
 * ```ts
 * import { actionMessage } from "@perpdex/protocol";
 * actionMessage("CancelAll", { account: "0x" + "1".repeat(40) }, 7);
 * // => { account: "0x1111…", market: "", nonce: 7n }
 * ```
 */
export function actionMessage<Type extends ActionType>(type: Type, fields: ActionFields[Type], nonceValue: number): Record<string, unknown> {
  return messageOfFields(actionTypes[type] as readonly TypedDataField[], fields as Readonly<Record<string, unknown>>, nonceValue);
}

/**
 * The complete typed data to sign (client) or to recover from (server) for an action.
 *
 * @example
 * ```ts
 * import { actionTypedData } from "@perpdex/protocol";
 * import { privateKeyToAccount } from "viem/accounts";
 * const wallet = privateKeyToAccount(privateKey);
 * const typedData = actionTypedData({
 *   type: "PlaceOrders",
 *   fields: { account: wallet.address.toLowerCase(), orders: [{ market: "BTC-PERP", side: "buy", orderType: "limit", price: "60000", size: "0.01" }] },
 *   nonce: Date.now(),
 * });
 * const signature = await wallet.signTypedData(typedData);
 * ```
 */
export function actionTypedData<Type extends ActionType>(parameters: ActionTypedDataParameters<Type>): ActionTypedData {
  const { type } = parameters;
  const types: Record<string, readonly TypedDataField[]> = { [type]: actionTypes[type] };
  const fieldTypes = actionTypes[type] as readonly TypedDataField[];
  if (fieldTypes.some((field) => field.type.startsWith("Order"))) types.Order = actionTypes.Order;
  if (fieldTypes.some((field) => field.type.startsWith("Cancel"))) types.Cancel = actionTypes.Cancel;
  return {
    domain: parameters.domain ?? perpdexDomain,
    types,
    primaryType: type,
    message: actionMessage(type, parameters.fields, parameters.nonce),
  };
}
