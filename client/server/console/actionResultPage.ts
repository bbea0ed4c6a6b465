// The page a console form answers with: what was asked, on what, and what came of it (the API's
// answer, or its refusal's code and message; a host that did not finish in time as an outcome
// that is unknown, not a refusal), with the way back. Nothing of the request is
// echoed but the names the action was parsed into, escaped like everything else; the way back
// is a link, never a redirect.
import type { ApiError } from '../ApiError.js';
import type { Principal } from '../ApiRouter.js';
import type { VmMigrateAnswer, VmStartAnswer, VmStopAnswer } from './apiViews.js';
import { describe, type ConsoleAction } from './consoleActions.js';
import { html, pathSegment, type Html } from './html.js';
import { page } from './layout.js';
import { eventIsProblem, flagged, problem } from './markers.js';

interface AttestAnswer {
  summary: string;
  results: { host: string; vm?: string; status: string; findings: { code: string; message: string }[]; actions: { action?: string; status: string; message: string }[] }[];
}

interface DeployAnswer {
  policy: { name: string; version: string };
  ok: boolean;
  results: { host: string; ok: boolean; state: string; message: string }[];
}

interface LabelAnswer {
  host: string;
  label: string | null;
  securityLabel?: string;
}

export interface ActionOutcome {
  principal: Principal;
  group: string;
  action: ConsoleAction;
  /** The relative path from the result page to /console/. */
  base: string;
  answer?: unknown;
  error?: ApiError;
}

function attestDetails(a: AttestAnswer): Html {
  return html`<p>${a.summary}</p>
${a.results.length
    ? html`<table>
<tr><th>Host</th><th>VM</th><th>Verdict</th><th>Findings</th><th>Actions taken</th></tr>
${a.results.map((r) => html`<tr><td>${r.host}</td><td>${r.vm ?? ''}</td><td>${flagged(eventIsProblem(r.status), r.status)}</td><td>${r.findings.length ? html`<ul>${r.findings.map((f) => html`<li>${f.code}: ${f.message}</li>`)}</ul>` : ''}</td><td>${r.actions.length ? html`<ul>${r.actions.map((x) => html`<li>${x.action ?? 'action'}: ${flagged(eventIsProblem(x.status), x.status)} ${x.message}</li>`)}</ul>` : ''}</td></tr>\n`)}</table>
`
    : null}`;
}

function deployDetails(d: DeployAnswer): Html {
  return html`<p>Policy ${d.policy.name} ${d.policy.version}: ${d.ok ? 'every host took it.' : problem('not every host took it')}</p>
<table>
<tr><th>Host</th><th>State</th><th>Message</th></tr>
${d.results.map((r) => html`<tr><td>${r.host}</td><td>${flagged(!r.ok, r.state)}</td><td>${r.message}</td></tr>\n`)}</table>
`;
}

function labelDetails(l: LabelAnswer): Html {
  return l.label === null
    ? html`<p>The host ${l.host} reports no label on it now.</p>\n`
    : html`<p>The host ${l.host} stores it as ${l.securityLabel ?? l.label}.</p>\n`;
}

function startDetails(a: VmStartAnswer): Html {
  return a.changed
    ? html`<p>VM ${a.vm} runs on host ${a.host} now.</p>\n`
    : html`<p>VM ${a.vm} was running on host ${a.host} already; nothing was sent to the host.</p>\n`;
}

function stopDetails(a: VmStopAnswer): Html {
  return a.changed
    ? html`<p>VM ${a.vm} on host ${a.host} is stopped (${a.hard ? 'hard stop' : 'orderly shutdown'}).</p>\n`
    : html`<p>VM ${a.vm} on host ${a.host} was stopped already; nothing was sent to the host.</p>\n`;
}

function migrateDetails(a: VmMigrateAnswer): Html {
  const state = a.state === null ? html`; ${problem(html`its state on ${a.to} could not be read after the move`)}` : html`; on ${a.to} it is ${a.state}`;
  return html`<p>VM ${a.vm} moved from host ${a.from} to host ${a.to}${state}.</p>\n`;
}

function details(action: ConsoleAction, answer: unknown): Html {
  switch (action.action) {
    case 'attest':
      return attestDetails(answer as AttestAnswer);
    case 'deploy':
      return deployDetails(answer as DeployAnswer);
    case 'start':
      return startDetails(answer as VmStartAnswer);
    case 'stop':
      return stopDetails(answer as VmStopAnswer);
    case 'migrate':
      return migrateDetails(answer as VmMigrateAnswer);
    default:
      return labelDetails(answer as LabelAnswer);
  }
}

export function actionResultPage(o: ActionOutcome): string {
  const { what, target } = describe(o.action);
  // A deployment that some host did not take is answered, not refused: flagged all the same.
  const partial = o.action.action === 'deploy' && o.answer !== undefined && !(o.answer as DeployAnswer).ok;
  // HOST_TIMEOUT is no refusal: the host may have done it, after the server stopped waiting.
  const unknown = o.error?.code === 'HOST_TIMEOUT';
  const outcome = o.error
    ? problem(html`${unknown ? 'outcome unknown' : 'refused'}: ${o.error.code} (HTTP ${o.error.status}): ${o.error.message}`)
    : partial ? problem('done on some hosts only') : html`done`;
  const unknownNote = unknown
    ? html`<p>${problem('whether this was done is unknown')}: the host did not finish in time and the server stopped waiting; nothing was retried. Look at the VM's state on the TVDc's page before trying again.</p>\n`
    : null;
  const body = html`<table>
<tr><th>Action</th><td>${what}</td></tr>
<tr><th>TVDc</th><td>${o.group}</td></tr>
<tr><th>Target</th><td>${target}</td></tr>
<tr><th>Outcome</th><td>${outcome}</td></tr>
</table>
${o.answer !== undefined ? details(o.action, o.answer) : null}${unknownNote}<p><a href="${o.base}tvdc/${pathSegment(o.group)}">Back to TVDc ${o.group}</a></p>
`;
  return page({ title: unknown ? 'Outcome unknown' : o.error ? 'Action refused' : partial ? 'Action partly done' : 'Action done', principal: o.principal, base: o.base }, body);
}
