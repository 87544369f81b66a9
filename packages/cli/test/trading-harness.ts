// A real node in a temporary directory with the API server on 127.0.0.1 port 0, for the SDK and the
// trading commands. No mocks: HTTP, WebSocket, the journal and the core.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createApiServer, ReadModel, specRateLimits, type ApiServer, type RateLimitConfig } from "@perpdex/api";
import type { Exchange } from "@perpdex/core";
import { ExchangeNode, silentLogger } from "@perpdex/node";
import { lotsToDecimal, ticksToDecimal } from "@perpdex/protocol";
import type { PerpdexSocket, PerpdexSocketEvents } from "@perpdex/sdk";

export interface TradingHarness {
  readonly node: ExchangeNode;
  readonly server: ApiServer;
  readonly url: string;
  close(): Promise<void>;
}

/** No rate limits for 127.0.0.1: the tests meet the limits only where they ask for them. */
export const testRateLimits: RateLimitConfig = { ...specRateLimits, exemptIps: new Set(["127.0.0.1"]) };

export async function startTradingHarness(): Promise<TradingHarness> {
  const dataDirectory = await mkdtemp(path.join(tmpdir(), "perpdex-trading-"));
  const readModel = new ReadModel();
  let node: ExchangeNode | undefined;
  let server: ApiServer | undefined;
  let closing: Promise<void> | undefined;
  // Idempotent, and safe on a half-started harness: a failed start or a failed test never leaves a
  // server, a node or a directory behind to keep the test process alive.
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      try {
        await server?.close();
      } finally {
        try {
          await node?.close();
        } finally {
          await rm(dataDirectory, { recursive: true, force: true });
        }
      }
    })());
  try {
    node = await ExchangeNode.open({ dataDirectory, logger: silentLogger, tickIntervalMs: 0, follower: false, onApplied: (applied) => readModel.apply(applied) });
    server = await createApiServer({ node, readModel, mode: "development", port: 0, rateLimits: testRateLimits, verifierThreads: 1 });
    const url = await server.listen();
    return { node, server, url, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * The next `event` of the socket for which `matches` holds. Listens from the moment it is called, so
 * call it before the action that causes the event. The timeout only turns a lost event into a failure
 * that names it instead of a hang; it never decides the outcome of a passing run. A wait left behind by
 * a failed test neither keeps the process alive (the timer is unref'd) nor reports an unhandled rejection.
 */
export function nextEvent<Event extends keyof PerpdexSocketEvents>(
  socket: PerpdexSocket,
  event: Event,
  matches: (...args: Parameters<PerpdexSocketEvents[Event]>) => boolean = () => true,
  timeoutMs = 30_000,
): Promise<Parameters<PerpdexSocketEvents[Event]>> {
  const waiting = new Promise<Parameters<PerpdexSocketEvents[Event]>>((resolve, reject) => {
    const listener = ((...args: Parameters<PerpdexSocketEvents[Event]>) => {
      if (!matches(...args)) return;
      clearTimeout(timer);
      socket.off(event, listener);
      resolve(args);
    }) as PerpdexSocketEvents[Event];
    const timer = setTimeout(() => {
      socket.off(event, listener);
      reject(new Error(`no matching "${event}" event within ${timeoutMs} ms`));
    }, timeoutMs);
    timer.unref();
    socket.on(event, listener);
  });
  waiting.catch(() => undefined);
  return waiting;
}

/** The core's book of a market as `[price, size]` levels, best first. */
export function coreLevels(exchange: Exchange, symbol: string): { bids: string[][]; asks: string[][] } {
  const market = exchange.engine.market(symbol)!;
  const { tickSize, lotSize } = market.spec;
  const side = (levels: readonly { price: number; totalLots: number }[]): string[][] =>
    [...levels].reverse().map((level) => [ticksToDecimal({ ticks: level.price, tickSize }), lotsToDecimal({ lots: level.totalLots, lotSize })]);
  return { bids: side(market.bids.levels), asks: side(market.asks.levels) };
}
