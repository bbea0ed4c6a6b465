// The Done-means through Debian's wbemcli against a real host agent: load the paper's
// Market Analysis / Security Underwriting policy with SetPolicy, define and start the VMs of
// Figure 3, see cases 1-5 decided as the paper says, a policy update that would strand a running
// VM refused with every conflict listed, and a start whose type conflicts with a running VM refused.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { CimInstance } from '../../../src/cim/CimInstance.js';
import { CimProperty } from '../../../src/cim/CimProperty.js';
import { CimObjectPath } from '../../../src/cim/CimObjectPath.js';
import { WbemConnection } from '../../../client/cim/index.js';
import { startInProcessHost, type InProcessHost } from './support/InProcessHost.js';
import { vmDisks } from './support/vmDisks.js';
import { HostPaths, POLICY_1_0, POLICY_1_1, defineParam, methodOutput, policyParam, wbemcli } from './support/wbemcli.js';

describe('isolation providers: the paper\'s Figure 3 through wbemcli', function () {
  this.timeout(60_000);
  let host: InProcessHost;
  let p: HostPaths;

  before(async () => {
    host = await startInProcessHost('h1');
    p = new HostPaths(host.origin, 'h1');
  });
  after(() => host?.stop());

  const cm = async (target: string, call: string) => {
    const r = await wbemcli(['cm', p.url(target), call]);
    expect(r.stderr, r.stderr).to.equal('');
    return methodOutput(r.stdout);
  };
  const check = (subject: string, object: string) => cm(p.service('TVDc_SecurityService'), `CheckAccess.Subject=${subject},Object=${object}`);
  const state = async (vm: string): Promise<number> => {
    const r = await wbemcli(['gi', p.url(p.vm(vm)), 'EnabledState']);
    return Number(/EnabledState=(\d+)/.exec(r.stdout)?.[1]);
  };

  it('SetPolicy loads the paper policy: returns 0 and the policy and its labels show up', async () => {
    const r = await cm(p.service('TVDc_SecurityService'), policyParam(POLICY_1_0));
    expect(r.returnValue).to.equal(0);
    const pol = await wbemcli(['ei', p.url('TVDc_SecurityPolicy')]);
    expect(pol.stdout).to.match(/PolicyGroupName="tvdc-paper"/).and.match(/PolicyVersion="1.0"/).and.match(/Enabled=1/);
    const labels = await wbemcli(['ei', p.url('TVDc_SecurityLabel')]);
    expect(labels.stdout).to.match(/Name="MarketAnalysis",STETypes="MA",ChineseWallTypes="MA"/);
    expect(labels.stdout).to.match(/Name="SystemManagement",STETypes="SystemManagement","MA","SU",ChineseWallTypes="SystemManagement",LabelType=2/);
  });

  it('DefineSystem creates the management VM and the MA and SU workload VMs (bare and ACM: labels)', async () => {
    for (const [name, label] of [['mgmt', 'ACM:tvdc-paper:SystemManagement'], ['ma', 'MarketAnalysis'], ['su', 'SecurityUnderwriting']] as const) {
      const r = await cm(p.service('TVDc_VirtualSystemManagementService'), defineParam(name, label));
      expect(r.returnValue).to.equal(0);
      expect(r.out['ResultingSystem']).to.include(`TVDc_ComputerSystem.CreationClassName="TVDc_ComputerSystem",Name="${name}"`);
      expect(await state(name)).to.equal(3);
    }
    const vssd = await wbemcli(['gi', p.url('TVDc_VirtualSystemSettingData.InstanceID="TVDc:ma"')]);
    expect(vssd.stdout).to.include('SecurityLabel="ACM:tvdc-paper:MarketAnalysis"');
  });

  it('a disk is created with ci and labeled SecurityUnderwriting with AssignLabel', async () => {
    const ci = await wbemcli(['ci', p.url(p.disk('sudisk')), `SystemCreationClassName="TVDc_HostSystem",SystemName="h1",CreationClassName="TVDc_LogicalDisk",DeviceID="sudisk"`]);
    expect(ci.code, ci.stderr).to.equal(0);
    const r = await cm(p.service('TVDc_SecurityService'), `AssignLabel.Label="SecurityUnderwriting",Element=${p.disk('sudisk')}`);
    expect(r.returnValue).to.equal(0);
    const ai = await wbemcli(['ai', '-ac', 'TVDc_ElementSecurityLabel', p.url(p.disk('sudisk'))]);
    expect(ai.stdout).to.include('SecurityLevel="ACM:tvdc-paper:SecurityUnderwriting"').and.include('LabelType=3');
  });

  it('RequestStateChange(2) starts all three VMs (no conflict set in policy 1.0)', async () => {
    for (const vm of ['mgmt', 'ma', 'su']) {
      expect((await cm(p.vm(vm), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
      expect(await state(vm)).to.equal(2);
    }
  });

  it('every VM life-cycle step was announced: CIM_InstCreation per DefineSystem, CIM_InstModification with PreviousInstance per start', () => {
    const ofVm = (cls: string) => host.indications.filter((i) => i.className === cls && String(i.get('SourceInstanceModelPath')).includes('TVDc_ComputerSystem'));
    expect(ofVm('CIM_InstCreation').map((i) => (i.get('SourceInstance') as CimInstance).get('Name'))).to.deep.equal(['mgmt', 'ma', 'su']);
    const starts = ofVm('CIM_InstModification');
    expect(starts).to.have.length(3);
    expect((starts[1]!.get('SourceInstance') as CimInstance).get('EnabledState')).to.equal(2);
    expect((starts[1]!.get('PreviousInstance') as CimInstance).get('EnabledState')).to.equal(3);
    expect(starts[1]!.get('SourceInstanceHost')).to.equal('h1');
  });

  it('case 1: management VM {SystemManagement, MA, SU} and the MA VM share MA: permitted', async () => {
    const r = await check(p.vm('mgmt'), p.vm('ma'));
    expect(r.returnValue).to.equal(0);
    expect(r.out['Permitted']).to.equal('TRUE');
    expect(r.out['Reason']).to.match(/share permitted/).and.include("'MA'");
  });

  it('case 2: management VM and the SU VM share SU: permitted', async () => {
    const r = await check(p.vm('mgmt'), p.vm('su'));
    expect(r.out['Permitted']).to.equal('TRUE');
    expect(r.out['Reason']).to.include("'SU'");
  });

  it('case 3: the MA VM and the SU VM share no type: denied, and the reason names the rule and both labels', async () => {
    const r = await check(p.vm('ma'), p.vm('su'));
    expect(r.returnValue).to.equal(0);
    expect(r.out['Permitted']).to.equal('FALSE');
    expect(r.out['Reason']).to.match(/share denied/).and.include("'MarketAnalysis' {MA}").and.include("'SecurityUnderwriting' {SU}");
  });

  it('case 4: the SU VM and the SU virtual block device share SU: permitted', async () => {
    const r = await check(p.vm('su'), p.disk('sudisk'));
    expect(r.out['Permitted']).to.equal('TRUE');
    expect(r.out['Reason']).to.match(/access permitted/).and.include("'SU'");
  });

  it('case 5: the MA VM and the SU virtual block device share nothing: denied', async () => {
    const r = await check(p.vm('ma'), p.disk('sudisk'));
    expect(r.out['Permitted']).to.equal('FALSE');
    expect(r.out['Reason']).to.match(/access denied/).and.include("'MarketAnalysis' {MA}");
  });

  it('the management VM\'s hook enforces cases 4 and 5: AddResourceSettings gives the SU VM the SU disk and refuses it to the MA VM', async () => {
    // wbemcli cannot read a REF-array out parameter (VALUE.REFARRAY): the granted call goes through the project's client.
    const conn = new WbemConnection(host.origin, { namespace: 'root/tvdc' });
    try {
      const rasd = new CimInstance('TVDc_ResourceAllocationSettingData');
      rasd.properties.set('ResourceType', new CimProperty('ResourceType', 'uint16', 31));
      rasd.properties.set('HostResource', new CimProperty('HostResource', 'string', ['sudisk'], true));
      const r = await conn.invokeMethod(CimObjectPath.parse(`root/tvdc:${p.service('TVDc_VirtualSystemManagementService')}`), 'AddResourceSettings', {
        AffectedConfiguration: CimObjectPath.parse('root/tvdc:TVDc_VirtualSystemSettingData.InstanceID="TVDc:su"'),
        ResourceSettings: [rasd],
      });
      expect(Number(r.returnValue)).to.equal(0);
      const out = r.outParams.get('ResultingResourceSettings')!.value as CimObjectPath[];
      expect(out.map((o) => o.key('InstanceID'))).to.deep.equal(['TVDc:su:disk:sudisk']);
    } finally {
      await conn.close();
    }
    // The VM's disks are its allocations (DSP1042): VM -> its settings -> RASDs whose HostResource names the disk.
    expect(await vmDisks(p, 'su')).to.deep.equal([p.disk('sudisk')]);
    const rasd = await wbemcli(['ai', '-ac', 'TVDc_VirtualSystemSettingDataComponent', p.url('TVDc_VirtualSystemSettingData.InstanceID="TVDc:su"')]);
    expect(rasd.stdout).to.include('ResourceType=31');
    const before = host.indications.length;
    // A refusal is the method's outcome: 2 with the rule in Reason (read through the client, as wbemcli cannot read this method's answer).
    const denied = await (async () => {
      const c = new WbemConnection(host.origin, { namespace: 'root/tvdc' });
      try {
        const rasd = new CimInstance('TVDc_ResourceAllocationSettingData');
        rasd.properties.set('ResourceType', new CimProperty('ResourceType', 'uint16', 31));
        rasd.properties.set('HostResource', new CimProperty('HostResource', 'string', ['sudisk'], true));
        return await c.invokeMethod(CimObjectPath.parse(`root/tvdc:${p.service('TVDc_VirtualSystemManagementService')}`), 'AddResourceSettings', {
          AffectedConfiguration: CimObjectPath.parse('root/tvdc:TVDc_VirtualSystemSettingData.InstanceID="TVDc:ma"'),
          ResourceSettings: [rasd],
        });
      } finally {
        await c.close();
      }
    })();
    expect(Number(denied.returnValue)).to.equal(2);
    expect(String(denied.outParams.get('Reason')?.value)).to.include("attach-disk of 'ma' refused: access denied");
    expect(await vmDisks(p, 'ma')).to.deep.equal([]);
    expect(host.indications.slice(before).map((i) => i.get('Operation'))).to.deep.equal(['attach-disk']);
    // ...and the SU VM gives the disk back.
    const rm = await cm(p.service('TVDc_VirtualSystemManagementService'), 'RemoveResourceSettings.ResourceSettings=TVDc_ResourceAllocationSettingData.InstanceID="TVDc:su:disk:sudisk"');
    expect(rm.returnValue).to.equal(0);
    expect(await vmDisks(p, 'su')).to.deep.equal([]);
  });

  it('VM-host: the SU VM may run on the host (its label covers SU)', async () => {
    const r = await check(p.vm('su'), p.hostSystem());
    expect(r.out['Permitted']).to.equal('TRUE');
    expect(r.out['Reason']).to.match(/run permitted/);
  });

  it('policy update 1.1 (conflict set MA-SU) while MA and SU run: SetPolicy returns 2 with one Errors entry per stranded VM, and nothing changes', async () => {
    // The project's client gives the Errors array as sent, entry by entry.
    const conn = new WbemConnection(host.origin, { namespace: 'root/tvdc' });
    try {
      const target = CimObjectPath.parse(`root/tvdc:${p.service('TVDc_SecurityService')}`);
      const r = await conn.invokeMethod(target, 'SetPolicy', { PolicyXML: readFileSync(POLICY_1_1, 'utf8') });
      expect(Number(r.returnValue)).to.equal(2);
      const errors = r.outParams.get('Errors')!.value as string[];
      expect(errors).to.have.length(2);
      expect(errors[0]).to.match(/^VM 'ma': collocation denied/).and.include("conflict set 'MA-SU'");
      expect(errors[1]).to.match(/^VM 'su': collocation denied/).and.include("running VM 'ma'");
    } finally {
      await conn.close();
    }
    const pol = await wbemcli(['ei', p.url('TVDc_SecurityPolicy')]);
    expect(pol.stdout).to.include('PolicyVersion="1.0"');
    expect((await wbemcli(['ein', p.url('TVDc_ConflictSet')])).stdout).to.equal('');
  });

  it('the same refusal through wbemcli: return 2 and the conflicts in Errors', async () => {
    const r = await cm(p.service('TVDc_SecurityService'), policyParam(POLICY_1_1));
    expect(r.returnValue).to.equal(2);
    expect(r.out['Errors']).to.include("VM 'su': collocation denied");
  });

  it('after the SU VM stops, the update is accepted and the conflict set appears', async () => {
    expect((await cm(p.vm('su'), 'RequestStateChange.RequestedState=3')).returnValue).to.equal(0);
    expect(await state('su')).to.equal(3);
    expect((await cm(p.service('TVDc_SecurityService'), policyParam(POLICY_1_1))).returnValue).to.equal(0);
    const cs = await wbemcli(['ei', p.url('TVDc_ConflictSet')]);
    expect(cs.stdout).to.include('Name="MA-SU",Types="MA","SU"');
  });

  it('starting the SU VM beside the running MA VM is refused: 4, the reason names the conflict set, and the VM stays stopped', async () => {
    const before = host.indications.length;
    const r = await cm(p.vm('su'), 'RequestStateChange.RequestedState=2');
    expect(r.returnValue).to.equal(4);
    expect(r.out['Reason']).to.match(/start of 'su' refused: collocation denied/).and.include("conflict set 'MA-SU'").and.include("running VM 'ma'");
    expect(await state('su')).to.equal(3);
    // ...and raised one TVDc_AccessDeniedIndication.
    const raised = host.indications.slice(before);
    expect(raised).to.have.length(1);
    const ind = raised[0]!;
    expect(ind.className).to.equal('TVDc_AccessDeniedIndication');
    expect(ind.get('AlertType')).to.equal(8);
    expect(ind.get('ProbableCause')).to.equal(65);
    expect(ind.get('Operation')).to.equal('start');
    expect(ind.get('AlertingManagedElement')).to.equal('root/tvdc:TVDc_ComputerSystem.CreationClassName="TVDc_ComputerSystem",Name="su"');
    expect(ind.get('SubjectLabel')).to.equal('ACM:tvdc-paper:SecurityUnderwriting');
    expect(ind.get('ObjectPath')).to.include('Name="ma"');
    expect(ind.get('ObjectLabel')).to.equal('ACM:tvdc-paper:MarketAnalysis');
    expect(ind.get('Reason')).to.include("conflict set 'MA-SU'");
  });

  it('the MA VM pauses, suspends, resumes and reboots; stopping it lets the SU VM start', async () => {
    expect((await cm(p.vm('ma'), 'RequestStateChange.RequestedState=9')).returnValue).to.equal(0);
    expect(await state('ma')).to.equal(9);
    expect((await cm(p.vm('ma'), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
    expect((await cm(p.vm('ma'), 'RequestStateChange.RequestedState=6')).returnValue).to.equal(0);
    expect(await state('ma')).to.equal(6);
    expect((await cm(p.vm('ma'), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
    expect((await cm(p.vm('ma'), 'RequestStateChange.RequestedState=10')).returnValue).to.equal(0);
    expect(await state('ma')).to.equal(2);
    expect((await cm(p.vm('ma'), 'RequestStateChange.RequestedState=4')).returnValue).to.equal(0);
    expect(await state('ma')).to.equal(3);
    expect((await cm(p.vm('su'), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
    expect(await state('su')).to.equal(2);
  });

  it('now the MA VM is the one refused, and a VM-host CheckAccess says why before trying', async () => {
    const q = await check(p.vm('ma'), p.hostSystem());
    expect(q.out['Permitted']).to.equal('FALSE');
    expect(q.out['Reason']).to.match(/collocation denied/);
    const r = await cm(p.vm('ma'), 'RequestStateChange.RequestedState=2');
    expect(r.returnValue).to.equal(4);
    expect(await state('ma')).to.equal(3);
  });
});
