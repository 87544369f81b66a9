// Proves the log's opening rule: the genesis command at sequence 1 builds the exchange with the limits it
// carries (to the core it is a tick), a log that opens with anything else is invalid, and a genesis
// command anywhere after sequence 1 is invalid too, before the exchange changes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultLimits, exchangeStateHash } from "@perpdex/core";
import { LogInvalidError, LogState, demoGenesis, genesisCommands, type LogCommand } from "../src/index.ts";

const time = 1_767_225_600_000_000_000n;

test("log state: the genesis command builds the exchange with its limits", () => {
  const state = new LogState();
  const limits = { ...defaultLimits, batchItemsMax: 7, fillsPerOrderMax: 99 };
  const result = state.apply({ type: "genesis", sequence: 1, time, limits });
  assert.deepEqual(result, { ok: true });
  assert.deepEqual(state.exchange.engine.limits, limits);
  assert.equal(state.lastSequence, 1);
  assert.equal(state.lastTime, time);
  assert.deepEqual(state.exchange.events, [], "a tick at genesis emits nothing");
});

test("log state: a log must open with its genesis command, and holds only one", () => {
  const opensWithMarket = new LogState();
  const market = genesisCommands(demoGenesis)[1]!;
  assert.throws(() => opensWithMarket.apply({ ...market, sequence: 1, time } as LogCommand), LogInvalidError);
  assert.equal(opensWithMarket.lastSequence, 0, "nothing was applied");

  const state = new LogState();
  state.apply({ type: "genesis", sequence: 1, time, limits: defaultLimits });
  state.apply({ ...market, sequence: 2, time: time + 1n } as LogCommand);
  const before = exchangeStateHash(state.exchange);
  const exchange = state.exchange;
  assert.throws(() => state.apply({ type: "genesis", sequence: 3, time: time + 2n, limits: defaultLimits }), LogInvalidError);
  assert.equal(state.exchange, exchange, "the exchange is not replaced");
  assert.equal(exchangeStateHash(state.exchange), before);
});
