#!/usr/bin/env tsx
// The `perpdex` command line: run a node (`start`, the default) or inspect and repair a stopped node's
// data directory (`replay`, `verify`, `snapshot`, `status`). Tools print one JSON report on stdout and
// log to stderr; `start` logs JSON lines on stdout. Exit codes: 0 ok, 1 failure, 2 usage error.
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ExchangeNode } from "./exchange-node.ts";
import type { LogLevel, NodeLogger } from "./logger.ts";
import { createLogger, logLevels } from "./logger.ts";
import { replayTool, snapshotTool, statusTool, verifyTool } from "./tools.ts";

const commands = ["start", "replay", "verify", "snapshot", "status"] as const;
type CommandName = (typeof commands)[number];

const usage = `perpdex — a perpetual-futures exchange node

Usage: perpdex [command] [options]

Commands:
  start       Run the node (the default): the perpetual exchange (collateral, margin, positions, fees,
              mark price, funding). Recovers from the data directory (newest valid snapshot, then the
              journal after it), writes the genesis on first start (the engine limits, then the SPY,
              QQQ, AAPL, NVDA, TSLA, BTC and ETH perpetuals), and sequences commands until SIGTERM or
              SIGINT, when it stops intake, flushes the journal, records a final checkpoint and
              snapshot, and exits 0.
  replay      Rebuild the state from the log and print the final state hash.
  verify      Check the whole log from genesis: checksums, gapless sequences, strictly increasing time,
              every checkpoint's state hash, and every snapshot. Exits 1 on any problem.
  snapshot    Write a snapshot of a stopped node's state at its last sequence.
  status      Print a stopped node's last sequence and time, state hash, markets, accounts, resting
              orders, open positions, insurance fund and fee treasury, snapshots and journal segments.

Options for every command:
  --data-dir <path>            The data directory (default ./data, or $PERPDEX_DATA_DIR).
  --log-level <level>          debug, info, warn, error or silent (default: info for start, warn otherwise).
  --help                       Show this help.

Options for start:
  --tick-interval-ms <n>       Milliseconds between tick commands that move exchange time forward:
                               GTD orders expire, the mark price's average advances, funding samples
                               and settles on the hour; 0 turns periodic ticks off (default 1000).
  --checkpoint-every <n>       Record a state-hash checkpoint in the journal every n commands (default 100000).
  --snapshot-every <n>         Take a snapshot after n commands since the last one (default 1000000).
  --snapshot-interval-ms <n>   ... or after this many milliseconds if anything happened (default 300000).
  --snapshots-kept <n>         Snapshots to keep on disk (default 3; also used by snapshot).

Options for replay:
  --verify                     Check the state hash at every checkpoint and snapshot; on a mismatch,
                               report the last matching and first mismatching sequence (the first
                               diverging command lies between them) and exit 1.
  --from-snapshot              Start from the newest valid snapshot instead of genesis.

Examples:
  perpdex start --data-dir /var/lib/perpdex --tick-interval-ms 500
  perpdex replay --verify
  PERPDEX_DATA_DIR=/var/lib/perpdex perpdex status
`;

const optionSpecs = {
  "data-dir": { type: "string" },
  "log-level": { type: "string" },
  help: { type: "boolean" },
  "tick-interval-ms": { type: "string" },
  "checkpoint-every": { type: "string" },
  "snapshot-every": { type: "string" },
  "snapshot-interval-ms": { type: "string" },
  "snapshots-kept": { type: "string" },
  verify: { type: "boolean" },
  "from-snapshot": { type: "boolean" },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof optionSpecs; allowPositionals: true }>>["values"];

class UsageError extends Error {}

function integerOption(values: Values, name: "tick-interval-ms" | "checkpoint-every" | "snapshot-every" | "snapshot-interval-ms" | "snapshots-kept", lowest: number): number | undefined {
  const text = values[name];
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < lowest) throw new UsageError(`--${name} must be an integer of at least ${lowest}, got "${text}"`);
  return value;
}

function logLevelOption(values: Values, command: CommandName): LogLevel {
  const text = values["log-level"] ?? (command === "start" ? "info" : "warn");
  if (!(logLevels as readonly string[]).includes(text)) throw new UsageError(`--log-level must be one of ${logLevels.join(", ")}, got "${text}"`);
  return text as LogLevel;
}

function commandOf(positionals: readonly string[]): CommandName {
  if (positionals.length > 1) throw new UsageError(`one command at most, got ${positionals.join(" ")}`);
  const name = positionals[0] ?? "start";
  if (!(commands as readonly string[]).includes(name)) throw new UsageError(`unknown command "${name}"; commands: ${commands.join(", ")}`);
  return name as CommandName;
}

// Tool reports hold sequences as bigints in places (segment listings): JSON gets them as strings.
function printReport(report: unknown): void {
  process.stdout.write(`${JSON.stringify(report, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value), 2)}\n`);
}

async function runStart(values: Values, dataDirectory: string, logger: NodeLogger): Promise<number> {
  const optional = <Value>(name: string, value: Value | undefined): Record<string, Value> => (value === undefined ? {} : { [name]: value });
  let fatal: ((error: Error) => void) | undefined;
  const fatalError = new Promise<Error>((resolve) => (fatal = resolve));
  const node = await ExchangeNode.open({
    dataDirectory,
    logger,
    onFatal: (error) => fatal?.(error),
    ...optional("tickIntervalMs", integerOption(values, "tick-interval-ms", 0)),
    ...optional("checkpointEvery", integerOption(values, "checkpoint-every", 1)),
    ...optional("snapshotEvery", integerOption(values, "snapshot-every", 1)),
    ...optional("snapshotIntervalMs", integerOption(values, "snapshot-interval-ms", 1)),
    ...optional("snapshotsKept", integerOption(values, "snapshots-kept", 1)),
  });
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });
  const outcome = await Promise.race([signal, fatalError]);
  if (typeof outcome === "string") logger.info({ signal: outcome }, "node: shutting down");
  // A second signal while shutting down means: stop now.
  const forceExit = (): never => process.exit(1);
  process.once("SIGTERM", forceExit);
  process.once("SIGINT", forceExit);
  await node.close();
  return typeof outcome === "string" ? 0 : 1;
}

async function runTool(command: Exclude<CommandName, "start">, values: Values, dataDirectory: string, logger: NodeLogger): Promise<number> {
  const options = { dataDirectory, logger };
  switch (command) {
    case "replay": {
      const report = await replayTool({ ...options, verify: values.verify === true, fromSnapshot: values["from-snapshot"] === true });
      printReport(report);
      return report.ok ? 0 : 1;
    }
    case "verify": {
      const report = await verifyTool(options);
      printReport(report);
      return report.ok ? 0 : 1;
    }
    case "snapshot":
      printReport(await snapshotTool({ ...options, snapshotsKept: integerOption(values, "snapshots-kept", 1) ?? 3 }));
      return 0;
    case "status":
      printReport(await statusTool(options));
      return 0;
  }
}

/**
 * Runs the CLI with `argv` (without the node and script paths) and resolves to the exit code.
 *
 * @example
 * process.exitCode = await main(["status", "--data-dir", "data"]);
 */
export async function main(argv: readonly string[]): Promise<number> {
  let values: Values;
  let command: CommandName;
  let logger: NodeLogger;
  try {
    const parsed = parseArgs({ args: [...argv], options: optionSpecs, allowPositionals: true, strict: true });
    values = parsed.values;
    if (values.help === true) {
      process.stdout.write(usage);
      return 0;
    }
    command = commandOf(parsed.positionals);
    logger = createLogger({ level: logLevelOption(values, command), destination: command === "start" ? 1 : 2 });
  } catch (error) {
    process.stderr.write(`perpdex: ${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  const dataDirectory = values["data-dir"] ?? process.env.PERPDEX_DATA_DIR ?? "./data";
  try {
    return command === "start" ? await runStart(values, dataDirectory, logger) : await runTool(command, values, dataDirectory, logger);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`perpdex: ${error.message}\n`);
      return 2;
    }
    logger.error({ error: (error as Error).message }, `perpdex ${command}: failed`);
    process.stderr.write(`perpdex ${command}: ${(error as Error).message}\n`);
    return 1;
  }
}

// Run when executed (`tsx packages/node/src/cli.ts`, or the `perpdex` bin linked to it), not when imported.
const script = process.argv[1];
if (script !== undefined && realpathSync(script) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
