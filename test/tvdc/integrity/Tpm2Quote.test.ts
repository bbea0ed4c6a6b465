import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parsePublic, publicKeyOf } from '../../../src/tvdc/vtpm/TpmPublic.js';
import { TPM_ALG } from '../../../src/tvdc/vtpm/TpmConstants.js';
import { verifyTpm2Quote } from '../../../src/tvdc/integrity/Tpm2QuoteVerifier.js';
import { parseTpmsAttest } from '../../../src/tvdc/integrity/TpmsAttest.js';
import type { PcrValues } from '../../../src/tvdc/integrity/PcrValues.js';
import { fixture } from './fixtures.js';

interface GcpFixture {
  AK: { Public: string };
  Quote: { Quote: string; Signature: string };
  Log: { PCRs: { Index: number; Digest: string; DigestAlg: number }[] };
}

const gcp = JSON.parse(readFileSync(fixture('windows_gcp_shielded_vm.json'), 'utf8')) as GcpFixture;
const b64 = (s: string) => Buffer.from(s, 'base64');

function gcpPcrs(): PcrValues {
  const bank = new Map<number, Buffer>();
  for (const p of gcp.Log.PCRs) bank.set(p.Index, b64(p.Digest));
  return new Map([[TPM_ALG.SHA1, bank]]);
}

describe('integrity: TPM 2.0 quotes (GCP shielded VM fixture)', () => {
  const ak = publicKeyOf(parsePublic(b64(gcp.AK.Public)));

  it('parses TPMS_ATTEST: magic ff544347, type 8018, SHA-1 selection of PCR0..23', () => {
    const a = parseTpmsAttest(b64(gcp.Quote.Quote));
    expect(a.magic.toString(16)).to.equal('ff544347');
    expect(a.type.toString(16)).to.equal('8018');
    expect(a.quote!.pcrSelect).to.deep.equal([{ hashAlg: TPM_ALG.SHA1, pcrs: Array.from({ length: 24 }, (_, i) => i) }]);
  });

  it('verifies the RSASSA signature with the AK and SHA-1 over PCR0..23 equals pcrDigest', () => {
    const r = verifyTpm2Quote({ attest: b64(gcp.Quote.Quote), signature: b64(gcp.Quote.Signature), akPublic: ak, pcrValues: gcpPcrs() });
    expect(r.findings).to.deep.equal([]);
    expect(r.signatureValid).to.equal(true);
    expect(r.pcrDigestValid).to.equal(true);
    expect(r.ok).to.equal(true);
  });

  it('catches a flipped attest byte, a forged signature, a changed PCR and a wrong nonce', () => {
    const attest = b64(gcp.Quote.Quote);
    const tampered = Buffer.from(attest);
    tampered[tampered.length - 1]! ^= 1;
    expect(verifyTpm2Quote({ attest: tampered, signature: b64(gcp.Quote.Signature), akPublic: ak }).findings.map((f) => f.code)).to.include('SIGNATURE_INVALID');
    const sig = b64(gcp.Quote.Signature);
    sig[sig.length - 5]! ^= 0x40;
    expect(verifyTpm2Quote({ attest, signature: sig, akPublic: ak }).findings.map((f) => f.code)).to.deep.equal(['SIGNATURE_INVALID']);
    const pcrs = gcpPcrs();
    pcrs.get(TPM_ALG.SHA1)!.set(7, Buffer.alloc(20, 7));
    expect(verifyTpm2Quote({ attest, signature: b64(gcp.Quote.Signature), akPublic: ak, pcrValues: pcrs }).findings.map((f) => f.code)).to.deep.equal(['PCR_DIGEST_MISMATCH']);
    expect(verifyTpm2Quote({ attest, signature: b64(gcp.Quote.Signature), akPublic: ak, nonce: Buffer.from('fresh') }).findings.map((f) => f.code)).to.deep.equal(['NONCE_MISMATCH']);
  });

  it('answers garbage with QUOTE_FORMAT instead of throwing', () => {
    const r = verifyTpm2Quote({ attest: Buffer.from('ff5443', 'hex'), signature: b64(gcp.Quote.Signature), akPublic: ak });
    expect(r.ok).to.equal(false);
    expect(r.findings[0]!.code).to.equal('QUOTE_FORMAT');
  });
});
