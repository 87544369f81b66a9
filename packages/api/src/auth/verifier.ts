// Signature recovery on worker threads, so the engine's thread never spends time on elliptic curves.
// Requests that arrive within one turn of the event loop travel to a worker as one message (one
// postMessage per batch, not per request). A worker holds at most `batchesInFlightMax` batches: while
// it is busy, requests wait here and leave together when it answers, so under load a batch grows with
// the load instead of the messages multiplying (each postMessage costs a structured clone and a thread
// wake-up on both sides); an idle worker still gets a batch at the end of the turn. A message also
// carries at most about `messageCharsMax` characters of requests: a worker answers a message all at
// once, so dozens of signed batches of 20 orders in one message (10 to 20 ms of hashing and recovery)
// came back together, reached the node together and waited for one sync together, while the engine's
// thread idled before and the worker after (bench:api, batches: the server's event loop 63 to 71 % busy,
// the signature round trip 16 to 20 ms on average; cut by size, 91 to 95 % busy and 10 to 40 % more
// orders per second, paired runs). A message is then a millisecond or two of work whatever its requests
// hold: a body's length follows its orders, whose hashing is most of its cost beyond the one recovery.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { ActionTypedData } from "@perpdex/protocol";

/** What recovery found: the EIP-712 hash and the address whose key made the signature. */
export interface Recovered {
  /** The typed-data hash (0x + 64 hex), null when the typed data could not be hashed. */
  readonly hash: string | null;
  /** Lowercase 0x address, null when no key recovers from the signature. */
  readonly address: string | null;
  /** Why recovery failed (null when it succeeded). */
  readonly error: string | null;
}

/** What recovery found for a signed request body, plus its auth envelope (see `recoverSignedBody`). */
export interface RecoveredBody extends Recovered {
  /** The signed request as canonical JSON, UTF-8; undefined when the typed data could not be built. */
  readonly envelope?: Uint8Array;
}

/** The EIP-712 domain and types of one action type, constant objects (their JSON is cached by identity). */
export interface ActionTypes {
  readonly domain: object;
  readonly types: Readonly<Record<string, unknown>>;
}

interface Pending {
  readonly resolve: (recovered: Recovered) => void;
  readonly reject: (error: Error) => void;
}

interface WorkerSlot {
  readonly worker: Worker;
  readonly waiting: Map<number, Pending[]>;
  // Batches posted and not yet answered.
  inFlight: number;
  // Definitions (a domain's or a types object's JSON) this worker has not been sent yet: [id, JSON].
  unsent: [number, string][];
}

function bigintAsText(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

// The same keys holding the same (identical) values.
function sameEntries(left: Record<string, unknown>, right: Record<string, unknown>): boolean {
  let count = 0;
  for (const key in right) {
    if (left[key] !== right[key]) return false;
    count += 1;
  }
  return count === Object.keys(left).length;
}

// One message carries at most this many requests (a burst is split so no worker idles).
const batchItemsMax = 256;
// Characters of requests per message (at least one request): about 6 signed batches of 20 orders, or 38
// single orders (the worker spends about 1.5 ms on either).
const messageCharsMaxDefault = 16 * 1024;
// Batches a worker holds at once: the one it works on and the next, so it never waits for a round trip.
const batchesInFlightMax = 2;

/**
 * A pool of signature-recovery workers.
 *
 * @example
 * const verifier = await AuthVerifier.start({ threads: 1 });
 * const { address, hash } = await verifier.recover(typedData, signature);
 * await verifier.close();
 */
export class AuthVerifier {
  /** True when the native libsecp256k1 binding loaded (false: the package's JS fallback). */
  readonly native: boolean;
  private readonly slots: WorkerSlot[];
  // Typed data travels as JSON text (bigints as decimal strings): cloning a string costs a copy, cloning
  // the nested objects costs a walk of every field.
  private queue: string[] = [];
  // The characters of the requests in `queue`.
  private queueChars = 0;
  private signatures: string[] = [];
  private queued: Pending[] = [];
  private flushScheduled = false;
  private nextBatch = 1;
  private nextSlot = 0;
  private closed = false;

  private readonly messageCharsMax: number;

  private constructor(slots: WorkerSlot[], native: boolean, messageCharsMax: number) {
    this.slots = slots;
    this.native = native;
    this.messageCharsMax = messageCharsMax;
  }

  /**
   * Starts `threads` workers (default: one per core beyond the engine's, at least one); a message to a
   * worker carries about `messageCharsMax` characters of requests at most (default 16 Ki).
   */
  static async start(options: { threads?: number; messageCharsMax?: number } = {}): Promise<AuthVerifier> {
    const messageCharsMax = options.messageCharsMax ?? messageCharsMaxDefault;
    if (!Number.isSafeInteger(messageCharsMax) || messageCharsMax <= 0) throw new RangeError(`messageCharsMax must be a positive integer, got ${messageCharsMax}`);
    const threads = options.threads ?? Math.max(1, availableParallelism() - 1);
    const url = new URL("./verify-worker.mjs", import.meta.url);
    const started = await Promise.all(
      Array.from({ length: threads }, () => {
        const worker = new Worker(url);
        return new Promise<{ slot: WorkerSlot; native: boolean }>((resolve, reject) => {
          worker.once("error", reject);
          worker.once("message", (message: { ready: boolean; native: boolean }) => resolve({ slot: { worker, waiting: new Map(), inFlight: 0, unsent: [] }, native: message.native }));
        });
      }),
    );
    const verifier = new AuthVerifier(
      started.map((entry) => entry.slot),
      started.every((entry) => entry.native),
      messageCharsMax,
    );
    for (const slot of verifier.slots) verifier.listen(slot);
    return verifier;
  }

  private listen(slot: WorkerSlot): void {
    slot.worker.on("message", (message: { batch: number; results: string; envelopes?: ArrayBuffer }) => {
      const pending = slot.waiting.get(message.batch);
      if (pending === undefined) return;
      slot.waiting.delete(message.batch);
      slot.inFlight -= 1;
      // What waited for a free worker leaves first, so the worker starts on it while this batch resolves.
      if (this.queue.length > 0) this.flush();
      const results = JSON.parse(message.results) as (Recovered & { envelope?: [number, number] | Uint8Array })[];
      const envelopes = message.envelopes === undefined ? undefined : new Uint8Array(message.envelopes);
      for (let index = 0; index < pending.length; index += 1) {
        const result = results[index]!;
        const slice = result.envelope as [number, number] | undefined;
        if (slice !== undefined && envelopes !== undefined) result.envelope = envelopes.subarray(slice[0], slice[0] + slice[1]);
        pending[index]!.resolve(result as RecoveredBody);
      }
    });
    slot.worker.on("error", (error) => {
      for (const pending of slot.waiting.values()) for (const entry of pending) entry.reject(error);
      slot.waiting.clear();
      slot.inFlight = 0;
    });
    // Workers must not keep the process alive on their own.
    slot.worker.unref();
  }

  /** Hashes the typed data and recovers the signer, on a worker thread. */
  recover(typedData: ActionTypedData, signature: string): Promise<Recovered> {
    if (this.closed) return Promise.reject(new Error("the signature verifier is closed"));
    return new Promise<Recovered>((resolve, reject) => {
      this.enqueue(this.typedDataText(typedData), signature, { resolve, reject });
    });
  }

  /**
   * Builds a signed action's typed data from its request body (the JSON text the server validated),
   * hashes it and recovers the signer, on a worker thread; also answers the auth envelope the journal
   * keeps. The engine's thread then neither rebuilds the typed data nor serialises it or the envelope:
   * the worker parses the body's text once and does all three.
   */
  recoverSignedBody(primaryType: string, definitions: ActionTypes, body: string, signature: string): Promise<RecoveredBody> {
    if (this.closed) return Promise.reject(new Error("the signature verifier is closed"));
    const item = `${this.signedBodyPrefix(primaryType, definitions)}${body}}`;
    return new Promise<RecoveredBody>((resolve, reject) => {
      this.enqueue(item, signature, { resolve: resolve as (recovered: Recovered) => void, reject });
    });
  }

  // The start of a signed body's item, up to the body: the same for every request of one action type.
  private readonly signedBodyPrefixes = new WeakMap<ActionTypes, Map<string, string>>();

  private signedBodyPrefix(primaryType: string, definitions: ActionTypes): string {
    let byType = this.signedBodyPrefixes.get(definitions);
    if (byType === undefined) {
      byType = new Map();
      this.signedBodyPrefixes.set(definitions, byType);
    }
    let prefix = byType.get(primaryType);
    if (prefix === undefined) {
      prefix = `{"d":${this.definitionId(this.constantText(definitions.domain))},"t":${this.definitionId(this.constantText(definitions.types))},"primaryType":${JSON.stringify(primaryType)},"body":`;
      byType.set(primaryType, prefix);
    }
    return prefix;
  }

  // Queues one request; a full message leaves at once (when a worker has room), the rest at the end of
  // the turn.
  private enqueue(item: string, signature: string, pending: Pending): void {
    this.queue.push(item);
    this.queueChars += item.length;
    this.signatures.push(signature);
    this.queued.push(pending);
    if (this.queue.length >= batchItemsMax || this.queueChars >= this.messageCharsMax) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private readonly constantTexts = new WeakMap<object, string>();

  // JSON of a constant object (an action's domain or types), computed once.
  private constantText(value: object): string {
    let text = this.constantTexts.get(value);
    if (text === undefined) {
      text = JSON.stringify(value, bigintAsText);
      this.constantTexts.set(value, text);
    }
    return text;
  }

  // The domain and the types of an action are shared constants (actionTypedData builds a fresh `types`
  // object around the same field arrays): their JSON is cached, keyed by those objects, so only the
  // message is stringified per request. A replacer function made JSON.stringify several times slower:
  // top-level bigints (the nonce) are converted in a shallow copy instead; a nested bigint (none today)
  // falls back to the replacer.
  // The domain and the types travel to a worker once, as numbered definitions; an item names them by
  // number ("d", "t"), so a message carries about a third of the bytes (posting a message costs by size).
  private readonly domainTexts = new WeakMap<object, string>();
  private readonly typesTexts = new WeakMap<object, { readonly types: Record<string, unknown>; readonly text: string }>();
  private readonly definitionIds = new Map<string, number>();

  private typedDataText(typedData: ActionTypedData): string {
    const domain = typedData.domain as object;
    let domainText = this.domainTexts.get(domain);
    if (domainText === undefined) {
      domainText = JSON.stringify(domain, bigintAsText);
      this.domainTexts.set(domain, domainText);
    }
    const types = typedData.types as Record<string, unknown>;
    const primary = types[typedData.primaryType];
    let typesText: string;
    const cached = typeof primary === "object" && primary !== null ? this.typesTexts.get(primary) : undefined;
    if (cached !== undefined && sameEntries(cached.types, types)) typesText = cached.text;
    else {
      typesText = JSON.stringify(types, bigintAsText);
      if (typeof primary === "object" && primary !== null) this.typesTexts.set(primary, { types: { ...types }, text: typesText });
    }
    const message = typedData.message as Record<string, unknown>;
    const plain: Record<string, unknown> = {};
    for (const key in message) {
      const value = message[key];
      plain[key] = typeof value === "bigint" ? value.toString() : value;
    }
    let messageText: string;
    try {
      messageText = JSON.stringify(plain);
    } catch {
      messageText = JSON.stringify(plain, bigintAsText);
    }
    return `{"d":${this.definitionId(domainText)},"t":${this.definitionId(typesText)},"primaryType":${JSON.stringify(typedData.primaryType)},"message":${messageText}}`;
  }

  private definitionId(text: string): number {
    let id = this.definitionIds.get(text);
    if (id === undefined) {
      id = this.definitionIds.size;
      this.definitionIds.set(text, id);
      for (const slot of this.slots) slot.unsent.push([id, text]);
    }
    return id;
  }

  // Sends what is queued, in batches of at most batchItemsMax, while a worker has room; the rest waits
  // for an answer (listen).
  private flush(): void {
    this.flushScheduled = false;
    while (this.queue.length > 0) {
      const slot = this.freeSlot();
      if (slot === undefined) return;
      this.post(slot);
    }
  }

  // The next worker, round-robin, that holds fewer than batchesInFlightMax batches.
  private freeSlot(): WorkerSlot | undefined {
    for (let tried = 0; tried < this.slots.length; tried += 1) {
      const slot = this.slots[this.nextSlot]!;
      this.nextSlot = (this.nextSlot + 1) % this.slots.length;
      if (slot.inFlight < batchesInFlightMax) return slot;
    }
    return undefined;
  }

  private post(slot: WorkerSlot): void {
    let items = this.queue;
    let signatures = this.signatures;
    let pending = this.queued;
    const count = messageLength(items, this.queueChars, this.messageCharsMax);
    if (count === items.length) {
      this.queue = [];
      this.queueChars = 0;
      this.signatures = [];
      this.queued = [];
    } else {
      items = this.queue.splice(0, count);
      for (const item of items) this.queueChars -= item.length;
      signatures = this.signatures.splice(0, count);
      pending = this.queued.splice(0, count);
    }
    slot.inFlight += 1;
    const batch = this.nextBatch;
    this.nextBatch += 1;
    slot.waiting.set(batch, pending);
    // One string each way: cloning a string is a copy, cloning an array of objects walks every field.
    // Definitions first: a worker handles its messages in order, so it knows every id an item names.
    const definitions = slot.unsent.length === 0 ? undefined : JSON.stringify(slot.unsent);
    slot.unsent = [];
    slot.worker.postMessage({ batch, items: `[${items.join(",")}]`, signatures: JSON.stringify(signatures), definitions });
  }

  /**
   * Stops the workers. Recoveries not yet sent to a worker fail; those a worker holds are answered first:
   * terminating a worker inside a native secp256k1 call can abort the whole process.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const entry of this.queued) entry.reject(new Error("the signature verifier closed"));
    this.queue = [];
    this.queueChars = 0;
    this.signatures = [];
    this.queued = [];
    await Promise.all(this.slots.map((slot) => stopWorker(slot.worker)));
    // Only a worker that died or had to be terminated leaves anything unanswered.
    for (const slot of this.slots) {
      for (const pending of slot.waiting.values()) for (const entry of pending) entry.reject(new Error("the signature verifier closed"));
      slot.waiting.clear();
    }
  }
}

/**
 * How many of the queued requests (from the front) the next message carries: at most batchItemsMax, and
 * no more characters than `charsMax` once the first is in (a longer request travels alone).
 */
export function messageLength(items: readonly string[], totalChars: number, charsMax: number): number {
  if (items.length <= batchItemsMax && totalChars <= charsMax) return items.length;
  let count = 0;
  let chars = 0;
  while (count < items.length && count < batchItemsMax) {
    const length = items[count]!.length;
    if (count > 0 && chars + length > charsMax) break;
    chars += length;
    count += 1;
  }
  return count;
}

/** Asks a worker to stop after the batches it holds (it handles messages in order); terminates it after 5 s. */
function stopWorker(worker: Worker): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => void worker.terminate().then(() => resolve()), 5_000);
    timer.unref();
    worker.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    // Unref'd while serving; a close in progress keeps the process alive until the worker is gone.
    worker.ref();
    worker.postMessage({ stop: true });
  });
}
