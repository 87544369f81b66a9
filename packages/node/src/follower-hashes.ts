// The state hashes the node has asked its follower for: checkpoint-due records journaled whose hash has
// not come back yet. It tells the node when to skip a checkpoint rather than ask for another hash
// (ExchangeNode.checkpoint says why).

/**
 * Outstanding hash requests, oldest first, and whether they amount to `backlogMsMax` of the follower's
 * time: the oldest has waited that long, or they would take that long at the pace of the last one
 * answered (its round trip: the follower's lag plus one pass over the state). Before the first answer,
 * the pace is `firstRoundTripMs`: a follower that starts from a snapshot answers nothing before it has
 * loaded it.
 *
 * @example
 * const hashes = new FollowerHashes(1_000, snapshotLoadMs);
 * if (!hashes.busy()) hashes.request(sequence);
 * hashes.answered(sequence); // true: it was awaited
 */
export class FollowerHashes {
  private readonly requestedAt = new Map<number, number>();
  private lastRoundTripMs: number;

  constructor(
    private readonly backlogMsMax: number,
    firstRoundTripMs = 0,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.lastRoundTripMs = firstRoundTripMs;
  }

  /** Hashes asked for and not answered. */
  get count(): number {
    return this.requestedAt.size;
  }

  /** How long the last answered request took, in milliseconds (`firstRoundTripMs` before any). */
  get roundTripMs(): number {
    return this.lastRoundTripMs;
  }

  /** How long the oldest request has waited, in milliseconds (0 when none waits). */
  get oldestWaitMs(): number {
    // A Map iterates in insertion order, and requests come in sequence order: the first is the oldest.
    const oldestAt = this.requestedAt.values().next().value;
    return oldestAt === undefined ? 0 : this.now() - oldestAt;
  }

  /** Whether another request now would queue behind a backlog of `backlogMsMax` or more. */
  busy(): boolean {
    const count = this.requestedAt.size;
    return count > 0 && (this.oldestWaitMs >= this.backlogMsMax || count * this.lastRoundTripMs >= this.backlogMsMax);
  }

  /** The follower will report the hash after command `sequence`. */
  request(sequence: number): void {
    this.requestedAt.set(sequence, this.now());
  }

  /** The follower reported the hash after `sequence`: whether it was awaited (others are ignored). */
  answered(sequence: number): boolean {
    const requestedAt = this.requestedAt.get(sequence);
    if (requestedAt === undefined) return false;
    this.requestedAt.delete(sequence);
    this.lastRoundTripMs = this.now() - requestedAt;
    return true;
  }
}
