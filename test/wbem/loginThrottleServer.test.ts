// The management server's API shares the login throttle with the host agent: over real HTTP, a
// tvdcadmin's good login between guesses at the dcadmin's password no longer resets the count.
import { expect } from 'chai';
import { join } from 'node:path';
import { Agent, request, type Dispatcher } from 'undici';
import { openServerDb } from '../../client/server/ManagementServer.js';
import { UserStore } from '../../client/server/UserStore.js';
import { startServer, tempDir, type RunningServer } from '../server/support/serverHarness.js';

const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

describe('management server: a good login forgives only its own user\'s failed logins', function () {
  this.timeout(60_000);
  const tmp = tempDir('tvdc-server-names-');
  let srv: RunningServer;
  const from = new Agent({ localAddress: '127.0.0.6' });

  const whoami = async (user: string, pw: string): Promise<number> => {
    const r = await request(`${srv.url}/api/whoami`, { dispatcher: from as Dispatcher, headers: { authorization: basic(user, pw) } });
    await r.body.text();
    return r.statusCode;
  };

  before(async () => {
    const d = openServerDb(join(tmp.dir, 'server.db'));
    const users = new UserStore(d);
    await users.add('dcadmin', 'dcadmin', 'dc-password');
    await users.add('alice', 'tvdcadmin', 'alice-password');
    d.close();
    srv = await startServer(join(tmp.dir, 'server.db'));
  });
  after(async () => {
    await from.close();
    await srv?.server.stop();
    tmp.remove();
  });

  it('9 wrong dcadmin passwords, alice signs in, 1 more wrong: the address is refused (429), alice too', async () => {
    for (let i = 0; i < 9; i++) expect(await whoami('dcadmin', `guess${i}`)).to.equal(401);
    expect(await whoami('alice', 'alice-password')).to.equal(200);
    expect(await whoami('dcadmin', 'guess9')).to.equal(401);
    expect(await whoami('alice', 'alice-password')).to.equal(429);
    expect(await whoami('dcadmin', 'dc-password')).to.equal(429);
    expect(srv.log.some((l) => l.includes('127.0.0.6'))).to.equal(true);
  });

  it('a good login still forgives the same user\'s own mistakes', async () => {
    const other = new Agent({ localAddress: '127.0.0.7' });
    try {
      const as = async (pw: string) => {
        const r = await request(`${srv.url}/api/whoami`, { dispatcher: other as Dispatcher, headers: { authorization: basic('alice', pw) } });
        await r.body.text();
        return r.statusCode;
      };
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 9; i++) expect(await as('typo')).to.equal(401);
        expect(await as('alice-password')).to.equal(200);
      }
    } finally {
      await other.close();
    }
  });
});
