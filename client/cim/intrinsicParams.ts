// Builders for the IPARAMVALUEs of intrinsic operations: each takes an optional JS value and adds
// nothing when it is undefined, so only what the caller chose travels.
import type { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import type { ParamValue } from '../../src/xml/index.js';

export class IntrinsicParams {
  readonly list: ParamValue[] = [];

  bool(name: string, v: boolean | undefined): this {
    if (v !== undefined) this.list.push({ name, value: { kind: 'VALUE', text: v ? 'TRUE' : 'FALSE' } });
    return this;
  }

  text(name: string, v: string | number | undefined): this {
    if (v !== undefined) this.list.push({ name, value: { kind: 'VALUE', text: String(v) } });
    return this;
  }

  className(name: string, v: string | undefined | null): this {
    if (v) this.list.push({ name, value: { kind: 'CLASSNAME', name: v } });
    return this;
  }

  instanceName(name: string, path: CimObjectPath): this {
    this.list.push({ name, value: { kind: 'INSTANCENAME', path } });
    return this;
  }

  /** ObjectName of the association operations: an instance path, or a class name for class-level queries. */
  objectName(name: string, path: CimObjectPath): this {
    if (path.keys) return this.instanceName(name, path);
    return this.className(name, path.className);
  }

  /** undefined or null (DSP0200: NULL means every property) sends nothing; [] asks for none. */
  propertyList(name: string, v: readonly string[] | null | undefined): this {
    if (v === undefined || v === null) return this;
    this.list.push({ name, value: { kind: 'VALUE.ARRAY', items: [...v] } });
    return this;
  }

  raw(p: ParamValue): this {
    this.list.push(p);
    return this;
  }
}
