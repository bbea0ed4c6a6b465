// What the console's forms do on a TVDc: assign or remove the label of a VM, disk or segment,
// start, stop or migrate a VM, attest the TVDc now, deploy its policy. Each form becomes one call
// of the JSON API's own route (ApiReader.call), so the roles, validation, drift refusal and the
// host's own refusal are the API's; the console only reads the form, checks its token and shows
// the outcome.
import type { Method } from '../ApiRouter.js';
import { ApiError, isApiError } from '../ApiError.js';
import type { GroupSummary } from './apiViews.js';
import { ApiReader } from './ApiReader.js';
import { ConsoleError, forbidden, notFound } from './ConsoleError.js';
import type { ConsoleTokens } from './ConsoleTokens.js';
import { actionResultPage } from './actionResultPage.js';
import { actionsPath } from './actionForms.js';
import { CONFIRM_FIELD, CONFIRMED, confirmPage, isDestructive } from './confirmPage.js';

export type ElementKind = 'vm' | 'disk' | 'segment';

export type ConsoleAction =
  | { action: 'label'; element: ElementKind; host: string | null; name: string; label: string }
  | { action: 'unlabel'; element: ElementKind; host: string | null; name: string }
  | { action: 'start'; vm: string }
  | { action: 'stop'; vm: string; hard: boolean }
  | { action: 'migrate'; vm: string; to: string }
  | { action: 'attest' }
  | { action: 'deploy' };

/** The fields each action's form has, besides `token` and `action`. */
const FIELDS: Record<ConsoleAction['action'], readonly string[]> = {
  label: ['element', 'host', 'name', 'label'],
  unlabel: ['element', 'host', 'name'],
  start: ['vm'],
  stop: ['vm', 'hard'],
  migrate: ['vm', 'to'],
  attest: [],
  deploy: [],
};

const ELEMENTS: readonly ElementKind[] = ['vm', 'disk', 'segment'];

const badForm = (message: string) => new ConsoleError(400, 'Bad form', `${message} Nothing was changed.`);

/** The one value of `field`, or null when absent; a repeated field is refused. */
function single(form: URLSearchParams, field: string): string | null {
  const all = form.getAll(field);
  if (all.length > 1) throw badForm(`The form field "${field}" was sent ${all.length} times.`);
  return all[0] ?? null;
}

function required(form: URLSearchParams, field: string, what: string): string {
  const v = single(form, field);
  if (v === null || v === '') throw badForm(`The form has no ${what} (field "${field}").`);
  return v;
}

/** The action a form asks for; ConsoleError 400 for anything that is not one of the console's forms. */
export function parseAction(form: URLSearchParams): ConsoleAction {
  const asked = required(form, 'action', 'action');
  if (!Object.hasOwn(FIELDS, asked)) throw badForm('The form asks for an action the console does not have.');
  const action = asked as ConsoleAction['action'];
  // Any form may carry the confirmation; only a destructive action's asks for it (confirmPage.ts).
  const known = new Set(['token', 'action', CONFIRM_FIELD, ...FIELDS[action]]);
  for (const field of new Set(form.keys())) {
    if (!known.has(field)) throw badForm(`The form has a field "${field}" the ${action} form does not have.`);
  }
  const confirm = single(form, CONFIRM_FIELD);
  if (confirm !== null && confirm !== CONFIRMED) throw badForm(`The form's field "${CONFIRM_FIELD}" is not "${CONFIRMED}".`);
  if (action === 'attest' || action === 'deploy') return { action };
  // A VM is found by the API on the TVDc's hosts, so its forms name no host.
  if (action === 'start') return { action, vm: required(form, 'vm', 'VM') };
  if (action === 'stop') {
    const vm = required(form, 'vm', 'VM');
    const hard = required(form, 'hard', 'kind of stop');
    if (hard !== 'true' && hard !== 'false') throw badForm('The form\'s field "hard" is neither true (a hard stop) nor false (an orderly shutdown).');
    return { action, vm, hard: hard === 'true' };
  }
  if (action === 'migrate') return { action, vm: required(form, 'vm', 'VM'), to: required(form, 'to', 'destination host (choose one)') };
  const element = required(form, 'element', 'kind of element') as ElementKind;
  if (!ELEMENTS.includes(element)) throw badForm('The form names a kind of element other than vm, disk or segment.');
  // A VM is found by the API on the TVDc's hosts; disks and segments are named with their host.
  const host = single(form, 'host');
  if (element === 'vm' && host !== null) throw badForm('A VM\'s form names no host (the server finds the VM on the TVDc\'s hosts).');
  if (element !== 'vm' && (host === null || host === '')) throw badForm(`The form names no host of the ${element} (field "host").`);
  const name = required(form, 'name', `name of the ${element}`);
  if (action === 'unlabel') return { action, element, host, name };
  return { action, element, host, name, label: required(form, 'label', 'label (choose one)') };
}

const NOUN: Record<ElementKind, string> = { vm: 'VM', disk: 'disk', segment: 'network segment' };

/** What the action is, in words for the result page. */
export function describe(a: ConsoleAction): { what: string; target: string } {
  switch (a.action) {
    case 'attest':
      return { what: 'Attest the TVDc now', target: 'every host and VM of the TVDc' };
    case 'deploy':
      return { what: 'Deploy the TVDc\'s policy', target: 'every host of the TVDc' };
    case 'start':
      return { what: 'Start the VM', target: `VM ${a.vm}` };
    case 'stop':
      return { what: a.hard ? 'Stop the VM hard' : 'Stop the VM (orderly shutdown)', target: `VM ${a.vm}` };
    case 'migrate':
      return { what: `Migrate the VM to host ${a.to}`, target: `VM ${a.vm}` };
    case 'label':
    case 'unlabel': {
      const target = `${NOUN[a.element]} ${a.name}${a.host !== null ? ` on host ${a.host}` : ''}`;
      return { what: a.action === 'label' ? `Assign label ${a.label}` : 'Remove the label', target };
    }
  }
}

/** The API route an action is. */
export function apiCallOf(group: string, a: ConsoleAction): { method: Method; path: string; body: unknown } {
  switch (a.action) {
    case 'attest':
      return { method: 'POST', path: '/api/attest/run', body: { target: group } };
    case 'deploy':
      return { method: 'POST', path: ApiReader.group(group, '/policy/deploy'), body: undefined };
    case 'start':
      return { method: 'POST', path: ApiReader.group(group, `/vms/${encodeURIComponent(a.vm)}/start`), body: {} };
    case 'stop':
      return { method: 'POST', path: ApiReader.group(group, `/vms/${encodeURIComponent(a.vm)}/stop`), body: { hard: a.hard } };
    case 'migrate':
      return { method: 'POST', path: ApiReader.group(group, `/vms/${encodeURIComponent(a.vm)}/migrate`), body: { to: a.to } };
    case 'label':
    case 'unlabel': {
      const rest = a.element === 'vm'
        ? `/vms/${encodeURIComponent(a.name)}/label`
        : `/hosts/${encodeURIComponent(a.host!)}/${a.element}s/${encodeURIComponent(a.name)}/label`;
      return a.action === 'label'
        ? { method: 'PUT', path: ApiReader.group(group, rest), body: { label: a.label } }
        : { method: 'DELETE', path: ApiReader.group(group, rest), body: undefined };
    }
  }
}

/**
 * Checks the form's token, then runs its action on TVDc `group` for the signed-in user and
 * renders the outcome (status: 200, or the API's refusal's, a role refusal also returned for the
 * server log as the API logs it). A TVDc the user may not see is the
 * same 404 as one that does not exist, as on the TVDc's page.
 */
export async function performAction(api: ApiReader, tokens: ConsoleTokens, group: string, form: URLSearchParams, base: string): Promise<{ status: number; body: string; refusal?: ApiError }> {
  const token = form.getAll('token');
  if (token.length !== 1 || !tokens.check(api.principal.user, token[0]!)) {
    throw forbidden('This form\'s anti-CSRF token is missing, not yours, or expired (forms are good for one to two hours). Nothing was changed. Open the page again and use its form.');
  }
  const { principal } = api;
  if (principal.role !== 'dcadmin' && !principal.groups.includes(group)) {
    throw notFound(`No TVDc named ${group}.`, ApiError.forbidden(`${principal.user} is not authorized for TVDc ${group}`));
  }
  if (!(await api.get<{ groups: GroupSummary[] }>('/api/groups')).groups.some((g) => g.name === group)) throw notFound(`No TVDc named ${group}.`);
  const action = parseAction(form);
  if (action.action === 'attest' && (await api.get<{ hosts: { name: string }[] }>('/api/hosts')).hosts.some((h) => h.name === group)) {
    // The attest route takes a host's name before a TVDc's: the button would attest that host.
    throw new ConsoleError(409, 'Ambiguous name', `A host is also named ${group}, so the attestation route would attest that host, not this TVDc. Nothing was done. Attest the TVDc's hosts one by one (tvdc attest run HOST).`);
  }
  if (isDestructive(action) && form.get(CONFIRM_FIELD) !== CONFIRMED) {
    // Asked, not done: the page carries the form on, with confirm=yes, to this same path.
    return { status: 200, body: confirmPage({ principal, group, action, form, actionsUrl: `${base}${actionsPath(group)}`, base }) };
  }
  const call = apiCallOf(group, action);
  try {
    const answer = await api.call(call.method, call.path, call.body);
    return { status: 200, body: actionResultPage({ principal, group, action, base, answer }) };
  } catch (e) {
    // INTERNAL was logged by the router; the page says only that it happened.
    if (!isApiError(e)) throw e;
    return { status: e.status, body: actionResultPage({ principal, group, action, base, error: e }), ...(e.code === 'FORBIDDEN' ? { refusal: e } : {}) };
  }
}
