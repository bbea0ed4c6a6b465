// What the management server asks of a host over CIM for isolation (docs/isolation-cim.md): is it
// a tvdc host and what is its name, its VMs with their labels and states, its policies, and the
// TVDc_SecurityService calls that deploy a policy and label VMs.
import { WbemConnection, type MethodResult } from '../cim/index.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import type { CimInstance } from '../../src/cim/CimInstance.js';
import { ApiError } from './ApiError.js';
import { TVDC_NAMESPACE } from './HostRegistry.js';

export const ISOLATION_PROFILE = 'TVDc Isolation';
const INTEROP_NAMESPACE = 'root/interop';

/** EnabledState values a VM reports, by name. */
const VM_STATE: Record<number, string> = { 2: 'running', 3: 'stopped', 6: 'suspended', 9: 'paused' };

export interface VmView {
  name: string;
  state: string;
  /** The label name alone (`MarketAnalysis`), null when unlabeled. */
  label: string | null;
  /** As the host reports it, `ACM:<policy>:<label>`. */
  securityLabel: string | null;
}

export interface HostPolicyView {
  name: string;
  version: string;
  active: boolean;
  path: CimObjectPath;
}

function text(i: CimInstance, prop: string): string | null {
  const v = i.get(prop);
  return v === null || v === undefined ? null : String(v);
}

/**
 * Asks `url` whether it is a tvdc host: its interop namespace registers the "TVDc Isolation"
 * profile and root/tvdc has one TVDc_HostSystem, whose Name is the host's name. Throws ApiError:
 * HOST_UNREACHABLE, or BAD_REQUEST when something answers but is not a tvdc host.
 */
export async function probeHost(url: string, creds: { user?: string; password?: string }): Promise<{ name: string; profiles: string[] }> {
  const conn = new WbemConnection(url, { namespace: INTEROP_NAMESPACE, timeouts: { connect: 5_000, headers: 15_000, body: 15_000 }, retries: 0, ...creds });
  try {
    let profiles: string[];
    try {
      profiles = (await conn.enumerateInstances('CIM_RegisteredProfile').toArray()).map((p) => text(p, 'RegisteredName') ?? '');
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
    const name = hosts.length === 1 ? text(hosts[0]!, 'Name') : null;
    if (!name) throw ApiError.badRequest(`${url} is not a tvdc host: expected one TVDc_HostSystem in ${TVDC_NAMESPACE}, found ${hosts.length}`);
    return { name, profiles };
  } finally {
    await conn.close();
  }
}

function notTvdc(url: string, e: unknown): ApiError {
  const err = e as { code?: string; message?: string; name?: string };
  if (err?.name === 'CimError') return ApiError.badRequest(`${url} is not a tvdc host: ${err.message}`);
  // Transport failures, and an HTTP server that does not speak CIM-XML at all.
  if (err?.code === 'HTTP_STATUS' || err?.code === 'BAD_CONTENT_TYPE' || err?.code === 'RESPONSE_PARSE' || err?.code === 'PROTOCOL') {
    return ApiError.badRequest(`${url} is not a tvdc host: ${err.message}`);
  }
  if (err?.code === 'AUTH_REQUIRED' || err?.code === 'FORBIDDEN') return ApiError.hostRefused(`${url}: ${err.message} (give the host's user and password)`);
  return ApiError.hostUnreachable(`${url}: ${err?.message ?? String(e)}`);
}

/** Every VM of the host with its state and label. */
export async function readVms(conn: WbemConnection): Promise<VmView[]> {
  const [systems, settings] = await Promise.all([
    conn.enumerateInstances('TVDc_ComputerSystem').toArray(),
    conn.enumerateInstances('TVDc_VirtualSystemSettingData').toArray(),
  ]);
  const labelOf = new Map<string, string | null>();
  for (const s of settings) {
    const id = text(s, 'InstanceID');
    if (id?.startsWith('TVDc:')) labelOf.set(id.slice('TVDc:'.length), text(s, 'SecurityLabel'));
  }
  return systems
    .map((s) => {
      const name = text(s, 'Name') ?? '';
      const securityLabel = labelOf.get(name) ?? null;
      const state = Number(s.get('EnabledState'));
      return { name, state: VM_STATE[state] ?? `EnabledState ${state}`, label: securityLabel ? securityLabel.split(':').slice(2).join(':') || securityLabel : null, securityLabel };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The host's policies: the active one and any loaded but waiting for activation. */
export async function readPolicies(conn: WbemConnection): Promise<HostPolicyView[]> {
  const all = await conn.enumerateInstances('TVDc_SecurityPolicy').toArray();
  return all.map((p) => {
    const groupName = text(p, 'PolicyGroupName') ?? '';
    const active = Number(p.get('Enabled')) === 1;
    return { name: active ? groupName : groupName.replace(/:[^:]*$/, ''), version: text(p, 'PolicyVersion') ?? '', active, path: withNamespace(p.path!) };
  });
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

/** The strings of an out parameter (Errors), or the single Reason. */
export function outText(r: MethodResult, name: string): string[] {
  const v = r.outParams.get(name)?.value;
  if (v === null || v === undefined) return [];
  return Array.isArray(v) ? v.map(String) : [String(v)];
}

export function returnCode(r: MethodResult): number {
  return Number(r.returnValue);
}
