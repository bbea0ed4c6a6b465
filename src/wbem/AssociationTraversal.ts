// Association traversal (Associators, AssociatorNames, References, ReferenceNames). For each
// association class in the namespace, its provider's association hooks answer when it has them;
// otherwise the server enumerates the association's instances and matches their reference
// properties against the source path. Far ends may live in another namespace (interop links).
import { CimError, CimStatus } from '../cim/CimError.js';
import type { CimClass } from '../cim/CimClass.js';
import type { CimInstance } from '../cim/CimInstance.js';
import { CimObjectPath } from '../cim/CimObjectPath.js';
import type { AssociationFilter, InstanceOptions } from './Provider.js';
import { iterateResults } from './Provider.js';
import type { OperationContext } from './OperationContext.js';
import * as router from './InstanceRouter.js';

function same(a: string | null | undefined, b: string): boolean {
  return !a || a.toLowerCase() === b.toLowerCase();
}

/** The association classes of the namespace that pass the `assocClass` filter. */
function associationClasses(ctx: OperationContext, assocClass: string | null | undefined): CimClass[] {
  const repo = ctx.core.repository;
  if (assocClass && !repo.hasClass(ctx.namespace, assocClass)) return [];
  const out: CimClass[] = [];
  for (const name of repo.classNames(ctx.namespace, { deep: true })) {
    const cls = repo.getClass(ctx.namespace, name);
    if (!cls.isAssociation) continue;
    if (assocClass && !repo.isSubclassOf(ctx.namespace, name, assocClass)) continue;
    out.push(cls);
  }
  return out;
}

/** `p` with the namespace it is relative to filled in, for comparison. */
function absolute(p: CimObjectPath, ns: string): CimObjectPath {
  if (p.namespace) return p;
  const c = p.clone();
  c.namespace = ns;
  return c;
}

/** Names of the reference properties of `assoc` that point at `source` (canonical key), honouring `role`. */
function rolesPointingAt(assoc: CimInstance, ns: string, sourceKey: string, role: string | null | undefined): string[] {
  const roles: string[] = [];
  for (const [name, prop] of assoc.properties) {
    if (prop.type !== 'reference' || !(prop.value instanceof CimObjectPath)) continue;
    if (!same(role, name)) continue;
    if (absolute(prop.value, ns).canonicalKey() === sourceKey) roles.push(name);
  }
  return roles;
}

/** Whether `className` (in namespace `ns`) is `resultClass` or a subclass of it. */
function classMatches(ctx: OperationContext, ns: string, className: string, resultClass: string | null | undefined): boolean {
  if (!resultClass) return true;
  const repo = ctx.core.repository;
  try {
    return repo.hasClass(ns, className) && repo.hasClass(ns, resultClass) && repo.isSubclassOf(ns, className, resultClass);
  } catch {
    return false;
  }
}

/** The instances of one association class that name `source`. */
async function* referencesVia(ctx: OperationContext, cls: CimClass, source: CimObjectPath, sourceKey: string, filter: AssociationFilter, options: InstanceOptions): AsyncIterable<CimInstance> {
  const provider = ctx.core.providerFor(ctx.namespace, cls.name);
  const stamp = (inst: CimInstance): CimInstance => {
    inst.path = router.stampPath(ctx, inst.path ?? ctx.core.repository.pathOf(ctx.namespace, inst));
    return inst;
  };
  if (provider.references) {
    for await (const inst of iterateResults(provider.references(ctx, source, filter, options))) yield stamp(inst);
    return;
  }
  if (!provider.enumerateInstances) return;
  for await (const inst of iterateResults(provider.enumerateInstances(ctx, cls.name, options))) {
    if (rolesPointingAt(inst, ctx.namespace, sourceKey, filter.role).length > 0) yield stamp(inst);
  }
}

/** Association instances that name `source`, generic or through provider hooks. */
export async function* references(ctx: OperationContext, source: CimObjectPath, filter: AssociationFilter, options: InstanceOptions): AsyncIterable<CimInstance> {
  router.requireClass(ctx, source.className);
  const sourceKey = absolute(source, ctx.namespace).canonicalKey();
  // For References the association class filter is ResultClass.
  for (const cls of associationClasses(ctx, filter.resultClass)) yield* referencesVia(ctx, cls, source, sourceKey, filter, options);
}

export async function* referenceNames(ctx: OperationContext, source: CimObjectPath, filter: AssociationFilter): AsyncIterable<CimObjectPath> {
  router.requireClass(ctx, source.className);
  const sourceKey = absolute(source, ctx.namespace).canonicalKey();
  for (const cls of associationClasses(ctx, filter.resultClass)) {
    const provider = ctx.core.providerFor(ctx.namespace, cls.name);
    if (provider.referenceNames) {
      for await (const p of iterateResults(provider.referenceNames(ctx, source, filter))) yield router.stampPath(ctx, p);
    } else {
      for await (const inst of referencesVia(ctx, cls, source, sourceKey, filter, {})) yield inst.path!;
    }
  }
}

/** Paths of the objects linked to `source` through instances of `cls` (generic traversal). */
async function* farEnds(ctx: OperationContext, cls: CimClass, source: CimObjectPath, filter: AssociationFilter, seen: Set<string>): AsyncIterable<CimObjectPath> {
  const sourceKey = absolute(source, ctx.namespace).canonicalKey();
  for await (const assoc of referencesVia(ctx, cls, source, sourceKey, { role: filter.role ?? null }, {})) {
    const roles = rolesPointingAt(assoc, ctx.namespace, sourceKey, filter.role).map((r) => r.toLowerCase());
    for (const [name, prop] of assoc.properties) {
      if (prop.type !== 'reference' || !(prop.value instanceof CimObjectPath)) continue;
      // The role that names the source is not a far end (unless the link names the source twice).
      if (roles.length === 1 && roles[0] === name.toLowerCase()) continue;
      if (!same(filter.resultRole, name)) continue;
      const far = absolute(prop.value, ctx.namespace);
      if (!classMatches(ctx, far.namespace!, far.className, filter.resultClass)) continue;
      const key = far.canonicalKey();
      if (seen.has(key)) continue;
      seen.add(key);
      yield far;
    }
  }
}

export async function* associatorNames(ctx: OperationContext, source: CimObjectPath, filter: AssociationFilter): AsyncIterable<CimObjectPath> {
  router.requireClass(ctx, source.className);
  const seen = new Set<string>();
  for (const cls of associationClasses(ctx, filter.assocClass)) {
    const provider = ctx.core.providerFor(ctx.namespace, cls.name);
    if (provider.associatorNames) {
      for await (const p of iterateResults(provider.associatorNames(ctx, source, filter))) yield router.stampPath(ctx, p);
      continue;
    }
    for await (const far of farEnds(ctx, cls, source, filter, seen)) {
      const p = far.clone();
      p.host = ctx.core.name;
      yield p;
    }
  }
}

export async function* associators(ctx: OperationContext, source: CimObjectPath, filter: AssociationFilter, options: InstanceOptions): AsyncIterable<CimInstance> {
  router.requireClass(ctx, source.className);
  const seen = new Set<string>();
  for (const cls of associationClasses(ctx, filter.assocClass)) {
    const provider = ctx.core.providerFor(ctx.namespace, cls.name);
    if (provider.associators) {
      for await (const inst of iterateResults(provider.associators(ctx, source, filter, options))) {
        inst.path = router.stampPath(ctx, inst.path ?? ctx.core.repository.pathOf(ctx.namespace, inst));
        yield inst;
      }
      continue;
    }
    for await (const far of farEnds(ctx, cls, source, filter, seen)) {
      try {
        yield await router.getInstance(ctx.inNamespace(far.namespace!), far, options);
      } catch (e) {
        // A link to an object that is gone is skipped, not an error of the whole traversal.
        if (e instanceof CimError && (e.status === CimStatus.CIM_ERR_NOT_FOUND || e.status === CimStatus.CIM_ERR_INVALID_NAMESPACE || e.status === CimStatus.CIM_ERR_INVALID_CLASS)) continue;
        throw e;
      }
    }
  }
}

/** Class-level traversal: the association classes whose references can point at `className`. */
export function referenceClasses(ctx: OperationContext, className: string, filter: AssociationFilter): CimClass[] {
  router.requireClass(ctx, className);
  const repo = ctx.core.repository;
  return associationClasses(ctx, filter.resultClass).filter((a) => a.properties.values().some((p) =>
    p.type === 'reference' && same(filter.role, p.name) && p.referenceClass !== undefined &&
    repo.hasClass(ctx.namespace, p.referenceClass) && repo.isSubclassOf(ctx.namespace, className, p.referenceClass)));
}

/** Class-level traversal: the classes at the far ends of those associations. */
export function associatorClasses(ctx: OperationContext, className: string, filter: AssociationFilter): CimClass[] {
  const repo = ctx.core.repository;
  const out = new Map<string, CimClass>();
  for (const a of referenceClasses(ctx, className, { resultClass: filter.assocClass ?? null, role: filter.role ?? null })) {
    const refs = a.properties.values().filter((p) => p.type === 'reference' && p.referenceClass);
    for (const r of refs) {
      if (!same(filter.resultRole, r.name)) continue;
      if (filter.role && same(filter.role, r.name)) continue;
      const target = r.referenceClass!;
      if (!repo.hasClass(ctx.namespace, target)) continue;
      // Skip the end that points back at the source unless the association links a class to itself.
      const back = refs.filter((x) => repo.hasClass(ctx.namespace, x.referenceClass!) && repo.isSubclassOf(ctx.namespace, className, x.referenceClass!));
      if (back.length === 1 && back[0] === r) continue;
      if (filter.resultClass && !(repo.hasClass(ctx.namespace, filter.resultClass) && repo.isSubclassOf(ctx.namespace, target, filter.resultClass))) continue;
      out.set(target.toLowerCase(), repo.getClass(ctx.namespace, target));
    }
  }
  return [...out.values()];
}
