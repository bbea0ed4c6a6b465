// The paper's steps 3 and 4, the Datacenter Administrator's alone: a TVDc's one policy (set from
// an sHype / Xen ACM document, or edited label by label and conflict set by conflict set, each
// edit validated and a new version), and its deployment to every host of the TVDc through
// TVDc_SecurityService SetPolicy and ActivatePolicy. Both administrators may read it.
import { compareVersions } from '../../src/tvdc/policy/PolicyVersion.js';
import { parsePolicy, policyErrors } from '../../src/tvdc/policy/loadPolicy.js';
import type { Policy } from '../../src/tvdc/policy/Policy.js';
import { writeAcmXml } from '../../src/tvdc/policy/writeAcmXml.js';
import { addConflictSet, addLabel, forHost, leavesEditRoom, nextVersion, removeConflictSet, removeLabel, versionAbove, type LabelKind } from '../../src/tvdc/management/PolicyEditor.js';
import { ApiError } from './ApiError.js';
import { requireDcAdmin, requireGroup, type ApiRouter } from './ApiRouter.js';
import { bodyObject, optionalString, stringField, stringList } from './body.js';
import { GroupStore, type GroupPolicy } from './GroupStore.js';
import { deploymentView, type LivePolicy } from './DeploymentState.js';
import { outText, policyRules, readActiveRules, readPolicies, returnCode, securityService } from './HostCim.js';
import { knownHostVersions, readHostsPolicies, type KnownVersion, readLivePolicy, ruleDifference, sameIdOtherContent } from './hostPolicies.js';
import { hostFailure } from './hostFailure.js';
import { ChangesInFlight } from './ChangesInFlight.js';
import type { ServerContext, ServerModule } from './ServerContext.js';

export interface DeployResult {
  host: string;
  ok: boolean;
  /** deployed | failed */
  state: 'deployed' | 'failed';
  message: string;
}

/** The policy as the API shows it. */
export function policyView(gp: GroupPolicy) {
  const p = gp.policy;
  return {
    name: gp.name,
    version: gp.version,
    updatedAt: gp.updatedAt,
    updatedBy: gp.updatedBy,
    bootstrap: p.bootstrap,
    steTypes: p.steTypes,
    cwTypes: p.cwTypes,
    vmLabels: p.vmLabels.map((l) => ({ name: l.name, ste: l.ste, cw: l.cw })),
    resourceLabels: p.resourceLabels.map((l) => ({ name: l.name, ste: l.ste })),
    conflictSets: p.conflictSets,
  };
}

function labelKind(v: string | null | undefined): LabelKind {
  if (v === undefined || v === null || v === 'vm') return 'vm';
  if (v === 'resource') return 'resource';
  throw ApiError.badRequest(`label kind must be vm or resource, not ${JSON.stringify(v)}`);
}

function optionalList(body: unknown, field: string): string[] | undefined {
  const v = bodyObject(body)[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x !== '')) throw ApiError.badRequest(`"${field}" must be a list of strings`);
  return v as string[];
}

/** `n label or conflict set lines differ`, as a refusal names a host's other content. */
function linesDiffer(n: number): string {
  return `${n} label or conflict set line${n === 1 ? ' differs' : 's differ'}`;
}

/**
 * Loads the policy on one host and activates it, as an update of whatever that host runs.
 * `accepted` is what the host last accepted from this TVDc (the server's record).
 */
async function deployTo(ctx: ServerContext, host: string, gp: GroupPolicy, accepted: string | null): Promise<{ ok: boolean; message: string }> {
  const conn = ctx.hosts.connection(host);
  try {
    const before = await readPolicies(conn);
    const active = before.find((p) => p.active) ?? null;
    if (active && active.name === gp.name && active.version === gp.version) {
      if (accepted === gp.version) return { ok: true, message: `${gp.name} ${gp.version} is already active` };
      // The hosts take name and version as a policy's identity, but this pair did not come from
      // this server's deployment to the host (SetPolicy behind its back, or the host left the TVDc
      // and came back): it is the TVDc's policy only if it enforces the same labels and conflict
      // sets. Otherwise only a higher version can replace it.
      const theirs = await readActiveRules(conn);
      const ours = policyRules(gp.policy);
      if (theirs.join('\n') === ours.join('\n')) return { ok: true, message: `${gp.name} ${gp.version} is already active (its labels and conflict sets are the TVDc's)` };
      return { ok: false, message: `host runs another ${gp.name} ${gp.version} (${linesDiffer(ruleDifference(theirs, ours))}), not deployed by this server; set a version above ${gp.version} and deploy that: any edit (tvdc labels add|remove, tvdc policy conflicts add|remove) picks one, or tvdc policy export, raise <Version>, tvdc policy set` };
    }
    // Xen's boot policy may be replaced by any policy; anything else is updated from what runs.
    const from = active && active.name !== 'DEFAULT' ? { name: active.name, version: active.version } : null;
    const xml = writeAcmXml(forHost(gp.policy, from));
    const set = await conn.invokeMethod(securityService(host), 'SetPolicy', { PolicyXML: xml, Activate: false });
    if (returnCode(set) !== 0) return { ok: false, message: `SetPolicy refused (${returnCode(set)}): ${outText(set, 'Errors').join('; ')}` };
    const pending = (await readPolicies(conn)).find((p) => !p.active && p.name === gp.name && p.version === gp.version);
    if (!pending) return { ok: false, message: `SetPolicy returned 0 but ${gp.name} ${gp.version} is not waiting for activation` };
    const act = await conn.invokeMethod(securityService(host), 'ActivatePolicy', { Policy: pending.path });
    if (returnCode(act) !== 0) return { ok: false, message: `ActivatePolicy refused (${returnCode(act)}): ${outText(act, 'Errors').join('; ')}` };
    return { ok: true, message: `${gp.name} ${gp.version} active${from ? ` (updated from ${from.name} ${from.version})` : ''}` };
  } catch (e) {
    const err = hostFailure(host, e);
    if (!err) throw e;
    return { ok: false, message: `${err.code}: ${err.message}` };
  }
}

/** One entry per host (its highest version), in host order: a host may both run and hold such a version. */
function noRoomHosts(known: readonly KnownVersion[]): KnownVersion[] {
  const byHost = new Map<string, KnownVersion>();
  for (const k of known) if (!byHost.has(k.host)) byHost.set(k.host, k);
  return [...byHost.values()].sort((a, b) => a.host.localeCompare(b.host));
}

export const policyModule: ServerModule = {
  name: 'policy',
  register(router: ApiRouter, ctx: ServerContext): void {
    const groups = new GroupStore(ctx.db);

    /**
     * An edit's version is above the server's copy and above every version of the policy's name
     * the TVDc's hosts are known to hold (recorded, and read from them now, bounded): a host that
     * got a version behind the server's back would otherwise refuse the next deployment of that
     * same version. Hosts that could not be read are named in the answer; their recorded versions
     * still count. The edit itself is applied after the hosts answered, to the policy as it is
     * then, so two edits at once never lose one another.
     *
     * A version that leaves no room above it (99999999.99999999, or any with fewer than EDIT_ROOM
     * minor versions left), which any holder of a host's write role can load there, is left out:
     * counting it would let that one host block every edit of the TVDc, at once or a few edits
     * later. The edit goes ahead, and the answer names the host, where deploying fails until its
     * policy is reset (it accepts only a version above the one it holds).
     */
    const edit = async (group: string, user: string, change: (p: Policy, version: string) => Policy, what: string) => {
      groups.requirePolicy(group);
      const live = await readHostsPolicies(ctx, groups.hostsOf(group));
      const gp = groups.requirePolicy(group);
      const known = knownHostVersions(groups, group, gp.name, live).filter((k) => compareVersions(k.version, gp.version) > 0);
      const above = known.filter((k) => leavesEditRoom(k.version));
      const leftOut = noRoomHosts(known.filter((k) => !leavesEditRoom(k.version)));
      const version = versionAbove([gp.version, ...above.map((k) => k.version)]);
      const next = groups.setPolicy(group, change(gp.policy, version), user);
      const highest = above[0];
      const notes = [
        highest ? `version ${next.version}, not ${nextVersion(gp.version)}: ${highest.where} ${gp.name} ${highest.version}` : undefined,
        ...leftOut.map((k) => `${k.where} ${gp.name} ${k.version}, which leaves no room above it for the TVDc's edits: left out of the choice of ${next.version}; deploying to host ${k.host} fails until that host's policy is reset`),
      ].filter((n): n is string => n !== undefined);
      const versionNote = notes.length ? notes.join('; ') : undefined;
      const unread = live.notRead.length ? `hosts not read: ${live.notRead.map((n) => `${n.host} (${n.message})`).join(', ')}` : undefined;
      ctx.audit({ user: user, group: group, action: 'policy.edit', message: [`TVDc ${group}: ${what} by ${user}; policy ${next.name} ${next.version}`, versionNote, unread].filter(Boolean).join('; ') });
      return {
        ...policyView(next),
        ...(versionNote ? { versionNote } : {}),
        ...(leftOut.length ? { versionsLeftOut: leftOut.map((k) => ({ host: k.host, version: k.version })) } : {}),
        hostsNotRead: live.notRead,
      };
    };

    // Each host is asked what it enforces, so a policy changed behind the server's back shows.
    router.route('GET', '/api/groups/:group/policy', async ({ principal, params }) => {
      const group = params['group']!;
      requireGroup(principal, group);
      const gp = groups.requirePolicy(group);
      const deployments = new Map(groups.deployments(group).map((d) => [d.host, d]));
      return {
        ...policyView(gp),
        deployments: await Promise.all(groups.hostsOf(group).map(async (h) => {
          let live: LivePolicy;
          let error: { code: string; message: string } | undefined;
          try {
            live = await readLivePolicy(ctx.hosts.connection(h), gp);
          } catch (e) {
            const err = hostFailure(h, e);
            if (!err) throw e;
            live = { reachable: false };
            error = { code: err.code, message: err.message };
          }
          return { host: h, ...deploymentView(gp, deployments.get(h), live), reachable: live.reachable, ...(error ? { error } : {}) };
        })),
      };
    });

    router.route('GET', '/api/groups/:group/policy/xml', ({ principal, params }) => {
      const group = params['group']!;
      requireGroup(principal, group);
      const gp = groups.requirePolicy(group);
      return { name: gp.name, version: gp.version, xml: gp.xml };
    });

    router.route('PUT', '/api/groups/:group/policy', async ({ principal, params, body }) => {
      requireDcAdmin(principal);
      const group = params['group']!;
      groups.require(group);
      const text = stringField(body, 'xml');
      const file = optionalString(body, 'file') ?? 'policy';
      const parsed = parsePolicy(text);
      if (!parsed.ok) {
        const lines = policyErrors(file, parsed.errors);
        throw ApiError.badRequest(`the policy has ${lines.length} error${lines.length > 1 ? 's' : ''}:\n${lines.join('\n')}`);
      }
      const { from: _from, ...header } = parsed.policy.header;
      const policy: Policy = { ...parsed.policy, header };
      // A host that runs name+version from this TVDc is taken to run exactly it; new content
      // under the same name needs a higher version.
      for (const h of groups.hostsOf(group)) {
        const deployed = groups.deployedPolicy(group, h);
        if (deployed && deployed.header.name === header.name && compareVersions(header.version, deployed.header.version) <= 0 && writeAcmXml(deployed) !== writeAcmXml(policy)) {
          throw ApiError.conflict(`host ${h} runs ${header.name} ${deployed.header.version}; a changed policy needs a version above it, not ${header.version}`);
        }
      }
      // The record knows only what this server deployed: a host may run this name and version
      // with other content, set behind the server's back. The hosts would keep that one (name and
      // version are a policy's identity to them), so the deployment could never succeed there.
      const live = await readHostsPolicies(ctx, groups.hostsOf(group));
      const { clashes, notRead: rulesNotRead } = await sameIdOtherContent(ctx, policy, live);
      if (clashes.length) {
        const which = clashes.map((c) => `${c.host} (${linesDiffer(c.differ)})`).join(', ');
        throw ApiError.conflict(`host${clashes.length === 1 ? '' : 's'} ${which} run${clashes.length === 1 ? 's' : ''} another ${header.name} ${header.version}; set this policy with a version above ${header.version} (edit <Version> in the file)`);
      }
      const notRead = [...live.notRead, ...rulesNotRead].sort((a, b) => a.host.localeCompare(b.host));
      const gp = groups.setPolicy(group, policy, principal.user);
      const unread = notRead.length ? `; hosts not read: ${notRead.map((n) => `${n.host} (${n.message})`).join(', ')}` : '';
      ctx.audit({ user: principal.user, group: group, action: 'policy.set', message: `TVDc ${group}: policy ${gp.name} ${gp.version} set by ${principal.user}${unread}` });
      return { ...policyView(gp), hostsNotRead: notRead };
    });

    // Two deployments of one TVDc at once would interleave SetPolicy and ActivatePolicy on a host.
    const deploying = new Set<string>();
    const deployments = new ChangesInFlight(ctx, 'policy.deploy');

    router.route('POST', '/api/groups/:group/policy/deploy', async ({ principal, params }) => {
      requireDcAdmin(principal);
      const group = params['group']!;
      const gp = groups.requirePolicy(group);
      const hosts = groups.hostsOf(group);
      if (hosts.length === 0) throw ApiError.conflict(`TVDc ${group} has no hosts to deploy to`);
      if (deploying.has(group)) throw ApiError.conflict(`a deployment of TVDc ${group} is in progress`);
      deploying.add(group);
      // In the trail before any host is asked: a server that dies midway leaves its trace.
      const underWay = deployments.begin({ user: principal.user, group, what: `deployment of policy ${gp.name} ${gp.version} to ${hosts.join(', ')} by ${principal.user}`, checkWith: `tvdc groups show ${group}` });
      let results: DeployResult[];
      try {
        // Every host gets its chance: one that refuses or is down is reported, not fatal.
        const accepted = new Map(groups.deployments(group).map((d) => [d.host, d.deployedName === gp.name ? d.deployedVersion : null]));
        results = await Promise.all(hosts.map(async (host) => {
          const r = await deployTo(ctx, host, gp, accepted.get(host) ?? null);
          groups.recordDeployment(group, host, gp, r.ok, r.message);
          return { host, ok: r.ok, state: r.ok ? 'deployed' : 'failed', message: r.message } as const;
        }));
        // A host that did not take it makes the deployment failed in the trail, as the CLI's exit
        // status and the console's "partly done" say; the message names each host's outcome.
        ctx.audit({ user: principal.user, group: group, action: 'policy.deploy', ...(results.every((r) => r.ok) ? {} : { outcome: 'failed' as const }), message: `TVDc ${group}: policy ${gp.name} ${gp.version} deployed by ${principal.user}: ${results.map((r) => `${r.host} ${r.state}`).join(', ')}` });
      } catch (e) {
        // The server kept running, so this is no deployment cut short by a stop: its outcome is
        // this error, in the trail now, and the record of it in flight goes below.
        ctx.audit({ user: principal.user, group: group, action: 'policy.deploy', outcome: 'failed', message: `TVDc ${group}: deployment of policy ${gp.name} ${gp.version} by ${principal.user} failed: ${(e as Error).message}; see tvdc groups show ${group}` });
        throw e;
      } finally {
        deploying.delete(group);
        underWay.end();
      }
      return { group, policy: { name: gp.name, version: gp.version }, ok: results.every((r) => r.ok), results };
    });

    router.route('POST', '/api/groups/:group/labels', ({ principal, params, body }) => {
      requireDcAdmin(principal);
      const group = params['group']!;
      const name = stringField(body, 'name');
      const kind = labelKind(optionalString(body, 'kind'));
      const ste = stringList(body, 'types');
      // A VM label's Chinese Wall types default to its types, as in the paper's workloads.
      const cw = optionalList(body, 'cw') ?? (kind === 'vm' ? ste : []);
      return edit(group, principal.user, (p, v) => addLabel(p, { name, kind, ste, cw }, v), `${kind} label ${name} added`);
    });

    router.route('DELETE', '/api/groups/:group/labels/:label', ({ principal, params, query }) => {
      requireDcAdmin(principal);
      const kind = labelKind(query.get('kind'));
      return edit(params['group']!, principal.user, (p, v) => removeLabel(p, params['label']!, kind, v), `${kind} label ${params['label']} removed`);
    });

    router.route('POST', '/api/groups/:group/conflicts', ({ principal, params, body }) => {
      requireDcAdmin(principal);
      const name = stringField(body, 'name');
      const types = stringList(body, 'types');
      return edit(params['group']!, principal.user, (p, v) => addConflictSet(p, name, types, v), `conflict set ${name} added`);
    });

    router.route('DELETE', '/api/groups/:group/conflicts/:name', ({ principal, params }) => {
      requireDcAdmin(principal);
      return edit(params['group']!, principal.user, (p, v) => removeConflictSet(p, params['name']!, v), `conflict set ${params['name']} removed`);
    });
  },
};
