// Proves the follower feed: frames carry records exactly, and a batch's frames are posted only once the
// batch is durable, in batch order, and never when the batch failed.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DurableFeed, FrameWriter, readFrames } from "../src/feed.ts";

test("feed: frames carry commands and checkpoints exactly", () => {
  const writer = new FrameWriter();
  const payload = new Uint8Array(10_000).map((_, index) => index % 251);
  const stateHash = new Uint8Array(32).fill(7);
  writer.add("command", 5n, 1_767_225_600_000_000_001n, payload);
  writer.add("checkpoint", 5n, 1_767_225_600_000_000_001n, stateHash);
  writer.add("command", 6n, 1_767_225_600_000_000_002n, new Uint8Array(0));
  const records = [...readFrames(writer.take())];
  assert.equal(writer.byteLength, 0);
  assert.equal(records.length, 3);
  assert.deepEqual(records.map((record) => [record.kind, record.sequence, record.time]), [
    ["command", 5n, 1_767_225_600_000_000_001n],
    ["checkpoint", 5n, 1_767_225_600_000_000_001n],
    ["command", 6n, 1_767_225_600_000_000_002n],
  ]);
  assert.deepEqual(records[0]!.kind === "command" ? records[0]!.payload : undefined, payload);
  assert.deepEqual(records[1]!.kind === "checkpoint" ? records[1]!.stateHash : undefined, stateHash);
});

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
}

function deferred(): Deferred {
  let resolve = (): void => {};
  let reject = (_error: Error): void => {};
  const promise = new Promise<void>((resolvePromise, rejectPromise) => {
    resolve = resolvePromise;
    reject = rejectPromise;
  });
  return { promise, resolve: () => resolve(), reject: (error) => reject(error) };
}

test("feed: a batch is posted after it is durable, in order, and never if it failed", async () => {
  const posted: bigint[][] = [];
  const feed = new DurableFeed((frames) => posted.push([...readFrames(frames)].map((record) => record.sequence)));
  const [first, second, third] = [deferred(), deferred(), deferred()];
  const payload = new Uint8Array(3);
  feed.add(first.promise, "command", 1n, 1n, payload);
  feed.add(first.promise, "command", 2n, 2n, payload);
  feed.add(second.promise, "command", 3n, 3n, payload);
  feed.add(third.promise, "command", 4n, 4n, payload);
  await Promise.resolve();
  assert.deepEqual(posted, [], "nothing before durability");
  first.resolve();
  await first.promise;
  await Promise.resolve();
  assert.deepEqual(posted, [[1n, 2n]]);
  second.reject(new Error("disk failed"));
  third.resolve();
  await Promise.allSettled([second.promise, third.promise]);
  await Promise.resolve();
  assert.deepEqual(posted, [[1n, 2n], [4n]], "the failed batch is not posted");
});

test("feed: gathered batches share one message, posted after gatherMs, at gatherBytesMax, or on flush", async () => {
  const posted: bigint[][] = [];
  const record = (frames: Uint8Array): number => posted.push([...readFrames(frames)].map((entry) => entry.sequence));
  // Read through a function: the asserts below narrow `posted` itself.
  const sizes = (): number[] => posted.map((message) => message.length);
  const payload = new Uint8Array(10);
  const feed = new DurableFeed(record, { gatherMs: 20, gatherBytesMax: 1_000 });
  const [first, second] = [deferred(), deferred()];
  feed.add(first.promise, "command", 1n, 1n, payload);
  feed.add(second.promise, "command", 2n, 2n, payload);
  first.resolve();
  second.resolve();
  await Promise.all([first.promise, second.promise]);
  await Promise.resolve();
  assert.deepEqual(posted, [], "durable, but still gathering");
  await new Promise((resolve) => setTimeout(resolve, 40));
  assert.deepEqual(posted, [[1n, 2n]], "two batches in one message after gatherMs");
  // 31 bytes a frame: the 33rd frame passes 1,000 bytes and posts at once.
  const big = deferred();
  for (let sequence = 3n; sequence <= 35n; sequence += 1n) feed.add(big.promise, "command", sequence, sequence, payload);
  big.resolve();
  await big.promise;
  await Promise.resolve();
  assert.deepEqual(sizes(), [2, 33], "posted at gatherBytesMax without waiting");
  const last = deferred();
  feed.add(last.promise, "checkpoint", 35n, 35n, new Uint8Array(32));
  last.resolve();
  await last.promise;
  await Promise.resolve();
  feed.flush();
  assert.deepEqual(posted.at(-1), [35n], "flush posts what is gathered");
  feed.flush();
  assert.deepEqual(sizes(), [2, 33, 1], "nothing left to post");
});
