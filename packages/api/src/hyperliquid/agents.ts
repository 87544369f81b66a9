// Hyperliquid's API wallets are perpdex agent keys. A Hyperliquid request never names the account it acts
// for: the server finds the account that approved the signing key. The core keeps approvals by account
// (perp/agents.ts); this index answers the reverse question, agent → accounts, without scanning: it is
// built once from the exchange and kept current from the AgentApproved / AgentRevoked events the read
// model sees. The core's registry stays the authority: every answer is re-checked against it.
import type { Exchange, ExchangeEvent } from "@perpdex/core";
import { HyperliquidError } from "./errors.ts";

/** The reverse index of agent approvals. */
export class AgentIndex {
  private readonly accountsByAgent = new Map<string, Set<string>>();

  /**
   * Indexes every approval the exchange holds now (once, at start: O(accounts)).
   *
   * @example
   * const index = AgentIndex.of(node.exchange);
   */
  static of(exchange: Exchange): AgentIndex {
    const index = new AgentIndex();
    for (const account of exchange.engine.accounts.list) {
      for (const approval of exchange.agents.list(account.address)) index.add(approval.agent, account.address);
    }
    return index;
  }

  /**
   * Follows one applied command's events.
   *
   * @example
   * readModel.onApplied((applied) => index.apply(applied.events));
   */
  apply(events: readonly ExchangeEvent[]): void {
    for (const event of events) {
      if (event.type === "AgentApproved") this.add(event.agent, event.account);
      else if (event.type === "AgentRevoked") this.accountsByAgent.get(event.agent)?.delete(event.account);
    }
  }

  private add(agent: string, account: string): void {
    let accounts = this.accountsByAgent.get(agent);
    if (accounts === undefined) {
      accounts = new Set();
      this.accountsByAgent.set(agent, accounts);
    }
    accounts.add(account);
  }

  /**
   * The account that approved `agent` and whose approval is still valid at `timeNs`; null when none.
   * An agent approved by several accounts is refused: a Hyperliquid request cannot say which it means.
   *
   * @example
   * index.principalOf(node.exchange, "0xagent…", node.exchange.time); // => "0xaccount…" or null
   */
  principalOf(exchange: Exchange, agent: string, timeNs: bigint): string | null {
    const accounts = this.accountsByAgent.get(agent);
    if (accounts === undefined) return null;
    const valid = [...accounts].filter((account) => (exchange.agents.find(account, agent)?.expiresAt ?? 0n) > timeNs);
    if (valid.length > 1) {
      throw new HyperliquidError(`API wallet ${agent} is approved by ${valid.length} accounts (${valid.join(", ")}); a Hyperliquid request cannot name one: use a key approved by one account only`, "AGENT_NOT_APPROVED");
    }
    return valid[0] ?? null;
  }
}

// Hyperliquid agents may carry their expiry in the name ("bot valid_until 1767225600000", ms).
const validUntilPattern = /\bvalid_until (\d{1,15})\b/;
// Without one, an approval lasts this long (Hyperliquid prunes idle agents; perpdex approvals always expire).
const agentLifetimeDefaultMs = 180 * 24 * 3_600_000;

/**
 * The perpdex approval terms of a Hyperliquid approveAgent: a printable name and an expiry.
 *
 * @example
 * agentTerms({ agentName: "bot valid_until 1767225600000", nowMs }); // => { name: "bot valid_until 1767225600000", expiresAtMs: 1767225600000 }
 */
export function agentTerms(parameters: { readonly agentName: unknown; readonly nowMs: number }): { name: string; expiresAtMs: number } {
  const given = typeof parameters.agentName === "string" ? parameters.agentName.replace(/[^\x20-\x7e]/g, "").slice(0, 64).trim() : "";
  const until = validUntilPattern.exec(given);
  return { name: given === "" ? "hyperliquid api wallet" : given, expiresAtMs: until === null ? parameters.nowMs + agentLifetimeDefaultMs : Number(until[1]) };
}
