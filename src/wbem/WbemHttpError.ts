// The WBEM server's transport-level error: a request refused before (or instead of) any CIM
// operation, answered with an HTTP status and, where DSP0200 defines one, a CIMError header.
// CimError (operation failures) travels inside a 200 response; this one never does.

/** The DSP0200 CIMError header values. */
export type CimErrorHeader =
  | 'unsupported-protocol-version'
  | 'multiple-requests-unsupported'
  | 'unsupported-cim-version'
  | 'unsupported-dtd-version'
  | 'request-not-valid'
  | 'request-not-well-formed'
  | 'request-not-loosely-valid'
  | 'header-mismatch'
  | 'unsupported-operation';

export class WbemHttpError extends Error {
  override readonly name = 'WbemHttpError';
  constructor(
    /** The HTTP status code, e.g. 400, 401, 413, 501. */
    readonly status: number,
    /** What went wrong, for the log and the response's detail header. */
    readonly detail: string,
    /** The CIMError header value, when the refusal is one DSP0200 names. */
    readonly cimError?: CimErrorHeader,
    /** Extra response headers, e.g. WWW-Authenticate for 401. */
    readonly headers: Record<string, string> = {},
  ) {
    super(cimError ? `${status} ${cimError}: ${detail}` : `${status}: ${detail}`);
  }
}
