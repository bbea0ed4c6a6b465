// The WQL lexer: query text to tokens with positions. Any character it cannot place is a
// WqlError naming where it stands.
import { WqlError } from './WqlError.js';
import { WQL_KEYWORDS, type WqlToken } from './WqlToken.js';

function isIdentStart(c: string): boolean {
  // CIM names allow underscores and non-ASCII letters (DSP0004 ANNEX A IDENTIFIER).
  return /[A-Za-z_]/.test(c) || c.charCodeAt(0) >= 0x80;
}

function isIdentPart(c: string): boolean {
  return isIdentStart(c) || (c >= '0' && c <= '9');
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

const ESCAPES: Record<string, string> = {
  '\\': '\\', '"': '"', "'": "'", n: '\n', t: '\t', r: '\r', b: '\b', f: '\f',
};

export function tokenizeWql(text: string): WqlToken[] {
  const out: WqlToken[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    const start = i;
    if (isIdentStart(c)) {
      while (i < n && isIdentPart(text[i]!)) i++;
      const word = text.slice(start, i);
      const upper = word.toUpperCase();
      out.push(WQL_KEYWORDS.has(upper) ? { kind: 'keyword', text: upper, pos: start } : { kind: 'identifier', text: word, pos: start });
      continue;
    }
    if (isDigit(c) || (c === '.' && isDigit(text[i + 1]))) {
      out.push(readNumber(text, start));
      i = start + out[out.length - 1]!.text.length;
      continue;
    }
    if (c === '"' || c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= n) throw new WqlError(start, 'string literal is not terminated');
        const d = text[i]!;
        if (d === c) {
          // SQL style: a doubled quote stands for one quote character.
          if (text[i + 1] === c) { value += c; i += 2; continue; }
          i++;
          break;
        }
        if (d === '\\') {
          const e = text[i + 1];
          if (e === undefined) throw new WqlError(i, 'string literal ends in a lone backslash');
          const mapped = ESCAPES[e];
          if (mapped === undefined) throw new WqlError(i, `unknown escape "\\${e}" in string literal`);
          value += mapped;
          i += 2;
          continue;
        }
        value += d;
        i++;
      }
      out.push({ kind: 'string', text: value, pos: start });
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === '<>' || two === '!=' || two === '<=' || two === '>=') {
      out.push({ kind: 'operator', text: two === '!=' ? '<>' : two, pos: start });
      i += 2;
      continue;
    }
    if (c === '=' || c === '<' || c === '>') {
      out.push({ kind: 'operator', text: c, pos: start });
      i++;
      continue;
    }
    if (c === '(' || c === ')' || c === ',' || c === '.' || c === '*' || c === '-' || c === '+') {
      out.push({ kind: 'punct', text: c, pos: start });
      i++;
      continue;
    }
    throw new WqlError(start, `unexpected character ${JSON.stringify(c)}`);
  }
  out.push({ kind: 'eof', text: '', pos: n });
  return out;
}

/** Reads a decimal integer, a real (digits, fraction, exponent) or a 0x hexadecimal integer. */
function readNumber(text: string, start: number): WqlToken {
  const rest = text.slice(start);
  const hex = /^0[xX][0-9A-Fa-f]+/.exec(rest);
  let m: RegExpExecArray | null;
  if (hex) {
    m = hex;
  } else {
    m = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(rest);
  }
  const lit = m![0];
  const after = text[start + lit.length];
  if (after !== undefined && (isIdentPart(after) || after === '.')) {
    throw new WqlError(start + lit.length, `malformed number "${lit}${after}"`);
  }
  const isInteger = hex !== null || /^\d+$/.test(lit);
  const value = isInteger ? BigInt(lit) : Number(lit);
  if (typeof value === 'number' && !Number.isFinite(value)) throw new WqlError(start, `number "${lit}" is out of range`);
  return { kind: 'number', text: lit, value, pos: start };
}
