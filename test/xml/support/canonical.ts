// A plain, comparable form of decoded messages and CIM objects, so tests can say "equivalent
// model" with deep equality: name maps become entry lists, datetimes their text, bigints tagged
// strings, errors their status/description/instances; undefined fields are dropped.
import { CimDateTime } from '../../../src/cim/CimDateTime.js';
import { CimError } from '../../../src/cim/CimError.js';
import { NameMap } from '../../../src/cim/NameMap.js';

export function canonical(x: unknown): unknown {
  if (x === null || x === undefined) return x;
  if (typeof x === 'bigint') return `${x}n`;
  if (typeof x === 'number') return Number.isNaN(x) ? 'NaN' : Object.is(x, -0) ? '-0' : x;
  if (typeof x !== 'object') return x;
  if (Array.isArray(x)) return x.map(canonical);
  if (x instanceof CimDateTime) return { datetime: x.text };
  if (x instanceof NameMap) return [...x].map(([k, v]) => [k, canonical(v)]);
  if (x instanceof Set) return [...x].sort();
  if (x instanceof CimError) return { status: x.status, description: x.description, instances: canonical(x.instances) };
  const out: Record<string, unknown> = { $class: x.constructor?.name };
  for (const [k, v] of Object.entries(x)) if (v !== undefined) out[k] = canonical(v);
  return out;
}
