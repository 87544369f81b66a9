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
export { ExchangeNode } from "./exchange-node.ts";
export type { Acknowledgement, AppliedCommand, AppliedListener, NodeStatistics } from "./exchange-node.ts";
export type { ExchangeNodeOptions } from "./node-settings.ts";
export {
  CheckpointMismatchError,
  DataDirectoryLockedError,
  LogInvalidError,
  NodeBusyError,
  NodeClosedError,
  NodeError,
  RecoveryError,
} from "./errors.ts";
export type { CheckpointMismatchParameters, NodeErrorParameters } from "./errors.ts";
export { demoAdmin, demoGenesis, demoGenesisOracleSources, demoMarket, genesisCommands } from "./genesis.ts";
export type { DemoMarketParameters, GenesisConfig } from "./genesis.ts";
export { LogState } from "./log-state.ts";
export type { GenesisCommand, LogCommand } from "./log-state.ts";
export { createSystemClock } from "./clock.ts";
export type { Clock } from "./clock.ts";
export { Sequencer } from "./sequencer.ts";
export type { SequencerOptions, Stamp } from "./sequencer.ts";
export { createLogger, logLevels, silentLogger } from "./logger.ts";
export type { LogLevel, NodeLogger } from "./logger.ts";
export { dataPaths } from "./data-directory.ts";
export type { DataPaths } from "./data-directory.ts";
export { hexOf, stateHashBytes } from "./state-hash.ts";
export { OracleFeeder } from "./feeder/feeder.ts";
export type { FeederReport, OracleFeederOptions } from "./feeder/feeder.ts";
export { CsvPriceSource, RandomWalkSource } from "./feeder/price-sources.ts";
export type { PriceSource, SourceQuote } from "./feeder/price-sources.ts";
export { oraclePriceTypes, signOraclePrice, verifyOraclePrice } from "./feeder/oracle-signing.ts";
export type { OraclePriceInput, OracleQuoteMessage, OracleSignatureFailure } from "./feeder/oracle-signing.ts";
export { demoOracleKeys, demoOracleSources } from "./feeder/demo-sources.ts";
export type { FeederSourceKey, OracleSourceRegistration } from "./feeder/demo-sources.ts";
export { attachOracleFeeder } from "./feeder/attach-feeder.ts";
export type { AttachFeederOptions } from "./feeder/attach-feeder.ts";
