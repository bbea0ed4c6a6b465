// The management server vouches for each migration: hosts started with its key (tvdc-host
// --manager-key, the PEM `tvdc server manager-key` and GET /api/manager-key give) take its
// MigrationAuthorization, so its write login moves a VM and its vTPM between them; a source without
// --manager-key, or with another server's key, refuses, and the server says what to configure. A
// real server on a SQLite file, real host agents with users files (the server's login: write) and
// swtpm vTPMs on loopback.
import { expect } from 'chai';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { MethodResult } from '../../client/cim/index.js';
import { managerKeyFile, openManagerKey } from '../../client/server/ManagerKey.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { startLoggedInHost, type LoggedInHost } from '../providers/integrity/support/IntegrityHost.js';
import { client, defineVm, ekOf, paperTvdc, refused, requestState, runMain, runTvdc, service, startServer, tempDir, vm, type RunningServer } from './support/serverHarness.js';

const LOGIN = { user: 'mgmt', password: 'mgmt-secret-pw' };

const ok = (r: MethodResult) => expect(Number(r.returnValue), String(r.outParams.get('Reason')?.value)).to.equal(0);

async function runningVm(h: LoggedInHost, name: string): Promise<void> {
  await defineVm(h.conn, h.name, name);
  ok(await h.conn.invokeMethod(service(h.name, 'TVDc_SecurityService', 'SecurityService'), 'AssignLabel', { Label: 'MarketAnalysis', Element: vm(name) }));
  expect(await requestState(h.conn, name, 2)).to.include({ code: 0 });
}

describe('tvdc vms migrate: hosts take the management server\'s migration authorizations (--manager-key)', function () {
  this.timeout(90_000);
  const tmp = tempDir('tvdc-server-migrate-authority-');
  const db = join(tmp.dir, 'server.db');
  let a: LoggedInHost;
  let b: LoggedInHost;
  /** Started without --manager-key. */
  let c: LoggedInHost;
  /** Started with another server's key. */
  let d: LoggedInHost;
  let srv: RunningServer;
  let serverKey: string;

  before(async () => {
    // The key exists before the server first starts (as `tvdc server manager-key` makes it), so the
    // hosts can be set up with it first; the server then uses that key.
    serverKey = openManagerKey(db).publicPem;
    const otherKey = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    [a, b, c, d] = await Promise.all([
      startLoggedInHost('a', LOGIN, { managerKey: serverKey }),
      startLoggedInHost('b', LOGIN, { managerKey: serverKey }),
      startLoggedInHost('c', LOGIN),
      startLoggedInHost('d', LOGIN, { managerKey: otherKey }),
    ]);
    srv = await startServer(db);
    await srv.server.users.add('dc', 'dcadmin', 'dc-password');
    await srv.server.users.add('viewer', 'tvdcadmin', 'viewer-password');
    const dc = client(srv.url, 'dc', 'dc-password');
    for (const h of [a, b, c, d]) await dc.post('/api/hosts', { url: h.origin, ...LOGIN });
    await paperTvdc(dc, 'g', ['a', 'b', 'c', 'd']);
    await runningVm(a, 'mv');
    await runningVm(c, 'cv');
    await runningVm(d, 'dv');
  });
  after(async () => {
    await srv?.server.stop();
    for (const h of [a, b, c, d]) await h?.stop();
    tmp.remove();
  });

  it('the key is Ed25519 in <db>.manager-key (0600); GET /api/manager-key (any signed-in user) and tvdc server manager-key give its public half', async () => {
    const file = managerKeyFile(db);
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    expect(readFileSync(file, 'utf8')).to.include('-----BEGIN PRIVATE KEY-----');
    const got = await client(srv.url, 'viewer', 'viewer-password').get<{ publicKey: string; fingerprint: string; algorithm: string }>('/api/manager-key');
    expect(got.publicKey).to.equal(serverKey);
    expect(got.algorithm).to.equal('Ed25519');
    expect(got.fingerprint).to.match(/^[0-9a-f]{64}$/);
    expect(await runMain(['server', 'manager-key', '--db', db])).to.deep.equal({ code: 0, out: serverKey.trimEnd(), err: '' });
    await refused(client(srv.url, 'viewer', 'wrong-password').get('/api/manager-key'), 401, 'UNAUTHORIZED');
  });

  it('moves a VM and its vTPM between two hosts started with the server\'s key, its login being write', async () => {
    const ek = await ekOf(a, 'mv');
    expect(ek).to.be.a('string').and.not.equal('');
    expect(await runTvdc(srv.url, 'dc', 'dc-password', 'vms', 'migrate', 'g', 'mv', '--to', 'b')).to.deep.equal({ code: 0, out: 'VM mv migrated from host a to host b (running)', err: '' });
    expect(await ekOf(b, 'mv')).to.equal(ek);
    expect(await ekOf(a, 'mv')).to.equal(undefined);
    // And back: every statement is new.
    expect((await runTvdc(srv.url, 'dc', 'dc-password', 'vms', 'migrate', 'g', 'mv', '--to', 'a')).code).to.equal(0);
    expect(await ekOf(a, 'mv')).to.equal(ek);
  });

  it('a source started without --manager-key refuses; the server says to give it the server\'s key, and the VM keeps running there', async () => {
    const ek = await ekOf(c, 'cv');
    const r = await runTvdc(srv.url, 'dc', 'dc-password', 'vms', 'migrate', 'g', 'cv', '--to', 'b');
    expect(r.code).to.equal(1);
    expect(r.err).to.match(/^tvdc: HOST_REFUSED: host c does not take this server's migration authorizations: it runs without --manager-key/);
    expect(r.err).to.include('tvdc server manager-key --db DB > FILE, or GET /api/manager-key');
    expect(r.err).to.include('restart its tvdc-host with --manager-key FILE; VM cv did not move');
    expect(await ekOf(c, 'cv')).to.equal(ek);
    expect(Number((await c.conn.getInstance(vm('cv'))).get('EnabledState'))).to.equal(2);
    expect(await ekOf(b, 'cv')).to.equal(undefined);
  });

  it('a source whose --manager-key is another server\'s refuses the statement, and the server names that', async () => {
    const r = await runTvdc(srv.url, 'dc', 'dc-password', 'vms', 'migrate', 'g', 'dv', '--to', 'b');
    expect(r.code).to.equal(1);
    expect(r.err).to.match(/^tvdc: HOST_REFUSED: host d takes the migration authorizations of another management server/);
    expect(Number((await d.conn.getInstance(vm('dv'))).get('EnabledState'))).to.equal(2);
    expect(await ekOf(b, 'dv')).to.equal(undefined);
  });

  it('the server\'s write login, calling the source itself without a statement, cannot send a VM anywhere', async () => {
    let denied = '';
    try {
      await a.conn.invokeMethod(service('a', 'TVDc_VirtualSystemMigrationService', 'VirtualSystemMigrationService'), 'MigrateVirtualSystemToHost', {
        ComputerSystem: CimObjectPath.instance('TVDc_ComputerSystem', { CreationClassName: 'TVDc_ComputerSystem', Name: 'mv' }, 'root/tvdc'), DestinationHost: c.origin,
      });
    } catch (e) {
      denied = (e as Error).message;
    }
    expect(denied).to.include("mgmt (write) may migrate VM 'mv' only with a MigrationAuthorization");
    expect(Number((await a.conn.getInstance(vm('mv'))).get('EnabledState'))).to.equal(2);
  });
});
