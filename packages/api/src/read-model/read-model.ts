// The read side: everything the API serves that is history rather than current state, derived from the
// node's applied commands and their events (never from anything else), plus lookups of current state
// straight from the node's exchange (books, balances, positions, open orders). Windows of history are
// kept in memory (rings); the command log holds the whole history.
import type { ExchangeEvent } from "@perpdex/core";
import type { AppliedCommand } from "@perpdex/node";
import { ColumnRing, type ColumnLayout } from "./column-ring.ts";
import { MarketHistory } from "./market-data.ts";
import { Ring } from "./ring.ts";

/** An order's life as the read model saw it. */
export interface OrderRecord {
  readonly orderId: number;
  readonly sequence: number;
  readonly createdAt: bigint;
  readonly account: string;
  readonly market: string;
  readonly side: "buy" | "sell";
  readonly orderType: "limit" | "market";
  readonly price: number;
  size: number;
  filled: number;
  remaining: number;
  readonly timeInForce: string;
  readonly postOnly: boolean;
  readonly reduceOnly: boolean;
  readonly clientOrderId: string | null;
  readonly expiresAt: bigint | null;
  status: "open" | "partiallyFilled" | "filled" | "canceled" | "expired" | "rejected";
  reason: string | null;
  updatedAt: bigint;
}

/** One fill of one of the account's orders. Fee in µUSD (negative: a rebate). */
export interface FillRecord {
  readonly sequence: number;
  readonly tradeIndex: number;
  readonly time: bigint;
  readonly market: string;
  readonly orderId: number;
  /**
   * When the order was placed (the time of its OrderAccepted): an order's UUIDv7 carries this time, so
   * a fill names its order with the same id as the place response and `GET /v1/account/orders`.
   */
  readonly orderCreatedAt: bigint;
  readonly side: "buy" | "sell";
  readonly price: number;
  readonly size: number;
  readonly maker: boolean;
  fee: number;
}

/** An account event kept verbatim (funding payments, withdrawals, deposits, liquidations). */
export interface AccountEventRecord {
  readonly sequence: number;
  readonly index: number;
  readonly time: bigint;
  readonly type: string;
  readonly event: Readonly<Record<string, unknown>>;
}

/** A governance or administration command and its outcome. */
export interface AdminActionRecord {
  readonly sequence: number;
  readonly time: bigint;
  readonly type: string;
  readonly ok: boolean;
  readonly code: string | null;
  readonly command: Readonly<Record<string, unknown>>;
}

const historyPerAccount = 1_000;
// Signed requests replayed at start whose nonces the API must still refuse (a few minutes of traffic).
const replayedNoncesKept = 500_000;
const decoder = new TextDecoder();
const adminActionsKept = 10_000;

/** What one account did, newest kept. */
// Order and fill histories are kept by column (column-ring.ts): a record is copied in when pushed, so an
// order is pushed once terminal and a fill once its command's TradeSettled has set its fee.
const orderLayout: ColumnLayout<OrderRecord> = [
  ["orderId", "number"],
  ["sequence", "number"],
  ["createdAt", "u64"],
  ["account", "value"],
  ["market", "value"],
  ["side", "value"],
  ["orderType", "value"],
  ["price", "number"],
  ["size", "number"],
  ["filled", "number"],
  ["remaining", "number"],
  ["timeInForce", "value"],
  ["postOnly", "value"],
  ["reduceOnly", "value"],
  ["clientOrderId", "value"],
  ["expiresAt", "value"],
  ["status", "value"],
  ["reason", "value"],
  ["updatedAt", "u64"],
];

const fillLayout: ColumnLayout<FillRecord> = [
  ["sequence", "number"],
  ["tradeIndex", "number"],
  ["time", "u64"],
  ["market", "value"],
  ["orderId", "number"],
  ["orderCreatedAt", "u64"],
  ["side", "value"],
  ["price", "number"],
  ["size", "number"],
  ["maker", "value"],
  ["fee", "number"],
];

export class AccountHistory {
  readonly orders = new ColumnRing<OrderRecord>(historyPerAccount, orderLayout);
  readonly fills = new ColumnRing<FillRecord>(historyPerAccount, fillLayout);
  readonly funding = new Ring<AccountEventRecord>(historyPerAccount);
  readonly liquidations = new Ring<AccountEventRecord>(historyPerAccount);
  readonly withdrawals = new Ring<AccountEventRecord>(historyPerAccount);
  readonly deposits = new Ring<AccountEventRecord>(historyPerAccount);
}

// Commands of traders, bridges and oracles: everything else is governance or administration.
const traderCommandTypes: ReadonlySet<string> = new Set([
  "placeOrder",
  "cancelOrder",
  "cancelAll",
  "reduceOrder",
  "cancelReplace",
  "batch",
  "tick",
  "deposit",
  "withdraw",
  "setMarginMode",
  "setLeverage",
  "adjustMargin",
  "indexPrice",
  "collateralPrice",
  "approveAgent",
  "revokeAgent",
  // Oracle prices and liquidations arrive all the time; the log keeps them, the admin log does not.
  "oraclePrice",
  "liquidate",
]);

const liquidationEventPattern = /liquidat|adl|deleverag/i;
// The pattern's answer per event type (a handful of types; position events pass here on every trade).
const liquidationEventTypes = new Map<string, boolean>();

function isLiquidationEventType(type: string): boolean {
  let known = liquidationEventTypes.get(type);
  if (known === undefined) {
    known = liquidationEventPattern.test(type);
    liquidationEventTypes.set(type, known);
  }
  return known;
}

/** JSON-safe copy: bigints become decimal strings. */
export function jsonSafe(value: object): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value, (_key, field: unknown) => (typeof field === "bigint" ? field.toString() : field))) as Record<string, unknown>;
}

type Listener = (applied: AppliedCommand) => void;

/**
 * The read models of one node. Feed it every applied command (`apply`); read it from routes.
 *
 * @example
 * const readModel = new ReadModel();
 * const node = await ExchangeNode.open({ dataDirectory, logger, onApplied: (applied) => readModel.apply(applied) });
 * readModel.market("BTC-PERP").trades.newest(50);
 */
export class ReadModel {
  private readonly markets = new Map<string, MarketHistory>();
  private readonly accounts = new Map<string, AccountHistory>();
  /** Orders not yet terminal, by id. */
  readonly openOrders = new Map<number, OrderRecord>();
  readonly adminActions = new Ring<AdminActionRecord>(adminActionsKept);
  /**
   * (signer, nonce) of the signed requests recovery replayed from the journal's auth envelopes, newest
   * kept: the API seeds its nonce registry from them, so a request captured before a restart stays
   * refused after it.
   */
  readonly replayedNonces = new Ring<{ readonly signer: string; readonly nonce: number }>(replayedNoncesKept);
  /** The last applied sequence. */
  lastSequence = 0;
  lastTime = 0n;
  private readonly listeners: Listener[] = [];
  // Per command, in event order: each trade's event index, taker side and how many fills the command
  // had before it (its fills come after it, and TradeSettled looks for them from there), and the
  // fills, whose fees arrive in TradeSettled. Parallel arrays reused from command to command: no object
  // per trade. The first commandTrades and commandFillCount entries are this command's; the arrays are
  // not truncated (setting an array's length is a call into V8's runtime: five per command cost about
  // 0.5 µs of the server thread per order), the rest are the previous commands', overwritten as needed.
  private readonly commandTradeIndexes: number[] = [];
  private readonly commandTradeTakerSides: ("buy" | "sell")[] = [];
  private readonly commandTradeFillStarts: number[] = [];
  private commandTrades = 0;
  private readonly commandFills: (FillRecord | null)[] = [];
  // The account of each of commandFills.
  private readonly commandFillAccounts: string[] = [];
  private commandFillCount = 0;
  // The market last looked up by apply (a command's events name one market, mostly).
  private lastMarketSymbol: string | null = null;
  private lastMarketHistory: MarketHistory | null = null;

  /** History of a market (created on first use). */
  market(symbol: string): MarketHistory {
    if (symbol === this.lastMarketSymbol) return this.lastMarketHistory!;
    let history = this.markets.get(symbol);
    if (history === undefined) {
      history = new MarketHistory();
      this.markets.set(symbol, history);
    }
    this.lastMarketSymbol = symbol;
    this.lastMarketHistory = history;
    return history;
  }

  /** History of an account (created on first use). */
  account(address: string): AccountHistory {
    let history = this.accounts.get(address);
    if (history === undefined) {
      history = new AccountHistory();
      this.accounts.set(address, history);
    }
    return history;
  }

  /** History of an account, or undefined when it has none. */
  findAccount(address: string): AccountHistory | undefined {
    return this.accounts.get(address);
  }

  /** Called after the read model applied a command (the WebSocket server fans out from here). */
  onApplied(listener: Listener): () => void {
    this.listeners.push(listener);
    return () => {
      const at = this.listeners.indexOf(listener);
      if (at >= 0) this.listeners.splice(at, 1);
    };
  }

  /** Applies one command's events, in sequence order. */
  apply(applied: AppliedCommand): void {
    this.lastSequence = applied.sequence;
    this.lastTime = applied.time;
    const type = applied.command.type;
    if (!traderCommandTypes.has(type)) {
      const { result } = applied;
      this.adminActions.push({
        sequence: applied.sequence,
        time: applied.time,
        type,
        ok: result.ok,
        code: result.ok ? null : result.code,
        command: jsonSafe(applied.command),
      });
    }
    if (applied.replaying && applied.auth !== undefined) this.rememberNonce(applied.auth);
    this.commandTrades = 0;
    this.commandFillCount = 0;
    for (const event of applied.events) this.applyEvent(event);
    // Fees arrived with the command's TradeSettled events: the fills are complete now. The ring copies
    // a fill; the record is let go of (no command's fills outlive it).
    const fills = this.commandFills;
    for (let index = 0; index < this.commandFillCount; index += 1) {
      this.account(this.commandFillAccounts[index]!).fills.push(fills[index]!);
      fills[index] = null;
    }
    for (const listener of this.listeners) listener(applied);
  }

  private applyEvent(event: ExchangeEvent): void {
    switch (event.type) {
      case "OrderAccepted": {
        const record: OrderRecord = {
          orderId: event.orderId,
          sequence: event.sequence,
          createdAt: event.time,
          account: event.account,
          market: event.market,
          side: event.side,
          orderType: event.orderType,
          price: event.price,
          size: event.size,
          filled: 0,
          remaining: event.size,
          timeInForce: event.timeInForce,
          postOnly: event.postOnly,
          reduceOnly: event.reduceOnly,
          clientOrderId: event.clientOrderId,
          expiresAt: event.expiresAt,
          status: "open",
          reason: null,
          updatedAt: event.time,
        };
        this.openOrders.set(event.orderId, record);
        return;
      }
      case "OrderRejected":
        this.account(event.account).orders.push({
          orderId: event.orderId,
          sequence: event.sequence,
          createdAt: event.time,
          account: event.account,
          market: event.market,
          side: "buy",
          orderType: "limit",
          price: 0,
          size: 0,
          filled: 0,
          remaining: 0,
          timeInForce: "",
          postOnly: false,
          reduceOnly: false,
          clientOrderId: event.clientOrderId,
          expiresAt: null,
          status: "rejected",
          reason: `${event.code}: ${event.message}`,
          updatedAt: event.time,
        });
        return;
      case "TradeExecuted":
        this.commandTradeIndexes[this.commandTrades] = event.index;
        this.commandTradeTakerSides[this.commandTrades] = event.takerSide;
        this.commandTradeFillStarts[this.commandTrades] = this.commandFillCount;
        this.commandTrades += 1;
        this.market(event.market).addTrade({ sequence: event.sequence, index: event.index, time: event.time, price: event.price, size: event.size, takerSide: event.takerSide });
        return;
      case "OrderPartiallyFilled":
      case "OrderFilled": {
        const trade = this.commandTrade(event.tradeIndex);
        const takerSide = trade === -1 ? "buy" : this.commandTradeTakerSides[trade]!;
        const side = event.maker ? (takerSide === "buy" ? "sell" : "buy") : takerSide;
        const order = this.openOrders.get(event.orderId);
        const fill: FillRecord = {
          sequence: event.sequence,
          tradeIndex: event.tradeIndex,
          time: event.time,
          market: event.market,
          orderId: event.orderId,
          // The core emits OrderAccepted before any fill, so the order is known unless the read model
          // began after it was placed; then the fill's own time is the best estimate there is.
          orderCreatedAt: order?.createdAt ?? event.time,
          side,
          price: event.fillPrice,
          size: event.fillSize,
          maker: event.maker,
          fee: 0,
        };
        this.commandFills[this.commandFillCount] = fill;
        this.commandFillAccounts[this.commandFillCount] = event.account;
        this.commandFillCount += 1;
        if (order !== undefined) {
          order.filled = event.filled;
          order.remaining = event.remaining;
          order.updatedAt = event.time;
          order.status = event.type === "OrderFilled" ? "filled" : "partiallyFilled";
          if (event.type === "OrderFilled") this.closeOrder(order);
        }
        return;
      }
      case "TradeSettled": {
        // A trade's fills follow its TradeExecuted: look from there (from the start for a trade the
        // command did not execute, which no fill of this command names either).
        const trade = this.commandTrade(event.tradeIndex);
        const fills = this.commandFills;
        for (let at = trade === -1 ? 0 : this.commandTradeFillStarts[trade]!; at < this.commandFillCount; at += 1) {
          const fill = fills[at]!;
          if (fill.tradeIndex === event.tradeIndex) fill.fee = fill.maker ? event.makerFee : event.takerFee;
        }
        return;
      }
      case "OrderCanceled":
      case "OrderExpired": {
        const order = this.openOrders.get(event.orderId);
        if (order === undefined) return;
        order.filled = event.filled;
        order.remaining = event.remaining;
        order.updatedAt = event.time;
        order.status = event.type === "OrderCanceled" ? "canceled" : "expired";
        order.reason = event.type === "OrderCanceled" ? event.reason : event.expiresAt === null ? "IMMEDIATE_OR_CANCEL" : "GTD_EXPIRED";
        this.closeOrder(order);
        return;
      }
      case "OrderReduced": {
        const order = this.openOrders.get(event.orderId);
        if (order === undefined) return;
        order.size = event.size;
        order.filled = event.filled;
        order.remaining = event.remaining;
        order.updatedAt = event.time;
        return;
      }
      case "MarkPriceUpdated":
        this.market(event.market).marks.push({ time: event.time, markPrice: event.markPrice, indexPrice: event.indexPrice, basisPpb: event.basisPpb });
        return;
      case "FundingSettled":
        this.market(event.market).funding.push({ time: event.time, ratePpb: event.ratePpb, markPrice: event.markPrice });
        return;
      case "FundingPaid":
        this.account(event.account).funding.push(this.accountEvent(event));
        return;
      case "WithdrawalRequested":
        this.account(event.account).withdrawals.push(this.accountEvent(event));
        return;
      case "DepositConfirmed":
        this.account(event.account).deposits.push(this.accountEvent(event));
        return;
      default:
        this.maybeLiquidation(event);
    }
  }

  // Liquidation and ADL events (packages/core/src/perp/liquidation*.ts, adl*.ts) carry an account.
  private maybeLiquidation(event: ExchangeEvent): void {
    const fields = event as unknown as { type: string; account?: unknown };
    if (!isLiquidationEventType(fields.type) || typeof fields.account !== "string") return;
    this.account(fields.account).liquidations.push(this.accountEvent(event));
  }

  private accountEvent(event: ExchangeEvent): AccountEventRecord {
    return { sequence: event.sequence, index: event.index, time: event.time, type: event.type, event: jsonSafe(event) };
  }

  private rememberNonce(auth: Uint8Array): void {
    try {
      const envelope = JSON.parse(decoder.decode(auth)) as { fields?: { account?: unknown }; signer?: unknown; nonce?: unknown };
      const signer = typeof envelope.signer === "string" ? envelope.signer : envelope.fields?.account;
      if (typeof signer === "string" && typeof envelope.nonce === "number") this.replayedNonces.push({ signer: signer.toLowerCase(), nonce: envelope.nonce });
    } catch {
      // Another writer's envelope (not a perpdex signed request): nothing to remember.
    }
  }

  // Position in the command's trades of the trade with this event index, or -1. The newest first: a
  // fill or a settlement names the trade just executed, mostly.
  private commandTrade(tradeIndex: number): number {
    const indexes = this.commandTradeIndexes;
    for (let at = this.commandTrades - 1; at >= 0; at -= 1) if (indexes[at] === tradeIndex) return at;
    return -1;
  }

  private closeOrder(order: OrderRecord): void {
    this.openOrders.delete(order.orderId);
    this.account(order.account).orders.push(order);
  }
}
