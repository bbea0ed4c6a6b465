// A disk's data never reaches another workload through DeleteInstance and CreateInstance: deleting
// a used TVDc_LogicalDisk wipes and removes its file, and CreateInstance never adopts a file that
// is already there. Driven with wbemcli against a host agent, on the agent's real disk files.
import { expect } from 'chai';
import { existsSync, linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { WbemConnection } from '../../../client/cim/index.js';
import { CimInstance } from '../../../src/cim/CimInstance.js';
import { CimObjectPath } from '../../../src/cim/CimObjectPath.js';
import { CimProperty } from '../../../src/cim/CimProperty.js';
import { startInProcessHost, type InProcessHost } from './support/InProcessHost.js';
import { HostPaths, POLICY_1_0, defineParam, policyParam, wbemcli, wbemcliCall } from './support/wbemcli.js';

const SECRET = 'SU-CONFIDENTIAL-DATA';

describe('isolation providers: a deleted disk\'s data does not come back under a new disk', function () {
  this.timeout(60_000);
  let host: InProcessHost;
  let p: HostPaths;
  const keys = (name: string, extra = '') =>
    `SystemCreationClassName="TVDc_HostSystem",SystemName="h1",CreationClassName="TVDc_LogicalDisk",DeviceID="${name}",NumberOfBlocks=1,BlockSize=${SECRET.length}${extra}`;
  const cm = async (target: string, call: string) => (await wbemcliCall(p, target, call)).returnValue;
  const imagePath = async (disk: string): Promise<string> => {
    const gi = await wbemcli(['gi', p.url(p.disk(disk))]);
    const m = /ImagePath="([^"]+)"/.exec(gi.stdout);
    if (!m) throw new Error(`no ImagePath in ${gi.stdout}${gi.stderr}`);
    return m[1]!;
  };
  /** AddResourceSettings through the project's client: wbemcli cannot read its REF-array answer. */
  const attach = async (vm: string, disk: string): Promise<number> => {
    const conn = new WbemConnection(host.origin, { namespace: 'root/tvdc' });
    try {
      const rasd = new CimInstance('TVDc_ResourceAllocationSettingData');
      rasd.properties.set('ResourceType', new CimProperty('ResourceType', 'uint16', 31));
      rasd.properties.set('HostResource', new CimProperty('HostResource', 'string', [disk], true));
      const r = await conn.invokeMethod(CimObjectPath.parse(`root/tvdc:${vsms()}`), 'AddResourceSettings', {
        AffectedConfiguration: CimObjectPath.parse(`root/tvdc:TVDc_VirtualSystemSettingData.InstanceID="TVDc:${vm}"`),
        ResourceSettings: [rasd],
      });
      return Number(r.returnValue);
    } finally {
      await conn.close();
    }
  };
  const ss = () => p.service('TVDc_SecurityService');
  const vsms = () => p.service('TVDc_VirtualSystemManagementService');

  before(async () => {
    host = await startInProcessHost('h1');
    p = new HostPaths(host.origin, 'h1');
    expect(await cm(ss(), policyParam(POLICY_1_0))).to.equal(0);
    expect(await cm(vsms(), defineParam('su', 'SecurityUnderwriting'))).to.equal(0);
    expect(await cm(vsms(), defineParam('ma', 'MarketAnalysis'))).to.equal(0);
  });
  after(() => host?.stop());

  it('SU data, DeleteInstance, CreateInstance on the same ImagePath, MA VM: the new disk starts as zeros', async () => {
    expect((await wbemcli(['ci', p.url(p.disk('secret')), keys('secret', ',ImagePath="secret.img"')])).code).to.equal(0);
    expect(await cm(ss(), `AssignLabel.Label="SecurityUnderwriting",Element=${p.disk('secret')}`)).to.equal(0);
    expect(await attach('su', 'secret')).to.equal(0);
    expect(await cm(p.vm('su'), 'RequestStateChange.RequestedState=2')).to.equal(0);
    const file = await imagePath('secret');
    // What the SU workload wrote.
    writeFileSync(file, SECRET);
    // A second name for the file the host cannot see, to show the data is wiped, not only unlinked.
    const witness = join(dirname(dirname(file)), 'witness');
    linkSync(file, witness);
    expect(await cm(p.vm('su'), 'RequestStateChange.RequestedState=3')).to.equal(0);
    expect(await cm(vsms(), 'RemoveResourceSettings.ResourceSettings=TVDc_ResourceAllocationSettingData.InstanceID="TVDc:su:disk:secret"')).to.equal(0);
    const del = await wbemcli(['di', p.url(p.disk('secret'))]);
    expect(del.code, del.stderr).to.equal(0);
    expect(existsSync(file)).to.equal(false);
    const left = readFileSync(witness);
    rmSync(witness);
    expect(left.length).to.equal(SECRET.length);
    expect(left.every((b) => b === 0)).to.equal(true);

    expect((await wbemcli(['ci', p.url(p.disk('recycled')), keys('recycled', ',ImagePath="secret.img"')])).code).to.equal(0);
    expect(await imagePath('recycled')).to.equal(file);
    expect(await cm(ss(), `AssignLabel.Label="MarketAnalysis",Element=${p.disk('recycled')}`)).to.equal(0);
    expect(await attach('ma', 'recycled')).to.equal(0);
    expect(readFileSync(file).toString('utf8')).to.equal('\0'.repeat(SECRET.length));
  });

  it('CreateInstance on a file already in the disk directory: CIM_ERR_ALREADY_EXISTS, the file untouched', async () => {
    const planted = join(dirname(await imagePath('recycled')), 'planted.img');
    writeFileSync(planted, SECRET);
    const r = await wbemcli(['ci', p.url(p.disk('adopter')), keys('adopter', ',ImagePath="planted.img"')]);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.include('CIM_ERR_ALREADY_EXISTS').and.include('planted.img already exists');
    expect(readFileSync(planted, 'utf8')).to.equal(SECRET);
    expect((await wbemcli(['gi', p.url(p.disk('adopter'))])).stderr).to.include('CIM_ERR_NOT_FOUND');
  });

  it('CreateInstance on another disk\'s ImagePath: CIM_ERR_ALREADY_EXISTS naming that disk, no SQLite text', async () => {
    const r = await wbemcli(['ci', p.url(p.disk('alias')), keys('alias', ',ImagePath="secret.img"')]);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.include('CIM_ERR_ALREADY_EXISTS').and.include("disk 'recycled' already uses the file").and.not.include('UNIQUE');
  });
});
