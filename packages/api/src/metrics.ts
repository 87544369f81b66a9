// Prometheus metrics (GET /metrics): request rates and latencies, commands by type and outcome, book
// depth, journal lag, WebSocket clients, rate-limit refusals. One registry per server (tests run many).
import type { ExchangeNode } from "@perpdex/node";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * The API's metrics. The WebSocket server sets `webSocketClients`; the REST layer counts requests.
 *
 * @example
 * context.metrics.webSocketClients.inc();
 */
export class ApiMetrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<"route" | "method" | "status">;
  readonly httpSeconds: Histogram<"route">;
  readonly commands: Counter<"type" | "outcome">;
  readonly commandAckSeconds: Histogram<"type">;
  readonly webSocketClients: Gauge;
  readonly webSocketMessagesSent: Counter;
  readonly rateLimited: Counter<"category">;
  // Label children by key: prom-client hashes a label set on every call, a Map lookup is cheaper.
  private readonly requestChildren = new Map<string, { count: { inc(): void }; seconds: { observe(value: number): void } }>();
  private readonly commandChildren = new Map<string, { inc(): void }>();
  private readonly ackChildren = new Map<string, { observe(value: number): void }>();

  /** Counts one HTTP request and its latency. */
  observeRequest(route: string, method: string, status: number, seconds: number): void {
    const key = `${route} ${method} ${status}`;
    let child = this.requestChildren.get(key);
    if (child === undefined) {
      child = { count: this.httpRequests.labels({ route, method, status }), seconds: this.httpSeconds.labels({ route }) };
      this.requestChildren.set(key, child);
    }
    child.count.inc();
    child.seconds.observe(seconds);
  }

  /** Counts one command by type and outcome, with its submit-to-durable latency. */
  observeCommand(type: string, outcome: string, seconds: number): void {
    const key = `${type} ${outcome}`;
    let count = this.commandChildren.get(key);
    if (count === undefined) {
      count = this.commands.labels({ type, outcome });
      this.commandChildren.set(key, count);
    }
    count.inc();
    let ack = this.ackChildren.get(type);
    if (ack === undefined) {
      ack = this.commandAckSeconds.labels({ type });
      this.ackChildren.set(type, ack);
    }
    ack.observe(seconds);
  }

  constructor(options: { node: ExchangeNode; defaultMetrics?: boolean }) {
    const registers = [this.registry];
    if (options.defaultMetrics === true) collectDefaultMetrics({ register: this.registry });
    this.httpRequests = new Counter({ name: "perpdex_http_requests_total", help: "HTTP requests by route, method and status.", labelNames: ["route", "method", "status"], registers });
    this.httpSeconds = new Histogram({
      name: "perpdex_http_request_seconds",
      help: "HTTP request latency by route.",
      labelNames: ["route"],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.commands = new Counter({ name: "perpdex_commands_total", help: "Commands submitted through the API, by type and outcome (accepted or the rejection code).", labelNames: ["type", "outcome"], registers });
    this.commandAckSeconds = new Histogram({
      name: "perpdex_command_ack_seconds",
      help: "From submit to durable acknowledgement, by command type.",
      labelNames: ["type"],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers,
    });
    this.webSocketClients = new Gauge({ name: "perpdex_websocket_clients", help: "Open WebSocket connections.", registers });
    this.webSocketMessagesSent = new Counter({ name: "perpdex_websocket_messages_sent_total", help: "WebSocket messages sent.", registers });
    this.rateLimited = new Counter({ name: "perpdex_rate_limited_total", help: "Requests refused with 429, by category.", labelNames: ["category"], registers });
    const node = options.node;
    new Gauge({
      name: "perpdex_journal_lag_commands",
      help: "Commands sequenced but not yet durable.",
      registers,
      collect() {
        this.set(node.lastSequence - node.durableSequence);
      },
    });
    new Gauge({
      name: "perpdex_last_sequence",
      help: "The last sequenced command.",
      registers,
      collect() {
        this.set(node.lastSequence);
      },
    });
    new Gauge({
      name: "perpdex_checkpoints",
      help: "State-hash checkpoints since the node started: recorded, skipped (the follower was still hashing an earlier one), awaiting the follower's hash.",
      labelNames: ["state"],
      registers,
      collect() {
        const { recorded, skipped, awaitingHash } = node.statistics.checkpoints;
        this.set({ state: "recorded" }, recorded);
        this.set({ state: "skipped" }, skipped);
        this.set({ state: "awaiting_hash" }, awaitingHash);
      },
    });
    new Gauge({
      name: "perpdex_book_levels",
      help: "Price levels in each market's book, by side.",
      labelNames: ["market", "side"],
      registers,
      collect() {
        for (const market of node.exchange.engine.markets) {
          this.set({ market: market.symbol, side: "bid" }, market.bids.levelCount);
          this.set({ market: market.symbol, side: "ask" }, market.asks.levelCount);
        }
      },
    });
  }
}
