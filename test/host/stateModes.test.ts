// A host's state is its own: the --state directory and everything tvdc-host makes in it (host.db
// with its journal files, the disk directory and disk images, vTPM state) is closed to group and
// others, whatever the umask it was started with.
import { expect } from 'chai';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WbemConnection } from '../../client/cim/index.js';
import { HostAgent } from '../../client/host/HostAgent.js';
import { CimInstance } from '../../src/cim/CimInstance.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { CimProperty } from '../../src/cim/CimProperty.js';
import { findSwtpmProcesses, killAndWait } from '../../src/tvdc/vtpm/SwtpmProcess.js';
import { HostPaths, POLICY_1_0, defineParam, methodOutput, policyParam, wbemcli } from '../providers/isolation/support/wbemcli.js';
import { spawnTvdcHost } from '../support/TvdcHostProcess.js';

/** Every path under `root` (itself included) whose mode gives group or others any access, with that mode. */
function openToOthers(root: string): string[] {
  const out: string[] = [];
  const walk = (p: string): void => {
    const st = lstatSync(p);
    if (st.mode & 0o077) out.push(`${p.slice(root.length) || '.'} ${(st.mode & 0o777).toString(8)}`);
    if (st.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
  };
  walk(root);
  return out;
}

function names(root: string): string[] {
  const out: string[] = [];
  const walk = (p: string, rel: string): void => {
    for (const e of readdirSync(p, { withFileTypes: true })) {
      out.push(join(rel, e.name));
      if (e.isDirectory()) walk(join(p, e.name), join(rel, e.name));
    }
  };
  walk(root, '');
  return out;
}

/** Policy, an MA VM with a disk of its own, started: what makes a host write to its state. */
async function populate(origin: string, host: string): Promise<void> {
  const p = new HostPaths(origin, host);
  const cm = async (target: string, call: string) => {
    const r = await wbemcli(['cm', p.url(target), call]);
    expect(r.stderr, r.stderr).to.equal('');
    return methodOutput(r.stdout).returnValue;
  };
  const ss = p.service('TVDc_SecurityService');
  const vsms = p.service('TVDc_VirtualSystemManagementService');
  expect(await cm(ss, policyParam(POLICY_1_0))).to.equal(0);
  expect(await cm(vsms, defineParam('ma', 'MarketAnalysis'))).to.equal(0);
  const ci = await wbemcli(['ci', p.url(p.disk('ma-disk')), `SystemCreationClassName="TVDc_HostSystem",SystemName="${host}",CreationClassName="TVDc_LogicalDisk",DeviceID="ma-disk",NumberOfBlocks=8,BlockSize=512`]);
  expect(ci.code, ci.stderr).to.equal(0);
  expect(await cm(ss, `AssignLabel.Label="MarketAnalysis",Element=${p.disk('ma-disk')}`)).to.equal(0);
  const conn = new WbemConnection(origin, { namespace: 'root/tvdc' });
  try {
    const rasd = new CimInstance('TVDc_ResourceAllocationSettingData');
    rasd.properties.set('ResourceType', new CimProperty('ResourceType', 'uint16', 31));
    rasd.properties.set('HostResource', new CimProperty('HostResource', 'string', ['ma-disk'], true));
    const r = await conn.invokeMethod(CimObjectPath.parse(`root/tvdc:${vsms}`), 'AddResourceSettings', {
      AffectedConfiguration: CimObjectPath.parse('root/tvdc:TVDc_VirtualSystemSettingData.InstanceID="TVDc:ma"'),
      ResourceSettings: [rasd],
    });
    expect(Number(r.returnValue)).to.equal(0);
  } finally {
    await conn.close();
  }
  expect(await cm(p.vm('ma'), 'RequestStateChange.RequestedState=2')).to.equal(0);
}

describe('host state directory: closed to group and others', function () {
  this.timeout(60_000);
  let dir: string;
  let umask: number;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tvdc-modes-'));
    // The common default, which leaves files readable by all unless modes are set explicitly.
    umask = process.umask(0o022);
  });
  afterEach(async () => {
    process.umask(umask);
    for (const p of findSwtpmProcesses(dir)) await killAndWait(p.pid);
    rmSync(dir, { recursive: true, force: true });
  });

  it('tvdc-host --state with swtpm: after a disk is created and a VM with a vTPM started, nothing under it is group/other accessible', async () => {
    const state = join(dir, 'var', 'h1');
    const h = await spawnTvdcHost(['--name', 'h1', '--port', '0', '--state', state, '--vtpm', 'swtpm']);
    try {
      await populate(h.origin, 'h1');
    } finally {
      await h.stop();
    }
    const made = names(state);
    expect(made).to.include.members(['host.db', join('disks', 'ma-disk.img'), 'vtpm']);
    expect(made.some((n) => n.startsWith(join('vtpm', 'instances')))).to.equal(true);
    expect(openToOthers(state)).to.deep.equal([]);
    // The parent tvdc-host made for it is private too; the temporary directory above is not touched.
    expect(statSync(join(dir, 'var')).mode & 0o777).to.equal(0o700);
  });

  it('the host agent in-process (umask 022, no vTPM): the state directory, host.db and its journal files, disks and images are 0700/0600 by their own modes', async () => {
    const state = join(dir, 'h2');
    const { agent, urls } = await HostAgent.start({ name: 'h2', stateDir: state, vtpm: 'off', log: () => {} }, { port: 0, host: '127.0.0.1' });
    try {
      await populate(urls.http!, 'h2');
      const made = names(state);
      expect(made).to.include.members(['host.db', 'host.db-wal', 'host.db-shm', 'disks', join('disks', 'ma-disk.img')]);
      expect(openToOthers(state)).to.deep.equal([]);
    } finally {
      await agent.stop();
    }
  });

  it('a state directory that was already open to others is left as it is, with a warning; what the agent makes in it is private', async () => {
    const state = join(dir, 'shared');
    mkdirSync(state);
    chmodSync(state, 0o755);
    const log: string[] = [];
    const agent = await HostAgent.open({ name: 'h3', stateDir: state, vtpm: 'off', log: (l) => void log.push(l) });
    try {
      expect(log).to.deep.equal([`state directory ${state} is open to other users (mode 755); what tvdc-host creates in it is private, but chmod 700 it to keep others from the rest`]);
      expect(statSync(state).mode & 0o777).to.equal(0o755);
      expect(openToOthers(state)).to.deep.equal(['. 755']);
    } finally {
      await agent.stop();
    }
  });
});
