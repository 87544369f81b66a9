// Proves the multi-oracle path (PRD §2.6, §6.2.2): the aggregate is PRD §2.6.2 to the tick (median, MAD,
// 3 × MAD outliers, reputation × recency × confidence weights, min confidence × agreement); a source 20 %
// off is rejected and two colluding sources out of five are outvoted; bad updates are refused with stable
// codes (the signature itself is verified at the edge: packages/node/test/feeder.test.ts); stale sources,
// missing quorum and low confidence stop the market from opening positions while reduce-only orders still
// trade; unreliable sources are disabled automatically and re-enabled by admin; the primary fails over;
// collateral prices come the same way; the state is in the hash and the snapshot. Every command runs
// through the ExchangeHarness, so the invariants and the rejection-versus-twin check hold after each.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { aggregateOracle, exchangeStateHash, integerSquareRoot, oracleView, recencyPpm, restoreExchange, type OracleQuote } from "@perpdex/core";
import {
  ExchangeHarness,
  account,
  btcSpec,
  epoch,
  eventsOf,
  limit,
  nanosecondsPerSecond,
  replayExchange,
  snapshotBytes,
  type ExchangeStep,
} from "./exchange-harness.ts";

const alice = account("a");
const bob = account("b");
const signature = "0x" + "5".repeat(130);
const signerOf = (index: number): string => "0x" + (index + 1).toString(16).padStart(2, "0").repeat(20);
const second = (seconds: number): bigint => epoch + BigInt(seconds) * nanosecondsPerSecond;

interface Setup {
  readonly harness: ExchangeHarness;
  readonly subject: string;
}

/** BTC-PERP with `count` sources s0 … s(count−1), reputation 100 (or as given), weight 1. */
function withSources(count: number, reputations: readonly number[] = []): Setup {
  const harness = new ExchangeHarness();
  harness.list(btcSpec({ referencePriceTicks: 95_000 as never }));
  for (let index = 0; index < count; index += 1) {
    harness.ok({ type: "registerOracleSource", source: `s${index}`, subject: "BTC-PERP", signer: signerOf(index), reputation: reputations[index] ?? 100, weight: 1 });
  }
  return { harness, subject: "BTC-PERP" };
}

function quote(setup: Setup, index: number, price: number, options: { at?: bigint; publishTime?: bigint; confidencePpm?: number; signer?: string } = {}): ExchangeStep {
  const at = options.at ?? setup.harness.time + 1_000_000n;
  return setup.harness.apply(
    {
      type: "oraclePrice",
      source: `s${index}`,
      subject: setup.subject,
      price,
      confidencePpm: options.confidencePpm ?? 1_000_000,
      publishTime: options.publishTime ?? at,
      signer: options.signer ?? signerOf(index),
      signature,
    },
    at,
  );
}

/** Every source quotes once, published at the same instant, in consecutive milliseconds. */
function round(setup: Setup, prices: readonly number[], publishTime?: bigint): ExchangeStep[] {
  const published = publishTime ?? setup.harness.time + 1_000_000n;
  return prices.map((price, index) => {
    const step = quote(setup, index, price, { at: published + BigInt(index + 1) * 1_000_000n, publishTime: published });
    assert.ok(step.result.ok, JSON.stringify(step.result));
    return step;
  });
}

const lastAggregate = (steps: readonly ExchangeStep[]) => eventsOf(steps[steps.length - 1]!.events, "OracleAggregated")[0];

describe("aggregation (PRD §2.6.2)", () => {
  it("three agreeing sources: weighted mean, confidence = min × (1 − stddev / mean)", () => {
    const setup = withSources(3);
    const aggregate = lastAggregate(round(setup, [95_000, 95_010, 95_020]));
    // mean 95_010; stddev = √(200/3) = 8.165 → 85.94 ppm, rounded up to 86: 10^6 × (1 − 86 ppm).
    assert.deepEqual({ price: aggregate?.price, confidencePpm: aggregate?.confidencePpm, rejected: aggregate?.rejected }, { price: 95_010, confidencePpm: 999_914, rejected: [] });
    assert.equal(setup.harness.perpMarket("BTC-PERP").indexPrice, 95_010);
  });

  it("one source 20 % off is rejected as an outlier", () => {
    const setup = withSources(3);
    const aggregate = lastAggregate(round(setup, [95_000, 95_010, 114_012]));
    // median 95_010, MAD 10 floored to 0.05 % = 48 ticks; 19_002 > 3 × 48. Mean of the rest, half up.
    assert.deepEqual([aggregate?.price, aggregate?.rejected, aggregate?.confidencePpm], [95_005, ["s2"], 999_947]);
    assert.equal(oracleView(setup.harness.exchange, "BTC-PERP")?.sources[2]?.outliers, 1);
  });

  it("two colluding sources out of five are outvoted", () => {
    const setup = withSources(5);
    const aggregate = lastAggregate(round(setup, [95_000, 95_004, 95_010, 104_511, 104_511]));
    assert.deepEqual([aggregate?.price, aggregate?.rejected], [95_005, ["s3", "s4"]]);
    assert.equal(setup.harness.perpMarket("BTC-PERP").indexPrice, 95_005);
  });

  it("weights are reputation × recency × confidence", () => {
    // s0 (reputation 100) at 95_000 and s1 (reputation 50) at 95_030 with equal age and confidence:
    // (2 × 95_000 + 1 × 95_030) / 3 = 95_010.
    const setup = withSources(2, [100, 50]);
    assert.equal(lastAggregate(round(setup, [95_000, 95_030]))?.price, 95_010);
    // s0 (reputation 100) published one half-life (10 s) before s1 (50): weights 100 × ½ and 50 × 1 → the mean.
    const later = withSources(2, [100, 50]);
    quote(later, 0, 95_000, { at: second(1), publishTime: second(1) });
    const step = quote(later, 1, 95_030, { at: second(11), publishTime: second(11) });
    assert.equal(eventsOf(step.events, "OracleAggregated")[0]?.price, 95_015);
  });

  it("aggregateOracle: even counts, exact MAD test, integer square root, decay table", () => {
    const quoteAt = (price: number): OracleQuote => ({ price, confidencePpm: 1_000_000, reputation: 100, weight: 1, publishTime: 0n });
    const result = aggregateOracle({ quotes: [10_000, 10_001, 10_003, 10_004].map(quoteAt), time: 0n, halfLife: 1n, madFloorPpm: 0 });
    // median 10_002 (10_001 + 10_003) / 2; deviations 2, 1, 1, 2 → MAD 1.5; 3 × MAD = 4.5: all kept.
    assert.deepEqual([result.median, result.accepted], [10_002, [true, true, true, true]]);
    const outlier = aggregateOracle({ quotes: [10_000, 10_001, 10_003, 10_007].map(quoteAt), time: 0n, halfLife: 1n, madFloorPpm: 0 });
    // median 10_002; deviations 2, 1, 1, 5 → MAD 1.5; 5 > 4.5: rejected.
    assert.deepEqual(outlier.accepted, [true, true, true, false]);
    assert.deepEqual([integerSquareRoot(0n), integerSquareRoot(15n), integerSquareRoot(16n), integerSquareRoot(10n ** 30n)], [0n, 3n, 4n, 10n ** 15n]);
    const halfLife = 16_000n;
    assert.deepEqual(
      [0n, 1_000n, 8_000n, 16_000n, 32_000n, 48_000n, 16_000n * 20n].map((age) => recencyPpm({ age, halfLife })),
      [1_000_000, 957_603, 707_107, 500_000, 250_000, 125_000, 0],
    );
  });
});

describe("bad updates are refused with stable codes", () => {
  const cases: readonly { name: string; code: string; edit: (setup: Setup) => ExchangeStep }[] = [
    { name: "unknown source", code: "ORACLE_SOURCE_UNKNOWN", edit: (setup) => setup.harness.apply({ type: "oraclePrice", source: "nobody", subject: "BTC-PERP", price: 1, confidencePpm: 1, publishTime: setup.harness.time, signer: signerOf(0), signature }) },
    { name: "a signer that is not the source's", code: "ORACLE_SIGNER_MISMATCH", edit: (setup) => quote(setup, 0, 95_000, { signer: signerOf(9) }) },
    { name: "out of order", code: "ORACLE_UPDATE_OUT_OF_ORDER", edit: (setup) => quote(setup, 0, 95_000, { publishTime: second(1) }) },
    { name: "too old", code: "ORACLE_UPDATE_TOO_OLD", edit: (setup) => quote(setup, 1, 95_000, { at: second(200), publishTime: second(139) }) },
    { name: "from the future", code: "ORACLE_UPDATE_INVALID", edit: (setup) => quote(setup, 1, 95_000, { at: second(200), publishTime: second(203) }) },
    { name: "confidence 0", code: "ORACLE_UPDATE_INVALID", edit: (setup) => quote(setup, 1, 95_000, { confidencePpm: 0 }) },
    { name: "price 0", code: "ORACLE_UPDATE_INVALID", edit: (setup) => quote(setup, 1, 0) },
  ];
  for (const { name, code, edit } of cases) {
    it(name, () => {
      const setup = withSources(3);
      quote(setup, 0, 95_000, { at: second(2), publishTime: second(2) });
      const step = edit(setup);
      assert.equal(step.result.ok, false);
      assert.equal("code" in step.result ? step.result.code : "", code);
    });
  }

  it("registration is checked", () => {
    const { harness } = withSources(0);
    harness.rejected({ type: "registerOracleSource", source: "UPPER", subject: "BTC-PERP", signer: signerOf(0), reputation: 1, weight: 1 }, "ORACLE_SOURCE_INVALID");
    harness.rejected({ type: "registerOracleSource", source: "a", subject: "XYZ-PERP", signer: signerOf(0), reputation: 1, weight: 1 }, "ORACLE_SOURCE_INVALID");
    harness.rejected({ type: "registerOracleSource", source: "a", subject: "BTC-PERP", signer: "0x12", reputation: 1, weight: 1 }, "ORACLE_SOURCE_INVALID");
    harness.rejected({ type: "registerOracleSource", source: "a", subject: "BTC-PERP", signer: signerOf(0), reputation: 101, weight: 1 }, "ORACLE_SOURCE_INVALID");
    harness.ok({ type: "registerOracleSource", source: "a", subject: "BTC-PERP", signer: signerOf(0), reputation: 1, weight: 1 });
    harness.rejected({ type: "registerOracleSource", source: "a", subject: "USDC", signer: signerOf(0), reputation: 1, weight: 1 }, "ORACLE_SOURCE_INVALID");
  });
});

/** Alice and Bob each hold a long/short of 0.1 BTC; the oracle is healthy at 95_005. */
function trading(): Setup {
  const setup = withSources(3);
  const { harness } = setup;
  harness.fund(alice, 100_000);
  harness.fund(bob, 100_000);
  round(setup, [95_000, 95_005, 95_010], second(1));
  harness.placeOk(alice, limit("BTC-PERP", "buy", 95_000, 100));
  harness.placeOk(bob, limit("BTC-PERP", "sell", 95_000, 100));
  assert.equal(harness.position(alice, "BTC-PERP")?.size, 100);
  return setup;
}

describe("monitoring (PRD §2.6 oracle monitoring, §6.2.2 oracle security)", () => {
  it("stale sources: the market stops opening positions, reduce-only still trades, fresh prices heal it", () => {
    const setup = trading();
    const { harness } = setup;
    harness.tick(second(62));
    assert.deepEqual(harness.lastEvents("OracleHealthChanged").map((event) => [event.healthy, event.reason]), [[false, "stale"]]);
    const refused = harness.rejected({ type: "placeOrder", account: bob, order: limit("BTC-PERP", "sell", 95_100, 10) }, "ORACLE_UNHEALTHY");
    assert.match(refused.message, /stale/);
    harness.placeOk(alice, limit("BTC-PERP", "sell", 95_100, 10, { reduceOnly: true }));
    round(setup, [95_100, 95_105, 95_110]);
    assert.ok(harness.exchange.oracles.subjectsByName.get("BTC-PERP")?.healthy);
    harness.placeOk(bob, limit("BTC-PERP", "sell", 95_200, 10));
  });

  it("all sources failing: one source left is below the quorum of two", () => {
    const setup = trading();
    const { harness } = setup;
    harness.tick(second(70));
    quote(setup, 0, 95_000);
    assert.equal(harness.exchange.oracles.subjectsByName.get("BTC-PERP")?.reason, "quorum");
    harness.rejected({ type: "placeOrder", account: bob, order: limit("BTC-PERP", "buy", 95_000, 10) }, "ORACLE_UNHEALTHY");
    assert.equal(harness.perpMarket("BTC-PERP").indexPrice, 95_005, "the index keeps its last good value");
  });

  it("confidence below the bound: the aggregate is not applied and opening stops", () => {
    const setup = trading();
    const { harness } = setup;
    const published = harness.time + 1_000_000n;
    for (let index = 0; index < 3; index += 1) quote(setup, index, 95_005 + index, { at: published + BigInt(index + 1) * 1_000_000n, publishTime: published, confidencePpm: 400_000 });
    assert.equal(harness.exchange.oracles.subjectsByName.get("BTC-PERP")?.reason, "confidence");
    assert.equal(harness.perpMarket("BTC-PERP").indexPrice, 95_005);
    harness.rejected({ type: "placeOrder", account: bob, order: limit("BTC-PERP", "buy", 95_000, 10) }, "ORACLE_UNHEALTHY");
  });

  it("a source that stays off is disabled automatically; an admin re-enables it", () => {
    const setup = withSources(3);
    const { harness } = setup;
    let disabledAt = -1;
    for (let roundIndex = 0; roundIndex < 6; roundIndex += 1) {
      const steps = round(setup, [95_000 + roundIndex, 95_005 + roundIndex, 120_000]);
      if (eventsOf(steps[2]!.events, "OracleSourceStatusChanged").length > 0) disabledAt = roundIndex;
    }
    // 100 − 10 per outlier (after +1 for nothing): 90, 80, 70, 60, 50, 40 → below 50 on the sixth.
    assert.equal(disabledAt, 5);
    assert.equal(oracleView(harness.exchange, "BTC-PERP")?.sources[2]?.enabled, false);
    const refused = quote(setup, 2, 95_000);
    assert.equal("code" in refused.result ? refused.result.code : "", "ORACLE_SOURCE_DISABLED");
    harness.ok({ type: "setOracleSource", source: "s2", enabled: true });
    assert.ok(quote(setup, 2, 95_000).result.ok);
    assert.equal(oracleView(harness.exchange, "BTC-PERP")?.sources[2]?.reliability, 100);
  });

  it("failover: when the primary goes stale the next source becomes primary", () => {
    const setup = withSources(3, [90, 80, 70]);
    const { harness } = setup;
    assert.equal(oracleView(harness.exchange, "BTC-PERP")?.primary, "s0");
    round(setup, [95_000, 95_001, 95_002], second(1));
    quote(setup, 1, 95_001, { at: second(40), publishTime: second(40) });
    quote(setup, 2, 95_002, { at: second(41), publishTime: second(41) });
    const step = harness.tick(second(62));
    assert.deepEqual(eventsOf(step.events, "OracleFailover").map((event) => [event.from, event.to]), [["s0", "s1"]]);
    assert.ok(harness.exchange.oracles.subjectsByName.get("BTC-PERP")?.healthy, "two fresh sources keep the index");
  });

  it("update frequency and deviation are tracked per source", () => {
    const setup = withSources(3);
    round(setup, [95_000, 95_010, 95_020], second(1));
    round(setup, [95_000, 95_010, 95_020], second(3));
    round(setup, [95_000, 95_010, 95_020], second(5));
    const view = oracleView(setup.harness.exchange, "BTC-PERP")!;
    assert.deepEqual(view.sources.map((source) => [source.updates, source.intervalNs, source.deviationPpm]), [
      [3, 2_000_000_000n, -105],
      [3, 2_000_000_000n, 0],
      [3, 2_000_000_000n, 105],
    ]);
  });

  it("collateral prices come through the same path", () => {
    const { harness } = withSources(0);
    for (let index = 0; index < 3; index += 1) {
      harness.ok({ type: "registerOracleSource", source: `usdt${index}`, subject: "USDT", signer: signerOf(index), reputation: 100, weight: 1 });
    }
    const published = harness.time + 1_000_000n;
    [999_000, 1_000_000, 1_001_000].forEach((price, index) => {
      harness.ok({ type: "oraclePrice", source: `usdt${index}`, subject: "USDT", price, confidencePpm: 1_000_000, publishTime: published, signer: signerOf(index), signature }, published + BigInt(index + 1) * 1_000_000n);
    });
    assert.equal(harness.exchange.prices.pricePpm[1], 1_000_000);
    assert.deepEqual(harness.lastEvents("CollateralPriceUpdated").map((event) => event.price), [1_000_000]);
  });

  it("oracle state is in the hash and survives a snapshot", () => {
    const setup = trading();
    const { harness } = setup;
    quote(setup, 0, 95_003);
    const restored = restoreExchange(snapshotBytes(harness.exchange));
    assert.equal(exchangeStateHash(restored), exchangeStateHash(harness.exchange));
    const before = exchangeStateHash(harness.exchange);
    quote(setup, 1, 95_004);
    assert.notEqual(exchangeStateHash(harness.exchange), before);
    assert.deepEqual(oracleView(restored, "BTC-PERP")?.sources.map((source) => source.price), [95_003, 95_005, 95_010]);
  });
});

describe("property: random oracle streams", () => {
  it("the index stays within the honest sources' range however two of five collude; invariants hold; replay agrees", () => {
    const runs = Number(process.env.PERPDEX_RUNS ?? 25);
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            honest: fc.tuple(fc.integer({ min: 90_000, max: 100_000 }), fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 30 })),
            colluders: fc.tuple(fc.integer({ min: 1, max: 2_000_000 }), fc.integer({ min: 1, max: 2_000_000 })),
            confidence: fc.integer({ min: 600_000, max: 1_000_000 }),
            waitSeconds: fc.integer({ min: 0, max: 90 }),
          }),
          { minLength: 1, maxLength: 6 },
        ),
        (rounds) => {
          const setup = withSources(5);
          for (const { honest, colluders, confidence, waitSeconds } of rounds) {
            const [base, up, down] = honest;
            const honestPrices = [base, base + up, base - down];
            if (waitSeconds > 0) setup.harness.tick(setup.harness.time + BigInt(waitSeconds) * nanosecondsPerSecond);
            const published = setup.harness.time + 1_000_000n;
            const prices = [...honestPrices, ...colluders];
            prices.forEach((price, index) => {
              quote(setup, index, price, { at: published + BigInt(index + 1) * 1_000_000n, publishTime: published, confidencePpm: confidence });
            });
            const subject = setup.harness.exchange.oracles.subjectsByName.get("BTC-PERP")!;
            if (subject.aggregatedAt !== published + 5_000_000n) continue;
            // MAD ≤ the honest spread (three of five deviations are), floored at 0.05 %: an accepted price is
            // within 3 × that of the median, which lies in the honest range.
            const spread = Math.max(up + down, Math.ceil(base * 0.0005) + 1);
            assert.ok(subject.price >= base - down - 3 * spread && subject.price <= base + up + 3 * spread, `index ${subject.price} vs honest ${honestPrices}`);
          }
          // The log is the truth: a replay and a restored snapshot reach the same state hash.
          const hash = exchangeStateHash(setup.harness.exchange);
          assert.equal(replayExchange(setup.harness.log).hashes.at(-1), hash);
          assert.equal(exchangeStateHash(restoreExchange(snapshotBytes(setup.harness.exchange))), hash);
        },
      ),
      process.env.PERPDEX_SEED === undefined ? { numRuns: runs } : { numRuns: runs, seed: Number(process.env.PERPDEX_SEED) },
    );
  });
});
