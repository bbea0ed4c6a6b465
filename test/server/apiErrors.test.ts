// The management server's API at its edges: authentication of every request, the error codes
// for bad input and unknown things, user management rules, host credentials kept in the database
// and never handed out, and HTTPS.
import { expect } from 'chai';
import { statSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { request } from 'undici';
import { ApiClient, ApiClientError } from '../../client/cli/ApiClient.js';
import { ManagementServer, openServerDb } from '../../client/server/ManagementServer.js';
import { UserStore } from '../../client/server/UserStore.js';
import { selfSignedCert } from '../wbem/support/selfSignedCert.js';
import { startTestHost } from './support/testHost.js';
import { client, refused, startServer, tempDir, type RunningServer } from './support/serverHarness.js';

const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

async function raw(url: string, method: string, headers: Record<string, string>, body?: string): Promise<{ status: number; json: { error?: { code: string; message: string } } & Record<string, unknown>; headers: Record<string, unknown> }> {
  const r = await request(url, { method: method as 'GET', headers, ...(body !== undefined ? { body } : {}) });
  return { status: r.statusCode, json: (await r.body.json()) as never, headers: r.headers };
}

describe('management server: authentication, error codes, users, host credentials, HTTPS', function () {
  this.timeout(30_000);
  const tmp = tempDir('tvdc-server-api-');
  const db = join(tmp.dir, 'server.db');
  let srv: RunningServer;
  const auth = basic('admin', 'admin-password');

  before(async () => {
    const d = openServerDb(db);
    await new UserStore(d).add('admin', 'dcadmin', 'admin-password');
    d.close();
    srv = await startServer(db);
  });
  after(async () => {
    await srv?.server.stop();
    tmp.remove();
  });

  it('401 with a Basic challenge without credentials, with a wrong password, an unknown user or a malformed header, on every path', async () => {
    for (const headers of [{} as Record<string, string>, { authorization: basic('admin', 'wrong') }, { authorization: basic('nobody', 'admin-password') }, { authorization: 'Basic !!!' }, { authorization: 'Bearer x' }]) {
      for (const path of ['/api/users', '/api/nosuchroute', '/']) {
        const r = await raw(srv.url + path, 'GET', headers);
        expect(r.status, `${path} ${JSON.stringify(headers)}`).to.equal(401);
        expect(r.json.error!.code).to.equal('UNAUTHORIZED');
        expect(r.headers['www-authenticate']).to.equal('Basic realm="tvdc"');
      }
    }
    // Each refusal is in the server's log, with the user name tried.
    expect(srv.log.some((l) => /^refused GET \/api\/users from \S+: UNAUTHORIZED: wrong user name or password \(user "nobody"\)$/.test(l)), srv.log.join('\n')).to.equal(true);
    const ok = await raw(srv.url + '/api/whoami', 'GET', { authorization: auth });
    expect(ok.status).to.equal(200);
    expect(ok.json).to.deep.equal({ user: 'admin', role: 'dcadmin', groups: [] });
  });

  it('400 for a body that is not JSON or not an object, and for missing fields; 404 for unknown routes; 405 for a wrong method', async () => {
    const bad = await raw(srv.url + '/api/groups', 'POST', { authorization: auth, 'content-type': 'application/json' }, '{"name": ');
    expect([bad.status, bad.json.error!.code]).to.deep.equal([400, 'BAD_REQUEST']);
    expect(bad.json.error!.message).to.include('not valid JSON');
    const arr = await raw(srv.url + '/api/groups', 'POST', { authorization: auth, 'content-type': 'application/json' }, '[1,2]');
    expect([arr.status, arr.json.error!.message]).to.deep.equal([400, 'request body must be a JSON object']);
    const missing = await raw(srv.url + '/api/groups', 'POST', { authorization: auth, 'content-type': 'application/json' }, '{}');
    expect([missing.status, missing.json.error!.message]).to.deep.equal([400, '"name" must be a non-empty string']);
    const route = await raw(srv.url + '/api/nothing/here', 'GET', { authorization: auth });
    expect([route.status, route.json.error!.code]).to.deep.equal([404, 'NOT_FOUND']);
    const method = await raw(srv.url + '/api/users', 'PUT', { authorization: auth, 'content-type': 'application/json' }, '{}');
    expect(method.status).to.equal(405);
    const admin = client(srv.url, 'admin', 'admin-password');
    await refused(admin.post('/api/groups', { name: 'bad name/with slash' }), 400, 'BAD_REQUEST');
  });

  it('404 for unknown hosts, groups, users; 409 for a group without a policy; 400 for a bad host URL', async () => {
    const admin = client(srv.url, 'admin', 'admin-password');
    await refused(admin.get('/api/hosts/nohost'), 404, 'NOT_FOUND');
    await refused(admin.del('/api/hosts/nohost'), 404, 'NOT_FOUND');
    await refused(admin.get('/api/groups/nogroup'), 404, 'NOT_FOUND');
    await refused(admin.get('/api/groups/nogroup/policy'), 404, 'NOT_FOUND');
    await refused(admin.put('/api/groups/nogroup/policy', { xml: '<x/>' }), 404, 'NOT_FOUND');
    await refused(admin.put('/api/groups/nogroup/vms/vm1/label', { label: 'L' }), 404, 'NOT_FOUND');
    await refused(admin.del('/api/users/nobody'), 404, 'NOT_FOUND');
    await admin.post('/api/groups', { name: 'empty' });
    expect(await refused(admin.get('/api/groups/empty/labels'), 409, 'CONFLICT')).to.include('has no policy yet');
    await refused(admin.post('/api/groups/empty/labels', { name: 'L', types: ['T'] }), 409, 'CONFLICT');
    await refused(admin.post('/api/groups/empty/policy/deploy'), 409, 'CONFLICT');
    await refused(admin.post('/api/hosts', { url: 'ftp://x' }), 400, 'BAD_REQUEST');
    await refused(admin.post('/api/hosts', { url: 'http://u:p@127.0.0.1:5988' }), 400, 'BAD_REQUEST');
    expect(await refused(admin.post('/api/hosts', { url: 'http://127.0.0.1:1' }), 502, 'HOST_UNREACHABLE')).to.include('127.0.0.1:1');
  });

  it('users: duplicates 409, bad roles and short passwords 400, the last dcadmin stays, a user changes his own password only', async () => {
    const admin = client(srv.url, 'admin', 'admin-password');
    await refused(admin.post('/api/users', { name: 'admin', role: 'dcadmin', password: 'another-pw' }), 409, 'CONFLICT');
    await refused(admin.post('/api/users', { name: 'x', role: 'root', password: 'long-enough' }), 400, 'BAD_REQUEST');
    await refused(admin.post('/api/users', { name: 'x', role: 'tvdcadmin', password: 'short' }), 400, 'BAD_REQUEST');
    await refused(admin.post('/api/users', { name: 'x:y', role: 'tvdcadmin', password: 'long-enough' }), 400, 'BAD_REQUEST');
    expect(await refused(admin.del('/api/users/admin'), 409, 'CONFLICT')).to.include('last dcadmin');
    await admin.post('/api/users', { name: 'carol', role: 'tvdcadmin', password: 'carol-pw-1' });
    await refused(admin.put('/api/users/admin/groups/empty'), 409, 'CONFLICT');
    await refused(admin.put('/api/users/carol/groups/nogroup'), 404, 'NOT_FOUND');
    const carol = client(srv.url, 'carol', 'carol-pw-1');
    await refused(carol.put('/api/users/admin/password', { password: 'hijacked-pw' }), 403, 'FORBIDDEN');
    await carol.put('/api/users/carol/password', { password: 'carol-pw-2' });
    await refused(carol.get('/api/whoami'), 401, 'UNAUTHORIZED');
    expect(await client(srv.url, 'carol', 'carol-pw-2').get('/api/whoami')).to.include({ user: 'carol' });
    await admin.del('/api/users/carol');
    await refused(client(srv.url, 'carol', 'carol-pw-2').get('/api/whoami'), 401, 'UNAUTHORIZED');
  });

  it('a host that demands credentials: refused without them, managed with them; the API never returns them; the database is 0600', async () => {
    const host = await startTestHost('secure1', { login: { user: 'mgmt', password: 'host-secret-pw' } });
    try {
      const admin = client(srv.url, 'admin', 'admin-password');
      expect(await refused(admin.post('/api/hosts', { url: host.origin }), 502, 'HOST_REFUSED')).to.include("host's user and password");
      const added = await admin.post<Record<string, unknown>>('/api/hosts', { url: host.origin, user: 'mgmt', password: 'host-secret-pw' });
      expect(added).to.deep.equal({ name: 'secure1', url: host.origin, group: null, credentials: true });
      const shown = await admin.get<Record<string, unknown>>('/api/hosts/secure1');
      expect(shown['vms']).to.deep.equal([]);
      expect(JSON.stringify(shown) + JSON.stringify(await admin.get('/api/hosts'))).to.not.include('host-secret-pw');
      expect(statSync(db).mode & 0o777).to.equal(0o600);
      await admin.del('/api/hosts/secure1');
    } finally {
      await host.stop();
    }
  });

  it('an HTTPS host: refused as unreachable (TLS) without its CA, managed with it', async () => {
    const tls = selfSignedCert();
    const host = await startTestHost('secure2', { login: { user: 'mgmt', password: 'host-secret-pw' }, tls });
    try {
      const admin = client(srv.url, 'admin', 'admin-password');
      const url = host.httpsOrigin!.replace('127.0.0.1', 'localhost');
      expect(await refused(admin.post('/api/hosts', { url, user: 'mgmt', password: 'host-secret-pw' }), 502, 'HOST_UNREACHABLE')).to.match(/TLS|certificate/i);
      await refused(admin.post('/api/hosts', { url, user: 'mgmt', password: 'host-secret-pw', ca: 'not pem' }), 400, 'BAD_REQUEST');
      expect(await admin.post('/api/hosts', { url, user: 'mgmt', password: 'host-secret-pw', ca: tls.cert })).to.include({ name: 'secure2', url });
      expect(await admin.get<{ policies: unknown[] }>('/api/hosts/secure2')).to.have.property('policies');
      await admin.del('/api/hosts/secure2');
    } finally {
      await host.stop();
    }
  });

  it('serves HTTPS with the given certificate and key; the CLI client trusts it with --cacert', async () => {
    const { cert, key } = selfSignedCert();
    const s = ManagementServer.open({ db: join(tmp.dir, 'nested', 'dir', 'tls.db'), log: () => {} });
    try {
      await s.users.add('tls-admin', 'dcadmin', 'tls-admin-pw');
      const { https, http } = await s.listen({ httpsPort: 0, cert, key });
      expect(http).to.equal(undefined);
      const caFile = join(tmp.dir, 'ca.pem');
      writeFileSync(caFile, cert);
      const base = new Map([['server', https!.replace('127.0.0.1', 'localhost')], ['user', 'tls-admin'], ['password', 'tls-admin-pw']]);
      expect(await ApiClient.fromOptions(new Map([...base, ['cacert', caFile]])).get('/api/whoami')).to.include({ user: 'tls-admin' });
      const untrusted = await ApiClient.fromOptions(base).get('/api/whoami').then(() => null, (e: ApiClientError) => e.code);
      expect(untrusted).to.equal('SERVER_UNREACHABLE');
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpsRequest(`${https}/api/whoami`, { ca: cert, rejectUnauthorized: true, servername: 'localhost' }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on('error', reject);
        req.end();
      });
      expect(status).to.equal(401);
    } finally {
      await s.stop();
    }
  });

  it('bad TLS files and a port in use are startup errors with codes', async () => {
    const s = ManagementServer.open({ db: ':memory:', log: () => {} });
    try {
      let err: unknown;
      try {
        await s.listen({ httpsPort: 0, cert: 'not a pem', key: 'not a pem' });
      } catch (e) {
        err = e;
      }
      expect((err as { code: string }).code).to.equal('SERVER_TLS_CONFIG');
      const port = Number(new URL(srv.url).port);
      err = undefined;
      try {
        await s.listen({ port });
      } catch (e) {
        err = e;
      }
      expect((err as { code: string }).code).to.equal('SERVER_LISTEN');
    } finally {
      await s.stop();
    }
  });
});
