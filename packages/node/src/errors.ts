// Errors of the node follow the viem shape (style habit 13), like the journal's: a short message, details
// and where the runbook is. Business rejections are not errors: they come back as command results.

const docsPath = "packages/node/docs/node.md";

/** Fields every node error carries. */
export interface NodeErrorParameters {
  readonly shortMessage: string;
  readonly details: string;
}

/**
 * The base of the node's errors.
 *
 * @example
 * try {
 *   await node.submit(command);
 * } catch (error) {
 *   if (error instanceof NodeError) logger.error({ details: error.details }, error.shortMessage);
 * }
 */
export class NodeError extends Error {
  override name = "NodeError";
  readonly shortMessage: string;
  readonly details: string;
  readonly docsPath = docsPath;

  constructor(parameters: NodeErrorParameters) {
    super(`${parameters.shortMessage}\n\nDetails: ${parameters.details}\nDocs: ${docsPath}`);
    this.shortMessage = parameters.shortMessage;
    this.details = parameters.details;
  }
}

/**
 * The node is not taking commands: it is closing, closed, or stopped after a fatal error.
 *
 * @example
 * await node.close();
 * await node.submit({ type: "tick" }); // rejects with NodeClosedError
 */
export class NodeClosedError extends NodeError {
  override name = "NodeClosedError";
}

/**
 * Too many commands are waiting for their journal write; the sender should retry shortly. Nothing was
 * sequenced.
 *
 * @example
 * try {
 *   await node.submit(command);
 * } catch (error) {
 *   if (error instanceof NodeBusyError) await delay(1);
 * }
 */
export class NodeBusyError extends NodeError {
  override name = "NodeBusyError";
}

/**
 * Another process holds the data directory (its pid is in the LOCK file).
 *
 * @example
 * await ExchangeNode.open({ dataDirectory: "data", logger }); // rejects while another node runs there
 */
export class DataDirectoryLockedError extends NodeError {
  override name = "DataDirectoryLockedError";
}

/** Where replay found a state hash that differs from the one recorded. */
export interface CheckpointMismatchParameters {
  /** The sequence the checkpoint (or snapshot) recorded a state hash for. */
  readonly sequence: number;
  readonly expected: string;
  readonly actual: string;
  /** The last sequence whose recorded hash matched (0 when none did): the divergence is after it. */
  readonly lastMatchingSequence: number;
}

/**
 * Replaying the log reached a different state than the one recorded at a checkpoint: the replaying
 * code is not the code that wrote the log, or a record was altered in a way its checksum cannot see.
 *
 * @example
 * try {
 *   replayRecords({ state, records, verifyCheckpoints: true });
 * } catch (error) {
 *   if (error instanceof CheckpointMismatchError) console.error(error.lastMatchingSequence, error.sequence);
 * }
 */
export class CheckpointMismatchError extends NodeError {
  override name = "CheckpointMismatchError";
  readonly sequence: number;
  readonly expected: string;
  readonly actual: string;
  readonly lastMatchingSequence: number;

  constructor(parameters: CheckpointMismatchParameters) {
    super({
      shortMessage: `State hash mismatch at sequence ${parameters.sequence}.`,
      details:
        `recorded ${parameters.expected}, replay reached ${parameters.actual}; ` +
        `the state diverged after sequence ${parameters.lastMatchingSequence} and at or before ${parameters.sequence}`,
    });
    this.sequence = parameters.sequence;
    this.expected = parameters.expected;
    this.actual = parameters.actual;
    this.lastMatchingSequence = parameters.lastMatchingSequence;
  }
}

/**
 * The log cannot be replayed: a record is missing, out of order, steps back in time, or does not
 * decode into a command. Names the sequence where it happened.
 *
 * @example
 * try {
 *   replayRecords({ state, records, verifyCheckpoints: false });
 * } catch (error) {
 *   if (error instanceof LogInvalidError) console.error(error.sequence, error.reason);
 * }
 */
export class LogInvalidError extends NodeError {
  override name = "LogInvalidError";
  readonly sequence: bigint;
  readonly reason: string;

  constructor(parameters: { sequence: bigint; reason: string }) {
    super({ shortMessage: `The command log is invalid at sequence ${parameters.sequence}.`, details: parameters.reason });
    this.sequence = parameters.sequence;
    this.reason = parameters.reason;
  }
}

/**
 * The data directory holds state the node cannot start from (for example, a snapshot newer than the
 * journal: acknowledged records are missing from the journal).
 *
 * @example
 * await ExchangeNode.open({ dataDirectory: "data", logger }); // rejects with RecoveryError
 */
export class RecoveryError extends NodeError {
  override name = "RecoveryError";
}
