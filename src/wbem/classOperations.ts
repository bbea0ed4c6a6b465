// The schema operations: classes and qualifier declarations, straight from the repository.
import { CimError, CimStatus } from '../cim/CimError.js';
import type { ReturnItem } from '../xml/messages.js';
import { EMPTY, items, type IntrinsicOperation } from './OperationResult.js';
import { filterClass } from './objectFilters.js';
import { requireNamespace } from './InstanceRouter.js';
import type { OperationContext } from './OperationContext.js';

const READ_FLAGS = ['LocalOnly', 'IncludeQualifiers', 'IncludeClassOrigin'];

function classNamesUnder(ctx: OperationContext, className: string | null, deep: boolean): string[] {
  requireNamespace(ctx);
  const repo = ctx.core.repository;
  if (className !== null && !repo.hasClass(ctx.namespace, className)) throw new CimError(CimStatus.CIM_ERR_INVALID_CLASS, className);
  return className === null ? repo.classNames(ctx.namespace, { deep }) : repo.classNames(ctx.namespace, { className, deep });
}

export const GetClass: IntrinsicOperation = {
  name: 'GetClass', role: 'read', params: ['ClassName', 'PropertyList', ...READ_FLAGS],
  async run(ctx, p) {
    requireNamespace(ctx);
    const name = p.requiredClassName('ClassName');
    const repo = ctx.core.repository;
    const cls = filterClass(repo.getClass(ctx.namespace, name), {
      localOnly: p.boolean('LocalOnly', true), includeQualifiers: p.boolean('IncludeQualifiers', true),
      includeClassOrigin: p.boolean('IncludeClassOrigin', false), propertyList: p.propertyList(),
    });
    return items([{ kind: 'CLASS', cls }]);
  },
};

export const EnumerateClasses: IntrinsicOperation = {
  name: 'EnumerateClasses', role: 'read', params: ['ClassName', 'DeepInheritance', ...READ_FLAGS],
  async run(ctx, p) {
    const names = classNamesUnder(ctx, p.className('ClassName'), p.boolean('DeepInheritance', false));
    const f = {
      localOnly: p.boolean('LocalOnly', true), includeQualifiers: p.boolean('IncludeQualifiers', true),
      includeClassOrigin: p.boolean('IncludeClassOrigin', false), propertyList: null,
    };
    const repo = ctx.core.repository;
    function* gen(): Iterable<ReturnItem> {
      for (const n of names) yield { kind: 'CLASS', cls: filterClass(repo.getClass(ctx.namespace, n), f) };
    }
    return items(gen());
  },
};

export const EnumerateClassNames: IntrinsicOperation = {
  name: 'EnumerateClassNames', role: 'read', params: ['ClassName', 'DeepInheritance'],
  async run(ctx, p) {
    const names = classNamesUnder(ctx, p.className('ClassName'), p.boolean('DeepInheritance', false));
    return items(names.map((name): ReturnItem => ({ kind: 'CLASSNAME', name })));
  },
};

export const CreateClass: IntrinsicOperation = {
  name: 'CreateClass', role: 'admin', params: ['NewClass'],
  async run(ctx, p) {
    requireNamespace(ctx);
    ctx.core.repository.addClass(ctx.namespace, p.cimClass('NewClass'));
    return EMPTY;
  },
};

export const ModifyClass: IntrinsicOperation = {
  name: 'ModifyClass', role: 'admin', params: ['ModifiedClass'],
  async run(ctx, p) {
    requireNamespace(ctx);
    ctx.core.repository.modifyClass(ctx.namespace, p.cimClass('ModifiedClass'));
    return EMPTY;
  },
};

export const DeleteClass: IntrinsicOperation = {
  name: 'DeleteClass', role: 'admin', params: ['ClassName'],
  async run(ctx, p) {
    requireNamespace(ctx);
    const name = p.requiredClassName('ClassName');
    ctx.core.repository.deleteClass(ctx.namespace, name);
    return EMPTY;
  },
};

export const GetQualifier: IntrinsicOperation = {
  name: 'GetQualifier', role: 'read', params: ['QualifierName'],
  async run(ctx, p) {
    requireNamespace(ctx);
    const name = p.requiredString('QualifierName');
    const declaration = ctx.core.repository.getQualifierDeclaration(ctx.namespace, name);
    return items([{ kind: 'QUALIFIER.DECLARATION', declaration }]);
  },
};

export const SetQualifier: IntrinsicOperation = {
  name: 'SetQualifier', role: 'admin', params: ['QualifierDeclaration'],
  async run(ctx, p) {
    requireNamespace(ctx);
    ctx.core.repository.setQualifierDeclaration(ctx.namespace, p.qualifierDeclaration('QualifierDeclaration'));
    return EMPTY;
  },
};

export const DeleteQualifier: IntrinsicOperation = {
  name: 'DeleteQualifier', role: 'admin', params: ['QualifierName'],
  async run(ctx, p) {
    requireNamespace(ctx);
    const name = p.requiredString('QualifierName');
    ctx.core.repository.deleteQualifierDeclaration(ctx.namespace, name);
    return EMPTY;
  },
};

export const EnumerateQualifiers: IntrinsicOperation = {
  name: 'EnumerateQualifiers', role: 'read', params: [],
  async run(ctx) {
    requireNamespace(ctx);
    return items(ctx.core.repository.qualifierDeclarations(ctx.namespace).map((declaration): ReturnItem => ({ kind: 'QUALIFIER.DECLARATION', declaration })));
  },
};
