// Proves the sequencer's contract (SPEC 13 §6, SPEC 14): sequence numbers are gapless from where the
// log ends, exchange time strictly increases even when the wall clock steps back or stands still, and a
// step back beyond the bound is logged as an error once (and its end once); the system clock follows
// the wall clock to within its millisecond and never runs backwards.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Sequencer } from "../src/index.ts";
import { createSystemClock } from "../src/clock.ts";
import { RecordingLogger } from "./node-helpers.ts";

function scriptedClock(readings: readonly bigint[]): () => bigint {
  let index = 0;
  return () => readings[Math.min(index++, readings.length - 1)]!;
}

test("sequencer: sequences continue gaplessly from the log's end", () => {
  const sequencer = new Sequencer({ lastSequence: 41, lastTime: 5n, clock: () => 100n, clockStepBackWarnNs: 10n, logger: new RecordingLogger() });
  assert.deepEqual([sequencer.next().sequence, sequencer.next().sequence, sequencer.next().sequence], [42, 43, 44]);
  assert.equal(sequencer.lastSequence, 44);
});

test("sequencer: time follows the wall clock and never repeats or steps back", () => {
  const cases = [
    { name: "wall clock ahead", readings: [100n, 200n, 300n], expected: [100n, 200n, 300n] },
    { name: "wall clock stands still", readings: [100n, 100n, 100n], expected: [100n, 101n, 102n] },
    { name: "wall clock steps back a little", readings: [100n, 95n, 99n, 150n], expected: [100n, 101n, 102n, 150n] },
    { name: "log ends after the wall clock", readings: [10n, 20n], expected: [51n, 52n], lastTime: 50n },
  ];
  for (const entry of cases) {
    const sequencer = new Sequencer({
      lastSequence: 0,
      lastTime: entry.lastTime ?? 0n,
      clock: scriptedClock(entry.readings),
      clockStepBackWarnNs: 1_000n,
      logger: new RecordingLogger(),
    });
    const times = entry.expected.map(() => sequencer.next().time);
    assert.deepEqual(times, entry.expected, entry.name);
  }
});

test("sequencer: a step back beyond the bound is logged as an error once, and its end once", () => {
  const logger = new RecordingLogger();
  const second = 1_000_000_000n;
  const readings = [10n * second, 8n * second, 8n * second + 1n, 9n * second, 10n * second + 5n, 11n * second];
  const sequencer = new Sequencer({ lastSequence: 0, lastTime: 0n, clock: scriptedClock(readings), clockStepBackWarnNs: second, logger });
  const times = readings.map(() => sequencer.next().time);
  for (let index = 1; index < times.length; index += 1) assert.ok(times[index]! > times[index - 1]!);
  assert.deepEqual(logger.messages("error"), ["sequencer: wall clock stepped back; exchange time runs ahead of it until it catches up"]);
  assert.deepEqual(logger.messages("info"), ["sequencer: wall clock caught up with exchange time"]);
  assert.equal(logger.lines.find((line) => line.level === "error")?.object.stepBackNs, String(2n * second));
});

test("clock: the system clock stays within milliseconds of the wall clock and never runs backwards", async () => {
  const clock = createSystemClock();
  const nanosecondsPerMillisecond = 1_000_000n;
  // Aligned readings run up to 2 ms ahead of Date.now() (which truncates), and the check runs once a millisecond.
  const slackNs = 4n * nanosecondsPerMillisecond;
  let previous = 0n;
  for (let round = 0; round < 20; round += 1) {
    for (let reading = 0; reading < 1_000; reading += 1) {
      const before = BigInt(Date.now()) * nanosecondsPerMillisecond;
      const now = clock();
      const after = BigInt(Date.now() + 1) * nanosecondsPerMillisecond;
      assert.ok(now >= previous, "never backwards");
      assert.ok(now >= before - slackNs && now <= after + slackNs, `reading ${now} outside [${before}, ${after}] by more than the slack`);
      previous = now;
    }
    // Let the wall clock move on between rounds, so the drift check runs too.
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
});

// The system clock compares the monotonic timer with Date.now() once a millisecond of monotonic time:
// a step of the wall clock shows in the first reading after that, and the readings follow the wall
// clock from there on. Date.now() is replaced for the test (the clock reads the global each time).
test("clock: a wall-clock step shows in the readings once a millisecond has passed", () => {
  const realNow = Date.now;
  const clock = createSystemClock();
  const nanosecondsPerMillisecond = 1_000_000n;
  const stepMs = 60_000;
  const waitMillisecond = (): void => {
    const until = process.hrtime.bigint() + 2n * nanosecondsPerMillisecond;
    // Bounded by the monotonic timer, which moves on.
    while (process.hrtime.bigint() < until);
  };
  try {
    const before = clock();
    Date.now = () => realNow() + stepMs;
    waitMillisecond();
    const stepped = clock();
    const expected = BigInt(realNow() + stepMs) * nanosecondsPerMillisecond;
    assert.ok(stepped >= expected - 4n * nanosecondsPerMillisecond, `reading ${stepped} does not follow the step to ${expected}`);
    assert.ok(stepped - before >= BigInt(stepMs - 10) * nanosecondsPerMillisecond);
    // And back: the wall clock steps back to the real time, and the readings follow it.
    Date.now = realNow;
    waitMillisecond();
    const back = clock();
    assert.ok(back < stepped, "the readings follow the wall clock back");
    assert.ok(back <= BigInt(realNow() + 1) * nanosecondsPerMillisecond + 4n * nanosecondsPerMillisecond);
  } finally {
    Date.now = realNow;
  }
});
