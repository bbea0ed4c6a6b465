import { expect } from 'chai';
import { constants, createHash, randomBytes, verify } from 'node:crypto';
import { SwtpmProcess } from '../../../src/tvdc/vtpm/SwtpmProcess.js';
import { Tpm12, WELL_KNOWN_SECRET } from '../../../src/tvdc/vtpm/Tpm12.js';
import { TPM12_KH, TPM12_RT, TPM12_SS } from '../../../src/tvdc/vtpm/Tpm12Constants.js';
import { signingKeyTemplate, tpm12PublicKey, type Tpm12Key } from '../../../src/tvdc/vtpm/Tpm12Key.js';
import { tpm12Composite, verifyTpm12Quote } from '../../../src/tvdc/integrity/Tpm12Quote.js';
import { cleanup, tempDir } from './swtpmHelpers.js';

// Whoever holds a quote key's usage auth can call TPM_Sign with it. These tests show, on a real
// swtpm, that this forges a TPM 1.2 quote with a TPM_SS_RSASSAPKCS1v15_SHA1 key and cannot with
// the TPM_SS_RSASSAPKCS1v15_INFO key tvdc creates.
describe('vtpm: TPM 1.2 quote key signature scheme against a real swtpm', function () {
  let dir: string;
  let sw: SwtpmProcess;
  let tpm: Tpm12;
  const keyAuth = randomBytes(20);

  before(async () => {
    dir = tempDir('tpm12-sign');
    sw = await SwtpmProcess.start({ stateDir: dir, mode: 'fresh', family: 'tpm12' });
    tpm = sw.tpm12;
    await tpm.enableAndActivate();
    await sw.control.init();
    await tpm.startup('clear');
    const ek = await tpm.createEndorsementKeyPair();
    await tpm.takeOwnership(ek, randomBytes(20), WELL_KNOWN_SECRET);
  });
  after(async () => {
    await sw?.shutdown();
    await cleanup(dir);
  });

  /** Loads `key`, runs `fn` with its handle, flushes it. */
  async function withKey<T>(key: Tpm12Key, fn: (handle: number) => Promise<T>): Promise<T> {
    const handle = await tpm.loadKey2(TPM12_KH.SRK, key, { session: await tpm.oiap(), entityAuth: WELL_KNOWN_SECRET });
    try {
      return await fn(handle);
    } finally {
      await tpm.flushSpecific(handle, TPM12_RT.KEY);
    }
  }

  /** A TPM_QUOTE_INFO for PCR values the TPM never held, with the challenger's nonce. */
  function fabricatedQuote(nonce: Buffer): { quoteInfo: Buffer; pcrValues: Map<number, Buffer> } {
    const pcrValues = new Map([[10, createHash('sha1').update('a clean system').digest()]]);
    const quoteInfo = Buffer.concat([Buffer.from([1, 1, 0, 0]), Buffer.from('QUOT', 'latin1'), tpm12Composite(pcrValues).digest, nonce]);
    return { quoteInfo, pcrValues };
  }

  it('creates the quote key with TPM_SS_RSASSAPKCS1v15_INFO, and its TPM_Quote verifies', async () => {
    expect(signingKeyTemplate().parms.sigScheme).to.equal(TPM12_SS.RSASSAPKCS1v15_INFO);
    const key = await tpm.createWrapKey(TPM12_KH.SRK, WELL_KNOWN_SECRET, signingKeyTemplate(), keyAuth);
    expect(key.parms.sigScheme).to.equal(TPM12_SS.RSASSAPKCS1v15_INFO);
    const nonce = randomBytes(20);
    const q = await withKey(key, async (h) => tpm.quote(h, nonce, [0, 10], { session: await tpm.oiap(), entityAuth: keyAuth }));
    expect(verifyTpm12Quote({ quoteInfo: q.quoteInfo, signature: q.signature, aikPublic: tpm12PublicKey(key), nonce, pcrValues: q.pcrs })).to.deep.equal({ ok: true, findings: [] });
  });

  it('TPM_Sign with a SHA1-scheme key forges a quote the check accepts; with the INFO key it does not', async () => {
    const nonce = randomBytes(20);
    const { quoteInfo, pcrValues } = fabricatedQuote(nonce);
    const digest = createHash('sha1').update(quoteInfo).digest();

    // The old scheme: TPM_Sign signs the digest it is given, so the fabricated quote verifies.
    const sha1Key = await tpm.createWrapKey(TPM12_KH.SRK, WELL_KNOWN_SECRET, signingKeyTemplate(TPM12_SS.RSASSAPKCS1v15_SHA1), keyAuth);
    const forged = await withKey(sha1Key, async (h) => tpm.sign(h, digest, { session: await tpm.oiap(), entityAuth: keyAuth }));
    expect(verifyTpm12Quote({ quoteInfo, signature: forged, aikPublic: tpm12PublicKey(sha1Key), nonce, pcrValues })).to.deep.equal({ ok: true, findings: [] });

    // The INFO scheme: the TPM signs TPM_SIGN_INFO around the digest, never the digest itself.
    const infoKey = await tpm.createWrapKey(TPM12_KH.SRK, WELL_KNOWN_SECRET, signingKeyTemplate(), keyAuth);
    const nonceOdd = randomBytes(20);
    const sig = await withKey(infoKey, async (h) => tpm.sign(h, digest, { session: await tpm.oiap(), entityAuth: keyAuth, nonceOdd }));
    const result = verifyTpm12Quote({ quoteInfo, signature: sig, aikPublic: tpm12PublicKey(infoKey), nonce, pcrValues });
    expect(result.ok).to.equal(false);
    expect(result.findings.map((f) => f.code)).to.deep.equal(['SIGNATURE_INVALID']);
    // What it did sign: TPM_SIGN_INFO (tag 0x0005, "SIGN", the session's nonceOdd, the data).
    const signInfo = Buffer.concat([Buffer.from([0, 5]), Buffer.from('SIGN', 'latin1'), nonceOdd, Buffer.from([0, 0, 0, digest.length]), digest]);
    expect(verify('sha1', signInfo, { key: tpm12PublicKey(infoKey), padding: constants.RSA_PKCS1_PADDING }, sig)).to.equal(true);
  });

  it('an INFO key signs a whole fabricated TPM_QUOTE_INFO only inside TPM_SIGN_INFO too', async () => {
    const nonce = randomBytes(20);
    const { quoteInfo, pcrValues } = fabricatedQuote(nonce);
    const infoKey = await tpm.createWrapKey(TPM12_KH.SRK, WELL_KNOWN_SECRET, signingKeyTemplate(), keyAuth);
    const sig = await withKey(infoKey, async (h) => tpm.sign(h, quoteInfo, { session: await tpm.oiap(), entityAuth: keyAuth }));
    expect(verifyTpm12Quote({ quoteInfo, signature: sig, aikPublic: tpm12PublicKey(infoKey), nonce, pcrValues }).findings.map((f) => f.code)).to.deep.equal(['SIGNATURE_INVALID']);
  });
});
