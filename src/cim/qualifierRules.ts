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

// The sixteen possible flavors, frozen. Qualifiers the repository stores share these instead of
// each carrying its own object (there are hundreds of thousands in a large schema): stored
// qualifiers are never changed and copies handed out get their own flavor (CimQualifier.clone),
// and freezing turns any slip into an error rather than a silent change of every class.
const FLAVORS: readonly CimFlavor[] = Array.from({ length: 16 }, (_, i) => Object.freeze({
  overridable: (i & 1) !== 0, toSubclass: (i & 2) !== 0, toInstance: (i & 4) !== 0, translatable: (i & 8) !== 0,
}));

function sharedFlavor(overridable: boolean, toSubclass: boolean, toInstance: boolean, translatable: boolean): CimFlavor {
  return FLAVORS[(overridable ? 1 : 0) | (toSubclass ? 2 : 0) | (toInstance ? 4 : 0) | (translatable ? 8 : 0)]!;
}

/**
 * The flavor of an applied qualifier: a CimQualifier always carries a full flavor, so a field
 * that still equals DEFAULT_FLAVOR is taken as "not stated" and comes from the declaration.
 */
function effectiveFlavor(given: CimFlavor, declared: CimFlavor): CimFlavor {
  return sharedFlavor(
    given.overridable !== DEFAULT_FLAVOR.overridable ? given.overridable : declared.overridable,
    given.toSubclass !== DEFAULT_FLAVOR.toSubclass ? given.toSubclass : declared.toSubclass,
    given.toInstance !== DEFAULT_FLAVOR.toInstance ? given.toInstance : declared.toInstance,
    given.translatable !== DEFAULT_FLAVOR.translatable ? given.translatable : declared.translatable,
  );
}

function appliesToAny(decl: CimQualifierDeclaration, scopes: readonly QualifierScope[]): boolean {
  for (let i = 0; i < scopes.length; i++) if (decl.appliesTo(scopes[i]!)) return true;
  return false;
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
    if (!appliesToAny(decl, scopes)) {
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

/** `q` marked propagated (a copy unless it already is). */
function asPropagated(q: CimQualifier): CimQualifier {
  if (q.propagated) return q;
  return new CimQualifier(q.name, q.type, q.value, q.isArray, q.flavor, true);
}

/**
 * The qualifiers an element inherits: the ToSubclass ones, marked propagated. Qualifiers that are
 * already propagated are shared, not copied (and so, when all are, is the map): the repository
 * never changes what it stores and hands out deep copies, so inherited qualifiers need exist only
 * once however deep the hierarchy.
 */
export function inheritedQualifiers(quals: NameMap<CimQualifier>): NameMap<CimQualifier> {
  let shared = true;
  for (const q of quals.values()) {
    if (!q.propagated || !q.flavor.toSubclass) {
      shared = false;
      break;
    }
  }
  if (shared) return quals;
  return quals.mapValues((q) => (q.flavor.toSubclass ? asPropagated(q) : undefined));
}

/**
 * Inherited qualifiers (already filtered by inheritedQualifiers) overlaid with local ones.
 * A local qualifier may restate a DisableOverride one only with the same value. Like
 * inheritedQualifiers, the result shares the qualifier objects (and maps) that need no change.
 */
export function mergeQualifiers(inherited: NameMap<CimQualifier> | null, local: NameMap<CimQualifier>, where: string): NameMap<CimQualifier> {
  if (local.size === 0) return inherited ?? local;
  const out = inherited ? inherited.clone() : new NameMap<CimQualifier>();
  let unchanged = inherited === null;
  for (const q of local.values()) {
    const prev = inherited ? out.get(q.name) : undefined;
    let c = q;
    if (prev && !prev.flavor.overridable) {
      if (!valuesEqual(prev.value, q.value)) {
        throw new CimError(
          CimStatus.CIM_ERR_INVALID_PARAMETER,
          `qualifier ${prev.name} on ${where} is DisableOverride in the superclass and cannot change from ${show(prev.value)} to ${show(q.value)}`,
        );
      }
      if (q.flavor.overridable || q.propagated) {
        const f = q.flavor;
        c = new CimQualifier(q.name, q.type, q.value, q.isArray, sharedFlavor(false, f.toSubclass, f.toInstance, f.translatable), false);
      }
    } else if (q.propagated) {
      c = new CimQualifier(q.name, q.type, q.value, q.isArray, q.flavor, false);
    }
    if (c !== q) unchanged = false;
    out.set(c.name, c);
  }
  // Without inherited qualifiers and with every local one kept as it was, the local map will do.
  return unchanged ? local : out;
}

function show(v: CimValue): string {
  if (v === null) return 'NULL';
  if (Array.isArray(v)) return `{${v.map((x) => show(x)).join(', ')}}`;
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}
