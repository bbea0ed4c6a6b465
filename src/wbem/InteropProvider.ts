// The interop namespace (DSP1033): CIM_ObjectManager, a CIM_Namespace for every namespace
// (itself included), CIM_NamespaceInManager, one CIM_RegisteredProfile per implemented profile
// and CIM_ElementConformsToProfile from each profile to its central instances, traversable from
// both ends, and GetCentralInstances answering with the same central instances;
// CIM_HostedService from the host system to the services living here (the object manager, the
// indication service), traversable from the host's namespace too, and CIM_ElementCapabilities to
// their capabilities; CIM_ReferencedProfile from each component profile to the profile that
// scopes it. Where the schema defines TVDc_ subclasses of these classes, those are used instead.
import { CimError, CimStatus } from '../cim/CimError.js';
import { CimInstance } from '../cim/CimInstance.js';
import { CimProperty } from '../cim/CimProperty.js';
import { CimObjectPath } from '../cim/CimObjectPath.js';
import type { CimRepository } from '../cim/CimRepository.js';
import { NameMap } from '../cim/NameMap.js';
import { coerceValue } from '../cim/coerceValue.js';
import type { MethodResult, Provider, ProviderContext } from './Provider.js';
import { INTEROP_NAMESPACE, canonicalNamespace, namespaceKey } from './namespaceName.js';
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

type Role = keyof typeof BASE_CLASSES;

export class InteropProvider {
  private readonly profiles: ProfileRegistration[] = [];
  private readonly hostedServices: CimObjectPath[] = [];
  private readonly capabilityLinks: Array<{ element: CimObjectPath; capabilities: CimObjectPath }> = [];
  private readonly profileReferences: Array<{ antecedent: ProfileName; dependent: ProfileName }> = [];
  /** The system hosting this server, with its namespace (see WbemServerOptions.hostSystem). */
  readonly hostSystem: CimObjectPath;

  constructor(
    readonly repository: CimRepository,
    /** This host's name (SystemName of the object manager). */
    readonly systemName: string,
    /**
     * The CIM_ComputerSystem hosting this server: the system the weak keys of CIM_ObjectManager
     * and CIM_Namespace name, and the Antecedent of CIM_HostedService.
     */
    hostSystem: CimObjectPath,
  ) {
    this.hostSystem = new CimObjectPath(hostSystem.className, hostSystem.keys, canonicalNamespace(hostSystem.namespace ?? INTEROP_NAMESPACE), systemName);
  }

  /** SystemCreationClassName of the services scoped to the host system. */
  get systemCreationClassName(): string {
    return String(this.hostSystem.key('CreationClassName') ?? this.hostSystem.className);
  }

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
    // The host system's side of CIM_HostedService, so that a client starting at the host finds
    // the services living in the interop namespace. TVDc_HostedService there belongs to the
    // domain providers (the services of their own namespace): the DMTF class carries these links.
    const hostNs = this.hostSystem.namespace!;
    if (namespaceKey(hostNs) !== namespaceKey(ns) && this.repository.hasNamespace(hostNs) && this.repository.hasClass(hostNs, BASE_CLASSES.hostedService)) {
      out.push({ namespace: hostNs, className: this.repository.getClass(hostNs, BASE_CLASSES.hostedService).name, provider: this.providerFor('hostedService') });
    }
    return out;
  }

  private providerFor(role: Role): Provider {
    const provider: Provider = {
      enumerateInstances: (ctx: ProviderContext) => this.instances(ctx as OperationContext, role),
    };
    if (role === 'registeredProfile') {
      provider.invokeMethod = (ctx, path, method) => this.invokeProfileMethod(ctx as OperationContext, path, method);
    }
    return provider;
  }

  /**
   * Methods of CIM_RegisteredProfile. GetCentralInstances (DSP1033 1.1) answers with the central
   * instances CIM_ElementConformsToProfile links the profile to; the deprecated conformant-instance
   * enumeration it replaces returns 1 (Not Supported), a value of those methods' ValueMap.
   */
  private async invokeProfileMethod(ctx: OperationContext, path: CimObjectPath, method: string): Promise<MethodResult> {
    const cls = this.classFor(INTEROP_NAMESPACE, 'registeredProfile');
    const id = path.key('InstanceID');
    const index = cls === null ? -1 : this.profiles.findIndex((p) => profileId(p) === id);
    if (index < 0) throw new CimError(CimStatus.CIM_ERR_NOT_FOUND, `no registered profile with InstanceID ${JSON.stringify(id ?? null)}`);
    switch (method.toLowerCase()) {
      case 'getcentralinstances':
        return { returnValue: 0, outParams: [{ name: 'CentralInstances', value: await this.centralInstances(ctx, this.profiles[index]!) }] };
      case 'openconformantinstances':
      case 'pullconformantinstances':
      case 'closeconformantinstances':
        return { returnValue: 1 };
      default:
        throw new CimError(CimStatus.CIM_ERR_METHOD_NOT_AVAILABLE, `${path.className}.${method} is not implemented`);
    }
  }

  /**
   * The central instances of a registered profile, with full paths. A central class or namespace
   * the schema lacks (a provider's optional part) means none, not an error.
   */
  private async centralInstances(ctx: OperationContext, p: ProfileRegistration): Promise<CimObjectPath[]> {
    const out: CimObjectPath[] = [];
    try {
      for await (const c of enumerateInstanceNames(ctx.inNamespace(p.centralNamespace), p.centralClass)) {
        out.push(new CimObjectPath(c.className, c.keys, p.centralNamespace, this.systemName));
      }
    } catch (e) {
      if (!(e instanceof CimError) || (e.status !== CimStatus.CIM_ERR_INVALID_CLASS && e.status !== CimStatus.CIM_ERR_INVALID_NAMESPACE)) throw e;
      return [];
    }
    return out;
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
      SystemCreationClassName: this.systemCreationClassName, SystemName: this.systemName, CreationClassName: cls,
      Name: `tvdc:${this.systemName}`, ElementName: 'tvdc', Description: 'tvdc host agent WBEM server',
      EnabledState: 2, RequestedState: 12, Started: true,
    });
  }

  private namespaces(): CimInstance[] {
    const cls = this.classFor(INTEROP_NAMESPACE, 'namespace');
    const om = this.objectManager();
    if (!cls || !om) return [];
    return this.repository.namespaces().map((ns) => this.make(INTEROP_NAMESPACE, cls, {
      SystemCreationClassName: this.systemCreationClassName, SystemName: this.systemName,
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
      InstanceID: profileId(p),
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
        // Served in the interop namespace and in the host system's: the same links from both ends.
        const here = ctx.namespace;
        const cls = namespaceKey(here) === namespaceKey(INTEROP_NAMESPACE) ? this.classFor(here, 'hostedService') : this.repository.getClass(here, BASE_CLASSES.hostedService).name;
        if (!cls) return;
        const om = this.objectManager();
        const services = [...(om ? [this.inInterop(om.path!)] : []), ...this.hostedServices];
        for (const s of services) yield this.make(here, cls, { Antecedent: this.hostSystem, Dependent: s });
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
          const profile = new CimObjectPath(profiles[i]!.path!.className, profiles[i]!.path!.keys, INTEROP_NAMESPACE, this.systemName);
          for (const central of await this.centralInstances(ctx, p)) {
            yield this.make(here, cls, { ConformantStandard: profile, ManagedElement: central });
          }
        }
        return;
      }
    }
  }
}

/** A registered profile's InstanceID: <organization>:<name>:<version>. */
function profileId(p: ProfileRegistration): string {
  return `${p.otherOrganization ?? ORG_NAMES[p.organization] ?? p.organization}:${p.name}:${p.version}`;
}
