// A method declaration of a class.
import type { CimType } from './CimType.js';
import { NameMap } from './NameMap.js';
import type { CimQualifier } from './CimQualifier.js';
import type { CimParameter } from './CimParameter.js';

export class CimMethod {
  constructor(
    public name: string,
    public returnType: CimType,
    public parameters: NameMap<CimParameter> = new NameMap(),
    public qualifiers: NameMap<CimQualifier> = new NameMap(),
    public classOrigin?: string,
    public propagated = false,
  ) {}

  clone(): CimMethod {
    return new CimMethod(
      this.name, this.returnType, this.parameters.clone((p) => p.clone()), this.qualifiers.clone((q) => q.clone()),
      this.classOrigin, this.propagated,
    );
  }
}
