// Measures the node's own thread over one closed-loop load only (start-up, deposits and a warm-up
// excluded): `node --import tsx packages/node/bench/profile-intake.ts [--window 1000] [--commands 200000]
// [--many GROUP_SIZE] [--profile FILE]`. Prints the CPU time per command of the node's thread and of the
// process's other threads (follower, libuv's fdatasync pool, V8's helpers), read from /proc (Linux):
// CPU time holds up on a busy machine where rates and wall-clock profiles do not. With --profile, also
// writes a .cpuprofile of the node's thread.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { ExchangeNode, silentLogger } from "../src/index.ts";
import { BenchStream, benchAccount, benchAccounts, benchDeposit } from "./bench-stream.ts";
import { threadCpuMicroseconds } from "./thread-cpu.ts";

const { values } = parseArgs({
  options: { window: { type: "string" }, commands: { type: "string" }, profile: { type: "string" }, many: { type: "string" }, allocations: { type: "string" } },
});
const window = Number(values.window ?? 1_000);
const commands = Number(values.commands ?? 200_000);
const groupSize = Number(values.many ?? 0);

async function closedLoop(node: ExchangeNode, count: number): Promise<void> {
  const stream = new BenchStream(node.lastSequence + 1);
  let next = 0;
  let acknowledged = 0;
  await new Promise<void>((resolve, reject) => {
    const submitOne = (): void => {
      next += 1;
      node.submit(stream.next()).then(() => {
        acknowledged += 1;
        if (next < count) submitOne();
        else if (acknowledged === count) resolve();
      }, reject);
    };
    const submitGroup = (): void => {
      const group = Array.from({ length: Math.min(groupSize, count - next) }, () => stream.next());
      next += group.length;
      node.submitMany(group).then(() => {
        acknowledged += group.length;
        if (next < count) submitGroup();
        else if (acknowledged === count) resolve();
      }, reject);
    };
    if (groupSize > 0) for (let group = 0; group < window / groupSize; group += 1) submitGroup();
    else for (let index = 0; index < Math.min(window, count); index += 1) submitOne();
  });
}

// A thread's name and its id less the process id (Linux): threads are numbered as they start, V8's helpers first, then libuv's pool on first use of the disk, then the follower.
function threadName(thread: string): string {
  try {
    return `${readFileSync(`/proc/self/task/${thread}/comm`, "utf8").trim()}#${Number(thread) - process.pid}`;
  } catch {
    return thread;
  }
}

const directory = mkdtempSync(path.join(os.tmpdir(), "perpdex-profile-"));
try {
  const node = await ExchangeNode.open({ dataDirectory: directory, logger: silentLogger, tickIntervalMs: 0 });
  const deposits = Array.from({ length: benchAccounts }, (_, index) => benchDeposit(benchAccount(index), 1_000_000));
  await Promise.all(deposits.map((deposit) => node.submit(deposit)));
  // A warm-up load, so the profile sees optimised code.
  await closedLoop(node, 20_000);
  const out = values.profile;
  const session = out === undefined ? undefined : new Session();
  if (session !== undefined) {
    session.connect();
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: 200 });
    await session.post("Profiler.start");
  }
  // With --allocations FILE: where the node's thread allocates (sampled, collected objects included).
  const allocationsOut = values.allocations;
  const heapSession = allocationsOut === undefined ? undefined : new Session();
  if (heapSession !== undefined) {
    heapSession.connect();
    await heapSession.post("HeapProfiler.enable");
    await heapSession.post("HeapProfiler.startSampling", { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  }
  const threadsStarted = threadCpuMicroseconds();
  const cpuStarted = process.cpuUsage();
  const batchesStarted = node.statistics.journal.batchesWritten;
  const started = performance.now();
  await closedLoop(node, commands);
  const seconds = (performance.now() - started) / 1_000;
  const batches = node.statistics.journal.batchesWritten - batchesStarted;
  const cpu = process.cpuUsage(cpuStarted);
  const threads = threadCpuMicroseconds();
  const mainThread = String(process.pid);
  const mainMicroseconds = threads.get(mainThread)! - threadsStarted.get(mainThread)!;
  let otherMicroseconds = 0;
  const others: { name: string; microseconds: number }[] = [];
  for (const [thread, microseconds] of threads) {
    if (thread === mainThread) continue;
    otherMicroseconds += microseconds - (threadsStarted.get(thread) ?? 0);
    others.push({ name: threadName(thread), microseconds: microseconds - (threadsStarted.get(thread) ?? 0) });
  }
  if (heapSession !== undefined) {
    const { profile } = await heapSession.post("HeapProfiler.stopSampling");
    heapSession.disconnect();
    writeFileSync(allocationsOut!, JSON.stringify(profile));
  }
  if (session !== undefined) {
    const { profile } = await session.post("Profiler.stop");
    session.disconnect();
    writeFileSync(out!, JSON.stringify(profile));
  }
  const perCommand = (microseconds: number): string => (microseconds / commands).toFixed(1);
  console.log(
    `${commands} commands, ${window} in flight${groupSize > 0 ? ` in groups of ${groupSize}` : ""}: ${Math.round(commands / seconds).toLocaleString("en-US")}/s, ` +
      `CPU µs/command: node thread ${perCommand(mainMicroseconds)}, other threads ${perCommand(otherMicroseconds)}, process ${perCommand(cpu.user + cpu.system)}` +
      (out === undefined ? "" : `; profile ${out}`),
  );
  // The busiest other threads: the follower first, as a rule.
  const busiest = others.sort((a, b) => b.microseconds - a.microseconds).slice(0, 6);
  console.log(`journal: ${batches} batches, ${Math.round(commands / batches)} commands a batch`);
  console.log(`other threads, busiest first (µs/command): ${busiest.map((thread) => `${thread.name} ${perCommand(thread.microseconds)}`).join(", ")}`);
  await node.close();
} finally {
  rmSync(directory, { recursive: true, force: true });
}
