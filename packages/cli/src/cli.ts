#!/usr/bin/env tsx
// The `perpdex` command line. `start` (the default) runs an exchange node with its public API (REST,
// Hyperliquid-compatible endpoints, WebSocket) on 127.0.0.1:8080; `replay`, `verify`, `snapshot` and
// `status` inspect a stopped node's data directory (the node package's tools, unchanged). Trading
// commands (through the SDK) register in `commands` below. Exit codes: 0 ok, 1 failure, 2 usage error.
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { main as nodeMain } from "@perpdex/node/cli";
import { runStart, startUsage } from "./start.ts";
import { cliTradingCommands } from "./trading/index.ts";

/** A subcommand: its one-line summary and how to run it with the arguments after its name. */
export interface CliCommand {
  readonly summary: string;
  readonly run: (argv: readonly string[]) => Promise<number>;
}

const inspect = (name: string): CliCommand => ({
  summary: "",
  run: (argv) => nodeMain([name, ...argv]),
});

/**
 * Every subcommand by name. Trading commands (markets, book, place, cancel, positions, balances,
 * faucet) are added here by packages/cli/src/trading (the SDK's commands).
 */
export const commands: Record<string, CliCommand> = {
  start: { summary: "Run a node with its public API on 127.0.0.1:8080 (the default command).", run: runStart },
  replay: { ...inspect("replay"), summary: "Rebuild the state from the log and print the final state hash." },
  verify: { ...inspect("verify"), summary: "Check the whole log: checksums, sequences, time, checkpoints, snapshots." },
  snapshot: { ...inspect("snapshot"), summary: "Write a snapshot of a stopped node's state." },
  status: { ...inspect("status"), summary: "Print a stopped node's sequence, state hash, accounts, orders, positions." },
  ...cliTradingCommands(),
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, command]) => `  ${name.padEnd(12)}${command.summary}`);
  return `perpdex — a perpetual-futures exchange

Usage: perpdex [command] [options]      (perpdex <command> --help for a command's options)

Commands:
${lines.join("\n")}

${startUsage}`;
}

/**
 * Runs the CLI with `argv` (without the node and script paths) and resolves to the exit code.
 *
 * @example
 * process.exitCode = await main(["start", "--port", "8080"]);
 */
export async function main(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === "--help" || first === "-h" || first === "help") {
    process.stdout.write(usage());
    return 0;
  }
  // No command, or only options: start.
  if (first === undefined || first.startsWith("-")) return runStart(argv);
  const command = commands[first];
  if (command === undefined) {
    process.stderr.write(`perpdex: unknown command "${first}"; commands: ${Object.keys(commands).join(", ")}\n`);
    return 2;
  }
  return command.run(rest);
}

// Run when executed (`tsx packages/cli/src/cli.ts`, or the `perpdex` bin), not when imported.
const script = process.argv[1];
if (script !== undefined && realpathSync(script) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
