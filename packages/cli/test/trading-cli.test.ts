// The CLI's trading commands against a live server: faucet, markets, book, place, positions, balances,
// cancel, in-process (captured output) and once as the real `perpdex` process. Checks the tables'
// content, the exit codes (0 ok, 1 refused, 2 usage) and that errors print the API's code.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { generatePrivateKey } from "viem/accounts";
import { tradingCommands } from "../src/trading/commands.ts";
import { renderTable } from "../src/trading/table.ts";
import { startTradingHarness, type TradingHarness } from "./trading-harness.ts";

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

async function run(name: string, argv: readonly string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  let out = "";
  let err = "";
  const code = await tradingCommands[name]!.run(argv, { out: (text) => (out += text), err: (text) => (err += text), env });
  return { code, out, err };
}

/** The rows of a rendered table (after the header and the rule), split on runs of two or more spaces. */
function rows(table: string): string[][] {
  const lines = table.trimEnd().split("\n");
  const ruleAt = lines.findIndex((line) => /^-+( +-+)*$/.test(line));
  return lines.slice(ruleAt + 1).map((line) => line.trim().split(/ {2,}/));
}

describe("perpdex trading commands", () => {
  let harness: TradingHarness;
  const key = generatePrivateKey();
  const other = generatePrivateKey();

  before(async () => {
    harness = await startTradingHarness();
  });
  after(async () => {
    await harness?.close();
  });

  test("faucet, place, book, positions, balances and cancel", async () => {
    const url = ["--url", harness.url];
    const faucet = await run("faucet", [...url, "--amount", "50000"], { PERPDEX_PRIVATE_KEY: key });
    assert.equal(faucet.code, 0, faucet.err);
    assert.match(faucet.out, /credited 50000 USDC to 0x[0-9a-f]{40}/);
    assert.equal((await run("faucet", [...url, "--key", other])).code, 0);

    const markets = await run("markets", url);
    assert.equal(markets.code, 0);
    const btc = rows(markets.out).find((row) => row[0] === "BTC-PERP");
    assert.deepEqual(btc?.slice(0, 5), ["BTC-PERP", "crypto", "1", "0.001", "100x"]);

    const placed = await run("place", [...url, "--key", key, "BTC-PERP", "sell", "0.01", "95200", "--client-id", "cli-1"]);
    assert.equal(placed.code, 0, placed.err);
    const [orderId, status] = rows(placed.out)[0]!;
    assert.equal(status, "open");
    const book = await run("book", [...url, "BTC-PERP", "--depth", "5"]);
    assert.deepEqual(rows(book.out), [["ask", "95200", "0.01", "1"]]);

    const taken = await run("place", [...url, "--key", other, "BTC-PERP", "buy", "0.004"]);
    assert.equal(taken.code, 0, taken.err);
    assert.deepEqual(rows(taken.out)[0]!.slice(1), ["filled", "0.004", "0", "95200"]);
    const positions = await run("positions", [...url, "--key", other]);
    assert.deepEqual(rows(positions.out)[0]!.slice(0, 4), ["BTC-PERP", "long", "0.004", "95200"]);
    const balances = await run("balances", [...url, "--key", other]);
    assert.equal(balances.code, 0);
    assert.match(balances.out, /USDC\s+\d+/);
    assert.match(balances.out, /health\s+healthy/);

    const canceled = await run("cancel", [...url, "--key", key, "BTC-PERP", orderId!]);
    assert.equal(canceled.code, 0, canceled.err);
    assert.equal(rows((await run("book", [...url, "BTC-PERP"])).out).length, 0);
    // Canceling it again: refused by the exchange, exit 1, the stable code printed.
    const again = await run("cancel", [...url, "--key", key, "BTC-PERP", orderId!]);
    assert.equal(again.code, 1);
    assert.match(again.err, /ORDER_NOT_FOUND/);
    const json = await run("positions", [...url, "--key", key, "--json"]);
    assert.equal((JSON.parse(json.out) as { positions: { size: string }[] }).positions[0]?.size, "-0.004");
  });

  test("usage errors exit 2 and say what is expected; an off-grid price prints the nearest valid ones", async () => {
    const url = ["--url", harness.url];
    const noKey = await run("positions", url);
    assert.equal(noKey.code, 2);
    assert.match(noKey.err, /PERPDEX_PRIVATE_KEY/);
    assert.equal((await run("place", [...url, "--key", key, "BTC-PERP", "hold", "1"])).code, 2);
    assert.equal((await run("book", [...url, "BTC-PERP", "--depth", "0"])).code, 2);
    assert.equal((await run("markets", [...url, "--bogus"])).code, 2);
    const offGrid = await run("place", [...url, "--key", key, "BTC-PERP", "buy", "0.01", "95000.5"]);
    assert.equal(offGrid.code, 1);
    assert.match(offGrid.err, /PRICE_OFF_TICK/);
    assert.match(offGrid.err, /nearestBelow: 95000/);
    const unreachable = await run("markets", ["--url", "http://127.0.0.1:9"]);
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.err, /NETWORK/);
  });

  test("the perpdex binary runs the trading commands", async () => {
    const cli = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
    const output = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(process.execPath, ["--import", "tsx", cli, "markets", "--url", harness.url], { timeout: 30_000 }, (error, stdout) => resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout }));
    });
    assert.equal(output.code, 0);
    assert.ok(rows(output.stdout).some((row) => row[0] === "ETH-PERP"));
  });

  test("tables align columns and right-align numbers", () => {
    assert.equal(renderTable(["market", "price"], [["BTC-PERP", "95000"], ["ETH-PERP", "3500.5"]]), "market     price\n--------  ------\nBTC-PERP   95000\nETH-PERP  3500.5\n");
    assert.equal(renderTable(["a", "b"], [["x", null]]), "a  b\n-  -\nx  -\n");
  });
});
