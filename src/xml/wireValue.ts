// Conversions between wire values (untyped text as sent) and typed CIM values: the server coerces
// parameters against the method declaration, the client builds typed parameters.
import { CimClass } from '../cim/CimClass.js';
import { CimError, CimStatus } from '../cim/CimError.js';
import { CimInstance } from '../cim/CimInstance.js';
import { CimObjectPath } from '../cim/CimObjectPath.js';
import type { CimType } from '../cim/CimType.js';
import type { CimScalar, CimValue } from '../cim/CimValue.js';
import { parseCimScalar } from '../cim/valueText.js';
import type { ParamValue, WireValue } from './messages.js';
import { encodeObjectText, scalarText } from './objectEncoder.js';

function mismatch(what: string, type: CimType, isArray: boolean): CimError {
  return new CimError(CimStatus.CIM_ERR_TYPE_MISMATCH, `${what} cannot be a ${type}${isArray ? '[]' : ''}`);
}

function scalarOf(text: string, embedded: CimInstance | CimClass | null | undefined, type: CimType): CimScalar {
  if (embedded && type === 'string') return embedded;
  if (type === 'reference') return CimObjectPath.parse(text.trim());
  return parseCimScalar(type, text);
}

/**
 * The typed value of wire content as a `type` (array when `isArray`). Text is parsed with the
 * CIM model's scalar parser; embedded objects give CimInstance/CimClass; references give
 * CimObjectPath. Throws CimError(CIM_ERR_INVALID_PARAMETER) for text that does not parse as
 * `type`, CimError(CIM_ERR_TYPE_MISMATCH) for a shape that does not fit (an array for a scalar).
 */
export function fromWireValue(value: WireValue | null, type: CimType, isArray: boolean): CimValue {
  if (value === null) return null;
  switch (value.kind) {
    case 'VALUE':
      if (isArray) throw mismatch('a single VALUE', type, isArray);
      return scalarOf(value.text, value.embedded, type);
    case 'VALUE.ARRAY':
      if (!isArray) throw mismatch('a VALUE.ARRAY', type, isArray);
      return value.items.map((t, i) => (t === null ? null : scalarOf(t, value.embedded?.[i], type)));
    case 'VALUE.REFERENCE':
      if (type !== 'reference' || isArray) throw mismatch('a VALUE.REFERENCE', type, isArray);
      return value.path;
    case 'VALUE.REFARRAY':
      if (type !== 'reference' || !isArray) throw mismatch('a VALUE.REFARRAY', type, isArray);
      return value.paths;
    case 'CLASSNAME':
      if (isArray) throw mismatch('a CLASSNAME', type, isArray);
      if (type === 'reference') return new CimObjectPath(value.name);
      if (type === 'string') return value.name;
      throw mismatch('a CLASSNAME', type, isArray);
    case 'INSTANCENAME':
      if (type !== 'reference' || isArray) throw mismatch('an INSTANCENAME', type, isArray);
      return value.path;
    case 'CLASS':
      if (type !== 'string' || isArray) throw mismatch('a CLASS', type, isArray);
      return value.cls;
    case 'INSTANCE': case 'VALUE.NAMEDINSTANCE':
      if (type !== 'string' || isArray) throw mismatch(`an ${value.kind}`, type, isArray);
      return value.instance;
    default:
      throw mismatch(`a ${value.kind}`, type, isArray);
  }
}

/**
 * Wire content for a typed value: VALUE / VALUE.ARRAY with text, VALUE.REFERENCE /
 * VALUE.REFARRAY for references, embedded objects as VALUE text with `embedded` set. Null gives
 * null (an empty PARAMVALUE). Throws CimXmlError('XML_UNENCODABLE') when the value does not fit `type`.
 */
export function toWireValue(value: CimValue, type: CimType): WireValue | null {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) {
    if (type === 'reference') {
      return { kind: 'VALUE.REFARRAY', paths: value.map((v) => (v === null ? null : refOf(v))) };
    }
    const items = value.map((v) => (v === null ? null : scalarText(type, v, 'value')));
    const objs = value.map((v) => (v instanceof CimInstance || v instanceof CimClass ? v : null));
    return objs.some((o) => o !== null) ? { kind: 'VALUE.ARRAY', items, embedded: objs } : { kind: 'VALUE.ARRAY', items };
  }
  if (type === 'reference') return { kind: 'VALUE.REFERENCE', path: refOf(value) };
  if (value instanceof CimInstance || value instanceof CimClass) return { kind: 'VALUE', text: encodeObjectText(value), embedded: value };
  return { kind: 'VALUE', text: scalarText(type, value, 'value') };
}

function refOf(v: CimScalar): CimObjectPath {
  if (v instanceof CimObjectPath) return v;
  scalarText('reference', v, 'value'); // throws the encoder's error for a non-path
  throw new Error('unreachable');
}

/**
 * A PARAMVALUE with PARAMTYPE (as pywbem sends it) for a typed value; embedded objects get
 * EmbeddedObject="instance" or "object".
 */
export function typedParam(name: string, type: CimType, value: CimValue): ParamValue {
  const p: ParamValue = { name, type, value: toWireValue(value, type) };
  const sample = Array.isArray(value) ? value.find((v) => v !== null) : value;
  if (sample instanceof CimInstance) p.embeddedObject = 'instance';
  else if (sample instanceof CimClass) p.embeddedObject = 'object';
  return p;
}
