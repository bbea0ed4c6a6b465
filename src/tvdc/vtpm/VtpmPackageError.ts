// Why a sealed vTPM migration package was refused. Each refusal has its own stable code (also at
// the start of the message, so it survives the trip through a CIM Reason string); the TvdcError
// code underneath tells the wire how bad it is: a damaged or misaddressed parameter, or a package
// that is not what it claims to be.
import { TvdcError, type TvdcErrorCode } from '../TvdcError.js';

export type VtpmPackageRefusal =
  | 'MALFORMED' // not a sealed package at all, truncated, a field missing or of the wrong shape
  | 'OLD_FORMAT' // the plaintext tvdc-vtpm-state/1 package of earlier versions: never accepted again
  | 'WRONG_SOURCE_KEY' // made by another host than the source key the caller named
  | 'BAD_SIGNATURE' // the signature does not verify: the package was changed after it was signed
  | 'NOT_FOR_THIS_HOST' // sealed to another host's migration key
  | 'WRONG_VM' // for another VM than the import target
  | 'WRONG_PURPOSE' // a source host's take-back copy offered as a migration, or the reverse
  | 'UNWRAP_FAILED' // the wrapped AES key does not decrypt under this host's key
  | 'DECRYPT_FAILED' // the AES-GCM tag does not verify
  | 'REPLAYED' // this package was imported here before
  | 'STALE' // older than a package this host already imported from the same source for this VM
  | 'EXPIRED'; // exported longer ago than a package lives (or dated too far ahead of this host's clock)

const CODE: Record<VtpmPackageRefusal, TvdcErrorCode> = {
  MALFORMED: 'INVALID_ARGUMENT',
  OLD_FORMAT: 'INVALID_ARGUMENT',
  WRONG_SOURCE_KEY: 'INTEGRITY_VIOLATION',
  BAD_SIGNATURE: 'INTEGRITY_VIOLATION',
  NOT_FOR_THIS_HOST: 'INVALID_ARGUMENT',
  WRONG_VM: 'INVALID_ARGUMENT',
  WRONG_PURPOSE: 'INVALID_ARGUMENT',
  UNWRAP_FAILED: 'INTEGRITY_VIOLATION',
  DECRYPT_FAILED: 'INTEGRITY_VIOLATION',
  REPLAYED: 'INTEGRITY_VIOLATION',
  STALE: 'INTEGRITY_VIOLATION',
  EXPIRED: 'INTEGRITY_VIOLATION',
};

export class VtpmPackageError extends TvdcError {
  constructor(
    readonly refusal: VtpmPackageRefusal,
    message: string,
  ) {
    super(CODE[refusal], `vTPM package refused (${refusal}): ${message}`);
  }
}

/** True when `e` is a refused package, optionally for the given reason. */
export function isVtpmPackageError(e: unknown, refusal?: VtpmPackageRefusal): e is VtpmPackageError {
  return e instanceof VtpmPackageError && (refusal === undefined || e.refusal === refusal);
}
