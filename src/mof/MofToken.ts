// The tokens the MOF lexer hands to the parser. Keywords are not separate kinds: DSP0004 keywords
// are case-insensitive and several (Association, Indication, Reference...) are also valid names,
// so the parser decides by context from an identifier's text.

export enum TokenKind {
  EOF = 0,
  Identifier,
  /** A string literal; `text` is the decoded value (escapes resolved), one literal only. */
  String,
  /** A char16 literal; `text` is the one decoded UTF-16 code unit. */
  Char,
  /** An integer literal; `text` is the source spelling, `int` the value. */
  Integer,
  /** A real literal; `text` is the source spelling, `real` the value. */
  Real,
  /** `$name`; `text` is the name without `$`. */
  Alias,
  /** `#pragma` */
  Pragma,
  LBrace, RBrace, LParen, RParen, LBracket, RBracket, Semicolon, Comma, Colon, Equals,
}

export interface Token {
  kind: TokenKind;
  text: string;
  line: number;
  col: number;
  /** Offset in the source where the token starts. */
  start: number;
  /** Set for Integer tokens. */
  int?: bigint;
  /** Set for Real tokens. */
  real?: number;
}

const PUNCT_NAMES: Record<number, string> = {
  [TokenKind.LBrace]: '"{"', [TokenKind.RBrace]: '"}"', [TokenKind.LParen]: '"("', [TokenKind.RParen]: '")"',
  [TokenKind.LBracket]: '"["', [TokenKind.RBracket]: '"]"', [TokenKind.Semicolon]: '";"', [TokenKind.Comma]: '","',
  [TokenKind.Colon]: '":"', [TokenKind.Equals]: '"="',
};

/** How a token kind is named in "expected ..." messages. */
export function kindName(kind: TokenKind): string {
  switch (kind) {
    case TokenKind.EOF: return 'end of file';
    case TokenKind.Identifier: return 'a name';
    case TokenKind.String: return 'a string';
    case TokenKind.Char: return 'a char16 literal';
    case TokenKind.Integer: return 'an integer';
    case TokenKind.Real: return 'a real number';
    case TokenKind.Alias: return 'an alias';
    case TokenKind.Pragma: return '"#pragma"';
    default: return PUNCT_NAMES[kind] ?? 'a token';
  }
}

/** How a found token is shown in messages: its spelling, shortened. */
export function describeToken(t: Token): string {
  switch (t.kind) {
    case TokenKind.EOF: return 'end of file';
    case TokenKind.String: return `string "${t.text.length > 30 ? `${t.text.slice(0, 27)}...` : t.text}"`;
    case TokenKind.Char: return 'a char16 literal';
    case TokenKind.Alias: return `"$${t.text}"`;
    case TokenKind.Pragma: return '"#pragma"';
    case TokenKind.Identifier: case TokenKind.Integer: case TokenKind.Real:
      return `"${t.text.length > 30 ? `${t.text.slice(0, 27)}...` : t.text}"`;
    default: return PUNCT_NAMES[t.kind] ?? 'a token';
  }
}
