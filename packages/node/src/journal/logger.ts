/**
 * The logging the journal needs, shaped like pino's (`logger.warn({ segmentFile }, 'message')`) so a pino
 * logger can be passed as is. Log objects hold no bigint (JSON cannot encode one): sequences and times
 * are logged as decimal strings.
 *
 * @example
 * const logger: JournalLogger = pino();
 */
export interface JournalLogger {
  info(object: Record<string, unknown>, message: string): void;
  warn(object: Record<string, unknown>, message: string): void;
  error(object: Record<string, unknown>, message: string): void;
}
