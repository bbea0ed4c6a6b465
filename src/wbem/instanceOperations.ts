// The instance operations (DSP0200 5.3.2): Get/Enumerate/Create/Modify/Delete instance and
// Get/SetProperty, routed through the class's provider.
import { CimError, CimStatus } from '../cim/CimError.js';
import { CimInstance } from '../cim/CimInstance.js';
import type { CimObjectPath } from '../cim/CimObjectPath.js';
import { CimProperty } from '../cim/CimProperty.js';
import { NameMap } from '../cim/NameMap.js';
import type { ReturnItem } from '../xml/messages.js';
import { fromWireValue, toWireValue } from '../xml/wireValue.js';
import { EMPTY, items, type IntrinsicOperation, type OperationResult } from './OperationResult.js';
import { filterInstance, type InstanceFilter } from './objectFilters.js';
import * as router from './InstanceRouter.js';
import { storedNamedInstances, storedSources } from './storedEnumeration.js';

const READ_FLAGS = ['LocalOnly', 'IncludeQualifiers', 'IncludeClassOrigin', 'PropertyList'];

// The streaming generators are top-level functions: under tsx a generator declared inside run()
// would cost an Object.defineProperty (its name) per request.

export const GetInstance: IntrinsicOperation = {
  name: 'GetInstance', role: 'read', params: ['InstanceName', ...READ_FLAGS],
  // Not async: with a synchronous provider the answer is ready at once (see getInstanceNow).
  run(ctx, p) {
    const path = p.instanceName('InstanceName');
    const f = { includeQualifiers: p.boolean('IncludeQualifiers', false), includeClassOrigin: p.boolean('IncludeClassOrigin', false), propertyList: p.propertyList() };
    p.boolean('LocalOnly', false);
    const inst = router.getInstanceNow(ctx, path, f);
    return inst instanceof Promise ? inst.then((i) => instanceResult(i, f)) : instanceResult(inst, f);
  },
};

function instanceResult(inst: CimInstance, f: InstanceFilter): OperationResult {
  return items([{ kind: 'INSTANCE', instance: filterInstance(inst, f, true) }]);
}

export const EnumerateInstances: IntrinsicOperation = {
  name: 'EnumerateInstances', role: 'read', params: ['ClassName', 'DeepInheritance', ...READ_FLAGS],
  async run(ctx, p) {
    const className = p.requiredClassName('ClassName');
    const deep = p.boolean('DeepInheritance', true);
    p.boolean('LocalOnly', false);
    const f = {
      includeQualifiers: p.boolean('IncludeQualifiers', false), includeClassOrigin: p.boolean('IncludeClassOrigin', false),
      propertyList: p.propertyList(), deepInheritance: deep,
    };
    router.requireClass(ctx, className);
    const onlyPropertiesOf = deep ? null : ctx.core.repository.getClass(ctx.namespace, className).properties;
    const filter = { ...f, onlyPropertiesOf };
    const classes = router.classesToEnumerate(ctx, className);
    const stored = storedSources(ctx, classes, filter);
    if (stored) return items(storedNamedInstances(ctx, classes, stored, filter));
    return items(namedInstances(router.instanceBatchesOf(ctx, classes, f), filter));
  },
};

async function* namedInstances(source: AsyncIterable<CimInstance[]>, filter: InstanceFilter): AsyncIterable<ReturnItem[]> {
  for await (const batch of source) yield batch.map((inst): ReturnItem => ({ kind: 'VALUE.NAMEDINSTANCE', instance: filterInstance(inst, filter, true) }));
}

export const EnumerateInstanceNames: IntrinsicOperation = {
  name: 'EnumerateInstanceNames', role: 'read', params: ['ClassName'],
  async run(ctx, p) {
    const className = p.requiredClassName('ClassName');
    router.requireClass(ctx, className);
    return items(instanceNames(router.enumerateInstanceNames(ctx, className)));
  },
};

async function* instanceNames(source: AsyncIterable<CimObjectPath>): AsyncIterable<ReturnItem> {
  for await (const path of source) yield { kind: 'INSTANCENAME', path };
}

export const CreateInstance: IntrinsicOperation = {
  name: 'CreateInstance', role: 'write', params: ['NewInstance'],
  async run(ctx, p) {
    const path = await router.createInstance(ctx, p.instance('NewInstance'));
    return items([{ kind: 'INSTANCENAME', path }]);
  },
};

export const ModifyInstance: IntrinsicOperation = {
  name: 'ModifyInstance', role: 'write', params: ['ModifiedInstance', 'IncludeQualifiers', 'PropertyList'],
  async run(ctx, p) {
    const inst = p.namedInstance('ModifiedInstance');
    p.boolean('IncludeQualifiers', true);
    await router.modifyInstance(ctx, inst, p.propertyList());
    return EMPTY;
  },
};

export const DeleteInstance: IntrinsicOperation = {
  name: 'DeleteInstance', role: 'write', params: ['InstanceName'],
  async run(ctx, p) {
    await router.deleteInstance(ctx, p.instanceName('InstanceName'));
    return EMPTY;
  },
};

export const GetProperty: IntrinsicOperation = {
  name: 'GetProperty', role: 'read', params: ['InstanceName', 'PropertyName'],
  async run(ctx, p) {
    const path = p.instanceName('InstanceName');
    const name = p.requiredString('PropertyName');
    const inst = await router.getInstance(ctx, path, { propertyList: [name] });
    const cls = ctx.core.repository.getClass(ctx.namespace, inst.className);
    const decl = cls.properties.get(name);
    const prop = inst.properties.get(name);
    if (!decl && !prop) throw new CimError(CimStatus.CIM_ERR_NO_SUCH_PROPERTY, `${inst.className}.${name}`);
    const value = prop?.value ?? null;
    if (value === null) return items([]);
    const wire = toWireValue(value, (prop ?? decl)!.type);
    return items(wire ? [wire as ReturnItem] : []);
  },
};

export const SetProperty: IntrinsicOperation = {
  name: 'SetProperty', role: 'write', params: ['InstanceName', 'PropertyName', 'NewValue'],
  async run(ctx, p) {
    const path = p.instanceName('InstanceName');
    const name = p.requiredString('PropertyName');
    router.requireClass(ctx, path.className);
    const cls = ctx.core.repository.getClass(ctx.namespace, path.className);
    const decl = cls.properties.get(name);
    if (!decl) throw new CimError(CimStatus.CIM_ERR_NO_SUCH_PROPERTY, `${cls.name}.${name}`);
    const value = fromWireValue(p.raw('NewValue') ?? null, decl.type, decl.isArray);
    const props = new NameMap<CimProperty>();
    props.set(decl.name, new CimProperty(decl.name, decl.type, value, decl.isArray, new NameMap(), decl.referenceClass, decl.embeddedObject, decl.embeddedClass));
    await router.modifyInstance(ctx, new CimInstance(cls.name, props, path), [decl.name]);
    return EMPTY;
  },
};
