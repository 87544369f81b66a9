// Plain-text tables for the trading commands: a header, a rule, one row per item, columns padded to
// their widest cell; numbers (decimal strings) right-aligned so the points line up.

const numeric = /^-?[0-9]+(\.[0-9]+)?$/;

/**
 * Renders rows as an aligned table.
 *
 * @example
 * renderTable(["market", "price"], [["BTC-PERP", "95000"]]);
 * // => "market    price\n--------  -----\nBTC-PERP  95000\n"
 */
export function renderTable(header: readonly string[], rows: readonly (readonly (string | number | null | undefined)[])[]): string {
  const cells = rows.map((row) => header.map((_, column) => text(row[column])));
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((row) => row[column]!.length)));
  const alignRight = header.map((_, column) => cells.length > 0 && cells.every((row) => numeric.test(row[column]!) || row[column] === "-"));
  const line = (values: readonly string[]): string =>
    values
      .map((value, column) => (alignRight[column] ? value.padStart(widths[column]!) : value.padEnd(widths[column]!)))
      .join("  ")
      .trimEnd();
  const rule = widths.map((width) => "-".repeat(width));
  return `${[line(header), line(rule), ...cells.map(line)].join("\n")}\n`;
}

function text(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === "") return "-";
  return String(value);
}
