// VLAN IDs and VXLAN VNIs are a datacenter-wide resource: the hosts share one switch fabric, so a
// VLAN of one TVDc's segment carried by another TVDc's segment joins the two networks whatever
// their labels say. A host refuses a second segment on a VLAN it has; only the management server,
// which sees every TVDc, can refuse one that another TVDc's hosts already carry.
import { ApiError } from './ApiError.js';
import type { Principal } from './ApiRouter.js';
import { propertyText } from './HostCim.js';
import { hostFailure } from './hostFailure.js';
import type { HostRecord, ServerContext } from './ServerContext.js';

/** An 802.1Q VLAN ID or a VXLAN VNI (the two are separate number spaces). */
export type SegmentNetwork = { vlan: number } | { vni: number };

function describe(n: SegmentNetwork): string {
  return 'vlan' in n ? `VLAN ${n.vlan}` : `VNI ${n.vni}`;
}

/** Whether a TVDc_NetworkSegment instance carries `n`. */
function carries(props: { vlan: string | null; vni: string | null }, n: SegmentNetwork): boolean {
  return 'vlan' in n ? props.vlan !== null && Number(props.vlan) === n.vlan : props.vni !== null && Number(props.vni) === n.vni;
}

/**
 * Refuses (409 CONFLICT) a segment on `n` for TVDc `group` when a host of another TVDc has a
 * segment on the same network, and (502 HOST_UNREACHABLE) when such a host cannot be asked: a
 * network that cannot be shown unused is not handed out. A dcadmin is told which TVDc, host and
 * segment; anyone else only "another TVDc".
 */
export async function requireNetworkUnused(ctx: ServerContext, principal: Principal, group: string, n: SegmentNetwork): Promise<void> {
  const others = ctx.hosts.list().filter((h) => h.group !== null && h.group !== group);
  const where = (h: HostRecord, segment: string) =>
    principal.role === 'dcadmin' ? `TVDc ${h.group} (segment ${segment} on host ${h.name})` : 'another TVDc';
  const found = await Promise.all(others.map(async (h) => {
    try {
      const segments = await ctx.hosts.connection(h.name).enumerateInstances('TVDc_NetworkSegment').toArray();
      const hit = segments.find((s) => carries({ vlan: propertyText(s, 'VLANId'), vni: propertyText(s, 'VNI') }, n));
      return hit ? { host: h, segment: (propertyText(hit, 'InstanceID') ?? '').replace(/^TVDc:segment:/, ''), failure: undefined } : null;
    } catch (e) {
      const err = hostFailure(h.name, e);
      if (!err) throw e;
      return { host: h, segment: undefined, failure: err };
    }
  }));
  for (const f of found) {
    if (f?.segment !== undefined) throw ApiError.conflict(`${describe(n)} is already used by ${where(f.host, f.segment)}; a VLAN or VNI belongs to one TVDc across the datacenter`);
  }
  for (const unasked of found) {
    if (unasked?.failure === undefined) continue;
    const which = principal.role === 'dcadmin' ? `host ${unasked.host.name} of TVDc ${unasked.host.group} did not answer (${unasked.failure.message})` : 'a host of another TVDc did not answer';
    throw new ApiError(unasked.failure.status, unasked.failure.code, `cannot check that ${describe(n)} is unused by other TVDcs: ${which}; nothing was created`);
  }
}
