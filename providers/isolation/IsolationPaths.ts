// The object paths of every isolation instance of one host, and the way back from a path a client
// sends (a method's REF parameter) to the domain element it names. Keys follow ../shared/PROFILES.md
// section 3; host and VM paths come from ../SystemPaths.ts, shared with the integrity providers.
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import type { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import type { ElementRef } from '../../src/tvdc/policy/Policy.js';
import { SYSTEM_CLASS, SystemPaths } from '../SystemPaths.js';

export const CLASS = {
  ...SYSTEM_CLASS,
  disk: 'TVDc_LogicalDisk',
  segment: 'TVDc_NetworkSegment',
  policy: 'TVDc_SecurityPolicy',
  label: 'TVDc_SecurityLabel',
  conflictSet: 'TVDc_ConflictSet',
  securityService: 'TVDc_SecurityService',
  managementService: 'TVDc_VirtualSystemManagementService',
  migrationService: 'TVDc_VirtualSystemMigrationService',
  migrationJob: 'TVDc_MigrationJob',
  managementCapabilities: 'TVDc_VirtualSystemManagementCapabilities',
  migrationCapabilities: 'TVDc_VirtualSystemMigrationCapabilities',
  stateCapabilities: 'TVDc_EnabledLogicalElementCapabilities',
  accessDenied: 'TVDc_AccessDeniedIndication',
} as const;

/**
 * The integrity side's service (not an isolation class) that publishes a host's MigrationPublicKey:
 * a migration's source reads it at the destination, so a migration ticket lets its holder read it.
 */
export const VTPM_SERVICE_CLASS = 'TVDc_VTPMManagementService';

/** Service Name keys: one service of each kind per host. */
export const SERVICE_NAME = {
  [CLASS.securityService]: 'SecurityService',
  [CLASS.managementService]: 'VirtualSystemManagementService',
  [CLASS.migrationService]: 'VirtualSystemMigrationService',
} as const;

export type ServiceClass = keyof typeof SERVICE_NAME;

const SEGMENT_PREFIX = 'TVDc:segment:';

export class IsolationPaths extends SystemPaths {
  /** Disks are devices of the host: the management VM exports them (the paper's Figure 3). */
  disk(name: string): CimObjectPath {
    return this.cim.path(CLASS.disk, this.hostScopedKeys(CLASS.disk, { DeviceID: name }));
  }

  segment(name: string): CimObjectPath {
    return this.cim.path(CLASS.segment, { InstanceID: `${SEGMENT_PREFIX}${name}` });
  }

  /** The active policy keeps its name; a pending one carries its version too (updates usually keep the name). */
  policy(name: string, version: string, pending: boolean): CimObjectPath {
    return this.cim.path(CLASS.policy, this.hostScopedKeys(CLASS.policy, { PolicyGroupName: pending ? `${name}:${version}` : name }));
  }

  /** VM and resource labels may share a name (the paper's SystemManagement), so the kind is in the id. */
  label(policy: string, kind: 'vm' | 'resource', name: string): CimObjectPath {
    return this.cim.path(CLASS.label, { InstanceID: `TVDc:${policy}:${kind}:${name}` });
  }

  conflictSet(key: string): CimObjectPath {
    return this.cim.path(CLASS.conflictSet, this.hostScopedKeys(CLASS.conflictSet, { PolicyRuleName: key }));
  }

  service(cls: ServiceClass): CimObjectPath {
    return this.cim.path(cls, this.hostScopedKeys(cls, { Name: SERVICE_NAME[cls] }));
  }

  capabilities(cls: string, id: string): CimObjectPath {
    return this.cim.path(cls, { InstanceID: `TVDc:${id}` });
  }

  /**
   * The element a REF parameter names. The class decides the kind; the keys must be this host's
   * (a path naming another host's disk is not ours to judge). Bad paths are CIM_ERR_INVALID_PARAMETER.
   */
  element(path: CimObjectPath | null, param: string, allowed: readonly ElementRef['kind'][] = ['vm', 'host', 'disk', 'segment']): ElementRef {
    if (path === null) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `${param} is required`);
    const cls = path.className.toLowerCase();
    const key = (k: string): string | undefined => {
      const v = path.key(k);
      return typeof v === 'string' ? v : undefined;
    };
    let ref: ElementRef | undefined;
    if (cls === CLASS.vm.toLowerCase()) ref = { kind: 'vm', name: this.need(key('Name'), param, 'Name') };
    else if (cls === CLASS.host.toLowerCase()) ref = { kind: 'host', name: this.need(key('Name'), param, 'Name') };
    else if (cls === CLASS.disk.toLowerCase()) {
      const system = key('SystemName');
      if (system !== undefined && system !== this.hostName) throw new CimError(CimStatus.CIM_ERR_NOT_FOUND, `${param}: disk of host '${system}'; this is host '${this.hostName}'`);
      ref = { kind: 'disk', name: this.need(key('DeviceID'), param, 'DeviceID') };
    } else if (cls === CLASS.segment.toLowerCase()) {
      const id = this.need(key('InstanceID'), param, 'InstanceID');
      if (!id.startsWith(SEGMENT_PREFIX)) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `${param}: a network segment's InstanceID is ${SEGMENT_PREFIX}<name>, not '${id}'`);
      ref = { kind: 'segment', name: id.slice(SEGMENT_PREFIX.length) };
    }
    if (!ref || !allowed.includes(ref.kind)) {
      const names: Record<ElementRef['kind'], string> = { vm: CLASS.vm, host: CLASS.host, disk: CLASS.disk, segment: CLASS.segment };
      throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `${param} must name a ${allowed.map((k) => names[k]).join(', ')}; got ${path.className}`);
    }
    return ref;
  }

  private need(v: string | undefined, param: string, key: string): string {
    if (v === undefined || v === '') throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `${param} has no ${key} key`);
    return v;
  }

  /** The path of a labeled element of this host. */
  of(el: ElementRef): CimObjectPath {
    switch (el.kind) {
      case 'vm': return this.vm(el.name);
      case 'host': return this.host();
      case 'disk': return this.disk(el.name);
      case 'segment': return this.segment(el.name);
    }
  }
}
