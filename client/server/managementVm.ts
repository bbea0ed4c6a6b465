// The management VM, the one holding its policy's bootstrap label, runs the host's own management
// (in the paper, the management VM is where tvdc-host itself runs) and usually holds every type of
// the TVDc. Handing that label out is the Datacenter Administrator's call alone; so is taking it
// away, and stopping or moving the VM that holds it: a TVDc administrator who could stop it and
// then relabel it would get around that rule, and so would his action plan that shut it down.
import { ApiError } from './ApiError.js';
import type { Principal } from './ApiRouter.js';
import type { GroupStore } from './GroupStore.js';
import { readVmLabel } from './HostCim.js';
import { onHost } from './hostFailure.js';
import type { HostDirectory, ServerContext } from './ServerContext.js';
import type { UserStore } from './UserStore.js';
import type { ActionPlan } from '../../src/tvdc/management/ActionPlan.js';
import type { VmRef } from '../../src/tvdc/management/ActionPlanEngine.js';

/** The bootstrap label when `vm` holds the one of the policy its host runs from the TVDc, else null. */
export async function managementVmLabel(hosts: HostDirectory, groups: GroupStore, group: string, host: string, vm: string): Promise<string | null> {
  const bootstrap = groups.deployedPolicy(group, host)?.bootstrap;
  if (!bootstrap) return null;
  const label = await onHost(host, () => readVmLabel(hosts.connection(host), vm));
  return label === bootstrap ? bootstrap : null;
}

/** Refuses (403) a tvdcadmin's `doing` on a VM that holds the bootstrap label of the policy its host runs from the TVDc. */
export async function requireMayManageVm(ctx: ServerContext, groups: GroupStore, principal: Principal, group: string, host: string, vm: string, doing: string): Promise<void> {
  if (principal.role === 'dcadmin') return;
  const bootstrap = await managementVmLabel(ctx.hosts, groups, group, host, vm);
  if (bootstrap) throw ApiError.forbidden(`VM ${vm} holds ${bootstrap}, the bootstrap (management VM) label; only a dcadmin may ${doing} it`);
}

/**
 * What a plan may power: a tvdcadmin may not power the management VM himself, nor through his
 * action plans. Whose a plan is, is read at each use: a plan outlives a change of its creator's
 * role. Throws, saying why, to refuse; the engine records that as the action's failure.
 */
export function planMayPower(hosts: HostDirectory, users: UserStore, groups: GroupStore): (plan: ActionPlan, target: VmRef) => Promise<void> {
  return async (plan, t) => {
    if (users.find(plan.createdBy)?.role === 'dcadmin') return;
    const bootstrap = await managementVmLabel(hosts, groups, plan.group, t.host, t.vm);
    if (bootstrap) throw new Error(`VM ${t.vm} holds ${bootstrap}, the bootstrap (management VM) label; plan ${plan.id} is ${plan.createdBy}'s, and only a dcadmin's plan may power it`);
  };
}
