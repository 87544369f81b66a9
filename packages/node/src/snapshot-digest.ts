// The SHA-256 of a snapshot body, computed on a helper thread while the caller restores the same bytes:
// at 10 M orders the body is about 800 MB, and hashing it first, then restoring, kept one core idle
// for most of a second. The thread reads the body through the caller's open file descriptor (the same
// file, from the page cache; snapshot files are never written in place, only renamed into place):
// sharing the caller's copy would need a SharedArrayBuffer, which the core reads about a third slower. The caller waits for the digest synchronously (Atomics.wait),
// which keeps snapshot reading a plain function for the node, the follower thread and the offline tools.
import { createHash } from "node:crypto";
import { Worker } from "node:worker_threads";

/** Bodies smaller than this are hashed on the calling thread: starting a thread costs a few ms. */
export const helperThreadBytesMin = 16 * 1024 * 1024;
/** A helper thread that has not answered by then (an overloaded machine) is dropped: the caller hashes. */
const helperWaitMs = 60_000;

// States of the first Int32 of the result buffer; the digest follows at byte 8.
const pending = 0;
const done = 1;
const failed = 2;
const digestOffset = 8;
/** The helper reads the file in pieces this large. */
const readChunkBytes = 8 * 1024 * 1024;

// CommonJS evaluated in the thread, with no loader and no flags: it needs only node:fs and node:crypto,
// and so cannot wait for anything on the calling thread, which blocks until it answers.
const helperSource = `
const { workerData } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const { readSync } = require("node:fs");
const state = new Int32Array(workerData.result, 0, 1);
try {
  const hash = createHash("sha256");
  const buffer = Buffer.allocUnsafe(${readChunkBytes});
  const end = workerData.offset + workerData.length;
  let position = workerData.offset;
  // Bounded: every pass reads at least one byte, or throws at a file that shrank.
  while (position < end) {
    const count = readSync(workerData.descriptor, buffer, 0, Math.min(buffer.length, end - position), position);
    if (count === 0) throw new Error("file shorter than its header says");
    hash.update(buffer.subarray(0, count));
    position += count;
  }
  new Uint8Array(workerData.result, ${digestOffset}, 32).set(hash.digest());
  Atomics.store(state, 0, ${done});
} catch {
  Atomics.store(state, 0, ${failed});
}
Atomics.notify(state, 0);
`;

/** A SHA-256 being computed; `digest()` returns it, waiting if need be. */
export interface PendingDigest {
  digest(): Buffer;
}

/**
 * Starts hashing `body`, the bytes at `offset` of the open file `descriptor`: on a helper thread, which
 * reads them again from the file, when it holds at least `helperBytesMin` bytes, else right away on this
 * thread. Any failure of the thread (it cannot start, it throws, it does not answer in time) falls back
 * to hashing `body` here: only time is lost. Keep the descriptor open until `digest()` has returned.
 *
 * @example
 * const pending = startDigest({ body, descriptor, offset: snapshotHeaderBytes, helperBytesMin: helperThreadBytesMin });
 * const exchange = restoreExchange(body); // meanwhile, on another core, the digest
 * if (!pending.digest().equals(header.stateHash)) return "body checksum (SHA-256) mismatch";
 */
export function startDigest(options: { body: Uint8Array; descriptor: number; offset: number; helperBytesMin: number }): PendingDigest {
  const { body, descriptor, offset } = options;
  const hashHere = (): Buffer => createHash("sha256").update(body).digest();
  if (body.byteLength < options.helperBytesMin) {
    const digest = hashHere();
    return { digest: () => digest };
  }
  const result = new SharedArrayBuffer(digestOffset + 32);
  const state = new Int32Array(result, 0, 1);
  let worker: Worker;
  try {
    worker = new Worker(helperSource, { eval: true, execArgv: [], workerData: { descriptor, offset, length: body.byteLength, result } });
  } catch {
    return { digest: hashHere };
  }
  // The thread must not keep the process alive, and its exit needs no handling: the state says it all.
  worker.unref();
  worker.on("error", () => {});
  return {
    digest: () => {
      Atomics.wait(state, 0, pending, helperWaitMs);
      if (Atomics.load(state, 0) === done) return Buffer.from(result, digestOffset, 32);
      void worker.terminate();
      return hashHere();
    },
  };
}
