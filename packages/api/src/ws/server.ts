// The WebSocket server of /v1/ws (docs/api.md, "WebSocket"; wire types in @perpdex/protocol
// ws-messages.ts). It listens to the read model, which hands it every applied command once durable and
// in sequence order, and fans each update out serialised once per channel. It holds no business state:
// the book mirror and the feeds are rebuilt from the node's exchange when it starts.
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import {
  wsLimitsDefault,
  type WsErrorCode,
  type WsLimits,
} from "@perpdex/protocol";
import type { AppliedCommand } from "@perpdex/node";
import { authenticate, type AuthenticatorOptions } from "../auth/authenticate.ts";
import type { ApiContext } from "../context.ts";
import { BookMirror } from "./book-mirror.ts";
import { ChannelHub } from "./channel-hub.ts";
import { closeCodes, WsConnection } from "./connection.ts";
import { MarketFeed } from "./market-feed.ts";
import { PrivateFeed } from "./private-feed.ts";
import { BookPublisher } from "./book-publisher.ts";
import { handleClientMessage, type LoginAuthenticator } from "./operations.ts";

/** Options of `attachWebSocket`; every field has a default. */
export interface WebSocketServerOptions {
  /** The path clients connect to (default "/v1/ws"). */
  readonly path?: string;
  /** Heartbeat period (default 15 s); a client silent for two periods is dropped. */
  readonly heartbeatIntervalMs?: number;
  /** Largest client message, bytes (default 16 KiB). */
  readonly messageBytesMax?: number;
  /** Checks a signed login; default: the API's authenticator from the context. */
  readonly authenticateLogin?: LoginAuthenticator;
  /** Wall clock in ms (tests). */
  readonly now?: () => number;
}

/**
 * The running WebSocket server.
 *
 * @example
 * const ws = attachWebSocket(app.server, context);
 * console.log(ws.connectionCount);
 * await ws.close();
 */
export interface WebSocketServerHandle {
  readonly hub: ChannelHub;
  readonly mirror: BookMirror;
  readonly limits: WsLimits;
  /** Open connections now. */
  readonly connectionCount: number;
  /** Drops every connection (1001, WS_SERVER_CLOSING) but keeps listening: clients reconnect. */
  disconnectAll(): void;
  /** Closes every connection (1001, "going away") and stops listening. */
  close(): Promise<void>;
}

/** Everything one server shares between its connections and operations. */
export interface WsServerState {
  readonly context: ApiContext;
  readonly hub: ChannelHub;
  readonly mirror: BookMirror;
  readonly books: BookPublisher;
  readonly market: MarketFeed;
  readonly private: PrivateFeed;
  readonly limits: WsLimits;
  readonly authenticateLogin: LoginAuthenticator;
  readonly connectionsByAccount: Map<string, number>;
  readonly now: () => number;
  /** The last command the feeds have seen. */
  lastSequence: number;
  lastTime: bigint;
}

/**
 * Attaches the WebSocket server to the API's HTTP server: upgrades on `path`, connection caps per IP
 * (refused with HTTP 429 at the upgrade) and per account (at login), subscription caps, a heartbeat,
 * and slow-consumer drops.
 *
 * @example
 * const app = fastify();
 * const ws = attachWebSocket(app.server, context);
 * await app.listen({ host: "127.0.0.1", port: 8080 });
 */
export function attachWebSocket(server: Server, context: ApiContext, options: WebSocketServerOptions = {}): WebSocketServerHandle {
  const limits = limitsOf(context, options);
  const path = options.path ?? "/v1/ws";
  const now = options.now ?? Date.now;
  const node = context.node;
  const hub = new ChannelHub({ onSent: (messages) => context.metrics.webSocketMessagesSent.inc(messages) });
  const mirror = BookMirror.fromExchange(node.exchange);
  const state: WsServerState = {
    context,
    hub,
    mirror,
    books: new BookPublisher({ hub, mirror }),
    market: new MarketFeed({ hub, mirror, exchange: node.exchange, readModel: context.readModel }),
    private: new PrivateFeed({ hub, readModel: context.readModel, exchange: () => node.exchange, now }),
    limits,
    authenticateLogin: options.authenticateLogin ?? defaultLoginAuthenticator(context),
    connectionsByAccount: new Map(),
    now,
    lastSequence: node.lastSequence,
    lastTime: node.exchange.time,
  };
  // The mirror holds the exchange as of node.lastSequence: commands up to it are in it already.
  const startSequence = node.lastSequence;
  const stopListening = context.readModel.onApplied((applied) => {
    if (applied.sequence <= startSequence) return;
    try {
      applyCommand(state, applied);
    } catch (error) {
      // A bug: the mirror no longer matches the events. Say so loudly, reload it from the exchange and
      // send every book subscriber a fresh snapshot rather than serve a wrong book.
      context.logger.error({ error: (error as Error).message, sequence: applied.sequence }, "ws: book mirror out of step; reloaded from the exchange");
      mirror.load(node.exchange);
      for (const book of mirror.books) book.snapshotNeeded = true;
      state.books.publish(mirror.books, applied.sequence, applied.time);
    }
  });

  const sockets = new WebSocketServer({ noServer: true, maxPayload: limits.messageBytesMax, perMessageDeflate: false, clientTracking: false });
  const connections = new Set<WsConnection>();
  const connectionsByIp = new Map<string, number>();

  let paths = attachedPaths.get(server);
  if (paths === undefined) attachedPaths.set(server, (paths = []));
  paths.push(path);
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const requested = pathOf(request.url);
    if (requested !== path) {
      // Nobody serves that path (no other upgrade listener either): the first attachment says so rather
      // than leave the socket hanging.
      const onlyOurs = server.listenerCount("upgrade") === paths.length;
      if (onlyOurs && !paths.includes(requested) && paths[0] === path) refuseUpgrade(socket, 404, "NOT_FOUND", `no WebSocket at ${requested.slice(0, 64)}; connect to ${path}`);
      return;
    }
    const ip = request.socket.remoteAddress ?? "unknown";
    const count = connectionsByIp.get(ip) ?? 0;
    if (count >= limits.connectionsPerIpMax) {
      refuseUpgrade(socket, 429, "WS_CONNECTIONS_EXCEEDED", `at most ${limits.connectionsPerIpMax} WebSocket connections per IP address`);
      return;
    }
    // Counted once the handshake succeeded (a refused handshake never calls back).
    sockets.handleUpgrade(request, socket, head, (webSocket) => {
      connectionsByIp.set(ip, (connectionsByIp.get(ip) ?? 0) + 1);
      const connection = new WsConnection({
        socket: webSocket,
        ip,
        bufferedBytesMax: limits.sendQueueBytesMax,
        operationsPerSecond: limits.operationsPerSecondMax,
        now,
        onDrop: (dropped, code, message) => forget(dropped, code, message),
      });
      connections.add(connection);
      context.metrics.webSocketClients.inc();
      listen(state, connection, webSocket);
      webSocket.on("close", () => {
        if (!connection.closed) {
          connection.closed = true;
          forget(connection, null, "client closed");
        }
        const left = (connectionsByIp.get(ip) ?? 1) - 1;
        if (left === 0) connectionsByIp.delete(ip);
        else connectionsByIp.set(ip, left);
        context.metrics.webSocketClients.dec();
        connections.delete(connection);
      });
      connection.sendJson({ type: "welcome", limits, time: state.lastTime.toString() });
    });
  };
  server.on("upgrade", onUpgrade);

  // Leaves every channel at once, so nothing more is queued for the connection.
  const forget = (connection: WsConnection, code: WsErrorCode | null, message: string): void => {
    for (const key of connection.subscriptions) {
      hub.unsubscribe(key, connection);
      if (key.startsWith("margin:")) state.private.unwatchMargin(key.slice("margin:".length));
    }
    connection.subscriptions.clear();
    if (connection.account !== null) {
      const left = (state.connectionsByAccount.get(connection.account) ?? 1) - 1;
      if (left === 0) state.connectionsByAccount.delete(connection.account);
      else state.connectionsByAccount.set(connection.account, left);
    }
    if (code !== null) context.logger.info({ ip: connection.ip, account: connection.account, code, reason: message }, "ws: connection dropped");
  };

  const heartbeat = setInterval(() => {
    const time = now();
    const ping = Buffer.from(JSON.stringify({ type: "ping", time: String(time) }), "utf8");
    for (const connection of connections) {
      if (connection.closed) continue;
      if (time - connection.lastSeenMs > 2 * limits.heartbeatIntervalMs) {
        connection.drop("WS_HEARTBEAT_TIMEOUT", `nothing received for ${2 * limits.heartbeatIntervalMs} ms (answer pings, or send {"op":"ping"})`);
        continue;
      }
      connection.socket.ping();
      connection.sendBytes(ping);
    }
  }, limits.heartbeatIntervalMs);
  heartbeat.unref();

  return {
    hub,
    mirror,
    limits,
    get connectionCount() {
      return connections.size;
    },
    disconnectAll() {
      for (const connection of connections) connection.drop("WS_SERVER_CLOSING", "the server asked every client to reconnect", closeCodes.goingAway);
    },
    async close() {
      clearInterval(heartbeat);
      stopListening();
      state.private.close();
      server.off("upgrade", onUpgrade);
      paths.splice(paths.indexOf(path), 1);
      const closing = [...connections].map(
        (connection) =>
          new Promise<void>((resolve) => {
            connection.socket.once("close", () => resolve());
            connection.drop("WS_SERVER_CLOSING", "the server is shutting down; reconnect shortly", closeCodes.goingAway);
          }),
      );
      await Promise.all(closing);
      sockets.close();
    },
  };
}

function listen(state: WsServerState, connection: WsConnection, webSocket: WebSocket): void {
  webSocket.on("pong", () => {
    connection.lastSeenMs = state.now();
  });
  webSocket.on("message", (data: RawData, isBinary: boolean) => {
    connection.lastSeenMs = state.now();
    if (connection.closed) return;
    handleClientMessage(state, connection, data, isBinary);
  });
  webSocket.on("error", () => {
    // A protocol error (oversized frame: 1009, bad framing) closes the socket; "close" cleans up.
  });
}

/** One applied command through every feed, in the order their inputs need. */
export function applyCommand(state: WsServerState, applied: AppliedCommand): void {
  const { sequence, time, events } = applied;
  state.lastSequence = sequence;
  state.lastTime = time;
  if (events.length === 0) return;
  const touched = state.mirror.apply(events);
  state.market.apply(sequence, time, events, touched);
  state.books.publish(touched, sequence, time);
  state.private.apply(sequence, time, events);
}

// The WebSocket paths attached to each HTTP server, in order of attachment.
const attachedPaths = new WeakMap<Server, string[]>();

function limitsOf(context: ApiContext, options: WebSocketServerOptions): WsLimits {
  const caps = context.webSocketLimits;
  return {
    ...wsLimitsDefault,
    connectionsPerIpMax: caps.connectionsPerIpMax,
    connectionsPerAccountMax: caps.connectionsPerAccountMax,
    publicSubscriptionsPerSocketMax: caps.subscriptionsPerSocketMax,
    operationsPerSecondMax: caps.messagesPerSecondMax,
    sendQueueBytesMax: caps.bufferedBytesMax,
    ...(options.messageBytesMax === undefined ? {} : { messageBytesMax: options.messageBytesMax }),
    ...(options.heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs: options.heartbeatIntervalMs }),
  };
}

function pathOf(url: string | undefined): string {
  if (url === undefined) return "";
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}

function refuseUpgrade(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: code, code, message });
  socket.end(
    `HTTP/1.1 ${status} ${status === 429 ? "Too Many Requests" : status === 404 ? "Not Found" : "Bad Request"}\r\n` +
      "Connection: close\r\nContent-Type: application/json\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

// The server puts the authenticator's parts on the context next to ApiContext's fields (server.ts).
function defaultLoginAuthenticator(context: ApiContext): LoginAuthenticator {
  const options = (context as ApiContext & { readonly authOptions?: AuthenticatorOptions }).authOptions;
  if (options === undefined) return () => Promise.reject(new Error("no authenticator is configured for WebSocket logins"));
  return async (action) => {
    const authenticated = await authenticate(options, action);
    return { account: authenticated.account, agent: authenticated.agent };
  };
}
