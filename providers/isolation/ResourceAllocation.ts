// Reads one embedded CIM_ResourceAllocationSettingData of a TVDc_VirtualSystemManagementService
// call (AddResourceSettings, DefineSystem): what resource it asks for, in the domain's words.
import { CimInstance } from '../../src/cim/CimInstance.js';
import { IsolationModel } from './IsolationModel.js';
import { MethodRefusal, invalidParameter } from './MethodRefusal.js';

/** A disk (by name), an interface on a segment (by name), or the VM's vTPM. */
export type ResourceAllocation = { kind: 'disk' | 'nic'; name: string } | { kind: 'tpm' };

/** DSP1041: 17 Disk Drive and 33 Ethernet Connection name what 31 and 10 name here. */
const DISK_TYPES: readonly number[] = [IsolationModel.RESOURCE_TYPE.disk, 17];
const NIC_TYPES: readonly number[] = [IsolationModel.RESOURCE_TYPE.nic, 33];
/** ResourceType 1 Other with OtherResourceType TPM: the RASD ValueMap has no TPM of its own. */
const OTHER = 1;

/**
 * `ResourceSettings[i]` as a resource: a disk (ResourceType 31 or 17, HostResource[0] its DeviceID
 * or object path), an interface (10 or 33, Connection[0] the segment), or a vTPM (1, OtherResourceType
 * TPM). `isRasd` tells whether a class is CIM_ResourceAllocationSettingData or a subclass of it.
 * Anything else is refused, with the index in the Reason.
 */
export function parseResourceAllocation(r: unknown, i: number, isRasd: (className: string) => boolean): ResourceAllocation {
  const at = `ResourceSettings[${i}]`;
  if (!(r instanceof CimInstance)) throw invalidParameter(`${at} is not an embedded instance`);
  if (!isRasd(r.className)) throw invalidParameter(`${at} is a ${r.className}, not a CIM_ResourceAllocationSettingData`);
  const type = Number(r.get('ResourceType'));
  const first = (n: string): string | undefined => {
    const v = r.get(n);
    const x = Array.isArray(v) ? v[0] : v;
    return typeof x === 'string' && x.trim() !== '' ? x.trim() : undefined;
  };
  if (DISK_TYPES.includes(type)) {
    const host = first('HostResource') ?? first('ElementName');
    if (!host) throw invalidParameter(`${at}: a disk needs HostResource (the disk's DeviceID or path)`);
    const m = /DeviceID="([^"]+)"/.exec(host);
    return { kind: 'disk', name: m ? m[1]! : host };
  }
  if (NIC_TYPES.includes(type)) {
    const seg = first('Connection') ?? first('ElementName');
    if (!seg) throw invalidParameter(`${at}: an interface needs Connection (the network segment's name)`);
    return { kind: 'nic', name: seg.replace(/^TVDc:segment:/, '') };
  }
  if (type === OTHER && first('OtherResourceType')?.toUpperCase() === 'TPM') return { kind: 'tpm' };
  throw new MethodRefusal(1, `${at}: ResourceType ${Number.isNaN(type) ? '(none)' : type} is not supported; give 31 (a disk), 10 (a network interface) or, to DefineSystem, 1 with OtherResourceType TPM (a vTPM)`);
}
