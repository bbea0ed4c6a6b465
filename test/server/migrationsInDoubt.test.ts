// The management server settles the migrations a source host reports in doubt: a real source
// tvdc-host (its own process, --state) is killed -9 with two migrations the server started on
// their way, one whose destination admitted the VM without the answer reaching the source, one
// whose destination never received it. After the restart POST /api/groups/:group/migrations/resolve
// asks each destination whether it admitted that migration (QueryMigration, by the id the source
// lists): admitted, the source forgets its copy, even though the VM was destroyed there since;
// not admitted, the source restores the VM, stopped; a destination that does not answer leaves
// the migration in doubt.
import { expect } from 'chai';
import Database from 'better-sqlite3';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { WbemConnection } from '../../client/cim/index.js';
import type { ApiClient } from '../../client/cli/ApiClient.js';
import { spawnTvdcHost, type TvdcHostProcess } from '../support/TvdcHostProcess.js';
import { SilentDestination } from '../providers/isolation/support/SilentDestination.js';
import { startTestHost, type TestHost } from './support/testHost.js';
import { ManagementServer, serverModules } from '../../client/server/ManagementServer.js';
import { client, defineVm, paperTvdc, refused, requestState, runTvdc, service, stateOn, tempDir, vm, type RunningServer } from './support/serverHarness.js';

const ID = '[0-9a-f]{64}';

interface Outcome { host: string; vm: string; destination: string; migrationId: string; destinationHost: string | null; outcome: string; message: string }
interface Report { group: string; migrations: Outcome[]; unreachable: { host: string; message: string }[] }

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('management server: migrations in doubt after a source host crashed are settled by asking the destination', function () {
  this.timeout(120_000);
  const tmp = tempDir('tvdc-server-indoubt-');
  let h1: TvdcHostProcess | undefined;
  let h1Port: number;
  let h1Conn: WbemConnection;
  let h2: TestHost;
  let h3: TestHost;
  /** The server reaches h2 and h3 through these; the URLs it knows them by are theirs. */
  let toH2: SilentDestination;
  let toH3: SilentDestination;
  let srv: RunningServer;
  let alice: ApiClient;

  const startH1 = async (): Promise<void> => {
    h1 = await spawnTvdcHost(['--name', 'h1', '--port', String(h1Port), '--state', join(tmp.dir, 'h1')]);
    await h1Conn?.close();
    h1Conn = new WbemConnection(h1.origin, { namespace: 'root/tvdc' });
  };
  const until = async (check: () => boolean): Promise<void> => {
    for (let i = 0; i < 1000 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
    expect(check()).to.equal(true);
  };

  before(async () => {
    h1Port = await freePort();
    [h2, h3] = await Promise.all([startTestHost('h2'), startTestHost('h3'), startH1()]);
    toH2 = await new SilentDestination(h2.origin, 'forward').start();
    toH3 = await new SilentDestination(h3.origin, 'drop').start();
    // The server gives up on a migration after 3 s: the source dies under it, and its answer is not what is tested.
    const log: string[] = [];
    const server = ManagementServer.open({ db: join(tmp.dir, 'server.db'), modules: serverModules({ vms: { migrationTimeoutMs: 3_000 } }), log: (l) => void log.push(l) });
    srv = { server, url: (await server.listen({ port: 0 })).http!, log };
    await srv.server.users.add('dc', 'dcadmin', 'dc-password');
    await srv.server.users.add('alice', 'tvdcadmin', 'alice-password');
    await srv.server.users.add('bob', 'tvdcadmin', 'bob-password');
    const dc = client(srv.url, 'dc', 'dc-password');
    for (const url of [h1!.origin, toH2.origin, toH3.origin]) await dc.post('/api/hosts', { url });
    await paperTvdc(dc, 'finance', ['h1', 'h2', 'h3']);
    await dc.post('/api/groups', { name: 'other' });
    await dc.put('/api/users/alice/groups/finance');
    await dc.put('/api/users/bob/groups/other');
    alice = client(srv.url, 'alice', 'alice-password');
    for (const name of ['m2', 'm3', 'm4']) {
      await defineVm(h1Conn, 'h1', name);
      await alice.put(`/api/groups/finance/vms/${name}/label`, { label: 'MarketAnalysis' });
      await alice.post(`/api/groups/finance/vms/${name}/start`, {});
    }
  });
  after(async () => {
    await srv?.server.stop();
    await h1Conn?.close();
    await h1?.stop();
    await toH2?.stop();
    await toH3?.stop();
    await h2?.stop();
    await h3?.stop();
    tmp.remove();
  });

  it('kill -9 of the source with two migrations on their way; the resolve call settles the one whose destination answers (arrived), leaves the other (destination unreachable), then restores it', async () => {
    // Both migrations go out; the server's calls fail when h1 dies, whatever they say.
    const toTwo = alice.post('/api/groups/finance/vms/m2/migrate', { to: 'h2' }).catch((e: unknown) => e);
    await until(() => toH2.swallowed > 0);
    const toThree = alice.post('/api/groups/finance/vms/m3/migrate', { to: 'h3' }).catch((e: unknown) => e);
    await until(() => toH3.dropped > 0);
    await h1!.kill9();
    await Promise.all([toTwo, toThree]);
    const h2Conn = new WbemConnection(h2.origin, { namespace: 'root/tvdc' });
    const h3Conn = new WbemConnection(h3.origin, { namespace: 'root/tvdc' });
    try {
      expect(await stateOn(h2Conn, 'm2'), 'h2 admitted m2').to.equal(2);
      expect(await stateOn(h3Conn, 'm3'), 'h3 never saw m3').to.equal(null);
      await startH1();
      await toH3.stop();
      // m2 arrived at h2 and is gone from there since: where it is now says nothing of whether
      // that migration arrived, and restoring h1's copy would bring back a destroyed VM.
      expect((await requestState(h2Conn, 'm2', 3)).code).to.equal(0);
      const destroyed = await h2Conn.invokeMethod(service('h2', 'TVDc_VirtualSystemManagementService', 'VirtualSystemManagementService'), 'DestroySystem', { AffectedSystem: vm('m2') });
      expect(Number(destroyed.returnValue)).to.equal(0);

      // Another TVDc's administrator may not.
      await refused(client(srv.url, 'bob', 'bob-password').post('/api/groups/finance/migrations/resolve', {}), 403, 'FORBIDDEN');

      const first = await alice.post<Report>('/api/groups/finance/migrations/resolve', {});
      expect(first.unreachable).to.deep.equal([{ host: 'h3', message: first.unreachable[0]?.message }]);
      expect(first.migrations.map((m) => [m.host, m.vm, m.destination, m.destinationHost, m.outcome])).to.deep.equal([
        ['h1', 'm2', toH2.origin, 'h2', 'arrived'],
        ['h1', 'm3', toH3.origin, 'h3', 'left'],
      ]);
      for (const m of first.migrations) expect(m.migrationId).to.match(new RegExp(`^${ID}$`));
      expect(first.migrations[0]!.message).to.equal(`h2 admitted VM m2 (migration ${first.migrations[0]!.migrationId}): h1 forgot its take-back copy`);
      expect(first.migrations[1]!.message).to.match(/^host h3 could not be asked whether it admitted migration [0-9a-f]{64} of VM m3 \(.+\): left in doubt, try again once it answers$/);
      expect(srv.log.some((l) => l.includes('TVDc finance: migration of VM m3 from h1 stays in doubt: host h3 could not be asked'))).to.equal(true);
      expect(await stateOn(h1Conn, 'm2'), 'not restored on h1').to.equal(null);
      expect(await stateOn(h2Conn, 'm2'), 'nor brought back on h2').to.equal(null);
      expect(await stateOn(h1Conn, 'm3')).to.equal(null);

      // The CLI says the same, and fails while anything is left in doubt.
      const still = await runTvdc(srv.url, 'alice', 'alice-password', 'vms', 'resolve', 'finance');
      expect(still.code).to.equal(1);
      expect(still.out).to.match(/^HOST +VM +DESTINATION +OUTCOME +MESSAGE\nh1 +m3 +h3 +left +host h3 could not be asked/);
      expect(still.err).to.contain('tvdc vms resolve: host h3 not reachable');

      // h3 answers again, at the address the server knows it by: m3 is not there, so it comes back to h1.
      toH3 = await new SilentDestination(h3.origin, 'drop').start(toH3.port);
      const run = await runTvdc(srv.url, 'alice', 'alice-password', 'vms', 'resolve', 'finance', '--json');
      expect([run.code, run.err]).to.deep.equal([0, '']);
      const second = JSON.parse(run.out) as Report;
      alice = client(srv.url, 'alice', 'alice-password');
      expect(second.unreachable).to.deep.equal([]);
      const m3 = first.migrations[1]!.migrationId;
      expect(second.migrations.map((m) => [m.vm, m.outcome, m.message])).to.deep.equal([['m3', 'restored', `h3 did not admit VM m3 (migration ${m3}): it is back on h1, stopped`]]);
      expect(await stateOn(h1Conn, 'm3')).to.equal(3);
      expect(await stateOn(h3Conn, 'm3')).to.equal(null);
      expect(await stateOn(h2Conn, 'm2')).to.equal(null);
      expect(srv.log.some((l) => l.includes(`TVDc finance: migration of VM m3 from h1 to h3 was in doubt; h3 did not admit VM m3 (migration ${m3}): it is back on h1, stopped (resolved by alice)`))).to.equal(true);

      // Nothing is left in doubt.
      expect((await alice.post<Report>('/api/groups/finance/migrations/resolve', {})).migrations).to.deep.equal([]);
      const none = await runTvdc(srv.url, 'alice', 'alice-password', 'vms', 'resolve', 'finance');
      expect([none.code, none.out]).to.deep.equal([0, 'TVDc finance: no migration in doubt']);
    } finally {
      await h2Conn.close();
      await h3Conn.close();
    }
  });

  it('the source stays up and loses the destination answer: the migration answers HOST_TIMEOUT saying it is in doubt, the VM runs on the destination only, and resolve settles it as arrived', async () => {
    // h2 again, at the address the server knows it by, now resetting the source once h2 answered.
    const port = toH2.port;
    await toH2.stop();
    toH2 = await new SilentDestination(h2.origin, 'forward', { reset: true }).start(port);
    alice = client(srv.url, 'alice', 'alice-password');
    const h2Conn = new WbemConnection(h2.origin, { namespace: 'root/tvdc' });
    try {
      const msg = await refused(alice.post('/api/groups/finance/vms/m4/migrate', { to: 'h2' }), 504, 'HOST_TIMEOUT');
      expect(msg).to.match(/^host h1 lost the answer of h2 to the migration of VM m4 \(the answer of .+ was lost after the request was sent .+\); whether VM m4 moved is unknown and the migration is in doubt: tvdc vms resolve GROUP/);
      expect(await stateOn(h1Conn, 'm4'), 'not taken back on h1').to.equal(null);
      expect(await stateOn(h2Conn, 'm4'), 'running on h2').to.equal(2);
      const r = await alice.post<Report>('/api/groups/finance/migrations/resolve', {});
      expect(r.migrations.map((m) => [m.vm, m.outcome])).to.deep.equal([['m4', 'arrived']]);
      expect(await stateOn(h1Conn, 'm4')).to.equal(null);
      expect(await stateOn(h2Conn, 'm4')).to.equal(2);
    } finally {
      await h2Conn.close();
    }
  });

  it('a migration recorded without an id (an older source agent) cannot be asked about: left in doubt, saying so, and nothing is restored', async () => {
    // What an agent that drew no ids leaves behind: a departure record whose ticket has no id
    // (written beside the running agent, which reads its departures from the store each time).
    const db = new Database(join(tmp.dir, 'h1', 'host.db'), { timeout: 5_000 });
    const ticket = { vm: 'old', label: 'MarketAnalysis', fromHost: 'h1', disks: [], segments: [], extensions: {}, returnExtensions: {} };
    db.prepare('INSERT INTO iso_vm_departures (vm, destination, left_at, ticket) VALUES (?, ?, ?, ?)').run('old', toH2.origin, new Date().toISOString(), JSON.stringify(ticket));
    db.close();
    // The CLI run above closed the process's shared HTTP client: a new one.
    alice = client(srv.url, 'alice', 'alice-password');
    const r = await alice.post<Report>('/api/groups/finance/migrations/resolve', {});
    expect(r.migrations.map((m) => [m.vm, m.migrationId, m.destinationHost, m.outcome, m.message])).to.deep.equal([[
      'old', '', 'h2', 'left',
      'host h1 recorded the migration of VM old without an id (an older tvdc host agent), so h2 cannot be asked about it: left in doubt; ask it whether it admitted VM old, then resolve it on h1 (ResolveMigration)',
    ]]);
    expect(await stateOn(h1Conn, 'old')).to.equal(null);
    // Settled by hand, as the message says.
    const done = await h1Conn.invokeMethod(service('h1', 'TVDc_VirtualSystemMigrationService', 'VirtualSystemMigrationService'), 'ResolveMigration', { VirtualSystemName: 'old', Arrived: true });
    expect(Number(done.returnValue)).to.equal(0);
    expect((await alice.post<Report>('/api/groups/finance/migrations/resolve', {})).migrations).to.deep.equal([]);
  });
});
