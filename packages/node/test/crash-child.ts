// The crash harness's child process: opens a node on a data directory and drives the seeded load until
// the log reaches a target sequence. On stdout it prints one JSON line per event: "ready" once the node
// recovered, "ack" for every acknowledged command (its sequence and the exact payload and auth envelope
// journaled, in hex), and "done" with the final state hash after a clean close. The node logs (pino
// JSON) to stderr.
//
// Usage: node --import tsx crash-child.ts <dataDirectory> <seed> <targetSequence>
import { encodeCommandBinary } from "@perpdex/protocol";
import { ExchangeNode, NodeBusyError, createLogger } from "../src/index.ts";
import { crashLoadCommand } from "./crash-load.ts";

/** The node's settings in the harness: small segments and frequent checkpoints and snapshots. */
export const crashNodeSettings = {
  tickIntervalMs: 40,
  checkpointEvery: 97,
  snapshotEvery: 700,
  snapshotIntervalMs: 1_500,
  snapshotsKept: 2,
  journal: { segmentBytesMax: 96 * 1024, payloadBytesMax: 16 * 1024, batchBytesMax: 64 * 1024 },
} as const;

const inFlightMax = 24;

function print(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function main(): Promise<void> {
  const [dataDirectory, seedText, targetText] = process.argv.slice(2);
  const seed = Number(seedText);
  const target = Number(targetText);
  if (dataDirectory === undefined || !Number.isSafeInteger(seed) || !Number.isSafeInteger(target)) {
    throw new Error("usage: crash-child.ts <dataDirectory> <seed> <targetSequence>");
  }
  const logger = createLogger({ level: "info", destination: 2 });
  const node = await ExchangeNode.open({ dataDirectory, logger, ...crashNodeSettings, onFatal: () => process.exit(3) });
  print({ event: "ready", lastSequence: node.lastSequence });
  await driveLoad(node, seed, target);
  await node.close();
  print({ event: "done", lastSequence: node.lastSequence, stateHash: node.stateHash() });
}

// Keeps a window of commands in flight; each command is generated for the sequence it will get (the
// exchange applies synchronously inside submit, so the next sequence is known at generation time).
async function driveLoad(node: ExchangeNode, seed: number, target: number): Promise<void> {
  let inFlight = 0;
  let wake: (() => void) | undefined;
  const settle = (): void => {
    inFlight -= 1;
    wake?.();
  };
  // Bounded by the target: every pass sequences a command or waits for one to finish.
  while (node.lastSequence < target) {
    if (inFlight >= inFlightMax) {
      await new Promise<void>((resolve) => (wake = resolve));
      continue;
    }
    const sequence = node.lastSequence + 1;
    const input = crashLoadCommand({ seed, sequence, nowNs: BigInt(Date.now()) * 1_000_000n });
    // Every third command carries an auth envelope (bytes that depend on the sequence): it must be in
    // the log with its command, byte for byte, like the command itself.
    const auth = sequence % 3 === 0 ? new TextEncoder().encode(`signed request ${sequence}`) : undefined;
    const payload = loggedForm(encodeCommandBinary(input), auth);
    inFlight += 1;
    node.submit(input, auth).then(
      (ack) => {
        if (ack.sequence !== sequence) throw new Error(`command generated for ${sequence} got ${ack.sequence}`);
        print({ event: "ack", sequence, payload, ok: ack.result.ok });
        settle();
      },
      (error: Error) => {
        if (!(error instanceof NodeBusyError)) throw error;
        settle();
      },
    );
    // Let acknowledgements and timer ticks in between commands.
    if (inFlight % 8 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  while (inFlight > 0) await new Promise<void>((resolve) => (wake = resolve));
}

// What the harness compares with the log: the payload and the auth envelope, in hex.
function loggedForm(payload: Uint8Array, auth: Uint8Array | undefined): string {
  return `${Buffer.from(payload).toString("hex")}:${auth === undefined ? "" : Buffer.from(auth).toString("hex")}`;
}

await main();
