// The passwords the management server uses on its hosts are encrypted at rest under a key file
// kept apart from the database: against real host agents that demand them, over a real SQLite
// file read back byte for byte, across restarts, an old plain-text database, a ciphertext moved
// between rows, a wrong key and key files the server must refuse.
import { expect } from 'chai';
import Database from 'better-sqlite3';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { main } from '../../client/cli/tvdc.js';
import { ManagementServer, ManagementServerError, openServerDb, serverModules } from '../../client/server/ManagementServer.js';
import { SecretBox, SecretBoxError } from '../../client/server/SecretBox.js';
import { UserStore } from '../../client/server/UserStore.js';
import { startTestHost, type TestHost } from './support/testHost.js';
import { client, eventually, refused, startServer, tempDir, type RunningServer } from './support/serverHarness.js';

const LOGIN = {
  s1: { user: 'mgmt', password: 's1-Very-Secret-pw' },
  s2: { user: 'mgmt', password: 's2-Other-Secret-pw' },
} as const;
const GONE = 'gone-Host-Secret-pw';
const SEALED = /^v1:[A-Za-z0-9+/]{16}:[A-Za-z0-9+/]{22}==:[A-Za-z0-9+/=]+$/;

describe('management server: host passwords encrypted at rest under a key file', function () {
  this.timeout(30_000);
  const tmp = tempDir('tvdc-host-secrets-');
  const db = join(tmp.dir, 'server.db');
  const keyFile = `${db}.key`;
  const hosts: Record<string, TestHost> = {};
  let srv: RunningServer | undefined;

  const admin = () => client(srv!.url, 'admin', 'admin-password');
  const restart = async (): Promise<RunningServer> => {
    await srv?.server.stop();
    // With the indication feed: its subscriptions are what a host's removal undoes on the host.
    srv = await startServer(db, { indications: true });
    return srv;
  };
  const stop = async () => {
    await srv?.server.stop();
    srv = undefined;
  };
  /** The row as SQLite has it, read while the server is stopped. */
  const stored = (host: string): string => {
    const d = new Database(db, { readonly: true });
    try {
      return (d.prepare('SELECT host_password FROM hosts WHERE name = ?').get(host) as { host_password: string }).host_password;
    } finally {
      d.close();
    }
  };
  const setStored = (host: string, value: string) => {
    const d = new Database(db);
    try {
      d.prepare('UPDATE hosts SET host_password = ? WHERE name = ?').run(value, host);
    } finally {
      d.close();
    }
  };
  /** Every byte SQLite keeps for the database: the file and its write-ahead log. */
  const fileBytes = (): Buffer => Buffer.concat([db, `${db}-wal`].filter(existsSync).map((f) => readFileSync(f)));
  const expectNoPlainPassword = () => {
    const bytes = fileBytes();
    for (const { password } of Object.values(LOGIN)) {
      expect(bytes.includes(Buffer.from(password)), `${password} in the database file`).to.equal(false);
    }
  };

  before(async () => {
    for (const n of ['s1', 's2'] as const) hosts[n] = await startTestHost(n, { login: LOGIN[n] });
    const d = openServerDb(db);
    await new UserStore(d).add('admin', 'dcadmin', 'admin-password');
    d.close();
    await restart();
  });
  after(async () => {
    await stop();
    for (const h of Object.values(hosts)) await h.stop();
    tmp.remove();
  });

  it('first start makes the key file beside the database: 32 bytes, mode 0600', () => {
    const st = statSync(keyFile);
    expect({ mode: st.mode & 0o777, size: st.size }).to.deep.equal({ mode: 0o600, size: 32 });
  });

  it('passwords are stored encrypted (v1, per-value IV): neither the row nor any byte of the file holds them; the server still logs in to the hosts', async () => {
    for (const n of ['s1', 's2'] as const) {
      expect(await admin().post('/api/hosts', { url: hosts[n]!.origin, ...LOGIN[n] })).to.include({ name: n, credentials: true });
    }
    // The hosts refuse a wrong password: an answer with their VMs means the decrypted one was right.
    for (const n of ['s1', 's2']) expect(await admin().get<Record<string, unknown>>(`/api/hosts/${n}`)).to.have.property('vms');
    await stop();
    const [r1, r2] = [stored('s1'), stored('s2')];
    expect(r1).to.match(SEALED);
    expect(r2).to.match(SEALED);
    expect(r1.split(':')[1]).to.not.equal(r2.split(':')[1]);
    expectNoPlainPassword();
    await restart();
  });

  it('a restart with the same key file reads them back and reports nothing', async () => {
    await restart();
    expect(await admin().get<Record<string, unknown>>('/api/hosts/s1')).to.have.property('vms');
    expect(await admin().get<Record<string, unknown>>('/api/hosts/s2')).to.have.property('vms');
    expect(srv!.log.filter((l) => l.startsWith('host passwords:'))).to.deep.equal([]);
  });

  it('an old database with a plain-text password is encrypted at start, counted in the log, and no trace of the plain text stays in the file, not even of a host removed before', async () => {
    await stop();
    setStored('s1', LOGIN.s1.password);
    // What a host added and removed before this version leaves behind: its row's bytes in free space.
    const d = new Database(db);
    d.prepare("INSERT INTO hosts (name, url, host_user, host_password, added_at) VALUES ('gone', 'http://127.0.0.1:9', 'mgmt', ?, 'x')").run(GONE);
    d.prepare("DELETE FROM hosts WHERE name = 'gone'").run();
    d.close();
    expect(fileBytes().includes(Buffer.from(LOGIN.s1.password))).to.equal(true);
    expect(fileBytes().includes(Buffer.from(GONE))).to.equal(true);
    await restart();
    expect(srv!.log).to.include(`host passwords: encrypted the 1 stored in plain text, with key file ${keyFile}`);
    expect(await admin().get<Record<string, unknown>>('/api/hosts/s1')).to.have.property('vms');
    await stop();
    expect(stored('s1')).to.match(SEALED);
    expectNoPlainPassword();
    expect(fileBytes().includes(Buffer.from(GONE))).to.equal(false);
    await restart();
    expect(srv!.log.filter((l) => l.startsWith('host passwords:'))).to.deep.equal([]);
  });

  it('a ciphertext copied into another host\'s row does not decrypt there: the host is named at start and its calls fail clearly; the others work', async () => {
    await stop();
    const own = stored('s2');
    setStored('s2', stored('s1'));
    try {
      await restart();
      expect(srv!.log.some((l) => l.startsWith(`host passwords: 1 cannot be decrypted with key file ${keyFile}, hosts s2:`)), srv!.log.join('\n')).to.equal(true);
      const msg = await refused(admin().get('/api/hosts/s2'), 502, 'HOST_UNREACHABLE');
      expect(msg).to.include('host s2: the password stored for it cannot be decrypted with key file');
      expect(msg).to.not.include(LOGIN.s1.password);
      expect(await admin().get<Record<string, unknown>>('/api/hosts/s1')).to.have.property('vms');
    } finally {
      await stop();
      setStored('s2', own);
      await restart();
    }
    expect(await admin().get<Record<string, unknown>>('/api/hosts/s2')).to.have.property('vms');
  });

  it('another key: the server starts, names every host it cannot decrypt, answers the rest of the API, each call to those hosts fails as HOST_UNREACHABLE; removing a host and adding it again mends it', async () => {
    await restart();
    const subscriptions = (host: string) => (srv!.server.db.prepare('SELECT name FROM indication_subscriptions WHERE host = ? ORDER BY name').all(host) as { name: string }[]).map((r) => r.name);
    const onS2 = await eventually(async () => subscriptions('s2').length === 2 && subscriptions('s2'));
    await stop();
    const other = join(tmp.dir, 'other.key');
    writeFileSync(other, randomBytes(32), { mode: 0o600 });
    const log: string[] = [];
    const s = ManagementServer.open({ db, keyFile: other, modules: serverModules({ indications: { listenPort: 0 } }), log: (l) => void log.push(l) });
    try {
      const { http } = await s.listen({ port: 0 });
      expect(log.filter((l) => l.startsWith('host passwords:'))).to.deep.equal([
        `host passwords: 2 cannot be decrypted with key file ${other}, hosts s1, s2: calls to them fail until the server runs with the key file they were encrypted with, or each is given its password again (tvdc hosts credentials HOST)`,
      ]);
      const a = client(http!, 'admin', 'admin-password');
      expect((await a.get<{ hosts: { name: string; credentials: boolean }[] }>('/api/hosts')).hosts.map((h) => [h.name, h.credentials])).to.deep.equal([['s1', true], ['s2', true]]);
      for (const n of ['s1', 's2']) {
        expect(await refused(a.get(`/api/hosts/${n}`), 502, 'HOST_UNREACHABLE')).to.include(`cannot be decrypted with key file ${other}`);
      }
      // Nothing was rewritten under the wrong key.
      expect(stored('s1')).to.match(SEALED);
      const removed = await a.del<Record<string, unknown>>('/api/hosts/s2');
      expect(removed['removed']).to.equal('s2');
      // Nothing could be undone on the host: the answer names what stays there.
      expect(removed['subscriptions']).to.deep.include({ ok: false, removed: [], remaining: onS2 }).and.nested.property('error.code', 'HOST_UNREACHABLE');
      await a.post('/api/hosts', { url: hosts['s2']!.origin, ...LOGIN.s2 });
      expect(await a.get<Record<string, unknown>>('/api/hosts/s2')).to.have.property('vms');
    } finally {
      await s.stop();
    }
    // Back on the first key: now s2 is the one it cannot read, until it too is added again.
    await restart();
    expect(srv!.log.filter((l) => l.startsWith('host passwords:')).map((l) => l.split(':').slice(0, 2).join(':'))).to.deep.equal([
      `host passwords: 1 cannot be decrypted with key file ${keyFile}, hosts s2`,
    ]);
    expect(await admin().get<Record<string, unknown>>('/api/hosts/s1')).to.have.property('vms');
    await refused(admin().get('/api/hosts/s2'), 502, 'HOST_UNREACHABLE');
    await admin().del('/api/hosts/s2');
    await admin().post('/api/hosts', { url: hosts['s2']!.origin, ...LOGIN.s2 });
    expect(await admin().get<Record<string, unknown>>('/api/hosts/s2')).to.have.property('vms');
  });

  it('tvdc hosts credentials replaces a host\'s credentials in place, tried on the host first: a wrong password changes nothing, the right one mends an unreadable row and keeps the host in its TVDc', async () => {
    await admin().post('/api/groups', { name: 'fin' });
    await admin().post('/api/groups/fin/hosts', { hosts: ['s1'] });
    await stop();
    setStored('s1', stored('s2'));
    await restart();
    await refused(admin().get('/api/hosts/s1'), 502, 'HOST_UNREACHABLE');
    const run = async (...args: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await main([...args, '--server', srv!.url, '--user', 'admin', '--password', 'admin-password'], { out: (l) => out.push(l), err: (l) => err.push(l) });
      return { code, out: out.join('\n'), err: err.join('\n') };
    };
    const wrong = await run('hosts', 'credentials', 's1', '--host-user', 'mgmt', '--host-password', 'not-the-password');
    expect(wrong.code).to.equal(1);
    expect(wrong.err).to.match(/^tvdc: HOST_REFUSED: /);
    await refused(admin().get('/api/hosts/s1'), 502, 'HOST_UNREACHABLE'); // the old row stays
    const right = await run('hosts', 'credentials', 's1', '--host-user', LOGIN.s1.user, '--host-password', LOGIN.s1.password);
    expect([right.code, right.out]).to.deep.equal([0, `host s1: credentials replaced (user and password), checked on ${hosts['s1']!.origin}`]);
    expect(await admin().get<{ group: string }>('/api/hosts/s1')).to.include({ group: 'fin' }).and.have.property('vms');
    const audit = await admin().get<{ entries: { group: string | null; action: string; message: string }[] }>('/api/audit?action=host.credentials');
    expect(audit.entries.map((e) => [e.group, e.message])).to.deep.equal([['fin', 'credentials of host s1 replaced by admin']]);
    await stop();
    expect(stored('s1')).to.match(SEALED);
    expectNoPlainPassword();
    await restart();
  });

  it('refused at start (SERVER_KEY, exit 1): a key file others may read, one of the wrong length, and a missing one for a database that already holds encrypted passwords; the key file is never overwritten', async () => {
    await stop();
    const key = readFileSync(keyFile);
    const start = async (extra: string[] = []) => {
      const err: string[] = [];
      const code = await main(['server', '--db', db, '--port', '0', ...extra], { out: () => {}, err: (l) => err.push(l) });
      return { code, err: err.join('\n') };
    };
    try {
      chmodSync(keyFile, 0o644);
      expect(await start()).to.deep.equal({ code: 1, err: `tvdc server: SERVER_KEY: key file ${keyFile} has mode 0644: group and others must have no access to it (chmod 600 ${keyFile})` });
      expect(() => ManagementServer.open({ db })).to.throw(ManagementServerError, /mode 0644/).with.property('code', 'SERVER_KEY');
      chmodSync(keyFile, 0o640);
      expect((await start()).err).to.include('has mode 0640');
      chmodSync(keyFile, 0o600);

      const short = join(tmp.dir, 'short.key');
      writeFileSync(short, randomBytes(31), { mode: 0o600 });
      expect(await start(['--key-file', short])).to.deep.equal({ code: 1, err: `tvdc server: SERVER_KEY: key file ${short} holds 31 bytes, not 32: it is not a key this server made` });
      expect(readFileSync(short).length).to.equal(31);

      const missing = join(tmp.dir, 'missing.key');
      const r = await start(['--key-file', missing]);
      expect(r.code).to.equal(1);
      expect(r.err).to.match(new RegExp(`^tvdc server: SERVER_KEY: key file ${missing} does not exist, but database ${db} holds host passwords encrypted with a key`));
      expect(existsSync(missing)).to.equal(false);
    } finally {
      chmodSync(keyFile, 0o600);
    }
    expect(readFileSync(keyFile).equals(key)).to.equal(true);
    await restart();
    expect(await admin().get<Record<string, unknown>>('/api/hosts/s1')).to.have.property('vms');
  });

  it('SecretBox: the same text seals differently each time, opens only with its key and its context, and altered bytes are refused', () => {
    const box = SecretBox.ephemeral();
    const a = box.seal('pw', 'host a');
    expect(a).to.match(SEALED);
    expect(box.seal('pw', 'host a')).to.not.equal(a);
    expect(box.open(a, 'host a')).to.equal('pw');
    expect(box.open(box.seal('', 'host a'), 'host a')).to.equal('');
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).to.be.instanceOf(SecretBoxError);
        return (e as SecretBoxError).code;
      }
      return 'opened';
    };
    expect(code(() => box.open(a, 'host b'))).to.equal('UNSEALABLE');
    expect(code(() => SecretBox.ephemeral().open(a, 'host a'))).to.equal('UNSEALABLE');
    const parts = a.split(':');
    const data = Buffer.from(parts[3]!, 'base64');
    data[0] = data[0]! ^ 1;
    expect(code(() => box.open([...parts.slice(0, 3), data.toString('base64')].join(':'), 'host a'))).to.equal('UNSEALABLE');
    expect(code(() => box.open('pw', 'host a'))).to.equal('NOT_SEALED');
    expect(SecretBox.isSealed('v1:not:base64:!')).to.equal(false);
    expect(SecretBox.isSealed(a)).to.equal(true);
  });
});
