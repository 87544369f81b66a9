// The exchange a command log builds. A log opens with its genesis command (sequence 1), which carries
// the engine limits: whoever replays the log builds the Exchange from them, so every replica — recovery,
// the follower, the offline tools, an auditor — runs with the limits the node ran with. The genesis
// command is the log's, not the core's: to the core, sequence 1 is a tick.
import { Exchange, type CommandResult, type ExchangeCommand } from "@perpdex/core";
import type { GenesisCommandInput } from "@perpdex/protocol";
import { LogInvalidError } from "./errors.ts";

/** The genesis command with the sequencer's stamp (always sequence 1). */
export type GenesisCommand = GenesisCommandInput & { readonly sequence: number; readonly time: bigint };

/** Anything a journal record holds, stamped: an exchange command or the log's genesis command. */
export type LogCommand = ExchangeCommand | GenesisCommand;

/**
 * The state of a log: an Exchange, replaced once, by the log's genesis command.
 *
 * @example
 * const state = new LogState();
 * state.apply({ type: "genesis", sequence: 1, time, limits: defaultLimits });
 * state.apply({ type: "createMarket", sequence: 2, time: time + 1n, market });
 * exchangeStateHash(state.exchange);
 */
export class LogState {
  private current: Exchange;

  /** At genesis (nothing applied), or (with `exchange`) at a restored snapshot. */
  constructor(exchange: Exchange = new Exchange()) {
    this.current = exchange;
  }

  /** The exchange. Read it; change it only through `apply`. It is a new object after the genesis command. */
  get exchange(): Exchange {
    return this.current;
  }

  get lastSequence(): number {
    return this.current.engine.lastSequence;
  }

  get lastTime(): bigint {
    return this.current.engine.lastTime;
  }

  /**
   * Applies the next command of the log. Throws a LogInvalidError when the log does not open with its
   * genesis command or holds one anywhere else; the core's own asserts guard sequence and time.
   */
  apply(command: LogCommand): CommandResult {
    if (command.type === "genesis") return this.applyGenesis(command);
    if (command.sequence === 1) {
      throw new LogInvalidError({ sequence: 1n, reason: `the log opens with a ${String(command.type)} command, not its genesis command` });
    }
    return this.current.apply(command);
  }

  private applyGenesis(command: GenesisCommand): CommandResult {
    if (command.sequence !== 1 || this.lastSequence !== 0) {
      throw new LogInvalidError({ sequence: BigInt(command.sequence), reason: "a genesis command may only open the log, at sequence 1" });
    }
    this.current = new Exchange({ limits: command.limits });
    return this.current.apply({ type: "tick", sequence: command.sequence, time: command.time });
  }
}
