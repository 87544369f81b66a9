// Mechanical checks on the SDK's source: the public surface is an explicit list, every export is
// documented with an @example, every public method of the client classes too, and the runtime surface
// is exactly the documented value exports.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import * as sdk from "../src/index.ts";

const sourceDirectory = fileURLToPath(new URL("../src/", import.meta.url));
const modules = readdirSync(sourceDirectory).filter((name) => name.endsWith(".ts") && name !== "index.ts");
const read = (name: string): string => readFileSync(`${sourceDirectory}${name}`, "utf8");

function declaredExports(source: string): { name: string; documentation: string }[] {
  const found: { name: string; documentation: string }[] = [];
  for (const match of source.matchAll(/(\/\*\*(?:(?!\*\/)[\s\S])*\*\/\n)?export (?:const|function|type|class|interface) (\w+)/g)) {
    found.push({ name: match[2] ?? "", documentation: match[1] ?? "" });
  }
  return found;
}

function indexNames(): string[] {
  const names: string[] = [];
  for (const match of read("index.ts").matchAll(/export (?:type )?\{([^}]*)\} from "\.\/[a-z-]+\.ts";/g)) {
    for (const name of (match[1] ?? "").split(",")) if (name.trim() !== "") names.push(name.trim());
  }
  return names.sort();
}

test("index.ts re-exports every declared export by name, and nothing else of its own files", () => {
  const declared = modules.flatMap((name) => declaredExports(read(name)).map((entry) => entry.name)).sort();
  assert.deepEqual(indexNames(), declared);
  assert.doesNotMatch(read("index.ts"), /export \*/);
});

test("every export carries TSDoc with an @example", () => {
  for (const name of modules) {
    for (const entry of declaredExports(read(name))) assert.match(entry.documentation, /@example/, `${name}: ${entry.name} needs an @example`);
  }
});

test("every public method of the client classes carries an @example", () => {
  let methods = 0;
  for (const name of ["client.ts", "socket.ts", "order-book.ts"]) {
    const source = read(name);
    for (const match of source.matchAll(/\n((?: {2}\/\*\*[\s\S]*?\*\/\n)?) {2}(?:async )?(?:get )?([a-z]\w*)(?:<[^>]*>)?\(/g)) {
      const method = match[2] ?? "";
      if (method === "constructor") continue;
      methods += 1;
      assert.match(match[1] ?? "", /@example/, `${name}: ${method} needs an @example`);
    }
  }
  assert.ok(methods > 50, `${methods} public methods checked`);
});

test("the runtime surface is exactly the documented value exports", () => {
  assert.deepEqual(Object.keys(sdk).sort(), [
    "HttpTransport",
    "LocalOrderBook",
    "PerpdexAuthError",
    "PerpdexClient",
    "PerpdexError",
    "PerpdexRateLimitError",
    "PerpdexRejectedError",
    "PerpdexRequestError",
    "PerpdexServerError",
    "PerpdexSocket",
    "PerpdexSocketError",
    "createSigner",
    "errorFromResponse",
    "isOnStep",
    "roundPrice",
    "roundSize",
    "roundToStep",
    "signedBody",
  ]);
});
