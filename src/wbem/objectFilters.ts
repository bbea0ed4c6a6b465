// The response-shaping flags of DSP0200 applied to classes and instances: LocalOnly,
// IncludeQualifiers, IncludeClassOrigin, PropertyList (and DeepInheritance=false for
// EnumerateInstances). Always returns copies: repository objects are never changed.
import { CimClass } from '../cim/CimClass.js';
import { CimInstance } from '../cim/CimInstance.js';
import { CimProperty } from '../cim/CimProperty.js';
import { CimMethod } from '../cim/CimMethod.js';
import { CimParameter } from '../cim/CimParameter.js';
import { NameMap } from '../cim/NameMap.js';
import type { CimQualifier } from '../cim/CimQualifier.js';

export interface ClassFilter {
  localOnly: boolean;
  includeQualifiers: boolean;
  includeClassOrigin: boolean;
  propertyList: readonly string[] | null;
}

export interface InstanceFilter {
  includeQualifiers: boolean;
  includeClassOrigin: boolean;
  propertyList: readonly string[] | null;
  /** When set, only properties this class exposes are kept (EnumerateInstances DeepInheritance=false). */
  onlyPropertiesOf?: NameMap<unknown> | null;
}

function listSet(list: readonly string[] | null): Set<string> | null {
  return list === null ? null : new Set(list.map((n) => n.toLowerCase()));
}

function qualifiersOf(q: NameMap<CimQualifier>, include: boolean, localOnly: boolean): NameMap<CimQualifier> {
  if (!include) return new NameMap();
  if (!localOnly) return q.clone();
  const out = new NameMap<CimQualifier>();
  for (const [n, v] of q) if (!v.propagated) out.set(n, v);
  return out;
}

function copyProperty(p: CimProperty, includeQualifiers: boolean, includeClassOrigin: boolean, localOnly = false): CimProperty {
  return new CimProperty(
    p.name, p.type, p.value, p.isArray, qualifiersOf(p.qualifiers, includeQualifiers, localOnly), p.referenceClass,
    p.embeddedObject, p.embeddedClass, includeClassOrigin ? p.classOrigin : undefined, p.propagated, p.arraySize,
  );
}

export function filterClass(cls: CimClass, f: ClassFilter): CimClass {
  const only = listSet(f.propertyList);
  const props = new NameMap<CimProperty>();
  for (const [n, p] of cls.properties) {
    if (f.localOnly && p.propagated) continue;
    if (only && !only.has(n.toLowerCase())) continue;
    props.set(n, copyProperty(p, f.includeQualifiers, f.includeClassOrigin, f.localOnly));
  }
  const methods = new NameMap<CimMethod>();
  for (const [n, m] of cls.methods) {
    if (f.localOnly && m.propagated) continue;
    const params = new NameMap<CimParameter>();
    for (const [pn, p] of m.parameters) {
      params.set(pn, new CimParameter(p.name, p.type, p.isArray, qualifiersOf(p.qualifiers, f.includeQualifiers, false), p.referenceClass, p.arraySize, p.embeddedObject, p.embeddedClass));
    }
    methods.set(n, new CimMethod(m.name, m.returnType, params, qualifiersOf(m.qualifiers, f.includeQualifiers, f.localOnly), f.includeClassOrigin ? m.classOrigin : undefined, m.propagated));
  }
  return new CimClass(cls.name, cls.superclass, qualifiersOf(cls.qualifiers, f.includeQualifiers, f.localOnly), props, methods, cls.path);
}

/**
 * Whether `p` already shows as the response wants it: PROPAGATED, qualifiers, CLASSORIGIN.
 * hasQualifiers, not qualifiers.size: asking for the map would make one for every property.
 */
function isClean(p: CimProperty, f: InstanceFilter): boolean {
  return !p.propagated && (f.includeQualifiers || !p.hasQualifiers) && (f.includeClassOrigin || p.classOrigin === undefined);
}

function allClean(props: NameMap<CimProperty>, f: InstanceFilter): boolean {
  for (let i = 0, n = props.size; i < n; i++) if (!isClean(props.at(i), f)) return false;
  return true;
}

/** Whether the response keeps each of `props` as it is: none to drop, none to trim. */
function keepsAsIs(props: NameMap<CimProperty>, f: InstanceFilter): boolean {
  return f.propertyList === null && !f.onlyPropertiesOf && allClean(props, f);
}

/**
 * Whether `inst` already shows as the response wants it, so that it can be sent unchanged: no
 * property to drop or trim, and no instance qualifiers unless they are asked for.
 */
export function showsAsIs(inst: CimInstance, f: InstanceFilter): boolean {
  return (f.includeQualifiers || inst.qualifiers.size === 0) && keepsAsIs(inst.properties, f);
}

/**
 * `inst` as the response shows it. With `inPlace`, `inst` (which the caller owns) is trimmed
 * and returned instead of copied, which halves the garbage of large enumerations. Only the
 * instance and its property map are changed: a property that needs trimming is replaced by a
 * trimmed copy, never edited, because the property objects may be shared with a provider's store
 * (the repository provider hands out views over frozen properties, CimRepository.instanceViews).
 */
export function filterInstance(inst: CimInstance, f: InstanceFilter, inPlace = false): CimInstance {
  if (inPlace) {
    const props = inst.properties;
    // The usual enumeration drops nothing and its properties are already clean: one plain pass
    // over them finds that without the per-instance closure of the general case.
    if (keepsAsIs(props, f)) {
      if (!f.includeQualifiers && inst.qualifiers.size > 0) inst.qualifiers = new NameMap();
      return inst;
    }
    const only = listSet(f.propertyList);
    props.forEach((p, n) => {
      if ((only && !only.has(n.toLowerCase())) || (f.onlyPropertiesOf && !f.onlyPropertiesOf.has(n))) {
        props.delete(n);
      } else if (!isClean(p, f)) {
        const c = copyProperty(p, f.includeQualifiers, f.includeClassOrigin);
        c.propagated = false;
        props.set(n, c);
      }
    });
    if (!f.includeQualifiers && inst.qualifiers.size > 0) inst.qualifiers = new NameMap();
    return inst;
  }
  const only = listSet(f.propertyList);
  const props = new NameMap<CimProperty>();
  for (const [n, p] of inst.properties) {
    if (only && !only.has(n.toLowerCase())) continue;
    if (f.onlyPropertiesOf && !f.onlyPropertiesOf.has(n)) continue;
    // PROPAGATED means nothing on an instance; qualifiers and CLASSORIGIN only when asked for.
    if (isClean(p, f)) props.set(n, p);
    else {
      const c = copyProperty(p, f.includeQualifiers, f.includeClassOrigin);
      c.propagated = false;
      props.set(n, c);
    }
  }
  return new CimInstance(inst.className, props, inst.path, f.includeQualifiers ? inst.qualifiers : new NameMap());
}
