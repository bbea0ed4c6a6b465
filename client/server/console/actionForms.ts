// The console's forms: each posts one action (consoleActions.ts) to its TVDc's actions path and
// carries the user's anti-CSRF token. Plain forms, no scripts; every value is escaped by `html`.
// What a form offers follows what the page read; the API still decides (a VM that changed state
// since, a host the VM may not go to).
import type { ElementKind } from './consoleActions.js';
import { html, pathSegment, type Html } from './html.js';

/** Where a TVDc's forms post, relative to /console/ (prefix it with the page's base). */
export function actionsPath(group: string): string {
  return `tvdc/${pathSegment(group)}/actions`;
}

export interface FormTarget {
  /** The URL the forms post to, relative to the page. */
  url: string;
  /** The signed-in user's anti-CSRF token. */
  token: string;
}

function hidden(name: string, value: string): Html {
  return html`<input type="hidden" name="${name}" value="${value}"/>`;
}

function form(t: FormTarget, fields: Record<string, string>, controls: Html, button: string): Html {
  return html`<form method="post" action="${t.url}">${hidden('token', t.token)}${Object.entries(fields).map(([k, v]) => hidden(k, v))}${controls}<button type="submit">${button}</button></form>`;
}

/** A button that runs `action` (attest, deploy) on the TVDc. */
export function buttonForm(t: FormTarget, action: 'attest' | 'deploy', button: string): Html {
  return form(t, { action }, html``, button);
}

/**
 * Assigning one of `labels` to an element (the current one preselected), and removing its label
 * when it has one. A VM is named alone (the server finds its host); a disk or segment with its host.
 */
export function labelForms(t: FormTarget, element: ElementKind, host: string, name: string, labels: readonly string[], current: string | null): Html {
  const where: Record<string, string> = element === 'vm' ? { element, name } : { element, host, name };
  // Nothing is preselected but the current label, so a stray click assigns nothing (the first
  // label of a policy is often the bootstrap one); the browser asks for a choice first.
  const placeholder = current === null || !labels.includes(current) ? html`<option value="" selected="selected">(choose a label)</option>` : null;
  const assign = labels.length
    ? form(t, { action: 'label', ...where }, html`<select name="label" required="required">${placeholder}${labels.map((l) => html`<option value="${l}"${l === current ? html` selected="selected"` : ''}>${l}</option>`)}</select> `, 'Assign')
    : null;
  const remove = current !== null ? form(t, { action: 'unlabel', ...where }, html``, 'Remove label') : null;
  return html`${assign}${remove}`;
}

/** A host a VM may be sent to: one of the TVDc's other hosts. */
export interface Destination {
  name: string;
  reachable: boolean;
}

/**
 * The run controls of a VM in `state` (as the TVDc's page reads it): Start for a stopped,
 * suspended or paused VM; an orderly Stop and Stop hard for a running one (a suspended or paused
 * VM takes no orderly shutdown, only the hard stop); Migrate for a running one (only a running VM
 * migrates) to one of `destinations`, none preselected, so the browser asks for a choice first.
 */
export function vmForms(t: FormTarget, vm: string, state: string, destinations: readonly Destination[]): Html {
  const running = state === 'running';
  const halted = state === 'suspended' || state === 'paused';
  const start = state === 'stopped' || halted ? form(t, { action: 'start', vm }, html``, 'Start') : null;
  const stop = running ? form(t, { action: 'stop', vm, hard: 'false' }, html``, 'Stop') : null;
  const hardStop = running || halted ? form(t, { action: 'stop', vm, hard: 'true' }, html``, 'Stop hard') : null;
  const migrate = running && destinations.length
    ? form(t, { action: 'migrate', vm }, html`<select name="to" required="required"><option value="" selected="selected">(choose a host)</option>${destinations.map((d) => html`<option value="${d.name}">${d.name}${d.reachable ? '' : ' (unreachable)'}</option>`)}</select> `, 'Migrate')
    : null;
  // A state the console has no name for: the host's AvailableRequestedStates decide, which the CLI asks.
  if (!start && !stop && !hardStop) return html`<span class="muted">none in this state (tvdc vms start or stop)</span>`;
  return html`${start}${stop}${hardStop}${migrate}`;
}
