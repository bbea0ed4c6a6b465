import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, migrate, StoreError } from '../src/store/Store.js';

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
});
