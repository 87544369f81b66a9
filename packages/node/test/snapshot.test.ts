// Proves snapshot files: a written snapshot restores to the same state hash (the core's, computed with
// native SHA-256), every kind of damage is detected rather than restored, recovery skips a damaged
// snapshot for an older one, and only the newest `keep` stay on disk.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { Engine, checkInvariants, stateHash, type Command, type CommandInput } from "@perpdex/core";
import { demoGenesis, genesisCommands, hexOf, stateHashBytes } from "../src/index.ts";
import { readSnapshotFile, snapshotHeaderBytes, writeSnapshotFile } from "../src/snapshot-file.ts";
import { listSnapshots, loadNewestSnapshot, pruneSnapshots, removeTemporarySnapshots } from "../src/snapshot-store.ts";
import { RecordingLogger, alice, bob, limitOrder, place, scratchDirectory } from "./node-helpers.ts";

// An engine with markets, resting orders on both sides, a client id and a GTD expiry.
function busyEngine(extraCommands = 0): Engine {
  const engine = new Engine();
  const inputs: CommandInput[] = [
    ...genesisCommands(demoGenesis),
    place(alice, limitOrder("buy", 5)),
    place(bob, limitOrder("sell", 7, 20, { clientOrderId: "bob-1" })),
    place(alice, limitOrder("buy", 3, 4, { timeInForce: "GTD", expiresAt: 9_000_000_000_000_000_000n })),
    place(bob, limitOrder("sell", 1, 3, { postOnly: true })),
  ];
  for (let index = 0; index < extraCommands; index += 1) inputs.push(place(alice, limitOrder("buy", 10 + (index % 40))));
  inputs.forEach((input, index) => engine.apply({ ...input, sequence: index + 1, time: BigInt(1_000 + index) } as Command));
  return engine;
}

test("snapshot: native state hash equals the core's", () => {
  const engine = busyEngine(50);
  assert.equal(hexOf(stateHashBytes(engine)), stateHash(engine));
});

test("snapshot: a written snapshot restores to the same state", (context) => {
  const directory = scratchDirectory(context);
  const engine = busyEngine(100);
  const written = writeSnapshotFile(engine, directory);
  assert.equal(path.basename(written.file), "00000000000000000111.snapshot");
  assert.equal(hexOf(written.stateHash), stateHash(engine));
  const loaded = readSnapshotFile(written.file);
  assert.ok(typeof loaded !== "string", String(loaded));
  assert.equal(stateHash(loaded.engine), stateHash(engine));
  assert.equal(loaded.engine.lastTime, engine.lastTime);
  checkInvariants(loaded.engine);
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

test("snapshot: damage is detected, never restored", (context) => {
  for (const { name, damage, reason } of damages) {
    const directory = scratchDirectory(context);
    const written = writeSnapshotFile(busyEngine(10), directory);
    damage(written.file);
    const loaded = readSnapshotFile(written.file);
    assert.equal(typeof loaded, "string", name);
    assert.match(loaded as string, reason, name);
  }
});

test("snapshot: recovery skips a damaged newest snapshot for an older one, and refuses none past the journal", (context) => {
  const directory = scratchDirectory(context);
  const older = writeSnapshotFile(busyEngine(10), directory);
  const newer = writeSnapshotFile(busyEngine(20), directory);
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
  for (const extra of [1, 2, 3, 4, 5]) writeSnapshotFile(busyEngine(extra), directory);
  fs.writeFileSync(path.join(directory, "00000000000000000099.snapshot.tmp"), "half written");
  const removed = pruneSnapshots({ directory, keep: 2 });
  assert.equal(removed.length, 3);
  assert.deepEqual(listSnapshots(directory).map((entry) => entry.sequence), [16, 15]);
  removeTemporarySnapshots(directory);
  assert.deepEqual(fs.readdirSync(directory).sort(), ["00000000000000000015.snapshot", "00000000000000000016.snapshot"]);
});
