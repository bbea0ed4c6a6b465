// A property of a class (with its declared type and default) or of an instance (with its value).
import type { CimType } from './CimType.js';
import type { CimValue, EmbeddedKind } from './CimValue.js';
import { NameMap } from './NameMap.js';
import type { CimQualifier } from './CimQualifier.js';

const INSPECT: unique symbol = Symbol.for('nodejs.util.inspect.custom');

// Instance properties almost never carry qualifiers, and a decoded enumeration makes hundreds of
// thousands of them: until a property's map is first asked for, it holds this one instead of an
// empty map of its own. Frozen, so that it can never gain an entry; `qualifiers` hands out a
// fresh map in its place (deep equality sees two empty maps alike).
const NO_QUALIFIERS = Object.freeze(new NameMap<CimQualifier>()) as NameMap<CimQualifier>;

/**
 * The members a property of a decoded instance almost never has (a decoded enumeration makes
 * hundreds of thousands of properties, and each field of CimProperty is 8 bytes of each of them).
 * A property holds one only while one of them differs from its default, so that a property whose
 * rare members were set and reset deep-equals one where they never were.
 */
class Rare {
  referenceClass: string | undefined = undefined;
  embeddedObject: EmbeddedKind | undefined = undefined;
  embeddedClass: string | undefined = undefined;
  classOrigin: string | undefined = undefined;
  propagated = false;
  arraySize: number | undefined = undefined;

  get atDefaults(): boolean {
    return this.referenceClass === undefined && this.embeddedObject === undefined && this.embeddedClass === undefined
      && this.classOrigin === undefined && this.propagated === false && this.arraySize === undefined;
  }
}

type RareMember = 'referenceClass' | 'embeddedObject' | 'embeddedClass' | 'classOrigin' | 'propagated' | 'arraySize';

export class CimProperty {
  /** The qualifier map, or NO_QUALIFIERS while none has been asked for or given. */
  private ownQualifiers: NameMap<CimQualifier>;
  /** The rare members, or undefined while they are all at their defaults. */
  private rare: Rare | undefined = undefined;

  constructor(
    public name: string,
    public type: CimType,
    public value: CimValue = null,
    public isArray = false,
    qualifiers?: NameMap<CimQualifier>,
    referenceClass?: string,
    embeddedObject?: EmbeddedKind,
    embeddedClass?: string,
    classOrigin?: string,
    propagated = false,
    arraySize?: number,
  ) {
    this.ownQualifiers = qualifiers ?? NO_QUALIFIERS;
    if (referenceClass !== undefined || embeddedObject !== undefined || embeddedClass !== undefined
      || classOrigin !== undefined || propagated !== false || arraySize !== undefined) {
      const r = new Rare();
      r.referenceClass = referenceClass;
      r.embeddedObject = embeddedObject;
      r.embeddedClass = embeddedClass;
      r.classOrigin = classOrigin;
      r.propagated = propagated;
      r.arraySize = arraySize;
      this.rare = r;
    }
  }

  /** For `reference` properties: the class named in `REF ClassName`. */
  get referenceClass(): string | undefined {
    return this.rare?.referenceClass;
  }

  set referenceClass(v: string | undefined) {
    this.setRare('referenceClass', v, v === undefined);
  }

  /** For string properties carrying EmbeddedObject/EmbeddedInstance. */
  get embeddedObject(): EmbeddedKind | undefined {
    return this.rare?.embeddedObject;
  }

  set embeddedObject(v: EmbeddedKind | undefined) {
    this.setRare('embeddedObject', v, v === undefined);
  }

  /** The class named by EmbeddedInstance("..."). */
  get embeddedClass(): string | undefined {
    return this.rare?.embeddedClass;
  }

  set embeddedClass(v: string | undefined) {
    this.setRare('embeddedClass', v, v === undefined);
  }

  /** The class that declared this property (CLASSORIGIN). */
  get classOrigin(): string | undefined {
    return this.rare?.classOrigin;
  }

  set classOrigin(v: string | undefined) {
    this.setRare('classOrigin', v, v === undefined);
  }

  /** True when inherited unchanged from a superclass. */
  get propagated(): boolean {
    return this.rare?.propagated ?? false;
  }

  set propagated(v: boolean) {
    this.setRare('propagated', v, v === false);
  }

  /** Fixed array size (`uint8 Data[16]`); undefined for variable-length arrays. */
  get arraySize(): number | undefined {
    return this.rare?.arraySize;
  }

  set arraySize(v: number | undefined) {
    this.setRare('arraySize', v, v === undefined);
  }

  /**
   * Writes one rare member: makes the Rare for a value other than the default, and drops it
   * again once every member is back at its default. Assigns the field in every case, so that on
   * a frozen property (the repository freezes stored instance properties) every write throws as
   * it did when the members were fields of their own, instead of reaching the unfrozen Rare.
   */
  private setRare<K extends RareMember>(key: K, v: Rare[K], isDefault: boolean): void {
    let r = this.rare;
    if (r === undefined && !isDefault) r = new Rare();
    this.rare = r;
    if (r === undefined) return;
    r[key] = v;
    if (isDefault && r.atDefaults) this.rare = undefined;
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

  /** Shows the members as fields, as they were before the rare ones moved (util.inspect sees fields only). */
  [INSPECT](_depth: number, options: { depth?: number | null }, inspect: (v: unknown, o: object) => string): string {
    const { name, type, value, isArray, ownQualifiers, referenceClass, embeddedObject, embeddedClass, classOrigin, propagated, arraySize } = this;
    const shown = { name, type, value, isArray, ownQualifiers, referenceClass, embeddedObject, embeddedClass, classOrigin, propagated, arraySize };
    const depth = options.depth == null ? options.depth : options.depth - 1;
    return `CimProperty ${inspect(shown, { ...options, depth })}`;
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
