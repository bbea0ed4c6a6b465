// The JSON form of CIM objects (tvdc-cim --json, the listener's JSON lines): plain objects that
// survive JSON.stringify without losing precision. 64-bit integers become decimal strings, datetimes
// their DSP0004 text, references their model path.
import { CimClass } from '../../src/cim/CimClass.js';
import { CimDateTime } from '../../src/cim/CimDateTime.js';
import { CimInstance } from '../../src/cim/CimInstance.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { CimQualifierDeclaration } from '../../src/cim/CimQualifierDeclaration.js';
import type { CimValue } from '../../src/cim/CimValue.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function valueToJson(v: CimValue | undefined): Json {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.map((x) => valueToJson(x));
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof CimDateTime) return v.text;
  if (v instanceof CimObjectPath) return v.toString();
  return objectToJson(v);
}

export function objectToJson(o: CimInstance | CimClass | CimObjectPath | CimQualifierDeclaration | string): Json {
  if (typeof o === 'string') return { className: o };
  if (o instanceof CimObjectPath) return { path: o.toString() };
  if (o instanceof CimInstance) {
    const properties: { [k: string]: Json } = {};
    for (const p of o.properties.values()) properties[p.name] = valueToJson(p.value);
    const out: { [k: string]: Json } = { className: o.className };
    if (o.path) out.path = o.path.toString();
    out.properties = properties;
    return out;
  }
  if (o instanceof CimClass) {
    const properties: { [k: string]: Json } = {};
    for (const p of o.properties.values()) {
      properties[p.name] = { type: p.type, isArray: p.isArray, key: p.qualifiers.get('Key')?.value === true, default: valueToJson(p.value) };
    }
    const methods: { [k: string]: Json } = {};
    for (const m of o.methods.values()) {
      const params: { [k: string]: Json } = {};
      for (const p of m.parameters.values()) params[p.name] = { type: p.type, isArray: p.isArray };
      methods[m.name] = { returnType: m.returnType, parameters: params };
    }
    return { className: o.name, superclass: o.superclass, properties, methods };
  }
  return { qualifier: o.name, type: o.type, isArray: o.isArray, value: valueToJson(o.value) };
}
