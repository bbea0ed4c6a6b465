// Routes instance operations to the provider of each class, filling in what a provider leaves
// out (names from instances, GetInstance by search) and stamping namespace and host on paths.
// Enumerations walk the class and its subclasses, asking each class's own provider.
import { CimError, CimStatus } from '../cim/CimError.js';
import type { CimInstance } from '../cim/CimInstance.js';
import { CimObjectPath } from '../cim/CimObjectPath.js';
import type { InstanceOptions, Provider } from './Provider.js';
import { iterateBatches, iterateResults } from './Provider.js';
import type { OperationContext } from './OperationContext.js';

/** The class names an enumeration of `className` covers: itself, then (deep) its subclasses. */
export function classesToEnumerate(ctx: OperationContext, className: string): string[] {
  const repo = ctx.core.repository;
  const out = [repo.getClass(ctx.namespace, className).name];
  for (const sub of repo.classNames(ctx.namespace, { className, deep: true })) {
    if (sub.toLowerCase() !== out[0]!.toLowerCase()) out.push(sub);
  }
  return out;
}

/** Throws CIM_ERR_INVALID_NAMESPACE / CIM_ERR_INVALID_CLASS unless `className` exists. */
export function requireClass(ctx: OperationContext, className: string): void {
  const repo = ctx.core.repository;
  if (!repo.hasNamespace(ctx.namespace)) throw new CimError(CimStatus.CIM_ERR_INVALID_NAMESPACE, ctx.namespace);
  if (!repo.hasClass(ctx.namespace, className)) throw new CimError(CimStatus.CIM_ERR_INVALID_CLASS, className);
}

export function requireNamespace(ctx: OperationContext): void {
  if (!ctx.core.repository.hasNamespace(ctx.namespace)) throw new CimError(CimStatus.CIM_ERR_INVALID_NAMESPACE, ctx.namespace);
}

/** Gives `path` this request's namespace (when it has none) and the server's host. */
export function stampPath(ctx: OperationContext, path: CimObjectPath): CimObjectPath {
  const p = path.clone();
  if (!p.namespace) p.namespace = ctx.namespace;
  p.host = ctx.core.name;
  return p;
}

/** stampPath for a path the server owns: stamped in place. */
function stampOwnPath(ctx: OperationContext, p: CimObjectPath): CimObjectPath {
  if (!p.namespace) p.namespace = ctx.namespace;
  p.host = ctx.core.name;
  return p;
}

function notSupported(op: string, className: string): CimError {
  return new CimError(CimStatus.CIM_ERR_NOT_SUPPORTED, `${op} is not supported for ${className}`);
}

/**
 * The instance's path, computed from its class's keys when the provider did not set one. The
 * path is stamped in place: what a provider returns belongs to the server from then on.
 */
function pathOf(ctx: OperationContext, inst: CimInstance): CimObjectPath {
  return stampOwnPath(ctx, inst.path ?? ctx.core.repository.pathOf(ctx.namespace, inst));
}

async function* shallowInstances(ctx: OperationContext, provider: Provider, className: string, options: InstanceOptions): AsyncIterable<CimInstance> {
  if (!provider.enumerateInstances) throw notSupported('EnumerateInstances', className);
  for await (const inst of iterateResults(provider.enumerateInstances(ctx, className, options))) {
    inst.path = pathOf(ctx, inst);
    yield inst;
  }
}

/**
 * Instances of `className` and its subclasses, each with a full path, in batches as providers
 * produce them (the form the streaming enumerations use).
 */
export async function* enumerateInstanceBatches(ctx: OperationContext, className: string, options: InstanceOptions): AsyncIterable<CimInstance[]> {
  requireClass(ctx, className);
  yield* instanceBatchesOf(ctx, classesToEnumerate(ctx, className), options);
}

/** enumerateInstanceBatches for a caller that already has classesToEnumerate's list. */
export async function* instanceBatchesOf(ctx: OperationContext, classes: readonly string[], options: InstanceOptions): AsyncIterable<CimInstance[]> {
  for (const cls of classes) {
    const provider = ctx.core.providerFor(ctx.namespace, cls);
    // The requested class's provider must enumerate; subclasses nobody enumerates are skipped.
    if (!provider.enumerateInstances) {
      if (cls === classes[0]) throw notSupported('EnumerateInstances', cls);
      continue;
    }
    for await (const batch of iterateBatches(provider.enumerateInstances(ctx, cls, options))) {
      for (const inst of batch) inst.path = pathOf(ctx, inst);
      yield batch;
    }
  }
}

/** Instances of `className` and its subclasses, each with a full path, one at a time. */
export async function* enumerateInstances(ctx: OperationContext, className: string, options: InstanceOptions): AsyncIterable<CimInstance> {
  for await (const batch of enumerateInstanceBatches(ctx, className, options)) yield* batch;
}

/** Paths of the instances of `className` and its subclasses. */
export async function* enumerateInstanceNames(ctx: OperationContext, className: string): AsyncIterable<CimObjectPath> {
  requireClass(ctx, className);
  for (const cls of classesToEnumerate(ctx, className)) {
    const provider = ctx.core.providerFor(ctx.namespace, cls);
    if (provider.enumerateInstanceNames) {
      // The paths are the server's now (Results): stamped in place rather than copied again.
      for await (const p of iterateResults(provider.enumerateInstanceNames(ctx, cls))) yield stampOwnPath(ctx, p);
    } else if (provider.enumerateInstances) {
      for await (const inst of shallowInstances(ctx, provider, cls, {})) yield inst.path!;
    }
  }
}

/** One instance by path; CIM_ERR_NOT_FOUND when no provider knows it. */
export async function getInstance(ctx: OperationContext, path: CimObjectPath, options: InstanceOptions): Promise<CimInstance> {
  return getInstanceNow(ctx, path, options);
}

/**
 * getInstance, answered synchronously when the provider answers synchronously (most do): a
 * GetInstance then costs no promise and no microtask on its way to the reply.
 */
export function getInstanceNow(ctx: OperationContext, path: CimObjectPath, options: InstanceOptions): CimInstance | Promise<CimInstance> {
  requireClass(ctx, path.className);
  if (!path.keys) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `${path.className} names a class, not an instance`);
  const provider = ctx.core.providerFor(ctx.namespace, path.className);
  if (provider.getInstance) {
    const r = provider.getInstance(ctx, path, options);
    if (typeof (r as PromiseLike<CimInstance>).then === 'function') return settleInstance(ctx, path, r as Promise<CimInstance | undefined>);
    return foundInstance(ctx, path, r as CimInstance | undefined);
  }
  if (provider.enumerateInstances) return searchInstance(ctx, provider, path, options);
  throw notSupported('GetInstance', path.className);
}

function foundInstance(ctx: OperationContext, path: CimObjectPath, inst: CimInstance | undefined): CimInstance {
  if (!inst) throw new CimError(CimStatus.CIM_ERR_NOT_FOUND, path.toString());
  inst.path = pathOf(ctx, inst);
  return inst;
}

async function settleInstance(ctx: OperationContext, path: CimObjectPath, r: Promise<CimInstance | undefined>): Promise<CimInstance> {
  return foundInstance(ctx, path, await r);
}

async function searchInstance(ctx: OperationContext, provider: Provider, path: CimObjectPath, options: InstanceOptions): Promise<CimInstance> {
  const want = stampPath(ctx, path).canonicalKey();
  let inst: CimInstance | undefined;
  for await (const i of shallowInstances(ctx, provider, path.className, options)) {
    if (i.path!.canonicalKey() === want) { inst = i; break; }
  }
  return foundInstance(ctx, path, inst);
}

export async function createInstance(ctx: OperationContext, instance: CimInstance): Promise<CimObjectPath> {
  requireClass(ctx, instance.className);
  const cls = ctx.core.repository.getClass(ctx.namespace, instance.className);
  if (cls.isAbstract) throw new CimError(CimStatus.CIM_ERR_INVALID_CLASS, `${cls.name} is abstract`);
  const provider = ctx.core.providerFor(ctx.namespace, instance.className);
  if (!provider.createInstance) throw notSupported('CreateInstance', instance.className);
  return stampPath(ctx, await provider.createInstance(ctx, instance));
}

export async function modifyInstance(ctx: OperationContext, instance: CimInstance, propertyList: readonly string[] | null): Promise<void> {
  if (!instance.path) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, 'ModifiedInstance has no instance name');
  requireClass(ctx, instance.path.className);
  const provider = ctx.core.providerFor(ctx.namespace, instance.path.className);
  if (!provider.modifyInstance) throw notSupported('ModifyInstance', instance.path.className);
  await provider.modifyInstance(ctx, instance, propertyList);
}

export async function deleteInstance(ctx: OperationContext, path: CimObjectPath): Promise<void> {
  requireClass(ctx, path.className);
  if (!path.keys) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `${path.className} names a class, not an instance`);
  const provider = ctx.core.providerFor(ctx.namespace, path.className);
  if (!provider.deleteInstance) throw notSupported('DeleteInstance', path.className);
  await provider.deleteInstance(ctx, path);
}
