// The object paths of the integrity instances of one host (keys per ../shared/PROFILES.md section
// 3), and the way back from a REF parameter a client sends to the TPM it names.
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import type { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import type { IntegrityTarget } from '../../src/tvdc/vtpm/HostIntegrity.js';
import { SYSTEM_CLASS, SystemPaths } from '../SystemPaths.js';

export const CLASS = {
  ...SYSTEM_CLASS,
  vtpm: 'TVDc_VTPM',
  hostTpm: 'TVDc_HostTPM',
  /** Abstract superclass of the two integrity services (the profile's central classes). */
  integrityService: 'TVDc_IntegrityService',
  vtpmService: 'TVDc_VTPMManagementService',
  attestationService: 'TVDc_AttestationService',
  pcr: 'TVDc_PCR',
  log: 'TVDc_MeasurementLog',
  entry: 'TVDc_MeasurementEntry',
  indication: 'TVDc_IntegrityIndication',
  systemVtpm: 'TVDc_SystemVTPM',
  systemDevice: 'TVDc_SystemDevice',
  concreteComponent: 'TVDc_ConcreteComponent',
  useOfLog: 'TVDc_UseOfLog',
  logManagesRecord: 'TVDc_LogManagesRecord',
  hostedService: 'TVDc_HostedService',
  serviceAffectsElement: 'TVDc_ServiceAffectsElement',
  vssdComponent: 'TVDc_VirtualSystemSettingDataComponent',
} as const;

export const SERVICE_NAME = { [CLASS.vtpmService]: 'VTPMManagementService', [CLASS.attestationService]: 'AttestationService' } as const;
export type IntegrityServiceClass = keyof typeof SERVICE_NAME;

/** DeviceIDs: a VM has one vTPM, a host one TPM. */
export const VTPM_DEVICE_ID = 'vtpm0';
export const HOST_TPM_DEVICE_ID = 'tpm0';

/** TCG algorithm ids and names of the banks tvdc keeps. */
export const BANKS = [
  { alg: 4, name: 'sha1' },
  { alg: 11, name: 'sha256' },
] as const;

export class IntegrityPaths extends SystemPaths {
  /** The system a target is: the VM or the host. */
  system(t: IntegrityTarget): CimObjectPath {
    return t.kind === 'vm' ? this.vm(t.name) : this.host();
  }

  tpm(t: IntegrityTarget): CimObjectPath {
    if (t.kind === 'host') {
      return this.cim.path(CLASS.hostTpm, this.hostScopedKeys(CLASS.hostTpm, { DeviceID: HOST_TPM_DEVICE_ID }));
    }
    return this.cim.path(CLASS.vtpm, { SystemCreationClassName: CLASS.vm, SystemName: t.name, CreationClassName: CLASS.vtpm, DeviceID: VTPM_DEVICE_ID });
  }

  /** A vTPM as a resource of its VM. */
  vtpmRasd(vm: string): CimObjectPath {
    return this.rasd(vm, 'tpm', VTPM_DEVICE_ID);
  }

  service(cls: IntegrityServiceClass): CimObjectPath {
    return this.cim.path(cls, this.hostScopedKeys(cls, { Name: SERVICE_NAME[cls] }));
  }

  /** `vm:<name>` or `host:<name>`: VM and host names may be equal, their ids never are. */
  systemId(t: IntegrityTarget): string {
    return t.kind === 'vm' ? `vm:${t.name}` : `host:${this.hostName}`;
  }

  pcr(t: IntegrityTarget, bank: string, index: number): CimObjectPath {
    return this.cim.path(CLASS.pcr, { InstanceID: `TVDc:${this.systemId(t)}:${bank}:${index}` });
  }

  log(t: IntegrityTarget): CimObjectPath {
    return this.cim.path(CLASS.log, { InstanceID: this.logId(t) });
  }

  logId(t: IntegrityTarget): string {
    return `TVDc:${this.systemId(t)}:ima`;
  }

  entry(t: IntegrityTarget, index: number): CimObjectPath {
    return this.cim.path(CLASS.entry, { InstanceID: `${this.logId(t)}:${index}` });
  }

  /**
   * The TPM a REF parameter names: a VM (TVDc_ComputerSystem) or its TVDc_VTPM, or this host
   * (TVDc_HostSystem) or its TVDc_HostTPM. Anything else is CIM_ERR_INVALID_PARAMETER.
   */
  target(path: CimObjectPath | null, param: string): IntegrityTarget {
    if (path === null || typeof path !== 'object') throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `${param} is required`);
    const cls = path.className.toLowerCase();
    const key = (k: string): string => {
      const v = path.key(k);
      if (typeof v !== 'string' || v === '') throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `${param} (${path.className}) has no ${k} key`);
      return v;
    };
    const thisHost = (name: string): IntegrityTarget => {
      if (name !== this.hostName) throw new CimError(CimStatus.CIM_ERR_NOT_FOUND, `${param} names host '${name}'; this is host '${this.hostName}'`);
      return { kind: 'host' };
    };
    if (cls === CLASS.vm.toLowerCase()) return { kind: 'vm', name: key('Name') };
    if (cls === CLASS.vtpm.toLowerCase()) return { kind: 'vm', name: key('SystemName') };
    if (cls === CLASS.host.toLowerCase()) return thisHost(key('Name'));
    if (cls === CLASS.hostTpm.toLowerCase()) return thisHost(key('SystemName'));
    throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `${param} must name a ${CLASS.vm}, ${CLASS.vtpm}, ${CLASS.host} or ${CLASS.hostTpm}; got ${path.className}`);
  }

  /** A REF that must name a VM (or its vTPM). */
  vmTarget(path: CimObjectPath | null, param: string): string {
    const t = this.target(path, param);
    if (t.kind !== 'vm') throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `${param} must name a VM (${CLASS.vm}) or its ${CLASS.vtpm}; the host's TPM is not managed by this method`);
    return t.name;
  }
}
