// The tokens of WQL (the SQL subset WBEM servers take for ExecQuery and indication filters):
// what the lexer hands the parser.

export type WqlTokenKind =
  | 'identifier'
  | 'keyword'
  | 'string'
  | 'number'
  | 'operator'
  | 'punct'
  | 'eof';

export interface WqlToken {
  kind: WqlTokenKind;
  /** Keywords are upper-cased; identifiers keep their spelling; strings are unescaped. */
  text: string;
  /** Numeric value of a 'number' token: bigint for integers so 64-bit values stay exact. */
  value?: number | bigint;
  /** 0-based offset of the token's first character. */
  pos: number;
}

/** Words that are keywords wherever they appear (case-insensitive). */
export const WQL_KEYWORDS: ReadonlySet<string> = new Set([
  'SELECT', 'FROM', 'WHERE', 'AND', 'OR', 'NOT', 'IS', 'NULL', 'ISA', 'LIKE', 'TRUE', 'FALSE',
]);
