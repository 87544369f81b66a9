// The API's bigint-free order ids equal protocol's uuidV7 (the ids every replay reproduces).
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { uuidV7 } from "@perpdex/protocol";
import { fastUuidV7, orderIdOf, orderNumberOf } from "../src/convert.ts";

test("fastUuidV7 equals uuidV7 for order ids", () => {
  fc.assert(
    fc.property(
      fc.bigInt({ min: 0n, max: 281_474_976_710_655n * 1_000_000n }),
      fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      fc.integer({ min: 0, max: 65_535 }),
      (timeNs, sequence, index) => {
        assert.equal(fastUuidV7(timeNs, sequence, index, 1), uuidV7({ timeNs, sequence, index, kind: "order" }));
      },
    ),
    { numRuns: 2_000 },
  );
});

test("an order id and its number convert both ways", () => {
  const number = 12_345 * 256 + 7;
  assert.equal(orderNumberOf(orderIdOf(number, 1_795_000_000_000_000_000n), "orderId"), number);
});
