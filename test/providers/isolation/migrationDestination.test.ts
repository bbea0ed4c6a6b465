// A DestinationHost MigrateVirtualSystemToHost cannot use is refused with 4 and a Reason that names
// it, and a password in it never comes back: the Reason reaches whoever called, and his logs.
import { expect } from 'chai';
import { WbemConnection } from '../../../client/cim/index.js';
import { CimObjectPath } from '../../../src/cim/CimObjectPath.js';
import { startInProcessHost, type InProcessHost } from './support/InProcessHost.js';
import { HostPaths } from './support/wbemcli.js';

describe('isolation providers: a DestinationHost that cannot be used, with credentials in it', function () {
  this.timeout(30_000);
  const PASSWORD = 'Pa55-w0rd_secret';
  let h1: InProcessHost;
  let p1: HostPaths;
  let conn: WbemConnection;

  before(async () => {
    h1 = await startInProcessHost('h1');
    p1 = new HostPaths(h1.origin, 'h1');
    conn = new WbemConnection(h1.origin, { namespace: 'root/tvdc' });
  });
  after(async () => {
    await conn?.close();
    await h1?.stop();
  });

  const migrate = async (destination: string) => {
    const r = await conn.invokeMethod(CimObjectPath.parse(p1.service('TVDc_VirtualSystemMigrationService')), 'MigrateVirtualSystemToHost', {
      ComputerSystem: CimObjectPath.parse(p1.vm('any')),
      DestinationHost: destination,
    });
    return { returnValue: Number(r.returnValue), reason: String(r.outParams.get('Reason')?.value ?? '') };
  };

  it('a malformed URL (port out of range) is refused with 4, naming the host but not the password', async () => {
    const r = await migrate(`http://mgmt:${PASSWORD}@dest.example:99999`);
    expect(r.returnValue).to.equal(4);
    expect(r.reason).to.include('is not host[:port] or an http(s) URL').and.include('http://dest.example:99999');
    expect(r.reason).to.not.include(PASSWORD).and.not.include('mgmt:');
  });

  it('without a scheme, and with "/" and "@" inside the password, nothing of the password shows either', async () => {
    const password = `a/b@${PASSWORD}`;
    const r = await migrate(`mgmt:${password}@dest.example:port`);
    expect(r.returnValue).to.equal(4);
    expect(r.reason).to.include("'dest.example:port'");
    for (const part of ['a/b', PASSWORD, 'mgmt']) expect(r.reason).to.not.include(part);
  });

  it('a URL with a path, and credentials, is refused for the path without them', async () => {
    const r = await migrate(`https://mgmt:${PASSWORD}@dest.example:5989/cimom`);
    expect(r.returnValue).to.equal(4);
    expect(r.reason).to.include('has a path').and.include("'https://dest.example:5989/cimom' (its credentials not shown)");
    expect(r.reason).to.not.include(PASSWORD);
  });

  it('a malformed destination without credentials is echoed as given', async () => {
    const r = await migrate('dest example');
    expect(r.returnValue).to.equal(4);
    expect(r.reason).to.include("DestinationHost 'dest example' is not host[:port]").and.not.include('credentials');
  });
});
