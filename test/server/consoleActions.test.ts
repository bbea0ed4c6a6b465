// The web console's forms: real host agents on loopback, a real server on a SQLite file, real
// HTTP posts as a browser sends them. Labels assigned and removed through the forms and checked on
// the hosts over CIM; the API's own refusals (a tvdcadmin's deploy, the bootstrap label, another
// TVDc, a drifted host) shown with their codes; every CSRF defence refusing with 403 while the
// host stays unchanged; the forms' pages well-formed (xmllint).
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import type { ApiClient } from '../../client/cli/ApiClient.js';
import { consoleToken, TOKEN_WINDOW_MS } from '../../client/server/console/ConsoleTokens.js';
import { FORM_LIMIT_BYTES } from '../../client/server/console/formPost.js';
import { PROBLEM_MARKER } from '../../client/server/console/markers.js';
import { diskPath } from '../../client/server/HostCim.js';
import { addLabel, forHost } from '../../src/tvdc/management/PolicyEditor.js';
import { loadPolicy } from '../../src/tvdc/policy/loadPolicy.js';
import { writeAcmXml } from '../../src/tvdc/policy/writeAcmXml.js';
import { consoleBrowser, outcome, type Page } from './support/consoleBrowser.js';
import { startTestHost, type TestHost } from './support/testHost.js';
import { activePolicy, client, createDisk, runTvdc, defineVm, hostLabel, PAPER_POLICY, paperTvdc, resourceLabel, service, startServer, tempDir, tvdcConnection, type RunningServer } from './support/serverHarness.js';
import type { WbemConnection } from '../../client/cim/index.js';

describe('management server: the web console\'s forms', function () {
  this.timeout(60_000);
  const tmp = tempDir('tvdc-console-actions-');
  const db = join(tmp.dir, 'server.db');
  let a1: TestHost, a2: TestHost, a3: TestHost;
  let cim1: WbemConnection, cim2: WbemConnection, cim3: WbemConnection;
  let srv: RunningServer;
  let dc: ApiClient;
  /** Every HTML page answered, to check each is well-formed at the end. */
  const pages: { name: string; body: string }[] = [];

  const { get, tokenOf, post, act, actConfirmed } = consoleBrowser(() => srv.url, pages);

  before(async () => {
    [a1, a2, a3] = await Promise.all([startTestHost('a1'), startTestHost('a2'), startTestHost('a3')]);
    [cim1, cim2, cim3] = [a1, a2, a3].map((h) => tvdcConnection(h.origin)) as [WbemConnection, WbemConnection, WbemConnection];
    await defineVm(cim1, 'a1', 'ma');
    await createDisk(cim1, 'a1', 'ma-disk');
    await defineVm(cim2, 'a2', 'ob');
    await defineVm(cim3, 'a3', 'dr');
    srv = await startServer(db);
    await srv.server.users.add('dc', 'dcadmin', 'dc-password');
    await srv.server.users.add('alice', 'tvdcadmin', 'alice-password');
    dc = client(srv.url, 'dc', 'dc-password');
    for (const h of [a1, a2, a3]) await dc.post('/api/hosts', { url: h.origin });
    for (const [g, host] of [['fin', 'a1'], ['other', 'a2'], ['drifted', 'a3']] as const) await paperTvdc(dc, g, [host]);
    await dc.put('/api/users/alice/groups/fin');
    // a3's policy changed behind the server's back: drift.
    const current = loadPolicy(readFileSync(PAPER_POLICY, 'utf8'));
    const rogue = forHost(addLabel(current, { name: 'Rogue', kind: 'vm', ste: ['MA', 'SU'], cw: [] }), { name: 'tvdc-paper', version: '1.0' });
    expect(Number((await cim3.invokeMethod(service('a3', 'TVDc_SecurityService', 'SecurityService'), 'SetPolicy', { PolicyXML: writeAcmXml(rogue) })).returnValue)).to.equal(0);
    expect(await activePolicy(cim3)).to.equal('tvdc-paper 1.1');
  });

  after(async () => {
    await Promise.all([cim1, cim2, cim3].map((c) => c?.close()));
    await srv?.server.stop();
    await Promise.all([a1, a2, a3].map((h) => h?.stop()));
    tmp.remove();
  });

  it('the TVDc page has the forms: labels of each kind, bootstrap and deploy for the dcadmin only', async () => {
    const mine = await get('dc', '/console/tvdc/fin');
    expect(mine.headers['content-security-policy']).to.include("form-action 'self'");
    const vmRow = mine.body.split('\n').find((l) => l.startsWith('<tr><td>ma</td><td>a1</td>'))!;
    expect(vmRow).to.include('<form method="post" action="../tvdc/fin/actions">');
    expect(vmRow).to.include('<input type="hidden" name="element" value="vm"/><input type="hidden" name="name" value="ma"/>');
    expect([...vmRow.matchAll(/<option value="([^"]+)"/g)].map((m) => m[1])).to.deep.equal(['SystemManagement', 'MarketAnalysis', 'SecurityUnderwriting', 'MarketAnalysisHost']);
    expect(vmRow).to.not.include('Remove label'); // nothing to remove yet
    // Unlabeled: no label preselected, so a stray click assigns nothing.
    expect(vmRow).to.include('<select name="label" required="required"><option value="" selected="selected">(choose a label)</option><option value="SystemManagement">');
    const diskRow = mine.body.split('\n').find((l) => l.startsWith('<tr><td>ma-disk</td><td>a1</td>'))!;
    expect(diskRow).to.include('<input type="hidden" name="element" value="disk"/><input type="hidden" name="host" value="a1"/><input type="hidden" name="name" value="ma-disk"/>');
    expect([...diskRow.matchAll(/<option value="([^"]+)"/g)].map((m) => m[1])).to.deep.equal(['SystemManagement', 'MarketAnalysis', 'SecurityUnderwriting']);
    expect(mine.body).to.include('value="attest"/><button type="submit">Attest this TVDc now</button>');
    expect(mine.body).to.include('value="deploy"/><button type="submit">Deploy the policy');

    const hers = await get('alice', '/console/tvdc/fin');
    const herRow = hers.body.split('\n').find((l) => l.startsWith('<tr><td>ma</td><td>a1</td>'))!;
    // The reserved labels (the bootstrap label, and MarketAnalysisHost with its management type) are not offered to her.
    expect([...herRow.matchAll(/<option value="([^"]+)"/g)].map((m) => m[1])).to.deep.equal(['MarketAnalysis', 'SecurityUnderwriting']);
    const herDisk = hers.body.split('\n').find((l) => l.startsWith('<tr><td>ma-disk</td><td>a1</td>'))!;
    expect([...herDisk.matchAll(/<option value="([^"]+)"/g)].map((m) => m[1])).to.deep.equal(['MarketAnalysis', 'SecurityUnderwriting']);
    expect(hers.body).to.include('Attest this TVDc now').and.not.include('value="deploy"');
    // One token per user, not the same for two.
    expect(await tokenOf('alice', 'fin')).to.not.equal(await tokenOf('dc', 'fin'));
  });

  it('a tvdcadmin assigns and removes a VM\'s label and a disk\'s through the forms; the host has them', async () => {
    const token = await tokenOf('alice', 'fin');
    const assigned = await act('alice', 'fin', { token, action: 'label', element: 'vm', name: 'ma', label: 'MarketAnalysis' });
    expect(assigned.status).to.equal(200);
    expect(assigned.body).to.include('<h1>Action done</h1>').and.include('<tr><th>Action</th><td>Assign label MarketAnalysis</td></tr>').and.include('<tr><th>Target</th><td>VM ma</td></tr>');
    expect(outcome(assigned.body)).to.equal('done');
    expect(assigned.body).to.include('The host a1 stores it as ACM:tvdc-paper:MarketAnalysis.').and.include('<a href="../../tvdc/fin">Back to TVDc fin</a>');
    expect(await hostLabel(cim1, 'ma')).to.equal('ACM:tvdc-paper:MarketAnalysis');
    // The page now shows it, preselected, with a Remove button.
    const row = (await get('alice', '/console/tvdc/fin')).body.split('\n').find((l) => l.startsWith('<tr><td>ma</td><td>a1</td>'))!;
    expect(row).to.include('<td>MarketAnalysis</td>').and.include('<option value="MarketAnalysis" selected="selected">').and.include('Remove label').and.not.include('(choose a label)');

    const removed = await actConfirmed('alice', 'fin', { token, action: 'unlabel', element: 'vm', name: 'ma' });
    expect([removed.status, outcome(removed.body)]).to.deep.equal([200, 'done']);
    expect(removed.body).to.include('<td>Remove the label</td>');
    expect(await hostLabel(cim1, 'ma')).to.equal(null);

    const diskLabel = await act('alice', 'fin', { token, action: 'label', element: 'disk', host: 'a1', name: 'ma-disk', label: 'MarketAnalysis' });
    expect([diskLabel.status, outcome(diskLabel.body)]).to.deep.equal([200, 'done']);
    expect(await resourceLabel(cim1, diskPath('a1', 'ma-disk'))).to.equal('TVDc:tvdc-paper:resource:MarketAnalysis');
    expect(srv.log.some((l) => l.includes('VM ma on a1 labeled MarketAnalysis by alice'))).to.equal(true);
  });

  it('a tvdcadmin cannot deploy, cannot assign the bootstrap label, and another TVDc answers as a missing one; the hosts stay as they were', async () => {
    const token = await tokenOf('alice', 'fin');
    const deploy = await actConfirmed('alice', 'fin', { token, action: 'deploy' });
    expect(deploy.status).to.equal(403);
    expect(outcome(deploy.body)).to.include(`${PROBLEM_MARKER} refused: FORBIDDEN (HTTP 403): alice is a tvdcadmin; only a dcadmin may do this`);
    expect(srv.log.some((l) => l.startsWith('refused POST /console/tvdc/fin/actions from alice') && l.includes('FORBIDDEN'))).to.equal(true);

    const bootstrap = await act('alice', 'fin', { token, action: 'label', element: 'vm', name: 'ma', label: 'SystemManagement' });
    expect(bootstrap.status).to.equal(403);
    expect(outcome(bootstrap.body)).to.include('FORBIDDEN').and.include('bootstrap');
    expect(await hostLabel(cim1, 'ma')).to.equal(null);

    const other = await act('alice', 'other', { token, action: 'label', element: 'vm', name: 'ob', label: 'MarketAnalysis' });
    const missing = await act('alice', 'nosuch', { token, action: 'label', element: 'vm', name: 'ob', label: 'MarketAnalysis' });
    expect([other.status, missing.status]).to.deep.equal([404, 404]);
    expect(other.body.replace('other', 'X')).to.equal(missing.body.replace('nosuch', 'X'));
    const attestOther = await act('alice', 'other', { token, action: 'attest' });
    expect(attestOther.status).to.equal(404);
    expect(await hostLabel(cim2, 'ob')).to.equal(null);
    expect(srv.log.some((l) => l.startsWith('refused POST /console/tvdc/other/actions from alice') && l.includes('not authorized for TVDc other'))).to.equal(true);
    // The dcadmin may do what she may not.
    const dcToken = await tokenOf('dc', 'fin');
    const ok = await act('dc', 'other', { token: dcToken, action: 'label', element: 'vm', name: 'ob', label: 'SystemManagement' });
    expect([ok.status, outcome(ok.body)]).to.deep.equal([200, 'done']);
    expect(await hostLabel(cim2, 'ob')).to.equal('ACM:tvdc-paper:SystemManagement');
  });

  it('a missing, forged, another user\'s or expired token, a cross-site Origin or Sec-Fetch-Site: 403, nothing changed on the host', async () => {
    const token = await tokenOf('alice', 'fin');
    const window = Math.floor(Date.now() / TOKEN_WINDOW_MS);
    const assign = { action: 'label', element: 'vm', name: 'ma', label: 'MarketAnalysis' };
    const cases: [string, Promise<Page>][] = [
      ['no token', act('alice', 'fin', assign)],
      ['forged token', act('alice', 'fin', { token: 'A'.repeat(token.length), ...assign })],
      ['empty token', act('alice', 'fin', { token: '', ...assign })],
      ['the dcadmin\'s token', act('alice', 'fin', { token: await tokenOf('dc', 'fin'), ...assign })],
      ['alice\'s token two windows old', act('alice', 'fin', { token: srv.server.consoleTokens.issue('alice', window - 2), ...assign })],
      ['a token of another key', act('alice', 'fin', { token: consoleToken(Buffer.alloc(32, 7), 'alice', window), ...assign })],
      ['cross-site Origin', act('alice', 'fin', { token, ...assign }, { origin: 'https://evil.example', 'sec-fetch-site': null })],
      ['Origin null', act('alice', 'fin', { token, ...assign }, { origin: 'null', 'sec-fetch-site': null })],
      ['Sec-Fetch-Site cross-site', act('alice', 'fin', { token, ...assign }, { origin: null, 'sec-fetch-site': 'cross-site' })],
      ['Sec-Fetch-Site same-site', act('alice', 'fin', { token, ...assign }, { origin: null, 'sec-fetch-site': 'same-site' })],
    ];
    for (const [what, p] of cases) {
      const r = await p;
      expect(r.status, what).to.equal(403);
      expect(r.headers['content-type'], what).to.equal('text/html; charset=utf-8');
      expect(r.body, what).to.include('<h1>Request refused</h1>').and.include('Nothing was changed.');
    }
    expect(await hostLabel(cim1, 'ma')).to.equal(null);
    expect(srv.log.filter((l) => l.startsWith('refused POST /console/tvdc/fin/actions from alice') && l.includes('anti-CSRF token')).length).to.equal(6);
    // Not a form, too large, or a field twice: refused before anything is done.
    const json = await act('alice', 'fin', { token, ...assign }, { 'content-type': 'application/json' });
    expect(json.status).to.equal(415);
    const big = await post('alice', '/console/tvdc/fin/actions', `${new URLSearchParams({ token, ...assign })}&pad=${'x'.repeat(FORM_LIMIT_BYTES)}`);
    expect(big.status).to.equal(413);
    const twice = await post('alice', '/console/tvdc/fin/actions', `${new URLSearchParams({ token, ...assign })}&label=SecurityUnderwriting`);
    expect([twice.status, twice.body.includes('The form field &quot;label&quot; was sent 2 times.')]).to.deep.equal([400, true]);
    expect(await hostLabel(cim1, 'ma')).to.equal(null);
    // The previous window's token is still good: a form kept open across the hour still works.
    const previous = await act('alice', 'fin', { token: srv.server.consoleTokens.issue('alice', window - 1), ...assign });
    expect([previous.status, outcome(previous.body)]).to.deep.equal([200, 'done']);
    expect(await hostLabel(cim1, 'ma')).to.equal('ACM:tvdc-paper:MarketAnalysis');
    expect((await actConfirmed('alice', 'fin', { token, action: 'unlabel', element: 'vm', name: 'ma' })).status).to.equal(200);
  });

  it('a drifted host\'s refusal is shown with its code; the label is not assigned', async () => {
    const r = await act('dc', 'drifted', { token: await tokenOf('dc', 'drifted'), action: 'label', element: 'vm', name: 'dr', label: 'MarketAnalysis' });
    expect(r.status).to.equal(409);
    expect(r.body).to.include('<h1>Action refused</h1>');
    expect(outcome(r.body)).to.match(new RegExp(`^<strong class="problem">${PROBLEM_MARKER} refused: CONFLICT \\(HTTP 409\\): host a3 has drifted: `));
    expect(await hostLabel(cim3, 'dr')).to.equal(null);
  });

  it('the dcadmin attests the TVDc and deploys its policy from the page', async () => {
    const token = await tokenOf('dc', 'fin');
    const attest = await act('dc', 'fin', { token, action: 'attest' });
    expect(attest.status).to.equal(200);
    expect(attest.body).to.include('<td>Attest the TVDc now</td>');
    // No trust anchors were registered: the host's attestation fails, and the page says so.
    expect(attest.body).to.match(/<tr><td>a1<\/td><td><\/td><td><strong class="problem">✖ PROBLEM: failed<\/strong><\/td><td><ul><li>NO_TRUST_ANCHOR: /);
    const events = await dc.get<{ events: { host: string; group: string | null }[] }>('/api/events?group=fin');
    expect(events.events.map((e) => e.host)).to.include('a1');

    const deploy = await actConfirmed('dc', 'fin', { token, action: 'deploy' });
    expect([deploy.status, outcome(deploy.body)]).to.deep.equal([200, 'done']);
    expect(deploy.body).to.include('Policy tvdc-paper 1.0: every host took it.').and.include('<tr><td>a1</td><td>deployed</td>');
    // A host that does not take the policy is reported, not hidden: here the drifted host, whose
    // rogue version is higher than the TVDc's.
    const partial = await actConfirmed('dc', 'drifted', { token: await tokenOf('dc', 'drifted'), action: 'deploy' });
    expect(partial.status).to.equal(200);
    expect(partial.body).to.include('<h1>Action partly done</h1>');
    expect(outcome(partial.body)).to.equal(`<strong class="problem">${PROBLEM_MARKER} done on some hosts only</strong>`);
    expect(partial.body).to.include(`<tr><td>a3</td><td><strong class="problem">${PROBLEM_MARKER} failed</strong></td><td>SetPolicy refused (2): version 1.0 is not higher than the active version 1.1</td></tr>`);
    expect(await activePolicy(cim3)).to.equal('tvdc-paper 1.1');
    // The trail says which deployment failed on a host, and finds it under outcome failed.
    const latest = async (group: string) => (await dc.get<{ entries: { outcome: string; message: string }[] }>(`/api/audit?group=${group}&action=policy.deploy&limit=1`)).entries.map((e) => [e.outcome, e.message]);
    expect(await latest('drifted')).to.deep.equal([['failed', 'TVDc drifted: policy tvdc-paper 1.0 deployed by dc: a3 failed']]);
    expect(await latest('fin')).to.deep.equal([['done', 'TVDc fin: policy tvdc-paper 1.0 deployed by dc: a1 deployed']]);
    const failed = (await dc.get<{ entries: { group: string; action: string }[] }>('/api/audit?outcome=failed&action=policy.deploy')).entries;
    expect(failed.map((e) => e.group)).to.deep.equal(['drifted']);

    // A TVDc named like a host: the attest route would take the host, so the button refuses.
    await dc.post('/api/groups', { name: 'a2' });
    const before = (await dc.get<{ events: unknown[] }>('/api/events?limit=10000')).events.length;
    const ambiguous = await act('dc', 'a2', { token, action: 'attest' });
    expect([ambiguous.status, ambiguous.body.includes('A host is also named a2')]).to.deep.equal([409, true]);
    expect((await dc.get<{ events: unknown[] }>('/api/events?limit=10000')).events.length).to.equal(before);
    await dc.del('/api/groups/a2');
  });

  it('destructive actions ask first: the confirmation page carries the form on and changes nothing; the others act at once', async () => {
    const token = await tokenOf('alice', 'fin');
    expect((await act('alice', 'fin', { token, action: 'label', element: 'vm', name: 'ma', label: 'MarketAnalysis' })).body).to.include('<h1>Action done</h1>');
    // Removing the label: first the question, with the way back, and the label still on the host.
    const asked = await act('alice', 'fin', { token, action: 'unlabel', element: 'vm', name: 'ma' });
    expect(asked.status).to.equal(200);
    expect(asked.body).to.include('<h1>Confirm the action</h1>').and.include('<tr><th>Target</th><td>VM ma</td></tr>')
      .and.include('<form method="post" action="../../tvdc/fin/actions">')
      .and.include('<button type="submit">Yes: Remove the label</button>')
      .and.include('<a href="../../tvdc/fin">No, back to TVDc fin</a>');
    expect(await hostLabel(cim1, 'ma')).to.equal('ACM:tvdc-paper:MarketAnalysis');
    // The confirmation is a form like the others: its token is checked, its value must be "yes".
    const noToken = await act('alice', 'fin', { action: 'unlabel', element: 'vm', name: 'ma', confirm: 'yes' });
    expect(noToken.status).to.equal(403);
    const maybe = await act('alice', 'fin', { token, action: 'unlabel', element: 'vm', name: 'ma', confirm: 'maybe' });
    expect([maybe.status, maybe.body.includes('is not &quot;yes&quot;')]).to.deep.equal([400, true]);
    expect(await hostLabel(cim1, 'ma')).to.equal('ACM:tvdc-paper:MarketAnalysis');
    // Each destructive form asks; a disk's label removal carries its host on.
    for (const fields of [
      { action: 'deploy' } as Record<string, string>,
      { action: 'unlabel', element: 'disk', host: 'a1', name: 'ma-disk' },
    ]) {
      const r = await act('dc', 'fin', { token: await tokenOf('dc', 'fin'), ...fields });
      expect(r.body, fields.action).to.include('<h1>Confirm the action</h1>');
    }
    expect(await resourceLabel(cim1, diskPath('a1', 'ma-disk'))).to.equal('TVDc:tvdc-paper:resource:MarketAnalysis');
    const removed = await actConfirmed('alice', 'fin', { token, action: 'unlabel', element: 'vm', name: 'ma' });
    expect([removed.status, outcome(removed.body)]).to.deep.equal([200, 'done']);
    expect(await hostLabel(cim1, 'ma')).to.equal(null);
  });

  it('the management VM offers a tvdcadmin no control (the API refuses her all); the dcadmin has them', async () => {
    await defineVm(cim1, 'a1', 'mg');
    await dc.put('/api/groups/fin/vms/mg/label', { label: 'SystemManagement' });
    const row = (user: string) => get(user, '/console/tvdc/fin').then((p) => p.body.split('\n').find((l) => l.startsWith('<tr><td>mg</td><td>a1</td>'))!);
    const hers = await row('alice');
    expect(hers).to.not.include('<form');
    expect(hers.split('the management VM: a dcadmin\'s only').length - 1).to.equal(2);
    // Her other VM keeps its controls.
    expect((await get('alice', '/console/tvdc/fin')).body.split('\n').find((l) => l.startsWith('<tr><td>ma</td><td>a1</td>'))).to.include('<button type="submit">Assign</button>').and.include('<button type="submit">Start</button>');
    const his = await row('dc');
    expect(his).to.include('<button type="submit">Remove label</button>').and.include('<button type="submit">Start</button>').and.not.include('dcadmin\'s only');
    // A post made all the same is the API's refusal; the label stays.
    const forged = await actConfirmed('alice', 'fin', { token: await tokenOf('alice', 'fin'), action: 'unlabel', element: 'vm', name: 'mg' });
    expect(forged.status).to.equal(403);
    expect(outcome(forged.body)).to.include('holds SystemManagement, the bootstrap (management VM) label');
    expect(await hostLabel(cim1, 'mg')).to.equal('ACM:tvdc-paper:SystemManagement');
  });

  it('the label choices are those of the policy deployed on the element\'s host, not a newer undeployed one', async () => {
    const options = (body: string, start: string) => [...body.split('\n').find((l) => l.startsWith(start))!.matchAll(/<option value="([^"]+)"/g)].map((m) => m[1]);
    await dc.post('/api/groups/fin/labels', { name: 'Trading', kind: 'vm', types: ['TR'] });
    await dc.post('/api/groups/fin/labels', { name: 'TradingData', kind: 'resource', types: ['TR'] });
    for (const user of ['alice', 'dc']) {
      const page = (await get(user, '/console/tvdc/fin')).body;
      expect(page).to.include('<tr><td>Trading</td><td>vm</td>'); // the TVDc's policy lists it
      expect(options(page, '<tr><td>ma</td><td>a1</td>'), user).to.include('MarketAnalysis');
      expect(options(page, '<tr><td>ma</td><td>a1</td>'), user).to.not.include('Trading');
      expect(options(page, '<tr><td>ma-disk</td><td>a1</td>'), user).to.include('MarketAnalysis');
      expect(options(page, '<tr><td>ma-disk</td><td>a1</td>'), user).to.not.include('TradingData');
    }
    // The API refuses it too, until deployed.
    const early = await act('alice', 'fin', { token: await tokenOf('alice', 'fin'), action: 'label', element: 'vm', name: 'ma', label: 'Trading' });
    expect([early.status, outcome(early.body)?.includes('is not a VM label of policy tvdc-paper 1.0 deployed to host a1')]).to.deep.equal([404, true]);
    const deployed = await actConfirmed('dc', 'fin', { token: await tokenOf('dc', 'fin'), action: 'deploy' });
    expect(outcome(deployed.body)).to.equal('done');
    const page = (await get('alice', '/console/tvdc/fin')).body;
    expect(options(page, '<tr><td>ma</td><td>a1</td>')).to.include('Trading');
    expect(options(page, '<tr><td>ma-disk</td><td>a1</td>')).to.include('TradingData');
    const late = await act('alice', 'fin', { token: await tokenOf('alice', 'fin'), action: 'label', element: 'vm', name: 'ma', label: 'Trading' });
    expect(outcome(late.body)).to.equal('done');
    expect(await hostLabel(cim1, 'ma')).to.equal('ACM:tvdc-paper:Trading');
  });

  it('an unreachable host\'s label is unknown, not none (page and tvdc groups show)', async () => {
    const before = (await get('dc', '/console/tvdc/drifted')).body.split('\n').find((l) => l.startsWith('<tr><td>a3</td>'))!;
    expect(before).to.include('<td>yes</td><td>SystemManagement</td>');
    const shown = await runTvdc(srv.url, 'dc', 'dc-password', 'groups', 'show', 'drifted');
    expect(shown.out).to.match(/^host a3 .* label SystemManagement /m);
    dc = client(srv.url, 'dc', 'dc-password');
    await a3.stop();
    const after = (await get('dc', '/console/tvdc/drifted')).body.split('\n').find((l) => l.startsWith('<tr><td>a3</td>'))!;
    expect(after).to.include('unreachable').and.include('<td><span class="muted">unknown (not read)</span></td>').and.not.include('>none<');
    const down = await runTvdc(srv.url, 'dc', 'dc-password', 'groups', 'show', 'drifted');
    expect(down.out).to.match(/^host a3 .* label \(unknown: host unreachable\) /m);
    dc = client(srv.url, 'dc', 'dc-password');
  });

  it('only POST to a TVDc\'s actions path; GET and HEAD stay read-only; a bad form is a 400', async () => {
    const token = await tokenOf('dc', 'fin');
    const getActions = await get('dc', '/console/tvdc/fin/actions');
    expect([getActions.status, getActions.headers['allow']]).to.deep.equal([405, 'POST']);
    const postPage = await post('dc', '/console/tvdc/fin', { token, action: 'attest' });
    expect([postPage.status, postPage.headers['allow']]).to.deep.equal([405, 'GET, HEAD']);
    for (const [fields, message] of [
      [{ token, action: 'reboot' }, 'an action the console does not have'],
      [{ token, action: 'label', element: 'vm', name: 'ma' }, 'no label (choose one)'],
      [{ token, action: 'label', element: 'disk', name: 'ma-disk', label: 'MarketAnalysis' }, 'names no host of the disk'],
      [{ token, action: 'attest', extra: '<b>x</b>' }, 'a field &quot;extra&quot;'],
    ] as const) {
      const r = await act('dc', 'fin', fields);
      expect([r.status, r.body.includes(message)], message).to.deep.equal([400, true]);
      expect(r.body).to.not.include('<b>');
    }
    // Anonymous posts are the 401 of every console page.
    const anonymous = await request(`${srv.url}/console/tvdc/fin/actions`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${token}&action=attest` });
    expect(anonymous.statusCode).to.equal(401);
    await anonymous.body.dump();
  });

  it('a form made before a restart still works after it (the key is the database\'s)', async () => {
    const token = await tokenOf('alice', 'fin');
    await srv.server.stop();
    srv = await startServer(db);
    const r = await act('alice', 'fin', { token, action: 'label', element: 'vm', name: 'ma', label: 'SecurityUnderwriting' });
    expect([r.status, outcome(r.body)]).to.deep.equal([200, 'done']);
    expect(await hostLabel(cim1, 'ma')).to.equal('ACM:tvdc-paper:SecurityUnderwriting');
  });

  it('every page is well-formed, as XML and as HTML (xmllint)', () => {
    expect(pages.length).to.be.greaterThan(20);
    for (const [i, p] of pages.entries()) writeFileSync(join(tmp.dir, `page${i}.html`), p.body);
    const files = pages.map((_, i) => join(tmp.dir, `page${i}.html`));
    for (const args of [['--noout'], ['--html', '--noout']]) {
      const r = spawnSync('xmllint', [...args, ...files], { encoding: 'utf8' });
      expect(r.error).to.equal(undefined);
      expect([r.status, r.stdout + r.stderr], args.join(' ')).to.deep.equal([0, '']);
    }
  });
});
