// The management VM, the one holding its policy's bootstrap label, runs the host's own management
// (in the paper, the management VM is where tvdc-host itself runs) and usually holds every type of
// the TVDc. Handing that label out is the Datacenter Administrator's call alone, and so is handing
// out any other label that carries its management type (a host label, a management disk's): such
// a label reaches management resources as well. So is taking the bootstrap label away, and
// stopping or moving the VM that holds it: a TVDc administrator who could stop it and then
// relabel it would get around that rule, and so would his action plan that shut it down.
import { ApiError } from './ApiError.js';
import type { Principal } from './ApiRouter.js';
import type { GroupStore } from './GroupStore.js';
import { readVmLabel } from './HostCim.js';
import { onHost } from './hostFailure.js';
import type { HostDirectory, ServerContext } from './ServerContext.js';
import type { UserStore } from './UserStore.js';
import type { ActionPlan } from '../../src/tvdc/management/ActionPlan.js';
import type { VmRef } from '../../src/tvdc/management/ActionPlanEngine.js';
import type { Policy } from '../../src/tvdc/policy/Policy.js';

/**
 * The management types of `policy`: the bootstrap label's own types, those it is walled off under
 * (its Chinese Wall types that are also its STE types; its other STE types are those of the
 * workloads it serves). A bootstrap label that names none of its STE types as a Chinese Wall type
 * has all of its STE types taken as management types, the stricter reading.
 */
function managementTypes(policy: Policy): ReadonlySet<string> {
  const bootstrap = policy.vmLabels.find((l) => l.name === policy.bootstrap);
  if (!bootstrap) return new Set();
  const own = bootstrap.ste.filter((t) => bootstrap.cw.includes(t));
  return new Set(own.length ? own : bootstrap.ste);
}

/**
 * The management types `label` (a VM label for `kind` vm, else a resource label) carries, in its
 * STE or Chinese Wall types; empty when none, or when the policy has no such label.
 */
export function managementTypesOf(policy: Policy, kind: 'vm' | 'resource', label: string): string[] {
  const reserved = managementTypes(policy);
  const types = kind === 'vm'
    ? [...new Set(policy.vmLabels.filter((l) => l.name === label).flatMap((l) => [...l.ste, ...l.cw]))]
    : policy.resourceLabels.filter((l) => l.name === label).map((l) => l.ste);
  return types.filter((t) => reserved.has(t));
}

/**
 * Refuses (403) a tvdcadmin's assigning `label` (to a VM for `kind` vm, else to a disk or network
 * segment) when it is the bootstrap label or carries one of its management types.
 */
export function requireMayAssignLabel(principal: Principal, policy: Policy, kind: 'vm' | 'resource', label: string): void {
  if (principal.role === 'dcadmin') return;
  const name = `${policy.header.name} ${policy.header.version}`;
  if (kind === 'vm' && label === policy.bootstrap) {
    throw ApiError.forbidden(`${label} is the bootstrap (management VM) label of policy ${name}; only a dcadmin may assign it`);
  }
  const types = managementTypesOf(policy, kind, label);
  if (types.length) {
    throw ApiError.forbidden(`${kind === 'vm' ? 'VM' : 'resource'} label ${label} carries ${types.join(', ')}, the management type${types.length === 1 ? '' : 's'} of the bootstrap label ${policy.bootstrap} of policy ${name}; only a dcadmin may assign it`);
  }
}

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
