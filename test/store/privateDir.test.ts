// makePrivateDir: missing levels are made 0700 whatever the umask; a file in the way and a place
// that refuses new directories are clear StoreErrors at once (recursive mkdir loops without end
// under /proc).
import { expect } from 'chai';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePrivateDir } from '../../src/store/privateDir.js';
import { StoreError } from '../../src/store/Store.js';

describe('store: makePrivateDir', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'tvdc-privdir-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const refusal = (path: string): StoreError => {
    try {
      makePrivateDir(path);
    } catch (e) {
      if (e instanceof StoreError) return e;
      throw e;
    }
    throw new Error(`${path} was made`);
  };

  it('makes every missing level 0700 under a umask of 022, and reports an existing open directory', () => {
    const old = process.umask(0o022);
    try {
      expect(makePrivateDir(join(dir, 'a', 'b', 'c'))).to.deep.equal({ openMode: undefined });
    } finally {
      process.umask(old);
    }
    for (const d of ['a', 'a/b', 'a/b/c']) expect(statSync(join(dir, d)).mode & 0o777, d).to.equal(0o700);
    expect(makePrivateDir(join(dir, 'a', 'b', 'c'))).to.deep.equal({ openMode: undefined });
    expect(makePrivateDir(dir).openMode).to.equal(statSync(dir).mode & 0o077 ? statSync(dir).mode & 0o777 : undefined);
  });

  it('a file where a directory must go, and a place that refuses new directories, are STORE_OPEN errors at once', () => {
    writeFileSync(join(dir, 'f'), 'x');
    const file = refusal(join(dir, 'f', 'state'));
    expect([file.code, file.message]).to.deep.equal(['STORE_OPEN', `cannot make directory ${join(dir, 'f', 'state')}: ${join(dir, 'f')} exists and is not a directory`]);
    expect(refusal(join(dir, 'f')).message).to.contain('exists and is not a directory');
    const started = Date.now();
    const proc = refusal('/proc/tvdc-no-such/state');
    expect(proc.code).to.equal('STORE_OPEN');
    expect(proc.message).to.match(/^cannot make directory \/proc\/tvdc-no-such: E[A-Z]+$/);
    expect(Date.now() - started).to.be.below(5_000);
  });
});
