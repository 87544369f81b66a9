import { spawnSync } from "node:child_process";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { bigBookDefaults, measureBigBook, runBigBookChild, type BigBookResult } from "./big-book.ts";
import { clockOverhead, collectGarbage, nowNs } from "./measure.ts";
import { orderBookRestingMemory, perpdexRestingMemory, type RestingLoad } from "./memory.ts";
import { checkTargets, engineReport, formatTable, fullEngineReport, round, type BenchReport } from "./report.ts";
import { formatLiquidation, liquidationFull, liquidationQuick, measureLiquidation } from "./liquidation.ts";
import { compareSpeed, measureFullEngine, type SpeedComparison } from "./speed.ts";
import { benchMarket, generateWorkload, mixPerMille, shape, standardWorkload, type Workload } from "./workload.ts";

// npm run bench [-- options]: the standard workload through perpdex's core and nodejs-order-book in the
// same run, memory per resting order for both, and 10 M resting orders over 1,000 markets.
//
//   --json            print exactly one JSON object on stdout (progress goes to stderr)
//   --seed N          workload seed (default 1)
//   --commands N      commands in the timed stream (default 1,000,000)
//   --passes N        perpdex's measured passes, throughput and latency each (default 3; median reported)
//   --reference-passes N   nodejs-order-book's measured passes (default 3; each takes a minute or two at
//                     1 M commands, so 1 shortens a run by several minutes)
//   --quick           20,000 commands, 1 nodejs-order-book pass, 100,000 resting orders for memory and
//                     no 10 M book: a smoke run of about 15 s
//   --big             only the 10 M resting-order measurement
//   --big-orders N    resting orders of that measurement (default 10,000,000)
//   --full-engine     only the full perpetual engine on the standard workload (throughput and latency;
//                     no nodejs-order-book, memory, big book or liquidation parts): about a minute
//   --help            this text
//
// It re-executes itself under --expose-gc: memory readings and the collections between passes need it.

interface Options {
  readonly help: boolean;
  readonly json: boolean;
  readonly seed: number;
  readonly commands: number;
  readonly passes: number;
  readonly referencePasses: number;
  readonly quick: boolean;
  readonly big: boolean;
  readonly bigChild: boolean;
  readonly bigOrders: number;
  readonly fullEngine: boolean;
}

const usage =
  "usage: bench.ts [--json] [--seed N] [--commands N] [--passes N] [--reference-passes N] [--quick] [--big] [--big-orders N] [--full-engine]";

function parseOptions(argumentsList: readonly string[]): Options {
  const flags = new Set<string>();
  const values = new Map<string, number>();
  for (let index = 0; index < argumentsList.length; index += 1) {
    const argument = argumentsList[index]!;
    if (["--json", "--quick", "--big", "--big-child", "--full-engine", "--help"].includes(argument)) flags.add(argument);
    else if (["--seed", "--commands", "--passes", "--reference-passes", "--big-orders"].includes(argument)) {
      const value = Number(argumentsList[index + 1]);
      if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${argument} needs a whole number\n${usage}`);
      values.set(argument, value);
      index += 1;
    } else throw new Error(`unknown argument ${argument}\n${usage}`);
  }
  const quick = flags.has("--quick");
  return {
    help: flags.has("--help"),
    json: flags.has("--json"),
    seed: values.get("--seed") ?? 1,
    commands: Math.max(1, values.get("--commands") ?? (quick ? 20_000 : standardWorkload.commands)),
    passes: Math.max(1, values.get("--passes") ?? 3),
    referencePasses: Math.max(1, values.get("--reference-passes") ?? (quick ? 1 : 3)),
    quick,
    big: flags.has("--big"),
    bigChild: flags.has("--big-child"),
    bigOrders: values.get("--big-orders") ?? bigBookDefaults.restingOrders,
    fullEngine: flags.has("--full-engine"),
  };
}

/** Starts this script again with --expose-gc when it was not given, and exits with the child's status. */
function reexecuteWithGarbageCollection(): void {
  const child = spawnSync(
    process.execPath,
    ["--expose-gc", "--max-old-space-size=8192", ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    { stdio: "inherit" },
  );
  process.exit(child.status ?? 1);
}

function main(): void {
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
  if (options.help) return void process.stdout.write(`${usage}\n`);
  if ((globalThis as { gc?: unknown }).gc === undefined) return reexecuteWithGarbageCollection();
  if (options.bigChild) return runBigBookChild({ restingOrders: options.bigOrders, seed: options.seed });
  const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);
  if (options.fullEngine) return runFullEngine(options, log);
  if (options.big) {
    const bigBook = measureBigBook({ restingOrders: options.bigOrders, seed: options.seed });
    process.stdout.write(options.json ? `${JSON.stringify(bigBook)}\n` : `${JSON.stringify(bigBook, null, 2)}\n`);
    return;
  }
  const report = run(options, log);
  // Liquidation (bench/core/liquidation.ts): detection over 5,000,000 positions and the engine through a
  // flash crash of 10,000 accounts; --quick: 500,000 positions and 1,000 accounts.
  const liquidationOptions = options.quick ? liquidationQuick : liquidationFull;
  log(`liquidation: detection over ${liquidationOptions.positions} positions, flash crash over ${liquidationOptions.accounts} accounts`);
  const liquidation = measureLiquidation(liquidationOptions);
  process.stdout.write(options.json ? `${JSON.stringify({ ...report, liquidation })}\n` : formatTable(report) + formatLiquidation(liquidation));
}

/** --full-engine: the full perpetual engine alone, the figure the "perpdex full engine" row reports. */
function runFullEngine(options: Options, log: (line: string) => void): void {
  log(`generating ${options.commands} commands (seed ${options.seed})`);
  const workload = generateWorkload({ ...standardWorkload, seed: options.seed, commands: options.commands });
  const speed = measureFullEngine({ workload, passes: options.passes, warmUpCommands: warmUpCommandsMax, log });
  const report = { workload: describeWorkload(workload, 0, 0), perpdexFullEngine: fullEngineReport(speed), loadAverage: loadAverage() };
  const { commandsPerSecond, commandsPerSecondPasses, commandsPerSecondBest, p50Ns, p99Ns, p999Ns, refusedPerPass } = report.perpdexFullEngine;
  const summary = { commandsPerSecond, commandsPerSecondPasses, commandsPerSecondBest, p50Ns, p99Ns, p999Ns, refusedPerPass, loadAverage: report.loadAverage };
  process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : `${JSON.stringify(summary, null, 2)}\n`);
}

function run(options: Options, log: (line: string) => void): BenchReport {
  // Other processes on the machine slow every figure; the load average says whether there were any.
  const loadAverageAtStart = loadAverage();
  const clock = clockOverhead();
  log(`clock: two back-to-back reads, median ${clock.medianNs} ns, p99 ${clock.p99Ns} ns`);
  // The workload lives only inside measureSpeed: the memory readings below start from a heap without it.
  const { speed, workloadReport } = measureSpeed(options, log);
  collectGarbage();
  const load: RestingLoad = {
    restingOrders: options.quick ? 100_000 : 1_000_000,
    markets: 1,
    levelsPerSide: 2_000,
    users: standardWorkload.users,
    seed: options.seed,
  };
  log(`memory: ${load.restingOrders} resting orders, perpdex`);
  const perpdexMemory = perpdexRestingMemory(load);
  log(`memory: ${load.restingOrders} resting orders, nodejs-order-book`);
  const orderBookMemory = orderBookRestingMemory(load);
  let bigBook: BigBookResult | null = null;
  if (!options.quick) {
    log(`big book: ${options.bigOrders} resting orders over ${bigBookDefaults.markets} markets, in a child process`);
    bigBook = measureBigBook({ restingOrders: options.bigOrders, seed: options.seed });
  }
  const perpdex = engineReport(speed.perpdex, perpdexMemory);
  return {
    workload: workloadReport,
    perpdex: { ...perpdex, eventsPerSecond: perpdex.outputsPerSecond },
    nodejsOrderBook: engineReport(speed.nodejsOrderBook, orderBookMemory),
    perpdexFullEngine: fullEngineReport(speed.perpdexFullEngine),
    ratio: round(speed.perpdex.commandsPerSecond / speed.nodejsOrderBook.commandsPerSecond, 2),
    ratioOfBest: round(speed.perpdex.commandsPerSecondBest / speed.nodejsOrderBook.commandsPerSecondBest, 2),
    booksIdentical: speed.booksIdentical,
    bigBook,
    method: describeMethod(options, clock),
    environment: { ...describeEnvironment(), loadAverageAtStart, loadAverageAtEnd: loadAverage() },
    targets: checkTargets({ speed, perpdexMemory, bigBook }),
  };
}

/** Enough for the JIT to settle on both engines' hot paths; nodejs-order-book runs it in about 15 s. */
const warmUpCommandsMax = 100_000;

function measureSpeed(options: Options, log: (line: string) => void): { speed: SpeedComparison; workloadReport: Record<string, unknown> } {
  log(`generating ${options.commands} commands (seed ${options.seed})`);
  const started = nowNs();
  const workload = generateWorkload({ ...standardWorkload, seed: options.seed, commands: options.commands });
  const generationSeconds = round((nowNs() - started) / 1e9, 2);
  const speed = compareSpeed({
    workload,
    passes: options.passes,
    referencePasses: options.referencePasses,
    warmUpCommands: warmUpCommandsMax,
    log,
  });
  return { speed, workloadReport: describeWorkload(workload, generationSeconds, speed.priceLevelsAtEnd) };
}

function describeWorkload(workload: Workload, generationSeconds: number, priceLevelsAtEnd: number): Record<string, unknown> {
  const { seed, commands, prefillOrders, users } = workload.options;
  return {
    description: `seed ${seed}: 1 market, ${prefillOrders} prefill orders, ${commands} commands from ${users} users`,
    seed,
    commands,
    prefillOrders,
    users,
    markets: 1,
    market: benchMarket,
    mixPerMille,
    shape,
    observed: workload.observations,
    priceLevelsAtEnd,
    generationSeconds,
  };
}

function describeMethod(options: Options, clock: { medianNs: number; p99Ns: number }): Record<string, unknown> {
  const passes = `perpdex: median of ${options.passes} passes, nodejs-order-book: median of ${options.referencePasses}`;
  return {
    summary: `${passes}; each after a warm-up pass over the first ${Math.min(options.commands, warmUpCommandsMax)} commands`,
    passes: options.passes,
    referencePasses: options.referencePasses,
    warmUpCommands: Math.min(options.commands, warmUpCommandsMax),
    statistic: "median",
    throughput: "whole stream, clock read before and after; a fresh book with the prefill applied and a full GC before each pass",
    latency: "separate passes, clock read around every command; each percentile is the median over the passes",
    clock: "performance.now() in nanoseconds",
    clockOverheadMedianNs: clock.medianNs,
    clockOverheadP99Ns: clock.p99Ns,
    clockOverheadNote: "included in every latency figure, not subtracted",
    perpdexOutputs: "events (engine.events), counted, last event's index folded into a checksum",
    nodejsOrderBookOutputs: "done + partial orders of each limit/market call, 1 per successful cancel",
    memory: "heapUsed + arrayBuffers growth after a full GC, divided by resting orders",
  };
}

/** The 1-minute load average, rounded: about 1 while the benchmark alone runs on the machine. */
function loadAverage(): number {
  return round(os.loadavg()[0]!, 2);
}

function describeEnvironment(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpus[0]?.model ?? "unknown",
    cpus: cpus.length,
    totalMemoryBytes: os.totalmem(),
  };
}

main();
