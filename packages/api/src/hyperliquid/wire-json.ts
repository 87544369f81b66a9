// Hyperliquid signs the MessagePack encoding of an action object, and the bytes depend on what
// JSON.parse forgets: the order of an object's keys (JavaScript moves integer-like keys to the front)
// and whether a number was written as an integer ("1") or a float ("1.0": Python's msgpack writes a
// float64). So the body of /exchange is parsed here into a tree that keeps both, and the action is
// encoded from that tree: the hash is computed over exactly what the client sent.

/** A JSON number, kept as written so that integer and float encodings stay distinguishable. */
export class WireNumber {
  /** True for an integer literal ("12", "-3"); false for a fraction or exponent ("1.0", "1e3"). */
  readonly isInteger: boolean;
  constructor(readonly text: string) {
    this.isInteger = integerPattern.test(text);
  }
}

/** A JSON object with its entries in the order they were written. */
export class WireObject {
  constructor(readonly entries: readonly (readonly [string, WireValue])[]) {}
  get(key: string): WireValue | undefined {
    for (const [name, value] of this.entries) if (name === key) return value;
    return undefined;
  }
}

/** A parsed JSON value that remembers key order and number literals. */
export type WireValue = null | boolean | string | WireNumber | WireObject | readonly WireValue[];

/** Why a body could not be parsed; `position` is the offset of the offending character. */
export class WireJsonError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
    this.name = "WireJsonError";
  }
}

const integerPattern = /^-?(0|[1-9][0-9]*)$/;
const numberPattern = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/y;
// No request of the Hyperliquid API nests deeper than this (an order's "t": {"limit": {"tif"}} is 5).
const depthMax = 16;

/**
 * Parses JSON text strictly (RFC 8259), keeping key order and number literals. Duplicate keys are
 * refused: JSON.parse would keep the last one while a signer may have hashed both.
 *
 * @example
 * const value = parseWireJson('{"b":1,"a":"x"}');
 * (value as WireObject).entries.map(([key]) => key); // => ["b", "a"]
 */
export function parseWireJson(text: string): WireValue {
  const parser = new Parser(text);
  parser.skipSpace();
  const value = parser.value(0);
  parser.skipSpace();
  if (parser.position !== text.length) parser.fail("unexpected text after the JSON value");
  return value;
}

class Parser {
  position = 0;
  constructor(private readonly text: string) {}

  fail(reason: string): never {
    throw new WireJsonError(`invalid JSON at offset ${this.position}: ${reason}`, this.position);
  }

  skipSpace(): void {
    const text = this.text;
    while (this.position < text.length) {
      const code = text.charCodeAt(this.position);
      if (code !== 0x20 && code !== 0x0a && code !== 0x0d && code !== 0x09) return;
      this.position += 1;
    }
  }

  value(depth: number): WireValue {
    if (depth > depthMax) this.fail(`nesting deeper than ${depthMax} levels`);
    const character = this.text[this.position];
    if (character === "{") return this.object(depth);
    if (character === "[") return this.array(depth);
    if (character === '"') return this.string();
    if (character === "-" || (character !== undefined && character >= "0" && character <= "9")) return this.number();
    if (this.text.startsWith("true", this.position)) return this.literal(4, true);
    if (this.text.startsWith("false", this.position)) return this.literal(5, false);
    if (this.text.startsWith("null", this.position)) return this.literal(4, null);
    return this.fail(character === undefined ? "unexpected end of input" : `unexpected character ${JSON.stringify(character)}`);
  }

  private literal<T extends boolean | null>(length: number, value: T): T {
    this.position += length;
    return value;
  }

  private number(): WireNumber {
    numberPattern.lastIndex = this.position;
    const match = numberPattern.exec(this.text);
    if (match === null) return this.fail("malformed number");
    this.position += match[0].length;
    return new WireNumber(match[0]);
  }

  private string(): string {
    // The string's extent is found by scanning; JSON.parse then applies the escapes exactly as JSON defines them.
    const start = this.position;
    let index = start + 1;
    const text = this.text;
    for (;;) {
      if (index >= text.length) this.fail("unterminated string");
      const code = text.charCodeAt(index);
      if (code === 0x22) break;
      if (code < 0x20) {
        this.position = index;
        this.fail("control character in string");
      }
      index += code === 0x5c ? 2 : 1;
    }
    this.position = index + 1;
    try {
      return JSON.parse(text.slice(start, index + 1)) as string;
    } catch {
      this.position = start;
      return this.fail("malformed string escape");
    }
  }

  private array(depth: number): WireValue[] {
    this.position += 1;
    const items: WireValue[] = [];
    this.skipSpace();
    if (this.text[this.position] === "]") {
      this.position += 1;
      return items;
    }
    for (;;) {
      this.skipSpace();
      items.push(this.value(depth + 1));
      this.skipSpace();
      const character = this.text[this.position];
      this.position += 1;
      if (character === "]") return items;
      if (character !== ",") this.fail('expected "," or "]" in an array');
    }
  }

  private object(depth: number): WireObject {
    this.position += 1;
    const entries: (readonly [string, WireValue])[] = [];
    const keys = new Set<string>();
    this.skipSpace();
    if (this.text[this.position] === "}") {
      this.position += 1;
      return new WireObject(entries);
    }
    for (;;) {
      this.skipSpace();
      if (this.text[this.position] !== '"') this.fail("expected a string key");
      const key = this.string();
      if (keys.has(key)) this.fail(`duplicate key ${JSON.stringify(key)}`);
      keys.add(key);
      this.skipSpace();
      if (this.text[this.position] !== ":") this.fail('expected ":" after a key');
      this.position += 1;
      this.skipSpace();
      entries.push([key, this.value(depth + 1)]);
      this.skipSpace();
      const character = this.text[this.position];
      this.position += 1;
      if (character === "}") return new WireObject(entries);
      if (character !== ",") this.fail('expected "," or "}" in an object');
    }
  }
}

/**
 * The plain JavaScript value of a wire tree, for reading fields (numbers become `number`s, objects
 * become records with own properties only, so a "__proto__" key is just a key).
 *
 * @example
 * plainOf(parseWireJson('{"a":[1,"x"]}')); // => { a: [1, "x"] }
 */
export function plainOf(value: WireValue): unknown {
  if (value === null || typeof value !== "object") return value;
  if (value instanceof WireNumber) return Number(value.text);
  if (value instanceof WireObject) return Object.fromEntries(value.entries.map(([key, item]) => [key, plainOf(item)]));
  return value.map(plainOf);
}
