// The private channels of logged-in accounts: orders, fills, positions, balances and margin health.
//
// The messages carry the REST views (views.ts), so a client reads one shape for `GET /v1/account/orders`
// and the `orders` channel. Order and fill records come from the read model, which has applied the
// command before this feed runs. Positions, balances and margin health are the core's account view at
// the moment the message is built, right after the command's journal record became durable: they show
// at least that command's effects (docs/api.md, "WebSocket").
import { accountView, type AccountView, type Exchange, type ExchangeEvent } from "@perpdex/core";
import { formatUnits, wsMarginLevelOf, type WsMarginLevel } from "@perpdex/protocol";
import type { OrderRecord, ReadModel } from "../read-model/read-model.ts";
import { accountSummaryView, fillView, orderView, positionsView } from "../views.ts";
import type { ChannelHub } from "./channel-hub.ts";

/** How often margin health is re-evaluated for price moves alone, per watched account. */
const marginRecheckIntervalMs = 250;

/** Per watched account: the margin level last sent and when it was last evaluated for price moves. */
interface MarginWatch {
  level: WsMarginLevel | null;
  checkedAtMs: number;
}

/** What one command did to one account, counted from its events. */
interface AccountTouch {
  /** Order ids in event order (no repeats). */
  readonly orderIds: number[];
  /** Orders that reached a terminal state (or were rejected): the read model moved them to history. */
  closedOrders: number;
  fills: number;
}

const terminalEvents: ReadonlySet<string> = new Set(["OrderRejected", "OrderFilled", "OrderCanceled", "OrderExpired"]);

/**
 * Publishes `orders:A`, `fills:A`, `positions:A`, `balances:A` and `margin:A` for subscribed accounts.
 *
 * @example
 * const feed = new PrivateFeed({ hub, readModel, exchange: () => node.exchange, now: Date.now });
 * readModel.onApplied(({ sequence, time, events }) => feed.apply(sequence, time, events));
 */
export class PrivateFeed {
  private readonly hub: ChannelHub;
  private readonly readModel: ReadModel;
  private readonly exchange: () => Exchange;
  private readonly now: () => number;
  private readonly margins = new Map<string, MarginWatch>();

  constructor(options: { hub: ChannelHub; readModel: ReadModel; exchange: () => Exchange; now: () => number }) {
    this.hub = options.hub;
    this.readModel = options.readModel;
    this.exchange = options.exchange;
    this.now = options.now;
  }

  /** Publishes one command's private updates (the read model has applied it). */
  apply(sequence: number, time: bigint, events: readonly ExchangeEvent[]): void {
    this.lastSequence = sequence;
    this.lastTime = time;
    // Nobody listens to any account: nothing to collect (every command passes here).
    if (this.margins.size === 0 && !this.hub.hasKind("orders") && !this.hub.hasKind("fills") && !this.hub.hasKind("positions") && !this.hub.hasKind("balances")) return;
    const timeText = time.toString();
    const touched = new Map<string, AccountTouch>();
    let pricesMoved = false;
    for (const event of events) {
      if (event.type === "MarkPriceUpdated" || event.type === "FundingSettled" || event.type === "CollateralPriceUpdated" || event.type === "IndexPriceUpdated") {
        pricesMoved = true;
      }
      if (event.type === "TradeExecuted") {
        touch(touched, event.makerAccount);
        touch(touched, event.takerAccount);
        continue;
      }
      if (!("account" in event) || typeof event.account !== "string") continue;
      const entry = touch(touched, event.account);
      if ("orderId" in event && typeof event.orderId === "number" && !entry.orderIds.includes(event.orderId)) entry.orderIds.push(event.orderId);
      if (terminalEvents.has(event.type)) entry.closedOrders += 1;
      if (event.type === "OrderPartiallyFilled" || event.type === "OrderFilled") entry.fills += 1;
    }
    for (const [account, entry] of touched) {
      this.publishOrders(account, entry, sequence, timeText);
      this.publishFills(account, entry, sequence, timeText);
      this.publishAccount(account, sequence, timeText);
    }
    if (pricesMoved) this.recheckMargins(touched, sequence, timeText);
  }

  private publishOrders(account: string, entry: AccountTouch, sequence: number, timeText: string): void {
    const key = `orders:${account}`;
    if (entry.orderIds.length === 0 || !this.hub.has(key)) return;
    const closed = this.readModel.findAccount(account)?.orders.newest(entry.closedOrders) ?? [];
    const records: OrderRecord[] = [];
    for (const orderId of entry.orderIds) {
      const record = this.readModel.openOrders.get(orderId) ?? closed.find((order) => order.orderId === orderId);
      if (record !== undefined) records.push(record);
    }
    if (records.length === 0) return;
    const exchange = this.exchange();
    this.hub.publish(key, { type: "orders", account, sequence, time: timeText, orders: records.map((record) => orderView(exchange, record)) });
  }

  private publishFills(account: string, entry: AccountTouch, sequence: number, timeText: string): void {
    const key = `fills:${account}`;
    if (entry.fills === 0 || !this.hub.has(key)) return;
    // The command's fills are the newest of the account's, pushed in event order.
    const fills = this.readModel.findAccount(account)?.fills.newest(entry.fills).reverse() ?? [];
    const exchange = this.exchange();
    this.hub.publish(key, { type: "fills", account, sequence, time: timeText, fills: fills.map((fill) => fillView(exchange, fill)) });
  }

  /** Sends the account's positions, balances and margin level to whoever subscribed. */
  private publishAccount(account: string, sequence: number, timeText: string): void {
    const positionsKey = `positions:${account}`;
    const balancesKey = `balances:${account}`;
    const watch = this.margins.get(account);
    const exchange = this.exchange();
    if (this.hub.has(positionsKey)) this.hub.publish(positionsKey, { type: "positions", account, sequence, time: timeText, positions: positionsView(exchange, account) });
    if (this.hub.has(balancesKey)) this.hub.publish(balancesKey, { type: "balances", account, sequence, time: timeText, balances: accountSummaryView(exchange, account) });
    if (watch !== undefined) {
      watch.checkedAtMs = this.now();
      this.publishMargin(account, sequence, timeText, accountView(exchange, account));
    }
  }

  // Prices move on every tick: margin levels of watched accounts are re-evaluated at most every 250 ms;
  // an account skipped for that is checked again when its interval is over, so no move goes unseen.
  private recheckMargins(touched: ReadonlyMap<string, AccountTouch>, sequence: number, timeText: string): void {
    const now = this.now();
    const exchange = this.exchange();
    let skipped = false;
    for (const [account, watch] of this.margins) {
      if (touched.has(account)) continue;
      if (now - watch.checkedAtMs < marginRecheckIntervalMs) {
        skipped = true;
        continue;
      }
      watch.checkedAtMs = now;
      this.publishMargin(account, sequence, timeText, accountView(exchange, account));
    }
    if (skipped && this.recheckTimer === null) {
      this.recheckTimer = setTimeout(() => {
        this.recheckTimer = null;
        this.recheckMargins(new Map(), this.lastSequence, this.lastTime.toString());
      }, marginRecheckIntervalMs);
      this.recheckTimer.unref();
    }
  }

  private recheckTimer: NodeJS.Timeout | null = null;
  private lastSequence = 0;
  private lastTime = 0n;

  /** Stops the deferred margin check (the server is closing). */
  close(): void {
    if (this.recheckTimer !== null) clearTimeout(this.recheckTimer);
    this.recheckTimer = null;
  }

  /** Sends a new subscriber its account's current positions or balances. */
  sendAccountTo(connection: { sendJson(message: object): boolean }, channel: "positions" | "balances", account: string, sequence: number, time: bigint): void {
    const exchange = this.exchange();
    const timeText = time.toString();
    if (channel === "positions") connection.sendJson({ type: "positions", account, sequence, time: timeText, positions: positionsView(exchange, account) });
    else connection.sendJson({ type: "balances", account, sequence, time: timeText, balances: accountSummaryView(exchange, account) });
  }

  /** Starts watching an account's margin health (a `margin` subscription) and sends its level now. */
  watchMargin(account: string, sequence: number, time: bigint): void {
    let watch = this.margins.get(account);
    if (watch === undefined) {
      watch = { level: null, checkedAtMs: 0 };
      this.margins.set(account, watch);
    }
    // A new subscriber gets the current level even when it did not change.
    watch.level = null;
    watch.checkedAtMs = this.now();
    this.publishMargin(account, sequence, time.toString(), accountView(this.exchange(), account));
  }

  /** Stops watching once the account's last `margin` subscriber has left. */
  unwatchMargin(account: string): void {
    if (!this.hub.has(`margin:${account}`)) this.margins.delete(account);
  }

  private publishMargin(account: string, sequence: number, timeText: string, view: AccountView | null): void {
    const watch = this.margins.get(account);
    if (watch === undefined) return;
    const ratioPpm = view === null ? null : worstRatioPpm(view);
    const level = wsMarginLevelOf(ratioPpm);
    if (level === watch.level) return;
    const previousLevel = watch.level;
    watch.level = level;
    this.hub.publish(`margin:${account}`, {
      type: "margin",
      account,
      sequence,
      time: timeText,
      level,
      previousLevel,
      marginRatio: ratioPpm === null ? null : formatUnits(BigInt(ratioPpm), 6),
      message: marginMessages[level],
    });
  }
}

function touch(touched: Map<string, AccountTouch>, account: string): AccountTouch {
  let entry = touched.get(account);
  if (entry === undefined) {
    entry = { orderIds: [], closedOrders: 0, fills: 0 };
    touched.set(account, entry);
  }
  return entry;
}

/** The lowest margin ratio of the account: its cross ratio, and each isolated position's own. */
function worstRatioPpm(view: AccountView): number | null {
  let worst = view.marginRatioPpm;
  for (const position of view.positions) {
    if (position.mode !== "isolated" || position.size === 0 || position.marginRatioPpm === null) continue;
    if (worst === null || position.marginRatioPpm < worst) worst = position.marginRatioPpm;
  }
  return worst;
}

// SPEC 06 §14.1: green > 2.0, yellow 1.5–2.0, orange 1.2–1.5, red < 1.2; the in-app modal below 1.15.
const marginMessages: Readonly<Record<WsMarginLevel, string>> = {
  green: "margin ratio above 2.0: healthy",
  yellow: "margin ratio below 2.0: watch your positions",
  orange: "margin ratio below 1.5: add margin or reduce positions (push notification level)",
  red: "margin ratio below 1.2: close to liquidation (email and SMS level)",
  modal: "margin ratio below 1.15: liquidation is imminent",
  liquidation: "margin ratio below 1.0: the account can be liquidated",
};
