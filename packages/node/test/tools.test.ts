// Proves the offline tools behind the CLI: replay rebuilds the node's exact state from genesis or from a
// snapshot; replay --verify pins a divergence between the last matching and the first mismatching
// recorded hash (to one command when checkpoints are one command apart); verify checks the whole log
// across archived and live segments; snapshot and status report what a stopped node holds. The CLI
// itself answers --help and turns reports into exit codes.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { ExchangeNode, type ExchangeNodeOptions } from "../src/index.ts";
import { decodeRecord, encodeRecord, segmentHeaderBytes } from "../src/journal/format.ts";
import { replayTool, snapshotTool, statusTool, verifyTool } from "../src/tools.ts";
import { RecordingLogger, alice, bob, funding, limitOrder, place, scratchDirectory, withOtherSize } from "./node-helpers.ts";

const cli = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const tsx = fileURLToPath(new URL("../../../node_modules/.bin/tsx", import.meta.url));

async function populate(dataDirectory: string, orders: number, extra: Partial<ExchangeNodeOptions> = {}): Promise<string> {
  const node = await ExchangeNode.open({ dataDirectory, logger: new RecordingLogger(), tickIntervalMs: 0, follower: false, checkpointEvery: 10, ...extra });
  for (const input of funding) await node.submit(input);
  for (let index = 0; index < orders; index += 1) {
    await node.submit(place(index % 2 ? alice : bob, limitOrder(index % 2 ? "buy" : "sell", 1 + (index % 9), 1 + index)));
  }
  const hash = node.stateHash();
  await node.close();
  return hash;
}

// Changes the size of command `sequence` in place, with valid checksums (see recovery.test.ts).
function alterCommand(dataDirectory: string, sequence: bigint): void {
  const directory = path.join(dataDirectory, "journal");
  for (const name of fs.readdirSync(directory).filter((entry) => entry.endsWith(".journal"))) {
    const file = path.join(directory, name);
    const bytes = fs.readFileSync(file);
    for (let offset = segmentHeaderBytes; offset < bytes.length; ) {
      const decoded = decodeRecord(bytes, offset, bytes.length);
      assert.equal(decoded.status, "valid");
      if (decoded.status !== "valid") return;
      if (decoded.kind === "command" && decoded.sequence === sequence) {
        const altered = withOtherSize(bytes.subarray(decoded.payloadOffset, decoded.payloadOffset + decoded.payloadBytes));
        encodeRecord(bytes, offset, { kind: "command", sequence, time: decoded.time, payload: altered });
        fs.writeFileSync(file, bytes);
        return;
      }
      offset += decoded.recordBytes;
    }
  }
  assert.fail(`command ${sequence} not found`);
}

test("tools: replay rebuilds the node's state from genesis and from a snapshot", async (context) => {
  const dataDirectory = scratchDirectory(context);
  const hash = await populate(dataDirectory, 50, { follower: true, snapshotEvery: 20 });
  const logger = new RecordingLogger();
  const fromGenesis = await replayTool({ dataDirectory, logger, verify: true, fromSnapshot: false });
  assert.equal(fromGenesis.ok, true);
  assert.equal(fromGenesis.stateHash, hash);
  assert.equal(fromGenesis.fromSnapshotSequence, 0);
  // Genesis (8 commands), 2 deposits, 50 orders.
  assert.equal(fromGenesis.commands, 60);
  assert.ok(fromGenesis.hashesVerified >= 6, "checkpoints and snapshots were compared");
  const fromSnapshot = await replayTool({ dataDirectory, logger, verify: true, fromSnapshot: true });
  assert.equal(fromSnapshot.stateHash, hash);
  assert.equal(fromSnapshot.fromSnapshotSequence, 60, "the final snapshot on close");
  assert.equal(fromSnapshot.commands, 0);
});

test("tools: replay --verify pins a divergence between recorded hashes", async (context) => {
  const cases = [
    { checkpointEvery: 10, altered: 24n, after: 20, atOrBefore: 30 },
    { checkpointEvery: 1, altered: 24n, after: 23, atOrBefore: 24 },
  ];
  for (const entry of cases) {
    const dataDirectory = scratchDirectory(context);
    await populate(dataDirectory, 40, { checkpointEvery: entry.checkpointEvery });
    alterCommand(dataDirectory, entry.altered);
    const report = await replayTool({ dataDirectory, logger: new RecordingLogger(), verify: true, fromSnapshot: false });
    assert.equal(report.ok, false);
    assert.deepEqual(
      { after: report.divergence?.afterSequence, atOrBefore: report.divergence?.atOrBeforeSequence },
      { after: entry.after, atOrBefore: entry.atOrBefore },
      `checkpoints every ${entry.checkpointEvery}`,
    );
    const verified = await verifyTool({ dataDirectory, logger: new RecordingLogger() });
    assert.equal(verified.ok, false);
    assert.match(verified.problems[0]!, new RegExp(`State hash mismatch at sequence ${entry.atOrBefore}`));
  }
});

test("tools: replay --verify compares a deferred checkpoint with the state hashed at its due record", async (context) => {
  const dataDirectory = scratchDirectory(context);
  await populate(dataDirectory, 40, { follower: true, checkpointEvery: 10 });
  const clean = await replayTool({ dataDirectory, logger: new RecordingLogger(), verify: true, fromSnapshot: false });
  assert.equal(clean.ok, true);
  assert.equal(clean.checkpointsDue, 5, "due records at 10, 20, 30, 40 and 50");
  // A recorded hash that no replay reaches, with valid checksums: only the comparison can catch it.
  const journalDirectory = path.join(dataDirectory, "journal");
  let tampered: bigint | undefined;
  for (const name of fs.readdirSync(journalDirectory).filter((entry) => entry.endsWith(".journal"))) {
    const file = path.join(journalDirectory, name);
    const bytes = fs.readFileSync(file);
    for (let offset = segmentHeaderBytes; offset < bytes.length && tampered === undefined; ) {
      const decoded = decodeRecord(bytes, offset, bytes.length);
      assert.equal(decoded.status, "valid");
      if (decoded.status !== "valid") break;
      if (decoded.kind === "deferredCheckpoint") {
        encodeRecord(bytes, offset, { kind: "deferredCheckpoint", sequence: decoded.sequence, time: decoded.time, payload: new Uint8Array(32).fill(0xee) });
        fs.writeFileSync(file, bytes);
        tampered = decoded.sequence;
      }
      offset += decoded.recordBytes;
    }
  }
  assert.ok(tampered !== undefined, "the log holds a deferred checkpoint");
  const report = await replayTool({ dataDirectory, logger: new RecordingLogger(), verify: true, fromSnapshot: false });
  assert.equal(report.ok, false);
  assert.equal(report.divergence?.atOrBeforeSequence, Number(tampered));
  assert.equal(report.divergence?.recorded, "ee".repeat(32));
  const verified = await verifyTool({ dataDirectory, logger: new RecordingLogger() });
  assert.match(verified.problems[0]!, new RegExp(`State hash mismatch at sequence ${tampered}`));
});

test("tools: verify checks the whole log across archived and live segments", async (context) => {
  const dataDirectory = scratchDirectory(context);
  const hash = await populate(dataDirectory, 120, { follower: true, snapshotEvery: 30, journal: { segmentBytesMax: 4_096, payloadBytesMax: 512, batchBytesMax: 4_096 } });
  const archived = fs.readdirSync(path.join(dataDirectory, "archive")).filter((name) => name.endsWith(".journal"));
  assert.ok(archived.length >= 2, `segments archived: ${archived.length}`);
  const report = await verifyTool({ dataDirectory, logger: new RecordingLogger() });
  assert.equal(report.ok, true, report.problems.join("\n"));
  assert.equal(report.commands, 130);
  assert.equal(report.stateHash, hash);
  assert.ok(report.snapshots.length >= 1 && report.snapshots.every((snapshot) => snapshot.problem === null));
  const status = await statusTool({ dataDirectory, logger: new RecordingLogger() });
  assert.equal(status.lastSequence, 130);
  assert.equal(status.accounts, 2);
  assert.equal(status.markets.length, 7);
  assert.equal(status.stateHash, hash);
  assert.equal(status.archivedSegments.length, archived.length);
  assert.ok(status.segments.length >= 1);
  assert.match(status.lastTimeIso ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
});

test("tools: snapshot brings a stopped node's snapshots up to date", async (context) => {
  const dataDirectory = scratchDirectory(context);
  const hash = await populate(dataDirectory, 15);
  const first = await snapshotTool({ dataDirectory, logger: new RecordingLogger(), snapshotsKept: 3 });
  assert.equal(first.written, true);
  assert.equal(first.sequence, 25);
  assert.equal(first.stateHash, hash);
  const second = await snapshotTool({ dataDirectory, logger: new RecordingLogger(), snapshotsKept: 3 });
  assert.equal(second.written, false, "one already exists at the last sequence");
});

test("cli: --help explains every option; verify exits 1 on a divergence", (context) => {
  const help = spawnSync(tsx, [cli, "--help"], { encoding: "utf8" });
  assert.equal(help.status, 0);
  for (const option of ["--data-dir", "--snapshots-kept", "--log-level", "--verify", "--from-snapshot", "PERPDEX_DATA_DIR"]) {
    assert.ok(help.stdout.includes(option), `--help mentions ${option}`);
  }
  const usage = spawnSync(tsx, [cli, "frobnicate"], { encoding: "utf8" });
  assert.equal(usage.status, 2);
  // Running a node is the perpdex bin's `start` (packages/cli), not repeated here.
  const start = spawnSync(tsx, [cli, "start"], { encoding: "utf8" });
  assert.equal(start.status, 2);
  assert.match(start.stderr, /packages\/cli/);
  const dataDirectory = scratchDirectory(context);
  return populate(dataDirectory, 12).then(() => {
    alterCommand(dataDirectory, 15n);
    const verify = spawnSync(tsx, [cli, "verify", "--data-dir", dataDirectory], { encoding: "utf8" });
    assert.equal(verify.status, 1, verify.stderr);
    assert.equal(JSON.parse(verify.stdout).ok, false);
  });
});
