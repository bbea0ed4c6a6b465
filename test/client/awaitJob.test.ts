// Waiting for a CIM_ConcreteJob with the client library: against the project's CIM server over
// HTTP on loopback, whose CIM_ConcreteJob instances follow a script, since no host agent can be made
// to produce every JobState, a removed job, a busy or silent poll on demand.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CimError, CimStatus, JobWaitTimeoutError, WbemConnection, awaitJob, jobOf, jobStateName, waitForJob } from '../../client/cim/index.js';
import { CimFactory } from '../../providers/isolation/CimFactory.js';
import type { CimInstance } from '../../src/cim/CimInstance.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { CimRepository } from '../../src/cim/CimRepository.js';
import { NameMap } from '../../src/cim/NameMap.js';
import { compileMof, projectMofFiles } from '../../src/mof/index.js';
import { openStore } from '../../src/store/Store.js';
import { WbemServer } from '../../src/wbem/WbemServer.js';

/** A job the scripted host serves: the JobState each poll sees (the last one stays), then maybe gone. */
interface ScriptedJob {
  states: number[];
  errorDescription?: string;
  /** Messages of the CIM_Error instances GetErrors returns. */
  errors?: string[];
  /** Gone (CIM_ERR_NOT_FOUND) after this many polls, as a job with DeleteOnCompletion once removed. */
  removedAfter?: number;
  /** The first this many polls fail with CIM_ERR_FAILED, as a busy host's would (they count as polls). */
  failing?: number;
  /** Each poll is answered this late (ms). */
  delayMs?: number;
  errorCode?: number;
  polls: number;
}

/**
 * A CIM server (the project's, over HTTP on loopback) whose CIM_ConcreteJob instances follow a
 * script, to pin how the server waits for a job as DMTF defines it: JobState values, a job removed
 * after it ended, ErrorDescription and GetErrors. The tvdc host agents cannot be made to produce
 * these states on demand.
 */
async function startJobServer(jobs: Map<string, ScriptedJob>): Promise<{ conn: WbemConnection; stop(): Promise<void> }> {
  const repository = new CimRepository();
  const compiled = compileMof({ files: projectMofFiles(), repository });
  expect(compiled.errors).to.deep.equal([]);
  const dir = mkdtempSync(join(tmpdir(), 'tvdc-jobserver-'));
  const store = openStore(join(dir, 'store.db'));
  const server = new WbemServer({ repository, store, name: 'jobs', users: null, log: () => {} });
  const cim = new CimFactory(repository, 'root/tvdc');
  const job = (path: CimObjectPath): ScriptedJob => {
    const j = jobs.get(String(path.key('InstanceID')));
    if (!j || (j.removedAfter !== undefined && j.polls >= j.removedAfter)) throw new CimError(CimStatus.CIM_ERR_NOT_FOUND, `no job ${String(path.key('InstanceID'))}`);
    return j;
  };
  server.registerProvider('root/tvdc', 'CIM_ConcreteJob', {
    async getInstance(_ctx, path) {
      const j = job(path);
      j.polls++;
      if (j.delayMs) await new Promise((res) => setTimeout(res, j.delayMs));
      const failing = j.failing ?? 0;
      if (j.polls <= failing) throw new CimError(CimStatus.CIM_ERR_FAILED, `job ${String(path.key('InstanceID'))}: the host is busy`);
      const state = j.states[Math.min(j.polls - 1 - failing, j.states.length - 1)]!;
      return cim.instance('CIM_ConcreteJob', { InstanceID: path.key('InstanceID'), Name: 'scripted', JobState: state, ErrorDescription: j.errorDescription, ErrorCode: j.errorCode });
    },
    async invokeMethod(_ctx, path, method) {
      const j = job(path);
      if (method !== 'GetErrors' || !j.errors) return { returnValue: 1 };
      return { returnValue: 0, outParams: [{ name: 'Errors', value: j.errors.map((m) => cim.instance('CIM_Error', { Message: m })) }] };
    },
  });
  const { http } = await server.listen({ port: 0, host: '127.0.0.1' });
  const conn = new WbemConnection(http!, { namespace: 'root/tvdc' });
  return {
    conn,
    stop: async () => {
      await conn.close();
      await server.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('CIM client: waiting for a CIM_ConcreteJob (awaitJob, waitForJob)', function () {
  const jobs = new Map<string, ScriptedJob>();
  let js: Awaited<ReturnType<typeof startJobServer>>;
  const path = (id: string) => CimObjectPath.instance('CIM_ConcreteJob', { InstanceID: id }, 'root/tvdc');
  const start = (id: string, script: Omit<ScriptedJob, 'polls'>, timeoutMs = 5_000, signal?: AbortSignal) => {
    jobs.set(id, { ...script, polls: 0 });
    return awaitJob(js.conn, path(id), { timeoutMs, pollMs: 5, ...(signal ? { signal } : {}) });
  };
  /** How the job ended, without the final instance (looked at in tests of its own). */
  const run = async (id: string, script: Omit<ScriptedJob, 'polls'>, timeoutMs = 5_000) => {
    const end = await start(id, script, timeoutMs);
    if (end.kind !== 'completed' && end.kind !== 'failed') return end;
    const { instance: _, ...outcome } = end;
    return outcome;
  };
  const rejection = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e);

  before(async () => {
    js = await startJobServer(jobs);
  });
  after(async () => {
    await js?.stop();
  });

  it('waits through New, Running, Service (11) and Query Pending (12), which are live states, until Completed (7)', async () => {
    expect(await run('j1', { states: [2, 4, 11, 12, 4, 7] })).to.deep.equal({ kind: 'completed' });
    expect(jobs.get('j1')!.polls).to.equal(6);
  });

  it('Exception (10) brings ErrorDescription; without one, the messages of GetErrors; Terminated (8) and Killed (9) end it too', async () => {
    expect(await run('j2', { states: [4, 10], errorDescription: 'host at http://127.0.0.1:1 refused VM \'ma\'' })).to.deep.equal({ kind: 'failed', state: 10, reason: 'host at http://127.0.0.1:1 refused VM \'ma\'' });
    expect(await run('j3', { states: [10], errors: ['collocation denied', 'second'] })).to.deep.equal({ kind: 'failed', state: 10, reason: 'collocation denied; second' });
    expect(await run('j4', { states: [4, 8] })).to.deep.include({ kind: 'failed', state: 8 });
    expect(await run('j5', { states: [9] })).to.deep.include({ kind: 'failed', state: 9 });
  });

  it('a job that never ends, or sits in a reserved state (13), is given up at the deadline with its last state, not waited for longer', async () => {
    const t0 = Date.now();
    expect(await run('j6', { states: [4] }, 300)).to.deep.equal({ kind: 'timeout', lastState: 4, lastError: null });
    const took = Date.now() - t0;
    expect(took).to.be.within(300, 1_300);
    expect(await run('j7', { states: [13] }, 200)).to.deep.include({ kind: 'timeout', lastState: 13 });
    expect(jobStateName(4)).to.equal('4 Running');
  });

  it('a job removed before it was seen to end (DeleteOnCompletion) is "vanished", for the caller to look at the VM', async () => {
    expect(await run('j8', { states: [4], removedAfter: 2 })).to.deep.equal({ kind: 'vanished' });
    expect(await run('j9', { states: [4], removedAfter: 0 })).to.deep.equal({ kind: 'vanished' });
  });

  it('the job as it ended comes with completed and failed alike; without a description or GetErrors, the ErrorCode is the reason', async () => {
    const done = await start('k1', { states: [4, 7] });
    expect(done.kind).to.equal('completed');
    const i = (done as { instance: CimInstance }).instance;
    expect([i.get('InstanceID'), i.get('Name'), Number(i.get('JobState'))]).to.deep.equal(['k1', 'scripted', 7]);
    const failed = await start('k2', { states: [10], errorCode: 42 });
    expect(failed).to.deep.include({ kind: 'failed', state: 10, reason: 'ErrorCode 42, no description' });
    expect(Number((failed as { instance: CimInstance }).instance.get('ErrorCode'))).to.equal(42);
    expect(await run('k3', { states: [9] })).to.deep.equal({ kind: 'failed', state: 9, reason: 'no reason given' });
  });

  it('a poll that fails is tried again; one that never succeeds is given up at the deadline with its error', async () => {
    expect(await run('k4', { states: [4, 7], failing: 3 })).to.deep.equal({ kind: 'completed' });
    expect(jobs.get('k4')!.polls).to.equal(5);
    const end = await run('k5', { states: [4], failing: Infinity }, 200);
    expect(end).to.deep.include({ kind: 'timeout', lastState: null });
    expect((end as { lastError: string }).lastError).to.include('job k5: the host is busy');
  });

  it('a poll the host does not answer is abandoned at the deadline, not waited for', async () => {
    const t0 = Date.now();
    expect(await run('k6', { states: [4], delayMs: 1_500 }, 200)).to.deep.equal({ kind: 'timeout', lastState: null, lastError: null });
    expect(Date.now() - t0).to.be.within(200, 1_000);
  });

  it('an abort ends the wait with its reason, during a pause and during a poll', async () => {
    const cases: Array<[string, Omit<ScriptedJob, 'polls'>]> = [['k7', { states: [4] }], ['k8', { states: [4], delayMs: 1_500 }]];
    for (const [id, script] of cases) {
      const ac = new AbortController();
      const t0 = Date.now();
      setTimeout(() => ac.abort(new Error(`stop ${id}`)), 100);
      const e = await rejection(start(id, script, 5_000, ac.signal));
      expect((e as Error).message).to.equal(`stop ${id}`);
      expect(Date.now() - t0).to.be.below(1_000);
    }
  });

  it('waitForJob gives the final instance (Completed or Exception), and throws for a job gone (NOT_FOUND) or not ended in time', async () => {
    jobs.set('w1', { states: [4, 7], polls: 0 });
    expect(Number((await waitForJob(js.conn, path('w1'), { pollMs: 5 })).get('JobState'))).to.equal(7);
    jobs.set('w2', { states: [10], errorDescription: 'refused', polls: 0 });
    const failed = await waitForJob(js.conn, path('w2'));
    expect([Number(failed.get('JobState')), failed.get('ErrorDescription')]).to.deep.equal([10, 'refused']);
    jobs.set('w3', { states: [4], removedAfter: 1, polls: 0 });
    const gone = await rejection(waitForJob(js.conn, path('w3'), { pollMs: 5 }));
    expect(gone).to.be.instanceOf(CimError);
    expect((gone as CimError).status).to.equal(CimStatus.CIM_ERR_NOT_FOUND);
    jobs.set('w4', { states: [4], polls: 0 });
    const late = await rejection(waitForJob(js.conn, path('w4'), { timeoutMs: 100, pollMs: 5 }));
    expect(late).to.be.instanceOf(JobWaitTimeoutError);
    expect([(late as JobWaitTimeoutError).code, (late as JobWaitTimeoutError).lastJobState]).to.deep.equal(['TIMEOUT', 4]);
    jobs.set('w5', { states: [4], failing: Infinity, polls: 0 });
    const busy = await rejection(waitForJob(js.conn, path('w5'), { timeoutMs: 100, pollMs: 5 }));
    expect((busy as JobWaitTimeoutError).lastJobState).to.equal(undefined);
    expect((busy as Error).message).to.include('JobState unknown').and.include('the last poll failed: ').and.include('the host is busy');
  });
});

describe('CIM client: jobOf, the Job a method answering 4096 handed back', () => {
  const out = (job: unknown) => {
    const m = new NameMap<{ value: unknown }>();
    if (job !== undefined) m.set('Job', { value: job });
    return m;
  };

  it('a reference without a namespace gets the one the method was called in; one with its own keeps it', () => {
    const bare = CimObjectPath.instance('TVDc_MigrationJob', { InstanceID: 'TVDc:job:1' });
    expect(String(jobOf(out(bare), 'root/example'))).to.equal(String(CimObjectPath.instance('TVDc_MigrationJob', { InstanceID: 'TVDc:job:1' }, 'root/example')));
    const own = CimObjectPath.instance('CIM_ConcreteJob', { InstanceID: 'x' }, 'root/other');
    expect(jobOf(out(own), 'root/example')).to.equal(own);
  });

  it('no Job, or one that is not a reference: null', () => {
    expect(jobOf(out(undefined), 'root/example')).to.equal(null);
    expect(jobOf(out('TVDc_MigrationJob.InstanceID="1"'), 'root/example')).to.equal(null);
    expect(jobStateName(null)).to.equal('no JobState');
    expect([jobStateName(11), jobStateName(10), jobStateName(13)]).to.deep.equal(['11 Service', '10 Exception', '13 unknown']);
  });
});
