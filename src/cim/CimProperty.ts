// A property of a class (with its declared type and default) or of an instance (with its value).
import type { CimType } from './CimType.js';
import type { CimValue, EmbeddedKind } from './CimValue.js';
import { NameMap } from './NameMap.js';
import type { CimQualifier } from './CimQualifier.js';

export class CimProperty {
  constructor(
    public name: string,
    public type: CimType,
    public value: CimValue = null,
    public isArray = false,
    public qualifiers: NameMap<CimQualifier> = new NameMap(),
    /** For `reference` properties: the class named in `REF ClassName`. */
    public referenceClass?: string,
    /** For string properties carrying EmbeddedObject/EmbeddedInstance. */
    public embeddedObject?: EmbeddedKind,
    /** The class named by EmbeddedInstance("..."). */
    public embeddedClass?: string,
    /** The class that declared this property (CLASSORIGIN). */
    public classOrigin?: string,
    /** True when inherited unchanged from a superclass. */
    public propagated = false,
    /** Fixed array size (`uint8 Data[16]`); undefined for variable-length arrays. */
    public arraySize?: number,
  ) {}

  clone(): CimProperty {
    return new CimProperty(
      this.name, this.type, Array.isArray(this.value) ? [...this.value] : this.value, this.isArray,
      this.qualifiers.clone((q) => q.clone()), this.referenceClass, this.embeddedObject, this.embeddedClass,
      this.classOrigin, this.propagated, this.arraySize,
    );
  }
}
