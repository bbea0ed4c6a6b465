// Small builders for test objects, so round-trip tests read as data.
import { CimClass } from '../../../src/cim/CimClass.js';
import { CimInstance } from '../../../src/cim/CimInstance.js';
import { CimObjectPath, type CimKeyBinding } from '../../../src/cim/CimObjectPath.js';
import { CimProperty } from '../../../src/cim/CimProperty.js';
import type { CimType } from '../../../src/cim/CimType.js';
import type { CimValue } from '../../../src/cim/CimValue.js';
import { NameMap } from '../../../src/cim/NameMap.js';

export type PropSpec = [name: string, type: CimType, value: CimValue, isArray?: boolean];

export function instance(className: string, props: PropSpec[], path?: CimObjectPath): CimInstance {
  const m = new NameMap<CimProperty>();
  for (const [name, type, value, isArray] of props) {
    const p = new CimProperty(name, type, value, isArray ?? Array.isArray(value));
    // Embedded objects are marked the way the encoder marks them on the wire.
    const sample = Array.isArray(value) ? value.find((v) => v !== null) : value;
    if (sample instanceof CimInstance) p.embeddedObject = 'instance';
    else if (sample instanceof CimClass) p.embeddedObject = 'object';
    m.set(name, p);
  }
  return new CimInstance(className, m, path);
}

export function instancePath(className: string, keys: CimKeyBinding[], namespace?: string, host?: string): CimObjectPath {
  const m = new NameMap<CimKeyBinding>();
  for (const k of keys) m.set(k.name, k);
  return new CimObjectPath(className, m, namespace, host);
}
