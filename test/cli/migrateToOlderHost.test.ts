// `tvdc vms migrate` to a destination that cannot issue a migration ticket, end to end: a real
// management server (SQLite file, HTTP) and real host agents on loopback, the source behind a
// relay that records every byte it is sent. Three kinds of older destination: its schema has no
// IssueMigrationTicket (CIM_ERR_METHOD_NOT_FOUND), its provider answers CIM_ERR_NOT_SUPPORTED,
// or its provider returns 1 (Not Supported), as a provider from before the ticket answers any
// method it does not know. Each time: HOST_REFUSED (exit 1) saying why, the VM still running on
// the source, which was never asked to migrate and never got the destination's password, and
// the audit trail's entry `failed`.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WbemConnection } from '../../client/cim/index.js';
import { HostAgent } from '../../client/host/HostAgent.js';
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import { MIGRATION_TICKET_USER, UserDirectory } from '../../src/wbem/UserDirectory.js';
import { Relay } from '../support/Relay.js';
import { startTestHost, type TestHost } from '../server/support/testHost.js';
import { client, defineVm, paperTvdc, runTvdc, startServer, tempDir, tvdcConnection, vm, type RunningServer } from '../server/support/serverHarness.js';

type Older = 'no method in the schema' | 'CIM_ERR_NOT_SUPPORTED' | 'returns 1';

const SERVICE = 'TVDc_VirtualSystemMigrationService';

/** An older destination's login as the server keeps it: its password must never reach the source. */
const loginOf = (host: string) => ({ user: 'mgmt', password: `${host}-host-secret-pw` });

/** A host agent that cannot issue migration tickets, in the way `older` says. */
async function olderHost(name: string, older: Older): Promise<{ origin: string; stop(): Promise<void> }> {
  const state = mkdtempSync(join(tmpdir(), `tvdc-older-${name}-`));
  const usersFile = join(state, 'users.json');
  const login = loginOf(name);
  await UserDirectory.addUserToFile(usersFile, login.user, 'write', login.password);
  const agent = await HostAgent.open({ name, stateDir: state, vtpm: 'off', users: UserDirectory.load(usersFile), log: () => {} });
  if (older === 'no method in the schema') {
    const repo = agent.server.repository;
    const cls = repo.getLocalClass('root/tvdc', SERVICE).clone();
    expect(cls.methods.delete('IssueMigrationTicket')).to.equal(true);
    repo.modifyClass('root/tvdc', cls);
  } else {
    // The schema declares the method, the provider behind it predates it.
    const provider = agent.server.providers.get('root/tvdc', SERVICE)!;
    const current = provider.invokeMethod!.bind(provider);
    provider.invokeMethod = (ctx, path, method, params) => {
      if (method !== 'IssueMigrationTicket') return current(ctx, path, method, params);
      if (older === 'CIM_ERR_NOT_SUPPORTED') throw new CimError(CimStatus.CIM_ERR_NOT_SUPPORTED, `${method} is not implemented by this provider`);
      return { returnValue: 1, outParams: [{ name: 'Reason', value: `${method} is not supported; use MigrateVirtualSystemToHost` }] };
    };
  }
  const origin = (await agent.listen({ port: 0, host: '127.0.0.1' })).http!;
  return { origin, stop: async () => { await agent.stop(); rmSync(state, { recursive: true, force: true }); } };
}

describe('tvdc vms migrate to a destination that cannot issue a migration ticket', function () {
  this.timeout(60_000);
  const tmp = tempDir('tvdc-migrate-older-');
  const cases: [string, Older, RegExp][] = [
    ['old1', 'no method in the schema', /CIM_ERR_METHOD_NOT_FOUND.*an older tvdc host agent: upgrade it/],
    ['old2', 'CIM_ERR_NOT_SUPPORTED', /CIM_ERR_NOT_SUPPORTED.*an older tvdc host agent: upgrade it/],
    ['old3', 'returns 1', /IssueMigrationTicket returned 1, Not Supported: IssueMigrationTicket is not supported; use MigrateVirtualSystemToHost; an older tvdc host agent: upgrade it/],
  ];
  let a: TestHost;
  let toA: Relay;
  let cimA: WbemConnection;
  const older: { stop(): Promise<void> }[] = [];
  let srv: RunningServer;

  before(async () => {
    a = await startTestHost('a');
    toA = await new Relay(a.origin).start();
    cimA = tvdcConnection(a.origin);
    await defineVm(cimA, 'a', 'mv');
    srv = await startServer(join(tmp.dir, 'server.db'));
    await srv.server.users.add('dc', 'dcadmin', 'dc-password');
    const dc = client(srv.url, 'dc', 'dc-password');
    await dc.post('/api/hosts', { url: toA.origin });
    for (const [name, kind] of cases) {
      const h = await olderHost(name, kind);
      older.push(h);
      await dc.post('/api/hosts', { url: h.origin, ...loginOf(name) });
    }
    await paperTvdc(dc, 'g', ['a', ...cases.map(([name]) => name)]);
    await dc.put('/api/groups/g/vms/mv/label', { label: 'MarketAnalysis' });
    await dc.post('/api/groups/g/vms/mv/start', {});
  });
  after(async () => {
    await srv?.server.stop();
    await cimA?.close();
    await toA?.stop();
    for (const h of older) await h.stop();
    await a?.stop();
    tmp.remove();
  });

  for (const [name, kind, why] of cases) {
    it(`${kind}: HOST_REFUSED, exit 1; the VM runs on the source, which got neither the call nor the password; audited failed`, async () => {
      const sentBefore = toA.sent.length;
      const r = await runTvdc(srv.url, 'dc', 'dc-password', 'vms', 'migrate', 'g', 'mv', '--to', name);
      expect([r.code, r.out]).to.deep.equal([1, '']);
      expect(r.err).to.match(new RegExp(`^tvdc: HOST_REFUSED: host ${name} cannot issue a migration ticket for VM mv \\(`));
      expect(r.err).to.match(why).and.to.include('VM mv did not move');
      expect(r.err).to.not.include(loginOf(name).password);

      expect(Number((await cimA.getInstance(vm('mv'))).get('EnabledState'))).to.equal(2);
      const sent = toA.sent;
      // The relay does carry what the server tells the source (the VM's start went through it).
      expect(sent).to.include('RequestStateChange');
      expect(sent.slice(sentBefore)).to.not.include('MigrateVirtualSystemToHost');
      expect(sent).to.not.include(loginOf(name).password);
      expect(sent).to.not.include(MIGRATION_TICKET_USER);

      const audit = await runTvdc(srv.url, 'dc', 'dc-password', 'audit', 'list', '--action', 'vm.migrate', '--limit', '1', '--json');
      expect(audit.code).to.equal(0);
      const [entry] = (JSON.parse(audit.out) as { entries: { user: string; group: string; outcome: string; message: string }[] }).entries;
      expect(entry).to.include({ user: 'dc', group: 'g', outcome: 'failed' });
      expect(entry!.message).to.match(new RegExp(`^TVDc g: migration of VM mv from a to ${name} by dc: HOST_REFUSED: host ${name} cannot issue a migration ticket`));
      expect(entry!.message).to.not.include(loginOf(name).password);
    });
  }
});
