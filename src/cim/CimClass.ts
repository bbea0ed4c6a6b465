// A CIM class: name, superclass, qualifiers, properties and methods. A class from the repository
// is resolved (inherited members included, marked `propagated`); one parsed from MOF or the wire
// may hold only its local members.
import { NameMap } from './NameMap.js';
import type { CimQualifier } from './CimQualifier.js';
import type { CimProperty } from './CimProperty.js';
import type { CimMethod } from './CimMethod.js';
import type { CimObjectPath } from './CimObjectPath.js';

export class CimClass {
  constructor(
    public name: string,
    public superclass: string | null = null,
    public qualifiers: NameMap<CimQualifier> = new NameMap(),
    public properties: NameMap<CimProperty> = new NameMap(),
    public methods: NameMap<CimMethod> = new NameMap(),
    /** Where the class came from, when known (CLASSPATH / LOCALCLASSPATH on the wire). */
    public path?: CimObjectPath,
  ) {}

  isQualified(name: string): boolean {
    return this.qualifiers.get(name)?.value === true;
  }

  get isAssociation(): boolean {
    return this.isQualified('Association');
  }

  get isIndication(): boolean {
    return this.isQualified('Indication');
  }

  get isAbstract(): boolean {
    return this.isQualified('Abstract');
  }

  /** Names of the properties qualified Key, in declaration order. */
  get keyNames(): string[] {
    return this.properties.values().filter((p) => p.qualifiers.get('Key')?.value === true).map((p) => p.name);
  }
}
