// Journal throughput on this machine's disk: group commit under three loads, then replay speed.
// Run: node --import tsx packages/node/bench/journal.bench.ts [commands] [payloadBytes]
// Numbers depend on the disk's fdatasync latency; the point is how commands per sync grow with load.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { JournalLogger } from '../src/index.ts';
import { Journal } from '../src/index.ts';

const commands = BigInt(process.argv[2] ?? '200000');
const payloadBytes = Number(process.argv[3] ?? '64');
const silent: JournalLogger = { info: () => {}, warn: () => {}, error: () => {} };
const timeBase = 1_767_225_600_000_000_000n;

interface Load {
  readonly name: string;
  readonly commands: bigint;
  /** Appends allowed in flight before waiting for the oldest; undefined fires all at once. */
  readonly inFlightMax: number | undefined;
}

async function runLoad(load: Load): Promise<void> {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'perpdex-journal-bench-'));
  try {
    const journal = await Journal.open({ directory, logger: silent });
    const payload = new Uint8Array(payloadBytes).fill(7);
    const started = process.hrtime.bigint();
    const inFlight: Promise<void>[] = [];
    for (let sequence = 1n; sequence <= load.commands; sequence++) {
      inFlight.push(journal.append({ sequence, time: timeBase + sequence, payload }));
      if (load.inFlightMax !== undefined && inFlight.length >= load.inFlightMax) await inFlight.shift();
    }
    await Promise.all(inFlight);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const statistics = journal.statistics;
    assert.equal(statistics.recordsWritten, Number(load.commands));
    report(load.name, [
      `${Math.round(Number(load.commands) / seconds).toLocaleString('en-US')} commands/s`,
      `${seconds.toFixed(3)} s`,
      `${statistics.fileSyncs} fdatasyncs`,
      `${Math.round(statistics.recordsWritten / statistics.batchesWritten)} commands/batch`,
      `${(statistics.bytesWritten / 1024 / 1024).toFixed(1)} MiB`,
    ]);
    if (load.inFlightMax === undefined) await replay(journal, load.commands);
    await journal.close();
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

async function replay(journal: Journal, expected: bigint): Promise<void> {
  const started = process.hrtime.bigint();
  let count = 0n;
  for (const record of journal.read({ fromSequence: 1n })) {
    if (record.kind === 'command') count += 1n;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  assert.equal(count, expected);
  report('replay (read + verify)', [`${Math.round(Number(count) / seconds).toLocaleString('en-US')} records/s`, `${seconds.toFixed(3)} s`]);
}

function report(name: string, values: readonly string[]): void {
  process.stdout.write(`${name.padEnd(28)} ${values.join('  ')}\n`);
}

process.stdout.write(`journal bench: ${commands} commands of ${payloadBytes} bytes, directory ${os.tmpdir()}\n`);
const loads: readonly Load[] = [
  { name: 'all at once', commands, inFlightMax: undefined },
  { name: '10,000 in flight', commands, inFlightMax: 10_000 },
  { name: '1,000 in flight', commands, inFlightMax: 1_000 },
  { name: '1 in flight (no batching)', commands: 2_000n, inFlightMax: 1 },
];
for (const load of loads) await runLoad(load);
