// The management server limits failed logins per client address: its API and its web console
// answer an address over the limit 429 (TOO_MANY_ATTEMPTS, Retry-After) before any password
// check, other addresses go on, a success clears an address's count, the `tvdc` CLI prints the
// code, and a host agent that refuses the server's address shows as the host refusing.
import { expect } from 'chai';
import { join } from 'node:path';
import { Agent, request, type Dispatcher } from 'undici';
import { ApiClientError } from '../../client/cli/ApiClient.js';
import { openServerDb } from '../../client/server/ManagementServer.js';
import { UserStore } from '../../client/server/UserStore.js';
import { startTestHost } from './support/testHost.js';
import { client, refused, runTvdc, startServer, tempDir, type RunningServer } from './support/serverHarness.js';

const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

interface Answer {
  status: number;
  headers: Record<string, unknown>;
  text: string;
}

describe('management server: failed logins limited per client address', function () {
  this.timeout(60_000);
  const tmp = tempDir('tvdc-server-throttle-');
  let srv: RunningServer;
  let checks = 0;
  let t = 1_800_000_000_000;
  const agents = new Map<string, Agent>();

  /** A GET from the client address `from` (a loopback address of this machine). */
  async function get(from: string, path: string, authorization?: string): Promise<Answer> {
    let dispatcher = agents.get(from);
    if (!dispatcher) {
      dispatcher = new Agent({ localAddress: from });
      agents.set(from, dispatcher);
    }
    const r = await request(srv.url + path, { method: 'GET', dispatcher: dispatcher as Dispatcher, headers: authorization ? { authorization } : {} });
    return { status: r.statusCode, headers: r.headers, text: await r.body.text() };
  }

  before(async () => {
    const d = openServerDb(join(tmp.dir, 'server.db'));
    await new UserStore(d).add('admin', 'dcadmin', 'admin-password');
    d.close();
    srv = await startServer(join(tmp.dir, 'server.db'));
    // Counts the password checks the server makes (each one not yet verified is one scrypt).
    const users = srv.server.users;
    const check = users.authenticate.bind(users);
    users.authenticate = (user, password) => {
      checks++;
      return check(user, password);
    };
  });
  beforeEach(() => {
    srv.server.router.limitLogins({ now: () => t });
    srv.log.length = 0;
  });
  after(async () => {
    await Promise.all([...agents.values()].map((a) => a.close()));
    await srv?.server.stop();
    tmp.remove();
  });

  it('the 11th wrong password gets 429 TOO_MANY_ATTEMPTS with Retry-After and no check, on the API and the console; another address goes on', async () => {
    const before = checks;
    for (let i = 0; i < 10; i++) {
      const r = await get('127.0.0.1', '/api/whoami', basic('admin', `guess${i}`));
      expect([r.status, JSON.parse(r.text).error.code]).to.deep.equal([401, 'UNAUTHORIZED']);
    }
    expect(checks - before).to.equal(10);
    const api = await get('127.0.0.1', '/api/whoami', basic('admin', 'guess10'));
    expect(api.status).to.equal(429);
    expect(api.headers['retry-after']).to.equal('60');
    expect(api.headers['content-type']).to.match(/^application\/json/);
    expect(api.headers).to.not.have.property('www-authenticate');
    expect(JSON.parse(api.text)).to.deep.equal({ error: { code: 'TOO_MANY_ATTEMPTS', message: 'too many failed logins from this address; try again in 60 s' } });
    // The right password from the refused address is refused too, on the API and the console.
    expect((await get('127.0.0.1', '/api/whoami', basic('admin', 'admin-password'))).status).to.equal(429);
    const page = await get('127.0.0.1', '/console/', basic('admin', 'admin-password'));
    expect(page.status).to.equal(429);
    expect(page.headers['retry-after']).to.equal('60');
    expect(page.headers['content-type']).to.match(/^text\/html/);
    expect(page.text).to.include('Too many failed sign-ins from this address. Try again in 60 seconds.');
    expect(checks - before).to.equal(10);
    // Another address is not refused.
    expect((await get('127.0.0.2', '/api/whoami', basic('admin', 'admin-password'))).status).to.equal(200);
    expect((await get('127.0.0.2', '/console/', basic('admin', 'admin-password'))).status).to.equal(200);
    // The log has each wrong password once and the refused address once, not each refused attempt.
    expect(srv.log.filter((l) => /^refused GET \/api\/whoami from 127\.0\.0\.1: UNAUTHORIZED/.test(l))).to.have.length(10);
    expect(srv.log.filter((l) => l.includes('TOO_MANY_ATTEMPTS'))).to.deep.equal(['refused logins from 127.0.0.1 for 60 s after 10 failed: TOO_MANY_ATTEMPTS']);
    t += 30_000;
    expect((await get('127.0.0.1', '/api/whoami', basic('admin', 'admin-password'))).headers['retry-after']).to.equal('30');
    t += 30_000;
    expect((await get('127.0.0.1', '/api/whoami', basic('admin', 'admin-password'))).status).to.equal(200);
  });

  it('wrong passwords on the console count as on the API; a success clears the count', async () => {
    for (let i = 0; i < 9; i++) expect((await get('127.0.0.1', '/console/', basic('admin', 'nope'))).status).to.equal(401);
    expect((await get('127.0.0.1', '/api/whoami', basic('admin', 'admin-password'))).status).to.equal(200);
    for (let i = 0; i < 9; i++) expect((await get('127.0.0.1', '/console/', basic('admin', 'nope'))).status).to.equal(401);
    expect((await get('127.0.0.1', '/api/whoami', basic('admin', 'nope'))).status).to.equal(401);
    expect((await get('127.0.0.1', '/console/', basic('admin', 'admin-password'))).status).to.equal(429);
    // A user name is never locked out as such: from elsewhere, admin signs in.
    expect((await get('127.0.0.2', '/console/', basic('admin', 'admin-password'))).status).to.equal(200);
  });

  it('the limits are the server\'s to set: 3 failures per 10 s', async () => {
    srv.server.router.limitLogins({ maxFailures: 3, windowMs: 10_000, now: () => t });
    for (let i = 0; i < 3; i++) expect((await get('127.0.0.1', '/api/whoami', basic('admin', 'x'))).status).to.equal(401);
    const r = await get('127.0.0.1', '/api/whoami', basic('admin', 'x'));
    expect([r.status, r.headers['retry-after']]).to.deep.equal([429, '10']);
  });

  it('the tvdc CLI prints TOO_MANY_ATTEMPTS and exits 1; its client keeps Retry-After', async () => {
    for (let i = 0; i < 10; i++) {
      const r = await runTvdc(srv.url, 'admin', 'wrong-password', 'users', 'list');
      expect([r.code, r.err]).to.deep.equal([1, 'tvdc: UNAUTHORIZED: wrong user name or password (user "admin")']);
    }
    const r = await runTvdc(srv.url, 'admin', 'admin-password', 'users', 'list');
    expect([r.code, r.out, r.err]).to.deep.equal([1, '', 'tvdc: TOO_MANY_ATTEMPTS: too many failed logins from this address; try again in 60 s']);
    try {
      await client(srv.url, 'admin', 'admin-password').get('/api/whoami');
      expect.fail('the address is refused');
    } catch (e) {
      expect(e).to.be.instanceOf(ApiClientError);
      expect([(e as ApiClientError).status, (e as ApiClientError).code, (e as ApiClientError).retryAfterSeconds]).to.deep.equal([429, 'TOO_MANY_ATTEMPTS', 60]);
    }
  });

  it('a host agent that refuses the server\'s address (429) is a host refusing, with its Retry-After', async () => {
    const host = await startTestHost('throttled1', { login: { user: 'mgmt', password: 'host-secret-pw' } });
    try {
      const admin = client(srv.url, 'admin', 'admin-password');
      await admin.post('/api/hosts', { url: host.origin, user: 'mgmt', password: 'host-secret-pw' });
      expect(await admin.get('/api/hosts/throttled1')).to.have.property('policies');
      // Ten wrong passwords to the host from this machine, which is the server's address too.
      const body = '<?xml version="1.0" encoding="utf-8"?><CIM CIMVERSION="2.0" DTDVERSION="2.0"/>';
      for (let i = 0; i < 10; i++) {
        const r = await request(`${host.origin}/cimom`, { method: 'POST', headers: { authorization: basic('mgmt', 'guess'), 'content-type': 'application/xml' }, body });
        await r.body.dump();
        expect(r.statusCode).to.equal(401);
      }
      const msg = await refused(admin.get('/api/hosts/throttled1'), 502, 'HOST_REFUSED');
      expect(msg).to.include('HTTP 429').and.include('retry after 60 s (Retry-After)').and.include('check the credentials stored for the host');
      await admin.del('/api/hosts/throttled1');
      // Adding it again while it still refuses this address: the same refusal, not "unreachable".
      expect(await refused(admin.post('/api/hosts', { url: host.origin, user: 'mgmt', password: 'host-secret-pw' }), 502, 'HOST_REFUSED')).to.include('retry after 60 s');
    } finally {
      await host.stop();
    }
  });
});
