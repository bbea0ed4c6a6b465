// An action plan: what a TVDc administrator wants done when an attestation in his TVDc does not
// come back trusted (the paper's section 3.2): shut the VM down, restart it, or notify a URL.
// This file holds the model, the validation of what an administrator submits, and the matching.
import { TvdcError } from '../TvdcError.js';
import { parseHttpUrl } from './NotifyTarget.js';

/** Attestation outcomes a plan can react to (a trusted verdict never triggers anything). */
export type PlanTrigger = 'untrusted' | 'unknown' | 'failed';
export const PLAN_TRIGGERS: readonly PlanTrigger[] = ['untrusted', 'unknown', 'failed'];

export type PlanAction = { kind: 'shutdown' } | { kind: 'restart' } | { kind: 'notify'; url: string };
export type PlanActionKind = PlanAction['kind'];
export const PLAN_ACTIONS: readonly PlanActionKind[] = ['shutdown', 'restart', 'notify'];

export interface ActionPlan {
  id: number;
  group: string;
  on: PlanTrigger[];
  /** Glob over VM names (`*` any run of characters, `?` one); absent: every VM of the group. */
  vmPattern?: string;
  action: PlanAction;
  createdBy: string;
  createdAt: string;
}

export type NewActionPlan = Omit<ActionPlan, 'id' | 'createdAt'>;

/** What an attestation outcome looks like to plan matching. */
export interface PlanSubject {
  group: string | null;
  /** Absent when the host itself was attested. */
  vm?: string;
  status: 'trusted' | 'unknown' | 'untrusted' | 'failed';
}

const PATTERN = /^[A-Za-z0-9._*?-]{1,64}$/;

function invalid(message: string): never {
  throw new TvdcError('INVALID_ARGUMENT', message);
}

/** Checks and normalizes a plan as submitted (untrusted JSON): names every problem it finds first. */
export function validatePlan(input: { group?: unknown; on?: unknown; vmPattern?: unknown; action?: unknown; url?: unknown; createdBy: string }): NewActionPlan {
  const { group, on, vmPattern, action, url } = input;
  if (typeof group !== 'string' || group.length === 0) invalid('group is required');
  const list = typeof on === 'string' ? on.split(',') : on;
  const triggers = Array.isArray(list) ? list.map((t) => (typeof t === 'string' ? t.trim() : t)) : list;
  if (!Array.isArray(triggers) || triggers.length === 0) invalid(`on must name one or more of ${PLAN_TRIGGERS.join(', ')}`);
  for (const t of triggers) {
    if (!PLAN_TRIGGERS.includes(t as PlanTrigger)) invalid(`on: "${String(t)}" is not one of ${PLAN_TRIGGERS.join(', ')}`);
  }
  const plan: NewActionPlan = { group, on: [...new Set(triggers as PlanTrigger[])], action: { kind: 'shutdown' }, createdBy: input.createdBy };
  if (vmPattern !== undefined && vmPattern !== null && vmPattern !== '') {
    if (typeof vmPattern !== 'string' || !PATTERN.test(vmPattern)) {
      invalid(`vm pattern "${String(vmPattern)}" may hold only VM-name characters (letters, digits, . _ -) and the wildcards * and ?, at most 64`);
    }
    plan.vmPattern = vmPattern;
  }
  if (!PLAN_ACTIONS.includes(action as PlanActionKind)) invalid(`action must be one of ${PLAN_ACTIONS.join(', ')}, not "${String(action)}"`);
  if (action === 'notify') {
    if (typeof url !== 'string' || url.length === 0) invalid('a notify action needs a url');
    plan.action = { kind: 'notify', url: parseHttpUrl(url, 'url').toString() };
  } else {
    if (url !== undefined && url !== null && url !== '') invalid(`a ${String(action)} action takes no url`);
    plan.action = { kind: action as 'shutdown' | 'restart' };
  }
  return plan;
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/**
 * Whether a plan reacts to this outcome: same group, one of its triggers, and the VM matches its
 * pattern. Shutdown and restart apply to VMs only (the management server never powers off a
 * host); a notify plan without a VM pattern also reacts to its group's hosts.
 */
export function planMatches(plan: ActionPlan, s: PlanSubject): boolean {
  if (s.group === null || plan.group !== s.group) return false;
  if (s.status === 'trusted' || !plan.on.includes(s.status)) return false;
  if (s.vm === undefined) return plan.action.kind === 'notify' && plan.vmPattern === undefined;
  return plan.vmPattern === undefined || globToRegExp(plan.vmPattern).test(s.vm);
}

/** One-line description, as the CLI and event messages show it. */
export function describeAction(a: PlanAction): string {
  return a.kind === 'notify' ? `notify ${a.url}` : a.kind;
}
