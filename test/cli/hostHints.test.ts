// The hints in the management server's host errors name what its users can give: --host-cacert,
// --host-user and --host-password (or tvdc hosts credentials for a managed host), never a CIM
// client's -cacert or URL user info; tvdc-cim keeps its own. Real HTTPS and login-demanding hosts.
import { expect } from 'chai';
import { join } from 'node:path';
import { ClientError } from '../../client/cim/ClientError.js';
import { WbemConnection } from '../../client/cim/WbemConnection.js';
import { hostFailure } from '../../client/server/hostFailure.js';
import { selfSignedCert } from '../wbem/support/selfSignedCert.js';
import { runTvdc, startServer, tempDir, type RunningServer } from '../server/support/serverHarness.js';
import { startTestHost, type TestHost } from '../server/support/testHost.js';

describe('cli: host TLS and login hints fit the tvdc user', function () {
  this.timeout(30_000);
  const tmp = tempDir('tvdc-hints-');
  let srv: RunningServer;
  let host: TestHost;
  const tvdc = (args: string[]) => runTvdc(srv.url, 'root', 'root-password', ...args);

  before(async () => {
    srv = await startServer(join(tmp.dir, 'server.db'));
    await srv.server.users.add('root', 'dcadmin', 'root-password');
    host = await startTestHost('hinted', { login: { user: 'mgmt', password: 'host-secret-pw' }, tls: selfSignedCert() });
  });
  after(async () => {
    await host?.stop();
    await srv?.server.stop();
    tmp.remove();
  });

  it('an HTTPS host whose CA is not given: --host-cacert, not tvdc-cim\'s -cacert/-noverify', async () => {
    const r = await tvdc(['hosts', 'discover', host.httpsOrigin!, '--host-user', 'mgmt', '--host-password', 'host-secret-pw']);
    expect(r.out).to.contain('HOST_UNREACHABLE').and.contain("; give the host's CA with --host-cacert FILE");
    expect(r.out).to.not.contain('-noverify').and.not.contain('tls.ca');
  });

  it('a wrong host password: one hint, --host-user and --host-password, not the URL user info form', async () => {
    const r = await tvdc(['hosts', 'add', host.origin, '--host-user', 'mgmt', '--host-password', 'wrong-password']);
    expect(r.code).to.equal(1);
    expect(r.err).to.match(/^tvdc: HOST_REFUSED: .*authentication failed \(HTTP 401.*\) with user "mgmt"; give the host's user and password with --host-user and --host-password$/);
    expect(r.err).to.not.contain('http://user:password').and.not.contain('(give the host');
  });

  it('a managed host\'s failure names tvdc hosts credentials with the host\'s name', async () => {
    const conn = new WbemConnection(host.httpsOrigin!, { retries: 0, user: 'mgmt', password: 'host-secret-pw' });
    let failure: unknown;
    try {
      await conn.enumerateClassNames().toArray();
    } catch (e) {
      failure = e;
    } finally {
      await conn.close();
    }
    expect(failure).to.be.instanceOf(ClientError);
    const api = hostFailure('hinted', failure)!;
    expect(api.code).to.equal('HOST_UNREACHABLE');
    expect(api.message).to.match(/^host hinted: TLS with 127\.0\.0\.1:\d+ failed: [^;]+; give the host's CA with tvdc hosts credentials hinted --host-cacert FILE$/);
  });
});
