// Proves the node's intake extras: the opaque auth envelope is stored verbatim in the command's journal
// record, comes back from every reader (the journal, and replay from genesis gives the same state
// whether or not commands carried one), is bounded and never reaches the core; and `submitMany`
// acknowledges a group with one promise, in sequence order, with the same results `submit` gives;
// read models (onApplied) see every command once, in order, only once durable and before its sender
// does; and a failed journal write fails every waiting sender and stops the node.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ExchangeCommandInput } from "@perpdex/protocol";
import type { FileHandle } from "node:fs/promises";
import { ExchangeNode, NodeClosedError, NodeError, type AppliedCommand, type ExchangeNodeOptions } from "../src/index.ts";
import { Journal } from "../src/journal/journal.ts";
import { replayTool } from "../src/tools.ts";
import { RecordingLogger, alice, bob, funding, limitOrder, place, scratchDirectory } from "./node-helpers.ts";

function options(dataDirectory: string, extra: Partial<ExchangeNodeOptions> = {}): ExchangeNodeOptions {
  return { dataDirectory, logger: new RecordingLogger(), tickIntervalMs: 0, follower: false, ...extra };
}

async function authsBySequence(dataDirectory: string): Promise<Map<bigint, Uint8Array | undefined>> {
  const journal = await Journal.open({ directory: `${dataDirectory}/journal`, logger: new RecordingLogger() });
  const auths = new Map<bigint, Uint8Array | undefined>();
  for (const record of journal.read({ fromSequence: 1n })) {
    if (record.kind === "command") auths.set(record.sequence, record.auth === undefined ? undefined : Uint8Array.from(record.auth));
  }
  await journal.close();
  return auths;
}

test("intake: the auth envelope is journaled verbatim with its command and read back", async (context) => {
  const dataDirectory = scratchDirectory(context);
  const node = await ExchangeNode.open(options(dataDirectory));
  const envelope = new TextEncoder().encode('{"request":{"type":"deposit"},"signature":"0xdeadbeef"}');
  const binary = Uint8Array.from({ length: 300 }, (_, index) => (index * 37) & 0xff);
  const first = await node.submit(funding[0]!, envelope);
  const second = await node.submit(funding[1]!);
  const third = await node.submit(place(alice, limitOrder("sell", 2, 5)), binary);
  const empty = await node.submit({ type: "tick" }, new Uint8Array(0));
  assert.ok(first.result.ok && second.result.ok && third.result.ok && empty.result.ok);
  const hash = node.stateHash();
  await node.close();
  const auths = await authsBySequence(dataDirectory);
  assert.deepEqual(auths.get(BigInt(first.sequence)), envelope);
  assert.equal(auths.get(BigInt(second.sequence)), undefined, "no envelope, none stored");
  assert.deepEqual(auths.get(BigInt(third.sequence)), binary);
  assert.equal(auths.get(BigInt(empty.sequence)), undefined, "an empty envelope is none");
  assert.equal(auths.get(1n), undefined, "the node's own genesis commands carry none");
  // The core never sees the envelope: replay from genesis reaches the node's state.
  const replayed = await replayTool({ dataDirectory, logger: new RecordingLogger(), verify: true, fromSnapshot: false });
  assert.equal(replayed.stateHash, hash);
});

test("intake: an auth envelope that is too large or not bytes is refused without a sequence", async (context) => {
  const node = await ExchangeNode.open(options(scratchDirectory(context), { journal: { authBytesMax: 16 } }));
  const start = node.lastSequence;
  await assert.rejects(node.submit({ type: "tick" }, new Uint8Array(17)), NodeError);
  await assert.rejects(node.submit({ type: "tick" }, "signature" as unknown as Uint8Array), NodeError);
  assert.equal(node.lastSequence, start);
  const ack = await node.submit({ type: "tick" }, new Uint8Array(16).fill(9));
  assert.equal(ack.sequence, start + 1);
  await node.close();
});

test("intake: submitMany acknowledges a group at once, in order, like submit", async (context) => {
  const dataDirectory = scratchDirectory(context);
  const node = await ExchangeNode.open(options(dataDirectory));
  const start = node.lastSequence;
  const inputs: ExchangeCommandInput[] = [
    ...funding,
    place(alice, limitOrder("sell", 2, 5)),
    place(bob, limitOrder("buy", -2, 3)),
    place(bob, { ...limitOrder("buy", 1), market: "NOPE-PERP" }),
    { type: "cancelAll", account: alice },
  ];
  const auth = new Uint8Array([1, 2, 3]);
  const acks = await node.submitMany(inputs, [undefined, auth]);
  assert.deepEqual(acks.map((ack) => ack.sequence), inputs.map((_, index) => start + 1 + index));
  assert.ok(node.durableSequence >= start + inputs.length);
  assert.ok(acks[3]!.events.some((event) => event.type === "TradeExecuted"), "bob's buy takes alice's sell");
  assert.ok(!acks[4]!.result.ok && acks[4]!.result.code === "MARKET_NOT_FOUND");
  assert.equal(node.statistics.inFlight, 0);
  assert.equal(node.statistics.pendingBytes, 0);
  assert.deepEqual(await node.submitMany([]), []);
  // A malformed command stops the group there; the ones before it are sequenced and durable.
  const before = node.lastSequence;
  const refused = await node.submitMany([{ type: "tick" }, { type: "tick", extra: 1 } as unknown as ExchangeCommandInput, { type: "tick" }]).then(
    () => assert.fail("a malformed command was accepted"),
    (error: unknown) => error as Error & { cause: Promise<unknown[]> },
  );
  assert.equal(refused.name, "CommandCodecError");
  assert.equal((await refused.cause).length, 1);
  assert.equal(node.lastSequence, before + 1);
  await node.close();
  const auths = await authsBySequence(dataDirectory);
  assert.deepEqual(auths.get(BigInt(start + 2)), auth);
  assert.equal(auths.get(BigInt(start + 1)), undefined);
});

test("intake: onApplied sees every command once, in order, once durable, before its sender's promise", async (context) => {
  const dataDirectory = scratchDirectory(context);
  const seen: { sequence: number; durable: number; type: string; auth: number[] | undefined; events: number; replaying: boolean }[] = [];
  let node: ExchangeNode | undefined;
  const onApplied = (applied: AppliedCommand): void => {
    seen.push({
      sequence: applied.sequence,
      durable: node?.durableSequence ?? Number.MAX_SAFE_INTEGER,
      type: applied.command.type,
      auth: applied.auth === undefined ? undefined : [...applied.auth],
      events: applied.events.length,
      replaying: applied.replaying,
    });
  };
  const opened = await ExchangeNode.open(options(dataDirectory, { onApplied }));
  node = opened;
  const genesis = seen.length;
  assert.ok(genesis > 0 && seen.every((entry, index) => entry.sequence === index + 1 && !entry.replaying), "genesis, live");
  const start = opened.lastSequence;
  const singles = funding.map((input, index) => opened.submit(input, index === 0 ? new Uint8Array([7]) : undefined));
  const group = opened.submitMany([place(alice, limitOrder("sell", 2, 5)), place(bob, limitOrder("buy", -2, 3)), { type: "tick" }]);
  assert.equal(seen.length, genesis, "nothing is seen before it is durable");
  const firstAck = await singles[0]!;
  assert.ok(seen.some((entry) => entry.sequence === firstAck.sequence), "seen before its sender's promise resolves");
  const acks = [...(await Promise.all(singles)), ...(await group)];
  const live = seen.slice(genesis);
  assert.deepEqual(live.map((entry) => entry.sequence), acks.map((ack) => ack.sequence));
  assert.deepEqual(live.map((entry) => entry.sequence), acks.map((_, index) => start + 1 + index));
  for (const [index, entry] of live.entries()) {
    assert.ok(entry.durable >= entry.sequence, `${entry.sequence} seen before durable`);
    assert.equal(entry.events, acks[index]!.events.length);
    assert.equal(entry.replaying, false);
  }
  assert.deepEqual(live[0]!.auth, [7]);
  assert.equal(live.at(-1)!.type, "tick");
  await opened.close();
  // A restart replays them all to the listener, marked as replaying.
  seen.length = 0;
  node = undefined;
  const reopened = await ExchangeNode.open(options(dataDirectory, { onApplied }));
  assert.deepEqual(seen.map((entry) => entry.sequence), Array.from({ length: reopened.lastSequence }, (_, index) => index + 1));
  assert.ok(seen.every((entry) => entry.replaying));
  await reopened.close();
});

test("intake: a failed journal write fails every waiting sender, stops the node, and refuses what follows", async (context) => {
  const dataDirectory = scratchDirectory(context);
  const fatal: Error[] = [];
  const node = await ExchangeNode.open(options(dataDirectory, { onFatal: (error) => void fatal.push(error) }));
  await node.submit({ type: "tick" });
  const durable = node.durableSequence;
  // Pull the segment file out from under the journal: the next write fails, as a dying disk would.
  const journal = Reflect.get(node, "journal") as Journal;
  await (Reflect.get(journal, "handle") as FileHandle).close();
  const single = node.submit({ type: "tick" });
  const group = node.submitMany([{ type: "tick" }, { type: "tick" }]);
  await assert.rejects(single);
  await assert.rejects(group);
  assert.equal(fatal.length, 1);
  assert.equal(node.durableSequence, durable);
  assert.equal(node.statistics.inFlight, 0);
  await assert.rejects(node.submit({ type: "tick" }), NodeClosedError);
  await node.close();
});

// Acknowledgements leave a durable batch a slice per turn of the event loop (so the journal can write
// what the first slice's senders submit next while later slices are still released): a batch of many
// commands is still acknowledged whole, in sequence order, and none waits past close.
test("intake: a durable batch larger than one turn's slice is acknowledged whole, in order, over several turns", async (context) => {
  const node = await ExchangeNode.open(options(scratchDirectory(context)));
  await node.submit({ type: "tick" });
  const batchesBefore = node.statistics.journal.batchesWritten;
  const count = 2_000;
  const acknowledged: number[] = [];
  let inFlightAtFirst = -1;
  const acks = Array.from({ length: count }, () =>
    node.submit({ type: "tick" }).then((ack) => {
      if (acknowledged.length === 0) inFlightAtFirst = node.statistics.inFlight;
      acknowledged.push(ack.sequence);
    }),
  );
  await Promise.all(acks);
  assert.equal(node.statistics.journal.batchesWritten, batchesBefore + 1, "the commands shared one batch");
  assert.ok(inFlightAtFirst > 0 && inFlightAtFirst < count, `the first acknowledgement came with ${inFlightAtFirst} still waiting`);
  assert.deepEqual(acknowledged, Array.from({ length: count }, (_, index) => acknowledged[0]! + index));
  assert.equal(node.statistics.inFlight, 0);
  // Submitted right before close: every one is acknowledged by the time close resolves.
  let closedAcknowledged = 0;
  const lastOnes = Array.from({ length: count }, () => node.submit({ type: "tick" }).then(() => void (closedAcknowledged += 1)));
  await node.close();
  assert.equal(closedAcknowledged, count);
  await Promise.all(lastOnes);
});

test("intake: when the journal fails, durable commands still waiting for their slice are acknowledged, not failed", async (context) => {
  const node = await ExchangeNode.open(options(scratchDirectory(context), { onFatal: () => {} }));
  await node.submit({ type: "tick" });
  const count = 20_000;
  const outcomes: ("acknowledged" | "failed")[] = [];
  let failing: Promise<unknown> | undefined;
  const durable = Array.from({ length: count }, () =>
    node.submit({ type: "tick" }).then(
      () => {
        outcomes.push("acknowledged");
        if (failing !== undefined) return;
        // The batch is durable and its first slice acknowledged; break the disk before the rest are.
        const journal = Reflect.get(node, "journal") as Journal;
        failing = (Reflect.get(journal, "handle") as FileHandle).close().then(() => node.submit({ type: "tick" }));
      },
      () => void outcomes.push("failed"),
    ),
  );
  await Promise.all(durable);
  assert.ok(failing !== undefined);
  await assert.rejects(failing, "the command after the failure is not acknowledged");
  assert.equal(outcomes.filter((outcome) => outcome === "acknowledged").length, count);
  assert.equal(node.statistics.inFlight, 0);
  await node.close();
});
