// A VM migration as CIM: the TVDc_MigrationJob instance of a JobTable record (CIM_ConcreteJob
// properties, DSP1081), its object path, the CIM_InstCreation / InstModification /
// InstDeletion a subscriber learns of its progress from without polling, and how the jobs outlive
// an agent restart in the host's store.
import { CimDateTime } from '../../src/cim/CimDateTime.js';
import type { CimInstance } from '../../src/cim/CimInstance.js';
import type { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { JOB_STATE } from '../../src/cim/ConcreteJob.js';
import { JobTable, type JobChange, type JobFailure, type JobRecord } from '../../src/wbem/JobTable.js';
import { JobStore } from '../../src/wbem/JobStore.js';
import type { IsolationModel } from './IsolationModel.js';
import { CLASS } from './IsolationPaths.js';
import { lifecycleIndication } from './LifecycleIndication.js';
import { publicMigrationId } from '../../src/tvdc/hypervisor/VirtualMachine.js';

/** What a migration job moves where. */
export interface MigrationJobDetail {
  vm: string;
  /** The destination's origin, without the credentials its URL may carry. */
  destination: string;
}

export type MigrationJobs = JobTable<MigrationJobDetail>;

const MIGRATION_JOB_ID_PREFIX = 'TVDc:MigrationJob:';

/** ErrorCode of a job the agent's restart ended: 2 Failed in MigrateVirtualSystemToHost's ValueMap. */
const INTERRUPTED = 2;

/** A stored detail back, or a throw saying what is wrong with it. */
function decodeDetail(value: unknown): MigrationJobDetail {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('detail is not an object');
  const { vm, destination } = value as Record<string, unknown>;
  if (typeof vm !== 'string' || vm === '') throw new Error('detail has no VM name');
  if (typeof destination !== 'string' || destination === '') throw new Error('detail has no destination');
  return { vm, destination };
}

/**
 * How a migration ended that was under way when the agent stopped: the work went with the process,
 * so the VM is either still here (it never left, or was taken back: the migration did not
 * complete) or not here (it left; whether the destination admitted it only that host knows). A VM
 * that left has its departure record here, take-back copy included: the migration is in doubt
 * until ResolveMigration settles it.
 */
function interrupted(model: IsolationModel, job: JobRecord<MigrationJobDetail>): JobFailure {
  const { vm, destination } = job.detail;
  const here = model.hostName;
  const onHost = model.service.getVm(vm);
  const departure = onHost ? undefined : model.service.departure(vm);
  // By the migration's id when it has one: the destination answers for that migration, not for
  // whatever VM of that name it holds now.
  const ask = departure?.ticket.id
    ? `whether it admitted migration ${publicMigrationId(departure.ticket.id)} of VM '${vm}' (QueryMigration on ${CLASS.migrationService} there)`
    : `whether it admitted VM '${vm}'`;
  const where = onHost
    ? `the VM is here, ${onHost.state} on '${here}': the migration did not complete`
    : departure
      ? `the VM is not on '${here}': it had left for ${destination}, and the migration is in doubt; its take-back copy is kept on '${here}'. ` +
        `Ask ${destination} ${ask}, then call ResolveMigration on ${CLASS.migrationService}: Arrived=true if it did ` +
        `(the copy is forgotten), Arrived=false if it did not (the VM is restored on '${here}', stopped, from the copy, its vTPM included)`
      : `the VM is not on '${here}': it had left for ${destination}; ask that host whether it admitted VM '${vm}'`;
  return { code: INTERRUPTED, description: `the host agent on '${here}' restarted while the migration of VM '${vm}' to ${destination} ran; ${where}` };
}

/** OperationalStatus: 2 OK while it runs; 17 Completed with 2 OK or 6 Error once finished. */
const OPERATIONAL_STATUS: Record<JobRecord<unknown>['state'], number[]> = { starting: [2], running: [2], completed: [2, 17], exception: [6, 17] };

const MICROSECONDS_PER_MS = 1000n;

function interval(ms: number): CimDateTime {
  return CimDateTime.interval(BigInt(Math.max(0, Math.round(ms))) * MICROSECONDS_PER_MS);
}

export function migrationJobPath(model: IsolationModel, id: string): CimObjectPath {
  return model.cim.path(CLASS.migrationJob, { InstanceID: id });
}

export function migrationJobInstance(model: IsolationModel, job: JobRecord<MigrationJobDetail>, retentionMs: number, now = new Date()): CimInstance {
  const { vm, destination } = job.detail;
  const title = `migration of VM '${vm}' from '${model.hostName}' to ${destination}`;
  const end = job.finishedAt ?? now;
  return model.cim.instance(CLASS.migrationJob, {
    InstanceID: job.id,
    Name: title,
    ElementName: title,
    Caption: title,
    JobState: JOB_STATE[job.state],
    JobStatus: job.status,
    OperationalStatus: OPERATIONAL_STATUS[job.state],
    PercentComplete: job.percentComplete,
    TimeSubmitted: CimDateTime.fromDate(job.submittedAt),
    StartTime: job.startedAt ? CimDateTime.fromDate(job.startedAt) : undefined,
    ElapsedTime: job.startedAt ? interval(end.getTime() - job.startedAt.getTime()) : undefined,
    // DMTF: an interval of 0 while the state never changed since the job was created.
    TimeOfLastStateChange: job.stateChangedAt.getTime() === job.submittedAt.getTime() ? interval(0) : CimDateTime.fromDate(job.stateChangedAt),
    // Zero when the job completed without error (DMTF); the method's return code when it failed.
    ErrorCode: job.state === 'completed' ? 0 : job.failure?.code,
    ErrorDescription: job.failure?.description,
    DeleteOnCompletion: true,
    TimeBeforeRemoval: interval(retentionMs),
    JobRunTimes: 1,
    LocalOrUtcTime: 2,
    Owner: job.owner ?? undefined,
    VirtualSystem: model.paths.vm(vm).toString(),
    DestinationHost: destination,
  });
}

/**
 * The migration jobs of one host, kept in the host's store (the isolation service's database, the
 * one the agent opened): each change is recorded before it is seen, and the jobs of the agent's
 * last run are taken back at once, a migration that was under way then ending in Exception.
 * Each job raises CIM_InstCreation when it is created, CIM_InstModification (with PreviousInstance)
 * when its JobState changes (a restart's settlement too), and CIM_InstDeletion when it is removed;
 * progress within a state is left to polling, it would only multiply deliveries.
 */
export function migrationJobTable(model: IsolationModel, emit: (indication: CimInstance) => void): MigrationJobs {
  const onChange = (change: JobChange, job: JobRecord<MigrationJobDetail>, previous: JobRecord<MigrationJobDetail> | null): void => {
    if (change === 'modified' && previous?.state === job.state) return;
    const className = change === 'created' ? 'CIM_InstCreation' : change === 'removed' ? 'CIM_InstDeletion' : 'CIM_InstModification';
    try {
      const before = previous ? migrationJobInstance(model, previous, table.retentionMs) : undefined;
      emit(lifecycleIndication(model, className, migrationJobInstance(model, job, table.retentionMs), before));
    } catch (e) {
      console.error(`tvdc isolation: could not raise ${className} for ${job.id}: ${(e as Error).message}`);
    }
  };
  const log = (m: string): void => console.error(`tvdc isolation: ${m}`);
  const store = new JobStore<MigrationJobDetail>(model.service.db, { kind: MIGRATION_JOB_ID_PREFIX, decodeDetail, log });
  // The table calls onChange only once it exists (restore() and submit() come after this line).
  const table: MigrationJobs = new JobTable({ idPrefix: MIGRATION_JOB_ID_PREFIX, onChange, store, settle: (job) => interrupted(model, job), log });
  const restored = table.restore();
  for (const job of restored.settled) log(`${job.id}: ${job.failure!.description}`);
  return table;
}
