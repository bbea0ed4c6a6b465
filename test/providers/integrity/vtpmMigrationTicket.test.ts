// A VM with a vTPM migrated between host agents that demand logins, the source holding nothing
// of the destination's but a one-time ticket (IssueMigrationTicket): the ticket reads the
// destination's MigrationPublicKey, the vTPM is sealed to it and arrives with its EK, and the ticket
// is spent. Real swtpm, SQLite, CIM over loopback HTTP.
import { expect } from 'chai';
import { TEST_MANAGER_KEY, migrationAuthorization } from '../../support/managerKey.js';
import { readFileSync } from 'node:fs';
import { ClientError, WbemConnection, waitForJob } from '../../../client/cim/index.js';
import { CimInstance } from '../../../src/cim/CimInstance.js';
import { CimObjectPath } from '../../../src/cim/CimObjectPath.js';
import { CimProperty } from '../../../src/cim/CimProperty.js';
import { POLICY_1_0 } from '../isolation/support/wbemcli.js';
import { vmPath } from './support/attest.js';
import { migrationKey, vtpmServicePath } from './support/migration.js';
import { startLoggedInHost, type LoggedInHost } from './support/IntegrityHost.js';

const LOGIN = { user: 'mgmt', password: 'vtpm-host-secret' };

type Host = LoggedInHost;
const startHost = (name: string): Promise<Host> => startLoggedInHost(name, LOGIN, { managerKey: TEST_MANAGER_KEY });

const service = (host: string, cls: string, name: string) => CimObjectPath.instance(cls, {
  CreationClassName: cls, Name: name, SystemCreationClassName: 'TVDc_HostSystem', SystemName: host,
}, 'root/tvdc');

/** The EK certificate of the VM's vTPM on `h`, or undefined when it has none there. */
async function ekOf(h: Host, vm: string): Promise<string | undefined> {
  for await (const i of h.conn.enumerateInstances('TVDc_VTPM')) if (i.get('SystemName') === vm) return String(i.get('EKCertificate'));
  return undefined;
}

describe('integrity providers: a vTPM migrates with a one-time ticket for the destination (real swtpm)', function () {
  this.timeout(90_000);
  let h1: Host;
  let h2: Host;
  const others: WbemConnection[] = [];

  const issue = async (vm: string) => {
    const r = await h2.conn.invokeMethod(service('h2', 'TVDc_VirtualSystemMigrationService', 'VirtualSystemMigrationService'), 'IssueMigrationTicket', {
      // What 'tv' has on h1: the ticket admits that label and no disk or segment.
      Name: vm, SecurityLabel: 'MarketAnalysis', Disks: { type: 'string', isArray: true, value: [] }, Segments: { type: 'string', isArray: true, value: [] },
    });
    expect(Number(r.returnValue), String(r.outParams.get('Reason')?.value)).to.equal(0);
    return { user: String(r.outParams.get('User')?.value), ticket: String(r.outParams.get('Ticket')?.value) };
  };
  const asHolder = (t: { user: string; ticket: string }) => {
    const c = new WbemConnection(h2.origin, { namespace: 'root/tvdc', user: t.user, password: t.ticket, retries: 0 });
    others.push(c);
    return c;
  };

  before(async () => {
    [h1, h2] = await Promise.all([startHost('h1'), startHost('h2')]);
    for (const h of [h1, h2]) {
      const r = await h.conn.invokeMethod(service(h.name, 'TVDc_SecurityService', 'SecurityService'), 'SetPolicy', { PolicyXML: readFileSync(POLICY_1_0, 'utf8') });
      expect(Number(r.returnValue), String(r.outParams.get('Reason')?.value)).to.equal(0);
    }
    const settings = new CimInstance('TVDc_VirtualSystemSettingData');
    settings.properties.set('ElementName', new CimProperty('ElementName', 'string', 'tv'));
    settings.properties.set('SecurityLabel', new CimProperty('SecurityLabel', 'string', 'MarketAnalysis'));
    const d = await h1.conn.invokeMethod(service('h1', 'TVDc_VirtualSystemManagementService', 'VirtualSystemManagementService'), 'DefineSystem', { SystemSettings: settings });
    expect(Number(d.returnValue), String(d.outParams.get('Reason')?.value)).to.equal(0);
    expect(Number((await h1.conn.invokeMethod(vmPath('tv'), 'RequestStateChange', { RequestedState: { type: 'uint16', value: 2 } })).returnValue)).to.equal(0);
  });
  after(async () => {
    await Promise.all(others.map((c) => c.close()));
    await h1?.stop();
    await h2?.stop();
  });

  it('the ticket reads the destination\'s MigrationPublicKey (the same the host\'s own user reads), and reading spends nothing', async () => {
    const t = await issue('tv');
    const holder = asHolder(t);
    const own = await migrationKey(h2.conn, 'h2');
    expect(own).to.include('-----BEGIN PUBLIC KEY-----');
    expect(await migrationKey(holder, 'h2')).to.equal(own);
    const keys: unknown[] = [];
    for await (const i of holder.enumerateInstances('TVDc_VTPMManagementService', { propertyList: ['MigrationPublicKey'] })) keys.push(i.get('MigrationPublicKey'));
    expect(keys).to.deep.equal([own]);
    expect((await holder.getInstance(vtpmServicePath('h2'))).get('MigrationPublicKey')).to.equal(own);
  });

  it('the source moves the VM with its vTPM (same EK) holding only the ticket, which is spent afterwards', async () => {
    const ek = await ekOf(h1, 'tv');
    expect(ek).to.be.a('string').and.not.equal('');
    const t = await issue('tv');
    const dest = new URL(h2.origin);
    dest.username = t.user;
    dest.password = t.ticket;
    const r = await h1.conn.invokeMethod(service('h1', 'TVDc_VirtualSystemMigrationService', 'VirtualSystemMigrationService'), 'MigrateVirtualSystemToHost', {
      // mgmt has the role write: it migrates with the management server's statement for this move.
      ComputerSystem: vmPath('tv'), DestinationHost: dest.toString(), MigrationAuthorization: await migrationAuthorization('tv', 'h1', h2.origin, h2.conn),
    });
    expect(Number(r.returnValue), String(r.outParams.get('Reason')?.value)).to.equal(4096);
    const job = await waitForJob(h1.conn, r.outParams.get('Job')!.value as CimObjectPath, { timeoutMs: 30_000 });
    expect(Number(job.get('JobState')), String(job.get('ErrorDescription'))).to.equal(7);
    expect(await ekOf(h1, 'tv')).to.equal(undefined);
    expect(await ekOf(h2, 'tv')).to.equal(ek);
    expect(Number((await h2.conn.getInstance(vmPath('tv'))).get('EnabledState'))).to.equal(2);
    try {
      await migrationKey(asHolder(t), 'h2');
      expect.fail('the spent ticket still logs in');
    } catch (e) {
      expect(e).to.be.instanceOf(ClientError);
      expect((e as ClientError).code).to.equal('AUTH_REQUIRED');
    }
  });
});
