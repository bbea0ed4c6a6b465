// WQL LIKE patterns: `%` any run of characters, `_` one character, `[abc]` / `[a-z]` / `[^abc]`
// a set; everything else literal. Compiled once into an anchored RegExp.
import { WqlError } from './WqlError.js';

function escapeRegExp(c: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c;
}

/** The pattern as a RegExp; `pos` is the pattern's offset in the query, for error positions. */
export function likePatternRegExp(pattern: string, pos = 0): RegExp {
  let src = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '%') src += '[\\s\\S]*';
    else if (c === '_') src += '[\\s\\S]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw new WqlError(pos, `LIKE pattern has an unclosed "[" at character ${i + 1}`);
      let body = pattern.slice(i + 1, end);
      let neg = false;
      if (body.startsWith('^')) {
        neg = true;
        body = body.slice(1);
      }
      let set = '';
      for (let j = 0; j < body.length; j++) {
        if (body[j + 1] === '-' && j + 2 < body.length) {
          const lo = body[j]!;
          const hi = body[j + 2]!;
          if (lo > hi) throw new WqlError(pos, `LIKE pattern has a reversed range "${lo}-${hi}"`);
          set += `${escapeRegExp(lo)}-${escapeRegExp(hi)}`;
          j += 2;
        } else {
          set += escapeRegExp(body[j]!);
        }
      }
      src += `[${neg ? '^' : ''}${set}]`;
      i = end;
    } else src += escapeRegExp(c);
  }
  return new RegExp(`${src}$`);
}
