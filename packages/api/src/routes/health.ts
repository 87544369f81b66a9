// GET /health (SPEC 09 §11.1: liveness and readiness with the component's vital signs) and GET /metrics.
import type { FastifyInstance } from "fastify";
import type { ApiContext } from "../context.ts";

const startedMs = Date.now();

export function registerHealthRoutes(app: FastifyInstance, context: ApiContext): void {
  app.get("/health", async (_request, reply) => {
    const node = context.node;
    const lag = node.lastSequence - node.durableSequence;
    const statistics = node.statistics;
    const healthy = lag < 100_000;
    return reply.code(healthy ? 200 : 503).send({
      status: healthy ? "healthy" : "degraded",
      service: "perpdex-api",
      mode: context.mode,
      uptimeSeconds: Math.floor((Date.now() - startedMs) / 1000),
      checks: {
        node: { status: "up", lastSequence: node.lastSequence, durableSequence: node.durableSequence, journalLagCommands: lag, inFlight: statistics.inFlight },
        readModel: { status: context.readModel.lastSequence >= node.durableSequence - statistics.inFlight ? "up" : "catching-up", lastSequence: context.readModel.lastSequence },
        signatureVerifier: { status: "up", native: context.auth.native },
      },
      time: new Date().toISOString(),
    });
  });
  app.get("/metrics", async (_request, reply) => {
    const text = await context.metrics.registry.metrics();
    return reply.type(context.metrics.registry.contentType).send(text);
  });
}
