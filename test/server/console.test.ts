// The management server's web console, its pages (the forms: consoleActions.test.ts): real host
// agents on loopback, a real server on a SQLite file, real HTTP. Sign-in and role rules as in the API, drift and an unreachable host
// flagged, text from hosts escaped, the security headers, read-only methods, and every page
// well-formed (as XML and as HTML, with xmllint).
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import type { ApiClient } from '../../client/cli/ApiClient.js';
import { sendIndication } from '../../client/listener/index.js';
import { IndicationPathStore } from '../../client/server/IndicationPathStore.js';
import { PROBLEM_MARKER } from '../../client/server/console/markers.js';
import { CimInstance } from '../../src/cim/CimInstance.js';
import { CimProperty } from '../../src/cim/CimProperty.js';
import { addLabel, forHost } from '../../src/tvdc/management/PolicyEditor.js';
import { loadPolicy } from '../../src/tvdc/policy/loadPolicy.js';
import { writeAcmXml } from '../../src/tvdc/policy/writeAcmXml.js';
import { startInProcessHost, type InProcessHost } from '../providers/isolation/support/InProcessHost.js';
import { startTestHost, type TestHost } from './support/testHost.js';
import { activePolicy, client, createDisk, defineVm, eventually, paperTvdc, service, startServer, tempDir, tvdcConnection, type RunningServer } from './support/serverHarness.js';

const HOSTILE = '<script>alert("tvdc")</script> & \'more\'';

interface Page { status: number; headers: Record<string, string | string[] | undefined>; body: string }

describe('management server: the web console', function () {
  this.timeout(60_000);
  const tmp = tempDir('tvdc-console-');
  let c1: TestHost, c2: InProcessHost, c3: InProcessHost;
  let srv: RunningServer;
  let dc: ApiClient;
  /** Every page fetched with 200, to check each is well-formed at the end. */
  const pages: { name: string; body: string }[] = [];

  const auth = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const fetchPage = async (path: string, options: { user?: [string, string]; method?: string } = {}): Promise<Page> => {
    const r = await request(`${srv.url}${path}`, {
      method: (options.method ?? 'GET') as 'GET',
      headers: options.user ? { authorization: auth(...options.user) } : {},
    });
    const body = await r.body.text();
    if (r.statusCode === 200 || r.statusCode >= 400) pages.push({ name: `${options.method ?? 'GET'} ${path} ${r.statusCode}`, body });
    return { status: r.statusCode, headers: r.headers, body };
  };
  const asDc = (path: string) => fetchPage(path, { user: ['dc', 'dc-password'] });
  const asAlice = (path: string) => fetchPage(path, { user: ['alice', 'alice-password'] });
  /** The table row of a page that holds `text` (rows are one line each). */
  const rowWith = (body: string, text: string) => body.split('\n').find((l) => l.startsWith('<tr>') && l.includes(text));

  before(async () => {
    // c1 runs the real indication service, so the server subscribes it and gives it a delivery path.
    [c1, c2, c3] = await Promise.all([startTestHost('c1'), startInProcessHost('c2'), startInProcessHost('c3')]);
    const cim1 = tvdcConnection(c1.origin);
    const cim2 = tvdcConnection(c2.origin);
    const cim3 = tvdcConnection(c3.origin);
    try {
      await defineVm(cim1, 'c1', 'ma');
      await defineVm(cim2, 'c2', 'su');
      await defineVm(cim3, 'c3', 'web3');
      // A host names its disks as it likes: the name reaches the console as the host wrote it.
      const disk = new CimInstance('TVDc_LogicalDisk');
      for (const [k, v] of Object.entries({ SystemCreationClassName: 'TVDc_HostSystem', SystemName: 'c2', CreationClassName: 'TVDc_LogicalDisk', DeviceID: HOSTILE, ImagePath: 'hostile.img' })) {
        disk.properties.set(k, new CimProperty(k, 'string', v));
      }
      await cim2.createInstance(disk);
      await createDisk(cim2, 'c2', 'su-disk');
    } finally {
      await Promise.all([cim1.close(), cim2.close(), cim3.close()]);
    }
    srv = await startServer(join(tmp.dir, 'server.db'), { indications: true });
    await srv.server.users.add('dc', 'dcadmin', 'dc-password');
    await srv.server.users.add('alice', 'tvdcadmin', 'alice-password');
    dc = client(srv.url, 'dc', 'dc-password');
    for (const h of [c1, c2, c3]) await dc.post('/api/hosts', { url: h.origin });
    // fin's policy gets the paper's conflict set (version 1.1); other keeps 1.0.
    await paperTvdc(dc, 'fin', ['c1', 'c2'], { conflictSet: true });
    await paperTvdc(dc, 'other', ['c3']);
    await dc.put('/api/users/alice/groups/fin');
    await dc.put('/api/groups/fin/vms/su/label', { label: 'SecurityUnderwriting' });
    await dc.put('/api/groups/fin/hosts/c2/disks/su-disk/label', { label: 'SecurityUnderwriting' });

    // c1's policy changed behind the server's back (1.2 with a label of someone's own): drift.
    const current = loadPolicy((await dc.get<{ xml: string }>('/api/groups/fin/policy/xml')).xml);
    const rogue = forHost(addLabel(current, { name: 'Rogue', kind: 'vm', ste: ['MA', 'SU'], cw: [] }), { name: 'tvdc-paper', version: '1.1' });
    const cim = tvdcConnection(c1.origin);
    try {
      expect(Number((await cim.invokeMethod(service('c1', 'TVDc_SecurityService', 'SecurityService'), 'SetPolicy', { PolicyXML: writeAcmXml(rogue) })).returnValue)).to.equal(0);
      expect(await activePolicy(cim)).to.equal('tvdc-paper 1.2');
    } finally {
      await cim.close();
    }

    // A violation report on c1's own delivery path whose reason carries markup.
    const watch = await dc.post<{ destination: string; hosts: string[] }>('/api/violations/watch');
    expect(watch.hosts).to.include('c1');
    const token = new IndicationPathStore(srv.server.db).existingToken('c1');
    expect(token).to.be.a('string');
    const denial = new CimInstance('TVDc_AccessDeniedIndication');
    for (const [k, v] of Object.entries({ Operation: 'start', MessageID: 'TVDC-ACCESS-CW', Reason: HOSTILE, AlertingManagedElement: 'TVDc_ComputerSystem.Name="ma"' })) {
      denial.properties.set(k, new CimProperty(k, 'string', v));
    }
    await sendIndication(`${new URL(watch.destination).origin}/tvdc/indications/${token}`, denial);
    await eventually(async () => (await dc.get<{ violations: unknown[] }>('/api/violations')).violations.length === 1);

    // A real attestation of c2 without trust anchors: a failed verdict in the event log.
    const run = await dc.post<{ results: { status: string }[] }>('/api/attest/run', { target: 'c2' });
    expect(run.results.map((r) => r.status)).to.deep.equal(['failed']);

    // c3 goes away: unreachable.
    await c3.stop();
  });

  after(async () => {
    await srv?.server.stop();
    await Promise.all([c1?.stop(), c2?.stop()]);
    tmp.remove();
  });

  it('without credentials, or with wrong ones, every console page is 401 with the browser\'s Basic challenge', async () => {
    for (const path of ['/console/', '/console/tvdc/fin', '/console/events', '/console/audit', '/console/no-such-page']) {
      const r = await fetchPage(path);
      expect([r.status, r.headers['www-authenticate']], path).to.deep.equal([401, 'Basic realm="tvdc"']);
      expect(r.body).to.include('Sign-in required').and.not.include('fin</');
    }
    const wrong = await fetchPage('/console/', { user: ['dc', 'not-the-password'] });
    expect([wrong.status, wrong.headers['www-authenticate']]).to.deep.equal([401, 'Basic realm="tvdc"']);
    expect(srv.log.some((l) => l.startsWith('refused GET /console/ from ') && l.includes('UNAUTHORIZED'))).to.equal(true);
  });

  it('GET / redirects a signed-in user to /console/ (anonymous: the API\'s 401 and its challenge); the API answers as before', async () => {
    for (const path of ['/', '/console']) {
      const r = await fetchPage(path, { user: ['alice', 'alice-password'] });
      expect([r.status, r.headers['location']], path).to.deep.equal([302, '/console/']);
      expect(r.headers['content-security-policy']).to.match(/^default-src 'none'/);
      const anonymous = await request(`${srv.url}${path}`);
      expect([anonymous.statusCode, anonymous.headers['www-authenticate']], path).to.deep.equal([401, 'Basic realm="tvdc"']);
      expect(await anonymous.body.json()).to.deep.equal({ error: { code: 'UNAUTHORIZED', message: 'HTTP Basic credentials required' } });
    }
    // Only reading is redirected: a POST to / is the API's 404 as before.
    const post = await request(`${srv.url}/`, { method: 'POST', headers: { authorization: auth('dc', 'dc-password') } });
    expect([post.statusCode, ((await post.body.json()) as { error: { code: string } }).error.code]).to.deep.equal([404, 'NOT_FOUND']);
    const api = await request(`${srv.url}/api/whoami`, { headers: { authorization: auth('alice', 'alice-password') } });
    expect([api.statusCode, api.headers['content-type']]).to.deep.equal([200, 'application/json; charset=utf-8']);
    expect(await api.body.json()).to.deep.equal({ user: 'alice', role: 'tvdcadmin', groups: ['fin'] });
    const anonymous = await request(`${srv.url}/api/groups`);
    expect(anonymous.statusCode).to.equal(401);
    expect(await anonymous.body.json()).to.deep.equal({ error: { code: 'UNAUTHORIZED', message: 'HTTP Basic credentials required' } });
  });

  it('the overview shows every TVDc to the dcadmin, with drift and the unreachable host flagged, and the last day\'s failed attestation and violation', async () => {
    const r = await asDc('/console/');
    expect(r.status).to.equal(200);
    expect(r.headers['content-type']).to.equal('text/html; charset=utf-8');
    const fin = rowWith(r.body, '>fin</a>')!;
    const other = rowWith(r.body, '>other</a>')!;
    expect(fin).to.include('<a href="tvdc/fin">').and.include('<td>tvdc-paper 1.1</td>');
    expect(fin).to.match(new RegExp(`<li>c1: <strong class="problem">${PROBLEM_MARKER} drifted: host runs tvdc-paper 1\\.2, TVDc policy is tvdc-paper 1\\.1 `));
    expect(fin).to.include('<li>c2: deployed</li>');
    expect(fin).to.include(`<strong class="problem">${PROBLEM_MARKER} 1 failed</strong>`);
    expect(fin).to.include(`<strong class="problem">${PROBLEM_MARKER} 1 violation</strong>`);
    expect(fin).to.include('<td>0</td><td>0</td>'); // nothing untrusted or unknown
    expect(other).to.match(new RegExp(`<li>c3: <strong class="problem">${PROBLEM_MARKER} unreachable \\(recorded: deployed\\)</strong> <span class="muted">\\(HOST_UNREACHABLE: `));
    expect(other).to.include('<td>tvdc-paper 1.0</td>').and.not.include('violation</strong>');
  });

  it('a tvdcadmin sees his TVDc and not another, whose page is a 404 exactly like a TVDc that does not exist', async () => {
    const overview = await asAlice('/console/');
    expect(overview.status).to.equal(200);
    expect(overview.body).to.include('<a href="tvdc/fin">fin</a>').and.not.include('other').and.not.include('c3');
    expect(overview.body).to.include('Signed in as alice (tvdcadmin: fin)');
    expect((await asAlice('/console/tvdc/fin')).status).to.equal(200);
    const hidden = await asAlice('/console/tvdc/other');
    const missing = await asAlice('/console/tvdc/nosuch');
    expect([hidden.status, missing.status]).to.deep.equal([404, 404]);
    expect(hidden.body.replace('other', 'X')).to.equal(missing.body.replace('nosuch', 'X'));
    expect(hidden.headers['content-type']).to.equal(missing.headers['content-type']);
    // The attempt is in the server's log, as a refused API call would be.
    expect(srv.log.some((l) => l.startsWith('refused GET /console/tvdc/other from alice') && l.includes('FORBIDDEN'))).to.equal(true);
    // Events and violations are filtered to his TVDcs too: the dcadmin sees c3's attestations, alice not.
    expect((await asDc('/console/tvdc/other')).status).to.equal(200);
  });

  it('the TVDc page shows the policy\'s labels and conflict sets, hosts with drift, VMs, disks with labels, administrators, and escapes what hosts send', async () => {
    const r = await asAlice('/console/tvdc/fin');
    expect(r.status).to.equal(200);
    expect(r.body).to.include('<h1>TVDc fin</h1>').and.include('Policy <strong>tvdc-paper 1.1</strong>, set by dc at ');
    expect(rowWith(r.body, '<td>SecurityUnderwriting</td><td>vm</td>')).to.include('<td>SU</td>');
    expect(rowWith(r.body, '<td>SecurityUnderwriting</td><td>resource</td>')).to.include('<td>SU</td>');
    expect(r.body).to.include('<tr><td>MA-SU</td><td>MA, SU</td></tr>');
    expect(r.body).to.include('<h2>Administrators</h2>\n<p>alice</p>');
    expect(rowWith(r.body, '<td>c1</td><td>http://')).to.include(`<strong class="problem">${PROBLEM_MARKER} drifted: host runs tvdc-paper 1.2`);
    expect(rowWith(r.body, '<td>c2</td><td>http://')).to.include('<td>yes</td>').and.include('<td>deployed</td>');
    expect(rowWith(r.body, '<td>su</td><td>c2</td>')).to.include('<td>SecurityUnderwriting</td>');
    expect(rowWith(r.body, '<td>ma</td><td>c1</td>')).to.include('<span class="muted">none</span>');
    expect(rowWith(r.body, '<td>su-disk</td><td>c2</td>')).to.include('<td>SecurityUnderwriting</td>');
    // The hostile disk name and violation reason appear as text, never as markup.
    const escaped = '&lt;script&gt;alert(&quot;tvdc&quot;)&lt;/script&gt; &amp; &#39;more&#39;';
    expect(rowWith(r.body, '<td>c2</td><td><span class="muted">none')).to.include(`<td>${escaped}</td>`);
    expect(r.body).to.not.include('<script');
    const violation = rowWith(r.body, 'TVDC-ACCESS-CW')!;
    expect(violation).to.include(`<td>${escaped}</td>`).and.include(`${PROBLEM_MARKER} start`);
    expect(rowWith(r.body, '<td>attestation</td>')).to.include(`${PROBLEM_MARKER} failed`).and.include('NO_TRUST_ANCHOR');
  });

  it('an unreachable host shows on its TVDc\'s page with the marker and why', async () => {
    const r = await asDc('/console/tvdc/other');
    expect(rowWith(r.body, '<td>c3</td>')).to.match(new RegExp(`<td><strong class="problem">${PROBLEM_MARKER} unreachable: HOST_UNREACHABLE: host c3: `));
    expect(r.body).to.include(`${PROBLEM_MARKER} VMs, disks and segments of c3 could not be read`);
  });

  it('events and violations pages list newest first, flagged, and only what the user may see', async () => {
    const events = await asDc('/console/events');
    expect(events.status).to.equal(200);
    expect(rowWith(events.body, '<td>attestation</td><td>fin</td><td>c2</td>')).to.include(`${PROBLEM_MARKER} failed`);
    const violations = await asAlice('/console/violations');
    const row = rowWith(violations.body, 'TVDC-ACCESS-CW')!;
    expect(row).to.include('<td>fin</td><td>c1</td>').and.include('&lt;script&gt;');
    expect(violations.body).to.not.include('<script');
    // Events of a TVDc alice is not authorized for are not in her list; the dcadmin sees them.
    await dc.post('/api/attest/run', { target: 'c1' });
    await dc.post('/api/attest/run', { target: 'c3' });
    expect((await asDc('/console/events')).body).to.include('<td>attestation</td><td>other</td><td>c3</td>');
    const mine = await asAlice('/console/events');
    expect(mine.body).to.include('<td>fin</td><td>c1</td>').and.not.include('<td>other</td>').and.not.include('c3');
    const ids = [...mine.body.matchAll(/^<tr><td>(\d+)<\/td>/gm)].map((m) => Number(m[1]));
    expect(ids.length).to.be.greaterThan(1);
    expect(ids).to.deep.equal([...ids].sort((a, b) => b - a));
  });

  it('every answer carries the security headers; only GET and HEAD are served (405 otherwise); unknown pages are HTML 404s', async () => {
    const ok = await asDc('/console/');
    const missing = await asDc('/console/nothing/here');
    const denied = await fetchPage('/console/');
    for (const r of [ok, missing, denied]) {
      expect(r.headers['content-security-policy']).to.match(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'$/);
      expect(r.headers).to.include({ 'x-content-type-options': 'nosniff', 'cache-control': 'no-store', 'referrer-policy': 'same-origin', 'x-frame-options': 'DENY' });
    }
    // The stylesheet the page carries is the one the policy's hash allows.
    const style = /<style>([^<]*)<\/style>/.exec(ok.body)![1]!;
    expect(ok.headers['content-security-policy']).to.include(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
    expect(ok.body).to.not.match(/<script|<img|<link|<iframe|<form|\son[a-z]+=/i);
    expect([missing.status, missing.headers['content-type']]).to.deep.equal([404, 'text/html; charset=utf-8']);
    expect(missing.body).to.include('There is no such page.');
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const r = await fetchPage('/console/tvdc/fin', { user: ['dc', 'dc-password'], method });
      expect([r.status, r.headers['allow']], method).to.deep.equal([405, 'GET, HEAD']);
    }
    const head = await fetchPage('/console/events', { user: ['dc', 'dc-password'], method: 'HEAD' });
    expect([head.status, head.body]).to.deep.equal([200, '']);
  });

  it('a VM whose label the TVDc\'s policy no longer has is flagged as mis-assigned', async () => {
    await dc.del('/api/groups/fin/labels/SecurityUnderwriting?kind=vm');
    const r = await asAlice('/console/tvdc/fin');
    expect(rowWith(r.body, '<td>su</td><td>c2</td>')).to.include(`<strong class="problem">${PROBLEM_MARKER} SecurityUnderwriting (not a label of the TVDc's policy)</strong>`);
    // The disk's resource label of the same name is still in the policy; c2 now runs an older version.
    expect(rowWith(r.body, '<td>su-disk</td><td>c2</td>')).to.include('<td>SecurityUnderwriting</td>');
    expect(rowWith(r.body, '<td>c2</td><td>http://')).to.include(`${PROBLEM_MARKER} outdated (runs 1.1)`);
  });

  it('every page is well-formed, as XML and as HTML (xmllint)', () => {
    const bodies = pages.filter((p) => p.body !== '');
    expect(bodies.length).to.be.greaterThan(15);
    for (const [i, p] of bodies.entries()) writeFileSync(join(tmp.dir, `page${i}.html`), p.body);
    const files = bodies.map((_, i) => join(tmp.dir, `page${i}.html`));
    for (const args of [['--noout'], ['--html', '--noout']]) {
      const r = spawnSync('xmllint', [...args, ...files], { encoding: 'utf8' });
      expect(r.error).to.equal(undefined);
      expect([r.status, r.stdout + r.stderr], args.join(' ')).to.deep.equal([0, '']);
    }
  });
});
