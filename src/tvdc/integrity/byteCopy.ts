// Copies of short strings into buffers, done in JavaScript: for the 20-64 byte fields of a
// measurement-list entry a plain loop is cheaper than a native Buffer.write call, and the hex
// decoder validates as it goes.

const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX_VALUE[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX_VALUE[97 + i] = 10 + i;
  HEX_VALUE[65 + i] = 10 + i;
}

/** Decodes `hex` (even length) into `buf` at `off`; returns the byte count, or -1 if not hex. */
export function hexInto(buf: Uint8Array, off: number, hex: string, start = 0, end = hex.length): number {
  if ((end - start) & 1) return -1;
  let o = off;
  for (let i = start; i < end; i += 2) {
    const a = hex.charCodeAt(i);
    const b = hex.charCodeAt(i + 1);
    const hi = a < 128 ? HEX_VALUE[a]! : -1;
    const lo = b < 128 ? HEX_VALUE[b]! : -1;
    if ((hi | lo) < 0) return -1;
    buf[o++] = (hi << 4) | lo;
  }
  return o - off;
}

/** Copies a latin1 string (each char one byte) into `buf` at `off`; returns its length. */
export function latin1Into(buf: Uint8Array, off: number, s: string): number {
  for (let i = 0; i < s.length; i++) buf[off + i] = s.charCodeAt(i);
  return s.length;
}

/**
 * Copies `s[start, end)` as UTF-8 when it is plain ASCII (file paths nearly always are) and
 * returns the byte count; returns -1 on the first non-ASCII char so the caller can fall back.
 */
export function asciiInto(buf: Uint8Array, off: number, s: string, start: number, end: number): number {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128) return -1;
    buf[off + i - start] = c;
  }
  return end - start;
}

/**
 * hexInto() that also reports case: returns the byte count for lowercase hex, -2 when the hex
 * is valid but has upper-case digits (decoded all the same), -1 when it is not hex.
 */
export function hexIntoLower(buf: Uint8Array, off: number, hex: string, start: number, end: number): number {
  if ((end - start) & 1) return -1;
  let o = off;
  let upper = false;
  for (let i = start; i < end; i += 2) {
    const a = hex.charCodeAt(i);
    const b = hex.charCodeAt(i + 1);
    const hi = a < 128 ? HEX_VALUE[a]! : -1;
    const lo = b < 128 ? HEX_VALUE[b]! : -1;
    if ((hi | lo) < 0) return -1;
    if ((a >= 65 && a <= 70) || (b >= 65 && b <= 70)) upper = true;
    buf[o++] = (hi << 4) | lo;
  }
  return upper ? -2 : o - off;
}
