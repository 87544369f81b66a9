import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { perpdexRestingMemory } from "./memory.ts";

// 10,000,000 resting orders over 1,000 markets, in a process of its own: resident memory (RSS) is a
// property of the whole process, so nothing else may be loaded in it. The parent starts this module's
// child, which prints one JSON line on stdout.

export interface BigBookResult {
  readonly restingOrders: number;
  readonly markets: number;
  readonly users: number;
  readonly loadSeconds: number;
  /** RSS of the child after the load and a full collection. */
  readonly rssBytes: number;
  /** RSS of the child before it loaded anything (Node, tsx and the engine's code). */
  readonly rssBeforeBytes: number;
  /** The highest RSS the child reached, growth copies of the order pool included. */
  readonly peakRssBytes: number;
  readonly heapUsedBytes: number;
  readonly arrayBuffersBytes: number;
  readonly bytesPerRestingOrder: number;
}

export const bigBookDefaults = Object.freeze({ restingOrders: 10_000_000, markets: 1_000, users: 10_000 });

/** Runs in the child: loads the book and prints the result. */
export function runBigBookChild(options: { restingOrders: number; seed: number }): void {
  const rssBeforeBytes = process.memoryUsage().rss;
  const load = {
    restingOrders: options.restingOrders,
    markets: bigBookDefaults.markets,
    // 10 orders a level: 10,000 orders a market over 500 levels a side.
    levelsPerSide: 500,
    users: bigBookDefaults.users,
    seed: options.seed,
  };
  const memory = perpdexRestingMemory(load);
  const result: BigBookResult = {
    restingOrders: memory.restingOrders,
    markets: memory.markets,
    users: load.users,
    loadSeconds: memory.loadSeconds,
    rssBytes: memory.after.rssBytes,
    rssBeforeBytes,
    // maxRSS is in kibibytes.
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    heapUsedBytes: memory.after.heapUsedBytes,
    arrayBuffersBytes: memory.after.arrayBuffersBytes,
    bytesPerRestingOrder: memory.bytesPerRestingOrder,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** Runs in the parent: starts the child with room for the heap and returns what it printed. */
export function measureBigBook(options: { restingOrders: number; seed: number }): BigBookResult {
  const script = fileURLToPath(new URL("./bench.ts", import.meta.url));
  const child = spawnSync(
    process.execPath,
    [
      ...process.execArgv.filter((argument) => !argument.startsWith("--max-old-space-size")),
      "--max-old-space-size=8192",
      script,
      "--big-child",
      "--big-orders",
      String(options.restingOrders),
      "--seed",
      String(options.seed),
    ],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 20 },
  );
  if (child.status !== 0) throw new Error(`big-book child failed with status ${child.status} ${child.signal ?? ""}`);
  const lines = child.stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]!) as BigBookResult;
}
