// Handing a host's element (VM, disk, network segment) a label of its TVDc's policy, the one way
// every module does it: the host must still run the policy it last accepted from the TVDc, and
// its own reference monitor has the last word.
import type { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import type { Policy } from '../../src/tvdc/policy/Policy.js';
import { ApiError } from './ApiError.js';
import { driftFrom } from './DeploymentState.js';
import { outText, readActivePolicy, returnCode, securityService } from './HostCim.js';
import { onHost } from './hostFailure.js';
import type { ServerContext } from './ServerContext.js';

/**
 * Refuses (409) when `host` no longer runs `policy`, the one it last accepted from TVDc `group`.
 * A label was checked against that policy; a host whose policy was changed behind the server's
 * back would take "ACM:<policy>:<label>" under whatever it runs now, where a policy of the same
 * name (another version, or the same version with other content) may give the label other types
 * and so other access. The server does not hand out access it cannot vouch for. (The host may
 * still change between this check and AssignLabel; only the host could close that gap.)
 */
export async function requireUndrifted(ctx: ServerContext, group: string, host: string, policy: Policy, what: string): Promise<void> {
  const active = await onHost(host, () => readActivePolicy(ctx.hosts.connection(host)));
  const drift = driftFrom({ name: policy.header.name, version: policy.header.version }, active);
  if (drift) throw ApiError.conflict(`host ${host} has drifted: ${drift}; deploy the TVDc's policy there again (tvdc policy deploy ${group}) before labeling ${what}`);
}

/** AssignLabel on the host; its refusal is HOST_REFUSED with its reason. Returns the label as the host stores it. */
export async function assignOnHost(ctx: ServerContext, host: string, element: CimObjectPath, what: string, label: string, policy: Policy): Promise<string> {
  const securityLabel = `ACM:${policy.header.name}:${label}`;
  const r = await onHost(host, () => ctx.hosts.connection(host).invokeMethod(securityService(host), 'AssignLabel', { Element: element, Label: securityLabel }));
  if (returnCode(r) !== 0) throw ApiError.hostRefused(`host ${host} refused label ${label} for ${what} (${returnCode(r)}): ${outText(r, 'Reason').join('; ') || 'no reason given'}`);
  return securityLabel;
}
