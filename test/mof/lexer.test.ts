// The MOF lexer: every literal form DSP0004 allows, escapes, comments, and positions.
import { expect } from 'chai';
import { MofLexer } from '../../src/mof/MofLexer.js';
import { TokenKind, type Token } from '../../src/mof/MofToken.js';
import type { MofError } from '../../src/mof/MofError.js';

function lex(text: string): { tokens: Token[]; errors: MofError[] } {
  const errors: MofError[] = [];
  const lx = new MofLexer(text, 't.mof', (e) => errors.push(e));
  const tokens: Token[] = [];
  for (let t = lx.next(); t.kind !== TokenKind.EOF; t = lx.next()) tokens.push(t);
  return { tokens, errors };
}

function one(text: string): Token {
  const { tokens, errors } = lex(text);
  expect(errors.map((e) => e.message)).to.deep.equal([]);
  expect(tokens).to.have.length(1);
  return tokens[0]!;
}

describe('mof lexer', () => {
  describe('integers', () => {
    const cases: [string, bigint][] = [
      ['0', 0n], ['42', 42n], ['-42', -42n], ['+7', 7n],
      ['0x1F', 31n], ['0XfF', 255n], ['-0x10', -16n],
      ['101b', 5n], ['1B', 1n], ['-11b', -3n], ['0b', 0n],
      ['017', 15n], ['-010', -8n], ['00', 0n],
      ['18446744073709551615', 18446744073709551615n], ['-9223372036854775808', -9223372036854775808n],
      ['0xFFFFFFFFFFFFFFFF', 18446744073709551615n],
    ];
    for (const [text, value] of cases) {
      it(`reads ${text} as ${value}`, () => {
        const t = one(text);
        expect(t.kind).to.equal(TokenKind.Integer);
        expect(t.int).to.equal(value);
        expect(t.text).to.equal(text);
      });
    }

    const bad: [string, RegExp][] = [
      ['0x', /hex integer needs digits/], ['0xZ1', /hex integer needs digits/], ['0x1G', /invalid hex digit/],
      ['019', /octal/], ['102b', /binary integer has only the digits 0 and 1/], ['12abc', /invalid character in integer/],
    ];
    for (const [text, re] of bad) {
      it(`refuses ${text} with one positioned error`, () => {
        const { tokens, errors } = lex(`  ${text}`);
        expect(errors).to.have.length(1);
        expect(errors[0]!.code).to.equal('MOF_LEXICAL');
        expect(errors[0]!.reason).to.match(re);
        expect([errors[0]!.line, errors[0]!.col]).to.deep.equal([1, 3]);
        expect(tokens).to.have.length(1);
      });
    }
  });

  describe('reals', () => {
    const cases: [string, number][] = [
      ['1.5', 1.5], ['-0.25', -0.25], ['.5', 0.5], ['+.5', 0.5], ['1.0e3', 1000], ['2.5E-2', 0.025], ['3e2', 300], ['-1.5e+2', -150],
    ];
    for (const [text, value] of cases) {
      it(`reads ${text} as ${value}`, () => {
        const t = one(text);
        expect(t.kind).to.equal(TokenKind.Real);
        expect(t.real).to.equal(value);
      });
    }
    it('refuses a point without digits after it and an exponent without digits', () => {
      expect(lex('1.').errors[0]!.reason).to.match(/digits after the decimal point/);
      expect(lex('1.5e').errors[0]!.reason).to.match(/exponent/);
      expect(lex('1.5x').errors[0]!.reason).to.match(/invalid character in real/);
    });
  });

  describe('strings', () => {
    const cases: [string, string][] = [
      ['"plain"', 'plain'], ['""', ''],
      ['"a\\"b"', 'a"b'], ["\"it\\'s\"", "it's"], ['"back\\\\slash"', 'back\\slash'],
      ['"\\b\\t\\n\\f\\r"', '\b\t\n\f\r'],
      ['"\\x41\\X42"', 'AB'], ['"\\x263A!"', '\u263a!'], ['"\\x7"', '\u0007'], ['"\\x00410"', '\u00410'],
      ['"ünïcødé ✓"', 'ünïcødé ✓'],
    ];
    for (const [text, value] of cases) {
      it(`decodes ${text}`, () => {
        const t = one(text);
        expect(t.kind).to.equal(TokenKind.String);
        expect(t.text).to.equal(value);
      });
    }
    it('reports an unknown escape at the backslash and keeps going', () => {
      const { tokens, errors } = lex('"ab\\qc" x');
      expect(errors.map((e) => [e.line, e.col])).to.deep.equal([[1, 4]]);
      expect(errors[0]!.reason).to.match(/unknown escape "\\q"/);
      expect(tokens.map((t) => t.text)).to.deep.equal(['abqc', 'x']);
    });
    it('reports \\x without hex digits', () => {
      expect(lex('"\\xg"').errors[0]!.reason).to.match(/1 to 4 hex digits/);
    });
    it('reports a string that runs to the end of the line, then lexes the next line', () => {
      const { tokens, errors } = lex('"open\nclass');
      expect(errors).to.have.length(1);
      expect(errors[0]!.reason).to.match(/unterminated string/);
      expect(tokens.map((t) => t.kind)).to.deep.equal([TokenKind.String, TokenKind.Identifier]);
      expect(tokens[1]!.line).to.equal(2);
    });
    it('reports a string that runs to the end of the file', () => {
      expect(lex('"open').errors[0]!.reason).to.match(/end of file/);
    });
  });

  describe('char16', () => {
    const cases: [string, string][] = [["'a'", 'a'], ["'\\n'", '\n'], ["'\\''", "'"], ["'\\x41'", 'A'], ["'\\X263a'", '\u263a'], ["'\"'", '"']];
    for (const [text, value] of cases) {
      it(`decodes ${text}`, () => {
        const t = one(text);
        expect(t.kind).to.equal(TokenKind.Char);
        expect(t.text).to.equal(value);
      });
    }
    it('refuses empty, long and unterminated char16 literals', () => {
      expect(lex("''").errors[0]!.reason).to.match(/empty char16/);
      expect(lex("'ab'").errors[0]!.reason).to.match(/exactly one character/);
      expect(lex("'a").errors[0]!.reason).to.match(/unterminated char16/);
    });
  });

  it('skips both comment forms and counts lines inside block comments', () => {
    const { tokens, errors } = lex('// line\n/* a\n b */ x /**/y\r\n  z');
    expect(errors).to.deep.equal([]);
    expect(tokens.map((t) => [t.text, t.line, t.col])).to.deep.equal([['x', 3, 7], ['y', 3, 13], ['z', 4, 3]]);
  });

  it('reports an unterminated block comment where it starts', () => {
    const { errors } = lex('x\n  /* never closed');
    expect(errors.map((e) => e.message)).to.deep.equal(['t.mof:2:3: unterminated comment: "/*" has no "*/"']);
  });

  it('reads aliases, #pragma and punctuation', () => {
    const { tokens, errors } = lex('$a1 #pragma #PRAGMA {}()[];,:=');
    expect(errors).to.deep.equal([]);
    expect(tokens.map((t) => t.kind)).to.deep.equal([
      TokenKind.Alias, TokenKind.Pragma, TokenKind.Pragma, TokenKind.LBrace, TokenKind.RBrace, TokenKind.LParen, TokenKind.RParen,
      TokenKind.LBracket, TokenKind.RBracket, TokenKind.Semicolon, TokenKind.Comma, TokenKind.Colon, TokenKind.Equals,
    ]);
    expect(tokens[0]!.text).to.equal('a1');
  });

  it('names unexpected characters by code point, one error each', () => {
    const { tokens, errors } = lex('a @ \u0001 b #define $');
    expect(errors.map((e) => e.reason)).to.deep.equal([
      'unexpected character "@" (U+0040)', 'unexpected character (U+0001)',
      'unknown directive "#define"; the only one is "#pragma"', 'an alias needs a name after "$"',
    ]);
    expect(tokens.map((t) => t.text)).to.deep.equal(['a', 'b']);
  });

  it('accepts identifiers with non-ASCII letters and ignores a leading BOM', () => {
    const { tokens, errors } = lex('\ufeffÄpfel_1 x');
    expect(errors).to.deep.equal([]);
    expect(tokens.map((t) => [t.text, t.col])).to.deep.equal([['Äpfel_1', 1], ['x', 9]]);
  });
});
