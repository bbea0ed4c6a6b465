// The step between a destructive form and its action: the console runs no scripts (its CSP
// forbids them), so "are you sure?" is a page of its own. It says what would be done, on what,
// and carries the form's fields (the token among them) into one more form that adds
// confirm=yes; the way back is a link that changes nothing. Hard stops, label removals,
// migrations and policy deployments go through it: each can take a running workload away, or
// change every host of the TVDc, with one mis-click.
import type { Principal } from '../ApiRouter.js';
import { describe, type ConsoleAction } from './consoleActions.js';
import { html, pathSegment } from './html.js';
import { page } from './layout.js';

/** The form field, and its one value, that says the user confirmed. */
export const CONFIRM_FIELD = 'confirm';
export const CONFIRMED = 'yes';

/** Whether `a` asks for confirmation first. */
export function isDestructive(a: ConsoleAction): boolean {
  return (a.action === 'stop' && a.hard) || a.action === 'unlabel' || a.action === 'migrate' || a.action === 'deploy';
}

/** What confirming means, in words, beyond the action's name. */
function consequence(a: ConsoleAction): string {
  switch (a.action) {
    case 'stop':
      return 'The VM is powered off at once, without an orderly shutdown: whatever it has not written is lost.';
    case 'unlabel':
      return 'Without a label the element can be shared with no VM of the TVDc; a VM without a label does not start.';
    case 'migrate':
      return 'The running VM moves to the other host; its vTPM goes with it.';
    case 'deploy':
      return 'Every host of the TVDc is given the TVDc\'s policy now.';
    default:
      return '';
  }
}

/**
 * The confirmation page of `action`, posted as `form` to `actionsUrl` (relative to this page);
 * every field of `form` but a confirm is carried over, escaped like everything else.
 */
export function confirmPage(o: { principal: Principal; group: string; action: ConsoleAction; form: URLSearchParams; actionsUrl: string; base: string }): string {
  const { what, target } = describe(o.action);
  const fields = [...o.form.entries()].filter(([k]) => k !== CONFIRM_FIELD);
  const body = html`<p><strong>Are you sure?</strong> Nothing has been done yet.</p>
<table>
<tr><th>Action</th><td>${what}</td></tr>
<tr><th>TVDc</th><td>${o.group}</td></tr>
<tr><th>Target</th><td>${target}</td></tr>
</table>
<p>${consequence(o.action)}</p>
<form method="post" action="${o.actionsUrl}">${fields.map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}"/>`)}<input type="hidden" name="${CONFIRM_FIELD}" value="${CONFIRMED}"/><button type="submit">Yes: ${what}</button></form>
<p><a href="${o.base}tvdc/${pathSegment(o.group)}">No, back to TVDc ${o.group}</a></p>
`;
  return page({ title: 'Confirm the action', principal: o.principal, base: o.base }, body);
}
