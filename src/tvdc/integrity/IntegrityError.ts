// The error integrity code raises for bad input (unreadable logs, policies, quotes,
// certificates): a TvdcError with an integrity-specific reason that callers can branch on.
import { TvdcError, type TvdcErrorCode } from '../TvdcError.js';

export type IntegrityErrorReason =
  | 'LOG_FORMAT' // an IMA measurement list is not ascii or binary IMA, or is cut short
  | 'POLICY_FORMAT' // a runtime policy / reference import is not what it claims to be
  | 'QUOTE_FORMAT' // TPMS_ATTEST, TPMT_SIGNATURE, TPM_QUOTE_INFO or a key is malformed
  | 'CERT_FORMAT' // a certificate cannot be parsed
  | 'NONCE_INVALID' // a nonce is not 8-64 bytes of hex
  | 'UNKNOWN_TARGET' // no enrolment / state for the named target
  | 'ENROLMENT_FAILED'; // an EK certificate, AK or activated credential was refused

export class IntegrityError extends TvdcError {
  constructor(
    readonly reason: IntegrityErrorReason,
    message: string,
    code: TvdcErrorCode = 'INVALID_ARGUMENT',
  ) {
    super(code, message);
  }
}
