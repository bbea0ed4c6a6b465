import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, migrate, StoreError } from '../src/store/Store.js';
import { WhereClause } from '../src/store/WhereClause.js';

describe('store', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'tvdc-store-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('applies each migration once and keeps data across reopen', () => {
    const file = join(dir, 'a', 'state.db');
    const steps = [{ id: 't1', up: 'CREATE TABLE t (v INTEGER)' }];
    let db = openStore(file);
    migrate(db, steps);
    db.prepare('INSERT INTO t VALUES (7)').run();
    db.close();
    db = openStore(file);
    migrate(db, steps);
    expect(db.prepare('SELECT v FROM t').pluck().all()).to.deep.equal([7]);
    db.close();
  });

  it('rolls a failing migration back whole and says which one', () => {
    const db = openStore(join(dir, 's.db'));
    expect(() => migrate(db, [{ id: 'bad', up: 'CREATE TABLE x (a); CREATE TABLE x (b)' }])).to.throw(StoreError, /migration bad failed/);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name='x'").pluck().get()).to.equal(0);
    db.close();
  });

  it('list filters: IN of a list (an empty one matches nothing), equality and lower bounds, absent filters left out', () => {
    const db = openStore(join(dir, 'w.db'));
    db.exec('CREATE TABLE e (grp TEXT, host TEXT, at TEXT)');
    const add = db.prepare('INSERT INTO e VALUES (?, ?, ?)');
    for (const [g, h, at] of [['fin', 'h1', '2026-01-01'], ['hr', 'h2', '2026-02-01'], [null, 'h1', '2026-03-01']]) add.run(g, h, at);
    const hosts = (w: WhereClause) => (db.prepare(`SELECT host FROM e ${w} ORDER BY at`).all(...w.args) as { host: string }[]).map((r) => r.host);
    expect(String(new WhereClause().equals('host', undefined))).to.equal('');
    expect(hosts(new WhereClause())).to.deep.equal(['h1', 'h2', 'h1']);
    expect(hosts(new WhereClause().in('grp', ['fin', 'hr']))).to.deep.equal(['h1', 'h2']);
    expect(hosts(new WhereClause().in('grp', []))).to.deep.equal([]);
    expect(hosts(new WhereClause().in('grp', undefined).equals('host', 'h1').atLeast('at', '2026-02-01'))).to.deep.equal(['h1']);
    // Values are parameters, whatever they hold.
    expect(hosts(new WhereClause().equals('host', "h1' OR '1'='1"))).to.deep.equal([]);
    db.close();
  });
});
