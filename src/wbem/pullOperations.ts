// The pull operations (DSP0200 5.3.2.x): Open* start an enumeration and return its first batch
// with an EnumerationContext; Pull* continue it; CloseEnumeration ends it early.
import { CimError, CimStatus } from '../cim/CimError.js';
import type { ParamValue, ReturnItem } from '../xml/messages.js';
import type { IntrinsicOperation, OperationResult } from './OperationResult.js';
import type { IntrinsicParams } from './IntrinsicParams.js';
import type { OperationContext } from './OperationContext.js';
import { enumerationOwner, type EnumerationKind, type PullBatch } from './EnumerationContexts.js';
import type { CimInstance } from '../cim/CimInstance.js';
import type { CimObjectPath } from '../cim/CimObjectPath.js';
import { filterInstance, type InstanceFilter } from './objectFilters.js';
import * as router from './InstanceRouter.js';
import * as traversal from './AssociationTraversal.js';
import { parseQuery, runQuery } from './queryOperations.js';

const OPEN_COMMON = ['FilterQueryLanguage', 'FilterQuery', 'OperationTimeout', 'ContinueOnError', 'MaxObjectCount'];
const INSTANCE_FLAGS = ['IncludeClassOrigin', 'PropertyList'];

function batchResult(b: PullBatch): OperationResult {
  const params: ParamValue[] = [
    { name: 'EnumerationContext', type: 'string', value: b.context === null ? null : { kind: 'VALUE', text: b.context } },
    { name: 'EndOfSequence', type: 'boolean', value: { kind: 'VALUE', text: b.endOfSequence ? 'TRUE' : 'FALSE' } },
  ];
  return { kind: 'items', items: b.items, params: () => params };
}

/** The Open* checks shared by every variant: no filter queries, no continue-on-error. */
function checkOpen(p: IntrinsicParams): void {
  if (p.string('FilterQueryLanguage') !== null || p.string('FilterQuery') !== null) {
    throw new CimError(CimStatus.CIM_ERR_FILTERED_ENUMERATION_NOT_SUPPORTED, 'FilterQuery is not supported; use OpenQueryInstances');
  }
  if (p.boolean('ContinueOnError', false)) throw new CimError(CimStatus.CIM_ERR_CONTINUATION_ON_ERROR_NOT_SUPPORTED, 'ContinueOnError is not supported');
}

async function open(ctx: OperationContext, p: IntrinsicParams, kind: EnumerationKind, source: AsyncIterable<ReturnItem>): Promise<OperationResult> {
  return batchResult(await ctx.core.enumerations.openEnumeration(enumerationOwner(ctx.user), kind, ctx.namespace, source, p.uint32('OperationTimeout'), p.uint32('MaxObjectCount')));
}

function instanceFilter(p: IntrinsicParams): InstanceFilter {
  return { includeQualifiers: false, includeClassOrigin: p.boolean('IncludeClassOrigin', false), propertyList: p.propertyList() };
}

async function* withPath(source: AsyncIterable<CimInstance>, f: InstanceFilter): AsyncIterable<ReturnItem> {
  for await (const inst of source) yield { kind: 'VALUE.INSTANCEWITHPATH', instance: filterInstance(inst, f, true) };
}

async function* pathsOf(source: AsyncIterable<CimObjectPath>): AsyncIterable<ReturnItem> {
  for await (const path of source) yield { kind: 'INSTANCEPATH', path };
}

export const OpenEnumerateInstances: IntrinsicOperation = {
  name: 'OpenEnumerateInstances', role: 'read', params: ['ClassName', 'DeepInheritance', ...INSTANCE_FLAGS, ...OPEN_COMMON],
  async run(ctx, p) {
    const className = p.requiredClassName('ClassName');
    const deep = p.boolean('DeepInheritance', true);
    const f = instanceFilter(p);
    checkOpen(p);
    router.requireClass(ctx, className);
    const onlyPropertiesOf = deep ? null : ctx.core.repository.getClass(ctx.namespace, className).properties;
    return open(ctx, p, 'instances', withPath(router.enumerateInstances(ctx, className, f), { ...f, onlyPropertiesOf }));
  },
};

export const OpenEnumerateInstancePaths: IntrinsicOperation = {
  name: 'OpenEnumerateInstancePaths', role: 'read', params: ['ClassName', ...OPEN_COMMON],
  async run(ctx, p) {
    const className = p.requiredClassName('ClassName');
    checkOpen(p);
    router.requireClass(ctx, className);
    return open(ctx, p, 'paths', pathsOf(router.enumerateInstanceNames(ctx, className)));
  },
};

function assocFilter(p: IntrinsicParams) {
  return { assocClass: p.className('AssocClass'), resultClass: p.className('ResultClass'), role: p.string('Role'), resultRole: p.string('ResultRole') };
}

export const OpenAssociatorInstances: IntrinsicOperation = {
  name: 'OpenAssociatorInstances', role: 'read', params: ['InstanceName', 'AssocClass', 'ResultClass', 'Role', 'ResultRole', ...INSTANCE_FLAGS, ...OPEN_COMMON],
  async run(ctx, p) {
    const source = p.instanceName('InstanceName');
    const f = instanceFilter(p);
    checkOpen(p);
    router.requireClass(ctx, source.className);
    return open(ctx, p, 'instances', withPath(traversal.associators(ctx, source, assocFilter(p), f), f));
  },
};

export const OpenAssociatorInstancePaths: IntrinsicOperation = {
  name: 'OpenAssociatorInstancePaths', role: 'read', params: ['InstanceName', 'AssocClass', 'ResultClass', 'Role', 'ResultRole', ...OPEN_COMMON],
  async run(ctx, p) {
    const source = p.instanceName('InstanceName');
    checkOpen(p);
    router.requireClass(ctx, source.className);
    return open(ctx, p, 'paths', pathsOf(traversal.associatorNames(ctx, source, assocFilter(p))));
  },
};

export const OpenReferenceInstances: IntrinsicOperation = {
  name: 'OpenReferenceInstances', role: 'read', params: ['InstanceName', 'ResultClass', 'Role', ...INSTANCE_FLAGS, ...OPEN_COMMON],
  async run(ctx, p) {
    const source = p.instanceName('InstanceName');
    const f = instanceFilter(p);
    checkOpen(p);
    router.requireClass(ctx, source.className);
    return open(ctx, p, 'instances', withPath(traversal.references(ctx, source, { resultClass: p.className('ResultClass'), role: p.string('Role') }, f), f));
  },
};

export const OpenReferenceInstancePaths: IntrinsicOperation = {
  name: 'OpenReferenceInstancePaths', role: 'read', params: ['InstanceName', 'ResultClass', 'Role', ...OPEN_COMMON],
  async run(ctx, p) {
    const source = p.instanceName('InstanceName');
    checkOpen(p);
    router.requireClass(ctx, source.className);
    return open(ctx, p, 'paths', pathsOf(traversal.referenceNames(ctx, source, { resultClass: p.className('ResultClass'), role: p.string('Role') })));
  },
};

export const OpenQueryInstances: IntrinsicOperation = {
  name: 'OpenQueryInstances', role: 'read', params: ['FilterQuery', 'FilterQueryLanguage', 'ReturnQueryResultClass', 'OperationTimeout', 'ContinueOnError', 'MaxObjectCount'],
  async run(ctx, p) {
    const q = parseQuery(p.requiredString('FilterQueryLanguage'), p.requiredString('FilterQuery'));
    if (p.boolean('ReturnQueryResultClass', false)) throw new CimError(CimStatus.CIM_ERR_NOT_SUPPORTED, 'ReturnQueryResultClass is not supported');
    if (p.boolean('ContinueOnError', false)) throw new CimError(CimStatus.CIM_ERR_CONTINUATION_ON_ERROR_NOT_SUPPORTED, 'ContinueOnError is not supported');
    const source = runQuery(ctx, q);
    async function* gen(): AsyncIterable<ReturnItem> {
      for await (const instance of source) yield { kind: 'INSTANCE', instance };
    }
    return open(ctx, p, 'query', gen());
  },
};

function pullOperation(name: string, kind: EnumerationKind): IntrinsicOperation {
  return {
    name, role: 'read', params: ['EnumerationContext', 'MaxObjectCount'],
    async run(ctx, p) {
      return batchResult(await ctx.core.enumerations.pull(enumerationOwner(ctx.user), p.requiredString('EnumerationContext'), kind, ctx.namespace, p.uint32('MaxObjectCount')));
    },
  };
}

export const PullInstancesWithPath = pullOperation('PullInstancesWithPath', 'instances');
export const PullInstancePaths = pullOperation('PullInstancePaths', 'paths');
export const PullInstances = pullOperation('PullInstances', 'query');

export const CloseEnumeration: IntrinsicOperation = {
  name: 'CloseEnumeration', role: 'read', params: ['EnumerationContext'],
  async run(ctx, p) {
    await ctx.core.enumerations.close(enumerationOwner(ctx.user), p.requiredString('EnumerationContext'), ctx.namespace);
    return { kind: 'empty' };
  },
};

export const EnumerationCount: IntrinsicOperation = {
  name: 'EnumerationCount', role: 'read', params: ['EnumerationContext'],
  async run() {
    throw new CimError(CimStatus.CIM_ERR_NOT_SUPPORTED, 'EnumerationCount is not supported');
  },
};
