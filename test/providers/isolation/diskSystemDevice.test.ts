// CIM_SystemDevice's GroupComponent is Max(1): a disk shared by two VMs has one SystemDevice
// parent, the host its keys name, and each VM reaches the disk the DSP1042 way, through its
// settings' resource allocations (VM -> VSSD -> RASD whose HostResource names the disk). Through
// Debian's wbemcli against a real host agent on loopback.
import { expect } from 'chai';
import { CimInstance } from '../../../src/cim/CimInstance.js';
import { CimProperty } from '../../../src/cim/CimProperty.js';
import { CimObjectPath } from '../../../src/cim/CimObjectPath.js';
import { WbemConnection } from '../../../client/cim/index.js';
import { startInProcessHost, type InProcessHost } from './support/InProcessHost.js';
import { HostPaths, POLICY_1_0, defineParam, policyParam, wbemcli, wbemcliCall } from './support/wbemcli.js';
import { vmDisks } from './support/vmDisks.js';

describe('isolation providers: a disk attached to two VMs has one SystemDevice parent', function () {
  this.timeout(60_000);
  let host: InProcessHost;
  let p: HostPaths;

  const cm = (target: string, call: string) => wbemcliCall(p, target, call);

  before(async () => {
    host = await startInProcessHost('h1');
    p = new HostPaths(host.origin, 'h1');
    expect((await cm(p.service('TVDc_SecurityService'), policyParam(POLICY_1_0))).returnValue).to.equal(0);
    for (const vm of ['su1', 'su2', 'su3']) {
      expect((await cm(p.service('TVDc_VirtualSystemManagementService'), defineParam(vm, 'SecurityUnderwriting'))).returnValue).to.equal(0);
    }
    const ci = await wbemcli(['ci', p.url(p.disk('shared')), 'SystemCreationClassName="TVDc_HostSystem",SystemName="h1",CreationClassName="TVDc_LogicalDisk",DeviceID="shared"']);
    expect(ci.code, ci.stderr).to.equal(0);
    expect((await cm(p.service('TVDc_SecurityService'), `AssignLabel.Label="SecurityUnderwriting",Element=${p.disk('shared')}`)).returnValue).to.equal(0);
    // wbemcli cannot read AddResourceSettings' REF-array out parameter: the attach goes through the project's client.
    const conn = new WbemConnection(host.origin, { namespace: 'root/tvdc' });
    try {
      for (const vm of ['su1', 'su2']) {
        const rasd = new CimInstance('TVDc_ResourceAllocationSettingData');
        rasd.properties.set('ResourceType', new CimProperty('ResourceType', 'uint16', 31));
        rasd.properties.set('HostResource', new CimProperty('HostResource', 'string', ['shared'], true));
        const r = await conn.invokeMethod(CimObjectPath.parse(`root/tvdc:${p.service('TVDc_VirtualSystemManagementService')}`), 'AddResourceSettings', {
          AffectedConfiguration: CimObjectPath.parse(`root/tvdc:TVDc_VirtualSystemSettingData.InstanceID="TVDc:${vm}"`),
          ResourceSettings: [rasd],
        });
        expect(Number(r.returnValue), vm).to.equal(0);
      }
    } finally {
      await conn.close();
    }
  });
  after(() => host?.stop());

  it('the disk has exactly one TVDc_SystemDevice reference, naming its host as GroupComponent', async () => {
    const refs = await wbemcli(['rin', '-arc', 'TVDc_SystemDevice', p.url(p.disk('shared'))]);
    expect(refs.stderr, refs.stderr).to.equal('');
    const lines = refs.stdout.split('\n').filter((l) => l.trim() !== '');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include(`TVDc_SystemDevice.GroupComponent=root/tvdc:${p.hostSystem()},PartComponent=root/tvdc:${p.disk('shared')}`);
    expect(refs.stdout).to.not.include('TVDc_ComputerSystem');
    const parents = await wbemcli(['ain', '-ac', 'CIM_SystemDevice', p.url(p.disk('shared'))]);
    expect(parents.stdout.split('\n').filter((l) => l.trim() !== '')).to.have.length(1);
    expect(parents.stdout).to.include('TVDc_HostSystem.CreationClassName="TVDc_HostSystem",Name="h1"');
  });

  it('no VM has the disk as a TVDc_SystemDevice part', async () => {
    for (const vm of ['su1', 'su2', 'su3']) {
      expect((await wbemcli(['ain', '-ac', 'CIM_SystemDevice', p.url(p.vm(vm))])).stdout, vm).to.not.include('TVDc_LogicalDisk');
    }
  });

  it('each VM it is attached to reaches it through its VSSD\'s RASDs; the VM without it does not', async () => {
    expect(await vmDisks(p, 'su1')).to.deep.equal([p.disk('shared')]);
    expect(await vmDisks(p, 'su2')).to.deep.equal([p.disk('shared')]);
    expect(await vmDisks(p, 'su3')).to.deep.equal([]);
  });
});
