// The full engine's apply alone, on the node benchmark's replay stream (packages/node/bench/bench-node.ts
// throughputStream): one market (AAPL-PERP among the seven demo markets), 1,000 accounts with $1M each,
// ~42 % cancels of live orders, ~43 % resting GTC limit orders, ~15 % crossing IOC orders that trade.
// Commands are built before timing starts; the timed loop only calls Exchange.apply. It ends with the
// state hash and a digest of every event, so a change that claims to be a pure speed-up can be checked
// to leave both exactly as they were.
//
//   node --import tsx bench/core/replay-apply.ts [--commands N] [--passes N] [--warm-up N] [--spacing-ns N] [--no-check] [--decoded] [--profile FILE]
//
// --decoded hands apply the commands as the node's replay does: each one encoded in the journal's binary
// form, decoded and stamped with its sequence and time afterwards (packages/node/src/replay.ts), so the
// objects have the decoder's shapes rather than this file's literals.
//
// --profile FILE writes a CPU profile (.cpuprofile) of the timed passes only: not the warm-up, not the
// building of commands, not the digest pass.
//
// Run it alone on the machine (flock /tmp/bench.lock ...): it reports wall-clock rates and the process's
// CPU time per command, then the bytes apply allocates per command (an untimed pass after the timed ones;
// it moves by a few tens of bytes from run to run, with what the optimizer inlined). With the defaults
// (300,000 commands, 20 µs apart) the digest pass prints
//   events digest 909968178d78a110429e323a69f0159da33b1d1b589a3d7fa02b69a57601f212
//   state hash    0b24310e328ba192ca62087c9687d5deadbadd34d8c58c899f5d31c0716818af
// (commit 00bd8db's core); a change meant to be a pure speed-up must leave both as they are.
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { parseArgs } from "node:util";
import { getHeapStatistics } from "node:v8";
import {
  Exchange,
  exchangeStateHash,
  type ExchangeCommand,
  type PriceTicks,
  type SizeLots,
} from "@perpdex/core";
import { demoGenesis } from "@perpdex/node";
import { decodeCommandBinary, encodeCommandBinary, type LogCommandInput } from "@perpdex/protocol";
import { nowNs } from "./measure.ts";

const { values } = parseArgs({
  options: {
    commands: { type: "string" },
    passes: { type: "string" },
    "warm-up": { type: "string" },
    // Exchange time between commands: 20 µs is the node benchmark's pace (about 50,000 commands a
    // second), so the marks move and funding samples as often per command as in its replay.
    "spacing-ns": { type: "string" },
    // Skip the last, digesting pass (for CPU profiles, where JSON.stringify would count against main).
    "no-check": { type: "boolean" },
    decoded: { type: "boolean" },
    profile: { type: "string" },
  },
});
const streamCommands = Number(values.commands ?? 300_000);
const passes = Number(values.passes ?? 3);
const warmUpCommands = Number(values["warm-up"] ?? 100_000);
const check = values["no-check"] !== true;
const commandSpacingNs = BigInt(values["spacing-ns"] ?? 20_000);
const decoded = values.decoded === true;

const benchMarket = "AAPL-PERP";
const referenceTicks = 23_000;
const benchAccounts = 1_000;
// 2025-11-04 15:00 UTC (NYSE open).
const startTime = 1_762_268_400_000_000_000n;

// One string per address, as the node's decoder hands out (it caches short strings by their bytes).
const addresses = Array.from({ length: benchAccounts }, (_, index) => `0x${index.toString(16).padStart(40, "0")}`);

function account(index: number): string {
  return addresses[index]!;
}

interface Stamp {
  sequence: number;
  time: bigint;
}

function stamp(clock: Stamp): { sequence: number; time: bigint } {
  clock.sequence += 1;
  clock.time += commandSpacingNs;
  return { sequence: clock.sequence, time: clock.time };
}

function setupCommands(clock: Stamp): ExchangeCommand[] {
  const commands: ExchangeCommand[] = [];
  // The node's demo markets: every command's fixed costs walk all of them.
  for (const market of demoGenesis.markets) commands.push({ type: "createMarket", ...stamp(clock), market });
  for (let index = 0; index < benchAccounts; index += 1) {
    const owner = account(index);
    commands.push({ type: "deposit", ...stamp(clock), account: owner, asset: "USDC", amount: 1_000_000n * 1_000_000n, reference: `bench-${owner.slice(-8)}` });
  }
  return commands;
}

// The same generator as the node benchmark's throughputStream (same draws, same mix).
function throughputStream(count: number, clock: Stamp): ExchangeCommand[] {
  const stream: ExchangeCommand[] = [];
  const live: number[] = [];
  let state = 12_345;
  const draw = (): number => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) | 0;
    return (state >>> 8) & 0xffff;
  };
  for (let index = 0; index < count; index += 1) {
    const stamped = stamp(clock);
    const owner = account(stamped.sequence % benchAccounts);
    const roll = draw() % 100;
    if (roll < 42 && live.length > 0) {
      const pick = draw() % live.length;
      const orderId = live[pick]!;
      live[pick] = live[live.length - 1]!;
      live.pop();
      stream.push({ type: "cancelOrder", ...stamped, account: account((orderId / 256) % benchAccounts), market: benchMarket, orderId });
      continue;
    }
    const buy = (draw() & 1) === 1;
    const crossing = roll >= 85;
    const offset = 1 + (draw() % 50);
    const price = (referenceTicks + (buy === crossing ? offset : -offset)) as PriceTicks;
    const size = (1 + (draw() % 100)) as SizeLots;
    const side = buy ? "buy" : "sell";
    if (crossing) {
      stream.push({ type: "placeOrder", ...stamped, account: owner, order: { market: benchMarket, side, type: "limit", price, size, timeInForce: "IOC" } });
    } else {
      live.push(stamped.sequence * 256);
      stream.push({ type: "placeOrder", ...stamped, account: owner, order: { market: benchMarket, side, type: "limit", price, size } });
    }
  }
  return stream;
}

function prepare(): { exchange: Exchange; stream: ExchangeCommand[] } {
  const clock: Stamp = { sequence: 0, time: startTime };
  const exchange = new Exchange();
  // Deposits decoded too: an account keeps the address string of its first command, as in the node.
  for (const command of setupCommands(clock).map((each) => (decoded && each.type === "deposit" ? decodedCopy(each) : each))) {
    const result = exchange.apply(command);
    if (!result.ok) throw new Error(`setup command ${command.sequence} rejected: ${result.code}`);
  }
  const stream = throughputStream(streamCommands, clock);
  return { exchange, stream: decoded ? stream.map(decodedCopy) : stream };
}

// The command as replay hands it over: decoded from its binary encoding, then stamped (a property
// added to the decoded object, as packages/node/src/replay.ts stamp() does).
function decodedCopy(command: ExchangeCommand): ExchangeCommand {
  const { sequence, time, ...input } = command;
  const copy = decodeCommandBinary(encodeCommandBinary(input as LogCommandInput)) as LogCommandInput & { sequence: number; time: bigint };
  copy.sequence = sequence;
  copy.time = time;
  return copy as unknown as ExchangeCommand;
}

function eventText(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? `${value}n` : value;
}

// Bytes allocated per command: the heap's growth over windows of commands, read between windows. A window
// in which a garbage collection ran shrinks the heap (a scavenge frees far more than one window allocates)
// and is left out; the median of the other windows is the answer, within a few bytes of allocation
// reporting itself (getHeapStatistics allocates its result object once a window).
const allocationWindowCommands = 1_000;

function allocationPerCommand(exchange: Exchange, stream: readonly ExchangeCommand[]): { bytes: number; windows: number } {
  const perCommand: number[] = [];
  let before = getHeapStatistics().used_heap_size;
  for (let start = 0; start + allocationWindowCommands <= stream.length; start += allocationWindowCommands) {
    for (let index = start; index < start + allocationWindowCommands; index += 1) exchange.apply(stream[index]!);
    const after = getHeapStatistics().used_heap_size;
    if (after > before) perCommand.push((after - before) / allocationWindowCommands);
    before = after;
  }
  perCommand.sort((left, right) => left - right);
  return { bytes: Math.round(perCommand[perCommand.length >> 1] ?? Number.NaN), windows: perCommand.length };
}

async function main(): Promise<void> {
  const profileOut = values.profile;
  const session = profileOut === undefined ? undefined : new Session();
  if (session !== undefined) {
    session.connect();
    await session.post("Profiler.enable");
  }
  const codes = new Map<string, number>();
  const eventTypes = new Map<string, number>();
  const lastPass = check ? passes + 1 : passes;
  for (let pass = 0; pass <= lastPass; pass += 1) {
    const warmUp = pass === 0;
    const { exchange, stream } = prepare();
    if (check && pass === lastPass) {
      // Before the digest pass, on a fresh exchange of its own (the digest pass needs one from the start).
      const allocation = allocationPerCommand(prepare().exchange, stream);
      console.log(`allocation: ${allocation.bytes} B/command (median of ${allocation.windows} windows of ${allocationWindowCommands} commands without a GC)`);
    }
    const count = warmUp ? Math.min(warmUpCommands, stream.length) : stream.length;
    // The last pass digests every event (untimed): the check that behaviour did not change.
    const digest = check && pass === lastPass ? createHash("sha256") : null;
    let rejected = 0;
    let events = 0;
    const profiled = session !== undefined && !warmUp && digest === null;
    if (profiled) await session.post("Profiler.start");
    const cpuStarted = process.cpuUsage();
    const started = nowNs();
    if (digest === null) {
      for (let index = 0; index < count; index += 1) {
        if (!exchange.apply(stream[index]!).ok) rejected += 1;
        events += exchange.events.length;
      }
    } else {
      for (let index = 0; index < count; index += 1) {
        const result = exchange.apply(stream[index]!);
        if (!result.ok) {
          rejected += 1;
          codes.set(result.code, (codes.get(result.code) ?? 0) + 1);
        }
        digest.update(JSON.stringify(result, eventText));
        digest.update(JSON.stringify(exchange.events, eventText));
        for (const event of exchange.events) eventTypes.set(event.type, (eventTypes.get(event.type) ?? 0) + 1);
        events += exchange.events.length;
      }
    }
    const seconds = (nowNs() - started) / 1e9;
    const cpu = process.cpuUsage(cpuStarted);
    if (profiled) {
      const { profile } = await session.post("Profiler.stop");
      // One file: the last timed pass's profile (the warmest code).
      writeFileSync(profileOut!, JSON.stringify(profile));
    }
    const label = warmUp ? "warm-up" : digest !== null ? `pass ${pass} (digesting, untimed)` : `pass ${pass}`;
    const rate = Math.round(count / seconds).toLocaleString("en-US");
    const cpuPerCommand = ((cpu.user + cpu.system) / count).toFixed(3);
    if (digest === null) console.log(`${label}: ${rate} commands/s, ${cpuPerCommand} µs CPU/command (${count} commands, ${events} events, ${rejected} rejected)`);
    else {
      console.log(`${label}: ${count} commands, ${events} events, ${rejected} rejected`);
      console.log(`events digest ${digest.digest("hex")}`);
      console.log("rejections", Object.fromEntries(codes));
      console.log("events", Object.fromEntries(eventTypes));
      console.log(`state hash    ${exchangeStateHash(exchange)}`);
    }
  }
}

await main();
