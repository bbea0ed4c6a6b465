// MOF literal -> CIM value of a declared type (DSP0004 7.6): integers only for integer and real
// types, strings for string, datetime and references, aliases only for references. Range and
// format checks come from the CIM model so MOF and CIM-XML agree on what a valid value is.
import { CimError } from '../cim/CimError.js';
import type { CimObjectPath } from '../cim/CimObjectPath.js';
import { isIntegerType, type CimType } from '../cim/CimType.js';
import type { CimScalar, CimValue } from '../cim/CimValue.js';
import { coerceScalar } from '../cim/coerceValue.js';
import type { MofPosition } from './MofError.js';
import type { MofValue } from './MofAst.js';

/** A value that does not fit its type; `reason` is empty when the cause was reported already. */
export class MofValueError extends Error {
  constructor(readonly pos: MofPosition, readonly reason: string) {
    super(reason);
  }
}

/** Looks up an alias: its path, null when its instance failed, undefined when never defined. */
export type AliasLookup = (name: string) => CimObjectPath | null | undefined;

const LITERAL_NAMES: Record<MofValue['kind'], string> = {
  integer: 'an integer', real: 'a real number', string: 'a string', char16: 'a char16 literal', boolean: 'a boolean',
  null: 'NULL', alias: 'an alias', array: 'an array',
};

function mismatch(v: MofValue, type: CimType): never {
  throw new MofValueError(v.pos, `${LITERAL_NAMES[v.kind]} is not a valid ${type} value`);
}

/** Range and format checks of the CIM model, reported at the literal. */
function viaModel(v: MofValue, type: CimType, x: unknown): CimScalar {
  try {
    return coerceScalar(type, x);
  } catch (e) {
    if (e instanceof CimError) throw new MofValueError(v.pos, e.description);
    throw e;
  }
}

function scalar(v: MofValue, type: CimType, aliases: AliasLookup): CimScalar | null {
  switch (v.kind) {
    case 'null': return null;
    case 'integer':
      if (isIntegerType(type)) return viaModel(v, type, v.value);
      if (type === 'real32' || type === 'real64') return viaModel(v, type, Number(v.value));
      return mismatch(v, type);
    case 'real':
      if (type === 'real32' || type === 'real64') return viaModel(v, type, v.value);
      return mismatch(v, type);
    case 'string':
      // Strings are by far the most common literal (every Description and ValueMap entry).
      if (type === 'string') return v.value;
      if (type === 'datetime' || type === 'reference' || type === 'char16') return viaModel(v, type, v.value);
      return mismatch(v, type);
    case 'char16':
      if (type === 'char16' || type === 'string') return v.value;
      return mismatch(v, type);
    case 'boolean':
      if (type === 'boolean') return v.value;
      return mismatch(v, type);
    case 'alias': {
      if (type !== 'reference') return mismatch(v, type);
      const path = aliases(v.name);
      if (path === undefined) throw new MofValueError(v.pos, `alias $${v.name} is not defined (an alias must be defined before it is used)`);
      if (path === null) throw new MofValueError(v.pos, '');
      return path;
    }
    case 'array':
      throw new MofValueError(v.pos, 'arrays cannot be nested');
  }
}

/**
 * The CIM value for `v` as a value of `type` (an array when `isArray`). With `scalarToArray`, a
 * single value given for an array type becomes a one-element array (DMTF qualifiers rely on it).
 */
export function coerceMofValue(v: MofValue, type: CimType, isArray: boolean, aliases: AliasLookup, scalarToArray = false): CimValue {
  if (v.kind === 'null') return null;
  if (v.kind === 'array') {
    if (!isArray) throw new MofValueError(v.pos, `expected a single ${type} value, found an array`);
    const out: (CimScalar | null)[] = new Array(v.items.length);
    for (let i = 0; i < v.items.length; i++) out[i] = scalar(v.items[i]!, type, aliases);
    return out;
  }
  if (isArray) {
    if (!scalarToArray) throw new MofValueError(v.pos, `expected an array value {...} of ${type}, found ${LITERAL_NAMES[v.kind]}`);
    return [scalar(v, type, aliases)];
  }
  return scalar(v, type, aliases);
}
