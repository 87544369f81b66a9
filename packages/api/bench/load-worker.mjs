// The load generator of bench-api.ts, on its own thread (plain JavaScript: worker threads do not inherit
// tsx's loader). Closed loop: `concurrency` requests in flight until every body is sent. Open loop: bodies
// sent on a fixed schedule (`ratePerSecond`), latency measured from each request's scheduled time, so a
// stalled server is charged for the requests that queued behind it (no coordinated omission).
import http from "node:http";
import { parentPort, workerData } from "node:worker_threads";
import WebSocket from "ws";

const { url, scenario } = workerData;
const target = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function send(method, path, body) {
  return new Promise((resolve) => {
    const request = http.request(
      { host: target.hostname, port: target.port, method, path, agent, headers: body === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk) => (text += chunk));
        response.on("end", () => resolve({ status: response.statusCode, text }));
      },
    );
    request.on("error", (error) => resolve({ status: 0, text: error.message }));
    if (body !== undefined) request.write(body);
    request.end();
  });
}

async function closedLoop({ method, path, bodies, count, concurrency }) {
  let next = 0;
  const total = bodies === undefined ? count : bodies.length;
  const statuses = {};
  let sample = null;
  const started = performance.now();
  const worker = async () => {
    while (next < total) {
      const index = next++;
      const reply = await send(method, path, bodies?.[index]);
      statuses[reply.status] = (statuses[reply.status] ?? 0) + 1;
      if (reply.status !== 200 && sample === null) sample = reply.text.slice(0, 300);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { seconds: (performance.now() - started) / 1000, requests: total, statuses, sample };
}

async function openLoop({ path, bodies, ratePerSecond }) {
  const latencies = new Float64Array(bodies.length);
  const statuses = {};
  let sample = null;
  const intervalMs = 1000 / ratePerSecond;
  const started = performance.now();
  const pending = [];
  let index = 0;
  while (index < bodies.length) {
    const now = performance.now();
    // Send everything whose scheduled time has come, then yield to the event loop.
    while (index < bodies.length && started + index * intervalMs <= now) {
      const at = index;
      const scheduled = started + at * intervalMs;
      pending.push(
        send("POST", path, bodies[at]).then((reply) => {
          latencies[at] = performance.now() - scheduled;
          statuses[reply.status] = (statuses[reply.status] ?? 0) + 1;
          if (reply.status !== 200 && sample === null) sample = reply.text.slice(0, 300);
        }),
      );
      index += 1;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all(pending);
  const seconds = (performance.now() - started) / 1000;
  const sorted = Array.from(latencies).sort((left, right) => left - right);
  const at = (quantile) => sorted[Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))];
  return { seconds, requests: bodies.length, statuses, sample, p50Ms: at(0.5), p90Ms: at(0.9), p99Ms: at(0.99), maxMs: sorted[sorted.length - 1] };
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
  if (message.kind === "closed") parentPort.postMessage(await closedLoop(message));
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
parentPort.postMessage({ ready: true, scenario });
