// Deleting a TVDc, and a TVDc created again under a deleted one's name (perhaps for another
// tenant): a TVDc with hosts is deleted only with force (API and CLI), and the new TVDc's
// administrator reads none of the old one's audit entries, violations or events, while the
// dcadmin reads them all. Real host agents (a Chinese Wall refusal reported as a violation, the
// attestations recorded as events), a real management server on a SQLite file over real HTTP.
import { expect } from 'chai';
import { join } from 'node:path';
import { request } from 'undici';
import type { WbemConnection } from '../../client/cim/index.js';
import { ApiClient } from '../../client/cli/ApiClient.js';
import type { AuditEntry } from '../../client/server/AuditTrail.js';
import type { Violation } from '../../client/server/ViolationStore.js';
import type { TvdcEvent } from '../../src/tvdc/management/EventLog.js';
import { startTestHost, type TestHost } from './support/testHost.js';
import {
  client, defineVm, eventually, paperTvdc, refused, requestState, runTvdc, startServer, tempDir, tvdcConnection, type RunningServer,
} from './support/serverHarness.js';

const PW = 'group-delete-pw';

describe('management server: deleting a TVDc, and a TVDc created again under its name', function () {
  this.timeout(60_000);
  const tmp = tempDir('tvdc-group-delete-');
  let h1: TestHost, h2: TestHost;
  let cim1: WbemConnection, cim2: WbemConnection;
  let srv: RunningServer;
  const as = (user: string) => client(srv.url, user, PW);
  const audit = async (user: string, query = '') => (await as(user).get<{ entries: AuditEntry[] }>(`/api/audit?limit=10000${query}`)).entries;
  const violations = async (user: string, query = '') => (await as(user).get<{ violations: Violation[] }>(`/api/violations?limit=10000${query}`)).violations;
  const events = async (user: string, query = '') => (await as(user).get<{ events: TvdcEvent[] }>(`/api/events?limit=10000${query}`)).events;
  const tvdc = (...args: string[]) => runTvdc(srv.url, 'dc', PW, ...args);

  /** A Chinese Wall refusal on `conn`'s host (ma runs, su may not start beside it), awaited as a violation the dcadmin sees. */
  async function violation(conn: WbemConnection, host: string, admin: string): Promise<void> {
    const before = (await violations('dc')).length;
    await defineVm(conn, host, `ma-${host}`);
    await defineVm(conn, host, `su-${host}`);
    await as(admin).put(`/api/groups/finance/vms/ma-${host}/label`, { label: 'MarketAnalysis' });
    await as(admin).put(`/api/groups/finance/vms/su-${host}/label`, { label: 'SecurityUnderwriting' });
    expect((await requestState(conn, `ma-${host}`, 2)).code).to.equal(0);
    expect((await requestState(conn, `su-${host}`, 2)).code).to.equal(4);
    await eventually(async () => (await violations('dc')).length === before + 1);
  }

  before(async () => {
    [h1, h2] = await Promise.all([startTestHost('h1'), startTestHost('h2')]);
    cim1 = tvdcConnection(h1.origin);
    cim2 = tvdcConnection(h2.origin);
    srv = await startServer(join(tmp.dir, 'server.db'), { indications: true });
    await srv.server.users.add('dc', 'dcadmin', PW);
    for (const u of ['alice', 'carol']) await as('dc').post('/api/users', { name: u, role: 'tvdcadmin', password: PW });
    for (const h of [h1, h2]) await as('dc').post('/api/hosts', { url: h.origin });
    await eventually(async () => (await as('dc').post<{ hosts: string[] }>('/api/violations/watch')).hosts.length === 2);
    // The first tenant's TVDc: a policy deployed on h1, alice its administrator, a violation and
    // attestations recorded under its name.
    await paperTvdc(as('dc'), 'finance', ['h1'], { conflictSet: true });
    await as('dc').put('/api/users/alice/groups/finance');
    await violation(cim1, 'h1', 'alice');
    await as('alice').post('/api/attest/run', { target: 'finance' });
    expect(await events('alice')).to.have.length.above(0);
  });
  after(async () => {
    await ApiClient.closeAll();
    await srv?.server.stop();
    await Promise.all([cim1?.close(), cim2?.close()]);
    await Promise.all([h1?.stop(), h2?.stop()]);
    tmp.remove();
  });

  it('a TVDc with hosts is not deleted without force: CONFLICT naming its hosts and the verb that removes them; nothing changes', async () => {
    const msg = await refused(as('dc').del('/api/groups/finance'), 409, 'CONFLICT');
    expect(msg).to.equal('TVDc finance has hosts h1: remove them first with tvdc groups remove-host finance HOST, or delete it with them with --force');
    expect(await refused(as('dc').del('/api/groups/finance?force=yes'), 400, 'BAD_REQUEST')).to.equal('force must be true or false, not "yes"');
    await refused(as('dc').del('/api/groups/finance?force=false'), 409, 'CONFLICT');
    // Only a dcadmin deletes, forced or not.
    await refused(as('alice').del('/api/groups/finance?force=true'), 403, 'FORBIDDEN');
    const after = await as('dc').get<{ name: string; administrators: string[]; hosts: { name: string }[] }>('/api/groups/finance');
    expect([after.administrators, after.hosts.map((h) => h.name)]).to.deep.equal([['alice'], ['h1']]);
    expect((await audit('dc', '&action=group.delete'))).to.deep.equal([]);
    // The CLI says the same and exits 1.
    const r = await tvdc('groups', 'delete', 'finance');
    expect([r.code, r.err]).to.deep.equal([1, `tvdc: CONFLICT: ${msg}`]);
  });

  it('tvdc groups delete NAME --force deletes it: its hosts are in no TVDc, its administrator loses it, the audit trail says which hosts left', async () => {
    const r = await tvdc('groups', 'delete', 'finance', '--force');
    expect([r.code, r.out], r.err).to.deep.equal([0, 'TVDc finance deleted; hosts h1 are in no TVDc now']);
    expect((await as('dc').get<{ hosts: { name: string; group: string | null }[] }>('/api/hosts')).hosts.map((h) => [h.name, h.group])).to.deep.equal([['h1', null], ['h2', null]]);
    await refused(as('dc').get('/api/groups/finance'), 404, 'NOT_FOUND');
    expect(await as('alice').get('/api/whoami')).to.deep.include({ groups: [] });
    const [entry] = await audit('dc', '&action=group.delete');
    expect(entry).to.deep.include({ user: 'dc', group: 'finance', outcome: 'done', message: 'TVDc finance deleted by dc; hosts h1 left it' });
    // A TVDc without hosts needs no force; the usage names the option.
    await as('dc').post('/api/groups', { name: 'empty' });
    expect(await as('dc').del('/api/groups/empty')).to.deep.equal({ removed: 'empty', hosts: [] });
    expect((await runTvdc(srv.url, 'dc', PW, 'groups', 'delete')).err).to.include('usage: tvdc groups delete NAME [--force]');
  });

  it('finance created again for another tenant: carol reads only its own audit entries, violations and events; the dcadmin reads both TVDcs\' records', async () => {
    const old = { audit: await audit('dc', '&group=finance'), violations: await violations('dc', '&group=finance'), events: await events('dc', '&group=finance') };
    expect([old.violations.length, old.events.length > 0]).to.deep.equal([1, true]);
    const lastOld = old.audit[0]!;
    expect(lastOld.action).to.equal('group.delete');
    // The creation time is the fence: a clock tick later than the deleted TVDc's last record.
    await new Promise((r) => setTimeout(r, 5));
    await paperTvdc(as('dc'), 'finance', ['h2'], { conflictSet: true });
    await as('dc').put('/api/users/carol/groups/finance');

    const mine = await audit('carol');
    expect(mine.map((e) => e.action)).to.deep.equal(['user.authorize', 'policy.deploy', 'policy.deploy.start', 'policy.edit', 'policy.set', 'group.add-hosts', 'group.create']);
    expect(mine.every((e) => e.id > lastOld.id)).to.equal(true);
    expect(await audit('carol', '&group=finance')).to.deep.equal(mine);
    expect(await violations('carol')).to.deep.equal([]);
    expect(await violations('carol', '&group=finance')).to.deep.equal([]);
    expect(await events('carol')).to.deep.equal([]);
    expect(await events('carol', '&group=finance')).to.deep.equal([]);
    // alice, authorized for the deleted TVDc only, reads nothing of it or of the new one.
    expect(await audit('alice')).to.deep.equal([]);
    await refused(as('alice').get('/api/audit?group=finance'), 403, 'FORBIDDEN');

    // What happens in the new TVDc is carol's to read.
    await violation(cim2, 'h2', 'carol');
    await as('carol').post('/api/attest/run', { target: 'finance' });
    const v = await violations('carol');
    expect(v.map((x) => [x.host, x.group, x.operation])).to.deep.equal([['h2', 'finance', 'start']]);
    const e = await events('carol');
    expect(e.length).to.be.above(0);
    expect(e.every((x) => x.host === 'h2' && x.group === 'finance')).to.equal(true);
    expect((await audit('carol')).map((x) => x.action).slice(0, 3)).to.deep.equal(['label.assign', 'label.assign', 'user.authorize']);

    // The dcadmin reads both TVDcs' records under the name, and everything without a filter.
    const all = { audit: await audit('dc', '&group=finance'), violations: await violations('dc', '&group=finance'), events: await events('dc', '&group=finance') };
    expect(all.audit.map((x) => x.id)).to.include.members(old.audit.map((x) => x.id));
    expect(all.audit.map((x) => x.id)).to.include.members((await audit('carol')).map((x) => x.id));
    expect(all.violations.map((x) => x.host)).to.deep.equal(['h2', 'h1']);
    expect(all.events.length).to.equal(old.events.length + e.length);
    expect((await violations('dc')).map((x) => x.host)).to.deep.equal(['h2', 'h1']);
    expect((await events('dc')).length).to.equal(all.events.length);
  });

  it('the console pages read through the same routes: carol\'s audit, violations and events pages show nothing of the deleted TVDc', async () => {
    const page = async (user: string, path: string) => {
      const r = await request(`${srv.url}${path}`, { headers: { authorization: `Basic ${Buffer.from(`${user}:${PW}`).toString('base64')}` } });
      const body = await r.body.text();
      expect(r.statusCode, body).to.equal(200);
      return body;
    };
    expect(await page('dc', '/console/audit')).to.include('TVDc finance deleted by dc; hosts h1 left it');
    const carols = await page('carol', '/console/audit');
    expect(carols).to.include('TVDc finance created by dc').and.not.include('deleted by dc').and.not.include('VM ma-h1');
    for (const path of ['/console/violations', '/console/events']) {
      expect(await page('dc', path)).to.include('<td>h1</td>');
      const body = await page('carol', path);
      expect(body).to.include('<td>h2</td>').and.not.include('<td>h1</td>');
    }
  });
});
