// The paper's step 2: the Datacenter Administrator groups management VMs (hosts) into a TVDc. Both
// administrators can view a TVDc's security attributes: its hosts, policy and deployment, and
// every VM of its hosts with its label, read live from the hosts.
import { ApiError } from './ApiError.js';
import { requireDcAdmin, requireGroup, type ApiRouter, type Principal } from './ApiRouter.js';
import { stringField, stringList } from './body.js';
import { deploymentView, recordedState } from './DeploymentState.js';
import { GroupStore } from './GroupStore.js';
import { readIsolation } from './HostCim.js';
import { readLivePolicy } from './hostPolicies.js';
import { hostFailure } from './hostFailure.js';
import { queryBoolean } from './queryBoolean.js';
import { oneNetworkChangeAtATime, requireHostsMayJoin } from './segmentNetworks.js';
import type { ServerContext, ServerModule } from './ServerContext.js';
import { UserStore } from './UserStore.js';

function visibleGroups(p: Principal, all: string[]): string[] {
  return p.role === 'dcadmin' ? all : all.filter((g) => p.groups.includes(g));
}

export const groupsModule: ServerModule = {
  name: 'groups',
  register(router: ApiRouter, ctx: ServerContext): void {
    const groups = new GroupStore(ctx.db);
    const users = new UserStore(ctx.db);

    const summary = (name: string) => {
      const policy = groups.policy(name);
      const deployments = new Map(groups.deployments(name).map((d) => [d.host, d]));
      const hosts = groups.hostsOf(name);
      return {
        name,
        hosts,
        policy: policy ? { name: policy.name, version: policy.version } : null,
        // From the record: the list asks no host. `groups show` reads them and reports drift.
        deployed: hosts.filter((h) => recordedState(policy, deployments.get(h)).status === 'deployed').length,
      };
    };

    router.route('GET', '/api/groups', ({ principal }) => ({ groups: visibleGroups(principal, groups.names()).map(summary) }));

    router.route('POST', '/api/groups', ({ principal, body }) => {
      requireDcAdmin(principal);
      const name = stringField(body, 'name');
      groups.create(name);
      ctx.audit({ user: principal.user, group: name, action: 'group.create', message: `TVDc ${name} created by ${principal.user}` });
      return summary(name);
    });

    router.route('GET', '/api/groups/:group', async ({ principal, params }) => {
      const name = params['group']!;
      requireGroup(principal, name);
      groups.require(name);
      const policy = groups.policy(name);
      const deployments = new Map(groups.deployments(name).map((d) => [d.host, d]));
      const hosts = await Promise.all(groups.hostsOf(name).map(async (h) => {
        const rec = ctx.hosts.get(h);
        const d = deployments.get(h);
        const base = { name: h, url: rec.url };
        try {
          const conn = ctx.hosts.connection(h);
          const [isolation, live] = await Promise.all([readIsolation(conn), readLivePolicy(conn, policy)]);
          return { ...base, deployment: deploymentView(policy, d, live), reachable: true, ...isolation };
        } catch (e) {
          const err = hostFailure(h, e);
          if (!err) throw e;
          return {
            ...base, deployment: deploymentView(policy, d, { reachable: false }), reachable: false,
            error: { code: err.code, message: err.message }, label: null, vms: [], disks: [], segments: [],
          };
        }
      }));
      const administrators = users.administratorsOf(name);
      return {
        name,
        policy: policy ? { name: policy.name, version: policy.version, updatedAt: policy.updatedAt, updatedBy: policy.updatedBy } : null,
        administrators,
        hosts,
      };
    });

    // A TVDc in use is not deleted by a slip: its hosts would keep running its policy and labeled
    // VMs with no TVDc managing them, and its administrators, plans and schedules would go. With
    // force=true it is deleted all the same, and its hosts are left in no TVDc.
    router.route('DELETE', '/api/groups/:group', ({ principal, params, query }) => {
      requireDcAdmin(principal);
      const name = params['group']!;
      const force = queryBoolean(query, 'force');
      groups.require(name);
      const hosts = groups.hostsOf(name);
      if (hosts.length && !force) {
        throw ApiError.conflict(`TVDc ${name} has hosts ${hosts.join(', ')}: remove them first with tvdc groups remove-host ${name} HOST, or delete it with them with --force`);
      }
      groups.delete(name);
      const freed = hosts.length ? `; hosts ${hosts.join(', ')} left it` : '';
      ctx.audit({ user: principal.user, group: name, action: 'group.delete', message: `TVDc ${name} deleted by ${principal.user}${freed}` });
      return { removed: name, hosts };
    });

    // A joining host brings the segments it already has (made on it before, or by hand over CIM):
    // one whose VLAN or VNI another TVDc carries would join the two TVDcs' networks, so it stays out.
    router.route('POST', '/api/groups/:group/hosts', async ({ principal, params, body }) => {
      requireDcAdmin(principal);
      const name = params['group']!;
      const hosts = stringList(body, 'hosts');
      groups.require(name);
      // Unknown hosts and hosts of another TVDc are refused before any host is asked; the store
      // checks again when it writes, for a host that moves while this request waits in the queue.
      const joining = [...new Set(hosts)].map((h) => ctx.hosts.get(h)).filter((h) => h.group !== name);
      const taken = joining.find((h) => h.group !== null);
      if (taken) throw ApiError.conflict(`host ${taken.name} belongs to TVDc ${taken.group}; remove it there first`);
      await oneNetworkChangeAtATime(ctx, async () => {
        await requireHostsMayJoin(ctx, principal, name, joining);
        groups.addHosts(name, hosts);
      });
      ctx.audit({ user: principal.user, group: name, action: 'group.add-hosts', message: `hosts ${hosts.join(', ')} put into TVDc ${name} by ${principal.user}` });
      return summary(name);
    });

    router.route('DELETE', '/api/groups/:group/hosts/:host', ({ principal, params }) => {
      requireDcAdmin(principal);
      const name = params['group']!;
      groups.removeHost(name, params['host']!);
      ctx.audit({ user: principal.user, group: name, action: 'group.remove-host', message: `host ${params['host']} taken out of TVDc ${name} by ${principal.user}` });
      return summary(name);
    });

  },
};
