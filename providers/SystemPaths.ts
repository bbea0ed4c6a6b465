// The object paths the isolation and integrity providers share: this host, its VMs, and the keys of
// an element scoped to this host (keys per shared/PROFILES.md section 3). Both families link to
// the same host and VM instances, so their paths must be built in one place.
import type { CimObjectPath } from '../src/cim/CimObjectPath.js';
import type { CimFactory } from './isolation/CimFactory.js';

/** The two systems every provider family names. */
export const SYSTEM_CLASS = {
  host: 'TVDc_HostSystem',
  vm: 'TVDc_ComputerSystem',
} as const;

export class SystemPaths {
  constructor(
    readonly cim: CimFactory,
    readonly hostName: string,
  ) {}

  host(): CimObjectPath {
    return this.cim.path(SYSTEM_CLASS.host, { CreationClassName: SYSTEM_CLASS.host, Name: this.hostName });
  }

  vm(name: string): CimObjectPath {
    return this.cim.path(SYSTEM_CLASS.vm, { CreationClassName: SYSTEM_CLASS.vm, Name: name });
  }

  /** The keys of a `cls` element scoped to this host (its services, devices, policies), then `rest`. */
  protected hostScopedKeys(cls: string, rest: Record<string, string>): Record<string, string> {
    return { SystemCreationClassName: SYSTEM_CLASS.host, SystemName: this.hostName, CreationClassName: cls, ...rest };
  }
}
