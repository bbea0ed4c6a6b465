// The audit trail: every change made through the management server, with who made it and in
// which TVDc, and every operation refused to a signed-in user, read back over the API and the CLI
// with each administrator's view (a tvdcadmin sees his TVDcs only), kept across a restart. A real
// host agent takes the label assignment; the server runs on a SQLite file over real HTTP.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../../client/cli/ApiClient.js';
import type { AuditEntry } from '../../client/server/AuditTrail.js';
import { startInProcessHost, type InProcessHost } from '../providers/isolation/support/InProcessHost.js';
import { client, defineVm, refused, runTvdc, startServer, tempDir, tvdcConnection, type RunningServer } from './support/serverHarness.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PAPER_POLICY = join(ROOT, 'fixtures/policies/paper-ma-su.xml');
const PW = 'audit-password';

describe('management server: the audit trail', function () {
  this.timeout(60_000);
  const tmp = tempDir('tvdc-audit-');
  const db = join(tmp.dir, 'server.db');
  let h1: InProcessHost;
  let srv: RunningServer;
  const as = (user: string) => client(srv.url, user, PW);
  const trail = async (user: string, query = '') => (await as(user).get<{ entries: AuditEntry[] }>(`/api/audit${query}`)).entries;

  before(async () => {
    h1 = await startInProcessHost('h1');
    const cim = tvdcConnection(h1.origin);
    await defineVm(cim, 'h1', 'ma');
    await cim.close();
    srv = await startServer(db);
    await srv.server.users.add('root', 'dcadmin', PW);
    const root = as('root');
    await root.post('/api/users', { name: 'alice', role: 'tvdcadmin', password: PW });
    await root.post('/api/users', { name: 'bob', role: 'tvdcadmin', password: PW });
    await root.post('/api/hosts', { url: h1.origin });
    for (const g of ['fin', 'hr']) await root.post('/api/groups', { name: g });
    await root.post('/api/groups/fin/hosts', { hosts: ['h1'] });
    await root.put('/api/users/alice/groups/fin');
    await root.put('/api/users/bob/groups/hr');
    await root.put('/api/groups/fin/policy', { xml: readFileSync(PAPER_POLICY, 'utf8'), file: 'paper-ma-su.xml' });
    expect((await root.post<{ ok: boolean }>('/api/groups/fin/policy/deploy')).ok).to.equal(true);
  });
  after(async () => {
    await ApiClient.closeAll();
    await srv?.server.stop();
    await h1?.stop();
    tmp.remove();
  });

  it('records each change with its user, TVDc and action, newest first, and writes the same line to the log', async () => {
    expect(await as('alice').put('/api/groups/fin/vms/ma/label', { label: 'MarketAnalysis' })).to.include({ host: 'h1' });
    await as('alice').put('/api/users/alice/password', { password: PW });
    const all = await trail('root');
    expect(all.map((e) => [e.user, e.group, e.action])).to.deep.equal([
      ['alice', null, 'user.password'],
      ['alice', 'fin', 'label.assign'],
      ['root', 'fin', 'policy.deploy'],
      ['root', 'fin', 'policy.deploy.start'],
      ['root', 'fin', 'policy.set'],
      ['root', 'hr', 'user.authorize'],
      ['root', 'fin', 'user.authorize'],
      ['root', 'fin', 'group.add-hosts'],
      ['root', 'hr', 'group.create'],
      ['root', 'fin', 'group.create'],
      ['root', null, 'host.add'],
      ['root', null, 'user.add'],
      ['root', null, 'user.add'],
    ]);
    expect(all.every((e) => e.outcome === 'done' && !Number.isNaN(Date.parse(e.at)))).to.equal(true);
    const label = all[1]!;
    expect(label.message).to.equal('TVDc fin: VM ma on h1 labeled MarketAnalysis by alice');
    expect(srv.log).to.include(label.message);
  });

  it('records a signed-in user\'s refusals under the TVDc he reached for, never an anonymous caller\'s', async () => {
    await refused(as('alice').get('/api/groups/hr'), 403, 'FORBIDDEN');
    await refused(as('alice').post('/api/groups', { name: 'mine' }), 403, 'FORBIDDEN');
    await refused(client(srv.url, 'alice', 'wrong').get('/api/groups'), 401, 'UNAUTHORIZED');
    await refused(client(srv.url, 'mallory', PW).post('/api/groups', { name: 'x' }), 401, 'UNAUTHORIZED');
    const refusals = await trail('root', '?outcome=refused');
    expect(refusals.map((e) => [e.user, e.group, e.action])).to.deep.equal([
      ['alice', null, 'POST /api/groups'],
      ['alice', 'hr', 'GET /api/groups/:group'],
    ]);
    expect(refusals[1]!.message).to.equal('GET /api/groups/hr refused: alice is not authorized for TVDc hr');
  });

  it('a tvdcadmin reads his TVDcs\' entries only; filters by TVDc, user and action; bad filters are 400', async () => {
    expect((await trail('alice')).map((e) => e.group)).to.satisfy((gs: (string | null)[]) => gs.length > 0 && gs.every((g) => g === 'fin'));
    // bob learns that alice reached for his TVDc, and nothing of fin.
    expect((await trail('bob')).map((e) => [e.user, e.action, e.outcome])).to.deep.equal([
      ['alice', 'GET /api/groups/:group', 'refused'],
      ['root', 'user.authorize', 'done'],
      ['root', 'group.create', 'done'],
    ]);
    expect(await refused(as('bob').get('/api/audit?group=fin'), 403, 'FORBIDDEN')).to.include('not authorized for TVDc fin');
    expect((await trail('root', '?group=fin&user=alice&action=label.assign')).map((e) => e.message)).to.deep.equal(['TVDc fin: VM ma on h1 labeled MarketAnalysis by alice']);
    expect(await trail('root', '?limit=2')).to.have.length(2);
    expect(await trail('root', `?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).to.deep.equal([]);
    await refused(as('root').get('/api/audit?limit=0'), 400, 'BAD_REQUEST');
    await refused(as('root').get('/api/audit?outcome=maybe'), 400, 'BAD_REQUEST');
    await refused(as('root').get('/api/audit?since=yesterday'), 400, 'BAD_REQUEST');
  });

  it('tvdc audit list prints the table and --json; a restarted server still has every entry', async () => {
    const before = await trail('root', '?limit=1000');
    const table = await runTvdc(srv.url, 'root', PW, 'audit', 'list', '--group', 'fin', '--by', 'alice', '--action', 'label.assign');
    expect(table.code).to.equal(0);
    expect(table.out).to.match(/^ID\s+AT\s+USER\s+TVDC\s+ACTION\s+OUTCOME\s+WHAT$/m);
    expect(table.out).to.match(/^\d+\s+\S+\s+alice\s+fin\s+label\.assign\s+done\s+TVDc fin: VM ma on h1 labeled MarketAnalysis by alice$/m);
    const usage = await runTvdc(srv.url, 'root', PW, 'audit', 'list', '--outcome', 'sometimes');
    expect([usage.code, usage.err]).to.deep.equal([2, 'tvdc audit list: --outcome must be done, refused or failed']);
    await srv.server.stop();
    srv = await startServer(db);
    expect(await trail('root', '?limit=1000')).to.deep.equal(before);
    const json = await runTvdc(srv.url, 'alice', PW, 'audit', 'list', '--json');
    expect(json.code).to.equal(0);
    expect((JSON.parse(json.out) as { entries: AuditEntry[] }).entries.every((e) => e.group === 'fin')).to.equal(true);
  });
});
