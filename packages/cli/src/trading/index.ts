// The trading commands as `perpdex` subcommands (registered in ../cli.ts), writing to the process's
// standard streams.
import type { CliCommand } from "../cli.ts";
import { tradingCommands, type TradingIo } from "./commands.ts";

const processIo: TradingIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  env: process.env,
};

/**
 * The trading commands, ready to merge into the CLI's command table.
 *
 * @example
 * export const commands = { ...inspectionCommands, ...cliTradingCommands() };
 */
export function cliTradingCommands(): Record<string, CliCommand> {
  const result: Record<string, CliCommand> = {};
  for (const [name, command] of Object.entries(tradingCommands)) result[name] = { summary: command.summary, run: (argv) => command.run(argv, processIo) };
  return result;
}
