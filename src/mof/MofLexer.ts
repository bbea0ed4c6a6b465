// Turns MOF source text into tokens with file, line and column (DSP0004 annex A lexical rules):
// comments, identifiers, every integer form (decimal, 0x hex, binary `101b`, octal `017`), reals,
// string and char16 literals with their escapes, aliases and #pragma. Lexical problems are
// reported to a sink and the lexer carries on, so one bad character costs one error, not the file.
import { MofError } from './MofError.js';
import { TokenKind, type Token } from './MofToken.js';

export type MofErrorSink = (e: MofError) => void;

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || (c >= 0x80 && c <= 0xffef && c !== 0xfeff);
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

const SINGLE: Record<number, TokenKind> = {
  123: TokenKind.LBrace, 125: TokenKind.RBrace, 40: TokenKind.LParen, 41: TokenKind.RParen,
  91: TokenKind.LBracket, 93: TokenKind.RBracket, 59: TokenKind.Semicolon, 44: TokenKind.Comma,
  58: TokenKind.Colon, 61: TokenKind.Equals,
};

export class MofLexer {
  private pos = 0;
  private line = 1;
  private lineStart = 0;
  private readonly end: number;

  constructor(
    private readonly src: string,
    readonly file: string,
    private readonly report: MofErrorSink,
  ) {
    this.end = src.length;
    if (src.charCodeAt(0) === 0xfeff) this.pos = this.lineStart = 1; // a UTF-8 BOM is not content
  }

  private error(line: number, col: number, reason: string): void {
    this.report(new MofError('MOF_LEXICAL', this.file, line, col, reason));
  }

  private errorHere(at: number, reason: string): void {
    this.error(this.line, at - this.lineStart + 1, reason);
  }

  /** Skips whitespace and comments, counting lines. */
  private skipTrivia(): void {
    const s = this.src;
    const end = this.end;
    let p = this.pos;
    while (p < end) {
      const c = s.charCodeAt(p);
      if (c === 32 || c === 9) { p++; continue; }
      if (c === 10) { p++; this.line++; this.lineStart = p; continue; }
      if (c === 13) {
        p++;
        if (s.charCodeAt(p) !== 10) { this.line++; this.lineStart = p; }
        continue;
      }
      if (c === 12 || c === 11) { p++; continue; }
      if (c === 47) {
        const n = s.charCodeAt(p + 1);
        if (n === 47) {
          p += 2;
          while (p < end) {
            const d = s.charCodeAt(p);
            if (d === 10 || d === 13) break;
            p++;
          }
          continue;
        }
        if (n === 42) {
          const startLine = this.line;
          const startCol = p - this.lineStart + 1;
          p += 2;
          let closed = false;
          while (p < end) {
            const d = s.charCodeAt(p);
            if (d === 42 && s.charCodeAt(p + 1) === 47) { p += 2; closed = true; break; }
            p++;
            if (d === 10) { this.line++; this.lineStart = p; }
            else if (d === 13 && s.charCodeAt(p) !== 10) { this.line++; this.lineStart = p; }
          }
          if (!closed) this.error(startLine, startCol, 'unterminated comment: "/*" has no "*/"');
          continue;
        }
      }
      break;
    }
    this.pos = p;
  }

  next(): Token {
    for (;;) {
      this.skipTrivia();
      const p = this.pos;
      const line = this.line;
      const col = p - this.lineStart + 1;
      if (p >= this.end) return { kind: TokenKind.EOF, text: '', line, col, start: p, int: undefined, real: undefined };
      const s = this.src;
      const c = s.charCodeAt(p);
      if (isIdentStart(c)) {
        let q = p + 1;
        while (q < this.end && isIdentPart(s.charCodeAt(q))) q++;
        this.pos = q;
        return { kind: TokenKind.Identifier, text: s.slice(p, q), line, col, start: p, int: undefined, real: undefined };
      }
      const single = SINGLE[c];
      if (single !== undefined) {
        this.pos = p + 1;
        return { kind: single, text: s[p]!, line, col, start: p, int: undefined, real: undefined };
      }
      if (c === 34) return this.string(line, col);
      if (isDigit(c) || ((c === 45 || c === 43 || c === 46) && this.numberFollows(p))) return this.number(line, col);
      if (c === 39) return this.char16(line, col);
      if (c === 36) {
        let q = p + 1;
        while (q < this.end && isIdentPart(s.charCodeAt(q))) q++;
        this.pos = q;
        if (q === p + 1) { this.error(line, col, 'an alias needs a name after "$"'); continue; }
        return { kind: TokenKind.Alias, text: s.slice(p + 1, q), line, col, start: p, int: undefined, real: undefined };
      }
      if (c === 35) {
        let q = p + 1;
        while (q < this.end && isIdentPart(s.charCodeAt(q))) q++;
        this.pos = q;
        if (s.slice(p + 1, q).toLowerCase() === 'pragma') return { kind: TokenKind.Pragma, text: '#pragma', line, col, start: p, int: undefined, real: undefined };
        this.error(line, col, `unknown directive "${s.slice(p, Math.min(q, p + 30))}"; the only one is "#pragma"`);
        continue;
      }
      // Anything else is not MOF; name it by code point so invisible characters are findable.
      const cp = s.codePointAt(p)!;
      this.pos = p + (cp > 0xffff ? 2 : 1);
      const shown = cp >= 32 && cp < 127 ? `"${String.fromCodePoint(cp)}" ` : '';
      this.error(line, col, `unexpected character ${shown}(U+${cp.toString(16).toUpperCase().padStart(4, '0')})`);
    }
  }

  /** At a sign or point: does a number start here? */
  private numberFollows(p: number): boolean {
    const s = this.src;
    let q = p;
    const c = s.charCodeAt(q);
    if (c === 45 || c === 43) q++;
    if (isDigit(s.charCodeAt(q))) return true;
    return s.charCodeAt(q) === 46 && isDigit(s.charCodeAt(q + 1));
  }

  private number(line: number, col: number): Token {
    const s = this.src;
    const p = this.pos;
    let q = p;
    let neg = false;
    const sign = s.charCodeAt(q);
    if (sign === 45 || sign === 43) { neg = sign === 45; q++; }
    const digitsStart = q;
    const bad = (reason: string): Token => {
      // Swallow the rest of the word so "12abc" is one error, not two.
      while (q < this.end && (isIdentPart(s.charCodeAt(q)) || s.charCodeAt(q) === 46)) q++;
      this.pos = q;
      this.error(line, col, `${reason}: "${s.slice(p, Math.min(q, p + 40))}"`);
      return { kind: TokenKind.Integer, text: s.slice(p, q), line, col, start: p, int: 0n, real: undefined };
    };
    // Hex: 0x followed by at least one hex digit.
    if (s.charCodeAt(q) === 48 && (s.charCodeAt(q + 1) === 120 || s.charCodeAt(q + 1) === 88)) {
      q += 2;
      const hs = q;
      while (q < this.end && hexValue(s.charCodeAt(q)) >= 0) q++;
      if (q === hs) return bad('a hex integer needs digits after "0x"');
      if (q < this.end && isIdentPart(s.charCodeAt(q))) return bad('invalid hex digit in integer');
      this.pos = q;
      const v = BigInt(`0x${s.slice(hs, q)}`);
      return { kind: TokenKind.Integer, text: s.slice(p, q), line, col, start: p, int: neg ? -v : v, real: undefined };
    }
    while (q < this.end && isDigit(s.charCodeAt(q))) q++;
    const intEnd = q;
    let isReal = false;
    if (s.charCodeAt(q) === 46) {
      q++;
      const fs = q;
      while (q < this.end && isDigit(s.charCodeAt(q))) q++;
      if (q === fs) return bad('a real needs digits after the decimal point');
      isReal = true;
    }
    const e = s.charCodeAt(q);
    if ((e === 101 || e === 69) && (isReal || intEnd > digitsStart)) {
      let r = q + 1;
      const es = s.charCodeAt(r);
      if (es === 43 || es === 45) r++;
      if (isDigit(s.charCodeAt(r))) {
        while (r < this.end && isDigit(s.charCodeAt(r))) r++;
        q = r;
        isReal = true;
      } else if (isReal) {
        q = r;
        return bad('the exponent of a real needs digits');
      }
    }
    if (isReal) {
      if (q < this.end && isIdentPart(s.charCodeAt(q))) return bad('invalid character in real number');
      this.pos = q;
      const text = s.slice(p, q);
      return { kind: TokenKind.Real, text, line, col, start: p, int: undefined, real: Number(text) };
    }
    const digits = s.slice(digitsStart, intEnd);
    const after = s.charCodeAt(q);
    if ((after === 98 || after === 66) && !isIdentPart(s.charCodeAt(q + 1))) {
      // Binary: only 0 and 1 before the b.
      for (let i = 0; i < digits.length; i++) {
        if (digits.charCodeAt(i) > 49) { q++; return bad('a binary integer has only the digits 0 and 1'); }
      }
      q++;
      this.pos = q;
      const v = BigInt(`0b${digits}`);
      return { kind: TokenKind.Integer, text: s.slice(p, q), line, col, start: p, int: neg ? -v : v, real: undefined };
    }
    if (q < this.end && isIdentPart(after)) return bad('invalid character in integer');
    let v: bigint;
    if (digits.length > 1 && digits.charCodeAt(0) === 48) {
      for (let i = 1; i < digits.length; i++) {
        if (digits.charCodeAt(i) > 55) return bad('an integer with a leading 0 is octal and has only the digits 0-7');
      }
      v = BigInt(`0o${digits.slice(1)}`);
    } else {
      // Short decimals (almost all of them) avoid BigInt's string parser.
      v = digits.length <= 15 ? BigInt(+digits) : BigInt(digits);
    }
    this.pos = q;
    return { kind: TokenKind.Integer, text: s.slice(p, q), line, col, start: p, int: neg ? -v : v, real: undefined };
  }

  /**
   * Reads one escape sequence after a backslash at `q` (pointing at the backslash); returns the
   * decoded text and the position after it. Unknown escapes are reported and kept literally.
   */
  private escape(q: number): [string, number] {
    const s = this.src;
    const c = s.charCodeAt(q + 1);
    switch (c) {
      case 98: return ['\b', q + 2];
      case 116: return ['\t', q + 2];
      case 110: return ['\n', q + 2];
      case 102: return ['\f', q + 2];
      case 114: return ['\r', q + 2];
      case 34: return ['"', q + 2];
      case 39: return ["'", q + 2];
      case 92: return ['\\', q + 2];
      case 120: case 88: {
        let r = q + 2;
        let v = 0;
        while (r < q + 6 && r < this.end && hexValue(s.charCodeAt(r)) >= 0) { v = v * 16 + hexValue(s.charCodeAt(r)); r++; }
        if (r === q + 2) {
          this.errorHere(q, `"\\${s[q + 1]}" needs 1 to 4 hex digits`);
          return ['', r];
        }
        return [String.fromCharCode(v), r];
      }
      default:
        if (q + 1 >= this.end || c === 10 || c === 13) return ['', q + 1];
        this.errorHere(q, `unknown escape "\\${String.fromCodePoint(s.codePointAt(q + 1)!)}" (valid: \\b \\t \\n \\f \\r \\" \\' \\\\ \\x \\X)`);
        return [s[q + 1]!, q + 2];
    }
  }

  private string(line: number, col: number): Token {
    const s = this.src;
    const p = this.pos;
    let q = p + 1;
    let chunkStart = q;
    let out = '';
    for (;;) {
      if (q >= this.end) {
        this.error(line, col, 'unterminated string: end of file before the closing "');
        break;
      }
      const c = s.charCodeAt(q);
      if (c === 34) {
        out += s.slice(chunkStart, q);
        q++;
        break;
      }
      if (c === 10 || c === 13) {
        // A string does not span lines (DSP0004); adjacent literals are concatenated instead.
        out += s.slice(chunkStart, q);
        this.error(line, col, 'unterminated string: end of line before the closing " (split long strings into adjacent literals)');
        break;
      }
      if (c === 92) {
        out += s.slice(chunkStart, q);
        const [text, r] = this.escape(q);
        out += text;
        q = r;
        chunkStart = q;
        continue;
      }
      q++;
    }
    this.pos = q;
    return { kind: TokenKind.String, text: out, line, col, start: p, int: undefined, real: undefined };
  }

  private char16(line: number, col: number): Token {
    const s = this.src;
    const p = this.pos;
    let q = p + 1;
    let value = '';
    const c = s.charCodeAt(q);
    if (q >= this.end || c === 10 || c === 13) {
      this.pos = q;
      this.error(line, col, "unterminated char16 literal: expected a character and a closing '");
      return { kind: TokenKind.Char, text: '\0', line, col, start: p, int: undefined, real: undefined };
    }
    if (c === 92) [value, q] = this.escape(q);
    else if (c === 39) {
      this.pos = q + 1;
      this.error(line, col, "empty char16 literal ''");
      return { kind: TokenKind.Char, text: '\0', line, col, start: p, int: undefined, real: undefined };
    } else { value = s[q]!; q++; }
    if (s.charCodeAt(q) !== 39) {
      // Find the closing quote on this line to resynchronise; a char16 holds one code unit.
      let r = q;
      while (r < this.end && s.charCodeAt(r) !== 39 && s.charCodeAt(r) !== 10 && s.charCodeAt(r) !== 13) r++;
      const closed = s.charCodeAt(r) === 39;
      this.pos = closed ? r + 1 : r;
      this.error(line, col, closed ? 'a char16 literal holds exactly one character' : "unterminated char16 literal: no closing '");
      return { kind: TokenKind.Char, text: value.length === 1 ? value : '\0', line, col, start: p, int: undefined, real: undefined };
    }
    this.pos = q + 1;
    return { kind: TokenKind.Char, text: value.length === 1 ? value : '\0', line, col, start: p, int: undefined, real: undefined };
  }
}
