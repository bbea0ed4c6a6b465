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

  /** Direction from the IN/OUT qualifiers; IN defaults to true as in DSP0004. */
  get isIn(): boolean {
    const q = this.qualifiers.get('In');
    return q ? q.value !== false : true;
  }

  get isOut(): boolean {
    return this.qualifiers.get('Out')?.value === true;
  }
}
