// How the console makes a problem stand out: a marker sign and a word in the text itself (so it
// reads the same without colour, in a text browser or to a screen reader), with a class the
// stylesheet colours. What counts as a problem is decided here, once, for every page.
import type { DeploymentStatus } from '../DeploymentState.js';
import { html, type Html, type HtmlValue } from './html.js';

/** The marker every problem carries; tests and readers can search a page for it. */
export const PROBLEM_MARKER = '\u2716 PROBLEM:';

/** `content` flagged as a problem. */
export function problem(content: HtmlValue): Html {
  return html`<strong class="problem">${PROBLEM_MARKER} ${content}</strong>`;
}

/** `content` as a problem when `bad`, plain otherwise. */
export function flagged(bad: boolean, content: HtmlValue): Html {
  return bad ? problem(content) : html`${content}`;
}

/**
 * Deployment states an administrator must act on: drift (changed behind the server's back), a
 * host that could not be asked, a failed or outdated deployment, a policy never deployed.
 */
export function deploymentIsProblem(status: DeploymentStatus | string): boolean {
  return status !== 'deployed' && status !== 'no policy';
}

/** Attestation verdicts and action outcomes that are not good news. */
export function eventIsProblem(status: string): boolean {
  return status === 'untrusted' || status === 'unknown' || status === 'failed';
}

/**
 * Audit trail outcomes an administrator looks into: an operation refused to a signed-in user (an
 * attempted modification), or one asked of the hosts and not done or not known to be done.
 */
export function auditIsProblem(outcome: string): boolean {
  return outcome !== 'done';
}

/** A count that is a problem when above zero: `1 violation`, `2 violations`, `3 failed`. */
export function countCell(n: number, one: string, many = one): Html {
  return n > 0 ? problem(`${n} ${n === 1 ? one : many}`) : html`0`;
}
