// Inheritance resolution: a class as declared plus its resolved superclass gives the class as
// clients see it, with inherited members marked propagated (classOrigin kept), overriding members
// in the inherited member's place, and qualifiers propagated by flavor.
import { CimClass } from './CimClass.js';
import { CimProperty } from './CimProperty.js';
import { CimMethod } from './CimMethod.js';
import type { CimParameter } from './CimParameter.js';
import { NameMap } from './NameMap.js';
import { CimError, CimStatus } from './CimError.js';
import { inheritedQualifiers, mergeQualifiers } from './qualifierRules.js';

function inheritProperty(p: CimProperty): CimProperty {
  const c = p.clone();
  c.propagated = true;
  c.qualifiers = inheritedQualifiers(p.qualifiers);
  return c;
}

function inheritMethod(m: CimMethod): CimMethod {
  const c = m.clone();
  c.propagated = true;
  c.qualifiers = inheritedQualifiers(m.qualifiers);
  for (const p of c.parameters.values()) p.qualifiers = inheritedQualifiers(p.qualifiers);
  return c;
}

/** The name an Override qualifier names, or null when the member has none. */
function overrideTarget(member: { name: string; qualifiers: NameMap<{ value: unknown }> }): string | null {
  const q = member.qualifiers.get('Override');
  if (!q) return null;
  return typeof q.value === 'string' && q.value.length > 0 ? q.value : member.name;
}

/**
 * Resolves `local` (local members only) on top of `sup` (already resolved, or null for a root).
 * A local member named like an inherited one overrides it: its type must agree, and it keeps the
 * inherited default and reference class when it states none. Override naming a member the
 * superclass lacks, or another member than itself, is refused.
 */
export function resolveClass(local: CimClass, sup: CimClass | null): CimClass {
  const where = `class ${local.name}`;
  const qualifiers = mergeQualifiers(sup ? inheritedQualifiers(sup.qualifiers) : null, local.qualifiers, where);

  const properties = new NameMap<CimProperty>();
  if (sup) for (const p of sup.properties.values()) properties.set(p.name, inheritProperty(p));
  for (const p of local.properties.values()) {
    const prev = properties.get(p.name);
    const target = overrideTarget(p);
    const pwhere = `property ${local.name}.${p.name}`;
    if (target !== null) {
      if (target.toLowerCase() !== p.name.toLowerCase()) {
        throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `${pwhere}: Override("${target}") must name the property itself`);
      }
      if (!prev) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `${pwhere} has Override but ${local.superclass ?? 'no superclass'} has no such property`);
    }
    if (prev && (prev.type !== p.type || prev.isArray !== p.isArray)) {
      throw new CimError(
        CimStatus.CIM_ERR_INVALID_PARAMETER,
        `${pwhere} is ${p.type}${p.isArray ? '[]' : ''} but overrides ${prev.classOrigin ?? sup?.name}.${prev.name} of type ${prev.type}${prev.isArray ? '[]' : ''}`,
      );
    }
    const c = p.clone();
    c.classOrigin = local.name;
    c.propagated = false;
    c.qualifiers = mergeQualifiers(prev ? prev.qualifiers : null, p.qualifiers, pwhere);
    if (prev) {
      if (c.value === null) c.value = Array.isArray(prev.value) ? [...prev.value] : prev.value;
      c.referenceClass ??= prev.referenceClass;
      c.embeddedObject ??= prev.embeddedObject;
      c.embeddedClass ??= prev.embeddedClass;
      c.arraySize ??= prev.arraySize;
    }
    properties.set(p.name, c);
  }

  const methods = new NameMap<CimMethod>();
  if (sup) for (const m of sup.methods.values()) methods.set(m.name, inheritMethod(m));
  for (const m of local.methods.values()) {
    const prev = methods.get(m.name);
    const target = overrideTarget(m);
    const mwhere = `method ${local.name}.${m.name}`;
    if (target !== null) {
      if (target.toLowerCase() !== m.name.toLowerCase()) {
        throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `${mwhere}: Override("${target}") must name the method itself`);
      }
      if (!prev) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `${mwhere} has Override but ${local.superclass ?? 'no superclass'} has no such method`);
    }
    if (prev && prev.returnType !== m.returnType) {
      throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `${mwhere} returns ${m.returnType} but overrides a method returning ${prev.returnType}`);
    }
    const c = m.clone();
    c.classOrigin = local.name;
    c.propagated = false;
    c.qualifiers = mergeQualifiers(prev ? prev.qualifiers : null, m.qualifiers, mwhere);
    if (prev) {
      for (const param of c.parameters.values()) {
        const pp: CimParameter | undefined = prev.parameters.get(param.name);
        param.qualifiers = mergeQualifiers(pp ? pp.qualifiers : null, param.qualifiers, `parameter ${param.name} of ${mwhere}`);
      }
    }
    methods.set(m.name, c);
  }

  return new CimClass(local.name, local.superclass, qualifiers, properties, methods, local.path);
}
