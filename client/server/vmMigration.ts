// Moving a VM between two hosts of one TVDc: MigrateVirtualSystemToHost (DSP1081) on the source
// host's TVDc_VirtualSystemMigrationService, which hands the VM out of its hypervisor and calls the
// destination's AcceptMigration itself; the destination's reference monitor decides. The host
// answers 0 (done) or 2 (refused, with the destination's Reason), or 4096 with a CIM_ConcreteJob
// to wait for. The whole wait is bounded: past it the VM's fate is reported as unknown.
import { CimError, ClientError, JOB_STARTED, TimeoutError, WbemConnection, awaitJob, jobOf, jobStateName } from '../cim/index.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { ApiError } from './ApiError.js';
import { vmPath } from './HostCim.js';
import { TVDC_NAMESPACE } from './HostRegistry.js';
import type { HostDirectory, HostLogin } from './ServerContext.js';
import { hostFailure } from './hostFailure.js';

/**
 * The destination as the source host is to reach it: its URL with the credentials the server
 * holds for it. The source needs them to call AcceptMigration there; it uses them for this one
 * migration and names the destination by its origin alone in every message.
 */
export function destinationWithCredentials(login: HostLogin): string {
  const u = new URL(login.url);
  if (login.user) {
    // The URL setters percent-encode, and the host's client decodes: any character survives.
    u.username = login.user;
    u.password = login.password ?? '';
  }
  return u.toString();
}

function migrationService(host: string): CimObjectPath {
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
}

/** Failures of the source host after the request may have reached it: the VM may have moved. */
function maybeSent(e: unknown): boolean {
  if (e instanceof TimeoutError) return e.phase !== 'connect';
  return e instanceof ClientError && (e.code === 'CONNECTION_RESET' || e.code === 'CLOSED');
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
  const redact = (text: string) => (dst.password ? text.split(dst.password).join('***') : text);
  const unknown = (why: string) => ApiError.hostTimeout(redact(`${why}; whether VM ${vm} moved to ${destination} is unknown: look with tvdc vms list before trying again`));
  // A connection of its own: its deadline is the migration's, not the pool's, and nothing else
  // queues behind a call that may run long.
  const conn = new WbemConnection(src.url, {
    namespace: TVDC_NAMESPACE,
    timeouts: { connect: Math.min(5_000, timeoutMs), headers: timeoutMs, body: timeoutMs, total: timeoutMs },
    retries: 0,
    connections: 1,
    ...(src.user ? { user: src.user, password: src.password ?? '' } : {}),
    ...(src.ca ? { tls: { ca: src.ca } } : {}),
  });
  try {
    let r;
    try {
      r = await conn.invokeMethod(migrationService(source), 'MigrateVirtualSystemToHost', {
        ComputerSystem: vmPath(vm),
        DestinationHost: destinationWithCredentials(dst),
        // The CA the server verifies the destination with, so the source can verify it the same way.
        ...(dst.ca ? { DestinationCA: dst.ca } : {}),
      });
    } catch (e) {
      if (maybeSent(e)) throw unknown(`host ${source} did not answer the migration in time (${(e as Error).message})`);
      const mapped = hostFailure(source, e);
      if (!mapped) throw e;
      throw new ApiError(mapped.status, mapped.code, redact(mapped.message) + (e instanceof CimError ? '' : `; VM ${vm} did not move`));
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
      case 'failed': throw refused(`its job ended ${jobStateName(end.state)}`, end.reason);
      case 'vanished': return { outcome: 'vanished', job: job.toString() };
      case 'timeout': throw unknown(`host ${source}'s migration job had not ended after ${timeoutMs} ms (last ${end.lastError ?? jobStateName(end.lastState)})`);
    }
  } finally {
    await conn.close();
  }
}
