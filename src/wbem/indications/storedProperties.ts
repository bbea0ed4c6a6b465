// Instance properties to JSON and back, for the indication service's SQLite rows. Only what the
// filter, destination and subscription classes carry: scalars and arrays of the intrinsic types.
// References and embedded objects are rebuilt from the rows' own columns, never stored here.
import { CimInstance } from '../../cim/CimInstance.js';
import { CimProperty } from '../../cim/CimProperty.js';
import { CimDateTime } from '../../cim/CimDateTime.js';
import { CimObjectPath } from '../../cim/CimObjectPath.js';
import { CimClass } from '../../cim/CimClass.js';
import { coerceValue } from '../../cim/coerceValue.js';
import { isCimType, type CimType } from '../../cim/CimType.js';

interface StoredProperty {
  n: string;
  t: CimType;
  a?: true;
  v: unknown;
}

function scalarToJson(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof CimDateTime) return v.text;
  return v;
}

function storable(v: unknown): boolean {
  return !(v instanceof CimObjectPath || v instanceof CimInstance || v instanceof CimClass);
}

/** The properties of `inst` as JSON text; references and embedded objects are skipped. */
export function propertiesToJson(inst: CimInstance): string {
  const out: StoredProperty[] = [];
  for (const [, p] of inst.properties) {
    if (p.type === 'reference') continue;
    const v = p.value;
    if (Array.isArray(v)) {
      if (!v.every(storable)) continue;
      out.push({ n: p.name, t: p.type, a: true, v: v.map(scalarToJson) });
    } else {
      if (!storable(v)) continue;
      const s: StoredProperty = { n: p.name, t: p.type, v: scalarToJson(v) };
      if (p.isArray) s.a = true;
      out.push(s);
    }
  }
  return JSON.stringify(out);
}

/** Adds the stored properties to `inst` (a property already set on it wins). */
export function propertiesFromJson(inst: CimInstance, json: string): CimInstance {
  const list = JSON.parse(json) as StoredProperty[];
  for (const s of list) {
    if (inst.properties.has(s.n) || !isCimType(s.t)) continue;
    inst.properties.set(s.n, new CimProperty(s.n, s.t, coerceValue(s.t, s.a === true, s.v), s.a === true));
  }
  return inst;
}
