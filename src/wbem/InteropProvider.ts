// The interop namespace (DSP1033): CIM_ObjectManager, a CIM_Namespace for every namespace
// (itself included), CIM_NamespaceInManager, one CIM_RegisteredProfile per implemented profile
// and CIM_ElementConformsToProfile from each profile to its central instances, traversable from
// both ends; CIM_HostedService from the host system to the services living here (the object
// manager, the indication service) and CIM_ElementCapabilities to their capabilities;
// CIM_ReferencedProfile from each component profile to the profile that scopes it.
// Where the schema defines TVDc_ subclasses of these classes, those are used instead.
import { CimError, CimStatus } from '../cim/CimError.js';
import { CimInstance } from '../cim/CimInstance.js';
import { CimProperty } from '../cim/CimProperty.js';
import { CimObjectPath } from '../cim/CimObjectPath.js';
import type { CimRepository } from '../cim/CimRepository.js';
import { NameMap } from '../cim/NameMap.js';
import { coerceValue } from '../cim/coerceValue.js';
import type { Provider, ProviderContext } from './Provider.js';
import { INTEROP_NAMESPACE, canonicalNamespace } from './namespaceName.js';
import type { OperationContext } from './OperationContext.js';
import { enumerateInstanceNames } from './InstanceRouter.js';

/** A profile the server advertises. */
export interface ProfileRegistration {
  /** RegisteredOrganization: 2 DMTF, 1 Other (then otherOrganization names it). */
  organization: number;
  otherOrganization?: string;
  name: string;
  version: string;
  /** The class whose instances conform to the profile (its central class), and where they live. */
  centralClass: string;
  centralNamespace: string;
}

/**
 * Names a registered profile in a CIM_ReferencedProfile link. Without a version it matches every
 * registered version of the profile.
 */
export interface ProfileName {
  organization: number;
  otherOrganization?: string;
  name: string;
  version?: string;
}

const ORG_NAMES: Record<number, string> = { 1: 'Other', 2: 'DMTF', 11: 'SNIA' };

export const BASE_CLASSES = {
  objectManager: 'CIM_ObjectManager',
  namespace: 'CIM_Namespace',
  namespaceInManager: 'CIM_NamespaceInManager',
  registeredProfile: 'CIM_RegisteredProfile',
  conformsTo: 'CIM_ElementConformsToProfile',
  hostedService: 'CIM_HostedService',
  elementCapabilities: 'CIM_ElementCapabilities',
  referencedProfile: 'CIM_ReferencedProfile',
} as const;

/**
 * The profile whose central instance is the host's CIM_ComputerSystem (DSP1042 System
 * Virtualization): where the host system is found when none was set explicitly.
 */
const HOST_PROFILE = { organization: 2, name: 'System Virtualization' } as const;

type Role = keyof typeof BASE_CLASSES;

export class InteropProvider {
  private readonly profiles: ProfileRegistration[] = [];
  private readonly hostedServices: CimObjectPath[] = [];
  private readonly capabilityLinks: Array<{ element: CimObjectPath; capabilities: CimObjectPath }> = [];
  private readonly profileReferences: Array<{ antecedent: ProfileName; dependent: ProfileName }> = [];
  private hostSystemPath: CimObjectPath | null = null;

  constructor(
    readonly repository: CimRepository,
    /** This host's name (SystemName of the object manager). */
    readonly systemName: string,
  ) {}

  /** Advertises a profile; its CIM_RegisteredProfile and conformance links appear at once. */
  addProfile(p: ProfileRegistration): void {
    this.profiles.push({ ...p, centralNamespace: canonicalNamespace(p.centralNamespace) });
  }

  registeredProfiles(): readonly ProfileRegistration[] {
    return this.profiles;
  }

  /**
   * CIM_ReferencedProfile in the DMTF direction: `antecedent` is the referenced (component)
   * profile, `dependent` the one that references (scopes) it. Either end may be registered later,
   * or never (a profile that depends on an optional feature): the link shows only while both
   * ends are registered, so callers need not know in which order the domains start.
   */
  addProfileReference(antecedent: ProfileName, dependent: ProfileName): void {
    this.profileReferences.push({ antecedent, dependent });
  }

  /**
   * A service of this host that lives in the interop namespace (DSP1054's CIM_IndicationService):
   * CIM_HostedService links it to the host system, as it does the object manager.
   */
  addHostedService(service: CimObjectPath): void {
    this.hostedServices.push(this.inInterop(service));
  }

  /** CIM_ElementCapabilities from `element` to `capabilities`, both in the interop namespace. */
  addElementCapabilities(element: CimObjectPath, capabilities: CimObjectPath): void {
    this.capabilityLinks.push({ element: this.inInterop(element), capabilities: this.inInterop(capabilities) });
  }

  /**
   * The CIM_ComputerSystem that hosts this server (Antecedent of CIM_HostedService), with its
   * namespace. Unset, it is the central instance of a registered System Virtualization profile
   * whose Name is this host's (TVDc_HostSystem in root/tvdc), else the system the object
   * manager's SystemCreationClassName/SystemName name.
   */
  setHostSystem(path: CimObjectPath): void {
    this.hostSystemPath = new CimObjectPath(path.className, path.keys, canonicalNamespace(path.namespace ?? INTEROP_NAMESPACE), this.systemName);
  }

  private inInterop(p: CimObjectPath): CimObjectPath {
    return new CimObjectPath(p.className, p.keys, canonicalNamespace(p.namespace ?? INTEROP_NAMESPACE), this.systemName);
  }

  /** The class used for `role` in `ns`: a TVDc_ subclass when the schema has one, else the DMTF class. */
  classFor(ns: string, role: Role): string | null {
    const base = BASE_CLASSES[role];
    const repo = this.repository;
    if (!repo.hasNamespace(ns)) return null;
    const tvdc = base.replace(/^CIM_/, 'TVDc_');
    if (repo.hasClass(ns, tvdc) && repo.isSubclassOf(ns, tvdc, base)) return repo.getClass(ns, tvdc).name;
    return repo.hasClass(ns, base) ? repo.getClass(ns, base).name : null;
  }

  /** The (class name, provider) pairs to register: interop classes, and the conformance association wherever it is defined. */
  registrations(): Array<{ namespace: string; className: string; provider: Provider }> {
    const out: Array<{ namespace: string; className: string; provider: Provider }> = [];
    const ns = INTEROP_NAMESPACE;
    for (const role of ['objectManager', 'namespace', 'namespaceInManager', 'registeredProfile', 'hostedService', 'elementCapabilities', 'referencedProfile'] as const) {
      const cls = this.classFor(ns, role);
      if (cls) out.push({ namespace: ns, className: cls, provider: this.providerFor(role) });
    }
    for (const other of this.repository.namespaces()) {
      const cls = this.classFor(other, 'conformsTo');
      if (cls) out.push({ namespace: other, className: cls, provider: this.providerFor('conformsTo') });
    }
    return out;
  }

  private providerFor(role: Role): Provider {
    return {
      enumerateInstances: (ctx: ProviderContext) => this.instances(ctx as OperationContext, role),
    };
  }

  private make(ns: string, className: string, values: Record<string, unknown>): CimInstance {
    const cls = this.repository.getClass(ns, className);
    const props = new NameMap<CimProperty>();
    for (const decl of cls.properties.values()) {
      if (!(decl.name in values)) continue;
      const v = coerceValue(decl.type, decl.isArray, values[decl.name]);
      props.set(decl.name, new CimProperty(decl.name, decl.type, v, decl.isArray, new NameMap(), decl.referenceClass, decl.embeddedObject, decl.embeddedClass));
    }
    const inst = new CimInstance(cls.name, props);
    const path = this.repository.pathOf(ns, inst);
    path.namespace = ns;
    inst.path = path;
    return inst;
  }

  private objectManager(): CimInstance | null {
    const cls = this.classFor(INTEROP_NAMESPACE, 'objectManager');
    if (!cls) return null;
    return this.make(INTEROP_NAMESPACE, cls, {
      SystemCreationClassName: 'CIM_ComputerSystem', SystemName: this.systemName, CreationClassName: cls,
      Name: `tvdc:${this.systemName}`, ElementName: 'tvdc', Description: 'tvdc host agent WBEM server',
      EnabledState: 2, RequestedState: 12, Started: true,
    });
  }

  private namespaces(): CimInstance[] {
    const cls = this.classFor(INTEROP_NAMESPACE, 'namespace');
    const om = this.objectManager();
    if (!cls || !om) return [];
    return this.repository.namespaces().map((ns) => this.make(INTEROP_NAMESPACE, cls, {
      SystemCreationClassName: 'CIM_ComputerSystem', SystemName: this.systemName,
      ObjectManagerCreationClassName: om.className, ObjectManagerName: om.get('Name'),
      CreationClassName: cls, Name: canonicalNamespace(ns), ElementName: canonicalNamespace(ns), ClassInfo: 0, ClassType: 2,
    }));
  }

  private profileInstances(): CimInstance[] {
    const cls = this.classFor(INTEROP_NAMESPACE, 'registeredProfile');
    if (!cls) return [];
    return this.profiles.map((p) => this.profileInstance(cls, p));
  }

  private profileInstance(cls: string, p: ProfileRegistration): CimInstance {
    return this.make(INTEROP_NAMESPACE, cls, {
      InstanceID: `${p.otherOrganization ?? ORG_NAMES[p.organization] ?? p.organization}:${p.name}:${p.version}`,
      RegisteredOrganization: p.organization,
      ...(p.otherOrganization ? { OtherRegisteredOrganization: p.otherOrganization } : {}),
      RegisteredName: p.name, RegisteredVersion: p.version, AdvertiseTypes: [2], ElementName: p.name,
    });
  }

  /** The registered profiles `name` designates; names compare case-insensitively, as the profile lookups in this file do. */
  private profilesNamed(name: ProfileName): ProfileRegistration[] {
    const other = name.otherOrganization?.toLowerCase();
    return this.profiles.filter((p) => p.organization === name.organization
      && (other === undefined || p.otherOrganization?.toLowerCase() === other)
      && p.name.toLowerCase() === name.name.toLowerCase()
      && (name.version === undefined || p.version === name.version));
  }

  private referencedProfiles(): CimInstance[] {
    const cls = this.classFor(INTEROP_NAMESPACE, 'referencedProfile');
    const profileCls = this.classFor(INTEROP_NAMESPACE, 'registeredProfile');
    if (!cls || !profileCls) return [];
    const pathOf = (p: ProfileRegistration) => this.inInterop(this.profileInstance(profileCls, p).path!);
    const out: CimInstance[] = [];
    const seen = new Set<string>();
    for (const ref of this.profileReferences) {
      for (const a of this.profilesNamed(ref.antecedent)) {
        for (const d of this.profilesNamed(ref.dependent)) {
          const link = this.make(INTEROP_NAMESPACE, cls, { Antecedent: pathOf(a), Dependent: pathOf(d) });
          // Two callers declaring the same reference must not yield one key twice.
          const key = link.path!.toString();
          if (seen.has(key)) continue;
          seen.add(key);
          out.push(link);
        }
      }
    }
    return out;
  }

  private async *instances(ctx: OperationContext, role: Role): AsyncIterable<CimInstance> {
    switch (role) {
      case 'objectManager': {
        const om = this.objectManager();
        if (om) yield om;
        return;
      }
      case 'namespace':
        yield* this.namespaces();
        return;
      case 'namespaceInManager': {
        const cls = this.classFor(INTEROP_NAMESPACE, 'namespaceInManager');
        const om = this.objectManager();
        if (!cls || !om) return;
        for (const n of this.namespaces()) yield this.make(INTEROP_NAMESPACE, cls, { Antecedent: om.path, Dependent: n.path });
        return;
      }
      case 'registeredProfile':
        yield* this.profileInstances();
        return;
      case 'hostedService': {
        const cls = this.classFor(INTEROP_NAMESPACE, 'hostedService');
        if (!cls) return;
        const om = this.objectManager();
        const services = [...(om ? [this.inInterop(om.path!)] : []), ...this.hostedServices];
        const host = await this.hostSystem(ctx);
        for (const s of services) yield this.make(INTEROP_NAMESPACE, cls, { Antecedent: host, Dependent: s });
        return;
      }
      case 'elementCapabilities': {
        const cls = this.classFor(INTEROP_NAMESPACE, 'elementCapabilities');
        if (!cls) return;
        for (const l of this.capabilityLinks) {
          yield this.make(INTEROP_NAMESPACE, cls, { ManagedElement: l.element, Capabilities: l.capabilities });
        }
        return;
      }
      case 'referencedProfile':
        yield* this.referencedProfiles();
        return;
      case 'conformsTo': {
        const here = ctx.namespace;
        const cls = this.classFor(here, 'conformsTo');
        if (!cls) return;
        const profiles = this.profileInstances();
        for (let i = 0; i < profiles.length; i++) {
          const p = this.profiles[i]!;
          // Outside the interop namespace a link shows only when its central instance lives there.
          if (here !== INTEROP_NAMESPACE && p.centralNamespace.toLowerCase() !== here.toLowerCase()) continue;
          const centralCtx = ctx.inNamespace(p.centralNamespace);
          let centrals: CimObjectPath[] = [];
          try {
            for await (const c of enumerateInstanceNames(centralCtx, p.centralClass)) centrals.push(c);
          } catch (e) {
            if (!(e instanceof CimError) || (e.status !== CimStatus.CIM_ERR_INVALID_CLASS && e.status !== CimStatus.CIM_ERR_INVALID_NAMESPACE)) throw e;
            centrals = [];
          }
          for (const c of centrals) {
            const central = new CimObjectPath(c.className, c.keys, p.centralNamespace, this.systemName);
            const profile = new CimObjectPath(profiles[i]!.path!.className, profiles[i]!.path!.keys, INTEROP_NAMESPACE, this.systemName);
            yield this.make(here, cls, { ConformantStandard: profile, ManagedElement: central });
          }
        }
        return;
      }
    }
  }

  /** See setHostSystem. Looked up per request: the host's provider may come and go with its namespace. */
  private async hostSystem(ctx: OperationContext): Promise<CimObjectPath> {
    if (this.hostSystemPath) return this.hostSystemPath;
    const wanted = this.systemName.toLowerCase();
    for (const p of this.profiles) {
      if (p.organization !== HOST_PROFILE.organization || p.name.toLowerCase() !== HOST_PROFILE.name.toLowerCase()) continue;
      try {
        for await (const c of enumerateInstanceNames(ctx.inNamespace(p.centralNamespace), p.centralClass)) {
          if (String(c.key('Name') ?? '').toLowerCase() === wanted) return new CimObjectPath(c.className, c.keys, p.centralNamespace, this.systemName);
        }
      } catch (e) {
        // A host provider that cannot answer must not hide the services: fall through to the default.
        if (!(e instanceof CimError)) throw e;
      }
    }
    // No provider serves the host: name it as the object manager's weak keys do, so that the
    // link still says which system hosts the services (AssociatorNames shows it; Associators
    // skips a far end that cannot be fetched).
    return CimObjectPath.instance('CIM_ComputerSystem', [
      { name: 'CreationClassName', type: 'string', value: 'CIM_ComputerSystem' },
      { name: 'Name', type: 'string', value: this.systemName },
    ], INTEROP_NAMESPACE, this.systemName);
  }
}
