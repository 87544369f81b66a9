// The commands the node has sequenced, applied and journaled but not yet acknowledged, oldest first.
// When the journal reports a batch durable, one loop releases every command it covers: no promise
// reaction, closure or record object per command (at a thousand commands in flight those were a large
// share of the node thread's time and garbage). A ring of parallel arrays, grown by doubling.
import assert from "node:assert/strict";
import type { Acknowledgement } from "./exchange-node.ts";
import type { LogCommand } from "./log-state.ts";

/** Settles one `submit`'s promise. */
export type ResolveAcknowledgement = (acknowledgement: Acknowledgement) => void;
/** Fails one `submit`'s promise. */
export type RejectAcknowledgement = (error: Error) => void;

/** The acknowledgements of one `submitMany` call, gathered until the last of its commands is durable. */
export class AcknowledgementGroup {
  readonly acknowledgements: Acknowledgement[] = [];
  /** Commands of the call enqueued; set once the call has enqueued them all. */
  expected = 0;
  readonly promise: Promise<Acknowledgement[]>;
  private resolvePromise!: (acknowledgements: Acknowledgement[]) => void;
  private rejectPromise!: (error: Error) => void;

  constructor() {
    this.promise = new Promise<Acknowledgement[]>((resolve, reject) => {
      this.resolvePromise = resolve;
      this.rejectPromise = reject;
    });
  }

  /** Adds the next acknowledgement; resolves the group's promise with the last one. */
  add(acknowledgement: Acknowledgement): void {
    this.acknowledgements.push(acknowledgement);
    this.resolveIfComplete();
  }

  /** Called once the call has enqueued all it will: `expected` commands. */
  close(expected: number): void {
    this.expected = expected;
    this.resolveIfComplete();
  }

  reject(error: Error): void {
    this.rejectPromise(error);
  }

  private resolveIfComplete(): void {
    // `expected` is 0 until close(): no command can become durable before the call returns.
    if (this.acknowledgements.length === this.expected) this.resolvePromise(this.acknowledgements);
  }
}

/** What is released with each command. */
export interface PendingRelease {
  readonly acknowledgement: Acknowledgement;
  readonly command: LogCommand;
  readonly auth: Uint8Array | undefined;
}

// A promise's resolving functions, captured without a closure per promise: `new Promise(capture)` runs
// `capture` synchronously, and the caller reads both right after.
let capturedResolve: ResolveAcknowledgement | undefined;
let capturedReject: RejectAcknowledgement | undefined;
function capture(resolve: ResolveAcknowledgement, reject: RejectAcknowledgement): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

const initialCapacity = 1024;

/**
 * The queue of commands waiting for durability.
 *
 * @example
 * const promise = pending.pushSingle(acknowledgement, command, auth);
 * pending.releaseThrough(durableSequence, (release) => notify(release));
 */
export class PendingAcknowledgements {
  private acknowledgements: (Acknowledgement | undefined)[] = new Array(initialCapacity).fill(undefined);
  private commands: (LogCommand | undefined)[] = new Array(initialCapacity).fill(undefined);
  private auths: (Uint8Array | undefined)[] = new Array(initialCapacity).fill(undefined);
  // For a `submit`: its promise's functions. For a `submitMany` command: its group.
  private resolves: (ResolveAcknowledgement | undefined)[] = new Array(initialCapacity).fill(undefined);
  private rejects: (RejectAcknowledgement | undefined)[] = new Array(initialCapacity).fill(undefined);
  private groups: (AcknowledgementGroup | undefined)[] = new Array(initialCapacity).fill(undefined);
  private mask = initialCapacity - 1;
  private head = 0;
  private size = 0;
  // Reused for every release (the listener must not keep it).
  private readonly release: { acknowledgement: Acknowledgement | undefined; command: LogCommand | undefined; auth: Uint8Array | undefined } = {
    acknowledgement: undefined,
    command: undefined,
    auth: undefined,
  };

  /** Commands waiting. */
  get count(): number {
    return this.size;
  }

  /** Queues a `submit`'s command and returns the promise its acknowledgement settles. */
  pushSingle(acknowledgement: Acknowledgement, command: LogCommand, auth: Uint8Array | undefined): Promise<Acknowledgement> {
    const promise = new Promise<Acknowledgement>(capture);
    const at = this.reserve();
    this.acknowledgements[at] = acknowledgement;
    this.commands[at] = command;
    this.auths[at] = auth;
    this.resolves[at] = capturedResolve;
    this.rejects[at] = capturedReject;
    return promise;
  }

  /** Queues one command of a `submitMany` call. */
  pushGrouped(acknowledgement: Acknowledgement, command: LogCommand, auth: Uint8Array | undefined, group: AcknowledgementGroup): void {
    const at = this.reserve();
    this.acknowledgements[at] = acknowledgement;
    this.commands[at] = command;
    this.auths[at] = auth;
    this.groups[at] = group;
  }

  /**
   * Releases, oldest first, every command with a sequence up to `sequence`, or the first `countMax` of
   * them: `onRelease` sees each (the object is reused), then its sender's promise settles. Returns
   * whether commands up to `sequence` still wait (the count ran out).
   */
  releaseThrough(sequence: number, onRelease: ((release: PendingRelease) => void) | undefined, countMax = Number.POSITIVE_INFINITY): boolean {
    assert.ok(countMax > 0);
    const release = this.release;
    let released = 0;
    // Bounded by the queue's size.
    while (this.size > 0) {
      const at = this.head;
      const acknowledgement = this.acknowledgements[at]!;
      if (acknowledgement.sequence > sequence) break;
      if (released === countMax) {
        this.clearRelease();
        return true;
      }
      released += 1;
      const resolve = this.resolves[at];
      const group = this.groups[at];
      if (onRelease !== undefined) {
        release.acknowledgement = acknowledgement;
        release.command = this.commands[at];
        release.auth = this.auths[at];
        onRelease(release as PendingRelease);
      }
      this.clear(at);
      this.head = (at + 1) & this.mask;
      this.size -= 1;
      if (resolve !== undefined) resolve(acknowledgement);
      else group!.add(acknowledgement);
    }
    this.clearRelease();
    return false;
  }

  private clearRelease(): void {
    const release = this.release;
    release.acknowledgement = undefined;
    release.command = undefined;
    release.auth = undefined;
  }

  /** Fails every waiting command's promise (the journal failed): none of them will be durable. */
  rejectAll(error: Error): void {
    // Bounded by the queue's size.
    while (this.size > 0) {
      const at = this.head;
      const reject = this.rejects[at];
      const group = this.groups[at];
      this.clear(at);
      this.head = (at + 1) & this.mask;
      this.size -= 1;
      if (reject !== undefined) reject(error);
      else group!.reject(error);
    }
  }

  private clear(at: number): void {
    this.acknowledgements[at] = undefined;
    this.commands[at] = undefined;
    this.auths[at] = undefined;
    this.resolves[at] = undefined;
    this.rejects[at] = undefined;
    this.groups[at] = undefined;
  }

  // The slot for a new command at the tail.
  private reserve(): number {
    if (this.size > this.mask) this.grow();
    const at = (this.head + this.size) & this.mask;
    this.size += 1;
    return at;
  }

  private grow(): void {
    const capacity = (this.mask + 1) * 2;
    const reorder = <T>(slots: (T | undefined)[]): (T | undefined)[] => {
      const grown = new Array<T | undefined>(capacity).fill(undefined);
      for (let index = 0; index < this.size; index += 1) grown[index] = slots[(this.head + index) & this.mask];
      return grown;
    };
    this.acknowledgements = reorder(this.acknowledgements);
    this.commands = reorder(this.commands);
    this.auths = reorder(this.auths);
    this.resolves = reorder(this.resolves);
    this.rejects = reorder(this.rejects);
    this.groups = reorder(this.groups);
    this.mask = capacity - 1;
    this.head = 0;
    assert.ok(this.size < capacity);
  }
}
