// The JSON API against cross-site requests: a browser re-sends its cached Basic credentials with
// any site's form post, so a change is taken only as application/json from no other site. Each
// attack is sent as a browser would send it, with the victim's right credentials, and must change
// nothing; the CLI, which sends JSON, keeps working.
import { expect } from 'chai';
import { join } from 'node:path';
import { request } from 'undici';
import { openServerDb } from '../../client/server/ManagementServer.js';
import { UserStore } from '../../client/server/UserStore.js';
import { client, runTvdc, startServer, tempDir, type RunningServer } from './support/serverHarness.js';

const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

async function send(url: string, method: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const r = await request(url, { method: method as 'POST', headers, ...(body !== undefined ? { body } : {}) });
  return { status: r.statusCode, headers: r.headers, text: await r.body.text() };
}

function errorOf(a: Answer): { code: string; message: string } {
  return (JSON.parse(a.text) as { error: { code: string; message: string } }).error;
}

describe('management server API: cross-site requests', function () {
  this.timeout(30_000);
  const tmp = tempDir('tvdc-server-csrf-');
  let srv: RunningServer;
  const dc = basic('dc', 'dc-password');
  // A text/plain form whose one field's name and value join into valid JSON (name=value).
  const formJson = '{"name":"mallory","role":"dcadmin","password":"mallory-pass","x":"="}';

  before(async () => {
    const db = join(tmp.dir, 'server.db');
    const d = openServerDb(db);
    await new UserStore(d).add('dc', 'dcadmin', 'dc-password');
    d.close();
    srv = await startServer(db);
  });
  after(async () => {
    await srv?.server.stop();
    tmp.remove();
  });

  async function users(): Promise<string[]> {
    return (await client(srv.url, 'dc', 'dc-password').get<{ users: { name: string }[] }>('/api/users')).users.map((u) => u.name).sort();
  }

  it('refuses cross-site form posts (text/plain, urlencoded, multipart, none) with 415 and creates no user', async () => {
    const before = await users();
    const attacks: [string, Record<string, string>, string][] = [
      ['text/plain', { 'content-type': 'text/plain', origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' }, formJson],
      // Without the browser's markers the type alone refuses it.
      ['text/plain, no Origin', { 'content-type': 'text/plain' }, formJson],
      ['urlencoded', { 'content-type': 'application/x-www-form-urlencoded' }, formJson],
      ['multipart', { 'content-type': 'multipart/form-data; boundary=x' }, formJson],
      ['no type', {}, formJson],
      ['json lookalike', { 'content-type': 'application/jsonx' }, formJson],
      ['json in another charset', { 'content-type': 'application/json; charset=utf-16' }, formJson],
    ];
    for (const [what, headers, body] of attacks) {
      const r = await send(`${srv.url}/api/users`, 'POST', { authorization: dc, ...headers }, body);
      const expected = headers['origin'] ? [403, 'CROSS_SITE'] : [415, 'UNSUPPORTED_MEDIA_TYPE'];
      expect([r.status, errorOf(r).code], what).to.deep.equal(expected);
      expect(errorOf(r).message, what).to.include('nothing was changed');
    }
    expect(await users()).to.deep.equal(before);
    expect(before).to.not.include('mallory');
    // The refusals are in the log, as other refusals are.
    expect(srv.log.some((l) => /^refused POST \/api\/users from \S+: UNSUPPORTED_MEDIA_TYPE: POST needs "Content-Type: application\/json"/.test(l)), srv.log.join('\n')).to.equal(true);
  });

  it('refuses JSON from a foreign Origin, Origin null, or Sec-Fetch-Site cross-site / same-site with 403 CROSS_SITE', async () => {
    const before = await users();
    const json = { authorization: dc, 'content-type': 'application/json' };
    const cases: Record<string, string>[] = [
      { origin: 'http://evil.example' },
      { origin: 'null' },
      // Another port of this very host is another origin.
      { origin: srv.url.replace(/:\d+$/, ':1') },
      { origin: srv.url.replace('http:', 'https:') },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { origin: srv.url, 'sec-fetch-site': 'cross-site' },
    ];
    for (const extra of cases) {
      for (const method of ['POST', 'PUT', 'DELETE']) {
        const path = method === 'POST' ? '/api/users' : method === 'PUT' ? '/api/users/dc/password' : '/api/users/dc';
        const r = await send(`${srv.url}${path}`, method, { ...json, ...extra }, method === 'DELETE' ? undefined : '{"name":"mallory","role":"dcadmin","password":"mallory-pass"}');
        expect([r.status, errorOf(r).code], `${method} ${JSON.stringify(extra)}`).to.deep.equal([403, 'CROSS_SITE']);
      }
    }
    expect(await users()).to.deep.equal(before);
    // dc's password is unchanged and dc is still there.
    expect((await send(`${srv.url}/api/whoami`, 'GET', { authorization: dc })).status).to.equal(200);
  });

  it('takes JSON from this server\'s own origin or from a client that sends no Origin; DELETE needs the type without a body too', async () => {
    const own = await send(`${srv.url}/api/users`, 'POST', { authorization: dc, 'content-type': 'application/json; charset=UTF-8', origin: srv.url, 'sec-fetch-site': 'same-origin' }, '{"name":"carol","role":"dcadmin","password":"carol-pass"}');
    expect(own.status, own.text).to.equal(200);
    const none = await send(`${srv.url}/api/users`, 'POST', { authorization: dc, 'content-type': 'application/json', 'sec-fetch-site': 'none' }, '{"name":"dave","role":"dcadmin","password":"dave-pass"}');
    expect(none.status, none.text).to.equal(200);
    const untyped = await send(`${srv.url}/api/users/dave`, 'DELETE', { authorization: dc });
    expect([untyped.status, errorOf(untyped).code]).to.deep.equal([415, 'UNSUPPORTED_MEDIA_TYPE']);
    expect(await users()).to.include('dave');
    const typed = await send(`${srv.url}/api/users/dave`, 'DELETE', { authorization: dc, 'content-type': 'application/json' });
    expect(typed.status, typed.text).to.equal(200);
    expect(await users()).to.not.include('dave');
  });

  it('refuses a cross-site post before authentication: no login prompt, no failed login counted', async () => {
    const r = await send(`${srv.url}/api/users`, 'POST', { 'content-type': 'text/plain', origin: 'http://evil.example' }, formJson);
    expect([r.status, errorOf(r).code]).to.deep.equal([403, 'CROSS_SITE']);
    expect(r.headers['www-authenticate']).to.equal(undefined);
    for (let i = 0; i < 12; i++) {
      const wrong = await send(`${srv.url}/api/users`, 'POST', { authorization: basic('dc', 'guess'), 'content-type': 'text/plain' }, formJson);
      expect(wrong.status).to.equal(415);
    }
    // Twelve refused posts with a wrong password did not reach the login limit (10).
    expect((await send(`${srv.url}/api/whoami`, 'GET', { authorization: dc })).status).to.equal(200);
  });

  it('answers a CORS preflight with 204 and no Access-Control-Allow-* header, before authentication', async () => {
    const r = await send(`${srv.url}/api/users`, 'OPTIONS', {
      origin: 'http://evil.example',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type, authorization',
    });
    expect(r.status).to.equal(204);
    expect(r.headers['allow']).to.equal('GET, POST, PUT, DELETE, OPTIONS');
    expect(Object.keys(r.headers).filter((h) => h.startsWith('access-control-'))).to.deep.equal([]);
    // Reads are not affected, from any origin (the browser keeps the answer from the other site's page).
    const read = await send(`${srv.url}/api/whoami`, 'GET', { authorization: dc, origin: 'http://evil.example' });
    expect(read.status).to.equal(200);
    expect(Object.keys(read.headers).filter((h) => h.startsWith('access-control-'))).to.deep.equal([]);
  });

  it('outside /api/ (no route changes anything there) a post is asked for credentials, then not found, as before', async () => {
    const anonymous = await send(`${srv.url}/cimom`, 'POST', { 'content-type': 'application/xml' }, '<CIM/>');
    expect([anonymous.status, errorOf(anonymous).code, anonymous.headers['www-authenticate']]).to.deep.equal([401, 'UNAUTHORIZED', 'Basic realm="tvdc"']);
    const signedIn = await send(`${srv.url}/cimom`, 'POST', { authorization: dc, 'content-type': 'application/xml' }, '<CIM/>');
    expect([signedIn.status, errorOf(signedIn).code]).to.deep.equal([404, 'NOT_FOUND']);
  });

  it('the CLI still changes things: users add and remove', async () => {
    process.env['TVDC_NEW_PASSWORD'] = 'erin-pass';
    let add;
    try {
      add = await runTvdc(srv.url, 'dc', 'dc-password', 'users', 'add', 'erin', '--role', 'dcadmin');
    } finally {
      delete process.env['TVDC_NEW_PASSWORD'];
    }
    expect(add.code, add.err).to.equal(0);
    expect(await users()).to.include('erin');
    const rm = await runTvdc(srv.url, 'dc', 'dc-password', 'users', 'remove', 'erin');
    expect(rm.code, rm.err).to.equal(0);
    expect(await users()).to.not.include('erin');
  });
});
