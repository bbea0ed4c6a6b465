// TVDc_MigrationJob: the jobs MigrateVirtualSystemToHost starts, enumerable and gettable while the
// table keeps them; DeleteInstance removes a finished one early. A migration in flight cannot be
// stopped (the VM is between two hosts), so RequestStateChange changes nothing; GetError(s) give
// a failed job's reason as a CIM_Error.
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import type { CimInstance } from '../../src/cim/CimInstance.js';
import type { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import type { MethodResult, ParamValue, Provider, ProviderContext } from '../../src/wbem/Provider.js';
import { isFinished, type JobRecord } from '../../src/wbem/JobTable.js';
import type { IsolationModel } from './IsolationModel.js';
import { migrationJobInstance, migrationJobPath, type MigrationJobDetail, type MigrationJobs } from './MigrationJob.js';
import { methodParam } from './methodParam.js';

/** CIM_ConcreteJob.RequestStateChange codes: 1 Not Supported, 4 Failed, 5 Invalid Parameter, 4097 Invalid State Transition. */
const RSC = { notSupported: 1, invalidParameter: 5, invalidTransition: 4097 } as const;
/** RequestedState values of CIM_ConcreteJob.RequestStateChange: Start, Suspend, Terminate, Kill, Service. */
const REQUESTED_STATES = [2, 3, 4, 5, 6];

/** CIM_Error values: ErrorType 1 Other; PerceivedSeverity 3 Degraded/Warning (the VM still runs somewhere); ErrorSourceFormat 2 CIMObjectPath. */
const ERROR_TYPE_OTHER = 1;
const SEVERITY_WARNING = 3;
const SOURCE_FORMAT_PATH = 2;

export class MigrationJobProvider implements Provider {
  constructor(
    private readonly model: IsolationModel,
    private readonly jobs: MigrationJobs,
  ) {}

  enumerateInstances(): CimInstance[] {
    const now = new Date();
    return this.jobs.list().map((j) => migrationJobInstance(this.model, j, this.jobs.retentionMs, now));
  }

  getInstance(_ctx: ProviderContext, path: CimObjectPath): CimInstance {
    return migrationJobInstance(this.model, this.require(path), this.jobs.retentionMs);
  }

  deleteInstance(_ctx: ProviderContext, path: CimObjectPath): void {
    const job = this.require(path);
    if (!isFinished(job)) throw new CimError(CimStatus.CIM_ERR_FAILED, `${job.id} is still ${job.state}: a migration in flight cannot be stopped or forgotten; delete the job once it has finished`);
    this.jobs.remove(job.id);
  }

  invokeMethod(_ctx: ProviderContext, path: CimObjectPath, method: string, params: ParamValue[]): MethodResult {
    const job = this.require(path);
    switch (method) {
      case 'RequestStateChange': return this.requestStateChange(job, methodParam(params, 'RequestedState'));
      case 'GetError': return { returnValue: 0, outParams: [{ name: 'Error', value: this.error(job) }] };
      case 'GetErrors': {
        const e = this.error(job);
        return { returnValue: 0, outParams: [{ name: 'Errors', value: e ? [e] : null }] };
      }
      // KillJob (deprecated) and anything else: nothing here stops a migration.
      default: return { returnValue: 1 };
    }
  }

  private requestStateChange(job: JobRecord<MigrationJobDetail>, requested: unknown): MethodResult {
    const reason = (code: number, text: string): MethodResult => ({ returnValue: code, outParams: [{ name: 'Reason', value: text }] });
    if (typeof requested !== 'number' || !REQUESTED_STATES.includes(requested)) {
      return reason(RSC.invalidParameter, `RequestedState must be one of ${REQUESTED_STATES.join(', ')} (Start, Suspend, Terminate, Kill, Service); got ${String(requested)}`);
    }
    if (isFinished(job)) return reason(RSC.invalidTransition, `${job.id} has finished (${job.state}); a finished job changes state no more`);
    return reason(RSC.notSupported, `a migration in flight cannot be stopped safely: VM '${job.detail.vm}' is between '${this.model.hostName}' and ${job.detail.destination}; wait for the job to finish (it ends either way, and a refused VM keeps running on '${this.model.hostName}')`);
  }

  /** The failed job's reason as a CIM_Error; null while it runs or when it completed. */
  private error(job: JobRecord<MigrationJobDetail>): CimInstance | null {
    if (job.state !== 'exception' || !job.failure) return null;
    return this.model.cim.instance('CIM_Error', {
      ErrorType: ERROR_TYPE_OTHER,
      OtherErrorType: 'VM migration failed',
      OwningEntity: 'TVDc',
      MessageID: `TVDc:MigrateVirtualSystemToHost:${job.failure.code}`,
      Message: job.failure.description,
      PerceivedSeverity: SEVERITY_WARNING,
      CIMStatusCode: CimStatus.CIM_ERR_FAILED,
      ErrorSource: migrationJobPath(this.model, job.id).toString(),
      ErrorSourceFormat: SOURCE_FORMAT_PATH,
    });
  }

  private require(path: CimObjectPath): JobRecord<MigrationJobDetail> {
    const id = path.key('InstanceID');
    const job = typeof id === 'string' ? this.jobs.get(id) : undefined;
    if (!job) {
      throw new CimError(CimStatus.CIM_ERR_NOT_FOUND, `no migration job ${typeof id === 'string' ? `'${id}'` : '(InstanceID missing)'} on host '${this.model.hostName}': a finished job is kept ${this.jobs.retentionMs / 1000} s after it finished (an agent restart included), then removed`);
    }
    return job;
  }

  async close(): Promise<void> {
    await this.jobs.close();
  }
}
