// Proves the node's contract: genesis opens the log, every command gets the next sequence and a later
// time, an acknowledgement comes only once the record is durable, rejected commands are journaled too,
// checkpoints land every N commands, a restart recovers the same state, GTD orders expire by tick on
// time, and intake refuses cleanly (closed, busy, malformed) without consuming a sequence.
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkInvariants, type CommandInput } from "@perpdex/core";
import { CommandCodecError } from "@perpdex/protocol";
import { DataDirectoryLockedError, ExchangeNode, NodeBusyError, NodeClosedError, demoGenesis, type ExchangeNodeOptions } from "../src/index.ts";
import { Journal } from "../src/journal/journal.ts";
import { RecordingLogger, alice, bob, delay, limitOrder, place, scratchDirectory } from "./node-helpers.ts";

function options(dataDirectory: string, logger = new RecordingLogger(), extra: Partial<ExchangeNodeOptions> = {}): ExchangeNodeOptions {
  return { dataDirectory, logger, tickIntervalMs: 0, follower: false, ...extra };
}

async function journalRecords(dataDirectory: string): Promise<{ kind: string; sequence: bigint; time: bigint }[]> {
  const journal = await Journal.open({ directory: `${dataDirectory}/journal`, logger: new RecordingLogger() });
  const records = [...journal.read({ fromSequence: 1n })].map(({ kind, sequence, time }) => ({ kind, sequence, time }));
  await journal.close();
  return records;
}

test("node: genesis becomes the first commands of an empty log", async (context) => {
  const dataDirectory = scratchDirectory(context);
  const node = await ExchangeNode.open(options(dataDirectory));
  assert.equal(node.lastSequence, demoGenesis.markets.length);
  assert.deepEqual(
    node.engine.markets.map((market) => market.symbol),
    ["SPY-PERP", "QQQ-PERP", "AAPL-PERP", "NVDA-PERP", "TSLA-PERP", "BTC-PERP", "ETH-PERP"],
  );
  await node.close();
  const records = await journalRecords(dataDirectory);
  assert.deepEqual(records.filter((record) => record.kind === "command").map((record) => record.sequence), [1n, 2n, 3n, 4n, 5n, 6n, 7n]);
});

test("node: acknowledgements come in sequence order, after durability, with results and events", async (context) => {
  const node = await ExchangeNode.open(options(scratchDirectory(context)));
  const inputs: CommandInput[] = [
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
  assert.deepEqual(acks.map((ack) => ack.sequence), [8, 9, 10, 11]);
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
  const acks = [];
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
  assert.equal(lastSequence, 55);
  assert.deepEqual(checkpoints, [10, 20, 30, 40, 50, 55], "every 10 commands, and a final one on close");
  const logger = new RecordingLogger();
  node = await ExchangeNode.open(options(dataDirectory, logger));
  assert.equal(node.lastSequence, lastSequence);
  assert.equal(node.stateHash(), hash);
  checkInvariants(node.engine);
  const recovered = logger.lines.find((line) => line.message === "node: recovered");
  assert.equal(recovered?.object.checkpointsVerified, 6);
  await node.close();
});

test("node: a GTD order expires by a tick at its time, with periodic ticks off", async (context) => {
  const node = await ExchangeNode.open(options(scratchDirectory(context)));
  const expiresAt = node.engine.lastTime + 60_000_000n > BigInt(Date.now()) * 1_000_000n ? node.engine.lastTime + 60_000_000n : BigInt(Date.now()) * 1_000_000n + 60_000_000n;
  const ack = await node.submit(place(alice, limitOrder("buy", 3, 1, { timeInForce: "GTD", expiresAt })));
  assert.ok(ack.result.ok);
  assert.equal(node.engine.orderIndex.count, 1);
  await delay(250);
  assert.equal(node.engine.orderIndex.count, 0, "expired without any other command");
  assert.ok(node.engine.lastTime >= expiresAt);
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
  await assert.rejects(node.submit({ type: "tick", extra: 1 } as unknown as CommandInput), CommandCodecError);
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
  for (let round = 0; round < 4; round += 1) {
    await Promise.all(Array.from({ length: 30 }, (_, index) => node.submit(place(index % 2 ? alice : bob, limitOrder(index % 2 ? "buy" : "sell", 1 + index)))));
  }
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
