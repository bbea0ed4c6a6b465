// Character classes of XML 1.0 (Fifth Edition): Char (section 2.2) and NameStartChar / NameChar
// (section 2.3), by UTF-16 code unit for the BMP and by code point above it. ASCII goes through a
// table because nearly every CIM-XML name and value is ASCII.

const ASCII_NAME_START = new Uint8Array(128);
const ASCII_NAME = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const start = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 58;
  ASCII_NAME_START[c] = start ? 1 : 0;
  ASCII_NAME[c] = start || (c >= 48 && c <= 57) || c === 45 || c === 46 ? 1 : 0;
}

/** NameStartChar for a code point (a BMP unit or a combined supplementary code point). */
export function isNameStartChar(c: number): boolean {
  if (c < 128) return ASCII_NAME_START[c] === 1;
  return (c >= 0xc0 && c <= 0xd6) || (c >= 0xd8 && c <= 0xf6) || (c >= 0xf8 && c <= 0x2ff)
    || (c >= 0x370 && c <= 0x37d) || (c >= 0x37f && c <= 0x1fff) || c === 0x200c || c === 0x200d
    || (c >= 0x2070 && c <= 0x218f) || (c >= 0x2c00 && c <= 0x2fef) || (c >= 0x3001 && c <= 0xd7ff)
    || (c >= 0xf900 && c <= 0xfdcf) || (c >= 0xfdf0 && c <= 0xfffd) || (c >= 0x10000 && c <= 0xeffff);
}

/** NameChar for a code point. */
export function isNameChar(c: number): boolean {
  if (c < 128) return ASCII_NAME[c] === 1;
  return isNameStartChar(c) || c === 0xb7 || (c >= 0x300 && c <= 0x36f) || c === 0x203f || c === 0x2040;
}

/** Char for a code point (used for character references, which name code points). */
export function isXmlChar(c: number): boolean {
  return c >= 0x20 ? (c <= 0xd7ff || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff)) : (c === 9 || c === 10 || c === 13);
}

/** True for XML white space (S: space, TAB, LF, CR). */
export function isXmlSpaceCode(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13;
}
