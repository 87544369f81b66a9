import { isAddress } from "../accounts.ts";
import { assert } from "../assert.ts";
import type { CanonicalReader } from "../canonical-reader.ts";
import type { CanonicalWriter } from "../canonical-writer.ts";
import type { OrderSpec } from "../commands.ts";
import type { Exchange } from "../exchange.ts";
import { accepted, reject, type Accepted, type Rejection } from "../rejections.ts";
import type { Sequence, TimeNs } from "../units.ts";
import { notional } from "./fixed-point.ts";

// Agent keys (API keys for bots): a wallet approves another key to trade for it — named, expiring,
// revocable, and optionally limited to some markets and to a largest order notional. Approvals are
// logged state: they enter through commands, live in the state hash and the snapshot, and the core
// enforces them on every order command that names the agent that signed it (the api verified that
// signature; the command carries the agent's address).

/** Approvals an account may hold at once (expired ones are dropped when a new one is approved). */
export const agentsPerAccountMax = 32;
/** Markets one approval may be limited to. */
export const agentMarketsMax = 64;
const namePattern = /^[\x20-\x7e]{1,64}$/;

interface Stamped {
  readonly sequence: Sequence;
  readonly time: TimeNs;
}

export interface AgentApproval {
  readonly agent: string;
  readonly name: string;
  /** Exchange time (ns) from which the agent may no longer act. */
  readonly expiresAt: TimeNs;
  /** The markets the agent may trade; empty: every market. */
  readonly markets: readonly string[];
  /** The largest notional of one order it may place, µUSD; 0: no limit. */
  readonly maxOrderNotional: number;
}

/**
 * The wallet of `account` approves `agent` (replacing an earlier approval of the same agent).
 * `markets` is a comma-separated list of symbols ("" for every market): symbols hold no commas, and
 * one string keeps the command's wire shape flat.
 */
export interface ApproveAgentCommand extends Stamped {
  readonly type: "approveAgent";
  readonly account: string;
  readonly agent: string;
  readonly name: string;
  readonly expiresAt: TimeNs;
  readonly markets: string;
  readonly maxOrderNotional: number;
}

export interface RevokeAgentCommand extends Stamped {
  readonly type: "revokeAgent";
  readonly account: string;
  readonly agent: string;
}

export type AgentCommand = ApproveAgentCommand | RevokeAgentCommand;

interface EventBase {
  readonly sequence: Sequence;
  readonly index: number;
  readonly time: TimeNs;
}

export interface AgentApproved extends EventBase, AgentApproval {
  readonly type: "AgentApproved";
  readonly account: string;
}

export interface AgentRevoked extends EventBase {
  readonly type: "AgentRevoked";
  readonly account: string;
  readonly agent: string;
}

export type AgentEvent = AgentApproved | AgentRevoked;

/** The order commands an agent may sign, as the agent check sees them. */
export interface AgentSigned {
  readonly type: string;
  readonly account: string;
  readonly agent?: string;
  readonly market?: string;
  readonly order?: OrderSpec;
  readonly items?: readonly { readonly type: string; readonly order?: OrderSpec; readonly market?: string }[];
}

const agentCommandTypes: ReadonlySet<string> = new Set(["placeOrder", "cancelOrder", "cancelAll", "reduceOrder", "cancelReplace", "batch"]);

export class AgentRegistry {
  /** account → agent → approval. Iterated sorted when written, so Map order never reaches the hash. */
  private readonly byAccount = new Map<string, Map<string, AgentApproval>>();

  constructor(private readonly exchange: Exchange) {}

  find(account: string, agent: string): AgentApproval | undefined {
    return this.byAccount.get(account)?.get(agent);
  }

  /** The account's approvals, by agent address. */
  list(account: string): AgentApproval[] {
    return [...(this.byAccount.get(account)?.values() ?? [])].sort((left, right) => (left.agent < right.agent ? -1 : 1));
  }

  apply(command: AgentCommand): Accepted | Rejection {
    return command.type === "approveAgent" ? this.approve(command) : this.revoke(command);
  }

  private approve(command: ApproveAgentCommand): Accepted | Rejection {
    const markets = typeof command.markets === "string" && command.markets !== "" ? command.markets.split(",") : [];
    const invalid = this.validate(command, markets);
    if (invalid !== null) return invalid;
    const approvals = this.byAccount.get(command.account) ?? new Map<string, AgentApproval>();
    for (const [agent, approval] of approvals) if (approval.expiresAt <= command.time) approvals.delete(agent);
    if (!approvals.has(command.agent) && approvals.size >= agentsPerAccountMax) {
      return reject("AGENT_INVALID", `an account holds at most ${agentsPerAccountMax} agent keys; revoke one first`);
    }
    const approval: AgentApproval = {
      agent: command.agent,
      name: command.name,
      expiresAt: command.expiresAt,
      markets,
      maxOrderNotional: command.maxOrderNotional,
    };
    approvals.set(command.agent, approval);
    this.byAccount.set(command.account, approvals);
    const { events } = this.exchange;
    events.push({ type: "AgentApproved", sequence: command.sequence, index: events.length, time: command.time, account: command.account, ...approval });
    return accepted;
  }

  private validate(command: ApproveAgentCommand, markets: readonly string[]): Rejection | null {
    const invalid = (message: string): Rejection => reject("AGENT_INVALID", message);
    if (!isAddress(command.account)) return reject("ACCOUNT_INVALID", "account must be a lowercase 0x-prefixed 40-hex-digit address");
    if (!isAddress(command.agent)) return invalid("agent must be a lowercase 0x-prefixed 40-hex-digit address");
    if (command.agent === command.account) return invalid("an account's own wallet needs no approval; name another key as the agent");
    if (typeof command.name !== "string" || !namePattern.test(command.name)) return invalid("name must be 1 to 64 printable ASCII characters");
    if (typeof command.expiresAt !== "bigint" || command.expiresAt <= command.time) {
      return invalid(`expiresAt must lie after the current exchange time ${command.time} ns`);
    }
    if (typeof command.markets !== "string" || markets.length > agentMarketsMax) {
      return invalid(`markets must be a comma-separated list of at most ${agentMarketsMax} listed markets ("" for all)`);
    }
    for (const market of markets) {
      if (this.exchange.engine.market(market) === undefined) return reject("MARKET_NOT_FOUND", `market ${market} is not listed`);
    }
    if (new Set(markets).size !== markets.length) return invalid("markets must not repeat");
    if (!Number.isSafeInteger(command.maxOrderNotional) || command.maxOrderNotional < 0) {
      return invalid("maxOrderNotional must be a non-negative whole number of µUSD (0: no limit)");
    }
    return null;
  }

  private revoke(command: RevokeAgentCommand): Accepted | Rejection {
    const approvals = this.byAccount.get(command.account);
    if (approvals === undefined || !approvals.delete(command.agent)) {
      return reject("AGENT_NOT_FOUND", `${String(command.agent)} is not an agent of ${String(command.account)}`);
    }
    if (approvals.size === 0) this.byAccount.delete(command.account);
    const { events } = this.exchange;
    events.push({ type: "AgentRevoked", sequence: command.sequence, index: events.length, time: command.time, account: command.account, agent: command.agent });
    return accepted;
  }

  /**
   * An order command signed by an agent: the approval must exist and not have expired, and every
   * market and order must be within its scope. Null when the command may proceed.
   */
  authorize(command: AgentSigned, time: TimeNs): Rejection | null {
    // Only order commands carry a signing agent (approveAgent's `agent` is the key being approved).
    const agent = command.agent;
    if (agent === undefined || !agentCommandTypes.has(command.type)) return null;
    const denied = (message: string): Rejection => reject("AGENT_NOT_AUTHORIZED", message);
    const approval = this.find(command.account, agent);
    if (approval === undefined) return denied(`${String(agent)} is not an approved agent of ${command.account}`);
    if (approval.expiresAt <= time) return denied(`agent ${approval.name} of ${command.account} expired at ${approval.expiresAt} ns`);
    if (command.type === "cancelAll" && command.market === undefined && approval.markets.length > 0) {
      return denied(`agent ${approval.name} is limited to ${approval.markets.join(", ")}: name one of them in cancel-all`);
    }
    if (command.market !== undefined) {
      const outside = this.outsideMarkets(approval, command.market);
      if (outside !== null) return outside;
    }
    if (command.order !== undefined) {
      const refused = this.checkOrder(approval, command.order);
      if (refused !== null) return refused;
    }
    for (const item of command.items ?? []) {
      const market = item.order?.market ?? item.market;
      if (market !== undefined) {
        const outside = this.outsideMarkets(approval, market);
        if (outside !== null) return outside;
      }
      if (item.order !== undefined) {
        const refused = this.checkOrder(approval, item.order);
        if (refused !== null) return refused;
      }
    }
    return null;
  }

  private outsideMarkets(approval: AgentApproval, market: string): Rejection | null {
    if (approval.markets.length === 0 || approval.markets.includes(market)) return null;
    return reject("AGENT_NOT_AUTHORIZED", `agent ${approval.name} may trade ${approval.markets.join(", ")} only, not ${String(market)}`);
  }

  private checkOrder(approval: AgentApproval, order: OrderSpec): Rejection | null {
    const outside = this.outsideMarkets(approval, order.market);
    if (outside !== null) return outside;
    if (approval.maxOrderNotional === 0) return null;
    const market = this.exchange.engine.market(order.market);
    // An unlisted market or a malformed order is the engine's to reject, with its own code.
    if (market === undefined || !Number.isSafeInteger(order.size) || order.size <= 0) return null;
    // A market order without a limit is valued at the highest price the band allows: the worst case.
    const price = order.price ?? market.bandHighest();
    if (!Number.isSafeInteger(price) || price <= 0) return null;
    const value = notional(price, order.size, this.exchange.perpMarkets[market.index]!.quotePerTickLot);
    if (value <= approval.maxOrderNotional) return null;
    return reject(
      "AGENT_NOT_AUTHORIZED",
      `agent ${approval.name} may place orders of at most ${approval.maxOrderNotional} µUSD notional; this order is ${value} µUSD`,
      { maxOrderNotional: String(approval.maxOrderNotional), notional: String(value) },
    );
  }

  writeState(writer: CanonicalWriter): void {
    const accounts = [...this.byAccount.keys()].sort();
    writer.u32(accounts.length);
    for (const account of accounts) {
      const approvals = this.list(account);
      writer.string(account);
      writer.u32(approvals.length);
      for (const approval of approvals) {
        writer.string(approval.agent);
        writer.string(approval.name);
        writer.i64(approval.expiresAt);
        writer.u32(approval.markets.length);
        for (const market of approval.markets) writer.string(market);
        writer.safeInteger(approval.maxOrderNotional);
      }
    }
  }

  readState(reader: CanonicalReader): void {
    assert(this.byAccount.size === 0, "agents are restored into an empty registry");
    for (let accounts = reader.u32(); accounts > 0; accounts -= 1) {
      const account = reader.string();
      const approvals = new Map<string, AgentApproval>();
      for (let count = reader.u32(); count > 0; count -= 1) {
        const agent = reader.string();
        const name = reader.string();
        const expiresAt = reader.i64();
        const markets: string[] = [];
        for (let marketCount = reader.u32(); marketCount > 0; marketCount -= 1) markets.push(reader.string());
        approvals.set(agent, { agent, name, expiresAt, markets, maxOrderNotional: reader.safeInteger() });
      }
      this.byAccount.set(account, approvals);
    }
  }
}
