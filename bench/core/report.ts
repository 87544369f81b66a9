import type { BigBookResult } from "./big-book.ts";
import type { LatencySummary } from "./measure.ts";
import type { RestingMemory } from "./memory.ts";
import type { EngineSpeed, SpeedComparison } from "./speed.ts";

// The benchmark's result: one object, printed as JSON with --json or as a table. Every figure says what
// it measured; the targets of the issue are checked here and reported as met or not, never asserted.

export const targets = Object.freeze({
  commandsPerSecondMin: 2_000_000,
  // Issue 3: the full engine (margin, fees, positions) on the same workload.
  fullEngineCommandsPerSecondMin: 1_000_000,
  fullEngineP99NsMax: 5_000,
  ratioMin: 40,
  p99NsMax: 3_000,
  bytesPerRestingOrderMax: 120,
  /** "10,000,000 resting orders in under 2 GB": decimal gigabytes, the stricter reading. */
  bigBookRssBytesMax: 2_000_000_000,
});

export interface EngineReport {
  readonly commandsPerSecond: number;
  readonly commandsPerSecondPasses: readonly number[];
  readonly commandsPerSecondBest: number;
  readonly outputsPerSecond: number;
  readonly p50Ns: number;
  readonly p90Ns: number;
  readonly p99Ns: number;
  readonly p999Ns: number;
  readonly maxNs: number;
  readonly meanNs: number;
  readonly bytesPerRestingOrder: number;
  readonly restingMemory: Omit<RestingMemory, "after">;
  readonly outputsPerPass: number;
  readonly refusedPerPass: number;
  readonly latencyPasses: readonly LatencySummary[];
  readonly latencyByKind: Record<string, LatencySummary>;
}

export interface TargetCheck {
  readonly target: string;
  readonly actual: number | null;
  readonly met: boolean | null;
}

export interface BenchReport {
  readonly workload: Record<string, unknown>;
  readonly perpdex: EngineReport & { readonly eventsPerSecond: number };
  readonly nodejsOrderBook: EngineReport;
  /** The same stream through the full perpetual engine (funded accounts, margin, fees, positions). */
  readonly perpdexFullEngine: FullEngineReport;
  /** perpdex commandsPerSecond / nodejs-order-book commandsPerSecond, both medians of the same run. */
  readonly ratio: number;
  /** The same ratio of the fastest passes. */
  readonly ratioOfBest: number;
  readonly booksIdentical: boolean;
  readonly bigBook: BigBookResult | null;
  readonly method: Record<string, unknown>;
  readonly environment: Record<string, unknown>;
  readonly targets: Record<string, TargetCheck>;
}

export type FullEngineReport = Omit<EngineReport, "bytesPerRestingOrder" | "restingMemory">;

export function fullEngineReport(speed: EngineSpeed): FullEngineReport {
  return {
    commandsPerSecond: speed.commandsPerSecond,
    commandsPerSecondPasses: speed.commandsPerSecondPasses,
    commandsPerSecondBest: speed.commandsPerSecondBest,
    outputsPerSecond: speed.outputsPerSecond,
    p50Ns: speed.latency.p50Ns,
    p90Ns: speed.latency.p90Ns,
    p99Ns: speed.latency.p99Ns,
    p999Ns: speed.latency.p999Ns,
    maxNs: speed.latency.maxNs,
    meanNs: speed.latency.meanNs,
    outputsPerPass: speed.outputsPerPass,
    refusedPerPass: speed.refusedPerPass,
    latencyPasses: speed.latencyPasses,
    latencyByKind: speed.latencyByKind,
  };
}

export function engineReport(speed: EngineSpeed, memory: RestingMemory): EngineReport {
  const { after: _after, ...restingMemory } = memory;
  return { ...fullEngineReport(speed), bytesPerRestingOrder: memory.bytesPerRestingOrder, restingMemory };
}

export function checkTargets(options: { speed: SpeedComparison; perpdexMemory: RestingMemory; bigBook: BigBookResult | null }): Record<string, TargetCheck> {
  const { speed, perpdexMemory, bigBook } = options;
  const ratio = speed.perpdex.commandsPerSecond / speed.nodejsOrderBook.commandsPerSecond;
  const check = (target: string, actual: number | null, met: (value: number) => boolean): TargetCheck => ({
    target,
    actual,
    met: actual === null ? null : met(actual),
  });
  return {
    commandsPerSecond: check(`>= ${targets.commandsPerSecondMin}`, speed.perpdex.commandsPerSecond, (value) => value >= targets.commandsPerSecondMin),
    ratio: check(`>= ${targets.ratioMin}`, round(ratio, 2), (value) => value >= targets.ratioMin),
    p99Ns: check(`<= ${targets.p99NsMax}`, speed.perpdex.latency.p99Ns, (value) => value <= targets.p99NsMax),
    bytesPerRestingOrder: check(
      `<= ${targets.bytesPerRestingOrderMax}`,
      perpdexMemory.bytesPerRestingOrder,
      (value) => value <= targets.bytesPerRestingOrderMax,
    ),
    bigBookRssBytes: check(`< ${targets.bigBookRssBytesMax}`, bigBook?.rssBytes ?? null, (value) => value < targets.bigBookRssBytesMax),
    fullEngineCommandsPerSecond: check(
      `>= ${targets.fullEngineCommandsPerSecondMin}`,
      speed.perpdexFullEngine.commandsPerSecond,
      (value) => value >= targets.fullEngineCommandsPerSecondMin,
    ),
    fullEngineP99Ns: check(`<= ${targets.fullEngineP99NsMax}`, speed.perpdexFullEngine.latency.p99Ns, (value) => value <= targets.fullEngineP99NsMax),
  };
}

export function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });

function megabytes(bytes: number): string {
  return `${decimal.format(bytes / 1e6)} MB`;
}

/** The readable form: a header, a table of both engines, the big book and the targets. */
export function formatTable(report: BenchReport): string {
  const { perpdex, nodejsOrderBook: other } = report;
  const rows: [string, string, string][] = [
    ["commands / s (median)", integer.format(perpdex.commandsPerSecond), integer.format(other.commandsPerSecond)],
    ["  passes", perpdex.commandsPerSecondPasses.map((value) => integer.format(value)).join(" "), other.commandsPerSecondPasses.map((value) => integer.format(value)).join(" ")],
    ["outputs / s (events | done+partial+canceled)", integer.format(perpdex.outputsPerSecond), integer.format(other.outputsPerSecond)],
    ["latency p50", `${integer.format(perpdex.p50Ns)} ns`, `${integer.format(other.p50Ns)} ns`],
    ["latency p90", `${integer.format(perpdex.p90Ns)} ns`, `${integer.format(other.p90Ns)} ns`],
    ["latency p99", `${integer.format(perpdex.p99Ns)} ns`, `${integer.format(other.p99Ns)} ns`],
    ["latency p99.9", `${integer.format(perpdex.p999Ns)} ns`, `${integer.format(other.p999Ns)} ns`],
    ["latency max", `${integer.format(perpdex.maxNs)} ns`, `${integer.format(other.maxNs)} ns`],
    [`bytes / resting order (${integer.format(perpdex.restingMemory.restingOrders)} orders)`, decimal.format(perpdex.bytesPerRestingOrder), decimal.format(other.bytesPerRestingOrder)],
    ["refused commands per pass", integer.format(perpdex.refusedPerPass), integer.format(other.refusedPerPass)],
  ];
  const width = Math.max(...rows.map((row) => row[0].length));
  const lines = [
    `perpdex benchmark: ${String(report.workload["description"])}`,
    `node ${String(report.environment["node"])}, ${String(report.environment["cpu"])} x${String(report.environment["cpus"])}, load average ${String(report.environment["loadAverageAtStart"])} at start, ${String(report.environment["loadAverageAtEnd"])} at end`,
    String(report.method["summary"]),
    "",
    `${"".padEnd(width)}  ${"perpdex".padStart(22)}  ${"nodejs-order-book".padStart(22)}`,
    ...rows.map(([label, left, right]) => `${label.padEnd(width)}  ${left.padStart(22)}  ${right.padStart(22)}`),
    "",
    `ratio (perpdex / nodejs-order-book commands per second): ${decimal.format(report.ratio)}x median, ${decimal.format(report.ratioOfBest)}x best pass`,
    `books identical after every pass: ${report.booksIdentical ? "yes" : "NO"}`,
    ...latencyByKindLines(report),
    "",
    `full engine (Exchange: funded accounts, margin checks and reservations, fees, positions, events):`,
    `  ${integer.format(report.perpdexFullEngine.commandsPerSecond)} commands/s median (passes ${report.perpdexFullEngine.commandsPerSecondPasses.map((value) => integer.format(value)).join(" ")}), ${integer.format(report.perpdexFullEngine.outputsPerSecond)} events/s`,
    `  latency p50 ${integer.format(report.perpdexFullEngine.p50Ns)} ns, p99 ${integer.format(report.perpdexFullEngine.p99Ns)} ns, p99.9 ${integer.format(report.perpdexFullEngine.p999Ns)} ns; refused per pass ${integer.format(report.perpdexFullEngine.refusedPerPass)}`,
    ...bigBookLines(report.bigBook),
    "",
    "targets:",
    ...Object.entries(report.targets).map(
      ([name, check]) => `  ${name.padEnd(22)} ${check.target.padEnd(16)} actual ${check.actual === null ? "not measured" : decimal.format(check.actual)}  ${check.met === null ? "-" : check.met ? "met" : "MISSED"}`,
    ),
  ];
  return `${lines.join("\n")}\n`;
}

function latencyByKindLines(report: BenchReport): string[] {
  const lines = ["", "latency by command kind, p50 / p99 / p99.9 ns (last latency pass):"];
  for (const [kind, summary] of Object.entries(report.perpdex.latencyByKind)) {
    const other = report.nodejsOrderBook.latencyByKind[kind];
    const format = (value: LatencySummary | undefined): string =>
      value === undefined ? "-" : `${integer.format(value.p50Ns)} / ${integer.format(value.p99Ns)} / ${integer.format(value.p999Ns)}`;
    lines.push(`  ${kind.padEnd(22)} perpdex ${format(summary).padEnd(24)} nodejs-order-book ${format(other)}`);
  }
  return lines;
}

function bigBookLines(bigBook: BigBookResult | null): string[] {
  if (bigBook === null) return ["", "10 M resting orders: skipped (--quick)"];
  return [
    "",
    `${integer.format(bigBook.restingOrders)} resting orders over ${integer.format(bigBook.markets)} markets (perpdex, own process):`,
    `  loaded in ${decimal.format(bigBook.loadSeconds)} s; RSS ${megabytes(bigBook.rssBytes)} (before load ${megabytes(bigBook.rssBeforeBytes)}, peak ${megabytes(bigBook.peakRssBytes)});`,
    `  heap ${megabytes(bigBook.heapUsedBytes)} + array buffers ${megabytes(bigBook.arrayBuffersBytes)}; ${decimal.format(bigBook.bytesPerRestingOrder)} bytes / resting order`,
  ];
}
