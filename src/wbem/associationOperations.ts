// Associators, AssociatorNames, References and ReferenceNames, for instances (traversal of
// association instances) and classes (the schema's association classes).
import type { CimClass } from '../cim/CimClass.js';
import { CimObjectPath } from '../cim/CimObjectPath.js';
import type { ReturnItem } from '../xml/messages.js';
import { items, type IntrinsicOperation } from './OperationResult.js';
import type { IntrinsicParams } from './IntrinsicParams.js';
import type { OperationContext } from './OperationContext.js';
import type { AssociationFilter } from './Provider.js';
import { filterClass, filterInstance } from './objectFilters.js';
import * as traversal from './AssociationTraversal.js';

const ASSOC_PARAMS = ['ObjectName', 'AssocClass', 'ResultClass', 'Role', 'ResultRole'];
const REF_PARAMS = ['ObjectName', 'ResultClass', 'Role'];
const OBJECT_FLAGS = ['IncludeQualifiers', 'IncludeClassOrigin', 'PropertyList'];

function associatorFilter(p: IntrinsicParams): AssociationFilter {
  return { assocClass: p.className('AssocClass'), resultClass: p.className('ResultClass'), role: p.string('Role'), resultRole: p.string('ResultRole') };
}

function referenceFilter(p: IntrinsicParams): AssociationFilter {
  return { resultClass: p.className('ResultClass'), role: p.string('Role') };
}

function classPath(ctx: OperationContext, cls: CimClass): CimObjectPath {
  return new CimObjectPath(cls.name, null, ctx.namespace, ctx.core.name);
}

function classObject(ctx: OperationContext, cls: CimClass, p: IntrinsicParams): ReturnItem {
  const c = filterClass(cls, {
    localOnly: false, includeQualifiers: p.boolean('IncludeQualifiers', false),
    includeClassOrigin: p.boolean('IncludeClassOrigin', false), propertyList: p.propertyList(),
  });
  c.path = classPath(ctx, cls);
  return { kind: 'VALUE.OBJECTWITHPATH', object: c };
}

function instanceFlags(p: IntrinsicParams) {
  return { includeQualifiers: p.boolean('IncludeQualifiers', false), includeClassOrigin: p.boolean('IncludeClassOrigin', false), propertyList: p.propertyList() };
}

export const Associators: IntrinsicOperation = {
  name: 'Associators', role: 'read', params: [...ASSOC_PARAMS, ...OBJECT_FLAGS],
  async run(ctx, p) {
    const target = p.objectName('ObjectName');
    const filter = associatorFilter(p);
    if (!target.path) return items(traversal.associatorClasses(ctx, target.className, filter).map((c) => classObject(ctx, c, p)));
    const f = instanceFlags(p);
    const source = traversal.associators(ctx, target.path, filter, f);
    async function* gen(): AsyncIterable<ReturnItem> {
      for await (const inst of source) yield { kind: 'VALUE.OBJECTWITHPATH', object: filterInstance(inst, f, true) };
    }
    return items(gen());
  },
};

export const AssociatorNames: IntrinsicOperation = {
  name: 'AssociatorNames', role: 'read', params: ASSOC_PARAMS,
  async run(ctx, p) {
    const target = p.objectName('ObjectName');
    const filter = associatorFilter(p);
    if (!target.path) return items(traversal.associatorClasses(ctx, target.className, filter).map((c): ReturnItem => ({ kind: 'OBJECTPATH', path: classPath(ctx, c) })));
    const source = traversal.associatorNames(ctx, target.path, filter);
    async function* gen(): AsyncIterable<ReturnItem> {
      for await (const path of source) yield { kind: 'OBJECTPATH', path };
    }
    return items(gen());
  },
};

export const References: IntrinsicOperation = {
  name: 'References', role: 'read', params: [...REF_PARAMS, ...OBJECT_FLAGS],
  async run(ctx, p) {
    const target = p.objectName('ObjectName');
    const filter = referenceFilter(p);
    if (!target.path) return items(traversal.referenceClasses(ctx, target.className, filter).map((c) => classObject(ctx, c, p)));
    const f = instanceFlags(p);
    const source = traversal.references(ctx, target.path, filter, f);
    async function* gen(): AsyncIterable<ReturnItem> {
      for await (const inst of source) yield { kind: 'VALUE.OBJECTWITHPATH', object: filterInstance(inst, f, true) };
    }
    return items(gen());
  },
};

export const ReferenceNames: IntrinsicOperation = {
  name: 'ReferenceNames', role: 'read', params: REF_PARAMS,
  async run(ctx, p) {
    const target = p.objectName('ObjectName');
    const filter = referenceFilter(p);
    if (!target.path) return items(traversal.referenceClasses(ctx, target.className, filter).map((c): ReturnItem => ({ kind: 'OBJECTPATH', path: classPath(ctx, c) })));
    const source = traversal.referenceNames(ctx, target.path, filter);
    async function* gen(): AsyncIterable<ReturnItem> {
      for await (const path of source) yield { kind: 'OBJECTPATH', path };
    }
    return items(gen());
  },
};
