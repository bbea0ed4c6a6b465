// The one-time ticket a destination host issues for one incoming migration: it lets the source
// host (which presents it as `tvdc-migration:<ticket>`) find this host's migration service, read
// its vTPM migration key, and call AcceptMigration once, for that one VM, and nothing else. The
// management server asks for it with its own credentials and hands the source the ticket instead
// of them (docs/isolation-cim.md).
import { CimDateTime } from '../../src/cim/CimDateTime.js';
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import type { AccessGrant } from '../../src/wbem/AccessGrant.js';
import { OneTimeCredentials, OneTimeCredentialsError } from '../../src/wbem/OneTimeCredentials.js';
import type { MethodResult, ParamValue, ProviderContext } from '../../src/wbem/Provider.js';
import { MIGRATION_TICKET_USER } from '../../src/wbem/UserDirectory.js';
import { TvdcError } from '../../src/tvdc/TvdcError.js';
import { TVDC_NAMESPACE } from './CimFactory.js';
import { CLASS, VTPM_SERVICE_CLASS } from './IsolationPaths.js';
import { methodParam } from './methodParam.js';

const DEFAULT_TICKET_SECONDS = 300;
const MAX_TICKET_SECONDS = 900;
/** Longer than any VM name the hypervisor takes; a bound on what a ticket's grant stores. */
const MAX_NAME = 256;

/** What a ticket for `vm` lets its holder do: exactly the calls a source host makes of a destination. */
function migrationTicketGrant(vm: string): AccessGrant {
  const reads = (className: string) => ['EnumerateInstanceNames', 'EnumerateInstances', 'GetInstance'].map((operation) => ({ operation, className }));
  return {
    purpose: `the migration of VM '${vm}' to this host`,
    namespace: TVDC_NAMESPACE,
    calls: [
      ...reads(CLASS.migrationService),
      ...reads(VTPM_SERVICE_CLASS),
      { method: 'AcceptMigration', className: CLASS.migrationService, usesUp: true },
    ],
    scope: { vm },
  };
}

/**
 * IssueMigrationTicket(Name, ValidSeconds) → Ticket, User, Expires, Reason. 0 issued; 4 a bad
 * parameter; 2 when too many tickets are outstanding. The server lets only callers who may
 * invoke methods (write, admin) reach this, never a ticket's holder.
 */
export function issueMigrationTicket(ctx: ProviderContext, params: ParamValue[]): MethodResult {
  const name = methodParam(params, 'Name');
  if (typeof name !== 'string' || name.trim() === '') throw new TvdcError('INVALID_ARGUMENT', 'Name (the VM the ticket is for) is required');
  if (name.length > MAX_NAME) throw new TvdcError('INVALID_ARGUMENT', `Name is ${name.length} characters long; a VM name has at most ${MAX_NAME}`);
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
    issued = book.issue(MIGRATION_TICKET_USER, migrationTicketGrant(name), seconds * 1000);
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

/**
 * Holds an AcceptMigration made with a ticket to the ticket's VM (the server has spent the ticket
 * by then). Callers with a role (no grant) pass: their role already let them call it for any VM.
 */
export function requireTicketFor(ctx: ProviderContext, vm: string): void {
  const grant = ctx.grant;
  if (!grant) return;
  const allowed = grant.scope['vm'];
  if (allowed !== vm) {
    // The caller's rights, not the host's policy, refuse this: a CIM error, not a return code.
    throw new CimError(CimStatus.CIM_ERR_ACCESS_DENIED, `${ctx.user ?? 'caller'} holds a ticket for the migration of VM '${allowed ?? '(none)'}', not of '${vm}'; the ticket is spent`);
  }
}
