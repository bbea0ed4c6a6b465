// TVDc_VirtualSystemManagementCapabilities say what the management service does (DSP1042): a
// client reads them through CIM_ElementCapabilities before it calls, so every method listed as
// synchronous must return 0 when called, and every listed indication must be raised.
import { expect } from 'chai';
import { CimInstance } from '../../../src/cim/CimInstance.js';
import { CimProperty } from '../../../src/cim/CimProperty.js';
import { CimObjectPath } from '../../../src/cim/CimObjectPath.js';
import { WbemConnection } from '../../../client/cim/index.js';
import { startInProcessHost, type InProcessHost } from './support/InProcessHost.js';
import { HostPaths, POLICY_1_0, defineParam, methodOutput, policyParam, wbemcli, wbemcliString } from './support/wbemcli.js';

/** `Name=1,2,3` of one uint16 array property in a wbemcli instance line (empty array: `Name=`). */
function uintArray(line: string, name: string): number[] {
  const m = new RegExp(`(?<![A-Za-z])${name}=((?:\\d+(?:,(?=\\d))?)*)`).exec(line);
  if (!m) throw new Error(`no ${name} in ${line}`);
  return m[1] === '' ? [] : m[1]!.split(',').map(Number);
}

describe('isolation providers: VirtualSystemManagementCapabilities list what the service does', function () {
  this.timeout(60_000);
  let host: InProcessHost;
  let p: HostPaths;
  let vsms: string;

  before(async () => {
    host = await startInProcessHost('h1');
    p = new HostPaths(host.origin, 'h1');
    vsms = p.service('TVDc_VirtualSystemManagementService');
    expect((await cm(p.service('TVDc_SecurityService'), policyParam(POLICY_1_0))).returnValue).to.equal(0);
    const ci = await wbemcli(['ci', p.url(p.disk('d1')), 'SystemCreationClassName="TVDc_HostSystem",SystemName="h1",CreationClassName="TVDc_LogicalDisk",DeviceID="d1"']);
    expect(ci.code, ci.stderr).to.equal(0);
    expect((await cm(p.service('TVDc_SecurityService'), `AssignLabel.Label="SecurityUnderwriting",Element=${p.disk('d1')}`)).returnValue).to.equal(0);
  });
  after(() => host?.stop());

  async function cm(target: string, call: string) {
    const r = await wbemcli(['cm', p.url(target), call]);
    expect(r.stderr, r.stderr).to.equal('');
    return methodOutput(r.stdout);
  }

  const vmIndications = (cls: string, since: number): CimInstance[] =>
    host.indications.slice(since).filter((i) => i.className === cls && String(i.get('SourceInstanceModelPath')).includes('TVDc_ComputerSystem'));

  /** Calls one DSP1042 method (by its capabilities value) the way a client would, and gives its return value. */
  const calls: Record<number, () => Promise<number>> = {
    2: async () => (await cm(vsms, defineParam('su', 'SecurityUnderwriting'))).returnValue,
    6: async () => {
      const vssd = '<INSTANCE CLASSNAME="TVDc_VirtualSystemSettingData"><PROPERTY NAME="InstanceID" TYPE="string"><VALUE>TVDc:su</VALUE></PROPERTY>' +
        '<PROPERTY NAME="SecurityLabel" TYPE="string"><VALUE>ACM:tvdc-paper:SecurityUnderwriting</VALUE></PROPERTY></INSTANCE>';
      return (await cm(vsms, `ModifySystemSettings.SystemSettings="${wbemcliString(vssd)}"`)).returnValue;
    },
    10: async () => {
      // wbemcli cannot read the REF-array out parameter (VALUE.REFARRAY): this call goes through the project's client.
      const conn = new WbemConnection(host.origin, { namespace: 'root/tvdc' });
      try {
        const rasd = new CimInstance('TVDc_ResourceAllocationSettingData');
        rasd.properties.set('ResourceType', new CimProperty('ResourceType', 'uint16', 31));
        rasd.properties.set('HostResource', new CimProperty('HostResource', 'string', ['d1'], true));
        const r = await conn.invokeMethod(CimObjectPath.parse(`root/tvdc:${vsms}`), 'AddResourceSettings', {
          AffectedConfiguration: CimObjectPath.parse('root/tvdc:TVDc_VirtualSystemSettingData.InstanceID="TVDc:su"'),
          ResourceSettings: [rasd],
        });
        return Number(r.returnValue);
      } finally {
        await conn.close();
      }
    },
    7: async () => (await cm(vsms, 'RemoveResourceSettings.ResourceSettings=TVDc_ResourceAllocationSettingData.InstanceID="TVDc:su:disk:d1"')).returnValue,
    3: async () => (await cm(vsms, `DestroySystem.AffectedSystem=${p.vm('su')}`)).returnValue,
  };

  let caps = '';

  it('reached from the service through CIM_ElementCapabilities: methods 2,3,6,7,10 synchronous, none asynchronous, indications 2,3,4', async () => {
    const r = await wbemcli(['ai', '-ac', 'CIM_ElementCapabilities', p.url(vsms)]);
    expect(r.code, r.stderr).to.equal(0);
    caps = r.stdout.trim();
    expect(caps).to.include('TVDc_VirtualSystemManagementCapabilities.InstanceID="TVDc:VirtualSystemManagementCapabilities"');
    expect(uintArray(caps, 'SynchronousMethodsSupported')).to.deep.equal([2, 3, 6, 7, 10]);
    expect(uintArray(caps, 'AsynchronousMethodsSupported')).to.deep.equal([]);
    expect(uintArray(caps, 'IndicationsSupported')).to.deep.equal([2, 3, 4]);
  });

  it('every listed method, called in a life-cycle order, returns 0 at once and does what it says', async () => {
    const listed = uintArray(caps, 'SynchronousMethodsSupported');
    // Define before modify and attach, detach before destroy: the order a client would use.
    const order = [2, 6, 10, 7, 3].filter((m) => listed.includes(m));
    expect(order, 'a listed method this test cannot call').to.have.length(listed.length);
    const effects: Record<number, () => Promise<unknown>> = {
      2: async () => expect((await wbemcli(['gi', p.url(p.vm('su')), 'EnabledState'])).stdout).to.include('EnabledState=3'),
      6: async () => expect((await wbemcli(['gi', p.url('TVDc_VirtualSystemSettingData.InstanceID="TVDc:su"')])).stdout).to.include('SecurityLabel="ACM:tvdc-paper:SecurityUnderwriting"'),
      10: async () => expect((await wbemcli(['ai', '-ac', 'TVDc_VirtualSystemSettingDataComponent', p.url('TVDc_VirtualSystemSettingData.InstanceID="TVDc:su"')])).stdout).to.include('InstanceID="TVDc:su:disk:d1"'),
      7: async () => expect((await wbemcli(['ai', '-ac', 'TVDc_VirtualSystemSettingDataComponent', p.url('TVDc_VirtualSystemSettingData.InstanceID="TVDc:su"')])).stdout).to.equal(''),
      3: async () => expect((await wbemcli(['gi', p.url(p.vm('su'))])).stderr).to.include('CIM_ERR_NOT_FOUND'),
    };
    for (const m of order) {
      expect(await calls[m]!(), `method ${m}`).to.equal(0);
      await effects[m]!();
    }
  });

  it('a method left out of the list is really not there: ModifyResourceSettings (5) returns 1', async () => {
    expect(uintArray(caps, 'SynchronousMethodsSupported')).to.not.include(5);
    const rasd = '<INSTANCE CLASSNAME="TVDc_ResourceAllocationSettingData"><PROPERTY NAME="InstanceID" TYPE="string"><VALUE>TVDc:x:disk:d1</VALUE></PROPERTY></INSTANCE>';
    expect((await cm(vsms, `ModifyResourceSettings.ResourceSettings="${wbemcliString(rasd)}"`)).returnValue).to.equal(1);
  });

  it('every listed indication is raised: 2 creation on define, 4 state change on start, 3 deletion on destroy', async () => {
    const listed = uintArray(caps, 'IndicationsSupported');
    const since = host.indications.length;
    expect((await cm(vsms, defineParam('ev', 'SecurityUnderwriting'))).returnValue).to.equal(0);
    expect((await cm(p.vm('ev'), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
    expect((await cm(vsms, `DestroySystem.AffectedSystem=${p.vm('ev')}`)).returnValue).to.equal(0);
    const raised: Record<number, CimInstance[]> = {
      2: vmIndications('CIM_InstCreation', since),
      4: vmIndications('CIM_InstModification', since).filter((i) =>
        (i.get('SourceInstance') as CimInstance).get('EnabledState') !== (i.get('PreviousInstance') as CimInstance).get('EnabledState')),
      3: vmIndications('CIM_InstDeletion', since),
    };
    expect(Object.keys(raised).map(Number).sort()).to.deep.equal([...listed].sort());
    for (const n of listed) {
      expect(raised[n], `indication ${n}`).to.have.length.greaterThan(0);
      expect((raised[n]![0]!.get('SourceInstance') as CimInstance).get('Name'), `indication ${n}`).to.equal('ev');
    }
  });
});
