import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runMain } from '../server/support/serverHarness.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIX = join(ROOT, '../shared/fixtures/integrity');
const KEYLIME = join(FIX, 'rust-keylime-ascii_runtime_measurements');

const run = (...argv: string[]) => runMain(argv);

describe('cli: tvdc ima verify', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tvdc-ima-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the entry count and the replayed PCR10 of the fixture and exits 0 (as a real process)', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'client/cli/tvdc.ts'), 'ima', 'verify', KEYLIME], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.include('ascii IMA log, 826 entries');
    expect(r.stdout).to.include('10: 82231c67a69da98dc5b3aa10f6343d33109225fc');
    expect(r.stdout).to.include('template hashes: all 826 match');
  });

  it('names every entry whose template hash does not match and exits 1', async () => {
    const lines = readFileSync(KEYLIME, 'utf8').split('\n');
    lines[2] = lines[2]!.replace('/bin/sh', '/bin/zsh');
    const file = join(dir, 'altered');
    writeFileSync(file, lines.join('\n'));
    const r = await run('ima', 'verify', file);
    expect(r.code).to.equal(1);
    expect(r.out).to.include('template hashes: 1 do not match');
    expect(r.out).to.include('entry 2: /bin/zsh');
  });

  it('detects a binary log and gives JSON with --json', async () => {
    const { parseImaLog, formatBinaryRecord } = await import('../../src/tvdc/integrity/ImaLogParser.js');
    const bin = Buffer.concat(parseImaLog(readFileSync(KEYLIME)).entries.map(formatBinaryRecord));
    const file = join(dir, 'binary_runtime_measurements');
    writeFileSync(file, bin);
    const r = await run('ima', 'verify', file, '--json');
    expect(r.code).to.equal(0);
    const doc = JSON.parse(r.out);
    expect(doc).to.include({ format: 'binary', entries: 826, bank: 'sha1', ok: true, status: 'trusted' });
    expect(doc.pcrs['10']).to.equal('82231c67a69da98dc5b3aa10f6343d33109225fc');
  });

  it('with a policy prints a verdict per entry and fails on unknown files', async () => {
    const policy = { digests: { boot_aggregate: ['0'.repeat(40)], '/init': ['19f13b42c2745066347e76454788c0fe083643f3'] }, excludes: ['/lib/', '/etc/'] };
    const file = join(dir, 'policy.json');
    writeFileSync(file, JSON.stringify(policy));
    const r = await run('ima', 'verify', KEYLIME, '--policy', file);
    expect(r.code).to.equal(1);
    expect(r.out).to.match(/^ {2}1 trusted \/init$/m);
    expect(r.out).to.match(/^ {2}3 excluded \/lib\/x86_64-linux-gnu\/ld-2.23.so: /m);
    expect(r.out).to.match(/^ {2}2 unknown \/bin\/sh: \/bin\/sh is not in the reference database$/m);
    expect(r.out).to.include('verdict: unknown');
  });

  it('passes with a policy listing every file of the log', async () => {
    const lines = readFileSync(KEYLIME, 'utf8').trim().split('\n');
    const digests: Record<string, string[]> = {};
    for (const l of lines) {
      const [, , , d, ...p] = l.split(' ');
      (digests[p.join(' ')] ??= []).push(d!);
    }
    const file = join(dir, 'full.json');
    writeFileSync(file, JSON.stringify({ digests }));
    const r = await run('ima', 'verify', KEYLIME, '--policy', file, '--json');
    expect(r.code).to.equal(0);
    expect(JSON.parse(r.out).counts).to.deep.equal({ trusted: 826, excluded: 0, unknown: 0, untrusted: 0 });
  });

  it('gives usage errors exit 2 with a message, never a stack trace', async () => {
    expect((await run('ima', 'verify')).code).to.equal(2);
    const bank = await run('ima', 'verify', KEYLIME, '--bank', 'md5');
    expect(bank.code).to.equal(2);
    expect(bank.err).to.include('--bank must be sha1 or sha256');
    const missing = await run('ima', 'verify', join(dir, 'nope'));
    expect(missing.code).to.equal(2);
    expect(missing.err).to.include('cannot read');
    const garbage = join(dir, 'garbage');
    writeFileSync(garbage, 'hello world\n');
    const g = await run('ima', 'verify', garbage);
    expect(g.code).to.equal(2);
    expect(g.err).to.match(/IMA log line 1/);
    const badPolicy = join(dir, 'bad.json');
    writeFileSync(badPolicy, '{"digests": {"/x": "nope"}}');
    const p = await run('ima', 'verify', KEYLIME, '--policy', badPolicy);
    expect(p.code).to.equal(2);
    expect(p.err).to.include('digests of "/x" is not a list');
    expect((await run('nonsense', 'verb')).code).to.equal(2);
  });
});
