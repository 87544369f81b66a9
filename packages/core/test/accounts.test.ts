import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { AccountRegistry } from "../src/accounts.ts";

// The address lookup is split over 256 maps by the address's last two hex digits: every address created
// is found, in creation order in `list`, and anything else (another case, a short or empty string) is not.

const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((bytes) => `0x${Buffer.from(bytes).toString("hex")}`);

test("accounts: every created address is found, and nothing else", () => {
  fc.assert(
    fc.property(fc.uniqueArray(address, { minLength: 1, maxLength: 2_000 }), (addresses) => {
      const registry = new AccountRegistry();
      for (const each of addresses) registry.create(each);
      assert.equal(registry.count, addresses.length);
      for (const [index, each] of addresses.entries()) {
        const account = registry.find(each);
        assert.equal(account?.index, index);
        assert.equal(registry.list[index], account);
      }
      for (const other of ["", "0", "0x", addresses[0]!.toUpperCase(), `${addresses[0]!}0`, addresses[0]!.slice(0, -1)]) {
        if (!addresses.includes(other)) assert.equal(registry.find(other), undefined);
      }
    }),
    { numRuns: 50 },
  );
});

test("accounts: addresses that differ only in their last digits are kept apart", () => {
  const registry = new AccountRegistry();
  const addresses = Array.from({ length: 4_096 }, (_, index) => `0x${index.toString(16).padStart(40, "0")}`);
  for (const each of addresses) registry.create(each);
  for (const [index, each] of addresses.entries()) assert.equal(registry.find(each)?.index, index);
});
