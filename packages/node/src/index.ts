// The public surface of @perpdex/node. Explicit named exports only (style habit 13).
export { Journal } from './journal/journal.ts';
export type {
  JournalAppendCheckpoint,
  JournalAppendCommand,
  JournalLimits,
  JournalOpenOptions,
  JournalReadOptions,
  JournalStatistics,
} from './journal/journal.ts';
export type { JournalRecord } from './journal/journal-reader.ts';
export type { JournalLogger } from './journal/logger.ts';
export { JournalCorruptError, JournalError } from './journal/errors.ts';
export type { JournalCorruptErrorParameters, JournalErrorParameters } from './journal/errors.ts';
export { crc32c } from './journal/crc32c.ts';
