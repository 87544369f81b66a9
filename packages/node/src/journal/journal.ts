// The journal: the node's durable, ordered command log, and the truth the exchange state derives from.
//
// Group commit with double buffering: appends encode their record into the newest open batch and get
// that batch's promise. One flusher writes the oldest batch with one synchronous-data write (O_DSYNC:
// write() and fdatasync() in one system call), then settles its promise. While that sync is in flight
// new appends fill the next batch, so the slower the disk, the larger the batches and the fewer syncs
// per command: throughput follows batch size, not sync latency. A command is acknowledged only when
// its batch's promise resolves, after the sync.
import assert from 'node:assert/strict';
import type { FileHandle } from 'node:fs/promises';
import { constants as fsConstants, promises as fs } from 'node:fs';
import path from 'node:path';
import { archiveSegments, segmentsCoveredCount } from './archive.ts';
import type { Batch } from './batch.ts';
import { createBatch } from './batch.ts';
import type { RecordKind } from './format.ts';
import {
  authBytesFormatMax,
  afterCommandRecordsBytes,
  commandKindCode,
  encodeRecordParts,
  encodeSegmentHeader,
  payloadBytesFormatMax,
  recordBytesFor,
  recordKindCode,
  segmentHeaderBytes,
  stateHashBytes,
  u64Max,
} from './format.ts';
import type { JournalRecords } from './journal-reader.ts';
import { readJournalRecords } from './journal-reader.ts';
import type { JournalLogger } from './logger.ts';
import { recoverJournal } from './recovery.ts';
import { chunkBytesDefault } from './segment-reader.ts';
import type { JournalSegment } from './segment-files.ts';
import { segmentName, syncDirectory } from './segment-files.ts';
import { SequenceChecker } from './sequence-checker.ts';

const mebibyte = 1024 * 1024;

// Segment files are opened with O_DSYNC where the platform has it: each write() then returns only once
// its data (and the file size) is on stable storage, exactly what write() + fdatasync() give, in one
// job of libuv's pool instead of two — and without a turn of the node's thread between them, which under
// load (a thousand commands applied in one turn) delays the sync by that whole turn. Elsewhere (Windows)
// the flag is 0 and each batch's write is followed by an explicit fdatasync().
const dataSyncFlag = fsConstants.O_DSYNC ?? 0;
const openExistingFlags = fsConstants.O_RDWR | dataSyncFlag;
const createFlags = fsConstants.O_RDWR | fsConstants.O_CREAT | fsConstants.O_EXCL | dataSyncFlag;

/** Where the journal lives and the limits it works within. Every limit has a default. */
export interface JournalOpenOptions {
  readonly directory: string;
  readonly logger: JournalLogger;
  /** A segment rotates before it would grow past this. Default 256 MiB. */
  readonly segmentBytesMax?: number;
  /** The largest command payload accepted, auth envelope included. Default 1 MiB. */
  readonly payloadBytesMax?: number;
  /** The largest auth envelope accepted (it counts toward payloadBytesMax too). Default 64 KiB or payloadBytesMax if smaller. */
  readonly authBytesMax?: number;
  /** Bytes written and synced at once. Default 4 MiB. */
  readonly batchBytesMax?: number;
  /** Records in one batch. Default 65,536. */
  readonly batchRecordsMax?: number;
  /**
   * Bytes appended but not yet durable. Exceeding it is a bug in the caller, which must bound the
   * commands it has in flight (wait for acknowledgements). Default 64 MiB.
   */
  readonly pendingBytesMax?: number;
  /** Bytes read per syscall on recovery and replay. Default 4 MiB. */
  readonly readChunkBytes?: number;
}

/** The limits with defaults filled in. */
export type JournalLimits = Required<Omit<JournalOpenOptions, 'directory' | 'logger'>>;

/** Counters of the journal's work since open, for tests and metrics. */
export interface JournalStatistics {
  /** Batches written; each is one write() made durable at once (O_DSYNC, or write() then fdatasync()). */
  readonly batchesWritten: number;
  readonly recordsWritten: number;
  readonly bytesWritten: number;
  /** Data syncs of segment files (an O_DSYNC write or an fdatasync()): exactly one per batch. */
  readonly fileSyncs: number;
  /** fsync() calls on the directory: one per segment created. */
  readonly directorySyncs: number;
  readonly segmentsCreated: number;
}

/** A command to append: its sequence and time come from the sequencer. */
export interface JournalAppendCommand {
  /** Exactly one more than the last appended command's sequence (the first is 1). */
  readonly sequence: bigint;
  /** Exchange time in nanoseconds since the epoch; strictly greater than the last command's. */
  readonly time: bigint;
  /** The encoded command; copied before append returns, so the caller may reuse the buffer. */
  readonly payload: Uint8Array;
  /** Use only `payload[0, payloadBytes)` (a reused buffer, without a view per command). Default: all of it. */
  readonly payloadBytes?: number;
  /**
   * The command's auth envelope (the signed request and its signature), stored verbatim after the
   * payload and returned by every reader; copied before append returns. Absent or empty for none.
   */
  readonly auth?: Uint8Array | undefined;
}

/** A state hash to record after the command with `sequence` (the last one appended). */
export interface JournalAppendCheckpoint {
  readonly sequence: bigint;
  readonly stateHash: Uint8Array;
}

/**
 * Learns of each batch as it becomes durable, in order, on the journal's thread, before the batch's
 * promise settles: a caller with many records in flight (the node) releases them all in one loop here
 * instead of waiting on one promise reaction per record.
 */
export interface DurableObserver {
  /**
   * `records` are the batch's records exactly as written (no segment header), valid during the call
   * only (the buffer is reused: copy what you keep); `lastSequence` is the last command sequence the
   * journal now holds durable. Must not throw and must not append.
   */
  durable(records: Uint8Array, lastSequence: number): void;
  /** The journal failed: nothing appended but not yet durable will become durable. Called once. */
  failed(error: Error): void;
}

/** Where reading starts. */
export interface JournalReadOptions {
  readonly fromSequence: bigint;
}

const noBytes = new Uint8Array(0);

function resolveLimits(options: JournalOpenOptions): JournalLimits {
  const limits: JournalLimits = {
    segmentBytesMax: options.segmentBytesMax ?? 256 * mebibyte,
    payloadBytesMax: options.payloadBytesMax ?? mebibyte,
    authBytesMax: options.authBytesMax ?? Math.min(64 * 1024, options.payloadBytesMax ?? mebibyte),
    batchBytesMax: options.batchBytesMax ?? 4 * mebibyte,
    batchRecordsMax: options.batchRecordsMax ?? 65_536,
    pendingBytesMax: options.pendingBytesMax ?? 64 * mebibyte,
    readChunkBytes: options.readChunkBytes ?? chunkBytesDefault,
  };
  for (const value of Object.values(limits)) assert.ok(Number.isSafeInteger(value) && value > 0);
  assert.ok(limits.payloadBytesMax <= payloadBytesFormatMax);
  assert.ok(limits.authBytesMax <= authBytesFormatMax && limits.authBytesMax <= limits.payloadBytesMax);
  // A segment must hold its header, the largest command and the checkpoints that may follow it; a batch
  // must hold a segment header and the largest command, so any record fits a fresh batch.
  const commandBytesMax = recordBytesFor(limits.payloadBytesMax);
  assert.ok(segmentHeaderBytes + commandBytesMax + afterCommandRecordsBytes <= limits.segmentBytesMax);
  assert.ok(segmentHeaderBytes + commandBytesMax <= limits.batchBytesMax);
  assert.ok(limits.batchBytesMax <= limits.pendingBytesMax);
  assert.ok(limits.readChunkBytes >= segmentHeaderBytes);
  return limits;
}

// The segment the next record goes to, and its size once every queued record is written.
interface PlannedSegment {
  readonly segment: JournalSegment;
  bytes: number;
  /** Whether a queued batch already carries this segment's header (or the file exists). */
  headerQueued: boolean;
}

interface JournalParts {
  readonly directory: string;
  readonly logger: JournalLogger;
  readonly limits: JournalLimits;
  readonly segments: JournalSegment[];
  readonly handle: FileHandle;
  readonly checker: SequenceChecker;
}

type MutableStatistics = { -readonly [Key in keyof JournalStatistics]: JournalStatistics[Key] };

/**
 * An append-only, checksummed command log on local disk, with group commit.
 *
 * @example
 * const journal = await Journal.open({ directory: 'data/journal', logger });
 * await journal.append({ sequence: journal.lastSequence + 1n, time, payload });
 * for (const record of journal.read({ fromSequence: 1n })) core.apply(record);
 * await journal.close();
 */
export class Journal {
  private readonly directory: string;
  private readonly logger: JournalLogger;
  private readonly limits: JournalLimits;
  private readonly segments: JournalSegment[];
  private handle: FileHandle;
  // Checks and tracks what was appended (not yet necessarily durable). Read it through `sequenceChecker`.
  private readonly checker: SequenceChecker;
  // The command side of the checker, in numbers: `appendCommand` (the node's hot path, one call per
  // command) checks each command by the checker's rule (the next sequence, a later time) here, without
  // the bigints `take` costs, and the checker is moved past those commands (its `advance`, as recovery
  // does after its own scan) before anything else reads or feeds it.
  private nextCommandSequence: number;
  private lastCommandTime: bigint;
  private checkerBehind = false;
  private planned: PlannedSegment;
  private readonly batches: Batch[] = [];
  private readonly spareBuffers: Buffer[] = [];
  private pendingBytes = 0;
  private flushing = false;
  private flushScheduled = false;
  private failure: Error | undefined = undefined;
  private closing = false;
  private archiving = false;
  private durableSequenceValue: bigint;
  private observer: DurableObserver | undefined;
  private lastDurable: Promise<void> = Promise.resolve();
  private readonly flushLater = (): void => {
    this.flushScheduled = false;
    void this.flushBatches();
  };
  private readonly counters: MutableStatistics = {
    batchesWritten: 0,
    recordsWritten: 0,
    bytesWritten: 0,
    fileSyncs: 0,
    directorySyncs: 0,
    segmentsCreated: 0,
  };

  private constructor(parts: JournalParts) {
    assert.ok(parts.segments.length > 0);
    this.directory = parts.directory;
    this.logger = parts.logger;
    this.limits = parts.limits;
    this.segments = parts.segments;
    this.handle = parts.handle;
    this.checker = parts.checker;
    this.nextCommandSequence = Number(parts.checker.nextSequence);
    this.lastCommandTime = parts.checker.lastTime;
    const last = parts.segments.at(-1)!;
    this.planned = { segment: last, bytes: last.bytes, headerQueued: true };
    this.durableSequenceValue = parts.checker.lastSequence;
  }

  /**
   * Opens (or creates) the journal in `directory`: checks every record of every segment, cuts off a
   * torn tail of the last segment (and logs it), and refuses with a `JournalCorruptError` naming the
   * segment file, byte offset and expected sequence when there is damage anywhere else.
   *
   * @example
   * const journal = await Journal.open({ directory: 'data/journal', logger, segmentBytesMax: 64 * 1024 * 1024 });
   */
  static async open(options: JournalOpenOptions): Promise<Journal> {
    const limits = resolveLimits(options);
    const { directory, logger } = options;
    await fs.mkdir(directory, { recursive: true });
    const recovered = await recoverJournal({ directory, logger, chunkBytes: limits.readChunkBytes });
    const segments = recovered.segments;
    let checker = recovered.checker;
    if (segments.length === 0) {
      segments.push(await createFirstSegment(directory));
      checker = new SequenceChecker({ firstSequence: 1n, previousTime: 0n });
    }
    assert.ok(checker !== undefined);
    const handle = await fs.open(path.join(directory, segments.at(-1)!.name), openExistingFlags);
    logger.info(
      {
        directory,
        segments: segments.length,
        firstSequence: segments[0]!.firstSequence.toString(),
        lastSequence: checker.lastSequence.toString(),
        lastTime: checker.lastTime.toString(),
      },
      'journal: opened',
    );
    return new Journal({ directory, logger, limits, segments, handle, checker });
  }

  /** The sequence of the last command appended (durable or not); 0 when the journal is empty. */
  get lastSequence(): bigint {
    return this.sequenceChecker.lastSequence;
  }

  /** The time of the last command appended; 0 when the journal is empty. */
  get lastTime(): bigint {
    return this.lastCommandTime;
  }

  /** The sequence of the last checkpoint or checkpoint-due record in the journal; its first sequence - 1 when there is none. */
  get lastCheckpointSequence(): bigint {
    return this.sequenceChecker.checkpointSequence;
  }

  /** The sequence of the last command known durable: every command up to it was acknowledged. */
  get durableSequence(): bigint {
    return this.durableSequenceValue;
  }

  /** A copy of the work counters. */
  get statistics(): JournalStatistics {
    return { ...this.counters };
  }

  /**
   * Appends a command and returns a promise that resolves once its record is durable (written and
   * fdatasync'ed); only then may the command be acknowledged to its sender. Appends need not wait for
   * each other: those made while a sync is in flight share the next batch. A gap in the sequence or a
   * time that does not increase is a bug in the caller and fails an assertion.
   *
   * @example
   * const durable = journal.append({ sequence: 42n, time: 1_767_225_600_000_000_000n, payload });
   * await durable; // now acknowledge command 42
   */
  append(command: JournalAppendCommand): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    assert.ok(!this.closing, 'journal: append after close');
    const authBytes = command.auth?.length ?? 0;
    const payloadBytes = command.payloadBytes ?? command.payload.length;
    assert.ok(payloadBytes <= command.payload.length);
    assert.ok(payloadBytes + authBytes <= this.limits.payloadBytesMax, 'journal: payload and auth over payloadBytesMax');
    assert.ok(authBytes <= this.limits.authBytesMax, 'journal: auth over authBytesMax');
    assert.ok(command.time <= u64Max, 'journal: time over u64');
    return this.enqueue('command', command.sequence, command.time, command.payload, payloadBytes, command.auth).durable;
  }

  /**
   * Records the state hash after the last appended command, so anyone replaying the journal can check
   * they reach the same state. At most one checkpoint per sequence. Resolves once durable.
   *
   * @example
   * await journal.appendCheckpoint({ sequence: journal.lastSequence, stateHash: core.stateHash() });
   */
  appendCheckpoint(checkpoint: JournalAppendCheckpoint): Promise<void> {
    assert.equal(checkpoint.stateHash.length, stateHashBytes, 'journal: a state hash has 32 bytes');
    return this.appendAfterCommand('checkpoint', checkpoint.sequence, checkpoint.stateHash);
  }

  /**
   * Records that the state after the last appended command is to be hashed by whoever replays the log;
   * the hash follows later as a deferred checkpoint (`appendDeferredCheckpoint`). Takes the place of a
   * checkpoint: at most one of the two per sequence. Resolves once durable.
   *
   * @example
   * await journal.appendCheckpointDue(journal.lastSequence);
   */
  appendCheckpointDue(sequence: bigint): Promise<void> {
    return this.appendAfterCommand('checkpointDue', sequence, noBytes);
  }

  /**
   * Records the state hash after command `sequence`, an earlier command with a checkpoint-due record,
   * here behind the last appended command. Resolves once durable.
   *
   * @example
   * await journal.appendDeferredCheckpoint({ sequence: 100_000n, stateHash });
   */
  appendDeferredCheckpoint(checkpoint: JournalAppendCheckpoint): Promise<void> {
    assert.equal(checkpoint.stateHash.length, stateHashBytes, 'journal: a state hash has 32 bytes');
    return this.appendAfterCommand('deferredCheckpoint', checkpoint.sequence, checkpoint.stateHash);
  }

  // A record that is not a command: it carries the time of the last command (the sequence checker
  // decides whether it may come here).
  private appendAfterCommand(kind: Exclude<RecordKind, 'command'>, sequence: bigint, payload: Uint8Array): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    assert.ok(!this.closing, 'journal: append after close');
    return this.enqueue(kind, sequence, this.lastCommandTime, payload, payload.length, undefined).durable;
  }

  /**
   * `append` for a caller that learns of durability through its DurableObserver: the same checks and
   * the same batch, without handing out the batch's promise. Throws (rather than rejects) once the
   * journal has failed.
   *
   * @example
   * journal.observeDurable(observer);
   * journal.appendCommand(42, time, scratch, payloadBytes, undefined); // observer.durable(…, 42) follows
   */
  appendCommand(sequence: number, time: bigint, payload: Uint8Array, payloadBytes: number, auth: Uint8Array | undefined): void {
    if (this.failure !== undefined) throw this.failure;
    check(!this.closing, 'journal: append after close');
    const authBytes = auth === undefined ? 0 : auth.length;
    check(payloadBytes <= payload.length, 'journal: payloadBytes beyond the payload');
    check(payloadBytes + authBytes <= this.limits.payloadBytesMax, 'journal: payload and auth over payloadBytesMax');
    check(authBytes <= this.limits.authBytesMax, 'journal: auth over authBytesMax');
    check(time <= u64Max, 'journal: time over u64');
    // The checker's rule for a command, in numbers; a refusal goes through the checker for its reason.
    if (sequence !== this.nextCommandSequence || time <= this.lastCommandTime) {
      this.enqueue('command', BigInt(sequence), time, payload, payloadBytes, auth);
      return;
    }
    const recordBytes = recordBytesFor(payloadBytes, authBytes);
    check(this.pendingBytes + recordBytes <= this.limits.pendingBytesMax, 'journal: pendingBytesMax exceeded');
    const previousTime = this.lastCommandTime;
    this.nextCommandSequence = sequence + 1;
    this.lastCommandTime = time;
    this.checkerBehind = true;
    this.place(commandKindCode, sequence, time, payload, payloadBytes, auth, recordBytes, previousTime, sequence);
  }

  // The checker, moved past the commands `appendCommand` took since it was last read.
  private get sequenceChecker(): SequenceChecker {
    if (this.checkerBehind) {
      this.checkerBehind = false;
      const checker = this.checker;
      checker.advance({ nextSequence: BigInt(this.nextCommandSequence), lastTime: this.lastCommandTime, checkpointSequence: checker.checkpointSequence });
    }
    return this.checker;
  }

  /**
   * Sets the one observer told of every batch that becomes durable from now on (and of a failure).
   *
   * @example
   * journal.observeDurable({ durable: (records, lastSequence) => release(lastSequence), failed: stop });
   */
  observeDurable(observer: DurableObserver): void {
    assert.equal(this.observer, undefined, 'journal: one durable observer at most');
    this.observer = observer;
  }

  /** Bytes the current segment can still take before a command must start a new one. */
  get segmentRoomBytes(): number {
    return this.limits.segmentBytesMax - this.planned.bytes;
  }

  /** Bytes of records appended but not yet durable. */
  get pendingByteCount(): number {
    return this.pendingBytes;
  }

  // Returns the batch the record went into.
  private enqueue(kind: RecordKind, sequence: bigint, time: bigint, payload: Uint8Array, payloadBytes: number, auth: Uint8Array | undefined): Batch {
    const authBytes = auth === undefined ? 0 : auth.length;
    const recordBytes = recordBytesFor(payloadBytes, authBytes);
    check(this.pendingBytes + recordBytes <= this.limits.pendingBytesMax, 'journal: pendingBytesMax exceeded');
    const checker = this.sequenceChecker;
    // A new segment's header holds the time before its first command: read before the checker moves on.
    const previousTime = checker.lastTime;
    // Same check as every reader applies after decoding: both sides of the disk boundary. A refusal is
    // a bug in the caller and stops the process, so checking and taking in one call is safe.
    const problem = checker.take(kind, sequence, time);
    if (problem !== undefined) assert.fail(`journal: ${problem}`);
    if (kind === 'command') {
      this.nextCommandSequence = Number(sequence) + 1;
      this.lastCommandTime = time;
    }
    const kindCode = kind === 'command' ? commandKindCode : recordKindCode(kind);
    // The batch's last command: a command's own sequence, or a checkpoint's; a deferred checkpoint names
    // an earlier one.
    const lastSequence = kind === 'deferredCheckpoint' ? this.nextCommandSequence - 1 : Number(sequence);
    return this.place(kindCode, Number(sequence), time, payload, payloadBytes, auth, recordBytes, previousTime, lastSequence);
  }

  // Encodes a record the checker took into the batch it belongs to.
  private place(
    kindCode: number,
    sequence: number,
    time: bigint,
    payload: Uint8Array,
    payloadBytes: number,
    auth: Uint8Array | undefined,
    recordBytes: number,
    previousTime: bigint,
    lastSequence: number,
  ): Batch {
    const batch = this.batchFor(kindCode === commandKindCode, sequence, recordBytes, previousTime);
    const written = encodeRecordParts(batch.buffer, batch.bytesUsed, kindCode, sequence, time, payload, payloadBytes, auth);
    check(written === recordBytes, 'journal: record size differs from its encoding');
    batch.bytesUsed += recordBytes;
    batch.recordCount += 1;
    batch.lastSequence = lastSequence;
    this.planned.bytes += recordBytes;
    this.pendingBytes += recordBytes;
    check(this.planned.bytes <= this.limits.segmentBytesMax, 'journal: segment over segmentBytesMax');
    this.scheduleFlush();
    return batch;
  }

  // The batch the record goes into: the newest queued one if it has room and targets the same
  // segment, else a new one. A command that would overfill the segment starts a new segment first,
  // keeping room for the checkpoints that may follow it; so every segment starts with a command.
  private batchFor(command: boolean, sequence: number, recordBytes: number, previousTime: bigint): Batch {
    const planned = this.planned;
    const hasRecords = planned.bytes > segmentHeaderBytes;
    if (command && hasRecords && planned.bytes + recordBytes + afterCommandRecordsBytes > this.limits.segmentBytesMax) {
      const firstSequence = BigInt(sequence);
      const segment = { name: segmentName(firstSequence), firstSequence, previousTime, bytes: 0, seekPoints: [] };
      this.planned = { segment, bytes: segmentHeaderBytes, headerQueued: false };
    }
    const tail = this.batches.at(-1);
    if (
      tail !== undefined &&
      tail.segment === this.planned.segment &&
      tail.bytesUsed + recordBytes <= tail.buffer.length &&
      tail.recordCount < this.limits.batchRecordsMax
    ) {
      return tail;
    }
    return this.newBatch();
  }

  private newBatch(): Batch {
    const planned = this.planned;
    const buffer = this.spareBuffers.pop() ?? Buffer.allocUnsafe(this.limits.batchBytesMax);
    const createsSegment = !planned.headerQueued;
    const fileOffset = createsSegment ? 0 : planned.bytes;
    const batch = createBatch({ segment: planned.segment, createsSegment, fileOffset, buffer, lastSequence: this.nextCommandSequence - 1 });
    if (createsSegment) {
      const { firstSequence, previousTime } = planned.segment;
      encodeSegmentHeader(buffer, 0, { firstSequence, previousTime });
      batch.bytesUsed = segmentHeaderBytes;
      planned.headerQueued = true;
    }
    this.batches.push(batch);
    this.lastDurable = batch.durable;
    return batch;
  }

  // setImmediate, not a microtask: appends arriving in the same turn of the event loop (one per socket
  // read callback) join the first batch instead of each syncing alone. Called for every record: the
  // callback is bound once, since a closure here made V8 allocate this call's context on every call,
  // early return included (about 40 bytes a command).
  private scheduleFlush(): void {
    if (this.flushing || this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.flushLater);
  }

  private async flushBatches(): Promise<void> {
    assert.ok(!this.flushing);
    this.flushing = true;
    let batch = this.batches.shift();
    let written = batch === undefined ? undefined : this.writeBatch(batch);
    // Ends when the queue is empty: appends only add batches while this loop awaits a write.
    while (batch !== undefined && written !== undefined) {
      try {
        await written;
      } catch (error) {
        this.fail(error as Error, batch);
        break;
      }
      // The next batch goes to the disk before this one's waiters run: acknowledging a big batch takes
      // the thread a while, and the disk need not sit idle meanwhile.
      const next = this.batches.shift();
      written = next === undefined ? undefined : this.writeBatch(next);
      this.settle(batch);
      batch = next;
    }
    this.flushing = false;
  }

  // The batch is durable: tells the observer, recycles the buffer, resolves the batch's promise.
  private settle(batch: Batch): void {
    const recordsStart = batch.createsSegment ? segmentHeaderBytes : 0;
    this.pendingBytes -= batch.bytesUsed - recordsStart;
    this.durableSequenceValue = BigInt(batch.lastSequence);
    if (this.observer !== undefined) {
      try {
        this.observer.durable(batch.buffer.subarray(recordsStart, batch.bytesUsed), batch.lastSequence);
      } catch (error) {
        this.logger.error({ error: (error as Error).message }, 'journal: the durable observer threw');
      }
    }
    if (this.spareBuffers.length < 2) this.spareBuffers.push(batch.buffer);
    batch.resolve();
  }

  private async writeBatch(batch: Batch): Promise<void> {
    const bytes = batch.buffer.subarray(0, batch.bytesUsed);
    if (batch.createsSegment) {
      await this.createSegment(batch.segment, bytes);
    } else {
      assert.equal(this.segments.at(-1), batch.segment);
      assert.equal(batch.fileOffset, batch.segment.bytes);
      await writeAll(this.handle, bytes, batch.fileOffset);
      if (dataSyncFlag === 0) await this.handle.datasync();
    }
    batch.segment.bytes = batch.fileOffset + batch.bytesUsed;
    this.counters.batchesWritten += 1;
    this.counters.fileSyncs += 1;
    this.counters.recordsWritten += batch.recordCount;
    this.counters.bytesWritten += batch.bytesUsed;
  }

  // The new file is synced, then its directory entry, before any of its records is acknowledged.
  private async createSegment(segment: JournalSegment, bytes: Buffer): Promise<void> {
    const handle = await fs.open(path.join(this.directory, segment.name), createFlags);
    try {
      await writeAll(handle, bytes, 0);
      if (dataSyncFlag === 0) await handle.datasync();
      await syncDirectory(this.directory);
    } catch (error) {
      await handle.close();
      throw error;
    }
    const previous = this.handle;
    this.handle = handle;
    this.segments.push(segment);
    this.counters.directorySyncs += 1;
    this.counters.segmentsCreated += 1;
    await previous.close();
    this.logger.info({ segmentFile: segment.name, firstSequence: segment.firstSequence.toString() }, 'journal: segment created');
  }

  // A failed write or sync is not retried: after a failed fsync the kernel may have dropped the dirty
  // pages, so what is on disk is unknown. The node stops and recovers from what the disk holds.
  private fail(error: Error, inFlight: Batch): void {
    this.failure = error;
    this.logger.error({ error: error.message }, 'journal: write failed; the node must stop and recover');
    inFlight.reject(error);
    for (const batch of this.batches.splice(0)) batch.reject(error);
    this.observer?.failed(error);
  }

  /**
   * Resolves once every record appended so far is durable.
   *
   * @example
   * await journal.flush();
   */
  flush(): Promise<void> {
    return this.lastDurable;
  }

  /**
   * Reads records with `sequence >= fromSequence` in order, for replay. Only durable records are read,
   * and every one is checked again; a read from past the start of a segment open scanned starts at the
   * seek point that scan recorded last before `fromSequence` (journal-reader.ts says why that is safe),
   * not at the segment's first record. Synchronous, in big chunks. An iterator of records, and a cursor
   * standing on one record at a time in the read bytes (replay's way: no object per record).
   *
   * @example
   * for (const record of journal.read({ fromSequence: snapshot.sequence + 1n })) {
   *   if (record.kind === 'command') core.apply(decode(record.payload));
   * }
   */
  read(options: JournalReadOptions): JournalRecords {
    assert.ok(options.fromSequence >= 1n);
    // A snapshot of the segments: later appends, rotations and archiving do not move the end of this read.
    const segments = this.segments.map((segment) => ({ ...segment }));
    return readJournalRecords({ directory: this.directory, segments, fromSequence: options.fromSequence, chunkBytes: this.limits.readChunkBytes });
  }

  /**
   * Moves every whole segment whose records all have a sequence below `sequence` (covered by a
   * snapshot at `sequence - 1` or later) into `archiveDirectory`. Never deletes; the segment being
   * written always stays. Do not archive while a `read` over those segments is in progress. Returns
   * the names of the segments moved.
   *
   * @example
   * await journal.archiveSegmentsBefore(snapshot.sequence + 1n, 'data/journal-archive');
   */
  async archiveSegmentsBefore(sequence: bigint, archiveDirectory: string): Promise<readonly string[]> {
    assert.ok(sequence >= 1n);
    assert.ok(!this.archiving, 'journal: archiving already in progress');
    const count = segmentsCoveredCount(this.segments, sequence);
    if (count === 0) return [];
    this.archiving = true;
    try {
      const moved = this.segments.slice(0, count);
      const keptFromSequence = this.segments[count]!.firstSequence;
      await archiveSegments({ directory: this.directory, archiveDirectory, segments: moved, keptFromSequence, logger: this.logger });
      // Rotation only ever adds segments at the end, so the front is still the segments moved.
      assert.equal(this.segments[0], moved[0]);
      this.segments.splice(0, count);
      return moved.map((segment) => segment.name);
    } finally {
      this.archiving = false;
    }
  }

  /**
   * Waits for every appended record to be durable, then closes the segment file. Appending after
   * close fails an assertion.
   *
   * @example
   * await journal.close();
   */
  async close(): Promise<void> {
    assert.ok(!this.closing, 'journal: closed twice');
    this.closing = true;
    try {
      await this.flush();
    } finally {
      await this.handle.close();
      this.logger.info({ lastSequence: this.durableSequenceValue.toString() }, 'journal: closed');
    }
  }
}

// `assert.ok` takes rest arguments, an array per call: the per-record path checks with this instead.
function check(condition: boolean, message: string): void {
  if (!condition) assert.fail(message);
}

async function createFirstSegment(directory: string): Promise<JournalSegment> {
  const segment: JournalSegment = { name: segmentName(1n), firstSequence: 1n, previousTime: 0n, bytes: segmentHeaderBytes, seekPoints: [] };
  const header = Buffer.alloc(segmentHeaderBytes);
  encodeSegmentHeader(header, 0, segment);
  const handle = await fs.open(path.join(directory, segment.name), 'wx');
  try {
    await writeAll(handle, header, 0);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await syncDirectory(directory);
  return segment;
}

async function writeAll(handle: FileHandle, bytes: Buffer, position: number): Promise<void> {
  let written = 0;
  // Bounded: each pass writes at least one byte or throws.
  while (written < bytes.length) {
    const result = await handle.write(bytes, written, bytes.length - written, position + written);
    assert.ok(result.bytesWritten > 0, 'journal: write made no progress');
    written += result.bytesWritten;
  }
}
