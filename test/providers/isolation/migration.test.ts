// MigrateVirtualSystemToHost between two host agents: the source checks the request, answers 4096
// with a TVDc_MigrationJob, and in that job calls the destination's AcceptMigration over CIM-XML;
// the destination decides under its own policy. A VM whose type conflicts with one running at the
// destination is refused there and keeps running at the source; the job ends in Exception saying so.
import { expect } from 'chai';
import { startInProcessHost, type InProcessHost } from './support/InProcessHost.js';
import { HostPaths, setPaperPolicies, defineParam, wbemcli, wbemcliCall as cm } from './support/wbemcli.js';
import { jobOutcome } from './support/migrationJob.js';

describe('isolation providers: migration between two host agents', function () {
  this.timeout(60_000);
  let h1: InProcessHost;
  let h2: InProcessHost;
  let p1: HostPaths;
  let p2: HostPaths;

  const names = async (p: HostPaths): Promise<string[]> =>
    [...(await wbemcli(['ein', p.url('TVDc_ComputerSystem')])).stdout.matchAll(/(?<![A-Za-z])Name="([^"]+)"/g)].map((m) => m[1]!).sort();
  /** The method's answer, and for 4096 the job it started, waited for until it finished. */
  const migrate = async (vm: string, dest: string) => {
    const r = await cm(p1, p1.service('TVDc_VirtualSystemMigrationService'), `MigrateVirtualSystemToHost.DestinationHost="${dest}",ComputerSystem=${p1.vm(vm)}`);
    return { ...r, job: r.returnValue === 4096 ? await jobOutcome(h1.origin, r.out['Job']!) : null };
  };

  before(async () => {
    [h1, h2] = await Promise.all([startInProcessHost('h1'), startInProcessHost('h2')]);
    p1 = new HostPaths(h1.origin, 'h1');
    p2 = new HostPaths(h2.origin, 'h2');
    for (const p of [p1, p2]) await setPaperPolicies(p);
    // h2 runs Market Analysis; h1 runs Security Underwriting and has a stopped MA VM.
    expect((await cm(p2, p2.service('TVDc_VirtualSystemManagementService'), defineParam('ma2', 'MarketAnalysis'))).returnValue).to.equal(0);
    expect((await cm(p2, p2.vm('ma2'), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
    expect((await cm(p1, p1.service('TVDc_VirtualSystemManagementService'), defineParam('su1', 'SecurityUnderwriting'))).returnValue).to.equal(0);
    expect((await cm(p1, p1.service('TVDc_VirtualSystemManagementService'), defineParam('ma1', 'MarketAnalysis'))).returnValue).to.equal(0);
    expect((await cm(p1, p1.vm('su1'), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
  });
  after(async () => {
    await h1?.stop();
    await h2?.stop();
  });

  it('an SU VM is refused on migration into a host running MA: the job ends in Exception (ErrorCode 2) with the destination\'s reason, still running at the source', async () => {
    const before = h2.indications.length;
    const r = await migrate('su1', `127.0.0.1:${h2.port}`);
    expect(r.returnValue).to.equal(4096);
    expect(r.job!.state).to.equal(10);
    expect(r.job!.errorCode).to.equal(2);
    expect(r.job!.reason).to.include("migrate-in of 'su1' refused: collocation denied").and.include("conflict set 'MA-SU'").and.include("keeps running on 'h1'");
    expect(await names(p1)).to.deep.equal(['ma1', 'su1']);
    expect(await names(p2)).to.deep.equal(['ma2']);
    expect((await wbemcli(['gi', p1.url(p1.vm('su1')), 'EnabledState'])).stdout).to.include('EnabledState=2');
    // The destination raised the denial.
    const raised = h2.indications.slice(before);
    expect(raised.map((i) => i.get('Operation'))).to.deep.equal(['migrate-in']);
    expect(raised[0]!.get('AlertingManagedElement')).to.include('Name="su1"');
  });

  it('an MA VM migrates into the MA host: the job completes (7, ErrorCode 0), it runs at the destination and is gone from the source', async () => {
    expect((await cm(p1, p1.vm('su1'), 'RequestStateChange.RequestedState=3')).returnValue).to.equal(0);
    expect((await cm(p1, p1.vm('ma1'), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
    const r = await migrate('ma1', `http://127.0.0.1:${h2.port}`);
    expect(r.returnValue, JSON.stringify(r.out)).to.equal(4096);
    expect(r.job!.state, r.job!.reason).to.equal(7);
    expect(r.job!.errorCode).to.equal(0);
    expect(await names(p1)).to.deep.equal(['su1']);
    expect(await names(p2)).to.deep.equal(['ma1', 'ma2']);
    const vssd = await wbemcli(['gi', p2.url('TVDc_VirtualSystemSettingData.InstanceID="TVDc:ma1"')]);
    expect(vssd.stdout).to.include('SecurityLabel="ACM:tvdc-paper:MarketAnalysis"');
    expect((await wbemcli(['gi', p2.url(p2.vm('ma1')), 'EnabledState'])).stdout).to.include('EnabledState=2');
  });

  it('a stopped VM does not migrate: 5 Invalid State at once, no job', async () => {
    const r = await migrate('su1', `127.0.0.1:${h2.port}`);
    expect(r.returnValue).to.equal(5);
    expect(r.out['Reason']).to.include("'su1' is stopped");
    expect(r.out['Job']).to.equal(undefined);
  });

  it('an unreachable destination: 4 at once, the VM stays where it was', async () => {
    expect((await cm(p1, p1.vm('su1'), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
    const r = await migrate('su1', '127.0.0.1:1');
    expect(r.returnValue).to.equal(4);
    expect(r.out['Reason']).to.include('not reachable');
    expect(await names(p1)).to.deep.equal(['su1']);
  });

  it('a DestinationHost that is not host[:port] or a URL: 4', async () => {
    const r = await migrate('su1', 'http://127.0.0.1:5988/some/path');
    expect(r.returnValue).to.equal(4);
    expect(r.out['Reason']).to.include('has a path');
  });

  it('a refused and a completed migration leave nothing in doubt: the departure records went with them', async () => {
    for (const p of [p1, p2]) {
      const out = (await wbemcli(['ei', p.url('TVDc_VirtualSystemMigrationService'), 'InDoubtVirtualSystems'])).stdout;
      expect(out, p.host).to.match(/InDoubtVirtualSystems=\s*$/m);
    }
  });
});
