// The management VM, the one holding its policy's bootstrap label, runs the host's own management
// (in the paper, the management VM is where tvdc-host itself runs) and usually holds every type of
// the TVDc. Handing that label out is the Datacenter Administrator's call alone; so is taking it
// away, and stopping or moving the VM that holds it: a TVDc administrator who could stop it and
// then relabel it would get around that rule.
import { ApiError } from './ApiError.js';
import type { Principal } from './ApiRouter.js';
import type { GroupStore } from './GroupStore.js';
import { readVmLabel } from './HostCim.js';
import { onHost } from './hostFailure.js';
import type { ServerContext } from './ServerContext.js';

/** Refuses (403) a tvdcadmin's `doing` on a VM that holds the bootstrap label of the policy its host runs from the TVDc. */
export async function requireMayManageVm(ctx: ServerContext, groups: GroupStore, principal: Principal, group: string, host: string, vm: string, doing: string): Promise<void> {
  if (principal.role === 'dcadmin') return;
  const bootstrap = groups.deployedPolicy(group, host)?.bootstrap;
  if (!bootstrap) return;
  const label = await onHost(host, () => readVmLabel(ctx.hosts.connection(host), vm));
  if (label === bootstrap) throw ApiError.forbidden(`VM ${vm} holds ${bootstrap}, the bootstrap (management VM) label; only a dcadmin may ${doing} it`);
}
