// Renders CIM objects exactly as wbemcli 1.6.3 prints them, so scripts that parse wbemcli output
// keep working: `Class.key="v",n=7` paths, `Name="text",N=5,Arr="a","b"` property lists, `-nl`
// one-per-line form, `-t` markers ([] array, & reference, # key) and `-dr` braces around references.
// Observed quirks are kept on purpose (a reference with a host prints `host/nsClass.k=v`).
import { CimClass } from '../../../src/cim/CimClass.js';
import { CimDateTime } from '../../../src/cim/CimDateTime.js';
import { CimInstance } from '../../../src/cim/CimInstance.js';
import { CimObjectPath, type CimKeyBinding } from '../../../src/cim/CimObjectPath.js';
import type { CimProperty } from '../../../src/cim/CimProperty.js';
import type { CimScalar, CimValue } from '../../../src/cim/CimValue.js';
import { formatCimScalar } from '../../../src/cim/valueText.js';
import { encodeEmbeddedObject } from '../../../src/xml/index.js';
import type { MethodResult } from '../MethodResult.js';

export interface FormatOptions {
  /** -nl: one property per line, each starting with `-`. */
  newLines?: boolean;
  /** -t: append [] for arrays, & for references, # for keys to property names. */
  types?: boolean;
  /** -dr: wrap reference values in { }. */
  delimitRefs?: boolean;
}

function scalarText(v: CimScalar, type: string, o: FormatOptions): string {
  if (v instanceof CimObjectPath) return refText(v, o);
  if (v instanceof CimInstance || v instanceof CimClass) return encodeEmbeddedObject(v);
  if (v instanceof CimDateTime) return v.text;
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    return formatCimScalar(type === 'real32' || type === 'real64' ? type : Number.isInteger(v) ? 'sint64' : 'real64', v);
  }
  return String(v);
}

/** Only string values are quoted (char16 and datetime are not), as wbemcli does. */
function valueText(value: CimValue, type: string, o: FormatOptions): string {
  if (value === null) return '';
  const q = type === 'string' ? '"' : '';
  const one = (v: CimScalar | null): string => {
    if (v === null) return '';
    if (v instanceof CimObjectPath) return refText(v, o);
    return q + scalarText(v, type, o) + q;
  };
  return Array.isArray(value) ? value.map(one).join(',') : one(value);
}

/** A key value inside an instance name: strings (and datetimes, which travel as strings) quoted. */
function keyValueText(b: CimKeyBinding, o: FormatOptions): string {
  const v = b.value;
  if (v instanceof CimObjectPath) return refText(v, o);
  const s = scalarText(v, b.type, o);
  return b.type === 'string' || b.type === 'char16' || b.type === 'datetime' ? `"${s}"` : s;
}

/** `Class.k="v",n=7`, or wbemcli's marker for a name without keys. */
export function instanceNameText(p: CimObjectPath, o: FormatOptions = {}): string {
  if (!p.keys) return p.className;
  if (p.keys.size === 0) return `${p.className}.*KEYBINDING="MISSING*"`;
  const parts: string[] = [];
  for (const [name, b] of p.keys) parts.push(`${name}=${keyValueText(b, o)}`);
  return `${p.className}.${parts.join(',')}`;
}

/** A reference value: INSTANCEPATH gives `host/ns` directly followed by the name (no colon). */
export function refText(p: CimObjectPath, o: FormatOptions = {}): string {
  let s = instanceNameText(p, o);
  if (p.host !== undefined) s = `${p.host}/${p.namespace ?? ''}${s}`;
  else if (p.namespace !== undefined) s = `${p.namespace}:${s}`;
  return o.delimitRefs ? `{${s}}` : s;
}

/** A returned instance path (ai, ain, ri, rin): `host/ns:Class.k="v"`. */
export function instancePathText(p: CimObjectPath, o: FormatOptions = {}): string {
  const name = instanceNameText(p, o);
  if (p.host !== undefined) return `${p.host}/${p.namespace ?? ''}:${name}`;
  if (p.namespace !== undefined) return `${p.namespace}:${name}`;
  return name;
}

function propertyName(p: CimProperty, isKey: boolean, o: FormatOptions): string {
  if (!o.types) return p.name;
  return p.name + (p.isArray ? '[]' : '') + (p.type === 'reference' ? '&' : '') + (isKey ? '#' : '');
}

function joinProperties(items: string[], o: FormatOptions): string {
  if (o.newLines) return items.map((s) => `-${s}\n`).join('');
  return items.join(',');
}

/** The property list of an instance; `keyNames` marks keys for -t. */
export function instanceText(inst: CimInstance, keyNames: Iterable<string>, o: FormatOptions = {}): string {
  const keys = new Set([...keyNames].map((k) => k.toLowerCase()));
  const items: string[] = [];
  for (const p of inst.properties.values()) {
    items.push(`${propertyName(p, keys.has(p.name.toLowerCase()), o)}=${valueText(p.value, p.type, o)}`);
  }
  return joinProperties(items, o);
}

/** The property list of a class: names only (wbemcli never prints class default values). */
export function classText(cls: CimClass, o: FormatOptions = {}): string {
  const items: string[] = [];
  for (const p of cls.properties.values()) {
    items.push(`${propertyName(p, p.qualifiers.get('Key')?.value === true, o)}=`);
  }
  return joinProperties(items, o);
}

function untypedText(v: CimValue, type: string | undefined, o: FormatOptions): string {
  if (v === null) return '';
  const one = (x: CimScalar | null): string => (x === null ? '' : scalarText(x, type ?? 'string', o));
  return Array.isArray(v) ? v.map(one).join(',') : one(v);
}

/** `Method: ret, Out (type): v, ...` (with -nl each out parameter on its own line). */
export function methodResultText(method: string, r: MethodResult, o: FormatOptions = {}): string {
  let s = `${method}: ${untypedText(r.returnValue, r.returnType, o)}`;
  for (const p of r.outParams.values()) {
    s += `${o.newLines ? '\n' : ', '}${p.name} (${p.type ?? ''}): ${untypedText(p.value, p.type, o)}`;
  }
  return s;
}
