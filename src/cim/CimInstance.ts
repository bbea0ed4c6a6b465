// A CIM instance: its class name, property values and (when known) its object path.
import { NameMap } from './NameMap.js';
import type { CimQualifier } from './CimQualifier.js';
import type { CimProperty } from './CimProperty.js';
import type { CimObjectPath } from './CimObjectPath.js';
import type { CimValue } from './CimValue.js';

export class CimInstance {
  constructor(
    public className: string,
    public properties: NameMap<CimProperty> = new NameMap(),
    public path?: CimObjectPath,
    public qualifiers: NameMap<CimQualifier> = new NameMap(),
  ) {}

  /** A copy with its own property and qualifier objects (values themselves are shared: treat them as immutable). */
  clone(): CimInstance {
    return new CimInstance(this.className, this.properties.clone((p) => p.clone()), this.path, this.qualifiers.clone((q) => q.clone()));
  }

  /** The value of a property, or undefined when the instance has no such property. */
  get(name: string): CimValue | undefined {
    return this.properties.get(name)?.value;
  }
}
