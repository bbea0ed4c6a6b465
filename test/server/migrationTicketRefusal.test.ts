// A destination that cannot issue a migration ticket (an agent from before IssueMigrationTicket:
// its TVDc_VirtualSystemMigrationService has no such method) gets no migration: HOST_REFUSED
// saying why, the VM keeps running on the source, and the source is never asked, so it never
// learns anything of the destination, least of all the server's password for it. Real host
// agents on loopback, the older one's schema without the method; a relay shows what the source got.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostAgent } from '../../client/host/HostAgent.js';
import { UserDirectory } from '../../src/wbem/UserDirectory.js';
import { Relay } from '../support/Relay.js';
import { startTestHost, type TestHost } from './support/testHost.js';
import { client, defineVm, paperTvdc, refused, startServer, tempDir, tvdcConnection, vm, type RunningServer } from './support/serverHarness.js';

const OLD_LOGIN = { user: 'mgmt', password: 'old-host-secret-pw' };

describe('management server: a destination that cannot issue a migration ticket', function () {
  this.timeout(60_000);
  const tmp = tempDir('tvdc-ticket-refusal-');
  let a: TestHost;
  let old: HostAgent;
  let oldOrigin: string;
  let toA: Relay;
  let srv: RunningServer;

  before(async () => {
    a = await startTestHost('a');
    const state = mkdtempSync(join(tmpdir(), 'tvdc-old-host-'));
    const usersFile = join(state, 'users.json');
    await UserDirectory.addUserToFile(usersFile, OLD_LOGIN.user, 'write', OLD_LOGIN.password);
    old = await HostAgent.open({ name: 'old', stateDir: state, vtpm: 'off', users: UserDirectory.load(usersFile), log: () => {} });
    // The schema as it was before the ticket: the migration service without IssueMigrationTicket.
    const repo = old.server.repository;
    const cls = repo.getLocalClass('root/tvdc', 'TVDc_VirtualSystemMigrationService').clone();
    expect(cls.methods.delete('IssueMigrationTicket')).to.equal(true);
    repo.modifyClass('root/tvdc', cls);
    oldOrigin = (await old.listen({ port: 0, host: '127.0.0.1' })).http!;
    const stopOld = old.stop.bind(old);
    old.stop = async () => { await stopOld(); rmSync(state, { recursive: true, force: true }); };

    toA = await new Relay(a.origin).start();
    const ca = tvdcConnection(a.origin);
    await defineVm(ca, 'a', 'mv');
    await ca.close();
    srv = await startServer(join(tmp.dir, 'server.db'));
    await srv.server.users.add('dc', 'dcadmin', 'dc-password');
    const dc = client(srv.url, 'dc', 'dc-password');
    await dc.post('/api/hosts', { url: toA.origin });
    await dc.post('/api/hosts', { url: oldOrigin, ...OLD_LOGIN });
    await paperTvdc(dc, 'g', ['a', 'old']);
    await dc.put('/api/groups/g/vms/mv/label', { label: 'MarketAnalysis' });
    await dc.post('/api/groups/g/vms/mv/start', {});
  });
  after(async () => {
    await srv?.server.stop();
    await toA?.stop();
    await old?.stop();
    await a?.stop();
    tmp.remove();
  });

  it('is HOST_REFUSED naming the missing method; the VM keeps running on the source, which was never asked to migrate', async () => {
    const dc = client(srv.url, 'dc', 'dc-password');
    const before = toA.sent.length;
    const msg = await refused(dc.post('/api/groups/g/vms/mv/migrate', { to: 'old' }), 502, 'HOST_REFUSED');
    expect(msg).to.match(/^host old cannot issue a migration ticket for VM mv \(/);
    expect(msg).to.include('CIM_ERR_METHOD_NOT_FOUND').and.include('an older tvdc host agent: upgrade it').and.include('VM mv did not move');
    expect(msg).to.not.include(OLD_LOGIN.password);
    const ca = tvdcConnection(a.origin);
    try {
      expect(Number((await ca.getInstance(vm('mv'))).get('EnabledState'))).to.equal(2);
    } finally {
      await ca.close();
    }
    const sent = toA.sent.slice(before);
    expect(sent).to.not.include('MigrateVirtualSystemToHost');
    expect(toA.sent).to.not.include(OLD_LOGIN.password);
    expect(srv.log.some((l) => l.startsWith('TVDc g: migration of VM mv from a to old by dc: HOST_REFUSED: host old cannot issue a migration ticket'))).to.equal(true);
  });
});
