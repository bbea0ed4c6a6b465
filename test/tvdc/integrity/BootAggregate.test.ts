// Known-good boot aggregates: what a clean image's boot gives, computed without a TPM, is what a
// real swtpm vTPM logs when the host boots that image (TPM 2.0 and TPM 1.2); runtime policies and
// directory imports list it; the verifier calls a boot_aggregate the references do not list
// unknown (and says when they list none at all), never excludes it, and checks it against the
// quote only when told to (a host's stand-in TPM).
import { expect } from 'chai';
import { hash } from 'node:crypto';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VtpmManager } from '../../../src/tvdc/vtpm/VtpmManager.js';
import { Measurer } from '../../../src/tvdc/vtpm/Measurer.js';
import { Attestor } from '../../../src/tvdc/vtpm/Attestor.js';
import { BOOT_LIST, VmImages, INIT_PATH } from '../../../src/tvdc/vtpm/VmImage.js';
import { BOOT_AGGREGATE, bootAggregateOf, imageBootAggregates, imageBootEntries } from '../../../src/tvdc/integrity/BootAggregate.js';
import { runtimePolicyOf, readRuntimePolicy } from '../../../src/tvdc/integrity/RuntimePolicy.js';
import { ReferenceDatabase } from '../../../src/tvdc/integrity/ReferenceDatabase.js';
import { ReferenceSet } from '../../../src/tvdc/integrity/ReferenceSet.js';
import { Verifier } from '../../../src/tvdc/integrity/Verifier.js';
import { verifyImaLog } from '../../../src/tvdc/integrity/ImaLogVerifier.js';
import { encodeTemplateData } from '../../../src/tvdc/integrity/ImaEntry.js';
import { openStore } from '../../../src/store/Store.js';
import { openVtpmRig, type VtpmRig } from '../vtpm/swtpmHelpers.js';

describe('integrity: known-good boot aggregates (real swtpm)', function () {
  this.timeout(60_000);
  let rig: VtpmRig;
  let dir: string;
  let manager: VtpmManager;
  let measurer: Measurer;
  let attestor: Attestor;
  let images: VmImages;

  before(async () => {
    rig = await openVtpmRig('boot-aggregate');
    ({ dir, manager, measurer, attestor, images } = rig);
  });
  after(async () => {
    await rig?.close();
  });

  /** Boots `vm`'s image into a fresh vTPM of `family`, as the host does when the VM starts. */
  async function boot(vm: string, family: 'tpm2' | 'tpm12'): Promise<string> {
    const root = images.ensure(vm);
    await manager.create(vm, { family });
    await manager.start(vm);
    const e = await measurer.boot(vm, root, BOOT_LIST);
    await measurer.execute(vm, root, INIT_PATH);
    return e.fileDigest;
  }

  it('computes the boot_aggregate a real vTPM logs for the image, for TPM 2.0 (SHA-256, PCRs 0-9) and TPM 1.2 (SHA-1, PCRs 0-7)', async () => {
    const logged2 = await boot('v2', 'tpm2');
    const logged12 = await boot('v12', 'tpm12');
    const computed = imageBootAggregates(images.root('v2'));
    expect(computed.image).to.equal(true);
    if (!computed.image) return;
    expect(computed.aggregates.tpm2).to.equal(logged2);
    expect(computed.aggregates.tpm2).to.have.length(64);
    // Both images hold the same default bytes: one clean image's aggregates are every copy's.
    expect(computed.aggregates.tpm12).to.equal(logged12);
    expect(computed.aggregates.tpm12).to.have.length(40);
    expect(imageBootEntries(images.root('v12')).map((e) => e.digest)).to.deep.equal([logged2, logged12]);
  });

  it('a changed kernel changes both aggregates; a changed initrd (PCR 9) only TPM 2.0\'s, as IMA on a TPM 1.2 aggregates PCRs 0-7', () => {
    const parts = BOOT_LIST.map((b) => ({ pcr: b.pcr, data: Buffer.from(`clean ${b.path}`) }));
    const clean = bootAggregateOf(parts);
    const kernel = bootAggregateOf(parts.map((p) => (p.pcr === 4 ? { ...p, data: Buffer.from('TROJANED KERNEL') } : p)));
    const initrd = bootAggregateOf(parts.map((p) => (p.pcr === 9 ? { ...p, data: Buffer.from('TROJANED INITRD') } : p)));
    expect(kernel.tpm2).to.not.equal(clean.tpm2);
    expect(kernel.tpm12).to.not.equal(clean.tpm12);
    expect(initrd.tpm2).to.not.equal(clean.tpm2);
    expect(initrd.tpm12).to.equal(clean.tpm12);
    // Components in distinct PCRs commute; two extends of one PCR do not, as in a TPM.
    expect(bootAggregateOf([...parts].reverse()).tpm2).to.equal(clean.tpm2);
    const twice = [{ pcr: 4, data: Buffer.from('a') }, { pcr: 4, data: Buffer.from('b') }];
    expect(bootAggregateOf(twice).tpm2).to.not.equal(bootAggregateOf([...twice].reverse()).tpm2);
    expect(() => bootAggregateOf([{ pcr: 10, data: Buffer.from('x') }])).to.throw(/PCRs 0-9/);
  });

  it('runtime policies and directory imports list an image\'s boot aggregates; a tree without the whole boot list, or scanned under another prefix, gives none and says why', () => {
    const root = images.root('v2');
    const policy = readRuntimePolicy(runtimePolicyOf([root]));
    const listed = policy.entries.filter((e) => e.path === BOOT_AGGREGATE).map((e) => e.digest);
    const computed = imageBootAggregates(root);
    expect(computed.image && listed).to.deep.equal(computed.image ? [computed.aggregates.tpm2, computed.aggregates.tpm12] : false);
    expect(readRuntimePolicy(runtimePolicyOf([root], { prefix: '/srv/img' })).entries.some((e) => e.path === BOOT_AGGREGATE)).to.equal(false);

    const partial = join(dir, 'partial');
    mkdirSync(join(partial, 'boot'), { recursive: true });
    writeFileSync(join(partial, 'boot', 'vmlinuz'), 'a kernel');
    const why = imageBootAggregates(partial);
    expect(why.image).to.equal(false);
    expect(!why.image && why.why).to.match(/lacks \/firmware\/bios.bin, \/boot\/grub.cfg, \/boot\/initrd.img \(it has 1 of the 4 boot components\)/);
    expect(readRuntimePolicy(runtimePolicyOf([partial])).entries.map((e) => e.path)).to.deep.equal(['/boot/vmlinuz']);

    const refdb = new ReferenceDatabase(openStore(':memory:'));
    refdb.importDirectory(root, { source: 'image' });
    expect(refdb.lookup(BOOT_AGGREGATE).map((r) => [r.digest, r.alg])).to.have.deep.members(listed.map((d) => [d, d.length === 64 ? 'sha256' : 'sha1']));
    // A second import of the same image adds nothing; the boot aggregates are the image's like its files.
    expect(refdb.importDirectory(root, { source: 'image' })).to.deep.equal({ added: 0, removed: 0 });
    refdb.db.close();
  });

  it('a symbolic link in the boot list is followed inside the image only; a boot file that is no regular file is missing', () => {
    const root = join(dir, 'escape');
    for (const b of BOOT_LIST) {
      mkdirSync(join(root, b.path, '..'), { recursive: true });
      writeFileSync(join(root, b.path), 'x');
    }
    rmSync(join(root, 'boot', 'vmlinuz'));
    writeFileSync(join(dir, 'outside'), 'host file');
    // A relative link leading out of the image, as a guest could plant.
    symlinkSync(join('..', '..', 'outside'), join(root, 'boot', 'vmlinuz'));
    expect(() => imageBootAggregates(root)).to.throw(/\/boot\/vmlinuz in .* resolves outside the image/);
    // A directory where the kernel should be is no kernel: no boot_aggregate, and why.
    rmSync(join(root, 'boot', 'vmlinuz'));
    mkdirSync(join(root, 'boot', 'vmlinuz'));
    const dirKernel = imageBootAggregates(root);
    expect(!dirKernel.image && dirKernel.why).to.match(/lacks \/boot\/vmlinuz \(it has 3 of the 4 boot components\)/);
  });

  it('the verifier: a clean boot is trusted; another kernel is unknown (DIGEST_UNKNOWN); references listing no boot_aggregate say so (PATH_UNKNOWN); excludes never hide it; a host-style check looks at the quote only', async () => {
    const vm = 'v2';
    const root = images.root(vm);
    const info = manager.get(vm);
    const files = readRuntimePolicy(runtimePolicyOf([root])).entries.filter((e) => e.path !== BOOT_AGGREGATE);
    const withBoot = new ReferenceSet();
    for (const e of readRuntimePolicy(runtimePolicyOf([root])).entries) withBoot.add(e.path, { digest: e.digest, annotation: 'trusted' });
    const filesOnly = new ReferenceSet();
    for (const e of files) filesOnly.add(e.path, { digest: e.digest, annotation: 'trusted' });
    filesOnly.exclude('.*aggregate.*');
    const otherImage = new ReferenceSet();
    for (const e of files) otherImage.add(e.path, { digest: e.digest, annotation: 'trusted' });
    otherImage.add(BOOT_AGGREGATE, { digest: 'ab'.repeat(32), annotation: 'trusted' });

    const attest = async (refs: ReferenceSet, opts: { bootAggregateReferences?: boolean } = {}) => {
      const v = new Verifier({ anchors: [{ pem: manager.vtpmCa.certificatePem, kind: 'virtual' }], references: refs, ...opts });
      const ch = v.beginEnrolment(`vm:${vm}`, info.ekCertificatePem, attestor.akPublicArea(vm), { vm });
      v.finishEnrolment(`vm:${vm}`, await attestor.activateCredential(vm, ch.credentialBlob, ch.secret));
      const nonce = v.newNonce(`vm:${vm}`);
      return v.verify(`vm:${vm}`, await attestor.getQuote(vm, { nonce, pcrs: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }), nonce);
    };
    const clean = await attest(withBoot);
    expect(clean.findings).to.deep.equal([]);
    expect(clean.status).to.equal('trusted');

    const unlisted = await attest(otherImage);
    expect(unlisted.status).to.equal('unknown');
    expect(unlisted.findings.map((f) => [f.code, f.path])).to.deep.equal([['ENTRY_UNKNOWN', BOOT_AGGREGATE]]);
    expect(unlisted.entries[0]).to.include({ code: 'DIGEST_UNKNOWN', status: 'unknown' });
    expect(unlisted.findings[0]!.message).to.match(/boot_aggregate [0-9a-f]{64} is not one of the 1 known-good boot aggregate\(s\)/);

    const none = await attest(filesOnly);
    expect(none.status).to.equal('unknown');
    expect(none.entries[0]).to.include({ code: 'PATH_UNKNOWN', path: BOOT_AGGREGATE });
    expect(none.findings[0]!.message).to.match(/the reference data lists no boot_aggregate at all .* import the clean VM images again \(tvdc ima policy DIR, then tvdc refdb import\)/);

    // Checked against the quote only (how a host's stand-in TPM is judged): the old verdict.
    const quoteOnly = await attest(filesOnly, { bootAggregateReferences: false });
    expect(quoteOnly.findings).to.deep.equal([]);
  });

  it('a boot_aggregate the quoted PCRs do not give is untrusted (BOOT_AGGREGATE_MISMATCH) even when the references list it', () => {
    const digest = 'cd'.repeat(32);
    const templateData = encodeTemplateData('ima-ng', 'sha256', digest, BOOT_AGGREGATE);
    const entry = { index: 0, pcr: 10, templateHash: hash('sha1', templateData, 'hex'), templateName: 'ima-ng', templateData, fileAlg: 'sha256', fileDigest: digest, path: BOOT_AGGREGATE, violation: false };
    const refs = new ReferenceSet().add(BOOT_AGGREGATE, { digest, annotation: 'trusted' });
    const zeros = new Map(Array.from({ length: 10 }, (_, i) => [i, Buffer.alloc(32)] as const));
    const r = verifyImaLog([entry], { bank: 'sha256', references: refs, bootPcrs: { sha256: zeros } });
    expect(r.verdicts.map((v) => v.code)).to.deep.equal(['BOOT_AGGREGATE_MISMATCH']);
    expect(r.status).to.equal('untrusted');
    // Without quoted PCRs the references alone judge it.
    expect(verifyImaLog([entry], { bank: 'sha256', references: refs }).status).to.equal('trusted');
  });
});
