// Proves "acknowledged only after durable" end to end: a child process appends and prints every
// sequence whose append resolved; it is SIGKILLed mid-stream, several times; after each kill the
// journal opens and holds every sequence the child printed, gapless, and the next child continues it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Journal } from '../src/index.ts';
import { RecordingLogger, assertRecords, temporaryDirectory } from './journal-helpers.ts';

const testDirectory = path.dirname(fileURLToPath(import.meta.url));
const childScript = path.join(testDirectory, 'fixtures', 'journal-append-child.ts');
const acknowledgementsBeforeKill = 3_000;
const childTimeoutMilliseconds = 60_000;

interface ChildRun {
  readonly openedAt: bigint;
  readonly acknowledged: bigint[];
}

// Runs the child until it has printed `acknowledgementsBeforeKill` sequences, then SIGKILLs it.
function runChildUntilKilled(directory: string): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', childScript, directory], { cwd: testDirectory, stdio: ['ignore', 'pipe', 'pipe'] });
    const acknowledged: bigint[] = [];
    let openedAt: bigint | undefined;
    let pending = '';
    let errors = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), childTimeoutMilliseconds);
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('opened ')) openedAt = BigInt(line.slice(7));
        else acknowledged.push(BigInt(line));
      }
      if (acknowledged.length >= acknowledgementsBeforeKill) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL' || openedAt === undefined || acknowledged.length < acknowledgementsBeforeKill) {
        reject(new Error(`child ended unexpectedly (signal ${signal}): ${errors}`));
        return;
      }
      resolve({ openedAt, acknowledged });
    });
  });
}

test('durability: every acknowledged sequence survives SIGKILL of the appending process', { timeout: 180_000 }, async (context) => {
  const directory = temporaryDirectory(context);
  let expectedStart = 0n;
  for (let round = 0; round < 3; round++) {
    const run = await runChildUntilKilled(directory);
    assert.equal(run.openedAt, expectedStart, `round ${round}: the child resumed after the last record`);
    run.acknowledged.forEach((sequence, index) => assert.equal(sequence, run.openedAt + BigInt(index + 1)));
    const highest = run.acknowledged.at(-1)!;
    const logger = new RecordingLogger();
    const journal = await Journal.open({ directory, logger });
    assert.ok(journal.lastSequence >= highest, `round ${round}: acknowledged ${highest}, journal holds ${journal.lastSequence}`);
    assertRecords([...journal.read({ fromSequence: 1n })], { from: 1n, to: journal.lastSequence });
    expectedStart = journal.lastSequence;
    await journal.close();
  }
});
