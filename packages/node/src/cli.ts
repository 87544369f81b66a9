#!/usr/bin/env tsx
// The node's inspection tools on a stopped node's data directory: `replay`, `verify`, `snapshot`,
// `status`. Each prints one JSON report on stdout and logs to stderr. Exit codes: 0 ok, 1 failure,
// 2 usage error. The `perpdex` bin (packages/cli) runs them as its subcommands; running a node
// (`perpdex start`, the node with its API) lives there too, once.
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { LogLevel, NodeLogger } from "./logger.ts";
import { createLogger, logLevels } from "./logger.ts";
import { replayTool, snapshotTool, statusTool, verifyTool } from "./tools.ts";

const commands = ["replay", "verify", "snapshot", "status"] as const;
type CommandName = (typeof commands)[number];

const usage = `perpdex node tools — inspect and repair a stopped node's data directory

Usage: perpdex <command> [options]

Commands:
  replay      Rebuild the state from the log and print the final state hash.
  verify      Check the whole log from genesis: checksums, gapless sequences, strictly increasing time,
              every checkpoint's state hash, and every snapshot. Exits 1 on any problem.
  snapshot    Write a snapshot of a stopped node's state at its last sequence.
  status      Print a stopped node's last sequence and time, state hash, markets, accounts, resting
              orders, open positions, insurance fund and fee treasury, snapshots and journal segments.

(Running a node is \`perpdex start\`: \`npm start\`, or \`npm run perpdex -- start --help\` for its options.)

Options for every command:
  --data-dir <path>            The data directory (default ./data, or $PERPDEX_DATA_DIR).
  --log-level <level>          debug, info, warn, error or silent (default warn).
  --help                       Show this help.

Options for replay:
  --verify                     Check the state hash at every checkpoint and snapshot; on a mismatch,
                               report the last matching and first mismatching sequence (the first
                               diverging command lies between them) and exit 1.
  --from-snapshot              Start from the newest valid snapshot instead of genesis.

Options for snapshot:
  --snapshots-kept <n>         Snapshots to keep on disk (default 3).

Examples:
  perpdex replay --verify
  PERPDEX_DATA_DIR=/var/lib/perpdex perpdex status
`;

const optionSpecs = {
  "data-dir": { type: "string" },
  "log-level": { type: "string" },
  help: { type: "boolean" },
  "snapshots-kept": { type: "string" },
  verify: { type: "boolean" },
  "from-snapshot": { type: "boolean" },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof optionSpecs; allowPositionals: true }>>["values"];

class UsageError extends Error {}

function integerOption(values: Values, name: "snapshots-kept", lowest: number): number | undefined {
  const text = values[name];
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < lowest) throw new UsageError(`--${name} must be an integer of at least ${lowest}, got "${text}"`);
  return value;
}

function logLevelOption(values: Values): LogLevel {
  const text = values["log-level"] ?? "warn";
  if (!(logLevels as readonly string[]).includes(text)) throw new UsageError(`--log-level must be one of ${logLevels.join(", ")}, got "${text}"`);
  return text as LogLevel;
}

function commandOf(positionals: readonly string[]): CommandName {
  if (positionals.length !== 1) throw new UsageError(`one command, got ${positionals.length === 0 ? "none" : positionals.join(" ")}; commands: ${commands.join(", ")}`);
  const name = positionals[0]!;
  if (name === "start") throw new UsageError('"start" runs a node with its API: use the perpdex bin (packages/cli: npm start)');
  if (!(commands as readonly string[]).includes(name)) throw new UsageError(`unknown command "${name}"; commands: ${commands.join(", ")}`);
  return name as CommandName;
}

// Tool reports hold sequences as bigints in places (segment listings): JSON gets them as strings.
function printReport(report: unknown): void {
  process.stdout.write(`${JSON.stringify(report, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value), 2)}\n`);
}

async function runTool(command: CommandName, values: Values, dataDirectory: string, logger: NodeLogger): Promise<number> {
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
    logger = createLogger({ level: logLevelOption(values), destination: 2 });
  } catch (error) {
    process.stderr.write(`perpdex: ${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  const dataDirectory = values["data-dir"] ?? process.env.PERPDEX_DATA_DIR ?? "./data";
  try {
    return await runTool(command, values, dataDirectory, logger);
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

// Run when executed (`tsx packages/node/src/cli.ts`), not when imported.
const script = process.argv[1];
if (script !== undefined && realpathSync(script) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
