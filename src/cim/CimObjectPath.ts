// An object path: optional host and namespace, a class name and, for an instance path, typed key
// bindings. Renders and parses the wbemcli URL form and DSP0207 WBEM URIs (implemented by the
// CIM model work in this file: `parseWbemUri`, `toWbemUri`, `parseUntypedPath`, `toString`).
import { NameMap } from './NameMap.js';
import type { CimType } from './CimType.js';
import type { CimScalar } from './CimValue.js';

export interface CimKeyBinding {
  name: string;
  /** The key's CIM type; `string` when the sender gave none and it could not be inferred. */
  type: CimType;
  value: CimScalar;
}

export class CimObjectPath {
  constructor(
    public className: string,
    /** null for a class path; a (possibly empty, for keyless singletons) map for an instance path. */
    public keys: NameMap<CimKeyBinding> | null = null,
    public namespace?: string,
    public host?: string,
  ) {}

  get isInstancePath(): boolean {
    return this.keys !== null;
  }
}
