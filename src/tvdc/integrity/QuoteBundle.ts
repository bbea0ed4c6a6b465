// What a challenger receives from GetQuote, in formats any verifier can check without tvdc.

export interface QuoteBundle {
  /** TPMS_ATTEST bytes, base64. */
  quote: string;
  /** TPMT_SIGNATURE bytes, base64. */
  signature: string;
  /** The AK as a PEM SubjectPublicKeyInfo. */
  akPublic: string;
  /** The EK certificate, PEM. */
  ekCertificate: string;
  /** `<bank>:<pcr>:<hex>`, one per selected PCR and bank. */
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
