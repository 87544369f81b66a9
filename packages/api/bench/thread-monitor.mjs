// PERPDEX_BENCH_TRACE's thread monitor (latency-trace.ts starts it as a child process, so it keeps
// sampling while the bench's own threads stall): every intervalMs, each thread of process `pid` with its
// name, CPU time and time spent waiting for a core (Linux schedstat, nanoseconds), and the machine's busy
// jiffies (every process). One JSON line per sample on stdout, {t: epoch ms, machine, threads: {tid:
// [name, cpuNs, waitNs]}}, until the process ends or this one is killed.
import { readdirSync, readFileSync, writeSync } from "node:fs";

const pid = process.argv[2];
const intervalMs = Number(process.argv[3] ?? 5);
// Thread names, read once per thread.
const names = new Map();

function threadName(id) {
  let name = names.get(id);
  if (name === undefined) {
    name = readFileSync(`/proc/${pid}/task/${id}/comm`, "utf8").trim();
    names.set(id, name);
  }
  return name;
}

// Busy jiffies of the whole machine: the first line of /proc/stat (user nice system idle iowait irq
// softirq steal ...), without idle and iowait.
function machineBusyJiffies() {
  try {
    const counters = readFileSync("/proc/stat", "utf8").split("\n", 1)[0].trim().split(/\s+/).slice(1, 9).map(Number);
    let busy = 0;
    for (let index = 0; index < counters.length; index += 1) if (index !== 3 && index !== 4) busy += counters[index];
    return busy;
  } catch {
    return 0;
  }
}

function sample() {
  let ids;
  try {
    ids = readdirSync(`/proc/${pid}/task`);
  } catch {
    process.exit(0); // the process has ended
  }
  const threads = {};
  for (const id of ids) {
    try {
      const [cpu, wait] = readFileSync(`/proc/${pid}/task/${id}/schedstat`, "utf8").split(" ").map(Number);
      threads[id] = [threadName(id), cpu, wait];
    } catch {
      // the thread ended between the listing and the read
    }
  }
  writeSync(1, JSON.stringify({ t: performance.timeOrigin + performance.now(), machine: machineBusyJiffies(), threads }) + "\n");
}

setInterval(sample, intervalMs);
