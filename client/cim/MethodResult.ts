// The result of an extrinsic method call: its return value and output parameters, typed when the
// server said their type (PARAMTYPE) and left as wire text when it did not.
import { NameMap } from '../../src/cim/NameMap.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import type { CimType } from '../../src/cim/CimType.js';
import type { CimValue } from '../../src/cim/CimValue.js';
import { fromWireValue, type MethodResponse, type ReturnValue, type WireValue } from '../../src/xml/index.js';

export interface OutParameter {
  name: string;
  /** PARAMTYPE as the server sent it; undefined when it sent none. */
  type?: CimType;
  value: CimValue;
}

export interface MethodResult {
  /** The RETURNVALUE, typed by PARAMTYPE when given; null when the method returned NULL or nothing. */
  returnValue: CimValue;
  returnType?: CimType;
  outParams: NameMap<OutParameter>;
}

/** Wire content without a declared type: text stays text, embedded objects and references are objects. */
export function untypedValue(w: WireValue | null): CimValue {
  if (w === null) return null;
  switch (w.kind) {
    case 'VALUE': return w.embedded ?? w.text;
    case 'VALUE.ARRAY': return w.embedded ? w.embedded : w.items;
    case 'VALUE.REFERENCE': return w.path;
    case 'VALUE.REFARRAY': return w.paths;
    case 'CLASSNAME': return new CimObjectPath(w.name);
    case 'INSTANCENAME': return w.path;
    case 'CLASS': return w.cls;
    case 'INSTANCE': case 'VALUE.NAMEDINSTANCE': return w.instance;
    case 'QUALIFIER.DECLARATION': return w.declaration.name;
  }
}

function typedOrRaw(w: WireValue | null, type: CimType | undefined): CimValue {
  if (type === undefined || w === null) return untypedValue(w);
  const isArray = w.kind === 'VALUE.ARRAY' || w.kind === 'VALUE.REFARRAY';
  return fromWireValue(w, type, isArray);
}

export function toMethodResult(r: MethodResponse): MethodResult {
  const outParams = new NameMap<OutParameter>();
  for (const p of r.params) {
    const o: OutParameter = { name: p.name, value: typedOrRaw(p.value, p.type) };
    if (p.type) o.type = p.type;
    outParams.set(p.name, o);
  }
  const rv: ReturnValue | null = r.returnValue;
  const result: MethodResult = { returnValue: rv ? typedOrRaw(rv.value, rv.type) : null, outParams };
  if (rv?.type) result.returnType = rv.type;
  return result;
}
