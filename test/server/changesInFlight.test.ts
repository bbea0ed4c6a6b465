// A policy deployment or VM migration is in the audit trail before any host is asked, so a server
// that dies midway leaves a trace; the next server on the same database says which it never ended.
// The dead server is stood in for by one left running with its request stuck on a host, while a
// second server opens the same database file, as a restarted one would.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import type { ApiClient } from '../../client/cli/ApiClient.js';
import { ManagementServer, serverModules } from '../../client/server/ManagementServer.js';
import { AuditTrail } from '../../client/server/AuditTrail.js';
import { startHangingMigration } from './support/hangingMigration.js';
import { client, eventually, PAPER_POLICY, tempDir } from './support/serverHarness.js';
import { TcpFront } from '../support/TcpFront.js';
import { startTestHost, type TestHost } from './support/testHost.js';

/** A TCP front of a host that relays until `hold` is set; then it takes requests and answers none. */
class HoldingFront extends TcpFront {
  hold = false;

  protected relay(client: Socket, host: Socket): void {
    client.on('data', (chunk: Buffer) => {
      if (!this.hold) host.write(chunk);
    });
  }
}

describe('changes in flight: audited before the hosts are asked, reported after a restart', function () {
  this.timeout(60_000);

  it('a deployment: its start, then its outcome; one cut short is reported failed by the next server, once', async () => {
    const tmp = tempDir('tvdc-in-flight-');
    const db = join(tmp.dir, 'server.db');
    const host: TestHost = await startTestHost('f1');
    const front = new HoldingFront(host.origin);
    const frontUrl = (await front.start()).origin;
    const log1: string[] = [];
    const first = ManagementServer.open({ db, log: (l) => void log1.push(l) });
    let second: ManagementServer | undefined;
    let dc: ApiClient | undefined;
    try {
      const url = (await first.listen({ port: 0 })).http!;
      await first.users.add('dc', 'dcadmin', 'dc-password-1');
      dc = client(url, 'dc', 'dc-password-1');
      await dc.post('/api/hosts', { url: frontUrl });
      await dc.post('/api/groups', { name: 'fin' });
      await dc.post('/api/groups/fin/hosts', { hosts: ['f1'] });
      await dc.put('/api/groups/fin/policy', { xml: readFileSync(PAPER_POLICY, 'utf8'), file: 'paper-ma-su.xml' });
      expect((await dc.post<{ ok: boolean }>('/api/groups/fin/policy/deploy')).ok).to.equal(true);
      const done = await dc.get<{ entries: { action: string; message: string }[] }>('/api/audit?action=policy.deploy.start');
      expect(done.entries.map((e) => e.message)).to.deep.equal(['TVDc fin: deployment of policy tvdc-paper 1.0 to f1 by dc started']);

      // A new version whose deployment hangs on the host; the server "dies" while it waits.
      await dc.post('/api/groups/fin/conflicts', { name: 'MA-SU', types: ['MA', 'SU'] });
      front.hold = true;
      const pending = dc.post('/api/groups/fin/policy/deploy').catch((e: unknown) => e);
      await eventually(async () => log1.includes('TVDc fin: deployment of policy tvdc-paper 1.1 to f1 by dc started'));

      const log2: string[] = [];
      second = ManagementServer.open({ db, log: (l) => void log2.push(l) });
      const cut = /^TVDc fin: deployment of policy tvdc-paper 1\.1 to f1 by dc, started at \S+Z, was cut short: the server stopped before it ended, so its outcome is unknown; see tvdc groups show fin$/;
      expect(log2.filter((l) => l.includes('cut short'))).to.have.length(1).and.to.satisfy((ls: string[]) => cut.test(ls[0]!));
      const trail = new AuditTrail(second.db).list({ limit: 100 }).filter((e) => e.action.startsWith('policy.deploy'));
      expect(trail.map((e) => [e.action, e.outcome])).to.deep.equal([
        ['policy.deploy', 'failed'], ['policy.deploy.start', 'done'], ['policy.deploy', 'done'], ['policy.deploy.start', 'done'],
      ]);
      expect(trail[0]!.user).to.equal('dc');
      expect(trail[0]!.message).to.match(cut);
      await second.stop();
      second = undefined;

      // Reported once: a third start finds nothing left.
      const log3: string[] = [];
      const third = ManagementServer.open({ db, log: (l) => void log3.push(l) });
      await third.stop();
      expect(log3.filter((l) => l.includes('cut short'))).to.deep.equal([]);

      front.hold = false;
      await front.stop();
      await pending;
    } finally {
      await dc?.close();
      await second?.stop();
      await first.stop();
      await front.stop();
      await host.stop();
      tmp.remove();
    }
  });

  it('a deployment whose host step throws: its failure is in the trail at once, and the next server reports nothing cut short', async () => {
    const tmp = tempDir('tvdc-in-flight-throw-');
    const db = join(tmp.dir, 'server.db');
    const host: TestHost = await startTestHost('f2');
    const first = ManagementServer.open({ db, log: () => undefined });
    let dc: ApiClient | undefined;
    try {
      const url = (await first.listen({ port: 0 })).http!;
      await first.users.add('dc', 'dcadmin', 'dc-password-1');
      dc = client(url, 'dc', 'dc-password-1');
      await dc.post('/api/hosts', { url: host.origin });
      await dc.post('/api/groups', { name: 'fin' });
      await dc.post('/api/groups/fin/hosts', { hosts: ['f2'] });
      await dc.put('/api/groups/fin/policy', { xml: readFileSync(PAPER_POLICY, 'utf8'), file: 'paper-ma-su.xml' });
      // Recording the host's outcome fails after the host was asked (a real SQLite refusal, as a
      // full disk or a broken file gives): the host step throws, not a host's refusal.
      first.db.exec(`CREATE TRIGGER refuse_deployments BEFORE INSERT ON deployments BEGIN SELECT RAISE(ABORT, 'deployments refused by the test'); END`);
      const err = await dc.post('/api/groups/fin/policy/deploy').then(() => undefined, (e: unknown) => e as Error);
      expect(err, 'the deployment must fail').to.be.instanceOf(Error);
      const rows = first.db.prepare('SELECT COUNT(*) AS n FROM changes_in_flight').get() as { n: number };
      expect(rows.n).to.equal(0);
      const trail = new AuditTrail(first.db).list({ limit: 100 }).filter((e) => e.action.startsWith('policy.deploy'));
      expect(trail.map((e) => [e.action, e.outcome])).to.deep.equal([['policy.deploy', 'failed'], ['policy.deploy.start', 'done']]);
      expect(trail[0]!.message).to.equal('TVDc fin: deployment of policy tvdc-paper 1.0 by dc failed: deployments refused by the test; see tvdc groups show fin');
      // No deployment "in progress" is left behind either: once recording works, the next one goes.
      first.db.exec('DROP TRIGGER refuse_deployments');
      expect((await dc.post<{ ok: boolean }>('/api/groups/fin/policy/deploy')).ok).to.equal(true);
      await dc.close();
      dc = undefined;
      await first.stop();

      const log2: string[] = [];
      const second = ManagementServer.open({ db, log: (l) => void log2.push(l) });
      await second.stop();
      expect(log2.filter((l) => l.includes('cut short'))).to.deep.equal([]);
    } finally {
      await dc?.close();
      await first.stop();
      await host.stop();
      tmp.remove();
    }
  });

  it('a migration: its start is in the trail while the hosts are at it; a restart reports it cut short', async () => {
    const log1: string[] = [];
    const hang = await startHangingMigration({ migrationTimeoutMs: 30_000, log: (l) => void log1.push(l) });
    let second: ManagementServer | undefined;
    try {
      const pending = hang.dc.post('/api/groups/g/vms/mv/migrate', { to: 'b' }).catch((e: unknown) => e);
      await eventually(async () => hang.relay.holding);
      expect(log1).to.include('TVDc g: migration of VM mv from a to b by dc started');
      const log2: string[] = [];
      second = ManagementServer.open({ db: hang.server.db.name, modules: serverModules(), log: (l) => void log2.push(l) });
      expect(log2.filter((l) => l.includes('cut short'))).to.have.length(1);
      expect(log2.find((l) => l.includes('cut short'))).to.match(/^TVDc g: migration of VM mv from a to b by dc, started at \S+Z, was cut short: the server stopped before it ended, so its outcome is unknown; see tvdc vms list g$/);
      await second.stop();
      second = undefined;
      await hang.relay.stop();
      await pending;
    } finally {
      await second?.stop();
      await hang.stop();
    }
  });
});
