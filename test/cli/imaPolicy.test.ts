// `tvdc ima policy DIR`: the runtime policy of a VM's clean image, made from the simulated
// hypervisor's image directory of a real swtpm host, imported with `tvdc refdb import`, makes that
// VM's attestation trusted (another VM, attested before, was unknown). Also its refusals.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../../client/cli/ApiClient.js';
import { ManagementServer } from '../../client/server/ManagementServer.js';
import { createIntegrityModule } from '../../client/server/integrity/integrityModule.js';
import { usersModule } from '../../client/server/usersModule.js';
import { readRuntimePolicy } from '../../src/tvdc/integrity/RuntimePolicy.js';
import { HostPaths, POLICY_1_0, defineParam, methodOutput, policyParam, wbemcli } from '../providers/isolation/support/wbemcli.js';
import { removeState, startInProcessHost, type IntegrityHost } from '../providers/integrity/support/IntegrityHost.js';
import { runMain } from '../server/support/serverHarness.js';

const PW = 'correct horse battery';

const sha = (alg: 'sha1' | 'sha256', text: string): string => createHash(alg).update(text).digest('hex');

const tvdc = (...args: string[]) => runMain(args);

describe('cli: tvdc ima policy', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tvdc-ima-policy-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes every file of the tree with its digest under --prefix, to stdout or a new --out file', async () => {
    const img = join(dir, 'img');
    mkdirSync(join(img, 'bin'), { recursive: true });
    writeFileSync(join(img, 'bin', 'sh'), 'shell\n');
    writeFileSync(join(img, 'init'), 'init\n');
    const stdout = await tvdc('ima', 'policy', img);
    expect(stdout.code, stdout.err).to.equal(0);
    expect(readRuntimePolicy(stdout.out).entries).to.deep.equal([
      { path: '/bin/sh', digest: sha('sha256', 'shell\n') },
      { path: '/init', digest: sha('sha256', 'init\n') },
    ]);
    const out = join(dir, 'policy.json');
    const written = await tvdc('ima', 'policy', img, '--prefix', '/opt/app', '--alg', 'sha1', '--out', out);
    expect([written.code, written.out]).to.deep.equal([0, `runtime policy of ${img}: 2 files (sha1, under /opt/app) written to ${out}`]);
    expect(readRuntimePolicy(readFileSync(out)).entries.map((e) => [e.path, e.digest])).to.deep.equal([
      ['/opt/app/bin/sh', sha('sha1', 'shell\n')],
      ['/opt/app/init', sha('sha1', 'init\n')],
    ]);
    const again = await tvdc('ima', 'policy', img, '--out', out);
    expect([again.code, again.err]).to.deep.equal([1, `tvdc ima policy: ${out} exists; --force replaces it`]);
    expect(readFileSync(out, 'utf8')).to.contain('/opt/app/init');
    const forced = await tvdc('ima', 'policy', img, '--out', out, '--force');
    expect(forced.code, forced.err).to.equal(0);
    expect(readFileSync(out, 'utf8')).to.contain('"/init"').and.not.contain('/opt/app');
    expect(statSync(out).isFile()).to.equal(true);
  });

  it('refuses what it cannot make a policy of: exit 2 for the command line, 1 for an empty tree', async () => {
    expect((await tvdc('ima', 'policy')).code).to.equal(2);
    expect((await tvdc('ima', 'policy', join(dir, 'none'))).err).to.match(/^tvdc ima policy: cannot read .*none: ENOENT/);
    const file = join(dir, 'plain');
    writeFileSync(file, 'x');
    expect((await tvdc('ima', 'policy', file)).err).to.equal(`tvdc ima policy: ${file} is not a directory; give the root of a clean image`);
    expect((await tvdc('ima', 'policy', dir, '--alg', 'md5')).code).to.equal(2);
    expect((await tvdc('ima', 'policy', dir, '--prefix', 'opt')).code).to.equal(2);
    expect((await tvdc('ima', 'policy', dir, '--force')).code).to.equal(2);
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    expect(await tvdc('ima', 'policy', empty)).to.deep.equal({ code: 1, out: '', err: `tvdc ima policy: no regular files under ${empty}; nothing to make a policy of` });
  });

  describe('against a real swtpm host and management server', () => {
    let h1: IntegrityHost;
    let server: ManagementServer;
    let url: string;
    const as = ['--user', 'root', '--password', PW];

    before(async () => {
      h1 = await startInProcessHost('h1');
      const p1 = new HostPaths(h1.origin, 'h1');
      const cm = async (target: string, call: string) => methodOutput((await wbemcli(['cm', p1.url(target), call])).stdout).returnValue;
      expect(await cm(p1.service('TVDc_SecurityService'), policyParam(POLICY_1_0))).to.equal(0);
      for (const vm of ['web1', 'web2']) {
        expect(await cm(p1.service('TVDc_VirtualSystemManagementService'), defineParam(vm, 'MarketAnalysis'))).to.equal(0);
        expect(await cm(p1.vm(vm), 'RequestStateChange.RequestedState=2')).to.equal(0);
      }
      server = ManagementServer.open({ db: join(dir, 'server.db'), log: () => {}, modules: [usersModule, createIntegrityModule({ notifyTimeoutMs: 1_000 })] });
      url = (await server.listen({ port: 0 })).http!;
      as.push('--server', url);
      await server.users.add('root', 'dcadmin', PW);
      server.hosts.add('h1', h1.origin, { user: null, password: null });
      writeFileSync(join(dir, 'vtpm-ca.pem'), h1.vtpmCaPem());
      writeFileSync(join(dir, 'platform-ca.pem'), h1.platformCaPem());
      const trust = await tvdc('attest', 'trust', 'h1', '--vtpm-ca', join(dir, 'vtpm-ca.pem'), '--platform-ca', join(dir, 'platform-ca.pem'), ...as);
      expect(trust.code, trust.err).to.equal(0);
    });
    after(async () => {
      await ApiClient.closeAll();
      await server?.stop();
      if (h1) {
        await h1.stop();
        await removeState(h1.state);
      }
    });

    it('the policy of a VM\'s image directory, imported with tvdc refdb import, makes its attestation trusted', async () => {
      // Before any import the reference database knows none of the VMs' programs.
      const before = await tvdc('attest', 'run', 'h1', '--vm', 'web2', '--json', ...as);
      expect(before.code, before.err).to.equal(0);
      expect((JSON.parse(before.out) as { results: { status: string }[] }).results.map((r) => r.status)).to.deep.equal(['unknown']);
      const policy = join(dir, 'web1-policy.json');
      const made = await tvdc('ima', 'policy', h1.imageRoot('web1'), '--out', policy);
      expect(made.code, made.err).to.equal(0);
      const imported = await tvdc('refdb', 'import', policy, '--source', 'web1-image', ...as);
      expect(imported.code, imported.err).to.equal(0);
      expect(imported.out).to.match(/as "web1-image": [1-9]\d* digests added/);
      const after = await tvdc('attest', 'run', 'h1', '--vm', 'web1', '--json', ...as);
      expect(after.code, after.err).to.equal(0);
      const results = (JSON.parse(after.out) as { results: { vm: string; status: string; findings: unknown[] }[] }).results;
      expect(results.map((r) => [r.vm, r.status]), JSON.stringify(results)).to.deep.equal([['web1', 'trusted']]);
    });
  });
});
