import {
  buildOrderBookOperations,
  orderBookDepth,
  orderBookLatencyPass,
  orderBookThroughputPass,
  prepareOrderBook,
} from "./order-book-runner.ts";
import { collectGarbage, medianOf, summarizeByKind, summarizeLatency, type LatencySummary } from "./measure.ts";
import {
  perpdexDepth,
  perpdexLatencyPass,
  perpdexThroughputPass,
  prepareExchange,
  preparePerpdex,
  type BookDepth,
  type PassCounts,
} from "./perpdex-runner.ts";
import { kindNames, type Workload } from "./workload.ts";

// Both engines, one stream, one process. Each pass starts from a fresh book with the prefill applied
// and a full collection, so neither engine pays for the other's garbage. Each engine first runs one
// warm-up pass over the start of the stream (not reported), then its measured passes, alternating with
// the other engine's while both have passes left. Throughput passes read the clock twice per pass;
// latency passes read it around every command and are reported separately.

export interface EngineSpeed {
  /** Median of the throughput passes. */
  readonly commandsPerSecond: number;
  readonly commandsPerSecondPasses: readonly number[];
  /** The fastest pass: what the engine does when nothing else on the machine gets in its way. */
  readonly commandsPerSecondBest: number;
  /** perpdex: events a second. nodejs-order-book: done and partial orders plus cancels a second. */
  readonly outputsPerSecond: number;
  readonly outputsPerPass: number;
  readonly refusedPerPass: number;
  /** Median, per percentile, of the latency passes. */
  readonly latency: LatencySummary;
  readonly latencyPasses: readonly LatencySummary[];
  /** From the last latency pass. */
  readonly latencyByKind: Record<string, LatencySummary>;
}

export interface SpeedComparison {
  readonly perpdex: EngineSpeed;
  /** The same stream through the full perpetual engine: margin checks, fees, positions. */
  readonly perpdexFullEngine: EngineSpeed;
  readonly nodejsOrderBook: EngineSpeed;
  /** Whether both engines ended their throughput passes with the same price levels and lots. */
  readonly booksIdentical: boolean;
  readonly priceLevelsAtEnd: number;
  readonly warmUpCommands: number;
}

interface Contender {
  readonly name: string;
  readonly passes: number;
  /** Prepares a fresh book, collects garbage, runs the first `commands`; returns counts and final depth. */
  throughput(commands: number): { counts: PassCounts; depth: BookDepth };
  latency(durations: Float64Array): PassCounts;
}

export interface SpeedOptions {
  readonly workload: Workload;
  /** Measured passes of perpdex, for throughput and for latency each. */
  readonly passes: number;
  /** Measured passes of nodejs-order-book, for throughput and for latency each (its passes are slow). */
  readonly referencePasses: number;
  readonly warmUpCommands: number;
  readonly log: (line: string) => void;
}

export function compareSpeed(options: SpeedOptions): SpeedComparison {
  const { workload, log } = options;
  const operations = buildOrderBookOperations(workload);
  const perpdex: Contender = {
    name: "perpdex",
    passes: options.passes,
    throughput(commands) {
      const engine = preparePerpdex(workload);
      collectGarbage();
      const counts = perpdexThroughputPass(engine, workload.stream, commands);
      return { counts, depth: perpdexDepth(engine) };
    },
    latency(durations) {
      const engine = preparePerpdex(workload);
      collectGarbage();
      return perpdexLatencyPass(engine, workload.stream, durations);
    },
  };
  const nodejsOrderBook: Contender = {
    name: "nodejs-order-book",
    passes: options.referencePasses,
    throughput(commands) {
      const book = prepareOrderBook(operations);
      collectGarbage();
      const counts = orderBookThroughputPass(book, operations, commands);
      return { counts, depth: orderBookDepth(book) };
    },
    latency(durations) {
      const book = prepareOrderBook(operations);
      collectGarbage();
      return orderBookLatencyPass(book, operations, durations);
    },
  };
  const fullEngine = fullEngineContender(workload, options.passes);
  const contenders = [perpdex, nodejsOrderBook, fullEngine] as const;
  const commands = workload.stream.length;
  const warmUpCommands = Math.min(commands, options.warmUpCommands);
  for (const contender of contenders) {
    log(`warm-up ${contender.name}: ${rate(contender.throughput(warmUpCommands).counts)} commands/s over ${warmUpCommands} commands`);
  }
  const throughput = runThroughputPasses({ contenders, commands, log });
  const kinds = workload.neutral.kind.subarray(workload.neutral.prefillCount);
  const latency = runLatencyPasses({ contenders, kinds, log });
  return {
    perpdex: engineSpeed(throughput.counts[0]!, latency[0]!),
    nodejsOrderBook: engineSpeed(throughput.counts[1]!, latency[1]!),
    perpdexFullEngine: engineSpeed(throughput.counts[2]!, latency[2]!),
    booksIdentical: throughput.booksIdentical,
    priceLevelsAtEnd: throughput.priceLevelsAtEnd,
    warmUpCommands,
  };
}

/** The full perpetual engine (Exchange) as a contender: a fresh exchange for every pass. */
function fullEngineContender(workload: Workload, passes: number): Contender {
  return {
    name: "perpdex full engine",
    passes,
    throughput(commands) {
      const exchange = prepareExchange(workload);
      collectGarbage();
      const counts = perpdexThroughputPass(exchange, workload.stream, commands);
      return { counts, depth: perpdexDepth(exchange.engine) };
    },
    latency(durations) {
      const exchange = prepareExchange(workload);
      collectGarbage();
      return perpdexLatencyPass(exchange, workload.stream, durations);
    },
  };
}

/**
 * Only the full perpetual engine (Exchange) on the workload: a warm-up pass, then `passes` throughput and
 * latency passes, as compareSpeed measures it (for `npm run bench -- --full-engine`).
 */
export function measureFullEngine(options: Omit<SpeedOptions, "referencePasses">): EngineSpeed {
  const { workload, log } = options;
  const fullEngine = fullEngineContender(workload, options.passes);
  const commands = workload.stream.length;
  const warmUpCommands = Math.min(commands, options.warmUpCommands);
  log(`warm-up ${fullEngine.name}: ${rate(fullEngine.throughput(warmUpCommands).counts)} commands/s over ${warmUpCommands} commands`);
  const throughput = runThroughputPasses({ contenders: [fullEngine], commands, log });
  const kinds = workload.neutral.kind.subarray(workload.neutral.prefillCount);
  const latency = runLatencyPasses({ contenders: [fullEngine], kinds, log });
  return engineSpeed(throughput.counts[0]!, latency[0]!);
}

function runThroughputPasses(options: { contenders: readonly Contender[]; commands: number; log: (line: string) => void }): {
  counts: PassCounts[][];
  booksIdentical: boolean;
  priceLevelsAtEnd: number;
} {
  const { contenders, commands, log } = options;
  const counts: PassCounts[][] = contenders.map(() => []);
  const depths: BookDepth[][] = contenders.map(() => []);
  const rounds = Math.max(...contenders.map((contender) => contender.passes));
  for (let pass = 0; pass < rounds; pass += 1) {
    contenders.forEach((contender, index) => {
      if (pass >= contender.passes) return;
      const result = contender.throughput(commands);
      log(`throughput pass ${pass + 1}/${contender.passes} ${contender.name}: ${rate(result.counts)} commands/s`);
      counts[index]!.push(result.counts);
      depths[index]!.push(result.depth);
    });
  }
  // Every pass of every engine must end in the same book: the reference is perpdex's first pass.
  const reference = depths[0]![0]!;
  const booksIdentical = depths.every((passes) => passes.every((depth) => sameDepth(reference, depth)));
  return { counts, booksIdentical, priceLevelsAtEnd: reference[0].length + reference[1].length };
}

function runLatencyPasses(options: {
  contenders: readonly Contender[];
  kinds: Uint8Array;
  log: (line: string) => void;
}): { summaries: LatencySummary[]; byKind: Record<string, LatencySummary> }[] {
  const { contenders, kinds, log } = options;
  const results = contenders.map(() => ({ summaries: [] as LatencySummary[], byKind: {} as Record<string, LatencySummary> }));
  const durations = new Float64Array(kinds.length);
  const rounds = Math.max(...contenders.map((contender) => contender.passes));
  for (let pass = 0; pass < rounds; pass += 1) {
    contenders.forEach((contender, index) => {
      if (pass >= contender.passes) return;
      contender.latency(durations);
      const summary = summarizeLatency(durations);
      log(`latency pass ${pass + 1}/${contender.passes} ${contender.name}: p50 ${summary.p50Ns} ns, p99 ${summary.p99Ns} ns`);
      results[index]!.summaries.push(summary);
      if (pass === contender.passes - 1) results[index]!.byKind = summarizeByKind({ samples: durations, kinds, names: kindNames });
    });
  }
  return results;
}

function engineSpeed(passes: readonly PassCounts[], latency: { summaries: LatencySummary[]; byKind: Record<string, LatencySummary> }): EngineSpeed {
  const rates = passes.map(rate);
  const outputRates = passes.map((counts) => counts.outputs / (counts.elapsedNs / 1e9));
  return {
    commandsPerSecond: Math.round(medianOf(rates)),
    commandsPerSecondPasses: rates.map(Math.round),
    commandsPerSecondBest: Math.round(Math.max(...rates)),
    outputsPerSecond: Math.round(medianOf(outputRates)),
    outputsPerPass: passes[0]!.outputs,
    refusedPerPass: passes[0]!.refused,
    latency: medianSummary(latency.summaries),
    latencyPasses: latency.summaries,
    latencyByKind: latency.byKind,
  };
}

function rate(counts: PassCounts): number {
  return Math.round(counts.commands / (counts.elapsedNs / 1e9));
}

function medianSummary(summaries: readonly LatencySummary[]): LatencySummary {
  const median = (pick: (summary: LatencySummary) => number): number => medianOf(summaries.map(pick));
  return {
    count: summaries[0]!.count,
    meanNs: median((summary) => summary.meanNs),
    p50Ns: median((summary) => summary.p50Ns),
    p90Ns: median((summary) => summary.p90Ns),
    p99Ns: median((summary) => summary.p99Ns),
    p999Ns: median((summary) => summary.p999Ns),
    maxNs: median((summary) => summary.maxNs),
  };
}

function sameDepth(left: BookDepth, right: BookDepth): boolean {
  for (let side = 0; side < 2; side += 1) {
    const leftLevels = left[side]!;
    const rightLevels = right[side]!;
    if (leftLevels.length !== rightLevels.length) return false;
    for (let index = 0; index < leftLevels.length; index += 1) {
      const [leftPrice, leftLots] = leftLevels[index]!;
      const [rightPrice, rightLots] = rightLevels[index]!;
      if (leftPrice !== rightPrice || leftLots !== rightLots) return false;
    }
  }
  return true;
}
