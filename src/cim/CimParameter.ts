// A method parameter declaration.
import type { CimType } from './CimType.js';
import type { EmbeddedKind } from './CimValue.js';
import { NameMap } from './NameMap.js';
import type { CimQualifier } from './CimQualifier.js';

export class CimParameter {
  constructor(
    public name: string,
    public type: CimType,
    public isArray = false,
    public qualifiers: NameMap<CimQualifier> = new NameMap(),
    public referenceClass?: string,
    public arraySize?: number,
    public embeddedObject?: EmbeddedKind,
    public embeddedClass?: string,
  ) {}

  clone(): CimParameter {
    return new CimParameter(
      this.name, this.type, this.isArray, this.qualifiers.clone((q) => q.clone()), this.referenceClass, this.arraySize,
      this.embeddedObject, this.embeddedClass,
    );
  }

  /** Direction from the IN/OUT qualifiers; IN defaults to true as in DSP0004. */
  get isIn(): boolean {
    const q = this.qualifiers.get('In');
    return q ? q.value !== false : true;
  }

  get isOut(): boolean {
    return this.qualifiers.get('Out')?.value === true;
  }
}
