// Proves snapshot files: a written snapshot restores to the same exchange state hash (the core's
// exchangeStateHash, computed with native SHA-256 over writeExchangeState), every kind of damage is
// detected rather than restored, recovery skips a damaged snapshot for an older one, and only the newest
// `keep` stay on disk.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { checkExchangeInvariants, defaultLimits, exchangeStateHash, writeExchangeState, type Exchange } from "@perpdex/core";
import type { LogCommandInput } from "@perpdex/protocol";
import { LogState, demoGenesis, genesisCommands, hexOf, stateHashBytes, type LogCommand } from "../src/index.ts";
import { encodingDifference, readSnapshotFile, snapshotHeaderBytes, writeSnapshotFile } from "../src/snapshot-file.ts";
import { listSnapshots, loadNewestSnapshot, pruneSnapshots, removeTemporarySnapshots } from "../src/snapshot-store.ts";
import { RecordingLogger, alice, bob, deposit, limitOrder, place, scratchDirectory } from "./node-helpers.ts";

// 2024-01-01T00:00:00Z: an hour boundary, so funding settles within the commands below.
const epoch = 1_704_067_200_000_000_000n;
const second = 1_000_000_000n;

// An exchange with non-default limits, markets, funded accounts in both margin modes, positions from a
// trade, resting orders on both sides, a client id, a GTD expiry, moved index and collateral prices and
// settled funding: every section of the exchange's state encoding holds something.
function busyExchange(extraCommands = 0): Exchange {
  const inputs: LogCommandInput[] = [
    ...genesisCommands({ ...demoGenesis, limits: { ...defaultLimits, ordersPerAccountMax: 5_000 } }),
    deposit(alice),
    deposit(bob),
    { type: "deposit", account: bob, asset: "USDT", amount: 50_000_000_000n, reference: "usdt-1" },
    { type: "setMarginMode", account: bob, market: "AAPL-PERP", mode: "cross" },
    place(alice, limitOrder("buy", 5)),
    place(bob, limitOrder("sell", 7, 20, { clientOrderId: "bob-1" })),
    place(alice, limitOrder("buy", 3, 4, { timeInForce: "GTD", expiresAt: 9_000_000_000_000_000_000n })),
    place(bob, limitOrder("sell", 1, 3, { postOnly: true })),
    place(alice, limitOrder("buy", -1, 2)),
    { type: "indexPrice", market: "AAPL-PERP", price: 23_020 },
    { type: "collateralPrice", asset: "USDT", pricePpm: 999_000 },
  ];
  for (let index = 0; index < extraCommands; index += 1) inputs.push(place(alice, limitOrder("buy", 10 + (index % 40))));
  const state = new LogState();
  // One command every 30 seconds: the commands span funding samples and, with enough of them, an hour.
  inputs.forEach((input, index) => state.apply({ ...input, sequence: index + 1, time: epoch + BigInt(index + 1) * 30n * second } as LogCommand));
  return state.exchange;
}

test("snapshot: native state hash equals the core's", () => {
  const exchange = busyExchange(150);
  assert.ok(exchange.funding.states.some((market) => market.cumulativeFundingPerLot !== 0n || market.count > 0), "funding has state");
  assert.ok([...exchange.positionsByKey.values()].some((position) => position.size !== 0), "a trade opened positions");
  assert.equal(hexOf(stateHashBytes(exchange)), exchangeStateHash(exchange));
});

test("snapshot: a written snapshot restores to the same state", (context) => {
  const directory = scratchDirectory(context);
  const exchange = busyExchange(100);
  const written = writeSnapshotFile(exchange, directory);
  assert.equal(path.basename(written.file), "00000000000000000119.snapshot");
  assert.equal(hexOf(written.stateHash), exchangeStateHash(exchange));
  const loaded = readSnapshotFile(written.file);
  assert.ok(typeof loaded !== "string", String(loaded));
  assert.equal(exchangeStateHash(loaded.exchange), exchangeStateHash(exchange));
  assert.equal(loaded.exchange.engine.lastTime, exchange.engine.lastTime);
  assert.equal(loaded.exchange.engine.limits.ordersPerAccountMax, 5_000, "the limits are part of the snapshot");
  assert.equal(loaded.exchange.positionsByKey.size, exchange.positionsByKey.size);
  checkExchangeInvariants(loaded.exchange);
});

const damages: readonly { name: string; damage: (file: string) => void; reason: RegExp }[] = [
  { name: "a flipped body byte", damage: (file) => flipByte(file, snapshotHeaderBytes + 40), reason: /checksum/ },
  { name: "a flipped header byte", damage: (file) => flipByte(file, 9), reason: /header checksum/ },
  { name: "a cut-off end", damage: (file) => fs.truncateSync(file, fs.statSync(file).size - 3), reason: /bytes/ },
  { name: "a cut-off header", damage: (file) => fs.truncateSync(file, 20), reason: /shorter/ },
  { name: "an empty file", damage: (file) => fs.truncateSync(file, 0), reason: /shorter/ },
];

function flipByte(file: string, offset: number): void {
  const bytes = fs.readFileSync(file);
  bytes[offset] = bytes[offset]! ^ 0x40;
  fs.writeFileSync(file, bytes);
}

// helperBytesMin 0 hashes even these small bodies on the helper thread, as a large snapshot's is.
test("snapshot: written against an expected hash, a state that does not match leaves no file", (context) => {
  // The follower's final snapshot doubles as the check of the node's final checkpoint: the hash is
  // compared before the rename, so a diverged state is never left as the newest snapshot.
  const directory = scratchDirectory(context);
  const exchange = busyExchange(10);
  const expected = stateHashBytes(exchange);
  const refused = writeSnapshotFile(exchange, directory, { expectedHash: new Uint8Array(32).fill(0xee) });
  assert.ok("refused" in refused);
  assert.deepEqual(refused.stateHash, expected);
  assert.deepEqual(fs.readdirSync(directory), [], "neither the snapshot nor its temporary file");
  const written = writeSnapshotFile(exchange, directory, { expectedHash: expected });
  assert.ok(!("refused" in written));
  assert.deepEqual(written.stateHash, expected);
  assert.deepEqual(fs.readdirSync(directory), [path.basename(written.file)]);
});

test("snapshot: damage is detected, never restored, whichever thread hashes the body", (context) => {
  for (const helperBytesMin of [0, Number.POSITIVE_INFINITY]) {
    for (const { name, damage, reason } of damages) {
      const directory = scratchDirectory(context);
      const written = writeSnapshotFile(busyExchange(10), directory);
      damage(written.file);
      const loaded = readSnapshotFile(written.file, { helperBytesMin });
      assert.equal(typeof loaded, "string", name);
      assert.match(loaded as string, reason, `${name}, helperBytesMin ${helperBytesMin}`);
    }
  }
});

test("snapshot: a body hashed on the helper thread loads like one hashed in place", (context) => {
  const directory = scratchDirectory(context);
  const exchange = busyExchange(30);
  const written = writeSnapshotFile(exchange, directory);
  for (const helperBytesMin of [0, Number.POSITIVE_INFINITY]) {
    const loaded = readSnapshotFile(written.file, { helperBytesMin });
    assert.ok(typeof loaded !== "string", String(loaded));
    assert.equal(exchangeStateHash(loaded.exchange), exchangeStateHash(exchange));
  }
});

// The load's last check compares the restored exchange's encoding with the body, byte for byte: equal
// bytes have the body's SHA-256, which the header names, so it is the state-hash check.
test("snapshot: the encoding comparison finds the first differing byte, or a length difference", () => {
  const exchange = busyExchange(5);
  const body = collectEncoding(exchange);
  assert.equal(encodingDifference(exchange, body), -1);
  // The engine's part and the perpetual part arrive in separate chunks: one offset in each, and the last.
  for (const offset of [0, body.length >> 1, body.length - 1]) {
    const changed = Buffer.from(body);
    changed[offset] = changed[offset]! ^ 0x01;
    assert.equal(encodingDifference(exchange, changed), offset);
  }
  assert.equal(encodingDifference(exchange, body.subarray(0, body.length - 1)), body.length - 1, "body shorter");
  assert.equal(encodingDifference(exchange, Buffer.concat([body, Buffer.from([0])])), body.length, "body longer");
});

function collectEncoding(exchange: Exchange): Buffer {
  const chunks: Buffer[] = [];
  writeExchangeState(exchange, (chunk) => chunks.push(Buffer.from(chunk)));
  return Buffer.concat(chunks);
}

test("snapshot: recovery skips a damaged newest snapshot for an older one, and refuses none past the journal", (context) => {
  const directory = scratchDirectory(context);
  const older = writeSnapshotFile(busyExchange(10), directory);
  const newer = writeSnapshotFile(busyExchange(20), directory);
  flipByte(newer.file, snapshotHeaderBytes + 100);
  const logger = new RecordingLogger();
  const { loaded, ahead } = loadNewestSnapshot({ directory, sequenceMax: 1_000, logger });
  assert.equal(ahead, null);
  assert.equal(loaded?.header.sequence, older.sequence);
  assert.deepEqual(logger.messages("warn"), ["snapshot: damaged, skipped for an older one"]);
  const beyond = loadNewestSnapshot({ directory, sequenceMax: older.sequence - 1, logger });
  assert.equal(beyond.ahead?.sequence, older.sequence, "a valid snapshot past the journal's end is reported");
});

test("snapshot: only the newest are kept, and leftover temporary files go", (context) => {
  const directory = scratchDirectory(context);
  for (const extra of [1, 2, 3, 4, 5]) writeSnapshotFile(busyExchange(extra), directory);
  fs.writeFileSync(path.join(directory, "00000000000000000099.snapshot.tmp"), "half written");
  const removed = pruneSnapshots({ directory, keep: 2 });
  assert.equal(removed.length, 3);
  assert.deepEqual(listSnapshots(directory).map((entry) => entry.sequence), [24, 23]);
  removeTemporarySnapshots(directory);
  assert.deepEqual(fs.readdirSync(directory).sort(), ["00000000000000000023.snapshot", "00000000000000000024.snapshot"]);
});
