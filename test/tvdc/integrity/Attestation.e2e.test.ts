import { expect } from 'chai';
import { generateKeyPairSync, hash, sign } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { isTvdcError } from '../../../src/tvdc/TvdcError.js';
import { join } from 'node:path';
import { VtpmManager } from '../../../src/tvdc/vtpm/VtpmManager.js';
import { Measurer, type BootComponent } from '../../../src/tvdc/vtpm/Measurer.js';
import { Attestor } from '../../../src/tvdc/vtpm/Attestor.js';
import { TpmWriter } from '../../../src/tvdc/vtpm/TpmBuffer.js';
import { TPM_ALG } from '../../../src/tvdc/vtpm/TpmConstants.js';
import { Verifier } from '../../../src/tvdc/integrity/Verifier.js';
import { SqliteVerifierStore } from '../../../src/tvdc/integrity/VerifierStore.js';
import { openStore, type Db } from '../../../src/store/Store.js';
import { ReferenceSet } from '../../../src/tvdc/integrity/ReferenceSet.js';
import { imageBootEntries } from '../../../src/tvdc/integrity/BootAggregate.js';
import { encodeTemplateData } from '../../../src/tvdc/integrity/ImaEntry.js';
import { parseImaLog } from '../../../src/tvdc/integrity/ImaLogParser.js';
import type { QuoteBundle } from '../../../src/tvdc/integrity/QuoteBundle.js';
import { cleanup, tempDir } from '../vtpm/swtpmHelpers.js';
import { fixture } from './fixtures.js';

const BOOT: BootComponent[] = [
  { pcr: 0, path: '/firmware/bios.bin' },
  { pcr: 4, path: '/boot/vmlinuz' },
  { pcr: 5, path: '/boot/grub.cfg' },
  { pcr: 9, path: '/boot/initrd.img' },
];

/** A VM image: boot files and programs, each with distinct content. */
function makeRoot(dir: string, files: string[]): void {
  for (const f of files) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), `contents of ${f}\n`);
  }
}

/** References scanned from the image in a trusted environment (sha256 of each file). */
function scan(root: string, files: string[]): ReferenceSet {
  const refs = new ReferenceSet();
  for (const f of files) refs.add(f, { digest: hash('sha256', readFileSync(join(root, f)), 'hex'), annotation: 'trusted' });
  return refs;
}

const codes = (v: { findings: { code: string }[] }) => v.findings.map((f) => f.code);

describe('integrity: end to end with a real swtpm', function () {
  this.timeout(60_000);
  let dir: string;
  let manager: VtpmManager;
  let measurer: Measurer;
  let attestor: Attestor;
  let verifier: Verifier;
  let verifierDb: Db;
  let refs: ReferenceSet;
  let root: string;
  let trusted: { bundle: QuoteBundle; nonce: string };
  const programs = ['/bin/sh', '/usr/bin/app', '/usr/bin/later'];

  before(async () => {
    dir = tempDir('e2e');
    root = join(dir, 'vm1-root');
    makeRoot(root, [...BOOT.map((b) => b.path), ...programs, '/usr/bin/unknown', '/usr/bin/evil']);
    ({ manager } = await VtpmManager.open({ stateDir: join(dir, 'host'), hostName: 'host-a' }));
    measurer = new Measurer(manager);
    attestor = new Attestor(manager);
    refs = scan(root, programs);
    // The image is clean: its boot_aggregates, as its host measures its boot, are known good.
    for (const e of imageBootEntries(root)) refs.add(e.path, { digest: e.digest, annotation: 'trusted' });
    refs.add('/usr/bin/evil', { digest: hash('sha256', readFileSync(join(root, '/usr/bin/evil')), 'hex'), annotation: 'malicious', note: 'cryptominer' });
    verifierDb = openStore(join(dir, 'server', 'verifier.db'));
    verifier = new Verifier({ anchors: [{ pem: manager.vtpmCa.certificatePem, kind: 'virtual' }], references: refs, store: new SqliteVerifierStore(verifierDb) });
    const info = await manager.create('vm1');
    expect(info.ekCertificatePem).to.include('BEGIN CERTIFICATE');
    await manager.start('vm1');
    await measurer.boot('vm1', root, BOOT);
    await measurer.execute('vm1', root, '/bin/sh');
    await measurer.execute('vm1', root, '/usr/bin/app');
    const ch = verifier.beginEnrolment('vm1', info.ekCertificatePem, attestor.akPublicArea('vm1'));
    verifier.finishEnrolment('vm1', await attestor.activateCredential('vm1', ch.credentialBlob, ch.secret));
  });
  after(async () => {
    verifierDb?.close();
    await manager?.close();
    await cleanup(dir);
  });

  it('boots, measures and quotes with a fresh nonce: trusted, from a virtual TPM', async () => {
    const nonce = verifier.newNonce('vm1');
    const bundle = await attestor.getQuote('vm1', { nonce });
    expect(bundle.logEntries).to.have.length(3);
    expect(bundle.logEntries[0]).to.match(/^10 [0-9a-f]{40} ima-ng sha256:[0-9a-f]{64} boot_aggregate$/);
    expect(bundle.pcrValues).to.include.members([bundle.pcrValues.find((p) => p.startsWith('sha256:10:'))!]);
    expect(bundle.pcrValues.filter((p) => p.startsWith('sha256:'))).to.have.length(11);
    const v = verifier.verify('vm1', bundle, nonce);
    expect(v.findings).to.deep.equal([]);
    expect(v.status).to.equal('trusted');
    expect(v.virtualTpm).to.equal(true);
    expect(v.nextIndex).to.equal(3);
    trusted = { bundle, nonce };
  });

  it('the EK certificate in NV is the one the vTPM CA issued', async () => {
    expect(await manager.readEkCertificateFromNv('vm1')).to.equal(manager.get('vm1').ekCertificatePem.replace(/\r/g, ''));
  });

  it('catches a quote made over another nonce', async () => {
    const nonce = verifier.newNonce('vm1');
    const bundle = await attestor.getQuote('vm1', { nonce: 'ab'.repeat(20) });
    const v = verifier.verify('vm1', bundle, nonce);
    expect(v.status).to.equal('untrusted');
    expect(codes(v)).to.deep.equal(['NONCE_MISMATCH']);
  });

  it('catches a replayed old quote', () => {
    const nonce = verifier.newNonce('vm1');
    const v = verifier.verify('vm1', trusted.bundle, nonce);
    expect(codes(v)).to.deep.equal(['QUOTE_REPLAYED']);
    // And the old nonce itself cannot be presented twice.
    expect(codes(verifier.verify('vm1', trusted.bundle, trusted.nonce))).to.include('QUOTE_REPLAYED');
  });

  async function fresh(): Promise<{ nonce: string; bundle: QuoteBundle }> {
    const nonce = verifier.newNonce('vm1');
    return { nonce, bundle: await attestor.getQuote('vm1', { nonce }) };
  }

  it('catches one log entry altered, naming it', async () => {
    const { nonce, bundle } = await fresh();
    bundle.logEntries[2] = bundle.logEntries[2]!.replace('/usr/bin/app', '/usr/bin/apq');
    const v = verifier.verify('vm1', bundle, nonce);
    expect(v.status).to.equal('untrusted');
    expect(v.findings[0]).to.deep.include({ code: 'TEMPLATE_HASH_MISMATCH', index: 2, path: '/usr/bin/apq' });
  });

  it('catches a truncated log', async () => {
    const { nonce, bundle } = await fresh();
    bundle.logEntries.pop();
    const v = verifier.verify('vm1', bundle, nonce);
    expect(codes(v)).to.deep.equal(['LOG_REPLAY_MISMATCH']);
    expect(v.findings[0]!.message).to.match(/truncated/);
  });

  it('catches an inserted entry (with a correct template hash), naming where', async () => {
    const { nonce, bundle } = await fresh();
    const digest = hash('sha256', 'rootkit', 'hex');
    const th = hash('sha1', encodeTemplateData('ima-ng', 'sha256', digest, '/usr/bin/app'), 'hex');
    bundle.logEntries.push(`10 ${th} ima-ng sha256:${digest} /usr/bin/app`);
    const v = verifier.verify('vm1', bundle, nonce);
    expect(codes(v)).to.include('LOG_REPLAY_MISMATCH');
    expect(v.findings.find((f) => f.code === 'LOG_REPLAY_MISMATCH')).to.deep.include({ index: 3 });
  });

  it('catches a forged signature', async () => {
    const { nonce, bundle } = await fresh();
    const sig = Buffer.from(bundle.signature, 'base64');
    sig[sig.length - 1]! ^= 0xff;
    bundle.signature = sig.toString('base64');
    expect(codes(verifier.verify('vm1', bundle, nonce))).to.deep.equal(['SIGNATURE_INVALID']);
  });

  it('catches an AK the EK never certified, even when its signature is good', async () => {
    const { nonce, bundle } = await fresh();
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const attest = Buffer.from(bundle.quote, 'base64');
    const s = sign('sha256', attest, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    bundle.signature = new TpmWriter().u16(TPM_ALG.ECDSA).u16(TPM_ALG.SHA256).sized(s.subarray(0, 32)).sized(s.subarray(32)).toBuffer().toString('base64');
    bundle.akPublic = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const v = verifier.verify('vm1', bundle, nonce);
    expect(codes(v)).to.deep.equal(['AK_NOT_BOUND']);
  });

  it('refuses to enrol an AK with an EK certificate from an untrusted CA', () => {
    const other = new Verifier({ anchors: [{ pem: manager.platformCa.certificatePem, kind: 'hardware' }] });
    expect(() => other.beginEnrolment('vm1', manager.get('vm1').ekCertificatePem, attestor.akPublicArea('vm1'))).to.throw(/does not chain to a trusted TPM CA/);
    const ch = verifier.beginEnrolment('vmX', manager.get('vm1').ekCertificatePem, attestor.akPublicArea('vm1'));
    expect(() => verifier.finishEnrolment('vmX', Buffer.alloc(32))).to.throw(/did not recover the credential/);
    expect(ch.secret.length).to.equal(256);
  });

  it('verifies incrementally from the last verified entry', async () => {
    await measurer.execute('vm1', root, '/usr/bin/later');
    const nonce = verifier.newNonce('vm1');
    const bundle = await attestor.getQuote('vm1', { nonce, fromIndex: 3 });
    expect(bundle.logIndex).to.equal(3);
    expect(bundle.logEntries).to.have.length(1);
    const v = verifier.verify('vm1', bundle, nonce);
    expect(v.findings).to.deep.equal([]);
    expect(v.nextIndex).to.equal(4);
    // A batch that skips entries is a gap.
    const n2 = verifier.newNonce('vm1');
    const b2 = await attestor.getQuote('vm1', { nonce: n2, fromIndex: 2 });
    expect(codes(verifier.verify('vm1', b2, n2))).to.deep.equal(['LOG_GAP']);
  });

  it('refuses to measure outside the VM root, and answers malformed GetQuote results with QUOTE_FORMAT', async () => {
    symlinkSync('/etc/hostname', join(root, 'usr', 'bin', 'escape'));
    for (const p of ['/../../etc/hostname', '/usr/bin/escape', '/no/such/file']) {
      const e = await measurer.execute('vm1', root, p).catch((x: unknown) => x);
      expect(isTvdcError(e), p).to.equal(true);
    }
    expect(manager.log.count('vm1')).to.equal(4);
    const nonce = verifier.newNonce('vm1');
    expect(codes(verifier.verify('vm1', {} as QuoteBundle, nonce))).to.deep.equal(['QUOTE_FORMAT']);
    const bundle = await attestor.getQuote('vm1', { nonce: verifier.newNonce('vm1'), fromIndex: 4 });
    expect(codes(verifier.verify('vm1', { ...bundle, logEntries: [42] } as unknown as QuoteBundle, nonce))).to.deep.equal(['QUOTE_FORMAT']);
    expect(codes(verifier.verify('vm1', { ...bundle, quote: 'not base64!' }, nonce))).to.deep.equal(['QUOTE_FORMAT']);
    expect(codes(verifier.verify('vm1', bundle, 'zz'))).to.deep.equal(['NONCE_MISMATCH']);
  });

  it('reports an unknown binary by name: unknown', async () => {
    await measurer.execute('vm1', root, '/usr/bin/unknown');
    const nonce = verifier.newNonce('vm1');
    const v = verifier.verify('vm1', await attestor.getQuote('vm1', { nonce, fromIndex: 4 }), nonce);
    expect(v.status).to.equal('unknown');
    expect(v.findings).to.have.length(1);
    expect(v.findings[0]).to.deep.include({ code: 'ENTRY_UNKNOWN', index: 4, path: '/usr/bin/unknown' });
  });

  it('reports a binary annotated malicious: untrusted, naming it and why', async () => {
    await measurer.execute('vm1', root, '/usr/bin/evil');
    const nonce = verifier.newNonce('vm1');
    const v = verifier.verify('vm1', await attestor.getQuote('vm1', { nonce, fromIndex: 5 }), nonce);
    expect(v.status).to.equal('untrusted');
    const f = v.findings.find((x) => x.code === 'ENTRY_UNTRUSTED')!;
    expect(f).to.deep.include({ index: 5, path: '/usr/bin/evil' });
    expect(f.message).to.match(/malicious: cryptominer/);
    // The unknown binary of the earlier batch is still reported: it ran in this boot.
    expect(v.findings.map((x) => x.path)).to.include('/usr/bin/unknown');
  });

  it('a restarted verifier (SQLite store) still knows the AK and still refuses used nonces', async () => {
    const again = new Verifier({ anchors: [{ pem: manager.vtpmCa.certificatePem, kind: 'virtual' }], references: refs, store: new SqliteVerifierStore(openStore(join(dir, 'server', 'verifier.db'))) });
    expect(again.enrolment('vm1')?.virtualTpm).to.equal(true);
    expect(codes(again.verify('vm1', trusted.bundle, trusted.nonce))).to.include('QUOTE_REPLAYED');
    const nonce = again.newNonce('vm1');
    const v = again.verify('vm1', await attestor.getQuote('vm1', { nonce, fromIndex: 6 }), nonce);
    expect(v.nextIndex).to.equal(6);
    expect(codes(v).filter((c) => c !== 'ENTRY_UNKNOWN' && c !== 'ENTRY_UNTRUSTED')).to.deep.equal([]);
    expect(v.findings.map((f) => f.path)).to.include.members(['/usr/bin/unknown', '/usr/bin/evil']);
  });

  it('attests the host through its stand-in hardware TPM with an imported real IMA log', async () => {
    await manager.create('host-tpm', { kind: 'host' });
    await manager.start('host-tpm');
    const entries = parseImaLog(readFileSync(fixture('rust-keylime-ascii_runtime_measurements'))).entries;
    expect(await measurer.importLog('host-tpm', entries)).to.equal(826);
    const hostVerifier = new Verifier({ anchors: [{ pem: manager.platformCa.certificatePem, kind: 'hardware' }], bank: 'sha1' });
    const ch = hostVerifier.beginEnrolment('host', manager.get('host-tpm').ekCertificatePem, attestor.akPublicArea('host-tpm'));
    hostVerifier.finishEnrolment('host', await attestor.activateCredential('host-tpm', ch.credentialBlob, ch.secret));
    const nonce = hostVerifier.newNonce('host');
    const bundle = await attestor.getQuote('host-tpm', { nonce, pcrs: [10] });
    expect(bundle.pcrValues).to.include('sha1:10:82231c67a69da98dc5b3aa10f6343d33109225fc');
    const v = hostVerifier.verify('host', bundle, nonce);
    expect(v.findings).to.deep.equal([]);
    expect(v.virtualTpm).to.equal(false);
  });
});
