// CPU time of the node's own thread (the main thread: sequencing, the core's apply, the journal's
// encoding, acknowledgements), apart from the follower's and the helpers' (libuv's fdatasync pool,
// V8's garbage-collection threads). Node 20 has no per-thread CPU clock, so this reads Linux's
// /proc/self/task/<tid>/stat (the main thread's id is the process id); elsewhere it reports NaN.
import { readFileSync, readdirSync } from "node:fs";

// utime and stime are fields 14 and 15 of stat, counted in clock ticks (100 a second on Linux).
const microsecondsPerTick = 10_000;

function taskCpuMicroseconds(task: string): number {
  try {
    // The command name (field 2) may hold spaces; the fields after it may not.
    const fields = readFileSync(`/proc/self/task/${task}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) * microsecondsPerTick;
  } catch {
    return Number.NaN;
  }
}

/** CPU time of the node's thread so far, microseconds (10 ms resolution); NaN off Linux. */
export function nodeThreadCpuMicroseconds(): number {
  return taskCpuMicroseconds(String(process.pid));
}

/** CPU time of every thread of the process so far, microseconds, by thread id (empty off Linux). */
export function threadCpuMicroseconds(): Map<string, number> {
  const times = new Map<string, number>();
  let tasks: string[] = [];
  try {
    tasks = readdirSync("/proc/self/task");
  } catch {
    return times;
  }
  for (const task of tasks) {
    const microseconds = taskCpuMicroseconds(task);
    // A thread that ended meanwhile reads as NaN.
    if (!Number.isNaN(microseconds)) times.set(task, microseconds);
  }
  return times;
}
