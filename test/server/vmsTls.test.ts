// Migration between HTTPS hosts whose certificates a datacenter's own CA signs, which no system
// trust store knows: the management server verifies each host with the CA it keeps for it, and
// hands the destination's CA to the source host with the migration (DestinationCA), so the
// source verifies the destination the same way instead of failing, or trusting anything.
import { expect } from 'chai';
import { join } from 'node:path';
import { WbemConnection } from '../../client/cim/index.js';
import { selfSignedCert } from '../wbem/support/selfSignedCert.js';
import { startTestHost, type TestHost } from './support/testHost.js';
import { openManagerKey } from '../../client/server/ManagerKey.js';
import { signMigrationAuthorization } from '../../src/tvdc/MigrationAuthorization.js';
import { client, defineVm, paperTvdc, refused, service, startServer, tempDir, vm, type RunningServer } from './support/serverHarness.js';

const LOGIN = { user: 'mgmt', password: 'tls-host-secret' };

describe('management server: migration between HTTPS hosts of a private CA', function () {
  this.timeout(60_000);
  const tmp = tempDir('tvdc-vms-tls-');
  const tls = selfSignedCert();
  let a: TestHost, b: TestHost;
  let srv: RunningServer;
  // The certificate names localhost, so the hosts are addressed by that name.
  const https = (h: TestHost) => h.httpsOrigin!.replace('127.0.0.1', 'localhost');
  const cim = (h: TestHost) => new WbemConnection(https(h), { namespace: 'root/tvdc', user: LOGIN.user, password: LOGIN.password, tls: { ca: tls.cert } });

  before(async () => {
    // The server's key, made before its first start, so the hosts take its migration authorizations.
    const managerKey = openManagerKey(join(tmp.dir, 'server.db')).publicPem;
    [a, b] = await Promise.all([startTestHost('a', { login: LOGIN, tls, managerKey }), startTestHost('b', { login: LOGIN, tls, managerKey })]);
    const ca = cim(a);
    await defineVm(ca, 'a', 'mv');
    await ca.close();
    srv = await startServer(join(tmp.dir, 'server.db'));
    await srv.server.users.add('dc', 'dcadmin', 'dc-password');
    const dc = client(srv.url, 'dc', 'dc-password');
    for (const h of [a, b]) await dc.post('/api/hosts', { url: https(h), ...LOGIN, ca: tls.cert });
    await paperTvdc(dc, 'g', ['a', 'b']);
    await dc.put('/api/groups/g/vms/mv/label', { label: 'MarketAnalysis' });
    await dc.post('/api/groups/g/vms/mv/start', {});
  });
  after(async () => {
    await srv?.server.stop();
    await Promise.all([a?.stop(), b?.stop()]);
    tmp.remove();
  });

  it('a host asked without DestinationCA cannot verify the destination and refuses at once (4), as it refuses a DestinationCA that is no certificate', async () => {
    const ca = cim(a);
    try {
      const dest = new URL(https(b));
      dest.username = LOGIN.user;
      dest.password = LOGIN.password;
      // The write login needs the server's statement for this move (b runs without vTPMs: no key to bind).
      const authorization = signMigrationAuthorization({ vm: 'mv', source: 'a', destination: dest.origin, destinationKey: null }, openManagerKey(join(tmp.dir, 'server.db')).privateKey);
      const call = (extra: Record<string, unknown>) => ca.invokeMethod(service('a', 'TVDc_VirtualSystemMigrationService', 'VirtualSystemMigrationService'), 'MigrateVirtualSystemToHost', {
        ComputerSystem: vm('mv'), DestinationHost: dest.toString(), MigrationAuthorization: authorization, ...extra,
      });
      const without = await call({});
      expect(Number(without.returnValue)).to.equal(4);
      expect(String(without.outParams.get('Reason')?.value)).to.match(/not reachable as a tvdc host agent: .*certificate/i).and.not.include(LOGIN.password);
      const bad = await call({ DestinationCA: 'not a certificate' });
      expect([Number(bad.returnValue), String(bad.outParams.get('Reason')?.value)]).to.deep.equal([4, 'DestinationCA must be PEM certificate text (-----BEGIN CERTIFICATE-----)']);
    } finally {
      await ca.close();
    }
  });

  it('the management server migrates the VM: the source verifies the destination with the CA the server keeps for it', async () => {
    const dc = client(srv.url, 'dc', 'dc-password');
    expect(await dc.post('/api/groups/g/vms/mv/migrate', { to: 'b' })).to.deep.equal({ group: 'g', vm: 'mv', from: 'a', to: 'b', state: 'running' });
    const cb = cim(b);
    try {
      expect(Number((await cb.getInstance(vm('mv'))).get('EnabledState'))).to.equal(2);
    } finally {
      await cb.close();
    }
    await refused(dc.post('/api/groups/g/vms/mv/migrate', { to: 'b' }), 409, 'CONFLICT');
  });
});
