// Journal errors follow the viem shape (style habit 13): a short message, details, and where the docs
// are. They signal that the disk does not hold a journal the node can trust; the node must not start.

/** Fields every journal error carries. */
export interface JournalErrorParameters {
  readonly shortMessage: string;
  readonly details: string;
}

/**
 * The base of the journal's errors.
 *
 * @example
 * if (error instanceof JournalError) logger.error({ details: error.details }, error.shortMessage);
 */
export class JournalError extends Error {
  override name = 'JournalError';
  readonly shortMessage: string;
  readonly details: string;
  readonly docsPath = 'packages/node/docs/journal.md';

  constructor(parameters: JournalErrorParameters) {
    super(`${parameters.shortMessage}\n\nDetails: ${parameters.details}\nDocs: packages/node/docs/journal.md`);
    this.shortMessage = parameters.shortMessage;
    this.details = parameters.details;
  }
}

/** Where corruption was found, and what was wrong. */
export interface JournalCorruptErrorParameters {
  /** Path of the segment file. */
  readonly segmentFile: string;
  /** Byte offset in the segment file where the bad record (or header) starts. */
  readonly offset: number;
  /** The command sequence the journal expected at that offset. */
  readonly sequenceExpected: bigint;
  readonly reason: string;
}

/**
 * The journal holds damage that is not a torn tail: a record before the end of the last segment fails
 * its checksum, sequences have a gap, time steps back, or a segment is missing. Acknowledged commands
 * may be lost, so the node refuses to start rather than guess; restore the segment from a replica or
 * the archive.
 *
 * @example
 * try {
 *   await Journal.open({ directory, logger });
 * } catch (error) {
 *   if (error instanceof JournalCorruptError) console.error(error.segmentFile, error.offset, error.sequenceExpected);
 *   throw error;
 * }
 */
export class JournalCorruptError extends JournalError {
  override name = 'JournalCorruptError';
  readonly segmentFile: string;
  readonly offset: number;
  readonly sequenceExpected: bigint;
  readonly reason: string;

  constructor(parameters: JournalCorruptErrorParameters) {
    super({
      shortMessage: `Journal corrupt at sequence ${parameters.sequenceExpected}: ${parameters.segmentFile} at byte offset ${parameters.offset}.`,
      details: parameters.reason,
    });
    this.segmentFile = parameters.segmentFile;
    this.offset = parameters.offset;
    this.sequenceExpected = parameters.sequenceExpected;
    this.reason = parameters.reason;
  }
}
