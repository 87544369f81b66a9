// The crash test (SPEC 10, 11): SIGKILL the node at random moments, many times, under a seeded load on
// the perpetual exchange (crash-load.ts), and prove nothing acknowledged is lost, the exchange's
// invariants hold after every command, and one uninterrupted replay of the log reaches the state hash of
// the node that was killed and recovered; then damage the journal and snapshots on purpose and check
// how the node starts. A short run is part of `npm test`; `npm run test:crash`
// kills 60 times. Set PERPDEX_CRASH_SEED to replay a failure (every failure message names its seed).
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { runChild, runCrashScenario } from "./crash-harness.ts";
import { scratchDirectory } from "./node-helpers.ts";

const kills = Number(process.env.PERPDEX_CRASH_KILLS ?? 6);
const seed = Number(process.env.PERPDEX_CRASH_SEED ?? Date.now() % 2_147_483_648);

test(`crash: ${kills} SIGKILLs lose no acknowledged command (seed ${seed})`, { timeout: 30 * 60_000 }, async (context) => {
  const dataDirectory = scratchDirectory(context, "perpdex-crash-");
  const report = await runCrashScenario({ seed, kills, finalCommands: 300, dataDirectory });
  context.diagnostic(JSON.stringify(report));
  assert.ok(report.acknowledged > 0, `seed ${seed}: nothing was acknowledged`);
  assert.ok(report.openPositions > 0, `seed ${seed}: the load opened no position`);
});

function newestSegment(dataDirectory: string): string {
  const directory = path.join(dataDirectory, "journal");
  const names = fs.readdirSync(directory).filter((name) => name.endsWith(".journal")).sort();
  return path.join(directory, names.at(-1)!);
}

test(`crash: start-up on a torn, a corrupt and a snapshot-damaged data directory (seed ${seed})`, { timeout: 5 * 60_000 }, async (context) => {
  const dataDirectory = scratchDirectory(context, "perpdex-crash-");
  const first = await runChild({ dataDirectory, seed, targetSequence: 1_500 });
  assert.equal(first.exitCode, 0, first.stderr);

  // A torn last record: the node cuts it off, says so, and runs.
  const segment = newestSegment(dataDirectory);
  fs.truncateSync(segment, fs.statSync(segment).size - 7);
  const torn = await runChild({ dataDirectory, seed, targetSequence: 1_600 });
  assert.equal(torn.exitCode, 0, torn.stderr);
  assert.match(torn.stderr, /journal: torn tail truncated/);

  // The newest snapshot damaged: the node starts from an older one and says so.
  const snapshots = fs.readdirSync(path.join(dataDirectory, "snapshots")).filter((name) => name.endsWith(".snapshot")).sort();
  assert.ok(snapshots.length >= 2, `snapshots: ${snapshots.join(", ")}`);
  const newest = path.join(dataDirectory, "snapshots", snapshots.at(-1)!);
  fs.writeFileSync(newest, fs.readFileSync(newest).subarray(0, 100));
  const skipped = await runChild({ dataDirectory, seed, targetSequence: 1_700 });
  assert.equal(skipped.exitCode, 0, skipped.stderr);
  assert.match(skipped.stderr, /snapshot: damaged, skipped for an older one/);

  // A flipped byte in the middle of the newest segment: the node refuses and names sequence and offset.
  const victim = newestSegment(dataDirectory);
  const bytes = fs.readFileSync(victim);
  const offset = Math.floor(bytes.length / 2);
  bytes[offset] = bytes[offset]! ^ 0x10;
  fs.writeFileSync(victim, bytes);
  const corrupt = await runChild({ dataDirectory, seed, targetSequence: 1_800 });
  assert.notEqual(corrupt.exitCode, 0);
  assert.match(corrupt.stderr, /Journal corrupt at sequence \d+: .*\.journal at byte offset \d+/);
});
