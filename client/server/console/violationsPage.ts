// Policy violations the hosts reported (their reference monitors' denials), newest first: each
// one is a problem for an administrator to look into, so every row carries the marker.
import type { ViolationView } from './apiViews.js';
import type { ApiReader } from './ApiReader.js';
import { html, type Html } from './html.js';
import { page } from './layout.js';
import { problem } from './markers.js';

/** How many violations the page lists (the API's default). */
const LIMIT = 100;

export const VIOLATION_HEADER = html`<tr><th>#</th><th>Time (host)</th><th>TVDc</th><th>Host</th><th>Operation denied</th><th>Subject</th><th>Object</th><th>Rule</th><th>Reason</th></tr>\n`;

function labeled(what: string | null, label: string | null): Html {
  return html`${what ?? ''}${label ? html`<br/><span class="muted">label ${label}</span>` : ''}`;
}

export function violationRows(violations: readonly ViolationView[]): Html[] {
  return violations.map((v) => html`<tr><td>${v.id}</td><td>${v.at}</td><td>${v.group ?? ''}</td><td>${v.host}</td><td>${problem(v.operation)}</td><td>${labeled(v.subject, v.subjectLabel)}</td><td>${labeled(v.object, v.objectLabel)}</td><td>${v.rule}</td><td>${v.reason}</td></tr>\n`);
}

export async function violationsPage(api: ApiReader): Promise<string> {
  const { violations } = await api.get<{ violations: ViolationView[] }>('/api/violations', { limit: String(LIMIT) });
  const body = html`<p>The latest ${LIMIT} policy violations the hosts reported${api.principal.role === 'tvdcadmin' ? ' in your TVDcs' : ''}, newest first.</p>
${violations.length ? html`<table>\n${VIOLATION_HEADER}${violationRows(violations)}</table>\n` : html`<p>No violations.</p>\n`}`;
  return page({ title: 'Violations', principal: api.principal, base: './' }, body);
}
