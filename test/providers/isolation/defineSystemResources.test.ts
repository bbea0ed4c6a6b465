// DefineSystem with ResourceSettings (DSP1042): a VM defined with its disks, interfaces and vTPM in
// one call, through the project's client and through Debian's wbemcli. Every resource is checked
// before anything is made: a refused one leaves no VM, no attachment, no vTPM and no creation
// indication, and its Reason names ResourceSettings[i]; the store has no trace of the refused VM
// after the host restarts.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CimInstance } from '../../../src/cim/CimInstance.js';
import { CimObjectPath } from '../../../src/cim/CimObjectPath.js';
import { CimProperty } from '../../../src/cim/CimProperty.js';
import { openStore } from '../../../src/store/Store.js';
import { WbemConnection } from '../../../client/cim/index.js';
import { spawnTvdcHost, type TvdcHostProcess } from '../../support/TvdcHostProcess.js';
import { removeState, startInProcessHost as startIntegrityHost, type IntegrityHost } from '../integrity/support/IntegrityHost.js';
import { startInProcessHost, type InProcessHost } from './support/InProcessHost.js';
import { vmDisks } from './support/vmDisks.js';
import { HostPaths, POLICY_1_0, methodOutput, policyParam, wbemcli, wbemcliCall, wbemcliString } from './support/wbemcli.js';

const VSMS = 'TVDc_VirtualSystemManagementService';

/** The embedded instances, as CIM-XML text (for wbemcli) and as instances (for the client). */
const prop = (n: string, type: string, v: string): string => `<PROPERTY NAME="${n}" TYPE="${type}"><VALUE>${v}</VALUE></PROPERTY>`;
const arrayProp = (n: string, v: string): string => `<PROPERTY.ARRAY NAME="${n}" TYPE="string"><VALUE.ARRAY><VALUE>${v}</VALUE></VALUE.ARRAY></PROPERTY.ARRAY>`;
const RASD = {
  disk: (d: string) => `<INSTANCE CLASSNAME="TVDc_ResourceAllocationSettingData">${prop('ResourceType', 'uint16', '31')}${arrayProp('HostResource', d)}</INSTANCE>`,
  nic: (s: string) => `<INSTANCE CLASSNAME="TVDc_ResourceAllocationSettingData">${prop('ResourceType', 'uint16', '10')}${arrayProp('Connection', s)}</INSTANCE>`,
  tpm: () => `<INSTANCE CLASSNAME="TVDc_ResourceAllocationSettingData">${prop('ResourceType', 'uint16', '1')}${prop('OtherResourceType', 'string', 'TPM')}</INSTANCE>`,
};
const vssdXml = (vm: string, label: string) =>
  `<INSTANCE CLASSNAME="TVDc_VirtualSystemSettingData">${prop('ElementName', 'string', vm)}${prop('SecurityLabel', 'string', label)}</INSTANCE>`;

/**
 * wbemcli takes an array parameter as `Name="a","b"`, but an element after the first that holds a
 * '=' starts a new parameter for it and is dropped without a word: each element is written with
 * '=' as a character reference as well.
 */
const wbemcliArrayItem = (xml: string): string => wbemcliString(xml).replace(/=/g, '&#61;');
const defineWithResources = (vm: string, label: string, rasds: string[]): string =>
  `DefineSystem.SystemSettings="${wbemcliString(vssdXml(vm, label))}",ResourceSettings=${rasds.map((r) => `"${wbemcliArrayItem(r)}"`).join(',')}`;

function rasdInstance(kind: 'disk' | 'nic' | 'tpm', name = ''): CimInstance {
  const r = new CimInstance('TVDc_ResourceAllocationSettingData');
  const set = (n: string, type: 'uint16' | 'string', v: unknown, isArray = false) => r.properties.set(n, new CimProperty(n, type, v as never, isArray));
  if (kind === 'disk') { set('ResourceType', 'uint16', 31); set('HostResource', 'string', [name], true); }
  if (kind === 'nic') { set('ResourceType', 'uint16', 10); set('Connection', 'string', [name], true); }
  if (kind === 'tpm') { set('ResourceType', 'uint16', 1); set('OtherResourceType', 'string', 'TPM'); }
  return r;
}

function vssdInstance(vm: string, label: string): CimInstance {
  const s = new CimInstance('TVDc_VirtualSystemSettingData');
  s.properties.set('ElementName', new CimProperty('ElementName', 'string', vm));
  s.properties.set('SecurityLabel', new CimProperty('SecurityLabel', 'string', label));
  return s;
}

/** DefineSystem through the project's client: the return value and every out parameter by name. */
async function defineByClient(origin: string, host: string, vm: string, label: string, rasds: CimInstance[]): Promise<{ returnValue: number; out: Map<string, unknown> }> {
  const conn = new WbemConnection(origin, { namespace: 'root/tvdc' });
  try {
    const r = await conn.invokeMethod(CimObjectPath.parse(`root/tvdc:${new HostPaths(origin, host).service(VSMS)}`), 'DefineSystem', {
      SystemSettings: vssdInstance(vm, label),
      ResourceSettings: rasds,
    });
    return { returnValue: Number(r.returnValue), out: new Map([...r.outParams.values()].map((o) => [o.name, o.value])) };
  } finally {
    await conn.close();
  }
}

/** Lines of a wbemcli listing that must not fail. */
async function listing(args: string[]): Promise<string> {
  const r = await wbemcli(args);
  expect(r.stderr, r.stderr).to.equal('');
  return r.stdout;
}

/** A disk labeled `label`, made and labeled with wbemcli. */
async function labeledDisk(p: HostPaths, disk: string, label: string): Promise<void> {
  const ci = await wbemcli(['ci', p.url(p.disk(disk)), `SystemCreationClassName="TVDc_HostSystem",SystemName="${p.host}",CreationClassName="TVDc_LogicalDisk",DeviceID="${disk}"`]);
  expect(ci.code, ci.stderr).to.equal(0);
  expect((await wbemcliCall(p, p.service('TVDc_SecurityService'), `AssignLabel.Label="${label}",Element=${p.disk(disk)}`)).returnValue).to.equal(0);
}

async function labeledSegment(p: HostPaths, segment: string, vlan: number, label: string): Promise<void> {
  const ci = await wbemcli(['ci', p.url(p.segment(segment)), `InstanceID="TVDc:segment:${segment}",VLANId=${vlan}`]);
  expect(ci.code, ci.stderr).to.equal(0);
  expect((await wbemcliCall(p, p.service('TVDc_SecurityService'), `AssignLabel.Label="${label}",Element=${p.segment(segment)}`)).returnValue).to.equal(0);
}

describe('isolation providers: DefineSystem with ResourceSettings (client and wbemcli)', function () {
  this.timeout(60_000);
  let host: InProcessHost;
  let p: HostPaths;
  const define = (c: string) => wbemcliCall(p, p.service(VSMS), c);
  const vms = async () => listing(['ein', p.url('TVDc_ComputerSystem')]);
  const rasds = async () => listing(['ein', p.url('TVDc_ResourceAllocationSettingData')]);
  const created = (vm: string) => host.indications.filter((i) => i.className === 'CIM_InstCreation' && (i.get('SourceInstance') as CimInstance).get('Name') === vm);

  before(async () => {
    host = await startInProcessHost('h1');
    p = new HostPaths(host.origin, 'h1');
    expect((await wbemcliCall(p, p.service('TVDc_SecurityService'), policyParam(POLICY_1_0))).returnValue).to.equal(0);
    await labeledDisk(p, 'ma-disk', 'MarketAnalysis');
    await labeledDisk(p, 'ma-disk2', 'MarketAnalysis');
    await labeledDisk(p, 'su-disk', 'SecurityUnderwriting');
    await labeledSegment(p, 'ma-net', 10, 'MarketAnalysis');
    await labeledSegment(p, 'su-net', 20, 'SecurityUnderwriting');
  });
  after(() => host?.stop());

  it('client: 0, ResultingSystem, and no ResultingResourceSettings; the VM has its disk and its interface from the start', async () => {
    const r = await defineByClient(host.origin, 'h1', 'ma1', 'MarketAnalysis', [rasdInstance('disk', 'ma-disk'), rasdInstance('nic', 'ma-net')]);
    expect(r.returnValue, String(r.out.get('Reason'))).to.equal(0);
    expect([...r.out.keys()]).to.deep.equal(['ResultingSystem']);
    expect(String(r.out.get('ResultingSystem'))).to.include('Name="ma1"');
    expect(await vmDisks(p, 'ma1')).to.deep.equal([p.disk('ma-disk')]);
    expect(await rasds()).to.include('InstanceID="TVDc:ma1:nic:ma-net"');
    // One creation indication, already showing the VM with what it was defined with.
    expect(created('ma1')).to.have.length(1);
  });

  it('wbemcli: two embedded RASDs as an array parameter define the VM with both disks and an interface', async () => {
    const r = await define(defineWithResources('ma2', 'MarketAnalysis', [RASD.disk('ma-disk'), RASD.disk('ma-disk2'), RASD.nic('ma-net')]));
    expect(r.returnValue, r.out['Reason']).to.equal(0);
    expect(r.out['ResultingSystem']).to.include('Name="ma2"');
    expect(await vmDisks(p, 'ma2')).to.deep.equal([p.disk('ma-disk'), p.disk('ma-disk2')]);
    expect(await rasds()).to.include('InstanceID="TVDc:ma2:nic:ma-net"');
  });

  it('wbemcli drops, without a word, an array element after the first that holds a bare "=": the VM gets the first disk only', async () => {
    const bare = `DefineSystem.SystemSettings="${wbemcliString(vssdXml('ma3', 'MarketAnalysis'))}",ResourceSettings=` +
      [RASD.disk('ma-disk'), RASD.disk('ma-disk2')].map((x) => `"${wbemcliString(x)}"`).join(',');
    const r = await define(bare);
    expect(r.returnValue).to.equal(0);
    expect(await vmDisks(p, 'ma3')).to.deep.equal([p.disk('ma-disk')]);
    expect((await wbemcliCall(p, p.service(VSMS), `DestroySystem.AffectedSystem=${p.vm('ma3')}`)).returnValue).to.equal(0);
  });

  it('a disk the policy refuses to the VM (wbemcli): 2, Reason names ResourceSettings[1]; no VM, no attachment, the denial raised, no creation', async () => {
    const before = host.indications.length;
    const r = await define(defineWithResources('bad1', 'MarketAnalysis', [RASD.disk('ma-disk'), RASD.disk('su-disk'), RASD.nic('ma-net')]));
    expect(r.returnValue).to.equal(2);
    expect(r.out['Reason']).to.match(/^ResourceSettings\[1\]: attach-disk of 'bad1' refused: access denied/);
    expect(await vms()).to.not.include('Name="bad1"');
    expect(await rasds()).to.not.include('TVDc:bad1:');
    const gi = await wbemcli(['gi', p.url('TVDc_VirtualSystemSettingData.InstanceID="TVDc:bad1"')]);
    expect(gi.stderr).to.include('CIM_ERR_NOT_FOUND');
    const raised = host.indications.slice(before);
    expect(raised.map((i) => [i.className, i.get('Operation'), i.get('ObjectLabel')])).to.deep.equal([
      ['TVDc_AccessDeniedIndication', 'attach-disk', 'ACM:tvdc-paper:SecurityUnderwriting'],
    ]);
    expect(created('bad1')).to.have.length(0);
  });

  it('a segment the policy refuses (client): 2, Reason names ResourceSettings[2], the disks before it are not attached anywhere', async () => {
    const r = await defineByClient(host.origin, 'h1', 'bad2', 'MarketAnalysis', [rasdInstance('disk', 'ma-disk2'), rasdInstance('nic', 'ma-net'), rasdInstance('nic', 'su-net')]);
    expect(r.returnValue).to.equal(2);
    expect(String(r.out.get('Reason'))).to.match(/^ResourceSettings\[2\]: attach-interface of 'bad2' refused: access denied/);
    expect(await vms()).to.not.include('Name="bad2"');
    expect(await rasds()).to.not.include('TVDc:bad2:');
  });

  it('4 for an unknown disk or segment, a disk given twice, an instance that is not a RASD; 1 for an unsupported ResourceType; each naming its index', async () => {
    const cases: Array<[string[], number, string]> = [
      [[RASD.disk('ma-disk'), RASD.disk('no-disk')], 4, "ResourceSettings[1]: no disk 'no-disk'"],
      [[RASD.nic('no-net')], 4, 'ResourceSettings[0]: '],
      [[RASD.disk('ma-disk'), RASD.nic('ma-net'), RASD.disk('ma-disk')], 4, "ResourceSettings[2]: disk 'ma-disk' is given twice"],
      [[RASD.disk('ma-disk'), vssdXml('x', 'MarketAnalysis')], 4, 'ResourceSettings[1] is a TVDc_VirtualSystemSettingData, not a CIM_ResourceAllocationSettingData'],
      [[RASD.disk('ma-disk'), '<INSTANCE CLASSNAME="TVDc_ResourceAllocationSettingData"><PROPERTY NAME="ResourceType" TYPE="uint16"><VALUE>5</VALUE></PROPERTY></INSTANCE>'], 1, 'ResourceSettings[1]: ResourceType 5 is not supported'],
      [[RASD.disk('')], 4, 'ResourceSettings[0]: a disk needs HostResource'],
    ];
    for (const [list, code, reason] of cases) {
      const r = await define(defineWithResources('bad3', 'MarketAnalysis', list));
      expect([r.returnValue, r.out['Reason']?.startsWith(reason)], `${reason}: ${r.out['Reason']}`).to.deep.equal([code, true]);
    }
    expect(await vms()).to.not.include('Name="bad3"');
  });

  it('the VM\'s own checks come first: a taken name or an unknown label is 4 and asks the policy about no resource', async () => {
    const before = host.indications.length;
    const taken = await define(defineWithResources('ma1', 'MarketAnalysis', [RASD.disk('su-disk')]));
    expect([taken.returnValue, taken.out['Reason']]).to.deep.equal([4, "VM 'ma1' already exists on host 'h1'"]);
    const label = await define(defineWithResources('bad4', 'Nope', [RASD.disk('ma-disk')]));
    expect(label.returnValue).to.equal(4);
    expect(label.out['Reason']).to.include("'Nope'");
    expect(host.indications.slice(before)).to.deep.equal([]);
  });

  it('ReferenceConfiguration stays Not Supported, with resources too; a vTPM RASD on a host with --vtpm off is 1 and defines nothing', async () => {
    const ref = await define(`${defineWithResources('bad5', 'MarketAnalysis', [RASD.disk('ma-disk')])},ReferenceConfiguration=TVDc_VirtualSystemSettingData.InstanceID="TVDc:ma1"`);
    expect([ref.returnValue, ref.out['Reason']]).to.deep.equal([1, 'ReferenceConfiguration is not supported']);
    const tpm = await define(defineWithResources('bad5', 'MarketAnalysis', [RASD.disk('ma-disk'), RASD.tpm()]));
    expect(tpm.returnValue).to.equal(1);
    expect(tpm.out['Reason']).to.equal('ResourceSettings[1]: this host makes no vTPMs (tvdc-host --vtpm off); define the VM without the TPM allocation, or on a host run with --vtpm swtpm');
    expect(await vms()).to.not.include('Name="bad5"');
  });

  it('AddResourceSettings reads its RASDs with the same parser: the index is in its Reason too', async () => {
    const conn = new WbemConnection(host.origin, { namespace: 'root/tvdc' });
    try {
      const r = await conn.invokeMethod(CimObjectPath.parse(`root/tvdc:${p.service(VSMS)}`), 'AddResourceSettings', {
        AffectedConfiguration: CimObjectPath.parse('root/tvdc:TVDc_VirtualSystemSettingData.InstanceID="TVDc:ma1"'),
        ResourceSettings: [rasdInstance('disk', 'ma-disk2'), rasdInstance('tpm')],
      });
      expect(Number(r.returnValue)).to.equal(1);
      expect(r.outParams.get('Reason')?.value).to.match(/^ResourceSettings\[1\]: a vTPM .* DefineSystem makes it with the VM/);
      expect(await vmDisks(p, 'ma1')).to.deep.equal([p.disk('ma-disk')]);
    } finally {
      await conn.close();
    }
  });
});

describe('isolation providers: DefineSystem with a vTPM RASD on a host with --vtpm swtpm (real swtpm)', function () {
  this.timeout(60_000);
  let h: IntegrityHost;
  let p: HostPaths;
  const vtpms = async () => listing(['ein', p.url('TVDc_VTPM')]);

  before(async () => {
    h = await startIntegrityHost('dv');
    p = new HostPaths(h.origin, 'dv');
    expect((await wbemcliCall(p, p.service('TVDc_SecurityService'), policyParam(POLICY_1_0))).returnValue).to.equal(0);
    await labeledDisk(p, 'su-disk', 'SecurityUnderwriting');
  });
  after(async () => {
    await h?.stop();
    await removeState(h.state);
  });

  it('a vTPM RASD with a disk: 0, the VM has its vTPM (and its RASD) and the disk', async () => {
    const r = await wbemcliCall(p, p.service(VSMS), defineWithResources('su1', 'SecurityUnderwriting', [RASD.tpm(), RASD.disk('su-disk')]));
    expect(r.returnValue, r.out['Reason']).to.equal(0);
    expect(await vtpms()).to.include('SystemName="su1"');
    expect(await listing(['ein', p.url('TVDc_ResourceAllocationSettingData')])).to.include('InstanceID="TVDc:su1:tpm:vtpm0"');
    expect(await vmDisks(p, 'su1')).to.deep.equal([p.disk('su-disk')]);
  });

  it('a refused disk beside a vTPM RASD: 2, and no vTPM is made; two vTPM RASDs are 4', async () => {
    const r = await wbemcliCall(p, p.service(VSMS), defineWithResources('ma1', 'MarketAnalysis', [RASD.tpm(), RASD.disk('su-disk')]));
    expect(r.returnValue).to.equal(2);
    expect(r.out['Reason']).to.match(/^ResourceSettings\[1\]: attach-disk of 'ma1' refused/);
    expect(await vtpms()).to.not.include('SystemName="ma1"');
    const two = await wbemcliCall(p, p.service(VSMS), defineWithResources('ma1', 'MarketAnalysis', [RASD.tpm(), RASD.tpm()]));
    expect([two.returnValue, two.out['Reason']]).to.deep.equal([4, 'ResourceSettings[1]: a VM has one vTPM, and ResourceSettings[0] already asks for it']);
    expect(await vtpms()).to.not.include('SystemName="ma1"');
  });
});

describe('isolation providers: a refused DefineSystem leaves no trace in the store of a real tvdc-host across a restart', function () {
  this.timeout(90_000);
  let state: string;
  let host: TvdcHostProcess | undefined;
  let p: HostPaths;
  const start = async () => {
    host = await spawnTvdcHost(['--name', 'h1', '--port', '0', '--state', state]);
    p = new HostPaths(host.origin, 'h1');
  };

  before(async () => {
    state = mkdtempSync(join(tmpdir(), 'tvdc-iso-define-'));
    await start();
  });
  after(async () => {
    await host?.stop();
    rmSync(state, { recursive: true, force: true });
  });

  it('refused, stopped (SIGTERM), restarted: no VM row, no disk or interface row, and the name and the disk are free', async () => {
    expect((await wbemcliCall(p, p.service('TVDc_SecurityService'), policyParam(POLICY_1_0))).returnValue).to.equal(0);
    await labeledDisk(p, 'ma-disk', 'MarketAnalysis');
    await labeledDisk(p, 'su-disk', 'SecurityUnderwriting');
    await labeledSegment(p, 'ma-net', 10, 'MarketAnalysis');
    const r = await wbemcliCall(p, p.service(VSMS), defineWithResources('ma', 'MarketAnalysis', [RASD.disk('ma-disk'), RASD.nic('ma-net'), RASD.disk('su-disk')]));
    expect(r.returnValue).to.equal(2);
    expect(r.out['Reason']).to.match(/^ResourceSettings\[2\]: attach-disk of 'ma' refused/);
    await host!.stop();

    const db = openStore(join(state, 'host.db'));
    try {
      const count = (sql: string) => db.prepare(sql).pluck().get('ma') as number;
      expect(count('SELECT count(*) FROM iso_vms WHERE name = ?')).to.equal(0);
      expect(count('SELECT count(*) FROM iso_vm_disks WHERE vm = ?')).to.equal(0);
      expect(count('SELECT count(*) FROM iso_vm_nics WHERE vm = ?')).to.equal(0);
      expect(db.prepare('SELECT count(*) FROM iso_vm_disks').pluck().get()).to.equal(0);
      // What the store does keep is the denial itself, in the audit log.
      expect(db.prepare("SELECT count(*) FROM iso_audit WHERE subject = 'ma' AND operation = 'attach-disk'").pluck().get()).to.equal(1);
    } finally {
      db.close();
    }

    await start();
    expect(await listing(['ein', p.url('TVDc_ComputerSystem')])).to.not.include('Name="ma"');
    expect(await listing(['ein', p.url('TVDc_ResourceAllocationSettingData')])).to.not.include('TVDc:ma:');
    const again = methodOutput((await wbemcli(['cm', p.url(p.service(VSMS)), defineWithResources('ma', 'MarketAnalysis', [RASD.disk('ma-disk'), RASD.nic('ma-net')])])).stdout);
    expect(again.returnValue, again.out['Reason']).to.equal(0);
    expect(await vmDisks(p, 'ma')).to.deep.equal([p.disk('ma-disk')]);
  });
});
