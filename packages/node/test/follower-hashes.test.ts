// The node's account of the state hashes its follower owes, and when it skips a checkpoint rather than
// ask for another (packages/node/src/follower-hashes.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { FollowerHashes } from "../src/follower-hashes.ts";

function clocked(backlogMsMax: number, firstRoundTripMs = 0): { hashes: FollowerHashes; advance: (milliseconds: number) => void } {
  let now = 0;
  return { hashes: new FollowerHashes(backlogMsMax, firstRoundTripMs, () => now), advance: (milliseconds) => (now += milliseconds) };
}

test("follower hashes: never busy with none owed, whatever the last one cost", () => {
  const { hashes, advance } = clocked(1_000);
  assert.equal(hashes.busy(), false);
  hashes.request(10);
  advance(5_000);
  assert.equal(hashes.answered(10), true);
  assert.equal(hashes.roundTripMs, 5_000);
  assert.equal(hashes.count, 0);
  assert.equal(hashes.busy(), false);
});

test("follower hashes: busy once the oldest owed hash has waited the backlog, the oldest being the first asked", () => {
  const { hashes, advance } = clocked(1_000);
  hashes.request(10);
  advance(500);
  hashes.request(20);
  advance(499);
  assert.equal(hashes.oldestWaitMs, 999);
  assert.equal(hashes.busy(), false, "the oldest waited 999 ms");
  advance(1);
  assert.equal(hashes.busy(), true, "the oldest waited 1,000 ms");
  advance(100);
  assert.equal(hashes.answered(10), true);
  assert.equal(hashes.roundTripMs, 1_100);
  assert.equal(hashes.busy(), true, "one owed, at the last one's pace of 1,100 ms");
});

test("follower hashes: busy once the owed hashes would take the backlog at the last one's pace", () => {
  const { hashes, advance } = clocked(1_000);
  hashes.request(1);
  advance(300);
  assert.equal(hashes.answered(1), true);
  hashes.request(2);
  hashes.request(3);
  hashes.request(4);
  assert.equal(hashes.busy(), false, "3 × 300 ms");
  hashes.request(5);
  assert.equal(hashes.busy(), true, "4 × 300 ms");
  advance(100);
  assert.equal(hashes.answered(2), true);
  assert.equal(hashes.busy(), false, "3 owed at 100 ms each, the oldest waited 100 ms");
});

test("follower hashes: a hash not asked for, or answered already, is ignored", () => {
  const { hashes, advance } = clocked(1_000);
  hashes.request(7);
  advance(50);
  assert.equal(hashes.answered(8), false);
  assert.equal(hashes.count, 1);
  assert.equal(hashes.roundTripMs, 0);
  assert.equal(hashes.answered(7), true);
  assert.equal(hashes.answered(7), false);
  assert.equal(hashes.roundTripMs, 50);
});

test("follower hashes: a backlog of 0 is busy whenever a hash is owed", () => {
  const { hashes } = clocked(0);
  assert.equal(hashes.busy(), false);
  hashes.request(1);
  assert.equal(hashes.busy(), true);
  hashes.answered(1);
  assert.equal(hashes.busy(), false);
});

test("follower hashes: before the first answer, the pace is the one given (a follower loading a snapshot)", () => {
  const { hashes, advance } = clocked(1_000, 20_000);
  assert.equal(hashes.busy(), false, "none owed");
  hashes.request(1);
  assert.equal(hashes.busy(), true, "1 × 20,000 ms");
  advance(30);
  hashes.answered(1);
  hashes.request(2);
  assert.equal(hashes.busy(), false, "then the pace of the answer: 30 ms");
});
