// PERPDEX_BENCH_TRACE's thread monitor (latency-trace.ts starts it as a child process, so it keeps
// sampling while the bench's own threads stall): every intervalMs, each thread of process `pid` with its
// name, CPU time and time spent waiting for a core (Linux schedstat, nanoseconds), and the machine's busy
// jiffies (every process). One JSON line per sample on stdout, {t: epoch ms, machine, threads: {tid:
// [name, cpuNs, waitNs]}}, until the process ends or this one is killed.
import { readdirSync, readFileSync, writeSync } from "node:fs";
const pid = process.argv[2];
const intervalMs = Number(process.argv[3] ?? 5);
const comms = new Map();
function sample() {
  const threads = {};
  let ids;
  try { ids = readdirSync(`/proc/${pid}/task`); } catch { process.exit(0); }
  for (const id of ids) {
    try {
      let comm = comms.get(id);
      if (comm === undefined) { comm = readFileSync(`/proc/${pid}/task/${id}/comm`, "utf8").trim(); comms.set(id, comm); }
      const [cpu, wait] = readFileSync(`/proc/${pid}/task/${id}/schedstat`, "utf8").split(" ").map(Number);
      threads[id] = [comm, cpu, wait];
    } catch {}
  }
  let all = 0;
  try { const f = readFileSync("/proc/stat", "utf8").split("\n", 1)[0].trim().split(/\s+/).slice(1).map(Number); all = f.slice(0,8).reduce((s,v,i)=> i===3||i===4 ? s : s+v, 0); } catch {}
  writeSync(1, JSON.stringify({ t: performance.timeOrigin + performance.now(), machine: all, threads }) + "\n");
}
setInterval(sample, intervalMs);
