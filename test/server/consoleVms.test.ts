// The web console starts, stops and migrates VMs and shows the audit trail: real host agents on
// loopback, a real server on a SQLite file, real HTTP posts as a browser sends them. What the
// forms did is read on the hosts over CIM; a migration offers the TVDc's other hosts only and a
// forged post to another TVDc's host gets the API's 409; the hosts' refusal and a migration whose
// outcome is unknown are shown as such; the audit page shows each user what he may read; every
// page well-formed (xmllint).
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import type { WbemConnection } from '../../client/cim/index.js';
import type { ApiClient } from '../../client/cli/ApiClient.js';
import { AUDIT_PAGE_LIMIT } from '../../client/server/console/auditPage.js';
import { PROBLEM_MARKER } from '../../client/server/console/markers.js';
import { consoleBrowser, outcome, type Page } from './support/consoleBrowser.js';
import { startTestHost, type TestHost } from './support/testHost.js';
import { client, defineVm, paperTvdc, requestState, startServer, stateOn, tempDir, tvdcConnection, type RunningServer } from './support/serverHarness.js';
import type { Relay } from '../support/Relay.js';
import { startHangingMigration, type HangingMigration } from './support/hangingMigration.js';

interface AuditEntry { id: number; user: string; group: string | null; action: string; outcome: string; message: string }

/** Every HTML page the tests were answered, to check each is well-formed at the end. */
const pages: { name: string; body: string }[] = [];

/** The table row of a page that starts with `start` (rows are one line each). */
const rowOf = (body: string, start: string) => body.split('\n').find((l) => l.startsWith(start));
/** The run controls of a VM row: each form's action, hard flag and button, and the migrate choices. */
function controls(row: string): { buttons: string[]; choices: string[] } {
  const cell = row.slice(row.lastIndexOf('<td>'));
  return {
    buttons: [...cell.matchAll(/<button type="submit">([^<]+)<\/button>/g)].map((m) => m[1]!),
    choices: [...cell.matchAll(/<option value="([^"]*)"/g)].map((m) => m[1]!),
  };
}
/** The audit rows of a page: [user, TVDc, action, outcome cell]. */
function auditOf(body: string): string[][] {
  return [...body.matchAll(/^<tr><td>\d+<\/td><td>[^<]+<\/td><td>([^<]*)<\/td><td>(.*?)<\/td><td>([^<]*)<\/td><td>(.*?)<\/td><td>.*<\/td><\/tr>$/gm)].map((m) => [m[1]!, m[2]!, m[3]!, m[4]!]);
}

describe('management server: the web console starts, stops and migrates VMs and shows the audit trail', function () {
  this.timeout(60_000);
  const tmp = tempDir('tvdc-console-vms-');
  let v1: TestHost, v2: TestHost, v3: TestHost;
  let cim1: WbemConnection, cim2: WbemConnection, cim3: WbemConnection;
  let srv: RunningServer;
  let dc: ApiClient;
  const { get, tokenOf, act, actConfirmed } = consoleBrowser(() => srv.url, pages);
  const where = async (name: string) => ({ v1: await stateOn(cim1, name), v2: await stateOn(cim2, name), v3: await stateOn(cim3, name) });

  before(async () => {
    [v1, v2, v3] = await Promise.all([startTestHost('v1'), startTestHost('v2'), startTestHost('v3')]);
    [cim1, cim2, cim3] = [v1, v2, v3].map((h) => tvdcConnection(h.origin)) as [WbemConnection, WbemConnection, WbemConnection];
    await defineVm(cim1, 'v1', 'ma');
    await defineVm(cim1, 'v1', 'su');
    await defineVm(cim3, 'v3', 'ob');
    srv = await startServer(join(tmp.dir, 'server.db'));
    await srv.server.users.add('dc', 'dcadmin', 'dc-password');
    await srv.server.users.add('alice', 'tvdcadmin', 'alice-password');
    await srv.server.users.add('bob', 'tvdcadmin', 'bob-password');
    dc = client(srv.url, 'dc', 'dc-password');
    for (const h of [v1, v2, v3]) await dc.post('/api/hosts', { url: h.origin });
    await paperTvdc(dc, 'fin', ['v1', 'v2'], { conflictSet: true });
    await paperTvdc(dc, 'other', ['v3']);
    await dc.put('/api/users/alice/groups/fin');
    await dc.put('/api/users/bob/groups/other');
    await dc.put('/api/groups/fin/vms/ma/label', { label: 'MarketAnalysis' });
    await dc.put('/api/groups/fin/vms/su/label', { label: 'SecurityUnderwriting' });
    await dc.put('/api/groups/other/vms/ob/label', { label: 'MarketAnalysis' });
  });

  after(async () => {
    await Promise.all([cim1, cim2, cim3].map((c) => c?.close()));
    await srv?.server.stop();
    await Promise.all([v1, v2, v3].map((h) => h?.stop()));
    tmp.remove();
  });

  it('a stopped VM offers Start only; once started through the form it runs on its host and offers Stop, Stop hard and Migrate to the TVDc\'s other host alone', async () => {
    const before = await get('alice', '/console/tvdc/fin');
    expect(before.body).to.include('<th>Start, stop, migrate</th>');
    const stopped = rowOf(before.body, '<tr><td>ma</td><td>v1</td><td>stopped</td>')!;
    expect(controls(stopped)).to.deep.equal({ buttons: ['Start'], choices: [] });
    expect(stopped).to.include('<input type="hidden" name="action" value="start"/><input type="hidden" name="vm" value="ma"/><button type="submit">Start</button>');

    const token = await tokenOf('alice', 'fin');
    const started = await act('alice', 'fin', { token, action: 'start', vm: 'ma' });
    expect(started.status).to.equal(200);
    expect(started.body).to.include('<h1>Action done</h1>').and.include('<tr><th>Action</th><td>Start the VM</td></tr>').and.include('<tr><th>Target</th><td>VM ma</td></tr>');
    expect(outcome(started.body)).to.equal('done');
    expect(started.body).to.include('<p>VM ma runs on host v1 now.</p>');
    expect(await where('ma')).to.deep.equal({ v1: 2, v2: null, v3: null });
    // Again: the API says it ran already, and the page says nothing was sent.
    const again = await act('alice', 'fin', { token, action: 'start', vm: 'ma' });
    expect([again.status, again.body.includes('VM ma was running on host v1 already; nothing was sent to the host.')]).to.deep.equal([200, true]);

    const running = rowOf((await get('alice', '/console/tvdc/fin')).body, '<tr><td>ma</td><td>v1</td><td>running</td>')!;
    // v3 is another TVDc's host, v1 the VM's own: neither is offered, and no host is preselected.
    expect(controls(running)).to.deep.equal({ buttons: ['Stop', 'Stop hard', 'Migrate'], choices: ['', 'v2'] });
    expect(running).to.include('<select name="to" required="required"><option value="" selected="selected">(choose a host)</option><option value="v2">v2</option></select>');
    expect(running).to.include('<input type="hidden" name="hard" value="false"/><button type="submit">Stop</button>');
    expect(running).to.include('<input type="hidden" name="hard" value="true"/><button type="submit">Stop hard</button>');
  });

  it('a tvdcadmin migrates a VM to the TVDc\'s other host through the form; the VM leaves v1 and runs on v2', async () => {
    const r = await actConfirmed('alice', 'fin', { token: await tokenOf('alice', 'fin'), action: 'migrate', vm: 'ma', to: 'v2' });
    expect(r.status).to.equal(200);
    expect(r.body).to.include('<tr><th>Action</th><td>Migrate the VM to host v2</td></tr>');
    expect(outcome(r.body)).to.equal('done');
    expect(r.body).to.include('<p>VM ma moved from host v1 to host v2; on v2 it is running.</p>');
    expect(await where('ma')).to.deep.equal({ v1: null, v2: 2, v3: null });
    expect(srv.log.some((l) => l.includes('TVDc fin: VM ma migrated from v1 to v2 by alice'))).to.equal(true);
    // The page now shows it on v2, where the other host to offer is v1.
    const row = rowOf((await get('alice', '/console/tvdc/fin')).body, '<tr><td>ma</td><td>v2</td><td>running</td>')!;
    expect(controls(row).choices).to.deep.equal(['', 'v1']);
  });

  it('a forged migration to another TVDc\'s host is the API\'s 409, for the dcadmin too; a missing choice is a 400; the VM stays where it runs', async () => {
    const token = await tokenOf('alice', 'fin');
    const forged = await actConfirmed('alice', 'fin', { token, action: 'migrate', vm: 'ma', to: 'v3' });
    expect(forged.status).to.equal(409);
    expect(forged.body).to.include('<h1>Action refused</h1>');
    expect(outcome(forged.body)).to.equal(`<strong class="problem">${PROBLEM_MARKER} refused: CONFLICT (HTTP 409): host v3 is not a host of TVDc fin: a VM migrates only between the hosts of its TVDc</strong>`);
    const asDc = await actConfirmed('dc', 'fin', { token: await tokenOf('dc', 'fin'), action: 'migrate', vm: 'ma', to: 'v3' });
    expect([asDc.status, outcome(asDc.body)?.includes('CONFLICT (HTTP 409): host v3 is not a host of TVDc fin')]).to.deep.equal([409, true]);
    // The placeholder sent as it is: the form had no choice made.
    const unchosen = await act('alice', 'fin', { token, action: 'migrate', vm: 'ma', to: '' });
    expect([unchosen.status, unchosen.body.includes('The form has no destination host (choose one) (field &quot;to&quot;). Nothing was changed.')]).to.deep.equal([400, true]);
    expect(await where('ma')).to.deep.equal({ v1: null, v2: 2, v3: null });
    expect(srv.log.some((l) => l.includes('migration of VM ma to v3 by alice refused: host of TVDc other'))).to.equal(true);
  });

  it('the destination\'s refusal is HOST_REFUSED with the host\'s reason (Chinese Wall: MA runs on v2); the VM keeps running on v1', async () => {
    const token = await tokenOf('alice', 'fin');
    expect(outcome((await act('alice', 'fin', { token, action: 'start', vm: 'su' })).body)).to.equal('done');
    const r = await actConfirmed('alice', 'fin', { token, action: 'migrate', vm: 'su', to: 'v2' });
    expect(r.status).to.equal(502);
    expect(r.body).to.include('<h1>Action refused</h1>');
    const cell = outcome(r.body)!;
    expect(cell).to.match(new RegExp(`^<strong class="problem">${PROBLEM_MARKER} refused: HOST_REFUSED \\(HTTP 502\\): host v1 did not migrate VM su to v2 `));
    expect(cell).to.include('collocation denied').and.include('the VM keeps running on &#39;v1&#39;');
    expect(await where('su')).to.deep.equal({ v1: 2, v2: null, v3: null });
  });

  it('Stop (an orderly shutdown) and Stop hard through the forms stop the VMs on their hosts; a stopped VM says so', async () => {
    const token = await tokenOf('alice', 'fin');
    const soft = await act('alice', 'fin', { token, action: 'stop', vm: 'su', hard: 'false' });
    expect([soft.status, outcome(soft.body)]).to.deep.equal([200, 'done']);
    expect(soft.body).to.include('<td>Stop the VM (orderly shutdown)</td>').and.include('<p>VM su on host v1 is stopped (orderly shutdown).</p>');
    expect(await stateOn(cim1, 'su')).to.equal(3);
    const hard = await actConfirmed('alice', 'fin', { token, action: 'stop', vm: 'ma', hard: 'true' });
    expect([hard.status, outcome(hard.body)]).to.deep.equal([200, 'done']);
    expect(hard.body).to.include('<td>Stop the VM hard</td>').and.include('<p>VM ma on host v2 is stopped (hard stop).</p>');
    expect(await stateOn(cim2, 'ma')).to.equal(3);
    const again = await act('alice', 'fin', { token, action: 'stop', vm: 'ma', hard: 'false' });
    expect([again.status, again.body.includes('VM ma on host v2 was stopped already; nothing was sent to the host.')]).to.deep.equal([200, true]);
    expect(srv.log.some((l) => l.endsWith('VM su on v1 shut down by alice'))).to.equal(true);
    expect(srv.log.some((l) => l.endsWith('VM ma on v2 stopped (hard) by alice'))).to.equal(true);
    // Back to Start only on the page.
    expect(controls(rowOf((await get('alice', '/console/tvdc/fin')).body, '<tr><td>su</td><td>v1</td><td>stopped</td>')!).buttons).to.deep.equal(['Start']);
    const bad = await act('alice', 'fin', { token, action: 'stop', vm: 'su', hard: 'yes' });
    expect([bad.status, bad.body.includes('is neither true (a hard stop) nor false (an orderly shutdown)')]).to.deep.equal([400, true]);
  });

  it('a VM action without a good token or from another site is refused (403); nothing changes on the host', async () => {
    const token = await tokenOf('alice', 'fin');
    const start = { action: 'start', vm: 'su' };
    const cases: [string, Promise<Page>][] = [
      ['no token', act('alice', 'fin', start)],
      ['forged token', act('alice', 'fin', { token: 'A'.repeat(token.length), ...start })],
      ['the dcadmin\'s token', act('alice', 'fin', { token: await tokenOf('dc', 'fin'), ...start })],
      ['cross-site Origin', act('alice', 'fin', { token, ...start }, { origin: 'https://evil.example', 'sec-fetch-site': null })],
      ['Sec-Fetch-Site cross-site', act('alice', 'fin', { token, ...start }, { origin: null, 'sec-fetch-site': 'cross-site' })],
    ];
    for (const [what, p] of cases) {
      const r = await p;
      expect(r.status, what).to.equal(403);
      expect(r.body, what).to.include('<h1>Request refused</h1>').and.include('Nothing was changed.');
    }
    const migrate = await act('alice', 'fin', { action: 'migrate', vm: 'su', to: 'v2' });
    expect(migrate.status).to.equal(403);
    expect(await where('su')).to.deep.equal({ v1: 3, v2: null, v3: null });
    expect(await where('ma')).to.deep.equal({ v1: null, v2: 3, v3: null });
  });

  it('another TVDc\'s tvdcadmin: its page is a 404 and so is a forged action on its VM, recorded as refused under that TVDc; his own VM starts', async () => {
    const token = await tokenOf('bob', 'other');
    const forged = await act('bob', 'fin', { token, action: 'start', vm: 'su' });
    expect(forged.status).to.equal(404);
    expect(forged.body).to.include('No TVDc named fin.');
    expect(await stateOn(cim1, 'su')).to.equal(3);
    const own = await act('bob', 'other', { token, action: 'start', vm: 'ob' });
    expect([own.status, outcome(own.body)]).to.deep.equal([200, 'done']);
    expect(await stateOn(cim3, 'ob')).to.equal(2);
  });

  it('a suspended VM offers Start (which resumes it) and Stop hard, no orderly stop and no migration', async () => {
    expect((await requestState(cim1, 'su', 2)).code).to.equal(0);
    expect((await requestState(cim1, 'su', 6)).code).to.equal(0);
    const row = rowOf((await get('alice', '/console/tvdc/fin')).body, '<tr><td>su</td><td>v1</td><td>suspended</td>')!;
    expect(controls(row)).to.deep.equal({ buttons: ['Start', 'Stop hard'], choices: [] });
    const token = await tokenOf('alice', 'fin');
    expect(outcome((await act('alice', 'fin', { token, action: 'start', vm: 'su' })).body)).to.equal('done');
    expect(await stateOn(cim1, 'su')).to.equal(2);
    expect(outcome((await actConfirmed('alice', 'fin', { token, action: 'stop', vm: 'su', hard: 'true' })).body)).to.equal('done');
    expect(await stateOn(cim1, 'su')).to.equal(3);
  });

  it('the audit page: the dcadmin reads every entry, each tvdcadmin his TVDc\'s only; the actions just made are there, refused and failed ones flagged', async () => {
    for (const user of ['dc', 'alice', 'bob']) {
      const overview = await get(user, '/console/');
      expect(overview.body, user).to.include('<a href="./audit">Audit trail</a>');
    }
    const all = await get('dc', '/console/audit');
    expect(all.status).to.equal(200);
    expect(all.body).to.include('<h1>Audit trail</h1>').and.include(`The latest ${AUDIT_PAGE_LIMIT} changes made through the server`);
    const rows = auditOf(all.body);
    const api = (await dc.get<{ entries: AuditEntry[] }>(`/api/audit?limit=${AUDIT_PAGE_LIMIT}`)).entries;
    // The page is the API's answer, newest first, row for row.
    expect(rows.map((r) => [r[0], r[2]])).to.deep.equal(api.map((e) => [e.user, e.action]));
    expect(rows).to.deep.include(['alice', 'fin', 'vm.migrate', 'done']);
    // The destination's refusal reads as one: not done, no unknown.
    expect(rows).to.deep.include(['alice', 'fin', 'vm.migrate', `<strong class="problem">${PROBLEM_MARKER} failed: the host refused it, not done</strong>`]);
    expect(rows).to.deep.include(['bob', 'fin', 'POST /console/tvdc/fin/actions', `<strong class="problem">${PROBLEM_MARKER} refused: not allowed</strong>`]);
    expect(rows).to.deep.include(['bob', 'other', 'vm.start', 'done']);
    expect(rows).to.deep.include(['dc', '<span class="muted">datacenter</span>', 'host.add', 'done']);
    expect(rowOf(all.body, `<tr><td>${api.find((e) => e.action === 'vm.stop' && e.message.includes('VM su on v1 shut down'))!.id}</td>`)).to.include('<td>TVDc fin: VM su on v1 shut down by alice</td>');

    const alice = auditOf((await get('alice', '/console/audit')).body);
    expect(alice.length).to.be.greaterThan(5);
    expect(alice.every((r) => r[1] === 'fin'), 'alice reads fin\'s entries only').to.equal(true);
    expect(alice.map((r) => r[2])).to.include.members(['vm.start', 'vm.migrate', 'vm.stop', 'POST /console/tvdc/fin/actions']);
    const bob = auditOf((await get('bob', '/console/audit')).body);
    expect(bob.map((r) => [r[0], r[1], r[2]])).to.deep.include(['bob', 'other', 'vm.start']);
    expect(bob.every((r) => r[1] === 'other'), 'bob reads other\'s entries only').to.equal(true);
  });

  it('the audit page\'s filters: by TVDc and outcome; a bad one shows the API\'s message with its status, every value escaped', async () => {
    const failed = await get('alice', '/console/audit?group=fin&outcome=failed');
    expect(failed.status).to.equal(200);
    expect(auditOf(failed.body).map((r) => [r[0], r[2]])).to.deep.equal([['alice', 'vm.migrate']]);
    // The form shows the filter it answered.
    expect(failed.body).to.include('<option value="fin" selected="selected">fin</option>').and.include('<option value="failed" selected="selected">failed</option>');
    // Empty values are the form's "any".
    expect(auditOf((await get('alice', '/console/audit?group=&outcome=')).body).length).to.equal(auditOf((await get('alice', '/console/audit')).body).length);
    const other = auditOf((await get('dc', '/console/audit?group=other')).body);
    expect(other.length).to.be.greaterThan(0);
    expect(other.every((r) => r[1] === 'other')).to.equal(true);

    const bad = await get('alice', '/console/audit?outcome=%3Cb%3Ebad');
    expect(bad.status).to.equal(400);
    expect(bad.body).to.include(`${PROBLEM_MARKER} filter refused: BAD_REQUEST (HTTP 400): outcome must be done, refused or failed, not &quot;&lt;b&gt;bad&quot;`);
    expect(bad.body).to.not.include('<b>');
    const notHers = await get('alice', '/console/audit?group=other');
    expect(notHers.status).to.equal(403);
    expect(notHers.body).to.include('FORBIDDEN (HTTP 403): alice is not authorized for TVDc other');
    expect(auditOf(notHers.body)).to.deep.equal([]);
    expect(srv.log.some((l) => l.startsWith('refused GET /console/audit from alice') && l.includes('not authorized for TVDc other'))).to.equal(true);
    const hostile = await get('dc', `/console/audit?group=${encodeURIComponent('<script>x</script>')}`);
    expect(hostile.status).to.equal(200);
    expect(hostile.body).to.include('<option value="&lt;script&gt;x&lt;/script&gt;" selected="selected">&lt;script&gt;x&lt;/script&gt;</option>').and.not.include('<script');
    const unknown = await get('dc', '/console/audit?user=alice');
    expect([unknown.status, unknown.body.includes('not by &quot;user&quot;')]).to.deep.equal([400, true]);
    const twice = await get('dc', '/console/audit?outcome=done&outcome=failed');
    expect([twice.status, twice.body.includes('The filter &quot;outcome&quot; was given 2 times.')]).to.deep.equal([400, true]);
    const post = await request(`${srv.url}/console/audit`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from('dc:dc-password').toString('base64')}` } });
    expect([post.statusCode, post.headers['allow']]).to.deep.equal([405, 'GET, HEAD']);
    await post.body.dump();
  });

  it('a TVDc\'s page lists its 10 latest audit entries and links to its trail', async () => {
    const page = (await get('alice', '/console/tvdc/fin')).body;
    const section = page.slice(page.indexOf('<h2>Latest audit entries</h2>'));
    const rows = auditOf(section);
    const api = (await dc.get<{ entries: AuditEntry[] }>('/api/audit?group=fin&limit=10')).entries;
    expect(rows.map((r) => [r[0], r[2]])).to.deep.equal(api.map((e) => [e.user, e.action]));
    expect(rows).to.have.length(10);
    expect(section).to.include('<a href="../audit?group=fin">The TVDc\'s audit trail</a>');
    expect(auditOf((await get('bob', '/console/tvdc/other')).body).every((r) => r[1] === 'other')).to.equal(true);
  });
});

describe('management server: a console migration whose destination hangs', function () {
  this.timeout(30_000);
  let hang: HangingMigration;
  let relay: Relay;
  let url = '';
  const { get, tokenOf, act, actConfirmed } = consoleBrowser(() => url, pages);

  before(async () => {
    hang = await startHangingMigration({ migrationTimeoutMs: 1_000 });
    ({ relay, url } = hang);
  });
  after(async () => {
    await hang?.stop();
  });

  it('is HOST_TIMEOUT (504) on the result page, saying the outcome is unknown, not refused; the audit page flags it failed', async () => {
    const r = await actConfirmed('dc', 'g', { token: await tokenOf('dc', 'g'), action: 'migrate', vm: 'mv', to: 'b' });
    expect(relay.heldRequests).to.equal(1);
    expect(r.status).to.equal(504);
    expect(r.body).to.include('<h1>Outcome unknown</h1>');
    expect(outcome(r.body)).to.match(new RegExp(`^<strong class="problem">${PROBLEM_MARKER} outcome unknown: HOST_TIMEOUT \\(HTTP 504\\): .*whether VM mv moved to b is unknown`));
    expect(r.body).to.include(`${PROBLEM_MARKER} whether this was done is unknown</strong>: the host did not finish in time`);
    const audit = auditOf((await get('dc', '/console/audit?outcome=failed')).body);
    expect(audit.map((x) => [x[0], x[1], x[2]])).to.deep.equal([['dc', 'g', 'vm.migrate']]);
    // A timeout is no refusal: its outcome stays unknown in the words.
    expect(audit[0]![3]).to.equal(`<strong class="problem">${PROBLEM_MARKER} failed: asked of the hosts, not done or its outcome unknown</strong>`);
  });
});

describe('management server: the console\'s VM and audit pages are well-formed', () => {
  it('every page, as XML and as HTML (xmllint)', () => {
    const tmp = tempDir('tvdc-console-vms-pages-');
    try {
      expect(pages.length).to.be.greaterThan(30);
      const files = pages.map((p, i) => {
        const f = join(tmp.dir, `page${i}.html`);
        writeFileSync(f, p.body);
        return f;
      });
      for (const args of [['--noout'], ['--html', '--noout']]) {
        const r = spawnSync('xmllint', [...args, ...files], { encoding: 'utf8' });
        expect(r.error).to.equal(undefined);
        expect([r.status, r.stdout + r.stderr], args.join(' ')).to.deep.equal([0, '']);
      }
    } finally {
      tmp.remove();
    }
  });
});
