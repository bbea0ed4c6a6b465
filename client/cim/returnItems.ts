// Turns decoded IRETURNVALUE items into the model objects each operation promises, filling in the
// namespace (and host) a server leaves out of the paths it returns, as DSP0200 lets it.
import { CimClass } from '../../src/cim/CimClass.js';
import { CimInstance } from '../../src/cim/CimInstance.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import type { ReturnItem } from '../../src/xml/index.js';
import { ResponseParseError } from './ClientError.js';

/** Where the request went: paths without their own namespace/host belong here. */
export interface PathContext {
  namespace: string;
  host?: string;
}

function completePath(p: CimObjectPath, ctx: PathContext): CimObjectPath {
  if (p.namespace === undefined) p.namespace = ctx.namespace;
  return p;
}

function unexpected(item: ReturnItem, operation: string, wanted: string): ResponseParseError {
  return new ResponseParseError(`expected ${wanted} in IRETURNVALUE, got ${item.kind}`, operation);
}

/** An instance, with its path when the item carried one. */
export function itemToInstance(item: ReturnItem, operation: string, ctx: PathContext): CimInstance {
  switch (item.kind) {
    case 'INSTANCE':
      return item.instance;
    case 'VALUE.NAMEDINSTANCE':
    case 'VALUE.INSTANCEWITHPATH':
      if (item.instance.path) completePath(item.instance.path, ctx);
      return item.instance;
    case 'VALUE.OBJECT':
    case 'VALUE.OBJECTWITHPATH':
    case 'VALUE.OBJECTWITHLOCALPATH':
      if (item.object instanceof CimInstance) {
        if (item.object.path) completePath(item.object.path, ctx);
        return item.object;
      }
      throw unexpected(item, operation, 'an instance');
    default:
      throw unexpected(item, operation, 'an instance');
  }
}

export function itemToClass(item: ReturnItem, operation: string): CimClass {
  if (item.kind === 'CLASS') return item.cls;
  if ((item.kind === 'VALUE.OBJECT' || item.kind === 'VALUE.OBJECTWITHPATH' || item.kind === 'VALUE.OBJECTWITHLOCALPATH') && item.object instanceof CimClass) {
    return item.object;
  }
  throw unexpected(item, operation, 'a class');
}

/** An instance or class, from the object-returning association operations. */
export function itemToObject(item: ReturnItem, operation: string, ctx: PathContext): CimInstance | CimClass {
  if (item.kind === 'CLASS') return item.cls;
  if ((item.kind === 'VALUE.OBJECT' || item.kind === 'VALUE.OBJECTWITHPATH' || item.kind === 'VALUE.OBJECTWITHLOCALPATH') && item.object instanceof CimClass) {
    if (item.object.path) completePath(item.object.path, ctx);
    return item.object;
  }
  return itemToInstance(item, operation, ctx);
}

export function itemToPath(item: ReturnItem, operation: string, ctx: PathContext): CimObjectPath {
  switch (item.kind) {
    case 'INSTANCENAME':
    case 'INSTANCEPATH':
    case 'OBJECTPATH':
    case 'VALUE.REFERENCE':
      return completePath(item.path, ctx);
    case 'CLASSNAME':
      return new CimObjectPath(item.name, null, ctx.namespace);
    default:
      throw unexpected(item, operation, 'an object path');
  }
}

export function itemToClassName(item: ReturnItem, operation: string): string {
  if (item.kind === 'CLASSNAME') return item.name;
  throw unexpected(item, operation, 'CLASSNAME');
}
