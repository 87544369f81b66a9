// The archive marker remembers that segments were moved out of the journal directory. Without it, a
// directory whose first segment starts past sequence 1 is indistinguishable from one that lost its
// oldest segments, and open must refuse it. The marker is written (atomically, durably) before any
// segment moves, so a crash halfway through archiving leaves a directory that still opens.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { JournalError } from './errors.ts';
import { syncDirectory } from './segment-files.ts';

export const archiveMarkerName = 'archive-marker.json';
const archiveMarkerVersion = 1;

/** What the marker says: segments starting before `keptFromSequence` may be in the archive. */
export interface ArchiveMarker {
  readonly keptFromSequence: bigint;
}

/** Reads the marker in `directory`, or undefined when nothing was ever archived. */
export async function readArchiveMarker(directory: string): Promise<ArchiveMarker | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path.join(directory, archiveMarkerName), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed: unknown = JSON.parse(text);
  const keptFromSequence = markerSequence(parsed);
  if (keptFromSequence === undefined) {
    throw new JournalError({ shortMessage: 'Journal archive marker unreadable.', details: `${archiveMarkerName}: ${text}` });
  }
  return { keptFromSequence };
}

function markerSequence(parsed: unknown): bigint | undefined {
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const fields = parsed as { version?: unknown; keptFromSequence?: unknown };
  if (fields.version !== archiveMarkerVersion) return undefined;
  if (typeof fields.keptFromSequence !== 'string' || !/^[1-9]\d{0,19}$/.test(fields.keptFromSequence)) return undefined;
  return BigInt(fields.keptFromSequence);
}

/** Replaces the marker in `directory` durably: write a temporary file, sync it, rename it over. */
export async function writeArchiveMarker(directory: string, marker: ArchiveMarker): Promise<void> {
  assert.ok(marker.keptFromSequence >= 1n);
  const text = `${JSON.stringify({ version: archiveMarkerVersion, keptFromSequence: marker.keptFromSequence.toString() })}\n`;
  const temporaryPath = path.join(directory, `${archiveMarkerName}.tmp`);
  const handle = await fs.open(temporaryPath, 'w');
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(temporaryPath, path.join(directory, archiveMarkerName));
  await syncDirectory(directory);
}
