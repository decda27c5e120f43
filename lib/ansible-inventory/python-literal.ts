/**
 * Python's `ast.literal_eval`, as Ansible's INI inventory applies it to every value: `23` is a
 * number, `'23'` a string, `[1, 2]` a list, `True` a boolean, and whatever is not a Python
 * literal (`yes`, `bar # comment`, `0022`) stays the text it was.
 *
 * Literals keel cannot represent faithfully (complex numbers, sets, `\N{...}` escapes, integers
 * beyond 2^53) throw `UnsupportedLiteral` rather than becoming something else.
 */

export class UnsupportedLiteral extends Error {}

/** The value Python would make of `text`, or `text` itself when it is not a literal. */
export function pythonValue(text: string): unknown {
  const parsed = parsePythonLiteral(text);
  return parsed.literal ? parsed.value : text;
}

export type LiteralResult = { literal: true; value: unknown } | { literal: false };

const NOT_LITERAL = Symbol('not a literal');

interface Token {
  kind: 'num' | 'str' | 'name' | 'op' | 'end';
  text: string;
  value?: unknown;
  /** Strings: bytes (b'') or text; adjacent literals of different kinds do not concatenate. */
  bytes?: boolean;
  /** Numbers: an imaginary literal (`2j`). */
  imaginary?: boolean;
}

export function parsePythonLiteral(text: string): LiteralResult {
  let tokens: Token[];
  try {
    // literal_eval strips leading spaces and tabs before parsing.
    tokens = tokenize(text.replace(/^[ \t]+/, ''));
  } catch (err) {
    if (err === NOT_LITERAL) return { literal: false };
    throw err;
  }
  let pos = 0;
  const peek = () => tokens[pos];
  const next = () => tokens[pos++];
  const isOp = (t: Token, op: string) => t.kind === 'op' && t.text === op;
  const expectOp = (op: string) => {
    if (!isOp(next(), op)) throw NOT_LITERAL;
  };

  // expression list at the top level: `1, 2` is a tuple, as in Python.
  const exprList = (closing: string | undefined): { items: unknown[]; tuple: boolean } => {
    const items: unknown[] = [];
    let tuple = false;
    while (!(closing ? isOp(peek(), closing) : peek().kind === 'end')) {
      items.push(expr());
      if (isOp(peek(), ',')) {
        next();
        tuple = true;
      } else break;
    }
    return { items, tuple };
  };

  const signedNumber = (): { value: unknown; imaginary: boolean } | undefined => {
    const t = peek();
    if (isOp(t, '-') || isOp(t, '+')) {
      next();
      const n = next();
      // -x is a literal only for a number constant (not --1, not -True, not -(1)).
      if (n.kind !== 'num') throw NOT_LITERAL;
      return { value: isOp(t, '-') ? -(n.value as number) : n.value, imaginary: !!n.imaginary };
    }
    if (t.kind === 'num') {
      next();
      return { value: t.value, imaginary: !!t.imaginary };
    }
    return undefined;
  };

  const atom = (): unknown => {
    const num = signedNumber();
    if (num) {
      if (num.imaginary) throw new UnsupportedLiteral('complex numbers are not supported');
      if (isOp(peek(), '+') || isOp(peek(), '-')) {
        // Python accepts only `real ± imaginary` here: a complex number.
        next();
        const right = next();
        if (right.kind === 'num' && right.imaginary) throw new UnsupportedLiteral('complex numbers are not supported');
        throw NOT_LITERAL;
      }
      return num.value;
    }
    const t = next();
    if (t.kind === 'str') {
      let value = t.value as string;
      while (peek().kind === 'str') {
        const more = next();
        if (more.bytes !== t.bytes) throw NOT_LITERAL;
        value += more.value as string;
      }
      return value;
    }
    if (t.kind === 'name') {
      if (t.text === 'True') return true;
      if (t.text === 'False') return false;
      if (t.text === 'None') return null;
      if (t.text === 'set' && isOp(peek(), '(') && isOp(tokens[pos + 1], ')')) {
        throw new UnsupportedLiteral('Python sets are not supported');
      }
      throw NOT_LITERAL;
    }
    if (isOp(t, '[')) {
      const { items } = exprList(']');
      expectOp(']');
      return items;
    }
    if (isOp(t, '(')) {
      const { items, tuple } = exprList(')');
      expectOp(')');
      if (!tuple && items.length === 1) return items[0];
      return items;
    }
    if (isOp(t, '{')) {
      if (isOp(peek(), '}')) {
        next();
        return {};
      }
      const first = expr();
      if (!isOp(peek(), ':')) {
        // {a, b}: a set (if it parses at all).
        while (isOp(peek(), ',')) {
          next();
          if (isOp(peek(), '}')) break;
          expr();
        }
        expectOp('}');
        throw new UnsupportedLiteral('Python sets are not supported');
      }
      const dict: Record<string, unknown> = {};
      let key: unknown = first;
      for (;;) {
        expectOp(':');
        const value = expr();
        if (typeof key !== 'string' && typeof key !== 'number') {
          throw new UnsupportedLiteral(`dict keys must be strings or numbers, got ${JSON.stringify(key)}`);
        }
        dict[String(key)] = value;
        if (!isOp(peek(), ',')) break;
        next();
        if (isOp(peek(), '}')) break;
        key = expr();
      }
      expectOp('}');
      return dict;
    }
    throw NOT_LITERAL;
  };

  const expr = (): unknown => atom();

  try {
    const { items, tuple } = exprList(undefined);
    if (peek().kind !== 'end' || items.length === 0) return { literal: false };
    return { literal: true, value: tuple ? items : items[0] };
  } catch (err) {
    if (err === NOT_LITERAL) return { literal: false };
    throw err;
  }
}

const HEX_OCT_BIN = /^0(?:[xX](?:_?[0-9a-fA-F])+|[oO](?:_?[0-7])+|[bB](?:_?[01])+)/;
const DIGITS = '[0-9](?:_?[0-9])*';
const FLOAT_OR_IMAG = new RegExp(
  `^(?:(?:(?:${DIGITS})?\\.${DIGITS}|${DIGITS}\\.)(?:[eE][+-]?${DIGITS})?[jJ]?|${DIGITS}[eE][+-]?${DIGITS}[jJ]?|${DIGITS}[jJ])`,
);
const DECIMAL = /^(?:[1-9](?:_?[0-9])*|0(?:_?0)*)/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;
const STRING_PREFIX = /^(?:[rR][bB]?|[bB][rR]?|[uU]|[fF][rR]?|[rR][fF])?(?='|")/;

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\f') {
      i++;
      continue;
    }
    if (c === '#') break; // a comment runs to the end of the line
    if (c === '\n' || c === '\r') throw NOT_LITERAL;
    const rest = src.slice(i);
    const prefix = STRING_PREFIX.exec(rest);
    if (prefix) {
      const p = prefix[0].toLowerCase();
      if (p.includes('f')) throw NOT_LITERAL; // f-strings are not literals
      const { value, length } = readString(rest.slice(p.length), p.includes('r'), p.includes('b'));
      tokens.push({ kind: 'str', text: rest.slice(0, p.length + length), value, bytes: p.includes('b') });
      i += p.length + length;
      continue;
    }
    if (/[0-9.]/.test(c)) {
      let m = HEX_OCT_BIN.exec(rest);
      if (m) {
        tokens.push({ kind: 'num', text: m[0], value: toInteger(m[0]) });
        i += m[0].length;
        continue;
      }
      m = FLOAT_OR_IMAG.exec(rest);
      if (m) {
        const imaginary = /[jJ]$/.test(m[0]);
        const value = Number(m[0].replace(/_/g, '').replace(/[jJ]$/, ''));
        if (!imaginary && !Number.isFinite(value)) throw new UnsupportedLiteral(`${m[0]} is too large for a number`);
        tokens.push({ kind: 'num', text: m[0], value, imaginary });
        i += m[0].length;
        continue;
      }
      m = DECIMAL.exec(rest);
      if (m) {
        tokens.push({ kind: 'num', text: m[0], value: toInteger(m[0]) });
        i += m[0].length;
        continue;
      }
      throw NOT_LITERAL;
    }
    const name = NAME.exec(rest);
    if (name) {
      tokens.push({ kind: 'name', text: name[0] });
      i += name[0].length;
      continue;
    }
    if ('[](){},:+-'.includes(c)) {
      tokens.push({ kind: 'op', text: c });
      i++;
      continue;
    }
    // Any other character (an operator, a non-ASCII letter, ...) cannot be part of a literal.
    throw NOT_LITERAL;
  }
  tokens.push({ kind: 'end', text: '' });
  // A number directly followed by a name or number (`1abc`, `0123`) is a syntax error in Python.
  for (let t = 0; t < tokens.length - 1; t++) {
    if (tokens[t].kind === 'num' && (tokens[t + 1].kind === 'num' || tokens[t + 1].kind === 'name')) throw NOT_LITERAL;
  }
  return tokens;
}

function toInteger(text: string): number {
  const clean = text.replace(/_/g, '');
  const big = BigInt(/^0[oO]/.test(clean) ? '0o' + clean.slice(2) : clean);
  if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new UnsupportedLiteral(`integer ${text} is too large`);
  return Number(big);
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

/** Reads one quoted string (single, double or triple quotes) from the start of `src`. */
function readString(src: string, raw: boolean, bytes: boolean): { value: string; length: number } {
  const quote = src.startsWith("'''") || src.startsWith('"""') ? src.slice(0, 3) : src[0];
  let i = quote.length;
  let value = '';
  while (i < src.length) {
    if (src.startsWith(quote, i)) return { value, length: i + quote.length };
    const c = src[i];
    if (c === '\n' && quote.length === 1) throw NOT_LITERAL;
    if (c !== '\\') {
      value += c;
      i++;
      continue;
    }
    const e = src[i + 1];
    if (e === undefined) throw NOT_LITERAL;
    if (raw) {
      // In a raw string a backslash stays, and keeps the next character from ending the string.
      value += c + e;
      i += 2;
      continue;
    }
    if (e in SIMPLE_ESCAPES) {
      value += SIMPLE_ESCAPES[e];
      i += 2;
    } else if (/[0-7]/.test(e)) {
      const m = /^[0-7]{1,3}/.exec(src.slice(i + 1))![0];
      value += String.fromCodePoint(parseInt(m, 8));
      i += 1 + m.length;
    } else if (bytes && (e === 'u' || e === 'U' || e === 'N')) {
      value += c + e; // not escapes in bytes
      i += 2;
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = src.slice(i + 2, i + 2 + len);
      if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) throw NOT_LITERAL;
      const code = parseInt(hex, 16);
      if (code > 0x10ffff) throw NOT_LITERAL;
      value += String.fromCodePoint(code);
      i += 2 + len;
    } else if (e === 'N') {
      throw new UnsupportedLiteral('\\N{...} escapes are not supported');
    } else if (e === '\n') {
      i += 2;
    } else {
      // An unknown escape keeps its backslash.
      value += c + e;
      i += 2;
    }
  }
  throw NOT_LITERAL; // unterminated
}
