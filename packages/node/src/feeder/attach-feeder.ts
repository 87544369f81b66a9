// Runs the oracle feeder inside a node process, against ExchangeNode.submit: `perpdex start --oracle-feeder
// random` (a seeded random walk from each market's reference price) or `--oracle-feeder csv:<file>`.
import { readFileSync } from "node:fs";
import type { ExchangeNode } from "../exchange-node.ts";
import { privateKeyToAccount } from "viem/accounts";
import { demoGenesisOracleSources, type GenesisConfig } from "../genesis.ts";
import type { NodeLogger } from "../logger.ts";
import { demoOracleKeys } from "./demo-sources.ts";
import { OracleFeeder } from "./feeder.ts";
import { CsvPriceSource, RandomWalkSource, type PriceSource } from "./price-sources.ts";

/**
 * Options of attachOracleFeeder: "random" or "csv:<path>", the interval, and the genesis whose oracle
 * sources it signs for (only sources with demo keys can be fed).
 *
 * @example
 * const options: AttachFeederOptions = { mode: "random", intervalMs: 1_000, genesis: demoGenesis, logger };
 */
export interface AttachFeederOptions {
  readonly mode: string;
  readonly intervalMs: number;
  readonly genesis: GenesisConfig;
  readonly logger: NodeLogger;
  /** The random walk's seed (default 1). */
  readonly seed?: number;
}

/**
 * Starts a feeder for the genesis's oracle sources (the demo sources when it lists none), registering those
 * the log lacks; stop it with `await feeder.stop()` before closing the node.
 *
 * @example
 * const feeder = await attachOracleFeeder(node, { mode: "random", intervalMs: 1_000, genesis: demoGenesis, logger });
 */
export async function attachOracleFeeder(node: ExchangeNode, options: AttachFeederOptions): Promise<OracleFeeder> {
  const sources = options.genesis.oracleSources ?? demoGenesisOracleSources;
  // Sources the log does not know yet are registered first (admin commands, journaled like any other).
  for (const source of sources) {
    if (node.exchange.oracles.sourcesById.has(source.source)) continue;
    const ack = await node.submit({ type: "registerOracleSource", ...source });
    if (!ack.result.ok) throw new Error(`feeder: registering ${source.source} was rejected: ${JSON.stringify(ack.result)}`);
  }
  const signers = new Map(sources.map((source) => [source.source, source.signer]));
  const subjects = [...new Set(sources.map((source) => source.subject))];
  // Only sources whose demo key is the registered signer can be fed.
  const keys = demoOracleKeys(subjects).filter((key) => signers.get(key.source) === privateKeyToAccount(key.privateKey).address.toLowerCase());
  let prices: PriceSource;
  if (options.mode === "random") {
    const start = Object.fromEntries(options.genesis.markets.map((market) => [market.symbol, market.referencePriceTicks as number]));
    prices = new RandomWalkSource({ seed: options.seed ?? 1, start });
  } else if (options.mode.startsWith("csv:")) {
    prices = new CsvPriceSource(readFileSync(options.mode.slice(4), "utf8"));
  } else {
    throw new Error(`--oracle-feeder must be "random" or "csv:<file>", not "${options.mode}"`);
  }
  const feeder = new OracleFeeder({
    sources: keys,
    prices,
    submit: (input) => node.submit(input),
    now: () => BigInt(Date.now()) * 1_000_000n,
    onError: (error) => options.logger.warn({ error: error.message }, "feeder: round failed"),
  });
  feeder.start(options.intervalMs);
  options.logger.info({ sources: keys.length, mode: options.mode, intervalMs: options.intervalMs }, "feeder: started");
  return feeder;
}
