// The console's forms: each posts one action (consoleActions.ts) to its TVDc's actions path and
// carries the user's anti-CSRF token. Plain forms, no scripts; every value is escaped by `html`.
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
