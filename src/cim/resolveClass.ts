// Inheritance resolution: a class as declared plus its resolved superclass gives the class as
// clients see it, with inherited members marked propagated (classOrigin kept), overriding members
// in the inherited member's place, and qualifiers propagated by flavor.
//
// Resolved classes share every object that does not change on the way down (an inherited member
// is the same object in every subclass, a local member without an override is the declared one),
// so resolving costs little more than copying two maps. That is safe because the repository never
// changes a class it stores and hands out deep copies only; anyone else calling these functions
// must treat their inputs and results as immutable too.
import { CimClass } from './CimClass.js';
import { CimProperty } from './CimProperty.js';
import { CimMethod } from './CimMethod.js';
import { CimParameter } from './CimParameter.js';
import type { CimQualifier } from './CimQualifier.js';
import { NameMap } from './NameMap.js';
import { CimError, CimStatus } from './CimError.js';
import { inheritedQualifiers, mergeQualifiers } from './qualifierRules.js';

/** What a resolved class hands down to every subclass: its qualifiers and members as inherited. */
export interface Inheritance {
  readonly name: string;
  readonly qualifiers: NameMap<CimQualifier>;
  readonly properties: NameMap<CimProperty>;
  readonly methods: NameMap<CimMethod>;
}

function inheritProperty(p: CimProperty): CimProperty {
  // Already inherited: the subclass inherits the very same thing.
  if (p.propagated) return p;
  return new CimProperty(
    p.name, p.type, p.value, p.isArray, inheritedQualifiers(p.qualifiers), p.referenceClass, p.embeddedObject, p.embeddedClass,
    p.classOrigin, true, p.arraySize,
  );
}

function inheritMethod(m: CimMethod): CimMethod {
  if (m.propagated) return m;
  const parameters = m.parameters.mapValues((p) => {
    const q = inheritedQualifiers(p.qualifiers);
    return q === p.qualifiers ? p : new CimParameter(p.name, p.type, p.isArray, q, p.referenceClass, p.arraySize, p.embeddedObject, p.embeddedClass);
  });
  return new CimMethod(m.name, m.returnType, parameters, inheritedQualifiers(m.qualifiers), m.classOrigin, true);
}

/**
 * What `sup` (a resolveClass result) passes to its subclasses. The same for all of them, so the
 * repository computes it once per superclass.
 */
export function inheritance(sup: CimClass): Inheritance {
  return {
    name: sup.name,
    qualifiers: inheritedQualifiers(sup.qualifiers),
    properties: sup.properties.mapValues(inheritProperty),
    methods: sup.methods.mapValues(inheritMethod),
  };
}

/** The name an Override qualifier names, or null when the member has none. */
function overrideTarget(member: { name: string; qualifiers: NameMap<{ value: unknown }> }): string | null {
  const q = member.qualifiers.get('Override');
  if (!q) return null;
  return typeof q.value === 'string' && q.value.length > 0 ? q.value : member.name;
}

/**
 * Resolves `local` (local members only) on top of what its superclass hands down (`sup`, from
 * inheritance(); null for a root). A local member named like an inherited one overrides it: its
 * type must agree, and it keeps the inherited default and reference class when it states none.
 * Override naming a member the superclass lacks, or another member than itself, is refused.
 */
export function resolveClass(local: CimClass, sup: Inheritance | null): CimClass {
  const where = `class ${local.name}`;
  const qualifiers = mergeQualifiers(sup ? sup.qualifiers : null, local.qualifiers, where);

  const properties = sup ? sup.properties.clone() : new NameMap<CimProperty>();
  for (const p of local.properties.values()) {
    const prev = sup ? properties.get(p.name) : undefined;
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
    const quals = mergeQualifiers(prev ? prev.qualifiers : null, p.qualifiers, pwhere);
    if (!prev && quals === p.qualifiers && !p.propagated && p.classOrigin === local.name) {
      properties.set(p.name, p);
      continue;
    }
    const c = new CimProperty(
      p.name, p.type, p.value, p.isArray, quals, p.referenceClass, p.embeddedObject, p.embeddedClass, local.name, false, p.arraySize,
    );
    if (prev) {
      c.value ??= prev.value;
      c.referenceClass ??= prev.referenceClass;
      c.embeddedObject ??= prev.embeddedObject;
      c.embeddedClass ??= prev.embeddedClass;
      c.arraySize ??= prev.arraySize;
    }
    properties.set(p.name, c);
  }

  const methods = sup ? sup.methods.clone() : new NameMap<CimMethod>();
  for (const m of local.methods.values()) {
    const prev = sup ? methods.get(m.name) : undefined;
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
    const quals = mergeQualifiers(prev ? prev.qualifiers : null, m.qualifiers, mwhere);
    if (!prev && quals === m.qualifiers && !m.propagated && m.classOrigin === local.name) {
      methods.set(m.name, m);
      continue;
    }
    const parameters = !prev ? m.parameters : m.parameters.mapValues((param) => {
      const pp = prev.parameters.get(param.name);
      const q = mergeQualifiers(pp ? pp.qualifiers : null, param.qualifiers, `parameter ${param.name} of ${mwhere}`);
      return q === param.qualifiers ? param : new CimParameter(
        param.name, param.type, param.isArray, q, param.referenceClass, param.arraySize, param.embeddedObject, param.embeddedClass,
      );
    });
    methods.set(m.name, new CimMethod(m.name, m.returnType, parameters, quals, local.name, false));
  }

  return new CimClass(local.name, local.superclass, qualifiers, properties, methods, local.path);
}
