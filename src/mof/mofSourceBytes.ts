// A MOF file's bytes as text. MOF is read as UTF-8 (a UTF-8 byte order mark is allowed); a file in
// another encoding is named as such in one error at its first bad byte, instead of a lexical error
// per character, and bad bytes never pass silently as U+FFFD into strings.

export type DecodedMof = { ok: true; text: string } | { ok: false; line: number; col: number; reason: string };

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function decodeMofSource(bytes: Uint8Array): DecodedMof {
  const utf16 = utf16Kind(bytes);
  if (utf16) return { ok: false, line: 1, col: 1, reason: `the file is UTF-16 ${utf16}; MOF is read as UTF-8: save it as UTF-8` };
  try {
    return { ok: true, text: strict.decode(bytes) };
  } catch {
    const at = firstInvalidUtf8(bytes);
    const lineStart = bytes.lastIndexOf(0x0a, at - 1) + 1;
    let line = 1;
    for (let i = 0; i < lineStart; i++) if (bytes[i] === 0x0a) line++;
    // Columns count UTF-16 code units, as the lexer's do; the line up to the bad byte is valid.
    const col = strict.decode(bytes.subarray(lineStart, at)).length + 1;
    return { ok: false, line, col, reason: `not UTF-8: invalid byte 0x${bytes[at]!.toString(16).toUpperCase().padStart(2, '0')}; MOF is read as UTF-8` };
  }
}

/** 'with/without a byte order mark' when the bytes look like UTF-16 text, else null. */
function utf16Kind(b: Uint8Array): string | null {
  if (b.length >= 2 && ((b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff))) return 'with a byte order mark';
  // ASCII text in UTF-16 without a BOM: every other byte of its start is zero.
  if (b.length < 8) return null;
  let even = 0;
  let odd = 0;
  for (let i = 0; i < 8; i++) if (b[i] === 0) (i % 2 === 0 ? even++ : odd++);
  return (even === 4 && odd === 0) || (odd === 4 && even === 0) ? 'without a byte order mark' : null;
}

/** Offset of the first byte that does not belong to a well-formed UTF-8 sequence (RFC 3629). */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) { i++; continue; }
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) { n = 2; if (c === 0xe0) lo = 0xa0; if (c === 0xed) hi = 0x9f; }
    else if (c >= 0xf0 && c <= 0xf4) { n = 3; if (c === 0xf0) lo = 0x90; if (c === 0xf4) hi = 0x8f; }
    else return i;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return i;
}
