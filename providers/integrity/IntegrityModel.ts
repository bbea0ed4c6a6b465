// The integrity domain of one host seen as CIM instances: TPMs, services, PCRs, measurement logs
// and entries are built here only, so an instance looks the same enumerated, fetched or reached
// over an association.
import type { CimInstance } from '../../src/cim/CimInstance.js';
import { CimDateTime } from '../../src/cim/CimDateTime.js';
import type { ImaEntry } from '../../src/tvdc/integrity/ImaEntry.js';
import { formatAsciiLine } from '../../src/tvdc/integrity/ImaLogParser.js';
import type { HostIntegrity, IntegrityTarget } from '../../src/tvdc/vtpm/HostIntegrity.js';
import { PCR_BANKS } from '../../src/tvdc/vtpm/TpmFamily.js';
import type { VtpmInfo } from '../../src/tvdc/vtpm/VtpmManager.js';
import type { CimFactory } from '../isolation/CimFactory.js';
import { BANKS, CLASS, HOST_TPM_DEVICE_ID, IntegrityPaths, SERVICE_NAME, VTPM_DEVICE_ID, type IntegrityServiceClass } from './IntegrityPaths.js';

/** The PCRs each TPM shows as TVDc_PCR instances: all 24 of a PC client TPM. */
export const PCR_INDEXES: readonly number[] = Array.from({ length: 24 }, (_, i) => i);

/** The CIM banks of the PCR banks a TPM keeps (the domain's PCR_BANKS: a TPM 1.2 has SHA-1 only). */
export function banksOf(i: Pick<VtpmInfo, 'family'>): readonly (typeof BANKS)[number][] {
  return BANKS.filter((b) => PCR_BANKS[i.family].includes(b.name));
}

/**
 * CIM_TPM.TPMState: TPM 1.2's operational states S1-S8 by its enabled, activated and owned flags;
 * tvdc's TPM 1.2 vTPMs are enabled, activated and owned (S1). 10 Not Applicable for a TPM 2.0.
 */
const TPM12_S1 = 1;
const NOT_APPLICABLE = 10;

/** CIM_EnabledLogicalElement.EnabledState: 2 Enabled, 3 Disabled. */
const ENABLED = 2;
const DISABLED = 3;

/** DSP1041 ResourceType 1 Other: there is no TPM value, so OtherResourceType names it. */
const RESOURCE_TYPE_OTHER = 1;

export class IntegrityModel {
  readonly paths: IntegrityPaths;

  constructor(
    /** null when the host runs with --vtpm off: every list is empty, every method Not Supported. */
    readonly integrity: HostIntegrity | null,
    readonly cim: CimFactory,
    readonly hostName: string,
  ) {
    this.paths = new IntegrityPaths(cim, hostName);
  }

  /** Every TPM of this host: the VMs' vTPMs, then the host's own. */
  targets(): IntegrityTarget[] {
    if (!this.integrity) return [];
    return [...this.integrity.list().map((v): IntegrityTarget => ({ kind: 'vm', name: v.id })), { kind: 'host' }];
  }

  private tpmValues(t: IntegrityTarget, i: VtpmInfo): Record<string, unknown> {
    const what = t.kind === 'vm' ? `VM ${t.name}` : `host ${this.hostName}`;
    const tpm12 = i.family === 'tpm12';
    const version = tpm12 ? 'TPM 1.2' : 'TPM 2.0';
    return {
      ElementName: t.kind === 'vm' ? `vTPM of ${t.name}` : `TPM of ${this.hostName}`,
      Description: t.kind === 'vm' ? `The virtual ${version} of ${what} (swtpm)` : `The ${version} of ${what} (a swtpm standing in for the hardware TPM)`,
      EnabledState: i.running ? ENABLED : DISABLED,
      RequestedState: 12,
      EnabledDefault: ENABLED,
      OperationalStatus: [i.running ? 2 : 10],
      HealthState: 5,
      TPMSpecMajorVersion: tpm12 ? 1 : 2,
      TPMSpecMinorVersion: tpm12 ? 2 : 0,
      TPMState: tpm12 ? TPM12_S1 : NOT_APPLICABLE,
      EKCertificate: i.ekCertificatePem,
      PCRBanks: banksOf(i).map((b) => b.name),
      InstallDate: CimDateTime.fromDate(new Date(i.createdAt)),
    };
  }

  vtpm(i: VtpmInfo): CimInstance {
    const t: IntegrityTarget = { kind: 'vm', name: i.id };
    return this.cim.instance(CLASS.vtpm, {
      SystemCreationClassName: CLASS.vm, SystemName: i.id, CreationClassName: CLASS.vtpm, DeviceID: VTPM_DEVICE_ID,
      ...this.tpmValues(t, i),
    });
  }

  vtpms(): CimInstance[] {
    return this.integrity ? this.integrity.list().map((i) => this.vtpm(i)) : [];
  }

  /**
   * Each vTPM as a resource its VM's settings hold (DSP1041 ResourceType 1 Other, OtherResourceType
   * TPM), so a client listing a VM's resources from its VSSD sees the vTPM beside disks and NICs.
   */
  vtpmRasds(): CimInstance[] {
    if (!this.integrity) return [];
    return this.integrity.list().map((i) => this.cim.instance(CLASS.rasd, {
      InstanceID: this.paths.vtpmRasd(i.id).key('InstanceID'), ElementName: VTPM_DEVICE_ID,
      ResourceType: RESOURCE_TYPE_OTHER, OtherResourceType: 'TPM',
      HostResource: [this.paths.tpm({ kind: 'vm', name: i.id }).toString()], AutomaticAllocation: true, ConsumerVisibility: 3,
    }));
  }

  hostTpm(): CimInstance[] {
    if (!this.integrity) return [];
    const t: IntegrityTarget = { kind: 'host' };
    return [this.cim.instance(CLASS.hostTpm, {
      SystemCreationClassName: CLASS.host, SystemName: this.hostName, CreationClassName: CLASS.hostTpm, DeviceID: HOST_TPM_DEVICE_ID,
      ...this.tpmValues(t, this.integrity.info(t)),
    })];
  }

  service(cls: IntegrityServiceClass): CimInstance {
    const description = cls === CLASS.vtpmService
      ? 'Creates, runs, moves and deletes the vTPMs of this host'
      : 'Quotes the TPMs of this host and its VMs over a challenger\'s nonce';
    return this.cim.instance(cls, {
      SystemCreationClassName: CLASS.host, SystemName: this.hostName, CreationClassName: cls, Name: SERVICE_NAME[cls],
      ElementName: SERVICE_NAME[cls], Description: description,
      EnabledState: this.integrity ? ENABLED : DISABLED, RequestedState: 12, EnabledDefault: ENABLED,
      Started: this.integrity !== null, OperationalStatus: [this.integrity ? 2 : 10], HealthState: 5,
      // What a management server reads (over authenticated CIM) and hands to the peer of a migration.
      ...(cls === CLASS.vtpmService && this.integrity ? { MigrationPublicKey: this.integrity.migrationPublicKeyPem() } : {}),
    });
  }

  /** The TVDc_PCR instances of one TPM; none while it is off (there is nothing to read). */
  async pcrs(t: IntegrityTarget): Promise<CimInstance[]> {
    if (!this.integrity) return [];
    const values = await this.integrity.pcrs(t, PCR_INDEXES);
    const out: CimInstance[] = [];
    for (const b of BANKS) {
      const bank = values.get(b.alg);
      if (!bank) continue;
      for (const [index, value] of [...bank].sort((x, y) => x[0] - y[0])) {
        out.push(this.cim.instance(CLASS.pcr, {
          InstanceID: this.paths.pcr(t, b.name, index).key('InstanceID'),
          ElementName: `${b.name}:${index}`,
          PCRIndex: index, HashAlgorithm: b.alg, Value: value.toString('hex'),
        }));
      }
    }
    return out;
  }

  log(t: IntegrityTarget): CimInstance {
    const count = this.integrity!.logCount(t);
    const running = this.integrity!.info(t).running;
    return this.cim.instance(CLASS.log, {
      InstanceID: this.paths.logId(t),
      Name: `ima:${this.paths.systemId(t)}`,
      ElementName: `IMA measurement list of ${t.kind === 'vm' ? `VM ${t.name}` : `host ${this.hostName}`}`,
      CurrentNumberOfRecords: BigInt(count),
      // LogState 2 Normal while its TPM runs and the list grows, 4 Not Applicable while it is off.
      LogState: running ? 2 : 4,
      OverwritePolicy: 7, // Never Overwrites: IMA lists only grow until the next boot.
      EnabledState: running ? ENABLED : DISABLED, RequestedState: 12, EnabledDefault: ENABLED,
      OperationalStatus: [2], HealthState: 5,
    });
  }

  logs(): CimInstance[] {
    return this.targets().map((t) => this.log(t));
  }

  entry(t: IntegrityTarget, e: ImaEntry): CimInstance {
    return this.cim.instance(CLASS.entry, {
      InstanceID: `${this.paths.logId(t)}:${e.index}`,
      LogInstanceID: this.paths.logId(t),
      LogName: `ima:${this.paths.systemId(t)}`,
      RecordID: String(e.index),
      RecordFormat: 'IMA ascii_runtime_measurements line: PCR template-hash template-name file-digest path',
      RecordData: formatAsciiLine(e),
      PCRIndex: e.pcr,
      TemplateName: e.templateName,
      TemplateHash: e.templateHash,
      FileDigest: e.templateName === 'ima' ? e.fileDigest : `${e.fileAlg}:${e.fileDigest}`,
      FilePath: e.path,
      OwningEntity: 'TVDc',
    });
  }
}
