// A real node in a temporary data directory with the API on 127.0.0.1 port 0, and wallets that sign
// requests exactly as the SDK does (actionTypedData + viem). No mocks: HTTP, the journal, the core.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ExchangeNode, silentLogger, type Clock } from "@perpdex/node";
import { actionTypedData, type ActionFields, type ActionType } from "@perpdex/protocol";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { ReadModel } from "../src/read-model/read-model.ts";
import { specRateLimits, type RateLimitConfig } from "../src/rate-limit/rate-limiter.ts";
import type { RateLimitStore } from "../src/rate-limit/rate-limit-store.ts";
import { createApiServer, type ApiServer } from "../src/server.ts";

export interface Harness {
  readonly node: ExchangeNode;
  readonly server: ApiServer;
  readonly url: string;
  readonly dataDirectory: string;
  /** Stops the server and the node (once, however often called) and removes a directory it made. */
  close(): Promise<void>;
  /** Stops the server and the node, keeping the directory, and starts both again on it. */
  restart(): Promise<Harness>;
}

/** Limits off for 127.0.0.1, so a test meets the limits only where it asks for them. */
export const noRateLimits: RateLimitConfig = { ...specRateLimits, exemptIps: new Set(["127.0.0.1"]) };

interface HarnessOptions {
  rateLimits?: RateLimitConfig;
  /** Where the rate limiter keeps its buckets. Default: in memory. */
  rateLimitStore?: RateLimitStore;
  mode?: "development" | "production";
  dataDirectory?: string;
  clock?: Clock;
  /** Default: when the harness made the directory itself. */
  removeDirectoryOnClose?: boolean;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const ownsDirectory = options.removeDirectoryOnClose ?? options.dataDirectory === undefined;
  const dataDirectory = options.dataDirectory ?? (await mkdtemp(path.join(tmpdir(), "perpdex-api-")));
  const readModel = new ReadModel();
  let node: ExchangeNode | undefined;
  let server: ApiServer | undefined;
  let stopping: Promise<void> | undefined;
  // Safe on a half-started harness and when called twice: a failed test never leaves a server or a
  // node behind to keep the test process alive.
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      try {
        await server?.close();
      } finally {
        await node?.close();
      }
    })());
  const close = async (): Promise<void> => {
    try {
      await stop();
    } finally {
      if (ownsDirectory) await rm(dataDirectory, { recursive: true, force: true });
    }
  };
  try {
    node = await ExchangeNode.open({
      dataDirectory,
      logger: silentLogger,
      tickIntervalMs: 0,
      follower: false,
      onApplied: (applied) => readModel.apply(applied),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    });
    server = await createApiServer({ node, readModel, mode: options.mode ?? "development", port: 0, rateLimits: options.rateLimits ?? noRateLimits,
      ...(options.rateLimitStore === undefined ? {} : { rateLimitStore: options.rateLimitStore }),
      verifierThreads: 1,
    });
    const url = await server.listen();
    return {
      node,
      server,
      url,
      dataDirectory,
      close,
      async restart() {
        await stop();
        return startHarness({ ...options, dataDirectory, removeDirectoryOnClose: ownsDirectory });
      },
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * The wall clock, but every reading at least one millisecond after the one before: consecutive commands
 * get different millisecond times, so an id built from the wrong command's time shows (an order's
 * UUIDv7 carries the millisecond it was placed).
 */
export function steppingClock(): Clock {
  let last = 0n;
  return () => {
    const wall = BigInt(Date.now()) * 1_000_000n;
    last = wall > last + 1_000_000n ? wall : last + 1_000_000n;
    return last;
  };
}

export interface Wallet {
  readonly key: PrivateKeyAccount;
  readonly address: string;
}

export function newWallet(): Wallet {
  const key = privateKeyToAccount(generatePrivateKey());
  return { key, address: key.address.toLowerCase() };
}

let lastNonce = 0;
/** A fresh nonce: the current time in ms, strictly increasing within this process. */
export function nextNonce(): number {
  lastNonce = Math.max(lastNonce + 1, Date.now());
  return lastNonce;
}

/** The body of a signed action: its fields, nonce, signature (and signer when an agent signs). */
export async function signedBody<Type extends ActionType>(
  signer: Wallet,
  type: Type,
  fields: ActionFields[Type],
  options: { nonce?: number; asAgent?: boolean } = {},
): Promise<Record<string, unknown>> {
  const nonce = options.nonce ?? nextNonce();
  const typedData = actionTypedData({ type, fields, nonce } as Parameters<typeof actionTypedData>[0]);
  const signature = await signer.key.signTypedData(typedData as Parameters<PrivateKeyAccount["signTypedData"]>[0]);
  return { ...fields, nonce, signature, ...(options.asAgent === true ? { signer: signer.address } : {}) };
}

/** Headers of a signed read (a Login message). */
export async function readHeaders(wallet: Wallet, options: { account?: string; asAgent?: boolean } = {}): Promise<Record<string, string>> {
  const account = options.account ?? wallet.address;
  const nonce = nextNonce();
  const typedData = actionTypedData({ type: "Login", fields: { account }, nonce });
  const signature = await wallet.key.signTypedData(typedData as Parameters<PrivateKeyAccount["signTypedData"]>[0]);
  return {
    "x-perpdex-account": account,
    "x-perpdex-nonce": String(nonce),
    "x-perpdex-signature": signature,
    ...(options.asAgent === true ? { "x-perpdex-signer": wallet.address } : {}),
  };
}

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

export async function call(url: string, method: "GET" | "POST", route: string, options: { body?: unknown; headers?: Record<string, string>; raw?: string } = {}): Promise<Reply> {
  const response = await fetch(`${url}${route}`, {
    method,
    headers: { ...(options.body !== undefined || options.raw !== undefined ? { "content-type": "application/json" } : {}), ...options.headers },
    ...(options.raw !== undefined ? { body: options.raw } : options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text };
  }
  return { status: response.status, headers: response.headers, body };
}
