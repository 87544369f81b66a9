// Mechanical checks on the package's source, run as tests: the public surface is an explicit list,
// every export is documented with an @example, and nothing nondeterministic or I/O-bound creeps in.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import * as protocol from "../src/index.ts";

const sourceDirectory = fileURLToPath(new URL("../src/", import.meta.url));
const sourceFiles = readdirSync(sourceDirectory).filter((name) => name.endsWith(".ts"));
// assert.ts is internal: index.ts does not export it, so it needs no @example.
const publicModules = sourceFiles.filter((name) => name !== "index.ts" && name !== "assert.ts");

function readSource(name: string): string {
  return readFileSync(`${sourceDirectory}${name}`, "utf8");
}

// Good enough for this package's sources, which hold no "//" or "/*" inside string literals.
function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
}

function namesExportedFromIndex(): string[] {
  const index = readSource("index.ts");
  const names: string[] = [];
  for (const match of index.matchAll(/export (?:type )?\{([^}]*)\} from "\.\/[a-z-]+\.ts";/g)) {
    for (const name of (match[1] ?? "").split(",")) if (name.trim() !== "") names.push(name.trim());
  }
  return names.sort();
}

function declaredExports(source: string): { name: string; documentation: string }[] {
  const declarations: { name: string; documentation: string }[] = [];
  for (const match of source.matchAll(/(\/\*\*(?:(?!\*\/)[\s\S])*\*\/\n)?export (?:const|function|type|class) (\w+)/g)) {
    declarations.push({ name: match[2] ?? "", documentation: match[1] ?? "" });
  }
  return declarations;
}

test("index.ts re-exports by name only", () => {
  assert.doesNotMatch(withoutComments(readSource("index.ts")), /export \*/);
  assert.equal(new Set(namesExportedFromIndex()).size, namesExportedFromIndex().length);
});

test("every declared export is public and every public name is declared", () => {
  const declared = publicModules.flatMap((name) => declaredExports(readSource(name)).map((entry) => entry.name));
  assert.deepEqual(namesExportedFromIndex(), [...declared].sort());
});

test("every export carries TSDoc with an @example", () => {
  for (const moduleName of publicModules) {
    for (const { name, documentation } of declaredExports(readSource(moduleName))) {
      assert.match(documentation, /@example/, `${moduleName}: ${name} needs TSDoc with an @example`);
    }
  }
});

test("the runtime surface is exactly the documented value exports", () => {
  const valueNames = Object.keys(protocol).sort();
  assert.deepEqual(valueNames, [
    "CommandCodecError",
    "actionMessage",
    "actionRequestSchemas",
    "actionTypedData",
    "actionTypes",
    "batchItemsWireMax",
    "bookChecksum",
    "bookChecksumLevels",
    "bookChecksumText",
    "cancelRequestSchema",
    "canonicalCommand",
    "crc32Ascii",
    "decimalDigitsMax",
    "decimalRejectionCodes",
    "decimalToLots",
    "decimalToTicks",
    "decodeCommand",
    "decodeCommandBinary",
    "decodeCommandJson",
    "encodeCommand",
    "encodeCommandBinary",
    "encodeCommandJson",
    "errorBodySchema",
    "faucetRequestSchema",
    "formatUnits",
    "idIndexMax",
    "idKinds",
    "idRejectionCodes",
    "idSequenceMax",
    "idTimeMsMax",
    "isWsCandleInterval",
    "lotsToDecimal",
    "orderRequestSchema",
    "parseDecimal",
    "parseUnits",
    "parseUuidV7",
    "perpdexDomain",
    "priceRejectionCodes",
    "priceTicksMax",
    "reject",
    "rejectionCodes",
    "signedRequestFields",
    "sizeLotsMax",
    "sizeRejectionCodes",
    "ticksToDecimal",
    "uuidV7",
    "writeCommandBinary",
    "wsCandleIntervals",
    "wsErrorCodes",
    "wsLimitsDefault",
    "wsMarginLevelOf",
    "wsMarginLevels",
    "wsPrivateChannels",
    "wsPublicChannels",
    "wsSubscriptionKey",
  ]);
});

// The wire layer runs in browsers and inside replay: no floats parsed from text, no clock, no
// randomness, no I/O, no Node-only globals.
test("sources avoid the banned constructs", () => {
  const banned: readonly (readonly [RegExp, string])[] = [
    [/parseFloat|parseInt/, "parsing numbers through floats"],
    [/toFixed|toPrecision/, "float formatting"],
    [/Math\.random|crypto\./, "randomness"],
    [/Date\.now|new Date|performance\.now/, "reading a clock"],
    [/from "node:|require\(|process\.|Buffer/, "Node-only APIs"],
    [/\basync\b|\bawait\b/, "asynchronous code"],
  ];
  // Plain-JavaScript modules (.mjs) are held to the same rules: worker threads load them without a
  // TypeScript loader, and the TypeScript sources import them.
  const plainModules = readdirSync(sourceDirectory).filter((name) => name.endsWith(".mjs"));
  for (const name of [...sourceFiles, ...plainModules]) {
    const code = withoutComments(readSource(name));
    for (const [pattern, reason] of banned) {
      assert.doesNotMatch(code, pattern, `${name} uses ${reason}`);
    }
    for (const match of code.matchAll(/from "(\.[^"]+)"/g)) {
      assert.match(match[1] ?? "", /\.(ts|mjs)$/, `${name}: relative imports end in .ts (or .mjs)`);
    }
  }
});
