// Converts loosely typed JavaScript values (from providers, JSON, key bindings, MOF literals) to
// the representation CimValue.ts prescribes for a CIM type, checking ranges on the way.
import type { CimType } from './CimType.js';
import { INTEGER_RANGES, isIntegerType } from './CimType.js';
import type { CimScalar, CimValue } from './CimValue.js';
import { CimDateTime } from './CimDateTime.js';
import { CimObjectPath } from './CimObjectPath.js';
import { CimInstance } from './CimInstance.js';
import { CimClass } from './CimClass.js';
import { CimError, CimStatus } from './CimError.js';
import { parseCimBoolean, parseCimInteger, parseCimReal } from './valueText.js';

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof CimDateTime) return `datetime ${v.text}`;
  if (v instanceof CimObjectPath) return `reference ${v.toString()}`;
  if (v instanceof CimInstance) return `instance of ${v.className}`;
  if (v instanceof CimClass) return `class ${v.name}`;
  if (typeof v === 'string') return `string "${v.length > 40 ? `${v.slice(0, 37)}...` : v}"`;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return `${typeof v} ${String(v)}`;
  return typeof v;
}

function mismatch(type: CimType, v: unknown, why?: string): CimError {
  return new CimError(CimStatus.CIM_ERR_TYPE_MISMATCH, `${describe(v)} is not a valid ${type}${why ? `: ${why}` : ''}`);
}

/** Re-labels a text parse failure as a type mismatch while keeping its reason. */
function fromText<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof CimError) throw new CimError(CimStatus.CIM_ERR_TYPE_MISMATCH, e.description);
    throw e;
  }
}

/** One scalar of `type` from a JS value; throws CimError(CIM_ERR_TYPE_MISMATCH) naming the problem. */
export function coerceScalar(type: CimType, v: unknown): CimScalar {
  switch (type) {
    case 'boolean':
      if (typeof v === 'boolean') return v;
      if (typeof v === 'string') return fromText(() => parseCimBoolean(v));
      throw mismatch(type, v);
    case 'string':
      if (typeof v === 'string' || v instanceof CimInstance || v instanceof CimClass) return v;
      throw mismatch(type, v);
    case 'char16':
      if (typeof v === 'string' && v.length === 1) return v;
      throw mismatch(type, v, 'a char16 is exactly one UTF-16 code unit');
    case 'datetime':
      if (v instanceof CimDateTime) return v;
      if (typeof v === 'string') return fromText(() => CimDateTime.parse(v));
      if (v instanceof Date) return fromText(() => CimDateTime.fromDate(v));
      throw mismatch(type, v);
    case 'reference':
      if (v instanceof CimObjectPath) return v;
      if (typeof v === 'string') return fromText(() => CimObjectPath.parse(v));
      throw mismatch(type, v);
    case 'real32': case 'real64': {
      let n: number;
      if (typeof v === 'number') n = v;
      else if (typeof v === 'bigint') n = Number(v);
      else if (typeof v === 'string') return fromText(() => parseCimReal(type, v));
      else throw mismatch(type, v);
      if (type === 'real32') {
        const f = Math.fround(n);
        if (Number.isFinite(n) && !Number.isFinite(f)) throw mismatch(type, v, 'out of the real32 range');
        return f;
      }
      return n;
    }
    default: {
      if (!isIntegerType(type)) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `unknown CIM type "${String(type)}"`);
      const [lo, hi] = INTEGER_RANGES[type];
      const big = type === 'uint64' || type === 'sint64';
      if (typeof v === 'number') {
        if (!Number.isInteger(v)) throw mismatch(type, v, 'not an integer');
        if (!Number.isSafeInteger(v) && big) throw mismatch(type, v, 'beyond 2^53 a number is inexact; pass a bigint');
        if (v < Number(lo) || v > Number(hi)) throw mismatch(type, v, `out of range ${lo}..${hi}`);
        return big ? BigInt(v) : v + 0;
      }
      if (typeof v === 'bigint') {
        if (v < lo || v > hi) throw mismatch(type, v, `out of range ${lo}..${hi}`);
        return big ? v : Number(v);
      }
      if (typeof v === 'string') return fromText(() => parseCimInteger(type, v));
      throw mismatch(type, v);
    }
  }
}

/**
 * A whole value of `type` (an array when `isArray`): null and undefined give null, array elements
 * may be null. Throws CimError(CIM_ERR_TYPE_MISMATCH) naming the problem.
 */
export function coerceValue(type: CimType, isArray: boolean, value: unknown): CimValue {
  if (value === null || value === undefined) return null;
  if (isArray) {
    if (!Array.isArray(value)) throw mismatch(type, value, 'expected an array');
    const out: (CimScalar | null)[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const el: unknown = value[i];
      try {
        out[i] = el === null || el === undefined ? null : coerceScalar(type, el);
      } catch (e) {
        if (e instanceof CimError) throw new CimError(e.status, `element ${i}: ${e.description}`);
        throw e;
      }
    }
    return out;
  }
  if (Array.isArray(value)) throw mismatch(type, value, 'expected a single value, not an array');
  return coerceScalar(type, value);
}
