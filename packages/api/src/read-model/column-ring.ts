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
// The columns of one kind share one array, an entry's values of that kind side by side (its numbers in
// one run of the Float64Array, its times in one of the BigUint64Array, its other values in one of the
// plain array): a push writes three short runs, a few cache lines, instead of one value into each of
// nineteen arrays. With 128 accounts filling their histories (bench:api, single orders) the nineteen
// arrays each missed the cache and a push cost 1.7 µs on the server's thread.

/** How a field is kept: "number" (any double, integers exactly), "u64" (a bigint in [0, 2^64)), "value" (anything else). */
export type ColumnKind = "number" | "u64" | "value";

/** The fields of an entry, in the order entries are built with, and how each is kept. */
export type ColumnLayout<Entry> = readonly (readonly [keyof Entry & string, ColumnKind])[];

// The values of every entry, by kind; slot s holds its values of a kind at s × (fields of that kind) on.
interface Store {
  numbers: Float64Array;
  u64s: BigUint64Array;
  values: unknown[];
}

// The stores start with room for this many entries and double up to the capacity: most accounts keep a
// handful of entries.
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
  // Fields of each kind (the stride of its store) and each field's position among the fields of its kind.
  private readonly numberFields: number;
  private readonly u64Fields: number;
  private readonly valueFields: number;
  private readonly positions: readonly number[];
  private store: Store;
  // Entries the stores have room for (up to the capacity).
  private allocated: number;
  // Throws when a value does not fit its column; copies an entry's values into one slot of the stores.
  private readonly check: (entry: Entry) => void;
  private readonly write: (store: Store, entry: Entry, slot: number) => void;
  private length = 0;
  private start = 0;

  constructor(capacity: number, layout: ColumnLayout<Entry>) {
    if (!Number.isSafeInteger(capacity) || capacity <= 0) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.layout = layout;
    const counts = { number: 0, u64: 0, value: 0 };
    this.positions = layout.map(([, kind]) => {
      counts[kind] += 1;
      return counts[kind] - 1;
    });
    this.numberFields = counts.number;
    this.u64Fields = counts.u64;
    this.valueFields = counts.value;
    this.allocated = Math.min(initialLength, capacity);
    this.store = this.newStore(this.allocated);
    const compiled = compileLayout(layout, counts);
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
      if (this.length === this.allocated) this.grow();
      slot = this.length;
      this.length += 1;
    } else {
      slot = this.start;
      this.start = (this.start + 1) % this.capacity;
    }
    this.write(this.store, entry, slot);
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
    const { numbers, u64s, values } = this.store;
    for (let index = 0; index < this.layout.length; index += 1) {
      const [name, kind] = this.layout[index]!;
      const position = this.positions[index]!;
      if (kind === "number") entry[name] = numbers[slot * this.numberFields + position];
      else if (kind === "u64") entry[name] = u64s[slot * this.u64Fields + position];
      else entry[name] = values[slot * this.valueFields + position];
    }
    return entry as Entry;
  }

  private newStore(entries: number): Store {
    return {
      numbers: new Float64Array(entries * this.numberFields),
      u64s: new BigUint64Array(entries * this.u64Fields),
      values: new Array<unknown>(entries * this.valueFields).fill(null),
    };
  }

  // Only while the ring is filling: slots 0 … length − 1 are in order, so a copy of each store's start keeps them.
  private grow(): void {
    this.allocated = Math.min(this.capacity, this.allocated * 2);
    const grown = this.newStore(this.allocated);
    grown.numbers.set(this.store.numbers);
    grown.u64s.set(this.store.u64s);
    const values = this.store.values;
    for (let index = 0; index < values.length; index += 1) grown.values[index] = values[index];
    this.store = grown;
  }
}

const identifierPattern = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

// The check and the copy of one layout as straight-line code: `entry.price`, not `entry[name]`. The
// field names are the layout's (constants in read-model.ts), checked to be identifiers before they are
// put into code.
function compileLayout<Entry>(
  layout: ColumnLayout<Entry>,
  counts: { readonly number: number; readonly u64: number; readonly value: number },
): { check: (entry: Entry) => void; write: (store: Store, entry: Entry, slot: number) => void } {
  const checks: string[] = [];
  const writes: string[] = [];
  const next = { number: 0, u64: 0, value: 0 };
  const store = { number: "numbers", u64: "u64s", value: "values" } as const;
  for (const [name, kind] of layout) {
    if (!identifierPattern.test(name)) throw new RangeError(`a column needs an identifier for a name, got ${JSON.stringify(name)}`);
    if (kind === "number") checks.push(`if (typeof entry.${name} !== "number") throw new TypeError("${name} must be a number, got " + typeof entry.${name});`);
    // A typed array would wrap a bigint out of range silently.
    if (kind === "u64") checks.push(`if (typeof entry.${name} !== "bigint" || entry.${name} < 0n || entry.${name} > u64Max) throw new RangeError("${name} must be a bigint in [0, 2^64), got " + String(entry.${name}));`);
    writes.push(`${store[kind]}[${kind}At + ${next[kind]}] = entry.${name};`);
    next[kind] += 1;
  }
  const prologue =
    "const numbers = store.numbers, u64s = store.u64s, values = store.values; " +
    `const numberAt = slot * ${counts.number}, u64At = slot * ${counts.u64}, valueAt = slot * ${counts.value};`;
  const check = new Function("u64Max", `return (entry) => { ${checks.join(" ")} };`)(u64Max) as (entry: Entry) => void;
  const write = new Function(`return (store, entry, slot) => { ${prologue} ${writes.join(" ")} };`)() as (store: Store, entry: Entry, slot: number) => void;
  return { check, write };
}
