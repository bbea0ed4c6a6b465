// Where a host stands with its TVDc's policy: what the server recorded of its deployments there
// and, when the host could be asked, what it really enforces. A host whose active policy is not
// the one it last accepted from the TVDc has drifted: anyone with admin rights on the host can
// call TVDc_SecurityService SetPolicy behind the server's back, and the record alone would go on
// saying "deployed".
import type { Deployment, GroupPolicy } from './GroupStore.js';

/** The machine-readable state; `state` words the same for people. */
export type DeploymentStatus = 'no policy' | 'not deployed' | 'deployed' | 'outdated' | 'failed' | 'drifted' | 'unreachable';

export interface PolicyId {
  name: string;
  version: string;
}

/**
 * What the server learned from the host just now: the policy it enforces (null: none active), or
 * that it could not be asked. Undefined: the view was not read live (the TVDc list).
 * `differs`: the active policy has the TVDc policy's name and version but other labels or conflict
 * sets (a host that got it behind the server's back): a host with a record has then drifted.
 */
export type LivePolicy = { reachable: true; active: PolicyId | null; differs?: boolean } | { reachable: false };

export interface DeploymentView {
  state: string;
  status: DeploymentStatus;
  /** The host enforces something else than what it last accepted from the TVDc. */
  drifted: boolean;
  /** The host's active policy as read now; null when not read, unreachable, or none active. */
  running: PolicyId | null;
  /** From the record: the version the host last accepted from this TVDc, the last attempt's message and time. */
  version: string | null;
  message: string | null;
  at: string | null;
}

function id(p: PolicyId | null): string {
  return p ? `${p.name} ${p.version}` : 'no active policy';
}

/** The state from the server's record alone (as `tvdc groups list` counts deployed hosts). */
export function recordedState(policy: GroupPolicy | null, d: Deployment | undefined): { status: DeploymentStatus; state: string } {
  if (!policy) return { status: 'no policy', state: 'no policy' };
  if (!d) return { status: 'not deployed', state: 'not deployed' };
  if (d.state === 'failed') return { status: 'failed', state: d.deployedVersion ? `failed (runs ${d.deployedVersion})` : 'failed' };
  return d.deployedVersion === policy.version ? { status: 'deployed', state: 'deployed' } : { status: 'outdated', state: `outdated (runs ${d.deployedVersion})` };
}

/**
 * The record checked against the host. Drift is measured against what the host last accepted
 * from the TVDc, not against the TVDc's current policy: a host that still runs an older version
 * the server gave it is outdated, not drifted. A host with nothing accepted from the TVDc has no
 * record to drift from (it shows as not deployed whatever it runs); an unreachable host is
 * reported as unreachable, with its recorded state, never as drifted.
 */
export function deploymentView(policy: GroupPolicy | null, d: Deployment | undefined, live?: LivePolicy): DeploymentView {
  const record = { version: d?.deployedVersion ?? null, message: d?.message ?? null, at: d?.at ?? null };
  const recorded = recordedState(policy, d);
  const running = live?.reachable ? live.active : null;
  if (live && !live.reachable) return { ...record, status: 'unreachable', state: `unreachable (recorded: ${recorded.state})`, drifted: false, running: null };
  const accepted = d?.deployedName && d.deployedVersion ? { name: d.deployedName, version: d.deployedVersion } : null;
  const differs = live?.reachable === true && live.differs === true;
  if (policy && live && accepted && (differs || running?.name !== accepted.name || running.version !== accepted.version)) {
    const when = d!.state === 'deployed' ? `deployed ${accepted.version} at ${d!.at}` : `last accepted ${accepted.version}; the last attempt failed at ${d!.at}`;
    return {
      ...record,
      status: 'drifted',
      state: `drifted: host runs ${id(running)}${differs ? ' (different content)' : ''}, TVDc policy is ${policy.name} ${policy.version} (${when})`,
      drifted: true,
      running,
    };
  }
  return { ...record, ...recorded, drifted: false, running };
}

/** Why `live` is not `accepted`, or null when the host enforces what it accepted. */
export function driftFrom(accepted: PolicyId, live: PolicyId | null): string | null {
  if (live && live.name === accepted.name && live.version === accepted.version) return null;
  return `it runs ${id(live)}, not ${id(accepted)} that it last accepted from the TVDc`;
}
