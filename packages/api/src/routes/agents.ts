// Agent keys as the API sees them: the core keeps approvals (named, expiring, revocable, scoped to
// markets and a maximum order notional) and enforces them on every order an agent signs; the API
// checks them first to answer a clear 403 before sequencing anything.
import type { ExchangeNode } from "@perpdex/node";
import type { AgentCheck } from "../auth/authenticate.ts";

/** An approval as the core keeps it (packages/core/src/perp/agents.ts). */
interface AgentApproval {
  readonly name: string;
  readonly expiresAt: bigint;
  readonly markets: readonly string[];
  readonly maxOrderNotional: number;
}

interface AgentRegistry {
  find(account: string, agent: string): AgentApproval | undefined;
}

/** The core's agent registry when the exchange has one. */
export function agentRegistryOf(node: ExchangeNode): AgentRegistry | undefined {
  return (node.exchange as unknown as { agents?: AgentRegistry }).agents;
}

/** Checks that `agent` may act for `account` now (the core checks again, with its scopes, per order). */
export function agentCheckOf(node: ExchangeNode, clock: () => number): AgentCheck {
  return (account, agent) => {
    const registry = agentRegistryOf(node);
    if (registry === undefined) return "agent keys are not enabled on this node";
    const approval = registry.find(account, agent);
    if (approval === undefined) return `${agent} is not an approved agent of ${account}; the account's wallet approves agents with POST /v1/agents`;
    if (approval.expiresAt <= BigInt(clock()) * 1_000_000n) return `agent ${approval.name} (${agent}) of ${account} expired at ${approval.expiresAt} ns`;
    return null;
  };
}
