/**
 * The command codec: how a command is stored in the journal and sent between processes.
 *
 * It covers every command of the perpetual exchange (`ExchangeCommand`: the book's commands and the
 * perpetual layer's — deposits, withdrawals, margin settings, index and collateral prices, account
 * administration) and the log's opening `genesis` command. A command is written as canonical JSON
 * (UTF-8): fields in one fixed order, optional fields left out when absent, and bigint fields as
 * decimal strings: an order's `expiresAt` (nanoseconds) and a deposit's or withdrawal's `amount`
 * (base units of the asset; DAI has 18 decimals). The decoder knows each field by name, so it turns
 * exactly those strings back into bigints and never guesses. The sequence number and exchange time are
 * not part of the payload: the journal record header holds them.
 *
 * The codec checks shape (field names, JSON types, the one-of of an order reference), not business
 * rules: a well-shaped order with a negative size encodes, and the core rejects it with a stable code.
 * Anything else throws a `CommandCodecError`. Encoding such a command is a bug in the caller (the api
 * validates first); decoding one means the bytes are not a command — in a journal record that passed
 * its checksum, that is corruption.
 */
import { orderIdsPerCommand } from "@perpdex/core";
import type {
  BatchItem,
  CircuitBreakerParams,
  EngineLimits,
  MarketParamsChange,
  ExchangeCommand,
  OrderRef,
  OrderSpec,
  OracleConfig,
  PerpMarketSpec,
  RiskLimits,
  Unstamped,
} from "@perpdex/core";

/**
 * A command of the perpetual exchange before the sequencer stamps it with its sequence and time.
 *
 * @example
 * ```ts
 * import type { ExchangeCommandInput } from "@perpdex/protocol";
 * const deposit: ExchangeCommandInput = { type: "deposit", account: "0x" + "1".repeat(40), asset: "USDC", amount: 1_000_000_000n, reference: "0xabc" };
 * ```
 */
export type ExchangeCommandInput = Unstamped<ExchangeCommand>;

/**
 * The first command of every log: the limits the exchange is built with. A node writes it once, at
 * sequence 1 of an empty log, from its genesis configuration; whoever replays the log builds the
 * exchange from it (`new Exchange({ limits })`), so replay uses the limits the node used. The core never
 * sees it: to the core, sequence 1 is a tick.
 *
 * @example
 * ```ts
 * import { defaultLimits } from "@perpdex/core";
 * import type { GenesisCommandInput } from "@perpdex/protocol";
 * const genesis: GenesisCommandInput = { type: "genesis", limits: defaultLimits };
 * ```
 */
export type GenesisCommandInput = {
  readonly type: "genesis";
  readonly limits: EngineLimits;
};

/**
 * Anything a journal record holds: an exchange command, or the log's opening genesis command.
 *
 * @example
 * ```ts
 * import { decodeCommand, type LogCommandInput } from "@perpdex/protocol";
 * const command: LogCommandInput = decodeCommand(new TextEncoder().encode('{"type":"tick"}'));
 * ```
 */
export type LogCommandInput = ExchangeCommandInput | GenesisCommandInput;

/** The JSON type of a field, or the nested shape it holds. */
type FieldRule =
  | "string"
  | "number"
  | "boolean"
  /** A bigint of nanoseconds, written as a decimal string. */
  | "time"
  /** A bigint of an asset's base units, written as a decimal string. */
  | "units"
  | Shape
  /** The items of a batch: an array of shapes chosen by their `type`. */
  | "batchItems";

interface Field {
  readonly name: string;
  /** The name as written in JSON, with its colon: `"name":`. */
  readonly key: string;
  readonly rule: FieldRule;
  readonly optional: boolean;
  /** JSON null is a value of the field (a fee override is cleared with null). */
  readonly nullable: boolean;
}

interface Shape {
  readonly fields: readonly Field[];
  /** Exactly one of these fields must be present (an order is named by id or by client id). */
  readonly oneOf?: readonly [string, string];
}

/**
 * The largest number of items a batch may carry on the wire. The core's own `batchItemsMax` can be
 * lower (it rejects the excess with a code); it can never be higher, because order ids reserve 256
 * per command.
 *
 * @example
 * ```ts
 * import { batchItemsWireMax } from "@perpdex/protocol";
 * batchItemsWireMax; // => 256
 * ```
 */
export const batchItemsWireMax = orderIdsPerCommand;

// Exchange times and GTD expiries are nanoseconds since the epoch; the state encoding stores them as
// signed 64-bit integers, so nothing larger may enter.
const timeMax = (1n << 63n) - 1n;
const timeTextPattern = /^(0|[1-9][0-9]{0,18})$/;
// Amounts: the core takes fewer than 2^96 base units and rejects the rest with a code; the wire keeps
// them below 2^128 in magnitude, sign included (the sign is the core's business, the size is not).
const unitsMagnitudeMax = (1n << 128n) - 1n;
const unitsTextPattern = /^(0|-?[1-9][0-9]{0,38})$/;

function field(name: string, rule: FieldRule): Field {
  return { name, key: `"${name}":`, rule, optional: false, nullable: false };
}

function optional(name: string, rule: FieldRule): Field {
  return { name, key: `"${name}":`, rule, optional: true, nullable: false };
}

function nullable(name: string, rule: FieldRule): Field {
  return { name, key: `"${name}":`, rule, optional: false, nullable: true };
}

const typeField = field("type", "string");

const riskLimitsShape: Shape = {
  fields: [
    field("openInterestMax", "number"),
    field("positionNotionalMax", "number"),
    field("orderNotionalMax", "number"),
    field("concentrationPpm", "number"),
    field("concentrationOpenInterestMin", "number"),
  ],
};

const circuitBreakerShape: Shape = {
  fields: [
    field("shortBandPpm", "number"),
    field("hourBandPpm", "number"),
    field("dailyBandPpm", "number"),
    field("haltSeconds", "number"),
    field("restrictedSeconds", "number"),
    field("restrictedLeverageMax", "number"),
  ],
};

/** The parameters setMarketParams may change; absent fields keep their value. */
const marketParamsShape: Shape = {
  fields: [
    optional("marginProfile", "string"),
    optional("leverageMax", "number"),
    optional("leverageDefault", "number"),
    optional("priceIncrementTicks", "number"),
    optional("sizeIncrementLots", "number"),
    optional("riskLimits", riskLimitsShape),
    optional("circuitBreaker", circuitBreakerShape),
  ],
};

const marketShape: Shape = {
  fields: [
    field("symbol", "string"),
    field("tickSize", "string"),
    field("lotSize", "string"),
    field("minOrderLots", "number"),
    field("maxOrderLots", "number"),
    field("priceBandPpm", "number"),
    field("referencePriceTicks", "number"),
    field("marketOrderSlippagePpm", "number"),
    // The perpetual fields. Optional in shape, because the command's type is the book's MarketSpec: the
    // exchange rejects a market without them (MARKET_PARAMS_INVALID), with a code, as it does a bad value.
    optional("assetClass", "string"),
    optional("marginProfile", "string"),
    optional("leverageMax", "number"),
    optional("leverageDefault", "number"),
    // Risk limits, circuit breaker and trading grid (core perp/risk-limits.ts, circuit-breakers.ts,
    // market-admin.ts); absent: the core's defaults.
    optional("riskLimits", riskLimitsShape),
    optional("circuitBreaker", circuitBreakerShape),
    optional("priceIncrementTicks", "number"),
    optional("sizeIncrementLots", "number"),
  ],
};

const orderShape: Shape = {
  fields: [
    field("market", "string"),
    field("side", "string"),
    field("type", "string"),
    optional("price", "number"),
    field("size", "number"),
    optional("timeInForce", "string"),
    optional("expiresAt", "time"),
    optional("postOnly", "boolean"),
    optional("reduceOnly", "boolean"),
    optional("selfTradePrevention", "string"),
    optional("clientOrderId", "string"),
    optional("slippagePpm", "number"),
  ],
};

const orderRefFields: readonly Field[] = [optional("orderId", "number"), optional("clientOrderId", "string")];
const orderRefOneOf = ["orderId", "clientOrderId"] as const;
const orderRefShape: Shape = { fields: orderRefFields, oneOf: orderRefOneOf };

const limitsShape: Shape = {
  fields: [
    field("marketsMax", "number"),
    field("accountsMax", "number"),
    field("ordersPerAccountMax", "number"),
    field("batchItemsMax", "number"),
    field("fillsPerOrderMax", "number"),
  ],
};

const oracleConfigShape: Shape = {
  fields: [
    field("staleAfterNs", "time"),
    field("maxAgeNs", "time"),
    field("futureToleranceNs", "time"),
    field("halfLifeNs", "time"),
    field("quorum", "number"),
    field("confidenceMinPpm", "number"),
    field("madFloorPpm", "number"),
    field("disableBelow", "number"),
    field("outlierPenalty", "number"),
  ],
};

const feeRatesShape: Shape = { fields: [field("makerPpm", "number"), field("takerPpm", "number")] };

const accountField = field("account", "string");
const marketField = field("market", "string");
const agentField = optional("agent", "string");

// Every command type and its fields, in the order they are written.
const commandShapes: Readonly<Record<LogCommandInput["type"], Shape>> = {
  genesis: { fields: [typeField, field("limits", limitsShape)] },
  createMarket: { fields: [typeField, field("market", marketShape)] },
  // `agent`: the approved agent key that signed an order command (core perp/agents.ts); absent: the wallet.
  placeOrder: { fields: [typeField, field("account", "string"), field("order", orderShape), agentField] },
  cancelOrder: {
    fields: [typeField, field("account", "string"), field("market", "string"), ...orderRefFields, agentField],
    oneOf: orderRefOneOf,
  },
  cancelAll: { fields: [typeField, field("account", "string"), optional("market", "string"), agentField] },
  reduceOrder: {
    fields: [typeField, field("account", "string"), field("market", "string"), field("remaining", "number"), ...orderRefFields],
    oneOf: orderRefOneOf,
  },
  cancelReplace: {
    fields: [typeField, field("account", "string"), field("order", orderShape), field("replaces", orderRefShape), agentField],
  },
  batch: { fields: [typeField, field("account", "string"), field("items", "batchItems"), agentField] },
  tick: { fields: [typeField] },
  deposit: { fields: [typeField, accountField, field("asset", "string"), field("amount", "units"), field("reference", "string")] },
  withdraw: { fields: [typeField, accountField, field("asset", "string"), field("amount", "units")] },
  setMarginMode: { fields: [typeField, accountField, marketField, field("mode", "string")] },
  setLeverage: { fields: [typeField, accountField, marketField, field("leverage", "number")] },
  // µUSD, a number: unlike a deposit's base units it is bounded by the safe integers.
  adjustMargin: { fields: [typeField, accountField, marketField, field("amount", "number")] },
  indexPrice: { fields: [typeField, marketField, field("price", "number")] },
  collateralPrice: { fields: [typeField, field("asset", "string"), field("pricePpm", "number")] },
  accountStatus: { fields: [typeField, accountField, field("status", "string")] },
  feeOverride: { fields: [typeField, accountField, nullable("rates", feeRatesShape)] },
  // Market admin commands: the api accepts them only signed by the genesis admin address.
  setMarketStatus: { fields: [typeField, marketField, field("status", "string"), field("reason", "string")] },
  setMarketParams: { fields: [typeField, marketField, field("params", marketParamsShape), field("reason", "string")] },
  forceSettle: { fields: [typeField, marketField, field("reason", "string")] },
  tripCircuitBreaker: { fields: [typeField, marketField, field("reason", "string")] },
  setMarketFees: { fields: [typeField, marketField, nullable("rates", feeRatesShape), field("reason", "string")] },
  // Liquidation (perp/liquidation.ts): any account may liquidate; the other three are admin commands.
  liquidate: { fields: [typeField, accountField, field("trader", "string"), marketField] },
  liquidatorWhitelist: { fields: [typeField, field("liquidator", "string"), field("allowed", "boolean")] },
  liquidationConfig: { fields: [typeField, field("gracePeriodNs", "time"), field("priorityWindowNs", "time")] },
  seedInsuranceFund: { fields: [typeField, field("amount", "units"), field("reference", "string")] },
  // Oracles (core perp/oracle-sources.ts): `signer` is what the edge recovered from `signature`.
  registerOracleSource: {
    fields: [typeField, field("source", "string"), field("subject", "string"), field("signer", "string"), field("reputation", "number"), field("weight", "number")],
  },
  setOracleSource: { fields: [typeField, field("source", "string"), field("enabled", "boolean")] },
  configureOracle: { fields: [typeField, field("subject", "string"), field("config", oracleConfigShape)] },
  oraclePrice: {
    fields: [
      typeField,
      field("source", "string"),
      field("subject", "string"),
      field("price", "number"),
      field("confidencePpm", "number"),
      field("publishTime", "time"),
      field("signer", "string"),
      field("signature", "string"),
    ],
  },
  // Sessions and corporate actions (core perp/sessions.ts, corporate-actions.ts): admin commands.
  marketSession: { fields: [typeField, marketField, field("offHoursBandPpm", "number"), field("offHoursMarginFactorPpm", "number")] },
  scheduleSplit: {
    fields: [typeField, marketField, field("numerator", "number"), field("denominator", "number"), field("effectiveTime", "time")],
  },
  scheduleDividend: { fields: [typeField, marketField, field("amountPerShare", "number"), field("effectiveTime", "time")] },
  cancelCorporateAction: { fields: [typeField, field("id", "number")] },
  // Agent keys (core perp/agents.ts): signed by the account's wallet.
  approveAgent: {
    fields: [
      typeField,
      accountField,
      field("agent", "string"),
      field("name", "string"),
      field("expiresAt", "time"),
      field("markets", "string"),
      field("maxOrderNotional", "number"),
    ],
  },
  revokeAgent: { fields: [typeField, accountField, field("agent", "string")] },
};

const batchItemShapes: Readonly<Record<BatchItem["type"], Shape>> = {
  placeOrder: { fields: [typeField, field("order", orderShape)] },
  cancelOrder: { fields: [typeField, field("market", "string"), ...orderRefFields], oneOf: orderRefOneOf },
};

/**
 * Thrown when a value is not a well-shaped command: by `encodeCommand` for a malformed command (a bug
 * in the caller), by `decodeCommand` for bytes that are not a command. `path` names the field.
 *
 * @example
 * ```ts
 * import { CommandCodecError, decodeCommand } from "@perpdex/protocol";
 * try {
 *   decodeCommand(new TextEncoder().encode('{"type":"tick","extra":1}'));
 * } catch (error) {
 *   if (error instanceof CommandCodecError) error.path; // => "command.extra"
 * }
 * ```
 */
export class CommandCodecError extends Error {
  override readonly name = "CommandCodecError";
  /** Where in the command the problem is, e.g. `command.order.size`. */
  readonly path: string;
  readonly reason: string;

  constructor(parameters: { path: string; reason: string }) {
    super(`Not a well-shaped command at ${parameters.path}: ${parameters.reason}.`);
    this.path = parameters.path;
    this.reason = parameters.reason;
  }
}

function invalid(path: string, reason: string): never {
  throw new CommandCodecError({ path, reason });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function shapeOfCommand(value: unknown): Shape {
  if (!isPlainObject(value)) return invalid("command", "expected an object");
  const type = value.type;
  if (typeof type !== "string") return invalid("command.type", "expected a string");
  const shape = Object.hasOwn(commandShapes, type) ? commandShapes[type as LogCommandInput["type"]] : undefined;
  return shape ?? invalid("command.type", `unknown command type ${JSON.stringify(type)}`);
}

function shapeOfBatchItem(value: unknown, itemsPath: string, index: number): Shape {
  if (!isPlainObject(value)) return invalid(`${itemsPath}[${index}]`, "expected an object");
  const type = value.type;
  if (typeof type !== "string") return invalid(`${itemsPath}[${index}].type`, "expected a string");
  const shape = Object.hasOwn(batchItemShapes, type) ? batchItemShapes[type as BatchItem["type"]] : undefined;
  return shape ?? invalid(`${itemsPath}[${index}].type`, `a batch item is a placeOrder or a cancelOrder, not ${JSON.stringify(type)}`);
}

// ---------------------------------------------------------------------------------------------------
// Encoding: walk the shape in its fixed order, check each field, and at the same time write its JSON and
// copy it into a fresh object built in that order. Writing the text on the way beats JSON.stringify of
// the copy (no second walk), and the copy is a canonical command the caller owns at no extra cost.
// Error paths are built only when a check fails.

// The text being written. Encoding is synchronous and never re-entered, so one accumulator serves.
let text = "";

function encodeObject(object: Record<string, unknown>, shape: Shape, path: string): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  let present = 0;
  text += "{";
  for (const entry of shape.fields) {
    const value = object[entry.name];
    if (value === undefined) {
      if (!entry.optional) invalid(`${path}.${entry.name}`, "required");
      continue;
    }
    text += present === 0 ? entry.key : `,${entry.key}`;
    if (value === null && entry.nullable) {
      text += "null";
      copy[entry.name] = null;
    } else {
      copy[entry.name] = encodeValue(value, entry.rule, path, entry.name);
    }
    present += 1;
  }
  text += "}";
  checkOneOf(object, shape, path);
  // A field the shape does not know would be dropped silently: refuse it instead.
  if (definedKeyCount(object) !== present) invalid(path, `unknown field ${firstUnknownField(object, shape)}`);
  return copy;
}

// Writes the value's JSON and returns its copy.
function encodeValue(value: unknown, rule: FieldRule, parentPath: string, name: string): unknown {
  switch (rule) {
    case "string":
      if (typeof value !== "string") invalid(`${parentPath}.${name}`, "expected a string");
      text += JSON.stringify(value);
      return value;
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value)) invalid(`${parentPath}.${name}`, "expected a finite number");
      // For a finite number, JSON's form is JavaScript's shortest round-trip form.
      text += String(value);
      return value;
    case "boolean":
      if (typeof value !== "boolean") invalid(`${parentPath}.${name}`, "expected a boolean");
      text += value ? "true" : "false";
      return value;
    case "time":
      if (typeof value !== "bigint" || value < 0n || value > timeMax) invalid(`${parentPath}.${name}`, "expected a bigint from 0 to 2^63 - 1");
      text += `"${value.toString()}"`;
      return value;
    case "units":
      if (typeof value !== "bigint" || value > unitsMagnitudeMax || value < -unitsMagnitudeMax) {
        invalid(`${parentPath}.${name}`, "expected a bigint of magnitude below 2^128");
      }
      text += `"${value.toString()}"`;
      return value;
    case "batchItems":
      return encodeBatchItems(value, `${parentPath}.${name}`);
    default:
      if (!isPlainObject(value)) invalid(`${parentPath}.${name}`, "expected an object");
      return encodeObject(value, rule, `${parentPath}.${name}`);
  }
}

function encodeBatchItems(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) return invalid(path, "expected an array");
  if (value.length > batchItemsWireMax) invalid(path, `at most ${batchItemsWireMax} items`);
  const items: unknown[] = [];
  text += "[";
  for (let index = 0; index < value.length; index += 1) {
    if (index > 0) text += ",";
    const item: unknown = value[index];
    const shape = shapeOfBatchItem(item, path, index);
    items.push(encodeObject(item as Record<string, unknown>, shape, `${path}[${index}]`));
  }
  text += "]";
  return items;
}

function checkOneOf(object: Record<string, unknown>, shape: Shape, path: string): void {
  if (shape.oneOf === undefined) return;
  const [first, second] = shape.oneOf;
  const count = (object[first] === undefined ? 0 : 1) + (object[second] === undefined ? 0 : 1);
  if (count !== 1) invalid(path, `exactly one of ${first} and ${second}`);
}

function definedKeyCount(object: Record<string, unknown>): number {
  let count = 0;
  for (const key in object) if (object[key] !== undefined) count += 1;
  return count;
}

function firstUnknownField(object: Record<string, unknown>, shape: Shape): string {
  const known = new Set(shape.fields.map((entry) => entry.name));
  for (const key in object) if (object[key] !== undefined && !known.has(key)) return key;
  return "(none)";
}

/**
 * Encodes a command (without its sequence and time) as canonical JSON text: fields in a fixed
 * order, absent optional fields left out, bigints (`expiresAt`, `amount`) as decimal strings. Throws a
 * `CommandCodecError` when the command is not well shaped (an unknown field included).
 *
 * @example
 * ```ts
 * import { encodeCommandJson } from "@perpdex/protocol";
 * encodeCommandJson({ type: "cancelAll", account: "0x" + "1".repeat(40) });
 * // => '{"type":"cancelAll","account":"0x1111111111111111111111111111111111111111"}'
 * ```
 */
export function encodeCommandJson(command: LogCommandInput): string {
  return canonicalCommand(command).json;
}

/**
 * Checks a command and returns both its canonical JSON (see `encodeCommandJson`) and a canonical copy
 * of it: a fresh object with the same fields in the canonical order, which the caller owns (the node
 * stamps it with sequence and time instead of copying the command again). Throws a
 * `CommandCodecError` when the command is not well shaped.
 *
 * @example
 * ```ts
 * import { canonicalCommand } from "@perpdex/protocol";
 * const input = { type: "cancelAll", account: "0x" + "1".repeat(40) } as const;
 * const { json, command } = canonicalCommand(input);
 * command !== input; // => true: a copy
 * json; // => '{"type":"cancelAll","account":"0x1111111111111111111111111111111111111111"}'
 * ```
 */
export function canonicalCommand(command: LogCommandInput): { json: string; command: LogCommandInput } {
  text = "";
  try {
    const copy = encodeObject(command as unknown as Record<string, unknown>, shapeOfCommand(command), "command");
    return { json: text, command: copy as unknown as LogCommandInput };
  } finally {
    text = "";
  }
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Encodes a command (without its sequence and time) as the UTF-8 bytes of its canonical JSON: the
 * payload of a journal record. Throws a `CommandCodecError` when the command is not well shaped.
 *
 * @example
 * ```ts
 * import { decodeCommand, encodeCommand } from "@perpdex/protocol";
 * const payload = encodeCommand({ type: "tick" });
 * decodeCommand(payload); // => { type: "tick" }
 * ```
 */
export function encodeCommand(command: LogCommandInput): Uint8Array {
  return textEncoder.encode(encodeCommandJson(command));
}

// ---------------------------------------------------------------------------------------------------
// Decoding: parse, then check the parsed value against the same shapes, turning time strings into
// bigints in place (the parsed object belongs to the decoder until it is returned).

function decodeObject(object: Record<string, unknown>, shape: Shape, path: string): void {
  let present = 0;
  for (const entry of shape.fields) {
    const value = object[entry.name];
    if (value === undefined) {
      if (!entry.optional) invalid(`${path}.${entry.name}`, "required");
      continue;
    }
    if (value !== null || !entry.nullable) {
      const decoded = decodeValue(value, entry.rule, path, entry.name);
      if (decoded !== value) object[entry.name] = decoded;
    }
    present += 1;
  }
  checkOneOf(object, shape, path);
  if (definedKeyCount(object) !== present) invalid(path, `unknown field ${firstUnknownField(object, shape)}`);
}

function decodeValue(value: unknown, rule: FieldRule, parentPath: string, name: string): unknown {
  switch (rule) {
    case "string":
      return typeof value === "string" ? value : invalid(`${parentPath}.${name}`, "expected a string");
    case "number":
      return typeof value === "number" ? value : invalid(`${parentPath}.${name}`, "expected a number");
    case "boolean":
      return typeof value === "boolean" ? value : invalid(`${parentPath}.${name}`, "expected a boolean");
    case "time":
      return decodeTime(value, `${parentPath}.${name}`);
    case "units":
      return decodeUnits(value, `${parentPath}.${name}`);
    case "batchItems":
      decodeBatchItems(value, `${parentPath}.${name}`);
      return value;
    default:
      if (!isPlainObject(value)) invalid(`${parentPath}.${name}`, "expected an object");
      decodeObject(value, rule, `${parentPath}.${name}`);
      return value;
  }
}

function decodeTime(value: unknown, path: string): bigint {
  if (typeof value !== "string" || !timeTextPattern.test(value)) {
    return invalid(path, "expected nanoseconds as a decimal string");
  }
  const time = BigInt(value);
  return time <= timeMax ? time : invalid(path, "nanoseconds beyond 2^63 - 1");
}

function decodeUnits(value: unknown, path: string): bigint {
  if (typeof value !== "string" || !unitsTextPattern.test(value)) {
    return invalid(path, "expected base units as a decimal string");
  }
  const units = BigInt(value);
  return units <= unitsMagnitudeMax && units >= -unitsMagnitudeMax ? units : invalid(path, "base units of magnitude 2^128 or more");
}

function decodeBatchItems(value: unknown, path: string): void {
  if (!Array.isArray(value)) return invalid(path, "expected an array");
  if (value.length > batchItemsWireMax) invalid(path, `at most ${batchItemsWireMax} items`);
  for (let index = 0; index < value.length; index += 1) {
    const item: unknown = value[index];
    const shape = shapeOfBatchItem(item, path, index);
    decodeObject(item as Record<string, unknown>, shape, `${path}[${index}]`);
  }
}

/**
 * Decodes canonical command JSON text (see `encodeCommandJson`) back into a command, `expiresAt` and `amount`
 * as a bigint. Throws a `CommandCodecError` when the text is not JSON or not a well-shaped command.
 *
 * @example
 * ```ts
 * import { decodeCommandJson } from "@perpdex/protocol";
 * const command = decodeCommandJson('{"type":"cancelAll","account":"0x1111111111111111111111111111111111111111"}');
 * command.type; // => "cancelAll"
 * ```
 */
export function decodeCommandJson(text: string): LogCommandInput {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return invalid("command", `not JSON (${(error as Error).message})`);
  }
  const shape = shapeOfCommand(parsed);
  decodeObject(parsed as Record<string, unknown>, shape, "command");
  return parsed as LogCommandInput;
}

/**
 * Decodes a journal payload (UTF-8 canonical JSON, see `encodeCommand`) back into a command. Throws
 * a `CommandCodecError` when the bytes are not UTF-8, not JSON or not a well-shaped command.
 *
 * @example
 * ```ts
 * import { decodeCommand, encodeCommand } from "@perpdex/protocol";
 * const order = { market: "BTC-PERP", side: "buy", type: "limit", price: 194_000, size: 5, timeInForce: "GTD", expiresAt: 1_767_225_660_000_000_000n };
 * const command = decodeCommand(encodeCommand({ type: "placeOrder", account: "0x" + "1".repeat(40), order }));
 * command.type === "placeOrder" && command.order.expiresAt; // => 1767225660000000000n
 * ```
 */
export function decodeCommand(bytes: Uint8Array): LogCommandInput {
  let text: string;
  try {
    text = textDecoder.decode(bytes);
  } catch {
    return invalid("command", "not UTF-8");
  }
  return decodeCommandJson(text);
}

// The shapes above are written against these core types; a change there must show up here.
type ShapeCovers<Value, Names extends string> = Exclude<keyof Value, Names> extends never ? true : false;
type InputOf<Type extends LogCommandInput["type"]> = Extract<LogCommandInput, { type: Type }>;
const marketCovered: ShapeCovers<
  PerpMarketSpec,
  | "symbol"
  | "tickSize"
  | "lotSize"
  | "minOrderLots"
  | "maxOrderLots"
  | "priceBandPpm"
  | "referencePriceTicks"
  | "marketOrderSlippagePpm"
  | "assetClass"
  | "marginProfile"
  | "leverageMax"
  | "leverageDefault"
  | "riskLimits"
  | "circuitBreaker"
  | "priceIncrementTicks"
  | "sizeIncrementLots"
> = true;
const orderCovered: ShapeCovers<OrderSpec, "market" | "side" | "type" | "price" | "size" | "timeInForce" | "expiresAt" | "postOnly" | "reduceOnly" | "selfTradePrevention" | "clientOrderId" | "slippagePpm"> = true;
const orderRefCovered: ShapeCovers<OrderRef, "orderId" | "clientOrderId"> = true;
const limitsCovered: ShapeCovers<EngineLimits, "marketsMax" | "accountsMax" | "ordersPerAccountMax" | "batchItemsMax" | "fillsPerOrderMax"> = true;
const commandsCovered: readonly [
  ShapeCovers<InputOf<"genesis">, "type" | "limits">,
  ShapeCovers<InputOf<"deposit">, "type" | "account" | "asset" | "amount" | "reference">,
  ShapeCovers<InputOf<"withdraw">, "type" | "account" | "asset" | "amount">,
  ShapeCovers<InputOf<"setMarginMode">, "type" | "account" | "market" | "mode">,
  ShapeCovers<InputOf<"setLeverage">, "type" | "account" | "market" | "leverage">,
  ShapeCovers<InputOf<"adjustMargin">, "type" | "account" | "market" | "amount">,
  ShapeCovers<InputOf<"indexPrice">, "type" | "market" | "price">,
  ShapeCovers<InputOf<"collateralPrice">, "type" | "asset" | "pricePpm">,
  ShapeCovers<InputOf<"accountStatus">, "type" | "account" | "status">,
  ShapeCovers<InputOf<"feeOverride">, "type" | "account" | "rates">,
  ShapeCovers<NonNullable<InputOf<"feeOverride">["rates"]>, "makerPpm" | "takerPpm">,
  ShapeCovers<InputOf<"setMarketStatus">, "type" | "market" | "status" | "reason">,
  ShapeCovers<InputOf<"setMarketParams">, "type" | "market" | "params" | "reason">,
  ShapeCovers<MarketParamsChange, "marginProfile" | "leverageMax" | "leverageDefault" | "priceIncrementTicks" | "sizeIncrementLots" | "riskLimits" | "circuitBreaker">,
  ShapeCovers<RiskLimits, "openInterestMax" | "positionNotionalMax" | "orderNotionalMax" | "concentrationPpm" | "concentrationOpenInterestMin">,
  ShapeCovers<CircuitBreakerParams, "shortBandPpm" | "hourBandPpm" | "dailyBandPpm" | "haltSeconds" | "restrictedSeconds" | "restrictedLeverageMax">,
  ShapeCovers<InputOf<"forceSettle">, "type" | "market" | "reason">,
  ShapeCovers<InputOf<"tripCircuitBreaker">, "type" | "market" | "reason">,
  ShapeCovers<InputOf<"setMarketFees">, "type" | "market" | "rates" | "reason">,
] = [true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true];
void marketCovered;
void orderCovered;
void orderRefCovered;
void limitsCovered;
void commandsCovered;
// Oracles, sessions and corporate actions (core perp/oracle-sources.ts, sessions.ts, corporate-actions.ts).
const oracleCommandsCovered: readonly [
  ShapeCovers<InputOf<"registerOracleSource">, "type" | "source" | "subject" | "signer" | "reputation" | "weight">,
  ShapeCovers<InputOf<"setOracleSource">, "type" | "source" | "enabled">,
  ShapeCovers<InputOf<"configureOracle">, "type" | "subject" | "config">,
  ShapeCovers<OracleConfig, "staleAfterNs" | "maxAgeNs" | "futureToleranceNs" | "halfLifeNs" | "quorum" | "confidenceMinPpm" | "madFloorPpm" | "disableBelow" | "outlierPenalty">,
  ShapeCovers<InputOf<"oraclePrice">, "type" | "source" | "subject" | "price" | "confidencePpm" | "publishTime" | "signer" | "signature">,
  ShapeCovers<InputOf<"marketSession">, "type" | "market" | "offHoursBandPpm" | "offHoursMarginFactorPpm">,
  ShapeCovers<InputOf<"scheduleSplit">, "type" | "market" | "numerator" | "denominator" | "effectiveTime">,
  ShapeCovers<InputOf<"scheduleDividend">, "type" | "market" | "amountPerShare" | "effectiveTime">,
  ShapeCovers<InputOf<"cancelCorporateAction">, "type" | "id">,
] = [true, true, true, true, true, true, true, true, true];
void oracleCommandsCovered;

// The binary codec (command-binary.ts) walks the same tables, so a shape added above is encoded in both
// forms with no further work. Not part of the package's surface (index.ts does not re-export these).
export { batchItemShapes, commandShapes, timeMax, unitsMagnitudeMax };
export type { Field, FieldRule, Shape };
