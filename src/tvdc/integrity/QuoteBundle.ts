// What a challenger receives from GetQuote, in formats any verifier can check without tvdc.

/** The TPM that made a quote: TPM 2.0 (TPMS_ATTEST) or TPM 1.2 (TPM_QUOTE_INFO). */
export type QuoteFamily = 'tpm2' | 'tpm12';

export interface QuoteBundle {
  /** Absent for tpm2, so bundles from hosts that predate TPM 1.2 vTPMs read the same. */
  family?: QuoteFamily;
  /** tpm2: TPMS_ATTEST bytes; tpm12: the signed TPM_QUOTE_INFO (48 bytes); base64. */
  quote: string;
  /** tpm2: TPMT_SIGNATURE bytes; tpm12: the raw RSASSA-PKCS1-v1_5 SHA-1 signature; base64. */
  signature: string;
  /** The AK (tpm12: the quote key) as a PEM SubjectPublicKeyInfo. */
  akPublic: string;
  /** tpm12: the vTPM CA's certificate of the quote key, PEM. */
  akCertificate?: string;
  /** The EK certificate, PEM. */
  ekCertificate: string;
  /** `<bank>:<pcr>:<hex>`, one per selected PCR and bank (tpm12: sha1 only). */
  pcrValues: string[];
  /** IMA ascii lines from `logIndex` on. */
  logEntries: string[];
  /** List index of the first line in logEntries. */
  logIndex: number;
}

const NONCE = /^(?:[0-9a-fA-F]{2}){8,64}$/;

/** A GetQuote nonce: 8 to 64 bytes as hex. */
export function isValidNonce(hex: string): boolean {
  return NONCE.test(hex);
}
