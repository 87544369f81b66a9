// Proves that perpdex ids are RFC 9562 UUIDv7s built only from (time, sequence, index, kind): the
// bit layout matches hand-computed vectors, decoding inverts encoding, ids sort in command order,
// and every string that is not such an id is refused with ID_MALFORMED instead of a throw.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  idIndexMax,
  idKinds,
  idSequenceMax,
  idTimeMsMax,
  parseUuidV7,
  uuidV7,
  type IdKind,
} from "../src/index.ts";

const nanosecondsPerMillisecond = 1_000_000n;
const kindNames = Object.keys(idKinds) as IdKind[];
const uuidV7Pattern = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const idInputs = fc.record({
  timeNs: fc.bigInt({ min: 0n, max: (BigInt(idTimeMsMax) + 1n) * nanosecondsPerMillisecond - 1n }),
  sequence: fc.integer({ min: 0, max: idSequenceMax }),
  index: fc.integer({ min: 0, max: idIndexMax }),
  kind: fc.constantFrom(...kindNames),
});

type IdInputs = { timeNs: bigint; sequence: number; index: number; kind: IdKind };

// Command order: (time ms, sequence, index), with kind as the last tie-breaker.
function compareInputs(left: IdInputs, right: IdInputs): number {
  const keys = (inputs: IdInputs): bigint[] => [
    inputs.timeNs / nanosecondsPerMillisecond,
    BigInt(inputs.sequence),
    BigInt(inputs.index),
    BigInt(idKinds[inputs.kind]),
  ];
  const leftKeys = keys(left);
  const rightKeys = keys(right);
  for (let position = 0; position < leftKeys.length; position += 1) {
    const difference = (leftKeys[position] ?? 0n) - (rightKeys[position] ?? 0n);
    if (difference !== 0n) return difference < 0n ? -1 : 1;
  }
  return 0;
}

function compareStrings(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}

describe("uuidV7 known vectors", () => {
  // timeNs 1_700_000_000_123_456_789 → unix_ts_ms 1_700_000_000_123 = 0x018B_CFE5_687B (the 456_789 ns
  // below the millisecond are dropped). Payload = sequence 1 << 20 | index 2 << 4 | kind order (1)
  // = 0x100021, 74 bits: rand_a = payload >> 62 = 0x000, rand_b = 0x100021.
  //
  //   018bcfe5-687b   unix_ts_ms (48 bits)
  //   7               version 0111
  //   000             rand_a: reserved 0, sequence bits 52..42 = 0
  //   8000-000000100021
  //                   variant 10, then rand_b (62 bits):
  //                   sequence bits 41..0 = 1 | index = 0x0002 | kind = 0x1
  test("small values", () => {
    const id = uuidV7({ timeNs: 1_700_000_000_123_456_789n, sequence: 1, index: 2, kind: "order" });
    assert.equal(id, "018bcfe5-687b-7000-8000-000000100021");
  });

  // Every field at its maximum, kind deposit (5 = 0b0101):
  //   unix_ts_ms = 2^48 − 1                         → ffffffff-ffff
  //   payload = 0 | (2^53 − 1) << 20 | 0xffff << 4 | 0b0101 = 2^73 − 1 − 0b1010 = 2^73 − 11
  //   rand_a = payload >> 62 = 0b0111_1111_1111       → 7 7ff  (version nibble, then rand_a)
  //   rand_b = payload mod 2^62 = 2^62 − 11           → with variant 10: 0xbfff_ffff_ffff_fff5
  test("maximum values", () => {
    const timeNs = BigInt(idTimeMsMax) * nanosecondsPerMillisecond + 999_999n;
    const id = uuidV7({ timeNs, sequence: idSequenceMax, index: idIndexMax, kind: "deposit" });
    assert.equal(id, "ffffffff-ffff-77ff-bfff-fffffffffff5");
  });

  test("zero values", () => {
    assert.equal(uuidV7({ timeNs: 0n, sequence: 0, index: 0, kind: "trade" }), "00000000-0000-7000-8000-000000000002");
  });

  // RFC 9562 Appendix A.6 example: 017F22E2-79B0-7CC3-98C4-DC0C0C07398F, whose unix_ts_ms is
  // 0x017F22E279B0 = 1_645_557_742_000 (2022-02-22 19:22:22 UTC). Our timestamp bits must match it.
  test("the timestamp field matches the RFC 9562 example", () => {
    const id = uuidV7({ timeNs: 1_645_557_742_000n * nanosecondsPerMillisecond, sequence: 0, index: 0, kind: "event" });
    assert.equal(id.slice(0, 15), "017f22e2-79b0-7");
  });

  test("the RFC example is a valid UUIDv7 but not a perpdex id", () => {
    const result = parseUuidV7("017F22E2-79B0-7CC3-98C4-DC0C0C07398F");
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.message.endsWith("its reserved bit is set, so it was not made by perpdex"));
  });

  test("kind codes are stable", () => {
    assert.deepEqual(idKinds, { order: 1, trade: 2, event: 3, withdrawal: 4, deposit: 5 });
  });
});

describe("uuidV7 properties", () => {
  test("parseUuidV7 inverts uuidV7, in either case", () => {
    fc.assert(
      fc.property(idInputs, (inputs) => {
        const id = uuidV7(inputs);
        assert.match(id, uuidV7Pattern);
        const expected = {
          ok: true,
          id,
          timeMs: Number(inputs.timeNs / nanosecondsPerMillisecond),
          kind: inputs.kind,
          sequence: inputs.sequence,
          index: inputs.index,
        };
        assert.deepEqual(parseUuidV7(id), expected);
        assert.deepEqual(parseUuidV7(id.toUpperCase()), expected);
      }),
      { numRuns: 10_000 },
    );
  });

  test("ids compare as strings in the order of (time ms, sequence, index, kind)", () => {
    fc.assert(
      fc.property(idInputs, idInputs, (left, right) => {
        assert.equal(compareStrings(uuidV7(left), uuidV7(right)), compareInputs(left, right));
      }),
      { numRuns: 10_000 },
    );
  });

  // Near-equal inputs are where an ordering bug hides, so neighbours are generated on purpose.
  test("neighbouring inputs keep their order", () => {
    const neighbour = fc.record({
      timeStepNs: fc.constantFrom(0n, 1n, 999_999n, 1_000_000n, 1_000_001n),
      sequenceStep: fc.constantFrom(0, 1, 2),
      indexStep: fc.integer({ min: -1, max: 1 }),
    });
    fc.assert(
      fc.property(idInputs, neighbour, (base, step) => {
        const next = {
          ...base,
          timeNs: base.timeNs + step.timeStepNs,
          sequence: Math.min(base.sequence + step.sequenceStep, idSequenceMax),
          index: Math.min(Math.max(base.index + step.indexStep, 0), idIndexMax),
        };
        fc.pre(next.timeNs / nanosecondsPerMillisecond <= BigInt(idTimeMsMax));
        assert.equal(compareStrings(uuidV7(base), uuidV7(next)), compareInputs(base, next));
      }),
      { numRuns: 10_000 },
    );
  });

  test("a run of commands yields ids already in sorted order", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 1n << 60n }),
        fc.integer({ min: 0, max: 2 ** 50 }),
        fc.array(fc.record({ gapNs: fc.bigInt({ min: 1n, max: 3_000_000n }), ids: fc.integer({ min: 1, max: 5 }) }), { maxLength: 50 }),
        (startNs, startSequence, commands) => {
          const ids: string[] = [];
          let timeNs = startNs;
          let sequence = startSequence;
          for (const command of commands) {
            // Exchange time strictly increases per command and sequences are gapless.
            timeNs += command.gapNs;
            sequence += 1;
            for (let index = 0; index < command.ids; index += 1) {
              ids.push(uuidV7({ timeNs, sequence, index, kind: kindNames[index % kindNames.length] ?? "event" }));
            }
          }
          assert.deepEqual([...ids].sort(), ids);
          assert.equal(new Set(ids).size, ids.length);
        },
      ),
    );
  });

  test("changing any hexadecimal digit of an id never decodes to the same fields", () => {
    fc.assert(
      fc.property(idInputs, fc.integer({ min: 0, max: 35 }), fc.integer({ min: 1, max: 15 }), (inputs, position, delta) => {
        const id = uuidV7(inputs);
        fc.pre(id[position] !== "-");
        const digit = (Number.parseInt(id[position] ?? "0", 16) + delta) % 16;
        const changed = id.slice(0, position) + digit.toString(16) + id.slice(position + 1);
        const original = parseUuidV7(id);
        const result = parseUuidV7(changed);
        if (result.ok) {
          assert.notDeepEqual({ ...result, id: "" }, { ...original, id: "" });
        } else {
          assert.equal(result.code, "ID_MALFORMED");
        }
      }),
      { numRuns: 10_000 },
    );
  });
});

describe("parseUuidV7 rejections", () => {
  const valid = "018bcfe5-687b-7000-8000-000000100021";
  const rejected: readonly (readonly [unknown, string])[] = [
    [42, "id must be a UUID string, not a value of type number"],
    [null, "id must be a UUID string, not a value of type null"],
    [["x"], "id must be a UUID string, not a value of type array"],
    ["", 'id "" is not a perpdex id: it is not a UUID in the 8-4-4-4-12 hexadecimal form'],
    [valid.replaceAll("-", ""), 'id "018bcfe5687b70008000000000100021" is not a perpdex id: it is not a UUID in the 8-4-4-4-12 hexadecimal form'],
    [`{${valid}}`, `id "{${valid}}" is not a perpdex id: it is not a UUID in the 8-4-4-4-12 hexadecimal form`],
    [`urn:uuid:${valid}`, `id "urn:uuid:${valid}" is not a perpdex id: it is not a UUID in the 8-4-4-4-12 hexadecimal form`],
    [` ${valid}`, `id " ${valid}" is not a perpdex id: it is not a UUID in the 8-4-4-4-12 hexadecimal form`],
    [`${valid}0`, `id "${valid}0" is not a perpdex id: it is not a UUID in the 8-4-4-4-12 hexadecimal form`],
    ["018bcfe5-687b7-000-8000-000000100021", 'id "018bcfe5-687b7-000-8000-000000100021" is not a perpdex id: it is not a UUID in the 8-4-4-4-12 hexadecimal form'],
    ["018bcfe5-687b-7000-8000-00000010002g", 'id "018bcfe5-687b-7000-8000-00000010002g" is not a perpdex id: it is not a UUID in the 8-4-4-4-12 hexadecimal form'],
    ["a".repeat(100), `id "${"a".repeat(48)}…" is not a perpdex id: it is not a UUID in the 8-4-4-4-12 hexadecimal form`],
    ["018bcfe5-687b-4000-8000-000000100021", 'id "018bcfe5-687b-4000-8000-000000100021" is not a perpdex id: its version is 4, not 7'],
    ["00000000-0000-0000-0000-000000000000", 'id "00000000-0000-0000-0000-000000000000" is not a perpdex id: its version is 0, not 7'],
    ["018bcfe5-687b-7000-c000-000000100021", 'id "018bcfe5-687b-7000-c000-000000100021" is not a perpdex id: its variant bits are not 10 (RFC 9562)'],
    ["018bcfe5-687b-7000-0000-000000100021", 'id "018bcfe5-687b-7000-0000-000000100021" is not a perpdex id: its variant bits are not 10 (RFC 9562)'],
    ["018bcfe5-687b-7800-8000-000000100021", 'id "018bcfe5-687b-7800-8000-000000100021" is not a perpdex id: its reserved bit is set, so it was not made by perpdex'],
    ["018bcfe5-687b-7000-8000-000000100020", 'id "018bcfe5-687b-7000-8000-000000100020" is not a perpdex id: its kind code 0 is not one of idKinds'],
    ["018bcfe5-687b-7000-8000-00000010002f", 'id "018bcfe5-687b-7000-8000-00000010002f" is not a perpdex id: its kind code 15 is not one of idKinds'],
  ];
  for (const [input, message] of rejected) {
    test(`refuses ${JSON.stringify(input)?.slice(0, 40)}`, () => {
      const result = parseUuidV7(input);
      assert.equal(result.ok, false);
      assert.ok(!result.ok);
      assert.equal(result.code, "ID_MALFORMED");
      assert.equal(result.message, message);
    });
  }

  test("names the field in messages and details; uppercase canonical ids are accepted", () => {
    const result = parseUuidV7("nope", { field: "orderId" });
    assert.ok(!result.ok);
    assert.deepEqual(result.details, { field: "orderId", value: "nope" });
    assert.ok(result.message.startsWith('orderId "nope"'));
    const upper = parseUuidV7(valid.toUpperCase());
    assert.ok(upper.ok && upper.id === valid);
  });

  test("never throws, whatever the input", () => {
    const hexOrHyphen = fc.constantFrom(..."0123456789abcdefABCDEF-".split(""));
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.string(), fc.string({ unit: hexOrHyphen, minLength: 36, maxLength: 36 })), (input) => {
        const result = parseUuidV7(input);
        if (!result.ok) assert.equal(result.code, "ID_MALFORMED");
      }),
      { numRuns: 5_000 },
    );
  });
});

describe("uuidV7 input contract", () => {
  const valid: IdInputs = { timeNs: 1n, sequence: 1, index: 0, kind: "order" };
  const invalid: readonly (readonly [string, Partial<IdInputs> | { kind: string }])[] = [
    ["negative time", { timeNs: -1n }],
    ["time past 2^48 ms", { timeNs: (BigInt(idTimeMsMax) + 1n) * nanosecondsPerMillisecond }],
    ["negative sequence", { sequence: -1 }],
    ["sequence past 2^53 − 1", { sequence: 2 ** 53 }],
    ["fractional sequence", { sequence: 1.5 }],
    ["negative index", { index: -1 }],
    ["index past 65535", { index: idIndexMax + 1 }],
    ["fractional index", { index: 0.5 }],
    ["unknown kind", { kind: "bogus" }],
    ["inherited kind", { kind: "toString" }],
  ];
  for (const [name, change] of invalid) {
    test(`${name} is a sequencer bug and throws`, () => {
      assert.throws(() => uuidV7({ ...valid, ...change } as IdInputs), /assertion failed/);
    });
  }
});
