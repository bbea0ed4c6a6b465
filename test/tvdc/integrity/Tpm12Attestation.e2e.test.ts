import { expect } from 'chai';
import { constants, createHash, generateKeyPairSync, hash, sign, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VtpmManager } from '../../../src/tvdc/vtpm/VtpmManager.js';
import { Measurer, type BootComponent } from '../../../src/tvdc/vtpm/Measurer.js';
import { Attestor } from '../../../src/tvdc/vtpm/Attestor.js';
import { Verifier } from '../../../src/tvdc/integrity/Verifier.js';
import { SqliteVerifierStore } from '../../../src/tvdc/integrity/VerifierStore.js';
import { ReferenceSet } from '../../../src/tvdc/integrity/ReferenceSet.js';
import { BOOT_AGGREGATE, bootAggregateOf } from '../../../src/tvdc/integrity/BootAggregate.js';
import { tpm12Composite } from '../../../src/tvdc/integrity/Tpm12Quote.js';
import { parsePcrValues } from '../../../src/tvdc/integrity/PcrValues.js';
import type { QuoteBundle } from '../../../src/tvdc/integrity/QuoteBundle.js';
import { VtpmCa } from '../../../src/tvdc/vtpm/VtpmCa.js';
import { TPM_ALG } from '../../../src/tvdc/vtpm/TpmConstants.js';
import { akPublicKeyOf, ekPublicKeyOf } from '../../../src/tvdc/vtpm/VtpmKeys.js';
import { openStore, type Db } from '../../../src/store/Store.js';
import { isTvdcError } from '../../../src/tvdc/TvdcError.js';
import { cleanup, tempDir } from '../vtpm/swtpmHelpers.js';
import { quoteKeyCertificate, vtpmCaKeyPem } from '../vtpm/support/quoteKeyCertificates.js';
import { readTpm12KeyAttributes, TPM12_KEY_ATTRIBUTES_OID } from '../../../src/tvdc/vtpm/Tpm12KeyAttributesExtension.js';
import { TPM12_KEY_USAGE, TPM12_SS } from '../../../src/tvdc/vtpm/Tpm12Constants.js';

const BOOT: BootComponent[] = [
  { pcr: 0, path: '/firmware/bios.bin' },
  { pcr: 4, path: '/boot/vmlinuz' },
  { pcr: 5, path: '/boot/grub.cfg' },
];
const PROGRAMS = ['/bin/sh', '/usr/bin/app', '/usr/bin/later'];
const codes = (v: { findings: { code: string }[] }) => v.findings.map((f) => f.code);

describe('integrity: TPM 1.2 vTPMs quoted by a real swtpm and verified', function () {
  this.timeout(60_000);
  let dir: string;
  let root: string;
  let manager: VtpmManager;
  let measurer: Measurer;
  let attestor: Attestor;
  let verifier: Verifier;
  let verifierDb: Db;
  let refs: ReferenceSet;
  let trusted: { bundle: QuoteBundle; nonce: string };

  before(async () => {
    dir = tempDir('tpm12-e2e');
    root = join(dir, 'vm-root');
    for (const f of [...BOOT.map((b) => b.path), ...PROGRAMS]) {
      mkdirSync(join(root, f, '..'), { recursive: true });
      writeFileSync(join(root, f), `contents of ${f}\n`);
    }
    ({ manager } = await VtpmManager.open({ stateDir: join(dir, 'host'), hostName: 'host-a' }));
    measurer = new Measurer(manager);
    attestor = new Attestor(manager);
    refs = new ReferenceSet();
    for (const f of PROGRAMS) refs.add(f, { digest: hash('sha256', readFileSync(join(root, f)), 'hex'), annotation: 'trusted' });
    // The boot is clean: its boot_aggregates (each family's), as the host measures BOOT, are known good.
    const boot = bootAggregateOf(BOOT.map((b) => ({ pcr: b.pcr, data: readFileSync(join(root, b.path)) })));
    for (const digest of [boot.tpm12, boot.tpm2]) refs.add(BOOT_AGGREGATE, { digest, annotation: 'trusted' });
    verifierDb = openStore(join(dir, 'server', 'verifier.db'));
    verifier = new Verifier({ anchors: [{ pem: manager.vtpmCa.certificatePem, kind: 'virtual' }], references: refs, store: new SqliteVerifierStore(verifierDb) });
    await manager.create('vm12', { family: 'tpm12' });
    await manager.create('vm2');
    for (const id of ['vm12', 'vm2']) {
      await manager.start(id);
      await measurer.boot(id, root, BOOT);
      await measurer.execute(id, root, '/bin/sh');
      await measurer.execute(id, root, '/usr/bin/app');
    }
  });
  after(async () => {
    verifierDb?.close();
    await manager?.close();
    await cleanup(dir);
  });

  it('enrols the quote key by its vTPM CA certificate, bound to the EK', () => {
    const info = manager.get('vm12');
    expect(info.family).to.equal('tpm12');
    const e = verifier.enrolTpm12('vm12', info.ekCertificatePem, info.akCertificatePem!);
    expect(e).to.include({ family: 'tpm12', virtualTpm: true });
    expect(e.akSpki.equals(akPublicKeyOf(info).export({ type: 'spki', format: 'der' }))).to.equal(true);
    expect(verifier.enrolment('vm12')?.family).to.equal('tpm12');
  });

  it('refuses quote key certificates from another CA, for another EK, or of another kind', () => {
    const info = manager.get('vm12');
    // Each certificate states the _INFO scheme, so only the property under test is wrong.
    const info12 = readTpm12KeyAttributes(new X509Certificate(info.akCertificatePem!).raw)!;
    const otherCa = VtpmCa.openOrCreate(join(dir, 'other-ca'), 'virtual', 'host-b');
    const foreign = quoteKeyCertificate({ caPem: otherCa.certificatePem, caKeyPem: readFileSync(join(dir, 'other-ca', 'virtual-ca-key.pem'), 'utf8'), key: akPublicKeyOf(info), ek: ekPublicKeyOf(info), tpmName: 'host-a/vm12', attributes: info12 });
    expect(() => verifier.enrolTpm12('x1', info.ekCertificatePem, foreign)).to.throw(/not issued by .*the CA of the TPM's EK/);
    const otherEk = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    const wrongEk = quoteKeyCertificate({ caPem: manager.vtpmCa.certificatePem, caKeyPem: vtpmCaKeyPem(join(dir, 'host')), key: akPublicKeyOf(info), ek: otherEk, tpmName: 'host-a/vm12', attributes: info12 });
    expect(() => verifier.enrolTpm12('x2', info.ekCertificatePem, wrongEk)).to.throw(/names another TPM's EK/);
    // An EK certificate in the place of the quote key's: it lacks the AIK usage.
    expect(() => verifier.enrolTpm12('x3', info.ekCertificatePem, info.ekCertificatePem)).to.throw(/AIK certificate usage/);
    const untrusting = new Verifier({ anchors: [{ pem: manager.platformCa.certificatePem, kind: 'hardware' }] });
    expect(() => untrusting.enrolTpm12('x4', info.ekCertificatePem, info.akCertificatePem!)).to.throw(/does not chain to a trusted TPM CA/);
    expect(verifier.enrolment('x1')).to.equal(undefined);
    // Offered to TPM 2.0 enrolment, the TPM 1.2 key is refused with the way to enrol it.
    expect(() => verifier.beginEnrolment('x5', info.ekCertificatePem, attestor.akPublicArea('vm12'))).to.throw(/TPM 1.2 key .*enrolTpm12/);
  });

  it('trusts a quote key only when its certificate states TPM_SS_RSASSAPKCS1v15_INFO, and says how to fix one that does not', async () => {
    const info = manager.get('vm12');
    // The host's certificate states what the vTPM reported: a non-migratable signing key of scheme _INFO.
    const stated = readTpm12KeyAttributes(new X509Certificate(info.akCertificatePem!).raw)!;
    expect(stated).to.include({ keyUsage: TPM12_KEY_USAGE.SIGNING, keyFlags: 0 });
    expect(stated.parms.sigScheme).to.equal(TPM12_SS.RSASSAPKCS1v15_INFO);
    expect(stated.parms.rsa.keyBits).to.equal(2048);
    const issue = (attributes?: typeof stated) => quoteKeyCertificate({ caPem: manager.vtpmCa.certificatePem, caKeyPem: vtpmCaKeyPem(join(dir, 'host')), key: akPublicKeyOf(info), ek: ekPublicKeyOf(info), tpmName: 'host-a/vm12', ...(attributes ? { attributes } : {}) });
    // The right CA, the right EK, the right key: only the stated scheme differs from the host's
    // certificate. It passes every key check and is refused only last, as vm12's EK enrolled twice.
    expect(() => verifier.enrolTpm12('y0', info.ekCertificatePem, issue(stated))).to.throw(/refused: its EK is already enrolled for vm12/);
    const sha1 = issue({ ...stated, parms: { ...stated.parms, sigScheme: TPM12_SS.RSASSAPKCS1v15_SHA1 } });
    expect(() => verifier.enrolTpm12('y1', info.ekCertificatePem, sha1)).to.throw(/signature scheme TPM_SS_RSASSAPKCS1v15_SHA1, with which TPM_Sign can forge a quote.*Fix: start the vTPM again/);
    // What tvdc issued before it stated the scheme: no statement, no trust.
    const legacy = issue();
    const e = (() => {
      try {
        verifier.enrolTpm12('y2', info.ekCertificatePem, legacy);
      } catch (x) {
        return x as Error;
      }
      return undefined;
    })();
    expect(isTvdcError(e, 'ATTESTATION_FAILED')).to.equal(true);
    expect(e!.message).to.include(`does not state the key's TPM 1.2 signature scheme (extension ${TPM12_KEY_ATTRIBUTES_OID})`);
    expect(e!.message).to.match(/Fix: start the vTPM again .* makes a TPM_SS_RSASSAPKCS1v15_INFO key/);
    expect(verifier.enrolment('y1')).to.equal(undefined);
    expect(verifier.enrolment('y2')).to.equal(undefined);
    // On every quote too: a genuine quote with such a certificate is refused with AK_SCHEME_UNSAFE.
    for (const cert of [sha1, legacy]) {
      const nonce = verifier.newNonce('vm12');
      const v = verifier.verify('vm12', { ...(await attestor.getQuote('vm12', { nonce })), akCertificate: cert }, nonce);
      expect(codes(v)).to.deep.equal(['AK_SCHEME_UNSAFE']);
      expect(v.status).to.equal('untrusted');
    }
    verifier.forget('y0');
  });

  it('quotes with TPM_Quote over SHA-1 PCRs and verifies as trusted, replaying the log into PCR 10 with SHA-1', async () => {
    const nonce = verifier.newNonce('vm12');
    const bundle = await attestor.getQuote('vm12', { nonce });
    expect(bundle.family).to.equal('tpm12');
    expect(Buffer.from(bundle.quote, 'base64').subarray(4, 8).toString('latin1')).to.equal('QUOT');
    expect(bundle.pcrValues.every((p) => p.startsWith('sha1:'))).to.equal(true);
    expect(bundle.pcrValues).to.have.length(11);
    expect(bundle.logEntries[0]).to.match(/^10 [0-9a-f]{40} ima-ng sha1:[0-9a-f]{40} boot_aggregate$/);
    const v = verifier.verify('vm12', bundle, nonce);
    expect(v.findings).to.deep.equal([]);
    expect(v).to.include({ status: 'trusted', virtualTpm: true, nextIndex: 3 });
    trusted = { bundle, nonce };
  });

  it('catches a quote over another nonce, and a replayed one', async () => {
    const nonce = verifier.newNonce('vm12');
    const bundle = await attestor.getQuote('vm12', { nonce: 'cd'.repeat(20) });
    expect(codes(verifier.verify('vm12', bundle, nonce))).to.deep.equal(['NONCE_MISMATCH']);
    expect(codes(verifier.verify('vm12', trusted.bundle, verifier.newNonce('vm12')))).to.deep.equal(['QUOTE_REPLAYED']);
  });

  it('catches a changed PCR value', async () => {
    const nonce = verifier.newNonce('vm12');
    const bundle = await attestor.getQuote('vm12', { nonce });
    bundle.pcrValues = bundle.pcrValues.map((p) => (p.startsWith('sha1:4:') ? `sha1:4:${'00'.repeat(20)}` : p));
    expect(codes(verifier.verify('vm12', bundle, nonce))).to.deep.equal(['PCR_DIGEST_MISMATCH']);
  });

  it('catches a changed PCR 10 with a log to match it: the quote does not cover them', async () => {
    const nonce = verifier.newNonce('vm12');
    const bundle = await attestor.getQuote('vm12', { nonce });
    bundle.logEntries.pop();
    const shorter = parsePcrValues(bundle.pcrValues);
    // What PCR 10 would be without the last entry: the log and PCRs agree, the signature does not.
    let pcr = Buffer.alloc(20);
    for (const line of bundle.logEntries) pcr = createHash('sha1').update(pcr).update(Buffer.from(line.split(' ')[1]!, 'hex')).digest();
    shorter.get(TPM_ALG.SHA1)!.set(10, pcr);
    bundle.pcrValues = [...shorter.get(TPM_ALG.SHA1)!].map(([i, b]) => `sha1:${i}:${b.toString('hex')}`);
    expect(codes(verifier.verify('vm12', bundle, nonce))).to.deep.equal(['PCR_DIGEST_MISMATCH']);
  });

  it('catches a wrong key: another key signing a well-formed quote, or another vTPM\'s key', async () => {
    const nonce = verifier.newNonce('vm12');
    const bundle = await attestor.getQuote('vm12', { nonce });
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = { ...bundle, signature: sign('sha1', Buffer.from(bundle.quote, 'base64'), { key: privateKey, padding: constants.RSA_PKCS1_PADDING }).toString('base64'), akPublic: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
    expect(codes(verifier.verify('vm12', forged, nonce))).to.deep.equal(['AK_NOT_BOUND', 'AK_NOT_BOUND']);
    // Only the signature swapped, the enrolled key kept: the signature does not verify.
    const n2 = verifier.newNonce('vm12');
    const b2 = await attestor.getQuote('vm12', { nonce: n2 });
    b2.signature = forged.signature;
    expect(codes(verifier.verify('vm12', b2, n2))).to.deep.equal(['SIGNATURE_INVALID']);
    // A genuine quote without its key certificate: the key is not taken on its word.
    const n4 = verifier.newNonce('vm12');
    const { akCertificate: _dropped, ...bare } = await attestor.getQuote('vm12', { nonce: n4 });
    const v4 = verifier.verify('vm12', bare, n4);
    expect(codes(v4)).to.deep.equal(['AK_NOT_BOUND']);
    expect(v4.findings[0]!.message).to.match(/without its quote key certificate/);
    // A second TPM 1.2 vTPM of the same host: its key is certified, but not for vm12.
    await manager.create('vm12b', { family: 'tpm12' });
    await manager.start('vm12b');
    await measurer.boot('vm12b', root, BOOT);
    const n3 = verifier.newNonce('vm12');
    const other = await attestor.getQuote('vm12b', { nonce: n3 });
    expect(codes(verifier.verify('vm12', other, n3))).to.include.members(['EK_CERT_INVALID', 'AK_NOT_BOUND']);
  });

  it('never accepts a key for the other family\'s quotes', async () => {
    const info = manager.get('vm2');
    const ch = verifier.beginEnrolment('vm2', info.ekCertificatePem, attestor.akPublicArea('vm2'));
    verifier.finishEnrolment('vm2', await attestor.activateCredential('vm2', ch.credentialBlob, ch.secret));
    // vm12's TPM 1.2 quote presented for the TPM 2.0 target, and the other way round.
    const n1 = verifier.newNonce('vm2');
    const cross = verifier.verify('vm2', await attestor.getQuote('vm12', { nonce: n1 }), n1);
    expect(codes(cross)).to.deep.equal(['EK_CERT_INVALID', 'AK_NOT_BOUND']);
    expect(cross.findings[1]!.message).to.match(/is a TPM 1.2 quote, but vm2 enrolled a TPM 2.0 key/);
    const n2 = verifier.newNonce('vm12');
    const tpm2Bundle = await attestor.getQuote('vm2', { nonce: n2 });
    // Even with vm12's own certificates, a TPM 2.0 quote is not accepted for a TPM 1.2 enrolment.
    const own = manager.get('vm12');
    const disguised = verifier.verify('vm12', { ...tpm2Bundle, ekCertificate: own.ekCertificatePem }, n2);
    expect(codes(disguised)).to.deep.equal(['AK_NOT_BOUND']);
    expect(disguised.findings[0]!.message).to.match(/is a TPM 2.0 quote, but vm12 enrolled a TPM 1.2 key/);
    const n3 = verifier.newNonce('vm12');
    expect(codes(verifier.verify('vm12', { ...tpm2Bundle, family: 'tpm12', ekCertificate: own.ekCertificatePem, akCertificate: own.akCertificatePem! }, n3))).to.include('AK_NOT_BOUND');
    // TPM 1.2 has no credential activation: the host says so instead of answering.
    const e = await attestor.activateCredential('vm12', Buffer.alloc(10), Buffer.alloc(10)).catch((x: unknown) => x);
    expect(isTvdcError(e, 'INVALID_STATE')).to.equal(true);
    expect(await attestor.getQuote('vm12', { nonce: n2, banks: ['sha256'] }).catch((x: Error) => x.message)).to.match(/SHA-1 PCR bank only/);
  });

  it('refuses a TPM 1.2 quote whose PCR report adds unsigned banks or leaves out PCR 10', async () => {
    const nonce = verifier.newNonce('vm12');
    const bundle = await attestor.getQuote('vm12', { nonce, pcrs: [0, 4] });
    expect(codes(verifier.verify('vm12', bundle, nonce))).to.deep.equal(['PCR_SELECTION']);
    const n2 = verifier.newNonce('vm12');
    const b2 = await attestor.getQuote('vm12', { nonce: n2 });
    b2.pcrValues = [...b2.pcrValues, `sha256:10:${'00'.repeat(32)}`];
    expect(codes(verifier.verify('vm12', b2, n2))).to.deep.equal(['QUOTE_FORMAT']);
    const n3 = verifier.newNonce('vm12');
    const odd = verifier.verify('vm12', { ...(await attestor.getQuote('vm12', { nonce: n3 })), family: 'tpm3' as never }, n3);
    expect(codes(odd)).to.deep.equal(['QUOTE_FORMAT']);
    expect(odd.findings[0]!.message).to.match(/family "tpm3" is not tpm2 or tpm12/);
  });

  it('verifies incrementally; after a reboot asks for the whole log (LOG_GAP), which then verifies', async () => {
    await measurer.execute('vm12', root, '/usr/bin/later');
    const nonce = verifier.newNonce('vm12');
    const v = verifier.verify('vm12', await attestor.getQuote('vm12', { nonce, fromIndex: 3 }), nonce);
    expect(v.findings).to.deep.equal([]);
    expect(v.nextIndex).to.equal(4);
    await manager.stop('vm12');
    await manager.start('vm12');
    // This boot runs the programs in another order, so its list does not continue the last one.
    await measurer.boot('vm12', root, BOOT);
    await measurer.execute('vm12', root, '/usr/bin/app');
    await measurer.execute('vm12', root, '/bin/sh');
    await measurer.execute('vm12', root, '/usr/bin/later');
    await measurer.execute('vm12', root, '/usr/bin/app');
    const n2 = verifier.newNonce('vm12');
    const after = verifier.verify('vm12', await attestor.getQuote('vm12', { nonce: n2, fromIndex: 4 }), n2);
    expect(codes(after)).to.deep.equal(['LOG_GAP']);
    expect(after.nextIndex).to.equal(0);
    const n3 = verifier.newNonce('vm12');
    const full = verifier.verify('vm12', await attestor.getQuote('vm12', { nonce: n3, fromIndex: 0 }), n3);
    expect(full.findings).to.deep.equal([]);
    expect(full.nextIndex).to.equal(5);
  });

  it('checks the composite the way the TPM built it', async () => {
    const nonce = verifier.newNonce('vm12');
    const bundle = await attestor.getQuote('vm12', { nonce, pcrs: [10] });
    const sha1 = parsePcrValues(bundle.pcrValues).get(TPM_ALG.SHA1)!;
    expect(Buffer.from(bundle.quote, 'base64').subarray(8, 28).equals(tpm12Composite(sha1).digest)).to.equal(true);
    expect(Buffer.from(bundle.quote, 'base64').subarray(28).toString('hex')).to.equal(nonce);
    // A nonce of another length than TPM 1.2's 20 bytes travels as its SHA-1.
    const short = 'ab'.repeat(8);
    const q = await attestor.getQuote('vm12', { nonce: short, pcrs: [10] });
    expect(Buffer.from(q.quote, 'base64').subarray(28).toString('hex')).to.equal(createHash('sha1').update(Buffer.from(short, 'hex')).digest('hex'));
  });
});
