// The one place where the integrity domain's errors become CIM: method return codes (with the
// reason in the Reason out parameter) for the vTPM management methods; CimErrors for the rest.
// The TvdcError -> CIM status table is the project's (providers/isolation/TvdcErrorMap.ts).
import type { MethodResult } from '../../src/wbem/Provider.js';
import { asCim, failureResult, toCimError, type ReturnCodes } from '../isolation/TvdcErrorMap.js';

export { asCim, toCimError };

/**
 * TVDc_VTPMManagementService's ValueMap: 2 Failed, 4 Invalid Parameter, 5 Invalid State. A refused
 * migration package (forged, altered, replayed, sealed to another host) is an invalid State
 * parameter: 4, with a Reason that starts `vTPM package refused (<refusal code>)`.
 */
export const VTPM_SERVICE_CODES: ReturnCodes = {
  INVALID_ARGUMENT: 4,
  INTEGRITY_VIOLATION: 4,
  INVALID_STATE: 5,
  ALREADY_EXISTS: 5,
  VTPM_FAILED: 2,
  IO_FAILED: 2,
};

/** A vTPM management method's failure: its return code and Reason, or a thrown CimError. */
export function vtpmFailure(e: unknown): MethodResult {
  return failureResult(e, VTPM_SERVICE_CODES, 'Reason');
}
