// The console's first page: every TVDc the user may see, with its policy, each host's deployment
// state as the host reports it now (drift and unreachable hosts flagged), and the last 24 hours'
// untrusted, unknown and failed attestations and violations.
import { ApiError } from '../ApiError.js';
import type { EventView, GroupPolicyView, GroupSummary, HostDeployment, HostSummary, ViolationView } from './apiViews.js';
import { ApiReader } from './ApiReader.js';
import { html, pathSegment, type Html } from './html.js';
import { page } from './layout.js';
import { countCell, deploymentIsProblem, flagged, problem } from './markers.js';
import { countRecent, RECENT_MS, type RecentCounts } from './recent.js';

const NONE: RecentCounts = { untrusted: 0, unknown: 0, failed: 0, violations: 0 };

/** Each host's deployment, asked of the hosts; a TVDc without a policy has none to deploy. */
async function deployments(api: ApiReader, g: GroupSummary): Promise<HostDeployment[] | null> {
  if (!g.policy) return null;
  try {
    return (await api.get<GroupPolicyView>(ApiReader.group(g.name, '/policy'))).deployments;
  } catch (e) {
    // The TVDc lost its policy or was deleted between the two reads: shown as it was listed.
    if (e instanceof ApiError && (e.code === 'CONFLICT' || e.code === 'NOT_FOUND')) return null;
    throw e;
  }
}

function hostLine(d: HostDeployment): Html {
  const err = d.error ? html` <span class="muted">(${d.error.code}: ${d.error.message})</span>` : null;
  return html`<li>${d.host}: ${flagged(deploymentIsProblem(d.status), d.state)}${err}</li>`;
}

export async function overviewPage(api: ApiReader): Promise<string> {
  const since = new Date(Date.now() - RECENT_MS);
  const [{ groups }, { hosts }, { events }, { violations }] = await Promise.all([
    api.get<{ groups: GroupSummary[] }>('/api/groups'),
    api.get<{ hosts: HostSummary[] }>('/api/hosts'),
    api.get<{ events: EventView[] }>('/api/events', { since: since.toISOString(), kind: 'attestation', limit: '10000' }),
    api.get<{ violations: ViolationView[] }>('/api/violations', { limit: '10000' }),
  ]);
  const counts = countRecent(events, violations, since);
  const live = await Promise.all(groups.map((g) => deployments(api, g)));

  const rows = groups.map((g, i) => {
    const c = counts.get(g.name) ?? NONE;
    const d = live[i];
    const hostList = d
      ? html`<ul>${d.map(hostLine)}</ul>`
      : g.hosts.length
        ? html`<ul>${g.hosts.map((h) => html`<li>${h}: no policy</li>`)}</ul>`
        : html`<span class="muted">no hosts</span>`;
    return html`<tr><td><a href="tvdc/${pathSegment(g.name)}">${g.name}</a></td><td>${g.policy ? `${g.policy.name} ${g.policy.version}` : problem('no policy')}</td><td>${hostList}</td><td>${countCell(c.untrusted, 'untrusted')}</td><td>${countCell(c.unknown, 'unknown')}</td><td>${countCell(c.failed, 'failed')}</td><td>${countCell(c.violations, 'violation', 'violations')}</td></tr>\n`;
  });

  // A dcadmin also sees the hosts in no TVDc (a tvdcadmin's host list holds only his TVDcs').
  const loose = hosts.filter((h) => h.group === null);
  const looseCounts = counts.get('') ?? NONE;
  const looseSection = loose.length || looseCounts.violations || looseCounts.failed || looseCounts.untrusted || looseCounts.unknown
    ? html`<h2>Hosts in no TVDc</h2>
<ul>${loose.map((h) => html`<li>${h.name} <span class="muted">${h.url}</span></li>`)}</ul>
<p>Last 24 hours: ${countCell(looseCounts.untrusted, 'untrusted')}, ${countCell(looseCounts.unknown, 'unknown')}, ${countCell(looseCounts.failed, 'failed')} attestations; ${countCell(looseCounts.violations, 'violation', 'violations')}.</p>
`
    : null;

  const body = html`<h2>TVDcs</h2>
${groups.length === 0
    ? html`<p>No TVDc to show.</p>\n`
    : html`<table>
<tr><th>TVDc</th><th>Policy</th><th>Hosts: deployment of the TVDc's policy</th><th>Untrusted (24 h)</th><th>Unknown (24 h)</th><th>Failed attestations (24 h)</th><th>Violations (24 h)</th></tr>
${rows}</table>
`}${looseSection}`;
  return page({ title: 'Overview', principal: api.principal, base: './' }, body);
}
