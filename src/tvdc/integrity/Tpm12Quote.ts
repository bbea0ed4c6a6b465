// TPM 1.2 quotes (tvdc's TPM 1.2 vTPMs, older hosts): TPM_QUOTE_INFO ("QUOT", SHA-1 of the
// TPM_PCR_COMPOSITE) and TPM_QUOTE_INFO2 ("QUT2", TPM_PCR_INFO_SHORT), signed RSASSA-PKCS1-v1_5
// SHA-1 by the AIK or quote key.
import { createHash, verify, constants, type KeyObject } from 'node:crypto';
import { readTpm12PcrSelection, writeTpm12PcrSelection } from '../vtpm/Tpm12.js';
import { TpmReader, TpmWriter } from '../vtpm/TpmBuffer.js';
import { IntegrityError } from './IntegrityError.js';
import type { Finding } from './Verdict.js';

export interface Tpm12QuoteInfo {
  kind: 'QUOT' | 'QUT2';
  /** QUOT: SHA-1 of the PCR composite; QUT2: digestAtRelease. */
  compositeDigest: Buffer;
  externalData: Buffer;
  pcrs: number[];
}

export function parseTpm12QuoteInfo(buf: Buffer): Tpm12QuoteInfo {
  try {
    const r = new TpmReader(buf, 'TPM_QUOTE_INFO');
    if (buf.length === 48 && buf.subarray(4, 8).toString('latin1') === 'QUOT') {
      r.bytes(8);
      const compositeDigest = r.bytes(20);
      const externalData = r.bytes(20);
      return { kind: 'QUOT', compositeDigest, externalData, pcrs: [] };
    }
    const tag = r.u16();
    const fixed = r.bytes(4).toString('latin1');
    if (tag !== 0x0036 || fixed !== 'QUT2') throw new Error('neither QUOT nor QUT2');
    const externalData = r.bytes(20);
    const pcrs = readTpm12PcrSelection(r);
    r.u8(); // localityAtRelease
    const compositeDigest = r.bytes(20);
    r.end();
    return { kind: 'QUT2', compositeDigest, externalData, pcrs };
  } catch (e) {
    throw new IntegrityError('QUOTE_FORMAT', `TPM 1.2 quote: ${(e as Error).message}`);
  }
}

/**
 * The 20-byte externalData a TPM 1.2 quote carries for a challenge nonce: the nonce itself when
 * it is 20 bytes (as the Verifier issues them), otherwise its SHA-1.
 */
export function tpm12ExternalData(nonce: Buffer): Buffer {
  return nonce.length === 20 ? Buffer.from(nonce) : createHash('sha1').update(nonce).digest();
}

/** TPM_PCR_COMPOSITE over the given PCRs (index -> 20-byte value), and its SHA-1. */
export function tpm12Composite(pcrs: ReadonlyMap<number, Buffer>): { composite: Buffer; digest: Buffer } {
  const idx = [...pcrs.keys()].sort((a, b) => a - b);
  const values = Buffer.concat(idx.map((i) => pcrs.get(i)!));
  const composite = writeTpm12PcrSelection(new TpmWriter(), idx).u32(values.length).bytes(values).toBuffer();
  return { composite, digest: createHash('sha1').update(composite).digest() };
}

export function verifyTpm12Quote(input: { quoteInfo: Buffer; signature: Buffer; aikPublic: KeyObject; nonce: Buffer; pcrValues: ReadonlyMap<number, Buffer> }): { ok: boolean; findings: Finding[] } {
  const findings: Finding[] = [];
  let info: Tpm12QuoteInfo;
  try {
    info = parseTpm12QuoteInfo(input.quoteInfo);
  } catch (e) {
    return { ok: false, findings: [{ code: 'QUOTE_FORMAT', message: (e as Error).message }] };
  }
  let sigOk = false;
  try {
    sigOk = verify('sha1', input.quoteInfo, { key: input.aikPublic, padding: constants.RSA_PKCS1_PADDING }, input.signature);
  } catch {
    sigOk = false;
  }
  if (!sigOk) findings.push({ code: 'SIGNATURE_INVALID', message: 'the TPM 1.2 quote signature does not verify with the AIK' });
  if (!info.externalData.equals(input.nonce)) findings.push({ code: 'NONCE_MISMATCH', message: 'the quote nonce (externalData) is not the challenge nonce' });
  if (info.kind === 'QUOT') {
    if (!tpm12Composite(input.pcrValues).digest.equals(info.compositeDigest)) {
      findings.push({ code: 'PCR_DIGEST_MISMATCH', message: 'the reported PCR values do not hash to the quoted composite digest' });
    }
  } else {
    const sel = new Map([...input.pcrValues].filter(([k]) => info.pcrs.includes(k)));
    if (sel.size !== info.pcrs.length || !tpm12Composite(sel).digest.equals(info.compositeDigest)) {
      findings.push({ code: 'PCR_DIGEST_MISMATCH', message: 'the reported PCR values do not hash to digestAtRelease' });
    }
  }
  return { ok: findings.length === 0, findings };
}
