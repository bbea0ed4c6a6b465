// The MOF layer's error: a stable code plus the file, line and column where the problem is, shown
// as `file:line:col: message` like every compiler that editors and CI logs understand.

/** Stable codes; callers and tests switch on these, never on message text. */
export type MofErrorCode =
  | 'MOF_LEXICAL' // a character or literal the lexer cannot read
  | 'MOF_SYNTAX' // tokens that do not fit the DSP0004 grammar
  | 'MOF_INCLUDE' // a #pragma include that cannot be found, read, or that forms a cycle
  | 'MOF_IO' // a file named on the command line that cannot be read
  | 'MOF_LIMIT' // input beyond a safety limit (include depth, error count)
  | 'MOF_SEMANTIC'; // well-formed MOF that does not make a valid schema (types, names, qualifiers)

export interface MofPosition {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units. */
  col: number;
}

export class MofError extends Error {
  override readonly name = 'MofError';
  constructor(
    readonly code: MofErrorCode,
    readonly file: string,
    readonly line: number,
    readonly col: number,
    /** The message without the position prefix. */
    readonly reason: string,
  ) {
    super(`${file}:${line}:${col}: ${reason}`);
  }

  static at(code: MofErrorCode, pos: MofPosition, reason: string): MofError {
    return new MofError(code, pos.file, pos.line, pos.col, reason);
  }

  /** `file:line:col: message`. */
  override toString(): string {
    return this.message;
  }
}
