// Proves that the benchmark measures what it claims, without timing anything: the workload generator is
// a pure function of its seed (the same seed gives the same stream, command for command), its mix is the
// issue's, and `bench.ts --quick --json` runs both engines to the same final book and prints one JSON
// object with every field the issue asks for. No assertion here depends on speed.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Random } from "../../../bench/core/random.ts";
import { generateWorkload, kindCancel, kindNames, mixPerMille, type Workload } from "../../../bench/core/workload.ts";

const small = { commands: 5_000, prefillOrders: 2_000, users: 100 } as const;

/** A byte-exact rendering of the stream (bigint times included). */
function fingerprint(workload: Workload): string {
  const replacer = (_key: string, value: unknown): unknown => (typeof value === "bigint" ? `${value}n` : value);
  const neutral = workload.neutral;
  const arrays = [neutral.kind, neutral.sell, neutral.price, neutral.size, neutral.user, neutral.orderId].map((array) => Array.from(array));
  return JSON.stringify({ setup: workload.setup, stream: workload.stream, arrays }, replacer);
}

describe("bench: the workload generator", () => {
  it("gives the same stream for the same seed and a different one for another seed", () => {
    const first = generateWorkload({ seed: 7, ...small });
    const again = generateWorkload({ seed: 7, ...small });
    const other = generateWorkload({ seed: 8, ...small });
    assert.equal(fingerprint(first), fingerprint(again));
    assert.deepEqual(first.observations, again.observations);
    assert.notEqual(fingerprint(first), fingerprint(other));
  });

  it("draws the same numbers from the same seed", () => {
    const draws = (seed: number): number[] => {
      const random = new Random(seed);
      return Array.from({ length: 8 }, () => random.nextUint32());
    };
    assert.deepEqual(draws(1), draws(1));
    assert.notDeepEqual(draws(1), draws(2));
    assert.notDeepEqual(draws(1), draws(2 ** 32 + 1));
  });

  it("follows the issue's mix and cancels only orders the generation pass saw resting", () => {
    const workload = generateWorkload({ seed: 3, commands: 20_000, prefillOrders: 2_000, users: 100 });
    const total = Object.values(workload.observations.commandsByKind).reduce((sum, count) => sum + count, 0);
    assert.equal(total, 20_000);
    for (const name of kindNames) {
      const share = (workload.observations.commandsByKind[name]! * 1000) / total;
      assert.ok(Math.abs(share - mixPerMille[name]) < 15, `${name}: ${share} per mille, expected ${mixPerMille[name]}`);
    }
    const neutral = workload.neutral;
    const placed = new Set<number>();
    for (let index = 0; index < neutral.count; index += 1) {
      if (neutral.kind[index] === kindCancel) assert.ok(placed.has(neutral.orderId[index]!), `cancel ${index} names an unknown order`);
      else placed.add(neutral.orderId[index]!);
    }
  });
});

describe("bench: bench.ts --quick --json", () => {
  it("prints one JSON object with both engines' figures and identical final books", () => {
    const script = fileURLToPath(new URL("../../../bench/core/bench.ts", import.meta.url));
    const child = spawnSync(process.execPath, [...process.execArgv, script, "--quick", "--json", "--commands", "5000"], {
      encoding: "utf8",
      timeout: 120_000,
    });
    assert.equal(child.status, 0, child.stderr);
    const report = JSON.parse(child.stdout) as Record<string, Record<string, unknown>>;
    assert.equal(Object.keys(report).length > 0, true);
    for (const engine of ["perpdex", "nodejsOrderBook"]) {
      for (const field of ["commandsPerSecond", "p50Ns", "p99Ns", "p999Ns", "bytesPerRestingOrder"]) {
        assert.equal(typeof report[engine]![field], "number", `${engine}.${field}`);
        assert.ok((report[engine]![field] as number) > 0, `${engine}.${field} is positive`);
      }
    }
    assert.equal(typeof report["perpdex"]!["eventsPerSecond"], "number");
    assert.equal(typeof report["ratio"], "number");
    assert.equal(report["workload"]!["seed"], 1);
    assert.equal(report["workload"]!["commands"], 5_000);
    assert.equal(report["booksIdentical"], true);
    assert.equal(report["perpdex"]!["refusedPerPass"], 0);
    // The liquidation section (bench/core/liquidation.ts): detection found something, the crash liquidated.
    const liquidation = report["liquidation"] as unknown as { detection: Record<string, number>; engine: Record<string, number> };
    assert.equal(liquidation.detection["positions"], 500_000);
    assert.ok(liquidation.detection["found"]! > 0 && liquidation.detection["medianMs"]! >= 0);
    assert.ok(liquidation.engine["liquidationSteps"]! > 0 && liquidation.engine["commandsPerSecond"]! > 0);
  });
});
