// The vocabulary of integrity verdicts: per log entry, and per attested target, each with
// a stable code and a sentence naming the entry and why.

export type VerdictStatus = 'trusted' | 'unknown' | 'untrusted';

export type EntryCode =
  | 'TRUSTED' // the digest is a known-good digest for this path
  | 'EXCLUDED' // the path matches an exclude pattern; not judged
  | 'PATH_UNKNOWN' // the reference database knows nothing of this path
  | 'DIGEST_UNKNOWN' // the path is known, this digest is not one of its known digests
  | 'VIOLATION' // IMA could not measure the file consistently (open for write while executed)
  | 'VULNERABLE' // the digest is annotated as vulnerable (with a CVE id)
  | 'MALICIOUS' // the digest is annotated as malicious
  | 'BOOT_AGGREGATE_MISMATCH' // boot_aggregate does not match the quoted PCRs 0-9
  | 'TEMPLATE_HASH_MISMATCH'; // the entry's template hash does not cover its data: it was altered

export interface EntryVerdict {
  index: number;
  path: string;
  digest: string;
  status: VerdictStatus | 'excluded';
  code: EntryCode;
  reason: string;
  cve?: string;
}

export type AttestationCode =
  | 'QUOTE_FORMAT' // the quote or signature cannot be parsed
  | 'QUOTE_MAGIC' // TPMS_ATTEST magic is not TPM_GENERATED_VALUE
  | 'QUOTE_TYPE' // TPMS_ATTEST type is not TPM_ST_ATTEST_QUOTE
  | 'NONCE_MISMATCH' // extraData is not the nonce this challenge issued
  | 'QUOTE_REPLAYED' // extraData is a nonce from an earlier, already used challenge
  | 'SIGNATURE_INVALID' // the signature does not verify with the AK
  | 'AK_INVALID' // the AK public key is malformed or not a restricted signing key
  | 'AK_NOT_BOUND' // the AK was never certified (credential activation) by this EK
  | 'AK_SCHEME_UNSAFE' // a TPM 1.2 quote key's certificate does not state scheme TPM_SS_RSASSAPKCS1v15_INFO
  | 'EK_CERT_INVALID' // the EK certificate does not chain to a trusted (v)TPM CA
  | 'PCR_SELECTION' // the quote does not cover the PCRs asked for
  | 'PCR_DIGEST_MISMATCH' // the reported PCR values do not hash to the quoted pcrDigest
  | 'LOG_FORMAT' // the log entries cannot be parsed
  | 'LOG_GAP' // the entries do not start where the last verified entry ended
  | 'LOG_REPLAY_MISMATCH' // replaying the log does not give the quoted PCR 10 (truncated, inserted, altered)
  | 'TEMPLATE_HASH_MISMATCH' // an entry was altered
  | 'BOOT_AGGREGATE_MISMATCH' // boot_aggregate does not match the quoted PCRs 0-9, or a VM's list read from 0 does not open with one
  | 'ENTRY_UNTRUSTED' // an entry is malicious or vulnerable
  | 'ENTRY_UNKNOWN'; // an entry is not in the reference database

export interface Finding {
  code: AttestationCode;
  message: string;
  index?: number;
  path?: string;
}

/** Combines statuses: untrusted beats unknown beats trusted. */
export function worst(a: VerdictStatus, b: VerdictStatus): VerdictStatus {
  if (a === 'untrusted' || b === 'untrusted') return 'untrusted';
  if (a === 'unknown' || b === 'unknown') return 'unknown';
  return 'trusted';
}
