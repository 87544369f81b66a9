// The load generator of bench-api.ts, on its own thread (plain JavaScript: worker threads do not inherit
// tsx's loader; the signing, sign-bodies.ts, is loaded through it on demand). It also signs each part's
// bodies before the part starts (`sign`), so the server's thread never does. Closed loop: `concurrency`
// requests in flight until every body is sent. Open loop: the bodies of a `prepare` message sent on a
// fixed schedule (`ratePerSecond`), latency measured from each request's scheduled time, so a stalled
// server is charged for the requests that queued behind it (no coordinated omission).
//
// HTTP/1.1 keep-alive over raw sockets, one request in flight per connection (no pipelining), each
// request written as one pre-encoded buffer and each response's status line, Content-Length and body
// read from the bytes: what wrk and autocannon do. The load generator shares this 2-core machine with
// the server, and node's http client spent about 80 µs of CPU per request (as much as half the server's
// cost of a signed order), so its cost was charged to the server's throughput; this client spends about
// a fifth of that.
import { readlinkSync } from "node:fs";
import net from "node:net";
import { parentPort, workerData } from "node:worker_threads";
import WebSocket from "ws";

const { url, scenario } = workerData;

// The bench's wallets and their signer (sign-bodies.ts), once bench-api.ts sends the keys: bodies are
// signed here, before a run, so neither the signing nor its garbage touches the server's thread.
let signer = null;

async function startSigning({ makers, takers }) {
  // Worker threads do not inherit tsx's loader in Node 20 (see packages/node/src/follower-bootstrap.mjs).
  const { register } = await import("tsx/esm/api");
  register();
  const { walletOf, orderBodies } = await import("./sign-bodies.ts");
  const wallets = { makers: makers.map(walletOf), takers: takers.map(walletOf) };
  signer = { orderBodies: (count, ordersPerBody) => orderBodies(wallets.makers, wallets.takers, count, ordersPerBody) };
  return { makers: wallets.makers.map((wallet) => wallet.address), takers: wallets.takers.map((wallet) => wallet.address) };
}

// A part's bodies: given, or `sign` ({ count, ordersPerBody }) signed now.
function bodiesOf(message) {
  return message.sign === undefined ? message.bodies : signer.orderBodies(message.sign.count, message.sign.ordersPerBody);
}
const target = new URL(url);
const connectionsMax = 256;
const headerEnd = Buffer.from("\r\n\r\n");
const contentLengthName = Buffer.from("\r\ncontent-length:");

// `correlationId` names the request (a traced run: bench/latency-trace.ts matches the server's stamps).
function requestBytes(method, path, body, correlationId) {
  const named = correlationId === undefined ? "" : `X-Correlation-Id: ${correlationId}\r\n`;
  const head = `${method} ${path} HTTP/1.1\r\nHost: ${target.host}\r\nConnection: keep-alive\r\n${named}`;
  if (body === undefined) return Buffer.from(`${head}\r\n`, "latin1");
  const payload = Buffer.from(body, "utf8");
  return Buffer.concat([Buffer.from(`${head}Content-Type: application/json\r\nContent-Length: ${payload.length}\r\n\r\n`, "latin1"), payload]);
}

// One keep-alive connection: sends a request, calls back with (status, body bytes) once the response is
// complete. Responses carry Content-Length (fastify always sets it for these routes); a response without
// one or a broken connection answers status 0.
class Connection {
  constructor(onIdle) {
    this.socket = net.connect({ host: target.hostname, port: Number(target.port), noDelay: true });
    this.socket.setNoDelay(true);
    this.pending = null;
    this.buffer = null;
    this.onIdle = onIdle;
    this.socket.on("data", (chunk) => this.receive(chunk));
    this.socket.on("error", () => this.fail("connection error"));
    this.socket.on("close", () => this.fail("connection closed"));
  }

  send(bytes, callback) {
    this.pending = callback;
    this.buffer = null;
    this.socket.write(bytes);
  }

  receive(chunk) {
    const data = this.buffer === null ? chunk : Buffer.concat([this.buffer, chunk]);
    const end = data.indexOf(headerEnd);
    if (end < 0) {
      this.buffer = data;
      return;
    }
    // "HTTP/1.1 200 OK": the status at bytes 9–11.
    const status = (data[9] - 48) * 100 + (data[10] - 48) * 10 + (data[11] - 48);
    const head = data.toString("latin1", 0, end).toLowerCase();
    const at = head.indexOf("\r\ncontent-length:");
    if (at < 0) return this.fail("no content-length");
    const length = Number.parseInt(head.slice(at + contentLengthName.length), 10);
    const total = end + 4 + length;
    if (data.length < total) {
      this.buffer = data;
      return;
    }
    this.buffer = null;
    const callback = this.pending;
    this.pending = null;
    callback(status, data.subarray(end + 4, total));
    if (this.pending === null) this.onIdle(this);
  }

  fail(reason) {
    const callback = this.pending;
    this.pending = null;
    this.dead = true;
    if (callback !== null) callback(0, Buffer.from(reason));
  }
}

// Connections are opened as needed (at most connectionsMax) and reused; requests beyond that wait.
class Pool {
  constructor() {
    this.idle = [];
    this.count = 0;
    this.waiting = [];
  }

  request(bytes, callback) {
    let connection = this.idle.pop();
    while (connection !== undefined && connection.dead === true) connection = this.idle.pop();
    if (connection === undefined) {
      if (this.count >= connectionsMax) {
        this.waiting.push([bytes, callback]);
        return;
      }
      this.count += 1;
      connection = new Connection((free) => this.release(free));
    }
    connection.send(bytes, callback);
  }

  release(connection) {
    const next = this.waiting.shift();
    if (next !== undefined) connection.send(next[0], next[1]);
    else this.idle.push(connection);
  }
}

const pool = new Pool();

function send(bytes) {
  return new Promise((resolve) => pool.request(bytes, (status, body) => resolve({ status, body })));
}

async function closedLoop(message) {
  const { method, path, count, concurrency } = message;
  const bodies = bodiesOf(message);
  const total = bodies === undefined ? count : bodies.length;
  // Signed and encoded before the clock starts, and the garbage of both collected.
  const requests = bodies === undefined ? [requestBytes(method, path)] : bodies.map((body) => requestBytes(method, path, body));
  globalThis.gc?.();
  // The clock starts: the server thread starts its own measurements (event-loop use, CPU).
  parentPort.postMessage({ measuring: true });
  let next = 0;
  const statuses = {};
  let sample = null;
  const started = performance.now();
  const worker = async () => {
    while (next < total) {
      const index = next++;
      const reply = await send(requests[bodies === undefined ? 0 : index]);
      statuses[reply.status] = (statuses[reply.status] ?? 0) + 1;
      if (reply.status !== 200 && sample === null) sample = reply.body.toString("utf8", 0, 300);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { seconds: (performance.now() - started) / 1000, requests: total, statuses, sample };
}

// An open-loop run's requests, signed and encoded by `prepare` before the run: that leaves megabytes of
// young objects and garbage on this thread, collected here before the clock starts rather than by the
// run's first collections (V8's background threads, which those use, serve the server's isolate too).
let prepared = null;

function prepare(message) {
  const { path, trace } = message;
  const bodies = bodiesOf(message);
  prepared = { requests: bodies.map((body, index) => requestBytes("POST", path, body, trace === true ? `t${index}` : undefined)), trace: trace === true };
  globalThis.gc?.();
  return { prepared: bodies.length };
}

// `leadIn`: the first that many requests go out on the same schedule but stay out of the statistics
// (reported apart): the run then measures the server at the offered rate, not its move from idle to it.
async function openLoop({ ratePerSecond, leadIn = 0 }) {
  const { requests, trace } = prepared;
  prepared = null;
  const bodies = requests;
  const latencies = new Float64Array(bodies.length);
  // A traced run also answers when each request was due, sent and answered, in epoch ms.
  const times = trace === true ? { scheduled: new Float64Array(bodies.length), sent: new Float64Array(bodies.length), received: new Float64Array(bodies.length) } : undefined;
  const statuses = {};
  let sample = null;
  const intervalMs = 1000 / ratePerSecond;
  let answered = 0;
  let allAnswered;
  const done = new Promise((resolve) => (allAnswered = resolve));
  const started = performance.now();
  let index = 0;
  while (index < bodies.length) {
    // Sleep until the next request is due: spinning on setImmediate kept a core busy (on a 2-core
    // machine, most of the server's second core). A timer can fire up to a millisecond late; the request
    // is still charged from its scheduled time, so the lateness counts against the server.
    const waitMs = started + index * intervalMs - performance.now();
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    const now = performance.now();
    // Send everything whose scheduled time has come.
    while (index < bodies.length && started + index * intervalMs <= now) {
      const at = index;
      const scheduled = started + at * intervalMs;
      if (times !== undefined) {
        times.scheduled[at] = performance.timeOrigin + scheduled;
        times.sent[at] = performance.timeOrigin + performance.now();
      }
      // The lead-in is over: the server thread starts its own measurements (event-loop delay, GC, CPU).
      if (at === leadIn && leadIn > 0) parentPort.postMessage({ measuring: true });
      pool.request(requests[at], (status, body) => {
        latencies[at] = performance.now() - scheduled;
        if (times !== undefined) times.received[at] = performance.timeOrigin + performance.now();
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status !== 200 && sample === null) sample = body.toString("utf8", 0, 300);
        answered += 1;
        if (answered === bodies.length) allAnswered();
      });
      index += 1;
    }
  }
  await done;
  const seconds = (performance.now() - started - leadIn * intervalMs) / 1000;
  const quantiles = (from, to) => {
    const sorted = latencies.slice(from, to).sort();
    const at = (quantile) => sorted[Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))];
    return { p50Ms: at(0.5), p90Ms: at(0.9), p99Ms: at(0.99), maxMs: sorted[sorted.length - 1] };
  };
  const measured = quantiles(leadIn, bodies.length);
  const leadInQuantiles = leadIn === 0 ? undefined : quantiles(0, leadIn);
  return { seconds, requests: bodies.length - leadIn, statuses, sample, ...measured, leadIn: leadInQuantiles, times };
}

// Opens `clients` WebSocket connections subscribed to a market's trades; reports how long each trade
// took to reach every one of them.
async function fanOut({ wsUrl, clients, market }) {
  const sockets = [];
  const received = new Map();
  for (let index = 0; index < clients; index += 1) {
    const socket = new WebSocket(wsUrl);
    sockets.push(socket);
    await new Promise((resolve, reject) => {
      socket.once("open", resolve);
      socket.once("error", reject);
    });
    socket.send(JSON.stringify({ op: "subscribe", id: 1, channel: "trades", market }));
    socket.on("message", (data) => {
      const message = JSON.parse(data.toString());
      if (message.type !== "trades") return;
      const trades = Array.isArray(message.trades) ? message.trades : Array.isArray(message.data) ? message.data : [message];
      for (const trade of trades) {
        const key = String(trade.id ?? trade.tradeId ?? trade.time);
        const entry = received.get(key) ?? { count: 0, last: 0 };
        entry.count += 1;
        entry.last = performance.now();
        received.set(key, entry);
      }
    });
  }
  // Let every subscription settle.
  await new Promise((resolve) => setTimeout(resolve, 500));
  return {
    sockets,
    received,
    close() {
      for (const socket of sockets) socket.terminate();
    },
  };
}

let fan = null;
parentPort.on("message", async (message) => {
  if (message.kind === "wallets") parentPort.postMessage(await startSigning(message));
  else if (message.kind === "closed") parentPort.postMessage(await closedLoop(message));
  else if (message.kind === "prepare") parentPort.postMessage(prepare(message));
  else if (message.kind === "open") parentPort.postMessage(await openLoop(message));
  else if (message.kind === "fanOutStart") {
    try {
      fan = await fanOut(message);
      parentPort.postMessage({ ok: true, connected: fan.sockets.length });
    } catch (error) {
      parentPort.postMessage({ ok: false, error: String(error.message ?? error) });
    }
  } else if (message.kind === "fanOutCollect") {
    await new Promise((resolve) => setTimeout(resolve, message.waitMs));
    const trades = [...fan.received.values()];
    fan.close();
    parentPort.postMessage({ trades: trades.map((entry) => ({ count: entry.count, last: entry.last })), originMs: performance.timeOrigin });
  }
});
// This thread's id in the kernel ("pid/task/tid"), so bench-api.ts can read its CPU time on Linux.
let threadId = null;
try {
  threadId = Number(readlinkSync("/proc/thread-self").split("/").pop());
} catch {
  // Not Linux: no per-thread CPU figures.
}
parentPort.postMessage({ ready: true, scenario, threadId });
