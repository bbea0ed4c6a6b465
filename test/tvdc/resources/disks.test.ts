import { expect } from 'chai';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

  it('creates the backing file 0600 whatever the umask', () => {
    const old = process.umask(0);
    try {
      disks.create({ name: 'm', path: join(dir, 'm.img'), sizeBytes: 4 });
    } finally {
      process.umask(old);
    }
    expect(statSync(join(dir, 'm.img')).mode & 0o777).to.equal(0o600);
  });

  it('never adopts a file already there: its content has no recorded use', () => {
    const planted = join(dir, 'planted.img');
    writeFileSync(planted, 'SU-CONFIDENTIAL-DATA');
    try {
      disks.create({ name: 'p', path: planted, sizeBytes: 20 });
      expect.fail('adopted an existing file');
    } catch (e) {
      expect((e as TvdcError).code).to.equal('ALREADY_EXISTS');
      expect((e as TvdcError).message).to.include(`disk file ${planted} already exists`);
    }
    expect(disks.get('p')).to.equal(undefined);
    expect(readFileSync(planted, 'utf8')).to.equal('SU-CONFIDENTIAL-DATA');
  });

  it('a second disk on a registered path is ALREADY_EXISTS naming the disk, even when the file went missing', () => {
    const path = join(dir, 'one.img');
    disks.create({ name: 'one', path, sizeBytes: 1 });
    rmSync(path);
    try {
      disks.create({ name: 'two', path, sizeBytes: 1 });
      expect.fail('a second disk on one path');
    } catch (e) {
      expect((e as TvdcError).code).to.equal('ALREADY_EXISTS');
      expect((e as TvdcError).message).to.equal(`disk 'one' already uses the file ${path}`);
    }
    expect(existsSync(path)).to.equal(false);
  });

  it('a file that cannot be created leaves no disk behind', () => {
    const path = join(dir, 'no-such-dir', 'x.img');
    expect(() => disks.create({ name: 'x', path, sizeBytes: 1 })).to.throw(TvdcError, /cannot create disk file/);
    expect(disks.get('x')).to.equal(undefined);
  });

  it('removing a used disk wipes its file before unlinking it (another link sees only zeros); the path is free again, fresh', () => {
    const path = join(dir, 'used.img');
    disks.create({ name: 'used', path, sizeBytes: 20 });
    writeFileSync(path, 'SU-CONFIDENTIAL-DATA');
    disks.markUsed('used', 'SU');
    const other = join(dir, 'other-link');
    linkSync(path, other);
    disks.remove('used');
    expect(disks.get('used')).to.equal(undefined);
    expect(existsSync(path)).to.equal(false);
    const left = readFileSync(other);
    expect(left.length).to.equal(20);
    expect(left.every((b) => b === 0)).to.equal(true);
    const again = disks.create({ name: 'again', path, sizeBytes: 20 });
    expect(again.usedTypes).to.deep.equal([]);
    expect(readFileSync(path).every((b) => b === 0)).to.equal(true);
  });

  it('removing a disk never used since its last wipe unlinks its file without writing it', () => {
    const path = join(dir, 'clean.img');
    disks.create({ name: 'clean', path, sizeBytes: 8 });
    writeFileSync(path, 'unused!!');
    const other = join(dir, 'clean-link');
    linkSync(path, other);
    disks.remove('clean');
    expect(existsSync(path)).to.equal(false);
    expect(readFileSync(other, 'utf8')).to.equal('unused!!');
  });

  it('a delete cut short after the file went keeps the disk and its history; deleting again finishes', () => {
    const path = join(dir, 'half.img');
    disks.create({ name: 'half', path, sizeBytes: 8 });
    disks.markUsed('half', 'SU');
    // The state a crash between unlinking and forgetting the row leaves.
    rmSync(path);
    expect(disks.require('half').usedTypes).to.deep.equal(['SU']);
    expect(() => disks.create({ name: 'h2', path, sizeBytes: 8 })).to.throw(TvdcError, /already uses the file/);
    disks.remove('half');
    expect(disks.get('half')).to.equal(undefined);
    expect(disks.create({ name: 'h2', path, sizeBytes: 8 }).usedTypes).to.deep.equal([]);
  });

  it('a used file that cannot be wiped is not unlinked and its disk stays', () => {
    const path = join(dir, 'stuck.img');
    disks.create({ name: 'stuck', path, sizeBytes: 8 });
    disks.markUsed('stuck', 'SU');
    // A directory where the file was: the wipe refuses it (not a regular file).
    rmSync(path);
    mkdirSync(path);
    expect(() => disks.remove('stuck')).to.throw(TvdcError, /cannot wipe/);
    expect(disks.require('stuck').usedTypes).to.deep.equal(['SU']);
    expect(statSync(path).isDirectory()).to.equal(true);
  });
});
