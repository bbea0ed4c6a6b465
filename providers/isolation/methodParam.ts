// Reads one IN parameter of an extrinsic method call by name (case-insensitive, as CIM names are).
import type { ParamValue } from '../../src/wbem/Provider.js';

/** The parameter's value; null when the caller did not pass it (or passed NULL). */
export function methodParam(params: readonly ParamValue[], name: string): ParamValue['value'] {
  return params.find((p) => p.name.toLowerCase() === name.toLowerCase())?.value ?? null;
}
