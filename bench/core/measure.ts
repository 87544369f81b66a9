// Clocks, percentiles and memory readings shared by both engines' runners. Nothing here is subtracted
// from a result behind the reader's back: the clock's own cost is measured and reported beside the
// latencies it is part of.

/** Nanoseconds from an arbitrary origin. performance.now() costs less than process.hrtime.bigint(). */
export function nowNs(): number {
  return performance.now() * 1e6;
}

/** The median and 99th percentile of two back-to-back clock reads: the floor under every latency. */
export function clockOverhead(): { readonly medianNs: number; readonly p99Ns: number } {
  const samples = new Float64Array(1_000_000);
  for (let round = 0; round < 2; round += 1) {
    for (let index = 0; index < samples.length; index += 1) {
      const start = nowNs();
      samples[index] = nowNs() - start;
    }
  }
  return { medianNs: round(percentile(samples, 0.5)), p99Ns: round(percentile(samples, 0.99)) };
}

/** Nearest-rank percentile of the samples (sorts a copy); `fraction` in [0, 1]. */
export function percentile(samples: Float64Array, fraction: number): number {
  const sorted = samples.slice().sort();
  return percentileOfSorted(sorted, fraction);
}

export function percentileOfSorted(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[rank]!;
}

export interface LatencySummary {
  readonly count: number;
  readonly meanNs: number;
  readonly p50Ns: number;
  readonly p90Ns: number;
  readonly p99Ns: number;
  readonly p999Ns: number;
  readonly maxNs: number;
}

export function summarizeLatency(samples: Float64Array): LatencySummary {
  const sorted = samples.slice().sort();
  let total = 0;
  for (let index = 0; index < sorted.length; index += 1) total += sorted[index]!;
  return {
    count: sorted.length,
    meanNs: round(total / Math.max(1, sorted.length)),
    p50Ns: round(percentileOfSorted(sorted, 0.5)),
    p90Ns: round(percentileOfSorted(sorted, 0.9)),
    p99Ns: round(percentileOfSorted(sorted, 0.99)),
    p999Ns: round(percentileOfSorted(sorted, 0.999)),
    maxNs: round(sorted[sorted.length - 1] ?? Number.NaN),
  };
}

/** Latency per command kind: the samples of each kind, summarised on their own. */
export function summarizeByKind(options: {
  samples: Float64Array;
  kinds: Uint8Array;
  names: readonly string[];
}): Record<string, LatencySummary> {
  const { samples, kinds, names } = options;
  const byKind: Record<string, LatencySummary> = {};
  names.forEach((name, kind) => {
    let count = 0;
    for (let index = 0; index < kinds.length; index += 1) if (kinds[index] === kind) count += 1;
    if (count === 0) return;
    const selected = new Float64Array(count);
    let next = 0;
    for (let index = 0; index < kinds.length; index += 1) if (kinds[index] === kind) selected[next++] = samples[index]!;
    byKind[name] = summarizeLatency(selected);
  });
  return byKind;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** The median of a few pass results, and the spread, so a reader sees how noisy the machine was. */
export function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** A full, synchronous collection. The bench runs with --expose-gc; without it, a reading would lie. */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run node with --expose-gc (bench.ts re-executes itself with it)");
  // Twice: weak references and finalizers released by the first collection are reclaimed by the second.
  gc();
  gc();
}

export interface MemoryReading {
  readonly heapUsedBytes: number;
  /** Backing stores of ArrayBuffers: the typed arrays of perpdex's order pool live here, not in the heap. */
  readonly arrayBuffersBytes: number;
  readonly rssBytes: number;
}

export function readMemory(): MemoryReading {
  collectGarbage();
  const usage = process.memoryUsage();
  return { heapUsedBytes: usage.heapUsed, arrayBuffersBytes: usage.arrayBuffers, rssBytes: usage.rss };
}
