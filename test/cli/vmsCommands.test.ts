// `tvdc vms list|start|stop|migrate` against a real management server (SQLite file, HTTP) that
// manages two real host agents on loopback: the tables and lines people read, --json, and the
// exit codes (0 done, 1 refused by the server or a host, 2 a bad command line).
import { expect } from 'chai';
import { join } from 'node:path';
import type { WbemConnection } from '../../client/cim/index.js';
import { startTestHost, type TestHost } from '../server/support/testHost.js';
import { client, defineVm, paperTvdc, runTvdc, startServer, tempDir, tvdcConnection, vm, type RunningServer } from '../server/support/serverHarness.js';

describe('tvdc vms', function () {
  this.timeout(60_000);
  const tmp = tempDir('tvdc-cli-vms-');
  let c1: TestHost, c2: TestHost;
  let cim1: WbemConnection, cim2: WbemConnection;
  let srv: RunningServer;

  const tvdc = (...args: string[]) => runTvdc(srv.url, 'alice', 'alice-password', ...args);
  const enabledState = async (conn: WbemConnection, name: string) => Number((await conn.getInstance(vm(name))).get('EnabledState'));

  before(async () => {
    [c1, c2] = await Promise.all([startTestHost('c1'), startTestHost('c2')]);
    cim1 = tvdcConnection(c1.origin);
    cim2 = tvdcConnection(c2.origin);
    await defineVm(cim1, 'c1', 'ma');
    await defineVm(cim2, 'c2', 'su');
    srv = await startServer(join(tmp.dir, 'server.db'));
    await srv.server.users.add('dc', 'dcadmin', 'dc-password');
    await srv.server.users.add('alice', 'tvdcadmin', 'alice-password');
    const dc = client(srv.url, 'dc', 'dc-password');
    for (const h of [c1, c2]) await dc.post('/api/hosts', { url: h.origin });
    await paperTvdc(dc, 'fin', ['c1', 'c2']);
    await dc.put('/api/users/alice/groups/fin');
    await dc.put('/api/groups/fin/vms/ma/label', { label: 'MarketAnalysis' });
  });
  after(async () => {
    await srv?.server.stop();
    await Promise.all([cim1?.close(), cim2?.close()]);
    await Promise.all([c1?.stop(), c2?.stop()]);
    tmp.remove();
  });

  it('list: every VM of the TVDc with its host, state and label, as the TVDc\'s view has them; --json', async () => {
    const r = await tvdc('vms', 'list', 'fin');
    expect([r.code, r.err]).to.deep.equal([0, '']);
    expect(r.out.split('\n')).to.deep.equal([
      'HOST  VM  STATE    LABEL',
      'c1    ma  stopped  MarketAnalysis',
      'c2    su  stopped  (unlabeled)',
    ]);
    const j = await tvdc('vms', 'list', 'fin', '--json');
    const parsed = JSON.parse(j.out) as { group: string; vms: { host: string; name: string; state: string; label: string | null }[]; unreachable: unknown[] };
    expect(parsed.group).to.equal('fin');
    expect(parsed.vms.map((v) => [v.host, v.name, v.state, v.label])).to.deep.equal([['c1', 'ma', 'stopped', 'MarketAnalysis'], ['c2', 'su', 'stopped', null]]);
    expect(parsed.unreachable).to.deep.equal([]);
  });

  it('start, migrate --to, stop and stop --hard say what happened; the hosts agree', async () => {
    expect(await tvdc('vms', 'start', 'fin', 'ma')).to.deep.equal({ code: 0, out: 'VM ma on host c1 started', err: '' });
    expect((await tvdc('vms', 'start', 'fin', 'ma')).out).to.equal('VM ma on host c1 was running already');
    expect(await tvdc('vms', 'migrate', 'fin', 'ma', '--to', 'c2')).to.deep.equal({ code: 0, out: 'VM ma migrated from host c1 to host c2 (running)', err: '' });
    expect(await enabledState(cim2, 'ma')).to.equal(2);
    expect((await tvdc('vms', 'list', 'fin')).out).to.match(/^c2 +ma +running +MarketAnalysis$/m);
    expect((await tvdc('vms', 'stop', 'fin', 'ma')).out).to.equal('VM ma on host c2 shut down');
    expect(await enabledState(cim2, 'ma')).to.equal(3);
    expect((await tvdc('vms', 'start', 'fin', 'ma', '--json')).out).to.satisfy((o: string) => (JSON.parse(o) as { changed: boolean }).changed === true);
    expect((await tvdc('vms', 'stop', 'fin', 'ma', '--hard')).out).to.equal('VM ma on host c2 stopped (hard)');
    expect((await tvdc('vms', 'stop', 'fin', 'ma', '--hard')).out).to.equal('VM ma on host c2 was stopped already');
  });

  it('a refusal is exit 1 with the server\'s code and message; a bad command line is exit 2', async () => {
    expect(await tvdc('vms', 'migrate', 'fin', 'ma', '--to', 'c9')).to.deep.equal({
      code: 1, out: '', err: 'tvdc: CONFLICT: host c9 is not a host of TVDc fin: a VM migrates only between the hosts of its TVDc',
    });
    expect(await tvdc('vms', 'start', 'fin', 'nosuch')).to.deep.equal({ code: 1, out: '', err: 'tvdc: NOT_FOUND: no VM named nosuch on any host of TVDc fin' });
    expect(await tvdc('vms', 'start', 'other', 'ma')).to.deep.include({ code: 1, err: 'tvdc: FORBIDDEN: alice is not authorized for TVDc other' });
    expect(await tvdc('vms', 'migrate', 'fin', 'ma')).to.deep.equal({ code: 2, out: '', err: 'tvdc vms migrate: usage: tvdc vms migrate GROUP VM --to HOST' });
    expect((await tvdc('vms', 'stop', 'fin')).code).to.equal(2);
    expect((await tvdc('vms', 'stop', 'fin', 'ma', '--soft')).err).to.equal('tvdc vms stop: unknown option --soft');
    const help: string[] = [];
    const { main } = await import('../../client/cli/tvdc.js');
    await main(['help'], { out: (l) => help.push(l), err: (l) => help.push(l) });
    expect(help.join('\n')).to.include('tvdc vms list|start|stop|migrate');
  });

  it('list names a host it could not reach on stderr and still lists the others (exit 0)', async () => {
    await defineVm(cim1, 'c1', 'web');
    await c2.stop();
    const r = await tvdc('vms', 'list', 'fin');
    expect(r.code).to.equal(0);
    expect(r.out.split('\n')).to.deep.equal(['HOST  VM   STATE    LABEL', 'c1    web  stopped  (unlabeled)']);
    expect(r.err).to.match(/^tvdc vms list: host c2 not reachable, its VMs are not listed: HOST_UNREACHABLE: host c2: /);
  });
});
