// The database file `tvdc server`, `tvdc users add --db` and `tvdc server backup` are given, and
// the server's key file: a missing directory is refused (a typo must not start a new, empty datacenter) and a file that is
// not SQLite is a STORE_BACKUP refusal, each with its code and exit 1, never a stack trace.
import { expect } from 'chai';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runMain, tempDir, type TvdcRun } from '../server/support/serverHarness.js';

async function tvdc(args: string[], env: Record<string, string> = {}): Promise<TvdcRun> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await runMain(args);
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('cli: the --db file of tvdc server, users add and server backup, and the --key-file', function () {
  this.timeout(15_000);
  const tmp = tempDir('tvdc-cli-db-');
  after(() => tmp.remove());

  it('tvdc server refuses a database in a missing directory with SERVER_DB, exit 1, and creates nothing', async () => {
    const dir = join(tmp.dir, 'missing', 'dir');
    const db = join(dir, 'x.db');
    const r = await tvdc(['server', '--db', db, '--port', '0']);
    expect(r.code).to.equal(1);
    expect(r.err).to.equal(`tvdc server: SERVER_DB: directory ${dir} of database ${db} does not exist; check --db, or create the directory first (mkdir -p ${dir})`);
    expect(existsSync(join(tmp.dir, 'missing'))).to.equal(false);
  });

  it('tvdc server refuses a key file in a missing directory with SERVER_KEY, exit 1, and creates nothing', async () => {
    const dir = join(tmp.dir, 'nokeys', 'dir');
    const key = join(dir, 'server.key');
    const r = await tvdc(['server', '--db', join(tmp.dir, 'k.db'), '--key-file', key, '--port', '0']);
    expect(r.code).to.equal(1);
    expect(r.err).to.equal(`tvdc server: SERVER_KEY: directory ${dir} of key file ${key} does not exist; check --key-file, or create the directory first (mkdir -p ${dir})`);
    expect(existsSync(join(tmp.dir, 'nokeys'))).to.equal(false);
  });

  it('tvdc users add --db refuses it the same way before asking for a password', async () => {
    const dir = join(tmp.dir, 'nodir');
    const db = join(dir, 'x.db');
    const r = await tvdc(['users', 'add', 'root', '--role', 'dcadmin', '--db', db], { TVDC_NEW_PASSWORD: 'root-password' });
    expect([r.code, r.err]).to.deep.equal([1, `tvdc: SERVER_DB: directory ${dir} of database ${db} does not exist; check --db, or create the directory first (mkdir -p ${dir})`]);
    expect(existsSync(dir)).to.equal(false);
    // A file where the directory should be is no directory either.
    const file = join(tmp.dir, 'plain');
    writeFileSync(file, 'x');
    const under = await tvdc(['users', 'add', 'root', '--role', 'dcadmin', '--db', join(file, 'x.db')], { TVDC_NEW_PASSWORD: 'root-password' });
    expect([under.code, under.err]).to.deep.equal([1, `tvdc: SERVER_DB: ${file} (the directory of database ${join(file, 'x.db')}) is not a directory; check --db`]);
    // In a directory that exists, the first administrator is written.
    const ok = await tvdc(['users', 'add', 'root', '--role', 'dcadmin', '--db', join(tmp.dir, 'ok.db')], { TVDC_NEW_PASSWORD: 'root-password' });
    expect([ok.code, ok.out]).to.deep.equal([0, 'user root added (dcadmin)']);
  });

  it('tvdc server backup of a file that is not SQLite: STORE_BACKUP cannot read, exit 1, no copy left', async () => {
    const junk = join(tmp.dir, 'junk.db');
    writeFileSync(junk, 'this is not a database, but long enough to have a header of sorts\n'.repeat(4));
    const to = join(tmp.dir, 'junk-backup.db');
    const r = await tvdc(['server', 'backup', '--db', junk, '--to', to]);
    expect([r.code, r.err]).to.deep.equal([1, `tvdc server backup: STORE_BACKUP: cannot read ${junk}: file is not a database`]);
    expect(existsSync(to)).to.equal(false);
  });
});
