// GetClass / EnumerateClasses options applied to a resolved class (DSP0200): LocalOnly drops
// inherited members, IncludeQualifiers and IncludeClassOrigin strip what the client did not ask
// for, PropertyList keeps only the named properties. Unset options take DSP0200's defaults.
import { CimClass } from './CimClass.js';
import { CimProperty } from './CimProperty.js';
import { CimMethod } from './CimMethod.js';
import { CimParameter } from './CimParameter.js';
import { NameMap } from './NameMap.js';

export interface ClassFilter {
  /** Only members this class declares or overrides (DSP0200 default true). */
  localOnly?: boolean;
  /** Keep qualifiers of the class and its members (default true). */
  includeQualifiers?: boolean;
  /** Keep classOrigin on members (default false). */
  includeClassOrigin?: boolean;
  /** Property names to keep (case-insensitive); null or undefined keeps all. */
  propertyList?: readonly string[] | null;
}

/** A filtered copy of `cls`; the original is left alone. */
export function filterClass(cls: CimClass, filter: ClassFilter = {}): CimClass {
  const localOnly = filter.localOnly ?? true;
  const quals = filter.includeQualifiers ?? true;
  const origin = filter.includeClassOrigin ?? false;
  const wanted = filter.propertyList ? new Set(filter.propertyList.map((n) => n.toLowerCase())) : null;
  const out = new CimClass(cls.name, cls.superclass, quals ? cls.qualifiers.clone((q) => q.clone()) : new NameMap(), new NameMap(), new NameMap(), cls.path);
  if (localOnly && quals) for (const [n, q] of cls.qualifiers) if (q.propagated) out.qualifiers.delete(n);
  for (const p of cls.properties.values()) {
    if (localOnly && p.propagated) continue;
    if (wanted && !wanted.has(p.name.toLowerCase())) continue;
    // Without qualifiers, copy the rest only: reading the qualifiers of a repository copy would
    // copy them all just to throw them away.
    const c = quals ? p.clone() : new CimProperty(
      p.name, p.type, Array.isArray(p.value) ? p.value.slice() : p.value, p.isArray, new NameMap(), p.referenceClass,
      p.embeddedObject, p.embeddedClass, p.classOrigin, p.propagated, p.arraySize,
    );
    if (!origin) c.classOrigin = undefined;
    out.properties.set(c.name, c);
  }
  for (const m of cls.methods.values()) {
    if (localOnly && m.propagated) continue;
    const c = quals ? m.clone() : new CimMethod(
      m.name, m.returnType,
      m.parameters.mapValues((p) => new CimParameter(p.name, p.type, p.isArray, new NameMap(), p.referenceClass, p.arraySize, p.embeddedObject, p.embeddedClass)),
      new NameMap(), m.classOrigin, m.propagated,
    );
    if (!origin) c.classOrigin = undefined;
    out.methods.set(c.name, c);
  }
  return out;
}
