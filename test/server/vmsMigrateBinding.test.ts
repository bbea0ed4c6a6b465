// `tvdc vms migrate` has the destination issue a ticket bound to what the server read of the VM on
// the source (its label, disks and segments), so a VM with a disk and a vTPM still moves; and a
// destination where another VM has a disk of that name refuses the VM, which keeps running on the
// source; one whose tickets would bind only the name (an older agent) gets no migration. A real server on a SQLite file, real host agents with users files and swtpm vTPMs on
// loopback; a relay in front of the destination keeps what the server asked of it.
import { expect } from 'chai';
import { join } from 'node:path';
import { type MethodResult } from '../../client/cim/index.js';
import { HostAgent } from '../../client/host/HostAgent.js';
import { CimInstance } from '../../src/cim/CimInstance.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { CimProperty } from '../../src/cim/CimProperty.js';
import { UserDirectory } from '../../src/wbem/UserDirectory.js';
import { Relay } from '../support/Relay.js';
import { openManagerKey } from '../../client/server/ManagerKey.js';
import { newStateDir, removeState, startLoggedInHost, type LoggedInHost } from '../providers/integrity/support/IntegrityHost.js';
import { client, createDisk, defineVm, ekOf, hostLabel, paperTvdc, requestState, runTvdc, service, startServer, tempDir, vm, type RunningServer } from './support/serverHarness.js';

const LOGIN = { user: 'mgmt', password: 'mgmt-secret-pw' };

type Host = LoggedInHost;
const startHost = (name: string, managerKey: string): Promise<Host> => startLoggedInHost(name, LOGIN, { managerKey });

const ok = (r: MethodResult) =>
  expect(Number(r.returnValue), String(r.outParams.get('Reason')?.value)).to.equal(0);

async function assignLabel(h: Host, label: string, element: CimObjectPath): Promise<void> {
  ok(await h.conn.invokeMethod(service(h.name, 'TVDc_SecurityService', 'SecurityService'), 'AssignLabel', { Label: label, Element: element }));
}

function diskPath(host: string, disk: string): CimObjectPath {
  return CimObjectPath.instance('TVDc_LogicalDisk', { SystemCreationClassName: 'TVDc_HostSystem', SystemName: host, CreationClassName: 'TVDc_LogicalDisk', DeviceID: disk }, 'root/tvdc');
}

async function attachDisk(h: Host, name: string, disk: string): Promise<void> {
  const rasd = new CimInstance('TVDc_ResourceAllocationSettingData');
  rasd.properties.set('ResourceType', new CimProperty('ResourceType', 'uint16', 31));
  rasd.properties.set('HostResource', new CimProperty('HostResource', 'string', [disk], true));
  ok(await h.conn.invokeMethod(service(h.name, 'TVDc_VirtualSystemManagementService', 'VirtualSystemManagementService'), 'AddResourceSettings', {
    AffectedConfiguration: CimObjectPath.instance('TVDc_VirtualSystemSettingData', { InstanceID: `TVDc:${name}` }, 'root/tvdc'), ResourceSettings: [rasd],
  }));
}

/** The disks each VM on the host has. */
async function disksByVm(h: Host): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const p of await h.conn.enumerateInstanceNames('TVDc_ComputerSystem').toArray()) out[String(p.key('Name'))] = [];
  for (const a of await h.conn.enumerateInstances('TVDc_ResourceAllocationSettingData').toArray()) {
    const m = /^TVDc:(.+):disk:(.+)$/.exec(String(a.get('InstanceID')));
    if (m) out[m[1]!]!.push(m[2]!);
  }
  return out;
}

describe('tvdc vms migrate: the destination\'s ticket binds the VM as the source has it', function () {
  this.timeout(90_000);
  const tmp = tempDir('tvdc-server-migrate-binding-');
  let a: Host;
  let b: Host;
  let srv: RunningServer;
  /** The server reaches b through this: what b was asked. */
  let toB: Relay;
  /** A host agent as it was before tickets bound anything: IssueMigrationTicket takes Name and ValidSeconds. */
  let prior: HostAgent;
  let priorState: string;

  before(async () => {
    // The server's key, made before its first start, so the hosts take its migration authorizations.
    const managerKey = openManagerKey(join(tmp.dir, 'server.db')).publicPem;
    [a, b] = await Promise.all([startHost('a', managerKey), startHost('b', managerKey)]);
    priorState = newStateDir('prior');
    const priorUsers = join(priorState, 'users.json');
    await UserDirectory.addUserToFile(priorUsers, LOGIN.user, 'write', LOGIN.password);
    prior = await HostAgent.open({ name: 'prior', stateDir: priorState, vtpm: 'off', users: UserDirectory.load(priorUsers), log: () => {} });
    const repo = prior.server.repository;
    const cls = repo.getLocalClass('root/tvdc', 'TVDc_VirtualSystemMigrationService').clone();
    const issue = cls.methods.get('IssueMigrationTicket')!;
    for (const p of ['SecurityLabel', 'Disks', 'Segments']) expect(issue.parameters.delete(p)).to.equal(true);
    repo.modifyClass('root/tvdc', cls);
    const priorOrigin = (await prior.listen({ port: 0, host: '127.0.0.1' })).http!;
    srv = await startServer(join(tmp.dir, 'server.db'));
    await srv.server.users.add('dc', 'dcadmin', 'dc-password');
    const dc = client(srv.url, 'dc', 'dc-password');
    toB = await new Relay(b.origin).start();
    await dc.post('/api/hosts', { url: a.origin, ...LOGIN });
    await dc.post('/api/hosts', { url: toB.origin, ...LOGIN });
    await dc.post('/api/hosts', { url: priorOrigin, ...LOGIN });
    await paperTvdc(dc, 'g', ['a', 'b', 'prior']);
    // mv: MarketAnalysis, with its disk mv-disk and a vTPM; the storage both hosts see has mv-disk.
    // sv: SecurityUnderwriting with sv-disk, a name b gave a disk of its own VM bv.
    for (const h of [a, b]) {
      await createDisk(h.conn, h.name, 'mv-disk');
      await assignLabel(h, 'MarketAnalysis', diskPath(h.name, 'mv-disk'));
      await createDisk(h.conn, h.name, 'sv-disk');
      await assignLabel(h, 'SecurityUnderwriting', diskPath(h.name, 'sv-disk'));
    }
    for (const [h, name, label, disk] of [[a, 'mv', 'MarketAnalysis', 'mv-disk'], [a, 'sv', 'SecurityUnderwriting', 'sv-disk'], [b, 'bv', 'SecurityUnderwriting', 'sv-disk']] as const) {
      await defineVm(h.conn, h.name, name);
      await assignLabel(h, label, vm(name));
      await attachDisk(h, name, disk);
      expect(await requestState(h.conn, name, 2)).to.include({ code: 0 });
    }
  });
  after(async () => {
    await srv?.server.stop();
    await toB?.stop();
    await a?.stop();
    await b?.stop();
    await prior?.stop();
    if (priorState) await removeState(priorState);
    tmp.remove();
  });

  it('moves a VM with a disk and a vTPM: the ticket the server asked for binds its label and disk, and it runs on b with both', async () => {
    const ek = await ekOf(a, 'mv');
    expect(ek).to.be.a('string').and.not.equal('');
    expect(await runTvdc(srv.url, 'dc', 'dc-password', 'vms', 'migrate', 'g', 'mv', '--to', 'b')).to.deep.equal({ code: 0, out: 'VM mv migrated from host a to host b (running)', err: '' });
    const asked = toB.sent;
    const call = asked.slice(asked.indexOf('NAME="IssueMigrationTicket"'));
    const param = (name: string) => new RegExp(`<PARAMVALUE NAME="${name}"[^>]*>([\\s\\S]*?)</PARAMVALUE>`).exec(call)?.[1]?.replace(/\s+/g, '');
    expect(param('Name')).to.equal('<VALUE>mv</VALUE>');
    expect(param('SecurityLabel')).to.equal('<VALUE>MarketAnalysis</VALUE>');
    expect(param('Disks')).to.equal('<VALUE.ARRAY><VALUE>mv-disk</VALUE></VALUE.ARRAY>');
    expect(param('Segments')).to.equal('<VALUE.ARRAY></VALUE.ARRAY>');
    expect(await hostLabel(b.conn, 'mv')).to.equal('ACM:tvdc-paper:MarketAnalysis');
    expect(await disksByVm(b)).to.deep.equal({ bv: ['sv-disk'], mv: ['mv-disk'] });
    expect(await ekOf(b, 'mv')).to.equal(ek);
    expect(await ekOf(a, 'mv')).to.equal(undefined);
  });

  it('a destination where another VM has a disk of that name refuses the VM (HOST_REFUSED, its reason); it keeps running on the source', async () => {
    const r = await runTvdc(srv.url, 'dc', 'dc-password', 'vms', 'migrate', 'g', 'sv', '--to', 'b');
    expect(r.code).to.equal(1);
    expect(r.err).to.match(/^tvdc: HOST_REFUSED: host a did not migrate VM sv to b /);
    expect(r.err).to.include("disk 'sv-disk' belongs to VM 'bv' on host 'b'");
    expect(await disksByVm(a)).to.deep.equal({ sv: ['sv-disk'] });
    expect(Number((await a.conn.getInstance(vm('sv'))).get('EnabledState'))).to.equal(2);
    expect(await disksByVm(b)).to.deep.equal({ bv: ['sv-disk'], mv: ['mv-disk'] });
  });

  it('a destination whose IssueMigrationTicket takes only the name (an older agent) is HOST_REFUSED naming what to upgrade; the VM keeps running on the source', async () => {
    const r = await runTvdc(srv.url, 'dc', 'dc-password', 'vms', 'migrate', 'g', 'sv', '--to', 'prior');
    expect(r.code).to.equal(1);
    expect(r.err).to.match(/^tvdc: HOST_REFUSED: host prior cannot issue a migration ticket for VM sv \(.*has no parameter SecurityLabel.*; an older tvdc host agent whose tickets bind only the VM name: upgrade it/);
    expect(Number((await a.conn.getInstance(vm('sv'))).get('EnabledState'))).to.equal(2);
  });
});
