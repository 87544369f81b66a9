import type { AccountStatus } from "../accounts.ts";
import { AssertionFailed } from "../assert.ts";
import { CanonicalReader } from "../canonical-reader.ts";
import { CanonicalWriter, type ChunkSink } from "../canonical-writer.ts";
import { Exchange } from "../exchange.ts";
import { Sha256, toHex } from "../sha256.ts";
import { writeState } from "../state-hash.ts";
import { readEngineState } from "../state-restore.ts";
import { RollingVolume } from "./fee-schedule.ts";
import { fundingSamplesPerPeriodMax } from "./funding.ts";
import type { AssetClass } from "./margin-tiers.ts";
import type { PerpMarket} from "./perp-market.ts";
import type { MarginProfileName, PerpMarketSpec } from "./perp-market.ts";
import type { Position} from "./position.ts";
import type { MarginMode } from "./position.ts";

// The exchange's state: the engine's canonical encoding followed by the perpetual section. Order totals
// and reservations are not written: they are a function of the resting orders and are rebuilt on restore,
// account by account as each one's positions are read (and checked against them by the invariants).

const sectionVersion = "perpdex-exchange-v1";
const statuses: readonly AccountStatus[] = ["active", "suspended", "closed"];
const modes: readonly MarginMode[] = ["isolated", "cross"];

export function writeExchangeState(exchange: Exchange, sink: ChunkSink): void {
  writeState(exchange.engine, sink);
  const writer = new CanonicalWriter(sink);
  writer.string(sectionVersion);
  for (const price of exchange.prices.pricePpm) writer.u32(price);
  const { treasury } = exchange;
  writer.safeInteger(treasury.insuranceFund);
  writer.safeInteger(treasury.feeTreasury);
  for (let asset = 0; asset < 3; asset += 1) {
    writer.bigint(treasury.deposited[asset]!);
    writer.bigint(treasury.withdrawn[asset]!);
  }
  writer.bigint(exchange.funding.dust);
  for (const perpMarket of exchange.perpMarkets) writeMarket(writer, exchange, perpMarket);
  for (const account of exchange.engine.accounts.list) {
    writer.u8(statuses.indexOf(account.status));
    writer.signed(account.cash);
    writer.bigint(account.tokens[1]!);
    writer.bigint(account.tokens[2]!);
    writer.u32(account.settings?.size ?? 0);
    for (const [marketIndex, setting] of account.settings ?? []) {
      writer.u32(marketIndex);
      writer.u8(modes.indexOf(setting.mode));
      writer.u32(setting.leverage);
    }
    writer.boolean(account.volume !== null);
    account.volume?.writeState(writer);
    writeRates(writer, account.feeOverride);
    writer.signed(account.feeDay);
    writeRates(writer, account.feeRates);
    writer.u32(account.positions.length);
    for (const position of account.positions) writePosition(writer, position);
  }
  exchange.marketAdmin.writeState(writer);
  exchange.breakers.writeState(writer);
  exchange.liquidations.writeState(writer);
  exchange.oracles.writeState(writer);
  exchange.sessions.writeState(writer);
  exchange.corporateActions.writeState(writer);
  exchange.agents.writeState(writer);
  writer.flush();
}

function writeMarket(writer: CanonicalWriter, exchange: Exchange, perpMarket: PerpMarket): void {
  const spec = perpMarket.spec;
  writer.string(spec.assetClass);
  writer.string(spec.marginProfile);
  writer.u32(spec.leverageMax);
  writer.u32(spec.leverageDefault);
  writer.u32(perpMarket.indexPrice);
  writer.u32(perpMarket.markPrice);
  writer.safeInteger(perpMarket.longLots);
  writer.safeInteger(perpMarket.shortLots);
  const mark = exchange.marks.states[perpMarket.index]!;
  writer.signed(mark.basisPpb);
  writer.i64(mark.lastUpdate);
  const funding = exchange.funding.states[perpMarket.index]!;
  writer.u32(funding.count);
  for (let index = 0; index < funding.count; index += 1) {
    writer.signed(funding.premiums[index]!);
    writer.u8(funding.minutes[index]!);
  }
  writer.safeInteger(funding.hour);
  writer.signed(funding.lastSampleMinute);
  writer.bigint(funding.cumulativeFundingPerLot);
  writer.u32(exchange.funding.epochs[perpMarket.index]!);
}

function writeRates(writer: CanonicalWriter, rates: { readonly makerPpm: number; readonly takerPpm: number } | null): void {
  writer.boolean(rates !== null);
  if (rates === null) return;
  writer.signed(rates.makerPpm);
  writer.signed(rates.takerPpm);
}

function writePosition(writer: CanonicalWriter, position: Position): void {
  // u32(market), u8(mode), u32(leverage), then six 8-byte integers: one room check for the nine.
  const at = writer.room(57);
  writer.putU32(at, position.market.index);
  writer.putU8(at + 4, modes.indexOf(position.mode));
  writer.putU32(at + 5, position.leverage);
  writer.putSigned(at + 9, position.size);
  writer.putSafeInteger(at + 17, position.entryNotional);
  writer.putSafeInteger(at + 25, position.margin);
  writer.putSigned(at + 33, position.realizedPnl);
  writer.putSigned(at + 41, position.feesPaid);
  writer.putSigned(at + 49, position.fundingPaid);
  writer.bigint(position.fundingIndex);
  writer.u32(position.fundingEpoch);
}

/** SHA-256 of the exchange's canonical state, lowercase hex. */
export function exchangeStateHash(exchange: Exchange): string {
  const hasher = new Sha256();
  writeExchangeState(exchange, (chunk) => hasher.update(chunk));
  return toHex(hasher.digest());
}

/** Rebuilds an exchange from writeExchangeState's bytes. */
export function restoreExchange(bytes: Uint8Array): Exchange {
  const reader = new CanonicalReader(bytes);
  const { engine, orderSlots } = readEngineState(reader);
  if (reader.string() !== sectionVersion) throw new AssertionFailed("snapshot: unknown exchange section");
  const exchange = new Exchange({ engine });
  for (let asset = 0; asset < 3; asset += 1) exchange.prices.pricePpm[asset] = reader.u32();
  const { treasury } = exchange;
  treasury.insuranceFund = reader.safeInteger();
  treasury.feeTreasury = reader.safeInteger();
  for (let asset = 0; asset < 3; asset += 1) {
    treasury.deposited[asset] = reader.bigint();
    treasury.withdrawn[asset] = reader.bigint();
  }
  exchange.funding.dust = reader.bigint();
  for (const market of engine.markets) readMarket(reader, exchange, market.index, market.spec);
  // Each account's order totals are rebuilt as soon as its positions exist, while they are in cache.
  let firstOrder = 0;
  for (const account of engine.accounts.list) {
    readAccount(reader, exchange, account.index);
    exchange.restoreOrderTotals(account, orderSlots, firstOrder);
    firstOrder += account.openOrderCount;
  }
  exchange.marketAdmin.readState(reader);
  exchange.breakers.readState(reader);
  exchange.liquidations.readState(reader);
  exchange.oracles.readState(reader);
  exchange.sessions.readState(reader);
  exchange.corporateActions.readState(reader);
  exchange.agents.readState(reader);
  if (!reader.done) throw new AssertionFailed("snapshot: trailing bytes");
  exchange.liquidations.rebuild();
  return exchange;
}

function readMarket(reader: CanonicalReader, exchange: Exchange, index: number, bookSpec: object): void {
  const spec: PerpMarketSpec = {
    ...(bookSpec as PerpMarketSpec),
    assetClass: reader.string() as AssetClass,
    marginProfile: reader.string() as MarginProfileName,
    leverageMax: reader.u32(),
    leverageDefault: reader.u32(),
  };
  const quotePerTickLot = exchange.restoreMarket(index, spec);
  const perpMarket: PerpMarket = exchange.perpMarkets[index]!;
  if (perpMarket.quotePerTickLot !== quotePerTickLot) throw new AssertionFailed("snapshot: market contract changed");
  perpMarket.indexPrice = reader.u32();
  perpMarket.markPrice = reader.u32();
  exchange.engine.markets[index]!.referencePrice = perpMarket.markPrice;
  perpMarket.longLots = reader.safeInteger();
  perpMarket.shortLots = reader.safeInteger();
  exchange.marks.states[index] = { basisPpb: reader.signed(), lastUpdate: reader.i64() };
  const funding = exchange.funding.states[index]!;
  funding.count = reader.u32();
  if (funding.count > fundingSamplesPerPeriodMax) throw new AssertionFailed("snapshot: too many funding samples");
  for (let sample = 0; sample < funding.count; sample += 1) {
    funding.premiums[sample] = reader.signed();
    funding.minutes[sample] = reader.u8();
  }
  funding.hour = reader.safeInteger();
  funding.lastSampleMinute = reader.signed();
  funding.cumulativeFundingPerLot = reader.bigint();
  exchange.funding.epochs[index] = reader.u32();
}

function readAccount(reader: CanonicalReader, exchange: Exchange, index: number): void {
  const account = exchange.engine.accounts.list[index]!;
  account.status = statuses[reader.u8()] ?? fail("status");
  account.cash = reader.signed();
  account.tokens[1] = reader.bigint();
  account.tokens[2] = reader.bigint();
  const settings = reader.u32();
  for (let count = 0; count < settings; count += 1) {
    account.settings ??= new Map();
    account.settings.set(reader.u32(), { mode: modes[reader.u8()] ?? fail("mode"), leverage: reader.u32() });
  }
  if (reader.u8() === 1) account.volume = RollingVolume.readState(reader);
  account.feeOverride = readRates(reader);
  account.feeDay = reader.signed();
  account.feeRates = readRates(reader);
  const positions = reader.u32();
  for (let count = 0; count < positions; count += 1) {
    const marketIndex = reader.u32();
    const position = exchange.restorePosition(account, marketIndex);
    position.mode = modes[reader.u8()] ?? fail("mode");
    position.leverage = reader.u32();
    position.size = reader.signed();
    position.entryNotional = reader.safeInteger();
    position.margin = reader.safeInteger();
    position.realizedPnl = reader.signed();
    position.feesPaid = reader.signed();
    position.fundingPaid = reader.signed();
    position.fundingIndex = reader.bigint();
    position.fundingEpoch = reader.u32();
  }
}

function readRates(reader: CanonicalReader): { makerPpm: number; takerPpm: number } | null {
  if (reader.u8() === 0) return null;
  return { makerPpm: reader.signed(), takerPpm: reader.signed() };
}

function fail(what: string): never {
  throw new AssertionFailed(`snapshot: bad ${what}`);
}
