// One TVDc's security attributes (the paper's section 3.1: "view the security attributes of the
// TVDc, its domains, and the resources of the domains"): its policy's labels and conflict sets,
// every host with its label and deployment state, every VM, disk and segment with its label, its
// administrators, and its latest attestations and violations. A label the TVDc's policy does not
// have is flagged as mis-assigned. Its forms assign and remove the labels of VMs, disks and
// segments, start, stop and migrate its VMs (to its other hosts only), attest the TVDc and (for a
// dcadmin) deploy its policy; its latest audit entries say who did what there.
import { ApiError } from '../ApiError.js';
import type { AuditEntryView, EventView, GroupDetail, GroupLabels, HostDetail, ViolationView } from './apiViews.js';
import { ApiReader } from './ApiReader.js';
import { actionsPath, buttonForm, labelForms, vmForms, type FormTarget } from './actionForms.js';
import { auditRows, AUDIT_HEADER } from './auditPage.js';
import { eventRows, EVENT_HEADER } from './eventsPage.js';
import { html, pathSegment, type Html } from './html.js';
import { page } from './layout.js';
import { deploymentIsProblem, flagged, problem } from './markers.js';
import { violationRows, VIOLATION_HEADER } from './violationsPage.js';

/** In place of a tvdcadmin's controls of the management VM. */
const MANAGEMENT_VM = html`<span class="muted">the management VM: a dcadmin's only</span>`;

/** How many of the TVDc's latest events, violations and audit entries its page lists. */
const LATEST = 10;

/** The TVDc's policy's labels; with `host`, those of the policy that host last accepted from the TVDc. */
async function labelsOf(api: ApiReader, group: string, host?: string): Promise<GroupLabels | null> {
  try {
    return await api.get<GroupLabels>(ApiReader.group(group, '/labels'), host === undefined ? {} : { host });
  } catch (e) {
    // No policy yet, none deployed on the host (409), or it went away between the reads.
    if (e instanceof ApiError && (e.code === 'CONFLICT' || e.code === 'NOT_FOUND')) return null;
    throw e;
  }
}

/** A label cell: none, one of the policy's, or one the policy lacks (mis-assigned). */
function labelCell(label: string | null, known: ReadonlySet<string> | null): Html {
  if (label === null) return html`<span class="muted">none</span>`;
  if (known && !known.has(label)) return problem(html`${label} (not a label of the TVDc's policy)`);
  return html`${label}`;
}

function hostRow(h: HostDetail, known: ReadonlySet<string> | null): Html {
  const reach = h.reachable ? 'yes' : problem(html`unreachable${h.error ? html`: ${h.error.code}: ${h.error.message}` : ''}`);
  // An unreachable host's label was not read: unknown, not none.
  const label = h.reachable ? labelCell(h.label, known) : html`<span class="muted">unknown (not read)</span>`;
  return html`<tr><td>${h.name}</td><td>${h.url}</td><td>${reach}</td><td>${label}</td><td>${flagged(deploymentIsProblem(h.deployment.status), h.deployment.state)}</td><td>${h.deployment.message ?? ''}</td></tr>\n`;
}

/** The page of TVDc `name`; its forms carry `token`, the signed-in user's anti-CSRF token. */
export async function tvdcPage(api: ApiReader, name: string, token: string): Promise<string> {
  // The TVDc itself first: a tvdcadmin not authorized for it, or a TVDc that does not exist, ends
  // here (the caller answers both the same).
  const detail = await api.get<GroupDetail>(ApiReader.group(name));
  const [labels, deployedLabels, { events }, { violations }, { entries: audit }] = await Promise.all([
    labelsOf(api, name),
    Promise.all(detail.hosts.map(async (h) => [h.name, await labelsOf(api, name, h.name)] as const)).then((all) => new Map(all)),
    api.get<{ events: EventView[] }>('/api/events', { group: name, limit: String(LATEST) }),
    api.get<{ violations: ViolationView[] }>('/api/violations', { group: name, limit: String(LATEST) }),
    api.get<{ entries: AuditEntryView[] }>('/api/audit', { group: name, limit: String(LATEST) }),
  ]);
  const vmLabels = labels ? new Set(labels.labels.filter((l) => l.kind === 'vm').map((l) => l.name)) : null;
  const resourceLabels = labels ? new Set(labels.labels.filter((l) => l.kind === 'resource').map((l) => l.name)) : null;
  // A host's own label is checked against every label of the policy (the paper's hosts carry
  // the management VM's label).
  const hostLabels = labels ? new Set(labels.labels.map((l) => l.name)) : null;

  const forms: FormTarget = { url: `../${actionsPath(detail.name)}`, token };
  const dcadmin = api.principal.role === 'dcadmin';
  // What the forms offer: the labels of each kind of the policy the element's host last accepted
  // from the TVDc (those the API accepts there; a label added to the TVDc's policy since is not
  // on the host until deployed), the reserved ones (the bootstrap label and those with its
  // management type) to a dcadmin only, as the API allows. A host with nothing deployed: nothing to assign.
  const choices = (host: string, kind: 'vm' | 'resource') =>
    (deployedLabels.get(host)?.labels ?? []).filter((l) => l.kind === kind && (dcadmin || !l.reserved)).map((l) => l.name);
  // The management VM (holding the bootstrap label of the policy its host runs from the TVDc) is
  // the dcadmin's alone: the API refuses a tvdcadmin every change of it, so none is offered.
  const dcadminOnly = (host: string, label: string | null) =>
    !dcadmin && label !== null && deployedLabels.get(host)?.labels.some((l) => l.kind === 'vm' && l.bootstrap && l.name === label) === true;
  const notDeployed = (host: string) => (deployedLabels.get(host) ? null : html`<span class="muted">no policy deployed on ${host} yet</span>`);
  const change = (element: 'vm' | 'disk' | 'segment', host: string, elementName: string, current: string | null) =>
    element === 'vm' && dcadminOnly(host, current)
      ? MANAGEMENT_VM
      : html`${labelForms(forms, element, host, elementName, choices(host, element === 'vm' ? 'vm' : 'resource'), current)}${notDeployed(host)}`;
  // A VM migrates only between the TVDc's hosts: the other ones are the choices, and nothing else
  // (the API refuses any other host all the same).
  const run = (host: string, vm: string, state: string, label: string | null) =>
    dcadminOnly(host, label)
      ? MANAGEMENT_VM
      : vmForms(forms, vm, state, detail.hosts.filter((h) => h.name !== host).map((h) => ({ name: h.name, reachable: h.reachable })));
  const actions = html`<h2>Actions</h2>
<div>${buttonForm(forms, 'attest', 'Attest this TVDc now')}${dcadmin && detail.policy ? buttonForm(forms, 'deploy', 'Deploy the policy to every host of this TVDc') : null}</div>
`;

  const policy = detail.policy
    ? html`<p>Policy <strong>${detail.policy.name} ${detail.policy.version}</strong>, set by ${detail.policy.updatedBy} at ${detail.policy.updatedAt}.</p>\n`
    : html`<p>${problem('this TVDc has no policy yet')}</p>\n`;

  const labelTable = labels
    ? html`<h2>Labels</h2>
<table>
<tr><th>Label</th><th>Kind</th><th>Types (STE)</th><th>Chinese Wall types</th></tr>
${labels.labels.map((l) => html`<tr><td>${l.name}${l.bootstrap ? html` <span class="muted">(bootstrap)</span>` : ''}</td><td>${l.kind}</td><td>${l.ste.join(', ')}</td><td>${l.cw.join(', ')}</td></tr>\n`)}</table>
<h2>Conflict sets</h2>
${labels.conflictSets.length
    ? html`<table>
<tr><th>Conflict set</th><th>Types that may not run on one host at once</th></tr>
${labels.conflictSets.map((c) => html`<tr><td>${c.name}</td><td>${c.types.join(', ')}</td></tr>\n`)}</table>
`
    : html`<p>None.</p>\n`}`
    : null;

  const vms = detail.hosts.flatMap((h) => h.vms.map((v) => ({ host: h.name, ...v })));
  const disks = detail.hosts.flatMap((h) => h.disks.map((d) => ({ host: h.name, ...d })));
  const segments = detail.hosts.flatMap((h) => h.segments.map((s) => ({ host: h.name, ...s })));
  const unreachable = detail.hosts.filter((h) => !h.reachable).map((h) => h.name);

  const body = html`${policy}${actions}<h2>Administrators</h2>
<p>${detail.administrators.length ? detail.administrators.join(', ') : html`<span class="muted">no TVDc administrator; the dcadmins only</span>`}</p>
${labelTable}<h2>Hosts</h2>
${detail.hosts.length
    ? html`<table>
<tr><th>Host</th><th>URL</th><th>Reachable</th><th>Host label</th><th>Deployment of the TVDc's policy</th><th>Last deployment</th></tr>
${detail.hosts.map((h) => hostRow(h, hostLabels))}</table>
`
    : html`<p>No hosts.</p>\n`}${unreachable.length ? html`<p>${problem(html`VMs, disks and segments of ${unreachable.join(', ')} could not be read`)}</p>\n` : null}<h2>VMs</h2>
${vms.length
    ? html`<table>
<tr><th>VM</th><th>Host</th><th>State</th><th>Label</th><th>Disks</th><th>Segments</th><th>Change the label</th><th>Start, stop, migrate</th></tr>
${vms.map((v) => html`<tr><td>${v.name}</td><td>${v.host}</td><td>${v.state}</td><td>${labelCell(v.label, vmLabels)}</td><td>${v.disks.join(', ')}</td><td>${v.segments.join(', ')}</td><td>${change('vm', v.host, v.name, v.label)}</td><td>${run(v.host, v.name, v.state, v.label)}</td></tr>\n`)}</table>
`
    : html`<p>No VMs.</p>\n`}<h2>Disks</h2>
${disks.length
    ? html`<table>
<tr><th>Disk</th><th>Host</th><th>Label</th><th>Change the label</th></tr>
${disks.map((d) => html`<tr><td>${d.name}</td><td>${d.host}</td><td>${labelCell(d.label, resourceLabels)}</td><td>${change('disk', d.host, d.name, d.label)}</td></tr>\n`)}</table>
`
    : html`<p>No disks.</p>\n`}<h2>Network segments</h2>
${segments.length
    ? html`<table>
<tr><th>Segment</th><th>Host</th><th>Network</th><th>Label</th><th>Change the label</th></tr>
${segments.map((s) => html`<tr><td>${s.name}</td><td>${s.host}</td><td>${s.network}</td><td>${labelCell(s.label, resourceLabels)}</td><td>${change('segment', s.host, s.name, s.label)}</td></tr>\n`)}</table>
`
    : html`<p>No segments.</p>\n`}<h2>Latest events</h2>
${events.length ? html`<table>\n${EVENT_HEADER}${eventRows(events)}</table>\n` : html`<p>None.</p>\n`}<h2>Latest violations</h2>
${violations.length ? html`<table>\n${VIOLATION_HEADER}${violationRows(violations)}</table>\n` : html`<p>None.</p>\n`}<h2>Latest audit entries</h2>
${audit.length ? html`<table>\n${AUDIT_HEADER}${auditRows(audit)}</table>\n` : html`<p>None.</p>\n`}<p><a href="../audit?group=${pathSegment(detail.name)}">The TVDc's audit trail</a></p>
`;
  return page({ title: `TVDc ${detail.name}`, principal: api.principal, base: '../' }, body);
}
