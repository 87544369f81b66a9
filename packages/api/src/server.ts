// The API server: fastify on the node's process. Requests are validated against the protocol's JSON
// Schemas, signed actions verified on worker threads, rate-limited per IP and per account, and handed to
// the node; reads come from the read models and the node's exchange. Every response carries the
// request's correlation id; every error has a stable code.
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import AjvCompiler from "@fastify/ajv-compiler";
import Fastify, {
  type FastifyContextConfig,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type onRequestHookHandler,
  type onResponseHookHandler,
} from "fastify";
import type { Acknowledgement, ExchangeNode } from "@perpdex/node";
import { NodeBusyError, NodeClosedError } from "@perpdex/node";
import { CommandCodecError, type ExchangeCommandInput } from "@perpdex/protocol";
import type { AgentCheck } from "./auth/authenticate.ts";
import { NonceRegistry } from "./auth/nonces.ts";
import { AuthVerifier } from "./auth/verifier.ts";
import type { ApiContext, ApiLogger, ApiMode, WebSocketAttachment } from "./context.ts";
import { registerHyperliquidRoutes } from "./hyperliquid/routes.ts";
import { attachWebSocket } from "./ws/server.ts";
import { ApiError } from "./errors.ts";
import { ApiMetrics } from "./metrics.ts";
import { RateLimiter, specRateLimits, type RateCategory, type RateLimitConfig, type RateHeaders } from "./rate-limit/rate-limiter.ts";
import type { RateLimitStore } from "./rate-limit/rate-limit-store.ts";
import { ReadModel } from "./read-model/read-model.ts";
import { registerActionRoutes } from "./routes/actions.ts";
import { registerDevRoutes } from "./routes/dev.ts";
import { registerDocsRoutes } from "./routes/docs.ts";
import { registerHealthRoutes } from "./routes/health.ts";
import { registerPrivateRoutes } from "./routes/private.ts";
import { registerPublicRoutes } from "./routes/public.ts";
import { agentCheckOf } from "./routes/agents.ts";
import { keepRateHeaders } from "./routes/signed.ts";

/** How to start an API server. */
export interface ApiServerOptions {
  readonly node: ExchangeNode;
  /** The read model the node feeds (pass the same one as the node's `onApplied`); default: a new one fed from now on. */
  readonly readModel?: ReadModel;
  readonly mode: ApiMode;
  readonly logger?: ApiLogger;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 8080; 0 picks a free port. */
  readonly port?: number;
  /** SPEC 18 limits by default. */
  readonly rateLimits?: RateLimitConfig;
  readonly rateLimitStore?: RateLimitStore;
  /** Signature worker threads (default: cores − 1, at least 1). */
  readonly verifierThreads?: number;
  /** Nonces are accepted within ± this many ms of the server's clock (default 60,000). */
  readonly nonceWindowMs?: number;
  /** Largest request body, bytes (default 256 KiB: a full batch of orders fits). */
  readonly bodyLimitBytes?: number;
  /** The wall clock in ms (tests move it). */
  readonly clock?: () => number;
}

/** A running API server. */
export interface ApiServer {
  readonly app: FastifyInstance;
  readonly context: ApiContext;
  /** The base URL once listening, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  listen(): Promise<string>;
  close(): Promise<void>;
}

const silentLogger: ApiLogger = { debug() {}, info() {}, warn() {}, error() {} };
const correlationPattern = /^[A-Za-z0-9._:-]{1,128}$/;

declare module "fastify" {
  interface FastifyRequest {
    rateHeaders: RateHeaders | null;
    startedAt: number;
    /** A JSON body's text as received (without a byte-order mark), null for other requests. */
    rawBody: string | null;
  }
  interface FastifyContextConfig {
    /** The SPEC 18 category a route draws from; per IP for public routes. */
    rateCategory?: RateCategory;
    /** Private routes take their account's bucket after authentication instead. */
    perAccount?: boolean;
  }
}

/**
 * Builds the API server around a running node. Call `listen()` to bind.
 *
 * @example
 * const readModel = new ReadModel();
 * const node = await ExchangeNode.open({ dataDirectory: "data", logger, onApplied: (applied) => readModel.apply(applied) });
 * const server = await createApiServer({ node, readModel, mode: "development", port: 8080 });
 * await server.listen();
 */
export async function createApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const node = options.node;
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? Date.now;
  const readModel = options.readModel ?? new ReadModel();
  const stopFeeding = options.readModel === undefined ? node.onApplied((applied) => readModel.apply(applied)) : () => {};
  const verifier = await AuthVerifier.start(options.verifierThreads === undefined ? {} : { threads: options.verifierThreads });
  const rateLimiter = new RateLimiter({ config: options.rateLimits ?? specRateLimits, ...(options.rateLimitStore === undefined ? {} : { store: options.rateLimitStore }) });
  const metrics = new ApiMetrics({ node });
  const nonces = new NonceRegistry({ windowMs: options.nonceWindowMs ?? 60_000, nowMs: clock() });
  // Requests signed before a restart stay used: the journal's auth envelopes, replayed at start.
  for (const { signer, nonce } of readModel.replayedNonces.newest(readModel.replayedNonces.size)) {
    if (nonces.inWindow(nonce, clock())) nonces.use(signer, nonce, clock());
  }
  const submit = (input: ExchangeCommandInput, auth?: Uint8Array): Promise<Acknowledgement> => submitToNode(node, metrics, input, auth);
  const agentCheck: AgentCheck = agentCheckOf(node, clock);
  const context: ApiContext & { readonly authOptions: { verifier: AuthVerifier; nonces: NonceRegistry; clock: () => number; agentCheck: AgentCheck } } = {
    node,
    mode: options.mode,
    readModel,
    auth: verifier,
    rateLimiter,
    metrics,
    logger,
    webSocketLimits: rateLimiter.config.webSocket,
    submit,
    authOptions: { verifier, nonces, clock, agentCheck },
  };
  let correlation = 0;
  const correlationPrefix = `req-${process.pid.toString(36)}-`;
  const app = Fastify({
    bodyLimit: options.bodyLimitBytes ?? 256 * 1024,
    logger: false,
    // Large integers and prototype keys are refused by the JSON parser, not by handlers.
    onProtoPoisoning: "error",
    onConstructorPoisoning: "error",
    genReqId: (request) => {
      const header = request.headers["x-correlation-id"];
      if (typeof header === "string" && correlationPattern.test(header)) return header;
      correlation += 1;
      return correlationPrefix + correlation.toString(36);
    },
  });
  // Bodies are JSON and must have the right types ("5" is not a leverage); query strings and path
  // parameters are text and are coerced to the schema's types.
  const compileBody = AjvCompiler()({}, { customOptions: { coerceTypes: false, useDefaults: true, removeAdditional: false, allErrors: false } });
  const compileText = AjvCompiler()({}, { customOptions: { coerceTypes: "array", useDefaults: true, removeAdditional: false, allErrors: false } });
  type Compile = (route: { schema: unknown }) => (data: unknown) => boolean;
  app.setValidatorCompiler((route) => (route.httpPart === "body" ? (compileBody as unknown as Compile)(route) : (compileText as unknown as Compile)(route)));
  app.decorateRequest("rateHeaders", null);
  app.decorateRequest("startedAt", 0);
  app.decorateRequest("rawBody", null);
  keepJsonText(app);
  installHooks(app, context, clock);
  registerHealthRoutes(app, context);
  registerDocsRoutes(app, context);
  registerPublicRoutes(app, context);
  registerPrivateRoutes(app, context);
  registerActionRoutes(app, context);
  if (options.mode === "development") registerDevRoutes(app, context);
  // Hyperliquid-compatible POST /info and /exchange, and the WebSocket server on the same HTTP server.
  registerHyperliquidRoutes(app, context);
  let url = "";
  const webSocket: WebSocketAttachment = attachWebSocket(app.server as Server, context);
  const server: ApiServer = {
    app,
    context,
    get url() {
      return url;
    },
    async listen() {
      await app.listen({ host: options.host ?? "127.0.0.1", port: options.port ?? 8080 });
      const address = app.server.address() as AddressInfo;
      url = `http://${address.address}:${address.port}`;
      logger.info({ url, mode: options.mode, nativeSecp256k1: verifier.native }, "api: listening");
      return url;
    },
    async close() {
      stopFeeding();
      await webSocket.close();
      await app.close();
      await verifier.close();
    },
  };
  return server;
}

// Fastify's own JSON parser (same limits, same errors, prototype poisoning refused), keeping the text:
// a signed action's body travels to the signature worker as text (routes/signed.ts).
function keepJsonText(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const text = body as string;
    // The parser ignores a leading byte-order mark; so does the text kept.
    request.rawBody = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    parseJson(request, text, done);
  });
}

// The hooks take a `done` callback rather than being async: every request runs them, and an async hook
// costs a promise and a microtask each. The rate limiter answers synchronously from memory (a promise
// only with an asynchronous store). What depends on the route (its rate category, its metrics label) is
// bound to the route once, when it is added (onRoute), as hooks of that route: read per request, the
// route's options (request.routeOptions) are a new object on every read. A request is counted once its
// response is written (onResponse): counting it in onSend instead, ahead of the write, spares fastify
// its listeners on every response but measured no cheaper in paired bench:api runs (the load
// generator's CPU per single order rose from about 36 to 40 µs).
function installHooks(app: FastifyInstance, context: ApiContext, clock: () => number): void {
  app.addHook("onRoute", (route) => {
    const url = route.url ?? "unmatched";
    const observe: onResponseHookHandler = (request, reply, done) => {
      context.metrics.observeRequest(url, request.method, reply.statusCode, (performance.now() - request.startedAt) / 1000);
      done();
    };
    route.onResponse = [...hooksOf(route.onResponse), observe];
    const config = route.config as FastifyContextConfig | undefined;
    // A public route's per-IP category bucket (private routes draw from the account's after authentication).
    if (config?.rateCategory === undefined || config.perAccount === true) return;
    const category = config.rateCategory;
    const checkCategory: onRequestHookHandler = (request, _reply, done) => {
      passRateAnswer(context.rateLimiter.check({ ip: request.ip, category, nowMs: clock() }), request, done);
    };
    route.onRequest = [...hooksOf(route.onRequest), checkCategory];
  });
  app.addHook("onRequest", (request, reply, done) => {
    request.startedAt = performance.now();
    reply.header("x-correlation-id", request.id);
    passRateAnswer(context.rateLimiter.checkIp(request.ip, clock()), null, done);
  });
  app.addHook("onSend", (request, reply, payload, done) => {
    const headers = request.rateHeaders;
    // A 429 carries the headers of the bucket that refused (remaining 0), set with the error; the
    // headers kept here are of an earlier bucket that passed (a Hyperliquid /info user query passes the
    // IP's market-data bucket, then its account's bucket refuses), and must not overwrite them.
    if (headers !== null && reply.statusCode !== 429) {
      reply.header("x-ratelimit-limit", headers.limit);
      reply.header("x-ratelimit-remaining", headers.remaining);
      reply.header("x-ratelimit-reset", headers.resetSeconds);
    }
    done(null, payload);
  });
  // Requests no route matched (the routes' own hooks count the rest).
  app.addHook("onResponse", (request, reply, done) => {
    if (request.is404) context.metrics.observeRequest("unmatched", request.method, reply.statusCode, (performance.now() - request.startedAt) / 1000);
    done();
  });
  app.setErrorHandler((error: FastifyError | ApiError, request, reply) => sendError(error, request, reply, context));
  app.setNotFoundHandler((request, reply) => {
    const error = new ApiError({ status: 404, code: "NOT_FOUND", message: `no route ${request.method} ${request.url.split("?")[0]}; see /docs for the API` });
    void sendError(error, request, reply, context);
  });
}

// Goes on once the rate limiter has answered, keeping its headers for the response with a request
// (keepRateHeaders): at once when it answered synchronously, when its promise settles otherwise (a
// rejection, a 429, goes to `done`). A limiter that throws (a synchronous 429) needs no catch here:
// fastify's hook runner passes a hook's throw on as `done(error)` would.
function passRateAnswer(answer: RateHeaders | null | Promise<RateHeaders | null>, request: FastifyRequest | null, done: (error?: Error) => void): void {
  const pending = keepRateHeaders(answer, request);
  if (pending === null) done();
  else pending.then(() => done(), done);
}

// A route option's hooks as an array (fastify takes one function or an array).
function hooksOf<Hook>(hooks: Hook | Hook[] | undefined): Hook[] {
  if (hooks === undefined) return [];
  return Array.isArray(hooks) ? hooks : [hooks];
}

function sendError(error: FastifyError | ApiError, request: FastifyRequest, reply: FastifyReply, context: ApiContext): FastifyReply {
  const apiError = error instanceof ApiError ? error : fromFastifyError(error, context);
  if (apiError.status === 429) context.metrics.rateLimited.inc({ category: request.routeOptions.config?.rateCategory ?? "ipGlobal" });
  if (apiError.headers !== undefined) for (const [name, value] of Object.entries(apiError.headers)) reply.header(name, value);
  return reply.code(apiError.status).send(apiError.body(request.id));
}

function fromFastifyError(error: FastifyError, context: ApiContext): ApiError {
  if (error.validation !== undefined) {
    const first = error.validation[0];
    const where = `${error.validationContext ?? "body"}${first?.instancePath ?? ""}`;
    const allowed = first?.params !== undefined && "allowedValues" in first.params ? `: one of ${(first.params.allowedValues as unknown[]).join(", ")}` : "";
    const extra = first?.params !== undefined && "additionalProperty" in first.params ? ` (${String(first.params.additionalProperty)})` : "";
    return new ApiError({ status: 400, code: "REQUEST_INVALID", message: `${where} ${first?.message ?? "is invalid"}${allowed}${extra}`, details: { path: where } });
  }
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new ApiError({ status: 413, code: "BODY_TOO_LARGE", message: `the request body is too large: ${error.message}` });
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new ApiError({ status: 415, code: "REQUEST_INVALID", message: "send the body as application/json" });
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new ApiError({ status: 400, code: "JSON_MALFORMED", message: "the body is empty; send a JSON object" });
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return new ApiError({ status: 400, code: "REQUEST_INVALID", message: "the Content-Length does not match the body" });
  }
  if (error instanceof SyntaxError || error.statusCode === 400) {
    return new ApiError({ status: 400, code: "JSON_MALFORMED", message: `the body is not valid JSON: ${error.message}` });
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return new ApiError({ status: error.statusCode, code: "REQUEST_INVALID", message: error.message });
  }
  context.logger.error({ error: error.message, stack: error.stack }, "api: unexpected error");
  return new ApiError({ status: 500, code: "INTERNAL", message: "an unexpected error; it was logged with this correlation id" });
}

async function submitToNode(node: ExchangeNode, metrics: ApiMetrics, input: ExchangeCommandInput, auth: Uint8Array | undefined): Promise<Acknowledgement> {
  const started = performance.now();
  try {
    // `auth`, the signed request, is journaled with the command (auditors re-verify it).
    const ack = await node.submit(input, auth);
    metrics.observeCommand(input.type, ack.result.ok ? "accepted" : ack.result.code, (performance.now() - started) / 1000);
    return ack;
  } catch (error) {
    if (error instanceof NodeBusyError) throw new ApiError({ status: 503, code: "NODE_BUSY", message: `${error.shortMessage} ${error.details}`, headers: { "retry-after": "1" } });
    if (error instanceof NodeClosedError) throw new ApiError({ status: 503, code: "NODE_UNAVAILABLE", message: `${error.shortMessage} ${error.details}` });
    if (error instanceof CommandCodecError) throw new ApiError({ status: 400, code: "REQUEST_INVALID", message: error.message });
    throw error;
  }
}
