// The paper's step 6: a TVDc Administrator (authorized for the TVDc) or the Datacenter
// Administrator assigns the labels the Datacenter Administrator created to the VMs on the TVDc's
// hosts and to their resources (disks, network segments). The label must be in the policy the
// element's host got from this TVDc, and that host must still run it (no drift); the host's
// reference monitor has the last word, and its refusal comes back as HOST_REFUSED with its reason.
import { ApiError } from './ApiError.js';
import { requireGroup, type ApiRouter } from './ApiRouter.js';
import { stringField } from './body.js';
import { GroupStore } from './GroupStore.js';
import { diskPath, outText, returnCode, securityService, segmentPath, vmPath } from './HostCim.js';
import { assignOnHost, requireUndrifted } from './labelOnHost.js';
import type { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import type { Policy } from '../../src/tvdc/policy/Policy.js';
import { onHost } from './hostFailure.js';
import type { HostRecord, ServerContext, ServerModule } from './ServerContext.js';
import { managementTypesOf, requireMayAssignLabel, requireMayManageVm } from './managementVm.js';

export const labelsModule: ServerModule = {
  name: 'labels',
  register(router: ApiRouter, ctx: ServerContext): void {
    const groups = new GroupStore(ctx.db);

    /** The host of the TVDc that has `vm`. */
    const hostOf = (group: string, vm: string): Promise<HostRecord> => ctx.hosts.hostOfVm(vm, group);

    /** A policy's labels as the listing gives them; `reserved`: only a dcadmin may assign it (the bootstrap label, or one with its management type). */
    const labelsOf = (p: Policy) => [
      ...p.vmLabels.map((l) => ({ name: l.name, kind: 'vm', ste: l.ste, cw: l.cw, bootstrap: l.name === p.bootstrap, reserved: l.name === p.bootstrap || managementTypesOf(p, 'vm', l.name).length > 0 })),
      ...p.resourceLabels.map((l) => ({ name: l.name, kind: 'resource', ste: [l.ste], cw: [] as string[], bootstrap: false, reserved: managementTypesOf(p, 'resource', l.name).length > 0 })),
    ];

    /** The policy `host` runs from this TVDc; 409 when nothing was deployed there. */
    const deployedOn = (group: string, host: string): Policy => {
      const p = groups.deployedPolicy(group, host);
      if (!p) throw ApiError.conflict(`host ${host} has no policy of TVDc ${group} yet: deploy it first (tvdc policy deploy ${group})`);
      return p;
    };

    /** `host` of TVDc `group`; 404 for a host elsewhere and no host at all alike: the TVDc is all the caller sees. */
    const hostInGroup = (group: string, host: string): HostRecord => {
      groups.require(group);
      const h = ctx.hosts.list().find((x) => x.name === host && x.group === group);
      if (!h) throw ApiError.notFound(`host ${host} is not in TVDc ${group}`);
      return h;
    };

    // The TVDc's policy; with ?host=H, the one H last accepted from the TVDc instead, whose labels
    // are those the assignments below accept for H's VMs, disks and segments.
    router.route('GET', '/api/groups/:group/labels', ({ principal, params, query }) => {
      const group = params['group']!;
      requireGroup(principal, group);
      const host = query.get('host');
      if (host !== null) {
        hostInGroup(group, host);
        const p = deployedOn(group, host);
        return { group, host, policy: { name: p.header.name, version: p.header.version }, labels: labelsOf(p), conflictSets: p.conflictSets };
      }
      const gp = groups.requirePolicy(group);
      return { group, policy: { name: gp.name, version: gp.version }, labels: labelsOf(gp.policy), conflictSets: gp.policy.conflictSets };
    });

    // Removing a label only takes access away, so unassign is not held back by drift.
    const assign = async (group: string, host: string, element: CimObjectPath, what: string, label: string, policy: Policy, user: string) => {
      await requireUndrifted(ctx, group, host, policy.header, `labeling ${what}`);
      const securityLabel = await assignOnHost(ctx, host, element, what, label, policy);
      ctx.audit({ user: user, group: group, action: 'label.assign', message: `TVDc ${group}: ${what} on ${host} labeled ${label} by ${user}` });
      return securityLabel;
    };

    const unassign = async (group: string, host: string, element: CimObjectPath, what: string, user: string) => {
      const r = await onHost(host, () => ctx.hosts.connection(host).invokeMethod(securityService(host), 'RemoveLabel', { Element: element }));
      if (returnCode(r) !== 0) throw ApiError.hostRefused(`host ${host} refused to remove the label of ${what} (${returnCode(r)}): ${outText(r, 'Reason').join('; ') || 'no reason given'}`);
      ctx.audit({ user: user, group: group, action: 'label.remove', message: `TVDc ${group}: label of ${what} on ${host} removed by ${user}` });
    };

    router.route('PUT', '/api/groups/:group/vms/:vm/label', async ({ principal, params, body }) => {
      const group = params['group']!;
      const vm = params['vm']!;
      requireGroup(principal, group);
      groups.require(group);
      const label = stringField(body, 'label');
      const host = await hostOf(group, vm);
      const policy = deployedOn(group, host.name);
      if (!policy.vmLabels.some((l) => l.name === label)) {
        throw ApiError.notFound(`label ${label} is not a VM label of policy ${policy.header.name} ${policy.header.version} deployed to host ${host.name}`);
      }
      requireMayAssignLabel(principal, policy, 'vm', label);
      await requireMayManageVm(ctx, groups, principal, group, host.name, vm, 'relabel');
      const securityLabel = await assign(group, host.name, vmPath(vm), `VM ${vm}`, label, policy, principal.user);
      return { group, vm, host: host.name, label, securityLabel };
    });

    router.route('DELETE', '/api/groups/:group/vms/:vm/label', async ({ principal, params }) => {
      const group = params['group']!;
      const vm = params['vm']!;
      requireGroup(principal, group);
      groups.require(group);
      const host = await hostOf(group, vm);
      await requireMayManageVm(ctx, groups, principal, group, host.name, vm, 'unlabel');
      await unassign(group, host.name, vmPath(vm), `VM ${vm}`, principal.user);
      return { group, vm, host: host.name, label: null };
    });

    // Disks and network segments are the host's (its management VM exports them), so they are
    // named with their host, which must be in the TVDc.
    for (const kind of ['disks', 'segments'] as const) {
      const element = (host: string, name: string) => (kind === 'disks' ? diskPath(host, name) : segmentPath(name));
      const noun = kind === 'disks' ? 'disk' : 'segment';

      router.route('PUT', `/api/groups/:group/hosts/:host/${kind}/:name/label`, async ({ principal, params, body }) => {
        const group = params['group']!;
        requireGroup(principal, group);
        const host = hostInGroup(group, params['host']!).name;
        const name = params['name']!;
        const label = stringField(body, 'label');
        const policy = deployedOn(group, host);
        if (!policy.resourceLabels.some((l) => l.name === label)) {
          throw ApiError.notFound(`label ${label} is not a resource label of policy ${policy.header.name} ${policy.header.version} deployed to host ${host}`);
        }
        requireMayAssignLabel(principal, policy, 'resource', label);
        const securityLabel = await assign(group, host, element(host, name), `${noun} ${name}`, label, policy, principal.user);
        return { group, host, [noun]: name, label, securityLabel };
      });

      router.route('DELETE', `/api/groups/:group/hosts/:host/${kind}/:name/label`, async ({ principal, params }) => {
        const group = params['group']!;
        requireGroup(principal, group);
        const host = hostInGroup(group, params['host']!).name;
        const name = params['name']!;
        await unassign(group, host, element(host, name), `${noun} ${name}`, principal.user);
        return { group, host, [noun]: name, label: null };
      });
    }
  },
};
