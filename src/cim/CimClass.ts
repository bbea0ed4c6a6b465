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

  /** A deep copy: members, qualifiers and arrays are new objects, so the copy can be changed freely. */
  clone(): CimClass {
    return new CimClass(
      this.name, this.superclass, this.qualifiers.clone((q) => q.clone()), this.properties.clone((p) => p.clone()),
      this.methods.clone((m) => m.clone()), this.path,
    );
  }

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

  /** The properties qualified Key, in declaration order. */
  keyProperties(): CimProperty[] {
    return this.properties.values().filter((p) => p.qualifiers.get('Key')?.value === true);
  }

  /** Names of the properties qualified Key, in declaration order. */
  get keyNames(): string[] {
    return this.keyProperties().map((p) => p.name);
  }
}
