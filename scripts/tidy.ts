// Mechanical checks that run as a test (in the spirit of TigerBeetle's tidy.zig), see style.md habit 12.
//
// 1. The core's ban list: the core is a pure, synchronous, deterministic state machine, so anything that
//    reads a clock, draws randomness, touches floating point, does I/O or goes asynchronous is banned
//    from packages/core/src, and the core imports only its own files.
// 2. Layer direction: packages import each other only downhill (core <- protocol <- node <- api, ...),
//    and only by package name, never by a relative path into another package's folder.
//
// The checks work on tokens from scripts/lexer.ts, so comments and string contents never trip them.
// Run directly (`npx tsx scripts/tidy.ts`) to print violations; packages/core/test/tidy.test.ts runs it
// on every `npm test`.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Token } from './lexer.ts';
import { tokenize } from './lexer.ts';

export { tokenize };
export type { Token };

export interface Finding {
  readonly line: number;
  /** A short stable name of what was found, e.g. `Date.now`, `float-literal`, `layer`. */
  readonly rule: string;
  readonly message: string;
}

export interface Violation extends Finding {
  /** Path relative to the repository root, with `/` separators. */
  readonly file: string;
}

/** Which other packages each package may import (by `@perpdex/<name>`). A package may import itself. */
export const layerImportsAllowed: Readonly<Record<string, readonly string[]>> = {
  core: [],
  protocol: ['core'],
  node: ['core', 'protocol'],
  api: ['core', 'protocol', 'node'],
  sdk: ['core', 'protocol'],
  sim: ['core', 'protocol', 'node'],
  cli: ['core', 'protocol', 'node', 'api', 'sdk'],
};

interface BannedSequence {
  readonly rule: string;
  /** Word and punctuator texts that must follow each other; `.` also matches `?.`. */
  readonly sequence: readonly string[];
  /** Also match after a `.`: for methods, and for globals reachable as `Number.parseInt` and the like. */
  readonly alsoAsProperty: boolean;
  /** Skip a match right after this word (so `new Date()` is reported once, as `new Date`). */
  readonly notAfter?: string;
  readonly why: string;
}

const clock = 'reads the clock; exchange time enters only inside commands';
const floats = 'floating point never touches state; use integer ticks, lots and units';
const asynchrony = 'the core is synchronous; I/O and scheduling belong to the node';
const environment = 'the core has no environment; the node passes everything in through commands';

function banned(rule: string, sequence: readonly string[], why: string, alsoAsProperty = false): BannedSequence {
  return { rule, sequence, alsoAsProperty, why };
}

// `Date()` without `new` returns the current time as a string.
const dateCall: BannedSequence = { rule: 'Date()', sequence: ['Date', '('], alsoAsProperty: false, notAfter: 'new', why: clock };

const bannedSequences: readonly BannedSequence[] = [
  banned('Date.now', ['Date', '.', 'now'], clock),
  banned('new Date', ['new', 'Date'], clock),
  dateCall,
  banned('performance.now', ['performance', '.', 'now'], clock),
  banned('parseFloat', ['parseFloat'], floats, true),
  banned('parseInt', ['parseInt'], 'ambiguous radix and silent partial parses; the protocol decodes input', true),
  banned('toFixed', ['toFixed'], floats, true),
  banned('toPrecision', ['toPrecision'], floats, true),
  banned('setTimeout', ['setTimeout'], asynchrony, true),
  banned('setInterval', ['setInterval'], asynchrony, true),
  banned('setImmediate', ['setImmediate'], asynchrony, true),
  banned('queueMicrotask', ['queueMicrotask'], asynchrony, true),
  banned('async', ['async'], asynchrony),
  banned('await', ['await'], asynchrony),
  banned('Promise', ['Promise'], asynchrony),
  banned('fetch(', ['fetch', '('], asynchrony),
  banned('import()', ['import', '('], 'dynamic imports are asynchronous I/O'),
  banned('process.', ['process', '.'], environment),
  banned('require(', ['require', '('], 'the core is an ES module importing only its own files'),
  banned('globalThis', ['globalThis'], environment),
  banned('crypto.', ['crypto', '.'], 'randomness and hashing APIs of the host differ between runtimes'),
  banned('console.', ['console', '.'], 'the core reports through events and results, not logs'),
  banned('JSON.parse', ['JSON', '.', 'parse'], 'the core never parses wire data; the protocol does'),
];

/** Integer-only helpers; everything else on `Math` is floating point or randomness. */
const mathMembersAllowed: ReadonlySet<string> = new Set([
  'min', 'max', 'trunc', 'floor', 'ceil', 'abs', 'imul', 'clz32', 'sign',
]);

const codeKinds: ReadonlySet<Token['kind']> = new Set(['word', 'punctuator']);

function isPropertyAccess(tokens: readonly Token[], index: number): boolean {
  const previous = tokens[index - 1];
  return previous !== undefined && previous.kind === 'punctuator' && (previous.text === '.' || previous.text === '?.');
}

function tokenMatches(token: Token | undefined, expected: string): boolean {
  if (token === undefined || !codeKinds.has(token.kind)) return false;
  if (expected === '.') return token.text === '.' || token.text === '?.';
  return token.text === expected;
}

function sequenceMatchesAt(tokens: readonly Token[], index: number, banned: BannedSequence): boolean {
  if (!banned.alsoAsProperty && isPropertyAccess(tokens, index)) return false;
  if (banned.notAfter !== undefined && tokenMatches(tokens[index - 1], banned.notAfter)) return false;
  return banned.sequence.every((expected, offset) => tokenMatches(tokens[index + offset], expected));
}

function findBannedSequences(tokens: readonly Token[]): Finding[] {
  const findings: Finding[] = [];
  tokens.forEach((token, index) => {
    for (const banned of bannedSequences) {
      if (!sequenceMatchesAt(tokens, index, banned)) continue;
      findings.push({ line: token.line, rule: banned.rule, message: `\`${banned.rule}\`: ${banned.why}` });
    }
  });
  return findings;
}

// `Math` may appear only as `Math.<allowed member>`; `const m = Math` would smuggle the rest in.
function findMathUse(tokens: readonly Token[]): Finding[] {
  const findings: Finding[] = [];
  tokens.forEach((token, index) => {
    if (token.kind !== 'word' || token.text !== 'Math' || isPropertyAccess(tokens, index)) return;
    const member = tokenMatches(tokens[index + 1], '.') ? tokens[index + 2] : undefined;
    if (member !== undefined && member.kind === 'word' && mathMembersAllowed.has(member.text)) return;
    const rule = member === undefined || member.kind !== 'word' ? 'Math' : `Math.${member.text}`;
    const why = rule === 'Math.random' ? 'randomness breaks replay' : floats;
    findings.push({ line: token.line, rule, message: `\`${rule}\`: ${why}; allowed: Math.${[...mathMembersAllowed].join(', Math.')}` });
  });
  return findings;
}

/** A decimal literal with a fraction or an exponent (`1.5`, `.1`, `1e9`); `1_000_000`, `0xff`, `10n` are fine. */
export function isFloatLiteral(text: string): boolean {
  if (/^0[xXoObB]/.test(text)) return false;
  return /[.eE]/.test(text);
}

function findFloatLiterals(tokens: readonly Token[]): Finding[] {
  return tokens
    .filter((token) => token.kind === 'number' && isFloatLiteral(token.text))
    .map((token) => ({
      line: token.line,
      rule: 'float-literal',
      message: `\`${token.text}\`: ${floats} (write 1_000_000, not 1e6)`,
    }));
}

export interface ImportReference {
  readonly specifier: string;
  readonly line: number;
}

/**
 * Module specifiers of static imports, re-exports (`export ... from`), side-effect imports,
 * `import(...)` (also in types) and `require(...)`.
 */
export function findImports(tokens: readonly Token[]): ImportReference[] {
  const imports: ImportReference[] = [];
  tokens.forEach((token, index) => {
    if (token.kind !== 'string') return;
    const previous = tokens[index - 1];
    const beforePrevious = tokens[index - 2];
    const afterFrom = tokenMatches(previous, 'from') && !isPropertyAccess(tokens, index - 1);
    const sideEffect = tokenMatches(previous, 'import');
    const call = tokenMatches(previous, '(') && (tokenMatches(beforePrevious, 'import') || tokenMatches(beforePrevious, 'require'));
    if (afterFrom || sideEffect || call) imports.push({ specifier: token.text.slice(1, -1), line: token.line });
  });
  return imports;
}

function isRelative(specifier: string): boolean {
  return specifier.startsWith('./') || specifier.startsWith('../');
}

function findNonRelativeImports(tokens: readonly Token[]): Finding[] {
  return findImports(tokens)
    .filter((reference) => !isRelative(reference.specifier))
    .map((reference) => ({
      line: reference.line,
      rule: 'core-import',
      message: `\`${reference.specifier}\`: the core imports only its own files, by relative path`,
    }));
}

/** Everything banned in packages/core/src, found in one source text. */
export function scanCoreSource(source: string): Finding[] {
  const tokens = tokenize(source);
  const findings = [
    ...findBannedSequences(tokens),
    ...findMathUse(tokens),
    ...findFloatLiterals(tokens),
    ...findNonRelativeImports(tokens),
  ];
  return findings.sort((left, right) => left.line - right.line);
}

/** Relative imports of `file` (repository-relative) that resolve outside `directory`. */
export function findImportsLeaving(options: { source: string; file: string; directory: string }): Finding[] {
  const directory = path.posix.normalize(options.directory);
  return findImports(tokenize(options.source))
    .filter((reference) => isRelative(reference.specifier))
    .filter((reference) => {
      const target = path.posix.join(path.posix.dirname(options.file), reference.specifier);
      return !target.startsWith(`${directory}/`);
    })
    .map((reference) => ({
      line: reference.line,
      rule: 'core-import',
      message: `\`${reference.specifier}\`: resolves outside ${directory}; the core imports only its own files`,
    }));
}

// The package a specifier points at: `@perpdex/node/x` -> node, `../../node/src/x.ts` (from a package
// file) -> node; undefined for third-party packages and for paths outside packages/.
function targetPackage(file: string, specifier: string): { name: string; byRelativePath: boolean } | undefined {
  const byName = /^@perpdex\/([^/]+)/.exec(specifier);
  if (byName?.[1] !== undefined) return { name: byName[1], byRelativePath: false };
  if (!isRelative(specifier)) return undefined;
  const segments = path.posix.join(path.posix.dirname(file), specifier).split('/');
  if (segments[0] !== 'packages' || segments[1] === undefined) return undefined;
  return { name: segments[1], byRelativePath: true };
}

function layerFinding(from: string, to: string, line: number): Finding {
  const allowed = layerImportsAllowed[from] ?? [];
  const list = allowed.length === 0 ? 'nothing outside itself' : allowed.map((name) => `@perpdex/${name}`).join(', ');
  return { line, rule: 'layer', message: `${from} may not import @perpdex/${to}; ${from} may import ${list}` };
}

/**
 * Layer-direction findings for one file of package `packageName`; `file` is repository-relative
 * (`packages/<name>/...`) so that relative imports can be resolved.
 */
export function checkLayerImports(options: { packageName: string; file: string; source: string }): Finding[] {
  const { packageName, file } = options;
  const allowed = layerImportsAllowed[packageName];
  const findings: Finding[] = [];
  for (const reference of findImports(tokenize(options.source))) {
    const target = targetPackage(file, reference.specifier);
    if (target === undefined || target.name === packageName) continue;
    if (target.byRelativePath) {
      const message = `\`${reference.specifier}\`: import @perpdex/${target.name} by package name, not by relative path`;
      findings.push({ line: reference.line, rule: 'cross-package-relative', message });
    }
    if (allowed !== undefined && !allowed.includes(target.name)) {
      findings.push(layerFinding(packageName, target.name, reference.line));
    }
  }
  return findings;
}

const dependencyFields = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'] as const;
// What the core may not have: anything installed alongside it at run time.
const runtimeDependencyFields = ['dependencies', 'peerDependencies', 'optionalDependencies'] as const;

function dependencyNames(manifest: Record<string, unknown>, field: string): string[] {
  const value = manifest[field];
  return typeof value === 'object' && value !== null ? Object.keys(value) : [];
}

function checkCoreHasNoDependencies(manifest: Record<string, unknown>): Finding[] {
  return runtimeDependencyFields
    .map((field) => ({ field, names: dependencyNames(manifest, field) }))
    .filter(({ names }) => names.length > 0)
    .map(({ field, names }) => ({
      line: 1,
      rule: 'core-dependencies',
      message: `the core has zero runtime dependencies, but ${field} lists ${names.join(', ')}`,
    }));
}

// A manifest that declares a dependency on a package above it would let an import of it resolve.
function checkDependencyDirection(packageName: string, manifest: Record<string, unknown>): Finding[] {
  const allowed = layerImportsAllowed[packageName] ?? [];
  const findings: Finding[] = [];
  for (const field of dependencyFields) {
    for (const dependency of dependencyNames(manifest, field)) {
      const target = /^@perpdex\/([^/]+)$/.exec(dependency)?.[1];
      if (target === undefined || target === packageName || allowed.includes(target)) continue;
      findings.push(layerFinding(packageName, target, 1));
    }
  }
  return findings;
}

/** Checks one package.json: its name, its entry in the layer table, the direction of its dependencies. */
export function checkPackageManifest(options: { packageName: string; manifest: Record<string, unknown> }): Finding[] {
  const { packageName, manifest } = options;
  const findings: Finding[] = [];
  if (manifest['name'] !== `@perpdex/${packageName}`) {
    findings.push({ line: 1, rule: 'package-name', message: `name should be @perpdex/${packageName}` });
  }
  if (layerImportsAllowed[packageName] === undefined) {
    const message = `package ${packageName} has no entry in layerImportsAllowed (scripts/tidy.ts); add one`;
    return [...findings, { line: 1, rule: 'layer', message }];
  }
  if (packageName === 'core') findings.push(...checkCoreHasNoDependencies(manifest));
  return [...findings, ...checkDependencyDirection(packageName, manifest)];
}

const directoriesSkipped: ReadonlySet<string> = new Set(['node_modules', 'dist', 'data']);

// Sorted, so the report is the same on every machine. Bounded by the tree: no symlinks are followed.
function listTypeScriptFiles(root: string, directory: string): string[] {
  const files: string[] = [];
  const entries = readdirSync(path.join(root, directory), { withFileTypes: true });
  for (const entry of entries.sort((left, right) => (left.name < right.name ? -1 : 1))) {
    const relative = path.posix.join(directory, entry.name);
    if (entry.isDirectory() && !entry.name.startsWith('.') && !directoriesSkipped.has(entry.name)) {
      files.push(...listTypeScriptFiles(root, relative));
    } else if (entry.isFile() && entry.name.endsWith('.ts')) {
      files.push(relative);
    }
  }
  return files;
}

function listPackages(root: string): string[] {
  const packagesDirectory = path.join(root, 'packages');
  if (!existsSync(packagesDirectory)) return [];
  return readdirSync(packagesDirectory, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(packagesDirectory, entry.name, 'package.json')))
    .map((entry) => entry.name)
    .sort();
}

const coreSourceDirectory = 'packages/core/src';

function checkFile(root: string, packageName: string, file: string): Finding[] {
  const source = readFileSync(path.join(root, file), 'utf8');
  const findings = checkLayerImports({ packageName, file, source });
  if (file.startsWith(`${coreSourceDirectory}/`)) {
    findings.push(...scanCoreSource(source));
    findings.push(...findImportsLeaving({ source, file, directory: coreSourceDirectory }));
  }
  return findings;
}

/** Every violation in the repository at `root`, in file then line order. */
export function tidyRepository(root: string): Violation[] {
  const violations: Violation[] = [];
  for (const packageName of listPackages(root)) {
    const manifestFile = `packages/${packageName}/package.json`;
    const manifest = JSON.parse(readFileSync(path.join(root, manifestFile), 'utf8')) as Record<string, unknown>;
    for (const finding of checkPackageManifest({ packageName, manifest })) {
      violations.push({ file: manifestFile, ...finding });
    }
    for (const file of listTypeScriptFiles(root, `packages/${packageName}`)) {
      const findings = checkFile(root, packageName, file).sort((left, right) => left.line - right.line);
      violations.push(...findings.map((finding) => ({ file, ...finding })));
    }
  }
  return violations;
}

export function formatViolation(violation: Violation): string {
  return `${violation.file}:${violation.line}: [${violation.rule}] ${violation.message}`;
}

function main(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const violations = tidyRepository(root);
  for (const violation of violations) console.error(formatViolation(violation));
  if (violations.length > 0) process.exitCode = 1;
}

// Run as a script, not imported by the test.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main();
}
