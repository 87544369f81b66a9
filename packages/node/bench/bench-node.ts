// The node benchmark (issue: durable journal throughput, ack latency, replay speed, start-up from a
// snapshot of 10,000,000 resting orders), on the perpetual exchange: every order passes the margin check,
// every fill settles into positions, fees, the insurance fund. Run: `npm run bench:node` (all parts) or
// `npm run bench:node -- throughput|replay|startup|sustained [--commands N] [--orders N] [--startup-directory DIR]
// [--loads 1,100,1000,4000,20000,many,journal]` (DIR keeps the start-up data: built on the first run, reused
// by the next ones; --loads picks throughput loads by window, "many" being the submitMany one and
// "journal" the journal alone, without the exchange).
//
// Every number is measured through the real node: ExchangeNode.submit (encode, sequence, apply, journal
// append, fdatasync'ed group commit, acknowledgement), with its follower thread running. Each load also
// reports the process's CPU time per command (both threads), which holds up on a shared machine where
// wall-clock rates do not. Accounts deposit before timing starts; throughput commands are made as they
// are submitted (bench-stream.ts says why), so their making — a few small objects — is timed too.
// The start-up part then drives the started node: deposits and maker/taker trades on the 10 M-order
// state (1,000 markets, 1 M accounts), where costs that grow with markets or orders show.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { cpSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { defaultLimits, type PriceTicks, type SizeLots } from "@perpdex/core";
import { encodeCommandBinary, type ExchangeCommandInput } from "@perpdex/protocol";
import { ExchangeNode, Journal, demoMarket, silentLogger, type GenesisConfig, type NodeLogger } from "../src/index.ts";
import { dataPaths, lockDataDirectory } from "../src/data-directory.ts";
import { readLog } from "../src/log-reader.ts";
import { LogState } from "../src/log-state.ts";
import { commandKindCode } from "../src/journal/format.ts";
import { commandAt, replayRecords } from "../src/replay.ts";
import { openLog } from "../src/state-recovery.ts";
import { nodeThreadCpuMicroseconds } from "./thread-cpu.ts";
import { BenchStream, benchAccount as account, benchAccounts, benchDeposit as deposit } from "./bench-stream.ts";

const { values, positionals } = parseArgs({
  options: {
    commands: { type: "string" },
    orders: { type: "string" },
    directory: { type: "string" },
    // Which throughput loads to run, by window ("1,100,1000,4000,20000,many,journal"; default all): for profiling one.
    loads: { type: "string" },
    // Keep the start-up data directory here (built once, reused by later runs, never deleted).
    "startup-directory": { type: "string" },
    // Set by inChildProcess: this process runs one part for a parent that printed the heading.
    child: { type: "boolean" },
  },
  allowPositionals: true,
});
const parts = positionals.length === 0 ? ["throughput", "replay", "startup"] : positionals;
const throughputCommands = Number(values.commands ?? 2_000_000);
const startupOrders = Number(values.orders ?? 10_000_000);
const scratchRoot = values.directory ?? os.tmpdir();
const loadsChosen = new Set((values.loads ?? "1,100,1000,4000,20000,many,journal").split(","));

function scratch(prefix: string): string {
  return mkdtempSync(path.join(scratchRoot, prefix));
}


function formatRate(perSecond: number): string {
  return `${Math.round(perSecond).toLocaleString("en-US")}/s`;
}

function percentile(sorted: Float64Array, fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!;
}


// The closed loop every load here runs: keeps up to `window` of `count` operations in flight, starting
// the next as each settles, and none at or after `endsAt` (performance.now() time) when given. Returns
// the latency in milliseconds of each operation started, by index.
async function closedLoop(count: number, window: number, start: (index: number) => Promise<unknown>, endsAt = Number.POSITIVE_INFINITY): Promise<Float64Array> {
  const latencyMs = new Float64Array(count);
  if (count === 0) return latencyMs;
  let next = 0;
  let settled = 0;
  await new Promise<void>((resolve, reject) => {
    const startOne = (): void => {
      const index = next++;
      const startedAt = performance.now();
      start(index).then(() => {
        latencyMs[index] = performance.now() - startedAt;
        settled += 1;
        if (next < count && (endsAt === Number.POSITIVE_INFINITY || performance.now() < endsAt)) startOne();
        else if (settled === next) resolve();
      }, reject);
    };
    for (let index = 0; index < Math.min(window, count); index += 1) startOne();
  });
  return latencyMs.subarray(0, next);
}

// Submits `count` commands with up to `window` in flight; every one must be accepted.
async function submitAll(node: ExchangeNode, count: number, commandAt: (index: number) => ExchangeCommandInput, window = 20_000): Promise<void> {
  await closedLoop(count, window, async (index) => {
    const ack = await node.submit(commandAt(index));
    if (!ack.result.ok) throw new Error(`command ${index} rejected: ${ack.result.code} ${ack.result.message}`);
  });
}

// ---------------------------------------------------------------------------------------------------
// Throughput and latency: the mixed stream of bench-stream.ts with W commands in flight.

interface LoadResult {
  readonly commands: number;
  readonly seconds: number;
  readonly latencyMs: Float64Array;
  /** CPU time of this process (all threads: the node's and the follower's) per command, microseconds. */
  readonly cpuMicrosecondsPerCommand: number;
  /** The node's own thread's share of it (thread-cpu.ts). */
  readonly nodeThreadMicrosecondsPerCommand: number;
}

// The machine may be shared: CPU time per command says what the node costs whatever else runs.
function cpuMicroseconds(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

// Closed loop: keeps `window` commands in flight, submitting the next as each is acknowledged. The
// commands are the mixed stream unless `commandAt` makes them.
async function drive(node: ExchangeNode, commands: number, window: number, commandAt?: (index: number) => ExchangeCommandInput): Promise<LoadResult> {
  const stream = new BenchStream(node.lastSequence + 1);
  const started = performance.now();
  const cpuStarted = cpuMicroseconds();
  const nodeThreadStarted = nodeThreadCpuMicroseconds();
  const latencyMs = await closedLoop(commands, window, (index) => node.submit(commandAt === undefined ? stream.next() : commandAt(index)));
  const cpuMicrosecondsPerCommand = (cpuMicroseconds() - cpuStarted) / commands;
  const nodeThreadMicrosecondsPerCommand = (nodeThreadCpuMicroseconds() - nodeThreadStarted) / commands;
  return { commands, seconds: (performance.now() - started) / 1_000, latencyMs, cpuMicrosecondsPerCommand, nodeThreadMicrosecondsPerCommand };
}

// Closed loop with `submitMany`: `groups` groups of `groupSize` commands in flight, one promise per group.
async function driveGroups(node: ExchangeNode, commands: number, groupSize: number, groups: number): Promise<LoadResult> {
  const stream = new BenchStream(node.lastSequence + 1);
  const latencyMs = new Float64Array(commands);
  let next = 0;
  let acknowledged = 0;
  const started = performance.now();
  const cpuStarted = cpuMicroseconds();
  const nodeThreadStarted = nodeThreadCpuMicroseconds();
  await new Promise<void>((resolve, reject) => {
    const submitGroup = (): void => {
      const first = next;
      const group = Array.from({ length: Math.min(groupSize, commands - first) }, () => stream.next());
      next += group.length;
      const submittedAt = performance.now();
      node.submitMany(group).then(() => {
        latencyMs.fill(performance.now() - submittedAt, first, first + group.length);
        acknowledged += group.length;
        if (next < commands) submitGroup();
        else if (acknowledged === commands) resolve();
      }, reject);
    };
    for (let group = 0; group < groups && next < commands; group += 1) submitGroup();
  });
  const cpuMicrosecondsPerCommand = (cpuMicroseconds() - cpuStarted) / commands;
  const nodeThreadMicrosecondsPerCommand = (nodeThreadCpuMicroseconds() - nodeThreadStarted) / commands;
  return { commands, seconds: (performance.now() - started) / 1_000, latencyMs, cpuMicrosecondsPerCommand, nodeThreadMicrosecondsPerCommand };
}

function report(name: string, result: LoadResult): void {
  const sorted = result.latencyMs.slice().sort();
  console.log(
    `${name.padEnd(34)} ${formatRate(result.commands / result.seconds).padStart(12)}  ` +
      `ack p50 ${percentile(sorted, 0.5).toFixed(2)} ms  p99 ${percentile(sorted, 0.99).toFixed(2)} ms  p99.9 ${percentile(sorted, 0.999).toFixed(2)} ms  ` +
      `CPU ${result.cpuMicrosecondsPerCommand.toFixed(1)} µs/command (node thread ${result.nodeThreadMicrosecondsPerCommand.toFixed(1)})`,
  );
}

async function throughput(dataDirectory: string): Promise<void> {
  console.log(`\n== durable throughput and ack latency (fdatasync'd group commit, follower running)`);
  const node = await ExchangeNode.open({ dataDirectory, logger: silentLogger, tickIntervalMs: 0 });
  // $1,000,000 each: a few hundred thousand crossing orders never run an account out of margin.
  await submitAll(node, benchAccounts, (index) => deposit(account(index), 1_000_000));
  const before = node.statistics.journal;
  const loads = [
    { window: 1, commands: 2_000 },
    { window: 100, commands: 50_000 },
    { window: 1_000, commands: 200_000 },
    // Enough in flight that the node thread never waits for a sync (at 1,000, half the window waits on
    // the batch being synced while the other half fills the next): the saturated rate.
    { window: 4_000, commands: 1_000_000 },
    { window: 20_000, commands: throughputCommands },
  ];
  for (const load of loads) {
    if (!loadsChosen.has(String(load.window))) continue;
    report(`${load.commands.toLocaleString("en-US")} commands, ${load.window} in flight`, await drive(node, load.commands, load.window));
  }
  // The same stream through submitMany: 10 groups of 100 in flight (1,000 commands), one promise a group.
  if (loadsChosen.has("many")) {
    report(`200,000 commands, submitMany 10 × 100`, await driveGroups(node, 200_000, 100, 10));
  }
  if (loadsChosen.has("journal")) await journalAlone(scratchRoot);
  const journal = node.statistics.journal;
  const records = journal.recordsWritten - before.recordsWritten;
  const syncs = journal.fileSyncs - before.fileSyncs;
  if (syncs > 0) console.log(`journal: ${records.toLocaleString("en-US")} records, ${syncs.toLocaleString("en-US")} fdatasyncs (${Math.round(records / syncs)} records per sync)`);
  const exchange = node.exchange;
  let positions = 0;
  for (const position of exchange.positionsByKey.values()) if (position.size !== 0) positions += 1;
  console.log(
    `exchange: ${exchange.engine.orderIndex.count.toLocaleString("en-US")} resting orders, ${positions} open positions, ` +
      `insurance fund ${(exchange.treasury.insuranceFund / 1e6).toFixed(2)} USD, fee treasury ${(exchange.treasury.feeTreasury / 1e6).toFixed(2)} USD`,
  );
  await node.close();
}

// The journal alone, without the exchange: the same stream's commands, encoded beforehand, appended with
// their sequence and time (1,000 in flight), each acknowledged once its group's fdatasync returns. The
// node's rate above is this plus the exchange's apply and the follower's replay on the same two cores.
async function journalAlone(root: string): Promise<void> {
  const commands = 200_000;
  const window = 1_000;
  const directory = mkdtempSync(path.join(root, "perpdex-bench-journal-"));
  try {
    const stream = new BenchStream(1);
    const payloads = Array.from({ length: commands }, () => encodeCommandBinary(stream.next()));
    const journal = await Journal.open({ directory, logger: { info: () => {}, warn: () => {}, error: () => {} } });
    const timeBase = 1_767_225_600_000_000_000n;
    const cpuStarted = cpuMicroseconds();
    const started = performance.now();
    const latencyMs = await closedLoop(commands, window, (index) =>
      journal.append({ sequence: BigInt(index + 1), time: timeBase + BigInt(index), payload: payloads[index]! }),
    );
    const seconds = (performance.now() - started) / 1_000;
    const cpu = (cpuMicroseconds() - cpuStarted) / commands;
    const sorted = latencyMs.slice().sort();
    const { fileSyncs } = journal.statistics;
    console.log(
      `${"journal alone, 200,000 commands, 1000 in flight".padEnd(34)} ${formatRate(commands / seconds).padStart(12)}  ` +
        `ack p50 ${percentile(sorted, 0.5).toFixed(2)} ms  p99 ${percentile(sorted, 0.99).toFixed(2)} ms  ${fileSyncs} fdatasyncs  CPU ${cpu.toFixed(1)} µs/command`,
    );
    await journal.close();
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------
// Replay: the log written by the throughput part, from genesis, through the same loop recovery uses.

async function replay(dataDirectory: string): Promise<void> {
  console.log(`\n== replay from genesis: where the time goes`);
  const paths = dataPaths(dataDirectory);
  const lock = await lockDataDirectory(paths);
  try {
    const source = await openLog({ paths, logger: silentLogger });
    // 1. The journal alone: read, checksum both CRCs, check sequence and time order (the cursor replay
    //    reads with: no object per record).
    // 2. Plus the codec: every payload decoded in place into a stamped command, as replay does.
    // 3. The full loop recovery uses: plus the exchange's apply (and, once, every checkpoint hashed).
    for (const stage of ["read", "decode"] as const) {
      const started = performance.now();
      let commands = 0;
      const records = readLog(source, 1n);
      while (records.advance()) {
        if (records.kindCode !== commandKindCode) continue;
        commands += 1;
        if (stage === "decode") commandAt(records);
      }
      const seconds = (performance.now() - started) / 1_000;
      const label = stage === "read" ? "journal read + checksums + order checks" : "... + binary decode (no apply)";
      console.log(`${label.padEnd(46)} ${formatRate(commands / seconds).padStart(12)} (${commands.toLocaleString("en-US")} commands, ${seconds.toFixed(2)} s)`);
    }
    for (const verifyCheckpoints of [false, true]) {
      const state = new LogState();
      const started = performance.now();
      const summary = replayRecords({ state, records: readLog(source, 1n), verifyCheckpoints });
      const seconds = (performance.now() - started) / 1_000;
      const label = verifyCheckpoints ? `... + apply, ${summary.checkpoints} checkpoints verified` : "... + apply (the full replay)";
      console.log(`${label.padEnd(46)} ${formatRate(summary.commands / seconds).padStart(12)} (${seconds.toFixed(2)} s)`);
    }
    // The exchange's apply alone, on the same commands decoded beforehand: the ceiling of replay.
    const decoded = [];
    const records = readLog(source, 1n);
    while (records.advance()) if (records.kindCode === commandKindCode) decoded.push(commandAt(records));
    const state = new LogState();
    const started = performance.now();
    for (const command of decoded) state.apply(command);
    const seconds = (performance.now() - started) / 1_000;
    console.log(`${"apply alone (commands decoded beforehand)".padEnd(46)} ${formatRate(decoded.length / seconds).padStart(12)} (${seconds.toFixed(2)} s)`);
    await source.journal.close();
  } finally {
    await lock.release();
  }
}

// ---------------------------------------------------------------------------------------------------
// Start-up: 1,000 perpetual markets, 1,000,000 accounts that each deposit, then `orders` non-crossing GTC
// orders (10 an account at 10 M, spread over the markets and 1,000 price levels a side; every order
// passes the margin check and reserves margin), snapshot on close, then a timed open of the same data
// directory.

const startupMarkets = 1_000;
const startupAccounts = 1_000_000;
// The accounts the build funds: fewer than startupAccounts only when --orders is smaller (a quick run).
const startupFunded = Math.min(startupAccounts, startupOrders);

function startupGenesis(): GenesisConfig {
  const markets = Array.from({ length: startupMarkets }, (_, index) =>
    demoMarket({
      symbol: `M${String(index).padStart(4, "0")}-PERP`,
      // Tech stocks at $1,000: a cent tick, a hundredth of a share per lot, 20x at most.
      assetClass: "tech",
      tickSize: "0.01",
      lotSize: "0.01",
      referencePriceTicks: 100_000,
      maxOrderLots: 1_000_000,
    }),
  );
  return { limits: defaultLimits, markets };
}

// Order `index` belongs to account index mod 1 M; an account's orders (the k-th at index k × 1 M + a)
// go to five markets, two each, so 10 M orders make 5 M positions that hold orders.
function startupOrder(index: number): ExchangeCommandInput {
  const owner = index % startupAccounts;
  const round = Math.floor(index / startupAccounts);
  const market = (owner + (round % 5) * 199) % startupMarkets;
  const buy = ((owner + round) & 1) === 0;
  // 1,000 levels a side: bids below the reference, asks above, never crossing.
  const level = 1 + (Math.floor(index / startupMarkets) % 1_000);
  const price = (100_000 + (buy ? -level : level)) as PriceTicks;
  return {
    type: "placeOrder",
    account: account(owner),
    order: { market: `M${String(market).padStart(4, "0")}-PERP`, side: buy ? "buy" : "sell", type: "limit", price, size: (1 + (index % 50)) as SizeLots },
  };
}

async function buildStartupDirectory(dataDirectory: string, logger: NodeLogger): Promise<void> {
  const node = await ExchangeNode.open({
    dataDirectory,
    logger,
    genesis: startupGenesis(),
    tickIntervalMs: 0,
    // Only the final checkpoint and snapshot: the build is not what is measured.
    checkpointEvery: 1_000_000_000,
    snapshotEvery: 1_000_000_000,
    snapshotIntervalMs: 1_000_000_000,
  });
  const accounts = startupFunded;
  const depositing = performance.now();
  // $10,000 each: ten orders of at most $500 at 10x reserve at most $500.
  await submitAll(node, accounts, (index) => deposit(account(index), 10_000));
  const depositSeconds = (performance.now() - depositing) / 1_000;
  const started = performance.now();
  await submitAll(node, startupOrders, startupOrder);
  const seconds = (performance.now() - started) / 1_000;
  const engine = node.exchange.engine;
  console.log(
    `built: ${engine.accounts.count.toLocaleString("en-US")} deposits in ${depositSeconds.toFixed(1)} s (${formatRate(accounts / depositSeconds)}), ` +
      `${engine.orderIndex.count.toLocaleString("en-US")} resting orders in ${engine.markets.length} markets in ${seconds.toFixed(1)} s (${formatRate(startupOrders / seconds)})`,
  );
  const closing = performance.now();
  await node.close();
  console.log(`closed with a final checkpoint and snapshot in ${((performance.now() - closing) / 1_000).toFixed(1)} s`);
}

// Keeps the "node: recovered" line: it holds the phase timings.
function phaseLogger(): NodeLogger & { recovered: Record<string, unknown> | undefined } {
  const logger = {
    recovered: undefined as Record<string, unknown> | undefined,
    debug: () => {},
    info: (object: Record<string, unknown>, message: string) => {
      if (message === "node: recovered") logger.recovered = object;
    },
    warn: () => {},
    error: (object: Record<string, unknown>, message: string) => console.error(message, object),
  };
  return logger;
}

async function startup(dataDirectory: string, reuse: boolean): Promise<void> {
  console.log(`\n== start-up from a snapshot of ${startupOrders.toLocaleString("en-US")} resting orders`);
  if (!reuse || !existsSync(path.join(dataDirectory, "snapshots"))) await buildStartupDirectory(dataDirectory, silentLogger);
  const logger = phaseLogger();
  const started = performance.now();
  // The node thread's CPU time holds up on a shared machine, where the wall-clock time does not.
  const cpuStarted = nodeThreadCpuMicroseconds();
  const node = await ExchangeNode.open({ dataDirectory, logger, genesis: startupGenesis(), tickIntervalMs: 0, checkpointEvery: checkpointEveryAtScale });
  const seconds = (performance.now() - started) / 1_000;
  const cpuSeconds = (nodeThreadCpuMicroseconds() - cpuStarted) / 1_000_000;
  assert.equal(node.exchange.engine.orderIndex.count, startupOrders);
  assert.equal(node.exchange.engine.accounts.count, startupFunded);
  const phases = logger.recovered ?? {};
  console.log(
    `start-up ${seconds.toFixed(2)} s to ready (journal open ${phases.journalOpenMs} ms, snapshot load + verify ${phases.snapshotLoadMs} ms, ` +
      `journal replay ${phases.replayMs} ms); node thread CPU ${cpuSeconds.toFixed(2)} s; heap ${Math.round(process.memoryUsage().heapUsed / 1_048_576)} MiB`,
  );
  await intakeAtScale(node);
  await tradesAtScale(node);
  const closing = performance.now();
  await node.close();
  console.log(`closed (a final checkpoint hashed on the node's thread, a final snapshot by the follower) in ${((performance.now() - closing) / 1_000).toFixed(1)} s`);
  await inChildProcess("startup-after-stop", dataDirectory);
}

// Runs one part of this benchmark in a new node process, with this one's flags, and waits for it. A
// restart is a new process: run here, the start after a stop would share the heap with everything the
// first start left reachable in this one (about 1.9 GB at 10 M orders) and measure that instead.
async function inChildProcess(part: string, dataDirectory: string): Promise<void> {
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, part, "--child", "--startup-directory", dataDirectory, "--orders", String(startupOrders)], {
    stdio: "inherit",
  });
  const [code, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
  if (code !== 0) throw new Error(`bench:node ${part} in a child process exited with ${signal ?? code}`);
}

// A node stopped between snapshots starts from an older snapshot and replays what came after it,
// checkpoints included. Here: the snapshot close just wrote is set aside, so the node starts from the
// one before and replays the intake above (and its checkpoints, each a pass over the whole state).
async function startupAfterStopBetweenSnapshots(dataDirectory: string): Promise<void> {
  const snapshots = path.join(dataDirectory, "snapshots");
  const newest = readdirSync(snapshots).filter((name) => name.endsWith(".snapshot")).sort().at(-1);
  assert.ok(newest !== undefined);
  const aside = path.join(dataDirectory, `${newest}.aside`);
  renameSync(path.join(snapshots, newest), aside);
  let node: ExchangeNode | undefined;
  try {
    const logger = phaseLogger();
    const started = performance.now();
    node = await ExchangeNode.open({ dataDirectory, logger, genesis: startupGenesis(), tickIntervalMs: 0, checkpointEvery: checkpointEveryAtScale });
    const seconds = (performance.now() - started) / 1_000;
    const phases = logger.recovered ?? {};
    console.log(
      `start-up from the snapshot before, after a stop: ${seconds.toFixed(2)} s to ready (snapshot load + verify ${phases.snapshotLoadMs} ms, ` +
        `replay of ${phases.replayedCommands} commands ${phases.replayMs} ms, ${phases.checkpointsVerified} checkpoint hashed there, ` +
        `${phases.checkpointsLeftToFollower} left to the follower)`,
    );
  } finally {
    // The close writes a snapshot of the same state again; the one set aside goes back only if not.
    await node?.close();
    if (existsSync(path.join(snapshots, newest))) rmSync(aside);
    else renameSync(aside, path.join(snapshots, newest));
  }
}

// Intake on the start-up state, across checkpoints: every checkpoint is a pass over 10 M orders, and
// one taken on the node's thread would hold every sender for as long. Deposits (always accepted, and
// they leave the orders as they are, so the directory stays reusable), 100 in flight.
const checkpointEveryAtScale = 10_000;
const intakeAtScaleCommands = 35_000;

async function intakeAtScale(node: ExchangeNode): Promise<void> {
  const before = node.statistics.checkpoints;
  const result = await drive(node, intakeAtScaleCommands, 100, (index) => deposit(account(index % startupFunded), 1));
  const after = node.statistics.checkpoints;
  const sorted = result.latencyMs.slice().sort();
  const stalled = sorted.filter((milliseconds) => milliseconds >= 100).length;
  // Checkpoints that fall due while the follower still owes a hash (it may still be loading its snapshot) are skipped.
  const recorded = after.recorded - before.recorded;
  const skipped = after.skipped - before.skipped;
  console.log(
    `intake on this state, ${intakeAtScaleCommands.toLocaleString("en-US")} deposits, 100 in flight, across ${recorded + skipped} checkpoints (${recorded} recorded, ${skipped} skipped): ` +
      `${formatRate(result.commands / result.seconds)}, ack p50 ${percentile(sorted, 0.5).toFixed(2)} ms, p99 ${percentile(sorted, 0.99).toFixed(2)} ms, ` +
      `max ${sorted[sorted.length - 1]!.toFixed(1)} ms; ${stalled} acks took 100 ms or more`,
  );
}

// Trades on the start-up state: in each pair a maker sells 1 lot at 100,000 ticks (inside every
// market's spread: the state rests bids at or below 99,999 and asks from 100,001) and a taker buys it
// with an IOC order, so no resting order of the state is touched and the directory stays reusable
// (positions build up from run to run). Markets, makers and takers spread over the state, 100 in
// flight; the makers are the first orders placed since the start.
const tradesAtScaleCount = 10_000;

async function tradesAtScale(node: ExchangeNode): Promise<void> {
  const restingBefore = node.exchange.engine.orderIndex.count;
  let trades = 0;
  const pairCommand = (index: number): ExchangeCommandInput => {
    const pair = index >> 1;
    const market = `M${String((pair * 7) % startupMarkets).padStart(4, "0")}-PERP`;
    if ((index & 1) === 0) {
      const maker = account((pair * 13) % startupFunded);
      return { type: "placeOrder", account: maker, order: { market, side: "sell", type: "limit", price: 100_000 as PriceTicks, size: 1 as SizeLots, postOnly: true } };
    }
    const taker = account((pair * 13 + (startupFunded >> 1)) % startupFunded);
    return { type: "placeOrder", account: taker, order: { market, side: "buy", type: "limit", price: 100_000 as PriceTicks, size: 1 as SizeLots, timeInForce: "IOC" } };
  };
  const started = performance.now();
  const cpuStarted = nodeThreadCpuMicroseconds();
  // Makers go in before their takers: a pair's two commands are submitted in order, and submitting sequences.
  const latencyMs = await closedLoop(tradesAtScaleCount * 2, 100, async (index) => {
    const acknowledgement = await node.submit(pairCommand(index));
    for (const event of acknowledgement.events) if (event.type === "TradeExecuted") trades += 1;
  });
  const seconds = (performance.now() - started) / 1_000;
  const commands = tradesAtScaleCount * 2;
  const nodeThreadMicroseconds = (nodeThreadCpuMicroseconds() - cpuStarted) / commands;
  const sorted = latencyMs.slice().sort();
  assert.equal(trades, tradesAtScaleCount, "every maker's lot traded");
  assert.equal(node.exchange.engine.orderIndex.count, restingBefore, "the state's resting orders are as they were");
  console.log(
    `trades on this state, ${tradesAtScaleCount.toLocaleString("en-US")} maker/taker pairs across ${startupMarkets} markets, 100 in flight: ` +
      `${formatRate(commands / seconds)} commands, ack p50 ${percentile(sorted, 0.5).toFixed(2)} ms, p99 ${percentile(sorted, 0.99).toFixed(2)} ms, ` +
      `max ${sorted[sorted.length - 1]!.toFixed(1)} ms; node thread ${nodeThreadMicroseconds.toFixed(1)} µs/command`,
  );
}

async function main(): Promise<void> {
  if (values.child !== true) console.log(`perpdex node benchmark — ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, Node ${process.version}, scratch ${scratchRoot}`);
  const throughputDirectory = scratch("perpdex-bench-");
  try {
    if (parts.includes("throughput") || parts.includes("replay")) await throughput(throughputDirectory);
    if (parts.includes("replay")) await replay(throughputDirectory);
  } finally {
    rmSync(throughputDirectory, { recursive: true, force: true });
  }
  if (parts.includes("startup-after-stop")) {
    // The child process inChildProcess starts: the directory is the parent's, kept whatever it is.
    const directory = values["startup-directory"];
    assert.ok(directory !== undefined, "startup-after-stop needs --startup-directory");
    await startupAfterStopBetweenSnapshots(directory);
  }
  if (parts.includes("startup") || parts.includes("sustained")) {
    const kept = values["startup-directory"];
    const startupDirectory = kept ?? scratch("perpdex-bench-startup-");
    try {
      if (parts.includes("startup")) await startup(startupDirectory, kept !== undefined);
      // After the start-up part, in a new process: this one still holds what that part left reachable.
      if (parts.includes("sustained")) {
        if (parts.includes("startup")) await inChildProcess("sustained", startupDirectory);
        else await sustainedAtScale(startupDirectory);
      }
    } finally {
      if (kept === undefined) rmSync(startupDirectory, { recursive: true, force: true });
    }
  }
}

// Sustained intake on the start-up state: a minute of deposits, 100 in flight, with the node's default
// snapshot cadence (every 1,000,000 commands), so the follower writes snapshots of the whole state (about
// 800 MB each) while acknowledgements wait for journal syncs beside them. Checkpoints at the default
// cadence too (every 100,000 commands): a state hash at this scale takes the follower about 3 s, so it
// skips the checkpoints that fall due while it owes one (ExchangeNode.checkpoint); the counts are
// reported. On a copy of the start-up directory (its snapshots and archive linked, its live journal
// copied), removed after: the reusable one does not grow.
const sustainedSeconds = 60;
// More deposits than a minute holds at this scale (about 70,000 a second here): the minute ends the load.
const sustainedCommandsMax = 20_000_000;

async function sustainedAtScale(startupDirectory: string): Promise<void> {
  console.log(`\n== sustained intake on the state of ${startupOrders.toLocaleString("en-US")} resting orders, ${sustainedSeconds} s, snapshots included`);
  if (!existsSync(path.join(startupDirectory, "snapshots"))) await buildStartupDirectory(startupDirectory, silentLogger);
  const directory = scratch("perpdex-bench-sustained-");
  try {
    for (const part of ["snapshots", "archive"]) {
      mkdirSync(path.join(directory, part), { recursive: true });
      // A small start-up state may not have archived a segment yet.
      if (!existsSync(path.join(startupDirectory, part))) continue;
      for (const name of readdirSync(path.join(startupDirectory, part))) linkSync(path.join(startupDirectory, part, name), path.join(directory, part, name));
    }
    cpSync(path.join(startupDirectory, "journal"), path.join(directory, "journal"), { recursive: true });
    const snapshots: string[] = [];
    // Journal segments created and archived, the other disk work beside the journal's syncs.
    const segments: string[] = [];
    const started = performance.now();
    const since = (): string => `${((performance.now() - started) / 1_000).toFixed(0)} s`;
    const errors: string[] = [];
    const logger: NodeLogger = {
      ...silentLogger,
      info: (fields, message) => {
        if (message === "node: snapshot written") snapshots.push(`${since()} (${(fields as { milliseconds: number }).milliseconds} ms)`);
        else if (message === "journal: segment created") segments.push(`created ${since()}`);
        else if (message === "journal: segments archived") segments.push(`archived ${since()}`);
      },
      error: (_fields, message) => errors.push(`${since()} ${message}`),
    };
    const node = await ExchangeNode.open({ dataDirectory: directory, logger, genesis: startupGenesis(), tickIntervalMs: 0 });
    const ready = performance.now();
    // When (whole seconds since the start) acknowledgements of 100 ms or more arrived: beside the
    // snapshots' times, what held them.
    const slowSeconds = new Set<number>();
    const latencyMs = await closedLoop(
      sustainedCommandsMax,
      100,
      async (index) => {
        const submitted = performance.now();
        await node.submit(deposit(account(index % startupFunded), 1));
        if (performance.now() - submitted >= 100) slowSeconds.add(Math.round((performance.now() - started) / 1_000));
      },
      ready + sustainedSeconds * 1_000,
    );
    const sorted = latencyMs.slice().sort();
    console.log(
      `${sorted.length.toLocaleString("en-US")} deposits in ${sustainedSeconds} s after a start in ${((ready - started) / 1_000).toFixed(1)} s, 100 in flight: ` +
        `${formatRate(sorted.length / sustainedSeconds)}, ack p50 ${percentile(sorted, 0.5).toFixed(2)} ms, p99 ${percentile(sorted, 0.99).toFixed(2)} ms, ` +
        `p99.9 ${percentile(sorted, 0.999).toFixed(2)} ms, max ${sorted[sorted.length - 1]!.toFixed(1)} ms; ${sorted.filter((milliseconds) => milliseconds >= 100).length} acks took 100 ms or more`,
    );
    console.log(`snapshots written at (since the start, and how long each took): ${snapshots.join(", ") || "none"}`);
    console.log(`journal segments: ${segments.join(", ") || "none"}`);
    console.log(`acknowledgements of 100 ms or more arrived at (s since the start): ${[...slowSeconds].join(", ") || "none"}`);
    const { recorded, skipped, awaitingHash } = node.statistics.checkpoints;
    console.log(`checkpoints: ${recorded} recorded, ${skipped} skipped, ${awaitingHash} awaiting the follower's hash; errors logged: ${errors.join("; ") || "none"}`);
    const closing = performance.now();
    await node.close();
    console.log(`closed in ${((performance.now() - closing) / 1_000).toFixed(1)} s`);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

await main();
