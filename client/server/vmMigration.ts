// Moving a VM between two hosts of one TVDc: MigrateVirtualSystemToHost (DSP1081) on the source
// host's TVDc_VirtualSystemMigrationService, which hands the VM out of its hypervisor and calls the
// destination's AcceptMigration itself; the destination's reference monitor decides. The source
// gets no credentials of the destination's: the server first reads the VM's label, disks and
// segments on the source with its own login there, has the destination issue a one-time ticket
// bound to them (IssueMigrationTicket, with the server's own login there), which lets its holder
// make the calls of that one migration and bring nothing else, and hands the source that. The
// host answers 0 (done) or 2 (refused, with the destination's Reason), or 4096 with a
// CIM_ConcreteJob to wait for. The whole wait is bounded: past it the VM's fate is reported as unknown.
//
// The server's login on the source has the role write, and a source sends a VM (and its vTPM) for
// such a caller only where the server says: the call carries a MigrationAuthorization, signed with
// the server's key (ManagerKey.ts), naming the VM, the source, the destination's origin and the
// destination's migration key as the server read it with its own login there. The source checks it
// with its --manager-key; a source without one refuses, and the answer says what to configure.
import { CimError, CimStatus, JOB_STARTED, WbemConnection, awaitJob, jobOf, jobStateName, mayHaveBeenProcessed } from '../cim/index.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { ApiError } from './ApiError.js';
import { TVDC_NAMESPACE, loginOptions, propertyText, readVmLabel, vmPath } from './HostCim.js';
import type { HostDirectory, HostLogin } from './ServerContext.js';
import { hostFailure } from './hostFailure.js';
import type { ManagerKey } from './ManagerKey.js';
import { NO_MANAGER_KEY, NOT_THIS_MANAGER, signMigrationAuthorization } from '../../src/tvdc/MigrationAuthorization.js';
import { parseMigrationPublicKey } from '../../src/tvdc/vtpm/MigrationKey.js';

/** A ticket's longest life a host grants (IssueMigrationTicket's ValidSeconds). */
const MAX_TICKET_SECONDS = 900;

/** The destination as the source host is to reach it: its URL with the ticket as its userinfo. */
export function destinationWithTicket(url: string, ticket: { user: string; ticket: string }): string {
  const u = new URL(url);
  // The URL setters percent-encode, and the host's client decodes: any character survives.
  u.username = ticket.user;
  u.password = ticket.ticket;
  return u.toString();
}

/** A connection of its own for one call of the migration, bounded by what is left of its wait. */
function hostConnection(login: HostLogin, timeoutMs: number): WbemConnection {
  return new WbemConnection(login.url, {
    namespace: TVDC_NAMESPACE,
    timeouts: { connect: Math.min(5_000, timeoutMs), headers: timeoutMs, body: timeoutMs, total: timeoutMs },
    retries: 0,
    connections: 1,
    ...loginOptions(login),
  });
}

/** The migration service of host `host`, whose methods the server calls (migrate, tickets, migrations in doubt). */
export function migrationService(host: string): CimObjectPath {
  return CimObjectPath.instance('TVDc_VirtualSystemMigrationService', {
    SystemCreationClassName: 'TVDc_HostSystem', SystemName: host, CreationClassName: 'TVDc_VirtualSystemMigrationService', Name: 'VirtualSystemMigrationService',
  }, TVDC_NAMESPACE);
}

/** What a migration that did not clearly succeed or fail leaves to find out. */
export type MigrationResult = { outcome: 'moved' } | { outcome: 'vanished'; job: string };

export interface MigrationRequest {
  vm: string;
  source: string;
  destination: string;
  /** The whole wait: the call, then its job (ms). */
  timeoutMs: number;
  /** The server's migration signing key: what the source's authorization is signed with. */
  managerKey: ManagerKey;
}


/**
 * Asks the source host to move the VM. Throws ApiError: HOST_REFUSED with the host's reason
 * (the VM stays on the source), HOST_UNREACHABLE when the source could not be reached (nothing
 * was asked), HOST_TIMEOUT when the outcome is unknown. 'vanished': the host's job was gone
 * before it reported its end; the caller looks for the VM.
 */
export async function migrateVm(hosts: HostDirectory, req: MigrationRequest): Promise<MigrationResult> {
  const { vm, source, destination, timeoutMs } = req;
  const src = hosts.login(source);
  const dst = hosts.login(destination);
  const deadline = Date.now() + timeoutMs;
  const binding = await vmOnSource(src, req);
  const destinationKey = await destinationKeyFingerprint(dst, req);
  const ticket = await migrationTicket(dst, binding, req);
  const authorization = signMigrationAuthorization({ vm, source, destination: new URL(dst.url).origin, destinationKey }, req.managerKey.privateKey);
  // Neither the server's password for the destination nor the ticket goes back to a caller, even
  // if a host repeated them.
  const secrets = [dst.password, ticket.ticket].filter((x): x is string => !!x);
  const redact = (text: string) => secrets.reduce((t, secret) => t.split(secret).join('***'), text);
  const unknown = (why: string) => ApiError.hostTimeout(redact(`${why}; whether VM ${vm} moved to ${destination} is unknown: look with tvdc vms list before trying again`));
  // A connection of its own: its deadline is the migration's, not the pool's, and nothing else
  // queues behind a call that may run long.
  const conn = hostConnection(src, Math.max(1, deadline - Date.now()));
  try {
    let r;
    try {
      r = await conn.invokeMethod(migrationService(source), 'MigrateVirtualSystemToHost', {
        ComputerSystem: vmPath(vm),
        DestinationHost: destinationWithTicket(dst.url, ticket),
        // The CA the server verifies the destination with, so the source can verify it the same way.
        ...(dst.ca ? { DestinationCA: dst.ca } : {}),
        MigrationAuthorization: authorization,
      });
    } catch (e) {
      const untrusting = e instanceof CimError ? authorityAdvice(source, vm, e, req.managerKey) : null;
      if (untrusting) throw untrusting;
      if (mayHaveBeenProcessed(e)) throw unknown(`host ${source} gave no complete answer to the migration (${(e as Error).message})`);
      const mapped = hostFailure(source, e);
      if (!mapped) throw e;
      throw mapped.withMessage(redact(mapped.message) + (e instanceof CimError ? '' : `; VM ${vm} did not move`));
    }
    const rv = Number(r.returnValue);
    const refused = (what: string, reason: string) => ApiError.hostRefused(redact(`host ${source} did not migrate VM ${vm} to ${destination} (${what}): ${reason}`));
    if (rv === 0) return { outcome: 'moved' };
    if (rv !== JOB_STARTED) {
      const reason = r.outParams.get('Reason')?.value;
      throw refused(String(rv), typeof reason === 'string' && reason !== '' ? reason : 'no reason given');
    }
    const job = jobOf(r.outParams, TVDC_NAMESPACE);
    if (!job) throw unknown(`host ${source} answered 4096 (job started) without a Job reference`);
    const end = await awaitJob(conn, job, { timeoutMs: Math.max(0, deadline - Date.now()) });
    switch (end.kind) {
      case 'completed': return { outcome: 'moved' };
      case 'failed':
        // A source that lost the destination's answer does not take the VM back: it lists it in doubt.
        if (await inDoubtOn(conn, vm)) {
          throw ApiError.hostTimeout(redact(`host ${source} lost the answer of ${destination} to the migration of VM ${vm} (${end.reason}); ` +
            `whether VM ${vm} moved is unknown and the migration is in doubt: tvdc vms resolve GROUP (POST /api/groups/:group/migrations/resolve) settles it`));
        }
        throw refused(`its job ended ${jobStateName(end.state)}`, end.reason);
      case 'vanished': return { outcome: 'vanished', job: job.toString() };
      case 'timeout': throw unknown(`host ${source}'s migration job had not ended after ${timeoutMs} ms (last ${end.lastError ?? jobStateName(end.lastState)})`);
    }
  } finally {
    await conn.close();
  }
}

/**
 * What to configure when the source refused the server's authorization: it runs without
 * --manager-key, with another server's key, or is an agent older than MigrationAuthorization.
 * null for any other refusal.
 */
function authorityAdvice(source: string, vm: string, e: CimError, key: ManagerKey): ApiError | null {
  const configure = `write this server's key to a file on host ${source} (tvdc server manager-key --db DB > FILE, or GET /api/manager-key; SHA-256 ${key.fingerprint}) and restart its tvdc-host with --manager-key FILE`;
  if (e.status === CimStatus.CIM_ERR_ACCESS_DENIED && e.description.startsWith(NO_MANAGER_KEY)) {
    return ApiError.hostRefused(`host ${source} does not take this server's migration authorizations: it runs without --manager-key, so the server's login there (role write) may not migrate VMs; ${configure}; VM ${vm} did not move`);
  }
  if (e.status === CimStatus.CIM_ERR_ACCESS_DENIED && e.description.includes(NOT_THIS_MANAGER)) {
    return ApiError.hostRefused(`host ${source} takes the migration authorizations of another management server (its --manager-key is not this server's key); ${configure}; VM ${vm} did not move`);
  }
  if (e.status === CimStatus.CIM_ERR_INVALID_PARAMETER && /\bMigrationAuthorization\b/.test(e.description)) {
    return ApiError.hostRefused(`host ${source} is an older tvdc host agent without MigrationAuthorization: upgrade it (and start it with --manager-key), VM ${vm} did not move`);
  }
  return null;
}

/**
 * SHA-256 of the destination's MigrationPublicKey as it shows it to the server's own login, or
 * null when it publishes none (--vtpm off): the source holds the host answering at the
 * destination's address to it, so a VM goes only to the host the server read the key of.
 */
async function destinationKeyFingerprint(dst: HostLogin, req: MigrationRequest): Promise<string | null> {
  const { vm, destination, timeoutMs } = req;
  const conn = hostConnection(dst, timeoutMs);
  let pem: unknown;
  try {
    for await (const i of conn.enumerateInstances('TVDc_VTPMManagementService', { propertyList: ['MigrationPublicKey'] })) {
      pem = i.get('MigrationPublicKey');
      break;
    }
  } catch (e) {
    if (e instanceof CimError && (e.status === CimStatus.CIM_ERR_INVALID_CLASS || e.status === CimStatus.CIM_ERR_NOT_FOUND)) return null;
    const mapped = hostFailure(destination, e);
    if (!mapped) throw e;
    throw mapped.withMessage(`${mapped.message}; VM ${vm} did not move`);
  } finally {
    await conn.close();
  }
  if (typeof pem !== 'string' || pem.trim() === '') return null;
  try {
    return parseMigrationPublicKey(pem, `the MigrationPublicKey of host ${destination}`).fingerprint;
  } catch (e) {
    throw ApiError.hostRefused(`${(e as Error).message}; VM ${vm} did not move`);
  }
}

/** Whether the source lists `vm` in doubt (its migration service's InDoubtVirtualSystems); false when that cannot be read. */
async function inDoubtOn(conn: WbemConnection, vm: string): Promise<boolean> {
  try {
    for await (const s of conn.enumerateInstances('TVDc_VirtualSystemMigrationService', { propertyList: ['InDoubtVirtualSystems'] })) {
      const vms = s.get('InDoubtVirtualSystems');
      if (Array.isArray(vms) && vms.includes(vm)) return true;
    }
    return false;
  } catch {
    // The job's own reason, which says where the VM is, is reported then.
    return false;
  }
}

/** What a ticket binds: the VM as the source shows it to the server (label name, '' when unlabeled). */
export interface VmBinding {
  label: string;
  disks: string[];
  segments: string[];
}

/**
 * The VM's label, disks and segments as the source reports them to the server's own login: what
 * the destination's ticket will admit, so the source (or whoever reads the ticket on its way)
 * cannot bring the VM under another label or with another workload's disk.
 */
async function vmOnSource(src: HostLogin, req: MigrationRequest): Promise<VmBinding> {
  const { vm, source, timeoutMs } = req;
  const conn = hostConnection(src, timeoutMs);
  try {
    const [label, allocations] = await Promise.all([
      readVmLabel(conn, vm),
      conn.enumerateInstances('TVDc_ResourceAllocationSettingData', { propertyList: ['InstanceID'] }).toArray(),
    ]);
    const binding: VmBinding = { label: label ?? '', disks: [], segments: [] };
    // A VM's allocations are TVDc:<vm>:disk:<disk> and TVDc:<vm>:nic:<segment>.
    const prefix = `TVDc:${vm}:`;
    for (const a of allocations) {
      const id = propertyText(a, 'InstanceID') ?? '';
      if (!id.startsWith(prefix)) continue;
      const rest = id.slice(prefix.length);
      if (rest.startsWith('disk:')) binding.disks.push(rest.slice('disk:'.length));
      else if (rest.startsWith('nic:')) binding.segments.push(rest.slice('nic:'.length));
    }
    return binding;
  } catch (e) {
    const mapped = hostFailure(source, e);
    if (!mapped) throw e;
    throw mapped.withMessage(`${mapped.message}; VM ${vm} did not move`);
  } finally {
    await conn.close();
  }
}

/** What to do about a host's CIM error to IssueMigrationTicket. */
function ticketAdvice(status: number): string {
  switch (status) {
    case CimStatus.CIM_ERR_METHOD_NOT_FOUND:
    case CimStatus.CIM_ERR_METHOD_NOT_AVAILABLE:
    case CimStatus.CIM_ERR_NOT_SUPPORTED:
      return 'an older tvdc host agent: upgrade it to one with TVDc_VirtualSystemMigrationService.IssueMigrationTicket';
    case CimStatus.CIM_ERR_ACCESS_DENIED:
      return 'the server\'s login there may not invoke methods: give that user the role write in the host\'s users file';
    case CimStatus.CIM_ERR_INVALID_PARAMETER:
      // A host whose IssueMigrationTicket takes only Name would issue tickets that bind no label or disks.
      return 'an older tvdc host agent whose tickets bind only the VM name: upgrade it to one whose IssueMigrationTicket takes SecurityLabel, Disks and Segments';
    default:
      return 'nothing else is handed to the source host in its place';
  }
}

/**
 * Has the destination issue a one-time ticket for the VM as `binding` describes it, with the
 * server's login there, valid for the migration's whole wait (at most the 900 s a host grants). A destination that cannot (an
 * older agent without IssueMigrationTicket, a login that may not invoke methods) is HOST_REFUSED:
 * nothing else is ever handed to the source. The source has not been asked yet, so the VM did not move.
 */
async function migrationTicket(dst: HostLogin, binding: VmBinding, req: MigrationRequest): Promise<{ user: string; ticket: string }> {
  const { vm, destination, timeoutMs } = req;
  const cannot = (why: string) => ApiError.hostRefused(`host ${destination} cannot issue a migration ticket for VM ${vm} (${why}); VM ${vm} did not move`);
  const conn = hostConnection(dst, timeoutMs);
  let r;
  try {
    r = await conn.invokeMethod(migrationService(destination), 'IssueMigrationTicket', {
      Name: vm,
      SecurityLabel: binding.label,
      Disks: { type: 'string', isArray: true, value: binding.disks },
      Segments: { type: 'string', isArray: true, value: binding.segments },
      ValidSeconds: { type: 'uint32', value: Math.min(MAX_TICKET_SECONDS, Math.max(1, Math.ceil(timeoutMs / 1000))) },
    });
  } catch (e) {
    if (e instanceof CimError) throw cannot(`${e.message}; ${ticketAdvice(e.status)}`);
    const mapped = hostFailure(destination, e);
    if (!mapped) throw e;
    throw mapped.withMessage(`${mapped.message}; VM ${vm} did not move`);
  } finally {
    await conn.close();
  }
  const rv = Number(r.returnValue);
  const reason = r.outParams.get('Reason')?.value;
  if (rv === 1) throw cannot(`IssueMigrationTicket returned 1, Not Supported${typeof reason === 'string' && reason ? `: ${reason}` : ''}; ${ticketAdvice(CimStatus.CIM_ERR_METHOD_NOT_FOUND)}`);
  if (rv !== 0) throw cannot(`IssueMigrationTicket returned ${rv}: ${typeof reason === 'string' && reason ? reason : 'no reason given'}`);
  const ticket = r.outParams.get('Ticket')?.value;
  const user = r.outParams.get('User')?.value;
  if (typeof ticket !== 'string' || ticket === '' || typeof user !== 'string' || user === '') throw cannot('it answered 0 without a Ticket and a User');
  return { user, ticket };
}
