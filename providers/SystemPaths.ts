// The object paths the isolation and integrity providers share: this host, its VMs, a VM's settings
// and resource allocations, and the keys of an element scoped to this host (keys per
// shared/PROFILES.md section 3). Both families link to the same host, VM and settings instances
// (the integrity side adds the vTPM's allocation to a VM's settings), so their paths are built in one place.
import type { CimObjectPath } from '../src/cim/CimObjectPath.js';
import type { CimFactory } from './isolation/CimFactory.js';

/** The two systems every provider family names, and a VM's settings and allocations. */
export const SYSTEM_CLASS = {
  host: 'TVDc_HostSystem',
  vm: 'TVDc_ComputerSystem',
  vssd: 'TVDc_VirtualSystemSettingData',
  rasd: 'TVDc_ResourceAllocationSettingData',
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

  /** A VM's settings (InstanceID TVDc:<vm>). */
  vssd(vm: string): CimObjectPath {
    return this.cim.path(SYSTEM_CLASS.vssd, { InstanceID: `TVDc:${vm}` });
  }

  /** A resource allocated to a VM: one of its disks, its interface on a segment, or its vTPM. */
  rasd(vm: string, kind: 'disk' | 'nic' | 'tpm', name: string): CimObjectPath {
    return this.cim.path(SYSTEM_CLASS.rasd, { InstanceID: `TVDc:${vm}:${kind}:${name}` });
  }

  /** The keys of a `cls` element scoped to this host (its services, devices, policies), then `rest`. */
  protected hostScopedKeys(cls: string, rest: Record<string, string>): Record<string, string> {
    return { SystemCreationClassName: SYSTEM_CLASS.host, SystemName: this.hostName, CreationClassName: cls, ...rest };
  }
}
