// A small TypeScript lexer for the tidy checks (scripts/tidy.ts).
//
// Why a lexer and not regular expressions over the raw text: the ban list must not trip on prose in a
// comment ("never call Date.now here") or on a string that merely mentions a name, and it must still see
// code inside a template literal's `${...}`. The lexer drops comments and turns every string, template
// text and regex literal into one opaque token, so the rules only ever match real code.
//
// It is deliberately not a parser: it knows just enough (strings, templates with nesting, regex vs
// division, numeric literals) to never mistake literal text for code on well-formed input.

export type TokenKind = 'word' | 'punctuator' | 'number' | 'string' | 'template' | 'regex';

export interface Token {
  readonly kind: TokenKind;
  /** The raw lexeme; for a string it includes its quotes. */
  readonly text: string;
  /** 1-based line of the token's first character. */
  readonly line: number;
}

// After one of these words an expression starts, so a `/` begins a regex literal, not a division.
const wordsBeforeExpression: ReadonlySet<string> = new Set([
  'return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else',
  'yield', 'await',
]);

// After these punctuators an expression has just ended, so a `/` is a division.
const punctuatorsEndingExpression: ReadonlySet<string> = new Set([')', ']', '}', '++', '--']);

// Longest first, so that `...` wins over `.` and `?.` over `?`.
const multiCharacterPunctuators: readonly string[] = ['...', '?.', '++', '--', '=>'];

const identifierStart = /[\p{ID_Start}$_]/u;
const identifierPart = /[\p{ID_Continue}$\u200c\u200d]/u;

/** Splits TypeScript source into tokens, without comments or whitespace. */
export function tokenize(source: string): Token[] {
  return new Lexer(source).run();
}

class Lexer {
  private readonly source: string;
  private readonly tokens: Token[] = [];
  private position = 0;
  private line = 1;
  // One entry per open `{`: true when that brace opened a template's `${`, so its `}` resumes the template.
  private readonly braceOpensTemplate: boolean[] = [];

  constructor(source: string) {
    this.source = source;
  }

  run(): Token[] {
    if (this.source.startsWith('#!')) this.skipUntilLineEnd();
    // Bounded: every iteration consumes at least one character.
    while (this.position < this.source.length) {
      const before = this.position;
      this.step();
      if (this.position <= before) throw new Error(`lexer made no progress at offset ${before}`);
    }
    return this.tokens;
  }

  private step(): void {
    const character = this.peek(0);
    const next = this.peek(1);
    if (character === '\n') { this.line += 1; this.position += 1; return; }
    if (/\s/.test(character)) { this.position += 1; return; }
    if (character === '/' && next === '/') { this.skipUntilLineEnd(); return; }
    if (character === '/' && next === '*') { this.skipBlockComment(); return; }
    if (character === '"' || character === "'") { this.readString(character); return; }
    if (character === '`') { this.readTemplateText('`'); return; }
    if (isDigit(character) || (character === '.' && isDigit(next))) { this.readNumber(); return; }
    if (identifierStart.test(character) || character === '\\') { this.readWord(); return; }
    if (character === '/' && this.slashStartsRegex()) { this.readRegex(); return; }
    this.readPunctuator();
  }

  private peek(offset: number): string {
    return this.source.charAt(this.position + offset);
  }

  private push(kind: TokenKind, start: number, line: number): void {
    this.tokens.push({ kind, text: this.source.slice(start, this.position), line });
  }

  private skipUntilLineEnd(): void {
    const end = this.source.indexOf('\n', this.position);
    this.position = end === -1 ? this.source.length : end;
  }

  private skipBlockComment(): void {
    const end = this.source.indexOf('*/', this.position + 2);
    const stop = end === -1 ? this.source.length : end + 2;
    this.advanceCountingLines(stop);
  }

  private advanceCountingLines(unclampedStop: number): void {
    // An escape at the very end of the file can point one past it.
    const stop = Math.min(unclampedStop, this.source.length);
    for (let index = this.position; index < stop; index += 1) {
      if (this.source.charAt(index) === '\n') this.line += 1;
    }
    this.position = stop;
  }

  // A string ends at its closing quote; an unescaped newline also ends it (invalid code), so a stray
  // quote cannot swallow the rest of the file.
  private readString(quote: string): void {
    const start = this.position;
    const line = this.line;
    let index = this.position + 1;
    while (index < this.source.length) {
      const character = this.source.charAt(index);
      if (character === '\\') { index += 2; continue; }
      if (character === quote) { index += 1; break; }
      if (character === '\n') break;
      index += 1;
    }
    this.advanceCountingLines(index);
    this.push('string', start, line);
  }

  // Reads template text from just before `opener` (a backtick, or the `}` that closes a `${`) up to the
  // closing backtick or the next `${`. Code inside `${...}` is lexed as ordinary code by `step`.
  private readTemplateText(opener: '`' | '}'): void {
    const start = this.position;
    const line = this.line;
    let index = this.position + opener.length;
    let opensSubstitution = false;
    while (index < this.source.length) {
      const character = this.source.charAt(index);
      if (character === '\\') { index += 2; continue; }
      if (character === '`') { index += 1; break; }
      if (character === '$' && this.source.charAt(index + 1) === '{') {
        index += 2;
        opensSubstitution = true;
        break;
      }
      index += 1;
    }
    this.advanceCountingLines(index);
    this.push('template', start, line);
    if (opensSubstitution) this.braceOpensTemplate.push(true);
  }

  // Decimal, hex, octal and binary literals, with `_` separators, fractions, exponents and the bigint `n`.
  private readNumber(): void {
    const start = this.position;
    const prefixed = /^0[xXoObB][0-9a-fA-F_]*n?/.exec(this.source.slice(start, start + 80));
    const decimal = /^(?:\d[\d_]*)?(?:\.[\d_]*)?(?:[eE][+-]?[\d_]+)?n?/;
    const match = prefixed ?? decimal.exec(this.source.slice(start));
    const length = match === null || match[0].length === 0 ? 1 : match[0].length;
    this.position += length;
    this.push('number', start, this.line);
  }

  private readWord(): void {
    const start = this.position;
    this.position += 1;
    while (this.position < this.source.length && identifierPart.test(this.peek(0))) this.position += 1;
    this.push('word', start, this.line);
  }

  // The classic heuristic: a `/` starts a regex unless the previous token ended an expression.
  private slashStartsRegex(): boolean {
    const previous = this.tokens.at(-1);
    if (previous === undefined) return true;
    if (previous.kind === 'word') return wordsBeforeExpression.has(previous.text);
    if (previous.kind === 'punctuator') return !punctuatorsEndingExpression.has(previous.text);
    return false;
  }

  private readRegex(): void {
    const start = this.position;
    let index = this.position + 1;
    let inCharacterClass = false;
    while (index < this.source.length) {
      const character = this.source.charAt(index);
      if (character === '\n') break;
      if (character === '\\') { index += 2; continue; }
      if (character === '[') inCharacterClass = true;
      if (character === ']') inCharacterClass = false;
      index += 1;
      if (character === '/' && !inCharacterClass) break;
    }
    while (index < this.source.length && /[a-z]/.test(this.source.charAt(index))) index += 1;
    this.position = Math.min(index, this.source.length);
    this.push('regex', start, this.line);
  }

  private readPunctuator(): void {
    const character = this.peek(0);
    if (character === '{') this.braceOpensTemplate.push(false);
    if (character === '}' && this.braceOpensTemplate.pop() === true) {
      this.readTemplateText('}');
      return;
    }
    const start = this.position;
    const multi = multiCharacterPunctuators.find((candidate) => this.source.startsWith(candidate, start));
    // `a?.5:b` is a conditional with a fraction, not optional chaining.
    const isConditionalFraction = multi === '?.' && isDigit(this.peek(2));
    this.position += multi === undefined || isConditionalFraction ? 1 : multi.length;
    this.push('punctuator', start, this.line);
  }
}

function isDigit(character: string): boolean {
  return character >= '0' && character <= '9' && character.length === 1;
}
