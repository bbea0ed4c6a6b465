// A property of a class (with its declared type and default) or of an instance (with its value).
import type { CimType } from './CimType.js';
import type { CimValue, EmbeddedKind } from './CimValue.js';
import { NameMap } from './NameMap.js';
import type { CimQualifier } from './CimQualifier.js';

// Instance properties almost never carry qualifiers, and a decoded enumeration makes hundreds of
// thousands of them: until a property's map is first asked for, it holds this one instead of an
// empty map of its own. Frozen, so that it can never gain an entry; `qualifiers` hands out a
// fresh map in its place (deep equality sees two empty maps alike).
const NO_QUALIFIERS = Object.freeze(new NameMap<CimQualifier>()) as NameMap<CimQualifier>;

export class CimProperty {
  /** The qualifier map, or NO_QUALIFIERS while none has been asked for or given. */
  private ownQualifiers: NameMap<CimQualifier>;

  constructor(
    public name: string,
    public type: CimType,
    public value: CimValue = null,
    public isArray = false,
    qualifiers?: NameMap<CimQualifier>,
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
  ) {
    this.ownQualifiers = qualifiers ?? NO_QUALIFIERS;
  }

  /**
   * The qualifiers, a map of this property's own that callers may change in place. It is made on
   * first access; a frozen property that never had one (the repository freezes stored instance
   * properties) gets the frozen empty map, whose set() throws as any frozen map's would.
   */
  get qualifiers(): NameMap<CimQualifier> {
    let q = this.ownQualifiers;
    if (q === NO_QUALIFIERS && !Object.isFrozen(this)) this.ownQualifiers = q = new NameMap();
    return q;
  }

  set qualifiers(q: NameMap<CimQualifier>) {
    this.ownQualifiers = q;
  }

  /** Whether any qualifier is set; unlike `qualifiers.size`, makes no map for a property without. */
  get hasQualifiers(): boolean {
    return this.ownQualifiers.size > 0;
  }

  clone(): CimProperty {
    const q = this.ownQualifiers;
    return new CimProperty(
      this.name, this.type, Array.isArray(this.value) ? [...this.value] : this.value, this.isArray,
      q.size === 0 ? undefined : q.clone((x) => x.clone()), this.referenceClass, this.embeddedObject, this.embeddedClass,
      this.classOrigin, this.propagated, this.arraySize,
    );
  }
}
