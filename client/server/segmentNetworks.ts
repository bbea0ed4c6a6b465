// VLAN IDs and VXLAN VNIs are a datacenter-wide resource: the hosts share one switch fabric, so a
// VLAN of one TVDc's segment carried by another TVDc's segment joins the two networks whatever
// their labels say. A host refuses a second segment on a VLAN it has; only the management server,
// which sees every TVDc, can refuse one that another TVDc's hosts already carry, whether the
// network comes as a new segment or with a host joining a TVDc.
import type { WbemConnection } from '../cim/index.js';
import { ApiError } from './ApiError.js';
import type { Principal } from './ApiRouter.js';
import { propertyText } from './HostCim.js';
import { hostFailure } from './hostFailure.js';
import type { HostRecord, ServerContext } from './ServerContext.js';

/** An 802.1Q VLAN ID or a VXLAN VNI (the two are separate number spaces). */
export type SegmentNetwork = { vlan: number } | { vni: number };

const RULE = 'a VLAN or VNI belongs to one TVDc across the datacenter';

function describe(n: SegmentNetwork): string {
  return 'vlan' in n ? `VLAN ${n.vlan}` : `VNI ${n.vni}`;
}

function same(a: SegmentNetwork, b: SegmentNetwork): boolean {
  return 'vlan' in a ? 'vlan' in b && a.vlan === b.vlan : 'vni' in b && a.vni === b.vni;
}

interface CarriedSegment {
  segment: string;
  network: SegmentNetwork;
}

/** What one host answered: its segments, or why it could not be asked. */
type Reading = { host: HostRecord; segments: CarriedSegment[]; failure?: undefined } | { host: HostRecord; segments?: undefined; failure: ApiError };

async function segmentsOf(conn: WbemConnection): Promise<CarriedSegment[]> {
  const carried: CarriedSegment[] = [];
  for (const s of await conn.enumerateInstances('TVDc_NetworkSegment').toArray()) {
    const segment = (propertyText(s, 'InstanceID') ?? '').replace(/^TVDc:segment:/, '');
    const vlan = propertyText(s, 'VLANId');
    const vni = propertyText(s, 'VNI');
    if (vlan !== null) carried.push({ segment, network: { vlan: Number(vlan) } });
    if (vni !== null) carried.push({ segment, network: { vni: Number(vni) } });
  }
  return carried;
}

/** Asks every host at once; a host that cannot be asked is a reading with its failure, not a throw. */
function read(ctx: ServerContext, hosts: readonly HostRecord[]): Promise<Reading[]> {
  return Promise.all(hosts.map(async (host): Promise<Reading> => {
    try {
      return { host, segments: await segmentsOf(ctx.hosts.connection(host.name)) };
    } catch (e) {
      const failure = hostFailure(host.name, e);
      if (!failure) throw e;
      return { host, failure };
    }
  }));
}

function othersThan(ctx: ServerContext, group: string): HostRecord[] {
  return ctx.hosts.list().filter((h) => h.group !== null && h.group !== group);
}

/** Where another TVDc uses a network: the whole answer for a dcadmin, "another TVDc" for anyone else. */
function usedBy(principal: Principal, h: HostRecord, segment: string): string {
  return principal.role === 'dcadmin' ? `TVDc ${h.group} (segment ${segment} on host ${h.name})` : 'another TVDc';
}

function unanswered(principal: Principal, h: HostRecord, failure: ApiError): string {
  return principal.role === 'dcadmin' ? `host ${h.name} of TVDc ${h.group} did not answer (${failure.message})` : 'a host of another TVDc did not answer';
}

function firstUse(readings: readonly Reading[], n: SegmentNetwork): { host: HostRecord; segment: string } | null {
  for (const r of readings) {
    const hit = r.segments?.find((s) => same(s.network, n));
    if (hit) return { host: r.host, segment: hit.segment };
  }
  return null;
}

/**
 * Refuses (409 CONFLICT) a segment on `n` for TVDc `group` when a host of another TVDc has a
 * segment on the same network, and (502 HOST_UNREACHABLE) when such a host cannot be asked: a
 * network that cannot be shown unused is not handed out. A dcadmin is told which TVDc, host and
 * segment; anyone else only "another TVDc".
 */
export async function requireNetworkUnused(ctx: ServerContext, principal: Principal, group: string, n: SegmentNetwork): Promise<void> {
  const readings = await read(ctx, othersThan(ctx, group));
  const use = firstUse(readings, n);
  if (use) throw ApiError.conflict(`${describe(n)} is already used by ${usedBy(principal, use.host, use.segment)}; ${RULE}`);
  const silent = readings.find((r) => r.failure);
  if (silent?.failure) {
    throw silent.failure.withMessage(`cannot check that ${describe(n)} is unused by other TVDcs: ${unanswered(principal, silent.host, silent.failure)}; nothing was created`);
  }
}

/**
 * Refuses hosts joining TVDc `group` that carry a segment on a VLAN or VNI a host of another TVDc
 * carries (409 CONFLICT, naming the joining host, its segment and the network), and any joining
 * or other-TVDc host that cannot be asked (its own status and code, as for a new segment). Hosts
 * with no segments need no other host to answer.
 */
export async function requireHostsMayJoin(ctx: ServerContext, principal: Principal, group: string, joining: readonly HostRecord[]): Promise<void> {
  const own = await read(ctx, joining);
  const silentJoiner = own.find((r) => r.failure);
  if (silentJoiner?.failure) {
    const { host, failure } = silentJoiner;
    throw failure.withMessage(`cannot check the VLANs and VNIs of host ${host.name} against other TVDcs: it did not answer (${failure.message}); no host was added`);
  }
  const carried = own.flatMap((r) => (r.segments ?? []).map((s) => ({ host: r.host, ...s })));
  if (carried.length === 0) return;
  const readings = await read(ctx, othersThan(ctx, group));
  for (const c of carried) {
    const use = firstUse(readings, c.network);
    if (use) {
      throw ApiError.conflict(`host ${c.host.name} carries ${describe(c.network)} (segment ${c.segment}), already used by ${usedBy(principal, use.host, use.segment)}; ${RULE}; no host was added`);
    }
  }
  const silent = readings.find((r) => r.failure);
  if (silent?.failure) {
    const networks = [...new Set(carried.map((c) => describe(c.network)))];
    throw silent.failure.withMessage(
      `cannot check that the joining hosts' ${networks.join(', ')} ${networks.length === 1 ? 'is' : 'are'} unused by other TVDcs: ${unanswered(principal, silent.host, silent.failure)}; no host was added`);
  }
}

// Keyed by the server's database: one server, one queue, whichever module asks.
const queues = new WeakMap<object, Promise<unknown>>();

/**
 * Runs `work` after every earlier network change of this server has settled: a check that a
 * network is unused and the change it allows (a segment created, a host put into a TVDc) are one
 * step, so two requests racing cannot both find a VLAN free and both take it.
 */
export function oneNetworkChangeAtATime<T>(ctx: ServerContext, work: () => Promise<T>): Promise<T> {
  const before = queues.get(ctx.db) ?? Promise.resolve();
  const run = before.then(work, work);
  queues.set(ctx.db, run.catch(() => undefined));
  return run;
}
