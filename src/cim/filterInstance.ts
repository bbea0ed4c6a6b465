// GetInstance / EnumerateInstances options applied to an instance (DSP0200): PropertyList keeps
// only the named properties, IncludeQualifiers and IncludeClassOrigin (both deprecated, default
// false) strip qualifiers and classOrigin unless asked for.
import { CimInstance } from './CimInstance.js';
import { NameMap } from './NameMap.js';
import type { CimProperty } from './CimProperty.js';

export interface InstanceFilter {
  /** Property names to keep (case-insensitive); null or undefined keeps all. */
  propertyList?: readonly string[] | null;
  includeClassOrigin?: boolean;
  includeQualifiers?: boolean;
}

/** A filtered copy of `inst`; the path is kept. */
export function filterInstance(inst: CimInstance, filter: InstanceFilter = {}): CimInstance {
  const wanted = filter.propertyList ? new Set(filter.propertyList.map((n) => n.toLowerCase())) : null;
  const quals = filter.includeQualifiers ?? false;
  const origin = filter.includeClassOrigin ?? false;
  const props = new NameMap<CimProperty>();
  for (const p of inst.properties.values()) {
    if (wanted && !wanted.has(p.name.toLowerCase())) continue;
    const c = p.clone();
    if (!quals) c.qualifiers = new NameMap();
    if (!origin) c.classOrigin = undefined;
    props.set(c.name, c);
  }
  return new CimInstance(inst.className, props, inst.path, quals ? inst.qualifiers.clone((q) => q.clone()) : new NameMap());
}
