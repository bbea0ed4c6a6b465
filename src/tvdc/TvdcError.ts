// The one error base of the TVDc domain (isolation and integrity). Every failure the domain
// reports carries a stable string code that providers and clients map to the wire in one place.

/** Stable codes; add new ones at the end of the group they belong to, never rename one. */
export type TvdcErrorCode =
  // policy authoring and deployment
  | 'POLICY_INVALID' // a policy document or model breaks a validation rule
  | 'POLICY_PARSE' // the policy document is not well-formed XML / JSON
  | 'POLICY_UPDATE_REJECTED' // an update is not allowed (wrong FromPolicy, version, or conflicts)
  | 'NO_POLICY' // an operation needs an active policy and there is none
  // labels and access decisions
  | 'LABEL_UNKNOWN' // the label is not defined in the active policy
  | 'ACCESS_DENIED' // the decision engine refused the operation
  // objects the domain manages
  | 'NOT_FOUND' // a VM, disk, segment, vTPM ... does not exist
  | 'ALREADY_EXISTS'
  | 'INVALID_STATE' // the operation does not fit the object's current state
  | 'INVALID_ARGUMENT'
  // platform
  | 'NETWORK_FAILED' // the network applier could not configure the host
  | 'IO_FAILED' // a file or device operation failed
  // integrity (vTPM, attestation)
  | 'VTPM_FAILED'
  | 'ATTESTATION_FAILED'
  | 'INTEGRITY_VIOLATION';

export class TvdcError extends Error {
  override readonly name = 'TvdcError';
  constructor(
    readonly code: TvdcErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** True when `e` is a TvdcError, optionally with the given code. */
export function isTvdcError(e: unknown, code?: TvdcErrorCode): e is TvdcError {
  return e instanceof TvdcError && (code === undefined || e.code === code);
}
