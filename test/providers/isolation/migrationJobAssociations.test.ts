// A migration job is reachable the way job-control clients look for it (DSP1081 with CIM_ConcreteJob):
// TVDc_OwningJobElement from the migration service to each job it started, and
// TVDc_AffectedJobElement from the job to the VM it moves while that VM is on the host. Walked
// with Debian's real wbemcli (ain/rin and their filters) and the pull forms of the project's client.
import { expect } from 'chai';
import { CimObjectPath } from '../../../src/cim/CimObjectPath.js';
import { WbemConnection, waitForJob } from '../../../client/cim/index.js';
import { startInProcessHost, type InProcessHost } from './support/InProcessHost.js';
import { HostPaths, runVm, setPaperPolicies, defineParam, wbemcli, wbemcliCall as cm } from './support/wbemcli.js';
import { Relay } from '../../support/Relay.js';

describe('isolation providers: a migration job\'s associations (TVDc_OwningJobElement, TVDc_AffectedJobElement)', function () {
  this.timeout(60_000);
  let h1: InProcessHost;
  let h2: InProcessHost;
  let p1: HostPaths;
  let p2: HostPaths;
  let conn: WbemConnection;
  let relay: Relay | undefined;
  /** The jobs as wbemcli prints them (root/tvdc:TVDc_MigrationJob.InstanceID="..."): one held in flight by the relay, then completed; one the destination refused. */
  let flight: string;
  let refused: string;

  const migrate = async (vm: string, port: number): Promise<string> => {
    const r = await cm(p1, p1.service('TVDc_VirtualSystemMigrationService'), `MigrateVirtualSystemToHost.DestinationHost="127.0.0.1:${port}",ComputerSystem=${p1.vm(vm)}`);
    expect(r.returnValue).to.equal(4096);
    return r.out['Job']!;
  };
  const jobUrl = (ref: string): string => `${h1.origin}/${ref}`;
  /** An object path with its keys in name order: wbemcli prints them in the server's order. */
  const norm = (path: string): string => {
    const dot = path.indexOf('.');
    return dot < 0 ? path : `${path.slice(0, dot)}.${path.slice(dot + 1).split(/,(?=\w+=)/).sort().join(',')}`;
  };
  /** wbemcli's output lines (object paths), without the host prefix, keys in name order. */
  const lines = (stdout: string): string[] => stdout.split('\n').filter((l) => l.trim() !== '').map((l) => norm(l.replace(/^[^/]*\//, '')));
  const ain = async (url: string, ...filters: string[]): Promise<string[]> => {
    const r = await wbemcli(['ain', ...filters, url]);
    expect(r.stderr, r.stderr).to.equal('');
    return lines(r.stdout);
  };
  const rin = async (url: string, ...filters: string[]): Promise<string[]> => {
    const r = await wbemcli(['rin', ...filters, url]);
    expect(r.stderr, r.stderr).to.equal('');
    return lines(r.stdout);
  };
  const instanceId = (ref: string): string => /InstanceID="([^"]+)"/.exec(ref)![1]!;
  const serviceRef = (): string => norm(`root/tvdc:${p1.service('TVDc_VirtualSystemMigrationService')}`);
  const vmRef = (vm: string): string => norm(`root/tvdc:${p1.vm(vm)}`);
  const serviceUrl = (): string => p1.url(p1.service('TVDc_VirtualSystemMigrationService'));

  before(async () => {
    [h1, h2] = await Promise.all([startInProcessHost('h1'), startInProcessHost('h2')]);
    p1 = new HostPaths(h1.origin, 'h1');
    p2 = new HostPaths(h2.origin, 'h2');
    conn = new WbemConnection(h1.origin, { namespace: 'root/tvdc' });
    // Version 1.1 of the paper's policy adds the MA-SU conflict set.
    for (const p of [p1, p2]) await setPaperPolicies(p);
    await runVm(p1, 'ma1', 'MarketAnalysis');
    await runVm(p1, 'ma2', 'MarketAnalysis');
  });
  after(async () => {
    relay?.release();
    await relay?.stop();
    await conn?.close();
    await h1?.stop();
    await h2?.stop();
  });

  it('a job in flight: the migration service owns it (ain/rin both ways); the VM has left the host, so no TVDc_AffectedJobElement yet', async () => {
    // A destination that holds back AcceptMigration keeps the job Running while the test looks at it.
    relay = await new Relay(h2.origin, { holdAcceptMigration: true }).start();
    flight = await migrate('ma1', relay.port);
    for (let i = 0; i < 200 && !relay.holding; i++) await new Promise((res) => setTimeout(res, 10));
    expect(relay.holding, 'AcceptMigration reached the relay').to.equal(true);
    expect(Number((await conn.getInstance(CimObjectPath.parse(flight))).get('JobState'))).to.equal(4);

    expect(await ain(jobUrl(flight))).to.deep.equal([serviceRef()]);
    expect(await ain(jobUrl(flight), '-ac', 'CIM_OwningJobElement', '-ar', 'OwnedElement', '-arr', 'OwningElement')).to.deep.equal([serviceRef()]);
    expect(await ain(jobUrl(flight), '-ar', 'OwningElement')).to.deep.equal([]);
    expect(await ain(serviceUrl(), '-ac', 'TVDc_OwningJobElement')).to.deep.equal([norm(flight)]);
    const refs = await rin(serviceUrl(), '-arc', 'CIM_OwningJobElement', '-ar', 'OwningElement');
    expect(refs).to.have.length(1);
    expect(refs[0]).to.match(/^root\/tvdc:TVDc_OwningJobElement\./).and.include(instanceId(flight));
    expect(await rin(serviceUrl(), '-arc', 'CIM_OwningJobElement', '-ar', 'OwnedElement')).to.deep.equal([]);
    // The other services own no jobs.
    expect(await ain(p1.url(p1.service('TVDc_VirtualSystemManagementService')), '-ac', 'CIM_OwningJobElement')).to.deep.equal([]);
    expect(await rin(jobUrl(flight), '-arc', 'CIM_AffectedJobElement')).to.deep.equal([]);
    expect((await wbemcli(['ein', p1.url('TVDc_ComputerSystem')])).stdout).to.not.include('Name="ma1"');
  });

  it('once that job completed, the VM runs at the destination: the job keeps its owner and links to no VM, not even a new VM of the same name', async () => {
    relay!.release();
    const done = await waitForJob(conn, CimObjectPath.parse(flight), { timeoutMs: 20_000 });
    expect(Number(done.get('JobState')), String(done.get('ErrorDescription'))).to.equal(7);
    expect((await wbemcli(['ein', p2.url('TVDc_ComputerSystem')])).stdout).to.include('Name="ma1"');
    expect(await ain(jobUrl(flight))).to.deep.equal([serviceRef()]);
    expect(await rin(jobUrl(flight))).to.have.length(1);
    // A VM defined here later under the moved VM's name is another VM: the job does not claim it.
    expect((await cm(p1, p1.service('TVDc_VirtualSystemManagementService'), defineParam('ma1', 'MarketAnalysis'))).returnValue).to.equal(0);
    expect(await ain(jobUrl(flight))).to.deep.equal([serviceRef()]);
    expect(await ain(p1.url(p1.vm('ma1')), '-ac', 'CIM_AffectedJobElement')).to.deep.equal([]);
  });

  it('a refused migration leaves the VM here: ain from the job reaches the service and the VM; -ac, -arc and roles pick one', async () => {
    // h2 runs Security Underwriting now (ma1 stopped there), so its Chinese Wall refuses Market Analysis.
    expect((await cm(p2, p2.vm('ma1'), 'RequestStateChange.RequestedState=3')).returnValue).to.equal(0);
    await runVm(p2, 'su2', 'SecurityUnderwriting');
    refused = await migrate('ma2', h2.port);
    const job = await waitForJob(conn, CimObjectPath.parse(refused), { timeoutMs: 20_000 });
    expect(Number(job.get('JobState'))).to.equal(10);

    expect(await ain(jobUrl(refused))).to.have.members([serviceRef(), vmRef('ma2')]);
    expect(await ain(jobUrl(refused), '-ac', 'TVDc_AffectedJobElement')).to.deep.equal([vmRef('ma2')]);
    expect(await ain(jobUrl(refused), '-ac', 'CIM_OwningJobElement')).to.deep.equal([serviceRef()]);
    expect(await ain(jobUrl(refused), '-arc', 'CIM_ComputerSystem')).to.deep.equal([vmRef('ma2')]);
    expect(await ain(jobUrl(refused), '-ar', 'AffectingElement', '-arr', 'AffectedElement')).to.deep.equal([vmRef('ma2')]);
    expect(await ain(jobUrl(refused), '-ar', 'AffectedElement')).to.deep.equal([]);
  });

  it('rin and ri from that job: one TVDc_OwningJobElement and one TVDc_AffectedJobElement with ElementEffects 2 (Exclusive Use)', async () => {
    const names = await rin(jobUrl(refused));
    expect(names.map((n) => /root\/tvdc:(\w+)\./.exec(n)![1]).sort()).to.deep.equal(['TVDc_AffectedJobElement', 'TVDc_OwningJobElement']);
    const affected = await wbemcli(['ri', '-arc', 'CIM_AffectedJobElement', jobUrl(refused)]);
    expect(affected.stderr).to.equal('');
    expect(lines(affected.stdout)).to.have.length(1);
    expect(affected.stdout).to.include('ElementEffects=2').and.include('ma2').and.include(instanceId(refused));
  });

  it('from the VM: ain over CIM_AffectedJobElement is its job (ai gives it with JobState 10); a VM no job moves has none', async () => {
    expect(await ain(p1.url(p1.vm('ma2')), '-ac', 'CIM_AffectedJobElement')).to.deep.equal([norm(refused)]);
    const job = await wbemcli(['ai', '-ac', 'CIM_AffectedJobElement', '-arc', 'CIM_ConcreteJob', p1.url(p1.vm('ma2'))]);
    expect(job.stdout).to.include('JobState=10,').and.include(instanceId(refused));
    expect((await rin(p1.url(p1.vm('ma2')))).some((r) => r.startsWith('root/tvdc:TVDc_AffectedJobElement.'))).to.equal(true);
    await runVm(p1, 'ma3', 'MarketAnalysis');
    expect(await rin(p1.url(p1.vm('ma3')), '-arc', 'CIM_AffectedJobElement')).to.deep.equal([]);
    // The service owns both jobs.
    expect(await ain(serviceUrl(), '-ac', 'TVDc_OwningJobElement')).to.have.members([norm(flight), norm(refused)]);
  });

  it('the pull forms give the same: OpenAssociatorInstancePaths / OpenAssociatorInstances / OpenReferenceInstances with filters', async () => {
    const job = CimObjectPath.parse(refused);
    const service = CimObjectPath.parse(p1.service('TVDc_VirtualSystemMigrationService'));
    const vms = await conn.pullAssociatorInstancePaths(job, { assocClass: 'CIM_AffectedJobElement', resultRole: 'AffectedElement', maxObjectCount: 1 }).toArray();
    expect(vms.map((v) => `${v.className}:${String(v.key('Name'))}`)).to.deep.equal(['TVDc_ComputerSystem:ma2']);
    const owned = await conn.pullReferenceInstances(service, { resultClass: 'TVDc_OwningJobElement', role: 'OwningElement', maxObjectCount: 1 }).toArray();
    expect(owned.map((o) => String((o.get('OwnedElement') as CimObjectPath).key('InstanceID'))).sort()).to.deep.equal([instanceId(flight), instanceId(refused)].sort());
    const fromJob = await conn.pullAssociatorInstances(job, { assocClass: 'CIM_OwningJobElement' }).toArray();
    expect(fromJob.map((i) => i.className)).to.deep.equal(['TVDc_VirtualSystemMigrationService']);
  });

  it('deleting a finished job removes both its links', async () => {
    expect((await wbemcli(['di', jobUrl(refused)])).stderr).to.equal('');
    expect(await ain(p1.url(p1.vm('ma2')), '-ac', 'TVDc_AffectedJobElement')).to.deep.equal([]);
    expect(await ain(serviceUrl(), '-ac', 'TVDc_OwningJobElement')).to.deep.equal([norm(flight)]);
  });
});
