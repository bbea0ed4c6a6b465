// Checks a TPM 2.0 quote: TPMS_ATTEST magic and type, the nonce in extraData, the signature by
// the AK, and that the reported PCR values hash to the quoted pcrDigest.
import type { KeyObject } from 'node:crypto';
import { TPM_ST } from '../vtpm/TpmConstants.js';
import type { PcrBankSelection } from '../vtpm/PcrSelection.js';
import { IntegrityError } from './IntegrityError.js';
import { pcrCompositeDigest, type PcrValues } from './PcrValues.js';
import { verifyTpmSignature } from './SignatureCheck.js';
import { TPM_GENERATED_VALUE, parseTpmsAttest, parseTpmtSignature, type TpmsAttest } from './TpmsAttest.js';
import type { Finding } from './Verdict.js';

export interface Tpm2QuoteInput {
  attest: Buffer;
  signature: Buffer;
  akPublic: KeyObject;
  /** The nonce the challenger sent; omitted only when checking a stored quote (fixtures). */
  nonce?: Buffer;
  pcrValues?: PcrValues;
  /** PCRs the quote must cover. */
  required?: readonly PcrBankSelection[];
}

export interface Tpm2QuoteResult {
  ok: boolean;
  findings: Finding[];
  attest?: TpmsAttest;
  signatureValid: boolean;
  /** Whether pcrValues hash to pcrDigest (undefined without pcrValues). */
  pcrDigestValid?: boolean;
}

export function verifyTpm2Quote(input: Tpm2QuoteInput): Tpm2QuoteResult {
  const findings: Finding[] = [];
  let attest: TpmsAttest;
  let sig;
  try {
    attest = parseTpmsAttest(input.attest);
    sig = parseTpmtSignature(input.signature);
  } catch (e) {
    if (!(e instanceof IntegrityError)) throw e;
    return { ok: false, findings: [{ code: 'QUOTE_FORMAT', message: e.message }], signatureValid: false };
  }
  const signatureValid = verifyTpmSignature(input.attest, sig, input.akPublic);
  if (!signatureValid) findings.push({ code: 'SIGNATURE_INVALID', message: 'the quote signature does not verify with the attestation key' });
  if (attest.magic !== TPM_GENERATED_VALUE) {
    findings.push({ code: 'QUOTE_MAGIC', message: `magic 0x${attest.magic.toString(16)} is not TPM_GENERATED_VALUE (0xff544347): not produced by a TPM` });
  }
  if (attest.type !== TPM_ST.ATTEST_QUOTE || !attest.quote) {
    findings.push({ code: 'QUOTE_TYPE', message: `attestation type 0x${attest.type.toString(16)} is not TPM_ST_ATTEST_QUOTE (0x8018)` });
  }
  if (input.nonce && !attest.extraData.equals(input.nonce)) {
    findings.push({ code: 'NONCE_MISMATCH', message: `quote nonce ${attest.extraData.toString('hex') || '(empty)'} is not the challenge nonce ${input.nonce.toString('hex')}` });
  }
  const result: Tpm2QuoteResult = { ok: false, findings, attest, signatureValid };
  if (attest.quote) {
    for (const req of input.required ?? []) {
      const got = attest.quote.pcrSelect.find((s) => s.hashAlg === req.hashAlg);
      const missing = req.pcrs.filter((p) => !got?.pcrs.includes(p));
      if (missing.length) findings.push({ code: 'PCR_SELECTION', message: `quote does not cover PCR(s) ${missing.join(',')} of bank 0x${req.hashAlg.toString(16)}` });
    }
    if (input.pcrValues) {
      const d = pcrCompositeDigest(input.pcrValues, attest.quote.pcrSelect, sig.hashAlg);
      result.pcrDigestValid = d !== undefined && d.equals(attest.quote.pcrDigest);
      if (!result.pcrDigestValid) {
        findings.push({
          code: 'PCR_DIGEST_MISMATCH',
          message: d ? 'the reported PCR values do not hash to the quoted pcrDigest' : 'the reported PCR values do not cover every quoted PCR',
        });
      }
    }
  }
  result.ok = findings.length === 0;
  return result;
}
