import { expect } from 'chai';
import { hash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReferenceDatabase } from '../../../src/tvdc/integrity/ReferenceDatabase.js';
import { parseRuntimePolicy } from '../../../src/tvdc/integrity/RuntimePolicy.js';
import { IntegrityError } from '../../../src/tvdc/integrity/IntegrityError.js';
import { verifyImaLog } from '../../../src/tvdc/integrity/ImaLogVerifier.js';
import { encodeTemplateData, type ImaEntry } from '../../../src/tvdc/integrity/ImaEntry.js';
import { fixture } from './fixtures.js';

function entry(index: number, path: string, digest: string): ImaEntry {
  const templateData = encodeTemplateData('ima-ng', 'sha256', digest, path);
  return { index, pcr: 10, templateHash: hash('sha1', templateData, 'hex'), templateName: 'ima-ng', templateData, fileAlg: 'sha256', fileDigest: digest, path, violation: false };
}

describe('integrity: reference database', () => {
  let dir: string;
  let refdb: ReferenceDatabase;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tvdc-refdb-'));
    refdb = ReferenceDatabase.open(join(dir, 'refdb.db'));
  });
  afterEach(() => {
    refdb.db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports the Keylime runtime-policy fixtures', () => {
    const r = refdb.importRuntimePolicy(readFileSync(fixture('runtime-policy-test.json')), 'keylime-test');
    expect(r.added).to.equal(21);
    expect(refdb.count()).to.equal(21);
    expect(refdb.lookup('boot_aggregate')).to.have.length(1);
    expect(refdb.lookup('boot_aggregate')[0]).to.include({ digest: '4309217e9709def327c3409407f4d52907aeba46ef1b4f46529fd095f2ef9fb2', alg: 'sha256', annotation: 'trusted', source: 'keylime-test' });
    expect(refdb.lookup('/boot/grub2/i386-pc/tr.mod')[0]!.alg).to.equal('sha1');
    const p = parseRuntimePolicy(readFileSync(fixture('policy-sha256')));
    expect(p.digests).to.equal(1);
    expect(p.logHashAlg).to.equal('sha1');
    expect(p.references.judge(0, '/base_policy_data', '35f6036dcbb4d819a90cc3282659754ab1a225e60f593a209c27b80174ba3180').status).to.equal('trusted');
  });

  it('scans a trusted directory; a rescan adds the digests of changed files and deletes their stale ones, and reports nothing when nothing changed', () => {
    const img = join(dir, 'image');
    mkdirSync(join(img, 'usr', 'bin'), { recursive: true });
    writeFileSync(join(img, 'usr', 'bin', 'a'), 'a v1');
    writeFileSync(join(img, 'usr', 'bin', 'b'), 'b');
    expect(refdb.importDirectory(img, { source: 'image-1' })).to.deep.equal({ added: 2, removed: 0 });
    expect(refdb.lookup('/usr/bin/a')[0]!.digest).to.equal(hash('sha256', 'a v1', 'hex'));
    expect(refdb.importDirectory(img, { source: 'image-1' })).to.deep.equal({ added: 0, removed: 0 }); // nothing changed
    writeFileSync(join(img, 'usr', 'bin', 'a'), 'a v2');
    expect(refdb.importDirectory(img, { source: 'image-1' })).to.deep.equal({ added: 1, removed: 1 });
    expect(refdb.lookup('/usr/bin/a').map((r) => r.digest)).to.deep.equal([hash('sha256', 'a v2', 'hex')]);
    const old = new Date(Date.now() + 1000);
    expect(refdb.deleteStale(old, 'image-1')).to.equal(2);
    expect(refdb.count()).to.equal(0);
  });

  it('a re-import keeps annotations made by hand and takes over trusted digests another source listed', () => {
    const libssl = hash('sha256', 'libssl 3.0.2', 'hex');
    const ls = hash('sha256', 'ls', 'hex');
    const policy = (digests: Record<string, string[]>) => JSON.stringify({ digests, excludes: [] });
    refdb.add('/usr/bin/ls', ls, { source: 'image-1' });
    expect(refdb.importRuntimePolicy(policy({ '/usr/lib/libssl.so.3': [libssl], '/usr/bin/ls': [ls] }), 'distro')).to.deep.equal({ added: 2, removed: 0, excludes: 0 });
    expect(refdb.lookup('/usr/bin/ls')[0]).to.include({ source: 'distro' });
    refdb.annotate(libssl, 'vulnerable', { cve: 'CVE-2022-3602' });
    expect(refdb.importRuntimePolicy(policy({ '/usr/lib/libssl.so.3': [libssl] }), 'distro')).to.deep.equal({ added: 0, removed: 1, excludes: 0 });
    expect(refdb.lookup('/usr/lib/libssl.so.3')[0]).to.include({ annotation: 'vulnerable', cve: 'CVE-2022-3602' });
    expect(refdb.importRuntimePolicy(policy({}), 'distro')).to.deep.equal({ added: 0, removed: 0, excludes: 0 });
    expect(refdb.lookup('/usr/lib/libssl.so.3')[0]).to.include({ annotation: 'vulnerable' });
    expect(refdb.lookup('/usr/bin/ls')).to.deep.equal([]);
  });

  it('judges entries trusted, unknown, excluded and untrusted (malicious / vulnerable with CVE), per entry and per target', () => {
    const good = hash('sha256', 'good', 'hex');
    const evil = hash('sha256', 'evil', 'hex');
    const old = hash('sha256', 'openssl 1.0.1f', 'hex');
    refdb.add('/usr/bin/good', good);
    refdb.add('/usr/lib/libssl.so', old, { annotation: 'vulnerable', cve: 'CVE-2014-0160', note: 'heartbleed' });
    refdb.annotate(evil, 'malicious', { path: '/usr/bin/miner', note: 'cryptominer' });
    refdb.addExclude('/tmp/');
    const refs = refdb.snapshot();
    expect(refs.judge(0, '/usr/bin/good', good)).to.include({ status: 'trusted', code: 'TRUSTED' });
    expect(refs.judge(1, '/usr/bin/good', evil)).to.include({ status: 'untrusted', code: 'MALICIOUS' }); // malicious under any name
    expect(refs.judge(2, '/usr/bin/good', old.replace(/^./, 'f'))).to.include({ status: 'unknown', code: 'DIGEST_UNKNOWN' });
    expect(refs.judge(3, '/usr/bin/new', good)).to.include({ status: 'unknown', code: 'PATH_UNKNOWN' });
    expect(refs.judge(4, '/tmp/x', good)).to.include({ status: 'excluded', code: 'EXCLUDED' });
    const vuln = refs.judge(5, '/usr/lib/libssl.so', old);
    expect(vuln).to.include({ status: 'untrusted', code: 'VULNERABLE', cve: 'CVE-2014-0160' });
    expect(vuln.reason).to.include('CVE-2014-0160');

    const clean = verifyImaLog([entry(0, '/usr/bin/good', good), entry(1, '/tmp/x', evil.replace(/^./, '0'))], { references: refs });
    expect(clean.status).to.equal('trusted');
    const unknown = verifyImaLog([entry(0, '/usr/bin/good', good), entry(1, '/usr/bin/new', good)], { references: refs });
    expect(unknown.status).to.equal('unknown');
    expect(unknown.verdicts.map((v) => v.path)).to.deep.equal(['/usr/bin/new']);
    const bad = verifyImaLog([entry(0, '/usr/bin/good', good), entry(1, '/usr/lib/libssl.so', old)], { references: refs });
    expect(bad.status).to.equal('untrusted');
    expect(bad.verdicts[0]).to.include({ index: 1, code: 'VULNERABLE' });
  });

  it('keeps hand-made annotations when a source is re-imported, and persists across reopening', () => {
    const d = hash('sha256', 'tool', 'hex');
    refdb.replaceSource('distro', [{ path: '/usr/bin/tool', digest: d }]);
    refdb.annotate(d, 'vulnerable', { cve: 'CVE-2024-3094' });
    refdb.replaceSource('distro', [{ path: '/usr/bin/tool', digest: d }]);
    expect(refdb.lookup('/usr/bin/tool')[0]).to.include({ annotation: 'vulnerable', cve: 'CVE-2024-3094' });
    refdb.db.close();
    refdb = ReferenceDatabase.open(join(dir, 'refdb.db'));
    expect(refdb.findDigest(d)[0]).to.include({ path: '/usr/bin/tool', annotation: 'vulnerable' });
    expect(refdb.remove('/usr/bin/tool')).to.equal(1);
  });

  it('rejects bad input with specific errors and leaves the database unchanged', () => {
    expect(() => refdb.add('/x', 'xyz')).to.throw(IntegrityError, /not a hex digest/);
    expect(() => refdb.add('/x', 'ab'.repeat(32), { annotation: 'vulnerable' })).to.throw(IntegrityError, /needs a CVE id/);
    expect(() => refdb.addExclude('(unclosed')).to.throw(IntegrityError, /not a valid regular expression/);
    expect(() => refdb.annotate('cd'.repeat(32), 'malicious')).to.throw(IntegrityError, /not known/);
    expect(() => refdb.importRuntimePolicy('{"digests": {"/a": ["00"], "/b": ["zz"]}}')).to.throw(IntegrityError, /not hex/);
    expect(() => refdb.importRuntimePolicy('[1,2]')).to.throw(IntegrityError, /top level/);
    expect(() => refdb.importRuntimePolicy('{"digests": {"/a": ["' + 'ab'.repeat(20) + '"]}, "excludes": ["("]}')).to.throw(IntegrityError, /regular expression/);
    expect(refdb.count()).to.equal(0);
    expect(refdb.excludes()).to.deep.equal([]);
  });
});
