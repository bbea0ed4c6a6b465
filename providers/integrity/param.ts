// Reads one method parameter by name, case-insensitively as CIM names are.
import type { ParamValue } from '../../src/wbem/Provider.js';

export function param(params: readonly ParamValue[], name: string): ParamValue['value'] {
  return params.find((p) => p.name.toLowerCase() === name.toLowerCase())?.value ?? null;
}
