// Bad input through wbemcli gets a specific answer, never a crash: broken policies are refused
// with every problem, unknown labels, VMs and classes give the DMTF code that fits, and a label
// change the policy forbids is refused with the rule.
import { expect } from 'chai';
import { startInProcessHost, type InProcessHost } from './support/InProcessHost.js';
import { HostPaths, POLICY_1_0, defineParam, methodOutput, policyParam, wbemcli, wbemcliString } from './support/wbemcli.js';

describe('isolation providers: bad input and refusals', function () {
  this.timeout(60_000);
  let host: InProcessHost;
  let p: HostPaths;

  const cm = (target: string, call: string) => wbemcli(['cm', p.url(target), call]);
  const ok = async (target: string, call: string) => {
    const r = await cm(target, call);
    expect(r.stderr, r.stderr).to.equal('');
    return methodOutput(r.stdout);
  };
  const ss = () => p.service('TVDc_SecurityService');
  const vsms = () => p.service('TVDc_VirtualSystemManagementService');

  before(async () => {
    host = await startInProcessHost('h1');
    p = new HostPaths(host.origin, 'h1');
    expect((await ok(ss(), policyParam(POLICY_1_0))).returnValue).to.equal(0);
    expect((await ok(vsms(), defineParam('ma', 'MarketAnalysis'))).returnValue).to.equal(0);
  });
  after(() => host?.stop());

  it('SetPolicy with a broken policy: 2, and Errors names each problem with its line and rule', async () => {
    const xml = `<?xml version="1.0"?>
<SecurityPolicyDefinition xmlns="http://www.ibm.com">
  <PolicyHeader><PolicyName>bad</PolicyName><Version>1.x</Version></PolicyHeader>
  <SimpleTypeEnforcement><SimpleTypeEnforcementTypes><Type>A</Type><Type>A</Type></SimpleTypeEnforcementTypes></SimpleTypeEnforcement>
</SecurityPolicyDefinition>`;
    const r = await ok(ss(), `SetPolicy.PolicyXML="${wbemcliString(xml)}"`);
    expect(r.returnValue).to.equal(2);
    expect(r.out['Errors']).to.match(/PolicyXML:3:\d+: .*version-format/).and.match(/PolicyXML:4:\d+: .*duplicate-type/);
    // The active policy is untouched.
    expect((await wbemcli(['ein', p.url('TVDc_SecurityPolicy')])).stdout).to.include('PolicyGroupName="tvdc-paper"');
  });

  it('SetPolicy with an empty PolicyXML: 4 Invalid Parameter', async () => {
    expect((await ok(ss(), 'SetPolicy.PolicyXML=""')).returnValue).to.equal(4);
  });

  it('SetPolicy(Activate=false) loads without activating; ActivatePolicy activates the pending policy', async () => {
    const update = (await import('node:fs')).readFileSync(POLICY_1_0.replace('.xml', '-1.1.xml'), 'utf8');
    const r = await ok(ss(), `SetPolicy.Activate=false,PolicyXML="${wbemcliString(update)}"`);
    expect(r.returnValue).to.equal(0);
    const pols = (await wbemcli(['ei', p.url('TVDc_SecurityPolicy')])).stdout;
    expect(pols).to.include('PolicyGroupName="tvdc-paper:1.1"').and.include('Enabled=2');
    const a = await ok(ss(), 'ActivatePolicy.Policy=TVDc_SecurityPolicy.SystemCreationClassName="TVDc_HostSystem",SystemName="h1",CreationClassName="TVDc_SecurityPolicy",PolicyGroupName="tvdc-paper:1.1"');
    expect(a.returnValue).to.equal(0);
    const after = (await wbemcli(['ei', p.url('TVDc_SecurityPolicy')])).stdout;
    expect(after).to.include('PolicyVersion="1.1"').and.not.include('Enabled=2');
    const again = await ok(ss(), 'ActivatePolicy.Policy=TVDc_SecurityPolicy.SystemCreationClassName="TVDc_HostSystem",SystemName="h1",CreationClassName="TVDc_SecurityPolicy",PolicyGroupName="nope:2.0"');
    expect(again.returnValue).to.equal(4);
    expect(again.out['Errors']).to.include('not the policy waiting for activation');
  });

  it('DefineSystem without ElementName: 4 Invalid Parameter, Reason naming the property', async () => {
    const xml = '<INSTANCE CLASSNAME="TVDc_VirtualSystemSettingData"></INSTANCE>';
    const r = await ok(vsms(), `DefineSystem.SystemSettings="${wbemcliString(xml)}"`);
    expect(r.returnValue).to.equal(4);
    expect(r.out['Reason']).to.include('ElementName');
  });

  it('DefineSystem with a label the policy lacks, or of another policy: 4 Invalid Parameter, Reason naming the label', async () => {
    const r = await ok(vsms(), defineParam('x1', 'Nope'));
    expect(r.returnValue).to.equal(4);
    expect(r.out['Reason']).to.include("'Nope'");
    const q = await ok(vsms(), defineParam('x2', 'ACM:other:MarketAnalysis'));
    expect(q.returnValue).to.equal(4);
    expect(q.out['Reason']).to.include("belongs to policy 'other'");
    expect((await wbemcli(['ein', p.url('TVDc_ComputerSystem')])).stdout).to.not.include('x1').and.not.include('x2');
  });

  it('DefineSystem of an existing VM: 4 Invalid Parameter, Reason saying the name is taken', async () => {
    const r = await ok(vsms(), defineParam('ma', 'MarketAnalysis'));
    expect(r.returnValue).to.equal(4);
    expect(r.out['Reason']).to.include("VM 'ma' already exists");
  });

  it('ModifySystemSettings relabels a stopped VM through its settings; the label link follows', async () => {
    const vssd = (label: string) => `<INSTANCE CLASSNAME="TVDc_VirtualSystemSettingData"><PROPERTY NAME="InstanceID" TYPE="string"><VALUE>TVDc:ma</VALUE></PROPERTY><PROPERTY NAME="SecurityLabel" TYPE="string"><VALUE>${label}</VALUE></PROPERTY></INSTANCE>`;
    expect((await ok(vsms(), `ModifySystemSettings.SystemSettings="${wbemcliString(vssd('SecurityUnderwriting'))}"`)).returnValue).to.equal(0);
    expect((await wbemcli(['ai', '-ac', 'TVDc_ElementSecurityLabel', p.url(p.vm('ma'))])).stdout).to.include('Name="SecurityUnderwriting"');
    const bad = await ok(vsms(), `ModifySystemSettings.SystemSettings="${wbemcliString(vssd('Nope'))}"`);
    expect(bad.returnValue).to.equal(4);
    expect(bad.out['Reason']).to.include("'Nope'");
    expect((await ok(vsms(), `ModifySystemSettings.SystemSettings="${wbemcliString(vssd('ACM:tvdc-paper:MarketAnalysis'))}"`)).returnValue).to.equal(0);
    expect((await wbemcli(['gi', p.url('TVDc_VirtualSystemSettingData.InstanceID="TVDc:ma"')])).stdout).to.include('SecurityLabel="ACM:tvdc-paper:MarketAnalysis"');
  });

  it('RequestStateChange with an unsupported state: 5 with the states it takes; on a missing VM: CIM_ERR_NOT_FOUND', async () => {
    const r = await ok(p.vm('ma'), 'RequestStateChange.RequestedState=7');
    expect(r.returnValue).to.equal(5);
    expect(r.out['Reason']).to.include('2 start');
    const m = await cm(p.vm('ghost'), 'RequestStateChange.RequestedState=2');
    expect(m.stderr).to.include('CIM_ERR_NOT_FOUND').and.include("'ghost'");
  });

  it('RequestStateChange that does not fit the state: 4097 Invalid State Transition', async () => {
    const r = await ok(p.vm('ma'), 'RequestStateChange.RequestedState=9');
    expect(r.returnValue).to.equal(4097);
    expect(r.out['Reason']).to.include('stopped');
  });

  it('CheckAccess with a reference to a class that carries no label: CIM_ERR_INVALID_PARAMETER', async () => {
    const r = await cm(ss(), `CheckAccess.Subject=${p.vm('ma')},Object=${p.service('TVDc_SecurityService')}`);
    expect(r.stderr).to.include('CIM_ERR_INVALID_PARAMETER').and.include('Object must name');
  });

  it('AssignLabel with an unknown label: 4 and the reason; while the VM runs: 5', async () => {
    const r = await ok(ss(), `AssignLabel.Label="Nope",Element=${p.vm('ma')}`);
    expect(r.returnValue).to.equal(4);
    expect(r.out['Reason']).to.include("'Nope' is not defined");
    expect((await ok(p.vm('ma'), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
    const s = await ok(ss(), `AssignLabel.Label="SecurityUnderwriting",Element=${p.vm('ma')}`);
    expect(s.returnValue).to.equal(5);
    expect(s.out['Reason']).to.include('stop it before changing its label');
  });

  it('Sanitize wipes a disk and records when and by whom; a missing disk is CIM_ERR_NOT_FOUND', async () => {
    const ci = await wbemcli(['ci', p.url(p.disk('d1')), 'SystemCreationClassName="TVDc_HostSystem",SystemName="h1",CreationClassName="TVDc_LogicalDisk",DeviceID="d1",NumberOfBlocks=8,BlockSize=512']);
    expect(ci.code, ci.stderr).to.equal(0);
    expect((await wbemcli(['gi', p.url(p.disk('d1'))])).stdout).to.include('NumberOfBlocks=8').and.not.include('LastSanitized');
    expect((await ok(ss(), `Sanitize.Disk=${p.disk('d1')}`)).returnValue).to.equal(0);
    const gi = await wbemcli(['gi', p.url(p.disk('d1'))]);
    expect(gi.stdout).to.match(/LastSanitized=\d{14}\.\d{6}\+000/).and.include('SanitizedBy="local administrator"');
    const m = await cm(ss(), `Sanitize.Disk=${p.disk('nope')}`);
    expect(m.stderr).to.include('CIM_ERR_NOT_FOUND');
  });

  it('a disk path outside the host\'s disk directory is refused: CIM_ERR_INVALID_PARAMETER', async () => {
    const r = await wbemcli(['ci', p.url(p.disk('evil')), 'SystemCreationClassName="TVDc_HostSystem",SystemName="h1",CreationClassName="TVDc_LogicalDisk",DeviceID="evil",ImagePath="/etc/passwd"']);
    expect(r.stderr, r.stderr).to.include('CIM_ERR_INVALID_PARAMETER').and.include('outside the disk directory');
  });

  it('network segments: ci with a VLAN id, AssignLabel, CheckAccess VM-segment; a second segment for the same type is refused', async () => {
    const ci = await wbemcli(['ci', p.url(p.segment('ma-net')), 'InstanceID="TVDc:segment:ma-net",VLANId=100']);
    expect(ci.code, ci.stderr).to.equal(0);
    expect((await ok(ss(), `AssignLabel.Label="MarketAnalysis",Element=${p.segment('ma-net')}`)).returnValue).to.equal(0);
    const gi = await wbemcli(['gi', p.url(p.segment('ma-net'))]);
    expect(gi.stdout).to.include('VLANId=100').and.include('STEType="MA"');
    // wbemcli ends a REF value at the next parameter only when a comma follows it: one-key paths go first.
    const c = await ok(ss(), `CheckAccess.Object=${p.segment('ma-net')},Subject=${p.vm('ma')}`);
    expect(c.out['Permitted']).to.equal('TRUE');
    expect((await wbemcli(['ci', p.url(p.segment('ma-net2')), 'InstanceID="TVDc:segment:ma-net2",VNI=5000'])).code).to.equal(0);
    const dup = await ok(ss(), `AssignLabel.Label="MarketAnalysis",Element=${p.segment('ma-net2')}`);
    expect(dup.returnValue).to.equal(4);
    expect(dup.out['Reason']).to.include('one segment per type');
    const bad = await wbemcli(['ci', p.url(p.segment('x')), 'InstanceID="TVDc:segment:x",VLANId=5000']);
    expect(bad.stderr).to.include('CIM_ERR_INVALID_PARAMETER').and.include('1-4094');
  });

  it('DestroySystem stops and removes a running VM; its label link goes with it', async () => {
    expect((await wbemcli(['ein', p.url('TVDc_ElementSecurityLabel')])).stdout).to.include('Name="ma"');
    const r = await ok(vsms(), `DestroySystem.AffectedSystem=${p.vm('ma')}`);
    expect(r.returnValue).to.equal(0);
    expect((await wbemcli(['ein', p.url('TVDc_ComputerSystem')])).stdout).to.not.include('Name="ma"');
    expect((await wbemcli(['ein', p.url('TVDc_ElementSecurityLabel')])).stdout).to.not.include('Name="ma"');
    const again = await ok(vsms(), `DestroySystem.AffectedSystem=${p.vm('ma')}`);
    expect(again.returnValue).to.equal(4);
    expect(again.out['Reason']).to.include("no VM 'ma'");
  });
});
