// PERPDEX_BENCH_TRACE=1: where the ack latency of the open-loop runs goes, stage by stage, for the
// slowest requests and for the typical one. The load generator names each request (X-Correlation-Id
// "t<index>") and reports when it was due, sent and answered; this thread stamps the same request at
// fastify's hooks, around the signature worker's round trip and around the node's submit; the journal's
// writes and syncs, the GC pauses and the event-loop stalls are timed on the side. Every stamp is epoch
// milliseconds (performance.timeOrigin + performance.now(), per thread), so the two threads' clocks agree.
// Diagnostic only: the stamps cost the server thread a few microseconds per request.
import type { ExchangeNode } from "@perpdex/node";
import type { FastifyInstance } from "fastify";
import { spawn, type ChildProcess } from "node:child_process";
import { constants as performanceConstants, PerformanceObserver } from "node:perf_hooks";
import type { ApiServer } from "../src/server.ts";

/** What the load generator reports per request in a traced open-loop run (epoch ms). */
export interface LoadTimes {
  readonly scheduled: Float64Array;
  readonly sent: Float64Array;
  readonly received: Float64Array;
}

// Stamps this thread takes per request, in the order a request meets them.
const serverStamps = ["request", "handler", "verifyStart", "verifyEnd", "submitStart", "submitReturned", "durable", "response"] as const;
type ServerStamp = (typeof serverStamps)[number];

const now = (): number => performance.timeOrigin + performance.now();

// Stages between consecutive stamps: [name, from, to]. "scheduled", "sent" and "received" are the load
// generator's; the rest are this thread's.
const stages: readonly (readonly [string, string, string])[] = [
  ["load gen late", "scheduled", "sent"],
  ["socket → onRequest", "sent", "request"],
  ["body parse+validate", "request", "handler"],
  ["→ verifier", "handler", "verifyStart"],
  ["verifier round trip", "verifyStart", "verifyEnd"],
  ["→ node.submit", "verifyEnd", "submitStart"],
  ["apply (sync)", "submitStart", "submitReturned"],
  ["wait for fsync", "submitReturned", "durable"],
  ["respond", "durable", "response"],
  ["→ client", "response", "received"],
];

/** Stamps one server's requests; `report` prints the breakdown of a run. */
export class LatencyTrace {
  private readonly stamps = new Map<number, Float64Array>();
  private readonly bySignature = new Map<string, number>();
  private readonly syncs: { start: number; end: number; records: number }[] = [];
  private readonly pauses: { start: number; duration: number; major: boolean }[] = [];
  private readonly stalls: { start: number; duration: number }[] = [];
  private sampler: NodeJS.Timeout | null = null;
  private monitor: ChildProcess | null = null;
  private monitorOutput = "";
  private readonly gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const major = (entry as unknown as { detail?: { kind?: number } }).detail?.kind === performanceConstants.NODE_PERFORMANCE_GC_MAJOR;
      this.pauses.push({ start: performance.timeOrigin + entry.startTime, duration: entry.duration, major });
    }
  });

  constructor(server: ApiServer, node: ExchangeNode) {
    this.hook(server.app);
    const context = server.context as unknown as { submit: (input: unknown, auth?: Uint8Array) => Promise<unknown> };
    const submit = context.submit;
    const decoder = new TextDecoder();
    context.submit = (input, auth) => {
      const index = auth === undefined ? undefined : this.bySignature.get(/"signature":"(0x[0-9a-f]+)"/.exec(decoder.decode(auth))?.[1] ?? "");
      this.stamp(index, "submitStart");
      const promise = submit(input, auth);
      this.stamp(index, "submitReturned");
      return promise.then((ack) => {
        this.stamp(index, "durable");
        return ack;
      });
    };
    const verifier = server.context.auth as unknown as { recoverSignedBody: (type: string, definitions: unknown, body: string, signature: string) => Promise<unknown> };
    const recover = verifier.recoverSignedBody.bind(verifier);
    verifier.recoverSignedBody = (type, definitions, body, signature) => {
      const index = this.bySignature.get(signature);
      this.stamp(index, "verifyStart");
      return recover(type, definitions, body, signature).then((recovered) => {
        this.stamp(index, "verifyEnd");
        return recovered;
      });
    };
    // The journal's group commit: each batch is one write() and one fdatasync().
    const journal = (node as unknown as { journal: { writeBatch: (batch: { recordCount: number }) => Promise<void> } }).journal;
    const writeBatch = journal.writeBatch.bind(journal);
    journal.writeBatch = async (batch) => {
      const start = now();
      await writeBatch(batch);
      this.syncs.push({ start, end: now(), records: batch.recordCount });
    };
  }

  private hook(app: FastifyInstance): void {
    app.addHook("onRequest", (request, _reply, done) => {
      this.stamp(indexOf(request.id), "request");
      done();
    });
    app.addHook("preHandler", (request, _reply, done) => {
      const index = indexOf(request.id);
      const signature = (request.body as { signature?: unknown } | undefined)?.signature;
      if (index !== undefined && typeof signature === "string") this.bySignature.set(signature, index);
      this.stamp(index, "handler");
      done();
    });
    app.addHook("onResponse", (request, _reply, done) => {
      this.stamp(indexOf(request.id), "response");
      done();
    });
  }

  private stamp(index: number | undefined, name: ServerStamp): void {
    if (index === undefined) return;
    let row = this.stamps.get(index);
    if (row === undefined) {
      row = new Float64Array(serverStamps.length).fill(Number.NaN);
      this.stamps.set(index, row);
    }
    row[serverStamps.indexOf(name)] = now();
  }

  /** Starts a run: clears the stamps, watches GC and event-loop stalls (a 1 ms timer that came late). */
  start(): void {
    this.stamps.clear();
    this.bySignature.clear();
    this.syncs.length = 0;
    this.pauses.length = 0;
    this.stalls.length = 0;
    this.gc.observe({ entryTypes: ["gc"] });
    this.monitorOutput = "";
    this.monitor = spawn(process.execPath, [new URL("./thread-monitor.mjs", import.meta.url).pathname, String(process.pid), "5"], { stdio: ["ignore", "pipe", "inherit"] });
    this.monitor.stdout!.setEncoding("utf8").on("data", (chunk: string) => (this.monitorOutput += chunk));
    let last = now();
    this.sampler = setInterval(() => {
      const at = now();
      if (at - last > 4) this.stalls.push({ start: last, duration: at - last });
      last = at;
    }, 1);
  }

  /** Ends a run and prints where the time went. */
  async report(load: LoadTimes, leadIn: number, write: (text: string) => void): Promise<void> {
    this.gc.disconnect();
    if (this.sampler !== null) clearInterval(this.sampler);
    const monitor = this.monitor;
    if (monitor !== null) {
      const ended = new Promise((resolve) => monitor.once("exit", resolve));
      monitor.kill();
      await ended;
    }
    const count = load.scheduled.length - leadIn;
    const at = (index: number, name: string): number => {
      if (name === "scheduled") return load.scheduled[index]!;
      if (name === "sent") return load.sent[index]!;
      if (name === "received") return load.received[index]!;
      return this.stamps.get(index)?.[serverStamps.indexOf(name as ServerStamp)] ?? Number.NaN;
    };
    // The measured requests only (those after the lead-in).
    const order = Array.from({ length: count }, (_unused, index) => leadIn + index).sort((left, right) => at(left, "received") - at(left, "scheduled") - (at(right, "received") - at(right, "scheduled")));
    const slowest = order.slice(Math.floor(count * 0.99));
    const typical = order.slice(Math.floor(count * 0.45), Math.floor(count * 0.55));
    const mean = (indices: readonly number[], from: string, to: string): string => {
      let sum = 0;
      let counted = 0;
      for (const index of indices) {
        const value = at(index, to) - at(index, from);
        if (Number.isFinite(value)) {
          sum += value;
          counted += 1;
        }
      }
      return counted === 0 ? "—" : (sum / counted).toFixed(2);
    };
    write(`  trace: mean ms per stage, slowest 1 % (${slowest.length}) vs the middle 10 % (${typical.length})\n`);
    for (const [name, from, to] of stages) write(`    ${name.padEnd(24)}${mean(slowest, from, to).padStart(9)}${mean(typical, from, to).padStart(9)}\n`);
    const origin = load.scheduled[leadIn]!;
    const slowTimes = slowest.map((index) => at(index, "scheduled") - origin).sort((left, right) => left - right);
    write(`    slowest requests were due at (ms into the run): ${clusters(slowTimes)}\n`);
    const sorted = this.syncs.map((sync) => sync.end - sync.start).sort((left, right) => left - right);
    const q = (quantile: number): string => (sorted[Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))] ?? Number.NaN).toFixed(2);
    write(`    journal batches ${sorted.length}, records/batch ${(this.syncs.reduce((sum, sync) => sum + sync.records, 0) / Math.max(1, sorted.length)).toFixed(1)}, write+fdatasync p50 ${q(0.5)} p99 ${q(0.99)} max ${q(1)} ms\n`);
    const longSyncs = this.syncs.filter((sync) => sync.end - sync.start > 10).map((sync) => `${(sync.start - origin).toFixed(0)}+${(sync.end - sync.start).toFixed(0)}`);
    write(`    syncs over 10 ms (start+ms): ${longSyncs.slice(0, 12).join(" ") || "none"}\n`);
    const stalls = this.stalls.map((stall) => `${(stall.start - origin).toFixed(0)}+${stall.duration.toFixed(0)}`);
    write(`    event-loop stalls over 4 ms (start+ms): ${stalls.slice(0, 16).join(" ") || "none"}${stalls.length > 16 ? ` … (${stalls.length})` : ""}\n`);
    const slowFrom = Math.min(...slowest.map((index) => at(index, "scheduled")));
    const slowTo = Math.max(...slowest.map((index) => at(index, "received")));
    write(`    CPU of each thread (cores) and its wait for a core (ms per ms), whole run | ${(slowFrom - origin).toFixed(0)}–${(slowTo - origin).toFixed(0)} ms:\n`);
    for (const row of threadUse(this.monitorOutput, [origin, Math.max(...load.received)], [slowFrom, slowTo])) write(`      ${row}\n`);
    const pauses = this.pauses.filter((pause) => pause.duration > 2 || pause.major).map((pause) => `${pause.major ? "major " : ""}${(pause.start - origin).toFixed(0)}+${pause.duration.toFixed(1)}`);
    write(`    GC pauses over 2 ms and major ones (start+ms): ${pauses.slice(0, 12).join(" ") || "none"}\n`);
  }
}

interface Sample {
  readonly t: number;
  readonly machine: number;
  readonly threads: Record<string, [string, number, number]>;
}

// Per thread (name:tid; "main" is the server's thread): CPU cores used and run-queue wait (ms per ms),
// over each window; the busiest threads of the last window first.
function threadUse(output: string, ...windows: (readonly [number, number])[]): string[] {
  const samples = output
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Sample);
  const perWindow = windows.map(([from, to]) => {
    const first = samples.find((sample) => sample.t >= from - 5);
    const last = samples.filter((sample) => sample.t <= to + 5).at(-1);
    const use = new Map<string, [number, number]>();
    if (first === undefined || last === undefined || last.t <= first.t) return { use, machine: Number.NaN };
    const span = last.t - first.t;
    for (const [id, [name, cpu, wait]] of Object.entries(last.threads)) {
      const before = first.threads[id];
      use.set(Number(id) === process.pid ? "main" : `${name}:${id}`, [(cpu - (before?.[1] ?? 0)) / 1e6 / span, (wait - (before?.[2] ?? 0)) / 1e6 / span]);
    }
    // Jiffies are 10 ms: cores busy machine-wide.
    return { use, machine: ((last.machine - first.machine) * 10) / span };
  });
  const lastWindow = perWindow.at(-1)!.use;
  const names = [...new Set(perWindow.flatMap((window) => [...window.use.keys()]))]
    .filter((name) => perWindow.some((window) => (window.use.get(name)?.[0] ?? 0) >= 0.01))
    .sort((left, right) => (lastWindow.get(right)?.[0] ?? 0) - (lastWindow.get(left)?.[0] ?? 0));
  const rows = names.map((name) => `${name.padEnd(18)}${perWindow.map((window) => (window.use.get(name) ?? [0, 0]).map((value) => value.toFixed(2)).join(" / ").padStart(14)).join("  |")}`);
  rows.push(`${"machine busy".padEnd(18)}${perWindow.map((window) => window.machine.toFixed(2).padStart(14)).join("  |")}`);
  return rows;
}

function indexOf(id: string): number | undefined {
  return id.charCodeAt(0) === 116 /* t */ ? Number(id.slice(1)) : undefined;
}

// Sorted times as runs: "120–180 (12) 2400 (1)".
function clusters(times: readonly number[]): string {
  const parts: string[] = [];
  let start = times[0];
  let previous = start;
  let members = 0;
  for (const time of [...times, Number.POSITIVE_INFINITY]) {
    if (start !== undefined && previous !== undefined && time - previous > 50) {
      parts.push(`${start.toFixed(0)}${previous > start ? `–${previous.toFixed(0)}` : ""} (${members})`);
      start = time;
      members = 0;
    }
    previous = time;
    members += 1;
  }
  return parts.slice(0, 12).join(" ");
}
