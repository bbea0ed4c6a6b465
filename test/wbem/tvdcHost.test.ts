// The tvdc-host command line: option errors, users created from stdin, MOF models loaded into
// root/cimv2 or their #pragma namespace, the project schema, and a clean SIGTERM shutdown.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseHostArgs, UsageError } from '../../client/cli/tvdc-host.js';
import { PROJECT_ROOT, run, wbemcli, WBEM_FIXTURES } from './support/wbemTestKit.js';
import { spawnTvdcHost } from '../support/TvdcHostProcess.js';

const HOST = join(PROJECT_ROOT, 'client/cli/tvdc-host.ts');
const host = (args: string[], input?: string) => run(process.execPath, ['--import', 'tsx', HOST, ...args], input === undefined ? {} : { input });

describe('wbem: tvdc-host command line', function () {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'tvdc-host-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('explains bad options and exits 2', async () => {
    const r = await host(['--port', '80x', '--name', 'a']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/--port needs a port number/).and.contain('usage: tvdc-host');
  });

  it('names the problem with each bad option combination', () => {
    const cases: [string[], RegExp][] = [
      [['--port', '80x', '--name', 'a'], /--port needs a port number/],
      [['--bogus'], /unknown option "--bogus"/],
      [['--port', '5988'], /--name NAME is required/],
      [['--name', 'a', '--vtpm', 'maybe'], /--vtpm is swtpm or off/],
      [['--name', 'a', '--https-port', '5989'], /HTTPS needs all of --https-port, --cert and --key/],
      [['--add-user', 'x', '--users', 'f'], /--add-user needs --role/],
    ];
    for (const [args, re] of cases) expect(() => parseHostArgs(args), args.join(' ')).to.throw(UsageError, re);
    const ok = parseHostArgs(['--name', 'h', '--mof', 'a.mof', 'b.mof', '--state', '/tmp/s']);
    // --vtpm left out is decided at start: swtpm when it is installed.
    expect([ok.port, ok.host, ok.mof, ok.state, ok.vtpm]).to.deep.equal([5988, '127.0.0.1', ['a.mof', 'b.mof'], '/tmp/s', undefined]);
  });

  it('adds users from a password on stdin and serves them', async () => {
    const users = join(dir, 'users.json');
    const r = await host(['--add-user', 'alice', '--role', 'admin', '--users', users], 's3cret\n');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('user alice (admin) written');
    expect(readFileSync(users, 'utf8')).to.contain('"name": "alice"').and.not.contain('s3cret');
    const h = await spawnTvdcHost(['--name', 'authhost', '--port', '0', '--users', users, '--mof', join(WBEM_FIXTURES, 'widgets.mof')]);
    try {
      const ok = await wbemcli('ein', `http://alice:s3cret@127.0.0.1:${h.port}/root/cimv2:TVD_Widget`);
      expect(ok.stdout.trim().split('\n')).to.have.length(3);
      const no = await wbemcli('ein', `http://alice:wrong@127.0.0.1:${h.port}/root/cimv2:TVD_Widget`);
      expect(no.code).to.not.equal(0);
    } finally {
      h.child.kill('SIGTERM');
      await h.exited;
    }
  });

  it('loads --mof into root/cimv2 or the namespace its #pragma names, beside the project schema', async () => {
    const other = join(dir, 'other.mof');
    writeFileSync(other, '#pragma namespace ("root/other")\nQualifier Key : boolean = false, Scope(property, reference);\nclass X_Thing { [Key] string Name; };\ninstance of X_Thing { Name = "one"; };\n');
    const h = await spawnTvdcHost(['--name', 'mofhost', '--port', '0', '--mof', join(WBEM_FIXTURES, 'widgets.mof'), other]);
    try {
      expect((await wbemcli('ein', `http://127.0.0.1:${h.port}/root/cimv2:TVD_Widget`)).stdout).to.contain('Id=1');
      expect((await wbemcli('ein', `http://127.0.0.1:${h.port}/root/other:X_Thing`)).stdout.trim()).to.equal(`127.0.0.1:${h.port}/root/other:X_Thing.Name="one"`);
      const ns = await wbemcli('ein', `http://127.0.0.1:${h.port}/root/interop:CIM_Namespace`);
      for (const n of ['root/cimv2', 'root/other', 'root/interop', 'root/tvdc']) expect(ns.stdout).to.contain(`Name="${n}"`);
      expect((await wbemcli('gc', `http://127.0.0.1:${h.port}/root/tvdc:TVDc_HostSystem`)).code).to.equal(0);
    } finally {
      h.child.kill('SIGTERM');
      expect(await h.exited).to.equal(0);
      expect(h.stderr()).to.contain('SIGTERM, shutting down');
    }
  });

  it('runs vTPMs by default where swtpm is installed, and says so and runs without them where it is not', async () => {
    const hostTpms = async (port: number) => (await wbemcli('ein', `http://127.0.0.1:${port}/root/tvdc:TVDc_HostTPM`)).stdout.trim();
    const withSwtpm = await spawnTvdcHost(['--name', 'vtpmhost', '--port', '0'], { defaultVtpm: true });
    try {
      expect(await hostTpms(withSwtpm.port)).to.contain('TVDc_HostTPM.');
      expect(withSwtpm.stderr()).to.not.contain('swtpm is not installed');
    } finally {
      await withSwtpm.stop();
    }
    // A PATH without swtpm: the same command line runs the isolation side alone and says why.
    const env = { ...process.env, PATH: join(dir, 'no-such-bin') };
    const without = await spawnTvdcHost(['--name', 'plainhost', '--port', '0'], { defaultVtpm: true, env });
    try {
      expect(await hostTpms(without.port)).to.equal('');
      expect(without.stderr()).to.contain('swtpm is not installed (Debian: swtpm swtpm-tools): VMs run without vTPMs');
    } finally {
      await without.stop();
    }
    let refused = '';
    await spawnTvdcHost(['--name', 'needs', '--port', '0', '--vtpm', 'swtpm'], { env }).catch((e: Error) => { refused = e.message; });
    expect(refused).to.contain('exited with 1').and.contain('--vtpm swtpm needs the swtpm program');
  });

  it('reports MOF errors as file:line:col and exits 1', async () => {
    const bad = join(dir, 'bad.mof');
    writeFileSync(bad, 'class Broken {\n  string ;\n};\n');
    const r = await host(['--name', 'x', '--port', '0', '--mof', bad]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:2:\\d+: `));
  });
});
