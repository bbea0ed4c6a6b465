// The web console in a real browser: headless Chromium (the Debian package, /usr/bin/chromium)
// driven over the DevTools protocol, against a real management server on a SQLite file and real
// host agents on loopback. The buttons are clicked as a user clicks them, so the browser, not the
// test, decides every header of the posts (Origin, Sec-Fetch-Site, Referer) under the pages' own
// policies (CSP, Referrer-Policy); the fake browser of the other console tests cannot show what a
// browser really sends. Outcomes are read on the result pages and on the hosts over CIM. A page of
// another origin that posts a console form with the user's own credentials and even a valid token
// is refused, and nothing changes on the host.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import puppeteer, { type Browser, type HTTPResponse, type Page } from 'puppeteer-core';
import type { WbemConnection } from '../../client/cim/index.js';
import type { ApiClient } from '../../client/cli/ApiClient.js';
import { activePolicy, client, defineVm, hostLabel, paperTvdc, startServer, stateOn, tempDir, tvdcConnection, type RunningServer } from './support/serverHarness.js';
import { startTestHost, type TestHost } from './support/testHost.js';

/** Where CI (.ci/run) installs the browser: the Debian package `chromium`. */
const CHROMIUM = '/usr/bin/chromium';

/** The CSS selector of the form with these hidden fields. */
const formWith = (fields: Record<string, string>) =>
  `form${Object.entries(fields).map(([k, v]) => `:has(input[type="hidden"][name="${k}"][value="${v}"])`).join('')}`;

describe('management server: the web console in a real browser (headless Chromium)', function () {
  this.timeout(60_000);
  const tmp = tempDir('tvdc-console-chromium-');
  let b1: TestHost, b2: TestHost;
  let cim1: WbemConnection, cim2: WbemConnection;
  let srv: RunningServer;
  let dc: ApiClient;
  let browser: Browser;
  let attacker: Server;
  /** Each user's page, signed in. */
  const pages = new Map<string, Page>();
  /** Every form post the browser sent: its URL and Origin header. */
  const posts: { url: string; origin: string | undefined }[] = [];

  /** `user`'s page, in a browser context of its own (no shared cookies or cache). */
  async function pageOf(user: string): Promise<Page> {
    const known = pages.get(user);
    if (known) return known;
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    // Basic credentials on every request of the page, as a browser sends them once signed in,
    // to the console and to any other site's page that posts to it alike.
    await page.setExtraHTTPHeaders({ authorization: `Basic ${Buffer.from(`${user}:${user}-password`).toString('base64')}` });
    page.on('request', (r) => {
      if (r.method() === 'POST') posts.push({ url: r.url(), origin: r.headers()['origin'] });
    });
    pages.set(user, page);
    return page;
  }

  async function open(user: string, path: string): Promise<Page> {
    const page = await pageOf(user);
    const r = await page.goto(`${srv.url}${path}`);
    expect(r?.status(), path).to.equal(200);
    return page;
  }

  /** Clicks the submit button of the form selected and waits for the page it leads to. */
  async function submit(page: Page, form: string): Promise<{ status: number; h1: string; outcome: string | null }> {
    const [r] = await Promise.all([page.waitForNavigation(), page.click(`${form} button[type="submit"]`)]) as [HTTPResponse | null, void];
    return {
      status: r!.status(),
      h1: await page.$eval('h1', (e) => e.textContent ?? ''),
      outcome: await page.$$eval('tr', (rows) => rows.find((tr) => tr.querySelector('th')?.textContent === 'Outcome')?.querySelector('td')?.textContent ?? null),
    };
  }

  before(async () => {
    // No skip: a machine without the browser fails here, saying what to install.
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install the Debian package chromium (apt-get install chromium; .ci/run does)`);
    const launching = puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      // --no-sandbox only because CI runs as root, where Chromium refuses to start its sandbox.
      args: ['--no-sandbox'],
    });
    [b1, b2] = await Promise.all([startTestHost('b1'), startTestHost('b2')]);
    [cim1, cim2] = [b1, b2].map((h) => tvdcConnection(h.origin)) as [WbemConnection, WbemConnection];
    await defineVm(cim1, 'b1', 'ma');
    await defineVm(cim1, 'b1', 'su');
    srv = await startServer(join(tmp.dir, 'server.db'));
    await srv.server.users.add('dc', 'dcadmin', 'dc-password');
    await srv.server.users.add('alice', 'tvdcadmin', 'alice-password');
    dc = client(srv.url, 'dc', 'dc-password');
    for (const h of [b1, b2]) await dc.post('/api/hosts', { url: h.origin });
    await paperTvdc(dc, 'fin', ['b1', 'b2']);
    await dc.put('/api/users/alice/groups/fin');
    await dc.put('/api/groups/fin/vms/su/label', { label: 'SecurityUnderwriting' });
    browser = await launching;
  });

  after(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (attacker ? attacker.close(() => resolve()) : resolve()));
    await Promise.all([cim1, cim2].map((c) => c?.close()));
    await srv?.server.stop();
    await Promise.all([b1, b2].map((h) => h?.stop()));
    tmp.remove();
  });

  it('a tvdcadmin assigns a label by choosing it and clicking Assign; the host has it; the browser sent the console\'s own Origin', async () => {
    const page = await open('alice', '/console/tvdc/fin');
    const form = formWith({ action: 'label', element: 'vm', name: 'ma' });
    await page.select(`${form} select[name="label"]`, 'MarketAnalysis');
    const r = await submit(page, form);
    expect([r.status, r.h1, r.outcome]).to.deep.equal([200, 'Action done', 'done']);
    expect(await hostLabel(cim1, 'ma')).to.equal('ACM:tvdc-paper:MarketAnalysis');
    // What no fake browser proves: under the pages' Referrer-Policy, Chromium names the console
    // as the post's Origin (under no-referrer it sent "null", which the console refuses).
    expect(posts.at(-1)).to.deep.equal({ url: `${srv.url}/console/tvdc/fin/actions`, origin: srv.url });
  });

  it('Start runs the VM at once; Stop hard asks first, and the confirmation\'s Yes stops it', async () => {
    let page = await open('alice', '/console/tvdc/fin');
    const started = await submit(page, formWith({ action: 'start', vm: 'ma' }));
    expect([started.status, started.h1, started.outcome]).to.deep.equal([200, 'Action done', 'done']);
    expect(await stateOn(cim1, 'ma')).to.equal(2);

    page = await open('alice', '/console/tvdc/fin');
    const asked = await submit(page, formWith({ action: 'stop', vm: 'ma', hard: 'true' }));
    expect([asked.status, asked.h1]).to.deep.equal([200, 'Confirm the action']);
    expect(await stateOn(cim1, 'ma')).to.equal(2); // asked, not done
    const done = await submit(page, formWith({ action: 'stop', vm: 'ma', hard: 'true', confirm: 'yes' }));
    expect([done.status, done.h1, done.outcome]).to.deep.equal([200, 'Action done', 'done']);
    expect(await page.$eval('body', (b) => b.textContent)).to.include('VM ma on host b1 is stopped (hard stop).');
    expect(await stateOn(cim1, 'ma')).to.equal(3);
  });

  it('Migrate (confirmed) moves a running VM to the TVDc\'s other host; its "No" link changes nothing', async () => {
    let page = await open('alice', '/console/tvdc/fin');
    expect((await submit(page, formWith({ action: 'start', vm: 'su' }))).outcome).to.equal('done');
    page = await open('alice', '/console/tvdc/fin');
    const form = formWith({ action: 'migrate', vm: 'su' });
    await page.select(`${form} select[name="to"]`, 'b2');
    const asked = await submit(page, form);
    expect(asked.h1).to.equal('Confirm the action');
    // "No": back to the TVDc's page, the VM where it was.
    await Promise.all([page.waitForNavigation(), page.click('a[href="../../tvdc/fin"]')]);
    expect(page.url()).to.equal(`${srv.url}/console/tvdc/fin`);
    expect([await stateOn(cim1, 'su'), await stateOn(cim2, 'su')]).to.deep.equal([2, null]);

    await page.select(`${form} select[name="to"]`, 'b2');
    expect((await submit(page, form)).h1).to.equal('Confirm the action');
    const done = await submit(page, formWith({ action: 'migrate', vm: 'su', to: 'b2', confirm: 'yes' }));
    expect([done.status, done.h1, done.outcome]).to.deep.equal([200, 'Action done', 'done']);
    expect([await stateOn(cim1, 'su'), await stateOn(cim2, 'su')]).to.deep.equal([null, 2]);
  });

  it('Attest this TVDc now shows the attestation of its hosts', async () => {
    const page = await open('alice', '/console/tvdc/fin');
    const r = await submit(page, formWith({ action: 'attest' }));
    expect([r.status, r.h1, r.outcome]).to.deep.equal([200, 'Action done', 'done']);
    const hosts = await page.$$eval('table', (tables) => [...(tables[1]?.querySelectorAll('tr td:first-child') ?? [])].map((td) => td.textContent));
    expect(hosts).to.include.members(['b1', 'b2']);
    const events = await dc.get<{ events: { host: string }[] }>('/api/events?group=fin');
    expect(events.events.map((e) => e.host)).to.include.members(['b1', 'b2']);
  });

  it('the dcadmin deploys a new policy version (confirmed); both hosts run it', async () => {
    await dc.post('/api/groups/fin/labels', { name: 'Trading', kind: 'vm', types: ['TR'] });
    expect([await activePolicy(cim1), await activePolicy(cim2)]).to.deep.equal(['tvdc-paper 1.0', 'tvdc-paper 1.0']);
    const page = await open('dc', '/console/tvdc/fin');
    const asked = await submit(page, formWith({ action: 'deploy' }));
    expect(asked.h1).to.equal('Confirm the action');
    expect(await activePolicy(cim1)).to.equal('tvdc-paper 1.0');
    const done = await submit(page, formWith({ action: 'deploy', confirm: 'yes' }));
    expect([done.status, done.h1, done.outcome]).to.deep.equal([200, 'Action done', 'done']);
    expect([await activePolicy(cim1), await activePolicy(cim2)]).to.deep.equal(['tvdc-paper 1.1', 'tvdc-paper 1.1']);
  });

  it('a page of another origin that posts a console form (with the user\'s credentials and a valid token) is refused; the host is unchanged', async () => {
    // The attacker knows the form and, at worst, the user's token: only the origin checks stand.
    const page = await open('alice', '/console/tvdc/fin');
    const token = await page.$eval('input[name="token"]', (i) => i.getAttribute('value') ?? '');
    const fields = { token, action: 'label', element: 'vm', name: 'ma', label: 'SecurityUnderwriting' };
    const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
    const evil = `<!DOCTYPE html><html><body><form method="post" action="${esc(`${srv.url}/console/tvdc/fin/actions`)}">${Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${k}" value="${esc(v)}">`).join('')}</form><script>document.forms[0].submit()</script></body></html>`;
    attacker = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(evil);
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    const evilOrigin = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
    const before = posts.length;
    const actions = `${srv.url}/console/tvdc/fin/actions`;
    const answered = page.waitForResponse((r) => r.url() === actions && r.request().method() === 'POST', { timeout: 10_000 });
    await page.goto(evilOrigin);
    // The auto-submitted form lands on the console's refusal.
    expect((await answered).status()).to.equal(403);
    await page.waitForSelector('h1::-p-text(Request refused)', { timeout: 10_000 });
    expect(page.url()).to.equal(`${srv.url}/console/tvdc/fin/actions`);
    expect(await page.$eval('body', (b) => b.textContent)).to.include('Nothing was changed.');
    const sent = posts.slice(before);
    expect(sent).to.deep.equal([{ url: `${srv.url}/console/tvdc/fin/actions`, origin: evilOrigin }]);
    expect(await hostLabel(cim1, 'ma')).to.equal('ACM:tvdc-paper:MarketAnalysis');
    expect(srv.log.some((l) => l.startsWith('refused POST /console/tvdc/fin/actions from alice') && l.includes('Origin is another site'))).to.equal(true);
  });
});
