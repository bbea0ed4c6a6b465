// The attesting side on the host: quotes a vTPM's PCRs with its AK (a TPM 1.2 vTPM: its quote
// key) over a challenger's nonce and hands over the measurement list, and answers
// credential-activation challenges that prove a TPM 2.0 AK lives in the same TPM as the certified EK.
import { TvdcError } from '../TvdcError.js';
import { IntegrityError } from '../integrity/IntegrityError.js';
import { formatAsciiLine } from '../integrity/ImaLogParser.js';
import { formatPcrValues } from '../integrity/PcrValues.js';
import { isValidNonce, type QuoteBundle } from '../integrity/QuoteBundle.js';
import { tpm12ExternalData } from '../integrity/Tpm12Quote.js';
import { TPM_ALG, TPM_RH } from './TpmConstants.js';
import { ekTemplateRsa, parsePublic, publicKeyPem } from './TpmPublic.js';
import { akPublicPemOf } from './VtpmKeys.js';
import type { VtpmManager } from './VtpmManager.js';

export interface QuoteRequest {
  /** Hex, 8-64 bytes. */
  nonce: string;
  /** PCR indexes to quote (default 0-10). */
  pcrs?: readonly number[];
  /** Banks to quote (default both SHA-1 and SHA-256; a TPM 1.2 has SHA-1 only). */
  banks?: readonly ('sha1' | 'sha256')[];
  /** First log entry to return (default 0). */
  fromIndex?: number;
}

const BANK_ID = { sha1: TPM_ALG.SHA1, sha256: TPM_ALG.SHA256 } as const;

export class Attestor {
  constructor(private readonly manager: VtpmManager) {}

  /** GetQuote: quote, signature, AK, EK certificate, PCR values and log lines from fromIndex. */
  async getQuote(id: string, req: QuoteRequest): Promise<QuoteBundle> {
    if (!isValidNonce(req.nonce)) throw new IntegrityError('NONCE_INVALID', 'nonce must be 8 to 64 bytes of hex');
    const pcrs = [...new Set(req.pcrs ?? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])].sort((a, b) => a - b);
    if (pcrs.length === 0 || pcrs.some((p) => !Number.isInteger(p) || p < 0 || p > 23)) throw new TvdcError('INVALID_ARGUMENT', 'PCR selection must name PCRs 0-23');
    const banks = req.banks ?? ['sha1', 'sha256'];
    const fromIndex = req.fromIndex ?? 0;
    if (!Number.isSafeInteger(fromIndex) || fromIndex < 0) throw new TvdcError('INVALID_ARGUMENT', 'FromIndex must be a non-negative integer');
    const selection = banks.map((b) => ({ hashAlg: BANK_ID[b], pcrs }));
    return this.manager.withLock(id, async () => {
      const info = this.manager.get(id);
      if (info.family === 'tpm12') {
        if (!banks.includes('sha1')) throw new TvdcError('INVALID_ARGUMENT', `vTPM ${id} is a TPM 1.2: it has the SHA-1 PCR bank only`);
        // The composite the TPM returns is what it signed: no separate PCR read to disagree with.
        const q = await this.manager.tpm12Quote(id, tpm12ExternalData(Buffer.from(req.nonce, 'hex')), pcrs);
        const entries = this.manager.log.entries(id, fromIndex);
        // Read after the quote: its first use may have renewed the quote key (and its certificate).
        const signer = this.manager.get(id);
        return {
          family: 'tpm12',
          quote: q.quoteInfo.toString('base64'),
          signature: q.signature.toString('base64'),
          akPublic: akPublicPemOf(signer),
          akCertificate: signer.akCertificatePem!,
          ekCertificate: signer.ekCertificatePem,
          pcrValues: formatPcrValues(new Map([[TPM_ALG.SHA1, q.pcrs]])),
          logEntries: entries.map(formatAsciiLine),
          logIndex: fromIndex,
        };
      }
      const tpm = this.manager.client(id);
      const ak = await this.manager.akHandle(id);
      // Under the lock nothing extends, so the quote, the PCR read and the log agree.
      const q = await tpm.quote(ak, Buffer.from(req.nonce, 'hex'), selection);
      const values = await tpm.pcrRead(selection);
      const entries = this.manager.log.entries(id, fromIndex);
      return {
        quote: q.attest.toString('base64'),
        signature: q.signature.toString('base64'),
        akPublic: publicKeyPem(parsePublic(info.akPublic)),
        ekCertificate: info.ekCertificatePem,
        pcrValues: formatPcrValues(values.values),
        logEntries: entries.map(formatAsciiLine),
        logIndex: fromIndex,
      };
    });
  }

  /** The AK's TPMT_PUBLIC, which a verifier needs (with the EK certificate) to enrol the AK. */
  akPublicArea(id: string): Buffer {
    return this.manager.get(id).akPublic;
  }

  /** TPM2_ActivateCredential: only the TPM holding both the EK and the AK recovers the secret. */
  async activateCredential(id: string, credentialBlob: Buffer, secret: Buffer): Promise<Buffer> {
    if (this.manager.get(id).family === 'tpm12') {
      throw new TvdcError('INVALID_STATE', `vTPM ${id} is a TPM 1.2: its quote key is certified by the vTPM CA (AKCertificate), not by credential activation`);
    }
    return this.manager.withLock(id, async () => {
      const tpm = this.manager.client(id);
      const ak = await this.manager.akHandle(id);
      const ek = await tpm.createPrimary(TPM_RH.ENDORSEMENT, ekTemplateRsa());
      try {
        return await tpm.activateCredential(ak, ek.handle, credentialBlob, secret);
      } finally {
        await tpm.flushContext(ek.handle).catch(() => undefined);
      }
    });
  }
}
