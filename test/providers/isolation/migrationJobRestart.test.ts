// A migration job outlives the tvdc-host process that ran it: a real tvdc-host with --state, stopped
// or killed -9 and started again on the same state. A finished job reads the same after the
// restart; a job held in flight (a relay holds AcceptMigration) when the host is killed is Exception
// at the next start, saying the agent restarted and that the migration is in doubt (the VM left,
// its take-back copy is kept), and a subscriber is told; a job past its retention is gone, and a
// corrupted row costs only itself.
import { expect } from 'chai';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CimInstance } from '../../../src/cim/CimInstance.js';
import { CimObjectPath } from '../../../src/cim/CimObjectPath.js';
import { CimError, CimStatus, WbemConnection, waitForJob } from '../../../client/cim/index.js';
import { IndicationListener, subscribe } from '../../../client/listener/index.js';
import { Relay } from '../../support/Relay.js';
import { spawnTvdcHost, type TvdcHostProcess } from '../../support/TvdcHostProcess.js';
import { startInProcessHost, type InProcessHost } from './support/InProcessHost.js';
import { HostPaths, POLICY_1_0, defineParam, policyParam, wbemcliCall as cm } from './support/wbemcli.js';

/** The migration id a job's ErrorDescription names (the public id of the one the source drew), or '' when none. */
function idOf(text: string): string {
  return /whether it admitted migration ([0-9a-f]{64}) of VM/.exec(text)?.[1] ?? '';
}

describe('isolation providers: migration jobs survive a tvdc-host restart', function () {
  this.timeout(90_000);
  let state: string;
  let a: TvdcHostProcess | undefined;
  let b: InProcessHost;
  let pa: HostPaths;
  let conn: WbemConnection;
  let listener: IndicationListener;
  const got: CimInstance[] = [];
  /** The job that completed before the first restart, as read then. */
  let completed: CimInstance;

  const startA = async (): Promise<void> => {
    a = await spawnTvdcHost(['--name', 'a', '--port', '0', '--state', state]);
    pa = new HostPaths(a.origin, 'a');
    await conn?.close();
    conn = new WbemConnection(a.origin, { namespace: 'root/tvdc' });
  };
  const migrate = async (vm: string, port: number): Promise<CimObjectPath> => {
    const r = await cm(pa, pa.service('TVDc_VirtualSystemMigrationService'), `MigrateVirtualSystemToHost.DestinationHost="127.0.0.1:${port}",ComputerSystem=${pa.vm(vm)}`);
    expect(r.returnValue, JSON.stringify(r.out)).to.equal(4096);
    return CimObjectPath.parse(r.out['Job']!);
  };
  const jobState = (i: CimInstance, prop: string) => Number((i.get(prop) as CimInstance).get('JobState'));
  const db = () => new Database(join(state, 'host.db'));

  before(async () => {
    state = mkdtempSync(join(tmpdir(), 'tvdc-job-restart-'));
    [b] = await Promise.all([startInProcessHost('b'), startA()]);
    const pb = new HostPaths(b.origin, 'b');
    for (const p of [pa, pb]) expect((await cm(p, p.service('TVDc_SecurityService'), policyParam(POLICY_1_0))).returnValue).to.equal(0);
    for (const vm of ['m1', 'm2', 'm3']) {
      expect((await cm(pa, pa.service('TVDc_VirtualSystemManagementService'), defineParam(vm, 'MarketAnalysis'))).returnValue).to.equal(0);
      expect((await cm(pa, pa.vm(vm), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
    }
    listener = new IndicationListener({ host: '127.0.0.1' });
    await listener.start();
    listener.onIndication((i) => void got.push(i));
    // A subscription is part of the host's store too, so it is still there after the restarts.
    const interop = new WbemConnection(a!.origin, { namespace: 'root/interop' });
    try {
      await subscribe(interop, { name: 'jobs', destination: listener.url, query: 'SELECT * FROM CIM_InstModification WHERE SourceInstance ISA TVDc_MigrationJob' });
    } finally {
      await interop.close();
    }
  });
  after(async () => {
    await conn?.close();
    await listener?.close();
    await a?.stop();
    await b?.stop();
    rmSync(state, { recursive: true, force: true });
  });

  it('a finished job reads the same after the host is stopped and started again: JobState 7, ErrorCode 0, its times, status, VM and destination', async () => {
    const path = await migrate('m1', b.port);
    completed = await waitForJob(conn, path, { timeoutMs: 20_000 });
    expect(Number(completed.get('JobState'))).to.equal(7);
    await a!.stop();
    await startA();
    const after = await conn.getInstance(path);
    expect(Number(after.get('JobState'))).to.equal(7);
    expect(Number(after.get('ErrorCode'))).to.equal(0);
    for (const p of ['InstanceID', 'JobStatus', 'PercentComplete', 'OperationalStatus', 'TimeSubmitted', 'StartTime', 'ElapsedTime', 'TimeOfLastStateChange', 'VirtualSystem', 'DestinationHost', 'TimeBeforeRemoval']) {
      expect(String(after.get(p)), p).to.equal(String(completed.get(p)));
    }
    expect(String(after.get('JobStatus'))).to.equal(`VM 'm1' runs on the host at http://127.0.0.1:${b.port}`);
  });

  it('a job in flight when the host is killed -9 is Exception (10, ErrorCode 2) at the next start: the agent restarted, the VM is not here; the subscriber hears 4 > 10', async () => {
    const relay = await new Relay(b.origin, { holdAcceptMigration: true }).start();
    try {
      const path = await migrate('m2', relay.port);
      for (let i = 0; i < 300 && !relay.holding; i++) await new Promise((r) => setTimeout(r, 10));
      expect(relay.holding, 'AcceptMigration held').to.equal(true);
      const running = await conn.getInstance(path);
      expect(Number(running.get('JobState'))).to.equal(4);
      expect(Number(running.get('PercentComplete'))).to.equal(50);
      await a!.kill9();
      const since = got.length;
      await startA();

      const job = await conn.getInstance(path);
      expect(Number(job.get('JobState'))).to.equal(10);
      expect(Number(job.get('ErrorCode'))).to.equal(2);
      expect(job.get('OperationalStatus')).to.deep.equal([6, 17]);
      expect(Number(job.get('PercentComplete'))).to.equal(100);
      expect(String(job.get('StartTime'))).to.equal(String(running.get('StartTime')));
      expect(idOf(String(job.get('ErrorDescription'))), 'the migration is named by its id').to.match(/^[0-9a-f]{64}$/);
      expect(String(job.get('ErrorDescription'))).to.equal(
        `the host agent on 'a' restarted while the migration of VM 'm2' to http://127.0.0.1:${relay.port} ran; ` +
        `the VM is not on 'a': it had left for http://127.0.0.1:${relay.port}, and the migration is in doubt; its take-back copy is kept on 'a'. ` +
        `Ask http://127.0.0.1:${relay.port} whether it admitted migration ${idOf(String(job.get('ErrorDescription')))} of VM 'm2' (QueryMigration on TVDc_VirtualSystemMigrationService there), ` +
        'then call ResolveMigration on TVDc_VirtualSystemMigrationService: ' +
        `Arrived=true if it did (the copy is forgotten), Arrived=false if it did not (the VM is restored on 'a', stopped, from the copy, its vTPM included)`);
      expect(a!.stderr()).to.include(`${String(job.get('InstanceID'))}: the host agent on 'a' restarted`);
      const error = (await conn.invokeMethod(path, 'GetError')).outParams.get('Error')!.value as CimInstance;
      expect(error.get('Message')).to.equal(job.get('ErrorDescription'));

      const id = String(job.get('InstanceID'));
      const mine = () => got.slice(since).filter((g) => (g.get('SourceInstance') as CimInstance).get('InstanceID') === id);
      for (let i = 0; i < 500 && mine().length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(mine().map((g) => `${g.className}:${jobState(g, 'PreviousInstance')}>${jobState(g, 'SourceInstance')}`)).to.deep.equal(['CIM_InstModification:4>10']);
    } finally {
      relay.release();
      await relay.stop();
    }
  });

  it('at a start: a job recorded as starting whose VM is still here ended "did not complete"; a job past its retention is gone; a corrupted row is left out with a log line and the host starts', async () => {
    await a!.stop();
    const store = db();
    const template = store.prepare('SELECT * FROM wbem_job WHERE id = ?').get(`${completed.get('InstanceID')}`) as Record<string, unknown>;
    const insert = store.prepare(`INSERT INTO wbem_job (id, kind, detail, owner, state, percent_complete, status, submitted_at, started_at, finished_at, state_changed_at, failure_code, failure_description)
      VALUES (@id, @kind, @detail, @owner, @state, @percent_complete, @status, @submitted_at, @started_at, @finished_at, @state_changed_at, @failure_code, @failure_description)`);
    const now = Date.now();
    // As the agent leaves a job it dies with before the VM left: recorded, not yet begun.
    insert.run({ ...template, id: 'TVDc:MigrationJob:starting-m3', detail: JSON.stringify({ vm: 'm3', destination: 'http://127.0.0.1:9' }), state: 'starting', percent_complete: 0, status: 'checked', submitted_at: now, started_at: null, finished_at: null, state_changed_at: now });
    // Finished ten minutes ago: its five minutes ran out while no agent ran.
    insert.run({ ...template, id: 'TVDc:MigrationJob:old', submitted_at: now - 600_000, started_at: now - 600_000, finished_at: now - 600_000, state_changed_at: now - 600_000 });
    insert.run({ ...template, id: 'TVDc:MigrationJob:corrupt', detail: '{"vm": "m1", "destin' });
    store.close();

    await startA();
    const settled = await conn.getInstance(CimObjectPath.parse('TVDc_MigrationJob.InstanceID="TVDc:MigrationJob:starting-m3"'));
    expect(Number(settled.get('JobState'))).to.equal(10);
    expect(Number(settled.get('ErrorCode'))).to.equal(2);
    expect(String(settled.get('ErrorDescription'))).to.equal(
      "the host agent on 'a' restarted while the migration of VM 'm3' to http://127.0.0.1:9 ran; the VM is here, running on 'a': the migration did not complete");

    for (const gone of ['old', 'corrupt']) {
      const e = await conn.getInstance(CimObjectPath.parse(`TVDc_MigrationJob.InstanceID="TVDc:MigrationJob:${gone}"`)).then(() => null, (x: unknown) => x);
      expect(e, gone).to.be.instanceOf(CimError);
      expect((e as CimError).status, gone).to.equal(CimStatus.CIM_ERR_NOT_FOUND);
    }
    expect(a!.stderr()).to.include('job "TVDc:MigrationJob:corrupt" left out, its stored row is unreadable: detail is not JSON');
    expect(Number((await conn.getInstance(completed.path!)).get('JobState')), 'the completed job is still there').to.equal(7);

    const after = db();
    try {
      const ids = (after.prepare('SELECT id FROM wbem_job ORDER BY id').all() as { id: string }[]).map((r) => r.id);
      expect(ids, 'the expired row left the store; the corrupted one is kept for inspection').to.include('TVDc:MigrationJob:corrupt').and.not.include('TVDc:MigrationJob:old');
    } finally {
      after.close();
    }
  });
});
