// Proves that rejection codes are stable, unique and grouped by module prefix, and that a
// Rejection is exactly the API's error body shape (`{ code, message, details? }`).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  decimalRejectionCodes,
  idRejectionCodes,
  parseDecimal,
  priceRejectionCodes,
  reject,
  rejectionCodes,
  sizeRejectionCodes,
  type Rejection,
} from "../src/index.ts";

test("every code is unique, SCREAMING_SNAKE_CASE and carries its module's prefix", () => {
  const groups: readonly (readonly [string, readonly string[]])[] = [
    ["DECIMAL_", decimalRejectionCodes],
    ["PRICE_", priceRejectionCodes],
    ["SIZE_", sizeRejectionCodes],
    ["ID_", idRejectionCodes],
  ];
  for (const [prefix, codes] of groups) {
    for (const code of codes) {
      assert.ok(code.startsWith(prefix), `${code} starts with ${prefix}`);
      assert.match(code, /^[A-Z]+(_[A-Z]+)+$/);
    }
  }
  assert.equal(new Set(rejectionCodes).size, rejectionCodes.length);
  assert.equal(rejectionCodes.length, groups.reduce((sum, [, codes]) => sum + codes.length, 0));
});

// Codes are public API: clients branch on them, so this list only ever grows.
test("the published codes are exactly these", () => {
  assert.deepEqual(rejectionCodes, [
    "DECIMAL_NOT_STRING",
    "DECIMAL_EMPTY",
    "DECIMAL_MALFORMED",
    "DECIMAL_NEGATIVE",
    "DECIMAL_TOO_LONG",
    "DECIMAL_FRACTION_TOO_LONG",
    "PRICE_NOT_POSITIVE",
    "PRICE_OFF_TICK",
    "PRICE_TOO_LARGE",
    "SIZE_NOT_POSITIVE",
    "SIZE_OFF_LOT",
    "SIZE_TOO_LARGE",
    "ID_MALFORMED",
  ]);
});

test("reject builds a value and leaves details out when none are given", () => {
  assert.deepEqual(reject("ID_MALFORMED", "bad id"), { ok: false, code: "ID_MALFORMED", message: "bad id" });
  assert.equal(Object.hasOwn(reject("ID_MALFORMED", "bad id"), "details"), false);
  assert.deepEqual(reject("PRICE_OFF_TICK", "off", { value: "1.005" }), {
    ok: false,
    code: "PRICE_OFF_TICK",
    message: "off",
    details: { value: "1.005" },
  });
  assert.equal(JSON.stringify(reject("ID_MALFORMED", "bad id", undefined)), '{"ok":false,"code":"ID_MALFORMED","message":"bad id"}');
});

test("a Rejection is assignable to the API error body shape", () => {
  const result = parseDecimal("1e5");
  assert.ok(!result.ok);
  // Checked by the type checker: this line fails `tsc` if the shapes ever diverge.
  const body: { code: string; message: string; details?: Record<string, string> } = result;
  const rejection: Rejection = result;
  assert.equal(body.code, rejection.code);
});
