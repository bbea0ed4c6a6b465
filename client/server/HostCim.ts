// What the management server asks of a host over CIM for isolation (docs/isolation-cim.md): is it
// a tvdc host and what is its name, its VMs with their labels and states, its policies, and the
// TVDc_SecurityService calls that deploy a policy and label VMs.
import { CimError, CimStatus, ClientError, WbemConnection, type ConnectionOptions, type MethodResult } from '../cim/index.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import type { CimInstance } from '../../src/cim/CimInstance.js';
import type { Policy } from '../../src/tvdc/policy/Policy.js';
import type { HostLogin } from './ServerContext.js';
import { ApiError } from './ApiError.js';
import { hostClientMessage, refusedLogin } from './hostFailure.js';

/** Where a host's TVDc classes live. */
export const TVDC_NAMESPACE = 'root/tvdc';
export const ISOLATION_PROFILE = 'TVDc Isolation';
const INTEROP_NAMESPACE = 'root/interop';

/** EnabledState values a VM reports, by name. */
const VM_STATE: Record<number, string> = { 2: 'running', 3: 'stopped', 6: 'suspended', 9: 'paused' };

export interface HostPolicyView {
  name: string;
  version: string;
  active: boolean;
  path: CimObjectPath;
}

/** A property's value as text; null when it is null or absent. */
export function propertyText(i: CimInstance, prop: string): string | null {
  const v = i.get(prop);
  return v === null || v === undefined ? null : String(v);
}

/** The connection options that log in to a host as the server does: its user and password, the CA of an HTTPS host. */
export function loginOptions(login: HostLogin): Pick<ConnectionOptions, 'user' | 'password' | 'tls'> {
  return {
    ...(login.user ? { user: login.user, password: login.password ?? '' } : {}),
    ...(login.ca ? { tls: { ca: login.ca } } : {}),
  };
}

/**
 * Asks `url` whether it is a tvdc host: its interop namespace registers the "TVDc Isolation"
 * profile and root/tvdc has one TVDc_HostSystem, whose Name is the host's name. Throws ApiError:
 * HOST_UNREACHABLE, or BAD_REQUEST when something answers but is not a tvdc host.
 */
export async function probeHost(url: string, creds: { user?: string; password?: string; ca?: string }): Promise<{ name: string; profiles: string[] }> {
  const { ca, ...login } = creds;
  const conn = new WbemConnection(url, { namespace: INTEROP_NAMESPACE, timeouts: { connect: 5_000, headers: 15_000, body: 15_000, total: 30_000 }, retries: 0, ...login, ...(ca ? { tls: { ca } } : {}) });
  try {
    let profiles: string[];
    try {
      profiles = (await conn.enumerateInstances('CIM_RegisteredProfile').toArray()).map((p) => propertyText(p, 'RegisteredName') ?? '');
    } catch (e) {
      throw notTvdc(url, e);
    }
    if (!profiles.includes(ISOLATION_PROFILE)) throw ApiError.badRequest(`${url} is not a tvdc host: its interop namespace registers no "${ISOLATION_PROFILE}" profile`);
    let hosts: CimInstance[];
    try {
      hosts = await conn.enumerateInstances('TVDc_HostSystem', { namespace: TVDC_NAMESPACE }).toArray();
    } catch (e) {
      throw notTvdc(url, e);
    }
    const name = hosts.length === 1 ? propertyText(hosts[0]!, 'Name') : null;
    if (!name) throw ApiError.badRequest(`${url} is not a tvdc host: expected one TVDc_HostSystem in ${TVDC_NAMESPACE}, found ${hosts.length}`);
    return { name, profiles };
  } finally {
    await conn.close();
  }
}

/**
 * What a failed probe of `url` means. Unlike hostFailure (a managed host failing a call), an answer
 * that is not CIM-XML, or a CIM error, says the URL is no tvdc host; a refused login is the
 * caller's to mend, as he gives the credentials.
 */
function notTvdc(url: string, e: unknown): ApiError {
  if (e instanceof CimError) return ApiError.badRequest(`${url} is not a tvdc host: ${e.message}`);
  if (e instanceof ClientError) {
    // An HTTP server that does not speak CIM-XML at all.
    if (e.code === 'HTTP_STATUS' || e.code === 'BAD_CONTENT_TYPE' || e.code === 'RESPONSE_PARSE' || e.code === 'PROTOCOL') {
      return ApiError.badRequest(`${url} is not a tvdc host: ${e.message}`);
    }
    // TOO_MANY_ATTEMPTS: the host refuses this server's address for a while, whatever is given now.
    if (refusedLogin(e)) return ApiError.hostRefused(`${url}: ${hostClientMessage(e, 'given')}`);
    return ApiError.hostUnreachable(`${url}: ${hostClientMessage(e, 'given')}`);
  }
  // Transport failures.
  return ApiError.hostUnreachable(`${url}: ${(e as Error)?.message ?? String(e)}`);
}

export interface ResourceView {
  name: string;
  label: string | null;
}

export interface SegmentView extends ResourceView {
  /** `VLAN 10` or `VNI 5001`. */
  network: string;
}

export interface VmView {
  name: string;
  state: string;
  /** The label name alone (`MarketAnalysis`), null when unlabeled. */
  label: string | null;
  /** As the host reports it, `ACM:<policy>:<label>`. */
  securityLabel: string | null;
  /** The host's disks and network segments the VM was given. */
  disks: string[];
  segments: string[];
}

/** What a host's isolation looks like: its own label, its VMs, and the resources they use. */
export interface IsolationView {
  label: string | null;
  vms: VmView[];
  disks: ResourceView[];
  segments: SegmentView[];
}

/** `ACM:<policy>:<label>` (or a label path's `TVDc:<policy>:<kind>:<label>`) to the label name. */
function labelName(text: string | null, skip: number): string | null {
  if (!text) return null;
  const parts = text.split(':');
  return parts.length > skip ? parts.slice(skip).join(':') : text;
}

/** Every VM with its state and label, the host's label, its disks and segments with theirs. */
export async function readIsolation(conn: WbemConnection): Promise<IsolationView> {
  const [systems, settings, allocations, disks, segments, labelLinks] = await Promise.all([
    conn.enumerateInstances('TVDc_ComputerSystem').toArray(),
    conn.enumerateInstances('TVDc_VirtualSystemSettingData').toArray(),
    conn.enumerateInstances('TVDc_ResourceAllocationSettingData').toArray(),
    conn.enumerateInstances('TVDc_LogicalDisk').toArray(),
    conn.enumerateInstances('TVDc_NetworkSegment').toArray(),
    conn.enumerateInstances('TVDc_ElementSecurityLabel').toArray(),
  ]);
  // Labels of the host, disks and segments, from the association that links each to its label.
  const labelOf = new Map<string, string | null>();
  for (const link of labelLinks) {
    const el = link.get('ManagedElement');
    const level = link.get('SecurityLevel');
    if (!(el instanceof CimObjectPath) || !(level instanceof CimObjectPath)) continue;
    const name = el.className === 'TVDc_LogicalDisk' ? el.key('DeviceID') : el.className === 'TVDc_NetworkSegment' ? String(el.key('InstanceID') ?? '').replace(/^TVDc:segment:/, '') : el.key('Name');
    labelOf.set(`${el.className}/${String(name)}`, labelName(String(level.key('InstanceID') ?? ''), 3));
  }
  const vmLabel = new Map<string, string | null>();
  for (const s of settings) {
    const id = propertyText(s, 'InstanceID');
    if (id?.startsWith('TVDc:')) vmLabel.set(id.slice('TVDc:'.length), propertyText(s, 'SecurityLabel'));
  }
  const given = new Map<string, { disks: string[]; segments: string[] }>();
  for (const a of allocations) {
    const m = /^TVDc:(.+):(disk|nic):(.+)$/.exec(propertyText(a, 'InstanceID') ?? '');
    if (!m) continue;
    const entry = given.get(m[1]!) ?? { disks: [], segments: [] };
    (m[2] === 'disk' ? entry.disks : entry.segments).push(m[3]!);
    given.set(m[1]!, entry);
  }
  const hostName = [...labelOf.keys()].find((k) => k.startsWith('TVDc_HostSystem/'));
  return {
    label: hostName ? labelOf.get(hostName) ?? null : null,
    vms: systems
      .map((s) => {
        const name = propertyText(s, 'Name') ?? '';
        const securityLabel = vmLabel.get(name) ?? null;
        const state = Number(s.get('EnabledState'));
        const g = given.get(name);
        return { name, state: VM_STATE[state] ?? `EnabledState ${state}`, label: labelName(securityLabel, 2), securityLabel, disks: g?.disks.sort() ?? [], segments: g?.segments.sort() ?? [] };
      })
      .sort((a, b) => a.name.localeCompare(b.name)),
    disks: disks
      .map((d) => ({ name: propertyText(d, 'DeviceID') ?? '', label: labelOf.get(`TVDc_LogicalDisk/${propertyText(d, 'DeviceID')}`) ?? null }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    segments: segments
      .map((g) => {
        const name = (propertyText(g, 'InstanceID') ?? '').replace(/^TVDc:segment:/, '');
        const vlan = propertyText(g, 'VLANId');
        const vni = propertyText(g, 'VNI');
        return { name, network: vlan ? `VLAN ${vlan}` : vni ? `VNI ${vni}` : '-', label: labelOf.get(`TVDc_NetworkSegment/${name}`) ?? null };
      })
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}

/** The host's policies: the active one and any loaded but waiting for activation. */
export async function readPolicies(conn: WbemConnection): Promise<HostPolicyView[]> {
  const all = await conn.enumerateInstances('TVDc_SecurityPolicy').toArray();
  return all.map((p) => {
    const groupName = propertyText(p, 'PolicyGroupName') ?? '';
    const active = Number(p.get('Enabled')) === 1;
    return { name: active ? groupName : groupName.replace(/:[^:]*$/, ''), version: propertyText(p, 'PolicyVersion') ?? '', active, path: withNamespace(p.path!) };
  });
}

/** The policy the host enforces now (its active TVDc_SecurityPolicy), or null when none is active. */
export async function readActivePolicy(conn: WbemConnection): Promise<{ name: string; version: string } | null> {
  const active = (await readPolicies(conn)).find((p) => p.active);
  return active ? { name: active.name, version: active.version } : null;
}

/**
 * The labels and conflict sets a host enforces (those of its active policy), one line each in the
 * form of policyRules, to tell whether a policy of the same name and version is the same policy.
 */
export async function readActiveRules(conn: WbemConnection): Promise<string[]> {
  const [labels, conflicts] = await Promise.all([
    conn.enumerateInstances('TVDc_SecurityLabel').toArray(),
    conn.enumerateInstances('TVDc_ConflictSet').toArray(),
  ]);
  const list = (i: CimInstance, prop: string) => {
    const v = i.get(prop);
    return Array.isArray(v) ? v.map(String) : [];
  };
  return [
    ...labels.map((l) => Number(l.get('LabelType')) === 2
      ? rule('vm', propertyText(l, 'Name') ?? '', list(l, 'STETypes'), list(l, 'ChineseWallTypes'))
      : rule('resource', propertyText(l, 'Name') ?? '', list(l, 'STETypes'))),
    ...conflicts.map((c) => rule('conflict', propertyText(c, 'Name') ?? '', list(c, 'Types'))),
  ].sort();
}

/** What of `p` a host enforces, in the form readActiveRules reads it. */
export function policyRules(p: Policy): string[] {
  return [
    ...p.vmLabels.map((l) => rule('vm', l.name, l.ste, l.cw)),
    ...p.resourceLabels.map((l) => rule('resource', l.name, [l.ste])),
    ...p.conflictSets.map((c) => rule('conflict', c.name, c.types)),
  ].sort();
}

function rule(kind: string, name: string, ...typeLists: string[][]): string {
  return [kind, name, ...typeLists.map((t) => [...t].sort().join(','))].join(' ');
}

function withNamespace(p: CimObjectPath): CimObjectPath {
  return new CimObjectPath(p.className, p.keys, TVDC_NAMESPACE);
}

export function securityService(host: string): CimObjectPath {
  return CimObjectPath.instance('TVDc_SecurityService', {
    SystemCreationClassName: 'TVDc_HostSystem', SystemName: host, CreationClassName: 'TVDc_SecurityService', Name: 'SecurityService',
  }, TVDC_NAMESPACE);
}

export function vmPath(vm: string): CimObjectPath {
  return CimObjectPath.instance('TVDc_ComputerSystem', { CreationClassName: 'TVDc_ComputerSystem', Name: vm }, TVDC_NAMESPACE);
}

/** Whether the host has `vm` (CIM_ERR_NOT_FOUND: it has not); any other failure is thrown. */
export async function hasVm(conn: WbemConnection, vm: string): Promise<boolean> {
  try {
    await conn.getInstance(vmPath(vm), { propertyList: ['EnabledState'] });
    return true;
  } catch (e) {
    if (e instanceof CimError && e.status === CimStatus.CIM_ERR_NOT_FOUND) return false;
    throw e;
  }
}

/** The label the host enforces for `vm` (its settings' SecurityLabel), by name; null when unlabeled. */
export async function readVmLabel(conn: WbemConnection, vm: string): Promise<string | null> {
  const settings = await conn.getInstance(CimObjectPath.instance('TVDc_VirtualSystemSettingData', { InstanceID: `TVDc:${vm}` }, TVDC_NAMESPACE), { propertyList: ['SecurityLabel'] });
  return labelName(propertyText(settings, 'SecurityLabel'), 2);
}

export function diskPath(host: string, disk: string): CimObjectPath {
  return CimObjectPath.instance('TVDc_LogicalDisk', {
    SystemCreationClassName: 'TVDc_HostSystem', SystemName: host, CreationClassName: 'TVDc_LogicalDisk', DeviceID: disk,
  }, TVDC_NAMESPACE);
}

export function segmentPath(segment: string): CimObjectPath {
  return CimObjectPath.instance('TVDc_NetworkSegment', { InstanceID: `TVDc:segment:${segment}` }, TVDC_NAMESPACE);
}

/** The strings of an out parameter (Errors), or the single Reason. */
export function outText(r: MethodResult, name: string): string[] {
  const v = r.outParams.get(name)?.value;
  if (v === null || v === undefined) return [];
  return Array.isArray(v) ? v.map(String) : [String(v)];
}

export function returnCode(r: MethodResult): number {
  return Number(r.returnValue);
}
