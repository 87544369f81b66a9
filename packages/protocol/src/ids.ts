/**
 * Deterministic UUIDv7 identifiers.
 *
 * Every id in perpdex (orders, trades, events, withdrawals, …) is derived from the command that
 * created it: its exchange time, its global sequence number and a small index within the command.
 * A replay of the command log therefore reproduces every id exactly, and ids still look like, sort
 * like and index like ordinary RFC 9562 UUIDv7s.
 *
 * Layout, 128 bits, most significant first (RFC 9562 §5.7):
 *
 *   bits     width  field
 *   0..47    48     unix_ts_ms   = timeNs / 1_000_000 (big-endian)
 *   48..51    4     version      = 0b0111
 *   52..63   12     rand_a       = payload bits 73..62
 *   64..65    2     variant      = 0b10
 *   66..127  62     rand_b       = payload bits 61..0
 *
 * where the 74-bit payload that replaces the random bits is
 *
 *   payload bit  73      : reserved, always 0 (room to widen the sequence later)
 *   payload bits 72..20  : sequence (53 bits, < 2^53)
 *   payload bits 19..4   : index    (16 bits, 0..65535)
 *   payload bits  3..0   : kind     (4 bits, see `idKinds`)
 *
 * Sequence sits above index, and index above kind, so that comparing two ids as strings compares
 * (time ms, sequence, index, kind): ids sort in command order. RFC 9562 §6.2 allows replacing the
 * random bits with a counter; a gapless sequence is one.
 */
import { assert } from "./assert.ts";
import { reject, type Rejection } from "./errors.ts";

/**
 * The kind of thing an id names, and its 4-bit code inside the id. Codes are stable (they are in
 * every stored id); 0 is never used and 6..15 are free for new kinds.
 *
 * @example
 * ```ts
 * import { idKinds } from "@perpdex/protocol";
 * idKinds.trade; // => 2
 * ```
 */
export const idKinds = {
  order: 1,
  trade: 2,
  event: 3,
  withdrawal: 4,
  deposit: 5,
} as const;

/**
 * A name from `idKinds`.
 *
 * @example
 * ```ts
 * import type { IdKind } from "@perpdex/protocol";
 * const kind: IdKind = "order";
 * ```
 */
export type IdKind = keyof typeof idKinds;

/**
 * The largest sequence number an id can carry: 2^53 − 1, the largest safe integer.
 *
 * @example
 * ```ts
 * import { idSequenceMax } from "@perpdex/protocol";
 * idSequenceMax === Number.MAX_SAFE_INTEGER; // => true
 * ```
 */
export const idSequenceMax = Number.MAX_SAFE_INTEGER;

/**
 * The largest index within one command: 2^16 − 1. A command creating more ids than this is a bug.
 *
 * @example
 * ```ts
 * import { idIndexMax } from "@perpdex/protocol";
 * idIndexMax; // => 65535
 * ```
 */
export const idIndexMax = 65_535;

/**
 * The largest millisecond timestamp a UUIDv7 holds: 2^48 − 1 (the year 10889).
 *
 * @example
 * ```ts
 * import { idTimeMsMax } from "@perpdex/protocol";
 * idTimeMsMax; // => 281474976710655
 * ```
 */
export const idTimeMsMax = 281_474_976_710_655;

const nanosecondsPerMillisecond = 1_000_000n;
const version = 0b0111n;
const variant = 0b10n;
const randomBBits = 62n;
const randomBMask = (1n << randomBBits) - 1n;
const sequenceShift = 20n;
const sequenceMask = (1n << 53n) - 1n;
const indexShift = 4n;
const indexMask = 0xffffn;
const kindMask = 0xfn;
const reservedShift = 73n;

const uuidPattern = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

// Reverse of `idKinds`, indexed by code; built once, in the fixed order of the literal above.
const kindsByCode: readonly (IdKind | undefined)[] = buildKindsByCode();

function buildKindsByCode(): (IdKind | undefined)[] {
  const kinds: (IdKind | undefined)[] = new Array<IdKind | undefined>(16).fill(undefined);
  for (const [kind, code] of Object.entries(idKinds)) {
    assert(kinds[code] === undefined, "id kind codes are distinct");
    kinds[code] = kind as IdKind;
  }
  return kinds;
}

/**
 * Parameters of `uuidV7`: the command's exchange time in nanoseconds since the Unix epoch, its
 * global sequence number, the id's index within the command, and what the id names.
 *
 * @example
 * ```ts
 * import type { UuidV7Parameters } from "@perpdex/protocol";
 * const parameters: UuidV7Parameters = { timeNs: 1_700_000_000_123_456_789n, sequence: 1, index: 2, kind: "order" };
 * ```
 */
export type UuidV7Parameters = {
  readonly timeNs: bigint;
  readonly sequence: number;
  readonly index: number;
  readonly kind: IdKind;
};

/**
 * Builds the id for (time, sequence, index, kind), lowercase 8-4-4-4-12. Pure: the same inputs give
 * the same id on every machine. Inputs come from the sequencer, not from clients, so an input out of
 * range (negative time, time past `idTimeMsMax` ms, sequence past `idSequenceMax`, index past
 * `idIndexMax`, unknown kind) is a bug and throws.
 *
 * @example
 * ```ts
 * import { uuidV7 } from "@perpdex/protocol";
 * uuidV7({ timeNs: 1_700_000_000_123_456_789n, sequence: 1, index: 2, kind: "order" });
 * // => "018bcfe5-687b-7000-8000-000000100021"
 * ```
 */
export function uuidV7(parameters: UuidV7Parameters): string {
  const { timeNs, sequence, index, kind } = parameters;
  assert(timeNs >= 0n, "timeNs must not be negative");
  const timeMs = timeNs / nanosecondsPerMillisecond;
  assert(timeMs <= BigInt(idTimeMsMax), "timeNs must fit 48 bits of milliseconds");
  assert(Number.isSafeInteger(sequence), "sequence must be a safe integer");
  assert(sequence >= 0, "sequence must not be negative");
  assert(Number.isInteger(index), "index must be an integer");
  assert(index >= 0, "index must not be negative");
  assert(index <= idIndexMax, "index must fit 16 bits");
  assert(Object.hasOwn(idKinds, kind), "kind must be a key of idKinds");
  const payload = (BigInt(sequence) << sequenceShift) | (BigInt(index) << indexShift) | BigInt(idKinds[kind]);
  const randomA = payload >> randomBBits;
  const randomB = payload & randomBMask;
  const value = (timeMs << 80n) | (version << 76n) | (randomA << 64n) | (variant << 62n) | randomB;
  const hex = value.toString(16).padStart(32, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The fields of a perpdex id. `id` is the canonical lowercase form, to use as a key (ids are
 * accepted in either case, as RFC 9562 asks, but stored and compared in lowercase). The time is
 * only known to the millisecond: the nanoseconds below it are not in the id.
 *
 * @example
 * ```ts
 * import { parseUuidV7, type ParsedUuidV7 } from "@perpdex/protocol";
 * const result = parseUuidV7("018BCFE5-687B-7000-8000-000000100021");
 * if (result.ok) {
 *   const parsed: ParsedUuidV7 = result;
 *   // { ok: true, id: "018bcfe5-687b-7000-8000-000000100021", timeMs: 1700000000123, kind: "order", sequence: 1, index: 2 }
 * }
 * ```
 */
export type ParsedUuidV7 = {
  readonly ok: true;
  readonly id: string;
  readonly timeMs: number;
  readonly kind: IdKind;
  readonly sequence: number;
  readonly index: number;
};

/**
 * What `parseUuidV7` returns.
 *
 * @example
 * ```ts
 * import { parseUuidV7, type ParseUuidV7Result } from "@perpdex/protocol";
 * const result: ParseUuidV7Result = parseUuidV7("not-an-id");
 * result.ok; // => false
 * ```
 */
export type ParseUuidV7Result = ParsedUuidV7 | Rejection<"ID_MALFORMED">;

/**
 * Options for `parseUuidV7`: `field` names the request field in messages (default "id").
 *
 * @example
 * ```ts
 * import { parseUuidV7, type ParseUuidV7Options } from "@perpdex/protocol";
 * const options: ParseUuidV7Options = { field: "orderId" };
 * parseUuidV7("018bcfe5-687b-7000-8000-000000100021", options).ok; // => true
 * ```
 */
export type ParseUuidV7Options = { readonly field?: string };

/**
 * Decodes a perpdex id. Never throws: anything that is not a canonical 8-4-4-4-12 UUID (either
 * case) with version 7, variant 10, a zero reserved bit and a known kind is refused with
 * `ID_MALFORMED` and a message naming the first thing wrong.
 *
 * @example
 * ```ts
 * import { parseUuidV7 } from "@perpdex/protocol";
 * parseUuidV7("018bcfe5-687b-7000-8000-000000100021");
 * // => { ok: true, id: "018bcfe5-687b-7000-8000-000000100021", timeMs: 1700000000123, kind: "order", sequence: 1, index: 2 }
 * parseUuidV7("018bcfe5-687b-4000-8000-000000100021").ok; // => false (version 4)
 * ```
 */
export function parseUuidV7(text: unknown, options: ParseUuidV7Options = {}): ParseUuidV7Result {
  const field = options.field ?? "id";
  if (typeof text !== "string") {
    // Named as JSON names it, so that null is not reported as an "object".
    const type = text === null ? "null" : Array.isArray(text) ? "array" : typeof text;
    return reject("ID_MALFORMED", `${field} must be a UUID string, not a value of type ${type}`, { field, type });
  }
  if (!uuidPattern.test(text)) {
    return rejectId(field, text, "it is not a UUID in the 8-4-4-4-12 hexadecimal form");
  }
  const id = text.toLowerCase();
  const value = BigInt(`0x${id.replaceAll("-", "")}`);
  const versionFound = (value >> 76n) & 0xfn;
  if (versionFound !== version) {
    return rejectId(field, id, `its version is ${versionFound}, not 7`);
  }
  if (((value >> 62n) & 0b11n) !== variant) {
    return rejectId(field, id, "its variant bits are not 10 (RFC 9562)");
  }
  const payload = (((value >> 64n) & 0xfffn) << randomBBits) | (value & randomBMask);
  if (payload >> reservedShift !== 0n) {
    return rejectId(field, id, "its reserved bit is set, so it was not made by perpdex");
  }
  const kind = kindsByCode[Number(payload & kindMask)];
  if (kind === undefined) {
    return rejectId(field, id, `its kind code ${payload & kindMask} is not one of idKinds`);
  }
  return {
    ok: true,
    id,
    timeMs: Number(value >> 80n),
    kind,
    sequence: Number((payload >> sequenceShift) & sequenceMask),
    index: Number((payload >> indexShift) & indexMask),
  };
}

// How much of a bad id a message quotes back, so that a huge payload does not become a huge error.
const quotedLengthMax = 48;

function rejectId(field: string, text: string, reason: string): Rejection<"ID_MALFORMED"> {
  const shown = text.length <= quotedLengthMax ? text : `${text.slice(0, quotedLengthMax)}…`;
  return reject("ID_MALFORMED", `${field} ${JSON.stringify(shown)} is not a perpdex id: ${reason}`, {
    field,
    value: shown,
  });
}
