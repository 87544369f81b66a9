// The fast decimal → steps path (src/step-parse.ts) must agree with the protocol's decimalToTicks /
// decimalToLots wherever it answers, and must decline (undefined) wherever the protocol refuses.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { decimalToLots, decimalToTicks } from "@perpdex/protocol";
import { lotParserOf, StepParser, tickParserOf } from "../src/step-parse.ts";

const stepSizes = ["0.5", "0.01", "1", "0.001", "0.0001", "10", "0.25", "0.000001"];

function agrees(stepSize: string, text: unknown): void {
  const ticks = decimalToTicks({ value: text, tickSize: stepSize });
  const fastTicks = tickParserOf(stepSize).steps(text);
  if (fastTicks !== undefined) assert.deepEqual(ticks, { ok: true, ticks: fastTicks }, `ticks of ${String(text)} at ${stepSize}`);
  const lots = decimalToLots({ value: text, lotSize: stepSize });
  const fastLots = lotParserOf(stepSize).steps(text);
  if (fastLots !== undefined) assert.deepEqual(lots, { ok: true, lots: fastLots }, `lots of ${String(text)} at ${stepSize}`);
  if (!lots.ok) assert.equal(fastLots, undefined, `${String(text)} is refused by the protocol, so the fast path must decline`);
  if (!ticks.ok) assert.equal(fastTicks, undefined, `${String(text)} is refused by the protocol, so the fast path must decline`);
}

test("exact values: on the grid, off it, zero, malformed, too large", () => {
  const parser = new StepParser("0.5", 2_147_483_647);
  assert.equal(parser.steps("95000.5"), 190_001);
  assert.equal(parser.steps("95000.50"), 190_001);
  assert.equal(parser.steps("95000.25"), undefined);
  assert.equal(parser.steps("0"), undefined);
  assert.equal(parser.steps("0.0"), undefined);
  assert.equal(parser.steps("-1"), undefined);
  assert.equal(parser.steps("01"), undefined);
  assert.equal(parser.steps("1."), undefined);
  assert.equal(parser.steps(".5"), undefined);
  assert.equal(parser.steps("1e3"), undefined);
  assert.equal(parser.steps(12), undefined);
  assert.equal(parser.steps("1073741824"), undefined, "2^31 steps is above the maximum");
  assert.equal(parser.steps("1073741823.5"), 2_147_483_647);
  assert.equal(new StepParser("0.001", 2_147_483_647).steps("0.001"), 1);
  // At most 15 digits a part, and the parts together within 15 digits at the step's scale.
  const wide = new StepParser("1", Number.MAX_SAFE_INTEGER);
  assert.equal(wide.steps("123456789012345"), 123_456_789_012_345);
  assert.equal(wide.steps("1234567890123456"), undefined);
  assert.equal(wide.steps("123456789012345.0"), undefined);
  assert.equal(new StepParser("0.1", Number.MAX_SAFE_INTEGER).steps("0.123456789012345"), undefined);
  assert.equal(new StepParser("0.00000000000001", Number.MAX_SAFE_INTEGER).steps("0.12345678901234"), 12_345_678_901_234);
  assert.equal(new StepParser("0.000000000000001", Number.MAX_SAFE_INTEGER).steps("0.123456789012345"), undefined, "the integer 0 counts: 16 digits");
  for (const text of ["", ".", "0.", "00", "0.5.", "1.2.3", "+1", "1,5", "１", "1\n", "9".repeat(40)]) assert.equal(parser.steps(text), undefined, JSON.stringify(text));
  for (const stepSize of stepSizes) {
    for (const text of ["0.001", "1", "1.5", "95000", "95000.01", "2147483.647", "2147483.648", "0.0000001", "123456789012345", "1.000000000000000", "5e2", " 1", "1 "]) {
      agrees(stepSize, text);
    }
  }
});

test("property: wherever the fast path answers, the protocol gives the same steps; wherever the protocol refuses, it declines", () => {
  const decimalText = fc
    .tuple(fc.oneof(fc.constant("0"), fc.stringMatching(/^[1-9][0-9]{0,16}$/)), fc.option(fc.stringMatching(/^[0-9]{1,17}$/), { nil: undefined }))
    .map(([integer, fraction]) => (fraction === undefined ? integer : `${integer}.${fraction}`));
  fc.assert(
    fc.property(fc.constantFrom(...stepSizes), fc.oneof(decimalText, fc.string()), (stepSize, text) => {
      agrees(stepSize, text);
    }),
    { numRuns: 5_000 },
  );
});
