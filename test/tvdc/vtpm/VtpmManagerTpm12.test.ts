import { expect } from 'chai';
import { randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VtpmManager } from '../../../src/tvdc/vtpm/VtpmManager.js';
import { Measurer } from '../../../src/tvdc/vtpm/Measurer.js';
import { Attestor } from '../../../src/tvdc/vtpm/Attestor.js';
import { VtpmState } from '../../../src/tvdc/vtpm/VtpmState.js';
import { SealedVtpmPackage } from '../../../src/tvdc/vtpm/SealedVtpmPackage.js';
import { stateFiles } from '../../../src/tvdc/vtpm/TpmFamily.js';
import { TPM_ALG } from '../../../src/tvdc/vtpm/TpmConstants.js';
import { Tpm12Error } from '../../../src/tvdc/vtpm/Tpm12.js';
import { TPM12_NV_INDEX, TPM12_ORD } from '../../../src/tvdc/vtpm/Tpm12Constants.js';
import { TpmWriter } from '../../../src/tvdc/vtpm/TpmBuffer.js';
import { TCG_KP_AIK_CERTIFICATE } from '../../../src/tvdc/vtpm/VtpmCa.js';
import { akPublicKeyOf, ekPublicKeyOf } from '../../../src/tvdc/vtpm/VtpmKeys.js';
import { Verifier } from '../../../src/tvdc/integrity/Verifier.js';
import { isTvdcError } from '../../../src/tvdc/TvdcError.js';
import { cleanup, tempDir } from './swtpmHelpers.js';

async function pcr10(m: VtpmManager, id: string): Promise<string> {
  return (await m.pcrs(id).read([10])).get(TPM_ALG.SHA1)!.get(10)!.toString('hex');
}

describe('vtpm: TPM 1.2 vTPMs through the manager (family, restart, migration)', function () {
  this.timeout(60_000);
  let dir: string;
  let root: string;
  let h1: VtpmManager;
  let src: VtpmManager;
  let dst: VtpmManager;
  const open: VtpmManager[] = [];
  const openManager = async (name: string, host = name) => {
    const r = await VtpmManager.open({ stateDir: join(dir, name), hostName: host });
    open.push(r.manager);
    return r;
  };
  before(() => {
    dir = tempDir('vtpm12-mgr');
    root = join(dir, 'root');
    mkdirSync(join(root, 'bin'), { recursive: true });
    writeFileSync(join(root, 'bin', 'app'), 'application');
  });
  after(async () => {
    for (const m of open) await m.close().catch(() => undefined);
    await cleanup(dir);
  });

  it('creates a TPM 1.2 vTPM on request, a TPM 2.0 one by default, and refuses what a TPM 1.2 cannot be', async () => {
    const { manager } = await openManager('h1', 'host-one');
    h1 = manager;
    const info = await manager.create('old', { family: 'tpm12' });
    expect(info).to.include({ family: 'tpm12', akKind: 'rsa', running: false });
    const ek = new X509Certificate(info.ekCertificatePem);
    expect(ek.verify(manager.vtpmCa.certificate.publicKey)).to.equal(true);
    expect(ek.publicKey.export({ type: 'spki', format: 'der' }).equals(ekPublicKeyOf(info).export({ type: 'spki', format: 'der' }))).to.equal(true);
    const ak = new X509Certificate(info.akCertificatePem!);
    expect(ak.verify(manager.vtpmCa.certificate.publicKey)).to.equal(true);
    expect(ak.keyUsage).to.deep.equal([TCG_KP_AIK_CERTIFICATE]);
    expect(ak.subject).to.include('host-one/old');
    expect(ak.publicKey.asymmetricKeyDetails?.modulusLength).to.equal(2048);
    expect(ak.publicKey.export({ type: 'spki', format: 'der' }).equals(akPublicKeyOf(info).export({ type: 'spki', format: 'der' }))).to.equal(true);
    expect(existsSync(join(info.stateDir, stateFiles('tpm12').permanent))).to.equal(true);

    expect((await manager.create('new')).family).to.equal('tpm2');
    expect(manager.get('new').akCertificatePem).to.equal(undefined);
    const ecc = await manager.create('bad', { family: 'tpm12', akKind: 'ecc' }).catch((e: unknown) => e);
    expect(isTvdcError(ecc, 'INVALID_ARGUMENT')).to.equal(true);
    const odd = await manager.create('bad', { family: 'tpm3' as never }).catch((e: unknown) => e);
    expect(isTvdcError(odd, 'INVALID_ARGUMENT')).to.equal(true);
    expect(manager.list().map((v) => `${v.id}:${v.family}`)).to.deep.equal(['new:tpm2', 'old:tpm12']);
    // The wrong family's client is refused by name, not sent commands it cannot parse.
    await manager.start('old');
    expect(() => manager.client('old')).to.throw(/is a TPM 1.2/);
    expect(() => manager.pcrs('old').banks).to.not.throw();
    expect(manager.pcrs('old').banks).to.deep.equal(['sha1']);
    await manager.stop('old');
  });

  it('resets PCRs and log on a new boot, and keeps them across an agent restart', async () => {
    const { manager } = await openManager('h2');
    const measurer = new Measurer(manager);
    await manager.create('vm', { family: 'tpm12' });
    await manager.start('vm');
    await measurer.boot('vm', root, [{ pcr: 4, path: '/bin/app' }]);
    await measurer.execute('vm', root, '/bin/app');
    const measured = await pcr10(manager, 'vm');
    expect(measured).to.not.equal('00'.repeat(20));
    await manager.stop('vm');
    await manager.start('vm');
    expect(await pcr10(manager, 'vm')).to.equal('00'.repeat(20));
    expect(manager.log.count('vm')).to.equal(0);
    await measurer.boot('vm', root, [{ pcr: 4, path: '/bin/app' }]);
    await measurer.execute('vm', root, '/bin/app');
    expect(await pcr10(manager, 'vm')).to.equal(measured);

    await manager.close();
    expect(existsSync(join(dir, 'h2', 'vtpm', 'instances', 'vm', stateFiles('tpm12').volatile))).to.equal(true);
    const { manager: again, recovery } = await openManager('h2');
    expect(recovery.restarted).to.deep.equal([{ id: 'vm', resumed: true }]);
    expect(again.get('vm').family).to.equal('tpm12');
    expect(await pcr10(again, 'vm')).to.equal(measured);
    expect(again.log.count('vm')).to.equal(2);
    // And it still quotes: the quote key survived in its wrapped form.
    const bundle = await new Attestor(again).getQuote('vm', { nonce: 'ab'.repeat(20), pcrs: [10] });
    expect(bundle.pcrValues).to.deep.equal([`sha1:10:${measured}`]);
  });

  it('migrates a running TPM 1.2 vTPM: family, PCRs, log, quote key and attestation survive', async () => {
    ({ manager: src } = await openManager('src', 'host-src'));
    ({ manager: dst } = await openManager('dst', 'host-dst'));
    await src.create('mig', { family: 'tpm12' });
    await src.start('mig');
    await new Measurer(src).boot('mig', root, [{ pcr: 4, path: '/bin/app' }]);
    await new Measurer(src).execute('mig', root, '/bin/app');
    const verifier = new Verifier({ anchors: [{ pem: src.vtpmCa.certificatePem, kind: 'virtual' }] });
    verifier.enrolTpm12('mig', src.get('mig').ekCertificatePem, src.get('mig').akCertificatePem!);
    const before = await pcr10(src, 'mig');

    const [pkg] = await src.exportState('mig', [{ recipient: dst.migrationKey.publicKey, purpose: 'migrate' }]);
    // The sealed state names its family and carries the quote key, readable only at the destination.
    const inner = VtpmState.decode(SealedVtpmPackage.open(pkg!, { recipient: dst.migrationKey, source: src.migrationKey.publicKey, vm: 'mig', purpose: 'migrate' }).plaintext);
    expect(inner.family).to.equal('tpm12');
    expect(inner.tpm12?.keyAuth.length).to.equal(20);
    const imported = await dst.importState(pkg!, src.migrationKey.publicKey, 'mig');
    expect(imported).to.include({ family: 'tpm12', running: true });
    expect(imported.akCertificatePem).to.equal(src.get('mig').akCertificatePem);
    expect(await pcr10(dst, 'mig')).to.equal(before);
    // The EK certificate in NV is part of the state that moved.
    expect(await dst.readEkCertificateFromNv('mig')).to.equal(imported.ekCertificatePem);
    await src.delete('mig');

    const a2 = new Attestor(dst);
    const nonce = verifier.newNonce('mig');
    const v = verifier.verify('mig', await a2.getQuote('mig', { nonce }), nonce);
    expect(v.findings).to.deep.equal([]);
    expect(v.nextIndex).to.equal(2);
    await new Measurer(dst).execute('mig', root, '/bin/app');
    const n2 = verifier.newNonce('mig');
    const v2 = verifier.verify('mig', await a2.getQuote('mig', { nonce: n2, fromIndex: 2 }), n2);
    expect(v2.findings).to.deep.equal([]);
    expect(v2.nextIndex).to.equal(3);

    // A stopped one moves too, and boots at the destination.
    await src.create('cold', { family: 'tpm12' });
    const [coldPkg] = await src.exportState('cold', [{ recipient: dst.migrationKey.publicKey, purpose: 'migrate' }]);
    const cold = await dst.importState(coldPkg!, src.migrationKey.publicKey, 'cold');
    expect(cold).to.include({ family: 'tpm12', running: false });
    await dst.start('cold');
    expect(await pcr10(dst, 'cold')).to.equal('00'.repeat(20));
  });

  it('refuses a package whose TPM 1.2 quote key is not the one it names, and reads old TPM 2.0 packages', async () => {
    await src.create('a', { family: 'tpm12' });
    const [pa] = await src.exportState('a', [{ recipient: src.migrationKey.publicKey, purpose: 'migrate' }]);
    // Another TPM 1.2 vTPM's secrets: those of the first test's 'old', on host-one.
    const [pb] = await h1.exportState('old', [{ recipient: src.migrationKey.publicKey, purpose: 'migrate' }]);
    const unseal = (p: Buffer, vm: string, from: VtpmManager) => VtpmState.decode(SealedVtpmPackage.open(p, { recipient: src.migrationKey, source: from.migrationKey.publicKey, vm, purpose: 'migrate' }).plaintext);
    const a = unseal(pa!, 'a', src);
    const b = unseal(pb!, 'old', h1);
    const seal = (plaintext: Buffer, counter: number) => SealedVtpmPackage.seal({ plaintext, vm: 'a', purpose: 'migrate', counter, source: src.migrationKey, recipient: dst.migrationKey.publicKey });
    // b's quote key in a's state: the key named (a's) is not the one carried.
    const keySwapped = seal(VtpmState.encode({ ...a, tpm12: { ...a.tpm12!, keyBlob: b.tpm12!.keyBlob, keyAuth: b.tpm12!.keyAuth } }), 98);
    const err = await dst.importState(keySwapped, src.migrationKey.publicKey, 'a').catch((e: unknown) => e);
    expect(String(err)).to.match(/the quote key in the package is not the one it names/);
    // b's owner auth with a's state: the TPM itself refuses it.
    const ownerSwapped = seal(VtpmState.encode({ ...a, tpm12: { ...a.tpm12!, ownerAuth: b.tpm12!.ownerAuth } }), 99);
    const err2 = await dst.importState(ownerSwapped, src.migrationKey.publicKey, 'a').catch((e: unknown) => e);
    expect(String(err2)).to.match(/TPM_OwnerReadInternalPub failed: TPM_AUTHFAIL/);
    expect(dst.list().map((v) => v.id)).to.not.include('a');
    // A package from before TPM families existed is a TPM 2.0 vTPM's.
    const v3 = JSON.parse(VtpmState.encode({ ...a, family: 'tpm2', tpm12: undefined as never }).toString());
    v3.format = 'tvdc-vtpm-state/2';
    delete v3.body.family;
    delete v3.body.tpm12;
    expect(VtpmState.decode(Buffer.from(JSON.stringify(v3))).family).to.equal('tpm2');
    // A TPM 1.2 package without its key is malformed.
    const noKey = JSON.parse(VtpmState.encode(a).toString());
    noKey.body.tpm12 = null;
    expect(() => VtpmState.decode(Buffer.from(JSON.stringify(noKey)))).to.throw(/needs its quote key/);
  });

  it('carries its EK certificate in NV at TPM_NV_INDEX_EKCert as a PC Client TPM does: anyone reads it, only the owner writes it', async () => {
    const info = await h1.start('old');
    expect(await h1.readEkCertificateFromNv('old')).to.equal(info.ekCertificatePem);
    const tpm = h1.client12('old');
    // TCG_PCCLIENT_STORED_CERT (0x1001, TCG_FULL_CERT, size) then TCG_FULL_CERT (0x1002, DER).
    const der = new X509Certificate(info.ekCertificatePem).raw;
    const head = await tpm.nvReadValue(TPM12_NV_INDEX.EK_CERT, 0, 7);
    expect(head.toString('hex')).to.equal(`100100${(der.length + 2).toString(16).padStart(4, '0')}1002`);
    expect((await tpm.nvReadValue(TPM12_NV_INDEX.EK_CERT, 7, der.length)).equals(der)).to.equal(true);
    // NV is locked, so the area's owner-write permission holds: no write without the owner's auth.
    const write = new TpmWriter().u32(TPM12_NV_INDEX.EK_CERT).u32(7).u32(4).bytes(Buffer.from('evil')).toBuffer();
    const bare = await tpm.execute(TPM12_ORD.NV_WriteValue, { params: write }).catch((e: unknown) => e);
    expect(bare).to.be.instanceOf(Tpm12Error);
    const wrongOwner = await tpm.nvWriteValue(randomBytes(20), TPM12_NV_INDEX.EK_CERT, Buffer.from('evil')).catch((e: unknown) => e);
    expect((wrongOwner as Tpm12Error).rcName).to.equal('TPM_AUTHFAIL');
    expect(await h1.readEkCertificateFromNv('old')).to.equal(info.ekCertificatePem);
    await h1.stop('old');
  });
});
