// Why the listener refused an export request, and how that goes on the wire: an HTTP status with a
// DSP0200 `CIMError` header for transport-level faults, or HTTP 200 with an ERROR element (a CIM
// status) for a well-formed request the listener cannot accept.
import type { CimStatus } from '../../src/cim/CimError.js';

/** The DSP0200 CIMError header values the listener uses. */
export type CimErrorHeader =
  | 'unsupported-protocol-version'
  | 'multiple-requests-unsupported'
  | 'unsupported-cim-version'
  | 'unsupported-dtd-version'
  | 'request-not-valid'
  | 'request-not-well-formed'
  | 'header-mismatch'
  | 'unsupported-operation';

export class ExportRejection extends Error {
  override readonly name = 'ExportRejection';
  constructor(
    readonly httpStatus: number,
    message: string,
    readonly cimErrorHeader?: CimErrorHeader,
    /** Set for HTTP 200 answers carrying an ERROR element. */
    readonly cimStatus?: CimStatus,
  ) {
    super(message);
  }
}
