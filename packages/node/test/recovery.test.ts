// Proves start-up on a damaged data directory: a torn last record is cut off (and logged) and the node
// starts; a flipped byte inside the log makes it refuse, naming the sequence and the offset; a damaged or
// deleted newest snapshot is skipped for an older one; a snapshot past the journal's end is refused; and a
// record altered behind a valid checksum is caught by the checkpoint after it.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { checkExchangeInvariants } from "@perpdex/core";
import { CheckpointMismatchError, ExchangeNode, Journal, JournalCorruptError, RecoveryError, type ExchangeNodeOptions } from "../src/index.ts";
import { checkpointRecordBytes, decodeRecord, encodeRecord, recordBytesFor, segmentHeaderBytes, type RecordKind } from "../src/journal/format.ts";
import { snapshotHeaderBytes } from "../src/snapshot-file.ts";
import { listSnapshots } from "../src/snapshot-store.ts";
import {
  RecordingLogger as JournalLogger,
  appendRange,
  assertRecords,
  payloadFor,
  smallLimits,
  temporaryDirectory,
  timeFor,
} from "./journal-helpers.ts";
import { RecordingLogger, alice, bob, funding, limitOrder, place, scratchDirectory, withOtherSize } from "./node-helpers.ts";

function options(dataDirectory: string, logger: RecordingLogger, extra: Partial<ExchangeNodeOptions> = {}): ExchangeNodeOptions {
  return { dataDirectory, logger, tickIntervalMs: 0, follower: false, checkpointEvery: 10, ...extra };
}

// A data directory with `orders` orders after genesis and two deposits, closed cleanly. Returns the state hash.
async function populate(dataDirectory: string, orders: number, extra: Partial<ExchangeNodeOptions> = {}): Promise<string> {
  const node = await ExchangeNode.open(options(dataDirectory, new RecordingLogger(), extra));
  for (const input of funding) await node.submit(input);
  for (let index = 0; index < orders; index += 1) {
    await node.submit(place(index % 2 ? alice : bob, limitOrder(index % 2 ? "buy" : "sell", 1 + (index % 9), 1 + index)));
  }
  const hash = node.stateHash();
  await node.close();
  return hash;
}

function onlySegment(dataDirectory: string): string {
  const names = fs.readdirSync(path.join(dataDirectory, "journal")).filter((name) => name.endsWith(".journal"));
  assert.equal(names.length, 1);
  return path.join(dataDirectory, "journal", names[0]!);
}

interface RecordPlace {
  readonly offset: number;
  readonly kind: RecordKind;
  readonly sequence: bigint;
  readonly time: bigint;
  readonly payload: Buffer;
}

function recordsOf(segmentFile: string): RecordPlace[] {
  const bytes = fs.readFileSync(segmentFile);
  const places: RecordPlace[] = [];
  for (let offset = segmentHeaderBytes; offset < bytes.length; ) {
    const decoded = decodeRecord(bytes, offset, bytes.length);
    assert.equal(decoded.status, "valid");
    if (decoded.status !== "valid") break;
    const payload = Buffer.from(bytes.subarray(decoded.payloadOffset, decoded.payloadOffset + decoded.payloadBytes));
    places.push({ offset, kind: decoded.kind, sequence: decoded.sequence, time: decoded.time, payload });
    offset += decoded.recordBytes;
  }
  return places;
}

// Rewrites one record with a new payload of the same length and valid checksums: damage a checksum
// cannot see, which only replay against a checkpoint can catch.
function rewriteRecord(segmentFile: string, record: RecordPlace, payload: Buffer): void {
  assert.equal(payload.length, record.payload.length);
  const bytes = fs.readFileSync(segmentFile);
  encodeRecord(bytes, record.offset, { kind: record.kind, sequence: record.sequence, time: record.time, payload });
  fs.writeFileSync(segmentFile, bytes);
}

test("recovery: a torn last record is cut off and logged, and the node starts", async (context) => {
  const dataDirectory = scratchDirectory(context);
  await populate(dataDirectory, 20);
  const segment = onlySegment(dataDirectory);
  const last = recordsOf(segment).at(-1)!;
  assert.equal(last.kind, "checkpoint", "a clean close ends with a checkpoint");
  // Cut through the last command (the checkpoint after it goes entirely).
  fs.truncateSync(segment, fs.statSync(segment).size - checkpointRecordBytes - 5);
  const logger = new RecordingLogger();
  const node = await ExchangeNode.open(options(dataDirectory, logger));
  assert.equal(node.lastSequence, Number(last.sequence) - 1);
  assert.ok(logger.messages("warn").includes("journal: torn tail truncated"), logger.messages().join("\n"));
  checkExchangeInvariants(node.exchange);
  await node.submit({ type: "tick" });
  assert.equal(node.lastSequence, Number(last.sequence), "the lost sequence number is given again");
  await node.close();
});

test("recovery: a flipped byte inside the log makes the node refuse, naming sequence and offset", async (context) => {
  const dataDirectory = scratchDirectory(context);
  await populate(dataDirectory, 20);
  const segment = onlySegment(dataDirectory);
  const victim = recordsOf(segment).find((record) => record.sequence === 12n && record.kind === "command")!;
  const bytes = fs.readFileSync(segment);
  bytes[victim.offset + 40] = bytes[victim.offset + 40]! ^ 0x01;
  fs.writeFileSync(segment, bytes);
  const error = await ExchangeNode.open(options(dataDirectory, new RecordingLogger())).then(
    () => assert.fail("the node started on a corrupt journal"),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof JournalCorruptError, String(error));
  assert.equal(error.sequenceExpected, 12n);
  assert.equal(error.offset, victim.offset);
  assert.match(error.message, /sequence 12/);
  assert.match(error.message, new RegExp(`offset ${victim.offset}`));
  assert.ok(fs.existsSync(path.join(dataDirectory, "journal")), "nothing was repaired or removed");
  assert.ok(!fs.existsSync(path.join(dataDirectory, "LOCK")), "the lock is released");
});

test("recovery: a damaged or deleted newest snapshot is skipped for an older one, with or without a follower", async (context) => {
  const cases = [
    { name: "damaged", spoil: (file: string) => fs.writeFileSync(file, Buffer.concat([fs.readFileSync(file).subarray(0, snapshotHeaderBytes + 10), Buffer.from("garbage")])) },
    { name: "deleted", spoil: (file: string) => fs.rmSync(file) },
  ];
  for (const entry of cases) {
    for (const follower of [false, true]) {
      const name = `${entry.name}, follower ${follower}`;
      const dataDirectory = scratchDirectory(context);
      const hash = await populate(dataDirectory, 60, { follower: true, snapshotEvery: 20, snapshotsKept: 3 });
      const snapshots = listSnapshots(path.join(dataDirectory, "snapshots"));
      assert.ok(snapshots.length >= 2, `${name}: snapshots ${snapshots.map((snapshot) => snapshot.sequence).join(", ")}`);
      entry.spoil(snapshots[0]!.file);
      const logger = new RecordingLogger();
      const node = await ExchangeNode.open(options(dataDirectory, logger, { follower }));
      const recovered = logger.lines.find((line) => line.message === "node: recovered")!;
      assert.equal(recovered.object.snapshotSequence, snapshots[1]!.sequence, name);
      assert.ok(Number(recovered.object.replayedCommands) > 0, name);
      if (entry.name === "damaged") assert.ok(logger.messages("warn").includes("snapshot: damaged, skipped for an older one"));
      assert.equal(node.stateHash(), hash, name);
      // A follower starts from the snapshot the node took, replays behind it and writes the final one.
      await node.submit(funding[0]!);
      await node.close();
      assert.deepEqual(logger.messages("error"), [], name);
      assert.equal(listSnapshots(path.join(dataDirectory, "snapshots"))[0]!.sequence === node.lastSequence, follower, `${name}: a final snapshot by the follower`);
    }
  }
});

test("recovery: a snapshot past the journal's end means lost records, and the node refuses", async (context) => {
  const dataDirectory = scratchDirectory(context);
  await populate(dataDirectory, 30, { follower: true, snapshotEvery: 1_000 });
  const segment = onlySegment(dataDirectory);
  const records = recordsOf(segment);
  // Drop the last commands as if the journal had lost them, leaving a valid journal that ends early.
  const cut = records.find((record) => record.sequence === 30n && record.kind === "command")!;
  fs.truncateSync(segment, cut.offset);
  await assert.rejects(ExchangeNode.open(options(dataDirectory, new RecordingLogger())), RecoveryError);
});

test("recovery: a command altered behind a valid checksum is caught by the next checkpoint", async (context) => {
  const dataDirectory = scratchDirectory(context);
  await populate(dataDirectory, 30);
  const segment = onlySegment(dataDirectory);
  const victim = recordsOf(segment).find((record) => record.sequence === 14n)!;
  rewriteRecord(segment, victim, Buffer.from(withOtherSize(victim.payload)));
  const error = await ExchangeNode.open(options(dataDirectory, new RecordingLogger())).then(
    () => assert.fail("the node started on an altered journal"),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof CheckpointMismatchError, String(error));
  assert.equal(error.sequence, 20, "the first checkpoint after the altered command");
  assert.equal(error.lastMatchingSequence, 10);
});

// Recovery proves a whole segment with an allocation-free pass and leaves anything odd to the exact one:
// on a clean journal the quick pass must end exactly where the records end, with the checker where
// `take` would have left it (next sequence, last time, last checkpoint), whatever the read size.
test("recovery: a clean journal over many segments opens at its end, for any read chunk size", async (context) => {
  const directory = temporaryDirectory(context);
  const writing = await Journal.open({ directory, logger: new JournalLogger(), ...smallLimits });
  await appendRange(writing, { from: 1n, to: 300n, checkpointEvery: 3n });
  await writing.close();
  assert.ok(fs.readdirSync(directory).filter((name) => name.endsWith(".journal")).length > 5, "several segments");
  // 40 bytes: records straddle reads, and many are larger than a read (the buffer grows).
  for (const readChunkBytes of [40, 97, 4096, 4 * 1024 * 1024]) {
    const logger = new JournalLogger();
    const journal = await Journal.open({ directory, logger, ...smallLimits, readChunkBytes });
    assert.equal(journal.lastSequence, 300n);
    assert.equal(logger.entries.filter((entry) => entry.level !== "info").length, 0, JSON.stringify(logger.entries));
    // The checker knows sequence 300 has its checkpoint and what time it had: a second checkpoint and
    // a command no later than it are both refused, the next command is taken.
    assert.throws(() => journal.appendCheckpoint({ sequence: 300n, stateHash: new Uint8Array(32) }), /without a command before it/);
    assert.throws(() => journal.append({ sequence: 301n, time: timeFor(300n), payload: payloadFor(301n) }), /does not exceed/);
    await journal.append({ sequence: 301n, time: timeFor(301n), payload: payloadFor(301n) });
    assertRecords([...journal.read({ fromSequence: 1n })].filter((record) => record.kind === "command"), { from: 1n, to: 301n });
    await journal.close();
    // Put the journal back to 300 records for the next round.
    const segments = fs.readdirSync(directory).filter((name) => name.endsWith(".journal")).sort();
    const last = path.join(directory, segments.at(-1)!);
    const bytes = fs.readFileSync(last);
    fs.truncateSync(last, bytes.length - recordBytesFor(payloadFor(301n).length));
  }
});
