// Typed parameters of an extrinsic method call: either a value with its explicit CIM type, or a
// plain JS value whose type is inferred. Inference is what a caller expects from JS (string ->
// string, boolean, bigint -> sint64/uint64, integer -> sint32, other numbers -> real64); give the
// type explicitly when the method declares something else, or the server may refuse the call.
import { CimClass } from '../../src/cim/CimClass.js';
import { CimDateTime } from '../../src/cim/CimDateTime.js';
import { CimInstance } from '../../src/cim/CimInstance.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import type { CimType } from '../../src/cim/CimType.js';
import type { CimScalar, CimValue, EmbeddedKind } from '../../src/cim/CimValue.js';
import { coerceValue } from '../../src/cim/coerceValue.js';
import { toWireValue, type ParamValue } from '../../src/xml/index.js';
import { InvalidArgumentError } from './ClientError.js';

export interface TypedArgument {
  type: CimType;
  value: CimValue | unknown;
  isArray?: boolean;
  /** For string parameters that carry an embedded instance/object. */
  embeddedObject?: EmbeddedKind;
}

export type MethodArgument = TypedArgument | CimValue;

function isTyped(a: unknown): a is TypedArgument {
  return typeof a === 'object' && a !== null && !Array.isArray(a) && 'type' in a && 'value' in a
    && !(a instanceof CimObjectPath) && !(a instanceof CimInstance) && !(a instanceof CimClass) && !(a instanceof CimDateTime);
}

function inferScalar(v: CimScalar): { type: CimType; embedded?: EmbeddedKind } {
  if (typeof v === 'string') return { type: 'string' };
  if (typeof v === 'boolean') return { type: 'boolean' };
  if (typeof v === 'bigint') return { type: v < 0n ? 'sint64' : 'uint64' };
  if (typeof v === 'number') return { type: Number.isInteger(v) ? 'sint32' : 'real64' };
  if (v instanceof CimDateTime) return { type: 'datetime' };
  if (v instanceof CimObjectPath) return { type: 'reference' };
  if (v instanceof CimInstance) return { type: 'string', embedded: 'instance' };
  return { type: 'string', embedded: 'object' };
}

/** The PARAMVALUE for one argument. */
export function toParamValue(name: string, arg: MethodArgument): ParamValue {
  let type: CimType;
  let isArray: boolean;
  let value: CimValue;
  let embedded: EmbeddedKind | undefined;
  try {
    if (isTyped(arg)) {
      type = arg.type;
      isArray = arg.isArray ?? Array.isArray(arg.value);
      value = coerceValue(type, isArray, arg.value);
      embedded = arg.embeddedObject;
    } else {
      if (arg === null) return { name, value: null };
      isArray = Array.isArray(arg);
      const first = isArray ? (arg as (CimScalar | null)[]).find((x) => x !== null) : (arg as CimScalar);
      if (first === undefined || first === null) {
        // An empty or all-NULL array says nothing about its type; string is what servers accept most.
        type = 'string';
      } else {
        const inferred = inferScalar(first);
        type = inferred.type;
        embedded = inferred.embedded;
      }
      value = arg;
    }
  } catch (e) {
    throw new InvalidArgumentError(`method parameter ${name}: ${(e as Error).message}`);
  }
  if (embedded === undefined && value !== null) {
    const sample = Array.isArray(value) ? value.find((x) => x !== null) : value;
    if (sample instanceof CimInstance) embedded = 'instance';
    else if (sample instanceof CimClass) embedded = 'object';
  }
  const p: ParamValue = { name, type, value: toWireValue(value, type) };
  if (embedded) p.embeddedObject = embedded;
  return p;
}
