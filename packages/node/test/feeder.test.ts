// Proves the oracle feeder and the edge check of oracle signatures: updates signed with a source's key
// verify, and a tampered field, another key or a malformed signature fail with ORACLE_SIGNATURE_INVALID
// before anything is sequenced; the demo genesis registers three sources per market; a feeder round
// against a real node is accepted for every source, moves the crypto index to the aggregate and survives a
// restart (the journal keeps the signed updates); CSV and seeded random-walk sources give what they say.
import assert from "node:assert/strict";
import { test } from "node:test";
import { exchangeStateHash, oracleConfigDefault } from "@perpdex/core";
import { decodeCommandBinary, decodeCommandJson, encodeCommandBinary, encodeCommandJson, type ExchangeCommandInput } from "@perpdex/protocol";
import {
  CsvPriceSource,
  attachOracleFeeder,
  ExchangeNode,
  OracleFeeder,
  RandomWalkSource,
  demoGenesis,
  demoGenesisOracleSources,
  demoOracleKeys,
  genesisCommands,
  signOraclePrice,
  verifyOraclePrice,
} from "../src/index.ts";
import { RecordingLogger, scratchDirectory } from "./node-helpers.ts";

const oracleGenesis = { ...demoGenesis, oracleSources: demoGenesisOracleSources };
const key = demoOracleKeys(["BTC-PERP"])[0]!;
const other = demoOracleKeys(["BTC-PERP"])[1]!;
const quote = { source: key.source, subject: "BTC-PERP", price: 95_000, confidencePpm: 990_000, publishTime: 1_763_800_000_000_000_000n };

test("edge: a signed update verifies; tampering, another key or a malformed signature do not", async () => {
  const signed = await signOraclePrice({ privateKey: key.privateKey, quote });
  assert.deepEqual(await verifyOraclePrice(signed), { ok: true });
  const cases = [
    { name: "price changed after signing", input: { ...signed, price: 95_001 } },
    { name: "publish time changed", input: { ...signed, publishTime: signed.publishTime + 1n } },
    { name: "claims another signer", input: { ...signed, signer: (await signOraclePrice({ privateKey: other.privateKey, quote })).signer } },
    { name: "signed by another key", input: { ...(await signOraclePrice({ privateKey: other.privateKey, quote })), signer: signed.signer } },
    { name: "malformed signature", input: { ...signed, signature: "0x1234" } },
    { name: "zeroed signature", input: { ...signed, signature: "0x" + "0".repeat(130) } },
  ];
  for (const { name, input } of cases) {
    const checked = await verifyOraclePrice(input);
    assert.equal(checked.ok, false, name);
    assert.equal(checked.ok ? "" : checked.code, "ORACLE_SIGNATURE_INVALID", name);
  }
});

test("a genesis with the demo oracle sources registers three per market after the markets", () => {
  const commands = genesisCommands(oracleGenesis);
  const sources = commands.filter((command) => command.type === "registerOracleSource");
  assert.equal(sources.length, 3 * demoGenesis.markets.length);
  assert.equal(genesisCommands(demoGenesis).length, 1 + demoGenesis.markets.length, "demoGenesis itself lists none");
  assert.equal(commands.findIndex((command) => command.type === "registerOracleSource"), 1 + demoGenesis.markets.length);
  for (const market of demoGenesis.markets) {
    assert.equal(sources.filter((command) => "subject" in command && command.subject === market.symbol).length, 3, market.symbol);
  }
});

test("a feeder round against a node: every source accepted, the crypto index is the aggregate, a restart replays it", async (context) => {
  const dataDirectory = scratchDirectory(context);
  const options = { dataDirectory, logger: new RecordingLogger(), tickIntervalMs: 0, follower: false, genesis: oracleGenesis } as const;
  const node = await ExchangeNode.open(options);
  const feeder = new OracleFeeder({
    sources: demoOracleKeys(["BTC-PERP", "ETH-PERP"]),
    prices: new RandomWalkSource({ seed: 3, start: { "BTC-PERP": 95_000, "ETH-PERP": 35_000 } }),
    submit: (input) => node.submit(input),
    now: () => BigInt(Date.now()) * 1_000_000n,
  });
  assert.deepEqual(await feeder.publishOnce(), { submitted: 6, accepted: 6, rejected: 0 });
  assert.deepEqual(await feeder.publishOnce(), { submitted: 6, accepted: 6, rejected: 0 });
  const subject = node.exchange.oracles.subjectsByName.get("BTC-PERP")!;
  assert.ok(subject.healthy);
  const btc = node.exchange.perpMarkets.find((market) => market.spec.symbol === "BTC-PERP")!;
  assert.equal(btc.indexPrice, subject.price);
  // The three quotes sit at −0.005 %, 0, +0.005 % of the walk's price: the aggregate is within that.
  const quotes = subject.sources.map((source) => source.price);
  assert.ok(subject.price >= Math.min(...quotes) && subject.price <= Math.max(...quotes));
  const hash = exchangeStateHash(node.exchange);
  await node.close();
  const reopened = await ExchangeNode.open(options);
  assert.equal(exchangeStateHash(reopened.exchange), hash);
  await reopened.close();
});

test("price sources: CSV rows by time; the random walk is the same for the same seed", () => {
  const csv = new CsvPriceSource("time,subject,price,confidencePpm\n2024-01-02T14:30:00Z,AAPL-PERP,18550,990000\n2024-01-02T14:31:00Z,AAPL-PERP,18560\n");
  const at = (iso: string): bigint => BigInt(Date.parse(iso)) * 1_000_000n;
  assert.equal(csv.quote("AAPL-PERP", at("2024-01-02T14:29:59Z")), null);
  assert.deepEqual(csv.quote("AAPL-PERP", at("2024-01-02T14:30:30Z")), { price: 18_550, confidencePpm: 990_000 });
  assert.deepEqual(csv.quote("AAPL-PERP", at("2024-01-03T00:00:00Z")), { price: 18_560, confidencePpm: 1_000_000 });
  assert.equal(csv.quote("NVDA-PERP", at("2024-01-03T00:00:00Z")), null);
  assert.throws(() => new CsvPriceSource("when,what\n"), /header/);
  const walk = (seed: number): number[] => {
    const source = new RandomWalkSource({ seed, start: { "BTC-PERP": 95_000 } });
    return Array.from({ length: 5 }, () => source.quote("BTC-PERP")!.price);
  };
  assert.deepEqual(walk(9), walk(9));
  assert.notDeepEqual(walk(9), walk(10));
});

test("attachOracleFeeder registers the demo sources a plain demo log lacks, then feeds them", async (context) => {
  const dataDirectory = scratchDirectory(context);
  const node = await ExchangeNode.open({ dataDirectory, logger: new RecordingLogger(), tickIntervalMs: 0, follower: false });
  const feeder = await attachOracleFeeder(node, { mode: "random", intervalMs: 3_600_000, genesis: demoGenesis, logger: new RecordingLogger() });
  assert.equal(node.exchange.oracles.sourcesById.size, 21);
  assert.deepEqual(await feeder.publishOnce(), { submitted: 21, accepted: 21, rejected: 0 });
  await feeder.stop();
  await node.close();
  await assert.rejects(attachOracleFeeder(node, { mode: "nonsense", intervalMs: 1, genesis: demoGenesis, logger: new RecordingLogger() }));
});

test("the oracle, session and corporate-action commands round-trip through the JSON and binary codecs", async () => {
  const signed = await signOraclePrice({ privateKey: key.privateKey, quote });
  const commands: ExchangeCommandInput[] = [
    { type: "registerOracleSource", source: "s", subject: "BTC-PERP", signer: signed.signer, reputation: 90, weight: 1 },
    { type: "setOracleSource", source: "s", enabled: false },
    { type: "configureOracle", subject: "USDT", config: oracleConfigDefault },
    signed,
    { type: "marketSession", market: "AAPL-PERP", offHoursBandPpm: 50_000, offHoursMarginFactorPpm: 1_500_000 },
    { type: "scheduleSplit", market: "NVDA-PERP", numerator: 10, denominator: 1, effectiveTime: 5n },
    { type: "scheduleDividend", market: "AAPL-PERP", amountPerShare: 250_000, effectiveTime: 5n },
    { type: "cancelCorporateAction", id: 3 },
  ];
  for (const command of commands) {
    assert.deepEqual(decodeCommandJson(encodeCommandJson(command)), command, command.type);
    assert.deepEqual(decodeCommandBinary(encodeCommandBinary(command)), command, command.type);
  }
});
