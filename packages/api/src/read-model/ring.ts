// A bounded history: the newest `capacity` entries, oldest dropped first. Read models keep windows of
// history in memory; the full history is the command log (design.md: the read side moves to
// PostgreSQL past one machine).

/** The newest entries up to a capacity. */
export class Ring<Entry> {
  private readonly entries: Entry[] = [];
  private start = 0;

  constructor(readonly capacity: number) {}

  push(entry: Entry): void {
    if (this.entries.length < this.capacity) {
      this.entries.push(entry);
      return;
    }
    this.entries[this.start] = entry;
    this.start = (this.start + 1) % this.capacity;
  }

  get size(): number {
    return this.entries.length;
  }

  /** Newest first, at most `limit`, optionally only those `keep` accepts. */
  newest(limit: number, keep?: (entry: Entry) => boolean): Entry[] {
    const result: Entry[] = [];
    const length = this.entries.length;
    for (let step = 1; step <= length && result.length < limit; step += 1) {
      const entry = this.entries[(this.start + length - step) % length]!;
      if (keep === undefined || keep(entry)) result.push(entry);
    }
    return result;
  }

  /** The newest entry, if any. */
  last(): Entry | undefined {
    const length = this.entries.length;
    return length === 0 ? undefined : this.entries[(this.start + length - 1) % length];
  }
}
