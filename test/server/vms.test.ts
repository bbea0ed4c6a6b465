// The TVDc administrator starts, stops and migrates the VMs of his TVDc through the management
// server (the paper's section 3.1); sHype on the hosts has the last word. A real server on a SQLite
// file manages real host agents on loopback that demand credentials, each with the server's user
// alone in its users file, so a migration only works when the source host can log in to the
// destination: with the one-time ticket the server has the destination issue, never the server's
// password, which a relay in front of the source shows never reaches it. What happened is read on the hosts.
import { expect } from 'chai';
import { join } from 'node:path';
import { CimError, CimStatus, type WbemConnection } from '../../client/cim/index.js';
import type { ApiClient } from '../../client/cli/ApiClient.js';
import { WbemConnection as Connection } from '../../client/cim/index.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { addLabel, forHost } from '../../src/tvdc/management/PolicyEditor.js';
import { loadPolicy } from '../../src/tvdc/policy/loadPolicy.js';
import { writeAcmXml } from '../../src/tvdc/policy/writeAcmXml.js';
import { startTestHost, type TestHost } from './support/testHost.js';
import { openManagerKey } from '../../client/server/ManagerKey.js';
import { signMigrationAuthorization } from '../../src/tvdc/MigrationAuthorization.js';
import { client, defineVm, hostLabel, paperTvdc, refused, requestState, service, startServer, tempDir, vm, type RunningServer } from './support/serverHarness.js';
import { Relay } from '../support/Relay.js';
import { startHangingMigration, type HangingMigration } from './support/hangingMigration.js';


/** Each host demands its own login; the passwords must never show in an answer or the log. */
const LOGIN: Record<string, { user: string; password: string }> = {
  h1: { user: 'mgmt', password: 'h1-secret-pw' },
  h2: { user: 'mgmt', password: 'h2-secret:pw@/?' },
  h3: { user: 'mgmt', password: 'h3-secret-pw' },
  h4: { user: 'mgmt', password: 'h4-secret-pw' },
};

describe('management server: VM start, stop and migration within a TVDc', function () {
  this.timeout(60_000);
  const tmp = tempDir('tvdc-server-vms-');
  const hosts: Record<string, TestHost> = {};
  const cim: Record<string, WbemConnection> = {};
  let srv: RunningServer;
  let dc: ApiClient;
  let alice: ApiClient;
  let bob: ApiClient;
  /** The server reaches h1, the source of the migrations, through this: what h1 was sent. */
  let toH1: Relay;
  const answers: unknown[] = [];
  /** Every form h2's password could travel in to h1: as is, percent-encoded, in a Basic header. */
  const h2PasswordForms = () => {
    const { user, password } = LOGIN['h2']!;
    const u = new URL('http://x/');
    u.password = password;
    return [password, encodeURIComponent(password), u.password, password.split(':')[0]!, Buffer.from(`${user}:${password}`).toString('base64')];
  };

  /** EnabledState of the VM on the host (2 running, 3 stopped), or null when the host has no such VM. */
  const stateOn = async (host: string, name: string): Promise<number | null> => {
    try {
      return Number((await cim[host]!.getInstance(vm(name))).get('EnabledState'));
    } catch (e) {
      if (e instanceof CimError && e.status === CimStatus.CIM_ERR_NOT_FOUND) return null;
      throw e;
    }
  };
  const where = async (name: string) => Object.fromEntries(await Promise.all(['h1', 'h2', 'h3', 'h4'].map(async (h) => [h, await stateOn(h, name)] as const)));
  /** A refusal's message, kept to check later that no host password was in any answer. */
  const refusedWith = async (p: Promise<unknown>, status: number, code: string) => {
    const m = await refused(p, status, code);
    answers.push(m);
    return m;
  };

  before(async () => {
    // With the server's key, made before its first start: the hosts take its migration authorizations.
    const managerKey = openManagerKey(join(tmp.dir, 'server.db')).publicPem;
    for (const n of ['h1', 'h2', 'h3', 'h4']) {
      hosts[n] = await startTestHost(n, { login: LOGIN[n]!, managerKey });
      cim[n] = new Connection(hosts[n]!.origin, { namespace: 'root/tvdc', ...LOGIN[n]! });
    }
    await defineVm(cim['h1']!, 'h1', 'ma');
    await defineVm(cim['h1']!, 'h1', 'su2');
    await defineVm(cim['h2']!, 'h2', 'su');
    await defineVm(cim['h3']!, 'h3', 'elsewhere');
    srv = await startServer(join(tmp.dir, 'server.db'));
    await srv.server.users.add('dc', 'dcadmin', 'dc-password');
    await srv.server.users.add('alice', 'tvdcadmin', 'alice-password');
    await srv.server.users.add('bob', 'tvdcadmin', 'bob-password');
    dc = client(srv.url, 'dc', 'dc-password');
    toH1 = await new Relay(hosts['h1']!.origin).start();
    for (const n of ['h1', 'h2', 'h3', 'h4']) await dc.post('/api/hosts', { url: n === 'h1' ? toH1.origin : hosts[n]!.origin, ...LOGIN[n]! });
    // Market Analysis and Security Underwriting never run on one host at a time.
    await paperTvdc(dc, 'finance', ['h1', 'h2'], { conflictSet: true });
    await paperTvdc(dc, 'other', ['h3'], { conflictSet: true });
    await dc.put('/api/users/alice/groups/finance');
    await dc.put('/api/users/bob/groups/other');
    alice = client(srv.url, 'alice', 'alice-password');
    bob = client(srv.url, 'bob', 'bob-password');
    await alice.put('/api/groups/finance/vms/ma/label', { label: 'MarketAnalysis' });
    await alice.put('/api/groups/finance/vms/su2/label', { label: 'SecurityUnderwriting' });
    await alice.put('/api/groups/finance/vms/su/label', { label: 'SecurityUnderwriting' });
  });
  after(async () => {
    await srv?.server.stop();
    await toH1?.stop();
    await Promise.all(Object.values(cim).map((c) => c.close()));
    await Promise.all(Object.values(hosts).map((h) => h.stop()));
    tmp.remove();
  });

  it('the TVDc administrator starts a VM of his TVDc; it runs on its host', async () => {
    const r = await alice.post('/api/groups/finance/vms/ma/start', {});
    answers.push(r);
    expect(r).to.deep.equal({ group: 'finance', vm: 'ma', host: 'h1', state: 'running', changed: true });
    expect(await stateOn('h1', 'ma')).to.equal(2);
    // Again: nothing to do, and said so.
    expect(await alice.post('/api/groups/finance/vms/ma/start', {})).to.include({ state: 'running', changed: false });
    expect(srv.log.filter((l) => l.includes('VM ma on h1 started by alice'))).to.have.length(1);
  });

  it('migration within the TVDc: the VM leaves h1 and runs on h2 (the source logged in to h2 with a one-time ticket, never the server\'s password)', async () => {
    const r = await alice.post('/api/groups/finance/vms/ma/migrate', { to: 'h2' });
    answers.push(r);
    expect(r).to.deep.equal({ group: 'finance', vm: 'ma', from: 'h1', to: 'h2', state: 'running' });
    // What h1 was told: the destination with the ticket's user and a 256-bit ticket, nothing of h2's password.
    const sent = toH1.sent;
    const destinations = [...sent.matchAll(/NAME="DestinationHost"[^>]*>\s*<VALUE>([^<]*)<\/VALUE>/g)].map((m) => m[1]!);
    expect(destinations).to.have.length(1);
    expect(destinations[0]).to.match(new RegExp(`^http://tvdc-migration:[A-Za-z0-9_-]{43}@${hosts['h2']!.origin.slice('http://'.length).replace(/\./g, '\\.')}/$`));
    for (const form of h2PasswordForms()) expect(sent, form).to.not.include(form);
    expect(await where('ma')).to.deep.equal({ h1: null, h2: 2, h3: null, h4: null });
    expect(await hostLabel(cim['h2']!, 'ma')).to.equal('ACM:tvdc-paper:MarketAnalysis');
    expect(srv.log.some((l) => l.includes('TVDc finance: VM ma migrated from h1 to h2 by alice'))).to.equal(true);
    const audit = await dc.get<{ entries: { user: string; group: string; action: string; outcome: string; message: string }[] }>('/api/audit?action=vm.migrate');
    expect(audit.entries.map((e) => [e.user, e.group, e.outcome, e.message])).to.deep.equal([['alice', 'finance', 'done', 'TVDc finance: VM ma migrated from h1 to h2 by alice']]);
  });

  it('a host of another TVDc, a host in no TVDc, an unknown host and the VM\'s own host are CONFLICT; the VM stays where it runs', async () => {
    const other = await refusedWith(alice.post('/api/groups/finance/vms/ma/migrate', { to: 'h3' }), 409, 'CONFLICT');
    expect(other).to.equal('host h3 is not a host of TVDc finance: a VM migrates only between the hosts of its TVDc');
    // A tvdcadmin learns nothing of hosts outside his TVDc: the same words for each.
    expect(await refusedWith(alice.post('/api/groups/finance/vms/ma/migrate', { to: 'h4' }), 409, 'CONFLICT')).to.equal(other.replace('h3', 'h4'));
    expect(await refusedWith(alice.post('/api/groups/finance/vms/ma/migrate', { to: 'nohost' }), 409, 'CONFLICT')).to.equal(other.replace('h3', 'nohost'));
    // The dcadmin too: one policy over a TVDc's hosts is the point of a TVDc.
    await refusedWith(dc.post('/api/groups/finance/vms/ma/migrate', { to: 'h3' }), 409, 'CONFLICT');
    expect(await refusedWith(alice.post('/api/groups/finance/vms/ma/migrate', { to: 'h2' }), 409, 'CONFLICT')).to.equal('VM ma is on host h2 already');
    expect(await where('ma')).to.deep.equal({ h1: null, h2: 2, h3: null, h4: null });
    // The server log says which it was.
    expect(srv.log.some((l) => l.includes('migration of VM ma to h3 by alice refused: host of TVDc other'))).to.equal(true);
    expect(srv.log.some((l) => l.includes('migration of VM ma to h4 by alice refused: host in no TVDc'))).to.equal(true);
    await refusedWith(alice.post('/api/groups/finance/vms/ma/migrate', {}), 400, 'BAD_REQUEST');
    await refusedWith(alice.post('/api/groups/finance/vms/ma/migrate', { to: 7 }), 400, 'BAD_REQUEST');
  });

  it('the destination\'s Chinese Wall refuses (MA runs on h2): HOST_REFUSED with the host\'s reason, and the VM still runs on the source', async () => {
    expect(await alice.post('/api/groups/finance/vms/su2/start', {})).to.include({ host: 'h1', changed: true });
    const msg = await refusedWith(alice.post('/api/groups/finance/vms/su2/migrate', { to: 'h2' }), 502, 'HOST_REFUSED');
    expect(msg).to.match(/^host h1 did not migrate VM su2 to h2 \((2|its job ended 10 Exception)\): /);
    expect(msg).to.include('collocation denied').and.include("the VM keeps running on 'h1'");
    expect(await where('su2')).to.deep.equal({ h1: 2, h2: null, h3: null, h4: null });
    expect(srv.log.some((l) => l.includes('TVDc finance: migration of VM su2 from h1 to h2 by alice: HOST_REFUSED: '))).to.equal(true);
    // The attempt is in the audit trail too, as failed.
    const audit = await alice.get<{ entries: { action: string; outcome: string; message: string }[] }>('/api/audit?outcome=failed');
    expect(audit.entries.map((e) => [e.action, e.message.slice(0, 72)])).to.deep.equal([['vm.migrate', 'TVDc finance: migration of VM su2 from h1 to h2 by alice: HOST_REFUSED: ']]);
  });

  it('stop (orderly, then hard) and start again work; stopping a stopped VM changes nothing', async () => {
    expect(await alice.post('/api/groups/finance/vms/su2/stop', {})).to.deep.equal({ group: 'finance', vm: 'su2', host: 'h1', state: 'stopped', changed: true, hard: false });
    expect(await stateOn('h1', 'su2')).to.equal(3);
    expect(await alice.post('/api/groups/finance/vms/su2/stop', { hard: true })).to.include({ state: 'stopped', changed: false });
    expect(await alice.post('/api/groups/finance/vms/su2/start', {})).to.include({ state: 'running', changed: true });
    expect(await stateOn('h1', 'su2')).to.equal(2);
    expect(await alice.post('/api/groups/finance/vms/su2/stop', { hard: true })).to.include({ state: 'stopped', changed: true, hard: true });
    expect(await stateOn('h1', 'su2')).to.equal(3);
    await refusedWith(alice.post('/api/groups/finance/vms/su2/stop', { hard: 'yes' }), 400, 'BAD_REQUEST');
    expect(srv.log.filter((l) => / VM su2 on h1 (shut down|stopped \(hard\)|started) by alice$/.test(l))).to.have.length(4);
  });

  it('a suspended VM has no orderly shutdown: a soft stop is CONFLICT naming --hard, and nothing is swapped for it', async () => {
    expect((await requestState(cim['h1']!, 'su2', 2)).code).to.equal(0);
    expect((await requestState(cim['h1']!, 'su2', 6)).code).to.equal(0);
    const msg = await refusedWith(alice.post('/api/groups/finance/vms/su2/stop', {}), 409, 'CONFLICT');
    expect(msg).to.include('takes no orderly shutdown of VM su2').and.include('tvdc vms stop --hard');
    expect(await stateOn('h1', 'su2')).to.equal(6);
    expect(await alice.post('/api/groups/finance/vms/su2/stop', { hard: true })).to.include({ changed: true });
    expect(await stateOn('h1', 'su2')).to.equal(3);
  });

  it('a start the host\'s label does not cover is HOST_REFUSED with the host\'s reason; the VM stays stopped', async () => {
    // h1 set aside for Market Analysis: its label no longer covers SU.
    const host = CimObjectPath.instance('TVDc_HostSystem', { CreationClassName: 'TVDc_HostSystem', Name: 'h1' }, 'root/tvdc');
    const r = await cim['h1']!.invokeMethod(service('h1', 'TVDc_SecurityService', 'SecurityService'), 'AssignLabel', { Element: host, Label: 'ACM:tvdc-paper:MarketAnalysisHost' });
    expect(Number(r.returnValue)).to.equal(0);
    const msg = await refusedWith(alice.post('/api/groups/finance/vms/su2/start', {}), 502, 'HOST_REFUSED');
    expect(msg).to.match(/^host h1 refused to start VM su2 \(4\): .+/);
    expect(await stateOn('h1', 'su2')).to.equal(3);
  });

  it('a tvdcadmin of another TVDc is refused before anything is looked up (403, the same as for a TVDc that does not exist), and the VMs of his own TVDc do not include this one (404)', async () => {
    for (const verb of ['start', 'stop', 'migrate']) {
      await refusedWith(bob.post(`/api/groups/finance/vms/ma/${verb}`, { to: 'h1' }), 403, 'FORBIDDEN');
      await refusedWith(bob.post(`/api/groups/nosuch/vms/ma/${verb}`, { to: 'h1' }), 403, 'FORBIDDEN');
      expect(await refusedWith(bob.post(`/api/groups/other/vms/ma/${verb}`, { to: 'h3' }), 404, 'NOT_FOUND')).to.equal('no VM named ma on any host of TVDc other');
      await refusedWith(alice.post(`/api/groups/other/vms/elsewhere/${verb}`, { to: 'h1' }), 403, 'FORBIDDEN');
    }
    // Through his own TVDc, alice cannot reach bob's VM either, and nothing moved or stopped.
    expect(await refusedWith(alice.post('/api/groups/finance/vms/elsewhere/start', {}), 404, 'NOT_FOUND')).to.equal('no VM named elsewhere on any host of TVDc finance');
    expect(await where('ma')).to.deep.equal({ h1: null, h2: 2, h3: null, h4: null });
    expect(srv.log.filter((l) => / from bob at \S+: FORBIDDEN: /.test(l))).to.have.length(6);
  });

  it('a host of the TVDc without its policy is no destination (409); a drifted host is neither source nor destination, and takes no start (409), but a stop', async () => {
    await dc.post('/api/groups/finance/hosts', { hosts: ['h4'] });
    expect(await refusedWith(alice.post('/api/groups/finance/vms/ma/migrate', { to: 'h4' }), 409, 'CONFLICT'))
      .to.equal("TVDc finance's policy tvdc-paper 1.1 is not deployed on host h4 (not deployed): deploy it first (tvdc policy deploy finance)");
    await dc.del('/api/groups/finance/hosts/h4');

    // Someone with admin rights on h2 loads a tvdc-paper 1.2 of his own behind the server's back.
    const current = await dc.get<{ xml: string }>('/api/groups/finance/policy/xml');
    const rogue = forHost(addLabel(loadPolicy(current.xml), { name: 'Rogue', kind: 'vm', ste: ['MA', 'SU'], cw: [] }), { name: 'tvdc-paper', version: '1.1' });
    const set = await cim['h2']!.invokeMethod(service('h2', 'TVDc_SecurityService', 'SecurityService'), 'SetPolicy', { PolicyXML: writeAcmXml(rogue) });
    expect(Number(set.returnValue), String(set.outParams.get('Reason')?.value)).to.equal(0);
    const drifted = /^host h2 has drifted: it runs tvdc-paper 1\.2, not tvdc-paper 1\.1 that it last accepted from the TVDc; deploy the TVDc's policy there again \(tvdc policy deploy finance\) before (migrating|starting) VM (ma|su2?)$/;
    expect(await refusedWith(alice.post('/api/groups/finance/vms/ma/migrate', { to: 'h1' }), 409, 'CONFLICT')).to.match(drifted);
    expect(await refusedWith(alice.post('/api/groups/finance/vms/su2/migrate', { to: 'h2' }), 409, 'CONFLICT')).to.match(drifted);
    expect(await refusedWith(alice.post('/api/groups/finance/vms/su/start', {}), 409, 'CONFLICT')).to.match(drifted);
    expect(await stateOn('h2', 'su')).to.equal(3);
    expect(await where('ma')).to.deep.equal({ h1: null, h2: 2, h3: null, h4: null });
    // Stopping takes a VM off the host: not held back.
    expect(await alice.post('/api/groups/finance/vms/ma/stop', {})).to.include({ host: 'h2', changed: true });
    expect(await stateOn('h2', 'ma')).to.equal(3);
  });

  it('no host password is in any answer or log line; the source host never repeats the destination\'s credentials', async () => {
    const text = JSON.stringify(answers) + srv.log.join('\n') + JSON.stringify(await dc.get('/api/audit?limit=10000'));
    for (const l of Object.values(LOGIN)) expect(text).to.not.include(l.password);
    // Every migration h1 was asked for, refused ones included, reached it without h2's password,
    // each with a ticket of its own.
    const sent = toH1.sent;
    const tickets = [...sent.matchAll(/NAME="DestinationHost"[^>]*>\s*<VALUE>http:\/\/tvdc-migration:([A-Za-z0-9_-]{43})@/g)].map((m) => m[1]!);
    expect(tickets).to.have.length(2);
    expect(new Set(tickets).size).to.equal(2);
    for (const form of h2PasswordForms()) expect(sent, form).to.not.include(form);
    // Asked directly with a URL that carries credentials, h3's migration to h1 is refused there (h1
    // has a VM of that name), and h3's answer names the destination by its origin only.
    await bob.put('/api/groups/other/vms/elsewhere/label', { label: 'MarketAnalysis' });
    expect(await bob.post('/api/groups/other/vms/elsewhere/start', {})).to.include({ host: 'h3', changed: true });
    await defineVm(cim['h1']!, 'h1', 'elsewhere');
    const dest = new URL(hosts['h1']!.origin);
    dest.username = 'mgmt';
    dest.password = LOGIN['h1']!.password;
    const r = await cim['h3']!.invokeMethod(service('h3', 'TVDc_VirtualSystemMigrationService', 'VirtualSystemMigrationService'), 'MigrateVirtualSystemToHost', {
      ComputerSystem: vm('elsewhere'), DestinationHost: dest.toString(),
      // The write login needs the server's statement for this move (h1 runs without vTPMs: no key to bind).
      MigrationAuthorization: signMigrationAuthorization({ vm: 'elsewhere', source: 'h3', destination: dest.origin, destinationKey: null }, openManagerKey(join(tmp.dir, 'server.db')).privateKey),
    });
    const seen: string[] = [String(r.outParams.get('Reason')?.value ?? '')];
    const job = r.outParams.get('Job')?.value;
    if (job instanceof CimObjectPath) {
      // The job says where the VM goes, without the credentials.
      for (let i = 0; i < 100; i++) {
        const inst = await cim['h3']!.getInstance(job);
        seen.push(JSON.stringify([...inst.properties.values()].map((p) => String(p.value))));
        if (Number(inst.get('JobState')) >= 7 && Number(inst.get('JobState')) <= 10) break;
        await new Promise((res) => setTimeout(res, 50));
      }
    }
    expect(seen.join('\n')).to.not.include(LOGIN['h1']!.password);
    expect(seen.join('\n')).to.include(dest.origin);
  });
});

describe('management server: a migration whose destination hangs', function () {
  this.timeout(30_000);
  const log: string[] = [];
  let hang: HangingMigration;
  let relay: Relay;
  let dc: ApiClient;

  before(async () => {
    hang = await startHangingMigration({ migrationTimeoutMs: 1_500, log: (l) => void log.push(l) });
    ({ relay, dc } = hang);
  });
  after(async () => {
    await hang?.stop();
  });

  it('is given up after the migration timeout with HOST_TIMEOUT (504), the VM\'s fate reported as unknown, never a hang', async () => {
    const t0 = Date.now();
    const msg = await refused(dc.post('/api/groups/g/vms/mv/migrate', { to: 'b' }), 504, 'HOST_TIMEOUT');
    const took = Date.now() - t0;
    expect(relay.heldRequests).to.equal(1);
    expect(took).to.be.within(1_400, 5_000);
    expect(msg).to.match(/^host a( gave no complete answer to the migration|'s migration job had not ended after 1500 ms)/);
    expect(msg).to.include('whether VM mv moved to b is unknown: look with tvdc vms list before trying again');
    expect(log.some((l) => l.startsWith('TVDc g: migration of VM mv from a to b by dc: HOST_TIMEOUT: '))).to.equal(true);
  });
});
