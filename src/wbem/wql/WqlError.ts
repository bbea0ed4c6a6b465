// The error every WQL failure raises: a CimError with CIM_ERR_INVALID_QUERY whose description
// names the 1-based character position, so a client can point at the offending spot.
import { CimError, CimStatus } from '../../cim/CimError.js';

export class WqlError extends CimError {
  constructor(
    /** 0-based offset into the query text. */
    readonly position: number,
    readonly reason: string,
  ) {
    super(CimStatus.CIM_ERR_INVALID_QUERY, `WQL error at position ${position + 1}: ${reason}`);
  }
}
