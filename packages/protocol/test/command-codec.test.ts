// Proves the journal payload codec: every command type of the perpetual exchange (book and perpetual
// commands) and the log's genesis command survives encode → decode unchanged (bigints restored by field
// name: expiresAt, deposit and withdrawal amounts), the encoding is canonical (field order fixed, so
// equal commands give equal bytes), and anything that is not a well-shaped command throws a
// CommandCodecError naming the field.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { defaultLimits, type OrderSpec, type PerpMarketSpec, type PriceTicks, type RatePpm, type SizeLots } from "@perpdex/core";
import {
  CommandCodecError,
  type LogCommandInput,
  batchItemsWireMax,
  canonicalCommand,
  decodeCommand,
  decodeCommandJson,
  encodeCommand,
  encodeCommandJson,
} from "../src/index.ts";

const account = "0x" + "ab".repeat(20);
const gtdOrder: OrderSpec = {
  market: "BTC-PERP",
  side: "buy",
  type: "limit",
  price: 194_000 as PriceTicks,
  size: 5 as SizeLots,
  timeInForce: "GTD",
  expiresAt: 1_767_225_660_000_000_001n,
  postOnly: true,
  reduceOnly: false,
  selfTradePrevention: "cancelBoth",
  clientOrderId: 'quote"and\\slash',
};

const nvdaPerp: PerpMarketSpec = {
  symbol: "NVDA-PERP",
  tickSize: "0.01",
  lotSize: "0.01",
  minOrderLots: 1 as SizeLots,
  maxOrderLots: 1_000_000 as SizeLots,
  priceBandPpm: 100_000 as RatePpm,
  referencePriceTicks: 18_000 as PriceTicks,
  marketOrderSlippagePpm: 50_000 as RatePpm,
  assetClass: "tech",
  marginProfile: "prd",
  leverageMax: 20,
  leverageDefault: 10,
};

const commands: readonly { name: string; command: LogCommandInput }[] = [
  { name: "genesis", command: { type: "genesis", limits: defaultLimits } },
  { name: "tick", command: { type: "tick" } },
  { name: "createMarket of a perpetual", command: { type: "createMarket", market: nvdaPerp } },
  {
    name: "createMarket without perpetual fields (the core rejects it, the codec does not)",
    command: {
      type: "createMarket",
      market: {
        symbol: "AAPL-PERP",
        tickSize: "0.01",
        lotSize: "0.01",
        minOrderLots: 1 as SizeLots,
        maxOrderLots: 1_000_000 as SizeLots,
        priceBandPpm: 100_000 as RatePpm,
        referencePriceTicks: 23_050 as PriceTicks,
        marketOrderSlippagePpm: 20_000 as RatePpm,
      },
    },
  },
  { name: "placeOrder GTD with every option", command: { type: "placeOrder", account, order: gtdOrder } },
  {
    name: "placeOrder market",
    command: { type: "placeOrder", account, order: { market: "ETH-PERP", side: "sell", type: "market", size: 3 as SizeLots, slippagePpm: 5_000 as RatePpm } },
  },
  { name: "cancelOrder by id", command: { type: "cancelOrder", account, market: "BTC-PERP", orderId: 1_024 } },
  { name: "cancelOrder by client id", command: { type: "cancelOrder", account, market: "BTC-PERP", clientOrderId: "a-1" } },
  { name: "cancelAll", command: { type: "cancelAll", account } },
  { name: "cancelAll in one market", command: { type: "cancelAll", account, market: "BTC-PERP" } },
  { name: "reduceOrder", command: { type: "reduceOrder", account, market: "BTC-PERP", remaining: 2 as SizeLots, orderId: 512 } },
  { name: "cancelReplace", command: { type: "cancelReplace", account, order: gtdOrder, replaces: { clientOrderId: "old" } } },
  {
    name: "batch",
    command: {
      type: "batch",
      account,
      items: [
        { type: "placeOrder", order: gtdOrder },
        { type: "cancelOrder", market: "BTC-PERP", orderId: 768 },
        { type: "cancelOrder", market: "BTC-PERP", clientOrderId: "x" },
      ],
    },
  },
  { name: "deposit USDC", command: { type: "deposit", account, asset: "USDC", amount: 1_000_000_000n, reference: "0x" + "fe".repeat(32) } },
  // DAI has 18 decimals: a billion DAI is 10^27 base units, far past 2^53.
  { name: "deposit DAI beyond 2^53", command: { type: "deposit", account, asset: "DAI", amount: 10n ** 27n, reference: "tx-1" } },
  { name: "withdraw", command: { type: "withdraw", account, asset: "USDT", amount: 250_000_000n } },
  { name: "setMarginMode", command: { type: "setMarginMode", account, market: "BTC-PERP", mode: "cross" } },
  { name: "setLeverage", command: { type: "setLeverage", account, market: "BTC-PERP", leverage: 25 } },
  { name: "adjustMargin adds", command: { type: "adjustMargin", account, market: "BTC-PERP", amount: 5_000_000 } },
  { name: "adjustMargin removes", command: { type: "adjustMargin", account, market: "BTC-PERP", amount: -5_000_000 } },
  { name: "indexPrice", command: { type: "indexPrice", market: "SPY-PERP", price: 66_012 } },
  { name: "collateralPrice", command: { type: "collateralPrice", asset: "DAI", pricePpm: 999_700 } },
  { name: "accountStatus", command: { type: "accountStatus", account, status: "suspended" } },
  { name: "feeOverride", command: { type: "feeOverride", account, rates: { makerPpm: -100, takerPpm: 300 } } },
  { name: "feeOverride cleared", command: { type: "feeOverride", account, rates: null } },
  // Market admin (core perp/market-admin.ts): nested optional shapes, every field present or absent.
  { name: "setMarketStatus", command: { type: "setMarketStatus", market: "BTC-PERP", status: "reduceOnly", reason: "delisting" } },
  {
    name: "setMarketParams with every parameter",
    command: {
      type: "setMarketParams",
      market: "BTC-PERP",
      params: {
        marginProfile: "spec",
        leverageMax: 20,
        leverageDefault: 5,
        priceIncrementTicks: 5,
        sizeIncrementLots: 10,
        riskLimits: { openInterestMax: 10 ** 14, positionNotionalMax: 5 * 10 ** 12, orderNotionalMax: 10 ** 12, concentrationPpm: 200_000, concentrationOpenInterestMin: 5 * 10 ** 12 },
        circuitBreaker: { shortBandPpm: 50_000, hourBandPpm: 100_000, dailyBandPpm: 200_000, haltSeconds: 300, restrictedSeconds: 300, restrictedLeverageMax: 0 },
      },
      reason: "launch",
    },
  },
  { name: "setMarketParams with one parameter", command: { type: "setMarketParams", market: "BTC-PERP", params: { leverageMax: 10 }, reason: "volatility" } },
  { name: "forceSettle", command: { type: "forceSettle", market: "BTC-PERP", reason: "delisting" } },
  // Liquidation (core perp/liquidation.ts).
  { name: "liquidate", command: { type: "liquidate", account, trader: "0x" + "b".repeat(40), market: "BTC-PERP" } },
  { name: "liquidatorWhitelist", command: { type: "liquidatorWhitelist", liquidator: account, allowed: true } },
  { name: "liquidationConfig", command: { type: "liquidationConfig", gracePeriodNs: 1_000_000_000n, priorityWindowNs: 100_000_000n } },
  { name: "seedInsuranceFund", command: { type: "seedInsuranceFund", amount: 1_000_000_000_000n, reference: "0xseed" } },
  { name: "tripCircuitBreaker", command: { type: "tripCircuitBreaker", market: "BTC-PERP", reason: "oracle gap" } },
  { name: "setMarketFees", command: { type: "setMarketFees", market: "BTC-PERP", rates: { makerPpm: 0, takerPpm: 500 }, reason: "launch promotion" } },
  { name: "setMarketFees cleared", command: { type: "setMarketFees", market: "BTC-PERP", rates: null, reason: "promotion over" } },
  // Shape only: the core rejects a negative size with SIZE_NOT_POSITIVE, so it must reach the core.
  {
    name: "business-invalid values still encode",
    command: { type: "placeOrder", account: "not an address", order: { market: "NOPE", side: "buy", type: "limit", price: -1 as PriceTicks, size: 0.5 as SizeLots } },
  },
  // ... and a negative amount with AMOUNT_INVALID, an unknown asset with ASSET_INVALID.
  { name: "business-invalid amount and asset still encode", command: { type: "withdraw", account, asset: "EUR" as never, amount: -5n } },
];

test("command codec: the table above holds every command type", () => {
  const types = new Set(commands.map(({ command }) => command.type));
  const expected = [
    "genesis", "createMarket", "placeOrder", "cancelOrder", "cancelAll", "reduceOrder", "cancelReplace", "batch", "tick",
    "deposit", "withdraw", "setMarginMode", "setLeverage", "adjustMargin", "indexPrice", "collateralPrice", "accountStatus", "feeOverride",
    "setMarketStatus", "setMarketParams", "forceSettle", "tripCircuitBreaker", "setMarketFees",
    "liquidate", "liquidatorWhitelist", "liquidationConfig", "seedInsuranceFund",
  ];
  assert.deepEqual([...types].sort(), [...expected].sort());
});

test("command codec: every command type round-trips unchanged", () => {
  for (const { name, command } of commands) {
    const payload = encodeCommand(command);
    assert.deepEqual(decodeCommand(payload), command, name);
    assert.deepEqual(decodeCommandJson(encodeCommandJson(command)), command, name);
    // Canonical: decoding and encoding again gives the same bytes.
    assert.deepEqual(encodeCommand(decodeCommand(payload)), payload, name);
    // The canonical copy is a fresh object equal to the command, bigints included.
    const canonical = canonicalCommand(command);
    assert.notEqual(canonical.command, command, name);
    assert.deepEqual(canonical.command, command, name);
    assert.equal(canonical.json, encodeCommandJson(command), name);
  }
});

test("command codec: the encoding is canonical and bigints are decimal strings", () => {
  const shuffled = { order: { ...gtdOrder }, account, type: "placeOrder" } as unknown as LogCommandInput;
  assert.equal(encodeCommandJson(shuffled), encodeCommandJson({ type: "placeOrder", account, order: gtdOrder }));
  const text = encodeCommandJson({ type: "placeOrder", account, order: gtdOrder });
  assert.match(text, /^\{"type":"placeOrder","account":"0x(ab){20}","order":\{"market":"BTC-PERP"/);
  assert.match(text, /"expiresAt":"1767225660000000001"/);
  // An optional field set to undefined is the same as an absent one.
  assert.equal(encodeCommandJson({ type: "cancelAll", account, market: undefined } as unknown as LogCommandInput), encodeCommandJson({ type: "cancelAll", account }));
});

const garbage: readonly { name: string; text: string; path: string }[] = [
  { name: "not JSON", text: "{", path: "command" },
  { name: "not an object", text: "[1]", path: "command" },
  { name: "no type", text: "{}", path: "command.type" },
  { name: "unknown type", text: '{"type":"selfDestruct"}', path: "command.type" },
  { name: "a stamped type name", text: '{"type":"Deposit"}', path: "command.type" },
  { name: "prototype key as type", text: '{"type":"toString"}', path: "command.type" },
  { name: "unknown field", text: '{"type":"tick","sequence":5}', path: "command" },
  { name: "missing field", text: '{"type":"cancelAll"}', path: "command.account" },
  { name: "wrong type", text: `{"type":"cancelAll","account":5}`, path: "command.account" },
  { name: "null optional", text: `{"type":"cancelAll","account":"${account}","market":null}`, path: "command.market" },
  { name: "both order refs", text: `{"type":"cancelOrder","account":"${account}","market":"M","orderId":1,"clientOrderId":"c"}`, path: "command" },
  { name: "no order ref", text: `{"type":"cancelOrder","account":"${account}","market":"M"}`, path: "command" },
  {
    name: "expiresAt as a number",
    text: `{"type":"placeOrder","account":"${account}","order":{"market":"M","side":"buy","type":"limit","size":1,"expiresAt":5}}`,
    path: "command.order.expiresAt",
  },
  {
    name: "expiresAt beyond 64 bits",
    text: `{"type":"placeOrder","account":"${account}","order":{"market":"M","side":"buy","type":"limit","size":1,"expiresAt":"9223372036854775808"}}`,
    path: "command.order.expiresAt",
  },
  { name: "amount as a number", text: `{"type":"withdraw","account":"${account}","asset":"USDC","amount":5}`, path: "command.amount" },
  { name: "amount with a leading zero", text: `{"type":"withdraw","account":"${account}","asset":"USDC","amount":"05"}`, path: "command.amount" },
  { name: "amount minus zero", text: `{"type":"withdraw","account":"${account}","asset":"USDC","amount":"-0"}`, path: "command.amount" },
  { name: "amount with a fraction", text: `{"type":"withdraw","account":"${account}","asset":"USDC","amount":"1.5"}`, path: "command.amount" },
  { name: "amount of 2^128", text: `{"type":"withdraw","account":"${account}","asset":"USDC","amount":"${2n ** 128n}"}`, path: "command.amount" },
  { name: "deposit without reference", text: `{"type":"deposit","account":"${account}","asset":"USDC","amount":"1"}`, path: "command.reference" },
  { name: "adjustMargin amount as a string", text: `{"type":"adjustMargin","account":"${account}","market":"M","amount":"5"}`, path: "command.amount" },
  { name: "indexPrice without market", text: '{"type":"indexPrice","price":5}', path: "command.market" },
  { name: "fee rates missing", text: `{"type":"feeOverride","account":"${account}"}`, path: "command.rates" },
  { name: "fee rate null inside", text: `{"type":"feeOverride","account":"${account}","rates":{"makerPpm":null,"takerPpm":1}}`, path: "command.rates.makerPpm" },
  { name: "fee rates as an array", text: `{"type":"feeOverride","account":"${account}","rates":[1,2]}`, path: "command.rates" },
  { name: "null where null is not a value", text: `{"type":"setLeverage","account":"${account}","market":"M","leverage":null}`, path: "command.leverage" },
  { name: "genesis without limits", text: '{"type":"genesis"}', path: "command.limits" },
  { name: "genesis limits null", text: '{"type":"genesis","limits":null}', path: "command.limits" },
  {
    name: "genesis with an unknown limit",
    text: '{"type":"genesis","limits":{"marketsMax":1,"accountsMax":1,"ordersPerAccountMax":1,"batchItemsMax":1,"fillsPerOrderMax":1,"gasMax":1}}',
    path: "command.limits",
  },
  { name: "market leverage as a string", text: '{"type":"createMarket","market":{"symbol":"M","tickSize":"1","lotSize":"1","minOrderLots":1,"maxOrderLots":1,"priceBandPpm":1,"referencePriceTicks":1,"marketOrderSlippagePpm":1,"leverageMax":"20"}}', path: "command.market.leverageMax" },
  { name: "batch item of another type", text: `{"type":"batch","account":"${account}","items":[{"type":"tick"}]}`, path: "command.items[0].type" },
  { name: "batch items not an array", text: `{"type":"batch","account":"${account}","items":{}}`, path: "command.items" },
  { name: "unknown field in a nested order", text: `{"type":"placeOrder","account":"${account}","order":{"market":"M","side":"buy","type":"limit","size":1,"leverage":5}}`, path: "command.order" },
];

test("command codec: garbage throws a CommandCodecError naming the field", () => {
  for (const { name, text, path } of garbage) {
    assert.throws(
      () => decodeCommandJson(text),
      (error: unknown) => error instanceof CommandCodecError && error.path === path,
      name,
    );
  }
  assert.throws(() => decodeCommand(new Uint8Array([0x7b, 0xff, 0x7d])), CommandCodecError, "not UTF-8");
  const tooMany = Array.from({ length: batchItemsWireMax + 1 }, () => ({ type: "cancelOrder", market: "M", orderId: 1 }));
  assert.throws(() => encodeCommandJson({ type: "batch", account, items: tooMany } as LogCommandInput), CommandCodecError);
  assert.throws(() => encodeCommandJson({ type: "placeOrder", account, order: { ...gtdOrder, size: Number.NaN as SizeLots } }), CommandCodecError);
  assert.throws(() => encodeCommandJson({ type: "tick", sequence: 1, time: 1n } as unknown as LogCommandInput), CommandCodecError);
  // Encoding checks the same shapes: a number where a bigint amount belongs, and the reverse.
  assert.throws(() => encodeCommandJson({ type: "deposit", account, asset: "USDC", amount: 5, reference: "r" } as unknown as LogCommandInput), CommandCodecError);
  assert.throws(() => encodeCommandJson({ type: "adjustMargin", account, market: "M", amount: 5n } as unknown as LogCommandInput), CommandCodecError);
  assert.throws(() => encodeCommandJson({ type: "withdraw", account, asset: "USDC", amount: 2n ** 128n }), CommandCodecError);
  assert.throws(() => encodeCommandJson({ type: "feeOverride", account, rates: { makerPpm: 1 } } as unknown as LogCommandInput), CommandCodecError);
});

test("command codec: amounts are decimal strings, fee rates may be null", () => {
  const deposit = encodeCommandJson({ type: "deposit", account, asset: "DAI", amount: 10n ** 27n, reference: "tx" });
  assert.equal(deposit, `{"type":"deposit","account":"${account}","asset":"DAI","amount":"1000000000000000000000000000","reference":"tx"}`);
  assert.equal(encodeCommandJson({ type: "feeOverride", account, rates: null }), `{"type":"feeOverride","account":"${account}","rates":null}`);
  const largest = (1n << 128n) - 1n;
  const decoded = decodeCommandJson(`{"type":"withdraw","account":"${account}","asset":"USDC","amount":"-${largest}"}`);
  assert.ok(decoded.type === "withdraw" && decoded.amount === -largest);
});

test("command codec: random deposits, withdrawals and fee overrides round-trip (property)", () => {
  const plain = { noNullPrototype: true } as const;
  const command = fc.oneof(
    fc.record({
      type: fc.constant("deposit"),
      account: fc.string(),
      asset: fc.constantFrom("USDC", "USDT", "DAI"),
      amount: fc.bigInt({ min: -((1n << 128n) - 1n), max: (1n << 128n) - 1n }),
      reference: fc.string({ unit: "grapheme" }),
    }, plain),
    fc.record({ type: fc.constant("withdraw"), account: fc.string(), asset: fc.string(), amount: fc.bigInt({ min: 0n, max: 1n << 96n }) }, plain),
    fc.record(
      { type: fc.constant("feeOverride"), account: fc.string(), rates: fc.option(fc.record({ makerPpm: fc.integer(), takerPpm: fc.integer() }, plain)) },
      plain,
    ),
    fc.record({ type: fc.constant("adjustMargin"), account: fc.string(), market: fc.string(), amount: fc.maxSafeInteger() }, plain),
  );
  fc.assert(
    fc.property(command, (input) => {
      const typed = input as LogCommandInput;
      assert.deepEqual(decodeCommand(encodeCommand(typed)), typed);
    }),
    { numRuns: 500, seed: 20_260_102 },
  );
});

test("command codec: random well-shaped orders round-trip (property)", () => {
  const order = fc.record(
    {
      market: fc.string(),
      side: fc.constantFrom("buy", "sell"),
      type: fc.constantFrom("limit", "market"),
      price: fc.integer(),
      size: fc.integer(),
      timeInForce: fc.constantFrom("GTC", "IOC", "FOK", "GTD"),
      expiresAt: fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }),
      postOnly: fc.boolean(),
      reduceOnly: fc.boolean(),
      selfTradePrevention: fc.constantFrom("cancelIncoming", "cancelResting", "cancelBoth"),
      clientOrderId: fc.string({ unit: "grapheme" }),
      slippagePpm: fc.integer(),
    },
    { requiredKeys: ["market", "side", "type", "size"], noNullPrototype: true },
  );
  fc.assert(
    fc.property(fc.string(), order, (address, spec) => {
      const command = { type: "placeOrder", account: address, order: spec } as LogCommandInput;
      assert.deepEqual(decodeCommand(encodeCommand(command)), command);
    }),
    { numRuns: 500, seed: 20_260_101 },
  );
});
