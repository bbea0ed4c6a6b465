// Reading client-supplied property values of the indication classes, and setting typed ones.
// A value of the wrong shape is the client's mistake: CIM_ERR_INVALID_PARAMETER naming it.
import type { CimInstance } from '../../cim/CimInstance.js';
import { CimProperty } from '../../cim/CimProperty.js';
import { CimError, CimStatus } from '../../cim/CimError.js';
import type { CimType } from '../../cim/CimType.js';
import type { CimValue } from '../../cim/CimValue.js';

export function invalid(msg: string): CimError {
  return new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, msg);
}

/** A string property; null when absent or NULL. */
export function stringProp(inst: CimInstance, name: string): string | null {
  const v = inst.get(name);
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw invalid(`${name} must be a string`);
  return v;
}

/** An integer property (wbemcli sends untyped text, so digits are accepted); null when absent. */
export function intProp(inst: CimInstance, name: string): number | null {
  const v = inst.get(name);
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && /^\d+$/.test(v.trim())) return Number(v);
  throw invalid(`${name} must be an integer`);
}

export function setProp(inst: CimInstance, name: string, type: CimType, value: CimValue, isArray = false): void {
  inst.properties.set(name, new CimProperty(name, type, value, isArray));
}
