// Network segments for a TVDc (the paper: "for VLAN isolation, it is desirable ... for the overall
// Datacenter Administrator to have the ability to create new virtual interfaces and bridges
// necessary to assign the correct isolation labels"): the dcadmin creates an 802.1Q VLAN or VXLAN
// segment on every host of a TVDc, labeled with a resource label, in one request; each host
// answers for itself, as in a policy deployment.
import { CimInstance } from '../../src/cim/CimInstance.js';
import { CimProperty } from '../../src/cim/CimProperty.js';
import type { Policy } from '../../src/tvdc/policy/Policy.js';
import { ApiError } from './ApiError.js';
import { requireDcAdmin, type ApiRouter } from './ApiRouter.js';
import { bodyObject, optionalString, stringField } from './body.js';
import { GroupStore } from './GroupStore.js';
import { segmentPath } from './HostCim.js';
import { assignOnHost, requireUndrifted } from './labelOnHost.js';
import { hostFailure } from './hostFailure.js';
import { oneNetworkChangeAtATime, requireNetworkUnused } from './segmentNetworks.js';
import type { ServerContext, ServerModule } from './ServerContext.js';

/** Segment names go into CIM keys and URLs. */
const SEGMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface SegmentResult {
  host: string;
  ok: boolean;
  message: string;
}

function integerField(body: unknown, field: string, max: number): number | undefined {
  const v = bodyObject(body)[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) throw ApiError.badRequest(`"${field}" must be an integer from 1 to ${max}`);
  return v;
}

export const segmentsModule: ServerModule = {
  name: 'segments',
  register(router: ApiRouter, ctx: ServerContext): void {
    const groups = new GroupStore(ctx.db);

    /** Runs `step` on every host of the TVDc at once; a host's failure is its own line. */
    const onEveryHost = async (group: string, step: (host: string) => Promise<string>): Promise<SegmentResult[]> => {
      const hosts = groups.hostsOf(group);
      if (hosts.length === 0) throw ApiError.conflict(`TVDc ${group} has no hosts`);
      return Promise.all(hosts.map(async (host) => {
        try {
          return { host, ok: true, message: await step(host) };
        } catch (e) {
          const err = hostFailure(host, e);
          if (!err) throw e;
          return { host, ok: false, message: `${err.code}: ${err.message}` };
        }
      }));
    };

    router.route('POST', '/api/groups/:group/segments', async ({ principal, params, body }) => {
      requireDcAdmin(principal);
      const group = params['group']!;
      groups.require(group);
      const name = stringField(body, 'name');
      if (!SEGMENT_NAME.test(name)) throw ApiError.badRequest(`segment name must be 1-64 letters, digits, ".", "_" or "-", not ${JSON.stringify(name)}`);
      const vlan = integerField(body, 'vlan', 4094);
      const vni = integerField(body, 'vni', 16_777_215);
      if ((vlan === undefined) === (vni === undefined)) throw ApiError.badRequest('give exactly one of "vlan" (802.1Q, 1-4094) and "vni" (VXLAN)');
      const label = optionalString(body, 'label');
      // Checked up front, so a label no host could take creates nothing anywhere; each host's
      // deployed policy is read (and parsed) once, here.
      const deployed = new Map<string, Policy>();
      if (label !== undefined) {
        for (const host of groups.hostsOf(group)) {
          const p = groups.deployedPolicy(group, host);
          if (!p) throw ApiError.conflict(`host ${host} has no policy of TVDc ${group} yet: deploy it first (tvdc policy deploy ${group})`);
          if (!p.resourceLabels.some((l) => l.name === label)) throw ApiError.notFound(`label ${label} is not a resource label of policy ${p.header.name} ${p.header.version} deployed to host ${host}`);
          deployed.set(host, p);
        }
      }
      const createOn = async (host: string): Promise<string> => {
        const conn = ctx.hosts.connection(host);
        const policy = deployed.get(host);
        // Before anything is made there: a drifted host gets no segment rather than an unlabeled one.
        if (policy) await requireUndrifted(ctx, group, host, policy.header, `labeling segment ${name}`);
        const seg = new CimInstance('TVDc_NetworkSegment');
        seg.properties.set('InstanceID', new CimProperty('InstanceID', 'string', `TVDc:segment:${name}`));
        if (vlan !== undefined) seg.properties.set('VLANId', new CimProperty('VLANId', 'uint16', vlan));
        else seg.properties.set('VNI', new CimProperty('VNI', 'uint32', vni!));
        await conn.createInstance(seg, { namespace: 'root/tvdc' });
        if (!policy || label === undefined) return 'created';
        try {
          await assignOnHost(ctx, host, segmentPath(name), `segment ${name}`, label, policy);
        } catch (e) {
          if (e instanceof ApiError) throw e.withMessage(`created, but ${e.message}`);
          throw e;
        }
        return `created, labeled ${label}`;
      };
      const results = await oneNetworkChangeAtATime(ctx, async () => {
        await requireNetworkUnused(ctx, principal, group, vlan !== undefined ? { vlan } : { vni: vni! });
        return onEveryHost(group, createOn);
      });
      ctx.audit({ user: principal.user, group: group, action: 'segment.create', message: `TVDc ${group}: segment ${name} (${vlan !== undefined ? `VLAN ${vlan}` : `VNI ${vni}`}) created by ${principal.user}: ${results.map((r) => `${r.host} ${r.ok ? 'ok' : 'failed'}`).join(', ')}` });
      return { group, segment: name, ok: results.every((r) => r.ok), results };
    });

    router.route('DELETE', '/api/groups/:group/segments/:name', async ({ principal, params }) => {
      requireDcAdmin(principal);
      const group = params['group']!;
      groups.require(group);
      const name = params['name']!;
      const results = await onEveryHost(group, async (host) => {
        await ctx.hosts.connection(host).deleteInstance(segmentPath(name));
        return 'removed';
      });
      ctx.audit({ user: principal.user, group: group, action: 'segment.remove', message: `TVDc ${group}: segment ${name} removed by ${principal.user}: ${results.map((r) => `${r.host} ${r.ok ? 'ok' : 'failed'}`).join(', ')}` });
      return { group, segment: name, ok: results.every((r) => r.ok), results };
    });
  },
};
