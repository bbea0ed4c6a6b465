// How WQL compares a CIM value with another value or a literal. Incomparable pairs (NULL, arrays,
// embedded instances, a string that is not a number against a number) give null, "unknown" in
// SQL's three-valued logic, so the condition is not satisfied rather than an error raised while
// an indication is being routed.
import { CimDateTime } from '../../cim/CimDateTime.js';
import { CimInstance } from '../../cim/CimInstance.js';
import { CimClass } from '../../cim/CimClass.js';
import { CimObjectPath } from '../../cim/CimObjectPath.js';

/** A value as the evaluator sees it: a CIM value, a literal, or undefined for a missing property. */
export type WqlValue = unknown;

type Numeric = number | bigint;

function isNumeric(v: unknown): v is Numeric {
  return typeof v === 'number' || typeof v === 'bigint';
}

function sign(n: number): -1 | 0 | 1 {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

function compareNumbers(a: Numeric, b: Numeric): -1 | 0 | 1 | null {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) || Number.isNaN(b)) return null;
    return sign(a - b) || (a === b ? 0 : null);
  }
  // Mixed: compare exactly when the number is an integer, else as doubles.
  const num = (typeof a === 'number' ? a : b) as number;
  const big = (typeof a === 'bigint' ? a : b) as bigint;
  if (Number.isNaN(num)) return null;
  let r: -1 | 0 | 1;
  if (Number.isInteger(num)) {
    const n = BigInt(num);
    r = n < big ? -1 : n > big ? 1 : 0;
  } else if (!Number.isFinite(num)) {
    r = num < 0 ? -1 : 1;
  } else {
    r = sign(num - Number(big));
    if (r === 0) r = num < Number(big) ? -1 : 1;
  }
  return typeof a === 'number' ? r : ((-r) as -1 | 0 | 1);
}

/** A string literal read as a number, for `EnabledState = "2"`; null when it is not one. */
function numberFromString(s: string): Numeric | null {
  const t = s.trim();
  if (/^[+-]?\d+$/.test(t)) return BigInt(t);
  if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(t)) return t.startsWith('-') ? -BigInt(t.slice(1)) : BigInt(t.replace(/^\+/, ''));
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  return null;
}

function booleanFromString(s: string): boolean | null {
  const t = s.trim().toLowerCase();
  return t === 'true' ? true : t === 'false' ? false : null;
}

/**
 * A datetime on one ordered axis: microseconds since the epoch (UTC) for a timestamp,
 * microseconds of length for an interval; null when wildcarded.
 */
function datetimeOrdinal(dt: CimDateTime): { interval: boolean; us: bigint } | null {
  const f = dt.fields;
  if (f.kind === 'interval') {
    if (f.days === null || f.hours === null || f.minutes === null || f.seconds === null || f.microseconds === null) return null;
    const s = ((BigInt(f.days) * 24n + BigInt(f.hours)) * 60n + BigInt(f.minutes)) * 60n + BigInt(f.seconds);
    return { interval: true, us: s * 1_000_000n + BigInt(f.microseconds) };
  }
  if (f.year === null || f.month === null || f.day === null || f.hour === null || f.minute === null
    || f.second === null || f.microsecond === null || f.utcOffsetMinutes === null) return null;
  const ms = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second) - f.utcOffsetMinutes * 60_000;
  return { interval: false, us: BigInt(ms) * 1000n + BigInt(f.microsecond) };
}

function toDateTime(v: unknown): CimDateTime | null {
  if (v instanceof CimDateTime) return v;
  if (typeof v === 'string') {
    try {
      return CimDateTime.parse(v);
    } catch {
      return null;
    }
  }
  return null;
}

function compareStrings(a: string, b: string): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Text of an object path, so references compare as their WBEM URI / untyped form. */
function pathText(p: CimObjectPath): string | null {
  const s = String(p);
  return s === '[object Object]' ? null : s;
}

/**
 * Orders a against b: -1, 0, 1, or null when the two cannot be compared. Strings compare by
 * UTF-16 code units and case-sensitively; numbers exactly, 64-bit ones included; a string
 * literal is read as a number, boolean or datetime when the other side is one.
 */
export function compareValues(a: WqlValue, b: WqlValue): -1 | 0 | 1 | null {
  if (a === null || a === undefined || b === null || b === undefined) return null;
  if (Array.isArray(a) || Array.isArray(b)) return null;
  if (a instanceof CimInstance || b instanceof CimInstance || a instanceof CimClass || b instanceof CimClass) return null;
  if (isNumeric(a) && isNumeric(b)) return compareNumbers(a, b);
  if (typeof a === 'boolean' || typeof b === 'boolean') {
    const x = typeof a === 'string' ? booleanFromString(a) : a;
    const y = typeof b === 'string' ? booleanFromString(b) : b;
    if (typeof x !== 'boolean' || typeof y !== 'boolean') return null;
    return x === y ? 0 : x ? 1 : -1;
  }
  if (a instanceof CimDateTime || b instanceof CimDateTime) {
    const x = toDateTime(a);
    const y = toDateTime(b);
    if (!x || !y) return null;
    const ox = datetimeOrdinal(x);
    const oy = datetimeOrdinal(y);
    if (!ox || !oy || ox.interval !== oy.interval) return null;
    return ox.us < oy.us ? -1 : ox.us > oy.us ? 1 : 0;
  }
  if (isNumeric(a) && typeof b === 'string') {
    const y = numberFromString(b);
    return y === null ? null : compareNumbers(a, y);
  }
  if (typeof a === 'string' && isNumeric(b)) {
    const x = numberFromString(a);
    return x === null ? null : compareNumbers(x, b);
  }
  if (a instanceof CimObjectPath || b instanceof CimObjectPath) {
    const x = a instanceof CimObjectPath ? pathText(a) : typeof a === 'string' ? a : null;
    const y = b instanceof CimObjectPath ? pathText(b) : typeof b === 'string' ? b : null;
    if (x === null || y === null) return null;
    return compareStrings(x, y);
  }
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  return null;
}
