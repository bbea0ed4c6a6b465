// The paper's step 6: a TVDc Administrator (authorized for the TVDc) or the Datacenter
// Administrator assigns the labels the Datacenter Administrator created to the VMs on the TVDc's
// hosts. The label must be in the policy the VM's host got from this TVDc; the host's reference
// monitor has the last word, and its refusal comes back as HOST_REFUSED with its reason.
import { ApiError } from './ApiError.js';
import { requireGroup, type ApiRouter } from './ApiRouter.js';
import { stringField } from './body.js';
import { GroupStore } from './GroupStore.js';
import { outText, returnCode, securityService, vmPath } from './HostCim.js';
import { onHost } from './hostFailure.js';
import { HostRegistry } from './HostRegistry.js';
import type { HostRecord, ServerContext, ServerModule } from './ServerContext.js';

export const labelsModule: ServerModule = {
  name: 'labels',
  register(router: ApiRouter, ctx: ServerContext): void {
    const groups = new GroupStore(ctx.db);

    /** The host of the TVDc that has `vm`. */
    const hostOf = async (group: string, vm: string): Promise<HostRecord> => {
      if (ctx.hosts instanceof HostRegistry) return ctx.hosts.hostOfVm(vm, group);
      const h = await ctx.hosts.hostOfVm(vm);
      if (h.group !== group) throw ApiError.notFound(`no VM named ${vm} on any host of TVDc ${group}`);
      return h;
    };

    router.route('GET', '/api/groups/:group/labels', ({ principal, params }) => {
      const group = params['group']!;
      requireGroup(principal, group);
      const gp = groups.requirePolicy(group);
      const p = gp.policy;
      return {
        group,
        policy: { name: gp.name, version: gp.version },
        labels: [
          ...p.vmLabels.map((l) => ({ name: l.name, kind: 'vm', ste: l.ste, cw: l.cw, bootstrap: l.name === p.bootstrap })),
          ...p.resourceLabels.map((l) => ({ name: l.name, kind: 'resource', ste: [l.ste], cw: [] as string[], bootstrap: false })),
        ],
        conflictSets: p.conflictSets,
      };
    });

    router.route('PUT', '/api/groups/:group/vms/:vm/label', async ({ principal, params, body }) => {
      const group = params['group']!;
      const vm = params['vm']!;
      requireGroup(principal, group);
      groups.require(group);
      const label = stringField(body, 'label');
      const host = await hostOf(group, vm);
      const deployed = groups.deployedPolicy(group, host.name);
      if (!deployed) throw ApiError.conflict(`host ${host.name} has no policy of TVDc ${group} yet: deploy it first (tvdc policy deploy ${group})`);
      if (!deployed.vmLabels.some((l) => l.name === label)) {
        throw ApiError.notFound(`label ${label} is not a VM label of policy ${deployed.header.name} ${deployed.header.version} deployed to host ${host.name}`);
      }
      const securityLabel = `ACM:${deployed.header.name}:${label}`;
      const r = await onHost(host.name, () => ctx.hosts.connection(host.name).invokeMethod(securityService(host.name), 'AssignLabel', { Element: vmPath(vm), Label: securityLabel }));
      if (returnCode(r) !== 0) throw ApiError.hostRefused(`host ${host.name} refused label ${label} for ${vm} (${returnCode(r)}): ${outText(r, 'Reason').join('; ') || 'no reason given'}`);
      ctx.log(`TVDc ${group}: VM ${vm} on ${host.name} labeled ${label} by ${principal.user}`);
      return { group, vm, host: host.name, label, securityLabel };
    });

    router.route('DELETE', '/api/groups/:group/vms/:vm/label', async ({ principal, params }) => {
      const group = params['group']!;
      const vm = params['vm']!;
      requireGroup(principal, group);
      groups.require(group);
      const host = await hostOf(group, vm);
      const r = await onHost(host.name, () => ctx.hosts.connection(host.name).invokeMethod(securityService(host.name), 'RemoveLabel', { Element: vmPath(vm) }));
      if (returnCode(r) !== 0) throw ApiError.hostRefused(`host ${host.name} refused to remove the label of ${vm} (${returnCode(r)}): ${outText(r, 'Reason').join('; ') || 'no reason given'}`);
      ctx.log(`TVDc ${group}: label of VM ${vm} on ${host.name} removed by ${principal.user}`);
      return { group, vm, host: host.name, label: null };
    });
  },
};
