// Typed access to the IPARAMVALUEs of an intrinsic call. Each getter checks the wire shape
// DSP0200 prescribes for that parameter and refuses anything else with CIM_ERR_INVALID_PARAMETER;
// a parameter the operation does not define is refused too, as DSP0200 requires.
import { CimError, CimStatus } from '../cim/CimError.js';
import type { CimInstance } from '../cim/CimInstance.js';
import type { CimClass } from '../cim/CimClass.js';
import type { CimObjectPath } from '../cim/CimObjectPath.js';
import type { CimQualifierDeclaration } from '../cim/CimQualifierDeclaration.js';
import { NameMap } from '../cim/NameMap.js';
import { parseCimBoolean, parseCimInteger } from '../cim/valueText.js';
import type { ParamValue, WireValue } from '../xml/messages.js';

function invalid(name: string, why: string): CimError {
  return new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `${name}: ${why}`);
}

/** The lower-cased allowed names of each operation's parameter list, made once per list. */
const ALLOWED = new WeakMap<readonly string[], Set<string>>();

function allowedSet(allowed: readonly string[]): Set<string> {
  let ok = ALLOWED.get(allowed);
  if (!ok) {
    ok = new Set(allowed.map((a) => a.toLowerCase()));
    ALLOWED.set(allowed, ok);
  }
  return ok;
}

export class IntrinsicParams {
  private readonly params = new NameMap<ParamValue>();

  constructor(params: readonly ParamValue[], allowed: readonly string[]) {
    const ok = allowedSet(allowed);
    for (const p of params) {
      if (!ok.has(p.name.toLowerCase())) throw invalid(p.name, 'not a parameter of this operation');
      if (this.params.has(p.name)) throw invalid(p.name, 'given twice');
      this.params.set(p.name, p);
    }
  }

  has(name: string): boolean {
    return this.params.has(name);
  }

  /** The raw wire value; undefined when absent, null when present but empty. */
  raw(name: string): WireValue | null | undefined {
    const p = this.params.get(name);
    return p === undefined ? undefined : p.value;
  }

  private required(name: string): WireValue {
    const v = this.raw(name);
    if (v === undefined || v === null) throw invalid(name, 'required');
    return v;
  }

  boolean(name: string, dflt: boolean): boolean {
    const v = this.raw(name);
    if (v === undefined || v === null) return dflt;
    if (v.kind !== 'VALUE') throw invalid(name, 'expected a boolean VALUE');
    return parseCimBoolean(v.text);
  }

  /** A uint32 (MaxObjectCount, OperationTimeout); null when absent or NULL. */
  uint32(name: string): number | null {
    const v = this.raw(name);
    if (v === undefined || v === null) return null;
    if (v.kind !== 'VALUE') throw invalid(name, 'expected an integer VALUE');
    return parseCimInteger('uint32', v.text) as number;
  }

  string(name: string): string | null {
    const v = this.raw(name);
    if (v === undefined || v === null) return null;
    if (v.kind !== 'VALUE') throw invalid(name, 'expected a string VALUE');
    return v.text;
  }

  requiredString(name: string): string {
    const s = this.string(name);
    if (s === null) throw invalid(name, 'required');
    return s;
  }

  /** A CLASSNAME; null when absent or NULL. */
  className(name: string): string | null {
    const v = this.raw(name);
    if (v === undefined || v === null) return null;
    if (v.kind === 'CLASSNAME') return v.name;
    throw invalid(name, 'expected a CLASSNAME');
  }

  requiredClassName(name: string): string {
    const c = this.className(name);
    if (c === null) throw invalid(name, 'required');
    return c;
  }

  instanceName(name: string): CimObjectPath {
    const v = this.required(name);
    if (v.kind === 'INSTANCENAME') return v.path;
    throw invalid(name, 'expected an INSTANCENAME');
  }

  /** ObjectName of the association operations: a CLASSNAME or an INSTANCENAME. */
  objectName(name: string): { className: string; path: CimObjectPath | null } {
    const v = this.required(name);
    if (v.kind === 'INSTANCENAME') return { className: v.path.className, path: v.path };
    if (v.kind === 'CLASSNAME') return { className: v.name, path: null };
    throw invalid(name, 'expected a CLASSNAME or INSTANCENAME');
  }

  instance(name: string): CimInstance {
    const v = this.required(name);
    if (v.kind === 'INSTANCE') return v.instance;
    throw invalid(name, 'expected an INSTANCE');
  }

  namedInstance(name: string): CimInstance {
    const v = this.required(name);
    if (v.kind === 'VALUE.NAMEDINSTANCE') return v.instance;
    throw invalid(name, 'expected a VALUE.NAMEDINSTANCE');
  }

  cimClass(name: string): CimClass {
    const v = this.required(name);
    if (v.kind === 'CLASS') return v.cls;
    throw invalid(name, 'expected a CLASS');
  }

  qualifierDeclaration(name: string): CimQualifierDeclaration {
    const v = this.required(name);
    if (v.kind === 'QUALIFIER.DECLARATION') return v.declaration;
    throw invalid(name, 'expected a QUALIFIER.DECLARATION');
  }

  /** PropertyList: null (absent or NULL) means all properties; an empty array means none. */
  propertyList(name = 'PropertyList'): string[] | null {
    const v = this.raw(name);
    if (v === undefined || v === null) return null;
    if (v.kind === 'VALUE.ARRAY') {
      if (v.items.some((i) => i === null)) throw invalid(name, 'NULL element');
      return v.items as string[];
    }
    // Some clients send a one-element list as a plain VALUE.
    if (v.kind === 'VALUE') return [v.text];
    throw invalid(name, 'expected a VALUE.ARRAY of property names');
  }
}
