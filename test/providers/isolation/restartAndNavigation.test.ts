// A real tvdc-host process: the isolation state survives a restart with the same --state (policy,
// labels, VMs and their states, Chinese Wall counts), and DMTF-profile clients can navigate it
// with wbemcli: interop profile -> security service, host -> VMs, VM -> label, settings, services.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnTvdcHost, type TvdcHostProcess } from '../../support/TvdcHostProcess.js';
import { HostPaths, POLICY_1_0, POLICY_1_1, defineParam, methodOutput, policyParam, wbemcli } from './support/wbemcli.js';

describe('isolation providers: a real tvdc-host, restarted, navigated', function () {
  this.timeout(90_000);
  let state: string;
  let host: TvdcHostProcess | undefined;
  let p: HostPaths;

  const cm = async (target: string, call: string) => {
    const r = await wbemcli(['cm', p.url(target), call]);
    expect(r.stderr, r.stderr).to.equal('');
    return methodOutput(r.stdout);
  };
  const start = async () => {
    host = await spawnTvdcHost(['--name', 'h1', '--port', '0', '--state', state]);
    p = new HostPaths(host.origin, 'h1');
  };

  before(async () => {
    state = mkdtempSync(join(tmpdir(), 'tvdc-iso-restart-'));
    await start();
    for (const f of [POLICY_1_0, POLICY_1_1]) expect((await cm(p.service('TVDc_SecurityService'), policyParam(f))).returnValue).to.equal(0);
    for (const [vm, label] of [['ma', 'MarketAnalysis'], ['su', 'SecurityUnderwriting'], ['mgmt', 'SystemManagement']]) {
      expect((await cm(p.service('TVDc_VirtualSystemManagementService'), defineParam(vm!, label))).returnValue).to.equal(0);
    }
    expect((await cm(p.vm('ma'), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
    expect((await cm(p.vm('mgmt'), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
  });
  after(async () => {
    await host?.stop();
    rmSync(state, { recursive: true, force: true });
  });

  it('after a restart with the same --state: same policy, VMs, states and labels', async () => {
    const before = (await wbemcli(['ei', p.url('TVDc_ComputerSystem')])).stdout;
    await host!.stop();
    await start();
    const after = (await wbemcli(['ei', p.url('TVDc_ComputerSystem')])).stdout;
    expect(after.replace(/127\.0\.0\.1:\d+/g, '')).to.equal(before.replace(/127\.0\.0\.1:\d+/g, ''));
    expect(after).to.match(/Name="ma".*EnabledState=2/).and.match(/Name="su".*EnabledState=3/);
    expect((await wbemcli(['ei', p.url('TVDc_SecurityPolicy')])).stdout).to.include('PolicyVersion="1.1"');
    expect((await wbemcli(['gi', p.url('TVDc_VirtualSystemSettingData.InstanceID="TVDc:su"')])).stdout).to.include('SecurityLabel="ACM:tvdc-paper:SecurityUnderwriting"');
  });

  it('after the restart Chinese Wall still counts the running MA VM: the SU VM is refused', async () => {
    const r = await cm(p.vm('su'), 'RequestStateChange.RequestedState=2');
    expect(r.returnValue).to.equal(4);
    expect(r.out['Reason']).to.include("running VM 'ma'");
  });

  it('ai from the host over TVDc_HostedDependency: its VMs', async () => {
    const r = await wbemcli(['ain', '-ac', 'CIM_HostedDependency', '-arc', 'CIM_ComputerSystem', p.url(p.hostSystem())]);
    const names = [...r.stdout.matchAll(/,Name="([^"]+)"/g)].map((m) => m[1]).sort();
    expect(names).to.deep.equal(['ma', 'mgmt', 'su']);
  });

  it('ai from a VM to its security label (TVDc_ElementSecurityLabel), and back to everything with that label', async () => {
    const r = await wbemcli(['ai', '-ac', 'TVDc_ElementSecurityLabel', p.url(p.vm('su'))]);
    expect(r.stdout).to.include('TVDc_SecurityLabel.InstanceID="TVDc:tvdc-paper:vm:SecurityUnderwriting"').and.include('STETypes="SU"');
    const back = await wbemcli(['ain', '-ac', 'TVDc_ElementSecurityLabel', p.url('TVDc_SecurityLabel.InstanceID="TVDc:tvdc-paper:vm:SystemManagement"')]);
    expect(back.stdout).to.include('Name="mgmt"').and.include('TVDc_HostSystem');
  });

  it('ri from a VM: its host, settings, capabilities, services and label links', async () => {
    const r = await wbemcli(['rin', p.url(p.vm('ma'))]);
    for (const cls of ['TVDc_HostedDependency', 'TVDc_SettingsDefineState', 'TVDc_ElementSettingData', 'TVDc_ElementCapabilities', 'TVDc_ServiceAffectsElement', 'TVDc_ElementSecurityLabel'])
      expect(r.stdout, cls).to.include(`/root/tvdc:${cls}.`);
  });

  it('ai from the host over TVDc_HostedService: the security, management and migration services', async () => {
    const r = await wbemcli(['ain', '-ac', 'TVDc_HostedService', p.url(p.hostSystem())]);
    expect(r.stdout).to.include('TVDc_SecurityService').and.include('TVDc_VirtualSystemManagementService').and.include('TVDc_VirtualSystemMigrationService');
  });

  it('the policy links to its labels and its conflict set', async () => {
    const pol = 'TVDc_SecurityPolicy.SystemCreationClassName="TVDc_HostSystem",SystemName="h1",CreationClassName="TVDc_SecurityPolicy",PolicyGroupName="tvdc-paper"';
    const labels = await wbemcli(['ain', '-ac', 'TVDc_ConcreteDependency', p.url(pol)]);
    expect(labels.stdout.trim().split('\n')).to.have.length(7);
    const cs = await wbemcli(['ai', '-ac', 'TVDc_PolicySetComponent', p.url(pol)]);
    expect(cs.stdout).to.include('PolicyRuleName="MA-SU"').and.include('Types="MA","SU"');
  });

  it('the TVDc Isolation profile is registered in root/interop and conforms through the security service', async () => {
    const profiles = await wbemcli(['ei', p.url('CIM_RegisteredProfile', 'root/interop')]);
    expect(profiles.stdout).to.match(/RegisteredOrganization=1,OtherRegisteredOrganization="TVDc",RegisteredName="TVDc Isolation",RegisteredVersion="1.0.0"/);
    const central = await wbemcli(['ain', '-ac', 'CIM_ElementConformsToProfile', p.url('TVDc_RegisteredProfile.InstanceID="TVDc:TVDc Isolation:1.0.0"', 'root/interop')]);
    expect(central.stdout.trim()).to.match(/\/root\/tvdc:TVDc_SecurityService\.(?=.*Name="SecurityService")(?=.*SystemName="h1")/);
    // ...and back, from the service in root/tvdc to its profile in root/interop.
    const back = await wbemcli(['ain', '-ac', 'CIM_ElementConformsToProfile', p.url(p.service('TVDc_SecurityService'))]);
    expect(back.stdout.trim()).to.equal('h1/root/interop:TVDc_RegisteredProfile.InstanceID="TVDc:TVDc Isolation:1.0.0"');
  });

  it('ei of every isolation class answers (and of the capabilities a DSP1042 client reads first)', async () => {
    for (const cls of ['TVDc_HostSystem', 'TVDc_ComputerSystem', 'TVDc_VirtualSystemSettingData', 'TVDc_SecurityPolicy', 'TVDc_SecurityLabel', 'TVDc_ConflictSet',
      'TVDc_SecurityService', 'TVDc_VirtualSystemManagementService', 'TVDc_VirtualSystemMigrationService', 'TVDc_ElementSecurityLabel', 'TVDc_VirtualSystemManagementCapabilities']) {
      const r = await wbemcli(['ei', p.url(cls)]);
      expect(r.code, `${cls}: ${r.stderr}`).to.equal(0);
      expect(r.stdout, cls).to.include(`/root/tvdc:${cls}.`);
    }
    const caps = await wbemcli(['ei', p.url('TVDc_VirtualSystemManagementCapabilities')]);
    expect(caps.stdout).to.include('SynchronousMethodsSupported=2,3,6,7,10,').and.include('IndicationsSupported=2,3,4');
  });
});
