// A qualifier applied to a class, property, method or parameter, and the flavors that govern how
// it propagates (DSP0004 5.6.1).
import type { CimType } from './CimType.js';
import type { CimValue } from './CimValue.js';

export interface CimFlavor {
  /** EnableOverride (true) / DisableOverride. */
  overridable: boolean;
  /** ToSubclass (true) / Restricted. */
  toSubclass: boolean;
  /** ToInstance: deprecated but still sent by some servers. */
  toInstance: boolean;
  translatable: boolean;
}

export const DEFAULT_FLAVOR: Readonly<CimFlavor> = { overridable: true, toSubclass: true, toInstance: false, translatable: false };

export class CimQualifier {
  constructor(
    public name: string,
    public type: CimType,
    public value: CimValue,
    public isArray = false,
    public flavor: CimFlavor = { ...DEFAULT_FLAVOR },
    /** True when inherited from a superclass rather than specified locally. */
    public propagated = false,
  ) {}

  /** A copy with its own flavor and value array (the repository's qualifiers share theirs). */
  clone(): CimQualifier {
    const f = this.flavor;
    // A literal rather than a spread: cloning qualifiers is most of the work of copying a class.
    const flavor = { overridable: f.overridable, toSubclass: f.toSubclass, toInstance: f.toInstance, translatable: f.translatable };
    return new CimQualifier(this.name, this.type, Array.isArray(this.value) ? this.value.slice() : this.value, this.isArray, flavor, this.propagated);
  }
}
