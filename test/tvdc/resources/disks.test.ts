import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, openStore, type Db } from '../../../src/store/Store.js';
import { DiskStore, diskStoreMigrations } from '../../../src/tvdc/resources/DiskStore.js';
import { wipeFile } from '../../../src/tvdc/resources/wipeFile.js';
import { TvdcError } from '../../../src/tvdc/TvdcError.js';

describe('labeled virtual disks', () => {
  let dir: string;
  let db: Db;
  let disks: DiskStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tvdc-disks-'));
    db = openStore(join(dir, 'state.db'));
    migrate(db, diskStoreMigrations);
    disks = new DiskStore(db);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the backing file at the given size and keeps the disk across a reopen', () => {
    const d = disks.create({ name: 'd1', path: join(dir, 'd1.img'), sizeBytes: 65536, label: 'MarketAnalysis' });
    expect(d).to.include({ name: 'd1', sizeBytes: 65536, label: 'MarketAnalysis' });
    expect(statSync(join(dir, 'd1.img')).size).to.equal(65536);
    db.close();
    db = openStore(join(dir, 'state.db'));
    disks = new DiskStore(db);
    expect(disks.get('d1')).to.deep.include({ label: 'MarketAnalysis', usedTypes: [] });
  });

  it('refuses duplicates and bad sizes with specific errors', () => {
    disks.create({ name: 'd1', path: join(dir, 'd1.img'), sizeBytes: 1 });
    expect(() => disks.create({ name: 'd1', path: join(dir, 'other.img'), sizeBytes: 1 })).to.throw(TvdcError, /already exists/);
    expect(() => disks.create({ name: 'd2', path: join(dir, 'd2.img'), sizeBytes: -1 })).to.throw(TvdcError, /bad disk size/);
    expect(() => disks.require('nope')).to.throw(TvdcError, /no disk 'nope'/);
  });

  it('remembers the types a disk was used under and allows only labels sharing one until sanitized', () => {
    disks.create({ name: 'd', path: join(dir, 'd.img'), sizeBytes: 10 });
    let d = disks.require('d');
    expect(DiskStore.reuseAllowed(d, 'SU')).to.equal(true);
    disks.markUsed('d', 'MA');
    disks.markUsed('d', 'MA');
    d = disks.require('d');
    expect(d.usedTypes).to.deep.equal(['MA']);
    expect(DiskStore.reuseAllowed(d, 'MA')).to.equal(true);
    expect(DiskStore.reuseAllowed(d, 'SU')).to.equal(false);
    expect(DiskStore.reuseAllowed(d, undefined)).to.equal(false);
    writeFileSync(d.path, 'secret market analysis data');
    d = disks.sanitize('d', 'bob');
    expect(d.usedTypes).to.deep.equal([]);
    expect(d.sanitizedBy).to.equal('bob');
    expect(DiskStore.reuseAllowed(d, 'SU')).to.equal(true);
    const bytes = readFileSync(d.path);
    expect(bytes.length).to.equal('secret market analysis data'.length);
    expect(bytes.every((b) => b === 0)).to.equal(true);
    expect(() => disks.sanitize('d', '')).to.throw(TvdcError, /who/);
  });

  it('wipes files larger than its buffer, and reports a missing file as IO_FAILED', () => {
    const p = join(dir, 'big.img');
    writeFileSync(p, Buffer.alloc(2.5 * 1024 * 1024, 0x5a));
    expect(wipeFile(p)).to.equal(2.5 * 1024 * 1024);
    expect(readFileSync(p).every((b) => b === 0)).to.equal(true);
    try {
      wipeFile(join(dir, 'missing.img'));
      expect.fail('wiped a missing file');
    } catch (e) {
      expect((e as TvdcError).code).to.equal('IO_FAILED');
    }
  });
});
