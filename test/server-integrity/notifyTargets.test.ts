// Where notify plans may send the management server, over the real API, CLI and SQLite: the
// Datacenter Administrator's allow-list of URL prefixes (who may read and change it), a TVDc
// administrator's plan outside it refused, and a plan whose prefix was removed recorded as a
// failed action while a real HTTP listener receives nothing. The attested host is one the server
// cannot reach, so every run is `failed` at once and these tests need no host agent.
import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../../client/cli/ApiClient.js';
import { refused, runTvdc } from '../server/support/serverHarness.js';
import { ManagementServer } from '../../client/server/ManagementServer.js';
import { usersModule } from '../../client/server/usersModule.js';
import { createIntegrityModule } from '../../client/server/integrity/integrityModule.js';

const PW = 'correct horse battery';

interface RunAnswer {
  results: { host: string; status: string; actions: { planId?: number; action?: string; status: string; message: string }[] }[];
}

describe('management server: notification targets (the dcadmin\'s allow-list for notify plans)', function () {
  this.timeout(30_000);
  let dir: string;
  let server: ManagementServer;
  let url: string;
  let listener: Server;
  let listenerUrl: string;
  const received: string[] = [];
  const as = (user: string) => new ApiClient(url, user, PW);
  const tvdc = (user: string, ...args: string[]) => runTvdc(url, user, PW, ...args);

  before(async () => {
    listener = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received.push(req.url ?? '');
        res.statusCode = 204;
        res.end();
      });
    });
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    listenerUrl = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
    dir = mkdtempSync(join(tmpdir(), 'tvdc-mgmt-notify-'));
    server = ManagementServer.open({ db: join(dir, 'server.db'), log: () => {}, modules: [usersModule, createIntegrityModule({ notifyTimeoutMs: 1_000 })] });
    url = (await server.listen({ port: 0 })).http!;
    await server.users.add('root', 'dcadmin', PW);
    await server.users.add('alice', 'tvdcadmin', PW);
    server.db.prepare('INSERT INTO tvdc_groups (name, created_at) VALUES (?, ?)').run('finance', new Date().toISOString());
    server.users.authorize('alice', 'finance');
    server.hosts.add('h1', 'http://127.0.0.1:1', { user: null, password: null });
    server.hosts.setGroup('h1', 'finance');
  });

  after(async () => {
    await ApiClient.closeAll();
    await server?.stop();
    listener?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('only a dcadmin adds and removes prefixes; every administrator lists them; bad and duplicate prefixes are refused', async () => {
    expect((await as('alice').get<{ targets: unknown[] }>('/api/notify-targets')).targets).to.deep.equal([]);
    expect(await refused(as('alice').post('/api/notify-targets', { prefix: `${listenerUrl}/hooks` }), 403, 'FORBIDDEN')).to.include('only a dcadmin');
    const added = await tvdc('root', 'plans', 'targets', 'add', `${listenerUrl}/hooks/`);
    expect(added.code, added.err).to.equal(0);
    expect(added.out).to.equal(`notify plans may now point under ${listenerUrl}/hooks`);
    const listed = await tvdc('alice', 'plans', 'targets', 'list');
    expect(listed.code, listed.err).to.equal(0);
    expect(listed.out.split('\n')[0]).to.match(/^PREFIX\s+ADDED BY\s+ADDED AT$/);
    expect(listed.out).to.match(new RegExp(`^${listenerUrl}/hooks\\s+root\\s+\\d{4}-`, 'm'));
    expect(await refused(as('root').post('/api/notify-targets', { prefix: `${listenerUrl}/hooks` }), 409, 'CONFLICT')).to.include('already allowed');
    expect(await refused(as('root').post('/api/notify-targets', { prefix: 'https://ops.example/x?token=1' }), 400, 'BAD_REQUEST')).to.include('query or fragment');
    expect(await refused(as('root').post('/api/notify-targets', { prefix: 'https://u:pw@ops.example/' }), 400, 'BAD_REQUEST')).to.include('user name or password');
    await refused(as('root').post('/api/notify-targets', { prefix: 42 }), 400, 'BAD_REQUEST');
    await refused(as('alice').del(`/api/notify-targets?prefix=${encodeURIComponent(`${listenerUrl}/hooks`)}`), 403, 'FORBIDDEN');
    await refused(as('root').del('/api/notify-targets?prefix=https%3A%2F%2Fnever.example%2F'), 404, 'NOT_FOUND');
    await refused(as('root').del('/api/notify-targets'), 400, 'BAD_REQUEST');
    const usage = await tvdc('root', 'plans', 'targets', 'drop', 'x');
    expect(usage.code).to.equal(2);
    expect(usage.err).to.include('tvdc plans targets add PREFIX | remove PREFIX | list');
  });

  it('a TVDc administrator\'s notify plan outside the allowed prefixes is refused (403), on a host-suffix, a path next to the prefix and another port alike', async () => {
    const listenerPort = new URL(listenerUrl).port;
    await as('root').post('/api/notify-targets', { prefix: 'https://ops.example' });
    for (const outside of [
      'https://ops.example.evil.test/hook', // the allowed host as a prefix of another name
      'http://ops.example/hook', // the allowed host over another scheme
      `http://127.0.0.1:${Number(listenerPort) === 1 ? 2 : 1}/hooks/x`, // another port of the same address (a host's CIM port)
      `${listenerUrl}/hooks-admin`, // next to the prefix, not under it
      `${listenerUrl}/hooks/..%2Fadmin`, // a receiver that decodes %2F would see /admin
      `${listenerUrl.replace('127.0.0.1', 'localhost')}/hooks/x`, // the same machine by another name is another host
      'http://169.254.169.254/latest/meta-data/', // a cloud metadata address
    ]) {
      const why = await refused(as('alice').post('/api/groups/finance/plans', { on: ['failed'], action: 'notify', url: outside }), 403, 'FORBIDDEN');
      expect(why).to.include('is not under any notification target the Datacenter Administrator allows');
    }
    // The allowed host as a user name of another is a URL with credentials: refused as such.
    expect(await refused(as('alice').post('/api/groups/finance/plans', { on: ['failed'], action: 'notify', url: 'https://ops.example@evil.test/hook' }), 400, 'BAD_REQUEST')).to.include('user name or password');
    // The dcadmin too: the list is the whole truth of where the server notifies.
    await refused(as('root').post('/api/groups/finance/plans', { on: ['failed'], action: 'notify', url: 'http://169.254.169.254/' }), 403, 'FORBIDDEN');
    const cli = await tvdc('alice', 'plans', 'add', 'finance', '--on', 'failed', '--action', 'notify', '--url', 'http://10.0.0.1:5989/');
    expect(cli.code).to.equal(1);
    expect(cli.err).to.match(/^tvdc: FORBIDDEN: notify URL http:\/\/10\.0\.0\.1:5989\/ is not under any notification target/);
    expect((await as('alice').get<{ plans: unknown[] }>('/api/plans')).plans).to.deep.equal([]);
    // No plan used it: removing it strands none.
    expect((await as('root').del<{ stranded: number[] }>('/api/notify-targets?prefix=https%3A%2F%2Fops.example%2F')).stranded).to.deep.equal([]);
  });

  it('a plan under an allowed prefix notifies the listener; once the dcadmin removes the prefix the plan records a failed action and the listener receives nothing', async () => {
    const plan = await as('alice').post<{ id: number }>('/api/groups/finance/plans', { on: ['failed'], action: 'notify', url: `${listenerUrl}/hooks/tvdc` });
    const first = await as('alice').post<RunAnswer>('/api/attest/run', { target: 'finance' });
    expect(first.results.map((r) => r.status)).to.deep.equal(['failed']);
    expect(first.results[0]!.actions.map((a) => [a.planId, a.status])).to.deep.equal([[plan.id, 'done']]);
    expect(received).to.deep.equal(['/hooks/tvdc']);

    const removed = await tvdc('root', 'plans', 'targets', 'remove', `${listenerUrl}/hooks`);
    expect(removed.code, removed.err).to.equal(0);
    expect(removed.out).to.equal(`${listenerUrl}/hooks is no longer a notification target\nplans ${plan.id} point outside every allowed target: their notifications are recorded as failed until a target allows them again`);
    // A second host joins the TVDc and cannot be reached either: the plan would tell of it, but its
    // prefix is gone. (Of h1's unchanged verdict it has told already: notify plans tell of changes.)
    server.hosts.add('h2', 'http://127.0.0.1:2', { user: null, password: null });
    server.hosts.setGroup('h2', 'finance');
    const second = await as('alice').post<RunAnswer>('/api/attest/run', { target: 'finance' });
    const byHost = new Map(second.results.map((r) => [r.host, r]));
    expect(byHost.get('h1')!.actions).to.deep.equal([]);
    const [action] = byHost.get('h2')!.actions;
    expect(action).to.deep.include({ planId: plan.id, action: 'notify', status: 'failed' });
    expect(action!.message).to.include(`${listenerUrl}/hooks/tvdc is not under any notification target the Datacenter Administrator allows`);
    // The failure is in the event log for the TVDc administrator to read.
    const events = (await as('alice').get<{ events: { kind: string; status: string; planId?: number }[] }>('/api/events?kind=action')).events;
    expect(events[0]).to.deep.include({ kind: 'action', status: 'failed', planId: plan.id });
    await new Promise((r) => setTimeout(r, 100));
    expect(received).to.deep.equal(['/hooks/tvdc']);
    // A restarted server says which plans no longer notify (as after an upgrade to targets).
    await server.stop();
    const log: string[] = [];
    server = ManagementServer.open({ db: join(dir, 'server.db'), log: (l) => void log.push(l), modules: [usersModule, createIntegrityModule()] });
    expect(log).to.include(`notify plans ${plan.id} point under no notification target: their notifications are recorded as failed until a dcadmin allows them (tvdc plans targets add PREFIX)`);
  });
});
