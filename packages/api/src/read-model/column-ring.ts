// A Ring (ring.ts) that keeps its entries column by column instead of as objects: numbers in a
// Float64Array, exchange times in a BigUint64Array, everything else (strings, booleans, null, a bigint
// or null) in a plain array of references. The account histories hold a thousand orders and a thousand
// fills per account: as objects that was an order record, a fill record and the heap numbers V8 boxes
// some of their integer fields in (about seven heap objects per order placed), all of which every major
// collection marks; at 5,000 orders/s they made up half of the server's heap objects, and a major
// collection's marking competed with the server for the machine's two cores and paused it for 15 to 20
// ms (bench:api, PERPDEX_BENCH_TRACE). Columns hold the same values in a few arrays per account.
// Entries are built again when read (`newest`, `last`), which only the history routes do. A push is on
// the engine's thread for every order and fill: its checks and copies are compiled once per layout into
// plain property reads (a loop over field names read each field through a megamorphic keyed load: 0.75
// µs per order record pushed, against 0.04 for a Ring; compiled, 0.35 to 0.45).

/** How a field is kept: "number" (any double, integers exactly), "u64" (a bigint in [0, 2^64)), "value" (anything else). */
export type ColumnKind = "number" | "u64" | "value";

/** The fields of an entry, in the order entries are built with, and how each is kept. */
export type ColumnLayout<Entry> = readonly (readonly [keyof Entry & string, ColumnKind])[];

type Column = Float64Array | BigUint64Array | unknown[];

// Columns start this long and double up to the capacity: most accounts keep a handful of entries.
const initialLength = 8;
const u64Max = 2n ** 64n - 1n;

/**
 * The newest entries up to a capacity, stored by column. An entry is copied in on `push`: changing the
 * object afterwards does not change the ring.
 *
 * @example
 * const ring = new ColumnRing<{ price: number; time: bigint }>(1_000, [["price", "number"], ["time", "u64"]]);
 * ring.push({ price: 95_001, time: 1_767_225_600_000_000_000n });
 * ring.newest(10); // [{ price: 95001, time: 1767225600000000000n }]
 */
export class ColumnRing<Entry extends object> {
  readonly capacity: number;
  private readonly layout: ColumnLayout<Entry>;
  private columns: Column[];
  // Throws when a value does not fit its column; copies an entry's values into one slot of the columns.
  private readonly check: (entry: Entry) => void;
  private readonly write: (columns: Column[], entry: Entry, slot: number) => void;
  private length = 0;
  private start = 0;

  constructor(capacity: number, layout: ColumnLayout<Entry>) {
    if (!Number.isSafeInteger(capacity) || capacity <= 0) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.layout = layout;
    this.columns = layout.map(([, kind]) => newColumn(kind, Math.min(initialLength, capacity)));
    const compiled = compileLayout(layout);
    this.check = compiled.check;
    this.write = compiled.write;
  }

  get size(): number {
    return this.length;
  }

  push(entry: Entry): void {
    // Every value is checked before any is written: a refused entry leaves the ring as it was.
    this.check(entry);
    let slot: number;
    if (this.length < this.capacity) {
      if (this.length === this.columns[0]!.length) this.grow();
      slot = this.length;
      this.length += 1;
    } else {
      slot = this.start;
      this.start = (this.start + 1) % this.capacity;
    }
    this.write(this.columns, entry, slot);
  }

  /** Newest first, at most `limit`, optionally only those `keep` accepts. */
  newest(limit: number, keep?: (entry: Entry) => boolean): Entry[] {
    const result: Entry[] = [];
    const length = this.length;
    for (let step = 1; step <= length && result.length < limit; step += 1) {
      const entry = this.entryAt((this.start + length - step) % length);
      if (keep === undefined || keep(entry)) result.push(entry);
    }
    return result;
  }

  /** The newest entry, if any. */
  last(): Entry | undefined {
    const length = this.length;
    return length === 0 ? undefined : this.entryAt((this.start + length - 1) % length);
  }

  // Builds the entry in one slot, its fields in the layout's order (one shape for every entry).
  private entryAt(slot: number): Entry {
    const entry: Record<string, unknown> = {};
    for (let index = 0; index < this.layout.length; index += 1) entry[this.layout[index]![0]] = this.columns[index]![slot];
    return entry as Entry;
  }

  // Only while the ring is filling: slots 0 … length − 1 are in order, so a copy keeps them.
  private grow(): void {
    const length = Math.min(this.capacity, this.columns[0]!.length * 2);
    this.columns = this.columns.map((column, index) => {
      const grown = newColumn(this.layout[index]![1], length);
      if (grown instanceof Float64Array) grown.set(column as Float64Array);
      else if (grown instanceof BigUint64Array) grown.set(column as BigUint64Array);
      else for (let slot = 0; slot < this.length; slot += 1) grown[slot] = (column as unknown[])[slot];
      return grown;
    });
  }
}

const identifierPattern = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

// The check and the copy of one layout as straight-line code: `entry.price`, not `entry[name]`. The
// field names are the layout's (constants in read-model.ts), checked to be identifiers before they are
// put into code.
function compileLayout<Entry>(layout: ColumnLayout<Entry>): { check: (entry: Entry) => void; write: (columns: Column[], entry: Entry, slot: number) => void } {
  const checks: string[] = [];
  const writes: string[] = [];
  layout.forEach(([name, kind], index) => {
    if (!identifierPattern.test(name)) throw new RangeError(`a column needs an identifier for a name, got ${JSON.stringify(name)}`);
    if (kind === "number") checks.push(`if (typeof entry.${name} !== "number") throw new TypeError("${name} must be a number, got " + typeof entry.${name});`);
    // A typed array would wrap a bigint out of range silently.
    if (kind === "u64") checks.push(`if (typeof entry.${name} !== "bigint" || entry.${name} < 0n || entry.${name} > u64Max) throw new RangeError("${name} must be a bigint in [0, 2^64), got " + String(entry.${name}));`);
    writes.push(`columns[${index}][slot] = entry.${name};`);
  });
  const check = new Function("u64Max", `return (entry) => { ${checks.join(" ")} };`)(u64Max) as (entry: Entry) => void;
  const write = new Function(`return (columns, entry, slot) => { ${writes.join(" ")} };`)() as (columns: Column[], entry: Entry, slot: number) => void;
  return { check, write };
}

function newColumn(kind: ColumnKind, length: number): Column {
  if (kind === "number") return new Float64Array(length);
  if (kind === "u64") return new BigUint64Array(length);
  return new Array<unknown>(length).fill(null);
}
