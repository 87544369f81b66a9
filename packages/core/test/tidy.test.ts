// Proves two things: the repository is tidy (the core's ban list and the layer-direction rule hold on
// every file), and the scanner is able to fail: each banned form is fed to it inline and must be reported
// at the right line, while the same text inside a comment or a string must not be. Without the second
// half, a broken lexer would make the first half pass silently.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Finding } from '../../../scripts/tidy.ts';
import {
  checkLayerImports,
  checkPackageManifest,
  findImports,
  findImportsLeaving,
  formatViolation,
  scanCoreSource,
  tidyRepository,
  tokenize,
} from '../../../scripts/tidy.ts';

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));

function rulesAndLines(findings: readonly Finding[]): string[] {
  return findings.map((finding) => `${finding.line}:${finding.rule}`);
}

describe('tidy: the repository', () => {
  it('has no banned construct in packages/core/src and no import against the layer direction', () => {
    const violations = tidyRepository(repositoryRoot);
    assert.deepEqual(violations.map(formatViolation), []);
  });
});

describe('tidy: the core ban list reports each banned form', () => {
  // Each snippet puts the banned form on line 2, after a harmless line 1.
  const cases: readonly { readonly source: string; readonly rule: string }[] = [
    { source: 'const now = Date.now();', rule: 'Date.now' },
    { source: 'const now = Date?.now();', rule: 'Date.now' },
    { source: 'const today = new Date(0);', rule: 'new Date' },
    { source: 'const text = Date();', rule: 'Date()' },
    { source: 'const pick = Math.random();', rule: 'Math.random' },
    { source: 'const rounded = Math.round(x);', rule: 'Math.round' },
    { source: 'const power = Math.pow(2, 3);', rule: 'Math.pow' },
    { source: 'const math = Math;', rule: 'Math' },
    { source: 'const start = performance.now();', rule: 'performance.now' },
    { source: 'const price = parseFloat(text);', rule: 'parseFloat' },
    { source: 'const price = Number.parseFloat(text);', rule: 'parseFloat' },
    { source: 'const size = parseInt(text, 10);', rule: 'parseInt' },
    { source: 'const label = price.toFixed(2);', rule: 'toFixed' },
    { source: 'const label = price.toPrecision(4);', rule: 'toPrecision' },
    { source: 'setTimeout(tick, 10);', rule: 'setTimeout' },
    { source: 'setInterval(tick, 10);', rule: 'setInterval' },
    { source: 'setImmediate(tick);', rule: 'setImmediate' },
    { source: 'queueMicrotask(tick);', rule: 'queueMicrotask' },
    { source: 'const home = process.env.HOME;', rule: 'process.' },
    { source: 'const fs = require("fs");', rule: 'require(' },
    { source: 'const g = globalThis;', rule: 'globalThis' },
    { source: 'export async function load() {}', rule: 'async' },
    { source: 'const run = () => { for await (const x of xs) use(x); };', rule: 'await' },
    { source: 'type Later = Promise<number>;', rule: 'Promise' },
    { source: 'const response = fetch(url);', rule: 'fetch(' },
    { source: 'const module = import("./other.ts");', rule: 'import()' },
    { source: 'const id = crypto.randomUUID();', rule: 'crypto.' },
    { source: 'console.log(balance);', rule: 'console.' },
    { source: 'const command = JSON.parse(wire);', rule: 'JSON.parse' },
    { source: 'const fee = amount * 1.5;', rule: 'float-literal' },
    { source: 'const rate = 0.1;', rule: 'float-literal' },
    { source: 'const rate = .25;', rule: 'float-literal' },
    { source: 'const big = 1e9;', rule: 'float-literal' },
    { source: 'const big = 2E-3;', rule: 'float-literal' },
    { source: 'const text = `${Date.now()}`;', rule: 'Date.now' },
    { source: 'const text = `a ${`b ${Math.random()}`} c`;', rule: 'Math.random' },
    { source: "import { Book } from '@perpdex/protocol';", rule: 'core-import' },
    { source: "import { readFileSync } from 'node:fs';", rule: 'core-import' },
    { source: "export { Book } from 'lodash';", rule: 'core-import' },
    { source: "import 'reflect-metadata';", rule: 'core-import' },
  ];
  for (const { source, rule } of cases) {
    it(`reports ${rule} in: ${source}`, () => {
      const findings = scanCoreSource(`const first = 1;\n${source}\n`);
      assert.ok(
        findings.some((finding) => finding.rule === rule && finding.line === 2),
        `expected ${rule} at line 2, got ${JSON.stringify(findings)}`,
      );
    });
  }

  it('reports each occurrence once, at its own line', () => {
    const source = ['const a = 1;', 'const b = new Date();', '', 'const c = Math.random() * 0.5;'].join('\n');
    assert.deepEqual(rulesAndLines(scanCoreSource(source)), ['2:new Date', '4:Math.random', '4:float-literal']);
  });

  it('counts lines through block comments, multi-line templates and escaped string newlines', () => {
    const source = ['/* one', 'two */ const a = `x', 'y ${b}', '`;', "const c = 'd\\", "e';", 'Date.now();'].join('\n');
    assert.deepEqual(rulesAndLines(scanCoreSource(source)), ['7:Date.now']);
  });
});

describe('tidy: the core ban list ignores prose and literal text', () => {
  const cleanSources: readonly string[] = [
    '// never call Date.now() or Math.random() here; await nothing; 1.5 is a float',
    '/* parseFloat("1.5"), new Date(), process.env, console.log, async */',
    "const message = 'Date.now() and Math.random() are banned, as is 1.5';",
    'const message = "setTimeout(fn, 0.5) and JSON.parse(text)";',
    'const message = `toFixed(2) of ${amount} is not allowed; nor is fetch(url)`;',
    'const pattern = /Date.now\\(\\)|1.5|\'|\\/\\/ not a comment/u;',
    'const ratio = total / 2 / count; // Date.now',
    'const million = 1_000_000; const mask = 0xffe5; const bits = 0b1010; const wide = 10n ** 18n;',
    'const low = Math.min(a, b) + Math.max(a, b) + Math.trunc(a) + Math.floor(a) + Math.ceil(a);',
    'const other = Math.abs(a) + Math.imul(a, b) + Math.clz32(a) + Math.sign(a);',
    'const book = market.process; order.async = false; const key = item.console;',
    "import { match } from './match.ts'; import type { Book } from '../book/book.ts';",
    "export { settle } from './settle.ts';",
    'const price = order?.price ?? 0; const list = [...orders];',
    '#!/usr/bin/env node\nconst a = 1;',
  ];
  for (const source of cleanSources) {
    it(`finds nothing in: ${source}`, () => {
      assert.deepEqual(scanCoreSource(source), []);
    });
  }
});

describe('tidy: the lexer', () => {
  it('drops comments and keeps strings and templates as single opaque tokens', () => {
    const tokens = tokenize("a /* b */ 'c d' // e\n`f ${g} h`");
    assert.deepEqual(
      tokens.map((token) => `${token.kind}:${token.text}`),
      ['word:a', "string:'c d'", 'template:`f ${', 'word:g', 'template:} h`'],
    );
  });

  it('tells a regex from a division by the token before the slash', () => {
    const kinds = tokenize('x = a / b / c; y = /d/g.test(z); return /e/;').map((token) => token.kind);
    assert.equal(kinds.filter((kind) => kind === 'regex').length, 2);
  });

  it('finds import and re-export specifiers, and not other strings', () => {
    const source = [
      "import a from './a.ts';",
      "import type { B } from '../b.ts';",
      "export { c } from './c.ts';",
      "import './d.ts';",
      "const e = import('./e.ts');",
      "const f = 'from';",
      "const g = { from: 'nowhere' };",
    ].join('\n');
    const specifiers = findImports(tokenize(source)).map((reference) => `${reference.line}:${reference.specifier}`);
    assert.deepEqual(specifiers, ['1:./a.ts', '2:../b.ts', '3:./c.ts', '4:./d.ts', '5:./e.ts']);
  });
});

describe('tidy: core relative imports stay inside packages/core/src', () => {
  const file = 'packages/core/src/matching/match.ts';
  const directory = 'packages/core/src';

  it('accepts imports within the source directory', () => {
    const source = "import { a } from './a.ts';\nimport { b } from '../book/b.ts';";
    assert.deepEqual(findImportsLeaving({ source, file, directory }), []);
  });

  it('reports imports that climb out of it', () => {
    const source = "import { a } from './a.ts';\nimport { tidy } from '../../../../scripts/tidy.ts';";
    assert.deepEqual(rulesAndLines(findImportsLeaving({ source, file, directory })), ['2:core-import']);
  });
});

describe('tidy: layer direction', () => {
  const cases: readonly {
    readonly packageName: string;
    readonly specifier: string;
    readonly rules: readonly string[];
  }[] = [
    { packageName: 'protocol', specifier: '@perpdex/core', rules: [] },
    { packageName: 'protocol', specifier: '@perpdex/node', rules: ['layer'] },
    { packageName: 'core', specifier: '@perpdex/protocol', rules: ['layer'] },
    { packageName: 'node', specifier: '@perpdex/protocol', rules: [] },
    { packageName: 'node', specifier: '@perpdex/api', rules: ['layer'] },
    { packageName: 'api', specifier: '@perpdex/node', rules: [] },
    { packageName: 'sdk', specifier: '@perpdex/node', rules: ['layer'] },
    { packageName: 'sdk', specifier: '@perpdex/protocol/codecs', rules: [] },
    { packageName: 'sim', specifier: '@perpdex/node', rules: [] },
    { packageName: 'sim', specifier: '@perpdex/api', rules: ['layer'] },
    { packageName: 'node', specifier: '../../core/src/index.ts', rules: ['cross-package-relative'] },
    { packageName: 'protocol', specifier: '../../node/src/x.ts', rules: ['cross-package-relative', 'layer'] },
    { packageName: 'node', specifier: './journal.ts', rules: [] },
    { packageName: 'node', specifier: 'node:fs', rules: [] },
    { packageName: 'node', specifier: '../../../scripts/tidy.ts', rules: [] },
  ];
  for (const { packageName, specifier, rules } of cases) {
    it(`${packageName} importing ${specifier}: ${rules.length === 0 ? 'allowed' : rules.join(', ')}`, () => {
      const source = `import { x } from '${specifier}';`;
      const findings = checkLayerImports({ packageName, file: `packages/${packageName}/src/a.ts`, source });
      assert.deepEqual(findings.map((finding) => finding.rule), rules);
    });
  }
});

describe('tidy: package manifests', () => {
  it('reports runtime dependencies of the core', () => {
    const manifest = { name: '@perpdex/core', dependencies: { 'decimal.js': '^10.0.0' } };
    assert.deepEqual(rulesAndLines(checkPackageManifest({ packageName: 'core', manifest })), ['1:core-dependencies']);
  });

  it('reports a dependency against the layer direction', () => {
    const manifest = { name: '@perpdex/protocol', dependencies: { '@perpdex/core': '0.1.0', '@perpdex/node': '0.1.0' } };
    assert.deepEqual(rulesAndLines(checkPackageManifest({ packageName: 'protocol', manifest })), ['1:layer']);
  });

  it('reports a package missing from the layer table', () => {
    const manifest = { name: '@perpdex/extra' };
    assert.deepEqual(rulesAndLines(checkPackageManifest({ packageName: 'extra', manifest })), ['1:layer']);
  });
});
