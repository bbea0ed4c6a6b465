// `tvdc server backup`: a consistent copy of the central database taken while the server writes
// to it, owner-only, never over an existing file, never of a database that is not the server's,
// and a server started on the copy (with the original key file) has everything the original had.
import { expect } from 'chai';
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultKeyFile } from '../../client/server/ServerKey.js';
import { client, runMain, startServer, tempDir, type RunningServer } from './support/serverHarness.js';

const tvdc = (...args: string[]) => runMain(args);

describe('management server: tvdc server backup', function () {
  this.timeout(30_000);
  const tmp = tempDir('tvdc-backup-');
  const db = join(tmp.dir, 'server.db');
  let srv: RunningServer;

  before(async () => {
    srv = await startServer(db);
    await srv.server.users.add('root', 'dcadmin', 'root-password');
  });
  after(async () => {
    await srv?.server.stop();
    tmp.remove();
  });

  it('copies the database while the server keeps writing; the copy is 0600 and a server on it has every user and TVDc', async () => {
    const root = client(srv.url, 'root', 'root-password');
    for (let i = 0; i < 40; i++) await root.post('/api/groups', { name: `g${i}` });
    // Writes go on during the backup; the copy holds a state the server really had.
    let writing = true;
    const write = srv.server.db.prepare('INSERT INTO tvdc_groups (name, created_at) VALUES (?, ?)');
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        write.run(`w${i}`, new Date().toISOString());
        await new Promise((r) => setImmediate(r));
      }
    })();
    const to = join(tmp.dir, 'backup.db');
    const r = await tvdc('server', 'backup', '--db', db, '--to', to);
    writing = false;
    await writer;
    expect(r.err).to.equal('');
    expect(r.code).to.equal(0);
    expect(r.out).to.match(new RegExp(`^backed up ${db} to ${to} \\(\\d+ pages, schema \\d+ steps, last \\S+\\)$`, 'm'));
    expect(r.out).to.include(`open only with the key file ${defaultKeyFile(db)}, which is not in the backup`);
    expect(statSync(to).mode & 0o777).to.equal(0o600);
    const copy = new Database(to, { readonly: true });
    const names = (copy.prepare('SELECT name FROM tvdc_groups').all() as { name: string }[]).map((g) => g.name);
    copy.close();
    // The copy is one state the server had: the writes up to some point, none missing in between.
    const made = names.filter((n) => n.startsWith('w')).map((n) => Number(n.slice(1))).sort((a, b) => a - b);
    expect(made).to.deep.equal(made.map((_, i) => i));
    // A server started on the copy, with the original's key file, answers as the original did.
    const restored = await startServer(to, { keyFile: defaultKeyFile(db) });
    try {
      const groups = await client(restored.url, 'root', 'root-password').get<{ groups: { name: string }[] }>('/api/groups');
      expect(groups.groups.map((g) => g.name).filter((n) => /^g\d+$/.test(n))).to.have.length(40);
      expect(groups.groups.filter((g) => g.name.startsWith('w'))).to.have.length(made.length);
    } finally {
      await restored.server.stop();
    }
  });

  it('never overwrites a file, never backs up what is not a server database; exit 1 with STORE_BACKUP, 2 for usage', async () => {
    const taken = join(tmp.dir, 'taken.db');
    writeFileSync(taken, 'keep me');
    const over = await tvdc('server', 'backup', '--db', db, '--to', taken);
    expect([over.code, over.err]).to.deep.equal([1, `tvdc server backup: STORE_BACKUP: ${taken} exists; a backup never overwrites a file`]);
    const other = join(tmp.dir, 'other.db');
    new Database(other).exec('CREATE TABLE t (x)').close();
    const wrong = await tvdc('server', 'backup', '--db', other, '--to', join(tmp.dir, 'x.db'));
    expect([wrong.code, wrong.err]).to.deep.equal([1, `tvdc server backup: STORE_BACKUP: ${other} is not a tvdc management server database`]);
    const missing = await tvdc('server', 'backup', '--db', join(tmp.dir, 'nope.db'), '--to', join(tmp.dir, 'y.db'));
    expect(missing.code).to.equal(1);
    expect(missing.err).to.include('no database');
    expect((await tvdc('server', 'backup', '--db', db)).code).to.equal(2);
  });

  it('a backup killed half way leaves nothing under the name a restore would take, and the next backup to that name works', async function () {
    this.timeout(90_000);
    // A server database big enough that the copy takes a while: the kill lands while it is made.
    const big = join(tmp.dir, 'big.db');
    const bigSrv = await startServer(big);
    await bigSrv.server.stop();
    const fill = new Database(big);
    fill.exec(`CREATE TABLE filler (b BLOB); WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 160) INSERT INTO filler SELECT randomblob(1048576) FROM c`);
    fill.close();
    const to = join(tmp.dir, 'killed.db');
    const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'client', 'cli', 'tvdc.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', cli, 'server', 'backup', '--db', big, '--to', to], { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // Killed as soon as the copy has begun: its file (under whatever name) exists.
    const started = (): boolean => existsSync(to) || readdirSync(tmp.dir).some((f) => f.startsWith('.killed.db.partial-'));
    for (let i = 0; i < 15_000 && !started() && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 1));
    expect(started(), 'the backup began').to.equal(true);
    child.kill('SIGKILL');
    await exited;
    // Either nothing is there, or (had the copy already ended) a whole, checked backup.
    if (existsSync(to)) {
      const copy = new Database(to, { readonly: true });
      try {
        expect(copy.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'filler'").get()).to.deep.equal({ n: 1 });
      } finally {
        copy.close();
      }
    } else {
      const again = await tvdc('server', 'backup', '--db', big, '--to', to);
      expect([again.code, again.err]).to.deep.equal([0, '']);
    }
  });
});
