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
