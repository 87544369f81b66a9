import { Engine, Exchange, type Command, type CommandResult, type ExchangeEvent } from "@perpdex/core";
import { nowNs } from "./measure.ts";
import { benchLimits, benchMarket, type Workload } from "./workload.ts";

// Runs the workload through perpdex's core. The timed loops do what a node does with each command:
// apply it and take its events. Events are counted and one field of the last event of each command is
// folded into a checksum, so nothing the engine produces can be skipped as unused.

export interface PassCounts {
  readonly elapsedNs: number;
  readonly commands: number;
  /** perpdex: events. nodejs-order-book: orders reported done or partial, plus canceled orders. */
  readonly outputs: number;
  /** Commands the engine refused (perpdex rejections, nodejs-order-book errors such as STP). */
  readonly refused: number;
  readonly checksum: number;
}

/** What a pass drives: the bare matching engine or the full perpetual exchange. */
export interface Applier {
  apply(command: Command): CommandResult;
  readonly events: readonly ExchangeEvent[];
}

/**
 * A fresh bare engine with the market and the prefill applied (untimed). The setup's deposits are
 * rejected as unknown commands (COMMAND_INVALID): the matching engine holds no money.
 */
export function preparePerpdex(workload: Workload): Engine {
  const engine = new Engine({ limits: benchLimits });
  for (const command of workload.setup) {
    const result = engine.apply(command as Command);
    const skipped = command.type === "deposit" && !result.ok && result.code === "COMMAND_INVALID";
    if (!result.ok && !skipped) throw new Error(`perpdex setup command ${command.sequence} rejected: ${result.code}`);
  }
  return engine;
}

/** A fresh full engine (Exchange): funded accounts, margin checks, fees, positions, events. */
export function prepareExchange(workload: Workload): Exchange {
  const exchange = new Exchange({ limits: benchLimits });
  for (const command of workload.setup) {
    const result = exchange.apply(command);
    if (!result.ok) throw new Error(`exchange setup command ${command.sequence} rejected: ${result.code}`);
  }
  return exchange;
}

/** The first `commands` commands of the stream with one clock read before and one after. */
export function perpdexThroughputPass(engine: Applier, stream: readonly Command[], commands: number): PassCounts {
  let outputs = 0;
  let refused = 0;
  let checksum = 0;
  const started = nowNs();
  for (let index = 0; index < commands; index += 1) {
    const result = engine.apply(stream[index]!);
    if (!result.ok) refused += 1;
    const events = engine.events;
    const count = events.length;
    outputs += count;
    if (count > 0) checksum = (checksum + events[count - 1]!.index) | 0;
  }
  const elapsedNs = nowNs() - started;
  return { elapsedNs, commands, outputs, refused, checksum };
}

/** The same loop with a clock read around each command; `durations[i]` gets command i's nanoseconds. */
export function perpdexLatencyPass(engine: Applier, stream: readonly Command[], durations: Float64Array): PassCounts {
  let outputs = 0;
  let refused = 0;
  let checksum = 0;
  const started = nowNs();
  for (let index = 0; index < stream.length; index += 1) {
    const before = nowNs();
    const result = engine.apply(stream[index]!);
    if (!result.ok) refused += 1;
    const events = engine.events;
    const count = events.length;
    outputs += count;
    if (count > 0) checksum = (checksum + events[count - 1]!.index) | 0;
    durations[index] = nowNs() - before;
  }
  const elapsedNs = nowNs() - started;
  return { elapsedNs, commands: stream.length, outputs, refused, checksum };
}

/** Price levels best first: [price, lots] for asks and for bids, the shape nodejs-order-book reports. */
export type BookDepth = readonly [asks: readonly (readonly [number, number])[], bids: readonly (readonly [number, number])[]];

export function perpdexDepth(engine: Engine): BookDepth {
  const market = engine.market(benchMarket.symbol)!;
  const bestFirst = (levels: readonly { price: number; totalLots: number }[]): [number, number][] =>
    levels.map((level): [number, number] => [level.price, level.totalLots]).reverse();
  return [bestFirst(market.asks.levels), bestFirst(market.bids.levels)];
}
