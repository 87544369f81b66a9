// Proves the snapshot reader's fast paths read exactly what the slow, obvious ones did: `signed` (two
// 32-bit halves instead of a bigint) and `bigint` (short decimals parsed from the code units instead of
// a string and a regular expression) return the same values for everything the writer writes, and
// refuse the same malformed input (a leading zero, a lone minus sign, an integer beyond 2^53).
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { AssertionFailed } from "../src/assert.ts";
import { CanonicalReader } from "../src/canonical-reader.ts";
import { CanonicalWriter } from "../src/canonical-writer.ts";

function written(write: (writer: CanonicalWriter) => void): Uint8Array {
  const chunks: Uint8Array[] = [];
  const writer = new CanonicalWriter((chunk) => chunks.push(chunk.slice()));
  write(writer);
  writer.flush();
  const bytes = new Uint8Array(chunks.reduce((total, chunk) => total + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

// The reader's bigint before the fast path: the text, checked, then parsed.
function bigintByText(reader: CanonicalReader): bigint {
  const text = reader.string();
  if (!/^-?(0|[1-9][0-9]*)$/.test(text)) throw new AssertionFailed(`snapshot: malformed integer ${text}`);
  return BigInt(text);
}

test("canonical reader: bigint and signed read back every value written, in sequence (property)", () => {
  const big = fc.oneof(fc.bigInt({ min: -(10n ** 16n), max: 10n ** 16n }), fc.bigInt({ min: -(1n << 130n), max: 1n << 130n }), fc.constantFrom(0n, -1n, 10n ** 15n - 1n, 10n ** 15n));
  const safe = fc.oneof(fc.maxSafeInteger(), fc.integer(), fc.constantFrom(0, -1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 32, -(2 ** 32)));
  fc.assert(
    fc.property(fc.array(fc.tuple(big, safe), { maxLength: 20 }), (values) => {
      const bytes = written((writer) => {
        for (const [bigint, signed] of values) {
          writer.bigint(bigint);
          writer.signed(signed);
        }
      });
      const reader = new CanonicalReader(bytes);
      const byText = new CanonicalReader(bytes);
      for (const [bigint, signed] of values) {
        assert.equal(reader.bigint(), bigint);
        assert.equal(reader.signed(), signed);
        assert.equal(bigintByText(byText), bigint);
        byText.i64();
      }
      assert.ok(reader.done);
    }),
    { numRuns: 500, seed: 20_261_122 },
  );
});

test("canonical reader: malformed decimals and integers beyond 2^53 are refused", () => {
  for (const text of ["01", "-", "", "-01", "1a", "+1", " 1", "00"]) {
    const bytes = written((writer) => writer.string(text));
    assert.throws(() => new CanonicalReader(bytes).bigint(), AssertionFailed, JSON.stringify(text));
  }
  assert.equal(new CanonicalReader(written((writer) => writer.string("-0"))).bigint(), 0n, "as BigInt('-0')");
  for (const value of [2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n)]) {
    const bytes = written((writer) => writer.i64(value));
    assert.throws(() => new CanonicalReader(bytes).signed(), AssertionFailed, String(value));
  }
  assert.throws(() => new CanonicalReader(new Uint8Array(7)).signed(), AssertionFailed, "truncated");
});

// The writer's fast paths: `signed` and `safeInteger` split a number into two 32-bit halves instead of
// going through a bigint, `string` reserves a short string's bytes at once, and `bigint` writes zero
// without making its text. Each must write exactly
// the bytes of the obvious form, or every state hash would change.
test("canonical writer: signed, safeInteger, string and bigint write the bytes of the obvious encodings (property)", () => {
  const safe = fc.oneof(fc.maxSafeInteger(), fc.integer(), fc.constantFrom(0, -1, -0, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 32, -(2 ** 32), 2 ** 32 - 1, -(2 ** 31)));
  const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ minLength: 32_760, maxLength: 32_800 }));
  fc.assert(
    fc.property(fc.array(fc.tuple(safe, text), { maxLength: 8 }), (values) => {
      const fast = written((writer) => {
        for (const [value, string] of values) {
          writer.signed(value);
          if (value >= 0) writer.safeInteger(value);
          writer.string(string);
          writer.bigint(BigInt(value));
        }
      });
      const obvious = written((writer) => {
        for (const [value, string] of values) {
          writer.i64(BigInt(value));
          if (value >= 0) writer.i64(BigInt(value));
          writer.u32(string.length);
          for (let index = 0; index < string.length; index += 1) {
            writer.u8(string.charCodeAt(index) >> 8);
            writer.u8(string.charCodeAt(index) & 0xff);
          }
          writer.string(String(BigInt(value)));
        }
      });
      assert.deepEqual(fast, obvious);
    }),
    { numRuns: 200, seed: 20_261_122 },
  );
});

test("canonical writer: out-of-range integers are refused", () => {
  const cases: readonly { name: string; write: (writer: CanonicalWriter) => void }[] = [
    ...[-1, 2 ** 32, 1.5, Number.NaN, Number.POSITIVE_INFINITY].map((value) => ({ name: `u32 ${value}`, write: (writer: CanonicalWriter) => writer.u32(value) })),
    ...[-(2 ** 31) - 1, 2 ** 31, 0.5, Number.NaN].map((value) => ({ name: `i32 ${value}`, write: (writer: CanonicalWriter) => writer.i32(value) })),
    ...[-1, 2 ** 53, 0.5].map((value) => ({ name: `safeInteger ${value}`, write: (writer: CanonicalWriter) => writer.safeInteger(value) })),
    ...[2 ** 53, -(2 ** 53), 0.5, Number.NaN].map((value) => ({ name: `signed ${value}`, write: (writer: CanonicalWriter) => writer.signed(value) })),
  ];
  for (const { name, write } of cases) assert.throws(() => write(new CanonicalWriter(() => {})), AssertionFailed, name);
  for (const value of [0, 2 ** 32 - 1]) assert.doesNotThrow(() => new CanonicalWriter(() => {}).u32(value));
  for (const value of [-(2 ** 31), 2 ** 31 - 1]) assert.doesNotThrow(() => new CanonicalWriter(() => {}).i32(value));
});
