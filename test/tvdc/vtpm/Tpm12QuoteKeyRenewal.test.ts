import { expect } from 'chai';
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VtpmManager } from '../../../src/tvdc/vtpm/VtpmManager.js';
import { Measurer } from '../../../src/tvdc/vtpm/Measurer.js';
import { Attestor } from '../../../src/tvdc/vtpm/Attestor.js';
import { Tpm12Error, WELL_KNOWN_SECRET } from '../../../src/tvdc/vtpm/Tpm12.js';
import { SwtpmProcess } from '../../../src/tvdc/vtpm/SwtpmProcess.js';
import { TPM12_KH, TPM12_NV_INDEX, TPM12_SS } from '../../../src/tvdc/vtpm/Tpm12Constants.js';
import { marshalKey, marshalPubKey, parseKey, signingKeyTemplate, tpm12PublicKey } from '../../../src/tvdc/vtpm/Tpm12Key.js';
import { Tpm12KeyReading } from '../../../src/tvdc/vtpm/Tpm12KeyReading.js';
import { readTpm12KeyAttributes } from '../../../src/tvdc/vtpm/Tpm12KeyAttributesExtension.js';
import { akPublicKeyOf, ekPublicKeyOf } from '../../../src/tvdc/vtpm/VtpmKeys.js';
import { Verifier } from '../../../src/tvdc/integrity/Verifier.js';
import { MemoryVerifierStore } from '../../../src/tvdc/integrity/VerifierStore.js';
import { verifyTpm12Quote } from '../../../src/tvdc/integrity/Tpm12Quote.js';
import { parsePcrValues } from '../../../src/tvdc/integrity/PcrValues.js';
import { TPM_ALG } from '../../../src/tvdc/vtpm/TpmConstants.js';
import { isTvdcError } from '../../../src/tvdc/TvdcError.js';
import { cleanup, tempDir } from './swtpmHelpers.js';
import { quoteKeyCertificate, vtpmCaKeyPem } from './support/quoteKeyCertificates.js';

interface KeyRow {
  owner_auth: Buffer;
  key_auth: Buffer;
  key_blob: Buffer;
  ak_cert: string;
}

const codes = (v: { findings: { code: string }[] }) => v.findings.map((f) => f.code);
const spki = (k: ReturnType<typeof tpm12PublicKey>) => k.export({ type: 'spki', format: 'der' });

// vTPMs made before tvdc used TPM_SS_RSASSAPKCS1v15_INFO hold a _SHA1 quote key, certified
// without a scheme statement. The tests make such a vTPM on a real swtpm exactly as tvdc did
// then (TPM_CreateWrapKey with the _SHA1 template, a certificate of the old layout from the
// host's vTPM CA key), and watch the host renew it.
describe('vtpm: a TPM 1.2 vTPM with a _SHA1 quote key gets an _INFO key when it starts (real swtpm)', function () {
  this.timeout(60_000);
  let dir: string;
  let stateDir: string;
  let root: string;
  let manager: VtpmManager;
  let lines: string[];
  let legacy: { key: Buffer; cert: string };
  let verifier: Verifier;
  let oldStore: MemoryVerifierStore;
  let oldChallenger: Verifier;

  const open = async () => {
    lines = [];
    const r = await VtpmManager.open({ stateDir, hostName: 'host-old', log: (l) => void lines.push(l) });
    manager = r.manager;
    return r.recovery;
  };
  const keyRow = (id: string) => manager.db.prepare('SELECT owner_auth, key_auth, key_blob, ak_cert FROM vtpm_tpm12 WHERE vtpm_id = ?').get(id) as KeyRow;
  const quote = async (id: string, v: Verifier) => {
    const nonce = v.newNonce(id);
    return { nonce, bundle: await new Attestor(manager).getQuote(id, { nonce }) };
  };

  /** Gives the running vTPM `id` a quote key as tvdc made them before: _SHA1, its certificate stating nothing. */
  async function makeLegacy(id: string): Promise<{ key: Buffer; cert: string }> {
    const info = manager.get(id);
    const keyAuth = randomBytes(20);
    const key = await manager.client12(id).createWrapKey(TPM12_KH.SRK, WELL_KNOWN_SECRET, signingKeyTemplate(TPM12_SS.RSASSAPKCS1v15_SHA1), keyAuth);
    const cert = quoteKeyCertificate({ caPem: manager.vtpmCa.certificatePem, caKeyPem: vtpmCaKeyPem(stateDir), key: tpm12PublicKey(key), ek: ekPublicKeyOf(info), tpmName: `host-old/${id}` });
    manager.db.transaction(() => {
      manager.db.prepare('UPDATE vtpm SET ak_public = ? WHERE id = ?').run(marshalPubKey(key), id);
      manager.db.prepare('UPDATE vtpm_tpm12 SET key_auth = ?, key_blob = ?, ak_cert = ? WHERE vtpm_id = ?').run(keyAuth, marshalKey(key), cert, id);
    })();
    return { key: marshalPubKey(key), cert };
  }

  before(async () => {
    dir = tempDir('tpm12-renew');
    stateDir = join(dir, 'host');
    root = join(dir, 'root');
    mkdirSync(join(root, 'bin'), { recursive: true });
    writeFileSync(join(root, 'bin', 'app'), 'application');
    await open();
    await manager.create('old', { family: 'tpm12' });
    await manager.start('old');
    legacy = await makeLegacy('old');
    const measurer = new Measurer(manager);
    await measurer.boot('old', root, [{ pcr: 4, path: '/bin/app' }]);
    await measurer.execute('old', root, '/bin/app');
    verifier = new Verifier({ anchors: [{ pem: manager.vtpmCa.certificatePem, kind: 'virtual' }] });
    // A challenger that enrolled the old key before certificates had to state the scheme.
    oldStore = new MemoryVerifierStore();
    const akSpki = spki(tpm12PublicKey(parseKey(keyRow('old').key_blob)));
    oldStore.putEnrolment({ target: 'old', ekCertificatePem: manager.get('old').ekCertificatePem, akSpki, akName: createHash('sha256').update(akSpki).digest(), virtualTpm: true, family: 'tpm12' });
    oldChallenger = new Verifier({ anchors: [{ pem: manager.vtpmCa.certificatePem, kind: 'virtual' }], store: oldStore });
  });
  after(async () => {
    await manager?.close().catch(() => undefined);
    await cleanup(dir);
  });

  it('the old vTPM quotes with its _SHA1 key, which the challenger refuses, naming the fix', async () => {
    expect(parseKey(keyRow('old').key_blob).parms.sigScheme).to.equal(TPM12_SS.RSASSAPKCS1v15_SHA1);
    const { nonce, bundle } = await quote('old', oldChallenger);
    expect(bundle.akCertificate).to.equal(legacy.cert);
    // The quote itself is genuine: the key signs it, the PCRs and log agree.
    const sha1 = parsePcrValues(bundle.pcrValues).get(TPM_ALG.SHA1)!;
    expect(verifyTpm12Quote({ quoteInfo: Buffer.from(bundle.quote, 'base64'), signature: Buffer.from(bundle.signature, 'base64'), aikPublic: tpm12PublicKey(parseKey(keyRow('old').key_blob)), nonce: Buffer.from(nonce, 'hex'), pcrValues: sha1 }).ok).to.equal(true);
    const v = oldChallenger.verify('old', bundle, nonce);
    expect(codes(v)).to.deep.equal(['AK_SCHEME_UNSAFE']);
    expect(v.findings[0]!.message).to.match(/does not state the key's TPM 1.2 signature scheme.*Fix: start the vTPM again/);
    expect(() => verifier.enrolTpm12('old', manager.get('old').ekCertificatePem, legacy.cert)).to.throw(/does not state the key's TPM 1.2 signature scheme/);
  });

  it('a failure before the new key is stored leaves the old key in place and usable', async () => {
    // A real SQLite failure at the store step, after the new key was made and certified.
    manager.db.exec("CREATE TEMP TRIGGER t12_fail BEFORE UPDATE ON vtpm_tpm12 BEGIN SELECT RAISE(ABORT, 'disk gone before the new key was stored'); END");
    try {
      await manager.stop('old');
      await manager.start('old');
    } finally {
      manager.db.exec('DROP TRIGGER t12_fail');
    }
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/^vTPM old: could not replace its TPM_SS_RSASSAPKCS1v15_SHA1 quote key: .*disk gone before the new key was stored; it keeps its old key/);
    // Both tables as before: the vtpm row's update went with the failed one.
    expect(manager.get('old').akPublic.equals(legacy.key)).to.equal(true);
    expect(keyRow('old').ak_cert).to.equal(legacy.cert);
    const { nonce, bundle } = await quote('old', oldChallenger);
    expect(bundle.akCertificate).to.equal(legacy.cert);
    const sha1 = parsePcrValues(bundle.pcrValues).get(TPM_ALG.SHA1)!;
    expect(verifyTpm12Quote({ quoteInfo: Buffer.from(bundle.quote, 'base64'), signature: Buffer.from(bundle.signature, 'base64'), aikPublic: tpm12PublicKey(parseKey(keyRow('old').key_blob)), nonce: Buffer.from(nonce, 'hex'), pcrValues: sha1 }).ok).to.equal(true);
    // The same power-on does not try again at every quote.
    expect(lines).to.have.length(1);
    const measurer = new Measurer(manager);
    await measurer.boot('old', root, [{ pcr: 4, path: '/bin/app' }]);
    await measurer.execute('old', root, '/bin/app');
  });

  it('after a host restart the vTPM holds a new _INFO key, certified as such; its PCRs and log carry on', async () => {
    const pcr10 = (await manager.pcrs('old').read([10])).get(TPM_ALG.SHA1)!.get(10)!;
    await manager.close();
    const recovery = await open();
    expect(recovery.restarted).to.deep.equal([{ id: 'old', resumed: true }]);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/^vTPM old: quote key [0-9a-f]{16} of scheme TPM_SS_RSASSAPKCS1v15_SHA1 \(TPM_Sign can forge quotes with it\) replaced by a new TPM_SS_RSASSAPKCS1v15_INFO key [0-9a-f]{16}, certified by the vTPM CA/);
    const info = manager.get('old');
    const key = parseKey(keyRow('old').key_blob);
    expect(key.parms.sigScheme).to.equal(TPM12_SS.RSASSAPKCS1v15_INFO);
    expect(info.akPublic.equals(legacy.key)).to.equal(false);
    expect(info.akPublic.equals(marshalPubKey(key))).to.equal(true);
    const cert = new X509Certificate(info.akCertificatePem!);
    expect(readTpm12KeyAttributes(cert.raw)?.parms.sigScheme).to.equal(TPM12_SS.RSASSAPKCS1v15_INFO);
    expect(spki(cert.publicKey).equals(spki(akPublicKeyOf(info)))).to.equal(true);
    expect(cert.verify(manager.vtpmCa.certificate.publicKey)).to.equal(true);
    expect((await manager.pcrs('old').read([10])).get(TPM_ALG.SHA1)!.get(10)!.equals(pcr10)).to.equal(true);
    expect(manager.log.count('old')).to.equal(2);
  });

  it('the challenger accepts the new key, and refuses the old certificate', async () => {
    const info = manager.get('old');
    expect(verifier.enrolTpm12('old', info.ekCertificatePem, info.akCertificatePem!).akSpki.equals(spki(akPublicKeyOf(info)))).to.equal(true);
    const { nonce, bundle } = await quote('old', verifier);
    expect(bundle.akCertificate).to.equal(info.akCertificatePem);
    const v = verifier.verify('old', bundle, nonce);
    expect(v.findings).to.deep.equal([]);
    expect(v.status).to.equal('trusted');
    // The challenger that had enrolled the _SHA1 key takes the new one from its certificate.
    const q2 = await quote('old', oldChallenger);
    expect(oldChallenger.verify('old', q2.bundle, q2.nonce).findings).to.deep.equal([]);
    expect(oldStore.enrolment('old')!.akSpki.equals(spki(akPublicKeyOf(info)))).to.equal(true);
    // The old certificate stays refused, for enrolment and with a quote.
    expect(() => new Verifier({ anchors: [{ pem: manager.vtpmCa.certificatePem, kind: 'virtual' }] }).enrolTpm12('old', info.ekCertificatePem, legacy.cert)).to.throw(/does not state the key's TPM 1.2 signature scheme/);
    const q3 = await quote('old', verifier);
    expect(codes(verifier.verify('old', { ...q3.bundle, akCertificate: legacy.cert }, q3.nonce))).to.deep.equal(['AK_SCHEME_UNSAFE']);
  });

  it('renews nothing when the key is already right; an _INFO key certified without the statement is certified again', async () => {
    const before = keyRow('old');
    await manager.stop('old');
    await manager.start('old');
    expect(lines).to.have.length(1);
    expect(keyRow('old')).to.deep.equal(before);
    // A vTPM made after the _INFO change but before certificates stated it.
    const info = manager.get('old');
    const unstated = quoteKeyCertificate({ caPem: manager.vtpmCa.certificatePem, caKeyPem: vtpmCaKeyPem(stateDir), key: akPublicKeyOf(info), ek: ekPublicKeyOf(info), tpmName: 'host-old/old' });
    manager.db.prepare('UPDATE vtpm_tpm12 SET ak_cert = ? WHERE vtpm_id = ?').run(unstated, 'old');
    await manager.stop('old');
    await manager.start('old');
    expect(lines[1]).to.match(/^vTPM old: quote key [0-9a-f]{16} \(TPM_SS_RSASSAPKCS1v15_INFO\) certified again, now stating its scheme/);
    const after = keyRow('old');
    expect(after.key_blob.equals(before.key_blob)).to.equal(true);
    expect(after.key_auth.equals(before.key_auth)).to.equal(true);
    expect(after.ak_cert).to.not.equal(unstated);
    expect(readTpm12KeyAttributes(new X509Certificate(after.ak_cert).raw)?.parms.sigScheme).to.equal(TPM12_SS.RSASSAPKCS1v15_INFO);
  });

  it('the vTPM CA certifies only what the vTPM reports, and only an _INFO key', async () => {
    const tpm = manager.client12('old');
    const { owner_auth: ownerAuth } = keyRow('old');
    const keyAuth = randomBytes(20);
    const sha1Key = await tpm.createWrapKey(TPM12_KH.SRK, WELL_KNOWN_SECRET, signingKeyTemplate(TPM12_SS.RSASSAPKCS1v15_SHA1), keyAuth);
    const reading = await Tpm12KeyReading.read(tpm, sha1Key, keyAuth, ownerAuth);
    expect(reading.key.parms.sigScheme).to.equal(TPM12_SS.RSASSAPKCS1v15_SHA1);
    expect(() => manager.vtpmCa.issueQuoteKeyCertificate(reading, 'host-old/old')).to.throw(/signature scheme TPM_SS_RSASSAPKCS1v15_SHA1, whose TPM_Sign can forge a quote: only TPM_SS_RSASSAPKCS1v15_INFO keys are certified/);
    // A blob whose scheme was rewritten outside the TPM does not load: the TPM checks its public part.
    const edited = { ...sha1Key, parms: { ...sha1Key.parms, sigScheme: TPM12_SS.RSASSAPKCS1v15_INFO } };
    const e = await Tpm12KeyReading.read(tpm, edited, keyAuth, ownerAuth).catch((x: unknown) => x);
    expect(isTvdcError(e, 'VTPM_FAILED')).to.equal(true);
    expect((e as Error).message).to.match(/^TPM_LoadKey2 failed/);
    // Nor is a caller's description of a key taken in place of a reading.
    const claimed = { key: { ...reading.key, parms: edited.parms }, keyUsage: reading.keyUsage, keyFlags: reading.keyFlags, ek: reading.ek } as unknown as Tpm12KeyReading;
    expect(() => manager.vtpmCa.issueQuoteKeyCertificate(claimed, 'host-old/old')).to.throw(/only from what its TPM reported/);
  });

  it('a vTPM that migrated with a _SHA1 key is renewed by the host whose CA certified its EK', async () => {
    await manager.create('mover', { family: 'tpm12' });
    await manager.start('mover');
    const moved = await makeLegacy('mover');
    const { manager: dst } = await VtpmManager.open({ stateDir: join(dir, 'dst'), hostName: 'host-new', log: (l) => void lines.push(`dst ${l}`) });
    try {
      const [pkg] = await manager.exportState('mover', [{ recipient: dst.migrationKey.publicKey, purpose: 'migrate' }]);
      await manager.delete('mover');
      const arrived = await dst.importState(pkg!, manager.migrationKey.publicKey, 'mover');
      expect(arrived.running).to.equal(true);
      // The destination's CA did not certify this EK, so a certificate from it would not be taken.
      expect(lines.at(-1)).to.match(/^dst vTPM mover: its quote key \(TPM_SS_RSASSAPKCS1v15_SHA1\) needs replacing, but its EK certificate comes from another host's vTPM CA \("CN=tvdc vTPM CA host-old.*migrate the vTPM to that host and start it there/);
      expect(arrived.akPublic.equals(moved.key)).to.equal(true);
      expect(arrived.akCertificatePem).to.equal(moved.cert);
      // Back on the host whose CA certified its EK, the import renews it.
      const [back] = await dst.exportState('mover', [{ recipient: manager.migrationKey.publicKey, purpose: 'migrate' }]);
      await dst.delete('mover');
      const home = await manager.importState(back!, dst.migrationKey.publicKey, 'mover');
      expect(lines.at(-1)).to.match(/^vTPM mover: quote key .* of scheme TPM_SS_RSASSAPKCS1v15_SHA1 .* replaced by a new TPM_SS_RSASSAPKCS1v15_INFO key/);
      expect(home.akPublic.equals(moved.key)).to.equal(false);
      expect(parseKey(keyRow('mover').key_blob).parms.sigScheme).to.equal(TPM12_SS.RSASSAPKCS1v15_INFO);
      expect(verifier.enrolTpm12('mover', home.ekCertificatePem, home.akCertificatePem!).family).to.equal('tpm12');
      // A VM's list must open with its boot_aggregate for a quote to be trusted.
      await new Measurer(manager).boot('mover', root, []);
      const { nonce, bundle } = await quote('mover', verifier);
      expect(verifier.verify('mover', bundle, nonce).findings).to.deep.equal([]);
    } finally {
      await dst.close();
    }
  });

  it('a vTPM exactly as the earlier tvdc made it (no EK certificate in NV, _SHA1 key) gets both when it starts', async () => {
    // What the earlier create did, step by step, against a real swtpm in the manager's instance dir.
    const sw = await SwtpmProcess.start({ stateDir: join(stateDir, 'vtpm', 'instances', 'elder'), mode: 'fresh', family: 'tpm12' });
    const tpm = sw.tpm12;
    await tpm.enableAndActivate();
    await sw.control.init();
    await tpm.startup('clear');
    const ek = await tpm.createEndorsementKeyPair();
    const ownerAuth = randomBytes(20);
    await tpm.takeOwnership(ek, ownerAuth, WELL_KNOWN_SECRET);
    const keyAuth = randomBytes(20);
    const key = await tpm.createWrapKey(TPM12_KH.SRK, WELL_KNOWN_SECRET, signingKeyTemplate(TPM12_SS.RSASSAPKCS1v15_SHA1), keyAuth);
    expect(await tpm.nvReadValue(TPM12_NV_INDEX.EK_CERT, 0, 1).catch((e: Tpm12Error) => e.rcName)).to.equal('TPM_BADINDEX');
    await sw.shutdown();
    const ekCert = manager.vtpmCa.issueEkCertificate(tpm12PublicKey(ek), 'host-old/elder');
    const akCert = quoteKeyCertificate({ caPem: manager.vtpmCa.certificatePem, caKeyPem: vtpmCaKeyPem(stateDir), key: tpm12PublicKey(key), ek: tpm12PublicKey(ek), tpmName: 'host-old/elder' });
    manager.db.transaction(() => {
      manager.db.prepare("INSERT INTO vtpm (id, kind, family, ak_kind, desired, ek_public, ek_cert, ak_public, created_at) VALUES ('elder', 'vm', 'tpm12', 'rsa', 'stopped', ?, ?, ?, ?)").run(marshalPubKey(ek), ekCert, marshalPubKey(key), new Date().toISOString());
      manager.db.prepare("INSERT INTO vtpm_tpm12 (vtpm_id, owner_auth, key_auth, key_blob, ak_cert) VALUES ('elder', ?, ?, ?, ?)").run(ownerAuth, keyAuth, marshalKey(key), akCert);
    })();
    const before = lines.length;
    await manager.start('elder');
    expect(lines.slice(before)).to.have.length(2);
    expect(lines[before]).to.equal('vTPM elder: EK certificate written to NV index 0x1000f000 (TPM_NV_INDEX_EKCert), where TCG software looks for it; NV is now locked');
    expect(lines[before + 1]).to.match(/^vTPM elder: quote key [0-9a-f]{16} of scheme TPM_SS_RSASSAPKCS1v15_SHA1 .* replaced by a new TPM_SS_RSASSAPKCS1v15_INFO key/);
    expect(await manager.readEkCertificateFromNv('elder')).to.equal(ekCert);
    const info = manager.get('elder');
    expect(info.akPublic.equals(marshalPubKey(key))).to.equal(false);
    verifier.enrolTpm12('elder', info.ekCertificatePem, info.akCertificatePem!);
    await new Measurer(manager).boot('elder', root, []);
    const { nonce, bundle } = await quote('elder', verifier);
    expect(verifier.verify('elder', bundle, nonce).findings).to.deep.equal([]);
    // The next power-on finds both in place and does nothing.
    await manager.stop('elder');
    await manager.start('elder');
    expect(lines.slice(before)).to.have.length(2);
  });
});
