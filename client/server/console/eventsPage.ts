// The event log as the console shows it: attestations and what action plans did about them,
// newest first, the verdicts that are not "trusted" and failed actions flagged.
import type { EventView } from './apiViews.js';
import type { ApiReader } from './ApiReader.js';
import { html, type Html } from './html.js';
import { page } from './layout.js';
import { eventIsProblem, flagged } from './markers.js';

/** How many events the page lists (the API's default). */
const LIMIT = 100;

export const EVENT_HEADER = html`<tr><th>#</th><th>Time</th><th>Kind</th><th>TVDc</th><th>Host</th><th>VM</th><th>Status</th><th>Message</th><th>Findings</th></tr>\n`;

function what(e: EventView): Html {
  if (e.kind === 'attestation') return html`attestation`;
  return html`action${e.action ? html` ${e.action}` : ''}${e.planId !== undefined ? html` (plan ${e.planId})` : ''}${e.cause !== undefined ? html` for #${e.cause}` : ''}`;
}

export function eventRows(events: readonly EventView[]): Html[] {
  return events.map((e) => html`<tr><td>${e.id}</td><td>${e.at}</td><td>${what(e)}</td><td>${e.group ?? ''}</td><td>${e.host}</td><td>${e.vm ?? ''}</td><td>${flagged(eventIsProblem(e.status), e.status)}</td><td>${e.message}</td><td>${e.findings.length
    ? html`<ul>${e.findings.map((f) => html`<li>${f.code}: ${f.message}</li>`)}</ul>`
    : ''}</td></tr>\n`);
}

export async function eventsPage(api: ApiReader): Promise<string> {
  const { events } = await api.get<{ events: EventView[] }>('/api/events', { limit: String(LIMIT) });
  const body = html`<p>The latest ${LIMIT} attestations and plan actions${api.principal.role === 'tvdcadmin' ? ' of your TVDcs' : ''}, newest first.</p>
${events.length ? html`<table>\n${EVENT_HEADER}${eventRows(events)}</table>\n` : html`<p>No events.</p>\n`}`;
  return page({ title: 'Events', principal: api.principal, base: './' }, body);
}
