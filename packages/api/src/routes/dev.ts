// Development mode only: POST /v1/dev/faucet credits test collateral to an address (a deposit command
// with a faucet reference). Production mode never registers this route.
import type { FastifyInstance } from "fastify";
import { faucetRequestSchema } from "@perpdex/protocol";
import type { ApiContext } from "../context.ts";
import { assetUnitsOf } from "../convert.ts";
import { badRequest, rejectionError } from "../errors.ts";

const faucetAmountMax = 1_000_000n;

export function registerDevRoutes(app: FastifyInstance, context: ApiContext): void {
  app.post<{ Body: { address: string; asset?: "USDC" | "USDT" | "DAI"; amount?: string } }>(
    "/v1/dev/faucet",
    { config: { rateCategory: "faucet" }, schema: { body: faucetRequestSchema } },
    async (request) => {
      const asset = request.body.asset ?? "USDC";
      const text = request.body.amount ?? "10000";
      const amount = assetUnitsOf(asset, text, "amount");
      const unitsMax = assetUnitsOf(asset, faucetAmountMax.toString(), "amount");
      if (amount <= 0n || amount > unitsMax) throw badRequest("AMOUNT_INVALID", `amount must be more than 0 and at most ${faucetAmountMax} ${asset}, got ${text}`);
      const account = request.body.address.toLowerCase();
      const ack = await context.submit({ type: "deposit", account, asset, amount, reference: `faucet:${context.node.lastSequence + 1}` });
      if (!ack.result.ok) throw rejectionError(ack.result);
      return { ok: true, sequence: ack.sequence, account, asset, amount: text };
    },
  );
}
