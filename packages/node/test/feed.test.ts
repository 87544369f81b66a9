// Proves the follower feed: frames carry journal records exactly as written, and durable batches are
// gathered into few messages. That only durable batches reach the
// feed is the journal observer's promise (journal-group-commit.test.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { DurableFeed, FrameWriter } from "../src/feed.ts";
import { encodeRecord } from "../src/journal/format.ts";
import { readFrames, recordBytes } from "./journal-helpers.ts";

test("feed: frames carry commands and checkpoints exactly", () => {
  const writer = new FrameWriter();
  const payload = new Uint8Array(10_000).map((_, index) => index % 251);
  const stateHash = new Uint8Array(32).fill(7);
  writer.addRecords(
    recordBytes([
      { kind: "command", sequence: 5n, time: 1_767_225_600_000_000_001n, payload },
      { kind: "checkpoint", sequence: 5n, time: 1_767_225_600_000_000_001n, payload: stateHash },
    ]),
  );
  writer.addRecords(
    recordBytes([
      { kind: "command", sequence: 6n, time: 1_767_225_600_000_000_002n, payload: new Uint8Array(0) },
      { kind: "checkpointDue", sequence: 6n, time: 1_767_225_600_000_000_002n, payload: new Uint8Array(0) },
      { kind: "command", sequence: 7n, time: 1_767_225_600_000_000_003n, payload: payload.subarray(0, 3) },
      { kind: "deferredCheckpoint", sequence: 6n, time: 1_767_225_600_000_000_003n, payload: stateHash.map((byte) => byte + 1) },
    ]),
  );
  const records = [...readFrames(writer.take())];
  assert.equal(writer.byteLength, 0);
  assert.equal(records.length, 6);
  assert.deepEqual(records.map((record) => [record.kind, record.sequence, record.time]), [
    ["command", 5n, 1_767_225_600_000_000_001n],
    ["checkpoint", 5n, 1_767_225_600_000_000_001n],
    ["command", 6n, 1_767_225_600_000_000_002n],
    ["checkpointDue", 6n, 1_767_225_600_000_000_002n],
    ["command", 7n, 1_767_225_600_000_000_003n],
    ["deferredCheckpoint", 6n, 1_767_225_600_000_000_003n],
  ]);
  assert.deepEqual(records[0]!.kind === "command" ? records[0]!.payload : undefined, payload);
  assert.deepEqual(records[1]!.kind === "checkpoint" ? records[1]!.stateHash : undefined, stateHash);
  assert.deepEqual(records[5]!.kind === "deferredCheckpoint" ? records[5]!.stateHash : undefined, new Uint8Array(32).fill(8));
});

test("feed: journal records go to the follower as written, auth envelopes skipped", () => {
  const records = Buffer.alloc(4_096);
  let end = 0;
  const payload = new Uint8Array(300).map((_, index) => index % 253);
  end += encodeRecord(records, end, { kind: "command", sequence: 7n, time: 70n, payload, auth: new Uint8Array(50).fill(9) });
  end += encodeRecord(records, end, { kind: "checkpoint", sequence: 7n, time: 70n, payload: new Uint8Array(32).fill(3) });
  end += encodeRecord(records, end, { kind: "command", sequence: 8n, time: 80n, payload: payload.subarray(0, 5) });
  const writer = new FrameWriter();
  writer.addRecords(records.subarray(0, end));
  const read = [...readFrames(writer.take())];
  assert.deepEqual(read.map((record) => [record.kind, record.sequence, record.time]), [
    ["command", 7n, 70n],
    ["checkpoint", 7n, 70n],
    ["command", 8n, 80n],
  ]);
  assert.deepEqual(read[0]!.kind === "command" ? [read[0]!.payload, read[0]!.auth] : undefined, [payload, undefined]);
  assert.deepEqual(read[1]!.kind === "checkpoint" ? read[1]!.stateHash : undefined, new Uint8Array(32).fill(3));
  assert.deepEqual(read[2]!.kind === "command" ? read[2]!.payload : undefined, payload.subarray(0, 5));
});

// One framed command per sequence, as a journal batch holds them.
function framesOf(sequences: readonly number[]): Uint8Array {
  return recordBytes(sequences.map((sequence) => ({ kind: "command", sequence: BigInt(sequence), time: BigInt(sequence), payload: new Uint8Array(10) })));
}

test("feed: with gatherMs 0 every batch is posted at once, copied (the journal reuses its buffers)", () => {
  const posted: Uint8Array[] = [];
  const feed = new DurableFeed((frames) => posted.push(frames));
  const batch = framesOf([1, 2]);
  feed.add(batch);
  batch.fill(0);
  feed.add(new Uint8Array(0));
  assert.equal(posted.length, 1, "an empty batch posts nothing");
  assert.deepEqual([...readFrames(posted[0]!)].map((record) => record.sequence), [1n, 2n]);
});

test("feed: gathered batches share one message, posted after gatherMs, at gatherBytesMax, or on flush", async () => {
  const posted: bigint[][] = [];
  const record = (frames: Uint8Array): number => posted.push([...readFrames(frames)].map((entry) => entry.sequence));
  // Read through a function: the asserts below narrow `posted` itself.
  const sizes = (): number[] => posted.map((message) => message.length);
  const feed = new DurableFeed(record, { gatherMs: 20, gatherBytesMax: 1_000 });
  feed.add(framesOf([1]));
  feed.add(framesOf([2]));
  assert.deepEqual(posted, [], "durable, but still gathering");
  await new Promise((resolve) => setTimeout(resolve, 40));
  assert.deepEqual(posted, [[1n, 2n]], "two batches in one message after gatherMs");
  // 22 frames of 46 bytes pass 1,000 bytes: posted at once.
  feed.add(framesOf(Array.from({ length: 22 }, (_, index) => 3 + index)));
  assert.deepEqual(sizes(), [2, 22], "posted at gatherBytesMax without waiting");
  feed.add(recordBytes([{ kind: "checkpoint", sequence: 24n, time: 24n, payload: new Uint8Array(32) }]));
  feed.flush();
  assert.deepEqual(posted.at(-1), [24n], "flush posts what is gathered");
  feed.flush();
  assert.deepEqual(sizes(), [2, 22, 1], "nothing left to post");
});

test("feed: a message larger than the copy limit hands its buffer over whole, and the writer goes on", () => {
  const writer = new FrameWriter();
  const payload = new Uint8Array(1_000).fill(1);
  for (let sequence = 1; sequence <= 100; sequence += 1) writer.addRecords(recordBytes([{ kind: "command", sequence: BigInt(sequence), time: BigInt(sequence), payload }]));
  const first = writer.take();
  assert.equal(first.byteOffset, 0);
  writer.addRecords(recordBytes([{ kind: "command", sequence: 101n, time: 101n, payload }]));
  assert.deepEqual([...readFrames(first)].map((record) => Number(record.sequence)), Array.from({ length: 100 }, (_, index) => index + 1));
  assert.deepEqual([...readFrames(writer.take())].map((record) => record.sequence), [101n]);
});

test("feed: every message taken can be transferred (as the follower's are), large or small, and the writer goes on", () => {
  const writer = new FrameWriter();
  const payload = new Uint8Array(1_000).fill(3);
  let sequence = 0;
  // Large (handed over whole), small (copied), large again, small again: each message owns its memory.
  for (const count of [100, 3, 200, 1, 2]) {
    const first = sequence + 1;
    for (let index = 0; index < count; index += 1) {
      sequence += 1;
      writer.addRecords(recordBytes([{ kind: "command", sequence: BigInt(sequence), time: BigInt(sequence), payload }]));
    }
    const frames = writer.take();
    assert.equal(frames.byteOffset, 0);
    const moved = structuredClone(frames, { transfer: [frames.buffer as ArrayBuffer] });
    assert.equal(frames.byteLength, 0, "the taken buffer is the one transferred");
    assert.deepEqual(
      [...readFrames(moved)].map((record) => Number(record.sequence)),
      Array.from({ length: count }, (_, index) => first + index),
    );
  }
});
