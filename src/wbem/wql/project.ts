// The SELECT list applied to an instance: the properties a query asks for, nothing else.
import { CimInstance } from '../../cim/CimInstance.js';
import { NameMap } from '../../cim/NameMap.js';
import type { CimProperty } from '../../cim/CimProperty.js';
import type { WqlQuery } from './WqlQuery.js';

/**
 * The top-level property names a query selects, for a provider's PropertyList; null for `*`.
 * A path into an embedded instance (`SourceInstance.Name`) selects its top-level property.
 */
export function selectedProperties(query: WqlQuery): string[] | null {
  if (query.selectAll) return null;
  const names = new NameMap<string>();
  for (const p of query.properties) names.set(p[0]!, p[0]!);
  return names.names();
}

function projectPaths(inst: CimInstance, paths: readonly (readonly string[])[]): CimInstance {
  // Group by first step; a bare step keeps the whole property, deeper paths narrow an embedded one.
  const groups = new NameMap<{ whole: boolean; rest: string[][] }>();
  for (const p of paths) {
    const g = groups.get(p[0]!) ?? { whole: false, rest: [] };
    if (p.length === 1) g.whole = true;
    else g.rest.push(p.slice(1));
    groups.set(p[0]!, g);
  }
  const props = new NameMap<CimProperty>();
  for (const [name, prop] of inst.properties) {
    const g = groups.get(name);
    if (!g) continue;
    const copy = prop.clone();
    if (!g.whole && copy.value instanceof CimInstance) copy.value = projectPaths(copy.value, g.rest);
    props.set(name, copy);
  }
  return new CimInstance(inst.className, props, inst.path, inst.qualifiers);
}

/**
 * `inst` narrowed to the SELECT list (the instance itself for `SELECT *`). Selected properties the
 * instance lacks are left out, as ExecQuery does for properties the class does not expose.
 */
export function project(query: WqlQuery, inst: CimInstance): CimInstance {
  if (query.selectAll) return inst;
  return projectPaths(inst, query.properties);
}
