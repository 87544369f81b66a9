// `perpdex start`: an exchange node and its public API in one process. The read models are fed from
// the node's recovery replay on, so they are complete from the snapshot the node starts at. Shutdown
// (SIGTERM, SIGINT): the API stops taking requests first, then the node finishes what it acknowledged.
import { parseArgs } from "node:util";
import { createApiServer, ReadModel, type ApiMode } from "@perpdex/api";
import { ExchangeNode, attachOracleFeeder, createLogger, demoGenesis, logLevels, type LogLevel } from "@perpdex/node";

export const startUsage = `Options for start:
  --port <n>                   The API's port (default 8080, or $PERPDEX_PORT; 0 picks a free one).
  --host <address>             The API's address (default 127.0.0.1, or $PERPDEX_HOST).
  --mode <mode>                development (default: adds POST /v1/dev/faucet) or production.
  --data-dir <path>            The data directory (default ./data, or $PERPDEX_DATA_DIR).
  --log-level <level>          debug, info, warn, error or silent (default info).
  --tick-interval-ms <n>       Milliseconds between tick commands (default 1000; 0: none).
  --checkpoint-every <n>       A state-hash checkpoint every n commands (default 100000).
  --checkpoint-backlog-ms <n>  Skip a checkpoint while the follower still owes this many ms of state
                               hashing (default 1000; only large states under load skip any).
  --snapshot-every <n>         A snapshot after n commands (default 1000000).
  --snapshot-interval-ms <n>   ... or after this many milliseconds (default 300000).
  --snapshots-kept <n>         Snapshots kept on disk (default 3).
  --oracle-feeder <mode>       Sign and submit oracle prices for the genesis's demo sources in this process:
                               "random" (a seeded random walk) or "csv:<file>". Off by default.
  --oracle-feeder-interval-ms <n>  Milliseconds between feeder rounds (default 1000).

Examples:
  npm start                                   # node + API on http://127.0.0.1:8080, development mode
  npm start -- --port 9000 --mode production
  PERPDEX_PORT=9000 npm run perpdex -- start
  npm run perpdex -- status                   # a stopped node's data directory
`;

const optionSpecs = {
  port: { type: "string" },
  host: { type: "string" },
  mode: { type: "string" },
  "data-dir": { type: "string" },
  "log-level": { type: "string" },
  "tick-interval-ms": { type: "string" },
  "checkpoint-every": { type: "string" },
  "checkpoint-backlog-ms": { type: "string" },
  "snapshot-every": { type: "string" },
  "snapshot-interval-ms": { type: "string" },
  "snapshots-kept": { type: "string" },
  "oracle-feeder": { type: "string" },
  "oracle-feeder-interval-ms": { type: "string" },
  help: { type: "boolean" },
} as const;

class UsageError extends Error {}

function integer(text: string | undefined, name: string, lowest: number, highest = Number.MAX_SAFE_INTEGER): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < lowest || value > highest) {
    throw new UsageError(`--${name} must be an integer from ${lowest} to ${highest}, got "${text}"`);
  }
  return value;
}

interface StartSettings {
  readonly port: number;
  readonly host: string;
  readonly mode: ApiMode;
  readonly dataDirectory: string;
  readonly logLevel: LogLevel;
  readonly nodeOptions: Record<string, number>;
  readonly feeder: { readonly mode: string; readonly intervalMs: number } | undefined;
}

function settingsOf(argv: readonly string[]): StartSettings | "help" {
  const { values } = parseArgs({ args: [...argv], options: optionSpecs, allowPositionals: false, strict: true });
  if (values.help === true) return "help";
  const mode = values.mode ?? "development";
  if (mode !== "development" && mode !== "production") throw new UsageError(`--mode must be development or production, got "${mode}"`);
  const logLevel = values["log-level"] ?? "info";
  if (!(logLevels as readonly string[]).includes(logLevel)) throw new UsageError(`--log-level must be one of ${logLevels.join(", ")}, got "${logLevel}"`);
  const nodeOptions: Record<string, number> = {};
  const put = (key: string, value: number | undefined): void => {
    if (value !== undefined) nodeOptions[key] = value;
  };
  put("tickIntervalMs", integer(values["tick-interval-ms"], "tick-interval-ms", 0));
  put("checkpointEvery", integer(values["checkpoint-every"], "checkpoint-every", 1));
  put("checkpointBacklogMs", integer(values["checkpoint-backlog-ms"], "checkpoint-backlog-ms", 0));
  put("snapshotEvery", integer(values["snapshot-every"], "snapshot-every", 1));
  put("snapshotIntervalMs", integer(values["snapshot-interval-ms"], "snapshot-interval-ms", 1));
  put("snapshotsKept", integer(values["snapshots-kept"], "snapshots-kept", 1));
  return {
    port: integer(values.port ?? process.env.PERPDEX_PORT, "port", 0, 65_535) ?? 8080,
    host: values.host ?? process.env.PERPDEX_HOST ?? "127.0.0.1",
    mode,
    dataDirectory: values["data-dir"] ?? process.env.PERPDEX_DATA_DIR ?? "./data",
    logLevel: logLevel as LogLevel,
    nodeOptions,
    feeder:
      values["oracle-feeder"] === undefined
        ? undefined
        : { mode: values["oracle-feeder"], intervalMs: integer(values["oracle-feeder-interval-ms"], "oracle-feeder-interval-ms", 100) ?? 1_000 },
  };
}

/**
 * Runs a node and its API until SIGTERM or SIGINT; resolves to the exit code.
 *
 * @example
 * process.exitCode = await runStart(["--port", "0", "--data-dir", "/tmp/perpdex"]);
 */
export async function runStart(argv: readonly string[]): Promise<number> {
  let settings: StartSettings | "help";
  try {
    settings = settingsOf(argv);
  } catch (error) {
    process.stderr.write(`perpdex start: ${(error as Error).message}\n\n${startUsage}`);
    return 2;
  }
  if (settings === "help") {
    process.stdout.write(startUsage);
    return 0;
  }
  const logger = createLogger({ level: settings.logLevel, destination: 1 });
  let fatal: ((error: Error) => void) | undefined;
  const fatalError = new Promise<Error>((resolve) => (fatal = resolve));
  const readModel = new ReadModel();
  let node: ExchangeNode;
  try {
    node = await ExchangeNode.open({
      dataDirectory: settings.dataDirectory,
      logger,
      onFatal: (error) => fatal?.(error),
      onApplied: (applied) => readModel.apply(applied),
      ...settings.nodeOptions,
    });
  } catch (error) {
    process.stderr.write(`perpdex start: ${(error as Error).message}\n`);
    return 1;
  }
  const server = await createApiServer({ node, readModel, mode: settings.mode, logger, host: settings.host, port: settings.port });
  try {
    await server.listen();
  } catch (error) {
    process.stderr.write(`perpdex start: the API cannot listen on ${settings.host}:${settings.port}: ${(error as Error).message}\n`);
    await server.close();
    await node.close();
    return 1;
  }
  // Signed oracle prices for the genesis's sources, inside this process (node's feeder/attach-feeder.ts).
  const feeder =
    settings.feeder === undefined ? undefined : await attachOracleFeeder(node, { mode: settings.feeder.mode, intervalMs: settings.feeder.intervalMs, genesis: demoGenesis, logger });
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });
  const outcome = await Promise.race([signal, fatalError]);
  if (typeof outcome === "string") logger.info({ signal: outcome }, "perpdex: shutting down");
  // A second signal while shutting down means: stop now.
  const forceExit = (): never => process.exit(1);
  process.once("SIGTERM", forceExit);
  process.once("SIGINT", forceExit);
  await server.close();
  await feeder?.stop();
  await node.close();
  return typeof outcome === "string" ? 0 : 1;
}
