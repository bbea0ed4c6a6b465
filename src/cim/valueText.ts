// Text <-> value for CIM scalars, as they appear in CIM-XML VALUE elements, key bindings and MOF
// literals. Hot path of the XML decoder: no regular expressions, no intermediate strings beyond
// the one slice a number needs.
import type { CimType, CimIntegerType } from './CimType.js';
import { INTEGER_RANGES } from './CimType.js';
import type { CimScalar } from './CimValue.js';
import { CimDateTime } from './CimDateTime.js';
import { CimObjectPath } from './CimObjectPath.js';
import { CimError, CimStatus } from './CimError.js';

export interface ScalarTextOptions {
  /**
   * Accept the MOF integer forms besides decimal and 0x hex: binary (`101b`) and octal (`017`).
   * Off for wire text, where a leading zero is just a leading zero.
   */
  mof?: boolean;
}

function bad(type: CimType, text: string, reason: string): CimError {
  const shown = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  return new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `invalid ${type} value "${shown}": ${reason}`);
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** Parses `text` as a value of `type`. Numbers, booleans and datetimes may have surrounding XML whitespace. */
export function parseCimScalar(type: CimType, text: string, options?: ScalarTextOptions): CimScalar {
  switch (type) {
    case 'string': return text;
    case 'boolean': return parseCimBoolean(text);
    case 'char16':
      if (text.length !== 1) throw bad(type, text, `a char16 is exactly one UTF-16 code unit, not ${text.length}`);
      return text;
    case 'datetime': return CimDateTime.parse(text.trim());
    case 'real32': case 'real64': return parseCimReal(type, text);
    case 'reference': return CimObjectPath.parse(text.trim());
    case 'uint8': case 'sint8': case 'uint16': case 'sint16': case 'uint32': case 'sint32': case 'uint64': case 'sint64':
      return parseCimInteger(type, text, options?.mof === true);
    default:
      throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `unknown CIM type "${String(type)}"`);
  }
}

/** TRUE / FALSE in any letter case. */
export function parseCimBoolean(text: string): boolean {
  let s = 0;
  let e = text.length;
  while (s < e && isSpace(text.charCodeAt(s))) s++;
  while (e > s && isSpace(text.charCodeAt(e - 1))) e--;
  const n = e - s;
  if (n === 4 || n === 5) {
    const w = (s === 0 && e === text.length ? text : text.slice(s, e)).toLowerCase();
    if (w === 'true') return true;
    if (w === 'false') return false;
  }
  throw bad('boolean', text, 'expected TRUE or FALSE');
}

function digitValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return 99;
}

/**
 * An integer of `type`: decimal with optional sign, or 0x hex; with `mof`, also binary (`1010b`)
 * and octal (`017`). 64-bit types give bigint, the others number; out-of-range values are refused.
 */
export function parseCimInteger(type: CimIntegerType, text: string, mof = false): number | bigint {
  let s = 0;
  let e = text.length;
  while (s < e && isSpace(text.charCodeAt(s))) s++;
  while (e > s && isSpace(text.charCodeAt(e - 1))) e--;
  let neg = false;
  const sign = text.charCodeAt(s);
  if (sign === 45 || sign === 43) { neg = sign === 45; s++; }
  if (s >= e) throw bad(type, text, 'no digits');
  let radix = 10;
  const c0 = text.charCodeAt(s);
  const c1 = s + 1 < e ? text.charCodeAt(s + 1) : 0;
  const last = text.charCodeAt(e - 1);
  if (c0 === 48 && (c1 === 120 || c1 === 88)) { radix = 16; s += 2; }
  else if (mof && (last === 98 || last === 66)) { radix = 2; e--; }
  else if (mof && c0 === 48 && e - s > 1) { radix = 8; s++; }
  if (s >= e) throw bad(type, text, 'no digits');
  const [lo, hi] = INTEGER_RANGES[type];
  const big = type === 'uint64' || type === 'sint64';
  // Accumulate in a double while exact (< 2^53); longer digit strings go through BigInt.
  let v = 0;
  let exact = true;
  for (let i = s; i < e; i++) {
    const d = digitValue(text.charCodeAt(i));
    if (d >= radix) throw bad(type, text, `"${text[i]}" is not a ${radix === 10 ? 'decimal' : radix === 16 ? 'hex' : radix === 8 ? 'octal' : 'binary'} digit`);
    if (exact) {
      v = v * radix + d;
      if (v > Number.MAX_SAFE_INTEGER) exact = false;
    }
  }
  if (exact) {
    const n = neg ? -v : v;
    if (n < Number(lo) || n > Number(hi)) throw bad(type, text, `out of range ${lo}..${hi}`);
    return big ? BigInt(n) : n + 0; // + 0 turns -0 into 0
  }
  if (!big) throw bad(type, text, `out of range ${lo}..${hi}`);
  if (e - s > 70) throw bad(type, text, `out of range ${lo}..${hi}`);
  const prefix = radix === 16 ? '0x' : radix === 8 ? '0o' : radix === 2 ? '0b' : '';
  let b = BigInt(prefix + text.slice(s, e));
  if (neg) b = -b;
  if (b < lo || b > hi) throw bad(type, text, `out of range ${lo}..${hi}`);
  return b;
}

/**
 * A real: `[+-]digits[.digits][e[+-]digits]` (digits on at least one side of the point), or INF,
 * -INF, NaN in any case. real32 values are rounded to single precision; finite text that
 * overflows the type is refused rather than silently becoming infinite.
 */
export function parseCimReal(type: 'real32' | 'real64', text: string): number {
  let s = 0;
  let e = text.length;
  while (s < e && isSpace(text.charCodeAt(s))) s++;
  while (e > s && isSpace(text.charCodeAt(e - 1))) e--;
  let i = s;
  const sign = text.charCodeAt(i);
  if (sign === 43 || sign === 45) i++;
  let mant = 0;
  while (i < e && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) { i++; mant++; }
  if (i < e && text.charCodeAt(i) === 46) {
    i++;
    while (i < e && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) { i++; mant++; }
  }
  if (mant === 0) {
    const w = text.slice(sign === 43 || sign === 45 ? s + 1 : s, e).toLowerCase();
    if (w === 'inf' || w === 'infinity') return sign === 45 ? -Infinity : Infinity;
    if (w === 'nan' && sign !== 43 && sign !== 45) return NaN;
    throw bad(type, text, 'not a number');
  }
  if (i < e && (text.charCodeAt(i) === 101 || text.charCodeAt(i) === 69)) {
    i++;
    const es = text.charCodeAt(i);
    if (es === 43 || es === 45) i++;
    let ed = 0;
    while (i < e && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) { i++; ed++; }
    if (ed === 0) throw bad(type, text, 'exponent has no digits');
  }
  if (i !== e) throw bad(type, text, `unexpected "${text[i]}" at position ${i + 1}`);
  const n = Number(s === 0 && e === text.length ? text : text.slice(s, e));
  const v = type === 'real32' ? Math.fround(n) : n;
  if (!Number.isFinite(v)) throw bad(type, text, `out of the ${type} range`);
  return v;
}

/** Shortest text that reads back to the same double. */
export function formatReal64(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'INF';
  if (v === -Infinity) return '-INF';
  if (v === 0 && 1 / v < 0) return '-0';
  return String(v);
}

/** Shortest text that reads back (through single-precision rounding) to the same real32. */
export function formatReal32(v: number): string {
  if (!Number.isFinite(v) || v === 0) return formatReal64(v);
  const f = Math.fround(v);
  // 9 significant digits always survive single precision; a shorter count that survives stays
  // surviving with more digits, so the shortest one can be found by bisection.
  let lo = 1;
  let hi = 9;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (Math.fround(Number(f.toPrecision(mid))) === f) hi = mid;
    else lo = mid + 1;
  }
  return String(Number(f.toPrecision(lo)));
}

function mismatch(type: CimType, value: unknown): CimError {
  return new CimError(CimStatus.CIM_ERR_TYPE_MISMATCH, `a ${typeof value} cannot be written as ${type}`);
}

/** Renders a scalar of `type` as CIM text (the inverse of parseCimScalar). */
export function formatCimScalar(type: CimType, value: CimScalar): string {
  switch (type) {
    case 'boolean':
      if (typeof value !== 'boolean') throw mismatch(type, value);
      return value ? 'TRUE' : 'FALSE';
    case 'string': case 'char16':
      if (typeof value === 'string') return value;
      throw mismatch(type, value);
    case 'real32': case 'real64':
      if (typeof value !== 'number') throw mismatch(type, value);
      return type === 'real32' ? formatReal32(value) : formatReal64(value);
    case 'datetime':
      if (value instanceof CimDateTime) return value.text;
      throw mismatch(type, value);
    case 'reference':
      if (value instanceof CimObjectPath) return value.toString();
      throw mismatch(type, value);
    default:
      if (typeof value === 'bigint') return value.toString();
      if (typeof value === 'number' && Number.isInteger(value)) return String(value + 0);
      throw mismatch(type, value);
  }
}
