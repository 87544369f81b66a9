// Structured logging: one JSON line per event (pino), objects first, a short constant message second,
// so lines can be searched by message and filtered by field. Sequences and times are logged as decimal
// strings: JSON has no bigint.
import { pino } from "pino";
import type { JournalLogger } from "./journal/logger.ts";

/** What the node needs from a logger; a pino logger fits as is. */
export interface NodeLogger extends JournalLogger {
  debug(object: Record<string, unknown>, message: string): void;
}

/** The levels the CLI accepts, quietest last. */
export const logLevels = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof logLevels)[number];

/**
 * A pino logger writing JSON lines to stdout (file descriptor 1) or stderr (2), synchronously, so the
 * last lines before a crash are not lost in a buffer.
 *
 * @example
 * const logger = createLogger({ level: "info", destination: 1 });
 * logger.info({ sequence: "42" }, "node: ready");
 */
export function createLogger(options: { level: LogLevel; destination: 1 | 2 }): NodeLogger {
  return pino(
    { level: options.level, base: { service: "perpdex" }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: options.destination, sync: true }),
  );
}

/**
 * A logger that drops everything, for benchmarks and tools that report by other means.
 *
 * @example
 * const node = await ExchangeNode.open({ dataDirectory, logger: silentLogger });
 */
export const silentLogger: NodeLogger = Object.freeze({
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
});
