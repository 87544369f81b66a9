// WebSocket fan-out: 1,000 subscribers to one market's book channel on a real node and API server.
// Orders go to the node at a fixed offered rate; every command changes the book, so every command is
// one book update, serialised once and written to every subscriber. The subscribers run on a worker
// thread (the machine's second core) and record, for every update they receive, the time from the
// command's exchange timestamp (taken when the node sequenced it, before the journal's fsync) to its
// arrival. Reported: updates published, deliveries per second, latency p50 / p99 / max.
//
// Run alone: `npm run bench:ws` (or `node --import tsx packages/api/bench/ws-fanout.ts`).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { ExchangeNode, silentLogger } from "@perpdex/node";
import type { ExchangeCommandInput } from "@perpdex/protocol";
import { ReadModel } from "../src/read-model/read-model.ts";
import { specRateLimits } from "../src/rate-limit/rate-limiter.ts";
import { createApiServer } from "../src/server.ts";

/** Parameters of `benchWsFanout`. */
export interface WsFanoutOptions {
  /** Subscribers of the one book channel (default 1,000). */
  readonly subscribers?: number;
  /** Book-changing commands offered per second (default 200). */
  readonly updatesPerSecond?: number;
  /** How long to offer them (default 5 s). */
  readonly durationMs?: number;
}

/** What `benchWsFanout` measured. */
export interface WsFanoutReport {
  readonly subscribers: number;
  readonly updatesPublished: number;
  readonly deliveries: number;
  readonly deliveriesPerSecond: number;
  readonly updatesPerSecond: number;
  /** Deliveries ÷ subscribers: equal to updatesPublished when nobody missed anything. */
  readonly updatesReceivedPerSubscriber: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly slowConsumersDropped: number;
}


/**
 * Runs the fan-out benchmark and resolves to its report.
 *
 * @example
 * const report = await benchWsFanout({ subscribers: 1_000, updatesPerSecond: 1_000, durationMs: 5_000 });
 * console.log(report.deliveriesPerSecond, report.latencyMs.p99);
 */
export async function benchWsFanout(options: WsFanoutOptions = {}): Promise<WsFanoutReport> {
  const subscribers = options.subscribers ?? 1_000;
  const updatesPerSecond = options.updatesPerSecond ?? 200;
  const durationMs = options.durationMs ?? 5_000;
  const market = "BTC-PERP";
  const dataDirectory = await mkdtemp(path.join(tmpdir(), "perpdex-ws-bench-"));
  const readModel = new ReadModel();
  const node = await ExchangeNode.open({ dataDirectory, logger: silentLogger, tickIntervalMs: 0, follower: false, onApplied: (applied) => readModel.apply(applied) });
  const rateLimits = {
    ...specRateLimits,
    exemptIps: new Set(["127.0.0.1"]),
    webSocket: { ...specRateLimits.webSocket, connectionsPerIpMax: subscribers + 10, bufferedBytesMax: 64 * 1024 * 1024 },
  };
  const server = await createApiServer({ node, readModel, mode: "development", port: 0, rateLimits, verifierThreads: 1 });
  const url = `${(await server.listen()).replace(/^http/, "ws")}/v1/ws`;
  const account = `0x${"b".repeat(40)}`;
  await node.submit({ type: "deposit", account, asset: "USDC", amount: 100_000_000_000_000n, reference: "bench" });

  const worker = new Worker(new URL("./ws-fanout-worker.mjs", import.meta.url), { workerData: { url, subscribers, market } });
  await new Promise<void>((resolve, reject) => {
    worker.once("error", reject);
    worker.once("message", () => resolve());
  });

  // Alternately rest and cancel a bid one tick apart: each command changes one level, one update.
  const started = performance.now();
  let sent = 0;
  let resting: number[] = [];
  const inFlight: Promise<unknown>[] = [];
  while (performance.now() - started < durationMs) {
    const due = Math.floor(((performance.now() - started) * updatesPerSecond) / 1000);
    for (; sent < due; sent += 1) {
      const command: ExchangeCommandInput =
        resting.length > 50 || (sent % 2 === 1 && resting.length > 0)
          ? ({ type: "cancelOrder", account, market, orderId: resting.shift()! } as unknown as ExchangeCommandInput)
          : ({ type: "placeOrder", account, order: { market, side: "buy", type: "limit", price: 90_000 + (sent % 100), size: 1 } } as unknown as ExchangeCommandInput);
      const ack = node.submit(command).then((answer) => {
        if (command.type === "placeOrder" && answer.result.ok) resting.push(answer.sequence * 256);
      });
      inFlight.push(ack);
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(inFlight);
  const elapsedMs = performance.now() - started;
  // Let the last updates arrive.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const measured = await new Promise<{ deliveries: number; closed: number; p50: number; p99: number; max: number }>((resolve) => {
    worker.once("message", resolve);
    worker.postMessage("report");
  });
  resting = [];
  await worker.terminate();
  await server.close();
  await node.close();
  await rm(dataDirectory, { recursive: true, force: true });
  // Every command of the loop changed the book: one update each.
  const updatesPublished = sent;
  return {
    subscribers,
    updatesPublished,
    deliveries: measured.deliveries,
    deliveriesPerSecond: Math.round((measured.deliveries * 1000) / elapsedMs),
    updatesPerSecond: Math.round((updatesPublished * 1000) / elapsedMs),
    updatesReceivedPerSubscriber: Math.round(measured.deliveries / subscribers),
    latencyMs: { p50: round(measured.p50), p99: round(measured.p99), max: round(measured.max) },
    slowConsumersDropped: measured.closed,
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const subscribers = Number(process.env.PERPDEX_WS_SUBSCRIBERS ?? 1_000);
  const report = await benchWsFanout({ subscribers, updatesPerSecond: Number(process.env.PERPDEX_WS_RATE ?? 200), durationMs: Number(process.env.PERPDEX_WS_DURATION_MS ?? 5_000) });
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}
