// Proves the node's contract: genesis opens the log (the engine limits, then the perpetual markets with
// their PRD parameters), every command gets the next sequence and a later time, an acknowledgement comes
// only once the record is durable, rejected commands are journaled too, checkpoints land every N
// commands, a restart recovers the same state, the log's limits win over the configuration, GTD orders
// expire by tick on time, the follower yields the cores to the node's thread, and intake refuses
// cleanly (closed, busy, malformed, a genesis command)
// without consuming a sequence.
import assert from "node:assert/strict";
import { readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { getPriority } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { checkExchangeInvariants, defaultLimits, prdCircuitBreaker, prdRiskLimits } from "@perpdex/core";
import { CommandCodecError, decodeCommandBinary, type ExchangeCommandInput } from "@perpdex/protocol";
import {
  DataDirectoryLockedError,
  ExchangeNode,
  NodeBusyError,
  NodeClosedError,
  demoGenesis,
  genesisCommands,
  type ExchangeNodeOptions,
} from "../src/index.ts";
import { decodeRecord, encodeRecord, segmentHeaderBytes, type RecordKind } from "../src/journal/format.ts";
import { Journal } from "../src/journal/journal.ts";
import { CheckpointMismatchError } from "../src/errors.ts";
import { LogState } from "../src/log-state.ts";
import { replayRecords } from "../src/replay.ts";
import { hexOf, stateHashBytes } from "../src/state-hash.ts";
import { replayTool } from "../src/tools.ts";
import { RecordingLogger, alice, bob, delay, deposit, funding, limitOrder, place, scratchDirectory } from "./node-helpers.ts";

function options(dataDirectory: string, logger = new RecordingLogger(), extra: Partial<ExchangeNodeOptions> = {}): ExchangeNodeOptions {
  return { dataDirectory, logger, tickIntervalMs: 0, follower: false, ...extra };
}

interface RecordRead {
  readonly kind: string;
  readonly sequence: bigint;
  readonly time: bigint;
  readonly payload: Uint8Array;
  readonly auth: Uint8Array | undefined;
}

async function journalRecords(dataDirectory: string): Promise<RecordRead[]> {
  const journal = await Journal.open({ directory: `${dataDirectory}/journal`, logger: new RecordingLogger() });
  const records = [...journal.read({ fromSequence: 1n })].map((record) => ({
    kind: record.kind,
    sequence: record.sequence,
    time: record.time,
    payload: record.kind === "command" ? Uint8Array.from(record.payload) : new Uint8Array(0),
    auth: record.kind === "command" && record.auth !== undefined ? Uint8Array.from(record.auth) : undefined,
  }));
  await journal.close();
  return records;
}

// Bursts of alternating orders from alice and bob (limit prices 1, 2, …), each burst submitted in one
// turn and acknowledged before the next, `pauseMs` apart.
async function placeBursts(node: ExchangeNode, shape: { bursts: number; orders: number; pauseMs?: number }): Promise<void> {
  for (let burst = 0; burst < shape.bursts; burst += 1) {
    await Promise.all(Array.from({ length: shape.orders }, (_, index) => node.submit(place(index % 2 ? alice : bob, limitOrder(index % 2 ? "buy" : "sell", 1 + index)))));
    if (shape.pauseMs !== undefined) await delay(shape.pauseMs);
  }
}

// Genesis: the genesis command, then the seven markets.
const genesisLength = genesisCommands(demoGenesis).length;

test("node: genesis becomes the first commands of an empty log", async (context) => {
  const dataDirectory = scratchDirectory(context);
  const node = await ExchangeNode.open(options(dataDirectory));
  assert.equal(genesisLength, 8);
  assert.equal(node.lastSequence, genesisLength);
  assert.deepEqual(
    node.exchange.engine.markets.map((market) => market.symbol),
    ["SPY-PERP", "QQQ-PERP", "AAPL-PERP", "NVDA-PERP", "TSLA-PERP", "BTC-PERP", "ETH-PERP"],
  );
  assert.deepEqual(node.exchange.engine.limits, defaultLimits);
  await node.close();
  const commands = (await journalRecords(dataDirectory)).filter((record) => record.kind === "command");
  assert.deepEqual(commands.map((record) => record.sequence), [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n]);
  assert.deepEqual(decodeCommandBinary(commands[0]!.payload), { type: "genesis", limits: defaultLimits }, "the limits are in the log");
});

// PRD §8.3: index ETFs 100x, blue chips 50x, tech 20x; crypto 100x. Default leverage min(10, cap).
const demoMarketTable = [
  { symbol: "SPY-PERP", assetClass: "indexEtf", leverageMax: 100, quotePerTickLot: 100 },
  { symbol: "QQQ-PERP", assetClass: "indexEtf", leverageMax: 100, quotePerTickLot: 100 },
  { symbol: "AAPL-PERP", assetClass: "blueChip", leverageMax: 50, quotePerTickLot: 100 },
  { symbol: "NVDA-PERP", assetClass: "tech", leverageMax: 20, quotePerTickLot: 100 },
  { symbol: "TSLA-PERP", assetClass: "tech", leverageMax: 20, quotePerTickLot: 100 },
  { symbol: "BTC-PERP", assetClass: "crypto", leverageMax: 100, quotePerTickLot: 1_000 },
  { symbol: "ETH-PERP", assetClass: "crypto", leverageMax: 100, quotePerTickLot: 1_000 },
] as const;

test("node: the demo markets are perpetuals with the PRD's parameters", async (context) => {
  const node = await ExchangeNode.open(options(scratchDirectory(context)));
  for (const [index, expected] of demoMarketTable.entries()) {
    const perpMarket = node.exchange.perpMarkets[index]!;
    const { spec } = perpMarket;
    assert.equal(spec.symbol, expected.symbol);
    assert.equal(spec.assetClass, expected.assetClass, expected.symbol);
    assert.equal(spec.marginProfile, "prd", expected.symbol);
    assert.equal(spec.leverageMax, expected.leverageMax, expected.symbol);
    assert.equal(spec.leverageDefault, 10, expected.symbol);
    assert.equal(perpMarket.quotePerTickLot, expected.quotePerTickLot, `${expected.symbol}: µUSD per tick-lot`);
    assert.equal(perpMarket.indexPrice, spec.referencePriceTicks, `${expected.symbol}: the index starts at the reference`);
    assert.deepEqual(spec.riskLimits, prdRiskLimits, `${expected.symbol}: PRD §2.7.1 risk limits`);
    assert.deepEqual(spec.circuitBreaker, prdCircuitBreaker, `${expected.symbol}: PRD §2.7.2 circuit breakers`);
  }
  await node.close();
});

test("node: a perpetual session — deposit, trade, move the index, withdraw — survives a restart", async (context) => {
  const dataDirectory = scratchDirectory(context);
  let node = await ExchangeNode.open(options(dataDirectory));
  const unfunded = await node.submit(place(alice, limitOrder("buy", 1)));
  assert.ok(!unfunded.result.ok && unfunded.result.code === "MARGIN_INSUFFICIENT", "no collateral, no order");
  const acks = [];
  for (const input of [
    ...funding,
    { type: "deposit", account: alice, asset: "DAI", amount: 5_000n * 10n ** 18n, reference: "dai-1" },
    { type: "setMarginMode", account: bob, market: "AAPL-PERP", mode: "cross" },
    { type: "setLeverage", account: alice, market: "AAPL-PERP", leverage: 20 },
    place(alice, limitOrder("sell", 2, 500)),
    place(bob, limitOrder("buy", -2, 300)),
    { type: "indexPrice", market: "AAPL-PERP", price: 23_150 },
    { type: "collateralPrice", asset: "DAI", pricePpm: 998_000 },
    { type: "withdraw", account: bob, asset: "USDC", amount: 1_000_000n },
    { type: "withdraw", account: bob, asset: "USDC", amount: 2_000_000n * 1_000_000n },
  ] satisfies ExchangeCommandInput[]) {
    acks.push(await node.submit(input));
  }
  const codes = acks.map((ack) => (ack.result.ok ? "ok" : ack.result.code));
  assert.deepEqual(codes, ["ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "WITHDRAWAL_INSUFFICIENT"]);
  assert.ok(acks[6]!.events.some((event) => event.type === "TradeExecuted"), "bob's buy takes alice's sell");
  const market = node.exchange.engine.market("AAPL-PERP")!;
  assert.equal(node.exchange.position(node.exchange.engine.accounts.find(alice)!, market.index)?.size, -300);
  assert.equal(node.exchange.position(node.exchange.engine.accounts.find(bob)!, market.index)?.mode, "cross");
  checkExchangeInvariants(node.exchange);
  const hash = node.stateHash();
  await node.close();
  node = await ExchangeNode.open(options(dataDirectory));
  assert.equal(node.stateHash(), hash);
  checkExchangeInvariants(node.exchange);
  await node.close();
});

test("node: the engine limits come from the log's genesis command, not from the configuration", async (context) => {
  const dataDirectory = scratchDirectory(context);
  const genesis = { ...demoGenesis, limits: { ...defaultLimits, ordersPerAccountMax: 2 } };
  let node = await ExchangeNode.open(options(dataDirectory, new RecordingLogger(), { genesis }));
  await node.submit(deposit(alice));
  const acks = [];
  for (let index = 0; index < 3; index += 1) acks.push(await node.submit(place(alice, limitOrder("buy", 1 + index))));
  assert.deepEqual(acks.map((ack) => ack.result.ok), [true, true, false], "the third resting order passes the limit of 2");
  const hash = node.stateHash();
  await node.close();
  // Reopened with the demo configuration (default limits): the log's limits stay.
  node = await ExchangeNode.open(options(dataDirectory));
  assert.equal(node.exchange.engine.limits.ordersPerAccountMax, 2);
  assert.equal(node.stateHash(), hash);
  await node.close();
  const replayed = await replayTool({ dataDirectory, logger: new RecordingLogger(), verify: true, fromSnapshot: false });
  assert.equal(replayed.stateHash, hash, "replay from genesis builds the exchange with the logged limits");
});

test("node: acknowledgements come in sequence order, after durability, with results and events", async (context) => {
  const node = await ExchangeNode.open(options(scratchDirectory(context)));
  await Promise.all(funding.map((input) => node.submit(input)));
  const start = node.lastSequence;
  const inputs: ExchangeCommandInput[] = [
    place(alice, limitOrder("sell", 2, 5)),
    place(bob, limitOrder("buy", -2, 3)),
    place(bob, { ...limitOrder("buy", 1), market: "NOPE-PERP" }),
    { type: "cancelAll", account: alice },
  ];
  const durableAtAck: number[] = [];
  const acks = await Promise.all(
    inputs.map((input) =>
      node.submit(input).then((ack) => {
        durableAtAck.push(node.durableSequence);
        return ack;
      }),
    ),
  );
  assert.deepEqual(acks.map((ack) => ack.sequence), [start + 1, start + 2, start + 3, start + 4]);
  for (const [index, ack] of acks.entries()) assert.ok(durableAtAck[index]! >= ack.sequence, "acknowledged before durable");
  for (let index = 1; index < acks.length; index += 1) assert.ok(acks[index]!.time > acks[index - 1]!.time);
  assert.ok(acks[1]!.events.some((event) => event.type === "TradeExecuted"), "bob's buy takes alice's sell");
  assert.equal(acks[2]!.result.ok, false, "an unknown market is rejected ...");
  assert.ok(!acks[2]!.result.ok && acks[2]!.result.code === "MARKET_NOT_FOUND");
  await node.close();
});

test("node: a restart recovers the same state, rejected commands included, and checkpoints every N", async (context) => {
  const dataDirectory = scratchDirectory(context);
  let node = await ExchangeNode.open(options(dataDirectory, new RecordingLogger(), { checkpointEvery: 10 }));
  const acks = funding.map((input) => node.submit(input));
  for (let index = 0; index < 40; index += 1) {
    const side = index % 2 === 0 ? "buy" : "sell";
    acks.push(node.submit(place(index % 3 === 0 ? alice : bob, limitOrder(side, 1 + (index % 7), 1 + index))));
    if (index % 5 === 0) acks.push(node.submit(place(alice, limitOrder("buy", 100_000))));
  }
  const results = await Promise.all(acks);
  assert.ok(results.some((ack) => !ack.result.ok), "some commands are rejected (price band)");
  const hash = node.stateHash();
  const lastSequence = node.lastSequence;
  await node.close();
  const records = await journalRecords(dataDirectory);
  const checkpoints = records.filter((record) => record.kind === "checkpoint").map((record) => Number(record.sequence));
  assert.equal(lastSequence, genesisLength + 2 + 48);
  assert.deepEqual(checkpoints, [10, 20, 30, 40, 50, 58], "every 10 commands, and a final one on close");
  const logger = new RecordingLogger();
  node = await ExchangeNode.open(options(dataDirectory, logger));
  assert.equal(node.lastSequence, lastSequence);
  assert.equal(node.stateHash(), hash);
  checkExchangeInvariants(node.exchange);
  const recovered = logger.lines.find((line) => line.message === "node: recovered");
  assert.equal(recovered?.object.checkpointsVerified, 6);
  await node.close();
});

test("node: a GTD order expires by a tick at its time, with periodic ticks off", async (context) => {
  const node = await ExchangeNode.open(options(scratchDirectory(context)));
  await node.submit(deposit(alice));
  const engine = node.exchange.engine;
  const expiresAt = engine.lastTime + 60_000_000n > BigInt(Date.now()) * 1_000_000n ? engine.lastTime + 60_000_000n : BigInt(Date.now()) * 1_000_000n + 60_000_000n;
  const ack = await node.submit(place(alice, limitOrder("buy", 3, 1, { timeInForce: "GTD", expiresAt })));
  assert.ok(ack.result.ok);
  assert.equal(engine.orderIndex.count, 1);
  await delay(250);
  assert.equal(engine.orderIndex.count, 0, "expired without any other command");
  assert.ok(engine.lastTime >= expiresAt);
  await node.close();
});

test("node: periodic ticks move exchange time forward", async (context) => {
  const node = await ExchangeNode.open(options(scratchDirectory(context), new RecordingLogger(), { tickIntervalMs: 20 }));
  const before = node.lastSequence;
  await delay(200);
  assert.ok(node.lastSequence >= before + 3, `ticks were sequenced: ${node.lastSequence - before}`);
  await node.close();
});

test("node: intake refuses without consuming a sequence", async (context) => {
  const dataDirectory = scratchDirectory(context);
  const node = await ExchangeNode.open(options(dataDirectory, new RecordingLogger(), { inFlightCommandsMax: 2 }));
  const start = node.lastSequence;
  await assert.rejects(node.submit({ type: "tick", extra: 1 } as unknown as ExchangeCommandInput), CommandCodecError);
  await assert.rejects(node.submit({ type: "genesis", limits: defaultLimits } as unknown as ExchangeCommandInput), CommandCodecError, "only the node opens a log");
  const first = node.submit({ type: "tick" });
  const second = node.submit({ type: "tick" });
  await assert.rejects(node.submit({ type: "tick" }), NodeBusyError);
  await Promise.all([first, second]);
  assert.equal(node.lastSequence, start + 2);
  await assert.rejects(ExchangeNode.open(options(dataDirectory)), DataDirectoryLockedError);
  await node.close();
  await assert.rejects(node.submit({ type: "tick" }), NodeClosedError);
});

test("node: the follower snapshots, and a restart starts from the snapshot", async (context) => {
  const dataDirectory = scratchDirectory(context);
  const logger = new RecordingLogger();
  let node = await ExchangeNode.open(options(dataDirectory, logger, { follower: true, snapshotEvery: 50, checkpointEvery: 25 }));
  await Promise.all(funding.map((input) => node.submit(input)));
  await placeBursts(node, { bursts: 4, orders: 30 });
  const hash = node.stateHash();
  await node.close();
  const written = logger.lines.filter((line) => line.message === "node: snapshot written").map((line) => line.object.sequence);
  assert.ok(written.length >= 2, `snapshots: ${written.join(", ")}`);
  assert.equal(written.at(-1), node.lastSequence, "a final snapshot on close");
  const restarted = new RecordingLogger();
  node = await ExchangeNode.open(options(dataDirectory, restarted));
  const recovered = restarted.lines.find((line) => line.message === "node: recovered");
  assert.equal(recovered?.object.snapshotSequence, node.lastSequence);
  assert.equal(recovered?.object.replayedCommands, 0);
  assert.equal(node.stateHash(), hash);
  await node.close();
});

// The segment file and byte offset of the first record of `kind` in the journal.
function firstRecordOf(dataDirectory: string, kind: RecordKind): { file: string; offset: number; sequence: bigint } {
  const directory = path.join(dataDirectory, "journal");
  for (const name of readdirSync(directory).filter((entry) => entry.endsWith(".journal")).sort()) {
    const file = path.join(directory, name);
    const bytes = readFileSync(file);
    for (let offset = segmentHeaderBytes; offset < bytes.length; ) {
      const decoded = decodeRecord(bytes, offset, bytes.length);
      assert.equal(decoded.status, "valid");
      if (decoded.status !== "valid") break;
      if (decoded.kind === kind) return { file, offset, sequence: decoded.sequence };
      offset += decoded.recordBytes;
    }
  }
  return assert.fail(`no ${kind} record in the journal`);
}

test("node: with a follower, checkpoints are hashed off the node's thread and journaled later; recovery adds the ones a stop left out", async (context) => {
  const dataDirectory = scratchDirectory(context);
  const logger = new RecordingLogger();
  let node = await ExchangeNode.open(options(dataDirectory, logger, { follower: true, checkpointEvery: 10 }));
  await Promise.all(funding.map((input) => node.submit(input)));
  // Room for the follower's reports to come back between bursts (they need not: close waits for them).
  await placeBursts(node, { bursts: 5, orders: 13, pauseMs: 30 });
  const lastSequence = node.lastSequence;
  assert.equal(lastSequence, 75, "genesis (8), 2 deposits, 65 orders");
  await node.close();
  assert.deepEqual(
    logger.lines.filter((line) => line.message === "node: checkpoint").map((line) => line.object.sequence),
    [String(lastSequence)],
    "the node's thread hashed the state once, on close",
  );
  let records = await journalRecords(dataDirectory);
  const multiples = Array.from({ length: Math.floor(lastSequence / 10) }, (_, index) => 10 * (index + 1));
  const sequencesOf = (kind: string): number[] => records.filter((record) => record.kind === kind).map((record) => Number(record.sequence));
  assert.deepEqual(sequencesOf("checkpointDue"), multiples, "a checkpoint-due record right behind every 10th command");
  assert.deepEqual(sequencesOf("checkpoint"), [lastSequence], "the final checkpoint on close");
  assert.deepEqual(sequencesOf("deferredCheckpoint").sort((left, right) => left - right), multiples, "every due checkpoint's hash, journaled later");
  for (const [index, record] of records.entries()) {
    if (record.kind !== "deferredCheckpoint") continue;
    const due = records.findIndex((other) => other.kind === "checkpointDue" && other.sequence === record.sequence);
    assert.ok(due >= 0 && due < index, "a deferred checkpoint follows its due record");
  }
  const verified = await replayTool({ dataDirectory, logger: new RecordingLogger(), verify: true, fromSnapshot: false });
  assert.equal(verified.ok, true);
  assert.equal(verified.checkpointsUnconfirmed, 0);
  assert.ok(verified.hashesVerified >= multiples.length + 1, "every checkpoint was compared");

  // A node stopped between a due record and its deferred checkpoint: cut the log there (and what
  // follows), as a crash would, and drop the snapshots, which were written later.
  const cut = firstRecordOf(dataDirectory, "deferredCheckpoint");
  truncateSync(cut.file, cut.offset);
  rmSync(path.join(dataDirectory, "snapshots"), { recursive: true, force: true });
  const unconfirmed = await replayTool({ dataDirectory, logger: new RecordingLogger(), verify: true, fromSnapshot: false });
  assert.equal(unconfirmed.ok, true);
  assert.ok(unconfirmed.checkpointsUnconfirmed >= 1, "the cut log has a due record without its hash");
  const restarted = new RecordingLogger();
  node = await ExchangeNode.open(options(dataDirectory, restarted, { checkpointEvery: 1_000 }));
  await node.submit(deposit(alice, 1));
  await node.close();
  records = await journalRecords(dataDirectory);
  assert.ok(sequencesOf("deferredCheckpoint").includes(Number(cut.sequence)), "recovery hashed the due record and the node journaled it");
  const completed = await replayTool({ dataDirectory, logger: new RecordingLogger(), verify: true, fromSnapshot: false });
  assert.equal(completed.ok, true);
  assert.equal(completed.checkpointsUnconfirmed, 0);
});

test("node: a checkpoint is skipped, not queued, while the follower still owes a hash; the log verifies", async (context) => {
  const dataDirectory = scratchDirectory(context);
  const logger = new RecordingLogger();
  // A checkpoint after every command, and none asked of the follower while it owes one: each burst of
  // commands submitted in one turn gets a due record at its first command only.
  const node = await ExchangeNode.open(options(dataDirectory, logger, { follower: true, checkpointEvery: 1, checkpointBacklogMs: 0 }));
  await Promise.all(funding.map((input) => node.submit(input)));
  await placeBursts(node, { bursts: 4, orders: 20, pauseMs: 40 });
  const lastSequence = node.lastSequence;
  const { recorded, skipped } = node.statistics.checkpoints;
  await node.close();
  const skippedLines = logger.lines.filter((line) => line.message === "node: checkpoint skipped, the follower is still hashing an earlier one");
  assert.equal(skippedLines.length, skipped);
  assert.ok(skipped >= 4 * 19, `each burst of 20 skips at least 19 checkpoints, skipped ${skipped}`);
  const records = await journalRecords(dataDirectory);
  const sequencesOf = (kind: string): number[] => records.filter((record) => record.kind === kind).map((record) => Number(record.sequence));
  const due = sequencesOf("checkpointDue");
  assert.equal(due.length, recorded, "every checkpoint recorded before close is a due record");
  assert.equal(recorded + skipped, lastSequence, "every command was checkpointed or skipped");
  const skippedSequences = new Set(skippedLines.map((line) => line.object.sequence as number));
  for (const sequence of due) assert.ok(!skippedSequences.has(sequence), `sequence ${sequence} was both skipped and recorded`);
  assert.deepEqual(sequencesOf("deferredCheckpoint").sort((left, right) => left - right), due, "every due record got its hash");
  assert.deepEqual(sequencesOf("checkpoint"), [lastSequence], "and the final checkpoint on close");
  const verified = await replayTool({ dataDirectory, logger: new RecordingLogger(), verify: true, fromSnapshot: false });
  assert.equal(verified.ok, true);
  assert.equal(verified.checkpointsUnconfirmed, 0);
  assert.ok(verified.hashesVerified >= due.length + 1);
});

// Rewrites every journal segment through `change`, which sees each record and returns its bytes to
// keep (the same, altered, or none). Records carry their own checksums, so a segment without some of
// them still reads as a whole log.
function rewriteJournal(dataDirectory: string, change: (bytes: Buffer, record: { kind: RecordKind; sequence: bigint; time: bigint }) => Buffer | undefined): void {
  const directory = path.join(dataDirectory, "journal");
  for (const name of readdirSync(directory).filter((entry) => entry.endsWith(".journal"))) {
    const file = path.join(directory, name);
    const bytes = readFileSync(file);
    const kept: Buffer[] = [bytes.subarray(0, segmentHeaderBytes)];
    for (let offset = segmentHeaderBytes; offset < bytes.length; ) {
      const decoded = decodeRecord(bytes, offset, bytes.length);
      assert.equal(decoded.status, "valid");
      if (decoded.status !== "valid") break;
      const record = Buffer.from(bytes.subarray(offset, offset + decoded.recordBytes));
      const changed = change(record, decoded);
      if (changed !== undefined) kept.push(changed);
      offset += decoded.recordBytes;
    }
    writeFileSync(file, Buffer.concat(kept));
  }
}

// 75 commands with a follower and a checkpoint every 10: checkpoint-due records at 10, 20, … 70, each
// with its deferred checkpoint, and a final checkpoint at 75. The snapshots are dropped, so a restart
// replays the whole log.
async function checkpointedLog(dataDirectory: string): Promise<string> {
  const node = await ExchangeNode.open(options(dataDirectory, new RecordingLogger(), { follower: true, checkpointEvery: 10 }));
  await Promise.all(funding.map((input) => node.submit(input)));
  await placeBursts(node, { bursts: 5, orders: 13, pauseMs: 30 });
  assert.equal(node.lastSequence, 75);
  const hash = node.stateHash();
  await node.close();
  rmSync(path.join(dataDirectory, "snapshots"), { recursive: true, force: true });
  return hash;
}

test("node: with a follower, recovery hashes only at the log's last checkpoint; the follower checks the others and hashes the due records a stop left without", async (context) => {
  const dataDirectory = scratchDirectory(context);
  const hash = await checkpointedLog(dataDirectory);
  // A follower that lagged behind when the node stopped: the due records at 10 and 20 have no hash.
  rewriteJournal(dataDirectory, (bytes, record) => (record.kind === "deferredCheckpoint" && record.sequence <= 20n ? undefined : bytes));
  const before = await replayTool({ dataDirectory, logger: new RecordingLogger(), verify: true, fromSnapshot: false });
  assert.equal(before.ok, true);
  assert.equal(before.checkpointsUnconfirmed, 2);

  const logger = new RecordingLogger();
  const node = await ExchangeNode.open(options(dataDirectory, logger, { follower: true, checkpointEvery: 1_000 }));
  const recovered = logger.lines.find((line) => line.message === "node: recovered")?.object;
  assert.equal(recovered?.replayedCommands, 75);
  assert.equal(recovered?.checkpointsVerified, 1, "the node hashed the state once, at the final checkpoint (75)");
  assert.equal(recovered?.checkpointsLeftToFollower, 7, "the due records at 10 … 70");
  assert.equal(node.stateHash(), hash);
  await node.submit(deposit(alice, 1));
  await node.close();
  assert.equal(logger.lines.filter((line) => line.level === "error").length, 0, "the follower found every checkpoint right");
  const records = await journalRecords(dataDirectory);
  const deferred = records.filter((record) => record.kind === "deferredCheckpoint").map((record) => Number(record.sequence));
  assert.ok(deferred.includes(10) && deferred.includes(20), `the follower's hashes of 10 and 20 were journaled: ${deferred.join(", ")}`);
  const after = await replayTool({ dataDirectory, logger: new RecordingLogger(), verify: true, fromSnapshot: false });
  assert.equal(after.ok, true);
  assert.equal(after.checkpointsUnconfirmed, 0);
});

test("replay: holding the last checkpoint compares every other one and returns the last uncompared, for a snapshot to check", async (context) => {
  const dataDirectory = scratchDirectory(context);
  const node = await ExchangeNode.open(options(dataDirectory, new RecordingLogger(), { checkpointEvery: 10 }));
  await Promise.all(funding.map((input) => node.submit(input)));
  await placeBursts(node, { bursts: 3, orders: 9 });
  const hash = node.stateHash();
  const lastSequence = node.lastSequence;
  await node.close();
  const replayed = async (holdLastCheckpoint: boolean) => {
    const journal = await Journal.open({ directory: path.join(dataDirectory, "journal"), logger: new RecordingLogger() });
    const state = new LogState();
    try {
      return { state, summary: replayRecords({ state, records: journal.read({ fromSequence: 1n }), verifyCheckpoints: true, holdLastCheckpoint }) };
    } finally {
      await journal.close();
    }
  };
  const plain = await replayed(false);
  const held = await replayed(true);
  // Checkpoints every 10 commands and a final one at the close.
  assert.ok(lastSequence % 10 !== 0 && plain.summary.hashesVerified === Math.floor(lastSequence / 10) + 1, `${plain.summary.hashesVerified} at ${lastSequence}`);
  assert.equal(plain.summary.heldCheckpoint, undefined);
  assert.equal(held.summary.hashesVerified, plain.summary.hashesVerified - 1, "all but the last compared");
  assert.equal(held.summary.heldCheckpoint?.sequence, lastSequence);
  assert.equal(hexOf(held.summary.heldCheckpoint!.expected), hash);
  assert.equal(hexOf(stateHashBytes(held.state.exchange)), hash, "the state is the one the held checkpoint names");
  // A wrong hash at a checkpoint followed by more records is still found.
  rewriteJournal(dataDirectory, (bytes, record) => {
    if (record.kind !== "checkpoint" || record.sequence !== 20n) return bytes;
    encodeRecord(bytes, 0, { kind: "checkpoint", sequence: record.sequence, time: record.time, payload: new Uint8Array(32).fill(0xee) });
    return bytes;
  });
  await assert.rejects(replayed(true), (error: unknown) => error instanceof CheckpointMismatchError && error.sequence === 20);
});

test("node: a recorded hash recovery left to the follower that the replay does not reach stops the node", async (context) => {
  const dataDirectory = scratchDirectory(context);
  await checkpointedLog(dataDirectory);
  // The deferred checkpoint of 10 records a hash no replay reaches; its checksums are valid.
  rewriteJournal(dataDirectory, (bytes, record) => {
    if (record.kind !== "deferredCheckpoint" || record.sequence !== 10n) return bytes;
    encodeRecord(bytes, 0, { kind: "deferredCheckpoint", sequence: record.sequence, time: record.time, payload: new Uint8Array(32).fill(0xee) });
    return bytes;
  });
  const logger = new RecordingLogger();
  // The node's own check (at 75) passes, so it starts; the follower's check of 10 then stops it.
  const node = await ExchangeNode.open(options(dataDirectory, logger, { follower: true, checkpointEvery: 1_000 }));
  const divergence = (): Record<string, unknown> | undefined => logger.lines.find((line) => line.message === "follower: state hash differs from the node's checkpoint")?.object;
  for (let waited = 0; divergence() === undefined && waited < 20_000; waited += 20) await delay(20);
  assert.equal(divergence()?.sequence, 10);
  await assert.rejects(node.submit(deposit(alice, 1)), NodeClosedError);
  await node.close();
});

// The nice value of every thread of this process (field 19 of /proc/self/task/<tid>/stat).
function threadNicenesses(): number[] {
  const nicenesses: number[] = [];
  for (const thread of readdirSync("/proc/self/task")) {
    try {
      nicenesses.push(Number(readFileSync(`/proc/self/task/${thread}/stat`, "utf8").split(") ")[1]!.split(" ")[16]));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return nicenesses;
}

test("node: the follower thread runs at a lower priority than the node's (Linux)", { skip: process.platform !== "linux" }, async (context) => {
  const dataDirectory = scratchDirectory(context);
  const logger = new RecordingLogger();
  const lowered = Math.min(19, getPriority(process.pid) + 5);
  // An earlier test's follower thread may still be ending: bounded wait until none runs lowered.
  for (let attempt = 0; attempt < 500 && threadNicenesses().includes(lowered); attempt += 1) await delay(10);
  assert.ok(!threadNicenesses().includes(lowered), "no thread ran at the lowered priority before");
  const node = await ExchangeNode.open(options(dataDirectory, logger, { follower: true }));
  try {
    // Bounded wait for the thread's start-up (it lowers its priority before it reports ready).
    for (let attempt = 0; attempt < 1_000 && !logger.messages("info").includes("follower: ready"); attempt += 1) await delay(10);
    assert.ok(threadNicenesses().includes(lowered), "the follower's thread runs at the lowered priority");
  } finally {
    await node.close();
  }
});
