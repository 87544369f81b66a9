// The crash harness: runs the node as a child process under a seeded load, kills it with SIGKILL at
// seeded random moments (during start-up and recovery too), restarts it, and at the end checks what
// SPEC 10/11 promise: every acknowledged command is in the log with the payload that was acknowledged,
// the log is gapless with strictly increasing time and passes every checkpoint, replaying it from
// genesis in one uninterrupted run reaches the state hash the node reports (after all its kills and
// recoveries from snapshots), and the exchange's invariants hold after every command.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { checkExchangeInvariants, exchangeStateHash, type CommandResult } from "@perpdex/core";
import { dataPaths, lockDataDirectory } from "../src/data-directory.ts";
import { readLog } from "../src/log-reader.ts";
import { LogState } from "../src/log-state.ts";
import { replayRecords } from "../src/replay.ts";
import { openLog } from "../src/state-recovery.ts";
import { RecordingLogger } from "./node-helpers.ts";
import { SeededRandom } from "./seeded-random.ts";

const childScript = fileURLToPath(new URL("./crash-child.ts", import.meta.url));
const repositoryRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** One child's run: what it printed and how it ended. */
export interface ChildRun {
  readonly lines: readonly Record<string, unknown>[];
  readonly stderr: string;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** When to SIGKILL a child: so long after it started, or so long after it reported ready. */
export type KillPlan = { readonly afterStartMs: number } | { readonly afterReadyMs: number };

/**
 * Starts the child on `dataDirectory` and SIGKILLs it as `kill` says (or lets it finish).
 *
 * @example
 * const run = await runChild({ dataDirectory, seed: 7, targetSequence: 2_000, kill: { afterReadyMs: 300 } });
 */
export function runChild(options: { dataDirectory: string; seed: number; targetSequence: number; kill?: KillPlan; timeoutMs?: number }): Promise<ChildRun> {
  const child = spawn(process.execPath, ["--import", "tsx", childScript, options.dataDirectory, String(options.seed), String(options.targetSequence)], {
    cwd: repositoryRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let killer: NodeJS.Timeout | undefined;
  const kill = options.kill;
  if (kill !== undefined && "afterStartMs" in kill) killer = setTimeout(() => child.kill("SIGKILL"), kill.afterStartMs);
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    if (kill !== undefined && "afterReadyMs" in kill && killer === undefined && stdout.includes('"event":"ready"')) {
      killer = setTimeout(() => child.kill("SIGKILL"), kill.afterReadyMs);
    }
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const guard = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (exitCode, signal) => {
      clearTimeout(killer);
      clearTimeout(guard);
      // A line cut by the kill is incomplete: only whole lines count.
      const whole = stdout.slice(0, stdout.lastIndexOf("\n") + 1);
      const lines = whole.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as Record<string, unknown>);
      resolve({ lines, stderr, exitCode, signal });
    });
  });
}

export interface CrashScenario {
  readonly seed: number;
  readonly kills: number;
  /** Commands the final, uninterrupted run adds before it closes the node. */
  readonly finalCommands: number;
  readonly dataDirectory: string;
}

// Killed runs never reach their target: they run until the kill.
const targetNever = Number.MAX_SAFE_INTEGER;

export interface CrashReport {
  readonly seed: number;
  readonly kills: number;
  readonly killedBeforeReady: number;
  readonly acknowledged: number;
  readonly lastSequence: number;
  readonly stateHash: string;
  readonly tornTailsCut: number;
  readonly startsFromSnapshot: number;
  /** How the replayed commands ended: accepted, and rejected by code (the load reaches every path). */
  readonly results: Readonly<Record<string, number>>;
  readonly openPositions: number;
  readonly insuranceFund: number;
}

/**
 * Kills and restarts the node `kills` times, then lets it finish and checks the log. Every assertion
 * message carries the seed.
 *
 * @example
 * const report = await runCrashScenario({ seed: 7, kills: 10, finalCommands: 500, dataDirectory });
 */
export async function runCrashScenario(scenario: CrashScenario): Promise<CrashReport> {
  const random = new SeededRandom(scenario.seed);
  const context = `seed ${scenario.seed}`;
  const acknowledged = new Map<number, string>();
  let lastAcknowledged = 0;
  let killedBeforeReady = 0;
  let tornTailsCut = 0;
  let startsFromSnapshot = 0;
  const absorb = (run: ChildRun): void => {
    for (const line of run.lines) {
      if (line.event !== "ack") continue;
      const sequence = line.sequence as number;
      const payload = line.payload as string;
      const earlier = acknowledged.get(sequence);
      assert.ok(earlier === undefined || earlier === payload, `${context}: sequence ${sequence} was acknowledged twice with different commands`);
      acknowledged.set(sequence, payload);
      lastAcknowledged = Math.max(lastAcknowledged, sequence);
    }
    tornTailsCut += run.stderr.split("journal: torn tail truncated").length - 1;
    startsFromSnapshot += run.stderr.split('"msg":"snapshot: loaded"').length - 1;
  };
  for (let kill = 0; kill < scenario.kills; kill += 1) {
    // A quarter of the kills land any time from the start (often during start-up or recovery), the rest
    // while the node is under load.
    const kill: KillPlan = random.chance(250) ? { afterStartMs: random.between(50, 1_500) } : { afterReadyMs: random.between(20, 1_500) };
    const run = await runChild({ ...scenario, targetSequence: targetNever, kill });
    assert.equal(run.signal, "SIGKILL", `${context}: run ${kill} ended on its own (exit ${run.exitCode}):\n${run.stderr.slice(-3_000)}`);
    if (!run.lines.some((line) => line.event === "ready")) killedBeforeReady += 1;
    absorb(run);
  }
  const final = await runChild({ ...scenario, targetSequence: lastAcknowledged + scenario.finalCommands });
  absorb(final);
  assert.equal(final.exitCode, 0, `${context}: the final run failed:\n${final.stderr.slice(-3_000)}`);
  const done = final.lines.find((line) => line.event === "done");
  assert.ok(done !== undefined, `${context}: the final run printed no result`);
  const lastSequence = done.lastSequence as number;
  const stateHash = done.stateHash as string;
  const replayed = await checkLog({ scenario, acknowledged, lastSequence, stateHash, context });
  return {
    ...replayed,
    seed: scenario.seed,
    kills: scenario.kills,
    killedBeforeReady,
    acknowledged: acknowledged.size,
    lastSequence,
    stateHash,
    tornTailsCut,
    startsFromSnapshot,
  };
}

type Replayed = Pick<CrashReport, "results" | "openPositions" | "insuranceFund">;

// Reads the whole log (archive and journal) once: acknowledged payloads must be there, byte for byte;
// replay from genesis must pass every checkpoint, keep every invariant after every command and end at
// the node's hash (the core's SHA-256 here, the node's native one there).
async function checkLog(options: {
  scenario: CrashScenario;
  acknowledged: ReadonlyMap<number, string>;
  lastSequence: number;
  stateHash: string;
  context: string;
}): Promise<Replayed> {
  const { context } = options;
  const paths = dataPaths(options.scenario.dataDirectory);
  const lock = await lockDataDirectory(paths);
  try {
    const source = await openLog({ paths, logger: new RecordingLogger() });
    try {
      const logged = new Map<number, string>();
      const state = new LogState();
      const results: Record<string, number> = {};
      let previousTime = 0n;
      const summary = replayRecords({
        state,
        records: readLog(source, 1n),
        verifyCheckpoints: true,
        onRecord: (cursor, result) => {
          const record = cursor.record();
          if (record.kind !== "command") return;
          assert.ok(record.time > previousTime, `${context}: time does not increase at ${record.sequence}`);
          previousTime = record.time;
          const auth = record.auth === undefined ? "" : Buffer.from(record.auth).toString("hex");
          logged.set(Number(record.sequence), `${Buffer.from(record.payload).toString("hex")}:${auth}`);
          try {
            checkExchangeInvariants(state.exchange);
          } catch (error) {
            throw new Error(`${context}: an invariant fails after command ${record.sequence}: ${(error as Error).message}`, { cause: error });
          }
          countResult(results, result!);
        },
      });
      assert.equal(state.lastSequence, options.lastSequence, `${context}: the log ends where the node said`);
      assert.equal(summary.commands, options.lastSequence, `${context}: the log is gapless from 1`);
      for (const [sequence, payload] of options.acknowledged) {
        assert.equal(logged.get(sequence), payload, `${context}: acknowledged command ${sequence} is not in the log as acknowledged`);
      }
      assert.equal(exchangeStateHash(state.exchange), options.stateHash, `${context}: replay reaches a different state than the node`);
      let openPositions = 0;
      for (const position of state.exchange.positionsByKey.values()) if (position.size !== 0) openPositions += 1;
      return { results, openPositions, insuranceFund: state.exchange.treasury.insuranceFund };
    } finally {
      await source.journal.close();
    }
  } finally {
    await lock.release();
  }
}

// Tallies how each command (and each batch item) ended: "ok", or the rejection's code.
function countResult(results: Record<string, number>, result: CommandResult): void {
  const outcomes = "items" in result ? result.items : [result];
  for (const outcome of outcomes) {
    const key = outcome.ok ? "ok" : outcome.code;
    results[key] = (results[key] ?? 0) + 1;
  }
}
