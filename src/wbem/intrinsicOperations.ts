// The table of intrinsic operations the server implements, by name (case-insensitive lookup).
// A name not in this table is answered with CIM_ERR_NOT_SUPPORTED.
import type { IntrinsicOperation } from './OperationResult.js';
import * as classOps from './classOperations.js';
import * as instanceOps from './instanceOperations.js';
import * as assocOps from './associationOperations.js';
import * as queryOps from './queryOperations.js';
import * as pullOps from './pullOperations.js';

const ALL: IntrinsicOperation[] = [
  classOps.GetClass, classOps.EnumerateClasses, classOps.EnumerateClassNames, classOps.CreateClass, classOps.ModifyClass,
  classOps.DeleteClass, classOps.GetQualifier, classOps.SetQualifier, classOps.DeleteQualifier, classOps.EnumerateQualifiers,
  instanceOps.GetInstance, instanceOps.EnumerateInstances, instanceOps.EnumerateInstanceNames, instanceOps.CreateInstance,
  instanceOps.ModifyInstance, instanceOps.DeleteInstance, instanceOps.GetProperty, instanceOps.SetProperty,
  assocOps.Associators, assocOps.AssociatorNames, assocOps.References, assocOps.ReferenceNames,
  queryOps.ExecQuery,
  pullOps.OpenEnumerateInstances, pullOps.OpenEnumerateInstancePaths, pullOps.OpenAssociatorInstances,
  pullOps.OpenAssociatorInstancePaths, pullOps.OpenReferenceInstances, pullOps.OpenReferenceInstancePaths,
  pullOps.OpenQueryInstances, pullOps.PullInstancesWithPath, pullOps.PullInstancePaths, pullOps.PullInstances,
  pullOps.CloseEnumeration, pullOps.EnumerationCount,
];

const BY_NAME = new Map(ALL.map((op) => [op.name.toLowerCase(), op]));
// Clients spell operation names as DSP0200 does: found without lower-casing the name.
const BY_EXACT_NAME = new Map(ALL.map((op) => [op.name, op]));

export function intrinsicOperation(name: string): IntrinsicOperation | undefined {
  return BY_EXACT_NAME.get(name) ?? BY_NAME.get(name.toLowerCase());
}

export function intrinsicOperationNames(): string[] {
  return ALL.map((o) => o.name);
}

/** Every implemented operation with the role it needs (documentation and tests). */
export function intrinsicOperationRoles(): Array<{ name: string; role: IntrinsicOperation['role'] }> {
  return ALL.map((o) => ({ name: o.name, role: o.role }));
}
