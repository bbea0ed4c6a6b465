// Handing a host's element (VM, disk, network segment) a label of its TVDc's policy, the one way
// every module does it: the host must still run the policy it last accepted from the TVDc (the
// check every change that puts something under that policy makes), and its own reference monitor
// has the last word.
import type { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import type { Policy } from '../../src/tvdc/policy/Policy.js';
import { ApiError } from './ApiError.js';
import { driftFrom, type PolicyId } from './DeploymentState.js';
import { outText, readActivePolicy, returnCode, securityService } from './HostCim.js';
import { onHost } from './hostFailure.js';
import type { ServerContext } from './ServerContext.js';

/**
 * Refuses (409) before `doing` when `host` no longer runs `accepted`, the policy it last accepted
 * from TVDc `group`: a host whose policy was changed behind the server's back decides under rules
 * the server cannot vouch for. A label was checked against that policy, and the host would take
 * "ACM:<policy>:<label>" under whatever it runs now, where a policy of the same name (another
 * version, or the same version with other content) may give the label other types and so other
 * access; a VM started or migrated there would run under those rules. (The host may still change
 * between this check and the call; only the host could close that gap.)
 */
export async function requireUndrifted(ctx: ServerContext, group: string, host: string, accepted: PolicyId, doing: string): Promise<void> {
  const active = await onHost(host, () => readActivePolicy(ctx.hosts.connection(host)));
  const drift = driftFrom(accepted, active);
  if (drift) throw ApiError.conflict(`host ${host} has drifted: ${drift}; deploy the TVDc's policy there again (tvdc policy deploy ${group}) before ${doing}`);
}

/** AssignLabel on the host; its refusal is HOST_REFUSED with its reason. Returns the label as the host stores it. */
export async function assignOnHost(ctx: ServerContext, host: string, element: CimObjectPath, what: string, label: string, policy: Policy): Promise<string> {
  const securityLabel = `ACM:${policy.header.name}:${label}`;
  const r = await onHost(host, () => ctx.hosts.connection(host).invokeMethod(securityService(host), 'AssignLabel', { Element: element, Label: securityLabel }));
  if (returnCode(r) !== 0) throw ApiError.hostRefused(`host ${host} refused label ${label} for ${what} (${returnCode(r)}): ${outText(r, 'Reason').join('; ') || 'no reason given'}`);
  return securityLabel;
}
