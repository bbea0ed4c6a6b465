// ExecQuery with WQL: instances of the FROM class (and subclasses) that satisfy WHERE,
// narrowed to the SELECT list. Other query languages are refused as DSP0200 says.
import { CimError, CimStatus } from '../cim/CimError.js';
import type { CimInstance } from '../cim/CimInstance.js';
import type { ReturnItem } from '../xml/messages.js';
import { parseWql, matches, project, type WqlQuery } from './wql/index.js';
import { items, type IntrinsicOperation } from './OperationResult.js';
import type { OperationContext } from './OperationContext.js';
import * as router from './InstanceRouter.js';
import { filterInstance } from './objectFilters.js';

/** Parses `query` in `language`; only WQL (any letter case) is spoken. */
export function parseQuery(language: string, query: string): WqlQuery {
  if (language.trim().toUpperCase() !== 'WQL') {
    throw new CimError(CimStatus.CIM_ERR_QUERY_LANGUAGE_NOT_SUPPORTED, `query language "${language}" is not supported; use WQL`);
  }
  return parseWql(query);
}

/** The instances a parsed query selects, projected to its SELECT list. */
export async function* runQuery(ctx: OperationContext, q: WqlQuery): AsyncIterable<CimInstance> {
  const repo = ctx.core.repository;
  router.requireNamespace(ctx);
  if (!repo.hasClass(ctx.namespace, q.className)) throw new CimError(CimStatus.CIM_ERR_INVALID_QUERY, `class ${q.className} does not exist in ${ctx.namespace}`);
  const isa = (sub: string, sup: string): boolean => {
    try {
      return repo.hasClass(ctx.namespace, sub) && repo.hasClass(ctx.namespace, sup) && repo.isSubclassOf(ctx.namespace, sub, sup);
    } catch {
      return false;
    }
  };
  for await (const inst of router.enumerateInstances(ctx, q.className, {})) {
    if (!matches(q, inst, isa)) continue;
    const out = filterInstance(project(q, inst), { includeQualifiers: false, includeClassOrigin: false, propertyList: null }, true);
    out.path = inst.path;
    yield out;
  }
}

export const ExecQuery: IntrinsicOperation = {
  name: 'ExecQuery', role: 'read', params: ['QueryLanguage', 'Query'],
  async run(ctx, p) {
    const q = parseQuery(p.requiredString('QueryLanguage'), p.requiredString('Query'));
    const source = runQuery(ctx, q);
    async function* gen(): AsyncIterable<ReturnItem> {
      for await (const inst of source) yield { kind: 'VALUE.OBJECTWITHPATH', object: inst };
    }
    return items(gen());
  },
};
