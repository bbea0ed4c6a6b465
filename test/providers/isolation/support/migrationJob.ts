// MigrateVirtualSystemToHost answers 4096 and a TVDc_MigrationJob: the tests wait for that job with
// the project's CIM client (waitForJob, polling GetInstance) and read how the migration ended.
import type { CimInstance } from '../../../../src/cim/CimInstance.js';
import { CimObjectPath } from '../../../../src/cim/CimObjectPath.js';
import { WbemConnection, waitForJob } from '../../../../client/cim/index.js';

export interface JobOutcome {
  /** JobState: 7 Completed, 10 Exception. */
  state: number;
  /** ErrorCode: 0 when completed, else the method's code (2 Failed, 5 Invalid State). */
  errorCode: number;
  /** ErrorDescription: why the migration failed and where the VM runs now ('' when completed). */
  reason: string;
  job: CimInstance;
}

/** The finished job `ref` (a path, or its text as wbemcli prints the `Job` out parameter) on the host at `origin`. */
export async function jobOutcome(origin: string, ref: string | CimObjectPath, timeoutMs = 30_000): Promise<JobOutcome> {
  const conn = new WbemConnection(origin, { namespace: 'root/tvdc' });
  try {
    const job = await waitForJob(conn, typeof ref === 'string' ? CimObjectPath.parse(ref) : ref, { timeoutMs });
    return { state: Number(job.get('JobState')), errorCode: Number(job.get('ErrorCode')), reason: String(job.get('ErrorDescription') ?? ''), job };
  } finally {
    await conn.close();
  }
}
