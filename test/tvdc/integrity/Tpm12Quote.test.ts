import { expect } from 'chai';
import { constants, generateKeyPairSync, hash, sign } from 'node:crypto';
import { parseTpm12QuoteInfo, tpm12Composite, verifyTpm12Quote } from '../../../src/tvdc/integrity/Tpm12Quote.js';
import { IntegrityError } from '../../../src/tvdc/integrity/IntegrityError.js';

// No TPM 1.2 is available to the tests, so the quotes are assembled byte by byte from the
// TPM 1.2 Main Part 2 structures and signed the way a TPM 1.2 AIK signs (RSASSA-PKCS1-v1_5, SHA-1).
describe('integrity: TPM 1.2 quotes (TPM_QUOTE_INFO / TPM_QUOTE_INFO2)', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const pcrs = new Map<number, Buffer>([
    [0, Buffer.alloc(20, 0x11)],
    [10, Buffer.from(hash('sha1', 'ima', 'hex'), 'hex')],
  ]);
  const nonce = Buffer.alloc(20, 0x42);

  function quoteInfo(values: Map<number, Buffer>, externalData: Buffer): Buffer {
    return Buffer.concat([Buffer.from([1, 1, 0, 0]), Buffer.from('QUOT'), tpm12Composite(values).digest, externalData]);
  }

  it('builds the TPM_PCR_COMPOSITE as the specification lays it out', () => {
    const c = tpm12Composite(pcrs).composite;
    expect(c.subarray(0, 5).toString('hex')).to.equal('0003010400'); // sizeOfSelect 3, PCR0 (byte 0 bit 0) and PCR10 (byte 1 bit 2)
    expect(c.readUInt32BE(5)).to.equal(40);
  });

  it('verifies a QUOT quote and catches a wrong nonce, changed PCRs and a forged signature', () => {
    const info = quoteInfo(pcrs, nonce);
    expect(parseTpm12QuoteInfo(info)).to.include({ kind: 'QUOT' });
    const signature = sign('sha1', info, { key: privateKey, padding: constants.RSA_PKCS1_PADDING });
    expect(verifyTpm12Quote({ quoteInfo: info, signature, aikPublic: publicKey, nonce, pcrValues: pcrs })).to.deep.equal({ ok: true, findings: [] });
    const codes = (r: { findings: { code: string }[] }) => r.findings.map((f) => f.code);
    expect(codes(verifyTpm12Quote({ quoteInfo: info, signature, aikPublic: publicKey, nonce: Buffer.alloc(20), pcrValues: pcrs }))).to.deep.equal(['NONCE_MISMATCH']);
    const changed = new Map(pcrs).set(10, Buffer.alloc(20, 1));
    expect(codes(verifyTpm12Quote({ quoteInfo: info, signature, aikPublic: publicKey, nonce, pcrValues: changed }))).to.deep.equal(['PCR_DIGEST_MISMATCH']);
    const forged = Buffer.from(signature);
    forged[3]! ^= 1;
    expect(codes(verifyTpm12Quote({ quoteInfo: info, signature: forged, aikPublic: publicKey, nonce, pcrValues: pcrs }))).to.deep.equal(['SIGNATURE_INVALID']);
  });

  it('verifies a QUT2 quote over the selected PCRs', () => {
    const sel = new Map([[10, pcrs.get(10)!]]);
    const bitmap = Buffer.from([0x00, 0x04, 0x00]);
    const info = Buffer.concat([Buffer.from([0x00, 0x36]), Buffer.from('QUT2'), nonce, Buffer.from([0x00, 0x03]), bitmap, Buffer.from([0x01]), tpm12Composite(sel).digest]);
    expect(parseTpm12QuoteInfo(info)).to.deep.include({ kind: 'QUT2', pcrs: [10] });
    const signature = sign('sha1', info, { key: privateKey, padding: constants.RSA_PKCS1_PADDING });
    expect(verifyTpm12Quote({ quoteInfo: info, signature, aikPublic: publicKey, nonce, pcrValues: pcrs }).ok).to.equal(true);
  });

  it('rejects structures that are neither', () => {
    expect(() => parseTpm12QuoteInfo(Buffer.from('0101000051554f54', 'hex'))).to.throw(IntegrityError, /TPM 1.2 quote/);
    const r = verifyTpm12Quote({ quoteInfo: Buffer.alloc(10), signature: Buffer.alloc(128), aikPublic: publicKey, nonce, pcrValues: pcrs });
    expect(r.findings[0]!.code).to.equal('QUOTE_FORMAT');
  });
});
