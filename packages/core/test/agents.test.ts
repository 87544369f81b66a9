// Proves agent keys in the core: an approval is logged state (in the state hash, the snapshot and
// replay); an order command naming an agent is refused unless that agent is approved, unexpired, and the
// order lies within its markets and its largest notional; revocation ends it; a refused command changes
// nothing (the harness's twin check); and approvals are validated with codes that say what is wrong.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { exchangeStateHash, restoreExchange } from "@perpdex/core";
import { ExchangeHarness, account, btcSpec, ethSpec, eventsOf, limit, nanosecondsPerMinute, replayExchange, snapshotBytes } from "./exchange-harness.ts";

const [wallet, bot, other] = ["a", "b", "c"].map(account) as [string, string, string];

function harnessWithAgent(): ExchangeHarness {
  const harness = new ExchangeHarness();
  harness.list(btcSpec());
  harness.list(ethSpec());
  harness.fund(wallet, 100_000);
  // BTC at 50,000 ticks of $1 and 0.001 BTC lots: 1,000 µUSD a tick-lot. 1 BTC = 1,000 lots = $50,000.
  harness.ok({ type: "approveAgent", account: wallet, agent: bot, name: "grid", expiresAt: harness.time + 60n * nanosecondsPerMinute, markets: "BTC-PERP", maxOrderNotional: 10_000_000_000 });
  return harness;
}

describe("agent keys", () => {
  it("an approval emits AgentApproved and lets the agent trade within its scope", () => {
    const harness = harnessWithAgent();
    const approved = eventsOf(harness.steps[harness.steps.length - 1]!.events, "AgentApproved");
    assert.deepEqual(approved.map((event) => [event.account, event.agent, event.name, event.markets, event.maxOrderNotional]), [[wallet, bot, "grid", ["BTC-PERP"], 10_000_000_000]]);
    // 0.2 BTC at $50,000 = $10,000: exactly the limit.
    harness.ok({ type: "placeOrder", account: wallet, order: limit("BTC-PERP", "buy", 50_000, 200), agent: bot });
    const tooBig = harness.rejected({ type: "placeOrder", account: wallet, order: limit("BTC-PERP", "buy", 50_000, 201), agent: bot }, "AGENT_NOT_AUTHORIZED");
    assert.deepEqual(tooBig.details, { maxOrderNotional: "10000000000", notional: "10050000000" });
    harness.rejected({ type: "placeOrder", account: wallet, order: limit("ETH-PERP", "buy", 300_000, 1), agent: bot }, "AGENT_NOT_AUTHORIZED");
    harness.rejected({ type: "cancelAll", account: wallet, agent: bot }, "AGENT_NOT_AUTHORIZED");
    harness.ok({ type: "cancelAll", account: wallet, market: "BTC-PERP", agent: bot });
    harness.rejected(
      { type: "batch", account: wallet, items: [{ type: "placeOrder", order: limit("BTC-PERP", "buy", 49_000, 1) }, { type: "placeOrder", order: limit("ETH-PERP", "buy", 300_000, 1) }], agent: bot },
      "AGENT_NOT_AUTHORIZED",
    );
  });

  it("another key, an expired approval and a revoked one are refused", () => {
    const harness = harnessWithAgent();
    harness.rejected({ type: "placeOrder", account: wallet, order: limit("BTC-PERP", "buy", 50_000, 1), agent: other }, "AGENT_NOT_AUTHORIZED");
    harness.ok({ type: "revokeAgent", account: wallet, agent: bot });
    harness.rejected({ type: "placeOrder", account: wallet, order: limit("BTC-PERP", "buy", 50_000, 1), agent: bot }, "AGENT_NOT_AUTHORIZED");
    harness.rejected({ type: "revokeAgent", account: wallet, agent: bot }, "AGENT_NOT_FOUND");
    harness.ok({ type: "approveAgent", account: wallet, agent: bot, name: "brief", expiresAt: harness.time + nanosecondsPerMinute, markets: "", maxOrderNotional: 0 });
    harness.ok({ type: "placeOrder", account: wallet, order: limit("ETH-PERP", "buy", 300_000, 1), agent: bot });
    harness.tick(harness.time + nanosecondsPerMinute);
    const expired = harness.rejected({ type: "placeOrder", account: wallet, order: limit("BTC-PERP", "buy", 50_000, 1), agent: bot }, "AGENT_NOT_AUTHORIZED");
    assert.match(expired.message, /expired/);
  });

  it("approvals are validated", () => {
    const harness = harnessWithAgent();
    const base = { type: "approveAgent" as const, account: wallet, agent: other, name: "x", expiresAt: harness.time + nanosecondsPerMinute, markets: "", maxOrderNotional: 0 };
    harness.rejected({ ...base, agent: wallet }, "AGENT_INVALID");
    harness.rejected({ ...base, agent: "0xNOPE" }, "AGENT_INVALID");
    harness.rejected({ ...base, name: "" }, "AGENT_INVALID");
    harness.rejected({ ...base, expiresAt: harness.time }, "AGENT_INVALID");
    harness.rejected({ ...base, markets: "DOGE-PERP" }, "MARKET_NOT_FOUND");
    harness.rejected({ ...base, markets: "BTC-PERP,BTC-PERP" }, "AGENT_INVALID");
    harness.rejected({ ...base, maxOrderNotional: -1 }, "AGENT_INVALID");
  });

  it("approvals are in the state hash, the snapshot and replay", () => {
    const harness = harnessWithAgent();
    const before = exchangeStateHash(harness.exchange);
    harness.ok({ type: "approveAgent", account: wallet, agent: other, name: "second", expiresAt: harness.time + nanosecondsPerMinute, markets: "ETH-PERP,BTC-PERP", maxOrderNotional: 5 });
    assert.notEqual(exchangeStateHash(harness.exchange), before, "an approval changes the state hash");
    const restored = restoreExchange(snapshotBytes(harness.exchange));
    assert.equal(exchangeStateHash(restored), exchangeStateHash(harness.exchange));
    assert.deepEqual(restored.agents.list(wallet), harness.exchange.agents.list(wallet));
    const replayed = replayExchange(harness.log);
    assert.equal(replayed.hashes[replayed.hashes.length - 1], exchangeStateHash(harness.exchange));
  });
});
