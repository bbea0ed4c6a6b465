// Two VMs called `web` on two managed hosts (real host agents with swtpm vTPMs, the real API and
// SQLite): the verifier knows a VM by its name, so neither can be judged; both attestations are
// `failed` with DUPLICATE_VM_NAME naming both hosts, never `untrusted`, so a shutdown plan on
// untrusted/unknown does nothing and one on failed refuses to power a VM it cannot tell apart;
// the VMs keep running. Nothing about the clash is remembered: once one copy is gone the other
// attests trusted, and a copy that disappears within the grace period (a migration) is no clash.
import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WbemConnection } from '../../client/cim/index.js';
import { ApiClient } from '../../client/cli/ApiClient.js';
import { ManagementServer } from '../../client/server/ManagementServer.js';
import { usersModule } from '../../client/server/usersModule.js';
import { AttestationRunner } from '../../client/server/integrity/AttestationRunner.js';
import { vmPath } from '../../client/server/HostCim.js';
import { createIntegrityModule } from '../../client/server/integrity/integrityModule.js';
import { TrustAnchorStore } from '../../client/server/integrity/TrustAnchorStore.js';
import { VmCensus } from '../../client/server/integrity/VmCensus.js';
import { VmEffects } from '../../client/server/integrity/VmEffects.js';
import { openStore } from '../../src/store/Store.js';
import { ReferenceDatabase } from '../../src/tvdc/integrity/ReferenceDatabase.js';
import { ActionPlanEngine } from '../../src/tvdc/management/ActionPlanEngine.js';
import { ActionPlanStore } from '../../src/tvdc/management/ActionPlanStore.js';
import { EventLog } from '../../src/tvdc/management/EventLog.js';
import { NotifyTargetStore } from '../../src/tvdc/management/NotifyTargetStore.js';
import { HostPaths, POLICY_1_0, defineParam, methodOutput, policyParam, wbemcli } from '../providers/isolation/support/wbemcli.js';
import { removeState, startInProcessHost, type IntegrityHost } from '../providers/integrity/support/IntegrityHost.js';
import { runtimePolicyOf } from '../../src/tvdc/integrity/RuntimePolicy.js';
import { StaticHosts } from './support/StaticHosts.js';

const PW = 'correct horse battery';

interface RunAnswer {
  results: { host: string; vm?: string; status: string; findings: { code: string; message: string }[]; actions: { action?: string; status: string; message: string }[] }[];
}

describe('management server: one VM name on two managed hosts (real swtpm hosts)', function () {
  this.timeout(60_000);
  const hostAgents: IntegrityHost[] = [];
  const paths: Record<string, HostPaths> = {};
  const conns: Record<string, WbemConnection> = {};
  let dir: string;
  let server: ManagementServer;
  let url: string;
  let listener: Server;
  let listenerUrl: string;
  const received: { code?: string; host: string }[] = [];
  const as = (user: string) => new ApiClient(url, user, PW);

  const cm = async (host: string, target: string, call: string) => {
    const r = await wbemcli(['cm', paths[host]!.url(target), call]);
    expect(r.stderr, r.stderr).to.equal('');
    return methodOutput(r.stdout);
  };
  const define = async (host: string, vm: string, start: boolean) => {
    expect((await cm(host, paths[host]!.service('TVDc_VirtualSystemManagementService'), defineParam(vm, 'MarketAnalysis'))).returnValue).to.equal(0);
    if (start) expect((await cm(host, paths[host]!.vm(vm), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
  };
  const destroy = async (host: string, vm: string) =>
    expect((await cm(host, paths[host]!.service('TVDc_VirtualSystemManagementService'), `DestroySystem.AffectedSystem=${paths[host]!.vm(vm)}`)).returnValue).to.equal(0);
  const enabledState = async (host: string, vm: string) => Number((await conns[host]!.getInstance(vmPath(vm))).get('EnabledState'));

  before(async () => {
    for (const name of ['h1', 'h2']) {
      const h = await startInProcessHost(name);
      hostAgents.push(h);
      paths[name] = new HostPaths(h.origin, name);
      conns[name] = new WbemConnection(h.origin, { namespace: 'root/tvdc' });
      expect((await cm(name, paths[name]!.service('TVDc_SecurityService'), policyParam(POLICY_1_0))).returnValue).to.equal(0);
      await define(name, 'web', true);
    }
    await define('h1', 'solo', true);
    listener = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        const e = (JSON.parse(text) as { event: { host: string; findings: { code: string }[] } }).event;
        received.push({ host: e.host, ...(e.findings[0] ? { code: e.findings[0].code } : {}) });
        res.statusCode = 204;
        res.end();
      });
    });
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    listenerUrl = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;

    dir = mkdtempSync(join(tmpdir(), 'tvdc-mgmt-dup-'));
    server = ManagementServer.open({ db: join(dir, 'server.db'), log: () => {}, modules: [usersModule, createIntegrityModule({ notifyTimeoutMs: 1_000, clashGraceMs: 50 })] });
    url = (await server.listen({ port: 0 })).http!;
    await server.users.add('root', 'dcadmin', PW);
    await server.users.add('alice', 'tvdcadmin', PW);
    server.db.prepare('INSERT INTO tvdc_groups (name, created_at) VALUES (?, ?)').run('finance', new Date().toISOString());
    server.users.authorize('alice', 'finance');
    for (const h of hostAgents) {
      server.hosts.add(h.name, h.origin, { user: null, password: null });
      server.hosts.setGroup(h.name, 'finance');
      await as('root').put(`/api/attest/trust/${h.name}`, { vtpmCa: h.vtpmCaPem(), platformCa: h.platformCaPem() });
      await as('root').post('/api/refdb/import', { policy: runtimePolicyOf([h.imageRoot('web')], { excludes: ['/proc/.*'] }), source: `image-${h.name}` });
    }
    await as('root').post('/api/notify-targets', { prefix: listenerUrl });
  });

  after(async () => {
    await ApiClient.closeAll();
    await server?.stop();
    listener?.close();
    for (const c of Object.values(conns)) await c.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    for (const h of hostAgents) {
      await h.stop();
      await removeState(h.state);
    }
  });

  it('both VMs are failed with DUPLICATE_VM_NAME naming both hosts, never untrusted; no plan powers them and they keep running; the clash is not remembered', async () => {
    const alice = as('alice');
    await alice.post('/api/groups/finance/plans', { on: ['untrusted', 'unknown'], action: 'shutdown' });
    await alice.post('/api/groups/finance/plans', { on: ['failed'], vm: 'web', action: 'shutdown' });
    await alice.post('/api/groups/finance/plans', { on: ['failed'], action: 'notify', url: `${listenerUrl}/tvdc` });

    const run = await alice.post<RunAnswer>('/api/attest/run', { target: 'finance' });
    const byTarget = Object.fromEntries(run.results.map((r) => [`${r.host}/${r.vm ?? '(host)'}`, r]));
    expect(Object.fromEntries(Object.entries(byTarget).map(([k, r]) => [k, r.status]))).to.deep.equal({
      'h1/(host)': 'trusted', 'h1/solo': 'trusted', 'h1/web': 'failed', 'h2/(host)': 'trusted', 'h2/web': 'failed',
    });
    for (const host of ['h1', 'h2']) {
      const r = byTarget[`${host}/web`]!;
      expect(r.findings.map((f) => f.code)).to.deep.equal(['DUPLICATE_VM_NAME']);
      expect(r.findings[0]!.message).to.include('VM name web is defined on hosts h1 and h2');
      expect(r.actions.map((a) => [a.action, a.status])).to.deep.equal([['notify', 'done'], ['shutdown', 'failed']]);
      expect(r.actions[1]!.message).to.include('no shutdown of a VM that cannot be told apart by name');
      expect(await enabledState(host, 'web')).to.equal(2);
    }
    expect(received.sort((a, b) => a.host.localeCompare(b.host))).to.deep.equal([{ host: 'h1', code: 'DUPLICATE_VM_NAME' }, { host: 'h2', code: 'DUPLICATE_VM_NAME' }]);

    // One of them goes (renamed, undefined, or the source's copy after a migration): the other
    // attests as any VM, enrolled now for the first time, since no quote was taken while they clashed.
    await destroy('h2', 'web');
    const after = await alice.post<RunAnswer>('/api/attest/run', { target: 'finance' });
    expect(after.results.filter((r) => r.vm === 'web').map((r) => [r.host, r.status, r.actions.length])).to.deep.equal([['h1', 'trusted', 0]]);
  });

  it('a namesake on a host of another TVDc is a clash too, told to this TVDc without naming that host', async () => {
    const hosts = new StaticHosts();
    hosts.add('h1', hostAgents[0]!.origin, 'finance');
    hosts.add('h2', hostAgents[1]!.origin, 'ops');
    const db = openStore(join(dir, 'runner-groups.db'));
    const log: string[] = [];
    try {
      const events = new EventLog(db);
      const engine = new ActionPlanEngine(new ActionPlanStore(db), events, new VmEffects(hosts), new NotifyTargetStore(db));
      const runner = new AttestationRunner({ db, hosts, references: new ReferenceDatabase(db), anchors: new TrustAnchorStore(db), events, plans: engine, clashGraceMs: 0, log: (l) => void log.push(l) });
      await define('h2', 'web', false);
      const r = await runner.attest({ host: 'h1', vm: 'web' });
      expect([r.status, r.findings[0]?.code]).to.deep.equal(['failed', 'DUPLICATE_VM_NAME']);
      expect(r.findings[0]!.message).to.match(/^VM name web is defined on host h1 and on a host outside TVDc finance: /);
      expect(r.findings[0]!.message).to.not.include('h2');
      // The Datacenter Administrator's log names both.
      expect(log).to.include('attestation: VM name web is defined on hosts h1, h2');
    } finally {
      await destroy('h2', 'web');
      await hosts.close();
      db.close();
    }
  });

  it('attest run --vm of a name also on another TVDc\'s host: the 409 names to a tvdcadmin only his hosts and counts the other; a dcadmin sees both', async () => {
    server.db.prepare('INSERT INTO tvdc_groups (name, created_at) VALUES (?, ?)').run('ops', new Date().toISOString());
    server.hosts.setGroup('h2', 'ops');
    await define('h2', 'web', false);
    try {
      for (const target of ['finance', 'h1']) {
        try {
          await as('alice').post('/api/attest/run', { target, vm: 'web' });
          expect.fail('the run should be refused');
        } catch (e) {
          const err = e as { status: number; code: string; message: string };
          expect([err.status, err.code, err.message], target).to.deep.equal([409, 'CONFLICT', 'VM web exists on several hosts: h1 and 1 host outside your TVDcs']);
        }
      }
      try {
        await as('root').post('/api/attest/run', { target: 'finance', vm: 'web' });
        expect.fail('the run should be refused');
      } catch (e) {
        expect((e as Error).message).to.equal('VM web exists on several hosts: h1, h2');
      }
      // A name found only on the other TVDc's host is no VM to alice, as a name found nowhere.
      await define('h2', 'ops-only', false);
      try {
        await as('alice').post('/api/attest/run', { target: 'finance', vm: 'ops-only' });
        expect.fail('the run should be refused');
      } catch (e) {
        expect([(e as { status: number }).status, (e as Error).message]).to.deep.equal([404, 'no VM named ops-only on any host of TVDc finance']);
      }
      await destroy('h2', 'ops-only');
    } finally {
      await destroy('h2', 'web');
      server.hosts.setGroup('h2', 'finance');
    }
  });

  it('a copy that is gone once the grace period has passed (a migration that finished) is no clash; a stopped leftover copy is one', async () => {
    // The runner on its own, so the census can be taken while both copies exist.
    const hosts = new StaticHosts();
    for (const h of hostAgents) hosts.add(h.name, h.origin, 'finance');
    const db = openStore(join(dir, 'runner.db'));
    try {
      const anchors = new TrustAnchorStore(db);
      for (const h of hostAgents) anchors.set(h.name, 'virtual', h.vtpmCaPem(), 'root');
      const references = new ReferenceDatabase(db);
      references.importDirectory(hostAgents[0]!.imageRoot('web'));
      const events = new EventLog(db);
      const engine = new ActionPlanEngine(new ActionPlanStore(db), events, new VmEffects(hosts), new NotifyTargetStore(db));
      const runner = new AttestationRunner({ db, hosts, references, anchors, events, plans: engine, clashGraceMs: 50 });

      // The destination's copy of a migrating VM: defined on h2, not running.
      await define('h2', 'web', false);
      const duringMigration = await VmCensus.take(hosts);
      expect(duringMigration.hostsOf('web')).to.deep.equal(['h1', 'h2']);
      expect(duringMigration.running('h2')).to.deep.equal([]);
      const left = await runner.attest({ host: 'h1', vm: 'web' });
      expect([left.status, left.findings[0]?.code]).to.deep.equal(['failed', 'DUPLICATE_VM_NAME']);

      await destroy('h2', 'web');
      const settled = await runner.attest({ host: 'h1', vm: 'web' }, duringMigration);
      expect([settled.status, settled.findings]).to.deep.equal(['trusted', []]);
    } finally {
      await hosts.close();
      db.close();
    }
  });
});
