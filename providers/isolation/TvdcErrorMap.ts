// The one place where the isolation domain's errors become CIM: a TvdcError code turns into a
// CimError with the DMTF status, or into a method's return code with the reason as an out
// parameter. Providers catch, and call one of these two.
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import type { MethodResult } from '../../src/wbem/Provider.js';
import { TvdcError, type TvdcErrorCode } from '../../src/tvdc/TvdcError.js';

const STATUS: Record<TvdcErrorCode, CimStatus> = {
  POLICY_INVALID: CimStatus.CIM_ERR_INVALID_PARAMETER,
  POLICY_PARSE: CimStatus.CIM_ERR_INVALID_PARAMETER,
  POLICY_UPDATE_REJECTED: CimStatus.CIM_ERR_FAILED,
  NO_POLICY: CimStatus.CIM_ERR_FAILED,
  LABEL_UNKNOWN: CimStatus.CIM_ERR_INVALID_PARAMETER,
  // Refused by the security policy, not by the caller's rights: the description names the rule.
  ACCESS_DENIED: CimStatus.CIM_ERR_ACCESS_DENIED,
  NOT_FOUND: CimStatus.CIM_ERR_NOT_FOUND,
  ALREADY_EXISTS: CimStatus.CIM_ERR_ALREADY_EXISTS,
  INVALID_STATE: CimStatus.CIM_ERR_FAILED,
  INVALID_ARGUMENT: CimStatus.CIM_ERR_INVALID_PARAMETER,
  NETWORK_FAILED: CimStatus.CIM_ERR_FAILED,
  IO_FAILED: CimStatus.CIM_ERR_FAILED,
  VTPM_FAILED: CimStatus.CIM_ERR_FAILED,
  ATTESTATION_FAILED: CimStatus.CIM_ERR_FAILED,
  INTEGRITY_VIOLATION: CimStatus.CIM_ERR_FAILED,
};

/** `e` as a CimError: CimErrors pass through, TvdcErrors by code, anything else CIM_ERR_FAILED. */
export function toCimError(e: unknown): CimError {
  if (e instanceof CimError) return e;
  if (e instanceof TvdcError) return new CimError(STATUS[e.code], e.message);
  return new CimError(CimStatus.CIM_ERR_FAILED, e instanceof Error ? e.message : String(e));
}

/** Return codes of one method for the domain errors it reports in-band; the rest become CIM errors. */
export type ReturnCodes = Partial<Record<TvdcErrorCode, number>>;

/** The codes the TVDc_SecurityService methods share (their ValueMap). */
export const SECURITY_SERVICE_CODES: ReturnCodes = {
  ACCESS_DENIED: 6,
  INVALID_STATE: 5,
  INVALID_ARGUMENT: 4,
  LABEL_UNKNOWN: 4,
  POLICY_INVALID: 4,
  POLICY_PARSE: 4,
  ALREADY_EXISTS: 4,
  IO_FAILED: 2,
};

/**
 * The method result for a failure: the mapped return code and the message in the out parameter
 * `reasonParam`, or a thrown CimError when the method has no code for it (NOT_FOUND: a reference
 * parameter names nothing; unexpected faults).
 */
export function failureResult(e: unknown, codes: ReturnCodes, reasonParam = 'Reason'): MethodResult {
  if (e instanceof TvdcError) {
    const code = codes[e.code];
    if (code !== undefined) return { returnValue: code, outParams: [{ name: reasonParam, value: e.message }] };
  }
  throw toCimError(e);
}

/** Runs a domain call for an instance operation, turning any failure into a CimError. */
export async function asCim<T>(f: () => T | Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw toCimError(e);
  }
}
