// TVDc_VirtualSystemMigrationService (DSP1081). The source half, MigrateVirtualSystemToHost, checks
// the request, returns 4096 with a TVDc_MigrationJob, and in that job hands the VM out of this
// host's hypervisor and calls AcceptMigration on the destination tvdc-host over CIM-XML (the
// project's own client); the destination decides under its own policy (run on host, Chinese Wall,
// disks, segments). When it refuses, or the request certainly never reached it, the VM is taken
// back and keeps running here, and the job ends in Exception with the reason. When the request was
// sent and its answer lost, the destination may have admitted the VM: it is not taken back (it
// could run twice), and the migration is in doubt (below).
//
// A VM with a vTPM needs no preparation: the source reads the destination's MigrationPublicKey
// over the same connection and seals the vTPM to it, and passes its own key in AcceptMigration so
// the destination can verify the package. Such keys serve that one migration and are dropped
// after it. Keys an administrator prepared (PrepareVTPMMigrationOut/In) are pinned: they win, and
// a key seen over the connection that differs refuses the migration, naming both fingerprints.
//
// The VM's departure (its ticket, with the vTPM's take-back copy sealed to this host) is kept in
// the host's store from the moment it leaves until the destination admitted it or it was taken
// back, so a source that dies in between loses nothing: after its restart the migration is in
// doubt, listed on this service (InDoubtVirtualSystems) and settled by ResolveMigration. Each
// migration has an id (InDoubtMigrationIDs) the destination records with its admission, so
// QueryMigration there answers whether it admitted that migration.
//
// The destination half also issues the one-time ticket a source presents instead of credentials
// (IssueMigrationTicket, MigrationTicketGrant.ts); AcceptMigration made with one admits only the
// ticket's VM, under the label and with no disk or segment beyond those the ticket binds.
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import { JOB_STARTED } from '../../src/cim/ConcreteJob.js';
import type { CimInstance } from '../../src/cim/CimInstance.js';
import { CimDateTime } from '../../src/cim/CimDateTime.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import type { MethodResult, ParamValue, Provider, ProviderContext } from '../../src/wbem/Provider.js';
import { TvdcError } from '../../src/tvdc/TvdcError.js';
import { publicMigrationId, type MigrationTicket } from '../../src/tvdc/hypervisor/VirtualMachine.js';
import { WbemConnection, mayHaveBeenProcessed } from '../../client/cim/index.js';
import type { IsolationModel } from './IsolationModel.js';
import type { JobFailure, JobProgress, JobRecord } from '../../src/wbem/JobTable.js';
import type { VtpmMigrationKeys, VtpmMigrationKeysSlot } from './VtpmMigrationKeys.js';
import { migrationJobPath, type MigrationJobDetail, type MigrationJobs } from './MigrationJob.js';
import { CLASS, VTPM_SERVICE_CLASS } from './IsolationPaths.js';
import { formatLabel, parseLabel } from './LabelText.js';
import { failureResult, type ReturnCodes } from './TvdcErrorMap.js';
import { methodParam } from './methodParam.js';
import { issueMigrationTicket, requireTicketFor } from './MigrationTicketGrant.js';
import type { MigrationAuthority } from '../../src/tvdc/MigrationAuthority.js';
import { asAccessDenied, migrationCaller } from './migrationAccess.js';
import { parseMigrationPublicKey } from '../../src/tvdc/vtpm/MigrationKey.js';

/** DSP1081 codes: 2 Failed (refused by the destination), 4 Invalid Parameter, 5 Invalid State. */
const CODES: ReturnCodes = { ACCESS_DENIED: 2, INVALID_STATE: 5, INVALID_ARGUMENT: 4, LABEL_UNKNOWN: 2, ALREADY_EXISTS: 5, IO_FAILED: 2, VTPM_FAILED: 2 };
const FAILED = 2;
/** ResolveMigration: 2 Failed (the VM could not be restored), 4 Invalid Parameter, 5 Invalid State. */
const RESOLVE_CODES: ReturnCodes = { INVALID_ARGUMENT: 4, INVALID_STATE: 5, NOT_FOUND: 5, ALREADY_EXISTS: 5 };

/**
 * The Extensions key the migration's id travels under in AcceptMigration: an agent that knows no
 * ids ignores it (as it ignores any listener's key it does not know), so sources and destinations
 * of different releases still migrate to each other.
 */
export const MIGRATION_ID_EXTENSION = 'tvdc.migrationId';
/** A migration id as the source draws it (a UUID). */
/** A migration's secret id, as the source sends it in AcceptMigration's Extensions. */
const MIGRATION_SECRET_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A migration's public id (publicMigrationId): what InDoubtMigrationIDs lists and QueryMigration takes. */
const MIGRATION_ID = /^[0-9a-f]{64}$/;

/** `host`, `host:port`, or an http(s) URL (credentials allowed) -> the destination's URL. */
export function destinationUrl(text: string): string {
  const t = text.trim();
  if (t === '') throw new TvdcError('INVALID_ARGUMENT', 'DestinationHost is empty');
  const url = /^https?:\/\//i.test(t) ? t : `http://${t}`;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TvdcError('INVALID_ARGUMENT', `DestinationHost ${shownDestination(t)} is not host[:port] or an http(s) URL`);
  }
  if (u.pathname !== '/' && u.pathname !== '') throw new TvdcError('INVALID_ARGUMENT', `DestinationHost ${shownDestination(t)} has a path; give host[:port] or http(s)://host:port`);
  return url;
}

/**
 * The destination as a message may name it: quoted, with any `user:password@` cut out. Done on the
 * text, not on a parsed URL, because the text that needs it most is the one that does not parse;
 * everything up to the last `@` goes, so a password holding `/` or `@` is not half shown.
 */
function shownDestination(text: string): string {
  const at = text.lastIndexOf('@');
  if (at < 0) return `'${text}'`;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(text)?.[0] ?? '';
  return `'${scheme}${text.slice(at + 1)}' (its credentials not shown)`;
}

export class MigrationServiceProvider implements Provider {
  /** VMs with a migration under way here, each with its job's id (null while it is being checked). */
  private readonly leaving = new Map<string, string | null>();
  /** VMs whose migration in doubt a ResolveMigration call is settling now. */
  private readonly resolving = new Set<string>();

  constructor(
    private readonly model: IsolationModel,
    /** The integrity side's vTPM migration keys, once attached (empty with --vtpm off). */
    private readonly vtpmKeys: VtpmMigrationKeysSlot,
    /** Where the migrations run as TVDc_MigrationJob instances (served by MigrationJobProvider). */
    private readonly jobs: MigrationJobs,
    /** Who may send a VM where: an admin anywhere, anyone else with the management server's authorization. */
    private readonly authority: MigrationAuthority,
    /** How long to wait for the destination, per request. */
    private readonly timeoutMs = 30_000,
  ) {}

  enumerateInstances(): CimInstance[] {
    const base = this.model.serviceInstance(CLASS.migrationService);
    const values: Record<string, unknown> = {};
    for (const p of base.properties.values()) values[p.name] = p.value;
    // VMs that left and are not confirmed elsewhere; while a job runs for one, it is not in doubt.
    const doubtful = this.model.service.departures().filter((d) => !this.leaving.has(d.vm));
    values['InDoubtVirtualSystems'] = doubtful.map((d) => d.vm);
    values['InDoubtDestinationHosts'] = doubtful.map((d) => d.destination);
    // '' for a record written before migrations had ids: the destination cannot be asked about it.
    values['InDoubtMigrationIDs'] = doubtful.map((d) => (d.ticket.id === undefined ? '' : publicMigrationId(d.ticket.id)));
    return [this.model.cim.instance(CLASS.migrationService, values)];
  }

  async invokeMethod(ctx: ProviderContext, _path: CimObjectPath, method: string, params: ParamValue[]): Promise<MethodResult> {
    try {
      switch (method) {
        case 'MigrateVirtualSystemToHost': return await this.migrateOut(ctx, params);
        case 'AcceptMigration': return await this.acceptMigration(ctx, params);
        case 'IssueMigrationTicket': return issueMigrationTicket(ctx, params, this.model.policyName());
        case 'ResolveMigration': return await this.resolveMigration(ctx, params);
        case 'QueryMigration': return this.queryMigration(params);
        default: return { returnValue: 1, outParams: [{ name: 'Reason', value: `${method} is not supported; use MigrateVirtualSystemToHost` }] };
      }
    } catch (e) {
      return failureResult(e, CODES);
    }
  }

  /**
   * Checks what can be checked before the VM moves (its parameters, that it runs and is not
   * already leaving, that the destination answers and can take its vTPM) and refuses at once
   * with 2, 4 or 5 and a Reason; then starts the migration as a job and returns 4096 with it.
   */
  private async migrateOut(ctx: ProviderContext, params: ParamValue[]): Promise<MethodResult> {
    const name = this.model.paths.element(methodParam(params, 'ComputerSystem') as CimObjectPath | null, 'ComputerSystem', ['vm']).name;
    const dest = methodParam(params, 'DestinationHost');
    if (typeof dest !== 'string') throw new TvdcError('INVALID_ARGUMENT', 'DestinationHost is required (host[:port] or http(s)://host:port of a tvdc host agent)');
    const url = destinationUrl(dest);
    // Messages and the job name the destination without the credentials a URL may carry.
    const shown = new URL(url).origin;
    // Before anything of this host or the destination is looked at: who may send this VM there.
    const authorized = asAccessDenied(() => this.authority.check(migrationCaller(ctx), methodParam(params, 'MigrationAuthorization'), name, shown));
    // Asked first: once a VM has left the hypervisor it is listed nowhere here until the job ends.
    const inFlight = this.leaving.get(name);
    if (inFlight !== undefined) throw new TvdcError('INVALID_STATE', `VM '${name}' is already migrating (${inFlight === null ? 'its request is being checked' : `job ${inFlight}`})`);
    const vm = this.model.service.getVm(name);
    if (!vm) throw new CimError(CimStatus.CIM_ERR_NOT_FOUND, `no VM '${name}' on host '${this.model.hostName}'`);
    if (vm.state !== 'running') throw new TvdcError('INVALID_STATE', `VM '${name}' is ${vm.state}; only a running VM migrates`);
    const keys = this.vtpmKeys.get();
    const carriesVtpm = keys !== null && keys.hasVtpm(name);
    const ca = methodParam(params, 'DestinationCA');
    if (ca !== null && ca !== undefined && (typeof ca !== 'string' || !ca.includes('-----BEGIN CERTIFICATE-----'))) {
      throw new TvdcError('INVALID_ARGUMENT', 'DestinationCA must be PEM certificate text (-----BEGIN CERTIFICATE-----)');
    }
    const conn = new WbemConnection(url, {
      namespace: 'root/tvdc', timeouts: { connect: this.timeoutMs, headers: this.timeoutMs, body: this.timeoutMs }, retries: 0,
      // A datacenter's own CA for this destination (the management server keeps one per host).
      ...(typeof ca === 'string' ? { tls: { ca } } : {}),
    });
    // Keys taken for this migration only; dropped whatever happens, so they never become pins.
    const dropKeys: Array<() => void> = [];
    const release = async (): Promise<void> => {
      for (const drop of dropKeys) drop();
      this.leaving.delete(name);
      await conn.close();
    };
    // Held from here until the job ends, so a second request cannot move the VM twice.
    this.leaving.set(name, null);
    let job: JobRecord<MigrationJobDetail>;
    // Until the job has taken the migration over, a refusal or failure here releases it at once.
    try {
      // Find the destination's service first: a wrong address fails before the VM moves at all.
      const target = await this.destinationService(conn, shown);
      if (carriesVtpm) {
        // The key comes over the connection the VM goes over: HTTPS with a verified certificate
        // is what makes it the destination's (see docs/integrity.md). A pinned key is checked
        // against it here, so a mismatch refuses before the VM moves.
        const destinationKey = await this.destinationKey(conn, shown, name);
        if (authorized) asAccessDenied(() => this.authority.checkDestinationKey(authorized, parseMigrationPublicKey(destinationKey, `the MigrationPublicKey of ${shown}`).fingerprint, name));
        try {
          dropKeys.push(keys.useDestinationKeyOnce(name, destinationKey));
        } catch (e) {
          if (e instanceof TvdcError) throw new TvdcError(e.code, `${e.message}; ${this.whereVmIs(name)}`);
          throw e;
        }
      } else if (authorized) {
        // No vTPM leaves, and still the destination must be the host the server read the key of.
        const published = await this.publishedKeyFingerprint(conn, shown);
        asAccessDenied(() => this.authority.checkDestinationKey(authorized, published, name));
      }
      // Spent once every check passed and just before the VM may leave: one statement, one migration.
      if (authorized) asAccessDenied(() => this.authority.spend(authorized));
      job = this.jobs.submit({ vm: name, destination: shown }, ctx.user, `checked; VM '${name}' is about to leave '${this.model.hostName}' for ${shown}`, async (progress) => {
        try {
          return await this.move(name, shown, conn, target, carriesVtpm ? keys : null, progress);
        } finally {
          await release();
        }
      });
    } catch (e) {
      await release();
      throw e;
    }
    this.leaving.set(name, job.id);
    return { returnValue: JOB_STARTED, outParams: [{ name: 'Job', value: migrationJobPath(this.model, job.id) }] };
  }

  /**
   * The job's work: hands the VM out of this hypervisor and asks the destination to admit it;
   * when it does not, takes the VM back. Resolves with the job's final status, or a JobFailure
   * whose code is the method's (2 Failed, 5 Invalid State) and whose description says where the
   * VM runs now.
   */
  private async move(name: string, shown: string, conn: WbemConnection, target: CimObjectPath, keys: VtpmMigrationKeys | null, job: JobProgress): Promise<string | JobFailure> {
    const here = this.model.hostName;
    let ticket: MigrationTicket;
    try {
      ticket = await this.model.service.migrateOut(name, shown);
    } catch (e) {
      // Listeners run before the VM is removed: one that refuses leaves it running here.
      return { code: this.codeOf(e), description: `VM '${name}' could not leave '${here}': ${(e as Error).message}; ${this.whereVmIs(name)}` };
    }
    job.progress(50, `VM '${name}' has left '${here}'; waiting for ${shown} to admit it`);
    let refusal: string | undefined;
    try {
      const r = await conn.invokeMethod(target, 'AcceptMigration', {
        Name: ticket.vm,
        SecurityLabel: formatLabel(this.model.policyName(), ticket.label) ?? '',
        SourceHost: ticket.fromHost,
        Disks: { type: 'string', isArray: true, value: ticket.disks },
        Segments: { type: 'string', isArray: true, value: ticket.segments },
        Extensions: JSON.stringify(ticket.id === undefined ? ticket.extensions : { ...ticket.extensions, [MIGRATION_ID_EXTENSION]: ticket.id }),
        // What the destination verifies the vTPM package with, unless a key is pinned there.
        ...(keys ? { SourceMigrationKey: keys.ownPublicKeyPem() } : {}),
      });
      if (Number(r.returnValue) !== 0) refusal = `host at ${shown} refused VM '${name}' (AcceptMigration returned ${String(r.returnValue)}): ${String(r.outParams.get('Reason')?.value ?? 'no reason given')}`;
    } catch (e) {
      const why = e instanceof CimError ? e.description : (e as Error).message;
      // The request may have been admitted there: taking the VM back now could run it twice.
      if (mayHaveBeenProcessed(e)) return this.leftInDoubt(name, shown, ticket.id === undefined ? undefined : publicMigrationId(ticket.id), why);
      refusal = `migration of VM '${name}' to ${shown} failed: ${why}`;
    }
    if (refusal === undefined) {
      try {
        this.model.service.forgetDeparture(name);
      } catch (e) {
        // The VM runs at the destination; a record left behind only shows up as in doubt.
        console.error(`tvdc isolation: VM '${name}' arrived at ${shown}, and its departure record stayed: ${(e as Error).message}`);
      }
      return `VM '${name}' runs on the host at ${shown}`;
    }
    try {
      await this.model.service.takeBackVm(name, 'running');
    } catch (e) {
      return {
        code: FAILED,
        description: `${refusal}; taking VM '${name}' back on '${here}' failed too: ${(e as Error).message}; its take-back copy is kept on '${here}': ` +
          `ResolveMigration with Arrived=false restores it there, stopped, once that is fixed`,
      };
    }
    return { code: FAILED, description: `${refusal}; ${this.whereVmIs(name)}` };
  }

  /**
   * Where a VM that did not leave stands now, read when the message is written: a VM whose vTPM
   * was lost meanwhile has been stopped by its host, and must not be said to run.
   */
  private whereVmIs(name: string): string {
    const here = this.model.hostName;
    const vm = this.model.service.getVm(name);
    if (!vm) return `VM '${name}' is no longer on '${here}'`;
    if (vm.state === 'running') return `the VM keeps running on '${here}'`;
    return `the VM is ${vm.state} on '${here}'`;
  }

  /**
   * AcceptMigration was sent and its answer lost (a timeout, a reset, a hang-up): the destination
   * may have admitted the VM, so it is not taken back here. The departure record, take-back copy
   * included, stays: the migration is in doubt until ResolveMigration settles it.
   */
  private leftInDoubt(name: string, shown: string, id: string | undefined, why: string): JobFailure {
    const here = this.model.hostName;
    if (!this.model.service.departure(name)) {
      // The VM came back here meanwhile (an arrival clears the record): nothing is left to settle.
      return { code: FAILED, description: `the answer of ${shown} to the migration of VM '${name}' was lost (${why}); VM '${name}' has come back to '${here}' since, so nothing is in doubt` };
    }
    const ask = id === undefined ? `whether it admitted VM '${name}'` : `whether it admitted migration ${id} (QueryMigration on ${CLASS.migrationService} there)`;
    const description = `the answer of ${shown} to the migration of VM '${name}' was lost after the request was sent (${why}): whether it admitted the VM is unknown, ` +
      `so the migration is in doubt and the VM is not taken back (it could run on both hosts); its take-back copy is kept on '${here}' (InDoubtVirtualSystems). ` +
      `Ask ${shown} ${ask}, then call ResolveMigration on ${CLASS.migrationService}: Arrived=true if it did (the copy is forgotten), ` +
      `Arrived=false if it did not (the VM is restored on '${here}', stopped, from the copy, its vTPM included)`;
    console.error(`tvdc isolation: ${description}`);
    return { code: FAILED, description };
  }

  private codeOf(e: unknown): number {
    return e instanceof TvdcError ? CODES[e.code] ?? FAILED : FAILED;
  }

  /**
   * The destination's MigrationPublicKey. A host without vTPMs has none (or no vTPM service at
   * all); the VM is refused then, before it moves, because its vTPM could not follow it.
   */
  /** The destination's published MigrationPublicKey (PEM text as it is), or what kept it from being read. */
  private async publishedKey(conn: WbemConnection): Promise<{ key?: string; error?: unknown }> {
    try {
      for await (const i of conn.enumerateInstances(VTPM_SERVICE_CLASS, { propertyList: ['MigrationPublicKey'] })) {
        const key = i.get('MigrationPublicKey');
        return typeof key === 'string' && key.trim() !== '' ? { key } : {};
      }
      return {};
    } catch (error) {
      return { error };
    }
  }

  private async destinationKey(conn: WbemConnection, url: string, vm: string): Promise<string> {
    const none = (why: string) => new TvdcError('INVALID_ARGUMENT', `VM '${vm}' has a vTPM, and host at ${url} cannot take it: ${why}; the VM keeps running on '${this.model.hostName}'`);
    const { key, error } = await this.publishedKey(conn);
    if (error !== undefined) throw none(`its ${VTPM_SERVICE_CLASS} cannot be read (${error instanceof CimError ? error.description : (error as Error).message})`);
    if (key === undefined) throw none(`it publishes no ${VTPM_SERVICE_CLASS}.MigrationPublicKey (a host running without vTPMs)`);
    return key;
  }

  /**
   * The fingerprint of the destination's MigrationPublicKey, or null when it publishes none (a
   * host with --vtpm off has no TVDc_VTPMManagementService, or one without a key).
   */
  private async publishedKeyFingerprint(conn: WbemConnection, url: string): Promise<string | null> {
    const { key, error } = await this.publishedKey(conn);
    if (error instanceof CimError && (error.status === CimStatus.CIM_ERR_INVALID_CLASS || error.status === CimStatus.CIM_ERR_NOT_FOUND)) return null;
    if (error !== undefined) throw new TvdcError('INVALID_ARGUMENT', `DestinationHost ${url}: its ${VTPM_SERVICE_CLASS} cannot be read (${error instanceof CimError ? error.description : (error as Error).message})`);
    return key === undefined ? null : parseMigrationPublicKey(key, `the MigrationPublicKey of ${url}`).fingerprint;
  }

  private async destinationService(conn: WbemConnection, url: string): Promise<CimObjectPath> {
    try {
      for await (const p of conn.enumerateInstanceNames(CLASS.migrationService)) return p;
    } catch (e) {
      throw new TvdcError('INVALID_ARGUMENT', `DestinationHost ${url} is not reachable as a tvdc host agent: ${e instanceof CimError ? e.description : (e as Error).message}`);
    }
    throw new TvdcError('INVALID_ARGUMENT', `DestinationHost ${url} has no ${CLASS.migrationService}`);
  }

  /**
   * Settles a migration in doubt (the VM left, and whether the destination admitted it is not
   * known here): Arrived=true forgets the take-back copy, Arrived=false restores the VM here,
   * stopped, from it. The VM is named by VirtualSystemName or by the migration's Job.
   */
  private async resolveMigration(ctx: ProviderContext, params: ParamValue[]): Promise<MethodResult> {
    const arrived = methodParam(params, 'Arrived');
    const vmName = methodParam(params, 'VirtualSystemName');
    const jobRef = methodParam(params, 'Job');
    try {
      if (typeof arrived !== 'boolean') {
        throw new TvdcError('INVALID_ARGUMENT', 'Arrived is required: true when the destination has the VM (its take-back copy here is forgotten), false to restore the VM here, stopped, from that copy');
      }
      const name = this.resolvedVm(vmName, jobRef);
      const inFlight = this.leaving.get(name);
      if (inFlight !== undefined) throw new TvdcError('INVALID_STATE', `VM '${name}' is migrating now (${inFlight === null ? 'its request is being checked' : `job ${inFlight}`}): that migration settles itself`);
      if (this.resolving.has(name)) throw new TvdcError('INVALID_STATE', `the migration of VM '${name}' is being resolved by another call now`);
      const d = this.model.service.departure(name);
      if (!d) throw new TvdcError('INVALID_STATE', `no migration of VM '${name}' is in doubt on host '${this.model.hostName}': it never left, or its migration was settled (see InDoubtVirtualSystems)`);
      const to = d.destination || 'its destination';
      const who = ctx.user ?? 'an anonymous caller';
      if (arrived) {
        this.model.service.forgetDeparture(name);
        console.error(`tvdc isolation: ${who} resolved the migration of VM '${name}' to ${to} as arrived; its take-back copy is forgotten`);
        return { returnValue: 0, outParams: [] };
      }
      this.resolving.add(name);
      try {
        const vm = await this.model.service.takeBackVm(name, 'stopped');
        console.error(`tvdc isolation: ${who} resolved the migration of VM '${name}' to ${to} as not arrived; the VM is back on '${this.model.hostName}', stopped`);
        return { returnValue: 0, outParams: [{ name: 'ComputerSystem', value: this.model.paths.vm(vm.name) }] };
      } catch (e) {
        if (e instanceof TvdcError && e.code === 'ALREADY_EXISTS') {
          throw new TvdcError('ALREADY_EXISTS', `${e.message}: VM '${name}' cannot be restored beside it; if it is the VM that left, call ResolveMigration with Arrived=true to forget the copy`);
        }
        return { returnValue: FAILED, outParams: [{ name: 'Reason', value: `VM '${name}' could not be restored on '${this.model.hostName}': ${(e as Error).message}; its take-back copy is kept` }] };
      } finally {
        this.resolving.delete(name);
      }
    } catch (e) {
      return failureResult(e, RESOLVE_CODES);
    }
  }

  /** The VM a ResolveMigration call names: by VirtualSystemName or by its migration's Job, one of the two. */
  private resolvedVm(vmName: unknown, jobRef: unknown): string {
    const given = (v: unknown): boolean => v !== null && v !== undefined && v !== '';
    if (given(vmName) === given(jobRef)) throw new TvdcError('INVALID_ARGUMENT', 'name the migration by VirtualSystemName (the VM) or by Job (its TVDc_MigrationJob), one of the two');
    if (given(vmName)) {
      if (typeof vmName !== 'string') throw new TvdcError('INVALID_ARGUMENT', 'VirtualSystemName must be a string (the VM name)');
      return vmName;
    }
    const id = jobRef instanceof CimObjectPath && jobRef.className.toLowerCase() === CLASS.migrationJob.toLowerCase() ? jobRef.key('InstanceID') : undefined;
    if (typeof id !== 'string') throw new TvdcError('INVALID_ARGUMENT', 'Job must be a TVDc_MigrationJob reference with its InstanceID');
    const job = this.jobs.get(id);
    if (!job) throw new TvdcError('INVALID_ARGUMENT', `no migration job '${id}' on host '${this.model.hostName}' (a finished job is kept ${this.jobs.retentionMs / 1000} s); name the VM by VirtualSystemName instead`);
    return job.detail.vm;
  }

  /**
   * Whether this host admitted the migration MigrationID (a source's InDoubtMigrationIDs entry):
   * what settles a migration in doubt, whatever became of the VM here since (moved on, destroyed).
   */
  private queryMigration(params: ParamValue[]): MethodResult {
    const id = methodParam(params, 'MigrationID');
    if (typeof id !== 'string' || !MIGRATION_ID.test(id)) throw new TvdcError('INVALID_ARGUMENT', 'MigrationID is required: the public id of a migration (64 lower-case hex digits, as InDoubtMigrationIDs lists it on the source)');
    const a = this.model.service.arrival(id);
    if (!a) return { returnValue: 0, outParams: [{ name: 'Admitted', value: false }] };
    return {
      returnValue: 0,
      outParams: [
        { name: 'Admitted', value: true },
        { name: 'VirtualSystemName', value: a.vm },
        { name: 'SourceHost', value: a.fromHost },
        { name: 'AdmittedAt', value: CimDateTime.fromDate(new Date(a.arrivedAt)) },
      ],
    };
  }

  private async acceptMigration(ctx: ProviderContext, params: ParamValue[]): Promise<MethodResult> {
    const name = methodParam(params, 'Name');
    const labelText = methodParam(params, 'SecurityLabel');
    const strings = (n: string): string[] => {
      const v = methodParam(params, n);
      return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
    };
    const disks = strings('Disks');
    const segments = strings('Segments');
    // Before anything else: a ticket's holder learns nothing of this host beyond what it binds.
    requireTicketFor(ctx, { vm: typeof name === 'string' ? name : '', labelText: typeof labelText === 'string' ? labelText : null, disks, segments }, this.model.policyName());
    if (typeof name !== 'string' || name === '') throw new TvdcError('INVALID_ARGUMENT', 'Name (the VM name) is required');
    const label = typeof labelText === 'string' && labelText.trim() !== '' ? parseLabel(labelText, this.model.policyName()) : undefined;
    let extensions: Record<string, unknown> = {};
    const ext = methodParam(params, 'Extensions');
    if (typeof ext === 'string' && ext.trim() !== '') {
      try {
        const parsed: unknown = JSON.parse(ext);
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
        extensions = parsed as Record<string, unknown>;
      } catch (e) {
        throw new TvdcError('INVALID_ARGUMENT', `Extensions is not a JSON object: ${(e as Error).message}`);
      }
    }
    const id = extensions[MIGRATION_ID_EXTENSION];
    delete extensions[MIGRATION_ID_EXTENSION];
    if (id !== undefined && (typeof id !== 'string' || !MIGRATION_SECRET_ID.test(id))) throw new TvdcError('INVALID_ARGUMENT', `Extensions.${MIGRATION_ID_EXTENSION} must be a migration id (a lower-case UUID)`);
    const source = methodParam(params, 'SourceHost');
    const ticket: MigrationTicket = { ...(id === undefined ? {} : { id }), vm: name, label, fromHost: typeof source === 'string' ? source : '', disks, segments, extensions };
    let dropKey = (): void => undefined;
    const sourceKey = methodParam(params, 'SourceMigrationKey');
    const keys = this.vtpmKeys.get();
    if (keys !== null && typeof sourceKey === 'string' && sourceKey.trim() !== '') {
      // Taking the source's key from this call adds no trust the call did not already need: the
      // CIM server authenticated and authorised the caller (a user who may invoke methods, or a
      // ticket an administrator had this host issue for this VM), and AcceptMigration already lets
      // it make this host run the VM, so whoever may call it may as well hand us its vTPM.
      // The source fetched our key over its HTTPS connection to us (certificate verified), which
      // is what keeps the package from being sealed to anyone else. A key pinned here by
      // PrepareVTPMMigrationIn wins; a different one refuses the arrival (2, both fingerprints).
      dropKey = keys.useSourceKeyOnce(name, sourceKey);
    }
    try {
      const vm = await this.model.service.migrateIn(ticket);
      return { returnValue: 0, outParams: [{ name: 'NewComputerSystem', value: this.model.paths.vm(vm.name) }] };
    } finally {
      // For this arrival only, admitted or refused: it never becomes a pin.
      dropKey();
    }
  }
}
