// The isolation domain of one host seen as CIM instances: every provider of the isolation classes
// and associations reads its instances from here, so a VM looks the same whether it is enumerated,
// fetched or reached over an association.
import type { CimInstance } from '../../src/cim/CimInstance.js';
import { CimDateTime } from '../../src/cim/CimDateTime.js';
import type { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import type { IsolationService } from '../../src/tvdc/hypervisor/IsolationService.js';
import type { VmInfo, VmRequest, VmState } from '../../src/tvdc/hypervisor/VirtualMachine.js';
import type { ElementRef, Policy } from '../../src/tvdc/policy/Policy.js';
import type { VirtualDisk } from '../../src/tvdc/resources/VirtualDisk.js';
import type { NetworkSegment } from '../../src/tvdc/network/NetworkSegment.js';
import type { CimFactory } from './CimFactory.js';
import { CLASS, IsolationPaths, SERVICE_NAME, type ServiceClass } from './IsolationPaths.js';
import { formatLabel } from './LabelText.js';

/** DSP1057 EnabledState of each VM state (2 Enabled, 3 Disabled, 6 Enabled but Offline, 9 Quiesce). */
export const ENABLED_STATE: Record<VmState, number> = { running: 2, stopped: 3, suspended: 6, paused: 9 };

/** What RequestStateChange accepts in each state (AvailableRequestedStates). */
const AVAILABLE: Record<VmState, number[]> = {
  stopped: [2],
  running: [3, 4, 6, 9, 10, 11],
  paused: [2, 3, 4],
  suspended: [2, 3],
};

/** The RequestStateChange value of each request (2 Enabled, 3 Disabled, 4 Shut Down, 6 Offline, 9 Quiesce, 10 Reboot, 11 Reset). */
export const REQUESTED_STATE: Record<VmRequest, number> = { start: 2, stop: 3, 'shut-down': 4, suspend: 6, pause: 9, reboot: 10, reset: 11 };

/** Every state RequestStateChange implements. */
export const REQUESTED_STATES_SUPPORTED = Object.values(REQUESTED_STATE);

/** DSP1057: RequestedState is 12 Not Applicable until a RequestStateChange has been accepted. */
const NO_REQUEST = 12;

/**
 * What TVDc_VirtualSystemManagementService does, as its capabilities' ValueMaps number it: every
 * method it implements completes before it returns (2 DefineSystem, 3 DestroySystem,
 * 6 ModifySystemSettings, 7 RemoveResources = RemoveResourceSettings, 10 AddResources =
 * AddResourceSettings); ModifyResourceSettings (5) returns 1 Not Supported, so it is left out.
 * Clients gate their calls on this list, so a method added to the provider belongs here too.
 */
export const MANAGEMENT_METHODS_SUPPORTED = [2, 3, 6, 7, 10];

/** The VM life-cycle indications VmLifecycleIndications raises: 2 creation, 3 deletion, 4 state change. */
export const MANAGEMENT_INDICATIONS_SUPPORTED = [2, 3, 4];

const DISK_BLOCK = 512;

export class IsolationModel {
  readonly paths: IsolationPaths;

  constructor(
    readonly service: IsolationService,
    readonly cim: CimFactory,
  ) {
    this.paths = new IsolationPaths(cim, service.hostName);
  }

  get hostName(): string {
    return this.service.hostName;
  }

  policyName(): string {
    return this.service.activePolicy().header.name;
  }

  /** The label path an element's label links to, or null when it has none the policy defines. */
  labelPathOf(kind: ElementRef['kind'], label: string | undefined): CimObjectPath | null {
    if (label === undefined) return null;
    const vmLabel = kind === 'vm' || kind === 'host';
    const declared = this.service.listLabels().some((l) => l.name === label && l.kind === (vmLabel ? 'vm' : 'resource'));
    return declared ? this.paths.label(this.policyName(), vmLabel ? 'vm' : 'resource', label) : null;
  }

  host(): CimInstance {
    return this.cim.instance(CLASS.host, {
      CreationClassName: CLASS.host, Name: this.hostName, ElementName: this.hostName,
      Description: 'A host of the trusted virtual datacenter (its management VM)',
      NameFormat: 'Other', Dedicated: [0], OperationalStatus: [2], HealthState: 5,
      EnabledState: 2, RequestedState: 12, EnabledDefault: 2,
    });
  }

  vm(v: VmInfo): CimInstance {
    return this.cim.instance(CLASS.vm, {
      CreationClassName: CLASS.vm, Name: v.name, ElementName: v.name,
      Caption: `VM ${v.name} on ${v.host}`,
      Description: `Virtual machine labeled ${formatLabel(this.policyName(), v.label) ?? 'nothing (unlabeled)'}`,
      NameFormat: 'Other', Dedicated: [0], OperationalStatus: [2], HealthState: 5,
      EnabledState: ENABLED_STATE[v.state], RequestedState: v.lastRequest === undefined ? NO_REQUEST : REQUESTED_STATE[v.lastRequest], EnabledDefault: 2,
      AvailableRequestedStates: AVAILABLE[v.state],
      InstallDate: CimDateTime.fromDate(new Date(v.createdAt)),
    });
  }

  vms(): CimInstance[] {
    return this.service.listVms().map((v) => this.vm(v));
  }

  vssd(v: VmInfo): CimInstance {
    return this.cim.instance(CLASS.vssd, {
      InstanceID: `TVDc:${v.name}`, ElementName: v.name, VirtualSystemIdentifier: v.name, VirtualSystemType: 'Xen',
      SecurityLabel: formatLabel(this.policyName(), v.label),
    });
  }

  /** DSP1041 ResourceType: 31 Logical Disk, 10 Ethernet Adapter. */
  static readonly RESOURCE_TYPE = { disk: 31, nic: 10 } as const;

  /** The resources each VM has been given: its disks and its interfaces on network segments. */
  rasds(v: VmInfo): CimInstance[] {
    return [
      ...v.disks.map((d) => this.cim.instance(CLASS.rasd, {
        InstanceID: `TVDc:${v.name}:disk:${d}`, ElementName: d, ResourceType: IsolationModel.RESOURCE_TYPE.disk,
        HostResource: [this.paths.disk(d).toString()], AutomaticAllocation: true, ConsumerVisibility: 3,
      })),
      ...v.segments.map((g) => this.cim.instance(CLASS.rasd, {
        InstanceID: `TVDc:${v.name}:nic:${g}`, ElementName: g, ResourceType: IsolationModel.RESOURCE_TYPE.nic,
        Connection: [g], AutomaticAllocation: true, ConsumerVisibility: 3,
      })),
    ];
  }

  disk(d: VirtualDisk): CimInstance {
    return this.cim.instance(CLASS.disk, {
      SystemCreationClassName: CLASS.host, SystemName: this.hostName, CreationClassName: CLASS.disk, DeviceID: d.name,
      Name: d.name, ElementName: d.name, ImagePath: d.path,
      BlockSize: BigInt(DISK_BLOCK), NumberOfBlocks: BigInt(Math.ceil(d.sizeBytes / DISK_BLOCK)),
      Description: `Virtual disk labeled ${formatLabel(this.policyName(), d.label) ?? 'nothing (unlabeled)'}`,
      LastSanitized: d.sanitizedAt ? CimDateTime.fromDate(new Date(d.sanitizedAt)) : undefined,
      SanitizedBy: d.sanitizedBy, OperationalStatus: [2], EnabledState: 2,
    });
  }

  segment(s: NetworkSegment): CimInstance {
    const c = this.service.listLabels().find((l) => l.kind === 'resource' && l.name === s.label);
    return this.cim.instance(CLASS.segment, {
      InstanceID: this.paths.segment(s.name).key('InstanceID'), ElementName: s.name,
      VLANId: s.kind === 'vlan' ? s.segmentId : undefined, VNI: s.kind === 'vxlan' ? s.segmentId : undefined,
      STEType: c?.ste[0],
      Description: `${s.kind === 'vlan' ? '802.1Q VLAN' : 'VXLAN'} ${s.segmentId} labeled ${formatLabel(this.policyName(), s.label) ?? 'nothing (unlabeled)'}`,
    });
  }

  /** The active policy (Enabled 1) and the one waiting for ActivatePolicy, if any (Enabled 2). */
  policies(): CimInstance[] {
    const out = [this.policy(this.service.activePolicy(), false)];
    const pending = this.service.pendingPolicy();
    if (pending) out.push(this.policy(pending, true));
    return out;
  }

  activePolicyPath(): CimObjectPath {
    const h = this.service.activePolicy().header;
    return this.paths.policy(h.name, h.version, false);
  }

  private policy(p: Policy, pending: boolean): CimInstance {
    const path = this.paths.policy(p.header.name, p.header.version, pending);
    return this.cim.instance(CLASS.policy, {
      SystemCreationClassName: CLASS.host, SystemName: this.hostName, CreationClassName: CLASS.policy,
      PolicyGroupName: path.key('PolicyGroupName'), ElementName: p.header.name, CommonName: p.header.name,
      PolicyVersion: p.header.version, FromPolicyName: p.header.from?.name, FromPolicyVersion: p.header.from?.version,
      Enabled: pending ? 2 : 1,
      Description: `sHype policy ${p.header.name} ${p.header.version} (${pending ? 'loaded, not active' : 'active'})`,
    });
  }

  labels(): CimInstance[] {
    const policy = this.policyName();
    return this.service.listLabels().map((l) => this.cim.instance(CLASS.label, {
      InstanceID: this.paths.label(policy, l.kind, l.name).key('InstanceID'),
      SecurityLevel: formatLabel(policy, l.name), Name: l.name, ElementName: l.name,
      STETypes: l.ste, ChineseWallTypes: l.cw, LabelType: l.kind === 'vm' ? 2 : 3,
    }));
  }

  conflictSets(): CimInstance[] {
    return this.service.listConflictSets().map((cs) => this.cim.instance(CLASS.conflictSet, {
      SystemCreationClassName: CLASS.host, SystemName: this.hostName, CreationClassName: CLASS.conflictSet,
      PolicyRuleName: cs.key, Name: cs.name, ElementName: cs.name, Types: cs.types, Enabled: 1, Mandatory: true,
      Description: `Chinese Wall: at most one of ${cs.types.join(', ')} runs on a host at a time`,
    }));
  }

  serviceInstance(cls: ServiceClass): CimInstance {
    const descriptions: Record<ServiceClass, string> = {
      [CLASS.securityService]: 'Loads and activates the sHype policy, labels elements and answers access questions',
      [CLASS.managementService]: 'Defines and destroys the VMs of this host',
      [CLASS.migrationService]: 'Moves running VMs to other tvdc hosts; the destination decides under its policy',
    };
    return this.cim.instance(cls, {
      SystemCreationClassName: CLASS.host, SystemName: this.hostName, CreationClassName: cls, Name: SERVICE_NAME[cls],
      ElementName: SERVICE_NAME[cls], Description: descriptions[cls],
      EnabledState: 2, RequestedState: 12, EnabledDefault: 2, OperationalStatus: [2], HealthState: 5, Started: true, StartMode: 'Automatic',
    });
  }

  managementCapabilities(): CimInstance {
    return this.cim.instance(CLASS.managementCapabilities, {
      InstanceID: 'TVDc:VirtualSystemManagementCapabilities', ElementName: 'VirtualSystemManagementCapabilities',
      VirtualSystemTypesSupported: ['Xen'], SynchronousMethodsSupported: MANAGEMENT_METHODS_SUPPORTED, AsynchronousMethodsSupported: [],
      IndicationsSupported: MANAGEMENT_INDICATIONS_SUPPORTED,
    });
  }

  migrationCapabilities(): CimInstance {
    return this.cim.instance(CLASS.migrationCapabilities, {
      InstanceID: 'TVDc:VirtualSystemMigrationCapabilities', ElementName: 'VirtualSystemMigrationCapabilities',
      // MigrateVirtualSystemToHost (2) returns 4096 and a TVDc_MigrationJob. DestinationHost is
      // a DNS name, an IPv4 or a bracketed IPv6 address, each with an optional :port, or (32768,
      // TVDc_VirtualSystemMigrationCapabilities' vendor value) a host agent's http(s) URL.
      SynchronousMethodsSupported: [], AsynchronousMethodsSupported: [2], DestinationHostFormatsSupported: [2, 3, 4, 32768],
    });
  }

  stateCapabilities(): CimInstance {
    return this.cim.instance(CLASS.stateCapabilities, {
      InstanceID: 'TVDc:VirtualSystemStateCapabilities', ElementName: 'VirtualSystemStateCapabilities',
      RequestedStatesSupported: REQUESTED_STATES_SUPPORTED, ElementNameEditSupported: false,
    });
  }

  /** Every labeled element of the host with its label (the ElementSecurityLabel links). */
  labeledElements(): { el: ElementRef; label: string | undefined }[] {
    const s = this.service;
    return [
      { el: { kind: 'host', name: this.hostName }, label: s.host().label },
      ...s.listVms().map((v) => ({ el: { kind: 'vm' as const, name: v.name }, label: v.label })),
      ...s.listDisks().map((d) => ({ el: { kind: 'disk' as const, name: d.name }, label: d.label })),
      ...s.listSegments().map((g) => ({ el: { kind: 'segment' as const, name: g.name }, label: g.label })),
    ];
  }
}
