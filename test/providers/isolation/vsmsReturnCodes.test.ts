// What a generic DSP1042 client sees through wbemcli: every failure of the management service's
// methods is a return code from the method's ValueMap with the tvdc out parameter Reason, never a
// CIM error; a policy refusal still raises TVDc_AccessDeniedIndication.
import { expect } from 'chai';
import { CimInstance } from '../../../src/cim/CimInstance.js';
import { CimObjectPath } from '../../../src/cim/CimObjectPath.js';
import { CimProperty } from '../../../src/cim/CimProperty.js';
import { WbemConnection } from '../../../client/cim/index.js';
import { startInProcessHost, type InProcessHost } from './support/InProcessHost.js';
import { HostPaths, POLICY_1_0, defineParam, policyParam, wbemcli, wbemcliCall, wbemcliString } from './support/wbemcli.js';

describe('isolation providers: TVDc_VirtualSystemManagementService return codes (wbemcli; AddResourceSettings through the client)', function () {
  this.timeout(60_000);
  let host: InProcessHost;
  let p: HostPaths;

  const call = (c: string) => wbemcliCall(p, p.service('TVDc_VirtualSystemManagementService'), c);
  const vssd = (vm: string, label: string) =>
    `ModifySystemSettings.SystemSettings="${wbemcliString(`<INSTANCE CLASSNAME="TVDc_VirtualSystemSettingData"><PROPERTY NAME="InstanceID" TYPE="string"><VALUE>TVDc:${vm}</VALUE></PROPERTY><PROPERTY NAME="SecurityLabel" TYPE="string"><VALUE>${label}</VALUE></PROPERTY></INSTANCE>`)}"`;
  /** AddResourceSettings through the project's client: wbemcli cannot parse this method's answer, whatever its return value. */
  const add = async (vm: string, type: number, disk?: string): Promise<{ returnValue: number; reason: unknown }> => {
    const conn = new WbemConnection(host.origin, { namespace: 'root/tvdc' });
    try {
      const rasd = new CimInstance('TVDc_ResourceAllocationSettingData');
      rasd.properties.set('ResourceType', new CimProperty('ResourceType', 'uint16', type));
      if (disk !== undefined) rasd.properties.set('HostResource', new CimProperty('HostResource', 'string', [disk], true));
      const r = await conn.invokeMethod(CimObjectPath.parse(`root/tvdc:${p.service('TVDc_VirtualSystemManagementService')}`), 'AddResourceSettings', {
        AffectedConfiguration: CimObjectPath.parse(`root/tvdc:TVDc_VirtualSystemSettingData.InstanceID="TVDc:${vm}"`),
        ResourceSettings: [rasd],
      });
      return { returnValue: Number(r.returnValue), reason: r.outParams.get('Reason')?.value };
    } finally {
      await conn.close();
    }
  };
  const remove = (id: string) => `RemoveResourceSettings.ResourceSettings=TVDc_ResourceAllocationSettingData.InstanceID="${id}"`;

  before(async () => {
    host = await startInProcessHost('h1');
    p = new HostPaths(host.origin, 'h1');
  });
  after(() => host?.stop());

  it('DefineSystem: 0 with ResultingSystem; 4 for a VM name taken, a missing name, an unknown label; 1 for ReferenceConfiguration', async () => {
    expect((await wbemcliCall(p, p.service('TVDc_SecurityService'), policyParam(POLICY_1_0))).returnValue).to.equal(0);
    const d = await call(defineParam('ma', 'MarketAnalysis'));
    expect(d.returnValue).to.equal(0);
    expect(d.out['ResultingSystem']).to.include('Name="ma"');
    expect((await call(defineParam('su', 'SecurityUnderwriting'))).returnValue).to.equal(0);
    const taken = await call(defineParam('ma'));
    expect([taken.returnValue, taken.out['Reason']]).to.deep.equal([4, "VM 'ma' already exists on host 'h1'"]);
    const unnamed = await call(`DefineSystem.SystemSettings="${wbemcliString('<INSTANCE CLASSNAME="TVDc_VirtualSystemSettingData"></INSTANCE>')}"`);
    expect(unnamed.returnValue).to.equal(4);
    expect(unnamed.out['Reason']).to.include('ElementName');
    const label = await call(defineParam('x', 'Nope'));
    expect(label.returnValue).to.equal(4);
    expect(label.out['Reason']).to.include("'Nope'");
    const ref = await call(`${defineParam('y')},ReferenceConfiguration=TVDc_VirtualSystemSettingData.InstanceID="TVDc:ma"`);
    expect([ref.returnValue, ref.out['Reason']]).to.deep.equal([1, 'ReferenceConfiguration is not supported']);
    const vms = (await wbemcli(['ein', p.url('TVDc_ComputerSystem')])).stdout;
    expect(vms).to.not.include('Name="x"').and.not.include('Name="y"');
  });

  it('AddResourceSettings: 1 for an unsupported ResourceType, 4 for an unknown disk, 2 for a policy refusal (with the indication) and an attached disk', async () => {
    const ci = await wbemcli(['ci', p.url(p.disk('sudisk')), 'SystemCreationClassName="TVDc_HostSystem",SystemName="h1",CreationClassName="TVDc_LogicalDisk",DeviceID="sudisk"']);
    expect(ci.code, ci.stderr).to.equal(0);
    expect((await wbemcliCall(p, p.service('TVDc_SecurityService'), `AssignLabel.Label="SecurityUnderwriting",Element=${p.disk('sudisk')}`)).returnValue).to.equal(0);
    const type = await add('su', 5);
    expect(type.returnValue).to.equal(1);
    expect(type.reason).to.include('ResourceType 5 is not supported');
    const unknown = await add('su', 31, 'nodisk');
    expect(unknown.returnValue).to.equal(4);
    expect(unknown.reason).to.include('nodisk');
    expect((await add('su', 31, 'sudisk')).returnValue).to.equal(0);
    const before = host.indications.length;
    const denied = await add('ma', 31, 'sudisk');
    expect(denied.returnValue).to.equal(2);
    expect(denied.reason).to.include("attach-disk of 'ma' refused: access denied");
    const raised = host.indications.slice(before);
    expect(raised.map((i) => [i.className, i.get('Operation')])).to.deep.equal([['TVDc_AccessDeniedIndication', 'attach-disk']]);
    const again = await add('su', 31, 'sudisk');
    expect([again.returnValue, again.reason]).to.deep.equal([2, "disk 'sudisk' is already attached to 'su'"]);
  });

  it('ModifySystemSettings: 4 for an unknown VM or label, 2 while the VM runs; the label stays', async () => {
    const ghost = await call(vssd('ghost', 'MarketAnalysis'));
    expect(ghost.returnValue).to.equal(4);
    expect(ghost.out['Reason']).to.include('ghost');
    const label = await call(vssd('ma', 'Nope'));
    expect(label.returnValue).to.equal(4);
    expect(label.out['Reason']).to.include("'Nope'");
    expect((await wbemcliCall(p, p.vm('ma'), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
    const running = await call(vssd('ma', 'SecurityUnderwriting'));
    expect(running.returnValue).to.equal(2);
    expect(running.out['Reason']).to.include('stop it before changing its label');
    expect((await wbemcli(['gi', p.url('TVDc_VirtualSystemSettingData.InstanceID="TVDc:ma"')])).stdout).to.include('SecurityLabel="ACM:tvdc-paper:MarketAnalysis"');
  });

  it('RemoveResourceSettings: 4 for a malformed InstanceID or a disk not attached; 0 detaches', async () => {
    const bad = await call(remove('su-disk'));
    expect(bad.returnValue).to.equal(4);
    expect(bad.out['Reason']).to.include("'su-disk' is not a TVDc:<vm>:disk|nic:<name> InstanceID");
    const missing = await call(remove('TVDc:ma:disk:sudisk'));
    expect([missing.returnValue, missing.out['Reason']]).to.deep.equal([4, "disk 'sudisk' is not attached to 'ma'"]);
    expect((await call(remove('TVDc:su:disk:sudisk'))).returnValue).to.equal(0);
  });

  it('DestroySystem: 4 for a reference to no VM or to another class; 0 destroys a running VM', async () => {
    const ghost = await call(`DestroySystem.AffectedSystem=${p.vm('ghost')}`);
    expect([ghost.returnValue, ghost.out['Reason']]).to.deep.equal([4, "no VM 'ghost' on host 'h1'"]);
    const cls = await call(`DestroySystem.AffectedSystem=${p.hostSystem()}`);
    expect(cls.returnValue).to.equal(4);
    expect(cls.out['Reason']).to.include('AffectedSystem must name a TVDc_ComputerSystem');
    expect((await call(`DestroySystem.AffectedSystem=${p.vm('ma')}`)).returnValue).to.equal(0);
    expect((await wbemcli(['ein', p.url('TVDc_ComputerSystem')])).stdout).to.not.include('Name="ma"');
  });

  it('what is not the method\'s outcome stays a CIM error: a method the class does not have', async () => {
    const r = await wbemcli(['cm', p.url(p.service('TVDc_VirtualSystemManagementService')), 'NoSuchMethod']);
    expect(r.stderr).to.include('CIM_ERR_METHOD_NOT_FOUND');
  });
});
