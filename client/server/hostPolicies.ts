// What the hosts of a TVDc run, read live and bounded, for the choices the server must not make
// from its own copy alone. A host's policy can change behind the server's back (anyone with admin
// rights on the host can call TVDc_SecurityService SetPolicy), and the hosts take name and version
// as a policy's identity: a version the server picks, or a file it is given, must not reuse a
// name and version a host already holds with other content.
import { compareVersions, isPolicyVersion } from '../../src/tvdc/policy/PolicyVersion.js';
import type { Policy } from '../../src/tvdc/policy/Policy.js';
import type { WbemConnection } from '../cim/index.js';
import type { LivePolicy } from './DeploymentState.js';
import type { GroupPolicy, GroupStore } from './GroupStore.js';
import { policyRules, readActiveRules, readPolicies, type HostPolicyView } from './HostCim.js';
import { hostFailure } from './hostFailure.js';
import type { ServerContext } from './ServerContext.js';

/**
 * How long the server waits for one host's policies when it must ask before an edit or a set
 * (hosts are asked in parallel). Below the host connection's own limits: an edit waits on a dead
 * host for seconds, and says it could not read it, rather than for a minute.
 */
const HOST_POLICY_READ_MS = 10_000;

export interface HostNotRead {
  host: string;
  message: string;
}

export interface HostsPolicies {
  /** Each host read: its policies (the active one and any waiting for activation). */
  read: Map<string, HostPolicyView[]>;
  /** Hosts that could not be read in time, with why. */
  notRead: HostNotRead[];
}

function bounded<T>(what: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([what, late]).finally(() => clearTimeout(timer));
}

/** A host that could not be read: its CIM failure with the code, or what else went wrong (the bound). */
function notReadOf(host: string, e: unknown): HostNotRead {
  const err = hostFailure(host, e);
  return { host, message: err ? `${err.code}: ${err.message}` : (e as Error).message };
}

/** Asks each host for its policies at once; a host that fails or is late is listed, not fatal. */
export async function readHostsPolicies(ctx: Pick<ServerContext, 'hosts'>, hosts: readonly string[], boundMs = HOST_POLICY_READ_MS): Promise<HostsPolicies> {
  const read = new Map<string, HostPolicyView[]>();
  const notRead: HostNotRead[] = [];
  await Promise.all(hosts.map(async (h) => {
    try {
      read.set(h, await bounded(readPolicies(ctx.hosts.connection(h)), boundMs));
    } catch (e) {
      notRead.push(notReadOf(h, e));
    }
  }));
  notRead.sort((a, b) => a.host.localeCompare(b.host));
  return { read, notRead };
}

export interface KnownVersion {
  version: string;
  host: string;
  /** Where it is known from, for people: "host h1 runs", "host h1 last accepted". */
  where: string;
}

/**
 * Every version of policy `name` the TVDc's hosts are known to hold: what each last accepted from
 * the TVDc (the server's record) and what each read now runs or has waiting for activation.
 */
export function knownHostVersions(groups: GroupStore, group: string, name: string, live: HostsPolicies): KnownVersion[] {
  const out: KnownVersion[] = [];
  for (const d of groups.deployments(group)) {
    if (d.deployedName === name && d.deployedVersion) out.push({ version: d.deployedVersion, host: d.host, where: `host ${d.host} last accepted` });
  }
  for (const [host, policies] of live.read) {
    // A version that is not major.minor came from no policy a host loads: a rogue or broken agent
    // said it, and it would only carry its text into the notes and the audit trail.
    for (const p of policies) if (p.name === name && isPolicyVersion(p.version)) out.push({ version: p.version, host, where: `host ${host} ${p.active ? 'runs' : 'holds (not active)'}` });
  }
  return out.sort((a, b) => compareVersions(b.version, a.version) || a.where.localeCompare(b.where));
}

/**
 * The hosts whose active policy has `policy`'s name and version but other labels or conflict sets,
 * with how many lines differ. A host already read (`live`) that runs another name or version is
 * not asked again.
 */
export async function sameIdOtherContent(ctx: Pick<ServerContext, 'hosts'>, policy: Policy, live: HostsPolicies): Promise<{ clashes: { host: string; differ: number }[]; notRead: HostNotRead[] }> {
  const clashes: { host: string; differ: number }[] = [];
  const notRead: HostNotRead[] = [];
  const ours = policyRules(policy);
  await Promise.all([...live.read].map(async ([host, policies]) => {
    if (!policies.some((p) => p.active && p.name === policy.header.name && p.version === policy.header.version)) return;
    try {
      const differ = ruleDifference(await bounded(readActiveRules(ctx.hosts.connection(host)), HOST_POLICY_READ_MS), ours);
      if (differ > 0) clashes.push({ host, differ });
    } catch (e) {
      notRead.push(notReadOf(host, e));
    }
  }));
  clashes.sort((a, b) => a.host.localeCompare(b.host));
  return { clashes, notRead };
}

/** How many label or conflict set lines are in one list and not the other. */
export function ruleDifference(theirs: readonly string[], ours: readonly string[]): number {
  return theirs.filter((r) => !ours.includes(r)).length + ours.filter((r) => !theirs.includes(r)).length;
}

/**
 * What one host enforces, for the views: its active policy and, when that has the TVDc policy's
 * name and version, whether its labels and conflict sets differ from the TVDc's.
 */
export async function readLivePolicy(conn: WbemConnection, policy: GroupPolicy | null): Promise<Extract<LivePolicy, { reachable: true }>> {
  const active = (await readPolicies(conn)).find((p) => p.active);
  if (!active) return { reachable: true, active: null };
  const id = { name: active.name, version: active.version };
  if (!policy || active.name !== policy.name || active.version !== policy.version) return { reachable: true, active: id };
  return { reachable: true, active: id, differs: ruleDifference(await readActiveRules(conn), policyRules(policy.policy)) > 0 };
}
