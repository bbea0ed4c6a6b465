// Builds instances of the root/tvdc classes from plain values: each value is typed by the class's
// own declaration, so providers write `{ EnabledState: 2 }` and never repeat the schema's types.
import { CimInstance } from '../../src/cim/CimInstance.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { CimProperty } from '../../src/cim/CimProperty.js';
import type { CimRepository } from '../../src/cim/CimRepository.js';
import { NameMap } from '../../src/cim/NameMap.js';
import { coerceValue } from '../../src/cim/coerceValue.js';

export const TVDC_NAMESPACE = 'root/tvdc';

export class CimFactory {
  constructor(
    readonly repository: CimRepository,
    readonly namespace: string = TVDC_NAMESPACE,
  ) {}

  /** An instance of `className` with the given property values (undefined ones left out), path set. */
  instance(className: string, values: Record<string, unknown>): CimInstance {
    const cls = this.repository.getClass(this.namespace, className);
    const props = new NameMap<CimProperty>();
    for (const decl of cls.properties.values()) {
      const v = values[decl.name];
      if (v === undefined) continue;
      const value = coerceValue(decl.type, decl.isArray, v);
      props.set(decl.name, new CimProperty(decl.name, decl.type, value, decl.isArray, new NameMap(), decl.referenceClass, decl.embeddedObject, decl.embeddedClass));
    }
    const inst = new CimInstance(cls.name, props);
    inst.path = this.repository.pathOf(this.namespace, inst);
    inst.path.namespace = this.namespace;
    return inst;
  }

  /** An instance path in this namespace; every tvdc key is a string. */
  path(className: string, keys: Record<string, string>): CimObjectPath {
    return CimObjectPath.instance(className, keys, this.namespace);
  }
}
