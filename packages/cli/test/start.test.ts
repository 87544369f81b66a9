// `perpdex start` runs a node with its API: it listens (port 0 here), answers /health, and stops cleanly
// on SIGTERM (exit code 0) after the node's final checkpoint. The inspection tools still answer.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcessByStdio } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const cli = fileURLToPath(new URL("../src/cli.ts", import.meta.url));

/** Runs the CLI; `exited` settles with its exit code. */
function runCli(argv: readonly string[]): { child: ChildProcessByStdio<null, Readable, null>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ["--import", "tsx", cli, ...argv], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { child, exited };
}

test("perpdex start serves the API and shuts down on SIGTERM", { timeout: 60_000 }, async () => {
  const dataDirectory = await mkdtemp(path.join(tmpdir(), "perpdex-cli-"));
  const children: ChildProcessByStdio<null, Readable, null>[] = [];
  try {
    const start = runCli(["start", "--port", "0", "--data-dir", dataDirectory, "--tick-interval-ms", "0"]);
    children.push(start.child);
    const url = await new Promise<string>((resolve, reject) => {
      let output = "";
      start.child.stdout.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        const match = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(output);
        if (match !== null) resolve(match[1]!);
      });
      void start.exited.then((code) => reject(new Error(`exited with ${code} before listening:\n${output}`)));
    });
    const health = (await (await fetch(`${url}/health`)).json()) as { status: string; mode: string };
    assert.deepEqual({ status: health.status, mode: health.mode }, { status: "healthy", mode: "development" });
    const markets = (await (await fetch(`${url}/v1/markets`)).json()) as { markets: { symbol: string }[] };
    assert.ok(markets.markets.some((market) => market.symbol === "BTC-PERP"));
    start.child.kill("SIGTERM");
    assert.equal(await start.exited, 0);
    const status = runCli(["status", "--data-dir", dataDirectory]);
    children.push(status.child);
    let report = "";
    status.child.stdout.on("data", (chunk: Buffer) => (report += chunk.toString()));
    assert.equal(await status.exited, 0);
    assert.match(report, /"lastSequence"/);
  } finally {
    // A failed assertion must not leave a node running: it would keep the test process alive.
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await rm(dataDirectory, { recursive: true, force: true });
  }
});

test("perpdex --help lists start with its options and the node's tools; a tool's --help explains its options", () => {
  const help = spawnSync(process.execPath, ["--import", "tsx", cli, "--help"], { encoding: "utf8" });
  assert.equal(help.status, 0, help.stderr);
  for (const text of ["start", "replay", "verify", "snapshot", "status", "--port", "--tick-interval-ms", "--checkpoint-every", "--snapshot-every", "--oracle-feeder", "PERPDEX_DATA_DIR"]) {
    assert.ok(help.stdout.includes(text), `--help mentions ${text}`);
  }
  const replay = spawnSync(process.execPath, ["--import", "tsx", cli, "replay", "--help"], { encoding: "utf8" });
  assert.equal(replay.status, 0, replay.stderr);
  for (const option of ["--verify", "--from-snapshot", "--data-dir"]) assert.ok(replay.stdout.includes(option), `replay --help mentions ${option}`);
  const bad = spawnSync(process.execPath, ["--import", "tsx", cli, "start", "--tick-interval-ms", "soon"], { encoding: "utf8" });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--tick-interval-ms must be an integer/);
});
