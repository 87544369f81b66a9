// The subscribers of the WebSocket fan-out benchmark (ws-fanout.ts), on their own thread. Each update
// is read without a full JSON parse (the exchange time sits at a fixed place near the start), so the
// clients' own cost stays small beside the server's.
import { parentPort, workerData } from "node:worker_threads";
import WebSocket from "ws";

const { url, subscribers, market } = workerData;
const latencies = new Float64Array(20_000_000);
const updatePrefix = Buffer.from('{"type":"book","kind":"update"');
const timeKey = Buffer.from('"time":"');
let deliveries = 0;
let connected = 0;
let closed = 0;
const sockets = [];

// Wall-clock milliseconds with a fraction, read as the node reads exchange time (packages/node/src/
// clock.ts): the monotonic timer, re-aligned to Date.now() whenever the two part by more than the
// millisecond Date.now() truncates. performance.timeOrigin + performance.now() alone is not the wall
// clock: on a VM whose clock is being corrected it drifts from it by milliseconds a second (seen here:
// 8 ms in 2 s), which made this latency negative.
let anchorWallMs = Date.now();
let anchorMonotonicMs = performance.now();
function wallClockMs() {
  const monotonicMs = performance.now();
  const estimate = anchorWallMs + (monotonicMs - anchorMonotonicMs);
  const wallMs = Date.now();
  if (estimate >= wallMs && estimate < wallMs + 2) return estimate;
  anchorWallMs = wallMs;
  anchorMonotonicMs = monotonicMs;
  return wallMs;
}

function onMessage(socket, data) {
  if (data.subarray(0, updatePrefix.length).equals(updatePrefix)) {
    const arrivedMs = wallClockMs();
    const start = data.indexOf(timeKey) + timeKey.length;
    const end = data.indexOf(34, start);
    // Exchange time in ns; its first 13 digits are milliseconds, the rest a fraction of one.
    const text = data.toString("latin1", start, end);
    const sentMs = Number(text.slice(0, text.length - 6)) + Number(text.slice(text.length - 6)) / 1e6;
    if (deliveries < latencies.length) latencies[deliveries] = arrivedMs - sentMs;
    deliveries += 1;
    return;
  }
  const text = data.toString();
  if (text.startsWith('{"type":"welcome"')) {
    socket.send(JSON.stringify({ op: "subscribe", channel: "book", market, id: 1 }));
  } else if (text.startsWith('{"type":"subscribed"')) {
    connected += 1;
    if (connected === subscribers) parentPort.postMessage({ ready: true });
  }
}

for (let index = 0; index < subscribers; index += 1) {
  const socket = new WebSocket(url, { perMessageDeflate: false });
  sockets.push(socket);
  socket.on("message", (data) => onMessage(socket, data));
  socket.on("close", () => (closed += 1));
  socket.on("error", () => {});
}

parentPort.on("message", (command) => {
  if (command !== "report") return;
  const sample = latencies.slice(0, Math.min(deliveries, latencies.length)).sort();
  const at = (quantile) => (sample.length === 0 ? 0 : sample[Math.min(sample.length - 1, Math.floor(quantile * sample.length))]);
  parentPort.postMessage({ deliveries, closed, p50: at(0.5), p99: at(0.99), max: sample.length === 0 ? 0 : sample[sample.length - 1] });
  for (const socket of sockets) socket.terminate();
});
