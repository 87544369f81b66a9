// The trading commands of the `perpdex` CLI: markets, book, place, cancel, positions, balances, faucet.
// They talk to a running server through the SDK (`--url`, default http://127.0.0.1:8080) and sign with
// `--key` or PERPDEX_PRIVATE_KEY. Output is a readable table, or the raw answer with `--json`.
// Exit codes: 0 ok, 1 the server refused or could not be reached, 2 usage.
import { parseArgs } from "node:util";
import { PerpdexClient, PerpdexError, type OrderRequest } from "@perpdex/sdk";
import { renderTable } from "./table.ts";

/** Where a command writes (the process's streams, or a test's buffers). */
export interface TradingIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** One trading command: its summary, usage text and how it runs. */
export interface TradingCommand {
  readonly summary: string;
  readonly usage: string;
  readonly run: (argv: readonly string[], io: TradingIo) => Promise<number>;
}

const commonOptions = {
  url: { type: "string", default: "http://127.0.0.1:8080" },
  key: { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

const commonUsage = `Options:
  --url <url>     the API server (default http://127.0.0.1:8080)
  --key <hex>     the private key that signs (default: $PERPDEX_PRIVATE_KEY)
  --json          print the server's answer as JSON instead of a table`;

class UsageError extends Error {}

type OptionSpecs = Record<string, { type: "string" | "boolean"; short?: string; default?: string | boolean }>;

function parse(argv: readonly string[], extra: OptionSpecs): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options: { ...commonOptions, ...extra }, allowPositionals: true, strict: true });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function clientOf(values: Record<string, string | boolean | undefined>, io: TradingIo, needsKey: boolean): PerpdexClient {
  const key = (typeof values.key === "string" ? values.key : undefined) ?? io.env.PERPDEX_PRIVATE_KEY;
  if (needsKey && key === undefined) throw new UsageError("this command signs: pass --key <hex> or set PERPDEX_PRIVATE_KEY");
  if (key !== undefined && !/^0x[0-9a-fA-F]{64}$/.test(key)) throw new UsageError("the private key must be 0x followed by 64 hex digits");
  return new PerpdexClient({ url: String(values.url), ...(key === undefined ? {} : { privateKey: key as `0x${string}` }) });
}

// Runs a command body with usage and server errors turned into messages and exit codes.
function command(summary: string, usage: string, needsKey: boolean, extra: OptionSpecs, body: (context: { client: PerpdexClient; values: Record<string, string | boolean | undefined>; positionals: string[]; io: TradingIo }) => Promise<unknown>): TradingCommand {
  return {
    summary,
    usage,
    async run(argv, io) {
      try {
        const { values, positionals } = parse(argv, extra);
        if (values.help === true) {
          io.out(`${usage}\n${commonUsage}\n`);
          return 0;
        }
        const client = clientOf(values, io, needsKey);
        const answer = await body({ client, values, positionals, io });
        if (values.json === true && answer !== undefined) io.out(`${JSON.stringify(answer, null, 2)}\n`);
        return 0;
      } catch (error) {
        if (error instanceof UsageError) {
          io.err(`perpdex: ${error.message}\n${usage}\n`);
          return 2;
        }
        if (error instanceof PerpdexError) {
          const details = Object.entries(error.details).map(([name, value]) => `  ${name}: ${value}`);
          io.err(`perpdex: ${error.code}: ${error.message.replace(`${error.code}: `, "")}\n${details.join("\n")}${details.length > 0 ? "\n" : ""}`);
          return 1;
        }
        throw error;
      }
    },
  };
}

function show(values: Record<string, string | boolean | undefined>, io: TradingIo, table: () => string): void {
  if (values.json !== true) io.out(table());
}

const markets = command("List the markets with their grid and prices.", "Usage: perpdex markets [options]", false, {}, async ({ client, values, io }) => {
  const answer = await client.markets();
  show(values, io, () =>
    renderTable(
      ["market", "class", "tick", "lot", "max lev", "mark", "index", "open interest"],
      answer.markets.map((market) => [market.symbol, market.assetClass, market.tickSize, market.lotSize, `${market.leverageMax}x`, market.markPrice, market.indexPrice, market.openInterest]),
    ),
  );
  return answer;
});

const book = command("Show a market's order book.", "Usage: perpdex book <MARKET> [--depth N] [options]", false, { depth: { type: "string", default: "10" } }, async ({ client, values, positionals, io }) => {
  const market = positionals[0];
  if (market === undefined) throw new UsageError("name the market, e.g. perpdex book BTC-PERP");
  const depth = Number(values.depth);
  if (!Number.isInteger(depth) || depth < 1 || depth > 500) throw new UsageError("--depth must be an integer from 1 to 500");
  const answer = await client.book(market, { depth });
  show(values, io, () => {
    const rows: (string | null)[][] = [];
    for (const [price, size, orders] of [...answer.asks].reverse()) rows.push(["ask", price, size, orders]);
    for (const [price, size, orders] of answer.bids) rows.push(["bid", price, size, orders]);
    return `${market} at sequence ${answer.sequence}\n${renderTable(["side", "price", "size", "orders"], rows)}`;
  });
  return answer;
});

const placeUsage = `Usage: perpdex place <MARKET> <buy|sell> <SIZE> [PRICE] [options]
  Without PRICE the order is a market order.
  --tif <GTC|IOC|FOK>     time in force of a limit order (default GTC)
  --post-only             refuse to take liquidity
  --reduce-only           only reduce a position
  --client-id <id>        your own id for the order`;

const place = command(
  "Place an order (limit with a price, market without).",
  placeUsage,
  true,
  { tif: { type: "string" }, "post-only": { type: "boolean", default: false }, "reduce-only": { type: "boolean", default: false }, "client-id": { type: "string" } },
  async ({ client, values, positionals, io }) => {
    const [market, side, size, price] = positionals;
    if (market === undefined || (side !== "buy" && side !== "sell") || size === undefined) throw new UsageError("give the market, buy or sell, and the size, e.g. perpdex place BTC-PERP buy 0.01 90000");
    const tif = values.tif;
    if (tif !== undefined && tif !== "GTC" && tif !== "IOC" && tif !== "FOK") throw new UsageError("--tif must be GTC, IOC or FOK");
    const order: OrderRequest = {
      market,
      side,
      orderType: price === undefined ? "market" : "limit",
      size,
      ...(price === undefined ? {} : { price }),
      ...(tif === undefined ? {} : { timeInForce: tif }),
      ...(values["post-only"] === true ? { postOnly: true } : {}),
      ...(values["reduce-only"] === true ? { reduceOnly: true } : {}),
      ...(typeof values["client-id"] === "string" ? { clientOrderId: values["client-id"] } : {}),
    };
    const result = await client.placeOrder(order);
    show(values, io, () => renderTable(["order id", "status", "filled", "remaining", "avg price"], [[result.orderId, result.status, result.filled, result.remaining, result.averagePrice]]));
    return result;
  },
);

const cancel = command(
  "Cancel an order (by id or client id), or all of a market's orders.",
  "Usage: perpdex cancel <MARKET> <ORDER_ID> | perpdex cancel <MARKET> --client-id <id> | perpdex cancel [MARKET] --all",
  true,
  { all: { type: "boolean", default: false }, "client-id": { type: "string" } },
  async ({ client, values, positionals, io }) => {
    const [market, orderId] = positionals;
    let answer;
    if (values.all === true) answer = await client.cancelAll(market === undefined ? {} : { market });
    else {
      if (market === undefined) throw new UsageError("name the market of the order");
      const clientOrderId = typeof values["client-id"] === "string" ? values["client-id"] : undefined;
      if ((orderId === undefined) === (clientOrderId === undefined)) throw new UsageError("name the order by its id or by --client-id (one of them)");
      answer = await client.cancelOrder({ market, ...(orderId === undefined ? {} : { orderId }), ...(clientOrderId === undefined ? {} : { clientOrderId }) });
    }
    show(values, io, () => `canceled at sequence ${answer.sequence}\n`);
    return answer;
  },
);

const positions = command("Show the signing account's positions.", "Usage: perpdex positions [options]", true, {}, async ({ client, values, io }) => {
  const answer = await client.positions();
  show(values, io, () =>
    answer.positions.length === 0
      ? `${answer.account} has no positions\n`
      : renderTable(
          ["market", "side", "size", "entry", "mark", "unrealized PnL", "margin", "liq. price", "health"],
          answer.positions.map((position) => [position.market, position.side, position.size, position.entryPrice, position.markPrice, position.unrealizedPnl, position.margin, position.liquidationPrice, position.health]),
        ),
  );
  return answer;
});

const balances = command("Show the signing account's balances and margin.", "Usage: perpdex balances [options]", true, {}, async ({ client, values, io }) => {
  const answer = await client.accountSummary();
  show(values, io, () => {
    const rows = Object.entries(answer.balances).map(([asset, amount]) => [asset, amount]);
    const summary = [
      ["collateral value", answer.collateralValue],
      ["free collateral", answer.freeCollateral],
      ["withdrawable", answer.withdrawable],
      ["margin ratio", answer.marginRatio ?? null],
      ["health", answer.health],
    ];
    return `${answer.account}\n${renderTable(["asset", "balance"], rows)}\n${renderTable(["", "USD"], summary)}`;
  });
  return answer;
});

const faucet = command(
  "Development servers only: credit test collateral.",
  "Usage: perpdex faucet [--amount N] [--asset USDC|USDT|DAI] [--address 0x…] [options]",
  false,
  { amount: { type: "string", default: "10000" }, asset: { type: "string", default: "USDC" }, address: { type: "string" } },
  async ({ client, values, io }) => {
    const asset = values.asset;
    if (asset !== "USDC" && asset !== "USDT" && asset !== "DAI") throw new UsageError("--asset must be USDC, USDT or DAI");
    const address = typeof values.address === "string" ? values.address : client.signer?.account;
    if (address === undefined) throw new UsageError("pass --address, or a key (--key or PERPDEX_PRIVATE_KEY) to credit its account");
    const answer = await client.faucet({ address, asset, amount: String(values.amount) });
    show(values, io, () => `credited ${answer.amount} ${answer.asset} to ${answer.account} at sequence ${answer.sequence}\n`);
    return answer;
  },
);

/**
 * The trading commands by name.
 *
 * @example
 * const exitCode = await tradingCommands.markets!.run(["--url", "http://127.0.0.1:8080"], { out: console.log, err: console.error, env: process.env });
 */
export const tradingCommands: Readonly<Record<string, TradingCommand>> = { markets, book, place, cancel, positions, balances, faucet };
