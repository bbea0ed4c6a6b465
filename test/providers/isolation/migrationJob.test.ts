// MigrateVirtualSystemToHost as a DSP1081 job, seen the way clients see it: Debian's wbemcli gets
// 4096 and the Job reference, and GetInstance on that TVDc_MigrationJob shows it Completed; the
// job's life is announced as CIM_InstCreation / CIM_InstModification; a refused move ends in
// Exception with the reason (also as a CIM_Error from GetError). A relay in front of the
// destination that holds back AcceptMigration keeps a job in flight, so what a running job
// answers can be seen: Running at 50 %, no stop, no delete, no second migration of its VM.
import { expect } from 'chai';
import type { CimInstance } from '../../../src/cim/CimInstance.js';
import { CimObjectPath } from '../../../src/cim/CimObjectPath.js';
import { CimError, CimStatus, JobWaitTimeoutError, WbemConnection, waitForJob } from '../../../client/cim/index.js';
import { IndicationListener, subscribe } from '../../../client/listener/index.js';
import { removeState, startInProcessHost as startIntegrityHost, type IntegrityHost } from '../integrity/support/IntegrityHost.js';
import { startInProcessHost, type InProcessHost } from './support/InProcessHost.js';
import { HostPaths, POLICY_1_0, runVm, setPaperPolicies, defineParam, methodOutput, policyParam, wbemcli, wbemcliCall as cm } from './support/wbemcli.js';
import { Relay } from '../../support/Relay.js';

describe('isolation providers: a migration runs as a TVDc_MigrationJob (DSP1081)', function () {
  this.timeout(60_000);
  let h1: InProcessHost;
  let h2: InProcessHost;
  let p1: HostPaths;
  let p2: HostPaths;
  let conn: WbemConnection;

  const migrateCall = (vm: string, port: number) => `MigrateVirtualSystemToHost.DestinationHost="127.0.0.1:${port}",ComputerSystem=${p1.vm(vm)}`;
  const migrationService = () => p1.service('TVDc_VirtualSystemMigrationService');
  const jobEvents = (since: number): CimInstance[] =>
    h1.indications.slice(since).filter((i) => (i.get('SourceInstance') as CimInstance | undefined)?.className === 'TVDc_MigrationJob');
  const state = (i: CimInstance, prop = 'SourceInstance') => Number((i.get(prop) as CimInstance).get('JobState'));

  before(async () => {
    [h1, h2] = await Promise.all([startInProcessHost('h1'), startInProcessHost('h2')]);
    p1 = new HostPaths(h1.origin, 'h1');
    p2 = new HostPaths(h2.origin, 'h2');
    conn = new WbemConnection(h1.origin, { namespace: 'root/tvdc' });
    // Version 1.1 of the paper's policy adds the MA-SU conflict set.
    for (const p of [p1, p2]) await setPaperPolicies(p);
    await runVm(p1, 'ma1', 'MarketAnalysis');
  });
  after(async () => {
    await conn?.close();
    await h1?.stop();
    await h2?.stop();
  });

  it('the migration capabilities list MigrateVirtualSystemToHost (2) as asynchronous only', async () => {
    const caps = await wbemcli(['ei', p1.url('TVDc_VirtualSystemMigrationCapabilities')]);
    expect(caps.stdout).to.include('AsynchronousMethodsSupported=2,').and.not.match(/(?<!A)SynchronousMethodsSupported=2/);
  });

  it('wbemcli cm gets 4096 and the Job reference; gi on the job shows JobState 7; the job was announced at each state', async () => {
    const since = h1.indications.length;
    const r = await wbemcli(['cm', p1.url(migrationService()), migrateCall('ma1', h2.port)]);
    expect(r.stderr).to.equal('');
    expect(r.stdout).to.match(/MigrateVirtualSystemToHost: 4096, Job \(reference\): root\/tvdc:TVDc_MigrationJob\.InstanceID="TVDc:MigrationJob:[0-9a-f-]{36}"/);
    const ref = /Job \(reference\): (\S+)/.exec(r.stdout)![1]!;
    const url = `${h1.origin}/${ref}`;
    let job = '';
    for (let i = 0; i < 100 && !/JobState=(7|10)\b/.test(job); i++) {
      if (i) await new Promise((res) => setTimeout(res, 20));
      job = (await wbemcli(['gi', url])).stdout;
    }
    expect(job).to.include('JobState=7,');
    expect(job).to.include('ErrorCode=0,').and.include('PercentComplete=100,').and.include('OperationalStatus=2,17,')
      .and.include('DeleteOnCompletion=TRUE').and.include('TimeBeforeRemoval=00000000000500.000000:000')
      .and.include(`DestinationHost="http://127.0.0.1:${h2.port}"`).and.include('VirtualSystem="root/tvdc:TVDc_ComputerSystem.CreationClassName="TVDc_ComputerSystem",Name="ma1""')
      .and.include(`JobStatus="VM 'ma1' runs on the host at http://127.0.0.1:${h2.port}"`);
    expect(job).to.not.include('ErrorDescription');
    // The VM moved.
    expect((await wbemcli(['gi', p2.url(p2.vm('ma1')), 'EnabledState'])).stdout).to.include('EnabledState=2');
    expect((await wbemcli(['ein', p1.url('TVDc_ComputerSystem')])).stdout).to.not.include('ma1');
    // Enumerable too.
    expect((await wbemcli(['ein', p1.url('TVDc_MigrationJob')])).stdout).to.include(ref.split(':TVDc_MigrationJob')[1]!);

    // Created Starting (3), then Running (4), then Completed (7), each change with the state before.
    const events = jobEvents(since);
    expect(events.map((e) => `${e.className}:${state(e)}`)).to.deep.equal(['CIM_InstCreation:3', 'CIM_InstModification:4', 'CIM_InstModification:7']);
    expect(events.slice(1).map((e) => state(e, 'PreviousInstance'))).to.deep.equal([3, 4]);
    expect(events.every((e) => String(e.get('SourceInstanceModelPath')).endsWith(ref.split(':TVDc_MigrationJob')[1]!))).to.equal(true);
  });

  it('a move the destination refuses: 4096, then Exception (10) with ErrorCode 2, the reason in ErrorDescription and as GetError\'s CIM_Error', async () => {
    // h2 runs Security Underwriting now (ma1, which moved there, stopped), so Chinese Wall refuses MA.
    expect((await cm(p2, p2.vm('ma1'), 'RequestStateChange.RequestedState=3')).returnValue).to.equal(0);
    await runVm(p2, 'su2', 'SecurityUnderwriting');
    await runVm(p1, 'ma3', 'MarketAnalysis');
    const r = await conn.invokeMethod(CimObjectPath.parse(migrationService()), 'MigrateVirtualSystemToHost', { ComputerSystem: CimObjectPath.parse(p1.vm('ma3')), DestinationHost: `127.0.0.1:${h2.port}` });
    expect(Number(r.returnValue)).to.equal(4096);
    const path = r.outParams.get('Job')!.value as CimObjectPath;
    const job = await waitForJob(conn, path, { timeoutMs: 20_000 });
    expect(Number(job.get('JobState'))).to.equal(10);
    expect(Number(job.get('ErrorCode'))).to.equal(2);
    expect(job.get('OperationalStatus')).to.deep.equal([6, 17]);
    const reason = String(job.get('ErrorDescription'));
    expect(reason).to.include("migrate-in of 'ma3' refused").and.include("conflict set 'MA-SU'").and.include("keeps running on 'h1'");
    expect((await wbemcli(['gi', p1.url(p1.vm('ma3')), 'EnabledState'])).stdout).to.include('EnabledState=2');

    const e = await conn.invokeMethod(path, 'GetError');
    expect(Number(e.returnValue)).to.equal(0);
    const error = e.outParams.get('Error')!.value as CimInstance;
    expect(error.className).to.equal('CIM_Error');
    expect(error.get('Message')).to.equal(reason);
    expect(Number(error.get('CIMStatusCode'))).to.equal(CimStatus.CIM_ERR_FAILED);
    expect(error.get('ErrorSource')).to.include('TVDc_MigrationJob');
    const es = await conn.invokeMethod(path, 'GetErrors');
    expect((es.outParams.get('Errors')!.value as CimInstance[]).map((x) => x.get('Message'))).to.deep.equal([reason]);
    expect((await cm(p2, p2.vm('su2'), 'RequestStateChange.RequestedState=3')).returnValue).to.equal(0);
  });

  it('a job in flight: Running at 50 %; it cannot be stopped (1), deleted, or joined by a second migration of its VM (5); waitForJob times out with a clear error; then it completes and can be deleted', async () => {
    const relay = await new Relay(h2.origin, { holdAcceptMigration: true }).start();
    try {
      const r = await cm(p1, migrationService(), migrateCall('ma3', relay.port));
      expect(r.returnValue).to.equal(4096);
      const ref = r.out['Job']!;
      const path = CimObjectPath.parse(ref);
      const jobPath = ref.replace(/^root\/tvdc:/, '');
      for (let i = 0; i < 200 && !relay.holding; i++) await new Promise((res) => setTimeout(res, 10));
      expect(relay.holding, 'AcceptMigration reached the relay').to.equal(true);

      const running = await conn.getInstance(path);
      expect(Number(running.get('JobState'))).to.equal(4);
      expect(Number(running.get('PercentComplete'))).to.equal(50);
      expect(running.get('JobStatus')).to.include('waiting for').and.include(`127.0.0.1:${relay.port}`);
      expect(running.get('OperationalStatus')).to.deep.equal([2]);
      expect(running.get('ErrorCode') ?? null, 'no ErrorCode before the job ends').to.equal(null);

      const stop = await cm(p1, jobPath, 'RequestStateChange.RequestedState=4');
      expect(stop.returnValue).to.equal(1);
      expect(stop.out['Reason']).to.include('cannot be stopped safely').and.include("VM 'ma3'");
      const bad = await cm(p1, jobPath, 'RequestStateChange.RequestedState=42');
      expect(bad.returnValue).to.equal(5);
      const del = await wbemcli(['di', `${h1.origin}/${ref}`]);
      expect(del.stderr).to.include('CIM_ERR_FAILED').and.include('still running');
      const again = await cm(p1, migrationService(), migrateCall('ma3', h2.port));
      expect(again.returnValue).to.equal(5);
      expect(again.out['Reason']).to.include("'ma3' is already migrating").and.include('TVDc:MigrationJob:');
      expect(again.out['Job']).to.equal(undefined);

      const err = await waitForJob(conn, path, { timeoutMs: 100 }).then(() => null, (e: unknown) => e);
      expect(err).to.be.instanceOf(JobWaitTimeoutError);
      expect((err as JobWaitTimeoutError).code).to.equal('TIMEOUT');
      expect((err as JobWaitTimeoutError).lastJobState).to.equal(4);
      expect((err as Error).message).to.include('did not finish within 100 ms').and.include('JobState 4');

      relay.release();
      const done = await waitForJob(conn, path, { timeoutMs: 20_000 });
      expect(Number(done.get('JobState')), String(done.get('ErrorDescription'))).to.equal(7);
      expect((await wbemcli(['ein', p2.url('TVDc_ComputerSystem')])).stdout).to.include('Name="ma3"');
      // Timing is truthful: submitted <= started <= last change, and the elapsed time covers the hold.
      const submitted = String(done.get('TimeSubmitted'));
      expect(String(done.get('StartTime')) >= submitted).to.equal(true);
      expect(String(done.get('TimeOfLastStateChange')) >= String(done.get('StartTime'))).to.equal(true);
      expect(String(done.get('ElapsedTime'))).to.match(/^\d{14}\.\d{6}:000$/).and.not.equal('00000000000000.000000:000');

      const finished = await cm(p1, jobPath, 'RequestStateChange.RequestedState=4');
      expect(finished.returnValue).to.equal(4097);
      expect(finished.out['Reason']).to.include('has finished');
      expect((await conn.invokeMethod(path, 'GetErrors')).outParams.get('Errors')?.value ?? null).to.equal(null);
      await conn.deleteInstance(path);
      const gone = await conn.getInstance(path).then(() => null, (e: unknown) => e);
      expect(gone).to.be.instanceOf(CimError);
      expect((gone as CimError).status).to.equal(CimStatus.CIM_ERR_NOT_FOUND);
    } finally {
      relay.release();
      await relay.stop();
    }
  });
});

describe('isolation providers: a subscriber learns that a migration job finished, without polling', function () {
  this.timeout(60_000);
  let a: IntegrityHost;
  let b: IntegrityHost;
  let listener: IndicationListener;

  before(async () => {
    // Host agents with the real indication pipeline (subscriptions, WQL filters, CIM-XML export).
    [a, b] = await Promise.all([startIntegrityHost('ja', undefined, 'off'), startIntegrityHost('jb', undefined, 'off')]);
    listener = new IndicationListener({ host: '127.0.0.1' });
    await listener.start();
  });
  after(async () => {
    await listener?.close();
    for (const h of [a, b]) {
      if (!h) continue;
      await h.stop();
      await removeState(h.state);
    }
  });

  it('CIM_InstModification WHERE SourceInstance ISA TVDc_MigrationJob arrives for Running and for Completed, each with the state before', async () => {
    const pa = new HostPaths(a.origin, 'ja');
    const pb = new HostPaths(b.origin, 'jb');
    const cm = async (p: HostPaths, target: string, call: string) => methodOutput((await wbemcli(['cm', p.url(target), call])).stdout);
    for (const p of [pa, pb]) expect((await cm(p, p.service('TVDc_SecurityService'), policyParam(POLICY_1_0))).returnValue).to.equal(0);
    expect((await cm(pa, pa.service('TVDc_VirtualSystemManagementService'), defineParam('mv', 'MarketAnalysis'))).returnValue).to.equal(0);
    expect((await cm(pa, pa.vm('mv'), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);

    const got: CimInstance[] = [];
    listener.onIndication((i) => void got.push(i));
    const interop = new WbemConnection(a.origin, { namespace: 'root/interop' });
    try {
      await subscribe(interop, { name: 'migration-jobs', destination: listener.url, query: 'SELECT * FROM CIM_InstModification WHERE SourceInstance ISA TVDc_MigrationJob' });
    } finally {
      await interop.close();
    }
    const r = await cm(pa, pa.service('TVDc_VirtualSystemMigrationService'), `MigrateVirtualSystemToHost.DestinationHost="127.0.0.1:${b.port}",ComputerSystem=${pa.vm('mv')}`);
    expect(r.returnValue).to.equal(4096);
    const jobId = /InstanceID="([^"]+)"/.exec(r.out['Job']!)![1];
    for (let i = 0; i < 500 && !got.some((g) => state(g) === 7); i++) await new Promise((res) => setTimeout(res, 10));
    // Only modifications of this job's state: no creation, no VM indications.
    expect(got.map((g) => g.className)).to.deep.equal(['CIM_InstModification', 'CIM_InstModification']);
    expect(got.map((g) => (g.get('SourceInstance') as CimInstance).get('InstanceID'))).to.deep.equal([jobId, jobId]);
    expect(got.map((g) => `${state(g, 'PreviousInstance')}>${state(g)}`)).to.deep.equal(['3>4', '4>7']);
    expect((got[1]!.get('SourceInstance') as CimInstance).get('JobStatus')).to.include("VM 'mv' runs on the host at");
  });

  const state = (i: CimInstance, prop = 'SourceInstance') => Number((i.get(prop) as CimInstance).get('JobState'));
});
