// The schema and instance store of a CIM object manager: namespaces, qualifier declarations,
// classes with inheritance resolved, and in-memory instances. The WBEM server's repository
// provider persists created instances on top of this; the MOF compiler compiles into it.
//
// Contract (method names and meanings are relied on by src/mof and src/wbem):
//   namespaces(), hasNamespace(ns), createNamespace(ns), deleteNamespace(ns)
//   getQualifierDeclaration(ns, name), setQualifierDeclaration(ns, decl),
//   deleteQualifierDeclaration(ns, name), qualifierDeclarations(ns)
//   addClass(ns, cls)          local members only; checks superclass, overrides, qualifier scopes
//                              and flavors; CimError(INVALID_SUPERCLASS / ALREADY_EXISTS / ...)
//   modifyClass(ns, cls), deleteClass(ns, name)   (CLASS_HAS_CHILDREN / CLASS_HAS_INSTANCES)
//   getClass(ns, name)         resolved: inherited members marked propagated, classOrigin set
//   getLocalClass(ns, name)    as declared
//   hasClass(ns, name), classNames(ns, { className?, deep })  (subclasses of className, or roots)
//   isSubclassOf(ns, sub, sup) (true when equal), superclassChain(ns, name)
//   addInstance(ns, inst) -> CimObjectPath   validated and coerced against the class
//   getInstance(ns, path), modifyInstance(ns, inst, propertyList?), deleteInstance(ns, path)
//   instances(ns, className, { deep })       instances of the class and (deep) its subclasses
//   instanceViews(ns, className, { deep })   the same as shallow views sharing frozen properties
//   storedInstances(ns, className, { deep })  the frozen stored instances, for readers only
//   instanceView(ns, path, { classOrigin })  getInstance as such a view
//   validateInstance(ns, inst) -> CimInstance  coerced copy, or CimError naming the property
//   pathOf(ns, inst) -> CimObjectPath          from the class's keys
//
// Everything handed in is copied and everything handed out is a copy, so callers may change what
// they get without touching the store. Inside, nothing stored is ever changed: resolved classes
// share inherited members (resolveClass.ts) and class copies are taken on first read
// (copyStoredClass.ts), which is what keeps addClass and getClass cheap. Stored instances are
// replaced, never edited, and frozen down to their properties and key bindings, so that
// instanceViews() can hand those out shared (storedInstances.ts): a large enumeration then costs
// a few small objects per instance instead of a deep copy of each.
import { NameMap } from './NameMap.js';
import { CimClass } from './CimClass.js';
import { CimInstance } from './CimInstance.js';
import { CimProperty } from './CimProperty.js';
import { CimMethod } from './CimMethod.js';
import { CimParameter } from './CimParameter.js';
import { CimObjectPath } from './CimObjectPath.js';
import { CimQualifierDeclaration, type QualifierScope } from './CimQualifierDeclaration.js';
import { isCimType } from './CimType.js';
import type { CimScalar, CimValue } from './CimValue.js';
import { CimError, CimStatus } from './CimError.js';
import { coerceValue } from './coerceValue.js';
import { normalizeQualifiers } from './qualifierRules.js';
import { inheritance, resolveClass, type Inheritance } from './resolveClass.js';
import { copyStoredClass } from './copyStoredClass.js';
import { copyStoredInstance, freezeStoredInstance, instanceView } from './storedInstances.js';
import { canonicalKeysKey, namespaceKey } from './objectPathText.js';
import {
  canonicalInstanceKey, coercePropertyValue, instanceProperty, normalizeInstancePath, pathFromProperties, validateAgainstClass, type SubclassTest,
} from './instanceRules.js';

export interface CimRepositoryOptions {
  /**
   * Refuse qualifiers that have no declaration. Default: only in namespaces that hold at least one
   * qualifier declaration (a namespace filled from the wire without declarations stays usable).
   */
  requireDeclaredQualifiers?: boolean;
}

export interface ClassNameOptions {
  /** Subclasses of this class; the root classes (deep: all classes) when omitted. */
  className?: string;
  /** All descendants rather than direct subclasses only. Default false. */
  deep?: boolean;
}

const PROPERTY_SCOPE: readonly QualifierScope[] = ['property'];
const REFERENCE_SCOPE: readonly QualifierScope[] = ['reference'];
const METHOD_SCOPE: readonly QualifierScope[] = ['method'];
const PARAMETER_SCOPE: readonly QualifierScope[] = ['parameter'];

const VALID_SCOPES = new Set<QualifierScope>(['class', 'association', 'indication', 'property', 'reference', 'method', 'parameter', 'qualifier', 'any']);

/** The state of one namespace. */
class NamespaceState {
  readonly qualifiers = new NameMap<CimQualifierDeclaration>();
  /** Classes as declared (normalised), in the order they were added. */
  readonly classes = new NameMap<CimClass>();
  /** Lower-cased class name -> lower-cased direct subclass names; '' holds the roots. */
  readonly children = new Map<string, string[]>();
  /**
   * Resolved classes by lower-cased name; dropped for a subtree whenever it changes. They share
   * objects with each other and with `classes` (see resolveClass.ts), so nothing stored here is
   * ever changed or handed out: callers get copies.
   */
  readonly resolved = new Map<string, CimClass>();
  /** What each resolved class hands down, computed when its first subclass is resolved. */
  readonly inheritances = new WeakMap<CimClass, Inheritance>();
  /** Lower-cased class name -> canonical key bindings -> instance. */
  readonly instances = new Map<string, Map<string, CimInstance>>();
  constructor(readonly name: string) {}
}

function isName(s: string): boolean {
  if (typeof s !== 'string' || s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c > 127 || (i > 0 && c >= 48 && c <= 57);
    if (!ok) return false;
  }
  return true;
}

function notFound(what: string): CimError {
  return new CimError(CimStatus.CIM_ERR_NOT_FOUND, what);
}

export class CimRepository {
  private readonly spaces = new Map<string, NamespaceState>();
  private readonly aliases = new Map<string, string>();
  /** Key declarations per resolved class: resolved classes are never changed, only replaced. */
  private readonly keyDecls = new WeakMap<CimClass, CimProperty[]>();

  constructor(private readonly options: CimRepositoryOptions = {}) {}

  // ---- namespaces -------------------------------------------------------------------------

  private space(ns: string): NamespaceState {
    const key = namespaceKey(ns);
    const s = this.spaces.get(this.aliases.get(key) ?? key);
    if (!s) throw new CimError(CimStatus.CIM_ERR_INVALID_NAMESPACE, `namespace ${ns} does not exist`);
    return s;
  }

  namespaces(): string[] {
    return [...this.spaces.values()].map((s) => s.name);
  }

  hasNamespace(ns: string): boolean {
    const key = namespaceKey(ns);
    return this.spaces.has(this.aliases.get(key) ?? key);
  }

  /** Creates `ns` (`root/cimv2` style: names separated by `/`). */
  createNamespace(ns: string): void {
    const name = typeof ns === 'string' ? ns.replace(/^\/+|\/+$/g, '') : '';
    if (!name || !name.split('/').every(isName)) {
      throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `invalid namespace name "${String(ns)}"`);
    }
    if (this.hasNamespace(name)) throw new CimError(CimStatus.CIM_ERR_ALREADY_EXISTS, `namespace ${name} already exists`);
    this.spaces.set(namespaceKey(name), new NamespaceState(name));
  }

  /** Creates `ns` unless it exists. */
  ensureNamespace(ns: string): void {
    if (!this.hasNamespace(ns)) this.createNamespace(ns);
  }

  /** Makes `alias` another name of the existing namespace `target` (e.g. `interop` for `root/interop`). */
  aliasNamespace(alias: string, target: string): void {
    const t = this.space(target);
    const key = namespaceKey(alias);
    if (this.spaces.has(key)) throw new CimError(CimStatus.CIM_ERR_ALREADY_EXISTS, `namespace ${alias} already exists`);
    this.aliases.set(key, namespaceKey(t.name));
  }

  /** Deletes an empty namespace (qualifier declarations do not count); NAMESPACE_NOT_EMPTY otherwise. */
  deleteNamespace(ns: string): void {
    const s = this.space(ns);
    if (s.classes.size > 0) throw new CimError(CimStatus.CIM_ERR_NAMESPACE_NOT_EMPTY, `namespace ${s.name} still holds ${s.classes.size} classes`);
    const key = namespaceKey(s.name);
    this.spaces.delete(key);
    for (const [a, t] of this.aliases) if (t === key) this.aliases.delete(a);
  }

  // ---- qualifier declarations ---------------------------------------------------------------

  hasQualifierDeclaration(ns: string, name: string): boolean {
    return this.space(ns).qualifiers.has(name);
  }

  /** The declaration; CIM_ERR_NOT_FOUND when there is none. */
  getQualifierDeclaration(ns: string, name: string): CimQualifierDeclaration {
    const d = this.space(ns).qualifiers.get(name);
    if (!d) throw notFound(`qualifier ${name} is not declared in ${ns}`);
    return d.clone();
  }

  /** Adds or replaces a declaration; its default value is coerced to its type. */
  setQualifierDeclaration(ns: string, decl: CimQualifierDeclaration): void {
    const s = this.space(ns);
    if (!isName(decl.name)) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `invalid qualifier name "${decl.name}"`);
    if (!isCimType(decl.type)) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `qualifier ${decl.name} has unknown type ${String(decl.type)}`);
    if (decl.type === 'reference') throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `qualifier ${decl.name}: qualifiers cannot be references`);
    for (const sc of decl.scopes) {
      if (!VALID_SCOPES.has(sc)) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `qualifier ${decl.name} has unknown scope ${String(sc)}`);
    }
    const copy = decl.clone();
    try {
      copy.value = coerceValue(decl.type, decl.isArray, decl.value);
    } catch (e) {
      if (e instanceof CimError) throw new CimError(CimStatus.CIM_ERR_TYPE_MISMATCH, `default of qualifier ${decl.name}: ${e.description}`);
      throw e;
    }
    s.qualifiers.set(copy.name, copy);
  }

  deleteQualifierDeclaration(ns: string, name: string): void {
    if (!this.space(ns).qualifiers.delete(name)) throw notFound(`qualifier ${name} is not declared in ${ns}`);
  }

  qualifierDeclarations(ns: string): CimQualifierDeclaration[] {
    return this.space(ns).qualifiers.values().map((d) => d.clone());
  }

  // ---- classes ------------------------------------------------------------------------------

  private requireDeclared(s: NamespaceState): boolean {
    return this.options.requireDeclaredQualifiers ?? s.qualifiers.size > 0;
  }

  /** The resolved class from the cache, building it (and its ancestors) when needed. */
  private resolved(s: NamespaceState, name: string): CimClass | undefined {
    const key = name.toLowerCase();
    const hit = s.resolved.get(key);
    if (hit) return hit;
    const local = s.classes.get(name);
    if (!local) return undefined;
    const sup = local.superclass ? this.resolved(s, local.superclass) ?? null : null;
    const r = resolveClass(local, sup ? this.inheritanceOf(s, sup) : null);
    s.resolved.set(key, r);
    return r;
  }

  private inheritanceOf(s: NamespaceState, sup: CimClass): Inheritance {
    let inh = s.inheritances.get(sup);
    if (!inh) s.inheritances.set(sup, (inh = inheritance(sup)));
    return inh;
  }

  private requireClass(s: NamespaceState, name: string, status = CimStatus.CIM_ERR_NOT_FOUND): CimClass {
    const c = this.resolved(s, name);
    if (!c) throw new CimError(status, `class ${name} does not exist in ${s.name}`);
    return c;
  }

  /**
   * The class as it will be stored: a copy without propagated members, qualifiers checked against
   * the declarations, member types known and defaults coerced.
   */
  private normalizeLocal(s: NamespaceState, cls: CimClass, sup: CimClass | null): CimClass {
    if (!isName(cls.name)) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `invalid class name "${cls.name}"`);
    const strict = this.requireDeclared(s);
    const isAssoc = cls.isAssociation || (sup?.isAssociation ?? false);
    const isIndication = cls.isIndication || (sup?.isIndication ?? false);
    const classScopes: QualifierScope[] = ['class'];
    if (isAssoc) classScopes.push('association');
    if (isIndication) classScopes.push('indication');
    const out = new CimClass(cls.name, cls.superclass, normalizeQualifiers(cls.qualifiers, s.qualifiers, classScopes, `class ${cls.name}`, strict));
    out.path = cls.path;
    for (const p of cls.properties.values()) {
      if (p.propagated) continue;
      out.properties.set(p.name, this.normalizeProperty(s, cls, p, strict));
    }
    for (const m of cls.methods.values()) {
      if (m.propagated) continue;
      out.methods.set(m.name, this.normalizeMethod(s, cls, m, strict));
    }
    return out;
  }

  private normalizeProperty(s: NamespaceState, cls: CimClass, p: CimProperty, strict: boolean): CimProperty {
    const where = `property ${cls.name}.${p.name}`;
    if (!isName(p.name)) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `invalid property name "${p.name}" in class ${cls.name}`);
    if (!isCimType(p.type)) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `${where} has unknown type ${String(p.type)}`);
    // normalizeQualifiers and coerceValue build new objects: that is the copy of what was handed in.
    const qualifiers = normalizeQualifiers(p.qualifiers, s.qualifiers, p.type === 'reference' ? REFERENCE_SCOPE : PROPERTY_SCOPE, where, strict);
    let value: CimValue;
    try {
      value = coerceValue(p.type, p.isArray, p.value);
    } catch (e) {
      if (e instanceof CimError) throw new CimError(CimStatus.CIM_ERR_TYPE_MISMATCH, `default of ${where}: ${e.description}`);
      throw e;
    }
    if (p.isArray && qualifiers.get('Key')?.value === true) {
      throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `${where}: a key cannot be an array`);
    }
    return new CimProperty(
      p.name, p.type, value, p.isArray, qualifiers, p.referenceClass, p.embeddedObject, p.embeddedClass, cls.name, false, p.arraySize,
    );
  }

  private normalizeMethod(s: NamespaceState, cls: CimClass, m: CimMethod, strict: boolean): CimMethod {
    const where = `method ${cls.name}.${m.name}`;
    if (!isName(m.name)) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `invalid method name "${m.name}" in class ${cls.name}`);
    if (!isCimType(m.returnType)) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `${where} has unknown return type ${String(m.returnType)}`);
    const qualifiers = normalizeQualifiers(m.qualifiers, s.qualifiers, METHOD_SCOPE, where, strict);
    const parameters = m.parameters.mapValues((p) => {
      if (!isName(p.name)) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `invalid parameter name "${p.name}" in ${where}`);
      if (!isCimType(p.type)) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `parameter ${p.name} of ${where} has unknown type ${String(p.type)}`);
      const q = normalizeQualifiers(p.qualifiers, s.qualifiers, PARAMETER_SCOPE, `parameter ${p.name} of ${where}`, strict);
      return new CimParameter(p.name, p.type, p.isArray, q, p.referenceClass, p.arraySize, p.embeddedObject, p.embeddedClass);
    });
    return new CimMethod(m.name, m.returnType, parameters, qualifiers, cls.name, false);
  }

  /** Adds a class given with its local members (members marked propagated are ignored). */
  addClass(ns: string, cls: CimClass): void {
    const s = this.space(ns);
    if (s.classes.has(cls.name)) throw new CimError(CimStatus.CIM_ERR_ALREADY_EXISTS, `class ${cls.name} already exists in ${s.name}`);
    let sup: CimClass | null = null;
    if (cls.superclass) {
      sup = this.resolved(s, cls.superclass) ?? null;
      if (!sup) throw new CimError(CimStatus.CIM_ERR_INVALID_SUPERCLASS, `superclass ${cls.superclass} of ${cls.name} does not exist in ${s.name}`);
    }
    const local = this.normalizeLocal(s, cls, sup);
    if (sup) local.superclass = sup.name;
    const resolved = resolveClass(local, sup ? this.inheritanceOf(s, sup) : null);
    s.classes.set(local.name, local);
    s.resolved.set(local.name.toLowerCase(), resolved);
    const parent = sup ? sup.name.toLowerCase() : '';
    const kids = s.children.get(parent);
    if (kids) kids.push(local.name.toLowerCase());
    else s.children.set(parent, [local.name.toLowerCase()]);
  }

  /** Lower-cased names of `name` and all its descendants, parents before children. */
  private subtree(s: NamespaceState, name: string): string[] {
    const out = [name.toLowerCase()];
    this.addDescendants(s, out[0]!, out);
    return out;
  }

  private addDescendants(s: NamespaceState, n: string, out: string[]): void {
    for (const k of s.children.get(n) ?? []) {
      out.push(k);
      this.addDescendants(s, k, out);
    }
  }

  private hasInstancesIn(s: NamespaceState, names: string[]): boolean {
    return names.some((n) => (s.instances.get(n)?.size ?? 0) > 0);
  }

  /**
   * Replaces a class's declaration. Refused (CLASS_HAS_INSTANCES) while it or a subclass has
   * instances; subclasses are re-resolved and the change is undone if any of them no longer fits.
   */
  modifyClass(ns: string, cls: CimClass): void {
    const s = this.space(ns);
    const old = s.classes.get(cls.name);
    if (!old) throw notFound(`class ${cls.name} does not exist in ${s.name}`);
    const tree = this.subtree(s, old.name);
    if (this.hasInstancesIn(s, tree)) throw new CimError(CimStatus.CIM_ERR_CLASS_HAS_INSTANCES, `class ${old.name} or a subclass has instances`);
    let sup: CimClass | null = null;
    if (cls.superclass) {
      if (tree.includes(cls.superclass.toLowerCase())) {
        throw new CimError(CimStatus.CIM_ERR_INVALID_SUPERCLASS, `${cls.superclass} is ${old.name} or one of its subclasses`);
      }
      sup = this.resolved(s, cls.superclass) ?? null;
      if (!sup) throw new CimError(CimStatus.CIM_ERR_INVALID_SUPERCLASS, `superclass ${cls.superclass} of ${cls.name} does not exist in ${s.name}`);
    }
    const local = this.normalizeLocal(s, cls, sup);
    if (sup) local.superclass = sup.name;
    const key = old.name.toLowerCase();
    const oldParent = old.superclass ? old.superclass.toLowerCase() : '';
    const newParent = sup ? sup.name.toLowerCase() : '';
    const drop = (): void => { for (const n of tree) s.resolved.delete(n); };
    s.classes.set(local.name, local);
    drop();
    try {
      for (const n of tree) this.resolved(s, n);
    } catch (e) {
      s.classes.set(old.name, old);
      drop();
      throw e;
    }
    if (oldParent !== newParent) {
      const from = s.children.get(oldParent);
      if (from) from.splice(from.indexOf(key), 1);
      const to = s.children.get(newParent);
      if (to) to.push(key);
      else s.children.set(newParent, [key]);
    }
  }

  /** Deletes a class without subclasses or instances. */
  deleteClass(ns: string, name: string): void {
    const s = this.space(ns);
    const cls = s.classes.get(name);
    if (!cls) throw notFound(`class ${name} does not exist in ${s.name}`);
    const key = cls.name.toLowerCase();
    if ((s.children.get(key)?.length ?? 0) > 0) throw new CimError(CimStatus.CIM_ERR_CLASS_HAS_CHILDREN, `class ${cls.name} has subclasses`);
    if (this.hasInstancesIn(s, [key])) throw new CimError(CimStatus.CIM_ERR_CLASS_HAS_INSTANCES, `class ${cls.name} has instances`);
    s.classes.delete(name);
    s.resolved.delete(key);
    s.children.delete(key);
    s.instances.delete(key);
    const parent = s.children.get(cls.superclass ? cls.superclass.toLowerCase() : '');
    if (parent) parent.splice(parent.indexOf(key), 1);
  }

  hasClass(ns: string, name: string): boolean {
    return this.space(ns).classes.has(name);
  }

  /** The resolved class (a copy); CIM_ERR_NOT_FOUND when there is none. */
  getClass(ns: string, name: string): CimClass {
    return copyStoredClass(this.requireClass(this.space(ns), name));
  }

  /** The class as declared (local members only, a copy); CIM_ERR_NOT_FOUND when there is none. */
  getLocalClass(ns: string, name: string): CimClass {
    const c = this.space(ns).classes.get(name);
    if (!c) throw notFound(`class ${name} does not exist in ${ns}`);
    return copyStoredClass(c);
  }

  /**
   * Class names: the subclasses of `className` (direct, or with `deep` all descendants) or, without
   * it, the root classes (with `deep`, every class). Parents come before their subclasses.
   */
  classNames(ns: string, options: ClassNameOptions = {}): string[] {
    const s = this.space(ns);
    let start = '';
    if (options.className) {
      const c = s.classes.get(options.className);
      if (!c) throw new CimError(CimStatus.CIM_ERR_INVALID_CLASS, `class ${options.className} does not exist in ${s.name}`);
      start = c.name.toLowerCase();
    }
    const out: string[] = [];
    const walk = (n: string): void => {
      for (const k of s.children.get(n) ?? []) {
        out.push(s.classes.nameOf(k) ?? k);
        if (options.deep) walk(k);
      }
    };
    walk(start);
    return out;
  }

  /** Resolved copies of the classes classNames() lists. */
  classes(ns: string, options: ClassNameOptions = {}): CimClass[] {
    const s = this.space(ns);
    return this.classNames(ns, options).map((n) => copyStoredClass(this.requireClass(s, n)));
  }

  /** True when `sub` is `sup` or inherits from it; false when either class is unknown. */
  isSubclassOf(ns: string, sub: string, sup: string): boolean {
    const s = this.space(ns);
    const target = sup.toLowerCase();
    let c = s.classes.get(sub);
    while (c) {
      if (c.name.toLowerCase() === target) return true;
      c = c.superclass ? s.classes.get(c.superclass) : undefined;
    }
    return false;
  }

  /** The superclasses of `name`, nearest first (the class itself not included). */
  superclassChain(ns: string, name: string): string[] {
    const s = this.space(ns);
    let c = s.classes.get(name);
    if (!c) throw notFound(`class ${name} does not exist in ${s.name}`);
    const out: string[] = [];
    while (c.superclass) {
      const next = s.classes.get(c.superclass);
      if (!next) break;
      out.push(next.name);
      c = next;
    }
    return out;
  }

  // ---- instances ----------------------------------------------------------------------------

  private subclassTest(s: NamespaceState): SubclassTest {
    return (sub, sup) => (s.classes.has(sub) ? this.isSubclassOf(s.name, sub, sup) : undefined);
  }

  /** A coerced, completed copy of `inst` (path set), or CimError naming the offending property. */
  validateInstance(ns: string, inst: CimInstance): CimInstance {
    const s = this.space(ns);
    const cls = this.requireClass(s, inst.className, CimStatus.CIM_ERR_INVALID_CLASS);
    return validateAgainstClass(cls, inst, s.name, this.subclassTest(s));
  }

  /** The instance path of `inst` from its class's key properties (values coerced). */
  pathOf(ns: string, inst: CimInstance): CimObjectPath {
    const s = this.space(ns);
    const cls = this.requireClass(s, inst.className, CimStatus.CIM_ERR_INVALID_CLASS);
    const keyed = new CimInstance(cls.name);
    const keys = cls.keyProperties();
    for (const decl of keys) {
      const p = inst.properties.get(decl.name);
      if (p) keyed.properties.set(decl.name, instanceProperty(decl, coercePropertyValue(cls, decl, p.value, this.subclassTest(s))));
    }
    if (keyed.properties.size < keys.length && inst.path?.keys) {
      return normalizeInstancePath(cls, inst.path, s.name);
    }
    return pathFromProperties(cls, keyed, s.name);
  }

  /** Stores a validated copy of `inst`; returns its path. ALREADY_EXISTS when the keys are taken. */
  addInstance(ns: string, inst: CimInstance): CimObjectPath {
    const s = this.space(ns);
    const cls = this.requireClass(s, inst.className, CimStatus.CIM_ERR_INVALID_CLASS);
    const v = validateAgainstClass(cls, inst, s.name, this.subclassTest(s));
    const path = v.path as CimObjectPath;
    const ckey = cls.name.toLowerCase();
    let map = s.instances.get(ckey);
    if (!map) s.instances.set(ckey, (map = new Map()));
    const k = canonicalKeysKey(path.keys as NameMap<never>, s.name);
    if (map.has(k)) throw new CimError(CimStatus.CIM_ERR_ALREADY_EXISTS, `instance ${path.toString()} already exists`);
    map.set(k, freezeStoredInstance(v));
    return path.clone();
  }

  /** The stored instance `path` names (its class or a subclass with the same keys), or undefined. */
  private find(s: NamespaceState, path: CimObjectPath): { map: Map<string, CimInstance>; key: string; inst: CimInstance } | undefined {
    if (!path.keys) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `${path.toString()} is a class path, not an instance path`);
    const cls = this.requireClass(s, path.className, CimStatus.CIM_ERR_INVALID_CLASS);
    let keys = this.keyDecls.get(cls);
    if (keys === undefined) this.keyDecls.set(cls, (keys = cls.keyProperties()));
    const key = canonicalInstanceKey(cls, keys, path, s.name);
    // The class's own instances first: a subtree list per lookup only when they miss.
    const own = cls.name.toLowerCase();
    const ownMap = s.instances.get(own);
    const ownInst = ownMap?.get(key);
    if (ownMap && ownInst) return { map: ownMap, key, inst: ownInst };
    if (!s.children.get(own)?.length) return undefined;
    for (const n of this.subtree(s, cls.name)) {
      const map = s.instances.get(n);
      const inst = map?.get(key);
      if (map && inst) return { map, key, inst };
    }
    return undefined;
  }

  /** A copy of the instance; CIM_ERR_NOT_FOUND when there is none. */
  getInstance(ns: string, path: CimObjectPath): CimInstance {
    const s = this.space(ns);
    const hit = this.find(s, path);
    if (!hit) throw notFound(`no instance ${path.toString()}`);
    return copyStoredInstance(this.requireClass(s, hit.inst.className), hit.inst);
  }

  /**
   * The instance getInstance returns, as a view (see instanceViews): new instance, maps and path
   * over the stored, frozen properties and key bindings, so a read copies nothing. Properties
   * carry no CLASSORIGIN (and are not PROPAGATED) unless `classOrigin`.
   */
  instanceView(ns: string, path: CimObjectPath, options: { classOrigin?: boolean } = {}): CimInstance {
    const s = this.space(ns);
    const hit = this.find(s, path);
    if (!hit) throw notFound(`no instance ${path.toString()}`);
    return instanceView(hit.inst, options.classOrigin ? this.requireClass(s, hit.inst.className) : undefined);
  }

  hasInstance(ns: string, path: CimObjectPath): boolean {
    return this.find(this.space(ns), path) !== undefined;
  }

  /**
   * Replaces the properties `inst` carries (or those in `propertyList`; listed ones `inst` lacks go
   * back to the class default). Keys cannot change. The instance is found by inst.path, else by
   * its key properties.
   */
  modifyInstance(ns: string, inst: CimInstance, propertyList?: readonly string[] | null): void {
    const s = this.space(ns);
    const path = inst.path?.keys ? inst.path : this.pathOf(ns, inst);
    const hit = this.find(s, path);
    if (!hit) throw notFound(`no instance ${path.toString()}`);
    const cls = this.requireClass(s, hit.inst.className);
    for (const name of inst.properties.names()) {
      if (!cls.properties.has(name)) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `class ${cls.name} has no property ${name}`);
    }
    const names = propertyList ?? inst.properties.names();
    const next = hit.inst.clone();
    const test = this.subclassTest(s);
    for (const name of names) {
      const decl = cls.properties.get(name);
      if (!decl) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `class ${cls.name} has no property ${name}`);
      const given = inst.properties.get(name);
      const value = given ? coercePropertyValue(cls, decl, given.value, test) : Array.isArray(decl.value) ? [...decl.value] : decl.value;
      if (decl.qualifiers.get('Key')?.value === true) {
        // Restating a key with its value is fine (wbemcli sends whole instances); changing it is not.
        if (!given) continue;
        const now = hit.inst.properties.get(name)?.value ?? null;
        const keyText = (v: CimValue): string => canonicalKeysKey(NameMap.from([{ name, type: decl.type, value: v as CimScalar }], (b) => b.name), s.name);
        const same = value !== null && !Array.isArray(value) && now !== null && !Array.isArray(now) && keyText(value) === keyText(now);
        if (!same) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `key property ${cls.name}.${decl.name} cannot be modified`);
        continue;
      }
      next.properties.set(decl.name, instanceProperty(decl, value));
    }
    hit.map.set(hit.key, freezeStoredInstance(next));
  }

  /** Removes the instance; CIM_ERR_NOT_FOUND when there is none. */
  deleteInstance(ns: string, path: CimObjectPath): void {
    const s = this.space(ns);
    const hit = this.find(s, path);
    if (!hit) throw notFound(`no instance ${path.toString()}`);
    hit.map.delete(hit.key);
  }

  /** Copies of the instances of `className` and, unless deep is false, of its subclasses. */
  instances(ns: string, className: string, options: { deep?: boolean } = {}): CimInstance[] {
    const s = this.space(ns);
    const cls = this.requireClass(s, className, CimStatus.CIM_ERR_INVALID_CLASS);
    const names = options.deep === false ? [cls.name.toLowerCase()] : this.subtree(s, cls.name);
    const out: CimInstance[] = [];
    for (const n of names) {
      const map = s.instances.get(n);
      if (!map || map.size === 0) continue;
      const c = this.requireClass(s, n);
      for (const inst of map.values()) out.push(copyStoredInstance(c, inst));
    }
    return out;
  }

  /**
   * The instances instances() lists, as views: each a new CimInstance with its own property map,
   * qualifier map and path (callers may add, remove and replace properties, and stamp the path),
   * sharing the stored CimProperty objects and key bindings, which are frozen: a property is
   * changed by setting a new one, never by assigning to the shared one (that throws TypeError).
   * The set of instances is taken now; each view is made only when the iteration reaches it, so
   * a large enumeration's views die young instead of being held, all copied, until the last one
   * is written. Properties carry no CLASSORIGIN (and are not PROPAGATED) unless `classOrigin`.
   */
  instanceViews(ns: string, className: string, options: { deep?: boolean; classOrigin?: boolean } = {}): Iterable<CimInstance> {
    const stored = this.storedInstances(ns, className, options);
    const s = this.space(ns);
    return views(stored, options.classOrigin ? (inst) => this.requireClass(s, inst.className) : undefined);
  }

  /**
   * The stored instances instanceViews() makes its views of, themselves: frozen down to their
   * properties and key bindings, but their property and qualifier maps are the store's own and
   * are not frozen. Only for a reader that changes nothing (the WBEM server's encoder of an
   * enumeration that asks for the instances as stored); everyone else takes views or copies.
   * Stored instances are replaced rather than edited, so the list stays a consistent snapshot
   * while creates, modifies and deletes go on during a streamed enumeration.
   */
  storedInstances(ns: string, className: string, options: { deep?: boolean } = {}): readonly CimInstance[] {
    const s = this.space(ns);
    const cls = this.requireClass(s, className, CimStatus.CIM_ERR_INVALID_CLASS);
    const names = options.deep === false ? [cls.name.toLowerCase()] : this.subtree(s, cls.name);
    const stored: CimInstance[] = [];
    for (const n of names) for (const inst of s.instances.get(n)?.values() ?? []) stored.push(inst);
    return stored;
  }

  /** The paths of what instances() returns. */
  instanceNames(ns: string, className: string, options: { deep?: boolean } = {}): CimObjectPath[] {
    const s = this.space(ns);
    const cls = this.requireClass(s, className, CimStatus.CIM_ERR_INVALID_CLASS);
    const names = options.deep === false ? [cls.name.toLowerCase()] : this.subtree(s, cls.name);
    const out: CimObjectPath[] = [];
    for (const n of names) for (const inst of s.instances.get(n)?.values() ?? []) out.push((inst.path as CimObjectPath).clone());
    return out;
  }
}

function* views(stored: readonly CimInstance[], classOf?: (inst: CimInstance) => CimClass): Iterable<CimInstance> {
  for (const inst of stored) yield instanceView(inst, classOf?.(inst));
}
