// A migration ticket admits the VM as the management server saw it on the source: its label, and
// no disk or segment it does not name. And whoever calls AcceptMigration, an arriving VM never gets
// a disk another VM on the destination has. A real host agent with a users file on loopback,
// called as the ticket's holder (the source host, or whoever read the ticket on its way) would.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CimError, CimStatus, ClientError, WbemConnection, type MethodResult } from '../../../client/cim/index.js';
import { CimInstance } from '../../../src/cim/CimInstance.js';
import { CimObjectPath } from '../../../src/cim/CimObjectPath.js';
import { CimProperty } from '../../../src/cim/CimProperty.js';
import { UserDirectory } from '../../../src/wbem/UserDirectory.js';
import { HostAgent } from '../../../client/host/HostAgent.js';
import { POLICY_1_0 } from './support/wbemcli.js';

const MGMT = { user: 'mgmt', password: 'mgmt-secret-pw' };
const NS = 'root/tvdc';

const service = (cls: string, name: string) => CimObjectPath.instance(cls, {
  CreationClassName: cls, Name: name, SystemCreationClassName: 'TVDc_HostSystem', SystemName: 'h2',
}, NS);
const migration = service('TVDc_VirtualSystemMigrationService', 'VirtualSystemMigrationService');
const vsms = service('TVDc_VirtualSystemManagementService', 'VirtualSystemManagementService');
const security = service('TVDc_SecurityService', 'SecurityService');
const vmPath = (name: string) => CimObjectPath.instance('TVDc_ComputerSystem', { CreationClassName: 'TVDc_ComputerSystem', Name: name }, NS);
const diskPath = (name: string) => CimObjectPath.instance('TVDc_LogicalDisk', {
  SystemCreationClassName: 'TVDc_HostSystem', SystemName: 'h2', CreationClassName: 'TVDc_LogicalDisk', DeviceID: name,
}, NS);
const strings = (value: string[]) => ({ type: 'string', isArray: true, value }) as const;

interface Binding {
  label: string;
  disks: string[];
  segments?: string[];
}

describe('isolation providers: a migration ticket binds the label, disks and segments it admits', function () {
  this.timeout(60_000);
  let dir: string;
  let agent: HostAgent;
  let origin: string;
  /** As the host's write user (the management server's login). */
  let conn: WbemConnection;
  const open: WbemConnection[] = [];

  const ok = (r: MethodResult) =>
    expect(Number(r.returnValue), String(r.outParams.get('Reason')?.value)).to.equal(0);

  const issue = async (vm: string, b: Binding): Promise<WbemConnection> => {
    const r = await conn.invokeMethod(migration, 'IssueMigrationTicket', {
      Name: vm, SecurityLabel: b.label, Disks: strings(b.disks), Segments: strings(b.segments ?? []),
    });
    ok(r);
    const c = new WbemConnection(origin, { namespace: NS, user: String(r.outParams.get('User')?.value), password: String(r.outParams.get('Ticket')?.value), retries: 0 });
    open.push(c);
    return c;
  };
  const accept = (c: WbemConnection, vm: string, b: Binding) => c.invokeMethod(migration, 'AcceptMigration', {
    Name: vm, SecurityLabel: b.label, SourceHost: 'h1', Disks: strings(b.disks), Segments: strings(b.segments ?? []),
  });
  /** The description of the CIM error `p` fails with, which must be CIM_ERR_ACCESS_DENIED. */
  const denied = async (p: Promise<unknown>): Promise<string> => {
    try {
      await p;
    } catch (e) {
      expect(e, String(e)).to.be.instanceOf(CimError);
      expect((e as CimError).status).to.equal(CimStatus.CIM_ERR_ACCESS_DENIED);
      return (e as CimError).description;
    }
    expect.fail('the call succeeded');
  };
  const spent = async (c: WbemConnection) => {
    try {
      await c.enumerateInstanceNames('TVDc_VirtualSystemMigrationService').toArray();
      expect.fail('the ticket still logs in');
    } catch (e) {
      expect(e).to.be.instanceOf(ClientError);
      expect((e as ClientError).code).to.equal('AUTH_REQUIRED');
    }
  };
  /** Each VM here with the disks it has. */
  const disksByVm = async (): Promise<Record<string, string[]>> => {
    const out: Record<string, string[]> = {};
    for (const p of await conn.enumerateInstanceNames('TVDc_ComputerSystem').toArray()) out[String(p.key('Name'))] = [];
    for (const a of await conn.enumerateInstances('TVDc_ResourceAllocationSettingData').toArray()) {
      const m = /^TVDc:(.+):disk:(.+)$/.exec(String(a.get('InstanceID')));
      if (m) out[m[1]!]!.push(m[2]!);
    }
    return out;
  };
  const createDisk = async (name: string, label: string) => {
    const disk = new CimInstance('TVDc_LogicalDisk');
    for (const [k, v] of Object.entries({ SystemCreationClassName: 'TVDc_HostSystem', SystemName: 'h2', CreationClassName: 'TVDc_LogicalDisk', DeviceID: name })) {
      disk.properties.set(k, new CimProperty(k, 'string', v));
    }
    await conn.createInstance(disk);
    ok(await conn.invokeMethod(security, 'AssignLabel', { Label: label, Element: diskPath(name) }));
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tvdc-ticket-binding-'));
    const file = join(dir, 'users.json');
    await UserDirectory.addUserToFile(file, MGMT.user, 'write', MGMT.password);
    const started = await HostAgent.start({ name: 'h2', stateDir: dir, vtpm: 'off', users: UserDirectory.load(file), log: () => {} }, { port: 0, host: '127.0.0.1' });
    agent = started.agent;
    origin = started.urls.http!;
    conn = new WbemConnection(origin, { namespace: NS, ...MGMT });
    ok(await conn.invokeMethod(security, 'SetPolicy', { PolicyXML: readFileSync(POLICY_1_0, 'utf8') }));
    // v2, a SecurityUnderwriting workload running with its disk d-su; d-ma, a MarketAnalysis disk no VM has.
    const settings = new CimInstance('TVDc_VirtualSystemSettingData');
    settings.properties.set('ElementName', new CimProperty('ElementName', 'string', 'v2'));
    settings.properties.set('SecurityLabel', new CimProperty('SecurityLabel', 'string', 'SecurityUnderwriting'));
    ok(await conn.invokeMethod(vsms, 'DefineSystem', { SystemSettings: settings }));
    await createDisk('d-su', 'SecurityUnderwriting');
    await createDisk('d-ma', 'MarketAnalysis');
    const rasd = new CimInstance('TVDc_ResourceAllocationSettingData');
    rasd.properties.set('ResourceType', new CimProperty('ResourceType', 'uint16', 31));
    rasd.properties.set('HostResource', new CimProperty('HostResource', 'string', ['d-su'], true));
    ok(await conn.invokeMethod(vsms, 'AddResourceSettings', {
      AffectedConfiguration: CimObjectPath.instance('TVDc_VirtualSystemSettingData', { InstanceID: 'TVDc:v2' }, NS), ResourceSettings: [rasd],
    }));
    ok(await conn.invokeMethod(vmPath('v2'), 'RequestStateChange', { RequestedState: { type: 'uint16', value: 2 } }));
    expect(await disksByVm()).to.deep.equal({ v2: ['d-su'] });
  });
  after(async () => {
    await Promise.all(open.map((c) => c.close()));
    await conn?.close();
    await agent?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('AcceptMigration under another label (the bootstrap label, an unlabeled VM, another policy\'s label) is CIM_ERR_ACCESS_DENIED, and the ticket is spent', async () => {
    const bound = { label: 'MarketAnalysis', disks: ['d-ma'] };
    const c = await issue('v3', bound);
    expect(await denied(accept(c, 'v3', { ...bound, label: 'ACM:tvdc-paper:SystemManagement' })))
      .to.equal("tvdc-migration holds a ticket for the migration of VM 'v3', labeled 'MarketAnalysis', not 'SystemManagement'; the ticket is spent");
    await spent(c);
    expect(await denied(accept(await issue('v3', bound), 'v3', { ...bound, label: '' }))).to.include("labeled 'MarketAnalysis', not unlabeled");
    expect(await denied(accept(await issue('v3', bound), 'v3', { ...bound, label: 'ACM:other:MarketAnalysis' }))).to.include("not '(unreadable: ACM:other:MarketAnalysis)'");
    // An unlabeled VM's ticket admits no label either.
    expect(await denied(accept(await issue('v3', { label: '', disks: [] }), 'v3', { label: 'MarketAnalysis', disks: [] }))).to.include('labeled unlabeled, not \'MarketAnalysis\'');
    expect(await disksByVm()).to.deep.equal({ v2: ['d-su'] });
  });

  it('AcceptMigration with a disk or segment the ticket does not bind is CIM_ERR_ACCESS_DENIED, and the ticket is spent', async () => {
    const c = await issue('v3', { label: 'SecurityUnderwriting', disks: ['d-ma'] });
    expect(await denied(accept(c, 'v3', { label: 'SecurityUnderwriting', disks: ['d-ma', 'd-su'] })))
      .to.equal("tvdc-migration holds a ticket for the migration of VM 'v3', which brings no disk 'd-su' (it binds 'd-ma'); the ticket is spent");
    await spent(c);
    expect(await denied(accept(await issue('v3', { label: 'SecurityUnderwriting', disks: [] }), 'v3', { label: 'SecurityUnderwriting', disks: ['d-su'] })))
      .to.include("which brings no disk 'd-su' (it binds none)");
    expect(await denied(accept(await issue('v3', { label: 'MarketAnalysis', disks: [], segments: ['ma-net'] }), 'v3', { label: 'MarketAnalysis', disks: [], segments: ['ma-net', 'su-net'] })))
      .to.include("which brings no segment 'su-net' (it binds 'ma-net')");
    expect(await disksByVm()).to.deep.equal({ v2: ['d-su'] });
  });

  it('admits exactly what it binds, and less (a disk detached on the source meanwhile): never more', async () => {
    ok(await accept(await issue('v3', { label: 'MarketAnalysis', disks: ['d-ma'] }), 'v3', { label: 'ACM:tvdc-paper:MarketAnalysis', disks: ['d-ma'] }));
    ok(await accept(await issue('v4', { label: 'MarketAnalysis', disks: ['d-ma', 'gone'] }), 'v4', { label: 'MarketAnalysis', disks: [] }));
    expect(await disksByVm()).to.deep.equal({ v2: ['d-su'], v3: ['d-ma'], v4: [] });
  });

  it('a disk another VM here has is refused (2), whoever calls: a ticket that binds it, or the host\'s own write login', async () => {
    const bound = { label: 'SecurityUnderwriting', disks: ['d-su'] };
    const c = await issue('v5', bound);
    const r = await accept(c, 'v5', bound);
    expect(Number(r.returnValue)).to.equal(2);
    expect(String(r.outParams.get('Reason')?.value)).to.equal("migrate-in of 'v5' refused: disk 'd-su' belongs to VM 'v2' on host 'h2'; an arriving VM brings only disks no VM here has");
    await spent(c);
    const own = await accept(conn, 'v5', bound);
    expect(Number(own.returnValue)).to.equal(2);
    expect(String(own.outParams.get('Reason')?.value)).to.include("disk 'd-su' belongs to VM 'v2'");
    // Nor one a stopped VM has: d-ma is v3's, whose workload it holds, until sanitized.
    ok(await conn.invokeMethod(vmPath('v3'), 'RequestStateChange', { RequestedState: { type: 'uint16', value: 3 } }));
    const stopped = await accept(conn, 'v6', { label: 'MarketAnalysis', disks: ['d-ma'] });
    expect(String(stopped.outParams.get('Reason')?.value)).to.include("disk 'd-ma' belongs to VM 'v3'");
    expect(await disksByVm()).to.deep.equal({ v2: ['d-su'], v3: ['d-ma'], v4: [] });
  });
});
