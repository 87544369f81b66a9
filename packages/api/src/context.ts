// What every part of the API server shares: the node, the read models, the signature verifier, the rate
// limiter, metrics and the logger. The REST routes, the Hyperliquid-compatible routes
// (hyperliquid/routes.ts) and the WebSocket server (ws/server.ts) all receive one ApiContext.
import type { Server } from "node:http";
import type { FastifyInstance } from "fastify";
import type { Acknowledgement, ExchangeNode } from "@perpdex/node";
import type { ExchangeCommandInput } from "@perpdex/protocol";
import type { AuthVerifier } from "./auth/verifier.ts";
import type { ApiMetrics } from "./metrics.ts";
import type { RateLimiter } from "./rate-limit/rate-limiter.ts";
import type { ReadModel } from "./read-model/read-model.ts";

/** Development mode adds `POST /v1/dev/faucet`; production mode has no faucet. */
export type ApiMode = "development" | "production";

/** The logger the API writes to: the node's pino-style logger (object first, then the message). */
export interface ApiLogger {
  debug(object: object, message: string): void;
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

/** WebSocket caps (SPEC 18 §4): the WebSocket server enforces them. */
export interface WebSocketLimits {
  /** Connections from one IP address at once. */
  readonly connectionsPerIpMax: number;
  /** Connections of one account (after a signed login) at once. */
  readonly connectionsPerAccountMax: number;
  /** Subscriptions one connection may hold. */
  readonly subscriptionsPerSocketMax: number;
  /** Messages a client may send per second (burst 2×). */
  readonly messagesPerSecondMax: number;
  /** Bytes of outgoing data a slow client may have buffered before it is dropped. */
  readonly bufferedBytesMax: number;
}

/** Signed submission: the command plus the signed request, journaled verbatim for auditors. */
export type SubmitCommand = (input: ExchangeCommandInput, auth?: Uint8Array) => Promise<Acknowledgement>;

/**
 * The shared state of one API server. Created by `createApiServer`; handed to every route module.
 *
 * @example
 * export function registerHyperliquidRoutes(app: FastifyInstance, context: ApiContext): void {
 *   app.post("/info", async (request) => context.readModel.markets.list());
 * }
 */
export interface ApiContext {
  readonly node: ExchangeNode;
  readonly mode: ApiMode;
  readonly readModel: ReadModel;
  readonly auth: AuthVerifier;
  readonly rateLimiter: RateLimiter;
  readonly metrics: ApiMetrics;
  readonly logger: ApiLogger;
  readonly webSocketLimits: WebSocketLimits;
  /** Submits a command to the node, with the signed request as its journaled auth envelope. */
  readonly submit: SubmitCommand;
}

/** What `hyperliquid/routes.ts` exports: it adds POST /info and POST /exchange to the server. */
export interface HyperliquidModule {
  registerHyperliquidRoutes(app: FastifyInstance, context: ApiContext): void;
}

/** The WebSocket server attached to the HTTP server; closed before the HTTP server. */
export interface WebSocketAttachment {
  close(): Promise<void>;
}

/** What `ws/server.ts` exports: it attaches the WebSocket server (upgrade handling) to the HTTP server. */
export interface WebSocketModule {
  attachWebSocket(server: Server, context: ApiContext): WebSocketAttachment;
}
