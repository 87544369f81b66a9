/**
 * JSON Schemas (draft 2020-12 subset, as OpenAPI 3.1 uses them) of the native REST API's requests.
 * The API validates every body and query with them before anything else looks at it, and builds its
 * OpenAPI document from them; the TypeScript types of the same requests are in signing.ts
 * (`ActionFields`, `OrderRequest`, `CancelRequest`). Decimals travel as strings; the schemas check
 * their shape, and the API converts them to ticks, lots and units with the market's grid (a price off
 * the grid is refused with the two nearest valid prices).
 */

const decimalPattern = "^-?(0|[1-9][0-9]{0,29})(\\.[0-9]{1,18})?$";
const unsignedDecimalPattern = "^(0|[1-9][0-9]{0,29})(\\.[0-9]{1,18})?$";
const addressPattern = "^0x[0-9a-fA-F]{40}$";

const address = { type: "string", pattern: addressPattern, description: "A 0x-prefixed 20-byte hex address." } as const;
const marketSymbol = { type: "string", minLength: 1, maxLength: 32, description: "A market symbol such as BTC-PERP." } as const;
const decimal = { type: "string", pattern: unsignedDecimalPattern, maxLength: 50, description: "A non-negative decimal string." } as const;
const signedDecimal = { type: "string", pattern: decimalPattern, maxLength: 50, description: "A decimal string, sign allowed." } as const;
const clientOrderId = { type: "string", minLength: 1, maxLength: 64, pattern: "^[\\x21-\\x7e]+$" } as const;
const orderId = { type: "string", minLength: 36, maxLength: 36, description: "The exchange's order id, a UUIDv7." } as const;

/**
 * The fields every signed request carries besides its action's fields.
 *
 * @example
 * ```ts
 * import { signedRequestFields } from "@perpdex/protocol";
 * Object.keys(signedRequestFields); // => ["nonce", "signature", "signer"]
 * ```
 */
export const signedRequestFields = {
  nonce: { type: "integer", minimum: 0, maximum: 9007199254740991, description: "The current time in ms; unique per signer within the nonce window." },
  signature: { type: "string", pattern: "^0x[0-9a-fA-F]{130}$", description: "The EIP-712 signature (r, s, v), 65 bytes hex." },
  signer: { ...address, description: "The agent key that signed; absent when the account's wallet signed." },
} as const;

/**
 * The schema of an order in a request.
 *
 * @example
 * ```ts
 * import { orderRequestSchema } from "@perpdex/protocol";
 * orderRequestSchema.required; // => ["market", "side", "orderType", "size"]
 * ```
 */
export const orderRequestSchema = {
  type: "object",
  additionalProperties: false,
  required: ["market", "side", "orderType", "size"],
  properties: {
    market: marketSymbol,
    side: { type: "string", enum: ["buy", "sell"] },
    orderType: { type: "string", enum: ["limit", "market"] },
    price: { ...decimal, description: "Limit price; for a market order an optional worst acceptable price." },
    size: decimal,
    timeInForce: { type: "string", enum: ["GTC", "IOC", "FOK", "GTD"] },
    expiresAt: { type: "string", pattern: "^(0|[1-9][0-9]{0,18})$", description: "GTD only: exchange time in ns since the epoch." },
    postOnly: { type: "boolean" },
    reduceOnly: { type: "boolean" },
    selfTradePrevention: { type: "string", enum: ["cancelIncoming", "cancelResting", "cancelBoth"] },
    clientOrderId,
    slippagePpm: { type: "integer", minimum: 1, maximum: 1000000 },
  },
} as const;

/**
 * The schema of an order reference in a cancel: the order id or the client order id.
 *
 * @example
 * ```ts
 * import { cancelRequestSchema } from "@perpdex/protocol";
 * cancelRequestSchema.required; // => ["market"]
 * ```
 */
export const cancelRequestSchema = {
  type: "object",
  additionalProperties: false,
  required: ["market"],
  properties: { market: marketSymbol, orderId, clientOrderId },
} as const;

function signed(required: readonly string[], properties: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  return {
    type: "object",
    additionalProperties: false,
    required: ["account", ...required, "nonce", "signature"],
    properties: { account: address, ...properties, ...signedRequestFields },
  };
}

/**
 * The body schema of every signed action, by EIP-712 primary type (see `actionTypes`).
 *
 * @example
 * ```ts
 * import { actionRequestSchemas } from "@perpdex/protocol";
 * actionRequestSchemas.CancelAll.required; // => ["account", "nonce", "signature"]
 * ```
 */
export const actionRequestSchemas = {
  PlaceOrders: signed(["orders"], { orders: { type: "array", minItems: 1, maxItems: 256, items: orderRequestSchema } }),
  CancelOrders: signed(["cancels"], { cancels: { type: "array", minItems: 1, maxItems: 256, items: cancelRequestSchema } }),
  CancelAll: signed([], { market: marketSymbol }),
  CancelReplace: signed(["replaces", "order"], { replaces: cancelRequestSchema, order: orderRequestSchema }),
  Batch: signed(["cancels", "orders"], {
    cancels: { type: "array", maxItems: 256, items: cancelRequestSchema },
    orders: { type: "array", maxItems: 256, items: orderRequestSchema },
  }),
  SetLeverage: signed(["market", "leverage"], { market: marketSymbol, leverage: { type: "integer", minimum: 1, maximum: 1000 } }),
  SetMarginMode: signed(["market", "mode"], { market: marketSymbol, mode: { type: "string", enum: ["isolated", "cross"] } }),
  AdjustMargin: signed(["market", "amount"], { market: marketSymbol, amount: signedDecimal }),
  Withdraw: signed(["asset", "amount"], { asset: { type: "string", enum: ["USDC", "USDT", "DAI"] }, amount: decimal }),
  ApproveAgent: signed(["agent", "name", "expiresAt"], {
    agent: address,
    name: { type: "string", minLength: 1, maxLength: 64 },
    expiresAt: { type: "integer", minimum: 0, maximum: 9007199254740991, description: "Milliseconds since the epoch." },
    markets: { type: "array", maxItems: 64, items: marketSymbol },
    maxOrderNotional: { ...decimal, description: "USD; absent: no limit." },
  }),
  RevokeAgent: signed(["agent"], { agent: address }),
  Login: signed([], {}),
} as const;

/**
 * The body of `POST /v1/dev/faucet` (development mode only): credit test collateral to an address.
 *
 * @example
 * ```ts
 * import { faucetRequestSchema } from "@perpdex/protocol";
 * faucetRequestSchema.required; // => ["address"]
 * ```
 */
export const faucetRequestSchema = {
  type: "object",
  additionalProperties: false,
  required: ["address"],
  properties: {
    address,
    asset: { type: "string", enum: ["USDC", "USDT", "DAI"] },
    amount: { ...decimal, description: "Whole tokens; default 10000, at most 1000000." },
  },
} as const;

/**
 * The wire body of every error: a stable code, a message saying what would be valid, optional string
 * details, and the request's correlation id.
 *
 * @example
 * ```ts
 * import { errorBodySchema } from "@perpdex/protocol";
 * errorBodySchema.required; // => ["error", "code", "message", "correlationId"]
 * ```
 */
export const errorBodySchema = {
  type: "object",
  required: ["error", "code", "message", "correlationId"],
  properties: {
    error: { type: "string" },
    code: { type: "string" },
    message: { type: "string" },
    details: { type: "object", additionalProperties: { type: "string" } },
    correlationId: { type: "string" },
  },
} as const;
