// How qualifiers behave in a repository (DSP0004 5.6): a qualifier applied to an element is
// checked against its declaration (scope, type) and takes the declaration's flavor where the
// element did not state one; on inheritance, ToSubclass qualifiers propagate, Restricted ones stay
// behind, and a DisableOverride qualifier cannot take a different value further down.
import { NameMap } from './NameMap.js';
import { CimQualifier, DEFAULT_FLAVOR, type CimFlavor } from './CimQualifier.js';
import type { CimQualifierDeclaration, QualifierScope } from './CimQualifierDeclaration.js';
import type { CimValue } from './CimValue.js';
import { coerceValue } from './coerceValue.js';
import { CimError, CimStatus } from './CimError.js';
import { CimDateTime } from './CimDateTime.js';
import { CimObjectPath } from './CimObjectPath.js';

/**
 * The flavor of an applied qualifier: a CimQualifier always carries a full flavor, so a field
 * that still equals DEFAULT_FLAVOR is taken as "not stated" and comes from the declaration.
 */
function effectiveFlavor(given: CimFlavor, declared: CimFlavor): CimFlavor {
  return {
    overridable: given.overridable !== DEFAULT_FLAVOR.overridable ? given.overridable : declared.overridable,
    toSubclass: given.toSubclass !== DEFAULT_FLAVOR.toSubclass ? given.toSubclass : declared.toSubclass,
    toInstance: given.toInstance !== DEFAULT_FLAVOR.toInstance ? given.toInstance : declared.toInstance,
    translatable: given.translatable !== DEFAULT_FLAVOR.translatable ? given.translatable : declared.translatable,
  };
}

/**
 * The qualifiers of one element, checked and normalised against the declarations: declared
 * spelling, type and array-ness, coerced value, flavor defaults. `scopes` lists the scopes the
 * element satisfies (any one suffices). Undeclared qualifiers are refused when `requireDeclared`.
 */
export function normalizeQualifiers(
  quals: NameMap<CimQualifier>,
  decls: NameMap<CimQualifierDeclaration>,
  scopes: readonly QualifierScope[],
  where: string,
  requireDeclared: boolean,
): NameMap<CimQualifier> {
  const out = new NameMap<CimQualifier>();
  for (const q of quals.values()) {
    const decl = decls.get(q.name);
    if (!decl) {
      if (requireDeclared) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `qualifier ${q.name} on ${where} is not declared`);
      const c = q.clone();
      c.propagated = false;
      out.set(c.name, c);
      continue;
    }
    if (!scopes.some((s) => decl.appliesTo(s))) {
      throw new CimError(
        CimStatus.CIM_ERR_INVALID_PARAMETER,
        `qualifier ${decl.name} may not be applied to ${where}: its scope is ${[...decl.scopes].join(', ')}`,
      );
    }
    let value: CimValue;
    try {
      value = coerceValue(decl.type, decl.isArray, q.value);
    } catch (e) {
      if (e instanceof CimError) throw new CimError(CimStatus.CIM_ERR_TYPE_MISMATCH, `qualifier ${decl.name} on ${where}: ${e.description}`);
      throw e;
    }
    out.set(decl.name, new CimQualifier(decl.name, decl.type, value, decl.isArray, effectiveFlavor(q.flavor, decl.flavor), false));
  }
  return out;
}

function scalarEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') return Number.isNaN(a) && Number.isNaN(b);
  if (a instanceof CimDateTime && b instanceof CimDateTime) return a.equals(b);
  if (a instanceof CimObjectPath && b instanceof CimObjectPath) return a.equals(b);
  return false;
}

/** Value equality for qualifier and default values (arrays element-wise). */
export function valuesEqual(a: CimValue, b: CimValue): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!scalarEqual(a[i], b[i])) return false;
    return true;
  }
  return scalarEqual(a, b);
}

/** The qualifiers an element inherits: the ToSubclass ones, marked propagated. */
export function inheritedQualifiers(quals: NameMap<CimQualifier>): NameMap<CimQualifier> {
  const out = new NameMap<CimQualifier>();
  for (const q of quals.values()) {
    if (!q.flavor.toSubclass) continue;
    const c = q.clone();
    c.propagated = true;
    out.set(c.name, c);
  }
  return out;
}

/**
 * Inherited qualifiers (already filtered by inheritedQualifiers) overlaid with local ones.
 * A local qualifier may restate a DisableOverride one only with the same value.
 */
export function mergeQualifiers(inherited: NameMap<CimQualifier> | null, local: NameMap<CimQualifier>, where: string): NameMap<CimQualifier> {
  const out = inherited ? inherited.clone((q) => q.clone()) : new NameMap<CimQualifier>();
  for (const q of local.values()) {
    const prev = out.get(q.name);
    const c = q.clone();
    c.propagated = false;
    if (prev && !prev.flavor.overridable) {
      if (!valuesEqual(prev.value, q.value)) {
        throw new CimError(
          CimStatus.CIM_ERR_INVALID_PARAMETER,
          `qualifier ${prev.name} on ${where} is DisableOverride in the superclass and cannot change from ${show(prev.value)} to ${show(q.value)}`,
        );
      }
      c.flavor.overridable = false;
    }
    out.set(c.name, c);
  }
  return out;
}

function show(v: CimValue): string {
  if (v === null) return 'NULL';
  if (Array.isArray(v)) return `{${v.map((x) => show(x)).join(', ')}}`;
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}
