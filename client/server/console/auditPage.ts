// The audit trail as the console shows it: who changed what and who tried what he may not, newest
// first, as GET /api/audit gives it to the signed-in user (a tvdcadmin his TVDcs' entries only).
// Filters by TVDc and outcome come as GET query parameters and go to the API as they are, so it
// validates them and its refusal is what the page says; refused and failed entries are flagged.
import { isApiError, type ApiError } from '../ApiError.js';
import type { AuditEntryView, GroupSummary } from './apiViews.js';
import type { ApiReader } from './ApiReader.js';
import { ConsoleError } from './ConsoleError.js';
import { html, type Html } from './html.js';
import { page } from './layout.js';
import { auditIsProblem, flagged, problem } from './markers.js';

/** How many entries the page lists. */
export const AUDIT_PAGE_LIMIT = 200;

/** The query parameters the page takes; an empty one is no filter (the forms' "any"). */
const FILTERS = ['group', 'outcome'] as const;

const OUTCOMES = ['done', 'refused', 'failed'] as const;

/** What each outcome means, for the reader of the table. */
const OUTCOME_WORDS: Record<string, string> = {
  done: 'done',
  refused: 'refused: not allowed',
  failed: 'failed: asked of the hosts, not done or its outcome unknown',
};

/**
 * The words of an entry's outcome. A failure the API recorded with the host's refusal (its
 * message carries the stable code HOST_REFUSED, as the migration's does) was not done, and is no
 * unknown: it says so.
 */
function outcomeWords(e: AuditEntryView): string {
  if (e.outcome === 'failed' && /: HOST_REFUSED: /.test(e.message)) return 'failed: the host refused it, not done';
  return OUTCOME_WORDS[e.outcome] ?? e.outcome;
}

export const AUDIT_HEADER = html`<tr><th>#</th><th>Time</th><th>User</th><th>TVDc</th><th>Action</th><th>Outcome</th><th>Message</th></tr>\n`;

export function auditRows(entries: readonly AuditEntryView[]): Html[] {
  return entries.map((e) => html`<tr><td>${e.id}</td><td>${e.at}</td><td>${e.user}</td><td>${e.group ?? html`<span class="muted">datacenter</span>`}</td><td>${e.action}</td><td>${flagged(auditIsProblem(e.outcome), outcomeWords(e))}</td><td>${e.message}</td></tr>\n`);
}

/** The filters asked for; ConsoleError 400 for a parameter the page does not take or one sent twice. */
function auditFilters(query: URLSearchParams): Partial<Record<(typeof FILTERS)[number], string>> {
  const out: Partial<Record<(typeof FILTERS)[number], string>> = {};
  for (const key of new Set(query.keys())) {
    if (!(FILTERS as readonly string[]).includes(key)) throw new ConsoleError(400, 'Bad filter', `The audit page filters by group (a TVDc) and outcome only, not by "${key}".`);
    const all = query.getAll(key);
    if (all.length > 1) throw new ConsoleError(400, 'Bad filter', `The filter "${key}" was given ${all.length} times.`);
    if (all[0] !== '') out[key as (typeof FILTERS)[number]] = all[0]!;
  }
  return out;
}

function option(value: string, text: string, chosen: string | undefined): Html {
  return html`<option value="${value}"${value === (chosen ?? '') ? html` selected="selected"` : ''}>${text}</option>`;
}

/** The filter form: a GET, so it changes nothing and needs no token. */
function filterForm(groups: readonly string[], f: { group?: string; outcome?: string }): Html {
  // A filter on a TVDc not listed (deleted since, or typed into the URL) is kept as asked.
  const names = f.group !== undefined && !groups.includes(f.group) ? [...groups, f.group] : groups;
  const outcomes: readonly string[] = f.outcome !== undefined && !(OUTCOMES as readonly string[]).includes(f.outcome) ? [...OUTCOMES, f.outcome] : OUTCOMES;
  return html`<form method="get" action="audit"><label>TVDc <select name="group">${option('', '(any)', f.group)}${names.map((g) => option(g, g, f.group))}</select></label> <label>Outcome <select name="outcome">${option('', '(any)', f.outcome)}${outcomes.map((o) => option(o, o, f.outcome))}</select></label> <button type="submit">Filter</button></form>
`;
}

/**
 * The page for `query`: status 200, or the API's refusal of a filter (400 for a bad outcome, 403
 * for a TVDc a tvdcadmin is not authorized for, returned for the server log as the API logs it)
 * shown on the page with the filter form to fix it.
 */
export async function auditPage(api: ApiReader, query: URLSearchParams): Promise<{ status: number; body: string; refusal?: ApiError }> {
  const f = auditFilters(query);
  const { groups } = await api.get<{ groups: GroupSummary[] }>('/api/groups');
  const form = filterForm(groups.map((g) => g.name), f);
  const scope = api.principal.role === 'tvdcadmin' ? ' in your TVDcs' : '';
  const filtered = [f.group !== undefined ? `TVDc ${f.group}` : null, f.outcome !== undefined ? `outcome ${f.outcome}` : null].filter((x) => x !== null);
  const intro = html`<p>The latest ${AUDIT_PAGE_LIMIT} changes made through the server and operations refused to signed-in users${scope}${filtered.length ? `, ${filtered.join(', ')}` : ''}, newest first.</p>\n`;
  const frame = (status: number, content: Html, refusal?: ApiError) => ({
    status,
    body: page({ title: 'Audit trail', principal: api.principal, base: './' }, html`${intro}${form}${content}`),
    ...(refusal ? { refusal } : {}),
  });
  let entries: AuditEntryView[];
  try {
    ({ entries } = await api.get<{ entries: AuditEntryView[] }>('/api/audit', { ...f, limit: String(AUDIT_PAGE_LIMIT) }));
  } catch (e) {
    if (isApiError(e) && (e.code === 'BAD_REQUEST' || e.code === 'FORBIDDEN')) {
      return frame(e.status, html`<p>${problem(html`filter refused: ${e.code} (HTTP ${e.status}): ${e.message}`)}</p>\n`, e.code === 'FORBIDDEN' ? e : undefined);
    }
    throw e;
  }
  return frame(200, entries.length ? html`<table>\n${AUDIT_HEADER}${auditRows(entries)}</table>\n` : html`<p>No entries.</p>\n`);
}
