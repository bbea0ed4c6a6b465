// Where something sits in a policy document, so every validation error can name `file:line:col`.

export interface SourcePos {
  line: number; // 1-based
  col: number; // 1-based
}

/** `file:line:col: message` (or `file: message` when the position is unknown). */
export function formatAt(file: string, pos: SourcePos | undefined, message: string): string {
  return pos ? `${file}:${pos.line}:${pos.col}: ${message}` : `${file}: ${message}`;
}
