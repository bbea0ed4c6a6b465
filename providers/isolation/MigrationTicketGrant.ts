// The one-time ticket a destination host issues for one incoming migration: it lets the source
// host (which presents it as `tvdc-migration:<ticket>`) find this host's migration service, read
// its vTPM migration key, and call AcceptMigration once, for that one VM as the management server
// saw it on the source (its label, disks and segments), and nothing else. The management server
// asks for it with its own credentials and hands the source the ticket instead of them
// (docs/isolation-cim.md).
import { CimDateTime } from '../../src/cim/CimDateTime.js';
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import type { AccessGrant } from '../../src/wbem/AccessGrant.js';
import { OneTimeCredentials, OneTimeCredentialsError } from '../../src/wbem/OneTimeCredentials.js';
import type { MethodResult, ParamValue, ProviderContext } from '../../src/wbem/Provider.js';
import { MIGRATION_TICKET_USER } from '../../src/wbem/UserDirectory.js';
import { TvdcError } from '../../src/tvdc/TvdcError.js';
import { TVDC_NAMESPACE } from './CimFactory.js';
import { CLASS, VTPM_SERVICE_CLASS } from './IsolationPaths.js';
import { parseLabel } from './LabelText.js';
import { methodParam } from './methodParam.js';

const DEFAULT_TICKET_SECONDS = 300;
const MAX_TICKET_SECONDS = 900;
/** Longer than any VM, disk or segment name the host takes; a bound on what a ticket's grant stores. */
const MAX_NAME = 256;
/** More disks or segments than one VM has; a bound on what a ticket's grant stores. */
const MAX_BOUND = 256;

/** What a ticket admits: the VM, its label (bare name; '' unlabeled), and the most it may bring. */
interface MigrationBinding {
  vm: string;
  label: string;
  disks: readonly string[];
  segments: readonly string[];
}

/** What a ticket for `b.vm` lets its holder do: exactly the calls a source host makes of a destination. */
function migrationTicketGrant(b: MigrationBinding): AccessGrant {
  const reads = (className: string) => ['EnumerateInstanceNames', 'EnumerateInstances', 'GetInstance'].map((operation) => ({ operation, className }));
  return {
    purpose: `the migration of VM '${b.vm}' to this host`,
    namespace: TVDC_NAMESPACE,
    calls: [
      ...reads(CLASS.migrationService),
      ...reads(VTPM_SERVICE_CLASS),
      { method: 'AcceptMigration', className: CLASS.migrationService, usesUp: true },
    ],
    scope: { vm: b.vm, label: b.label, disks: b.disks, segments: b.segments },
  };
}

/** A required string-array parameter naming disks or segments: distinct, non-empty, bounded names. */
function boundNames(params: ParamValue[], name: string, what: string): string[] {
  const v = methodParam(params, name);
  if (v === null) {
    throw new TvdcError('INVALID_ARGUMENT', `${name} (the ${what} the VM has on the source, possibly none) is required: a ticket admits only what it names; a management server that passes only Name is older than this host and must be upgraded`);
  }
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new TvdcError('INVALID_ARGUMENT', `${name} must be an array of ${what} names`);
  const names = v as string[];
  if (names.length > MAX_BOUND) throw new TvdcError('INVALID_ARGUMENT', `${name} names ${names.length} ${what}; a ticket binds at most ${MAX_BOUND}`);
  const seen = new Set<string>();
  for (const n of names) {
    if (n.trim() === '' || n.length > MAX_NAME) throw new TvdcError('INVALID_ARGUMENT', `${name} holds a name that is empty or longer than ${MAX_NAME} characters`);
    if (seen.has(n)) throw new TvdcError('INVALID_ARGUMENT', `${name} names '${n}' twice`);
    seen.add(n);
  }
  return [...seen].sort();
}

/**
 * IssueMigrationTicket(Name, SecurityLabel, Disks, Segments, ValidSeconds) → Ticket, User,
 * Expires, Reason. 0 issued; 4 a bad or missing parameter; 2 when too many tickets are
 * outstanding. The server lets only callers who may invoke methods (write, admin) reach this,
 * never a ticket's holder. `policy`: the active policy's name, which a qualified label must name.
 */
export function issueMigrationTicket(ctx: ProviderContext, params: ParamValue[], policy: string): MethodResult {
  const name = methodParam(params, 'Name');
  if (typeof name !== 'string' || name.trim() === '') throw new TvdcError('INVALID_ARGUMENT', 'Name (the VM the ticket is for) is required');
  if (name.length > MAX_NAME) throw new TvdcError('INVALID_ARGUMENT', `Name is ${name.length} characters long; a VM name has at most ${MAX_NAME}`);
  const labelText = methodParam(params, 'SecurityLabel');
  // Null and '' differ here: '' binds an unlabeled VM, null is a caller that binds nothing.
  if (labelText === null) {
    throw new TvdcError('INVALID_ARGUMENT', "SecurityLabel (the VM's label on the source; empty when unlabeled) is required: a ticket admits only that label; a management server that passes only Name is older than this host and must be upgraded");
  }
  if (typeof labelText !== 'string') throw new TvdcError('INVALID_ARGUMENT', 'SecurityLabel must be a string');
  let label = '';
  if (labelText.trim() !== '') {
    try {
      label = parseLabel(labelText, policy);
    } catch (e) {
      if (e instanceof TvdcError) throw new TvdcError('INVALID_ARGUMENT', `SecurityLabel: ${e.message}`);
      throw e;
    }
  }
  const disks = boundNames(params, 'Disks', 'disks');
  const segments = boundNames(params, 'Segments', 'network segments');
  const given = methodParam(params, 'ValidSeconds');
  const seconds = given === null ? DEFAULT_TICKET_SECONDS : Number(given);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_TICKET_SECONDS) {
    throw new TvdcError('INVALID_ARGUMENT', `ValidSeconds must be 1 to ${MAX_TICKET_SECONDS}, not ${String(given)}`);
  }
  // Without a users file nothing checks credentials (loopback only, every caller the anonymous
  // admin): the ticket is made all the same, so a caller needs no special case, and kept nowhere.
  const book = ctx.oneTimeCredentials ?? new OneTimeCredentials();
  let issued;
  try {
    issued = book.issue(MIGRATION_TICKET_USER, migrationTicketGrant({ vm: name, label, disks, segments }), seconds * 1000, ctx.user);
  } catch (e) {
    if (e instanceof OneTimeCredentialsError) return { returnValue: 2, outParams: [{ name: 'Reason', value: e.message }] };
    throw e;
  }
  return {
    returnValue: 0,
    outParams: [
      { name: 'Ticket', value: issued.secret },
      { name: 'User', value: issued.user },
      { name: 'Expires', value: CimDateTime.fromDate(issued.expires) },
    ],
  };
}

/** What an AcceptMigration asks to bring, as its caller passed it (label text unparsed). */
export interface MigrationArrival {
  vm: string;
  labelText: string | null;
  disks: readonly string[];
  segments: readonly string[];
}

function list(v: string | readonly string[] | undefined): readonly string[] {
  return Array.isArray(v) ? v : [];
}

/**
 * Holds an AcceptMigration made with a ticket to what the ticket binds (the server has spent the
 * ticket by then): the same VM, the same label, and no disk or segment the ticket does not name.
 * Fewer are admitted: a disk detached on the source after the management server looked gives
 * the arriving VM less, never more. Callers with a role (no grant) pass: their role already lets
 * them call it for any VM.
 */
export function requireTicketFor(ctx: ProviderContext, arrival: MigrationArrival, policy: string): void {
  const grant = ctx.grant;
  if (!grant) return;
  const { vm: boundVm, label: boundLabel } = grant.scope;
  const who = `${ctx.user ?? 'caller'} holds a ticket for the migration of VM '${typeof boundVm === 'string' ? boundVm : '(none)'}'`;
  // The caller's rights, not the host's policy, refuse this: a CIM error, not a return code.
  const refuse = (what: string) => new CimError(CimStatus.CIM_ERR_ACCESS_DENIED, `${who}, ${what}; the ticket is spent`);
  if (boundVm !== arrival.vm) throw refuse(`not of '${arrival.vm}'`);
  let label: string;
  try {
    label = arrival.labelText === null || arrival.labelText.trim() === '' ? '' : parseLabel(arrival.labelText, policy);
  } catch {
    label = `(unreadable: ${arrival.labelText})`;
  }
  if (label !== boundLabel) throw refuse(`labeled ${shownLabel(typeof boundLabel === 'string' ? boundLabel : '')}, not ${shownLabel(label)}`);
  for (const [what, asked, bound] of [['disk', arrival.disks, list(grant.scope['disks'])], ['segment', arrival.segments, list(grant.scope['segments'])]] as const) {
    const extra = asked.filter((n) => !bound.includes(n));
    if (extra.length > 0) throw refuse(`which brings no ${what} ${extra.map((n) => `'${n}'`).join(', ')} (it binds ${bound.length === 0 ? 'none' : bound.map((n) => `'${n}'`).join(', ')})`);
  }
}

function shownLabel(label: string): string {
  return label === '' ? 'unlabeled' : `'${label}'`;
}
