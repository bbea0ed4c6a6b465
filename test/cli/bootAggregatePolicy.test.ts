// `tvdc ima policy DIR` of a whole VM image lists its boot_aggregates (as its host measures its
// boot) and says what a tree that is no bootable image lacks; `tvdc refdb import` / `list` over a
// real management server count the boot aggregates and warn when there are none;
// `tvdc refdb add boot_aggregate DIGEST` is the one non-path entry the server takes.
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../../client/cli/ApiClient.js';
import { ManagementServer } from '../../client/server/ManagementServer.js';
import { createIntegrityModule } from '../../client/server/integrity/integrityModule.js';
import { usersModule } from '../../client/server/usersModule.js';
import { BOOT_AGGREGATE, imageBootAggregates } from '../../src/tvdc/integrity/BootAggregate.js';
import { readRuntimePolicy } from '../../src/tvdc/integrity/RuntimePolicy.js';
import { VmImages } from '../../src/tvdc/vtpm/VmImage.js';
import { runMain } from '../server/support/serverHarness.js';

const PW = 'correct horse battery';
const tvdc = (...args: string[]) => runMain(args);

describe('cli: boot aggregates in tvdc ima policy and tvdc refdb', function () {
  this.timeout(30_000);
  let dir: string;
  let image: string;
  let server: ManagementServer;
  const as = ['--user', 'root', '--password', PW];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tvdc-boot-policy-'));
    image = new VmImages(join(dir, 'images')).ensure('web1');
    server = ManagementServer.open({ db: join(dir, 'server.db'), log: () => {}, modules: [usersModule, createIntegrityModule({ notifyTimeoutMs: 1_000 })] });
    as.push('--server', (await server.listen({ port: 0 })).http!);
    await server.users.add('root', 'dcadmin', PW);
  });
  after(async () => {
    await ApiClient.closeAll();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a whole image\'s policy lists its boot aggregates (TPM 2.0 and TPM 1.2) and says so; they are not counted as files', async () => {
    const boot = imageBootAggregates(image);
    if (!boot.image) throw new Error(boot.why);
    const stdout = await tvdc('ima', 'policy', image);
    expect([stdout.code, stdout.err]).to.deep.equal([0, '']);
    expect(readRuntimePolicy(stdout.out).entries.filter((e) => e.path === BOOT_AGGREGATE).map((e) => e.digest)).to.deep.equal([boot.aggregates.tpm2, boot.aggregates.tpm12]);
    const out = join(dir, 'web1.json');
    const written = await tvdc('ima', 'policy', image, '--out', out);
    expect(written.code, written.err).to.equal(0);
    expect(written.out).to.equal(
      `runtime policy of ${image}: 6 files (sha256, under /) written to ${out}\n` +
        `boot_aggregate, as its host measures its boot: ${boot.aggregates.tpm2} (TPM 2.0), ${boot.aggregates.tpm12} (TPM 1.2)`,
    );
    expect(readFileSync(out, 'utf8')).to.include(`"boot_aggregate":["${boot.aggregates.tpm2}","${boot.aggregates.tpm12}"]`);
  });

  it('a tree with some boot files but not all gets no boot_aggregate and a note naming what it lacks; one with none, or under another prefix, no note', async () => {
    const tree = join(dir, 'tree');
    mkdirSync(join(tree, 'boot'), { recursive: true });
    writeFileSync(join(tree, 'boot', 'vmlinuz'), 'kernel\n');
    const r = await tvdc('ima', 'policy', tree);
    expect(r.code).to.equal(0);
    expect(r.err).to.equal(`tvdc ima policy: no boot_aggregate: ${tree} lacks /firmware/bios.bin, /boot/grub.cfg, /boot/initrd.img (it has 1 of the 4 boot components): no VM image the host could boot, so no boot_aggregate`);
    expect(readRuntimePolicy(r.out).entries.map((e) => e.path)).to.deep.equal(['/boot/vmlinuz']);
    // A tree with no boot file at all is simply no image: nothing to say.
    mkdirSync(join(dir, 'plain', 'bin'), { recursive: true });
    writeFileSync(join(dir, 'plain', 'bin', 'sh'), 'sh\n');
    expect(await tvdc('ima', 'policy', join(dir, 'plain'))).to.include({ code: 0, err: '' });
    const sub = await tvdc('ima', 'policy', image, '--prefix', '/srv/web1');
    expect([sub.code, sub.err]).to.deep.equal([0, '']);
    expect(readRuntimePolicy(sub.out).entries.some((e) => e.path === BOOT_AGGREGATE)).to.equal(false);
  });

  it('refdb import and list count boot aggregates and warn when the database lists none; refdb add takes boot_aggregate, no other relative path', async () => {
    const files = join(dir, 'files.json');
    writeFileSync(files, JSON.stringify({ digests: { '/bin/sh': ['ab'.repeat(32)] } }));
    const noBoot = await tvdc('refdb', 'import', files, '--source', 'files', ...as);
    expect(noBoot.code, noBoot.err).to.equal(0);
    expect(noBoot.out).to.equal(`imported ${files} as "files": 1 digests added, 0 stale removed, 0 excludes; 1 digests in the reference database, 0 of them boot aggregates`);
    expect(noBoot.err).to.match(/^warning: the reference database lists no boot_aggregate: every VM attests unknown .*tvdc refdb add boot_aggregate DIGEST\)$/);

    const withBoot = await tvdc('refdb', 'import', join(dir, 'web1.json'), '--source', 'web1-image', ...as);
    expect([withBoot.code, withBoot.err]).to.deep.equal([0, '']);
    expect(withBoot.out).to.match(/, 2 of them boot aggregates$/);
    const list = await tvdc('refdb', 'list', '--path', BOOT_AGGREGATE, ...as);
    expect([list.code, list.err]).to.deep.equal([0, '']);
    expect(list.out).to.match(/; 2 boot aggregates$/);

    const added = await tvdc('refdb', 'add', BOOT_AGGREGATE, 'cd'.repeat(32), ...as);
    expect(added.code, added.err).to.equal(0);
    const json = await tvdc('refdb', 'list', '--json', ...as);
    expect((JSON.parse(json.out) as { bootAggregates: number }).bootAggregates).to.equal(3);
    const relative = await tvdc('refdb', 'add', 'bin/sh', 'cd'.repeat(32), ...as);
    expect(relative.code).to.not.equal(0);
    expect(relative.err).to.include('path "bin/sh" must be absolute (or boot_aggregate, for a known-good boot)');
  });
});
