// A qualifier type declaration (`Qualifier Key : boolean = false, Scope(property, reference), ...`).
import type { CimType } from './CimType.js';
import type { CimValue } from './CimValue.js';
import { DEFAULT_FLAVOR, type CimFlavor } from './CimQualifier.js';

export type QualifierScope =
  | 'class' | 'association' | 'indication' | 'property' | 'reference' | 'method' | 'parameter' | 'qualifier' | 'any';

export class CimQualifierDeclaration {
  constructor(
    public name: string,
    public type: CimType,
    public value: CimValue = null,
    public isArray = false,
    public scopes: Set<QualifierScope> = new Set(['any']),
    public flavor: CimFlavor = { ...DEFAULT_FLAVOR },
    public arraySize?: number,
  ) {}

  clone(): CimQualifierDeclaration {
    return new CimQualifierDeclaration(
      this.name, this.type, Array.isArray(this.value) ? [...this.value] : this.value, this.isArray, new Set(this.scopes),
      { ...this.flavor }, this.arraySize,
    );
  }

  appliesTo(scope: QualifierScope): boolean {
    return this.scopes.has('any') || this.scopes.has(scope);
  }
}
